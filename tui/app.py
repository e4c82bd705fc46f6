"""`qa chat`: a Textual app that answers questions with cited passages.

The screen is drawn first; the engine (model + index, building or refreshing it if needed) loads in a
thread worker that reports progress through messages. Questions asked before it is ready wait in a
queue. Every call into the engine runs in a worker, never on the UI thread.
"""

from __future__ import annotations

import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState

from qa import render
from qa.display import terminal_safe, visible
from tui.messages import (
    AnswerReady,
    DocumentFetched,
    EngineReady,
    IndexUpdated,
    SentenceChecked,
    StatusChanged,
    WatchFailed,
)
from tui.viewer import ViewerScreen
from tui.widgets import AnswerView, CitationItem, QuestionInput, QuestionView

if TYPE_CHECKING:
    from textual import events

    from index.build import BuildEvent
    from qa.config import Settings
    from qa.engine import Engine, Notice
    from qa.types import Answer, Citation, GeneratedSentence
    from qa.watch import CorpusWatcher

EngineFactory = Callable[[], "Engine"]
"""Returns an object like `qa.engine.Engine`: `prepare()`, `reindex()`, `ask(question, history=...)`,
`document_text(source)`, `document(source)` and `stats()`."""


@dataclass
class Asked:
    """A question as submitted, waiting for its answer, which is shown right under `view`."""

    text: str
    """The line as typed."""
    view: QuestionView
    """Its place in the log."""
    where: str | None = None
    """The `/where` filter in force when it was asked (None: the one `qa chat` started with)."""
    generate: bool = False
    """Whether generated answers were on when it was asked (/generate, Ctrl+G)."""


RETRY_HINT = "press Ctrl+R to try again"

_COMMAND = re.compile(r"^/([A-Za-z][\w-]*)(?:\s+(.*))?$", re.S)
"""A slash command: `/help`, `/where path:notes/**`. A line like `/etc/hosts?` (a path) is a question."""

HELP = """Type a question and press Enter. Commands:
/where FILTER  answer only from matching documents (path:GLOB since:DATE until:DATE format:pdf title:WORDS);
/where alone lifts it
/clear  clear the conversation    /copy  copy the last answer    /export  save the conversation
/reindex  update the index    /theme  light or dark    /quit  leave
/generate [on|off]  answers written by the language model set in the config, each sentence checked (Ctrl+G)
Keys: 1-9 open a citation of the last answer, Tab moves to the citations, Enter opens one, Escape closes it,
Up/Down recall earlier questions, Ctrl+R re-index, Ctrl+E export, Ctrl+L clear, Ctrl+G generate, Ctrl+Q quit."""


