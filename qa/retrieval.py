"""Hybrid retrieval: dense search over chunk vectors (FAISS, inner product) fused with BM25.

The default fusion is a weighted sum of the cosine score and the BM25 score scaled to [0, 1] by the best
BM25 score of the query. Unlike reciprocal-rank fusion it keeps the dense score's magnitude, so a keyword
match breaks near-ties between similar passages instead of promoting a weak passage to the top.
`bench/quality.py` compares it with other fusions (reciprocal rank, dense only, BM25 only), which live there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.text.keywords import search_terms
from qa.config import Tuning

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from index.filters import Where
    from index.storage import IndexReader as Snapshot
    from index.text.titles import QuestionSpan

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
    named: float = 0.0
    """How strongly the question names the chunk's document by its title (0..1; see title_evidence)."""


def _dense(snapshot: Snapshot, qvec: np.ndarray, depth: int, where: Where | None = None) -> dict[int, float]:
    import numpy as np

    from index.errors import IndexStateError

    try:
        ids, scores = snapshot.dense_search(qvec, depth, where)
    except (RuntimeError, ValueError) as exc:  # faiss could not read chunks.faiss; values that are not numbers
        raise IndexStateError(f"The index at {snapshot.location} is damaged ({exc}). {snapshot.rebuild_hint}") from None
    # numpy's own conversion to Python ints and floats (the same values; one call, not one per candidate)
    return dict(zip(np.asarray(ids).tolist(), np.asarray(scores).tolist(), strict=True))


def _keyword(snapshot: Snapshot, terms: list[str], depth: int, where: Where | None = None) -> dict[int, float]:
    """The `depth` best chunks by BM25, scores divided by the best one's."""
    ids, scores = snapshot.keyword_search(terms, depth, where)
    if len(ids) == 0 or scores[0] <= 0.0:
        return {}
    best = float(scores[0])
    return {int(i): float(s) / best for i, s in zip(ids, scores, strict=True)}


def fuse(dense: dict[int, float], keyword: dict[int, float], tuning: Tuning) -> dict[int, float]:
    """Combine per-chunk dense (cosine) and keyword ([0, 1]) scores into one ranking score."""
    return {i: d + tuning.bm25_weight * keyword.get(i, 0.0) for i, d in dense.items()}


_QUESTION_START = re.compile(
    r"(?:who|whom|whose|what|which|when|where|why|how|is|are|was|were|do|does|did|can|could|should|will|would|has|"
    r"have|had|in which|in what|name|list|find|tell|give|show|describe|explain)\b", re.I)


def is_question(text: str) -> bool:
    """A question or a request ("What is...?", "Find the..."), as opposed to a search phrase."""
    text = text.strip()
    return text.endswith("?") or bool(_QUESTION_START.match(text))


def _with_maxsim(snapshot: Snapshot, qvec: np.ndarray, dense: dict[int, float], weight: float) -> dict[int, float]:
    """Blend each chunk's cosine with its best sentence's (multi-vector scoring with the stored sentence
    vectors): a chunk holding one sentence that matches the question well is not drowned by the rest."""
    import numpy as np

    ranges = snapshot.sentence_ranges(list(dense))
    ids = [s for a, b in ranges.values() for s in range(a, b + 1)]
    if not ids:
        return dense
    cos = snapshot.sentence_vectors_of(ids) @ qvec.astype(np.float32)
    best: dict[int, float] = {}
    at = 0
    for cid, (a, b) in ranges.items():
        n = b - a + 1
        best[cid] = float(cos[at : at + n].max())
        at += n
    return {i: (1 - weight) * d + weight * best.get(i, d) for i, d in dense.items()}


def title_evidence(snapshot: Snapshot, question: str, tuning: Tuning) -> dict[int, float]:
    """Document id -> how strongly the question names its title (0..1]: 1 for a title written as a name
    ("Spain"), `title_common` for one written as common words ("continent"); shared by the documents
    that answer to the same key."""
    from index.text.titles import question_spans

    spans = question_spans(question)
    if not spans:
        return {}
    from index.text.titles import maximal

    named = snapshot.documents_titled(sorted({s.key for s in spans}))
    spans = (*spans, *_singulars(snapshot, spans, named))
    form = 1.0 if is_question(question) else tuning.title_phrase
    evidence: dict[int, float] = {}
    for span in maximal(spans, set(named)):
        docs = named[span.key]
        strength = form * (1.0 if span.proper else tuning.title_common) / len(docs)
        for doc_id, whole in docs:
            # "São Paulo" names the city more than "São Paulo (state)", which it only heads
            share = strength if whole else strength * tuning.title_head
            evidence[doc_id] = max(evidence.get(doc_id, 0.0), share)
    return evidence


def _singulars(snapshot: Snapshot, spans: Sequence[QuestionSpan], named: dict[str, list[tuple[int, bool]]],
               ) -> list[QuestionSpan]:
    """A title the question names in the plural ("Are lions endangered?": Lion; "giant pandas": Giant panda), as
    spans of common words (a plural names the kind, not one thing by its name), added to `named`. Not a word of
    a longer name written as one ("Great Smoky Mountains" names no Mountain), nor a plural that is a title itself."""
    from index.text.titles import QuestionSpan, singular_key

    def inside_a_name(s: QuestionSpan) -> bool:
        return any(o.proper and o.words > s.words and o.first <= s.first and s.first + s.words <= o.first + o.words
                   for o in spans)

    wanted = {s: singular_key(s.key) for s in spans if s.key not in named and s.key.endswith("s")}
    wanted = {s: key for s, key in wanted.items() if key != s.key and not inside_a_name(s)}
    if not wanted:
        return []
    found = snapshot.documents_titled(sorted(set(wanted.values())))
    out = []
    for s, key in wanted.items():
        if key in found:
            named[key] = found[key]
            out.append(QuestionSpan(key, s.words, False, s.first))
    return out


