"""The BM25 keyword index: written with bm25s, read back with plain numpy.

bm25s precomputes every (term, chunk) BM25 contribution into a sparse CSC matrix; a query's scores are
the sum of its terms' columns. Reading those arrays directly (memory-mapped) avoids importing bm25s and
scipy on the query path (~0.3 s of a one-shot question) and keeps memory flat for large indexes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def write_keyword_index(folder: Path, chunk_terms: Sequence[list[str]]) -> None:
    """Build and save the BM25 index of the chunks' terms (index time; imports bm25s)."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index([terms or ["\u2205"] for terms in chunk_terms], show_progress=False)
    retriever.save(str(folder))


class KeywordIndex:
    """Read-only BM25 scores over chunks, memory-mapped."""

    def __init__(self, folder: Path) -> None:
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

    def document_frequency(self, term: str) -> int:
        """How many chunks contain the term."""
        tid = self.vocab.get(term)
        if tid is None or tid + 1 >= len(self.indptr):
            return 0
        return int(self.indptr[tid + 1] - self.indptr[tid])
