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
    a local index, else in the cache folder; gone even after a kill). A local build holds one document and
    then one window of chunks, not the whole corpus: before, every new document's text and chunks stayed in
    memory until the end of the build. Windows are taken while documents are still being added (the encoder
    works while the next files are read), and each window holds the same jobs whenever it is taken. (A
    runner is sent many windows at once: see `_embed_with`.)"""

    def __init__(self, folder: Path | None) -> None:
        import tempfile

        self.file = tempfile.TemporaryFile(dir=folder)
        self.count = 0
        self.chars = 0
        """Characters of all the jobs' chunks: the work embedding has to do."""
        self._read_at = 0
        """Where the next piece not yet taken into a window starts in the file."""
        self._pending: list[Job] = []
        """Jobs read from the file that do not fill a window yet."""

    def add(self, jobs: list[Job]) -> None:
        import pickle

        self.file.seek(0, 2)
        for start in range(0, len(jobs), EMBED_WINDOW):
            pickle.dump(jobs[start : start + EMBED_WINDOW], self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += len(jobs)
        self.chars += sum(job.length for job in jobs)

    def next_window(self, size: int, final: bool) -> list[Job] | None:
        """The next window of at least `size` jobs, longest first, in the order the jobs were added; None
        while fewer than `size` are waiting, unless `final` (nothing more will be added): then what is left,
        or None when nothing is. A window ends between documents, or between two pieces of EMBED_WINDOW jobs
        of one document, cut in its own order: so which of a document's chunks is embedded first (and gives a
        shared sentence its vector) depends on that document alone, not on when the window was taken."""
        import pickle

        self.file.seek(self._read_at)
        try:
            while len(self._pending) < size:
                try:
                    self._pending += pickle.load(self.file)  # our own file, written above: a document's jobs
                except EOFError:
                    break
        finally:
            self._read_at = self.file.tell()
        if not self._pending or (len(self._pending) < size and not final):
            return None
        window, self._pending = self._pending, []
        return sorted(window, key=lambda job: -job.length)

    def windows(self, size: int) -> Iterator[list[Job]]:
        """Every window left (see `next_window`), once all the jobs are added."""
        while (window := self.next_window(size, final=True)) is not None:
            yield window

    def close(self) -> None:
        self.file.close()
