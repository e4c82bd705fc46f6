"""The document viewer: the cited page (PDF, EPUB), section (HTML, DOCX) or whole text file, read-only,
scrolled to the cited span and highlighted, under a header naming the file and page.

The text shown has its control characters made visible one for one (`qa.display.visible`), so escape
sequences in a document never reach the terminal and the cited span's offsets still select the quote."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, Static, TextArea
from textual.widgets.text_area import Selection

from index.types import Document
from qa.display import terminal_safe, visible
from qa.types import Citation


def offset_to_location(text: str, offset: int) -> tuple[int, int]:
    """(row, column) of a character offset, as TextArea counts them."""
    row = text.count("\n", 0, offset)
    col = offset - (text.rfind("\n", 0, offset) + 1)
    return row, col


@dataclass(frozen=True)
class Excerpt:
    """The part of a document the viewer shows around a citation."""

    text: str
    """What is shown: the document's text with its control characters made visible, one for one."""
    start: int
    """Where `text` starts in the document."""
    heading: str
    """The header line: citation, page of pages or section."""


def excerpt(citation: Citation, document: Document) -> Excerpt:
    """The cited page of a paged document, the cited section of a sectioned one, else the whole text; always
    holding the whole quote (a sentence may run over a page break)."""
    text = document.text
    start, end, where = 0, len(text), ""
    page = document.page_at(citation.start)
    section = document.section_at(citation.start)
    if page is not None:
        start, end = page.start, page.end
        unit = "chapter" if document.format == "epub" else "page"
        where = f"{unit} {page.number} of {len(document.pages)}"
        if page.label and page.label != str(page.number):
            where = f"p. {page.label}, {where}"
    elif section is not None:
        start, end = section.start, section.end
        where = f"§ {section.title}"
    start, end = min(start, citation.start), max(end, citation.end)
    heading = citation.header() + (f"  ({where})" if where else "")
    return Excerpt(visible(text[start:end]), start, terminal_safe(heading))


class ViewerScreen(ModalScreen[None]):
    """Shows the cited part of a document with the quote selected; Escape returns to the chat."""

    BINDINGS = [Binding("escape", "dismiss_viewer", "Back to chat")]

    def __init__(self, citation: Citation, document: Document) -> None:
        super().__init__()
        self.citation = citation
        self.excerpt = excerpt(citation, document)
        self.first_line = document.text.count("\n", 0, self.excerpt.start) + 1

    def compose(self) -> ComposeResult:
        yield Static(Text(self.excerpt.heading), id="viewer-title")
        yield TextArea(self.excerpt.text, read_only=True, soft_wrap=True, show_line_numbers=True,
                       line_number_start=self.first_line, id="viewer-text")
        yield Footer()

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        shift = self.excerpt.start
        start = offset_to_location(self.excerpt.text, self.citation.start - shift)
        end = offset_to_location(self.excerpt.text, self.citation.end - shift)
        area.selection = Selection(start, end)
        area.focus()
        self.call_after_refresh(area.scroll_cursor_visible, center=True)

    def action_dismiss_viewer(self) -> None:
        self.dismiss(None)