_ASKS_EXPANSION = re.compile(r"\bwhat\b.*\b(?:does|do|did)\b.*\bstand\s+for\b|\bshort\s+for\b", re.I)
"""A question asking what a name is short for: documents say it as "an acronym for", "an abbreviation of"."""


def retrieve(snapshot: Snapshot, qvec: np.ndarray, question: str, k: int, tuning: Tuning = Tuning(),
             where: Where | None = None) -> list[Hit]:
    """The `k` best chunks for a question, best first; with `where`, from the documents it lets through."""
    n = snapshot.manifest.chunks
    if n == 0 or k <= 0:
        return []
    where = where or None
    # candidates from each search: a chunk whose one sentence matches well (max-sim) but whose whole is plain
    # ranks past the 50th by cosine in a 1,000-page manual; 100 keeps the best chunk the same for any k
    depth = min(n, max(100, 10 * k))
    dense = _dense(snapshot, qvec, depth, where)
    terms = search_terms(question)
    if _ASKS_EXPANSION.search(question):  # "What does the name Bash stand for?": "Bash is an acronym for ..."
        terms += ["acronym", "abbrevi"]
    keyword = _keyword(snapshot, terms, depth, where)
    evidence = title_evidence(snapshot, question, tuning) if tuning.title_weight else {}
    if evidence and where:
        allowed = snapshot.documents_matching(where)
        evidence = {d: v for d, v in evidence.items() if d in allowed}
    named_chunks = [c for d in evidence for c in snapshot.chunks_of(d, tuning.title_chunks)] if evidence else []
    missing = list(dict.fromkeys(i for i in [*keyword, *named_chunks] if i not in dense))
    if missing:  # a keyword- or title-only candidate still gets its exact cosine score
        for i, score in zip(missing, snapshot.dense_scores(missing, qvec), strict=True):
            dense[i] = float(score)
    if tuning.maxsim_weight:
        dense = _with_maxsim(snapshot, qvec, dense, tuning.maxsim_weight)
    fused = fuse(dense, keyword, tuning)
    named: dict[int, float] = {}
    if evidence:
        owner = snapshot.chunk_documents(list(fused))
        named = {i: evidence.get(owner.get(i, -1), 0.0) for i in fused}
        for i in fused:
            fused[i] += tuning.title_weight * named[i]
    # a hit is made only for the k kept (a set's search keeps 40 of 400 candidates)
    best = sorted(dense, key=lambda i: (-fused[i], i))[:k]
    return [Hit(i, fused[i], dense[i], keyword.get(i, 0.0), named.get(i, 0.0)) for i in best]


def retrieve_within(snapshot: Snapshot, qvec: np.ndarray, question: str, doc_id: int, k: int,
                    tuning: Tuning = Tuning()) -> list[Hit]:
    """The `k` best chunks of one document for a question (a set's member asked about, qa/multipart.py),
    without a search of the whole index: its chunks' cosines, the best blended with their best sentence's, plus
    how strongly the question names the document, as `retrieve` scores them. No keyword score: the storage
    interface searches keywords over the whole index (or a filter's documents), not one document's chunks; the
    answer's own sentence scoring still weighs the question's words. A document of more than WITHIN_CHUNKS
    chunks is searched through a path filter instead (keywords included), so no call scores a whole book's
    chunks one by one."""
    import numpy as np

    if k <= 0:
        return []
    ids = snapshot.chunks_of(doc_id, WITHIN_CHUNKS + 1)
    if len(ids) > WITHIN_CHUNKS:
        source = snapshot.document(doc_id).source
        if not any(c in source for c in "*?"):  # a path filter matches the source itself (`*`, `?` are globs)
            from index.filters import Where

            found = retrieve(snapshot, qvec, question, k, tuning, Where(paths=(source,), text=f"path:{source}"))
            owners = snapshot.chunk_documents([h.chunk_id for h in found])
            return [h for h in found if owners.get(h.chunk_id) == doc_id]
        ids = ids[:WITHIN_CHUNKS]
    cosines = snapshot.dense_scores(ids, qvec)
    depth = min(len(ids), max(50, 10 * k))
    best = np.argsort(-cosines, kind="stable")[:depth]
    dense = {ids[i]: float(cosines[i]) for i in best}
    if tuning.maxsim_weight:
        dense = _with_maxsim(snapshot, qvec, dense, tuning.maxsim_weight)
    named = title_evidence(snapshot, question, tuning).get(doc_id, 0.0) if tuning.title_weight else 0.0
    hits = [Hit(i, d + tuning.title_weight * named, d, 0.0, named) for i, d in dense.items()]
    hits.sort(key=lambda h: (-h.score, h.chunk_id))
    return hits[:k]


WITHIN_CHUNKS = 2000
"""Most chunks of one document `retrieve_within` scores one by one (a cosine each, then the best 10 k by
sentence); a longer document is searched through a path filter."""
