"""Superlatives over a table: "Which instrument is the most expensive?" is answered by the row whose value in
the column the superlative measures ("Purchase price") is the largest, not by the sentence most like the
question ("The total insured value of the instruments above is $108,365."). Only tables the format marks as
such (index.types.Unit rows under a header row) and only cells that read as one number, amount or date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.types import Document

_SUPERLATIVE = re.compile(
    r"^\W*(?:which|what)\s+(?P<kind>(?:[\w-]+\s+){0,2}?[\w-]+)\s+(?:is|are|was|were|has|had|have|costs?)"
    r"(?:\s+(?P<verb>[a-z]+ed))?\s+(?:the\s+)?"
    r"(?:(?P<more>most(?=\s+recently)|most|highest|largest|biggest|greatest|latest|newest|longest|heaviest)|"
    r"(?P<less>least(?=\s+recently)|least|lowest|smallest|fewest|cheapest|earliest|oldest|shortest|lightest))"
    r"(?P<what>(?:\s+[\w-]+){0,3}?)\s*\??\s*$", re.I)
"""A question asking which row of a set has the extreme value: "Which instrument is the most expensive?",
"Which project has the highest budget?", "Which room has the fewest seats?", "Which instrument was serviced
most recently?" (the participle names the column: "Last serviced")."""

_COLUMN_WORDS: dict[str, tuple[str, ...]] = {
    "expensive": ("price", "cost", "value", "amount", "fee"),
    "cheapest": ("price", "cost", "value", "amount", "fee"),
    "costly": ("price", "cost", "value", "amount", "fee"),
    "largest": ("size", "area", "capacity", "volume"),
    "biggest": ("size", "area", "capacity", "volume"),
    "smallest": ("size", "area", "capacity", "volume"),
    "heaviest": ("weight", "mass"),
    "lightest": ("weight", "mass"),
    "longest": ("length", "duration"),
    "shortest": ("length", "duration"),
    "oldest": ("date", "year", "since", "purchased", "installed", "built", "acquired"),
    "newest": ("date", "year", "since", "purchased", "installed", "built", "acquired"),
    "latest": ("date", "year", "since", "purchased", "installed", "built", "acquired"),
    "earliest": ("date", "year", "since", "purchased", "installed", "built", "acquired"),
}
"""The header words a superlative with no noun of its own measures ("the most expensive": a price)."""

_NUMBER = re.compile(r"^[^\d-]{0,4}?(?P<n>-?\d{1,3}(?:[,\s ]\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?)\s*"
                     r"(?P<scale>k|m|bn|thousand|million|billion)?\b[^\d]{0,12}$", re.I)
_DATE = re.compile(r"^\s*(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\s*$|^\s*(?P<year>\d{4})\s*$")
_SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}


@dataclass(frozen=True)
class Extreme:
    """The row a table superlative picks: its span, its first cell's span (what the row is: the answer), and the
    header row's span."""

    start: int
    end: int
    answer: tuple[int, int]
    header: tuple[int, int]


def asks_extreme(question: str) -> tuple[bool, list[str]] | None:
    """(largest first, the words of what it measures) for a question asking which row has the extreme value;
    None for any other question."""
    m = _SUPERLATIVE.match(" ".join(question.split()))
    if m is None:
        return None
    word = (m.group("more") or m.group("less")).lower()
    what = [w.lower() for w in m.group("what").split()]
    most = m.group("more") is not None
    verb = [m.group("verb").lower()] if m.group("verb") else []  # "was serviced": the "Last serviced" column
    if what[:1] == ["recently"]:
        return most, [*verb, *_COLUMN_WORDS["latest"]] if verb else []
    if word in ("most", "least") and what and what[0] in _COLUMN_WORDS:  # "the most expensive"
        return most, [*verb, *_COLUMN_WORDS[what[0]]]
    if what:  # "the highest budget", "the fewest seats"
        return most, [*verb, *what]
    return most, [*verb, *_COLUMN_WORDS.get(word, ())]


def _value(cell: str) -> float | None:
    """A cell read as one number, amount ("$14,850", "240 000 €", "1.5 million") or date ("2024-01-22", "1998")."""
    d = _DATE.match(cell)
    if d is not None:
        if d.group("year"):
            return float(d.group("year")) * 10000
        return float(d.group("y")) * 10000 + float(d.group("m")) * 100 + float(d.group("d"))
    n = _NUMBER.match(cell.strip())
    if n is None:
        return None
    value = float(re.sub(r"[,\s ]", "", n.group("n")))
    return value * _SCALES.get((n.group("scale") or "").lower(), 1.0)


