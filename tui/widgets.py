"""Small widgets of the chat: a question, an answer with its citations, a focusable citation.

Document and user text is always wrapped in `rich.text.Text` (never parsed as markup), so a document that
contains `[bold red]x[/]` or `[link=...]` shows exactly that, and its control characters are made visible
(`qa.display.visible`), so escape sequences in a document or a file name never reach the terminal.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Markdown, Static

from qa import render
from qa.display import terminal_safe, visible
from qa.types import Answer, Citation, Passage

CONTEXT_CHARS = 80


def citation_text(citation: Citation, document_text: str | None) -> Text:
    """`[n] file.pdf p. 12 (date, place)` then the quote, highlighted inside a little surrounding context; the
    short answer, where there is one, stands out inside the quote. The header is one line whatever the file
    name holds: its newlines and controls are shown escaped (`\\n`), as the CLI shows them, so a name cannot
    draw citation lines of its own."""
    meta = ", ".join(x for x in (citation.date, citation.place) if x)
    text = Text()
    text.append(f"[{citation.n}] ", style="bold")
    text.append(terminal_safe(citation.location()), style="underline")
    if meta:
        text.append(terminal_safe(f"  ({meta})"), style="dim")
    text.append("\n")
    if document_text is None:
        text.append_text(quote_text(citation, "bold"))
        return text
    before = document_text[max(0, citation.start - CONTEXT_CHARS) : citation.start]
    after = document_text[citation.end : citation.end + CONTEXT_CHARS]
    text.append(("…" if citation.start > CONTEXT_CHARS else "") + visible(before.replace("\n", " ")), style="dim")
    text.append_text(quote_text(citation))
    text.append(visible(after.replace("\n", " ")) + ("…" if citation.end + CONTEXT_CHARS < len(document_text) else ""),
                style="dim")
    return text


def quote_text(citation: Citation, style: str = "bold reverse") -> Text:
    """The quote on one line, with the short answer (`highlight`) underlined inside it."""
    quote = Text(visible(citation.quote.replace("\n", " ")), style=style)  # same length: offsets hold
    if citation.highlight:
        a, b = citation.highlight[0] - citation.start, citation.highlight[1] - citation.start
        if 0 <= a < b <= len(citation.quote):
            quote.stylize("underline bold", a, b)
    return quote


def passage_as_citation(passage: Passage) -> Citation:
    """A retrieved passage in the shape the viewer opens (used for an abstention's closest passages)."""
    return Citation(passage.rank, passage.source, passage.start, passage.end, passage.text, passage.score,
                    passage.title, None, None, passage.line, passage.page, passage.page_label, passage.format)


class CitationItem(Static, can_focus=True):
    """One citation; Enter or a click opens the source at the cited span."""

    BINDINGS = [Binding("enter", "open", "Open source")]

    class Opened(Message):
        """The user asked to see this citation in its document."""

        def __init__(self, citation: Citation) -> None:
            super().__init__()
            self.citation = citation

    def __init__(self, citation: Citation, document_text: str | None, classes: str = "citation") -> None:
        super().__init__(citation_text(citation, document_text), classes=classes)
        self.citation = citation

    def action_open(self) -> None:
        self.post_message(self.Opened(self.citation))

    def on_click(self) -> None:
        self.action_open()


class PassageItem(CitationItem):
    """A closest passage under an abstention; opens like a citation."""

    def __init__(self, passage: Passage) -> None:
        Static.__init__(self, Text(terminal_safe(f"{passage.location()}  "), style="underline")
                        + Text(visible(" ".join(passage.text.split())[:200]) + "…", style="dim"), classes="passage")
        self.citation = passage_as_citation(passage)


class QuestionInput(Input):
    """The question line, where each line typed or pasted is one question.

    Enter is handled here, in the order keys reach the field, and empties it in the same step. (Input's own
    Enter is an app binding, run only after the key has gone round the app; keys typed right after it are
    already in the field by then, so fast-typed questions merged, and clearing the field later lost them.)
    A paste of several lines submits each full line, as typing them would (Input keeps only the first).
    """

    # Textual calls these before Input's own handlers, which prevent_default() skips.
    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()  # so the app's Enter binding (Input.action_submit) does not run as well
            self._submit()

    def _on_paste(self, event: events.Paste) -> None:
        *lines, last = event.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if not lines:
            return  # one line: Input inserts it
        event.stop()
        event.prevent_default()
        self.insert_text_at_cursor(lines[0])
        self._submit()
        for line in lines[1:]:
            self.value = line
            self._submit()
        self.insert_text_at_cursor(last)

    def _submit(self) -> None:
        value, self.value = self.value, ""
        self.post_message(self.Submitted(self, value))


class QuestionView(Static):
    """The user's question, shown literally."""

    def __init__(self, question: str) -> None:
        super().__init__(Text("› " + visible(question)), classes="question")


class AnswerView(Vertical):
    """An answer: Markdown text with [n] markers, then its citations (or, abstained, the closest passages)."""

    def __init__(self, answer: Answer, documents: dict[str, str]) -> None:
        super().__init__(classes="answer abstained" if answer.abstained else "answer")
        self.answer = answer
        self.documents = documents

    def compose(self) -> ComposeResult:
        if self.answer.abstained and self.answer.parts:  # every part unanswered: each named, then the passages
            yield Markdown(render.chat_markdown(self.answer), classes="answer-text")
            for c in self.answer.citations:  # what the notes cite: the sentences a set's members were taken by
                yield CitationItem(c, self.documents.get(c.source))
            for p in self.answer.passages[:3]:
                yield PassageItem(p)
            return
        if self.answer.abstained:
            yield Static(Text("Not found in the corpus"), classes="abstain-title")
            reason = self.answer.text.removeprefix("Not found in the corpus: ").rstrip(".")
            if reason.startswith("Not found in the corpus as a figure: "):  # its rank is the citation below
                reason = reason.removeprefix("Not found in the corpus as a figure: ").split(":")[0] + " (below)"
            yield Static(Text(visible(f"{reason[:1].upper()}{reason[1:]}. Closest passages:")),
                         classes="abstain-hint")
            for c in self.answer.citations:  # an amount with no figure: the sentence that ranks it instead
                yield CitationItem(c, self.documents.get(c.source))
            for p in self.answer.passages[:3]:
                yield PassageItem(p)
            return
        if self.answer.short_answer:
            short = visible(self.answer.short_answer)
            holder = next((c.n for c in self.answer.citations if c.highlight), 1)
            yield Static(Text.assemble(("Answer: ", "bold"), (short, "bold underline"), f" [{holder}]"),
                         classes="short-answer")
        yield Markdown(render.chat_markdown(self.answer), classes="answer-text")
        if self.answer.is_generated:
            yield Static(Text("Written by a language model from the quotes below; every sentence checked against "
                              "the quotes it cites."), classes="generated-note")
        for c in self.answer.citations:
            yield CitationItem(c, self.documents.get(c.source))
        for w in self.answer.warnings:  # one line each: they name files
            yield Static(Text("warning: " + terminal_safe(w)), classes="warning")
