"""Building and refreshing an index, incrementally, as a generator of progress events.

Unchanged files (same size and modification time, or same content hash) keep their stored chunks and
vectors; changed files are re-chunked and re-embedded; deleted files drop out. A refresh of an unchanged
corpus reads no file and embeds nothing. The caller (CLI, chat) turns the events into a progress display.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from index import types
from index.build.events import BuildEvent, BuildSummary, FileSkipped, Notice, Progress
from index.build.spill import EMBED_WINDOW, Job, Loaded, Spill, Stash
from index.build.stale import index_folder, scan_exclusion
from index.errors import CorpusError, IndexOutdated, IndexWriteError
from index.memory import limit_arenas, release_freed_memory
from index.reading import ocr
from index.reading import progress as page_progress
from index.reading.formats import FORMATS_READ
from index.reading.load import load_document
from index.reading.scan import scan_corpus
from index.storage import IndexReader, IndexStore, IndexWriter, KeptDocument
from index.text.chunking import chunk_document
from index.threads import start_unsignalled
from index.types import Chunk, ChunkingParams, Document, FileStat, Skipped

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

    from index.embedding import Embedder

EMBED_BATCH = 256
"""Texts per batch a Ray runner's workers embed (index/build/ray.py); a local build sizes its calls by time."""

CALL_SECONDS = 0.5
"""What one call to the encoder aims to take: progress is reported between calls, so it moves at least every
second on a slow machine as on a fast one. The size of the next call (in characters) follows from the rate
of the last ones."""

CALL_CHARS = (512, 131_072)
"""Smallest and largest call, in characters of chunk text; a call starts at the smallest (the first one
loads the model) and at most doubles from one call to the next."""

RUNNER_WINDOW = 65_536
"""Jobs per call to a runner, at least (`BuildRunner.window`): what this process holds of the corpus's texts
while a cluster embeds them."""


"""A file read by a runner: its Document (or why it could not be read) and its chunks (None: not chunked yet)."""


class BuildRunner(Protocol):
    """Runs a build's reading, chunking and embedding somewhere else (index/build/ray.py: a Ray cluster);
    the builder plans, and feeds the writer, on this process. Without one, everything runs here."""

    def read(self, corpus: Path, sources: list[str], params: ChunkingParams,
             into: Stash) -> Iterator[BuildEvent]:
        """Read (and chunk) `sources`, putting each one's result in `into`; yields reading progress."""
        ...

    window: int
    """Jobs to send per `embed` call (each call may start the runner's workers again)."""

    def embed(self, jobs: list[tuple[str, list[tuple[int, int]]]], dim: int,
              put: Callable[[int, np.ndarray, np.ndarray], None]) -> Iterator[BuildEvent]:
        """Embed (text, sentence spans) jobs, calling `put(job index, chunk vector, sentence vectors)` for
        each, in any order, on this process; yields embedding progress."""
        ...


def read_document(corpus: Path, source: str) -> Document | str:
    """A file's Document, or the reason it cannot be indexed (one unreadable file never stops a build)."""
    try:
        return load_document(corpus, source)
    except Exception as exc:  # noqa: BLE001 - one unreadable file never stops the build
        return str(exc) if isinstance(exc, ValueError) else f"could not be read ({exc.__class__.__name__}: {exc})"


READ_AHEAD = 64
"""Documents the reading thread may hold, read and chunked, before the build takes them."""

READ_AHEAD_BYTES = 512 * 1024
"""Bytes of files the reading thread may hold read ahead (a file larger than this alone, when it holds
nothing else): small files go far ahead, so reading keeps going while the encoder runs, and a large one
(refman.pdf: about 100 MB of Python objects once parsed and chunked) is never held beside another."""


REPORT_EVERY = 0.25
"""Seconds between two reading steps reported while one file's pages are read."""


