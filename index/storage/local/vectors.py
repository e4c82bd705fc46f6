"""The vector store: exact search for small corpora, a tuned FAISS IVF index for large ones.

`chunks.npy` (float32, memory-mapped) always holds every chunk vector: incremental builds reuse rows
from it and exact re-scoring reads it.

- Below `EXACT_LIMIT` vectors, search is exact: one matrix product over `chunks.npy`, which is what
  FAISS's IndexFlatIP computes, without importing faiss (0.13 s of a one-shot question) and without
  its OpenMP start-up per query (measured here on 10k vectors: 0.5 ms with numpy, 13 ms with faiss on
  two threads, 1-2 ms on one).
- From `EXACT_LIMIT` on, `chunks.faiss` holds an inverted-file index with 8-bit scalar-quantised codes
  (IVF-SQ8, a quarter of the vectors' size). Its `nprobe` is tuned at build time until recall@10 against
  exact search reaches `TARGET_RECALL`, and stored in `search.json`. Searches fetch extra candidates and
  re-score them exactly from `chunks.npy`, so quantisation never reorders the top. faiss runs single-
  threaded (one query at a time) and its file is memory-mapped where faiss allows it.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from index.types import EXACT_LIMIT

if TYPE_CHECKING:
    import numpy as np

TARGET_RECALL = 0.97
TUNE_COSINE = 0.5
"""Cosine of the tuning queries to the stored vectors they are made from."""
RERANK_FACTOR = 4
"""An approximate search fetches this many times the asked candidates, then re-scores exactly."""


@dataclass(frozen=True)
class SearchParams:
    """How `chunks.faiss` was built and is searched."""

    kind: str
    """`flat` or `ivf-sq8`."""
    nprobe: int = 0
    """Inverted lists visited per query (IVF only)."""
    tuned_recall: float = 1.0
    """Recall@10 against exact search measured when nprobe was chosen."""


def write_vectors(folder: Path, matrix: np.ndarray, exact_limit: int = EXACT_LIMIT) -> SearchParams:
    """Save the vectors and the search structure chosen by their number."""
    import numpy as np

    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    np.save(folder / "chunks.npy", matrix, allow_pickle=False)
    return write_search_structure(folder, matrix, exact_limit)


def write_search_structure(folder: Path, matrix: np.ndarray, exact_limit: int = EXACT_LIMIT) -> SearchParams:
    """The search structure for vectors already saved as `folder/chunks.npy` (`matrix` may be its memory
    map): nothing below `exact_limit` rows, a tuned IVF index from there on."""
    import numpy as np

    n, dim = matrix.shape
    if n < exact_limit:
        params = SearchParams("flat")
    else:
        import faiss

        faiss.omp_set_num_threads(os.cpu_count() or 1)  # building does use every core
        nlist = max(1, min(int(4 * math.sqrt(n)), n // 39))  # faiss wants >= 39 training points a list
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = np.array(matrix[rng.choice(n, size=min(n, 64 * nlist), replace=False)])
        _release(matrix)
        index.train(sample)
        del sample
        for start in range(0, n, ADD_BLOCK):
            index.add(np.ascontiguousarray(matrix[start : start + ADD_BLOCK]))
            _release(matrix)
        params = _tune(index, matrix, rng)
        _release(matrix)
        faiss.write_index(index, str(folder / "chunks.faiss"))
    (folder / "search.json").write_text(json.dumps(params.__dict__), encoding="utf-8")
    return params


ADD_BLOCK = 16_384
"""Rows read from the vectors' file and added to the IVF index at a time."""


