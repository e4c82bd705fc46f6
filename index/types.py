"""The small domain model of the index layer: what a document, a sentence and a chunk are.

Offsets are character offsets into `Document.text`, which is exactly what
`Path(...).read_text(encoding="utf-8")` returns for the file, so `text[start:end]` is always the quote.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A half-open character range [start, end) in a document's text."""

    start: int
    """First character, 0-based."""
    end: int
    """One past the last character."""


@dataclass(frozen=True)
class Document:
    """One source file, decoded, with the metadata shown in citations."""

    source: str
    """Path relative to the corpus folder, with forward slashes."""
    text: str
    """Full text as `read_text(encoding="utf-8")` returns it."""
    sha256: str
    """Hash of `text` (UTF-8); re-indexing skips documents whose hash did not change."""
    title: str
    """First non-empty line (shortened), or the file name."""
    date: str | None = None
    """ISO date from a `date YYYY-MM-DD Place: ...` header, if the document has one."""
    place: str | None = None
    """Place from the same header, e.g. `Astana (Kazakhstan)`."""
    body_start: int = 0
    """Where the quotable body starts (after a metadata header, if any)."""


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one document, the unit that is embedded and retrieved."""

    source: str
    """The document this chunk belongs to."""
    start: int
    """Offset of the first character of the first sentence."""
    end: int
    """Offset one past the last character of the last sentence."""
    sentences: tuple[Span, ...] = field(default_factory=tuple)
    """The sentences of the chunk, in order."""
    n_tokens: int = 0
    """Length in model tokens (sum over its sentences)."""
