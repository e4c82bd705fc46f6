"""Composing a cited answer from retrieved passages, checking every quote, or abstaining.

Each sentence of the top passages is scored against the question: cosine similarity of the sentence
vector plus a bonus for the question's keywords it contains. Sentence vectors are pooled at index time
from the token vectors of the chunk pass, so neither indexing nor answering embeds sentences again. The answer is the
best sentence and up to two more that score nearly as well and say something different. When even the
best sentence is a weak match, corpus-qa abstains and still lists the closest passages.

Thresholds were calibrated on the dev questions (see README, "How abstention is calibrated").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.errors import CitationError
from index.keywords import keyword_tokens
from qa.config import Tuning
from qa.types import Answer, Citation, Passage

if TYPE_CHECKING:
    import numpy as np

    from index.store import Snapshot
    from qa.retrieval import Hit

REDUNDANT_ABOVE = 0.85
"""Cosine between two sentences above which the second adds nothing."""

NOT_FOUND = "Not found in the corpus: the documents do not answer this question."


@dataclass(frozen=True)
class ScoredSentence:
    """A candidate sentence for the answer."""

    sentence_id: int
    """Row in the index's sentence table."""
    doc_id: int
    """Document row."""
    start: int
    """Start offset in the document."""
    end: int
    """End offset in the document."""
    score: float
    """Combined score."""
    cosine: float
    """Cosine similarity to the question."""


def line_of(text: str, offset: int) -> int:
    """1-based line number of a character offset."""
    return text.count("\n", 0, offset) + 1


def term_weights(snapshot: Snapshot, terms: set[str]) -> dict[str, float]:
    """BM25-style inverse document frequency of each question term over the index's chunks, so a
    rare word ("invaded") counts for more than one found everywhere ("Russia")."""
    import math

    keywords = snapshot.keywords
    n = max(1, keywords.num_docs)
    weights = {}
    for term in terms:
        df = keywords.document_frequency(term)
        weights[term] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
    return weights


def keyword_overlap(weights: dict[str, float], present: set[str] | frozenset[str]) -> float:
    """IDF-weighted share of the question's keywords among a sentence's terms (0..1)."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if t in present) / total


def sentence_terms(snapshot: Snapshot, sentence_id: int, text: str) -> frozenset[str]:
    """A sentence's keyword terms, remembered with the open index (sentences recur across questions)."""
    cache = snapshot.term_cache
    terms = cache.get(sentence_id)
    if terms is None:
        if len(cache) > 200_000:
            cache.clear()
        terms = cache[sentence_id] = frozenset(keyword_tokens(text))
    return terms


def score_sentences(
    snapshot: Snapshot, hits: Sequence[Hit], qvec: np.ndarray, question: str,
    tuning: Tuning = Tuning(),
) -> list[ScoredSentence]:
    """Every distinct sentence of the retrieved chunks, scored against the question, best first."""
    import numpy as np

    weights = term_weights(snapshot, set(keyword_tokens(question)))
    seen: set[int] = set()
    rows: list[tuple[int, int, int, int]] = []
    for hit in hits:
        chunk = snapshot.chunk(hit.chunk_id)
        for sid, span in snapshot.sentences_of(chunk):
            if sid not in seen:
                seen.add(sid)
                rows.append((sid, chunk.doc_id, span.start, span.end))
    if not rows:
        return []
    vectors = np.asarray(snapshot.sentence_vectors[[r[0] for r in rows]], dtype=np.float32)
    cosines = vectors @ qvec.astype(np.float32)
    scored = []
    for (sid, doc_id, start, end), cos in zip(rows, cosines, strict=True):
        text = snapshot.document(doc_id).text[start:end]
        overlap = keyword_overlap(weights, sentence_terms(snapshot, sid, text))
        score = float(cos) + tuning.keyword_weight * overlap
        scored.append(ScoredSentence(sid, doc_id, start, end, score, float(cos)))
    scored.sort(key=lambda s: (-s.score, s.sentence_id))
    return scored