class _ReadAhead:
    """Reads and chunks the files a build needs, in their order, in a thread, while this one writes what was
    read and the encoder embeds it (the encoder's native code leaves the interpreter free, and the
    interpreter's work leaves part of a core free). `take` hands them over in the same order, reporting the
    pages of a PDF being read and the scanned pages OCR'd as they come."""

    def __init__(self, corpus: Path, todo: list[tuple[FileStat, KeptDocument | None]], embedder: Embedder,
                 params: ChunkingParams) -> None:
        import queue

        self.corpus, self.todo, self.embedder, self.params = corpus, todo, embedder, params
        self.messages: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self.lead = threading.Condition()
        """Guards `ahead`: how many documents, and bytes of their files, are read and not yet taken."""
        self.ahead = [0, 0]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="qa-read", daemon=True)
        self.started = False

    def _run(self) -> None:
        try:
            for st, old in self.todo:
                with self.lead:
                    while self.ahead[0] and (self.ahead[0] >= READ_AHEAD or self.ahead[1] + st.size > READ_AHEAD_BYTES):
                        if self.stopped.is_set():
                            return
                        self.lead.wait(timeout=0.2)
                    self.ahead[0] += 1
                    self.ahead[1] += st.size
                if self.stopped.is_set():
                    return
                self.messages.put(("read", st.source, st.size, *self._read(st.source, old)))
        except BaseException as exc:  # noqa: BLE001 - handed to the build, which raises it where it runs
            self.messages.put(("failed", exc))

    def _read(self, source: str, old: KeptDocument | None) -> tuple[Document | str, list[Chunk] | None]:
        def pages(done: int, total: int) -> None:
            self.messages.put(("pages", source, done, total))

        with ocr.reporting(lambda done, total: self.messages.put(("ocr", done, total))), \
                page_progress.reporting(pages):
            got = read_document(self.corpus, source)
        if isinstance(got, str) or (old is not None and old.sha256 == got.sha256):
            return got, None  # skipped, or the same content: nothing to chunk
        return got, chunk_document(got, self.embedder.count_tokens, self.params.max_tokens,
                                   self.params.overlap_tokens)

    def take(self, source: str, encoder: _Encoder | None,
             progress: Callable[[float], Progress]) -> Generator[BuildEvent, None, Loaded]:
        """The next file's Document (or why it was skipped) and its chunks (None: unchanged content, not
        chunked). While it is being read, the encoder embeds the windows already complete, a call at a time,
        and `progress(share of this file read)` is yielded after each call and as pages are read."""
        import queue

        if not self.started:
            self.started = True
            start_unsignalled(self.thread)
        share = 0.0
        told = time.monotonic()
        while True:
            if encoder is not None and self.messages.empty() and encoder.ready(final=False):
                encoder.step()
                told = time.monotonic()
                yield progress(share)
                continue
            try:
                message = self.messages.get(timeout=0.1)
            except queue.Empty:
                continue
            kind = message[0]
            if kind == "read":
                if message[1] != source:  # the thread reads the files in the build's order
                    raise RuntimeError(f"read {message[1]} while {source} was expected")
                with self.lead:
                    self.ahead[0] -= 1
                    self.ahead[1] -= message[2]
                    self.lead.notify()
                return message[3], message[4]
            if kind == "failed":
                raise message[1]
            if kind == "ocr":
                yield Progress("ocr", message[1], message[2])
            elif kind == "pages" and message[1] == source:
                share = message[2] / max(message[3], 1)
                if time.monotonic() - told >= REPORT_EVERY:
                    told = time.monotonic()
                    yield progress(share)

    def close(self) -> None:
        """Stop reading (a build that failed or was interrupted): the thread ends after the file it reads."""
        self.stopped.set()


