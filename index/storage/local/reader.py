"""Reading one published local generation: documents and rows from SQLite, vectors from memory-mapped
numpy files, BM25 from its arrays; every answer's inputs verified as they are read."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import IndexOutdated, IndexStateError
from index.storage.base import (
    FORMAT_VERSION,
    ChunkRow,
    FormatMismatch,
    KeptDocument,
    Manifest,
    check_source_name,
    check_text,
)
from index.storage.local.bm25 import KeywordIndex
from index.storage.local.checksums import CHECKSUM_BLOCK, REBUILD_HINT, BlockCheck
from index.storage.local.schema import CHECKSUMMED, TABLES
from index.storage.local.vectors import VectorStore
from index.types import Anchor, Document, DocumentInfo, Page, Section, Skipped, Span, Unit

if TYPE_CHECKING:
    import numpy as np

    from index.embedding import Embedder
    from index.filters import Where


TITLED_KEYS = 20_000
"""Title keys a snapshot remembers the documents of (then it forgets them all and starts again)."""


class Snapshot:
    """One generation of a local index opened for reading (the local `IndexReader`). Never writes."""

    def __init__(self, gen: Path, manifest: Manifest, conn: sqlite3.Connection) -> None:
        self.gen = gen
        self.location = str(gen.parent)
        self.rebuild_hint = REBUILD_HINT
        self.manifest = manifest
        self.conn = conn
        self._documents: dict[int, Document] = {}
        self._titled: dict[str, list[tuple[int, bool]]] = {}
        self._filter_cache: dict[object, object] = {}
        self.term_cache: dict[int, frozenset[str]] = {}
        """Sentence id -> keyword terms, filled as answers are composed."""
        self.checks = {name: BlockCheck(gen / name, sums, str(gen.parent)) for name, sums in manifest.checksums.items()}
        """File -> its lazy checksum verification (BlockCheck)."""

    @classmethod
    def open(cls, gen: Path, embedder: Embedder | None) -> Snapshot:
        try:
            return cls._open(gen, embedder)
        except IndexStateError:
            if not gen.exists():
                raise FileNotFoundError(gen) from None  # pruned while we opened it: IndexDir.open looks again
            raise

    @classmethod
    def _open(cls, gen: Path, embedder: Embedder | None) -> Snapshot:
        hint = f"The index at {gen.parent}"
        try:
            manifest = Manifest.from_json((gen / "manifest.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            if not gen.exists():
                raise
            raise IndexStateError(f"{hint} is incomplete (no manifest). {REBUILD_HINT}") from None
        except FormatMismatch as exc:
            reason = (f"{hint} was written in format {exc.args[0]}; this corpus-qa reads format "
                      f"{FORMAT_VERSION}.")
            raise IndexOutdated(f"{reason} {REBUILD_HINT}", reason, exc.args[1]) from None
        except (ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
            raise IndexStateError(f"{hint} is damaged (manifest unreadable: {exc}). {REBUILD_HINT}") from None
        if set(CHECKSUMMED) - manifest.checksums.keys():
            reason = f"{hint} was written before its keyword index had checksums."
            raise IndexOutdated(f"{reason} {REBUILD_HINT}", reason, manifest.corpus)
        if embedder is not None and (
            manifest.model_id != embedder.model_id
            or manifest.weights_hash != embedder.weights_hash
            or manifest.dim != embedder.dim
        ):
            reason = (f"{hint} was built with the model {manifest.model_id} ({manifest.weights_hash}), not the "
                      f"one in use now, {embedder.model_id} ({embedder.weights_hash}).")
            raise IndexOutdated(f"{reason} {REBUILD_HINT}", reason, manifest.corpus)
        db = gen / "meta.sqlite"
        if not db.is_file():
            raise IndexStateError(f"{hint} is damaged (meta.sqlite is missing). {REBUILD_HINT}")
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables != TABLES:
                raise sqlite3.DatabaseError(f"tables {', '.join(sorted(TABLES ^ tables))} missing or foreign")
            n_chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
            n_sentences = conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise IndexStateError(f"{hint} is damaged (database: {exc}). {REBUILD_HINT}") from None
        if (n_chunks, n_sentences) != (manifest.chunks, manifest.sentences):
            raise IndexStateError(f"{hint} is damaged (database and manifest disagree). {REBUILD_HINT}")
        snap = cls(gen, manifest, conn)
        snap._check_vectors()
        snap._check_sums()
        return snap

    def _check_sums(self, samples: int = 2) -> None:
        """Compare a few random 1 MiB blocks of each checksummed file (and every block of a small one) with
        the CRC-32s the build recorded: flipped bytes or a zeroed file are found without reading it all."""
        import random
        import zlib

        for name, sums in self.manifest.checksums.items():
            path = self.gen / name
            picks = range(len(sums)) if len(sums) <= 4 else random.sample(range(len(sums)), samples) + [0]
            try:
                with path.open("rb") as fh:
                    for block in picks:
                        fh.seek(block * CHECKSUM_BLOCK)
                        if zlib.crc32(fh.read(CHECKSUM_BLOCK)) != sums[block]:
                            raise IndexStateError(f"The index at {self.gen.parent} is damaged ({name} does not "
                                                  f"match its checksum). {REBUILD_HINT}")
            except OSError as exc:
                raise IndexStateError(f"The index at {self.gen.parent} is damaged ({name}: {exc.strerror}). "
                                      f"{REBUILD_HINT}") from None

    def _check_vectors(self) -> None:
        hint = f"The index at {self.gen.parent} is damaged"
        try:
            ntotal, dim = self.vectors.ntotal, self.vectors.dim
            sentences = self.sentence_vectors.shape
        except IndexStateError:
            raise
        except Exception as exc:  # noqa: BLE001 - faiss and numpy raise many types on a broken file
            raise IndexStateError(f"{hint} (vectors: {exc}). {REBUILD_HINT}") from None
        if sentences != (self.manifest.sentences, self.manifest.dim):
            raise IndexStateError(f"{hint} (sentences.npy has shape {sentences}). {REBUILD_HINT}")
        try:
            table = self.chunk_table.shape
        except Exception as exc:  # noqa: BLE001 - numpy raises many types on a broken file
            raise IndexStateError(f"{hint} (chunk_table.npy: {exc}). {REBUILD_HINT}") from None
        if table != (self.manifest.chunks, 3):
            raise IndexStateError(f"{hint} (chunk_table.npy has shape {table}). {REBUILD_HINT}")
        if self.keywords.num_docs != self.manifest.chunks:
            raise IndexStateError(f"{hint} (the keyword index holds {self.keywords.num_docs} chunks). {REBUILD_HINT}")
        if ntotal != self.manifest.chunks or dim != self.manifest.dim:
            raise IndexStateError(f"{hint} (chunks.npy holds {ntotal} vectors of {dim}). {REBUILD_HINT}")
        if not self.vectors.looks_complete():
            raise IndexStateError(f"{hint} (chunks.faiss is missing or cut short). {REBUILD_HINT}")
        if self.vectors.params.kind != self.manifest.vector_index:
            raise IndexStateError(f"{hint} (search.json disagrees with the manifest). {REBUILD_HINT}")

    @cached_property
    def vectors(self) -> VectorStore:
        """Chunk vectors and their search structure (faiss is imported only for a large index)."""
        return VectorStore(self.gen, self.checks.get("chunks.npy"))

    @cached_property
    def _sentence_map(self) -> np.memmap:
        import numpy as np

        return np.load(self.gen / "sentences.npy", mmap_mode="r", allow_pickle=False)

    @cached_property
    def sentence_vectors(self) -> np.ndarray:
        """One unit vector per sentence (pooled at index time from its chunk's token vectors)."""
        import numpy as np

        # A plain ndarray over the mapping: indexing an np.memmap wraps every result in a memmap (slow).
        return np.asarray(self._sentence_map)

    def _keyword_check(self, name: str, start: int, end: int) -> None:
        check = self.checks.get(f"bm25/{name}")
        if check is not None:
            check(start, end)

    @cached_property
    def keywords(self) -> KeywordIndex:
        try:
            return KeywordIndex(self.gen / "bm25", self._keyword_check)
        except IndexStateError:
            raise
        except Exception as exc:  # noqa: BLE001 - numpy/json raise many types on a broken file
            raise IndexStateError(f"The index at {self.gen.parent} is damaged (bm25: {exc}). {REBUILD_HINT}") from None

    # -- rows -------------------------------------------------------------------------------------

    def document(self, doc_id: int) -> Document:
        doc = self._documents.get(doc_id)
        if doc is None:
            self._check_source(doc_id)
            row = self.conn.execute(
                "SELECT source, text, sha256, title, date, place, body_start, format, encoding, indexed FROM documents "
                "WHERE id = ?",
                (doc_id,),
            ).fetchone()
            if row is None:
                raise IndexStateError(f"The index at {self.gen.parent} is damaged (document {doc_id}). {REBUILD_HINT}")
            check_text(row[1], row[2], row[0], str(self.gen.parent), REBUILD_HINT)
            pages = tuple(Page(n, a, b, label, bool(ocr)) for n, label, a, b, ocr in self.conn.execute(
                "SELECT number, label, start, end, ocr FROM pages WHERE doc_id = ? ORDER BY number", (doc_id,)))
            sections = tuple(Section(t, lv, a, b) for a, b, lv, t in self.conn.execute(
                "SELECT start, end, level, title FROM sections WHERE doc_id = ? ORDER BY start, level", (doc_id,)))
            units = tuple(Unit(k, a, b, p) for k, a, b, p in self.conn.execute(
                "SELECT kind, start, end, parent FROM units WHERE doc_id = ? ORDER BY idx", (doc_id,)))
            anchors = tuple(Anchor(k, a, name) for a, k, name in self.conn.execute(
                "SELECT start, kind, name FROM anchors WHERE doc_id = ? ORDER BY start", (doc_id,)))
            source, text, sha256, title, date, place, body_start, fmt, encoding, indexed = row
            doc = Document(source, text, sha256, title, date, place, body_start, fmt, pages, sections, units,
                           anchors, encoding, indexed)
            self._documents[doc_id] = doc
        return doc

    def _check_source(self, doc_id: int) -> None:
        """A source must be a relative path inside the corpus: an index whose rows say `../../etc/passwd` or
        `/etc/passwd` was not written by corpus-qa (or was tampered with) and is not used."""
        row = self.conn.execute("SELECT source FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is not None:
            check_source_name(row[0], str(self.gen.parent), REBUILD_HINT)

    def document_by_source(self, source: str) -> Document | None:
        row = self.conn.execute("SELECT id FROM documents WHERE source = ?", (source,)).fetchone()
        return self.document(row[0]) if row else None

    def chunk(self, chunk_id: int) -> ChunkRow:
        row = self.conn.execute(
            "SELECT id, doc_id, start, end, first_sentence, last_sentence FROM chunks WHERE id = ?", (chunk_id,)
        ).fetchone()
        return ChunkRow(*row)

    def sentences_of(self, chunk: ChunkRow) -> list[tuple[int, Span]]:
        rows = self.conn.execute(
            "SELECT id, start, end FROM sentences WHERE id BETWEEN ? AND ? ORDER BY id",
            (chunk.first_sentence, chunk.last_sentence),
        ).fetchall()
        return [(i, Span(s, e)) for i, s, e in rows]

    def documents_titled(self, keys: list[str]) -> dict[str, list[tuple[int, bool]]]:
        """Title key -> the documents known by it (index/text/titles.py), each with whether the key is its whole
        title (not only the head before a parenthesis or comma), for the keys that match any."""
        # remembered per key: a question's parts and a set's members ask for the same few words again and again
        known = self._titled
        if len(known) + len(keys) > TITLED_KEYS:
            known.clear()
        found: dict[str, list[tuple[int, bool]]] = {}
        todo = []
        for k in dict.fromkeys(keys):
            docs = known.get(k)
            if docs is None:
                todo.append(k)
            elif docs:
                found[k] = list(docs)
        fresh: dict[str, list[tuple[int, bool]]] = {k: [] for k in todo}
        for start in range(0, len(todo), 500):
            part = todo[start : start + 500]
            rows = self.conn.execute(
                f"SELECT key, doc_id, whole FROM title_keys WHERE key IN ({','.join('?' * len(part))})", part)
            for key, doc_id, whole in rows:
                fresh[key].append((doc_id, bool(whole)))
        known.update(fresh)  # (each entry whole: another thread reading meanwhile sees a key complete or not at all)
        found.update((k, list(v)) for k, v in fresh.items() if v)
        return {k: found[k] for k in sorted(found)}  # in the order of the keys, as SQLite's IN gives them

    @cached_property
    def chunk_table(self) -> np.ndarray:
        """Per chunk row: document id, first and last sentence id (memory-mapped, for the query path)."""
        import numpy as np

        table = np.load(self.gen / "chunk_table.npy", mmap_mode="r", allow_pickle=False)
        if "chunk_table.npy" in self.checks:
            self.checks["chunk_table.npy"].whole()  # small (24 bytes a chunk), and filters read all of it
        return np.asarray(table)

    def sentence_ranges(self, chunk_ids: list[int]) -> dict[int, tuple[int, int]]:
        """Chunk id -> (first, last) sentence id, inclusive."""
        rows = self.chunk_table[sorted(chunk_ids)]
        return {cid: (int(r[1]), int(r[2])) for cid, r in zip(sorted(chunk_ids), rows, strict=True)}

    def chunk_documents(self, chunk_ids: list[int]) -> dict[int, int]:
        """Chunk id -> its document id."""
        rows = self.chunk_table[sorted(chunk_ids)]
        return {cid: int(r[0]) for cid, r in zip(sorted(chunk_ids), rows, strict=True)}

    def chunks_of(self, doc_id: int, limit: int) -> list[int]:
        """The first `limit` chunk ids of a document."""
        rows = self.conn.execute("SELECT id FROM chunks WHERE doc_id = ? ORDER BY id LIMIT ?", (doc_id, limit))
        return [r[0] for r in rows]

    def sources(self) -> list[tuple[str, str]]:
        """(source, title) of every document, by source."""
        rows = self.conn.execute("SELECT source, title FROM documents ORDER BY source").fetchall()
        for source, _title in rows:
            check_source_name(source, str(self.gen.parent), REBUILD_HINT)
        return rows

    def catalog(self, where: Where | None = None) -> list[DocumentInfo]:
        rows = self.conn.execute(
            "SELECT d.id, d.source, d.title, d.date, d.format, length(d.text), "
            "(SELECT count(*) FROM pages p WHERE p.doc_id = d.id), "
            "(SELECT count(*) FROM units u WHERE u.doc_id = d.id), "
            "(SELECT count(*) FROM pages p WHERE p.doc_id = d.id AND p.ocr), d.encoding, d.indexed "
            "FROM documents d ORDER BY d.source"
        ).fetchall()
        for row in rows:  # listing a source is serving it: refused like reading one
            check_source_name(row[1], str(self.gen.parent), REBUILD_HINT)
        keep = self.documents_matching(where) if where else None
        return [DocumentInfo(src, title, date, fmt, pages, chars, units, ocr, encoding, indexed)
                for i, src, title, date, fmt, chars, pages, units, ocr, encoding, indexed in rows
                if keep is None or i in keep]

    def indexed_files(self) -> dict[str, KeptDocument]:
        rows = self.conn.execute("SELECT source, id, sha256, size, mtime_ns, ctime_ns FROM documents")
        return {src: KeptDocument(i, sha, (size, mtime, ctime)) for src, i, sha, size, mtime, ctime in rows}

    def skipped(self) -> tuple[Skipped, ...]:
        from index.types import Skipped

        rows = self.conn.execute("SELECT source, reason FROM skipped ORDER BY source")
        return tuple(Skipped(s, r) for s, r in rows)

    def document_rows(self, doc_id: int) -> tuple[list[tuple[int, int, int]],
                                                  list[tuple[int, int, int, int, int, int]]]:
        sents = self.conn.execute("SELECT id, start, end FROM sentences WHERE doc_id = ? ORDER BY id",
                                  (doc_id,)).fetchall()
        chunks = self.conn.execute("SELECT id, start, end, n_tokens, first_sentence, last_sentence FROM chunks "
                                   "WHERE doc_id = ? ORDER BY id", (doc_id,)).fetchall()
        return sents, chunks

    def chunk_texts(self, limit: int) -> list[str]:
        rows = self.conn.execute("SELECT doc_id, start, end FROM chunks ORDER BY id LIMIT ?", (limit,)).fetchall()
        return [self.document(d).text[a:b] for d, a, b in rows]

    def openings(self, chars: int, ids: Sequence[int] | None = None) -> list[tuple[int, str, str]]:
        if ids is None:
            return self.conn.execute("SELECT id, title, substr(text, 1, ?) FROM documents ORDER BY id",
                                     (chars,)).fetchall()
        out: list[tuple[int, str, str]] = []
        wanted = sorted({int(i) for i in ids})
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            out += self.conn.execute(f"SELECT id, title, substr(text, 1, ?) FROM documents WHERE id IN "
                                     f"({','.join('?' * len(part))}) ORDER BY id", (chars, *part)).fetchall()
        return out

    # -- vectors and search (the IndexReader protocol) ------------------------------------------------

    def chunk_vectors(self, ids: Sequence[int]) -> np.ndarray:
        return self.vectors.rows(list(ids))

    def sentence_vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        import numpy as np

        ids = list(ids)
        check = self.checks.get("sentences.npy")
        if check is not None:
            offset, width = self._sentence_map.offset, 4 * self.manifest.dim
            for i in ids:
                check(offset + int(i) * width, offset + (int(i) + 1) * width)
        rows = np.asarray(self.sentence_vectors[ids], dtype=np.float32)
        if not np.isfinite(rows).all():
            raise ValueError("sentences.npy holds values that are not numbers")
        return rows

    def dense_search(self, qvec: np.ndarray, k: int, where: Where | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.vectors.search(qvec, k, self.chunk_mask(where) if where else None)

    def dense_scores(self, ids: list[int], qvec: np.ndarray) -> np.ndarray:
        return self.vectors.scores_of(ids, qvec)

    def keyword_search(self, terms: list[str], k: int, where: Where | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.keywords.top(terms, k, self.chunk_mask(where) if where else None)

    # -- filters ----------------------------------------------------------------------------------------

    @cached_property
    def _document_fields(self) -> list[tuple[int, str, str | None, str, str]]:
        """(id, source, date, format, title) of every document, read once per snapshot for filters."""
        return self.conn.execute("SELECT id, source, date, format, title FROM documents ORDER BY id").fetchall()

    def documents_matching(self, where: Where) -> set[int]:
        """Ids of the documents a filter lets through."""
        key = ("docs", where)
        found = self._filter_cache.get(key)
        if found is None:
            found = {i for i, src, date, fmt, title in self._document_fields if where.matches(src, date, fmt, title)}
            self._remember(key, found)
        return found  # type: ignore[return-value]

    def chunk_mask(self, where: Where) -> np.ndarray:
        """A boolean mask over chunk ids: the chunks of the documents the filter lets through."""
        import numpy as np

        key = ("chunks", where)
        mask = self._filter_cache.get(key)
        if mask is None:
            allowed = np.zeros(max(1, self.manifest.documents), dtype=bool)
            allowed[list(self.documents_matching(where))] = True
            mask = allowed[np.asarray(self.chunk_table[:, 0])]
            self._remember(key, mask)
        return mask  # type: ignore[return-value]

    def _remember(self, key: object, value: object) -> None:
        if len(self._filter_cache) > 16:
            self._filter_cache.clear()
        self._filter_cache[key] = value

    def document_frequency(self, term: str) -> int:
        return self.keywords.document_frequency(term)

    def accented_frequency(self, term: str) -> int:
        return self.keywords.accented_frequency(term)

    def name_frequency(self, key: str) -> int:
        row = self.conn.execute("SELECT df FROM names WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def keyword_chunks(self) -> int:
        return self.keywords.num_docs

    def file_stats(self) -> dict[str, tuple[int, int, int]]:
        """source -> (size, mtime_ns, ctime_ns) of every file seen at the last build, indexed or skipped."""
        rows = self.conn.execute(
            "SELECT source, size, mtime_ns, ctime_ns FROM documents "
            "UNION ALL SELECT source, size, mtime_ns, ctime_ns FROM skipped"
        )
        return {s: (size, mtime, ctime) for s, size, mtime, ctime in rows}

    def stale(self) -> bool:
        """Never: a local engine learns of updates from its own builds and from `qa watch`, and a generation
        another process publishes leaves this one readable until it is closed."""
        return False

    def close(self) -> None:
        self.conn.close()
        for check in self.checks.values():
            check.close()