def select_sentences(
    snapshot: Snapshot, scored: Sequence[ScoredSentence], tuning: Tuning = Tuning()
) -> list[ScoredSentence]:
    """The best sentence, plus up to two near-equals that are not paraphrases of a chosen one."""
    if not scored or scored[0].score < tuning.abstain_below:
        return []
    chosen = [scored[0]]
    follower = _continuation(snapshot, scored, scored[0], tuning.abstain_below)
    if follower is not None and tuning.max_sentences > 1:
        chosen.append(follower)
    for cand in scored[1:]:
        if len(chosen) >= tuning.max_sentences or cand.score < scored[0].score - tuning.extra_margin:
            break
        if cand in chosen:
            continue
        vectors = snapshot.sentence_vectors
        if all(float(vectors[cand.sentence_id] @ vectors[c.sentence_id]) < REDUNDANT_ABOVE for c in chosen):
            chosen.append(cand)
    return chosen


_ANAPHOR = re.compile(r"(?:The|This|That|These|Those|It|Its|They|Their|He|His|She|Her|Such)\b")


def _continuation(
    snapshot: Snapshot, scored: Sequence[ScoredSentence], best: ScoredSentence, floor: float
) -> ScoredSentence | None:
    """The sentence right after the best one, when it opens by referring back to it ("The group
    brings together...") and is itself relevant (scores above the floor, or holds a word of the
    question): the two read as one answer."""
    for cand in scored:
        if cand.sentence_id == best.sentence_id + 1 and cand.doc_id == best.doc_id:
            text = snapshot.document(cand.doc_id).text[cand.start : cand.end]
            shares_keyword = cand.score > cand.cosine  # it holds a word of the question
            if _ANAPHOR.match(text) and (cand.score >= floor or shares_keyword):
                return cand
            return None
    return None


def verify_citation(document_text: str, citation: Citation) -> None:
    """Raise CitationError unless the quote is exactly the document text at its offsets."""
    if not (0 <= citation.start < citation.end <= len(document_text)) or \
            document_text[citation.start : citation.end] != citation.quote:
        raise CitationError(
            f"Internal error: citation [{citation.n}] does not match {citation.source} at "
            f"{citation.start}:{citation.end}. Please report this bug; `qa index --rebuild` may help."
        )


def passages_of(snapshot: Snapshot, hits: Sequence[Hit]) -> list[Passage]:
    """Retrieved chunks as Passages, ranked as given."""
    passages = []
    for rank, hit in enumerate(hits, start=1):
        chunk = snapshot.chunk(hit.chunk_id)
        doc = snapshot.document(chunk.doc_id)
        page = doc.page_at(chunk.start)
        passages.append(Passage(rank, doc.source, chunk.start, chunk.end, doc.text[chunk.start : chunk.end],
                                hit.score, doc.title, line_of(doc.text, chunk.start),
                                page.number if page else None, page.label if page else None, doc.format))
    return passages


def compose(
    snapshot: Snapshot,
    hits: Sequence[Hit],
    qvec: np.ndarray,
    question: str,
    retrieval_question: str | None = None,
    warnings: Sequence[str] = (),
    tuning: Tuning = Tuning(),
) -> Answer:
    """Turn retrieved chunks into a verified, cited Answer (or an abstention)."""
    passages = passages_of(snapshot, hits)
    scored = score_sentences(snapshot, hits[: tuning.answer_passages], qvec,
                             retrieval_question or question, tuning)
    chosen = select_sentences(snapshot, scored, tuning)
    citations = []
    for n, s in enumerate(chosen, start=1):
        doc = snapshot.document(s.doc_id)
        page = doc.page_at(s.start)
        section = doc.section_at(s.start)
        citation = Citation(n, doc.source, s.start, s.end, doc.text[s.start : s.end], s.score, doc.title,
                            doc.date, doc.place, line_of(doc.text, s.start), page.number if page else None,
                            page.label if page else None, doc.format, section.title if section else None)
        verify_citation(doc.text, citation)
        citations.append(citation)
    if not citations:
        return Answer(question, NOT_FOUND, True, (), tuple(passages), tuple(warnings))
    text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return Answer(question, text, False, tuple(citations), tuple(passages), tuple(warnings))
