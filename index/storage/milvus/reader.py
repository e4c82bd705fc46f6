"""Milvus: reading one published generation, row by row as the answer needs it, and searching it."""



from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from index.errors import (
    GenerationReplaced,
    IndexOutdated,
    IndexStateError,
)
from index.storage.base import (
    FORMAT_VERSION,
    ChunkRow,
    FormatMismatch,
    KeptDocument,
    Manifest,
    check_text,
)
from index.storage.base import K1 as BM25_K1
from index.storage.milvus.schema import (
    EARLIER_FIELDS,
    EXPECTED_FIELDS,
    GRAPH_INDEX,
    HNSW_EF,
    PARTS,
    REBUILD_HINT,
    STALE_CHECK,
    Connection,
    terms_text,
)
from index.types import Anchor, Document, DocumentInfo, Page, Section, Skipped, Span, Unit

if TYPE_CHECKING:
    import numpy as np

    from index.embedding import Embedder
    from index.filters import Where

class MilvusReader:
    """One published generation, read-only (the `IndexReader` protocol). Row tables (which document a chunk
    belongs to, offsets, sentence ranges) and documents' metadata are read once at open; vectors, text and
    searches are served by Milvus."""

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
        self.names: dict[str, int] = {}
        """Name written as code -> documents holding it."""
        self.skipped_rows: list[list[Any]] = []
        self.chunk_rows: Any = None
        """Per chunk, by id: id, doc_id, start, end, n_tokens, first and last sentence id."""
        self.sentence_rows: Any = None
        """Per sentence, by id: id, doc_id, start, end."""
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

        from index.storage.base import Manifest

        hint = f"The index at {store.location}"
        client = store.client
        for part in PARTS:
            name = f"{gen}_{part}"
            if not client.has_collection(name):
                raise IndexStateError(f"{hint} is damaged (collection {name} is missing). {REBUILD_HINT}")
            fields = {f["name"]: f for f in client.describe_collection(name)["fields"]}
            if set(fields) in EARLIER_FIELDS.get(part, []):
                reason = f"{hint} was written by an earlier corpus-qa ({name} has another layout)."
                raise IndexOutdated(f"{reason} {REBUILD_HINT}", reason)
            if set(fields) != EXPECTED_FIELDS[part]:
                raise IndexStateError(f"{hint} is not one corpus-qa wrote (collection {name} has the fields "
                                      f"{', '.join(sorted(fields))}). {REBUILD_HINT}")
            if str(client.get_load_state(name).get("state")) != "Loaded":
                client.load_collection(name)  # Milvus Lite starts with every collection released
        rows = client.query(f"{gen}_meta", filter='key == "manifest"', output_fields=["value"])
        if not rows:
            raise IndexStateError(f"{hint} is incomplete (no manifest). {REBUILD_HINT}")
        try:
            manifest = Manifest.from_json(rows[0]["value"])
        except FormatMismatch as exc:
            raise IndexStateError(f"{hint} was written in format {exc.args[0]}; this corpus-qa reads format "
                                  f"{FORMAT_VERSION}. {REBUILD_HINT}") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexStateError(f"{hint} is damaged (manifest unreadable: {exc}). {REBUILD_HINT}") from None
        if embedder is not None and (manifest.model_id, manifest.weights_hash, manifest.dim) != (
                embedder.model_id, embedder.weights_hash, embedder.dim):
            reason = (f"{hint} was built with the model {manifest.model_id} ({manifest.weights_hash}), not the "
                      f"one in use now, {embedder.model_id} ({embedder.weights_hash}).")
            raise IndexOutdated(f"{reason} {REBUILD_HINT}", reason)
        for part in ("chunks", "sentences"):
            dims = {f["name"]: f.get("params", {}).get("dim") for f in
                    client.describe_collection(f"{gen}_{part}")["fields"]}
            if int(dims["vector"] or 0) != manifest.dim:
                raise IndexStateError(f"{hint} is not one corpus-qa wrote ({gen}_{part} holds vectors of "
                                      f"{dims['vector']}, the manifest says {manifest.dim}). {REBUILD_HINT}")
        reader = cls(store, gen, manifest)
        try:
            reader.docs = reader._meta("documents")
            vocab = reader._meta("vocab")
            reader.vocab = {t: int(df) for t, df in vocab.items()}
            reader.names = {t: int(df) for t, df in reader._meta("names").items()}
            reader.skipped_rows = reader._meta("skipped")
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise IndexStateError(f"{hint} is damaged (metadata unreadable: {exc}). {REBUILD_HINT}") from None
        chunks = reader._all("chunks", ["id", "doc_id", "start", "end", "n_tokens", "first_sentence", "last_sentence"])
        sents = reader._all("sentences", ["id", "doc_id", "start", "end"])
        if (len(chunks), len(sents), len(reader.docs)) != (manifest.chunks, manifest.sentences, manifest.documents) \
                or (len(chunks) and (chunks[:, 0] != np.arange(len(chunks))).any()) \
                or (len(sents) and (sents[:, 0] != np.arange(len(sents))).any()):
            raise IndexStateError(f"{hint} is damaged (the collections and the manifest disagree). {REBUILD_HINT}")
        reader.chunk_rows, reader.sentence_rows = chunks, sents
        for d in reader.docs:
            parts = PurePosixPath(d["source"]).parts
            if not parts or d["source"].startswith(("/", "\\")) or ".." in parts or "\x00" in d["source"]:
                raise IndexStateError(f"{hint} is not one corpus-qa wrote: it names a document outside the corpus "
                                      f"({d['source']!r}). {REBUILD_HINT}")
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

    def _all(self, part: str, fields: list[str]) -> np.ndarray:
        """Every row of a collection's integer fields, sorted by id."""
        import numpy as np

        # Ids are dense (0..n-1), so id ranges page through the rows (Milvus Lite's query iterator logs a
        # warning per call); one more page finds rows beyond the manifest's count, if any.
        n = self.manifest.chunks if part == "chunks" else self.manifest.sentences
        out: list[list[int]] = []
        for start in range(0, n + 1, 16_000):
            rows = self.client.query(f"{self.gen}_{part}", filter=f"id >= {start} and id < {start + 16_000}",
                                     output_fields=fields)
            out.extend([r[f] for f in fields] for r in rows)
        table = np.asarray(out, dtype=np.int64).reshape(-1, len(fields))
        return table[np.argsort(table[:, 0], kind="stable")] if len(table) else table

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
        i, d, s, e, _nt, f, la = (int(x) for x in self.chunk_rows[chunk_id])
        return ChunkRow(i, d, s, e, f, la)

    def sentences_of(self, chunk: ChunkRow) -> list[tuple[int, Span]]:
        rows = self.sentence_rows[chunk.first_sentence : chunk.last_sentence + 1]
        return [(int(i), Span(int(s), int(e))) for i, _d, s, e in rows]

    def document_rows(self, doc_id: int) -> tuple[list[tuple[int, int, int]],
                                                  list[tuple[int, int, int, int, int, int]]]:
        s = self.sentence_rows[self.sentence_rows[:, 1] == doc_id]
        c = self.chunk_rows[self.chunk_rows[:, 1] == doc_id]
        return ([(int(i), int(a), int(b)) for i, _d, a, b in s],
                [(int(i), int(a), int(b), int(nt), int(f), int(la)) for i, _d, a, b, nt, f, la in c])

    def chunks_of(self, doc_id: int, limit: int) -> list[int]:
        return [int(i) for i in self.chunk_rows[self.chunk_rows[:, 1] == doc_id][:limit, 0]]

    def chunk_documents(self, chunk_ids: list[int]) -> dict[int, int]:
        return {int(c): int(self.chunk_rows[c, 1]) for c in chunk_ids}

    def sentence_ranges(self, chunk_ids: list[int]) -> dict[int, tuple[int, int]]:
        return {int(c): (int(self.chunk_rows[c, 5]), int(self.chunk_rows[c, 6])) for c in sorted(chunk_ids)}

    def chunk_texts(self, limit: int) -> list[str]:
        return [self.document(int(d)).text[int(a) : int(b)] for _i, d, a, b, *_r in self.chunk_rows[:limit]]

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
            with contextlib.suppress(Exception):
                self.store.prune()
