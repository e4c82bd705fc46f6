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
from index.keywords import RELATED_FORMS, keyword_tokens
from qa.config import Tuning
from qa.types import Answer, Citation, Passage

if TYPE_CHECKING:
    import numpy as np

    from index.storage import IndexReader as Snapshot
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
    answer: tuple[int, int] | None = None
    """Document offsets of a short answer of the asked type inside the sentence, if it holds one."""
    overlap: float = 0.0
    """IDF-weighted share of the question's keywords the sentence holds."""
    named: float = 0.0
    """How strongly the question names the sentence's document by its title (0..1)."""


def line_of(text: str, offset: int) -> int:
    """1-based line number of a character offset."""
    return text.count("\n", 0, offset) + 1


def term_weights(snapshot: Snapshot, terms: set[str]) -> dict[str, float]:
    """BM25-style inverse document frequency of each question term over the index's chunks, so a
    rare word ("invaded") counts for more than one found everywhere ("Russia")."""
    import math

    n = max(1, snapshot.keyword_chunks())
    weights = {}
    for term in terms:
        df = snapshot.document_frequency(term)
        weights[term] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
    return weights


def keyword_overlap(weights: dict[str, float], present: set[str] | frozenset[str]) -> float:
    """IDF-weighted share of the question's keywords among a sentence's terms (0..1); a keyword counts as
    present in another form of the same event word (RELATED_FORMS)."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items()
               if t in present or any(r in present for r in RELATED_FORMS.get(t, ()))) / total


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
    tuning: Tuning = Tuning(), kind: str | None = None,
) -> list[ScoredSentence]:
    """Every distinct sentence of the retrieved chunks, scored against the question, best first. With an
    expected answer type (`kind`, qa/reader.py), sentences holding a candidate of that type score higher and
    carry it; fragments (headings, table cells) score lower: they rarely answer anything."""
    import numpy as np

    from qa.reader import answer_span

    weights = term_weights(snapshot, set(keyword_tokens(question)))
    seen: set[int] = set()
    rows: list[tuple[int, int, int, int]] = []
    named: dict[int, float] = {}
    for hit in hits:
        chunk = snapshot.chunk(hit.chunk_id)
        named[chunk.doc_id] = max(named.get(chunk.doc_id, 0.0), hit.named)
        for sid, span in snapshot.sentences_of(chunk):
            if sid not in seen:
                seen.add(sid)
                rows.append((sid, chunk.doc_id, span.start, span.end))
    if not rows:
        return []
    vectors = snapshot.sentence_vectors_of([r[0] for r in rows])
    cosines = vectors @ qvec.astype(np.float32)
    scored = []
    doc_weights: dict[int, dict[str, float]] = {}
    for (sid, doc_id, start, end), cos in zip(rows, cosines, strict=True):
        doc = snapshot.document(doc_id)
        text = doc.text[start:end]
        terms = sentence_terms(snapshot, sid, text)
        if doc_id not in doc_weights:
            # Inside a document about X, "X" in the question is no evidence for one sentence over another:
            # the rest of the question ("capital city", "born") is what tells its sentences apart.
            topic = set(keyword_tokens(doc.title)) if tuning.topic_aware else set()
            rest = {t: w for t, w in weights.items() if t not in topic}
            doc_weights[doc_id] = rest if rest else weights
        overlap = keyword_overlap(doc_weights[doc_id], terms)
        # A sentence of the document the question names is, other things equal, the one to quote.
        score = float(cos) + tuning.keyword_weight * overlap + tuning.named_bonus * named[doc_id]
        if is_fragment(text):
            score -= tuning.fragment_penalty
        found = answer_span(kind, text, question, terms) if kind else None
        if found is not None:
            score += tuning.type_bonus
            found = (start + found[0], start + found[1])
        scored.append(ScoredSentence(sid, doc_id, start, end, score, float(cos), found, overlap, named[doc_id]))
    scored.sort(key=lambda s: (-s.score, s.sentence_id))
    return scored


def _is_title_line(snapshot: Snapshot, s: ScoredSentence) -> bool:
    """The document's title standing alone on its first line ("Ronald Reagan"), not a first sentence."""
    doc = snapshot.document(s.doc_id)
    text = doc.text[s.start : s.end]
    return s.start <= doc.body_start + 1 and is_fragment(text) and " ".join(text.split()) == doc.title


