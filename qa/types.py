"""The answer side of the domain model: passages, citations, answers, and their JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk, best first."""

    rank: int
    """1-based position in the result list."""
    source: str
    """Document path relative to the corpus folder."""
    start: int
    """Start offset of the chunk in the document text."""
    end: int
    """End offset of the chunk in the document text."""
    text: str
    """The chunk's text, verbatim."""
    score: float
    """Fused retrieval score (higher is better)."""
    title: str = ""
    """Document title."""
    line: int = 1
    """1-based line of `start`."""


@dataclass(frozen=True)
class Citation:
    """One verbatim quote supporting the answer, with where to find it."""

    n: int
    """The marker number, as in `[n]` in the answer text."""
    source: str
    """Document path relative to the corpus folder."""
    start: int
    """Start offset of the quote in the document text."""
    end: int
    """End offset; `text[start:end] == quote`."""
    quote: str
    """The sentence, verbatim."""
    score: float
    """How well the sentence matches the question."""
    title: str
    """Document title."""
    date: str | None = None
    """Document date, if known."""
    place: str | None = None
    """Document place, if known."""
    line: int = 1
    """1-based line where the quote starts."""


@dataclass(frozen=True)
class Answer:
    """What corpus-qa says to a question: quoted sentences with citations, or an abstention."""

    question: str
    """The question as answered (after trimming/truncation)."""
    text: str
    """What a person reads; contains the markers [1], [2], ..."""
    abstained: bool
    """True when the corpus does not support an answer."""
    citations: tuple[Citation, ...] = ()
    """The quotes behind the answer (empty when abstained)."""
    passages: tuple[Passage, ...] = ()
    """The top retrieved passages, best first (also when abstained)."""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    """Things the user should know, e.g. that the question was truncated."""

    def to_dict(self, id: Any = None, error: str | None = None) -> dict[str, Any]:
        """The JSON contract of `qa ask --json` and `qa batch`."""
        return {
            "id": id,
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [
                {"n": c.n, "source": c.source, "start": c.start, "end": c.end, "quote": c.quote,
                 "score": round(c.score, 4), "title": c.title, "date": c.date, "place": c.place,
                 "line": c.line}
                for c in self.citations
            ],
            "passages": [
                {"rank": p.rank, "source": p.source, "start": p.start, "end": p.end, "text": p.text,
                 "score": round(p.score, 4), "line": p.line}
                for p in self.passages
            ],
            "warnings": list(self.warnings),
            "error": error,
        }


def error_record(id: Any, question: str, error: str) -> dict[str, Any]:
    """A contract object for a question that could not be answered at all."""
    return {"id": id, "question": question, "answer": "", "abstained": False, "citations": [],
            "passages": [], "warnings": [], "error": error}
