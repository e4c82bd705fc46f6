"""Measuring answer quality on a question file, through the same Engine.ask every user goes through.

A question file is JSONL: `id`, `question`, and any of `gold_sources` (paths relative to the corpus),
`gold_title` (the gold document's title, for question sets written against titles, not paths),
`gold_page` (the 1-based page that answers it), `answers` (strings a right answer contains, every one of
them), `any` (strings of which a right answer contains at least one) and `abstain` (true when the corpus
does not answer it). Metrics:

- recall@1/5/10 and MRR@10 by document, over questions with `gold_sources` or `gold_title`;
- page accuracy: the first citation is on `gold_page`; page recall@5: the gold page is among the top five
  passages' pages (questions with `gold_page`);
- answer accuracy: not abstained, and the answer text holds every string of `answers` and one of `any`
  (case-insensitive);
- abstention precision and recall, over questions that say whether they are answerable;
- citation verbatim rate: every quote re-read at its offsets (must be 100%): from the file on disk for
  .txt/.md/.rst, from the stored extracted text for PDF, HTML, DOCX and EPUB;
- latency p50/p95 of question -> Answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index.errors import UsageError

RANK_DEPTH = 10


@dataclass(frozen=True)
class EvalQuestion:
    """One question with what is known about its right answer."""

    id: Any
    """The question's id."""
    question: str
    """The text asked."""
    gold_sources: tuple[str, ...] = ()
    """Documents that answer it."""
    answers: tuple[str, ...] = ()
    """Strings a right answer contains, every one of them."""
    abstain: bool | None = None
    """True: unanswerable; False: answerable; None: not said."""
    any_of: tuple[str, ...] = ()
    """Strings of which a right answer contains at least one."""
    gold_title: str | None = None
    """The gold document's title, mapped to its source when the questions are scored."""
    gold_page: int | None = None
    """The 1-based page (PDF) or chapter (EPUB) that holds the answer."""


@dataclass
class EvalReport:
    """Aggregated metrics; `None` where no question could measure it."""

    questions: int = 0
    recall_at_1: float | None = None
    recall_at_5: float | None = None
    recall_at_10: float | None = None
    mrr_at_10: float | None = None
    ranked_questions: int = 0
    answer_accuracy: float | None = None
    answer_questions: int = 0
    abstention_precision: float | None = None
    abstention_recall: float | None = None
    abstained: int = 0
    page_accuracy: float | None = None
    page_recall_at_5: float | None = None
    page_questions: int = 0
    citations: int = 0
    verbatim_rate: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("rows")
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in data.items()}


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a question file; a malformed line is a UsageError naming the line."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            text = obj["question"]
            if not isinstance(text, str):
                raise TypeError("question is not text")
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{path}:{number}: not a question object ({exc})") from None
        answers, any_of = obj.get("answers", ()), obj.get("any", ())
        abstain = obj.get("abstain")
        if abstain is None and (answers or any_of or obj.get("gold_sources") or obj.get("gold_title")):
            abstain = False
        try:
            questions.append(EvalQuestion(obj.get("id", number), text, tuple(obj.get("gold_sources", ())),
                                          tuple(answers), abstain, tuple(any_of), obj.get("gold_title"),
                                          obj.get("gold_page")))
        except TypeError as exc:
            raise UsageError(f"{path}:{number}: not a question object ({exc})") from None
    return questions


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


@dataclass
class _Tally:
    """Counts kept while the questions are asked; `finish` turns them into the report's rates."""

    hits1: float = 0.0
    hits5: float = 0.0
    hits10: float = 0.0
    rr: float = 0.0
    correct: int = 0
    page_first: int = 0
    page_top5: int = 0
    predicted_abstain: int = 0
    true_abstain: int = 0
    both_abstain: int = 0
    verbatim: int = 0
    latencies: list[float] = field(default_factory=list)

    def rank(self, report: EvalReport, row: dict[str, Any], ranked: list[str], gold: set[str]) -> None:
        report.ranked_questions += 1
        first = next((i for i, s in enumerate(ranked[:RANK_DEPTH]) if s in gold), None)
        row["gold_rank"] = None if first is None else first + 1
        if first is not None:
            self.hits1 += first < 1
            self.hits5 += first < 5
            self.hits10 += 1
            self.rr += 1 / (first + 1)

    def page(self, report: EvalReport, row: dict[str, Any], answer: Any, gold_page: int, gold: set[str]) -> None:
        report.page_questions += 1
        pages = [(p.source, p.page) for p in answer.passages[:5]]
        first = answer.citations[0] if answer.citations else None
        self.page_first += first is not None and first.page == gold_page and (not gold or first.source in gold)
        self.page_top5 += any(page == gold_page and (not gold or s in gold) for s, page in pages)
        row["cited_page"] = first.page if first is not None else None

    def answered(self, report: EvalReport, row: dict[str, Any], answer: Any, q: EvalQuestion) -> None:
        report.answer_questions += 1
        text = answer.text.lower()
        ok = not answer.abstained and all(a.lower() in text for a in q.answers) and \
            (not q.any_of or any(a.lower() in text for a in q.any_of))
        self.correct += ok
        row["correct"] = ok

    def abstention(self, answer: Any, abstain: bool) -> None:
        self.predicted_abstain += answer.abstained
        self.true_abstain += abstain
        self.both_abstain += answer.abstained and abstain

    def finish(self, report: EvalReport) -> None:
        report.questions = len(report.rows)
        if report.ranked_questions:
            m = report.ranked_questions
            report.recall_at_1, report.recall_at_5 = self.hits1 / m, self.hits5 / m
            report.recall_at_10, report.mrr_at_10 = self.hits10 / m, self.rr / m
        if report.answer_questions:
            report.answer_accuracy = self.correct / report.answer_questions
        if report.page_questions:
            report.page_accuracy = self.page_first / report.page_questions
            report.page_recall_at_5 = self.page_top5 / report.page_questions
        if self.predicted_abstain:
            report.abstention_precision = self.both_abstain / self.predicted_abstain
        if self.true_abstain:
            report.abstention_recall = self.both_abstain / self.true_abstain
        if report.citations:
            report.verbatim_rate = self.verbatim / report.citations
        if self.latencies:
            self.latencies.sort()
            report.latency_p50_ms = _percentile(self.latencies, 0.5)
            report.latency_p95_ms = _percentile(self.latencies, 0.95)


