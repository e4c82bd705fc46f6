"""Between reading and embedding: new chunks' embedding inputs, and what a runner read, kept in unnamed
temporary files (beside a local index, else in the cache folder; gone even after a kill) instead of memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from index.types import Chunk, Document

EMBED_WINDOW = 2048
"""New chunks ordered longest first together, so the model's batches pad little; a window's texts are all a
local build holds of the corpus while embedding. A window ends between two documents, or between two pieces
of this many chunks of a longer one: refman.pdf (7,561 chunks) used to be one window of 15 MB of texts."""

Loaded = tuple["Document | str", "list[Chunk] | None"]
"""What reading one file gives: the document (or why it was skipped) and its chunks."""


class Job(NamedTuple):
    """One new chunk to embed: where its vectors go, and what the model reads."""

    chunk_row: int
    length: int
    """Characters of the chunk, to order a window longest first."""
    text: str
    spans: list[tuple[int, int]]
    """Its sentences inside `text`."""
    sentence_rows: list[int]


class Stash:
    """What a runner read and chunked, by source, in an unnamed temporary file until the build takes it (one
    document at a time): a cluster reads the whole corpus before the first document is written here, and
    this process held all of it before."""

    def __init__(self, folder: Path | None) -> None:
        import tempfile

        self.file = tempfile.TemporaryFile(dir=folder)
        self.where: dict[str, tuple[int, int]] = {}

    def __setitem__(self, source: str, value: Loaded) -> None:
        import pickle

        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self.file.seek(0, 2)
        self.where[source] = (self.file.tell(), len(data))
        self.file.write(data)

    def __len__(self) -> int:
        return len(self.where)

    def pop(self, source: str) -> Loaded:
        import pickle

        offset, size = self.where.pop(source)
        self.file.seek(offset)
        return pickle.loads(self.file.read(size))  # our own file, written above

    def close(self) -> None:
        self.file.close()


class Spill:
    """The new chunks' embedding inputs between reading and embedding, in an unnamed temporary file (beside
    a local index, else in the cache folder; gone even after a kill). Every count is known once reading is
    done, so embedding progress is exact, while a local build holds one document and then one window of
    chunks, not the whole corpus: before, every new document's text and chunks stayed in memory until the
    end of the build. (A runner is sent many windows at once: see `_embed_with`.)"""

    def __init__(self, folder: Path | None) -> None:
        import tempfile

        self.file = tempfile.TemporaryFile(dir=folder)
        self.count = 0
        self.chars = 0
        """Characters of all the jobs' chunks: the work embedding has to do."""

    def add(self, jobs: list[Job]) -> None:
        import pickle

        for start in range(0, len(jobs), EMBED_WINDOW):
            pickle.dump(jobs[start : start + EMBED_WINDOW], self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += len(jobs)
        self.chars += sum(job.length for job in jobs)

    def windows(self, size: int) -> Iterator[list[Job]]:
        """The jobs in the order they were added, at least `size` at a time (or what is left), each window
        longest first. A window ends between documents, or between two pieces of EMBED_WINDOW jobs of one
        document, cut in its own order: so which of a document's chunks is embedded first (and gives a shared
        sentence its vector) depends on that document alone."""
        import pickle

        self.file.seek(0)
        window: list[Job] = []
        while True:
            try:
                window += pickle.load(self.file)  # our own file, written above: one document's jobs, or a piece
            except EOFError:
                break
            if len(window) >= size:
                yield sorted(window, key=lambda job: -job.length)
                window = []
        if window:
            yield sorted(window, key=lambda job: -job.length)

    def close(self) -> None:
        self.file.close()


