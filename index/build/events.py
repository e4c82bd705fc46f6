"""What a build tells its caller as it goes (index/build/builder.py yields them): progress, files skipped, a
notice, and the summary at the end. Apart from the builder so that a caller that only reads these (a
question's refresh check, the CLI's progress display) does not import the builder."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.types import Skipped


@dataclass(frozen=True)
class Progress:
    """A step of a build: `done` of `total` items in `stage` (reading, embedding, writing)."""

    stage: str
    """What is happening."""
    done: int
    """Items finished."""
    total: int
    """Items in this stage."""
    amount: int = 0
    """Work done in this stage, in a unit that costs about the same everywhere (bytes of the files read,
    characters of the chunks embedded): items vary in size, so an estimate of the time left is based on
    this. 0 where not measured."""
    amount_total: int = 0
    """Work in this stage, in the unit of `amount` (0: not measured)."""


@dataclass(frozen=True)
class FileSkipped:
    """A file that will not be indexed; reported as it is found."""

    skipped: Skipped
    """Which file and why."""


@dataclass(frozen=True)
class BuildSummary:
    """What a build did; the last event of every build."""

    documents: int
    """Documents in the index now."""
    chunks: int
    """Chunks in the index now."""
    embedded: int
    """Chunks embedded during this run (0 when nothing changed)."""
    removed: int
    """Documents dropped because their file is gone."""
    skipped: tuple[Skipped, ...]
    """Files found but not indexed."""
    seconds: float
    """Wall time of the build."""
    updated: bool
    """Whether a new index generation was written."""
    index: str = ""
    """Index folder."""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    """Anything else worth telling the user."""
    changed: int = 0
    """Documents read and embedded during this run because their file is new or its content changed."""
    ignored: dict[str, int] = field(default_factory=dict)
    """Files in formats corpus-qa does not read, counted by extension (`{".png": 3}`), and under "(.qaignore)"
    the files and folders the corpus's .qaignore left out."""

    def to_dict(self) -> dict[str, object]:
        from index.reading.scan import EXCLUDED

        return {
            "documents": self.documents,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "removed": self.removed,
            "skipped": len(self.skipped),
            "skipped_files": [{"source": s.source, "reason": s.reason} for s in self.skipped],
            "seconds": round(self.seconds, 3),
            "updated": self.updated,
            "index": self.index,
            "ignored": {ext: n for ext, n in sorted(self.ignored.items(), key=lambda x: (-x[1], x[0]))
                        if ext != EXCLUDED},
            "excluded": self.ignored.get(EXCLUDED, 0),
        }


@dataclass(frozen=True)
class Notice:
    """Something to tell the user during a build or preparation that is not an error."""

    message: str
    """The text to show."""
    warning: bool = False
    """Something the answer depends on: shown even where progress chatter is hidden (`qa ask`)."""


BuildEvent = Progress | FileSkipped | BuildSummary | Notice
