"""Where corpus-qa keeps derived data (the user's cache folder), and how it keeps it private.

Indexes hold the full text of private documents, so every folder corpus-qa creates is 0700 and every
file 0600, whatever the umask: other users of the machine cannot read them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def cache_home() -> Path:
    """`$XDG_CACHE_HOME/corpus-qa`, or the platform's user cache folder (`~/.cache/corpus-qa` on Linux)."""
    import platformdirs  # ~2 ms

    return platformdirs.user_cache_path("corpus-qa", appauthor=False)


def private_dir(path: Path) -> Path:
    """Create `path` and any missing parents as 0700 folders (existing folders are left as they are)."""
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, PRIVATE_DIR)
        except FileExistsError:
            pass
    return path


def scratch_dir() -> Path | None:
    """Where a build's unnamed temporary files go when it has no index folder of its own: the cache folder
    (on disk), not the system's temporary folder, which may live in memory (tmpfs). None: the system's."""
    try:
        return private_dir(cache_home())
    except OSError:
        return None


def make_private(root: Path) -> None:
    """Folders 0700 and files 0600 under `root` (a freshly written generation)."""
    os.chmod(root, PRIVATE_DIR)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), PRIVATE_DIR)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), PRIVATE_FILE)


# -- what an index folder holds that corpus-qa wrote ---------------------------------------------------

MARKER = ".corpus-qa-index"
"""Written in every index folder corpus-qa creates or takes over (an empty folder, or an index of an earlier
version). corpus-qa writes into, and removes its own leftovers from, such a folder only: pointed at a folder
of someone's files (`--index ~`), it refuses instead of deleting their `tmp-*` or `gen-*` folders."""
BUILD_MARKER = ".corpus-qa-build"
"""Written in each build folder (`tmp-*`, renamed `gen-*` when published) as it is created: a leftover build
is removed only when it carries this mark (or a generation's manifest)."""
TOKEN_FILE = "mcp-token"
"""`qa mcp --http`'s bearer token, beside the index it serves (qa/mcp_http.py)."""

_BUILD_NAME = re.compile(r"(?:gen|tmp)-\d{14}-[0-9a-f]{8}")
_POINTER_NAME = re.compile(r"CURRENT\.[0-9a-f]{8}\.tmp")
_OWN_FILES = frozenset({"CURRENT", "lock", MARKER, TOKEN_FILE})


def is_build_name(name: str) -> bool:
    """Whether `name` is one corpus-qa gives a build or generation folder (`gen-20240101120000-1a2b3c4d`)."""
    return _BUILD_NAME.fullmatch(name) is not None


def is_pointer_name(name: str) -> bool:
    """Whether `name` is one of the temporary files a CURRENT swap writes (`CURRENT.1a2b3c4d.tmp`)."""
    return _POINTER_NAME.fullmatch(name) is not None


def is_index_entry(name: str) -> bool:
    """Whether an entry at the top of an index folder is part of the index (what a corpus scan must skip when
    the index folder is the corpus folder itself)."""
    return name in _OWN_FILES or is_build_name(name) or is_pointer_name(name)


def write_marker(folder: Path, name: str = MARKER) -> None:
    """Mark `folder` as written by corpus-qa (0600; an existing mark is kept)."""
    try:
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("Written by corpus-qa. It removes only what it wrote in this folder.\n")
