"""The answer side of the domain model: passages, citations, answers, and their JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Question:
    """A question as it is answered: checked once (text, not empty, valid UTF-8), spaces collapsed, cut to
    the longest a question may be; front ends check it before loading anything and hand it on as it is."""

    text: str
    """The question to answer."""
    warnings: tuple[str, ...] = ()
    """What the user should know about it (that it was cut)."""


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
    page: int | None = None
    """1-based physical page (PDF) or chapter (EPUB) of `start`; None for unpaged formats."""
    page_label: str | None = None
    """The printed page label, where the PDF defines one."""
    format: str = "txt"
    """The document's format: txt, md, rst, pdf, html, docx, epub, odt, pptx, xlsx, csv, tsv or ipynb."""
    where: Place = field(default_factory=lambda: Place())
    """Where `start` is beyond its page and line: anchor, paragraph, row, section path, OCR."""

    def location(self) -> str:
        """Where the passage is, as people read it: `file.pdf p. 12` or `notes.txt:5`."""
        return locate(self.source, self.line, self.page, self.page_label, self.format, self.where)

    def to_dict(self) -> dict[str, Any]:
        """A passage in the JSON contract (`passages` of `qa ask --json`, the MCP `search` tool)."""
        return {"rank": self.rank, "source": self.source, "start": self.start, "end": self.end, "text": self.text,
                "score": round(self.score, 4), "line": self.line, "page": self.page, "page_label": self.page_label,
                "format": self.format, **self.where.to_dict(self.format, self.page, self.page_label)}


@dataclass(frozen=True)
class Place:
    """Where an offset of a document is, in the terms its own viewer or a reader uses (beyond page and line)."""

    anchor: str | None = None
    """The nearest element id at or before it (HTML): `page.html#anchor` opens there."""
    paragraph: int | None = None
    """The 1-based number of its paragraph (DOCX, ODT), headings included."""
    row: int | None = None
    """Its row's number as a spreadsheet shows it (CSV, TSV: the header is row 1; XLSX: the row in its sheet)."""
    section_path: tuple[str, ...] = ()
    """The headings it falls under, outermost first."""
    ocr: bool = False
    """Whether its page's text was recognised from the page's image (a scanned page)."""

    def to_dict(self, fmt: str, page: int | None, page_label: str | None) -> dict[str, Any]:
        """The JSON fields a citation and a passage add for it (all present, null where they do not apply)."""
        return {"anchor": self.anchor, "paragraph": self.paragraph, "row": self.row,
                "sheet": page_label if fmt == "xlsx" else None,
                "slide": page if fmt == "pptx" else None, "cell": page if fmt == "ipynb" else None,
                "section_path": list(self.section_path), "ocr": self.ocr}


PAGE_NAMES = {"epub": "ch.", "pptx": "slide", "ipynb": "cell"}
"""How a page is named where it is not a printed page."""


def locate(source: str, line: int, page: int | None, page_label: str | None, fmt: str,
           place: Place | None = None) -> str:
    """The one place a citation's position is rendered for people (CLI, chat, exports): `guide.pdf p. 7`,
    `venv.html#creating`, `report.docx ¶12`, `deck.pptx slide 3`, `book.xlsx Costs row 5`, `notes.txt:12`."""
    place = place or Place()
    if fmt == "xlsx":
        sheet = f" {page_label}" if page_label else (f" sheet {page}" if page else "")
        return f"{source}{sheet}" + (f" row {place.row}" if place.row is not None else "")
    if place.row is not None:
        return f"{source} row {place.row}"
    if place.anchor is not None:
        return f"{source}#{place.anchor}"
    if place.paragraph is not None:
        return f"{source} \u00b6{place.paragraph}"
    if page is None:
        return f"{source}:{line}"
    if fmt in PAGE_NAMES:
        return f"{source} {PAGE_NAMES[fmt]} {page}"
    return f"{source} p. {page_label or page}"


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
    """1-based line where the quote starts (in the stored text; for PDF/HTML/DOCX/EPUB see `qa text`)."""
    page: int | None = None
    """1-based physical page (PDF) or chapter (EPUB) where the quote starts; None for unpaged formats."""
    page_label: str | None = None
    """The printed label of that page ("iv", "24") where the PDF defines labels; what people are shown."""
    format: str = "txt"
    """The document's format: txt, md, rst, pdf, html, docx or epub."""
    section: str | None = None
    """The heading of the section holding the quote (HTML, DOCX, EPUB), if known."""
    highlight: tuple[int, int] | None = None
    """The short answer inside the quote, as document offsets [start, end), when the question asks for one."""
    kind: str = "sentence"
    """What the quote is: `sentence` (prose), `code` (a code block, verbatim with its line breaks), `row` (a
    table row), `term` (the name a definition defines: an API signature, an option), `header` (a table's
    header row)."""
    context: tuple[int, int] | None = None
    """For a table row: the document offsets of its table's header row, shown with it; None otherwise."""
    context_text: str | None = None
    """The text at `context` (verbatim, verified like the quote)."""
    where: Place = field(default_factory=lambda: Place())
    """Where the quote is beyond its page and line: anchor, paragraph, row, section path, OCR."""

    def location(self) -> str:
        """Where the quote is, as people read it: `file.pdf p. 12` or `notes.txt:5`."""
        return locate(self.source, self.line, self.page, self.page_label, self.format, self.where)

    def section_shown(self) -> str | None:
        """The section path as shown beside the location (`Install › Linux`), or None. A sheet's or a
        slide's own title is left out where the location names it already."""
        path = list(self.where.section_path)
        if self.format == "xlsx" and path and path[0] == self.page_label:
            path = path[1:]
        return " \u203a ".join(path) or None

    def header(self) -> str:
        """`[n] location (section path; OCR; date, place)`: the citation's heading everywhere it is shown
        (OCR: the quote was recognised from a scanned page's image)."""
        meta = ", ".join(x for x in (self.date, self.place) if x)
        notes = "; ".join(x for x in (self.section_shown(), "OCR" if self.where.ocr else "", meta) if x)
        return f"[{self.n}] {self.location()}" + (f" ({notes})" if notes else "")


