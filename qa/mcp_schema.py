"""The typed results of the MCP tools: each tool's output schema (MCP `outputSchema`) is made from these, so a
client knows every field of an answer, a passage and a listing instead of `additionalProperties: true`.

They describe the JSON contract of `qa ask --json` (README, "The JSON contract") field by field; qa/types.py
builds the dictionaries, and tests/test_mcp.py checks that every field of a real answer is in its schema.
Only qa/mcp_server.py imports this module (typing_extensions' TypedDict: what pydantic reads on Python 3.11).
"""

from typing import Any, NotRequired

from typing_extensions import TypedDict


class HeaderRow(TypedDict):
    """A table row's header row, verbatim at its own offsets."""

    start: int
    end: int
    text: str


class PlaceResult(TypedDict):
    """Where a span is in its document's own terms (qa.types.Place): element id, paragraph, row, sheet,
    slide, notebook cell, section path, and whether its text came from OCR."""

    anchor: str | None
    paragraph: int | None
    row: int | None
    sheet: str | None
    slide: int | None
    cell: int | None
    section_path: list[str]
    ocr: bool


class CitationResult(PlaceResult):
    """One verified quote: `read(source, start, end) == quote`."""

    n: int
    source: str
    start: int
    end: int
    quote: str
    score: float
    title: str
    date: str | None
    place: str | None
    line: int
    page: int | None
    page_label: str | None
    format: str
    section: str | None
    highlight: list[int] | None
    kind: str
    header: HeaderRow | None


class PassageResult(PlaceResult):
    """A retrieved chunk, best first: `read(source, start, end) == text`."""

    rank: int
    source: str
    start: int
    end: int
    text: str
    score: float
    line: int
    page: int | None
    page_label: str | None
    format: str


class GeneratedResult(TypedDict):
    """A sentence a language model wrote from the quotes, and its check."""

    sentence: str
    citations: list[int]
    support: float
    kept: bool
    reason: str | None


class AskResult(TypedDict):
    """The `qa ask --json` object."""

    id: Any
    question: str
    answer: str
    abstained: bool
    short_answer: str | None
    confidence: float
    unmentioned: list[str]
    citations: list[CitationResult]
    passages: list[PassageResult]
    warnings: list[str]
    error: str | None
    generated: NotRequired[list[GeneratedResult]]


class SearchResult(TypedDict):
    """The top passages for a query."""

    query: str
    passages: list[PassageResult]
    warnings: list[str]


class DocumentEntry(TypedDict):
    """One indexed document."""

    source: str
    title: str
    date: str | None
    format: str
    pages: int
    chars: int


class DocumentList(TypedDict):
    """The documents in the index (the first `limit`)."""

    documents: list[DocumentEntry]
    total: int
    truncated: bool
