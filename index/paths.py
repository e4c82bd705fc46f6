"""Where corpus-qa keeps derived data: the user's cache folder (XDG)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_home() -> Path:
    """`$XDG_CACHE_HOME/corpus-qa`, or `~/.cache/corpus-qa`."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "corpus-qa"
