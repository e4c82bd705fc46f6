"""Finding the documents of a corpus folder and decoding them, one bad file never stopping the rest.

Each supported file type has a loader keyed by suffix (`LOADERS`); adding PDF or HTML later means adding a
loader that returns the text and, where it has them, page boundaries. Plain text loaders return the text
exactly as `Path.read_text(encoding="utf-8")` would, so citation offsets can be checked against the file.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.types import Document

MAX_FILE_BYTES = 50 * 1024 * 1024
"""Larger files are skipped with a warning rather than read into memory."""

_HEADER = re.compile(r"date (\d{4}-\d{2}-\d{2})\s+([^:\n]{1,120}?):[ \t]*")
_TITLE_MAX = 80


@dataclass(frozen=True)
class Skipped:
    """A file that was found but not indexed, and why."""

    source: str
    """Path relative to the corpus folder."""
    reason: str
    """A short reason a person understands, e.g. `not UTF-8 text`."""


@dataclass(frozen=True)
class FileStat:
    """What is cheap to know about a file without reading it; used to notice changes."""

    source: str
    """Path relative to the corpus folder."""
    size: int
    """Size in bytes."""
    mtime_ns: int
    """Modification time in nanoseconds."""


def _decode_plain_text(raw: bytes) -> str:
    """Decode like `read_text(encoding="utf-8")`: strict UTF-8 and universal newlines."""
    if b"\x00" in raw[:8192]:
        raise ValueError("binary file")
    try:
        return io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", newline=None).read()
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from None


LOADERS: dict[str, Callable[[bytes], str]] = {
    ".txt": _decode_plain_text,
    ".md": _decode_plain_text,
    ".markdown": _decode_plain_text,
    ".rst": _decode_plain_text,
}
"""Suffix -> function turning the file's bytes into its text. Files with other suffixes are not indexed."""


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def scan_corpus(root: Path) -> Iterator[FileStat]:
    """Yield every candidate file below `root` (recursively, sorted, hidden files and folders skipped)."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not _is_hidden(d))
        for name in sorted(filenames):
            if _is_hidden(name) or Path(name).suffix.lower() not in LOADERS:
                continue
            path = Path(dirpath) / name
            try:
                st = path.stat()
            except OSError:
                st = None
            source = path.relative_to(root).as_posix()
            if st is None:
                yield FileStat(source, -1, -1)
            else:
                yield FileStat(source, st.st_size, st.st_mtime_ns)


def shorten(text: str, limit: int = _TITLE_MAX) -> str:
    """Collapse white space and cut at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip(" ,;:") + "…"


def parse_document(source: str, text: str) -> Document:
    """Build a `Document` with its metadata (title; date and place from a `date ...:` header)."""
    date = place = None
    body_start = 0
    first = re.match(r"\s*", text)
    lead = first.end() if first else 0
    header = _HEADER.match(text, lead)
    if header:
        date, place = header.group(1), header.group(2).strip()
        body_start = header.end()
    title = ""
    for line in text[body_start:].splitlines():
        line = line.strip().lstrip("#").strip().lstrip("\ufeff")
        if line and not re.fullmatch(r"[=\-~^*#]+", line):
            title = shorten(line)
            break
    if not title:
        title = Path(source).stem
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(source=source, text=text, sha256=sha, title=title, date=date, place=place,
                    body_start=body_start)


def load_document(root: Path, source: str) -> Document:
    """Read and decode one file. Raises ValueError with a short reason when it cannot be indexed."""
    path = root / source
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        raw = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"unreadable ({exc.strerror or exc.__class__.__name__})") from None
    text = LOADERS[path.suffix.lower()](raw)
    if not text.strip():
        raise ValueError("empty file")
    return parse_document(source, text)
