"""The document viewer: the whole source, read-only, scrolled to the cited span and highlighted."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, Static, TextArea
from textual.widgets.text_area import Selection

from qa.types import Citation


def offset_to_location(text: str, offset: int) -> tuple[int, int]:
    """(row, column) of a character offset, as TextArea counts them."""
    row = text.count("\n", 0, offset)
    col = offset - (text.rfind("\n", 0, offset) + 1)
    return row, col


class ViewerScreen(ModalScreen[None]):
    """Shows a cited document with the quote selected; Escape returns to the chat."""

    BINDINGS = [Binding("escape", "dismiss_viewer", "Back to chat")]

    def __init__(self, citation: Citation, document_text: str) -> None:
        super().__init__()
        self.citation = citation
        self.document_text = document_text

    def compose(self) -> ComposeResult:
        c = self.citation
        meta = ", ".join(x for x in (c.date, c.place) if x)
        yield Static(Text(f"[{c.n}] {c.source}:{c.line}" + (f"  ({meta})" if meta else "")), id="viewer-title")
        yield TextArea(self.document_text, read_only=True, soft_wrap=True, show_line_numbers=True,
                       id="viewer-text")
        yield Footer()

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        start = offset_to_location(self.document_text, self.citation.start)
        end = offset_to_location(self.document_text, self.citation.end)
        area.selection = Selection(start, end)
        area.focus()
        self.call_after_refresh(area.scroll_cursor_visible, center=True)

    def action_dismiss_viewer(self) -> None:
        self.dismiss(None)
