"""Milvus: reading one published generation, row by row as the answer needs it, and searching it."""



from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from index.errors import (
    GenerationReplaced,
    IndexOutdated,
    IndexStateError,
    QAError,
)
from index.storage.base import K1 as BM25_K1
from index.storage.base import (
    ChunkRow,
    KeptDocument,
    Manifest,
    check_source_name,
    check_text,
)
from index.storage.milvus.schema import (
    GRAPH_INDEX,
    HNSW_EF,
    REBUILD_HINT,
    STALE_CHECK,
    Connection,
    check_layout,
    terms_text,
)
from index.types import Anchor, Document, DocumentInfo, Page, Section, Skipped, Span, Unit

if TYPE_CHECKING:
    import numpy as np

    from index.embedding import Embedder
    from index.filters import Where

CHUNK_FIELDS = ["id", "doc_id", "start", "end", "n_tokens", "first_sentence", "last_sentence"]
PAGE = 16_000
"""Rows per query: Milvus caps a query's result window at 16,384."""


class MilvusReader:
    """One published generation, read-only (the `IndexReader` protocol). Documents' metadata (with the range
    of chunk and sentence ids each holds) is read at open; chunk and sentence rows, vectors, text and searches
    are asked of Milvus when needed, so opening an index of millions of chunks holds none of them."""

    def __init__(self, store: Connection, gen: str, manifest: Manifest) -> None:
        self.store, self.gen, self.manifest = store, gen, manifest
        self.client = store.client
        self.location = store.location
        self.rebuild_hint = REBUILD_HINT
        self.term_cache: dict[int, frozenset[str]] = {}
        self._documents: dict[int, Document] = {}
        self._filter_cache: dict[object, object] = {}
        self._sentence_cache: dict[int, Any] = {}
        self._checked = time.monotonic()
        self.closed = False
        self.docs: list[dict[str, Any]] = []
        self.vocab: dict[str, int] = {}
        """Term -> chunks holding it."""
        self._accented: dict[str, tuple[str, ...]] | None = None
        """The vocabulary's terms with accents, by their form without them: read at the first need."""
        self.names: dict[str, int] = {}
        """Name written as code -> documents holding it."""
        self.skipped_rows: list[list[Any]] = []
        self.first_chunk: Any = None
        """Per document, by id: its first chunk id (a document's chunks have consecutive ids)."""
        self._chunk_cache: dict[int, tuple[int, ...]] = {}
        """Chunk id -> its row (CHUNK_FIELDS), as read."""
        self.title_index: dict[str, list[tuple[int, bool]]] = {}
        self.by_source: dict[str, int] = {}

    @classmethod
    def open(cls, store: Connection, gen: str, embedder: Embedder | None) -> MilvusReader:
        from pymilvus.exceptions import MilvusException

        try:
            return cls._open(store, gen, embedder)
        except MilvusException as exc:
            raise IndexStateError(f"The index at {store.location} is damaged ({exc.message}). {REBUILD_HINT}") from None

    @classmethod
    def _open(cls, store: Connection, gen: str, embedder: Embedder | None) -> MilvusReader:
        import numpy as np

        hint = f"The index at {store.location}"
        manifest = check_layout(store.client, gen, hint, embedder)
        reader = cls(store, gen, manifest)
        try:
            reader.docs = reader._meta("documents")
            vocab = reader._meta("vocab")
            reader.vocab = {t: int(df) for t, df in vocab.items()}
            reader.names = {t: int(df) for t, df in reader._meta("names").items()}
            reader.skipped_rows = reader._meta("skipped")
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise IndexStateError(f"{hint} is damaged (metadata unreadable: {exc}). {REBUILD_HINT}") from None
        try:
            ranges = [tuple(int(x) for x in d["rows"]) for d in reader.docs]
        except KeyError:
            reason = f"{hint} was written by an earlier corpus-qa (its documents do not record their rows)."
            raise IndexOutdated(f"{reason} {REBUILD_HINT}", reason) from None
        reader._check_rows(ranges)
        reader.first_chunk = np.asarray([r[0] for r in ranges], dtype=np.int64)
        for d in reader.docs:
            check_source_name(d["source"], store.location, REBUILD_HINT)
        from index.text.titles import normalize, title_keys

        reader.title_index = {}
        for i, d in enumerate(reader.docs):
            whole = normalize(d["title"])
            for k in title_keys(d["title"]):
                reader.title_index.setdefault(k, []).append((i, k == whole))
        reader.by_source = {d["source"]: i for i, d in enumerate(reader.docs)}
        store.opened(gen, 1)
        return reader

    def _meta(self, key: str) -> Any:
        head = self.client.query(f"{self.gen}_meta", filter=f'key == "{key}"', output_fields=["value"])
        if not head:
            raise KeyError(key)
        n = int(json.loads(head[0]["value"]))
        keys = [f"{key}:{k}" for k in range(n)]
        found: dict[str, str] = {}
        for start in range(0, n, 1000):
            for r in self.client.get(f"{self.gen}_meta", ids=keys[start : start + 1000], output_fields=["value"]):
                found[r["key"]] = r["value"]
        return json.loads("".join(found[k] for k in keys))

    def _check_rows(self, ranges: list[tuple[int, ...]]) -> None:
        """Documents' row ranges must tile 0..chunks-1 and 0..sentences-1 in order, and the collections must
        hold exactly those rows (counted, not read)."""
        m = self.manifest
        chunk_at = sentence_at = 0
        for r in ranges:
            if len(r) != 4 or r[0] != chunk_at or r[2] != sentence_at or min(r) < 0:
                break
            chunk_at, sentence_at = chunk_at + r[1], sentence_at + r[3]
        else:
            if (len(ranges), chunk_at, sentence_at) == (m.documents, m.chunks, m.sentences) and \
                    self._count("chunks") == m.chunks and self._count("sentences") == m.sentences:
                return
        raise IndexStateError(f"The index at {self.location} is damaged (the collections and the manifest "
                              f"disagree). {REBUILD_HINT}")

    def _count(self, part: str) -> int:
        rows = self.client.query(f"{self.gen}_{part}", filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def _range(self, part: str, first: int, end: int, fields: list[str]) -> list[tuple[int, ...]]:
        """The rows with ids first..end-1, by id; every one of them must be there."""
        out: list[tuple[int, ...]] = []
        with self._failures():
            for start in range(first, end, PAGE):
                rows = self.client.query(f"{self.gen}_{part}", output_fields=fields,
                                         filter=f"id >= {start} and id < {min(end, start + PAGE)}")
                out.extend(tuple(int(r[f]) for f in fields) for r in rows)
        out.sort()
        if [r[0] for r in out] != list(range(first, end)):
            raise IndexStateError(f"The index at {self.location} is damaged ({part} rows {first}..{end - 1} are "
                                  f"not all there). {REBUILD_HINT}")
        return out

    def _chunks(self, ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
        """Chunk rows by id, read once and kept (a few hundred thousand at most)."""
        cache = self._chunk_cache
        missing = [int(i) for i in dict.fromkeys(ids) if int(i) not in cache]
        if missing:
            if any(not 0 <= i < self.manifest.chunks for i in missing):
                raise IndexStateError(f"The index at {self.location} is damaged (a chunk id out of range). "
                                      f"{REBUILD_HINT}")
            if len(cache) > 200_000:
                cache.clear()
            with self._failures():
                for start in range(0, len(missing), 1000):
                    for r in self.client.get(f"{self.gen}_chunks", ids=missing[start : start + 1000],
                                             output_fields=CHUNK_FIELDS):
                        cache[int(r["id"])] = tuple(int(r[f]) for f in CHUNK_FIELDS)
            if any(i not in cache for i in missing):
                raise IndexStateError(f"The index at {self.location} is damaged (a chunk row is missing). "
                                      f"{REBUILD_HINT}")
        return {int(i): cache[int(i)] for i in ids}

    @contextlib.contextmanager
    def _failures(self) -> Iterator[None]:
        """A Milvus call that fails on the query path (server gone, collection dropped) is one clear error."""
        from pymilvus.exceptions import MilvusException

        try:
            yield
        except MilvusException as exc:
            if self._replaced():
                raise GenerationReplaced(f"The index at {self.location} was updated by another process while "
                                         "this one read it; ask again.") from None
            raise IndexStateError(f"Milvus at {self.location} failed to answer ({exc.message}). If the index was "
                                  f"removed or damaged: {REBUILD_HINT}") from None

    def _replaced(self) -> bool:
        """Whether another generation is live now (another process published an update)."""
        try:
            live = self.store.live()
        except Exception:  # noqa: BLE001 - the server is gone: not a replacement
            return False
        return live is not None and live != self.gen

    def stale(self) -> bool:
        """Whether a newer generation was published (by another process: a Milvus server serves several), so
        the engine should open that one. Checked at most every STALE_CHECK seconds."""
        now = time.monotonic()
        if now - self._checked < STALE_CHECK:
            return False
        self._checked = now
        return self._replaced()

    # -- documents ------------------------------------------------------------------------------------

    def document(self, doc_id: int) -> Document:
        doc = self._documents.get(doc_id)
        if doc is None:
            if not 0 <= doc_id < len(self.docs):
                raise IndexStateError(f"The index at {self.location} is damaged (document {doc_id}). {REBUILD_HINT}")
            d = self.docs[doc_id]
            with self._failures():
                rows = self.client.query(f"{self.gen}_texts", filter=f"doc_id == {int(doc_id)}",
                                         output_fields=["part", "text"])
            text = "".join(r["text"] for r in sorted(rows, key=lambda r: r["part"]))
            if len(text) != d["chars"]:
                raise IndexStateError(f"The index at {self.location} is damaged (the text of {d['source']} is cut "
                                      f"short). {REBUILD_HINT}")
            check_text(text, d["sha256"], d["source"], self.location, REBUILD_HINT)
            pages = tuple(Page(n, a, b, label, bool(ocr)) for n, label, a, b, ocr in d["pages"])
            sections = tuple(Section(t, lv, a, b) for t, lv, a, b in d["sections"])
            units = tuple(Unit(k, a, b, p) for k, a, b, p in d.get("units", []))
            anchors = tuple(Anchor(k, a, name) for k, a, name in d.get("anchors", []))
            doc = Document(d["source"], text, d["sha256"], d["title"], d["date"], d["place"], d["body_start"],
                           d["format"], pages, sections, units, anchors, d.get("encoding"), d.get("indexed"))
            self._documents[doc_id] = doc
        return doc

    def document_by_source(self, source: str) -> Document | None:
        i = self.by_source.get(source)
        return self.document(i) if i is not None else None

    def documents_titled(self, keys: list[str]) -> dict[str, list[tuple[int, bool]]]:
        return {k: list(self.title_index[k]) for k in keys if k in self.title_index}

    def sources(self) -> list[tuple[str, str]]:
        return sorted((d["source"], d["title"]) for d in self.docs)

    def catalog(self, where: Where | None = None) -> list[DocumentInfo]:
        keep = self.documents_matching(where) if where else None
        return [DocumentInfo(d["source"], d["title"], d["date"], d["format"], len(d["pages"]), d["chars"],
                             len(d.get("units", [])), sum(1 for p in d["pages"] if p[4]), d.get("encoding"),
                             d.get("indexed"))
                for i, d in sorted(enumerate(self.docs), key=lambda x: x[1]["source"]) if keep is None or i in keep]

    def indexed_files(self) -> dict[str, KeptDocument]:
        return {d["source"]: KeptDocument(i, d["sha256"], (d["size"], d["mtime_ns"], d["ctime_ns"]))
                for i, d in enumerate(self.docs)}

    def file_stats(self) -> dict[str, tuple[int, int, int]]:
        out = {d["source"]: (d["size"], d["mtime_ns"], d["ctime_ns"]) for d in self.docs}
        out.update({s: (size, m, c) for s, size, m, c, _r in self.skipped_rows})
        return out

    def skipped(self) -> tuple[Skipped, ...]:
        from index.types import Skipped

        return tuple(Skipped(s, r) for s, _size, _m, _c, r in sorted(self.skipped_rows))

    # -- chunks and sentences -------------------------------------------------------------------------

    def chunk(self, chunk_id: int) -> ChunkRow:
        i, d, s, e, _nt, f, la = self._chunks([chunk_id])[chunk_id]
        return ChunkRow(i, d, s, e, f, la)

    def sentences_of(self, chunk: ChunkRow) -> list[tuple[int, Span]]:
        rows = self._range("sentences", chunk.first_sentence, chunk.last_sentence + 1, ["id", "start", "end"])
        return [(i, Span(s, e)) for i, s, e in rows]

    def document_rows(self, doc_id: int) -> tuple[list[tuple[int, int, int]],
                                                  list[tuple[int, int, int, int, int, int]]]:
        first_c, n_c, first_s, n_s = (int(x) for x in self.docs[doc_id]["rows"])
        sentences = self._range("sentences", first_s, first_s + n_s, ["id", "start", "end"])
        chunks = self._range("chunks", first_c, first_c + n_c, [f for f in CHUNK_FIELDS if f != "doc_id"])
        return sentences, chunks  # type: ignore[return-value]

    def chunks_of(self, doc_id: int, limit: int) -> list[int]:
        first, n, _fs, _ns = self.docs[doc_id]["rows"]
        return list(range(int(first), int(first) + min(int(n), limit)))

    def chunk_documents(self, chunk_ids: list[int]) -> dict[int, int]:
        import numpy as np

        owners = np.searchsorted(self.first_chunk, np.asarray(chunk_ids, dtype=np.int64), side="right") - 1
        return {int(c): int(d) for c, d in zip(chunk_ids, owners, strict=True)}

    def sentence_ranges(self, chunk_ids: list[int]) -> dict[int, tuple[int, int]]:
        rows = self._chunks(chunk_ids)
        return {c: (rows[c][5], rows[c][6]) for c in sorted(rows)}

    def chunk_texts(self, limit: int) -> list[str]:
        rows = self._range("chunks", 0, min(limit, self.manifest.chunks), ["id", "doc_id", "start", "end"])
        return [self.document(d).text[a:b] for _i, d, a, b in rows]

    def openings(self, chars: int, ids: Sequence[int] | None = None) -> list[tuple[int, str, str]]:
        # each document's first piece of text (at most 16,000 characters), a thousand documents a query
        wanted = range(len(self.docs)) if ids is None else sorted({int(i) for i in ids if 0 <= int(i) < len(self.docs)})
        firsts: dict[int, str] = {}
        with self._failures():
            for start in range(0, len(wanted), 1000):
                part = list(wanted[start : start + 1000])
                rows = self.client.query(f"{self.gen}_texts", output_fields=["doc_id", "text"],
                                         filter=f"part == 0 and doc_id in {part}")
                firsts.update((int(r["doc_id"]), r["text"][:chars]) for r in rows)
        return [(i, self.docs[i]["title"], firsts.get(i, "")) for i in wanted]

    # -- vectors and search ---------------------------------------------------------------------------

    def _vectors(self, part: str, ids: Sequence[int]) -> np.ndarray:
        import numpy as np

        ids = [int(i) for i in ids]
        found: dict[int, list[float]] = {}
        with self._failures():
            for start in range(0, len(ids), 1000):
                for r in self.client.get(f"{self.gen}_{part}", ids=ids[start : start + 1000],
                                         output_fields=["vector"]):
                    found[int(r["id"])] = r["vector"]
        try:
            out = np.asarray([found[i] for i in ids], dtype=np.float32).reshape(len(ids), self.manifest.dim)
        except KeyError as exc:
            raise IndexStateError(f"The index at {self.location} is damaged ({part} row {exc} is missing). "
                                  f"{REBUILD_HINT}") from None
        if not np.isfinite(out).all():
            raise ValueError(f"{part} vectors hold values that are not numbers")
        return out

    def chunk_vectors(self, ids: Sequence[int]) -> np.ndarray:
        return self._vectors("chunks", ids)

    def sentence_vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        import numpy as np

        cache = self._sentence_cache
        missing = [int(i) for i in dict.fromkeys(ids) if int(i) not in cache]
        if missing:
            if len(cache) > 200_000:
                cache.clear()
            cache.update(zip(missing, self._vectors("sentences", missing), strict=True))
        return np.asarray([cache[int(i)] for i in ids], dtype=np.float32).reshape(len(ids), self.manifest.dim)

    def _filter(self, where: Where | None) -> str | None:
        if where is None:
            return ""
        allowed = sorted(self.documents_matching(where))
        if not allowed:
            return None
        if len(allowed) == len(self.docs):
            return ""
        return f"doc_id in {allowed}"

    def _search(self, part: str, field: str, query: Any, k: int, where: Where | None, metric: str = "IP",
                params: dict[str, Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        expr = self._filter(where)
        if expr is None or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        with self._failures():
            hits = self.client.search(f"{self.gen}_{part}", [query], anns_field=field, limit=min(k, 16_384),
                                      filter=expr, output_fields=[],
                                      search_params={"metric_type": metric, "params": params or {}})[0]
        ids = np.asarray([int(h["id"]) for h in hits], dtype=np.int64)
        scores = np.asarray([float(h["distance"]) for h in hits], dtype=np.float32)
        if metric == "BM25":  # a score, never below 0; Milvus Lite hands it back negated, a server as it is
            scores = np.abs(scores)
        order = np.lexsort((ids, -scores))  # ties by id, as the local store ranks them
        return ids[order], scores[order]

    def dense_search(self, qvec: np.ndarray, k: int, where: Where | None = None) -> tuple[np.ndarray, np.ndarray]:
        params = {"ef": max(HNSW_EF, k)} if self.manifest.vector_index == GRAPH_INDEX else None
        return self._search("chunks", "vector", [float(x) for x in qvec], k, where, params=params)

    def dense_scores(self, ids: list[int], qvec: np.ndarray) -> np.ndarray:
        import numpy as np

        return self.chunk_vectors(ids) @ np.asarray(qvec, dtype=np.float32)

    def keyword_search(self, terms: list[str], k: int, where: Where | None = None) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        known = [t for t in terms if t in self.vocab]  # a repeated term counts again, as in the local index
        if not known or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        # A little deeper than k, so that chunks tied at the cut are ranked by id like the local store does.
        ids, scores = self._search("keywords", "bm25", terms_text(known), k + 16, where, metric="BM25")
        scores = scores / np.float32(BM25_K1 + 1.0)  # Milvus's BM25 keeps Lucene's (k1 + 1) factor
        keep = scores > 0
        return ids[keep][:k], scores[keep][:k]

    def documents_matching(self, where: Where) -> set[int]:
        key = ("docs", where)
        found = self._filter_cache.get(key)
        if found is None:
            found = {i for i, d in enumerate(self.docs) if where.matches(d["source"], d["date"], d["format"],
                                                                        d["title"])}
            if len(self._filter_cache) > 16:
                self._filter_cache.clear()
            self._filter_cache[key] = found
        return found  # type: ignore[return-value]

    def document_frequency(self, term: str) -> int:
        return self.vocab.get(term, 0)

    def accented_frequency(self, term: str) -> int:
        if self._accented is None:
            from index.text.keywords import accented_forms

            self._accented = accented_forms(self.vocab)
        return sum(self.vocab.get(t, 0) for t in self._accented.get(term, ()))

    def name_frequency(self, key: str) -> int:
        return self.names.get(key, 0)

    def keyword_chunks(self) -> int:
        return self.manifest.chunks

    def close(self) -> None:
        """Let go of the generation; dropped now if it is no longer the live one and no other reader of this
        process has it open."""
        if self.closed:
            return
        self.closed = True
        self.store.opened(self.gen, -1)
        if self.store.connected:
            from pymilvus.exceptions import MilvusException

            with contextlib.suppress(MilvusException, QAError):  # not dropped now: the next prune drops it
                self.store.prune()
