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
from typing import TYPE_CHECKING

from index.chunking import chunk_document
from index.embedding import embed_chunks
from index.errors import CorpusError
from index.keyword_index import write_keyword_index
from index.keywords import keyword_tokens
from index.loaders import FileStat, Skipped, load_document, scan_corpus
from index.store import FORMAT_VERSION, SCHEMA, IndexDir, Manifest, Snapshot
from index.types import Chunk, Document
from index.vectors import EXACT_LIMIT, write_vectors

if TYPE_CHECKING:
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


BuildEvent = Progress | FileSkipped | BuildSummary


@dataclass
class _Planned:
    """A document going into the new generation: either reused from the old one, or new."""

    source: str
    stat: FileStat
    old_id: int | None = None
    doc: Document | None = None
    chunks: list[Chunk] = field(default_factory=list)
    chunk_vecs: np.ndarray | None = None
    sentence_vecs: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)


def embedding_text(title: str, chunk_text: str) -> str:
    """What the model sees for a chunk: its document's title as context, then the chunk."""
    return f"{title}\n{chunk_text}"


def is_stale(corpus: Path, snapshot: Snapshot) -> bool:
    """Whether any file was added, removed or touched since the snapshot was built (stats only)."""
    current = {s.source: (s.size, s.mtime_ns) for s in scan_corpus(corpus)}
    return current != snapshot.file_stats()


def build(
    corpus: Path,
    index: IndexDir,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    params: ChunkingParams = ChunkingParams(),
) -> Iterator[BuildEvent]:
    """Build or refresh the index of `corpus` in `index`; yields progress and ends with a BuildSummary."""
    started = time.perf_counter()
    if not corpus.is_dir():
        raise CorpusError(f"The corpus folder {corpus} does not exist or is not a folder.")
    with index.write_lock():
        previous = None if rebuild or not index.exists() else index.open(embedder)
        try:
            yield from _build_locked(corpus, index, embedder, previous, params, started)
        finally:
            if previous is not None:
                previous.close()


