"""Building and refreshing an index, incrementally, as a generator of progress events.

Unchanged files (same size and modification time, or same content hash) keep their stored chunks and
vectors; changed files are re-chunked and re-embedded; deleted files drop out. A refresh of an unchanged
corpus reads no file and embeds nothing. The caller (CLI, chat) turns the events into a progress display.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from index.chunking import chunk_document
from index.errors import CorpusError, IndexOutdated, IndexWriteError
from index.generation import unique_sentences
from index.loaders import FileStat, Skipped, load_document, scan_corpus
from index.memory import release_freed_memory
from index.storage import IndexReader, IndexStore, IndexWriter, KeptDocument
from index.types import Chunk, Document
from index.vectors import EXACT_LIMIT

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

    from index.embedding import Embedder

EMBED_BATCH = 256
"""Texts handed to the model per call; progress is reported between calls."""


@dataclass(frozen=True)
class ChunkingParams:
    """How documents are cut into chunks."""

    max_tokens: int = 200
    """Chunk size limit in model tokens (the model reads 256; the title takes some)."""
    overlap_tokens: int = 40
    """Whole sentences worth at most this many tokens are repeated at the start of the next chunk."""
    title_context: bool = True
    """Embed each chunk with its document's title in front (the title is not part of any quote)."""
    exact_limit: int = EXACT_LIMIT
    """From this many chunks on, vectors are searched with a tuned IVF index instead of exactly."""


@dataclass(frozen=True)
class Progress:
    """A step of a build: `done` of `total` items in `stage` (reading, embedding, writing)."""

    stage: str
    """What is happening."""
    done: int
    """Items finished."""
    total: int
    """Items in this stage."""


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

    def to_dict(self) -> dict[str, object]:
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
        }


@dataclass(frozen=True)
class Notice:
    """Something to tell the user during a build or preparation that is not an error."""

    message: str
    """The text to show."""
    warning: bool = False
    """Something the answer depends on: shown even where progress chatter is hidden (`qa ask`)."""


BuildEvent = Progress | FileSkipped | BuildSummary | Notice

Loaded = tuple["Document | str", "list[Chunk] | None"]
"""A file read by a runner: its Document (or why it could not be read) and its chunks (None: not chunked yet)."""


class BuildRunner(Protocol):
    """Runs a build's reading, chunking and embedding somewhere else (index/ray_build.py: a Ray cluster);
    the builder plans, and feeds the writer, on this process. Without one, everything runs here."""

    def read(self, corpus: Path, sources: list[str], params: ChunkingParams,
             into: dict[str, Loaded]) -> Iterator[BuildEvent]:
        """Read (and chunk) `sources`, putting each one's result in `into`; yields reading progress."""
        ...

    def embed(self, jobs: list[tuple[str, list[tuple[int, int]]]], dim: int,
              put: Callable[[int, np.ndarray, np.ndarray], None]) -> Iterator[BuildEvent]:
        """Embed (text, sentence spans) jobs, calling `put(job index, chunk vector, sentence vectors)` for
        each, in any order, on this process; yields embedding progress."""
        ...


@dataclass
class _Planned:
    """A document going into the new generation: either kept from the old one, or new."""

    source: str
    stat: FileStat
    old_id: int | None = None
    doc: Document | None = None
    chunks: list[Chunk] = field(default_factory=list)
    chunk_base: int = 0
    """Row of its first chunk in the new generation (new documents)."""
    sentence_rows: dict[tuple[int, int], int] = field(default_factory=dict)
    """(start, end) of each of its sentences -> row in the new generation (new documents)."""
    chunked: bool = False
    """Whether `chunks` came chunked from a runner."""


def read_document(corpus: Path, source: str) -> Document | str:
    """A file's Document, or the reason it cannot be indexed (one unreadable file never stops a build)."""
    try:
        return load_document(corpus, source)
    except Exception as exc:  # noqa: BLE001 - one unreadable file never stops the build
        return str(exc) if isinstance(exc, ValueError) else f"could not be read ({exc.__class__.__name__}: {exc})"


def chunk_input(doc: Document, chunk: Chunk, params: ChunkingParams) -> tuple[str, list[tuple[int, int]]]:
    """The text the model reads for a chunk, and its sentences' spans inside that text."""
    prefix = len(doc.title) + 1 if params.title_context else 0
    body = doc.text[chunk.start : chunk.end]
    text = embedding_text(doc.title, body) if params.title_context else body
    return text, [(s.start - chunk.start + prefix, s.end - chunk.start + prefix) for s in chunk.sentences]


