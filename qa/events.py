"""One wording for what preparing and indexing report, shared by every front end: the CLI prints it, the
chat shows it in its status line, matched by type (not by class-name strings). Each front end still decides
what to show: the CLI draws its own bar for progress and hides notices when quiet. The text may hold file
names: each front end escapes it its own way (qa/display.py)."""

from __future__ import annotations

from index.build import BuildEvent, BuildSummary, FileSkipped, Progress
from qa.engine import Notice


def describe(event: BuildEvent | Notice) -> tuple[str, float | None]:
    """The line a person reads for `event`, and how far along it is (0..1), None when not measurable."""
    if isinstance(event, Progress):
        fraction = event.done / event.total if event.total else None
        label = "OCR of scanned pages" if event.stage == "ocr" else event.stage.capitalize()
        return f"{label} {event.done}/{event.total}…", fraction
    if isinstance(event, FileSkipped):
        return f"skipped {event.skipped.source}: {event.skipped.reason}", None
    if isinstance(event, Notice):
        return event.message, None
    if isinstance(event, BuildSummary):
        state = "updated" if event.updated else "already up to date"
        return f"Index {state}: {event.documents} documents, {event.chunks} chunks.", 1.0
    raise TypeError(f"not a build event: {event!r}")