def _build_locked(
    corpus: Path,
    index: IndexDir,
    embedder: Embedder,
    previous: Snapshot | None,
    params: ChunkingParams,
    started: float,
) -> Iterator[BuildEvent]:
    stats = list(scan_corpus(corpus))
    reusable = previous is not None and (
        previous.manifest.max_tokens, previous.manifest.overlap_tokens, previous.manifest.title_context
    ) == (params.max_tokens, params.overlap_tokens, params.title_context)
    old_docs: dict[str, tuple[int, str, int, int]] = {}
    if previous is not None and reusable:
        rows = previous.conn.execute("SELECT source, id, sha256, size, mtime_ns FROM documents")
        old_docs = {src: (i, sha, size, mtime) for src, i, sha, size, mtime in rows}
        if {s.source: (s.size, s.mtime_ns) for s in stats} == previous.file_stats():
            m = previous.manifest
            yield BuildSummary(m.documents, m.chunks, 0, 0, _old_skipped(previous), time.perf_counter() - started,
                               False, str(index.path))
            return

    planned: list[_Planned] = []
    skipped: list[Skipped] = []
    for n, st in enumerate(stats):
        if n % 200 == 0:
            yield Progress("reading", n, len(stats))
        old = old_docs.get(st.source)
        if old is not None and (old[2], old[3]) == (st.size, st.mtime_ns):
            planned.append(_Planned(st.source, st, old_id=old[0]))
            continue
        try:
            doc = load_document(corpus, st.source)
        except Exception as exc:  # noqa: BLE001 - one unreadable file never stops the build
            reason = str(exc) if isinstance(exc, ValueError) else f"could not be read ({exc.__class__.__name__}: {exc})"
            skip = Skipped(st.source, reason)
            skipped.append(skip)
            yield FileSkipped(skip)
            continue
        if old is not None and old[1] == doc.sha256:
            planned.append(_Planned(st.source, st, old_id=old[0]))
        else:
            planned.append(_Planned(st.source, st, doc=doc))
    yield Progress("reading", len(stats), len(stats))

    present = {p.source for p in planned} | {s.source for s in skipped}
    removed = sum(1 for src in old_docs if src not in present)
    fresh = [p for p in planned if p.doc is not None]
    for p in fresh:
        assert p.doc is not None
        p.chunks = chunk_document(p.doc, embedder.count_tokens, params.max_tokens, params.overlap_tokens)
    if not any(p.chunks for p in fresh) and not any(p.old_id is not None for p in planned):
        raise CorpusError(
            f"The corpus folder {corpus} holds no indexable documents "
            f"(looked for .txt, .md, .rst, .pdf, .html, .docx and .epub files with text; {len(skipped)} skipped)."
        )

    # Each chunk is embedded once; its sentences' vectors are pooled from the same pass. Chunks go
    # longest-first across the whole run (not per progress batch) so batches pad little.
    jobs = [(p, k) for p in fresh for k in range(len(p.chunks))]
    texts, spans = [], []
    for p, k in jobs:
        assert p.doc is not None
        c = p.chunks[k]
        prefix = len(p.doc.title) + 1 if params.title_context else 0
        body = p.doc.text[c.start : c.end]
        texts.append(embedding_text(p.doc.title, body) if params.title_context else body)
        spans.append([(s.start - c.start + prefix, s.end - c.start + prefix) for s in c.sentences])
    total = len(texts)
    import numpy as np

    for p in fresh:
        p.chunk_vecs = np.zeros((len(p.chunks), embedder.dim), np.float32)
        p.sentence_vecs = {}
    order = sorted(range(total), key=lambda i: -len(texts[i]))
    for start in range(0, total, EMBED_BATCH):
        batch = order[start : start + EMBED_BATCH]
        chunk_vecs, sentence_vecs = embed_chunks(embedder, [texts[i] for i in batch], [spans[i] for i in batch])
        for row, i in enumerate(batch):
            p, k = jobs[i]
            p.chunk_vecs[k] = chunk_vecs[row]
            for sentence, vec in zip(p.chunks[k].sentences, sentence_vecs[row], strict=True):
                p.sentence_vecs.setdefault((sentence.start, sentence.end), vec)
        yield Progress("embedding", min(start + EMBED_BATCH, total), total)

    yield Progress("writing", 0, 1)
    tmp = index.new_generation()
    manifest = _write_generation(
        tmp, corpus, embedder, params, planned, skipped, {s.source: s for s in stats}, previous,
        params.exact_limit,
    )
    index.commit(tmp, manifest)
    yield Progress("writing", 1, 1)
    yield BuildSummary(
        manifest.documents, manifest.chunks, total, removed, tuple(skipped),
        time.perf_counter() - started, True, str(index.path),
    )


def _old_skipped(snapshot: Snapshot) -> tuple[Skipped, ...]:
    rows = snapshot.conn.execute("SELECT source, reason FROM skipped ORDER BY source")
    return tuple(Skipped(s, r) for s, r in rows)


def _unique_sentences(chunks: list[Chunk]) -> list:
    """The document's sentences in order, each once (chunks overlap)."""
    seen: dict[tuple[int, int], object] = {}
    for c in chunks:
        for s in c.sentences:
            seen.setdefault((s.start, s.end), s)
    return list(seen.values())


