"""The storage interface: what the builder writes through and retrieval reads through.

An index is published as a whole ("a generation"): readers open one consistent view (`IndexReader`) and
keep it while a writer prepares the next one (`IndexWriter`) and publishes it atomically. Two backends
implement it today:

- local (index/store.py, index/generation.py): a folder with generations, a CURRENT pointer and a lock
  file; vectors in memory-mapped numpy files, BM25 in numpy arrays, text and offsets in SQLite. The
  default, and the fastest for one machine.

- milvus (index/milvus_store.py): collections in Milvus Lite (`milvus:///path/index.db`) or a Milvus server
  (`milvus://host:19530`, `milvus+https://host`); each generation a set of collections published by
  switching an alias.

The choice is a URI (`--store`, `QA_STORE`): a folder path (or nothing) is local. Backends are
imported only when chosen. Everything that is not storage (chunking, embedding, fusion, answers, quote
verification) is shared, so every backend gives the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from index.errors import IndexStateError, UsageError

if TYPE_CHECKING:
    import numpy as np

    from index.embedding import Embedder
    from index.filters import Where
    from index.loaders import FileStat, Skipped
    from index.store import Manifest
    from index.types import Chunk, Document, DocumentInfo, Span


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
    def name_frequency(self, key: str) -> int:
        """How many documents hold a name written as code (index.keywords.names_in), by its lookup key."""
        ...
    def keyword_chunks(self) -> int: ...

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

    def publish(self, embedder_id: tuple[str, str], params: object, corpus: Path, skipped: Sequence[Skipped],
                stat_of: dict[str, FileStat]) -> Manifest:
        """Finish the generation and make it the one readers open, atomically."""
        ...

    def abort(self) -> None:
        """Throw the unfinished generation away."""
        ...


class IndexStore(Protocol):
    """Where an index lives."""

    location: str

    def exists(self) -> bool: ...
    def open(self, embedder: Embedder | None = None) -> IndexReader: ...
    def write_lock(self, wait: bool = False) -> AbstractContextManager[None]: ...
    def writer(self, previous: IndexReader | None, dim: int, exact_limit: int) -> IndexWriter: ...


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


def open_store(spec: str | Path, corpus: Path | None = None) -> IndexStore:
    """The store a URI or folder names: `milvus://...` (Milvus), anything else a local index folder. `corpus`:
    the folder it indexes, the one non-empty folder a local index may also be kept in."""
    text = str(spec)
    if text.startswith(("milvus://", "milvus+http://", "milvus+https://")):
        try:
            from index.milvus_store import MilvusStore
        except ImportError as exc:
            raise UsageError(f"{text}: the Milvus backend needs pymilvus and milvus-lite "
                             f"(pip install 'corpus-qa[milvus]'): {exc}") from None
        return MilvusStore(text)
    if "://" in text:
        raise UsageError(f"Unknown store {text!r}: give an index folder.")
    from index.store import IndexDir

    return IndexDir(Path(text), corpus)