class ChatApp(App[None]):
    """The chat: a log of questions and cited answers, an input line, and a status line."""

    CSS_PATH = "chat.tcss"
    TITLE = "corpus-qa"
    AUTO_FOCUS = "#question"
    """Focused as the screen mounts, before any queued key is handled: keys typed while the chat starts go to
    the question line (the first focusable widget, the log, took them and dropped them; `on_mount`'s focus
    comes later, after the keys already queued)."""
    # Priority: the question line has focus nearly always, and Input binds Ctrl+E ("end of line"; End does
    # the same) and would swallow it.
    BINDINGS = [
        Binding("ctrl+l", "clear", "Clear", priority=True),
        Binding("ctrl+r", "reindex", "Re-index", priority=True),
        Binding("ctrl+e", "export", "Export", priority=True),
        Binding("ctrl+g", "toggle_generate", "Generate", show=False, priority=True),  # in /help and the palette
        Binding("ctrl+q", "quit", "Quit", priority=True),
        *[Binding(str(n), f"open_citation({n})", show=False) for n in range(1, 10)],
    ]

    def __init__(self, engine_factory: EngineFactory, corpus_label: str = "", export_dir: Path | None = None,
                 theme: str | None = None, live: bool = False, generate: bool = False, llm_label: str = ""):
        super().__init__()
        self.generate = generate
        """Whether questions asked now get a generated answer (qa/generate.py); toggled by /generate and Ctrl+G."""
        self.llm_label = llm_label
        """Where generated answers come from (the model server's address), to say so when they are turned on."""
        self.draft: Static | None = None
        """The checked sentences of the answer being generated, shown until the answer is ready."""
        self.draft_text = ""
        self.live = live
        """`qa chat --watch`: once the engine is ready, update the index in the background when files change."""
        self.watcher: CorpusWatcher | None = None
        """The running `qa.watch.CorpusWatcher`, if any."""
        if theme:
            self.theme = theme  # `theme` in the config file or QA_THEME (checked by Settings.resolve)
        self.engine_factory = engine_factory
        self.engine: Engine | None = None
        self.ready = False
        self.load_failed = False
        """Loading the engine failed; Ctrl+R tries again and waiting questions are kept until it works."""
        self.pending: deque[Asked] = deque()
        """Questions not sent to the engine yet, oldest first. One is answered at a time, so answers come in
        the order asked and each follow-up is read with the question before it."""
        self.asking: Asked | None = None
        """The question the engine is answering now."""
        self.history: list[str] = []
        self.history_pos: int | None = None
        self.where: str | None = None
        """The `/where` filter for the next questions; None until one is set (then `qa chat --where` applies)."""
        self.exchanges: list[tuple[str, Answer]] = []
        self.corpus_label = corpus_label
        self.export_dir = export_dir or Path.cwd()
        self._show_scope()

    def compose(self) -> ComposeResult:
        yield Header()
        yield VerticalScroll(id="log")
        yield ProgressBar(id="progress", show_eta=False)
        yield Static("Starting…", id="status")
        yield QuestionInput(placeholder="Ask a question about the documents (Enter to send; /help)", id="question",
                            select_on_focus=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#question", Input).focus()
        self.call_after_refresh(self._mark_time, "first_paint")
        self.load_engine()

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every notification may carry a file name or a document's words: shown literally (never as markup)
        and with its control characters made visible."""
        super().notify(visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False)

    def _mark_time(self, event: str) -> None:
        """With QA_CHAT_TIMINGS=FILE, append `event unix-time` lines (read by bench/chat_startup.py)."""
        path = os.environ.get("QA_CHAT_TIMINGS")
        if path:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(f"{event} {time.time():.6f}\n")

    # -- workers -----------------------------------------------------------------------------------

    def _report(self, events: Iterable[BuildEvent | Notice]) -> None:
        """Turn engine events into StatusChanged messages (runs inside a worker thread)."""
        from index.build import BuildSummary
        from qa.events import Estimate, progress_line

        estimate = Estimate()
        for event in events:
            if isinstance(event, BuildSummary):
                continue  # the end of a build is told by EngineReady or IndexUpdated, with what changed
            text, fraction = progress_line(event, estimate, time.monotonic())
            self.post_message(StatusChanged(text, fraction))

    # Workers do not catch errors: on_worker_state_changed shows every failure in one place.

    @work(thread=True, exclusive=True, exit_on_error=False, group="engine")
    def load_engine(self) -> None:
        self.post_message(StatusChanged("Loading the model and the index…"))
        engine = self.engine_factory()
        self._report(engine.prepare())
        documents, chunks = engine.stats()
        self.engine = engine
        self.post_message(EngineReady(documents, chunks))

    def _loaded(self) -> Engine:
        """The engine, for workers that only start once it is loaded (re-index, questions)."""
        if self.engine is None:
            raise RuntimeError("The model and the index are not loaded yet.")
        return self.engine

    @work(thread=True, exclusive=True, exit_on_error=False, group="engine")
    def reindex_worker(self) -> None:
        engine = self._loaded()
        self._report(engine.reindex())
        documents, chunks = engine.stats()
        self.post_message(EngineReady(documents, chunks))

    @work(thread=True, exit_on_error=False, group="ask")
    def ask_worker(self, question: str, history: list[str], where: str | None = None, generate: bool = False) -> None:
        engine = self._loaded()

        def checked(sentence: GeneratedSentence) -> None:
            self.post_message(SentenceChecked(question, sentence))

        answer = engine.ask(question, history=history, where=where, generate=generate, on_sentence=checked)
        sources = {c.source for c in answer.citations} | {p.source for p in answer.passages}
        documents = {s: t for s in sources if (t := engine.document_text(s)) is not None}
        self.post_message(AnswerReady(question, answer, documents))

    @work(thread=True, exit_on_error=False, group="open")
    def open_worker(self, citation: Citation) -> None:
        """Fetch the cited document off the UI thread; the viewer opens when it arrives."""
        document = self.engine.document(citation.source) if self.engine else None
        self.post_message(DocumentFetched(citation, document))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one handler of worker errors: a message for the user (never a traceback) in the status line
        and a notification; a failed question gets it under the question, and the next one goes ahead."""
        if event.state is not WorkerState.ERROR:
            return
        text = visible(_describe(event.worker.error)) if event.worker.error else "unknown error"
        if event.worker.name == "load_engine":
            self.load_failed = True
            text = f"Could not load ({RETRY_HINT}): {text}"
        elif event.worker.name == "ask_worker" and self.asking is not None:
            self._drop_draft()
            self._place_under(self.asking, Static(Text("error: " + text), classes="warning"))
            self.asking = None
            self._send_next()
        status = self.query_one("#status", Static)
        status.add_class("error")
        status.update(Text(text))
        self.notify(text, title="corpus-qa", severity="error", timeout=10)

    # -- messages ----------------------------------------------------------------------------------

    def on_status_changed(self, message: StatusChanged) -> None:
        status = self.query_one("#status", Static)
        status.remove_class("error")
        status.update(Text(visible(message.text)))
        # Textual's own progress bar, shown only while a stage reports measurable progress.
        progress = self.query_one("#progress", ProgressBar)
        progress.display = message.fraction is not None and message.fraction < 1
        if message.fraction is not None:
            progress.update(total=1000, progress=round(1000 * message.fraction))

    def on_engine_ready(self, message: EngineReady) -> None:
        if not self.ready:
            self._mark_time("ready")
        self.ready = True
        if self.engine is not None and self.corpus_label and self.corpus_label != str(self.engine.settings.corpus):
            self.corpus_label = str(self.engine.settings.corpus)  # an index named alone: the corpus it records
            self._show_scope()
        if self.live and self.watcher is None:
            self._start_watching()
        watching = " Watching for changes." if self.watcher is not None else ""
        self.query_one("#status", Static).remove_class("error")
        self.query_one("#status", Static).update(
            Text(visible(f"Ready: {message.documents} documents, {message.chunks} passages.{watching} "
                         f"{self.corpus_label}"))
        )
        self._send_next()

    # -- watching the corpus -----------------------------------------------------------------------

    def _start_watching(self) -> None:
        """Watch the corpus in a thread of its own; it reports through messages, like the workers. The
        engine runs one update at a time, so a watch update and Ctrl+R's re-index never overlap: the later
        one waits (and says so in the status line)."""
        from qa.watch import CorpusWatcher, WatchProblem, WatchUpdate

        def on_update(update: WatchUpdate) -> None:
            self.post_message(IndexUpdated(update))

        def on_problem(problem: WatchProblem) -> None:
            self.post_message(WatchFailed(problem))

        self.watcher = CorpusWatcher(self._loaded(), on_update=on_update, on_problem=on_problem,
                                     on_event=lambda event: self._report((event,)))
        self.watcher.start()

    def on_index_updated(self, message: IndexUpdated) -> None:
        status = self.query_one("#status", Static)
        status.remove_class("error")
        update = message.update
        status.update(Text(visible(f"Index updated: {update.describe()} ({update.documents} documents, "
                                   f"{update.chunks} passages).")))

    def on_watch_failed(self, message: WatchFailed) -> None:
        status = self.query_one("#status", Static)
        text = visible(message.problem.message)
        if message.problem.retrying:
            status.remove_class("error")
            status.update(Text(text))
            return
        text = f"Could not update the index: {text}"
        status.add_class("error")
        status.update(Text(text))
        self.notify(text, title="corpus-qa", severity="error", timeout=10)

    def on_unmount(self) -> None:
        if self.watcher is not None:
            self.watcher.stop(timeout=2)

    def on_sentence_checked(self, message: SentenceChecked) -> None:
        """A sentence of the answer being generated passed its check: show it while the rest is written."""
        if self.asking is None or self.asking.text != message.question:
            return
        if self.draft is None:
            self.draft = Static(Text(), classes="draft")
            self.draft_text = ""
            self._place_under(self.asking, self.draft)
        markers = "".join(f"[{n}]" for n in message.sentence.citations)
        self.draft_text = f"{self.draft_text} {visible(message.sentence.sentence)} {markers}".strip()
        self.draft.update(Text(self.draft_text))
        self.query_one("#status", Static).update(Text("Writing the answer with the model…"))

    def _drop_draft(self) -> None:
        if self.draft is not None:
            self.draft.remove()
            self.draft = None

    def on_answer_ready(self, message: AnswerReady) -> None:
        self._drop_draft()
        asked, self.asking = self.asking, None
        self.exchanges.append((message.question, message.answer))
        if asked is not None:
            self._place_under(asked, AnswerView(message.answer, message.documents))
        self.query_one("#status", Static).update(Text("Ready."))
        self._send_next()

    def _place_under(self, asked: Asked, widget: Static | AnswerView) -> None:
        """Show an answer (or error) right under its question, wherever later questions are."""
        log = self.query_one("#log", VerticalScroll)
        if asked.view.parent is log:
            log.mount(widget, after=asked.view)
        else:  # the conversation was cleared meanwhile
            log.mount_all([QuestionView(asked.text), widget])
        if not self.pending:
            log.scroll_end(animate=False)

    # -- input -------------------------------------------------------------------------------------

    @on(Input.Submitted, "#question")
    def submitted(self, event: Input.Submitted) -> None:
        question = event.value.strip()
        self.history_pos = None
        if not question:
            self.notify("Type a question first.", severity="warning")
            return
        self.history.append(question)
        command = _COMMAND.match(question)
        if command is not None:
            self._command(command.group(1).lower(), (command.group(2) or "").strip())
            return
        view = QuestionView(question)
        log = self.query_one("#log", VerticalScroll)
        log.mount(view)
        log.scroll_end(animate=False)
        self.pending.append(Asked(question, view, self.where, self.generate))
        if self.load_failed:
            self.notify(f"The engine could not be loaded; {RETRY_HINT}. Your questions will be answered once it "
                        "loads.", severity="warning")
        elif not self.ready:
            self.notify("The engine is still loading; your question will be answered when it is ready.")
        self._send_next()

    def _command(self, name: str, argument: str) -> None:
        """A slash command typed in the question line; never sent to the engine as a question."""
        actions: dict[str, Callable[[], object]] = {
            "help": self.action_help, "clear": self.action_clear, "export": self.action_export,
            "copy": self.action_copy_last, "reindex": self.action_reindex, "quit": self.action_quit,
            "theme": self.action_toggle_theme,
        }
        if name == "where":
            self._set_where(argument)
        elif name == "generate":
            self._set_generate(argument)
        elif name in actions:
            actions[name]()
        else:
            self.notify(f"Unknown command /{name}. Type /help for the commands.", severity="warning")

    def action_help(self) -> None:
        """What can be typed in the question line, and the keys."""
        self.notify(HELP, title="corpus-qa", timeout=20)

    def _send_next(self) -> None:
        """Send the oldest waiting question, unless the engine is busy with one or not ready."""
        if not self.ready or self.asking is not None or not self.pending:
            return
        self.asking = self.pending.popleft()
        previous = [q for q, _a in self.exchanges]
        waiting = f" ({len(self.pending)} more waiting)" if self.pending else ""
        doing = "Searching and writing the answer with the model" if self.asking.generate else "Searching"
        self.query_one("#status", Static).update(Text(f"{doing}…{waiting}"))
        self.ask_worker(self.asking.text, previous, self.asking.where, self.asking.generate)

    def _set_where(self, text: str) -> None:
        """`/where FILTER` scopes the questions asked after it (the --where syntax); `/where` alone lifts it.
        A malformed filter is refused with the reason, and the one in force stays."""
        from index.errors import UsageError
        from index.filters import parse_where

        try:
            parse_where(text)
        except UsageError as exc:
            self.notify(str(exc), title="/where", severity="error", timeout=10)
            return
        self.where = text
        self._show_scope()
        self.notify(f"Questions now answer from documents matching {text}." if text
                    else "No filter: questions answer from the whole corpus.", title="/where")

    def _show_scope(self) -> None:
        """The title bar's second line: the corpus, the /where filter, and whether answers are generated."""
        self.sub_title = visible(self.corpus_label + (f"  ·  where {self.where}" if self.where else "")
                                 + ("  ·  generated answers" if self.generate else ""))

    def _set_generate(self, argument: str) -> None:
        """`/generate` toggles generated answers, `/generate on|off` sets them; for the questions asked after it."""
        choice = argument.strip().lower()
        if choice not in ("", "on", "off"):
            self.notify(f"/generate takes on or off, not {argument!r}.", title="/generate", severity="error")
            return
        self.generate = (not self.generate) if not choice else choice == "on"
        self._show_scope()
        where = f" to {self.llm_label}" if self.llm_label else ""
        self.notify(f"Generated answers on: questions and their quotes are sent{where}; every sentence is checked "
                    "against the quotes it cites." if self.generate
                    else "Generated answers off: answers are the quotes themselves, and nothing is sent anywhere.",
                    title="/generate")

    def action_toggle_generate(self) -> None:
        self._set_generate("")

    def action_scope(self) -> None:
        """Start a `/where` line in the question box (from the command palette)."""
        field = self.query_one("#question", Input)
        field.value = "/where "
        field.cursor_position = len(field.value)
        field.focus()

    def on_key(self, event: events.Key) -> None:
        field = self.query_one("#question", Input)
        if self.screen is self.screen_stack[0] and self.focused is not field and event.is_printable \
                and event.character and not event.key.isdigit():
            # typing while a citation has the focus goes to the question line, not nowhere
            field.focus()
            field.insert_text_at_cursor(event.character)
            event.stop()
            return
        if self.focused is not field or event.key not in ("up", "down") or not self.history:
            return
        if event.key == "up":
            self.history_pos = len(self.history) - 1 if self.history_pos is None else max(0, self.history_pos - 1)
        else:
            if self.history_pos is None:
                return
            self.history_pos += 1
            if self.history_pos >= len(self.history):
                self.history_pos = None
                field.value = ""
                event.stop()
                return
        field.value = self.history[self.history_pos]
        field.cursor_position = len(field.value)
        event.stop()

    # -- citations ---------------------------------------------------------------------------------

    def on_citation_item_opened(self, message: CitationItem.Opened) -> None:
        self._open(message.citation)

    def _open(self, citation: Citation) -> None:
        self.open_worker(citation)

    def on_document_fetched(self, message: DocumentFetched) -> None:
        if message.document is None:
            self.notify(f"{terminal_safe(message.citation.source)} is no longer in the index.", severity="error")
            return
        # back from the viewer, the question line has the focus again: what is typed next is a question
        corpus = self.engine.settings.corpus if self.engine is not None else None
        self.push_screen(ViewerScreen(message.citation, message.document, corpus),
                         callback=lambda _result: self._focus_input())

    def _focus_input(self) -> None:
        self.query_one("#question", Input).focus()

    def action_open_citation(self, n: int) -> None:
        if not self.exchanges:
            return
        citations = self.exchanges[-1][1].citations
        if 1 <= n <= len(citations):
            self._open(citations[n - 1])

    # -- commands ----------------------------------------------------------------------------------

    def action_clear(self) -> None:
        self.query_one("#log", VerticalScroll).remove_children()
        self.exchanges.clear()
        self.notify("Conversation cleared.")

    def action_reindex(self) -> None:
        """Re-index the corpus; after a failed load, try loading again instead."""
        if self.load_failed:
            self.load_failed = False
            self.load_engine()
            return
        if not self.ready:
            self.notify("The engine is still loading.", severity="warning")
            return
        self.reindex_worker()

    def action_copy_last(self) -> None:
        if not self.exchanges:
            self.notify("Nothing to copy yet.", severity="warning")
            return
        self.copy_to_clipboard(render.export_markdown(*self.exchanges[-1]))
        self.notify("Copied the last answer with its citations.")

    def action_export(self) -> None:
        if not self.exchanges:
            self.notify("Nothing to export yet.", severity="warning")
            return
        path = self.export_dir / f"corpus-qa-{time.strftime('%Y%m%d-%H%M%S')}.md"
        content = "\n\n---\n\n".join(render.export_markdown(q, a) for q, a in self.exchanges) + "\n"
        try:
            # 0600 like the index: it quotes the documents. Never written through a link planted in its place.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                os.fchmod(fh.fileno(), 0o600)
                fh.write(content)
        except OSError as exc:
            self.notify(f"Could not write {path}: {exc.strerror}", severity="error")
            return
        self.notify(f"Conversation exported to {path}")

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Re-index the corpus", "Update the index in the background", self.action_reindex)
        yield SystemCommand("Clear the conversation", "Remove all questions and answers", self.action_clear)
        yield SystemCommand("Copy the last answer", "With its citations, as Markdown", self.action_copy_last)
        yield SystemCommand("Export the conversation", "Write it to a Markdown file", self.action_export)
        yield SystemCommand("Toggle light/dark theme", "Switch the colour theme", self.action_toggle_theme)
        yield SystemCommand("Toggle generated answers (/generate)", "Answers written by the configured language "
                            "model, every sentence checked against its quotes", self.action_toggle_generate)
        yield SystemCommand("Help", "The commands and keys of the chat", self.action_help)
        yield SystemCommand("Scope questions (/where)", "Answer only from documents matching a filter: "
                            "path:GLOB since:YYYY-MM-DD until:YYYY-MM-DD format:pdf title:WORDS", self.action_scope)
        if self.where:
            yield SystemCommand("Lift the filter", f"Answer from the whole corpus again (now: {visible(self.where)})",
                                lambda: self._set_where(""))


def _describe(exc: BaseException) -> str:
    from index.errors import QAError

    if isinstance(exc, QAError):
        return str(exc)
    return f"Unexpected error: {exc.__class__.__name__}: {exc}"


def run_chat(settings: Settings, watch: bool = False) -> None:
    """Entry point of `qa chat`: the engine is created inside the loading worker."""

    def factory() -> Engine:
        from qa.engine import Engine

        return Engine(settings)

    ChatApp(factory, corpus_label=str(settings.corpus), theme=settings.theme, live=watch, generate=settings.generate,
            llm_label=settings.llm_base_url).run()
