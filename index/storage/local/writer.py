"""Writing one new generation of the local index, streaming: rows go to disk as they are produced.

The builder decides what each document needs (kept from the previous generation, or newly chunked and
embedded); this writer lays the generation out on disk. Vectors are written with `pwrite` into `.npy`
files that grow as documents are added (the header gets the final shape at the end), so a build holds one
batch of vectors in memory, not the corpus's; written pages sit in the page cache, not in the process
(a writable memory map would count every written page in its resident size). Nothing is visible to
readers until `finish` has written the manifest and `IndexDir.commit` swaps it in; `abort` removes the
half-written folder.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from index.storage.base import EmbedderId, Manifest, RowPlan, chunk_terms, plan_kept, plan_new
from index.storage.local.bm25 import KeywordIndexWriter
from index.storage.local.checksums import block_checksums
from index.storage.local.schema import CHECKSUMMED, SCHEMA
from index.storage.local.vectors import write_search_structure
from index.text.keywords import names_in
from index.text.titles import normalize, title_keys
from index.types import EXACT_LIMIT, Chunk, ChunkingParams, Document, FileStat, Skipped

if TYPE_CHECKING:
    import numpy as np

    from index.storage.base import IndexReader


class _RowFile:
    """A float32 `.npy` matrix written row range by row range with pwrite. The number of rows is known only
    at the end (the builder streams documents through), so the file grows as rows land and its header,
    reserved at a fixed length, gets the final shape in `close`."""

    HEADER = 128
    """Bytes reserved for the `.npy` header: a multiple of 64, as numpy writes it, and room for any shape."""

    def __init__(self, path: Path, dim: int) -> None:
        self.rows, self.dim = 0, dim
        self.offset = self.HEADER
        self.fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        os.pwrite(self.fd, self._header(), 0)

    def _header(self) -> bytes:
        """Format 1.0: magic, version, header length, then the dict padded with spaces to HEADER bytes."""
        import struct

        text = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({self.rows}, {self.dim}), }}"
        body = text.encode("latin1").ljust(self.HEADER - 10 - 1) + b"\n"
        assert len(body) == self.HEADER - 10, "shape too large for the reserved header"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body

    def reserve(self, rows: int) -> None:
        """Make room for `rows` more rows (their vectors come later, in any order)."""
        self.rows += rows

    def write(self, row: int, block: np.ndarray) -> None:
        import numpy as np

        data = np.ascontiguousarray(block, dtype="<f4")
        assert data.shape[1] == self.dim and 0 <= row and row + len(data) <= self.rows
        if self.fd is not None:
            os.pwrite(self.fd, data.tobytes(), self.offset + row * self.dim * 4)

    def finalize(self) -> None:
        """Write the final shape into the header, size the file to exactly the rows reserved, close it."""
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, self.offset + self.rows * self.dim * 4)
                os.pwrite(self.fd, self._header(), 0)
            finally:
                self.close()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class GenerationWriter:
    """The local `IndexWriter`: builds `tmp-*/` for one generation; documents get their ids in the order
    they are added."""

    def __init__(self, tmp: Path, commit: Callable[[Path, Manifest], object], previous: IndexReader | None, dim: int,
                 exact_limit: int = EXACT_LIMIT) -> None:
        self.commit = commit
        """Makes a finished generation the live one (the folder's `IndexDir.commit`)."""
        self.previous = previous
        self.dim = dim
        self.exact_limit = exact_limit
        self.tmp = tmp
        """The new generation's folder, made by the index folder for this writer."""
        try:
            self.conn = sqlite3.connect(self.tmp / "meta.sqlite")
            self.conn.executescript(SCHEMA)
            self.chunk_file = _RowFile(self.tmp / "chunks.npy", dim)
            self.sentence_file = _RowFile(self.tmp / "sentences.npy", dim)
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise
        self.sentence_written = bytearray()
        self.chunk_written = bytearray()
        self.keywords = KeywordIndexWriter()
        self.names: Counter[str] = Counter()
        self.chunk_table = array("q")  # per chunk: document id, first and last sentence id
        self.documents = self.chunks = self.sentences = 0

    def _document_rows(self, doc: Document, stat: FileStat) -> int:
        doc_id = self.documents
        self.conn.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc_id, doc.source, doc.title, doc.date, doc.place, doc.sha256, stat.size, stat.mtime_ns,
             stat.ctime_ns, doc.body_start, doc.text, doc.format, doc.encoding,
             doc.indexed if doc.indexed is not None else time.time()),
        )
        self.conn.executemany("INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?)",
                              [(doc_id, pg.number, pg.label, pg.start, pg.end, int(pg.ocr)) for pg in doc.pages])
        if doc.anchors:
            self.conn.executemany("INSERT INTO anchors VALUES (?, ?, ?, ?)",
                                  [(doc_id, a.start, a.kind, a.name) for a in doc.anchors])
        self.conn.executemany("INSERT INTO sections VALUES (?, ?, ?, ?, ?)",
                              [(doc_id, sc.start, sc.end, sc.level, sc.title) for sc in doc.sections])
        self.conn.executemany("INSERT INTO units VALUES (?, ?, ?, ?, ?, ?)",
                              [(doc_id, i, u.kind, u.start, u.end, u.parent) for i, u in enumerate(doc.units)])
        self.names.update(names_in(doc.text))
        whole = normalize(doc.title)
        self.conn.executemany("INSERT INTO title_keys VALUES (?, ?, ?)",
                              [(k, doc_id, int(k == whole)) for k in title_keys(doc.title)])
        self.documents += 1
        return doc_id

    def _chunk_rows(self, doc: Document, doc_id: int, plan: RowPlan) -> None:
        base_s, base_c = self.sentences, self.chunks
        self.conn.executemany("INSERT INTO sentences VALUES (?, ?, ?, ?)",
                              [(base_s + k, doc_id, s, e) for k, (s, e) in enumerate(plan.sentences)])
        self.conn.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
                              [(base_c + k, doc_id, s, e, nt, base_s + f, base_s + la)
                               for k, (s, e, nt, f, la) in enumerate(plan.chunks)])
        for s, e, _nt, f, la in plan.chunks:
            self.chunk_table.extend((doc_id, base_s + f, base_s + la))
            self.keywords.add(chunk_terms(doc, s, e))
        self.sentences += len(plan.sentences)
        self.chunks += len(plan.chunks)
        self.sentence_file.reserve(len(plan.sentences))
        self.chunk_file.reserve(len(plan.chunks))
        self.sentence_written.extend(bytes(len(plan.sentences)))
        self.chunk_written.extend(bytes(len(plan.chunks)))

    def keep(self, old_id: int, stat: FileStat) -> None:
        """Carry a document over from the previous generation: text, rows and vectors, nothing re-embedded."""
        prev = self.previous
        assert prev is not None
        doc = prev.document(old_id)
        doc_id = self._document_rows(doc, stat)
        plan, old_sentences, old_chunks = plan_kept(prev, old_id)
        base_s, base_c = self.sentences, self.chunks
        self._chunk_rows(doc, doc_id, plan)
        if old_sentences:
            self.sentence_file.write(base_s, prev.sentence_vectors_of(old_sentences))
            self.sentence_written[base_s : base_s + len(old_sentences)] = b"\1" * len(old_sentences)
        if old_chunks:
            self.chunk_file.write(base_c, prev.chunk_vectors(old_chunks))
            self.chunk_written[base_c : base_c + len(old_chunks)] = b"\1" * len(old_chunks)

    def add(self, doc: Document, stat: FileStat, chunks: Sequence[Chunk]) -> tuple[int, dict[tuple[int, int], int]]:
        """Add a new document with its chunks; returns its first chunk row and each sentence's row, for
        `put` to place the vectors once they are embedded."""
        doc_id = self._document_rows(doc, stat)
        plan = plan_new(chunks)
        base_s, base_c = self.sentences, self.chunks
        self._chunk_rows(doc, doc_id, plan)
        return base_c, {span: base_s + k for k, span in enumerate(plan.sentences)}

    def put(self, chunk_row: int, vector: np.ndarray, sentence_rows: Sequence[int], vectors: np.ndarray) -> None:
        """Place one embedded chunk's vector and its sentences' vectors. A sentence shared by two chunks keeps
        the vector from the chunk embedded first."""
        self.chunk_file.write(chunk_row, vector[None, :])
        self.chunk_written[chunk_row] = 1
        for k, row in enumerate(sentence_rows):
            if not self.sentence_written[row]:
                self.sentence_written[row] = 1
                self.sentence_file.write(row, vectors[k : k + 1])

    def publish(self, embedder_id: EmbedderId, params: ChunkingParams, corpus: Path, skipped: Sequence[Skipped],
                stat_of: dict[str, FileStat]) -> Manifest:
        """Finish the generation and make it the live one (`commit`)."""
        manifest = self.finish(embedder_id, params, corpus, skipped, stat_of, self.exact_limit)
        self.commit(self.tmp, manifest)
        return manifest

    def finish(self, embedder_id: EmbedderId, params: ChunkingParams, corpus: Path, skipped: Sequence[Skipped],
               stat_of: dict[str, FileStat], exact_limit: int = EXACT_LIMIT) -> Manifest:
        """Write what is left (skipped files, the search structures) and return the manifest to commit."""
        self.conn.executemany("INSERT INTO names VALUES (?, ?)", self.names.items())
        self.names.clear()
        self.conn.executemany(
            "INSERT INTO skipped VALUES (?, ?, ?, ?, ?)",
            [(s.source, stat_of[s.source].size, stat_of[s.source].mtime_ns, stat_of[s.source].ctime_ns, s.reason)
             for s in skipped],
        )
        self.conn.commit()
        self.conn.close()
        assert all(self.chunk_written), "a chunk was never given a vector"
        assert all(self.sentence_written), "a sentence was never given a vector"
        self.chunk_file.finalize()
        self.sentence_file.finalize()
        import numpy as np

        vectors = np.load(self.tmp / "chunks.npy", mmap_mode="r")
        search = write_search_structure(self.tmp, vectors, exact_limit)
        del vectors
        self.keywords.write(self.tmp / "bm25")
        table = np.frombuffer(self.chunk_table, dtype=np.int64).reshape(-1, 3)
        np.save(self.tmp / "chunk_table.npy", table, allow_pickle=False)
        return Manifest.of_build(embedder_id, params, corpus, self.dim, search.kind,
                                 (self.documents, self.chunks, self.sentences),
                                 {name: block_checksums(self.tmp / name) for name in CHECKSUMMED})

    def abort(self) -> None:
        """Remove the half-written generation (a failed or interrupted build leaves nothing behind)."""
        try:
            self.conn.close()
        except sqlite3.Error:
            pass
        for part in ("chunk_file", "sentence_file"):
            if hasattr(self, part):
                getattr(self, part).close()
        shutil.rmtree(self.tmp, ignore_errors=True)
