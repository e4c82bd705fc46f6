"""Finding the documents of a corpus folder and loading them, one bad file never stopping the rest.

Each supported format has a loader (index/formats), chosen by the file's suffix or, where the suffix lies
or is missing, by its content. Plain text loaders return the text exactly as
`Path.read_text(encoding="utf-8")` would, so citation offsets can be checked against the file; the others
return extracted text that is stored in the index and checked there.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.formats import LOADERS, LoadError, choose_format, declared_format
from index.types import TEXT_FORMATS, Document

SNIFF_BYTES = 2048
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


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def scan_corpus(root: Path) -> Iterator[FileStat]:
    """Yield every candidate file below `root` (recursively, sorted, hidden files and folders skipped)."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not _is_hidden(d))
        for name in sorted(filenames):
            if _is_hidden(name) or declared_format(name) is None:
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
    title = _first_line_title(text[body_start:].replace("\ufeff", "")) or Path(source).stem
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(source=source, text=text, sha256=sha, title=title, date=date, place=place,
                    body_start=body_start)


def load_document(root: Path, source: str) -> Document:
    """Read one file with the loader its type calls for. Raises ValueError (LoadError) with a short reason
    when it cannot be indexed."""
    path = root / source
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise LoadError(f"unreadable ({exc.strerror or exc.__class__.__name__})") from None
    fmt = choose_format(path, head)
    loader = LOADERS[fmt]
    if size > loader.max_bytes:
        raise LoadError(f"larger than {loader.max_bytes // (1024 * 1024)} MB")
    extracted = loader.load(path)
    if not extracted.text.strip():
        raise LoadError("empty file" if fmt in TEXT_FORMATS else f"no text found in this {fmt.upper()}")
    if fmt in TEXT_FORMATS:
        doc = parse_document(source, extracted.text)
        return Document(doc.source, doc.text, doc.sha256, doc.title, doc.date, doc.place, doc.body_start, fmt)
    title = shorten(extracted.title) if extracted.title else _first_line_title(extracted.text) or Path(source).stem
    sha = hashlib.sha256(extracted.text.encode("utf-8")).hexdigest()
    return Document(source=source, text=extracted.text, sha256=sha, title=title, date=extracted.date,
                    format=fmt, pages=extracted.pages, sections=extracted.sections)


def _first_line_title(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#•").strip()
        if line and not re.fullmatch(r"[=\-~^*#]+", line):
            return shorten(line)
    return ""
