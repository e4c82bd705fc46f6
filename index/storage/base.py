"""The storage interface: what the builder writes through and retrieval reads through.

An index is published as a whole ("a generation"): readers open one consistent view (`IndexReader`) and
keep it while a writer prepares the next one (`IndexWriter`) and publishes it atomically. Two backends
implement it today:

- local (index/storage/local/): a folder with generations, a CURRENT pointer and a lock file; vectors in
  memory-mapped numpy files, BM25 in numpy arrays, text and offsets in SQLite. The default, and the fastest
  for one machine.

- milvus (index/storage/milvus/): collections in Milvus Lite (`milvus:///path/index.db`) or a Milvus server
  (`milvus://host:19530`, `milvus+https://host`); each generation a set of collections published by
  switching an alias.

This module holds what both share and imports neither: the protocols, the manifest and format version, the
cross-process write lock, BM25's parameters, and the checks and row planning both apply. The choice is a
URI (`--store`, `QA_STORE`), made in index/storage/__init__.py, the only place that names a backend;
backends are imported only when chosen. Everything that is not storage (chunking, embedding, fusion,
answers, quote verification) is shared, so every backend gives the same answers.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol

from index.errors import IndexBusyError, IndexStateError, IndexWriteError, UsageError
from index.paths import PRIVATE_FILE
from index.types import Chunk, ChunkingParams, FileStat, Skipped, Span

if TYPE_CHECKING:
    import numpy as np

    from index.embedding import Embedder
    from index.filters import Where
    from index.types import Document, DocumentInfo


FORMAT_VERSION = 8
"""8: anchors (element ids, paragraph and row numbers), OCR pages, a text file's detected encoding and each
document's time of indexing; 7: structural units (definitions, code blocks, table rows) and the names
vocabulary; 6: title keys, chunk table and vector checksums; 5: pages and sections of PDF/HTML/DOCX/EPUB."""
K1 = 1.5
B = 0.75
"""BM25's parameters (Lucene's variant), the same in every backend, so they rank alike."""


@dataclass(frozen=True)
class ChunkRow:
    """A chunk as stored: its id, document, span and sentence range."""

    id: int
    """Chunk id (0..chunks-1 in a generation)."""
    doc_id: int
    """Document id."""
    start: int
    """Start offset in the document text."""
    end: int
    """End offset in the document text."""
    first_sentence: int
    """Id of the chunk's first sentence."""
    last_sentence: int
    """Id of its last sentence, inclusive."""


@dataclass(frozen=True)
class KeptDocument:
    """What the previous generation knows about a file, to decide whether it must be read again."""

    doc_id: int
    """Its id in the previous generation."""
    sha256: str
    """Hash of its text."""
    key: tuple[int, int, int]
    """(size, mtime_ns, ctime_ns) when it was read."""