_TERMINAL = re.compile(r"[.!?:;)\"'”’]$")


def is_fragment(text: str) -> bool:
    """A heading, a label or a table cell rather than a sentence: short and without closing punctuation."""
    words = len(text.split())
    return words < 3 or (words < 10 and not _TERMINAL.search(text.rstrip()))


def select_sentences(
    snapshot: Snapshot, scored: Sequence[ScoredSentence], tuning: Tuning = Tuning()
) -> list[ScoredSentence]:
    """The best sentence, plus up to two near-equals that are not paraphrases of a chosen one. A document's
    title line is never one of them (it says nothing the citation's header does not), and fragments
    (headings, labels) never join an answer as extra sentences."""
    scored = [s for s in scored if not _is_title_line(snapshot, s)]
    if not scored or scored[0].score < tuning.abstain_below:
        return []
    chosen = [scored[0]]
    follower = _continuation(snapshot, scored, scored[0], tuning.abstain_below)
    if follower is not None and tuning.max_sentences > 1:
        chosen.append(follower)
    for cand in scored[1:]:
        if len(chosen) >= tuning.max_sentences or cand.score < scored[0].score - tuning.extra_margin:
            break
        if cand in chosen or is_fragment(snapshot.document(cand.doc_id).text[cand.start : cand.end]):
            continue
        vectors = snapshot.sentence_vectors_of([cand.sentence_id, *[c.sentence_id for c in chosen]])
        if all(float(vectors[0] @ other) < REDUNDANT_ABOVE for other in vectors[1:]):
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
            shares_keyword = cand.overlap > 0  # it holds a word of the question
            if _ANAPHOR.match(text) and (cand.score >= floor or shares_keyword):
                return cand
            return None
    return None


