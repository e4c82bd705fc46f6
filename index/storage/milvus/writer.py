"""Milvus: writing the next generation's collections, rows waiting for their vectors kept in a file."""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.errors import QAError
from index.storage.base import EmbedderId, Manifest, RowPlan, chunk_terms, plan_kept, plan_new
from index.storage.milvus.reader import MilvusReader
from index.storage.milvus.schema import (
    BATCH,
    GRAPH_INDEX,
    PARTS,
    VECTOR_INDEX,
    Connection,
    collection_schema,
    create_index,
    terms_text,
    text_pieces,
)
from index.text.keywords import names_in
from index.types import ChunkingParams, Document, FileStat, Skipped

if TYPE_CHECKING:
    import numpy as np

    from index.types import Chunk

class _Waiting:
    """New rows waiting for their vectors (between reading and embedding), as fixed-size records in an
    unnamed temporary file in the cache folder, at their id's place: a build of millions of new chunks would
    otherwise hold every row as a Python dict until the end of the embedding stage."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        import struct
        import tempfile

        from index.paths import scratch_dir

        self.fields = fields
        self.record = struct.Struct(f"<{len(fields) + 1}q")  # a "waiting" flag, then the fields
        self.file = tempfile.TemporaryFile(dir=scratch_dir())
        self.count = 0

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Rows with consecutive ids."""
        if rows:
            data = b"".join(self.record.pack(1, *(r[f] for f in self.fields)) for r in rows)
            os.pwrite(self.file.fileno(), data, rows[0]["id"] * self.record.size)
            self.count += len(rows)

    def pop(self, row_id: int) -> dict[str, Any] | None:
        """The row, the first time it is asked for; None after that (or if it never waited)."""
        raw = os.pread(self.file.fileno(), self.record.size, row_id * self.record.size)
        if len(raw) < self.record.size:
            return None
        flag, *values = self.record.unpack(raw)
        if not flag:
            return None
        os.pwrite(self.file.fileno(), b"\0" * 8, row_id * self.record.size)
        self.count -= 1
        return {"id": row_id, **dict(zip(self.fields, values, strict=True))}

    def close(self) -> None:
        self.file.close()


