"""Text made of blocks, with their offsets: what the loaders of block formats (ODT, PPTX, XLSX, CSV, notebooks)
share. A block is a paragraph, a heading, a code block or a table; blocks are joined by a blank line, rows of
a table by a line break, cells of a row by ` | ` (as the DOCX and HTML loaders write them). Headings become
sections, code blocks and rows units, and pages (slides, cells, sheets) and anchors (paragraph and row
numbers) are recorded where they start, so every offset indexes the finished text.
"""

from __future__ import annotations

from collections.abc import Sequence

from index.reading.formats import Extracted
from index.types import Anchor, Page, Unit, sections_of


def clean_newlines(text: str) -> str:
    """CR LF and CR made LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def row_text(cells: list[str]) -> str:
    """A table row as one line: its cells, white space collapsed, joined by ` | `; trailing empty cells cut."""
    cleaned = [" ".join(c.split()) for c in cells]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    return " | ".join(cleaned)


class TextBuilder:
    """Accumulates blocks into one text, keeping each one's offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.at = 0
        self.heads: list[tuple[str, int, int]] = []
        self.units: list[Unit] = []
        self.anchors: list[Anchor] = []
        self.pages: list[Page] = []
        self._page: tuple[int, str | None, int] | None = None
        self.paragraphs = 0
        """Paragraphs written so far (headings included): the number the next `paragraph` anchor gets."""

    def _block(self, text: str) -> int:
        """Append a block (after a blank line, unless it is the first of the page or text); its start."""
        if self.parts and (self._page is None or self.at > self._page[2]):
            self.parts.append("\n\n")
            self.at += 2
        start = self.at
        self.parts.append(text)
        self.at += len(text)
        return start

    def paragraph(self, text: str, level: int | None = None, numbered: bool = False) -> int | None:
        """A paragraph (white space collapsed), or a heading of `level`; with `numbered`, it gets a
        `paragraph` anchor with its number. Its start, or None when it is empty."""
        text = " ".join(text.split())
        if not text:
            return None
        start = self._block(text)
        if level is not None:
            self.heads.append((text, level, start))
        if numbered:
            self.paragraphs += 1
            self.anchors.append(Anchor("paragraph", start, str(self.paragraphs)))
        return start

    def code(self, text: str, paragraphs: int = 0) -> int | None:
        """A code block, verbatim (trailing white space of its lines and empty edge lines cut); made of
        `paragraphs` numbered paragraphs (a document's code lines), it gets the first one's anchor."""
        lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        if not lines:
            return None
        code = "\n".join(lines)
        start = self._block(code)
        self.units.append(Unit("code", start, start + len(code)))
        if paragraphs:
            self.anchors.append(Anchor("paragraph", start, str(self.paragraphs + 1)))
            self.paragraphs += paragraphs
        return start

    def markdown(self, source: str) -> int | None:
        """A Markdown text as one block, verbatim but for line ends and edge blank lines: its ATX headings
        (`## Results`) start sections; its fenced code and pipe tables are units (as in a .md file)."""
        from index.reading.formats.text import ATX, text_units

        text = "\n".join(line.rstrip() for line in clean_newlines(source).split("\n")).strip("\n")
        if not text.strip():
            return None
        start = self._block(text)
        fenced = False
        at = start
        for line in text.split("\n"):
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            heading = ATX.match(line) if not fenced else None
            if heading:
                self.heads.append((" ".join(heading.group(2).split()).rstrip("#").strip(), len(heading.group(1)),
                                   at))
            at += len(line) + 1
        base = len(self.units)
        self.units.extend(Unit(u.kind, u.start + start, u.end + start, u.parent + base if u.parent >= 0 else -1)
                          for u in text_units(text, "md"))
        return start

    def table(self, rows: Sequence[tuple[str, str | None]], header: bool = True) -> None:
        """A table of (row text, row anchor name or None) rows, one block; the first row is the header row
        when `header` and there are at least two rows."""
        rows = [(text, name) for text, name in rows if text.strip()]
        if not rows:
            return
        start = self._block("\n".join(text for text, _name in rows))
        head = -1
        at = start
        for i, (text, name) in enumerate(rows):
            if i == 0 and header and len(rows) > 1:
                head = len(self.units)
                self.units.append(Unit("header", at, at + len(text)))
            else:
                self.units.append(Unit("row", at, at + len(text), head))
            if name is not None:
                self.anchors.append(Anchor("row", at, name))
            at += len(text) + 1

    def start_page(self, number: int, label: str | None = None) -> None:
        """Everything until `end_page` is page `number` (a slide, a cell, a sheet)."""
        self.end_page()
        if self.parts:
            self.parts.append("\n\n")
            self.at += 2
        self._page = (number, label, self.at)

    def end_page(self) -> None:
        if self._page is not None:
            number, label, start = self._page
            if self.at == start and self.parts and self.parts[-1] == "\n\n":  # an empty page: no blank line
                self.parts.pop()
                self.at -= 2
                start = self.at
            self.pages.append(Page(number, start, self.at, label))
            self._page = None

    def extracted(self, fmt: str, title: str | None = None, date: str | None = None) -> Extracted:
        self.end_page()
        text = "".join(self.parts)
        return Extracted(text, fmt, title=title, date=date, pages=tuple(self.pages),
                         sections=tuple(sections_of(self.heads, len(text))),
                         units=tuple(self.units),  # in text order already, as blocks are appended
                         anchors=tuple(self.anchors))
