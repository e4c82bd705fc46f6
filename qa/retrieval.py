"""Hybrid retrieval: dense search over chunk vectors (FAISS, inner product) fused with BM25.

Fusion is a weighted sum of the cosine score and the BM25 score scaled to [0, 1] by the best BM25 score
of the query. Unlike reciprocal-rank fusion it keeps the dense score's magnitude, so a keyword match
breaks near-ties between similar passages instead of promoting a weak passage to the top.
`FUSIONS` holds the alternatives the quality benchmark compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.keywords import keyword_tokens

if TYPE_CHECKING:
    import numpy as np

    from index.store import Snapshot

BM25_WEIGHT = 0.15
"""Weight of the normalised BM25 score next to the cosine score."""
RRF_K = 60


@dataclass(frozen=True)
class Hit:
    """A chunk found for a query, with its component scores."""

    chunk_id: int
    """Row of the chunk in the index."""
    score: float
    """Fused score used for ranking."""
    dense: float
    """Cosine similarity of query and chunk."""
    keyword: float
    """BM25 score scaled to [0, 1] for this query."""


def _dense(snapshot: Snapshot, qvec: np.ndarray, depth: int) -> dict[int, float]:
    scores, ids = snapshot.faiss_index.search(qvec.reshape(1, -1).astype("float32"), depth)
    return {int(i): float(s) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0}


def _keyword(snapshot: Snapshot, terms: list[str], depth: int) -> dict[int, float]:
    import numpy as np

    known = [t for t in terms if t in snapshot.bm25.vocab_dict]
    if not known:
        return {}
    scores = np.asarray(snapshot.bm25.get_scores(known), dtype=np.float32)
    best = float(scores.max()) if len(scores) else 0.0
    if best <= 0.0:
        return {}
    top = np.argpartition(-scores, min(depth, len(scores)) - 1)[:depth]
    return {int(i): float(scores[i] / best) for i in top if scores[i] > 0}


def retrieve(
    snapshot: Snapshot, qvec: np.ndarray, question: str, k: int, fusion: str = "weighted"
) -> list[Hit]:
    """The `k` best chunks for a question, best first."""
    n = snapshot.manifest.chunks
    if n == 0 or k <= 0:
        return []
    depth = min(n, max(50, 10 * k))
    dense = _dense(snapshot, qvec, depth)
    keyword = _keyword(snapshot, keyword_tokens(question), depth) if fusion != "dense" else {}
    missing = [i for i in keyword if i not in dense]
    if missing:  # a keyword-only candidate still gets its exact cosine score
        vectors = snapshot.faiss_index.reconstruct_batch(missing)
        for i, v in zip(missing, vectors, strict=True):
            dense[i] = float(v @ qvec)
    hits = [Hit(i, FUSIONS[fusion](i, dense, keyword), dense[i], keyword.get(i, 0.0)) for i in dense]
    hits.sort(key=lambda h: (-h.score, h.chunk_id))
    return hits[:k]


def _rank_map(scores: dict[int, float]) -> dict[int, int]:
    return {i: r for r, i in enumerate(sorted(scores, key=lambda i: -scores[i]), start=1)}


def _fuse_weighted(i: int, dense: dict[int, float], keyword: dict[int, float]) -> float:
    return dense[i] + BM25_WEIGHT * keyword.get(i, 0.0)


def _fuse_dense(i: int, dense: dict[int, float], keyword: dict[int, float]) -> float:
    return dense[i]


def _fuse_bm25(i: int, dense: dict[int, float], keyword: dict[int, float]) -> float:
    return keyword.get(i, 0.0) + 1e-3 * dense[i]


def _fuse_rrf(i: int, dense: dict[int, float], keyword: dict[int, float]) -> float:
    # Ranks are recomputed per call; fine for the benchmark's sizes, not used by default.
    dr, kr = _rank_map(dense), _rank_map(keyword)
    return 1 / (RRF_K + dr[i]) + (1 / (RRF_K + kr[i]) if i in kr else 0.0)


FUSIONS = {"weighted": _fuse_weighted, "dense": _fuse_dense, "bm25": _fuse_bm25, "rrf": _fuse_rrf}