class IndexReader(Protocol):
    """One published generation, read-only. Ids are dense: chunks 0..manifest.chunks-1, sentences likewise."""

    manifest: Manifest
    location: str
    """Where the index is, for messages."""
    rebuild_hint: str
    """What to run when it is damaged (`qa index --rebuild`, with `--store URI` for Milvus)."""
    term_cache: dict[int, frozenset[str]]
    """Sentence id -> keyword terms, filled as answers are composed."""

    # documents
    def document(self, doc_id: int) -> Document: ...
    def document_by_source(self, source: str) -> Document | None: ...
    def documents_titled(self, keys: list[str]) -> dict[str, list[tuple[int, bool]]]: ...
    def sources(self) -> list[tuple[str, str]]: ...
    def catalog(self, where: Where | None = None) -> list[DocumentInfo]:
        """Every document (that `where` lets through), by source, without its text."""
        ...
    def indexed_files(self) -> dict[str, KeptDocument]: ...
    def file_stats(self) -> dict[str, tuple[int, int, int]]: ...
    def skipped(self) -> tuple[Skipped, ...]: ...

    # chunks and sentences
    def chunk(self, chunk_id: int) -> ChunkRow: ...
    def sentences_of(self, chunk: ChunkRow) -> list[tuple[int, Span]]: ...
    def document_rows(self, doc_id: int) -> tuple[list[tuple[int, int, int]],
                                                  list[tuple[int, int, int, int, int, int]]]:
        """(sentences as (id, start, end), chunks as (id, start, end, n_tokens, first, last)) of a document."""
        ...
    def chunks_of(self, doc_id: int, limit: int) -> list[int]: ...
    def chunk_documents(self, chunk_ids: list[int]) -> dict[int, int]: ...
    def sentence_ranges(self, chunk_ids: list[int]) -> dict[int, tuple[int, int]]: ...
    def chunk_texts(self, limit: int) -> list[str]: ...
    def openings(self, chars: int, ids: Sequence[int] | None = None) -> list[tuple[int, str, str]]:
        """(id, title, its text's first `chars` characters, at most 16,000) of every document, or of those `ids`,
        by id: for choosing documents by how they open (a set's members, qa/multipart.py), never for quoting, so
        not checked against the text's hash (only a whole text can be). Milvus reads each document's first
        stored piece of text (up to 16,000 characters) to cut it: about 0.8 s for 3,000 long documents."""
        ...

    # vectors and search
    def chunk_vectors(self, ids: Sequence[int]) -> np.ndarray: ...
    def sentence_vectors_of(self, ids: Sequence[int]) -> np.ndarray: ...
    def dense_search(self, qvec: np.ndarray, k: int, where: Where | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The k chunks nearest the question (among the documents `where` lets through), best first."""
        ...
    def dense_scores(self, ids: list[int], qvec: np.ndarray) -> np.ndarray: ...
    def keyword_search(self, terms: list[str], k: int, where: Where | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The k chunks with the best BM25 score (among the documents `where` lets through), best first."""
        ...
    def documents_matching(self, where: Where) -> set[int]: ...
    def document_frequency(self, term: str) -> int: ...
    def accented_frequency(self, term: str) -> int:
        """How many chunks hold a term the keyword index writes with accents where `term` has none ("dalí",
        "são" for "dali", "sao"): a question typed without them still names what the documents say."""
        ...
    def name_frequency(self, key: str) -> int:
        """How many documents hold a name written as code (index.text.keywords.names_in), by its lookup key."""
        ...
    def keyword_chunks(self) -> int: ...

    def stale(self) -> bool:
        """Whether another process published a newer generation that the engine should open instead."""
        ...
    def close(self) -> None: ...


class IndexWriter(Protocol):
    """Prepares the next generation; nothing is visible to readers until `publish`."""

    def keep(self, old_id: int, stat: FileStat) -> None:
        """Carry a document over from the previous generation without re-embedding it."""
        ...

    def add(self, doc: Document, stat: FileStat, chunks: Sequence[Chunk]) -> tuple[int, dict[tuple[int, int], int]]:
        """Add a new document; returns its first chunk id and each sentence's id, for `put`."""
        ...

    def put(self, chunk_row: int, vector: np.ndarray, sentence_rows: Sequence[int], vectors: np.ndarray) -> None:
        """Store one embedded chunk's vector and its sentences' vectors."""
        ...

    def publish(self, embedder_id: EmbedderId, params: ChunkingParams, corpus: Path,
                skipped: Sequence[Skipped], stat_of: dict[str, FileStat]) -> Manifest:
        """Finish the generation and make it the one readers open, atomically."""
        ...

    def abort(self) -> None:
        """Throw the unfinished generation away."""
        ...


class IndexStore(Protocol):
    """Where an index lives."""

    location: str
    """Where the index is, for messages."""
    rebuild_hint: str
    """What to run when it is damaged."""

    def exists(self) -> bool: ...
    def private_file(self, name: str) -> Path:
        """Where a private file of this index goes (the MCP server's token): inside its folder (claimed as a
        build would claim it), beside a Milvus Lite file, or in the cache folder for a Milvus server."""
        ...
    def open(self, embedder: Embedder | None = None) -> IndexReader: ...
    def write_lock(self, wait: bool = False) -> AbstractContextManager[None]: ...
    def writer(self, previous: IndexReader | None, dim: int, exact_limit: int) -> IndexWriter: ...
    def close(self) -> None:
        """Let go of the store's connection, if it has one."""
        ...


def check_text(text: str, sha256: str, source: str, location: str, hint: str) -> None:
    """A stored document's text must be what its SHA-256 says, whatever the backend: one flipped byte changed a
    quote that was then shown as verified (quotes are checked against this very text). Raises
    IndexStateError."""
    import hashlib

    if hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() != sha256:
        raise IndexStateError(f"The index at {location} is damaged (the stored text of {source!r} does not match "
                              f"its checksum). {hint}")


def not_a_folder(path: Path, how: str = "--index DIR or QA_INDEX") -> UsageError:
    """The error for an index location that is a file (not "damaged": it never was an index)."""
    return UsageError(f"The index location {path} is a file, not a folder: give a folder for the index ({how}).")


EmbedderId = tuple[str, str, str]
"""What an index records of its embedder: model name, weights hash, document encoder."""


@dataclass(frozen=True)
class Manifest:
    """What an index was built with; an index is only used by the same model, format and chunking."""

    format_version: int
    """Layout version of the index folder."""
    model_id: str
    """Embedding model name."""
    weights_hash: str
    """Hash of the model weights."""
    dim: int
    """Vector length."""
    max_tokens: int
    """Chunk size limit, in model tokens."""
    overlap_tokens: int
    """Overlap between neighbouring chunks, in model tokens."""
    title_context: bool
    """Whether chunks were embedded with their document title in front."""
    vector_index: str
    """`flat` (exact) or `ivf-sq8` (approximate, re-scored exactly); see index/vectors.py."""
    corpus: str
    """Absolute path of the corpus folder the index was built from."""
    documents: int
    """Number of documents."""
    chunks: int
    """Number of chunks (= rows of chunks.npy)."""
    sentences: int
    """Number of sentences."""
    created: float
    """Unix time of the build."""
    checksums: dict[str, list[int]] = field(default_factory=dict)
    """File name -> CRC-32 of each 1 MiB block of its data, checked on open (a sample of blocks)."""
    document_encoder: str = ""
    """What embedded the chunks (`onnx-int8`, `torch-bf16`, ...; empty: before it was recorded). A refresh
    by another encoder embeds every chunk again rather than mix two encoders' vectors in one index."""
    reader_version: int = 0
    """The format readers' version that read the documents (index.types.READER_VERSION; 0: before it was
    recorded). A build by other readers reads every document again."""
    format_readers: dict[str, int] = field(default_factory=dict)
    """The version of each format's reader that read the documents of that format (index.types.FORMAT_READERS;
    a format not named: 0). A build by another reads that format's documents again."""

    @classmethod
    def of_build(cls, embedder_id: EmbedderId, params: ChunkingParams, corpus: Path, dim: int,
                 vector_index: str, counts: tuple[int, int, int], checksums: dict[str, list[int]] | None = None,
                 ) -> Manifest:
        """The manifest of a generation just written: `counts` are its documents, chunks and sentences."""
        import time

        from index import types

        model_id, weights_hash, encoder = embedder_id
        documents, chunks, sentences = counts
        return cls(format_version=FORMAT_VERSION, model_id=model_id, weights_hash=weights_hash, dim=dim,
                   max_tokens=params.max_tokens, overlap_tokens=params.overlap_tokens,
                   title_context=params.title_context, vector_index=vector_index, corpus=str(corpus.resolve()),
                   documents=documents, chunks=chunks, sentences=sentences, created=time.time(),
                   checksums=checksums or {}, document_encoder=encoder, reader_version=types.READER_VERSION,
                   format_readers=dict(types.FORMAT_READERS))

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("format_version") != FORMAT_VERSION:
            corpus = data.get("corpus")
            raise FormatMismatch(data.get("format_version"), corpus if isinstance(corpus, str) else None)
        optional = {"document_encoder", "reader_version", "format_readers"}  # added later: older manifests lack them
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data or k not in optional})