def _write_generation(
    tmp: Path,
    corpus: Path,
    embedder: Embedder,
    params: ChunkingParams,
    planned: list[_Planned],
    skipped: list[Skipped],
    stat_of: dict[str, FileStat],
    previous: Snapshot | None,
    exact_limit: int,
) -> Manifest:
    import numpy as np

    old_chunk_vecs = old_sentence_vecs = None
    if previous is not None and any(p.old_id is not None for p in planned):
        old_chunk_vecs = previous.vectors.vectors
        old_sentence_vecs = previous.sentence_vectors

    conn = sqlite3.connect(tmp / "meta.sqlite")
    conn.executescript(SCHEMA)
    chunk_rows: list[np.ndarray] = []
    sentence_rows: list[np.ndarray] = []
    bm25_tokens: list[list[str]] = []
    n_chunk = n_sentence = 0
    for doc_id, p in enumerate(planned):
        if p.old_id is not None:
            assert previous is not None and old_chunk_vecs is not None and old_sentence_vecs is not None
            doc = previous.document(p.old_id)
            sents = previous.conn.execute(
                "SELECT id, start, end FROM sentences WHERE doc_id = ? ORDER BY id", (p.old_id,)
            ).fetchall()
            chunks = previous.conn.execute(
                "SELECT id, start, end, n_tokens, first_sentence, last_sentence FROM chunks "
                "WHERE doc_id = ? ORDER BY id", (p.old_id,)
            ).fetchall()
            sent_map = {old: n_sentence + k for k, (old, _s, _e) in enumerate(sents)}
            chunk_rows.append(np.asarray(old_chunk_vecs[[c[0] for c in chunks]]))
            sentence_rows.append(np.asarray(old_sentence_vecs[[s[0] for s in sents]]))
            sentence_values = [(sent_map[i], doc_id, s, e) for i, s, e in sents]
            chunk_values = [
                (n_chunk + k, doc_id, s, e, nt, sent_map[f], sent_map[la])
                for k, (_i, s, e, nt, f, la) in enumerate(chunks)
            ]
        else:
            assert p.doc is not None
            doc = p.doc
            uniq = _unique_sentences(p.chunks)
            sent_map = {(s.start, s.end): n_sentence + k for k, s in enumerate(uniq)}
            chunk_rows.append(p.chunk_vecs)
            sentence_rows.append(np.stack([p.sentence_vecs[(s.start, s.end)] for s in uniq]))
            sentence_values = [(sent_map[(s.start, s.end)], doc_id, s.start, s.end) for s in uniq]
            chunk_values = [
                (n_chunk + k, doc_id, c.start, c.end, c.n_tokens,
                 sent_map[(c.sentences[0].start, c.sentences[0].end)],
                 sent_map[(c.sentences[-1].start, c.sentences[-1].end)])
                for k, c in enumerate(p.chunks)
            ]
        conn.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc_id, doc.source, doc.title, doc.date, doc.place, doc.sha256, p.stat.size, p.stat.mtime_ns,
             doc.body_start, doc.text, doc.format),
        )
        conn.executemany("INSERT INTO pages VALUES (?, ?, ?, ?, ?)",
                         [(doc_id, pg.number, pg.label, pg.start, pg.end) for pg in doc.pages])
        conn.executemany("INSERT INTO sections VALUES (?, ?, ?, ?, ?)",
                         [(doc_id, sc.start, sc.end, sc.level, sc.title) for sc in doc.sections])
        conn.executemany("INSERT INTO sentences VALUES (?, ?, ?, ?)", sentence_values)
        conn.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)", chunk_values)
        for _cid, _d, s, e, *_rest in chunk_values:
            bm25_tokens.append(keyword_tokens(doc.title + "\n" + doc.text[s:e]))
        n_chunk += len(chunk_values)
        n_sentence += len(sentence_values)
    conn.executemany(
        "INSERT INTO skipped VALUES (?, ?, ?, ?)",
        [(s.source, stat_of[s.source].size, stat_of[s.source].mtime_ns, s.reason) for s in skipped],
    )
    conn.commit()
    conn.close()

    dim = embedder.dim
    chunk_matrix = np.ascontiguousarray(np.concatenate(chunk_rows) if chunk_rows else np.zeros((0, dim)),
                                        dtype=np.float32)
    search = write_vectors(tmp, chunk_matrix, exact_limit)
    sentence_matrix = np.concatenate(sentence_rows) if sentence_rows else np.zeros((0, dim))
    np.save(tmp / "sentences.npy", np.ascontiguousarray(sentence_matrix, dtype=np.float32), allow_pickle=False)
    write_keyword_index(tmp / "bm25", bm25_tokens)
    return Manifest(
        format_version=FORMAT_VERSION, model_id=embedder.model_id, weights_hash=embedder.weights_hash,
        dim=dim, max_tokens=params.max_tokens, overlap_tokens=params.overlap_tokens,
        title_context=params.title_context, vector_index=search.kind,
        corpus=str(corpus.resolve()), documents=len(planned), chunks=n_chunk, sentences=n_sentence,
        created=time.time(),
    )