class _QuoteChecker:
    """Re-reads each cited document once: the file itself for text formats (safely: a link or a pipe put
    there is not followed), the stored extracted text for the others."""

    def __init__(self, corpus: Path, document_text: Callable[[str], str | None] | None) -> None:
        self.corpus, self.document_text = corpus, document_text
        self.texts: dict[str, str] = {}

    def verbatim(self, c: Any) -> bool:
        from index.types import TEXT_FORMATS

        if c.source not in self.texts:
            if c.format in TEXT_FORMATS or self.document_text is None:
                from index.reading.load import read_corpus_text

                try:
                    self.texts[c.source] = read_corpus_text(self.corpus, c.source)[0]
                except ValueError:
                    self.texts[c.source] = ""
            else:
                self.texts[c.source] = self.document_text(c.source) or ""
        return bool(self.texts[c.source][c.start : c.end] == c.quote)


def evaluate(
    ask: Callable[[str], Any],
    corpus: Path,
    questions: Iterable[EvalQuestion],
    progress: Callable[[int], None] | None = None,
    document_text: Callable[[str], str | None] | None = None,
    sources_titled: Callable[[str], list[str]] | None = None,
) -> EvalReport:
    """Ask every question with `ask` (question -> Answer) and score the answers. `document_text` gives the
    stored text of extracted formats (PDF, HTML...) to check their quotes against; `sources_titled` maps a
    `gold_title` to the documents of that title."""
    report, tally, quotes = EvalReport(), _Tally(), _QuoteChecker(corpus, document_text)
    for n, q in enumerate(questions, start=1):
        started = time.perf_counter()
        answer = ask(q.question)
        tally.latencies.append((time.perf_counter() - started) * 1000)
        ranked: list[str] = []
        for p in answer.passages:
            if p.source not in ranked:
                ranked.append(p.source)
        row: dict[str, Any] = {"id": q.id, "question": q.question, "abstained": answer.abstained,
                               "answer": answer.text, "ranked": ranked[:RANK_DEPTH]}
        gold = set(q.gold_sources)
        if q.gold_title and sources_titled is not None:
            gold |= set(sources_titled(q.gold_title))
        if gold or q.gold_title:
            tally.rank(report, row, ranked, gold)
        if q.gold_page is not None:
            tally.page(report, row, answer, q.gold_page, gold)
        if q.answers or q.any_of:
            tally.answered(report, row, answer, q)
        if q.abstain is not None:
            tally.abstention(answer, q.abstain)
        report.abstained += answer.abstained
        for c in answer.citations:
            report.citations += 1
            tally.verbatim += quotes.verbatim(c)
        report.rows.append(row)
        if progress:
            progress(n)
    tally.finish(report)
    return report


def format_report(report: EvalReport, label: str = "") -> str:
    """A small aligned table of the summary."""
    s = report.summary()

    def f(v: Any) -> str:
        return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))

    lines = [label] if label else []
    lines.append(f"questions {s['questions']}  (ranked {s['ranked_questions']}, with answers "
                 f"{s['answer_questions']}, abstained {s['abstained']})")
    lines.append(f"recall@1 {f(s['recall_at_1'])}  recall@5 {f(s['recall_at_5'])}  "
                 f"recall@10 {f(s['recall_at_10'])}  MRR@10 {f(s['mrr_at_10'])}")
    if s["page_questions"]:
        lines.append(f"page accuracy {f(s['page_accuracy'])}  page recall@5 {f(s['page_recall_at_5'])}  "
                     f"(questions with a gold page {s['page_questions']})")
    lines.append(f"answer accuracy {f(s['answer_accuracy'])}  abstention precision "
                 f"{f(s['abstention_precision'])} recall {f(s['abstention_recall'])}")
    lines.append(f"citations {s['citations']}  verbatim {f(s['verbatim_rate'])}  latency p50 "
                 f"{f(s['latency_p50_ms'])} ms  p95 {f(s['latency_p95_ms'])} ms")
    return "\n".join(lines)
