"""Reading `qa batch` input and writing its output, one line at a time and never more.

Input is read as bytes and each line decoded on its own, so one bad line (not UTF-8, not JSON, JSON of
the wrong shape, an id that could not be written back) costs only its own output record. Every record
written is strict JSON, whatever the input held.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from index.errors import UsageError
from qa.display import has_surrogates

_BOM = b"\xef\xbb\xbf"


def read_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of batch input, as bytes: each line is decoded on its own, so an undecodable
    line costs only itself, and no output waits on a decoder's read-ahead."""
    for number, raw in enumerate(stream, start=1):
        if number == 1:
            raw = raw.removeprefix(_BOM)  # editors on Windows write one; it is not part of the question
        yield number, raw.removesuffix(b"\n").removesuffix(b"\r")


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not allowed in JSON")


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else "a number"


def parse_line(number: int, raw: bytes) -> tuple[Any, str]:
    """(id, question) from a batch line (see `parse_request`)."""
    qid, question, _where = parse_request(number, raw)
    return qid, question


def parse_request(number: int, raw: bytes) -> tuple[Any, str, str | None]:
    """(id, question, where) from a batch line: a JSON object with a `question` string (and an `id`: a
    string, a whole number or null; and a `where` filter string), or plain text. A line that is not UTF-8,
    starts like an object but is not valid JSON, is JSON but not an object, or has no usable question, id
    or filter raises UsageError."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"line {number} is not UTF-8 text ({exc.reason} at byte {exc.start + 1})") from None
    stripped = line.strip()
    try:
        # NaN and Infinity are not JSON: taken as numbers they would be written back out as invalid JSON.
        obj = json.loads(stripped, parse_constant=_not_json)
    except (ValueError, RecursionError) as exc:
        if not stripped.startswith("{"):
            return number, line, None  # plain text
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else \
            "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise UsageError(f"line {number} is not valid JSON ({reason})") from None
    if not isinstance(obj, dict):
        raise UsageError(f"line {number} is JSON ({_json_kind(obj)}) but not an object like "
                         "{\"id\": \"q1\", \"question\": \"...\"}")
    if not isinstance(obj.get("question"), str):
        raise UsageError(f"line {number}: a JSON line needs a \"question\" string")
    qid = obj.get("id", number)
    if isinstance(qid, bool) or not isinstance(qid, str | int | None) or \
            isinstance(qid, str) and has_surrogates(qid):
        raise UsageError(f"line {number}: \"id\" must be a string, a whole number or null")
    where = obj.get("where")
    if where is not None and not isinstance(where, str):
        raise UsageError(f"line {number}: \"where\" must be a filter string like \"format:pdf since:2023-01-01\"")
    return qid, obj["question"], where


def dumps_record(record: dict[str, Any]) -> str:
    """One output line: strict JSON (no NaN or Infinity), non-ASCII text as it is."""
    return json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n"
