"""Loading one document of a corpus, one bad file never stopping the rest.

Each supported format has a loader (index/reading/formats), chosen by the file's suffix or, where the suffix lies
or is missing, by its content. Plain text loaders return the text exactly as
`Path.read_text(encoding="utf-8")` would, so citation offsets can be checked against the file; the others
return extracted text that is stored in the index and checked there.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import stat
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from index.reading.formats import CONTAINERS, LOADERS, LoadError, choose_format, declared_format
from index.reading.scan import inside
from index.types import TEXT_FORMATS, Document, Unit

SNIFF_BYTES = 2048
SMALL_FILE = 64 * 1024 * 1024
"""Formats whose size limit is at most this (text, HTML) are handed to their loader as bytes read up to that
limit; larger ones (PDF, DOCX, EPUB) as the open file."""
_HEADER = re.compile(r"date (\d{4}-\d{2}-\d{2})\s+([^:\n]{1,120}?):[ \t]*")
_TITLE_MAX = 80


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


_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_OPEN_DIR = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC
_LINK_ERRORS = (errno.ELOOP, errno.ENOTDIR)
"""What opening a name with O_NOFOLLOW gives when it (or a folder on the way) is a symbolic link."""


def _open_beneath(folder: str, parts: list[str]) -> int:
    """Open `folder/parts...` one name at a time, following no symbolic link on the way, the last name
    non-blocking; the file descriptor."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts[:-1]:
            inner = os.open(part, _OPEN_DIR, dir_fd=fd)
            os.close(fd)
            fd = inner
        return os.open(parts[-1], _OPEN_FILE, dir_fd=fd)
    finally:
        os.close(fd)


def open_in_corpus(root: Path, source: str, max_bytes: int | None = None) -> tuple[BinaryIO, os.stat_result]:
    """Open one corpus file for reading, once, and check what was opened (not what a path names now).

    Every name on the way is opened without following symbolic links, the file itself non-blocking, so a
    file swapped since the scan for a link to /etc/passwd, or for a named pipe, is neither read nor waited
    on. A link to a file inside the corpus is still read: its target, resolved and checked to be inside,
    is opened the same way (a link swapped in meanwhile fails). Then the open file must be a regular file
    (`fstat` on the descriptor) of at most `max_bytes`. Returns the open binary file and its stat; raises
    LoadError with the reason."""
    parts = PurePosixPath(source).parts
    if not parts or source.startswith("/") or ".." in parts:
        raise LoadError("not a path inside the corpus")
    try:
        try:
            fd = _open_beneath(str(root), list(parts))
        except OSError as exc:
            if exc.errno not in _LINK_ERRORS:
                raise
            real_root, target = os.path.realpath(root), os.path.realpath(root / source)
            if not inside(target, real_root):
                raise LoadError("a symbolic link to outside the corpus: not followed") from None
            try:
                fd = _open_beneath(real_root, list(Path(os.path.relpath(target, real_root)).parts))
            except OSError as again:
                if again.errno in _LINK_ERRORS:
                    raise LoadError("changed into a symbolic link while being read: not followed") from None
                raise
    except OSError as exc:
        raise LoadError(f"unreadable ({exc.strerror or exc.__class__.__name__})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise LoadError("not a regular file")
        if max_bytes is not None and st.st_size > max_bytes:
            raise LoadError(f"larger than {max_bytes // (1024 * 1024)} MB")
        return os.fdopen(fd, "rb"), st
    except BaseException:
        os.close(fd)
        raise


def read_corpus_text(root: Path, source: str) -> tuple[str, tuple[int, int, int]]:
    """A text file of the corpus as the index has it, read safely (`open_in_corpus`, at most the text
    formats' size limit) and decoded as a build decodes it (UTF-8, or the encoding detected from the same
    bytes): its text, and the (size, mtime_ns, ctime_ns) of the file read."""
    from index.reading.formats.text import decode_plain_text

    limit = LOADERS["txt"].max_bytes
    fh, st = open_in_corpus(root, source, limit)
    with fh:
        try:
            raw = fh.read(limit + 1)
        except OSError as exc:
            raise LoadError(f"unreadable ({exc.strerror or exc.__class__.__name__})") from None
    if len(raw) > limit:  # it grew since it was opened
        raise LoadError(f"larger than {limit // (1024 * 1024)} MB")
    return decode_plain_text(raw), (st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def load_document(root: Path, source: str) -> Document:
    """Read one file with the loader its type calls for, from the one file descriptor `open_in_corpus` checked
    (the loader gets that open file, or the bytes of a small one, never the path). Raises ValueError
    (LoadError) with a short reason when it cannot be indexed."""
    fh, st = open_in_corpus(root, source)
    with fh:
        declared = declared_format(PurePosixPath(source).name)
        if declared in CONTAINERS and st.st_size > LOADERS[declared].max_bytes:
            # a container past its limit is refused before its zip directory is even read
            raise LoadError(f"larger than {LOADERS[declared].max_bytes // (1024 * 1024)} MB")
        try:
            head = fh.read(SNIFF_BYTES)
            fh.seek(0)
            fmt = choose_format(source, head, fh)
            loader = LOADERS[fmt]
            if st.st_size > loader.max_bytes:
                raise LoadError(f"larger than {loader.max_bytes // (1024 * 1024)} MB")
            fh.seek(0)
            if loader.max_bytes <= SMALL_FILE:
                data = fh.read(loader.max_bytes + 1)  # a file growing meanwhile is read no further
                if len(data) > loader.max_bytes:
                    raise LoadError(f"larger than {loader.max_bytes // (1024 * 1024)} MB")
                extracted = loader.load(io.BytesIO(data))
            else:
                extracted = loader.load(fh)
        except OSError as exc:
            raise LoadError(f"unreadable ({exc.strerror or exc.__class__.__name__})") from None
    if not extracted.text.strip():
        raise LoadError("empty file" if fmt in TEXT_FORMATS else f"no text found in this {fmt.upper()}")
    if fmt in TEXT_FORMATS:
        doc = parse_document(source, extracted.text)
        return Document(doc.source, doc.text, doc.sha256, doc.title, doc.date, doc.place, doc.body_start, fmt,
                        sections=extracted.sections, units=units_from(extracted.units, doc.body_start),
                        encoding=extracted.encoding)
    title = shorten(extracted.title) if extracted.title else _first_line_title(extracted.text) or Path(source).stem
    sha = hashlib.sha256(extracted.text.encode("utf-8")).hexdigest()
    return Document(source=source, text=extracted.text, sha256=sha, title=title, date=extracted.date,
                    format=fmt, pages=extracted.pages, sections=extracted.sections, units=extracted.units,
                    anchors=extracted.anchors, encoding=extracted.encoding, warnings=extracted.warnings)


def units_from(units: tuple[Unit, ...], body_start: int) -> tuple[Unit, ...]:
    """The units of the body (after a metadata header), their parents renumbered."""
    if all(u.start >= body_start for u in units):
        return units
    kept = [i for i, u in enumerate(units) if u.start >= body_start]
    position = {old: new for new, old in enumerate(kept)}
    return tuple(Unit(units[i].kind, units[i].start, units[i].end, position.get(units[i].parent, -1)) for i in kept)


def _first_line_title(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#•").strip()
        if line and not re.fullmatch(r"[=\-~^*#]+", line):
            return shorten(line)
    return ""