def _release(matrix: np.ndarray) -> None:
    """Drop a memory-mapped matrix's pages from this process (they stay in the page cache). A build reads
    all of `chunks.npy` several times over (sampling, adding, tuning), and pages read through a mapping
    count in the process's resident size until unmapped: indexing 100,000 documents peaked at 615 MB,
    most of it this file (measured here)."""
    import mmap

    mapping = getattr(matrix, "_mmap", None)  # np.memmap keeps its mmap.mmap here
    if isinstance(mapping, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        mapping.madvise(mmap.MADV_DONTNEED)


def _tune(index: Any, matrix: np.ndarray, rng: np.random.Generator, queries: int = 200) -> SearchParams:
    """Smallest nprobe whose recall@10 (after exact re-scoring) reaches TARGET_RECALL on perturbed
    copies of stored vectors."""
    import numpy as np

    queries = min(queries, len(matrix))
    picks = rng.choice(len(matrix), size=queries, replace=False)
    # Stored vectors moved far from themselves stand in for questions: a real question sits at cosine
    # ~0.6 from its best chunk (bench/scale.py), and stand-ins closer than that tune nprobe too low.
    spread = math.sqrt((1 / TUNE_COSINE**2 - 1) / matrix.shape[1])
    q = matrix[picks] + rng.normal(0, spread, size=(queries, matrix.shape[1]))
    q = q.astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    truth = _exact_top(matrix, q, min(10, len(matrix)))
    nprobe, recall = 1, 0.0
    while nprobe <= index.nlist:
        index.nprobe = nprobe
        found = [_rerank(matrix, qv, index.search(qv[None, :], 10 * RERANK_FACTOR)[1][0], 10)[0] for qv in q]
        recall = float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))
        if recall >= TARGET_RECALL:
            break
        nprobe *= 2
    return SearchParams("ivf-sq8", min(nprobe, index.nlist), recall)


