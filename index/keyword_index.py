"""The BM25 keyword index: written with bm25s, read back with plain numpy.

bm25s precomputes every (term, chunk) BM25 contribution into a sparse CSC matrix; a query's scores are
the sum of its terms' columns. Reading those arrays directly (memory-mapped) avoids importing bm25s and
scipy on the query path (~0.3 s of a one-shot question) and keeps memory flat for large indexes.

Retrieval wants only the best few chunks, so `top` avoids summing the longest posting lists when it can
(MaxScore, as in Lucene): `term_max.npy` stores each term's largest contribution. Terms are summed from
the highest bound down; once the bounds of the terms left add up to less than the k-th best partial
score, no chunk outside the candidates can reach the top k, and the candidates get the remaining terms
by binary search in those terms' (sorted) postings. The result is the same top k as summing every list.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

TERM_MAX = "term_max.npy"
PRUNE_ABOVE = 100_000
"""Queries whose posting lists hold fewer postings than this are summed whole: pruning costs more than it
saves (0.23 ms against 0.06 ms per query on 10k summaries)."""
PROBE_SIZE = 16_384
"""At most this many chunks are looked at to bound the k-th best score from below."""
LOOKUP_COST = 8
"""A binary search into a posting list costs about this many additions of a posting (30-60 ns against
~6 ns, measured on lists of 0.1-1M postings)."""


def write_keyword_index(folder: Path, chunk_terms: Sequence[list[str]]) -> None:
    """Build and save the BM25 index of the chunks' terms (index time; imports bm25s)."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index([terms or ["\u2205"] for terms in chunk_terms], show_progress=False)
    retriever.save(str(folder))
    index = KeywordIndex(folder)
    np.save(folder / TERM_MAX, _term_max(index.data, index.indptr), allow_pickle=False)


