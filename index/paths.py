"""Where corpus-qa keeps derived data (the user's cache folder), and how it keeps it private.

Indexes hold the full text of private documents, so every folder corpus-qa creates is 0700 and every
file 0600, whatever the umask: other users of the machine cannot read them.
"""

from __future__ import annotations

import os
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
