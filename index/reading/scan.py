"""Finding the documents of a corpus folder: what is there, what changed, what will not be read and why.

Only regular files inside the corpus are candidates: links out of it, to folders or to devices, named pipes,
sockets, hidden files and files in formats corpus-qa does not read are reported or left out here, before any
file is opened (index/reading/load.py opens each candidate once, safely). Files in formats it does not read
are counted by extension, so a summary can name them; paths the corpus's `.qaignore` (gitignore syntax)
matches are left out and counted too.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from index.paths import is_index_entry
from index.reading.formats import declared_format
from index.types import FileStat


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _printable_name(source: str) -> tuple[str, bool]:
    """The source as text that can be stored and shown, and whether the name was valid UTF-8."""
    try:
        source.encode("utf-8")
        return source, True
    except UnicodeEncodeError:
        return source.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"), False


def inside(path: str, root: str) -> bool:
    """Whether a resolved path is the root or under it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


QAIGNORE = ".qaignore"
"""The corpus's own list of paths to leave out, in gitignore syntax, at its top."""
EXCLUDED = "(.qaignore)"
"""The key under which `scan_corpus` counts the files `.qaignore` left out."""
NO_SUFFIX = "(no extension)"
MAX_QAIGNORE = 1 << 20


def read_qaignore(root: Path) -> Any:
    """The corpus's `.qaignore` as a pathspec matcher, or None when there is none (or it is not a small
    readable text file: a `.qaignore` that is a folder, a pipe or a link out of the corpus is not read)."""
    path = root / QAIGNORE
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_QAIGNORE:
        return None
    try:
        with open(path, "rb") as fh:
            lines = fh.read(MAX_QAIGNORE).decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    import pathspec  # ~10 ms, only for a corpus with a .qaignore

    patterns = []
    for line in lines:
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
            patterns.append(line)
        except (ValueError, TypeError):  # an invalid pattern is left out, as git leaves it out
            continue
    return pathspec.GitIgnoreSpec.from_lines(patterns) if patterns else None


def scan_corpus(root: Path, exclude: Path | str | None = None,
                ignored: Counter[str] | None = None) -> Iterator[FileStat]:
    """Yield every candidate file below `root` (recursively, sorted, hidden files and folders skipped, and
    the folder `exclude`: the index itself, when it is kept inside its corpus, or its own files, when it is
    kept in the corpus folder itself). Files and folders `.qaignore` matches are left out. With `ignored`,
    files in formats corpus-qa does not read are counted there by lower-case extension (`.png`), and
    the files and folders `.qaignore` left out (a folder once) under EXCLUDED.

    Only regular files are read. Symbolic links: a link to a regular file inside the corpus is followed;
    a link out of the corpus (`/etc/passwd`), to a device (`/dev/zero`) or to anything else is reported
    and not read, nor is a named pipe, socket or device file. Links to folders are not followed (they
    would index the same files twice, or loop); they are reported too. A file whose name is not valid
    UTF-8 is reported, with its name escaped, and not read."""
    real_root = os.path.realpath(root)
    skip = os.path.realpath(exclude) if exclude is not None else None
    rules = read_qaignore(root)
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
        if rules is not None:
            folder = Path(dirpath).relative_to(root).as_posix()
            prefix = "" if folder == "." else folder + "/"
            kept = [d for d in dirnames if not rules.match_file(prefix + d + "/")]
            if ignored is not None and len(kept) < len(dirnames):
                ignored[EXCLUDED] += len(dirnames) - len(kept)  # a folder counts once: it is not walked
            dirnames[:] = kept
        for name in linked:
            source, _ok = _printable_name(Path(dirpath, name).relative_to(root).as_posix())
            yield FileStat(source + "/", 0, 0, 0, "a symbolic link to a folder: not followed")
        for name in sorted(filenames):
            if _is_hidden(name):
                continue
            if rules is not None and rules.match_file(Path(dirpath, name).relative_to(root).as_posix()):
                if ignored is not None:
                    ignored[EXCLUDED] += 1
                continue
            if declared_format(name) is None:
                if ignored is not None:
                    ignored[_suffix(name)] += 1
                continue
            path = os.path.join(dirpath, name)
            source, ok = _printable_name(Path(path).relative_to(root).as_posix())
            yield _stat(path, source, ok, real_root)


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if suffix and suffix != "." else NO_SUFFIX


def _stat(path: str, source: str, name_ok: bool, real_root: str) -> FileStat:
    try:
        link = os.lstat(path)
        st = os.stat(path) if stat.S_ISLNK(link.st_mode) else link
    except OSError as exc:
        return FileStat(source, -1, -1, -1, f"unreadable ({exc.strerror or exc.__class__.__name__})")
    problem = None
    if not name_ok:
        problem = "file name is not valid UTF-8: rename the file to index it"
    elif stat.S_ISLNK(link.st_mode) and not inside(os.path.realpath(path), real_root):
        problem = "a symbolic link to outside the corpus: not followed"
    elif not stat.S_ISREG(st.st_mode):
        kind = "named pipe" if stat.S_ISFIFO(st.st_mode) else "socket" if stat.S_ISSOCK(st.st_mode) else \
            "device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "special file"
        problem = f"not a regular file ({kind})"
    # A link's own times count too: re-pointing a link is a change even if both targets are old.
    ctime = max(st.st_ctime_ns, link.st_ctime_ns)
    return FileStat(source, st.st_size, max(st.st_mtime_ns, link.st_mtime_ns), ctime, problem)
