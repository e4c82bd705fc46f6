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
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.formats import LOADERS, LoadError, choose_format, declared_format
from index.paths import is_index_entry
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
    """Path relative to the corpus folder (a name that is not UTF-8 is shown with backslash escapes)."""
    size: int
    """Size in bytes."""
    mtime_ns: int
    """Modification time in nanoseconds."""
    ctime_ns: int = 0
    """Inode change time: moves when a file is rewritten even if its mtime is set back."""
    problem: str | None = None
    """Why the file will not be read, when that is known from the directory entry alone."""

    @property
    def key(self) -> tuple[int, int, int]:
        """What must stay equal for the file to count as unchanged without reading it."""
        return self.size, self.mtime_ns, self.ctime_ns


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _printable_name(source: str) -> tuple[str, bool]:
    """The source as text that can be stored and shown, and whether the name was valid UTF-8."""
    try:
        source.encode("utf-8")
        return source, True
    except UnicodeEncodeError:
        return source.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"), False


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def scan_corpus(root: Path, exclude: Path | str | None = None) -> Iterator[FileStat]:
    """Yield every candidate file below `root` (recursively, sorted, hidden files and folders skipped, and
    the folder `exclude`: the index itself, when it is kept inside its corpus, or its own files, when it is
    kept in the corpus folder itself).

    Only regular files are read. Symbolic links: a link to a regular file inside the corpus is followed;
    a link out of the corpus (`/etc/passwd`), to a device (`/dev/zero`) or to anything else is reported
    and not read, nor is a named pipe, socket or device file. Links to folders are not followed (they
    would index the same files twice, or loop); they are reported too. A file whose name is not valid
    UTF-8 is reported, with its name escaped, and not read."""
    real_root = os.path.realpath(root)
    skip = os.path.realpath(exclude) if exclude is not None else None
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        if skip is not None and os.path.realpath(dirpath) == skip:
            # The index kept in the corpus folder itself (`--index` = `--corpus`): its own files are not
            # documents, and indexing them (CURRENT, lock) would make every question see a changed corpus.
            dirnames[:] = [d for d in dirnames if not is_index_entry(d)]
            filenames = [f for f in filenames if not is_index_entry(f)]
        dirnames.sort()
        linked = [d for d in dirnames if not _is_hidden(d) and os.path.islink(os.path.join(dirpath, d))]
        dirnames[:] = [d for d in dirnames if not _is_hidden(d) and d not in linked
                       and (skip is None or os.path.realpath(os.path.join(dirpath, d)) != skip)]
        for name in linked:
            source, _ok = _printable_name(Path(dirpath, name).relative_to(root).as_posix())
            yield FileStat(source + "/", 0, 0, 0, "a symbolic link to a folder: not followed")
        for name in sorted(filenames):
            if _is_hidden(name) or declared_format(name) is None:
                continue
            path = os.path.join(dirpath, name)
            source, ok = _printable_name(Path(path).relative_to(root).as_posix())
            yield _stat(path, source, ok, real_root)


def _stat(path: str, source: str, name_ok: bool, real_root: str) -> FileStat:
    try:
        link = os.lstat(path)
        st = os.stat(path) if stat.S_ISLNK(link.st_mode) else link
    except OSError as exc:
        return FileStat(source, -1, -1, -1, f"unreadable ({exc.strerror or exc.__class__.__name__})")
    problem = None
    if not name_ok:
        problem = "file name is not valid UTF-8: rename the file to index it"
    elif stat.S_ISLNK(link.st_mode) and not _inside(os.path.realpath(path), real_root):
        problem = "a symbolic link to outside the corpus: not followed"
    elif not stat.S_ISREG(st.st_mode):
        kind = "named pipe" if stat.S_ISFIFO(st.st_mode) else "socket" if stat.S_ISSOCK(st.st_mode) else \
            "device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "special file"
        problem = f"not a regular file ({kind})"
    # A link's own times count too: re-pointing a link is a change even if both targets are old.
    ctime = max(st.st_ctime_ns, link.st_ctime_ns)
    return FileStat(source, st.st_size, max(st.st_mtime_ns, link.st_mtime_ns), ctime, problem)


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
        # Non-blocking, and checked after opening: a file swapped for a named pipe since the scan must not
        # block the build, and only regular files are read.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise LoadError("not a regular file")
            size = st.st_size
            head = os.read(fd, SNIFF_BYTES)
        finally:
            os.close(fd)
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