def _cells(text: str, start: int) -> list[tuple[int, int]]:
    """A row's cells as document offsets, without their spaces: a row's text separates them with "|" (a
    Markdown row also opens and closes with one, which bound no cell)."""
    bare = text.strip()
    opens, closes = bare.startswith("|"), bare.endswith("|") and len(bare) > 1
    segments = [(m.start(), m.end()) for m in re.finditer(r"[^|]*", text)]
    segments = [seg for i, seg in enumerate(segments) if i == 0 or seg[0] != segments[i - 1][1] or seg[1] > seg[0]]
    out = []
    for a, b in segments:
        piece = text[a:b]
        lead = len(piece) - len(piece.lstrip())
        out.append((start + a + lead, start + a + max(lead, len(piece.rstrip()))))
    if opens and out and out[0][0] == out[0][1]:
        out = out[1:]
    if closes and out and out[-1][0] == out[-1][1]:
        out = out[:-1]
    return out


def extreme_row(doc: Document, header_unit: int, question: str) -> Extreme | None:
    """The row of the table under header row `header_unit` that a superlative question asks for: the largest
    (or smallest) value in the one column whose header names what the superlative measures, every row's cell
    there read as a number, amount or date; None when no single column fits, a cell does not read as a value,
    or two rows tie."""
    asked = asks_extreme(question)
    if asked is None:
        return None
    most, words = asked
    if not words:
        return None
    head = doc.units[header_unit]
    headers = [doc.text[a:b].lower() for a, b in _cells(doc.text[head.start : head.end], head.start)]
    columns: list[int] = []
    for group in (words[:1], words):  # the first word alone ("serviced", "budget"), then any of them
        stems = [w.rstrip("s")[:6] for w in group]
        columns = [i for i, h in enumerate(headers) if i > 0 and any(s and s in h for s in stems)]
        if len(columns) == 1:
            break
    if len(columns) != 1:
        return None
    col = columns[0]
    rows = [u for u in doc.units if u.kind == "row" and u.parent == header_unit]
    values: list[tuple[float, int]] = []
    for i, row in enumerate(rows):
        cells = _cells(doc.text[row.start : row.end], row.start)
        if len(cells) != len(headers):
            return None
        value = _value(doc.text[cells[col][0] : cells[col][1]])
        if value is None:
            return None
        values.append((value, i))
    if len(values) < 2:
        return None
    values.sort(reverse=most)
    if values[0][0] == values[1][0]:
        return None  # a tie: no one row is the answer
    row = rows[values[0][1]]
    first = _cells(doc.text[row.start : row.end], row.start)[0]
    return Extreme(row.start, row.end, first, (head.start, head.end))


def asked_cell(doc: Document, row: tuple[int, int], header: tuple[int, int], question: str) -> tuple[int, int] | None:
    """The cell of a row that a question asks for by its column's header ("Which room is the autoclave in?"
    -> the "Room" cell, "What was the purchase price of the autoclave?" -> "Purchase price"): the one column
    past the first (the item) whose header shares the most words with the question, at least one; None when
    two tie, the row and its header differ in cells, or the cell is empty. A question that gives the cell's
    value ("Which instrument is in room B112?") asks for the first cell, when it names its column."""
    from index.text.keywords import keyword_tokens

    asked = set(keyword_tokens(question))
    heads = _cells(doc.text[header[0] : header[1]], header[0])
    cells = _cells(doc.text[row[0] : row[1]], row[0])
    if len(heads) != len(cells) or len(cells) < 3:
        return None
    shared = [len(asked & set(keyword_tokens(doc.text[a:b]))) for a, b in heads]
    best = max(shared[1:])
    if best == 0 or shared[1:].count(best) > 1:
        return None
    cell = cells[shared.index(best, 1)]
    if cell[1] <= cell[0]:
        return None
    if doc.text[cell[0] : cell[1]].lower() in question.lower():
        # "Which instrument is in room B112?" gives the room: it asks for the row's item, when it names the
        # first column ("instrument")
        return cells[0] if shared[0] > 0 else None
    return cell