def _term_max(data: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Each term's largest BM25 contribution to any chunk (0 for a term with no postings)."""
    out = np.zeros(len(indptr) - 1, dtype=np.float32)
    starts = np.asarray(indptr[:-1])
    nonempty = np.asarray(indptr[1:]) > starts
    if nonempty.any():  # each segment runs to the next non-empty start, i.e. to its own end
        out[nonempty] = np.maximum.reduceat(np.asarray(data), starts[nonempty])
    return out


class KeywordIndex:
    """Read-only BM25 scores over chunks, memory-mapped."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = np.load(folder / "data.csc.index.npy", mmap_mode="r")
        self.indices = np.load(folder / "indices.csc.index.npy", mmap_mode="r")
        self.indptr = np.load(folder / "indptr.csc.index.npy", mmap_mode="r")
        self.vocab: dict[str, int] = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        self.num_docs = int(params["num_docs"])
        if params.get("method", "lucene") not in ("lucene", "robertson", "atire"):
            raise ValueError(f"unsupported BM25 variant {params.get('method')}")
        if len(self.indptr) < 1 or int(self.indptr[-1]) != len(self.data) or len(self.indices) != len(self.data):
            raise ValueError("inconsistent arrays")

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for the query terms (unknown terms count for nothing)."""
        out = np.zeros(self.num_docs, dtype=np.float32)
        for term in terms:
            tid = self.vocab.get(term)
            if tid is None or tid + 1 >= len(self.indptr):
                continue
            start, end = int(self.indptr[tid]), int(self.indptr[tid + 1])
            out[self.indices[start:end]] += self.data[start:end]
        return out

    @cached_property
    def term_max(self) -> np.ndarray:
        """Per-term upper bounds: stored at build time; computed here for an index written before them,
        or if the stored file is damaged (they are only a shortcut)."""
        try:
            bounds = np.load(self.folder / TERM_MAX, mmap_mode="r")
            if bounds.shape == (len(self.indptr) - 1,):
                return bounds
        except (OSError, ValueError, EOFError):
            pass
        return _term_max(self.data, self.indptr)

    def top(self, terms: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of the k chunks with the highest BM25 score, best first (ties by id); chunks
        matching no term are left out. Equal to ranking `scores(terms)`, without reading every posting."""
        weights = Counter(t for term in terms if (t := self.vocab.get(term)) is not None and t + 1 < len(self.indptr))
        empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if not weights or k <= 0:
            return empty
        if sum(int(self.indptr[t + 1] - self.indptr[t]) for t in weights) <= PRUNE_ABOVE:
            return self._best(self.scores(terms), None, k)
        bound = self.term_max
        order = sorted(weights, key=lambda t: (-weights[t] * float(bound[t]), t))
        left = np.cumsum([weights[t] * float(bound[t]) for t in order][::-1])[::-1].tolist() + [0.0]
        lengths = [int(self.indptr[t + 1] - self.indptr[t]) for t in order]
        out = np.zeros(self.num_docs, dtype=np.float32)
        short: list[np.ndarray] | None = []  # the lists read so far, while they are short enough to merge
        first: np.ndarray | None = None  # a sample of the first list with at least k chunks
        theta = 0.0  # a lower bound on the final k-th best score: the k-th best partial score of any chunks
        candidates: np.ndarray | None = None
        for j, tid in enumerate(order):
            start = int(self.indptr[tid])
            ids = np.asarray(self.indices[start : start + lengths[j]])
            out[ids] += weights[tid] * np.asarray(self.data[start : start + lengths[j]])
            rest = left[j + 1]
            if rest == 0.0:
                continue
            probes = [ids[:: max(1, -(-len(ids) // PROBE_SIZE))]]  # a posting list never repeats a chunk
            if first is None and len(ids) >= k:
                first = probes[0]
            elif first is not None:
                probes.append(first)
            if short is not None and sum(map(len, short)) + len(ids) <= PROBE_SIZE:
                short.append(ids)
                probes.append(np.unique(np.concatenate(short)))
            else:
                short = None
            if rest >= left[0] - rest:  # partial scores are at most the bounds summed so far
                continue
            for probe in probes:
                if len(probe) >= k:
                    theta = max(theta, float(np.partition(out[probe], len(probe) - k)[len(probe) - k]))
            if rest >= theta:
                continue
            # Only chunks already scored within `rest` of theta can still make the top k.
            alive = np.flatnonzero(out >= (theta - rest) * (1 - 1e-6))
            if len(alive) * (len(order) - j - 1) * LOOKUP_COST > sum(lengths[j + 1 :]):
                continue  # cheaper to keep summing whole lists
            for later in order[j + 1 :]:
                self._add_from(later, weights[later], alive, out)
            candidates = alive
            break
        return self._best(out, candidates, k)

    def _best(self, out: np.ndarray, candidates: np.ndarray | None, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best positive scores of `out` among `candidates` (None: all chunks), best first."""
        if candidates is None:
            candidates = np.argpartition(-out, k - 1)[:k] if k < self.num_docs else np.arange(self.num_docs)
        scores = out[candidates]
        keep = scores > 0
        candidates, scores = candidates[keep], scores[keep]
        if len(candidates) > k:
            part = np.argpartition(-scores, k - 1)[:k]
            candidates, scores = candidates[part], scores[part]
        best = np.lexsort((candidates, -scores))
        return candidates[best].astype(np.int64), scores[best]

    def _add_from(self, tid: int, weight: int, ids: np.ndarray, out: np.ndarray) -> None:
        """Add term `tid`'s contributions to the (sorted) chunk ids, looked up in its sorted postings."""
        start, end = int(self.indptr[tid]), int(self.indptr[tid + 1])
        if end == start or len(ids) == 0:
            return
        postings = self.indices[start:end]
        # Same dtype as the postings, or numpy converts the whole list before searching it.
        pos = np.minimum(np.searchsorted(postings, ids.astype(postings.dtype, copy=False)), end - start - 1)
        found = np.asarray(postings[pos]) == ids
        out[ids[found]] += weight * np.asarray(self.data[start:end][pos[found]])

    def document_frequency(self, term: str) -> int:
        """How many chunks contain the term."""
        tid = self.vocab.get(term)
        if tid is None or tid + 1 >= len(self.indptr):
            return 0
        return int(self.indptr[tid + 1] - self.indptr[tid])
