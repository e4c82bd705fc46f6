"""The BM25 keyword index: every (term, chunk) contribution precomputed, written and read with numpy.

The index is a sparse CSC matrix, one column of postings per term, holding each chunk's BM25 score for
that term (the Lucene variant, k1 = 1.5, b = 0.75: the scores bm25s computes, which tests check); a
query's scores are the sum of its terms' columns. The arrays are memory-mapped on the query path (no
bm25s or scipy import: ~0.3 s of a one-shot question) and built from term ids at index time, a few bytes
per token, so building it does not hold every chunk's words as Python strings. The file layout is
corpus-qa's own (it began as bm25s's and keeps its names); `FORMAT` names it.

Retrieval wants only the best few chunks, so `top` avoids summing the longest posting lists when it can
(MaxScore, as in Lucene): `term_max.npy` stores each term's largest contribution. Terms are summed from
the highest bound down; once the bounds of the terms left add up to less than the k-th best partial
score, no chunk outside the candidates can reach the top k, and the candidates get the remaining terms
by binary search in those terms' (sorted) postings. The result is the same top k as summing every list.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from index.storage.base import K1, B

TERM_MAX = "term_max.npy"
PRUNE_ABOVE = 100_000
"""Queries whose posting lists hold fewer postings than this are summed whole: pruning costs more than it
saves (0.23 ms against 0.06 ms per query on 10k summaries)."""
PROBE_SIZE = 16_384
"""At most this many chunks are looked at to bound the k-th best score from below."""
LOOKUP_COST = 8
"""A binary search into a posting list costs about this many additions of a posting (30-60 ns against
~6 ns, measured on lists of 0.1-1M postings)."""


POSTINGS_BLOCK = 16_384
"""Chunks whose postings are made together when the index is written."""

EMPTY = "\u2205"
FORMAT = "corpus-qa-bm25-1"


class KeywordIndexWriter:
    """Collects the chunks' terms as ids, in chunk order, and writes the index once all are in."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self._chunks: list[array] = []

    def add(self, terms: Sequence[str]) -> None:
        """The terms of the next chunk (repeats count). A chunk without terms counts as one word long, a
        word no query can hold, as in bm25s."""
        vocab = self.vocab
        terms = terms or (EMPTY,)
        self._chunks.append(array("I", [vocab.setdefault(t, len(vocab)) for t in terms]))

    def __len__(self) -> int:
        return len(self._chunks)

    def postings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(data, chunk ids, indptr, df): every (term, chunk) BM25 contribution, CSC by term id, for `write`."""
        n = len(self._chunks)
        lengths = np.fromiter((len(c) for c in self._chunks), dtype=np.int64, count=n)
        vocab_size = max(len(self.vocab), 1)
        # One posting per distinct (term, chunk), ordered by term then chunk, with its term frequency. Made a
        # block of chunks at a time (postings of different blocks never coincide), then merged by a stable
        # sort on the term: a few bytes per posting at the peak, not tens per token (indexing 100,000
        # documents peaked at 591 MB in here before, measured).
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for start in range(0, n, POSTINGS_BLOCK):
            block = self._chunks[start : start + POSTINGS_BLOCK]
            ids = np.frombuffer(b"".join(c.tobytes() for c in block), dtype=np.uint32).astype(np.int64)
            owner = np.repeat(np.arange(len(block), dtype=np.int64), lengths[start : start + len(block)])
            keys, counts = np.unique(ids * len(block) + owner, return_counts=True)
            del ids, owner
            parts.append(((keys // len(block)).astype(np.uint32), (keys % len(block) + start).astype(np.int32),
                          counts.astype(np.int32)))
        self._chunks = []
        if parts:
            terms = np.concatenate([p[0] for p in parts])
            order = np.argsort(terms, kind="stable")
            terms = terms[order]
            chunks = np.concatenate([p[1] for p in parts])[order]
            tf = np.concatenate([p[2] for p in parts])[order]
            del parts, order
        else:
            terms, chunks, tf = np.zeros(0, np.uint32), np.zeros(0, np.int32), np.zeros(0, np.int32)
        df = np.bincount(terms, minlength=vocab_size)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        norm = K1 * (1.0 - B + B * lengths / max(float(lengths.mean()) if n else 1.0, 1e-9))
        data = np.empty(len(terms), dtype=np.float32)
        for a in range(0, len(terms), 1 << 20):  # float64 arithmetic, a slice at a time
            b = a + (1 << 20)
            data[a:b] = idf[terms[a:b]] * tf[a:b] / (norm[chunks[a:b]] + tf[a:b])
        indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
        return data, chunks, indptr, df

    def write(self, folder: Path) -> None:
        """Save the index: data/indices/indptr (CSC by term), the vocabulary, parameters and term bounds."""
        n = len(self._chunks)
        data, chunks, indptr, _df = self.postings()
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "data.csc.index.npy", data, allow_pickle=False)
        np.save(folder / "indices.csc.index.npy", chunks.astype(np.int32), allow_pickle=False)
        np.save(folder / "indptr.csc.index.npy", indptr, allow_pickle=False)
        np.save(folder / TERM_MAX, _term_max(data, indptr), allow_pickle=False)
        (folder / "vocab.index.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        (folder / "params.index.json").write_text(json.dumps(
            {"format": FORMAT, "num_docs": n, "method": "lucene", "k1": K1, "b": B}), encoding="utf-8")


def write_keyword_index(folder: Path, chunk_terms: Sequence[Sequence[str]]) -> None:
    """Build and save the BM25 index of the chunks' terms."""
    writer = KeywordIndexWriter()
    for terms in chunk_terms:
        writer.add(terms)
    writer.write(folder)


