"""The document viewer: the cited page (PDF, EPUB), section (HTML, DOCX) or whole text file, read-only,
scrolled to the cited span and highlighted, under a header naming the file and page. `o` opens the source
itself where the citation points, with the user's viewer or editor (qa/opener.py).

The text shown has its control characters made visible one for one (`qa.display.visible`), so escape
sequences in a document never reach the terminal and the cited span's offsets still select the quote."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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

    BINDINGS = [Binding("escape", "dismiss_viewer", "Back to chat"), Binding("o", "open_source", "Open the file")]

    def __init__(self, citation: Citation, document: Document, corpus: Path | None = None) -> None:
        super().__init__()
        self.corpus = corpus
        """The corpus folder, to open the source from (`o`); None: the key only says it cannot."""
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

    def action_open_source(self) -> None:
        """Open the cited file where the citation points: a terminal editor takes the screen until it exits
        (the app is suspended meanwhile), a graphical viewer opens beside it."""
        from index.errors import QAError
        from qa.opener import plan, run, target_of

        if self.corpus is None:
            self.notify("The source's folder is not known here.", severity="warning")
            return
        c = self.citation
        target = target_of(self.corpus, {"source": c.source, "format": c.format, "page": c.page,
                                         "page_label": c.page_label, "line": c.line, "anchor": c.where.anchor,
                                         "paragraph": c.where.paragraph, "row": c.where.row,
                                         "sheet": c.page_label, "section_path": list(c.where.section_path)})
        how = plan(target)
        where = f" ({target.where})" if target.where else ""
        if how.command is None:
            self.notify(terminal_safe(f"No display and no $EDITOR: the citation is in {target.path}{where}."),
                        timeout=10)
            return
        try:
            if how.terminal:
                with self.app.suspend():
                    run(how)
            else:
                run(how)
                self.notify(terminal_safe(f"Opened {c.source}{where}."))
        except QAError as error:
            self.notify(terminal_safe(str(error)), severity="error")