class FormatMismatch(Exception):
    """The manifest was written by another index format version: args are that version and the corpus
    folder it records (None if it records none)."""


@contextlib.contextmanager
def file_write_lock(path: Path, location: str, wait: bool = False) -> Iterator[None]:
    """One writer at a time, across processes: an exclusive flock on `path` (created 0600), which names the
    holding process for the next writer's "busy" message. Raises `IndexBusyError` if another process holds
    it (unless `wait`), `IndexWriteError` if the lock file cannot be created. Used by every store that
    keeps a lock file (the local folder, Milvus Lite)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    except OSError as exc:
        raise IndexWriteError(f"Cannot write the index at {location} ({exc.strerror}).") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise IndexBusyError(
                f"The index at {location} is being updated by {holder}. Wait for it to finish, then try again."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"process {os.getpid()}".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def check_source_name(source: str, location: str, hint: str) -> None:
    """A stored source must be a relative path inside the corpus: an index whose rows say `../../etc/passwd`,
    `/etc/passwd` or `C:/Windows` was not written by corpus-qa (or was tampered with) and is not used."""
    parts = PurePosixPath(source).parts
    if not parts or source.startswith(("/", "\\")) or ".." in parts or "\x00" in source or \
            (len(source) > 1 and source[1] == ":"):
        raise IndexStateError(f"The index at {location} is not one corpus-qa wrote: it names a document outside "
                              f"the corpus ({source!r}). {hint}")


def chunk_terms(doc: Document, start: int, end: int) -> list[str]:
    """The BM25 terms of one chunk, its document's title included: what every backend indexes."""
    from index.text.keywords import search_terms

    return search_terms(doc.title + "\n" + doc.text[start:end])


@dataclass(frozen=True)
class RowPlan:
    """A document's rows as every backend writes them, numbered from 0 within the document."""

    sentences: list[tuple[int, int]]
    """Each sentence once, in order: (start, end) in the document text."""
    chunks: list[tuple[int, int, int, int, int]]
    """(start, end, tokens, first sentence, last sentence), the sentences as positions in `sentences`."""


def plan_new(chunks: Sequence[Chunk]) -> RowPlan:
    """The rows of a newly chunked document: each sentence once (neighbouring chunks share some)."""
    seen: dict[tuple[int, int], int] = {}
    for c in chunks:
        for s in c.sentences:
            seen.setdefault((s.start, s.end), len(seen))
    return RowPlan(list(seen), [(c.start, c.end, c.n_tokens, seen[(c.sentences[0].start, c.sentences[0].end)],
                                 seen[(c.sentences[-1].start, c.sentences[-1].end)]) for c in chunks])


def plan_kept(previous: IndexReader, old_id: int) -> tuple[RowPlan, list[int], list[int]]:
    """The rows of a document carried over from the previous generation, with the old sentence and chunk ids
    whose vectors go with them (in the same order)."""
    sents, chunks = previous.document_rows(old_id)
    position = {old: k for k, (old, _s, _e) in enumerate(sents)}
    plan = RowPlan([(s, e) for _i, s, e in sents],
                   [(s, e, nt, position[f], position[la]) for _i, s, e, nt, f, la in chunks])
    return plan, [s[0] for s in sents], [c[0] for c in chunks]
