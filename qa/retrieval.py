"""Hybrid retrieval: dense search over chunk vectors (FAISS, inner product) fused with BM25.

The default fusion is a weighted sum of the cosine score and the BM25 score scaled to [0, 1] by the best
BM25 score of the query. Unlike reciprocal-rank fusion it keeps the dense score's magnitude, so a keyword
match breaks near-ties between similar passages instead of promoting a weak passage to the top. The
other fusions are kept for the quality benchmark (`bench/quality.py`), which chose the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.keywords import keyword_tokens
from qa.config import Tuning

if TYPE_CHECKING:
    import numpy as np

    from index.store import Snapshot

RRF_K = 60
FUSIONS = ("weighted", "dense", "bm25", "rrf", "minmax", "tiebreak")


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
    from index.errors import IndexStateError
    from index.store import REBUILD_HINT

    try:
        ids, scores = snapshot.vectors.search(qvec, depth)
    except (RuntimeError, ValueError) as exc:  # faiss could not read chunks.faiss
        raise IndexStateError(f"The index at {snapshot.gen.parent} is damaged ({exc}). {REBUILD_HINT}") from None
    return {int(i): float(s) for i, s in zip(ids, scores, strict=True)}


def _keyword(snapshot: Snapshot, terms: list[str], depth: int) -> dict[int, float]:
    """The `depth` best chunks by BM25, scores divided by the best one's."""
    ids, scores = snapshot.keywords.top(terms, depth)
    if len(ids) == 0 or scores[0] <= 0.0:
        return {}
    best = float(scores[0])
    return {int(i): float(s) / best for i, s in zip(ids, scores, strict=True)}


def _ranks(scores: dict[int, float]) -> dict[int, int]:
    return {i: r for r, i in enumerate(sorted(scores, key=lambda i: -scores[i]), start=1)}


def fuse(dense: dict[int, float], keyword: dict[int, float], tuning: Tuning) -> dict[int, float]:
    """Combine per-chunk dense (cosine) and keyword ([0, 1]) scores into one ranking score."""
    kw = keyword.get
    if tuning.fusion == "weighted":
        return {i: d + tuning.bm25_weight * kw(i, 0.0) for i, d in dense.items()}
    if tuning.fusion == "dense":
        return dict(dense)
    if tuning.fusion == "bm25":
        return {i: kw(i, 0.0) + 1e-3 * d for i, d in dense.items()}
    if tuning.fusion == "tiebreak":  # BM25 only separates (near-)equal dense scores
        return {i: d + 0.01 * kw(i, 0.0) for i, d in dense.items()}
    if tuning.fusion == "rrf":
        dr, kr = _ranks(dense), _ranks(keyword)
        return {i: 1 / (RRF_K + dr[i]) + (1 / (RRF_K + kr[i]) if i in kr else 0.0) for i in dense}
    if tuning.fusion == "minmax":  # both scores min-max normalised over the candidates, equal weight
        lo, hi = min(dense.values()), max(dense.values())
        span = (hi - lo) or 1.0
        return {i: 0.5 * (d - lo) / span + 0.5 * kw(i, 0.0) for i, d in dense.items()}
    raise ValueError(f"unknown fusion {tuning.fusion!r}; choose one of {', '.join(FUSIONS)}")


def title_evidence(snapshot: Snapshot, question: str, tuning: Tuning) -> dict[int, float]:
    """Document id -> how strongly the question names its title (0..1]: 1 for a title written as a name
    ("Spain"), `title_common` for one written as common words ("continent"); shared by the documents
    that answer to the same key."""
    from index.titles import question_spans

    spans = question_spans(question)
    if not spans:
        return {}
    named = snapshot.documents_titled(sorted({s.key for s in spans}))
    evidence: dict[int, float] = {}
    for span in spans:
        docs = named.get(span.key)
        if not docs:
            continue
        strength = (1.0 if span.proper else tuning.title_common) / len(docs)
        for doc_id in docs:
            evidence[doc_id] = max(evidence.get(doc_id, 0.0), strength)
    return evidence


def retrieve(snapshot: Snapshot, qvec: np.ndarray, question: str, k: int, tuning: Tuning = Tuning()) -> list[Hit]:
    """The `k` best chunks for a question, best first."""
    n = snapshot.manifest.chunks
    if n == 0 or k <= 0:
        return []
    depth = min(n, max(50, 10 * k))
    dense = _dense(snapshot, qvec, depth)
    keyword = _keyword(snapshot, keyword_tokens(question), depth) if tuning.fusion != "dense" else {}
    evidence = title_evidence(snapshot, question, tuning) if tuning.title_weight else {}
    named = [c for d in evidence for c in snapshot.chunks_of(d, tuning.title_chunks)] if evidence else []
    missing = list(dict.fromkeys(i for i in [*keyword, *named] if i not in dense))
    if missing:  # a keyword- or title-only candidate still gets its exact cosine score
        for i, score in zip(missing, snapshot.vectors.scores_of(missing, qvec), strict=True):
            dense[i] = float(score)
    fused = fuse(dense, keyword, tuning)
    if evidence:
        owner = snapshot.chunk_documents(list(fused))
        for i in fused:
            fused[i] += tuning.title_weight * evidence.get(owner.get(i, -1), 0.0)
    hits = [Hit(i, fused[i], dense[i], keyword.get(i, 0.0)) for i in dense]
    hits.sort(key=lambda h: (-h.score, h.chunk_id))
    return hits[:k]
