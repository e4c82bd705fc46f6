"""Building and refreshing an index (builder.py), here or on a Ray cluster (ray.py), with what waits between
reading and embedding kept in temporary files (spill.py)."""

from index.build.builder import (
    BuildEvent,
    BuildRunner,
    BuildSummary,
    FileSkipped,
    Notice,
    Progress,
    build,
    is_stale,
    scan_exclusion,
)

__all__ = ["BuildEvent", "BuildRunner", "BuildSummary", "FileSkipped", "Notice", "Progress", "build", "is_stale",
           "scan_exclusion"]