def embedding_text(title: str, chunk_text: str) -> str:
    """What the model sees for a chunk: its document's title as context, then the chunk."""
    return f"{title}\n{chunk_text}"


def index_folder(index: IndexStore | str) -> Path | None:
    """The local folder an index store lives in (skipped when it is inside the corpus), if it has one."""
    location = index if isinstance(index, str) else index.location
    return Path(location) if location and "://" not in location else None


def is_stale(corpus: Path, snapshot: IndexReader, index: IndexStore | str | None = None) -> bool:
    """Whether any file was added, removed or touched since the snapshot was built (stats only)."""
    exclude = index_folder(index) if index is not None else None
    current = {s.source: s.key for s in scan_corpus(corpus, exclude)}
    return current != snapshot.file_stats()


def build(
    corpus: Path,
    index: IndexStore,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    params: ChunkingParams = ChunkingParams(),
    runner: BuildRunner | None = None,
) -> Iterator[BuildEvent]:
    """Build or refresh the index of `corpus` in `index`; yields progress and ends with a BuildSummary.
    With a `runner`, files are read, chunked and embedded by it (the same documents, chunks and vectors)."""
    started = time.perf_counter()
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
            yield from _build_locked(corpus, index, embedder, previous, params, started, runner)
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
) -> Iterator[BuildEvent]:
    # An index kept inside its own corpus must not index itself (its CURRENT pointer and lock are text).
    stats = list(scan_corpus(corpus, index_folder(index)))
    reusable = previous is not None and (
        previous.manifest.max_tokens, previous.manifest.overlap_tokens, previous.manifest.title_context
    ) == (params.max_tokens, params.overlap_tokens, params.title_context)
    old_docs: dict[str, KeptDocument] = {}
    if previous is not None and reusable:
        old_docs = previous.indexed_files()
        if {s.source: s.key for s in stats} == previous.file_stats():
            m = previous.manifest
            yield BuildSummary(m.documents, m.chunks, 0, 0, previous.skipped(), time.perf_counter() - started,
                               False, index.location)
            return

    loaded: dict[str, Loaded] = {}
    if runner is not None:
        to_read = [st.source for st in stats if st.problem is None
                   and not (st.source in old_docs and old_docs[st.source].key == st.key)]
        yield from runner.read(corpus, to_read, params, loaded)
    planned: list[_Planned] = []
    skipped: list[Skipped] = []
    for n, st in enumerate(stats):
        if n % 200 == 0 and runner is None:
            yield Progress("reading", n, len(stats))
        old = old_docs.get(st.source)
        if st.problem is not None:
            skip = Skipped(st.source, st.problem)
            skipped.append(skip)
            yield FileSkipped(skip)
            continue
        if old is not None and old.key == st.key:
            planned.append(_Planned(st.source, st, old_id=old.doc_id))
            continue
        chunks = None
        if runner is not None:
            got, chunks = loaded.pop(st.source)
        else:
            got = read_document(corpus, st.source)
        if isinstance(got, str):
            skip = Skipped(st.source, got)
            skipped.append(skip)
            yield FileSkipped(skip)
            continue
        if old is not None and old.sha256 == got.sha256:
            planned.append(_Planned(st.source, st, old_id=old.doc_id))
        else:
            planned.append(_Planned(st.source, st, doc=got, chunks=chunks if chunks is not None else []))
            if chunks is not None:
                planned[-1].chunked = True
    if runner is None:  # a runner reported its own reading, of the files it was sent
        yield Progress("reading", len(stats), len(stats))

    present = {p.source for p in planned} | {s.source for s in skipped}
    removed = sum(1 for src in old_docs if src not in present)
    fresh = [p for p in planned if p.doc is not None]
    for p in fresh:
        assert p.doc is not None
        if p.chunked:
            continue
        p.chunks = chunk_document(p.doc, embedder.count_tokens, params.max_tokens, params.overlap_tokens)
    if not any(p.chunks for p in fresh) and not any(p.old_id is not None for p in planned):
        raise CorpusError(
            f"The corpus folder {corpus} holds no indexable documents "
            f"(looked for .txt, .md, .rst, .pdf, .html, .docx and .epub files with text; {len(skipped)} skipped)."
        )

    release_freed_memory()  # what reading and chunking freed
    # Every count is known before anything is embedded, so the vectors stream into files of the right size.
    sizes: dict[int, tuple[int, int]] = {}
    if previous is not None and any(p.old_id is not None for p in planned):
        sizes = previous.document_sizes()
    kept = [sizes.get(p.old_id, (0, 0)) for p in planned if p.old_id is not None]
    n_chunks = sum(len(p.chunks) for p in fresh) + sum(c for c, _s in kept)
    n_sentences = sum(len(unique_sentences(p.chunks)) for p in fresh) + sum(s for _c, s in kept)

    try:
        writer = index.writer(previous, embedder.dim, n_chunks, n_sentences, params.exact_limit)
    except (OSError, sqlite3.OperationalError) as exc:
        raise _write_failed(index, exc) from None
    try:
        yield Progress("writing", 0, 1)
        for p in planned:
            if p.old_id is not None:
                writer.keep(p.old_id, p.stat)
            else:
                assert p.doc is not None
                p.chunk_base, p.sentence_rows = writer.add(p.doc, p.stat, p.chunks)
        total = sum(len(p.chunks) for p in fresh)
        if runner is None:
            yield from _embed(embedder, fresh, writer, params, total)
        else:
            yield from _embed_with(runner, embedder.dim, fresh, writer, params)
        yield Progress("writing", 0, 1)
        manifest = writer.publish((embedder.model_id, embedder.weights_hash), params, corpus, skipped,
                                  {s.source: s for s in stats})
    except (OSError, sqlite3.OperationalError) as exc:
        writer.abort()  # leaves no tmp-* behind to keep the disk full
        raise _write_failed(index, exc) from None
    except BaseException:
        writer.abort()
        raise
    yield Progress("writing", 1, 1)
    yield BuildSummary(
        manifest.documents, manifest.chunks, total, removed, tuple(skipped),
        time.perf_counter() - started, True, index.location, changed=len(fresh),
    )