class MilvusWriter:
    """Writes one new generation's collections; nothing is visible until `publish` switches the alias."""

    def __init__(self, store: Connection, previous: MilvusReader | None, dim: int, exact_limit: int) -> None:
        self.store, self.previous, self.dim, self.exact_limit = store, previous, dim, exact_limit
        self.client = store.client
        store.prune()  # a build that died half-way, an old generation whose readers are gone
        self.gen = f"{store.base}_g{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:8]}"
        try:
            for part in PARTS:
                schema, params = collection_schema(self.client, part, dim)
                self.client.create_collection(f"{self.gen}_{part}", schema=schema,
                                              index_params=params if part != "chunks" else None)
        except Exception:
            store.drop(self.gen)
            raise
        self.docs: list[dict[str, Any]] = []
        self.vocab: dict[str, int] = {}
        """Term -> chunks holding it, for `document_frequency` on the query side."""
        self.names: dict[str, int] = {}
        """Name written as code -> documents holding it (index.text.keywords.names_in), for `name_frequency`."""
        self.pending_chunks = _Waiting(("doc_id", "start", "end", "n_tokens", "first_sentence", "last_sentence"))
        self.pending_sentences = _Waiting(("doc_id", "start", "end"))
        self.buffers: dict[str, list[dict[str, Any]]] = {"chunks": [], "sentences": [], "texts": [],
                                                         "keywords": []}
        self.chunks = self.sentences = 0

    def _insert(self, part: str, rows: list[dict[str, Any]]) -> None:
        buf = self.buffers[part]
        buf.extend(rows)
        if len(buf) >= BATCH:
            self._flush(part)

    def _flush(self, part: str) -> None:
        buf = self.buffers[part]
        for start in range(0, len(buf), BATCH):
            self.client.insert(f"{self.gen}_{part}", buf[start : start + BATCH])
        buf.clear()

    def _document(self, doc: Document, stat: FileStat) -> int:
        doc_id = len(self.docs)
        for key in names_in(doc.text):
            self.names[key] = self.names.get(key, 0) + 1
        self.docs.append({
            "source": doc.source, "title": doc.title, "date": doc.date, "place": doc.place, "sha256": doc.sha256,
            "size": stat.size, "mtime_ns": stat.mtime_ns, "ctime_ns": stat.ctime_ns, "body_start": doc.body_start,
            "format": doc.format, "chars": len(doc.text),
            "pages": [[p.number, p.label, p.start, p.end, p.ocr] for p in doc.pages],
            "sections": [[s.title, s.level, s.start, s.end] for s in doc.sections],
            "units": [[u.kind, u.start, u.end, u.parent] for u in doc.units],
            "anchors": [[a.kind, a.start, a.name] for a in doc.anchors],
            "encoding": doc.encoding, "indexed": doc.indexed if doc.indexed is not None else time.time(),
        })
        self._insert("texts", [{"id": doc_id * 1_000_000 + k, "doc_id": doc_id, "part": k, "text": piece,
                                "pad": [0.0, 0.0]} for k, piece in enumerate(text_pieces(doc.text))])
        return doc_id

    def _rows(self, doc: Document, doc_id: int, plan: RowPlan) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        base_s, base_c = self.sentences, self.chunks
        srows = [{"id": base_s + k, "doc_id": doc_id, "start": s, "end": e} for k, (s, e) in enumerate(plan.sentences)]
        crows = [{"id": base_c + k, "doc_id": doc_id, "start": s, "end": e, "n_tokens": nt,
                  "first_sentence": base_s + f, "last_sentence": base_s + la}
                 for k, (s, e, nt, f, la) in enumerate(plan.chunks)]
        krows = []
        for k, (s, e, *_rest) in enumerate(plan.chunks):
            terms = chunk_terms(doc, s, e)
            for t in set(terms):
                self.vocab[t] = self.vocab.get(t, 0) + 1
            krows.append({"id": base_c + k, "doc_id": doc_id, "terms": terms_text(terms)})
        self._insert("keywords", krows)
        self.docs[doc_id]["rows"] = [base_c, len(plan.chunks), base_s, len(plan.sentences)]
        self.sentences += len(plan.sentences)
        self.chunks += len(plan.chunks)
        return srows, crows

    def keep(self, old_id: int, stat: FileStat) -> None:
        """Copy a document from the previous generation: its rows and the vectors read back, not re-embedded."""
        prev = self.previous
        assert prev is not None
        doc = prev.document(old_id)
        doc_id = self._document(doc, stat)
        plan, old_sentences, old_chunks = plan_kept(prev, old_id)
        srows, crows = self._rows(doc, doc_id, plan)
        if old_sentences:
            for row, vec in zip(srows, prev.sentence_vectors_of(old_sentences), strict=True):
                row["vector"] = vec.tolist()
            self._insert("sentences", srows)
        if old_chunks:
            for row, vec in zip(crows, prev.chunk_vectors(old_chunks), strict=True):
                row["vector"] = vec.tolist()
            self._insert("chunks", crows)

    def add(self, doc: Document, stat: FileStat, chunks: Sequence[Chunk]) -> tuple[int, dict[tuple[int, int], int]]:
        doc_id = self._document(doc, stat)
        plan = plan_new(chunks)
        base_s, base_c = self.sentences, self.chunks
        srows, crows = self._rows(doc, doc_id, plan)
        self.pending_sentences.add(srows)
        self.pending_chunks.add(crows)
        return base_c, {span: base_s + k for k, span in enumerate(plan.sentences)}

    def put(self, chunk_row: int, vector: np.ndarray, sentence_rows: Sequence[int], vectors: np.ndarray) -> None:
        """Insert an embedded chunk and those of its sentences not yet inserted (a sentence shared by two
        chunks keeps the vector from the chunk embedded first, as in the local store)."""
        row = self.pending_chunks.pop(chunk_row)
        assert row is not None, f"chunk {chunk_row} was given its vector twice"
        row["vector"] = vector.tolist()
        self._insert("chunks", [row])
        out = []
        for k, sid in enumerate(sentence_rows):
            srow = self.pending_sentences.pop(sid)
            if srow is not None:
                srow["vector"] = vectors[k].tolist()
                out.append(srow)
        self._insert("sentences", out)

    def _meta(self, key: str, value: object) -> None:
        text = json.dumps(value, ensure_ascii=False)
        rows = [{"key": f"{key}:{k}", "value": piece, "pad": [0.0, 0.0]} for k, piece in enumerate(text_pieces(text))]
        rows.append({"key": key, "value": json.dumps(len(rows)), "pad": [0.0, 0.0]})
        for start in range(0, len(rows), BATCH):
            self.client.insert(f"{self.gen}_meta", rows[start : start + BATCH])

    def publish(self, embedder_id: EmbedderId, params: ChunkingParams, corpus: Path, skipped: Sequence[Skipped],
                stat_of: dict[str, FileStat]) -> Manifest:
        assert not self.pending_chunks.count and not self.pending_sentences.count, \
            "a chunk or sentence never got a vector"
        self.pending_chunks.close()
        self.pending_sentences.close()
        for part in self.buffers:
            self._flush(part)
        vector_index = self._index_chunks()
        manifest = Manifest.of_build(embedder_id, params, corpus, self.dim, vector_index,
                                     (len(self.docs), self.chunks, self.sentences))
        self._meta("documents", self.docs)
        self._meta("vocab", self.vocab)
        self._meta("names", self.names)
        self._meta("skipped", [[s.source, stat_of[s.source].size, stat_of[s.source].mtime_ns,
                                stat_of[s.source].ctime_ns, s.reason] for s in skipped])
        self.client.insert(f"{self.gen}_meta", [{"key": "manifest", "value": manifest.to_json(), "pad": [0.0, 0.0]}])
        for part in PARTS:
            self.client.flush(f"{self.gen}_{part}")
        self.store.check_lease()
        self.store.publish(self.gen)
        return manifest

    def _index_chunks(self) -> str:
        """From `exact_limit` chunks on (the local store's IVF threshold, 100,000 by default), the chunk
        vectors get an HNSW graph instead of FLAT's exhaustive scan: a FLAT search costs about 1 s at a million
        chunks (bench/scale.py --milvus). The count is known only now, so the index is made here (the
        collection was created without one)."""
        name = f"{self.gen}_chunks"
        self.client.flush(name)
        create_index(self.client, name, "FLAT" if self.chunks < self.exact_limit else "HNSW")
        self.client.load_collection(name)
        return VECTOR_INDEX if self.chunks < self.exact_limit else GRAPH_INDEX

    def abort(self) -> None:
        self.pending_chunks.close()
        self.pending_sentences.close()
        from pymilvus.exceptions import MilvusException

        with contextlib.suppress(MilvusException, QAError):  # the server is gone: the next build's prune drops it
            self.store.drop(self.gen)