def _term_max(data: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Each term's largest BM25 contribution to any chunk (0 for a term with no postings)."""
    out = np.zeros(len(indptr) - 1, dtype=np.float32)
    starts = np.asarray(indptr[:-1])
    nonempty = np.asarray(indptr[1:]) > starts
    if nonempty.any():  # each segment runs to the next non-empty start, i.e. to its own end
        out[nonempty] = np.maximum.reduceat(np.asarray(data), starts[nonempty])
    return out


Verify = Callable[[str, int, int], None]
"""(file name, first byte, end byte): checks those bytes of a file against the build's checksums before they
are used (index/storage/local/checksums.py BlockCheck); raises when they do not match."""


def _no_check(_name: str, _start: int, _end: int) -> None:
    pass


class KeywordIndex:
    """Read-only BM25 scores over chunks, memory-mapped. Every posting list, bound and pointer is verified
    (`verify`) the first time a query reads it."""

    def __init__(self, folder: Path, verify: Verify = _no_check) -> None:
        self.folder = folder
        self.verify = verify
        self.data = np.load(folder / "data.csc.index.npy", mmap_mode="r")
        self.indices = np.load(folder / "indices.csc.index.npy", mmap_mode="r")
        self.indptr = np.load(folder / "indptr.csc.index.npy", mmap_mode="r")
        self.vocab: dict[str, int] = json.loads(self._checked_text("vocab.index.json"))
        params = json.loads(self._checked_text("params.index.json"))
        if not isinstance(params, dict) or params.get("format") != FORMAT:
            found = params.get("format") if isinstance(params, dict) else params
            raise ValueError(f"keyword index in another format ({found!r})")
        if not isinstance(self.vocab, dict):
            raise ValueError("the vocabulary is not a mapping")
        self.num_docs = int(params["num_docs"])
        if len(self.indptr) < 1 or self._pointer(len(self.indptr) - 1) != len(self.data) or \
                len(self.indices) != len(self.data):
            raise ValueError("inconsistent arrays")

    def _checked_text(self, name: str) -> str:
        raw = (self.folder / name).read_bytes()
        self.verify(name, 0, len(raw))
        return raw.decode("utf-8")

    def _pointer(self, at: int) -> int:
        offset = self.indptr.offset + 8 * at
        self.verify("indptr.csc.index.npy", offset, offset + 8)
        return int(self.indptr[at])

    def _span(self, tid: int) -> tuple[int, int]:
        """Where term `tid`'s postings are, their bytes verified."""
        start, end = self._pointer(tid), self._pointer(tid + 1)
        if end > start:
            self.verify("data.csc.index.npy", self.data.offset + 4 * start, self.data.offset + 4 * end)
            self.verify("indices.csc.index.npy", self.indices.offset + 4 * start, self.indices.offset + 4 * end)
        return start, end

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for the query terms (unknown terms count for nothing)."""
        out = np.zeros(self.num_docs, dtype=np.float32)
        for term in terms:
            tid = self.vocab.get(term)
            if tid is None or tid + 1 >= len(self.indptr):
                continue
            start, end = self._span(tid)
            out[self.indices[start:end]] += self.data[start:end]
        return out

    @cached_property
    def term_max(self) -> np.ndarray:
        """Per-term upper bounds: stored at build time; computed here for an index written before them,
        or if the stored file is damaged (they are only a shortcut)."""
        try:
            bounds = np.load(self.folder / TERM_MAX, mmap_mode="r")
            if bounds.shape == (len(self.indptr) - 1,):
                self.verify(TERM_MAX, 0, bounds.offset + bounds.nbytes)
                return bounds
        except (OSError, ValueError, EOFError):
            pass
        return _term_max(self.data, self.indptr)

    def top(self, terms: Sequence[str], k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of the k chunks with the highest BM25 score, best first (ties by id); chunks
        matching no term are left out. Equal to ranking `scores(terms)`, without reading every posting.
        With `allowed` (a boolean mask over chunks), among those chunks only (every posting is summed)."""
        if allowed is not None:
            out = self.scores(terms)
            out[~allowed] = 0.0
            return self._best(out, None, k) if k > 0 else (np.zeros(0, np.int64), np.zeros(0, np.float32))
        weights = Counter(t for term in terms if (t := self.vocab.get(term)) is not None and t + 1 < len(self.indptr))
        empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if not weights or k <= 0:
            return empty
        spans = {t: self._span(t) for t in weights}
        if sum(end - start for start, end in spans.values()) <= PRUNE_ABOVE:
            return self._best(self.scores(terms), None, k)
        bound = self.term_max
        order = sorted(weights, key=lambda t: (-weights[t] * float(bound[t]), t))
        left = np.cumsum([weights[t] * float(bound[t]) for t in order][::-1])[::-1].tolist() + [0.0]
        lengths = [spans[t][1] - spans[t][0] for t in order]
        out = np.zeros(self.num_docs, dtype=np.float32)
        short: list[np.ndarray] | None = []  # the lists read so far, while they are short enough to merge
        first: np.ndarray | None = None  # a sample of the first list with at least k chunks
        theta = 0.0  # a lower bound on the final k-th best score: the k-th best partial score of any chunks
        candidates: np.ndarray | None = None
        for j, tid in enumerate(order):
            start = spans[tid][0]
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
                self._add_from(spans[later], weights[later], alive, out)
            candidates = alive
            break
        return self._best(out, candidates, k)

    def _best(self, out: np.ndarray, candidates: np.ndarray | None, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best positive scores of `out` among `candidates` (None: all chunks), best first."""
        if candidates is None:
            candidates = np.argpartition(-out, k - 1)[:k] if k < self.num_docs else np.arange(self.num_docs)
        scores = out[candidates]
        if not np.isfinite(scores).all():  # a NaN or inf in the scores: never ranked, never printed as JSON
            raise ValueError("the keyword index holds scores that are not numbers")
        keep = scores > 0
        candidates, scores = candidates[keep], scores[keep]
        if len(candidates) > k:
            part = np.argpartition(-scores, k - 1)[:k]
            candidates, scores = candidates[part], scores[part]
        best = np.lexsort((candidates, -scores))
        return candidates[best].astype(np.int64), scores[best]

    def _add_from(self, span: tuple[int, int], weight: int, ids: np.ndarray, out: np.ndarray) -> None:
        """Add a term's contributions (its postings at `span`) to the (sorted) chunk ids, looked up in its
        sorted postings."""
        start, end = span
        if end == start or len(ids) == 0:
            return
        postings = self.indices[start:end]
        # Same dtype as the postings, or numpy converts the whole list before searching it.
        pos = np.minimum(np.searchsorted(postings, ids.astype(postings.dtype, copy=False)), end - start - 1)
        found = np.asarray(postings[pos]) == ids
        out[ids[found]] += weight * np.asarray(self.data[start:end][pos[found]])

    @cached_property
    def accented(self) -> dict[str, tuple[str, ...]]:
        """The vocabulary's terms with accents, by their form without them."""
        from index.text.keywords import accented_forms

        return accented_forms(self.vocab)

    def accented_frequency(self, term: str) -> int:
        """How many chunks contain the term written with accents (a chunk with two spellings counts twice)."""
        return sum(self.document_frequency(t) for t in self.accented.get(term, ()))

    def document_frequency(self, term: str) -> int:
        """How many chunks contain the term."""
        tid = self.vocab.get(term)
        if tid is None or tid + 1 >= len(self.indptr):
            return 0
        return self._pointer(tid + 1) - self._pointer(tid)