def _write_failed(index: IndexStore, exc: OSError | sqlite3.OperationalError) -> IndexWriteError:
    reason = (exc.strerror if isinstance(exc, OSError) else str(exc)) or exc.__class__.__name__
    return IndexWriteError(f"Could not write the index at {index.location} ({reason}); "
                           "the previous index is intact.")


def _embed(embedder: Embedder, fresh: list[_Planned], writer: IndexWriter, params: ChunkingParams,
           total: int) -> Iterator[BuildEvent]:
    """Embed every new chunk once, its sentences' vectors pooled from the same pass, and hand the vectors to
    the writer batch by batch. Chunks go longest first across the whole run (not per progress batch) so
    batches pad little; their texts are made per batch, never all at once."""
    jobs = [(p, k) for p in fresh for k in range(len(p.chunks))]
    length = [p.chunks[k].end - p.chunks[k].start for p, k in jobs]
    order = sorted(range(len(jobs)), key=lambda i: -length[i])
    for start in range(0, len(order), EMBED_BATCH):
        batch = [jobs[i] for i in order[start : start + EMBED_BATCH]]
        texts, spans = [], []
        for p, k in batch:
            assert p.doc is not None
            text, sentence_spans = chunk_input(p.doc, p.chunks[k], params)
            texts.append(text)
            spans.append(sentence_spans)
        chunk_vecs, sentence_vecs = embedder.embed_chunks(texts, spans)
        for row, (p, k) in enumerate(batch):
            c = p.chunks[k]
            writer.put(p.chunk_base + k, chunk_vecs[row], [p.sentence_rows[(s.start, s.end)] for s in c.sentences],
                       sentence_vecs[row])
        yield Progress("embedding", min(start + EMBED_BATCH, total), total)


def _embed_with(runner: BuildRunner, dim: int, fresh: list[_Planned], writer: IndexWriter,
                params: ChunkingParams) -> Iterator[BuildEvent]:
    """`_embed`, by a runner: the same texts, longest first; vectors come back in any order and are written
    here."""
    jobs = [(p, k) for p in fresh for k in range(len(p.chunks))]
    length = [p.chunks[k].end - p.chunks[k].start for p, k in jobs]
    jobs = [jobs[i] for i in sorted(range(len(jobs)), key=lambda i: -length[i])]
    inputs = []
    for p, k in jobs:
        assert p.doc is not None
        inputs.append(chunk_input(p.doc, p.chunks[k], params))

    def put(job: int, vector: np.ndarray, sentence_vectors: np.ndarray) -> None:
        p, k = jobs[job]
        c = p.chunks[k]
        writer.put(p.chunk_base + k, vector, [p.sentence_rows[(s.start, s.end)] for s in c.sentences],
                   sentence_vectors)

    yield from runner.embed(inputs, dim, put)