def _exact_top(matrix: np.ndarray, queries: np.ndarray, k: int, block: int = ADD_BLOCK) -> np.ndarray:
    """The k best rows for each query, best first, a block of rows at a time: each block's own top k is
    merged into the running one, so memory is one block's scores, not a block of scores and ids twice over
    (blocks of 65,536 rows and 200 queries took 370 MB here)."""
    import numpy as np

    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), k), dtype=np.int64)
    for start in range(0, len(matrix), block):
        scores = queries @ np.asarray(matrix[start : start + block]).T
        _release(matrix)
        kk = min(k, scores.shape[1])
        top = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        all_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, axis=1)], axis=1)
        all_ids = np.concatenate([best_ids, top + start], axis=1)
        del scores, top
        keep = np.argpartition(-all_scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(all_scores, keep, axis=1)
        best_ids = np.take_along_axis(all_ids, keep, axis=1)
    order = np.argsort(-best_scores, axis=1)
    return np.take_along_axis(best_ids, order, axis=1)


def _rerank(matrix: np.ndarray, qvec: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    ids = ids[ids >= 0]
    if len(ids) == 0:
        return ids, np.zeros(0, dtype=np.float32)
    order = np.sort(ids)  # sorted row reads are kinder to a memory-mapped file
    scores = np.asarray(matrix[order]) @ qvec
    top = np.argsort(-scores)[:k]
    return order[top], scores[top]


class Verify(Protocol):
    """Checks bytes of a file against the build's checksums before they are used (checksums.py BlockCheck)."""

    def __call__(self, start: int, end: int) -> None: ...

    def whole(self) -> None: ...


class VectorStore:
    """Read side: search by inner product, exact scores of given rows. Memory-mapped. `verify(start, end)`, if
    given, checks bytes of chunks.npy against the build's checksums before they are used (store.BlockCheck):
    all of them for an exact search, which reads every vector, the rows' own for re-scoring."""

    def __init__(self, folder: Path, verify: Verify | None = None) -> None:
        import numpy as np

        self.folder = folder
        self.verify = verify
        self.vectors = np.load(folder / "chunks.npy", mmap_mode="r", allow_pickle=False)
        self.params = SearchParams(**json.loads((folder / "search.json").read_text(encoding="utf-8")))
        self._fd: int | None = None

    @property
    def ntotal(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def looks_complete(self) -> bool:
        """A cheap check (no faiss import) that chunks.faiss, where there is one, holds all its codes."""
        if self.params.kind == "flat":
            return True
        path = self.folder / "chunks.faiss"
        return path.is_file() and path.stat().st_size >= self.ntotal * self.dim

    def _faiss(self) -> Any:
        index = self.__dict__.get("_index")
        if index is None:
            import faiss  # ~0.15 s

            path = str(self.folder / "chunks.faiss")
            try:
                index = faiss.read_index(path, faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
            except RuntimeError:
                index = faiss.read_index(path)
            if index.ntotal != self.ntotal or index.d != self.dim:
                raise ValueError(f"chunks.faiss holds {index.ntotal} vectors of {index.d}")
            index.nprobe = self.params.nprobe  # type: ignore[attr-defined]  # an IVF index (SWIG)
            faiss.omp_set_num_threads(1)  # one query at a time: threads only add start-up cost
            self.__dict__["_index"] = index
        return index

    def search(self, qvec: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of the k rows with the highest inner product, best first (exact scores); with
        `allowed` (a boolean mask over rows), among those rows only."""
        import numpy as np

        q = np.ascontiguousarray(qvec.reshape(1, -1), dtype=np.float32)
        if allowed is not None and self.params.kind != "flat":
            return self._search_allowed(q, k, allowed)
        if self.params.kind == "flat":
            if self.verify is not None:
                self.verify.whole()
            scores = self.vectors @ q[0]
            if len(scores) and not np.isfinite(scores).all():
                raise ValueError("chunks.npy holds values that are not numbers")
            if allowed is not None:
                scores = np.where(allowed, scores, -np.inf)
                k = min(k, int(allowed.sum()))
            k = min(k, len(scores))
            if k <= 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
            top = top[np.lexsort((top, -scores[top]))]  # best first; ties by row for stable results
            return top, scores[top]
        _scores, ids = self._faiss().search(q, k * RERANK_FACTOR)
        ids = np.sort(ids[0][ids[0] >= 0])
        scores = self.rows(ids) @ q[0]
        if not np.isfinite(scores).all():
            raise ValueError("chunks.npy holds values that are not numbers")
        top = np.argsort(-scores)[:k]
        return ids[top], scores[top]

    def _search_allowed(self, q: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """IVF search restricted to the allowed rows (faiss's bitmap selector), probing more lists until k
        allowed rows are found or every list was probed."""
        import faiss
        import numpy as np

        index = self._faiss()
        total = int(allowed.sum())
        k = min(k, total)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        bits = np.packbits(allowed.astype(np.uint8), bitorder="little")  # referenced until the search ends
        bitmap = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
        nprobe = max(1, self.params.nprobe)
        while True:
            params = faiss.SearchParametersIVF(sel=bitmap, nprobe=min(nprobe, index.nlist))  # type: ignore[call-arg]
            _scores, ids = index.search(q, k * RERANK_FACTOR, params=params)
            found = np.sort(ids[0][ids[0] >= 0])
            if len(found) >= k or nprobe >= index.nlist:
                break
            nprobe *= 4
        scores = self.rows(found) @ q[0]
        top = np.argsort(-scores)[:k]
        return found[top], scores[top]

    def rows(self, ids: np.ndarray | list[int]) -> np.ndarray:
        """Some rows of the vectors. On a large index they are read with pread: touching scattered rows
        of a memory map faults in ~100 KB around each (1 GB resident after 100 questions on 1M vectors,
        measured), while pread leaves them in the page cache, outside the process."""
        import numpy as np

        if self.verify is not None:
            width = 4 * self.dim
            for row in ids:
                self.verify(self.vectors.offset + int(row) * width, self.vectors.offset + (int(row) + 1) * width)
        if self.params.kind == "flat":
            return np.asarray(self.vectors[ids], dtype=np.float32)
        if self._fd is None:
            self._fd = os.open(self.folder / "chunks.npy", os.O_RDONLY)
        row_bytes = 4 * self.dim
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        for i, row in enumerate(ids):
            data = os.pread(self._fd, row_bytes, self.vectors.offset + int(row) * row_bytes)
            out[i] = np.frombuffer(data, dtype=np.float32)
        return out

    def scores_of(self, ids: list[int], qvec: np.ndarray) -> np.ndarray:
        """Exact inner products of the query with the given rows."""
        return self.rows(ids) @ qvec