def chunk_input(doc: Document, chunk: Chunk, params: ChunkingParams) -> tuple[str, list[tuple[int, int]]]:
    """The text the model reads for a chunk, and its sentences' spans inside that text."""
    prefix = len(doc.title) + 1 if params.title_context else 0
    body = doc.text[chunk.start : chunk.end]
    text = embedding_text(doc.title, body) if params.title_context else body
    return text, [(s.start - chunk.start + prefix, s.end - chunk.start + prefix) for s in chunk.sentences]


def embedding_text(title: str, chunk_text: str) -> str:
    """What the model sees for a chunk: its document's title as context, then the chunk."""
    return f"{title}\n{chunk_text}"


def _spill_folder(index: IndexStore) -> Path | None:
    """Where a build's spill goes: beside a local index (same disk), else in the cache folder, not in a
    temporary folder that may live in memory (tmpfs)."""
    folder = index_folder(index)
    if folder is not None and folder.is_dir():
        return folder
    from index.paths import scratch_dir

    return scratch_dir()


def build(
    corpus: Path,
    index: IndexStore,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    params: ChunkingParams = ChunkingParams(),
    runner: BuildRunner | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Iterator[BuildEvent]:
    """Build or refresh the index of `corpus` in `index`; yields progress and ends with a BuildSummary.
    With a `runner`, files are read, chunked and embedded by it (the same documents, chunks and vectors).
    `clock` times the build and sizes the encoder's calls (a test gives a fake one)."""
    started = clock()
    limit_arenas()  # before the reading thread and the encoder's threads make arenas of their own
    if not corpus.is_dir():
        raise CorpusError(f"The corpus folder {corpus} does not exist or is not a folder.")
    with index.write_lock():
        previous = None
        if not rebuild and index.exists():
            try:
                previous = index.open(embedder)
            except IndexOutdated as exc:  # a cache of the corpus: build it again rather than fail
                yield Notice(f"{exc.reason} Rebuilding it…", warning=True)
        try:
            yield from _build_locked(corpus, index, embedder, previous, params, started, runner, clock)
        finally:
            if previous is not None:
                previous.close()


def _build_locked(
    corpus: Path,
    index: IndexStore,
    embedder: Embedder,
    previous: IndexReader | None,
    params: ChunkingParams,
    started: float,
    runner: BuildRunner | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Iterator[BuildEvent]:
    # An index kept inside its own corpus must not index itself (its CURRENT pointer and lock are text).
    ignored: Counter[str] = Counter()
    stats = list(scan_corpus(corpus, scan_exclusion(index), ignored))
    reusable = previous is not None and (
        previous.manifest.max_tokens, previous.manifest.overlap_tokens, previous.manifest.title_context
    ) == (params.max_tokens, params.overlap_tokens, params.title_context)
    if reusable and previous is not None and previous.manifest.document_encoder != embedder.document_encoder:
        reusable = False  # one index, one document encoder: its vectors are never mixed with another's
        yield Notice(f"The index was embedded by {previous.manifest.document_encoder or 'an earlier version'}; "
                     f"embedding every document again with {embedder.document_encoder}.")
    elif reusable and previous is not None and previous.manifest.reader_version != types.READER_VERSION:
        reusable = False  # the documents' text and structure as these readers make them, not as earlier ones did
        yield Notice("The index was read by an earlier version of corpus-qa's document readers; reading and "
                     "embedding every document again.")
    old_docs: dict[str, KeptDocument] = {}
    if previous is not None and reusable:
        old_docs = previous.indexed_files()
        outdated = types.outdated_formats(previous.manifest.format_readers)
        # an upgrade's fix to one format's reader: only its files are read and embedded again
        again = {src for src in old_docs if types.of_format(src, outdated)} if outdated else set()
        if again:
            old_docs = {src: doc for src, doc in old_docs.items() if src not in again}
            yield Notice(f"{len(again)} {'/'.join(sorted(s.lstrip('.').upper() for s in outdated))} file"
                         f"{'s were' if len(again) != 1 else ' was'} read by an earlier version of "
                         "corpus-qa's reader; reading and embedding them again.")
        elif {s.source: s.key for s in stats} == previous.file_stats():
            m = previous.manifest
            yield BuildSummary(m.documents, m.chunks, 0, 0, previous.skipped(), clock() - started,
                               False, index.location, ignored=dict(ignored))
            return

    loaded: Stash | None = None
    if runner is not None:
        to_read = [st.source for st in stats if st.problem is None
                   and not (st.source in old_docs and old_docs[st.source].key == st.key)]
        loaded = Stash(_spill_folder(index))
        try:
            yield from runner.read(corpus, to_read, params, loaded)
        except BaseException:
            loaded.close()
            raise
    try:
        writer = index.writer(previous, embedder.dim, params.exact_limit)
    except (OSError, sqlite3.OperationalError) as exc:
        raise _write_failed(index, exc) from None
    spill: Spill | None = None
    try:
        spill = Spill(_spill_folder(index))
        encoder = _Encoder(embedder, spill, writer, clock) if runner is None else None
        skipped, changed, kept = yield from _read_all(corpus, stats, old_docs, loaded, embedder, params, writer,
                                                       spill, encoder)
        if not spill.count and not kept:
            raise CorpusError(
                f"The corpus folder {corpus} holds no indexable documents (looked for {FORMATS_READ} files "
                f"with text; {len(skipped)} skipped)."
            )
        release_freed_memory()  # what reading and chunking freed
        present = {st.source for st in stats}  # a file still there but skipped is not "removed"
        removed = sum(1 for src in old_docs if src not in present)
        total = spill.count
        if runner is not None:
            yield from _embed_with(runner, embedder.dim, spill, writer)
        elif encoder is not None:
            yield from _embed(encoder)
        yield Progress("writing", 0, 1)
        identity = (embedder.model_id, embedder.weights_hash, embedder.document_encoder)
        manifest = writer.publish(identity, params, corpus, skipped, {s.source: s for s in stats})
    except (OSError, sqlite3.OperationalError) as exc:
        writer.abort()  # leaves no tmp-* behind to keep the disk full
        raise _write_failed(index, exc) from None
    except BaseException:
        writer.abort()
        raise
    finally:
        if spill is not None:
            spill.close()
        if loaded is not None:
            loaded.close()
        ocr.shutdown()  # the OCR workers, if a scanned page started them
    yield Progress("writing", 1, 1)
    yield BuildSummary(
        manifest.documents, manifest.chunks, total, removed, tuple(skipped),
        clock() - started, True, index.location, changed=changed, ignored=dict(ignored),
    )


def _read_all(corpus: Path, stats: list[FileStat], old_docs: dict[str, KeptDocument], loaded: Stash | None,
              embedder: Embedder, params: ChunkingParams, writer: IndexWriter, spill: Spill,
              encoder: _Encoder | None) -> Generator[BuildEvent, None, tuple[list[Skipped], int, int]]:
    """Read and chunk every new or changed file (in a thread, `_ReadAhead`; or take it from what a runner
    `loaded`), write it and spill its embedding inputs; keep unchanged ones. The `encoder` embeds the
    windows already complete while the next files are read. One document at a time is written, so memory
    does not grow with the corpus (see Spill); a step of progress per file, and within a file as its pages
    are read. Returns the files skipped, and how many documents changed and were kept."""
    skipped: list[Skipped] = []
    changed = kept = 0
    read_bytes, all_bytes = 0, sum(st.size for st in stats)
    todo = [(st, old_docs.get(st.source)) for st in stats if st.problem is None
            and not (st.source in old_docs and old_docs[st.source].key == st.key)]
    ahead = _ReadAhead(corpus, todo, embedder, params) if loaded is None and todo else None
    try:
        for n, st in enumerate(stats):
            if loaded is None:  # a runner reports its own reading, of the files it was sent
                yield Progress("reading", n, len(stats), read_bytes, all_bytes)
            done_bytes = read_bytes
            read_bytes += st.size
            old = old_docs.get(st.source)
            if st.problem is None and old is not None and old.key == st.key:
                writer.keep(old.doc_id, st)
                kept += 1
                continue
            chunks: list[Chunk] | None = None
            got: Document | str
            if st.problem is not None:
                got = st.problem
            elif loaded is not None:
                got, chunks = loaded.pop(st.source)
            else:
                assert ahead is not None

                def reading(share: float, n: int = n, at: int = done_bytes, size: int = st.size) -> Progress:
                    return Progress("reading", n, len(stats), at + int(share * size), all_bytes)

                got, chunks = yield from ahead.take(st.source, encoder, reading)
            if isinstance(got, str):
                skip = Skipped(st.source, got)
                skipped.append(skip)
                yield FileSkipped(skip)
                continue
            for warning in got.warnings:
                yield Notice(f"{st.source}: {warning}", warning=True)
            if old is not None and old.sha256 == got.sha256:
                writer.keep(old.doc_id, st)
                kept += 1
                continue
            if chunks is None:
                chunks = chunk_document(got, embedder.count_tokens, params.max_tokens, params.overlap_tokens)
            chunk_base, sentence_rows = writer.add(got, st, chunks)
            spill.add([Job(chunk_base + k, c.end - c.start, *chunk_input(got, c, params),
                           [sentence_rows[(sp.start, sp.end)] for sp in c.sentences]) for k, c in enumerate(chunks)])
            changed += 1
    finally:
        if ahead is not None:
            ahead.close()
    if loaded is None:
        yield Progress("reading", len(stats), len(stats), all_bytes, all_bytes)
    return skipped, changed, kept


def _write_failed(index: IndexStore, exc: OSError | sqlite3.OperationalError) -> IndexWriteError:
    reason = (exc.strerror if isinstance(exc, OSError) else str(exc)) or exc.__class__.__name__
    return IndexWriteError(f"Could not write the index at {index.location} ({reason}); "
                           "the previous index is intact.")


class _Encoder:
    """Embeds the spill's windows a step at a time, each chunk once, its sentences' vectors pooled from the
    same pass, and hands the vectors to the writer. Chunks go longest first within windows of EMBED_WINDOW,
    so passes pad little; a step is sized to take about CALL_SECONDS (`clock` times them) and made of whole
    forward passes (`in_passes`), so the clock never changes a vector. Called while files are still read
    (complete windows only), then for the rest."""

    def __init__(self, embedder: Embedder, spill: Spill, writer: IndexWriter,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.embedder, self.spill, self.writer, self.clock = embedder, spill, writer, clock
        self.window: list[Job] = []
        self.cuts: set[int] = set()
        """Where a call may end in `window`: between two of the encoder's passes."""
        self.owners: dict[int, int] = {}
        """The chunk row that gives each sentence row of `window` its vector."""
        self.at = 0
        """The next job of `window` to embed."""
        self.size = CALL_CHARS[0]
        """Characters for the next call."""
        self.done = 0
        """Chunks embedded."""
        self.amount = 0
        """Characters of the chunks embedded."""

    def ready(self, final: bool) -> bool:
        """Whether a call can be made now: a window is under way or complete (or, once `final`, any is left)."""
        if self.at < len(self.window):
            return True
        window = self.spill.next_window(EMBED_WINDOW, final)
        if window is None:
            return False
        self.window, self.cuts, self.owners = in_passes(self.embedder, window)
        self.at = 0
        return True

    def step(self) -> None:
        """About `size` characters of the current window, in one call. With an encoder that has passes, the
        call is made of whole passes (`cuts`), so the texts that share a pass do not depend on the clock (the
        encoder groups a run of its own passes back into the same passes: `batches`), and it may run several
        of them at once."""
        window, start = self.window, self.at
        chars, end = 0, start
        while end < len(window) and (chars == 0 or chars + window[end].length <= self.size):
            chars += window[end].length
            end += 1
            while self.cuts and end not in self.cuts:
                chars += window[end].length
                end += 1
        began = self.clock()
        batch = window[start:end]
        chunk_vecs, sentence_vecs = self.embedder.embed_chunks([j.text for j in batch], [j.spans for j in batch])
        for row, job in enumerate(batch):
            own = [k for k, sentence in enumerate(job.sentence_rows) if self.owners[sentence] == job.chunk_row]
            self.writer.put(job.chunk_row, chunk_vecs[row], [job.sentence_rows[k] for k in own],
                            sentence_vecs[row][own])
        seconds = self.clock() - began
        self.at = end
        self.done, self.amount = self.done + end - start, self.amount + chars
        self.size = next_call_size(self.size, chars, seconds)
        if self.at >= len(window):
            self.window, self.at = [], 0


def in_passes(embedder: Embedder, window: list[Job]) -> tuple[list[Job], set[int], dict[int, int]]:
    """A window in the order of the encoder's forward passes (`passes`, where it has them); where a call may
    end: between two passes (an empty set: anywhere, for an encoder whose vectors do not depend on their
    batch); and which chunk gives each sentence its vector: of the chunks sharing a sentence, the first in
    the window's own order (longest first), whatever order the passes go in, as a runner's build does."""
    owners: dict[int, int] = {}
    for job in window:
        for row in job.sentence_rows:
            owners.setdefault(row, job.chunk_row)
    passes = getattr(embedder, "passes", None)
    if passes is None:
        return window, set(), owners
    groups = passes([job.text for job in window])
    cuts = set(itertools.accumulate(map(len, groups), initial=0))
    return [window[i] for group in groups for i in group], cuts, owners


def _embed(encoder: _Encoder) -> Iterator[BuildEvent]:
    """Embed what reading left (the windows embedded while reading count as done): a step per call."""
    spill = encoder.spill
    yield Progress("embedding", encoder.done, spill.count, encoder.amount, spill.chars)
    while encoder.ready(final=True):
        encoder.step()
        yield Progress("embedding", encoder.done, spill.count, encoder.amount, spill.chars)


def next_call_size(size: int, chars: int, seconds: float) -> int:
    """Characters for the next call: what the last call's rate does in CALL_SECONDS, at most twice `size`."""
    target = chars / seconds * CALL_SECONDS if seconds > 0 else 2 * size
    return int(max(CALL_CHARS[0], min(CALL_CHARS[1], 2 * size, target)))


def _embed_with(runner: BuildRunner, dim: int, spill: Spill, writer: IndexWriter) -> Iterator[BuildEvent]:
    """`_embed`, by a runner: the same texts in the same order, sent a runner window at a time (a runner
    starts its workers, and each loads the model, once per call, so a call gets many windows: at least
    `runner.window` jobs); vectors come back in any order and are written here."""
    done, total = 0, spill.count
    jobs: list[Job] = []
    for window in spill.windows(EMBED_WINDOW):
        jobs += window
        if len(jobs) >= runner.window:
            yield from _embed_call(runner, dim, jobs, writer, done, total)
            done += len(jobs)
            jobs = []
    if jobs:
        yield from _embed_call(runner, dim, jobs, writer, done, total)


def _embed_call(runner: BuildRunner, dim: int, jobs: list[Job], writer: IndexWriter, done: int,
                total: int) -> Iterator[BuildEvent]:
    def put(index: int, vector: np.ndarray, sentence_vectors: np.ndarray) -> None:
        job = jobs[index]
        writer.put(job.chunk_row, vector, job.sentence_rows, sentence_vectors)

    for event in runner.embed([(job.text, job.spans) for job in jobs], dim, put):
        yield Progress("embedding", done + event.done, total) if isinstance(event, Progress) else event