@dataclass(frozen=True)
class GeneratedSentence:
    """One sentence a language model wrote from the answer's quotes, with the check it went through
    (qa/support.py)."""

    sentence: str
    """The sentence as the model wrote it, without its [n] markers."""
    citations: tuple[int, ...]
    """The ids of the quotes it cites: the `n` of the answer's citations."""
    support: float
    """How well its cited quotes support it (0..1): content-word overlap and embedding similarity; 0 when a
    cited id does not exist or a number or name of the sentence is not in its quotes."""
    kept: bool
    """Whether it is part of the answer's text."""
    reason: str | None = None
    """Why it was left out (None when kept)."""

    def to_dict(self) -> dict[str, Any]:
        return {"sentence": self.sentence, "citations": list(self.citations), "support": round(self.support, 3),
                "kept": self.kept, "reason": self.reason}


@dataclass(frozen=True)
class PartAnswer:
    """The answer to one part of a question with several (qa/parts.py): one entity of a list, one side of a
    comparison, one of two asks."""

    question: str
    """The part as a question of its own ("What is the land mass of France?")."""
    label: str
    """What the part is about, as the answer shows it: its subject ("France"), or its question."""
    text: str
    """The part's answer: its quotes with their markers, or the sentence naming what is missing."""
    abstained: bool
    """True when the documents do not answer this part (the others may still be answered)."""
    citations: tuple[int, ...] = ()
    """The `n` of the answer's citations this part rests on."""

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "label": self.label, "answer": self.text,
                "abstained": self.abstained, "citations": list(self.citations)}


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
    """The quotes behind the answer. Abstained, only what its notes cite (the sentences a set's members were
    taken by, when no part of the question is answered); most abstentions cite nothing."""
    passages: tuple[Passage, ...] = ()
    """The top retrieved passages, best first (also when abstained)."""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    """Things the user should know, e.g. that the question was truncated."""
    short_answer: str | None = None
    """The short answer (a name, date, place or number) highlighted in the first citation, when the
    question asks for one and the quote holds it."""
    confidence: float = 0.0
    """How likely the answer is right (0..1), calibrated on documentation questions (see README); for an
    abstention, how likely the documents do hold an answer after all."""
    unmentioned: tuple[str, ...] = ()
    """Terms of the question the documents never mention (why it abstained, when that is why)."""
    signals: tuple[tuple[str, float], ...] = ()
    """The evidence `confidence` is computed from (qa/answer.py, `Signals`), for benchmarks and debugging;
    not part of the JSON contract."""
    generated: tuple[GeneratedSentence, ...] | None = None
    """With generation on (qa/generate.py): the model's sentences, each checked against the quotes it cites;
    `text` is the kept ones when any was kept (else the quotes, with a warning). None when generation was off."""
    parts: tuple[PartAnswer, ...] = ()
    """For a question with several parts (a list, a comparison, two asks): each part's own answer, in the
    question's order; empty for a question with one part."""

    @property
    def is_generated(self) -> bool:
        """Whether `text` is the model's checked sentences rather than the quotes themselves."""
        return any(g.kept for g in self.generated or ())

    def to_dict(self, id: Any = None, error: str | None = None) -> dict[str, Any]:
        """The JSON contract of `qa ask --json` and `qa batch`."""
        record: dict[str, Any] = {
            "id": id,
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "short_answer": self.short_answer,
            "confidence": round(self.confidence, 3),
            "unmentioned": list(self.unmentioned),
            "citations": [
                {"n": c.n, "source": c.source, "start": c.start, "end": c.end, "quote": c.quote,
                 "score": round(c.score, 4), "title": c.title, "date": c.date, "place": c.place,
                 "line": c.line, "page": c.page, "page_label": c.page_label, "format": c.format,
                 "section": c.section, "highlight": list(c.highlight) if c.highlight else None,
                 "kind": c.kind,
                 "header": {"start": c.context[0], "end": c.context[1], "text": c.context_text}
                 if c.context else None, **c.where.to_dict(c.format, c.page, c.page_label)}
                for c in self.citations
            ],
            "passages": [p.to_dict() for p in self.passages],
            "warnings": list(self.warnings),
            "error": error,
        }
        if self.generated is not None:  # only with generation on: the contract is unchanged without it
            record["generated"] = [g.to_dict() for g in self.generated]
        if self.parts:  # only for a question with several parts: a single question's record is unchanged
            record["parts"] = [p.to_dict() for p in self.parts]
        return record


def error_record(id: Any, question: str, error: str) -> dict[str, Any]:
    """A contract object for a question that could not be answered at all."""
    return {"id": id, "question": question, "answer": "", "abstained": False, "short_answer": None,
            "confidence": 0.0, "unmentioned": [], "citations": [],
            "passages": [], "warnings": [], "error": error}
