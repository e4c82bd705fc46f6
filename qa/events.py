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


def progress_line(event: BuildEvent | Notice, estimate: Estimate, now: float) -> tuple[str, float | None]:
    """`describe`, with the time left of a running stage once `estimate` (fed every event, seen at `now`)
    knows it: "Embedding 1200/4056…, about 1:10 left" in the chat's status line."""
    text, fraction = describe(event)
    if isinstance(event, Progress):
        left = estimate.update(event, now)
        if left is not None and event.done < event.total:
            text += f" about {clock_time(left)} left"
    return text, fraction


class Estimate:
    """How long a stage has left, from its average rate since its first step was done (that step holds the
    model's loading, which says nothing of the rest). The rate is of work (`Progress.amount`: bytes read,
    characters embedded) where the builder measures it, else of items: chunks go longest first, so a rate of
    chunks would make the estimate fall as the short ones come. An average over the whole stage, not a
    recent window, so the estimate moves only as much as the machine's speed really changes."""

    def __init__(self) -> None:
        self.stage = ""
        self.origin: tuple[float, float, int] | None = None
        """(time, work, items) at the stage's first step done."""
        self.rate: float | None = None
        """Items per second since that step, once known."""

    def update(self, event: Progress, now: float) -> float | None:
        """Seconds left after `event`, seen at `now`; None until two steps of the stage have been seen."""
        work, total = (event.amount, event.amount_total) if event.amount_total else (event.done, event.total)
        if event.stage != self.stage:
            self.stage, self.origin, self.rate = event.stage, None, None
        if self.origin is None or self.origin[1] <= 0:
            self.origin = (now, work, event.done)
            return None
        began, work0, items0 = self.origin
        if now <= began or work <= work0:
            return None
        self.rate = (event.done - items0) / (now - began)
        return (total - work) * (now - began) / (work - work0)


def clock_time(seconds: float) -> str:
    """0:42, 12:05, 1:02:05."""
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
