"""Building and refreshing an index (builder.py), here or on a Ray cluster (ray.py), with what waits between
reading and embedding kept in temporary files (spill.py). What a build reports (events.py) and whether an
index is behind its corpus (stale.py) import without the builder, which every question's refresh check
would otherwise load; `build` and `BuildRunner` load it when first used."""

from typing import TYPE_CHECKING, Any

from index.build.events import BuildEvent, BuildSummary, FileSkipped, Notice, Progress
from index.build.stale import is_stale, scan_exclusion

if TYPE_CHECKING:
    from index.build.builder import BuildRunner, build

# `from index.build import *` loads the builder too: `build` is in __all__
__all__ = ["BuildEvent", "BuildRunner", "BuildSummary", "FileSkipped", "Notice", "Progress", "build", "is_stale",
           "scan_exclusion"]


def __getattr__(name: str) -> Any:
    if name in ("build", "BuildRunner"):
        from index.build import builder

        return getattr(builder, name)
    raise AttributeError(f"module 'index.build' has no attribute {name!r}")