def verify_citation(document_text: str, citation: Citation) -> None:
    """Raise CitationError unless the quote is exactly the document text at its offsets (IndexStateError when
    the offsets are not even inside the text: the index is damaged)."""
    if not (0 <= citation.start < citation.end <= len(document_text)):
        from index.errors import IndexStateError

        raise IndexStateError(f"The index is damaged: citation [{citation.n}] points past the text of "
                              f"{citation.source}. Run `qa index --rebuild` to build it again.")
    if document_text[citation.start : citation.end] != citation.quote:
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
    """Turn retrieved chunks into a verified, cited Answer (or an abstention).

    When the question asks for a type of answer (qa/reader.py), the answer leads with a sentence that holds
    one, highlighted; a date question may be answered from the document's own dated header; and when no
    retrieved sentence holds an answer of the asked type, or the question names something no retrieved
    passage mentions, corpus-qa abstains."""
    from qa.reader import DATE, STRICT, expected_type

    passages = passages_of(snapshot, hits)
    asked = retrieval_question or question
    kind = expected_type(question) if tuning.reader else None
    scored = score_sentences(snapshot, hits[: tuning.answer_passages], qvec, asked, tuning, kind)
    chosen = select_sentences(snapshot, scored, tuning)
    header = None
    if chosen and kind is not None:
        # A date or number counts in a sentence that shares a word of what is asked besides the topic, or in
        # the document the question names: "1991" answers "When did Kazakhstan become independent?", not
        # "When was Blinken born?"; "a 15th-century citadel" answers "When was Machu Picchu built?".
        typed = [s for s in scored if s.answer is not None and s.score >= tuning.abstain_below
                 and (kind not in STRICT or s.overlap > 0 or s.named > 0)]
        if kind == DATE:
            header = _dated_header(snapshot, chosen[0], typed)
        if header is None and not typed and kind in STRICT:
            chosen = []  # no date or number anywhere: a near-topic question the documents do not answer
        elif header is None and typed and chosen[0].answer is None and \
                (kind in STRICT or typed[0].score >= chosen[0].score - tuning.extra_margin):
            # a sentence holding an answer of the asked type leads: always for a date or a number (one without
            # cannot answer), for a name when it is nearly as good a match
            chosen = [typed[0], *[c for c in chosen if c.sentence_id != typed[0].sentence_id]]
            chosen = chosen[: tuning.max_sentences]
    if chosen and tuning.reader and not _names_are_present(question, passages[: tuning.answer_passages]):
        chosen = []
    citations = []
    spans = ([header] if header is not None else []) + [(s.doc_id, s.start, s.end, s.score, s.answer) for s in chosen]
    for n, (doc_id, start, end, score, highlight) in enumerate(spans[: tuning.max_sentences], start=1):
        doc = snapshot.document(doc_id)
        page = doc.page_at(start)
        section = doc.section_at(start)
        citation = Citation(n, doc.source, start, end, doc.text[start:end], score, doc.title,
                            doc.date, doc.place, line_of(doc.text, start), page.number if page else None,
                            page.label if page else None, doc.format, section.title if section else None,
                            highlight if n == 1 else None)
        verify_citation(doc.text, citation)
        citations.append(citation)
    if not citations:
        return Answer(question, NOT_FOUND, True, (), tuple(passages), tuple(warnings))
    text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    first = citations[0]
    short = None
    if first.highlight:
        short = first.quote[first.highlight[0] - first.start : first.highlight[1] - first.start]
    return Answer(question, text, False, tuple(citations), tuple(passages), tuple(warnings), short)


def _dated_header(
    snapshot: Snapshot, best: ScoredSentence, typed: Sequence[ScoredSentence]
) -> tuple[int, int, int, float, tuple[int, int]] | None:
    """For a date question: the dated header of the best sentence's document (`date 2023-02-28 Astana: ...`),
    when the best sentence tells of the event without a date of its own (it holds a word of the question
    besides the document's topic: "visit" for "When did Blinken visit Astana?", not for "When was Blinken
    born?") and no dated sentence scores as well.
    Returns (doc_id, start, end, score, date span) of the header, to be cited like any sentence."""
    if best.answer is not None or (typed and typed[0].score >= best.score) or best.overlap <= 0:
        return None  # a dated sentence answers better; or the best one shares no word of what is asked
    doc = snapshot.document(best.doc_id)
    if doc.date is None or doc.body_start == 0:
        return None
    lead = len(doc.text) - len(doc.text.lstrip())
    start, end = lead, len(doc.text[: doc.body_start].rstrip())
    at = doc.text.find(doc.date, start, end)
    if at < 0 or end <= start:
        return None
    return best.doc_id, start, end, best.score, (at, at + len(doc.date))


def _names_are_present(question: str, passages: Sequence[Passage]) -> bool:
    """Whether everything the question names (words it writes as names: "Kazakhstan", "Tim Cook") appears,
    at least in part, in the passages the answer comes from, or in their titles."""
    from index.keywords import STOPWORDS
    from index.titles import maximal, normalize, question_spans

    spans = [s for s in question_spans(question) if s.proper]
    names = [s.key for s in maximal(spans, {s.key for s in spans})]  # "Lionel Messi", not also "Lionel"
    if not names:
        return True
    seen = set(normalize(" ".join(f"{p.title} {p.text}" for p in passages)).split())
    for name in names:
        words = [w for w in name.split() if w not in STOPWORDS and len(w) > 2 and not w.isdigit()]
        if words and not any(w in seen for w in words):
            return False
    return True
