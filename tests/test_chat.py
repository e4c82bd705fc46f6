"""Pilot tests of the chat, on an engine with the fast hash embedder (and a slow or failing one)."""

from __future__ import annotations

import asyncio
import re
import threading
from collections import Counter
from pathlib import Path

import pytest
from textual import events
from textual.app import _character_to_key
from textual.widgets import Input, Static, TextArea

from index.errors import IndexStateError
from tui.app import ChatApp
from tui.viewer import ViewerScreen
from tui.widgets import AnswerView, CitationItem, PassageItem, QuestionView


def make_factory(corpus: Path, index: Path, gate: threading.Event | None = None, fail: bool = False):  # type: ignore[no-untyped-def]
    def factory():  # type: ignore[no-untyped-def]
        from index.embedding import HashEmbedder
        from qa.config import Settings
        from qa.engine import Engine

        if gate is not None:
            gate.wait(10)
        if fail:
            raise IndexStateError("The index at /x is damaged. Run `qa index --rebuild` to build it again.")
        return Engine(Settings.resolve(corpus, index), embedder=HashEmbedder())

    return factory


async def ask(pilot, app: ChatApp, question: str) -> None:  # type: ignore[no-untyped-def]
    field = app.query_one("#question", Input)
    field.value = question
    await pilot.press("enter")
    for _ in range(200):
        await pilot.pause(0.02)
        if len(app.query(AnswerView)) >= len(app.exchanges) and app.exchanges and \
                app.exchanges[-1][0] == question and app.query(AnswerView):
            await pilot.pause()
            return
    raise AssertionError("no answer arrived")


def counting(factory, calls: Counter[str]):  # type: ignore[no-untyped-def]
    """The factory's engine, counting how often each question reaches `Engine.ask`."""

    def wrapped():  # type: ignore[no-untyped-def]
        engine = factory()
        ask = engine.ask

        def counted(question, *args, **kwargs):  # type: ignore[no-untyped-def]
            calls[question] += 1
            return ask(question, *args, **kwargs)

        engine.ask = counted
        return engine

    return wrapped


def type_line(app: ChatApp, line: str) -> None:
    """Type a line and Enter the way a terminal delivers keys: queued at once, without waiting for the app."""
    assert app._driver is not None
    for char in [*line, "\r"]:
        key = "enter" if char == "\r" else char if char.isalnum() else _character_to_key(char)
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)


async def settle(pilot, app: ChatApp) -> None:  # type: ignore[no-untyped-def]
    """Wait until no worker runs (wait_for_complete() raises when one failed, which some tests want)."""
    for _ in range(500):
        await pilot.pause(0.02)
        if not any(w.is_running for w in app.workers):
            break
    await pilot.pause()


def status_text(app: ChatApp) -> str:
    return str(app.query_one("#status", Static).render())


@pytest.mark.asyncio
async def test_question_gets_answer_with_citations(corpus: Path, tmp_path: Path) -> None:
    app = ChatApp(make_factory(corpus, tmp_path / "idx"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.ready and "Ready" in status_text(app)
        await ask(pilot, app, "Where is Mount Etna volcano?")
        items = app.query(CitationItem)
        assert items and items.first().citation.source == "notes/volcanoes.md"
        rendered = str(items.first().render())
        assert "notes/volcanoes.md:3" in rendered and "Sicily" in rendered


@pytest.mark.asyncio
async def test_opening_a_citation_shows_the_span(corpus: Path, tmp_path: Path) -> None:
    app = ChatApp(make_factory(corpus, tmp_path / "idx"))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await ask(pilot, app, "Where is Mount Etna volcano?")
        citation = app.exchanges[-1][1].citations[0]
        app.query_one("#log").focus()
        await pilot.press("1")
        await pilot.pause()
        assert isinstance(app.screen, ViewerScreen)
        area = app.screen.query_one(TextArea)
        assert area.selected_text == citation.quote
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ViewerScreen)
        # Enter on a focused citation opens it too
        app.query(CitationItem).first().focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ViewerScreen)


@pytest.mark.asyncio
async def test_abstention_looks_different(corpus: Path, tmp_path: Path) -> None:
    app = ChatApp(make_factory(corpus, tmp_path / "idx"))
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await ask(pilot, app, "zebra quantum lasagna")
        view = app.query(AnswerView).last()
        assert view.has_class("abstained")
        assert "Not found in the corpus" in str(view.query(Static).first().render())
        passages = view.query(PassageItem)
        assert len(passages) >= 1
        assert not app.query(".citation")
        passages.first().focus()
        await pilot.press("enter")  # a closest passage opens in the viewer too
        await pilot.pause()
        assert isinstance(app.screen, ViewerScreen)
        assert app.screen.query_one(TextArea).selected_text == passages.first().citation.quote


@pytest.mark.asyncio
async def test_follow_up_uses_the_conversation(corpus: Path, tmp_path: Path) -> None:
    """The same follow-up is answered differently once the conversation has a subject."""
    app = ChatApp(make_factory(corpus, tmp_path / "idx"))
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await ask(pilot, app, "Where is it?")  # nothing to refer to yet
        alone = app.exchanges[-1][1]
        await ask(pilot, app, "Tell me about Mount Etna")
        await ask(pilot, app, "Where is it?")
        followed = app.exchanges[-1][1]
        assert "notes/volcanoes.md" not in {c.source for c in alone.citations}
        assert followed.citations and followed.citations[0].source == "notes/volcanoes.md"
        assert "Sicily" in followed.text


@pytest.mark.asyncio
async def test_engine_error_becomes_a_notification(corpus: Path, tmp_path: Path) -> None:
    app = ChatApp(make_factory(corpus, tmp_path / "idx", fail=True))
    async with app.run_test() as pilot:
        await settle(pilot, app)
        assert not app.ready
        assert "qa index --rebuild" in status_text(app)
        assert any("qa index --rebuild" in n.message for n in app._notifications)


@pytest.mark.asyncio
async def test_markup_in_documents_and_questions_is_literal(corpus: Path, tmp_path: Path) -> None:
    (corpus / "markup.txt").write_text(
        "Tricky lemurs write [bold red]x[/] and [link=file:///etc/passwd]click[/link] in notes.\n\n"
        "Marmosets publish [a link](file:///etc/passwd) and *stars* daily.\n",
        encoding="utf-8")
    app = ChatApp(make_factory(corpus, tmp_path / "idx"))
    async with app.run_test(size=(120, 30)) as pilot:
        await app.workers.wait_for_complete()
        await ask(pilot, app, "tricky lemurs [bold]notes[/bold]")
        question = app.query(".question").first().render()
        assert "[bold]notes[/bold]" in str(question)
        item = app.query(CitationItem).first()
        rendered = item.render()
        assert "[bold red]x[/]" in rendered.plain and "[link=file:///etc/passwd]" in rendered.plain
        assert not any("passwd" in repr(span.style) or "red" in repr(span.style) for span in rendered.spans)
        # the answer is Markdown, but document text in it is escaped: shown as typed, no link, no emphasis
        await ask(pilot, app, "do marmosets publish stars daily")
        assert "Marmosets" in app.exchanges[-1][1].text
        for _ in range(100):  # Markdown mounts its blocks asynchronously
            if len(app.query("MarkdownParagraph")) >= 2:
                break
            await pilot.pause(0.02)
        paragraph = app.query("MarkdownParagraph").last().render()
        assert "[a link](file:///etc/passwd) and *stars*" in paragraph.plain
        assert not paragraph.spans


@pytest.mark.asyncio
async def test_ui_is_responsive_while_a_slow_engine_loads(corpus: Path, tmp_path: Path) -> None:
    gate = threading.Event()
    app = ChatApp(make_factory(corpus, tmp_path / "idx", gate=gate))
    async with app.run_test() as pilot:
        await pilot.pause()
        assert not app.ready
        app.query_one("#question", Input).value = "Where is Mount Etna volcano?"
        await pilot.press("enter")  # accepted while loading
        await pilot.pause()
        assert [q.text for q in app.pending] == ["Where is Mount Etna volcano?"]
        assert len(app.query(".question")) == 1
        gate.set()
        await app.workers.wait_for_complete()
        for _ in range(200):
            await pilot.pause(0.02)
            if app.exchanges:
                break
        assert app.exchanges and app.exchanges[0][1].citations


@pytest.mark.asyncio
async def test_history_export_and_clear(corpus: Path, tmp_path: Path) -> None:
    app = ChatApp(make_factory(corpus, tmp_path / "idx"), export_dir=tmp_path)
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await ask(pilot, app, "Mount Etna")
        await ask(pilot, app, "green tea")
        field = app.query_one("#question", Input)
        field.focus()
        await pilot.press("up")
        assert field.value == "green tea"
        await pilot.press("up")
        assert field.value == "Mount Etna"
        await pilot.press("down", "down")
        assert field.value == ""
        app.action_export()
        exported = list(tmp_path.glob("corpus-qa-*.md"))
        assert exported and "Sicily" in exported[0].read_text(encoding="utf-8")
        app.action_clear()
        await pilot.pause()
        assert not app.query(AnswerView) and not app.exchanges


@pytest.mark.asyncio
async def test_fast_typed_questions_are_each_answered_once_in_order(corpus: Path, tmp_path: Path) -> None:
    gate = threading.Event()
    calls: Counter[str] = Counter()
    app = ChatApp(counting(make_factory(corpus, tmp_path / "idx", gate=gate), calls))
    questions = [f"Where is Mount Etna, question {i}?" for i in range(40)]
    async with app.run_test() as pilot:
        for i, question in enumerate(questions):
            if i == 10:
                gate.set()  # the first ten wait for the engine, the rest arrive while it answers
            type_line(app, question)
            await asyncio.sleep(0.05)
        for _ in range(600):
            await pilot.pause(0.05)
            if len(app.exchanges) >= len(questions) and not app.workers:
                break
        await pilot.pause()
        assert calls == Counter(questions)  # each asked once; none lost, none merged
        assert not [n for n in app._notifications if "Type a question" in n.message]  # no empty submissions
        assert [q for q, _a in app.exchanges] == questions
        log = app.query_one("#log").children
        assert [type(w) for w in log] == [QuestionView, AnswerView] * len(questions)  # each answer under its question
        assert [str(w.render()) for w in log if isinstance(w, QuestionView)] == [f"› {q}" for q in questions]
        assert [w.answer.question for w in log if isinstance(w, AnswerView)] == questions


@pytest.mark.asyncio
async def test_pasted_lines_are_one_question_each(corpus: Path, tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    app = ChatApp(counting(make_factory(corpus, tmp_path / "idx"), calls))
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        field = app.query_one("#question", Input)
        field.post_message(events.Paste("Where is Mount Etna?\r\nWhat is green tea made from?\nWhat destroyed"))
        await pilot.pause()
        assert field.value == "What destroyed"  # the unfinished last line waits for Enter
        await pilot.press(*" Pompeii?", "enter")
        for _ in range(200):
            await pilot.pause(0.02)
            if len(app.exchanges) == 3:
                break
        assert [q for q, _a in app.exchanges] == ["Where is Mount Etna?", "What is green tea made from?",
                                                  "What destroyed Pompeii?"]
        assert calls == Counter(q for q, _a in app.exchanges)


@pytest.mark.asyncio
async def test_a_failed_question_shows_its_error_and_the_next_is_answered(corpus: Path, tmp_path: Path) -> None:
    base = make_factory(corpus, tmp_path / "idx")

    def factory():  # type: ignore[no-untyped-def]
        engine = base()
        ask = engine.ask

        def flaky(question, *args, **kwargs):  # type: ignore[no-untyped-def]
            if "explode" in question:
                raise RuntimeError("disk on fire")
            return ask(question, *args, **kwargs)

        engine.ask = flaky
        return engine

    app = ChatApp(factory)
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        type_line(app, "please explode")
        type_line(app, "Where is Mount Etna volcano?")
        for _ in range(200):
            await pilot.pause(0.02)
            if app.exchanges:
                break
        await pilot.pause()
        log = list(app.query_one("#log").children)
        assert [type(w) for w in log] == [QuestionView, Static, QuestionView, AnswerView]
        assert "Unexpected error: RuntimeError: disk on fire" in str(log[1].render())
        assert any("disk on fire" in n.message for n in app._notifications)
        assert app.exchanges[0][0] == "Where is Mount Etna volcano?"


def test_workers_leave_errors_to_the_one_handler() -> None:
    """Worker errors are handled in on_worker_state_changed, not by a try/except in each worker."""
    import ast
    import inspect

    import tui.app

    tree = ast.parse(inspect.getsource(tui.app))
    workers = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
               and any("work" in ast.unparse(d) for d in f.decorator_list)]
    assert len(workers) >= 4
    assert not [f.name for f in workers if any(isinstance(n, ast.Try) for n in ast.walk(f))]
    assert "on_worker_state_changed" in {f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}


@pytest.mark.asyncio
async def test_a_failed_load_can_be_retried_and_then_answers_the_waiting_questions(corpus: Path,
                                                                                  tmp_path: Path) -> None:
    attempts: list[int] = []
    good = make_factory(corpus, tmp_path / "idx")
    bad = make_factory(corpus, tmp_path / "idx", fail=True)
    calls: Counter[str] = Counter()

    def factory():  # type: ignore[no-untyped-def]
        attempts.append(1)
        return (bad if len(attempts) == 1 else good)()

    app = ChatApp(counting(factory, calls))
    async with app.run_test() as pilot:
        type_line(app, "Where is Mount Etna volcano?")  # typed while loading
        await settle(pilot, app)
        assert not app.ready
        assert "qa index --rebuild" in status_text(app) and "Ctrl+R" in status_text(app)  # says how to retry
        type_line(app, "What is green tea made from?")  # typed after the failure: waits too
        await pilot.pause()
        assert [q.text for q in app.pending] == ["Where is Mount Etna volcano?", "What is green tea made from?"]
        assert any("Ctrl+R" in n.message for n in app._notifications)
        await pilot.press("ctrl+r")  # the question line has focus
        await settle(pilot, app)
        for _ in range(200):
            if len(app.exchanges) == 2:
                break
            await pilot.pause(0.02)
        assert app.ready and len(attempts) == 2
        assert [q for q, _a in app.exchanges] == ["Where is Mount Etna volcano?", "What is green tea made from?"]
        assert calls == Counter(q for q, _a in app.exchanges)
        assert not app.query_one("#status").has_class("error")


@pytest.mark.asyncio
async def test_app_keys_work_while_typing_a_question(corpus: Path, tmp_path: Path) -> None:
    app = ChatApp(make_factory(corpus, tmp_path / "idx"), export_dir=tmp_path)
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await ask(pilot, app, "Mount Etna")
        field = app.query_one("#question", Input)
        assert app.focused is field
        await pilot.press("ctrl+e")  # Input binds Ctrl+E to "end of line"; the app's Export must win
        exported = list(tmp_path.glob("corpus-qa-*.md"))
        assert exported and "Sicily" in exported[0].read_text(encoding="utf-8")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert not app.exchanges and not app.query(AnswerView)
        reindexed: list[bool] = []
        app.reindex_worker = lambda: reindexed.append(True)  # type: ignore[method-assign]
        await pilot.press("ctrl+r")
        assert reindexed == [True]


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def screen_text(app: ChatApp) -> str:
    """Every character the current screen sends to the terminal, outside the app's own escape sequences
    (one line per screen row, joined with spaces)."""
    strips = app.screen._compositor.render_strips()
    return " ".join("".join(segment.text for segment in strip) for strip in strips)


@pytest.mark.asyncio
async def test_control_characters_in_documents_and_file_names_never_reach_the_terminal(corpus: Path,
                                                                                       tmp_path: Path) -> None:
    (corpus / "evil.txt").write_text(
        "Lemurs sleep in the tall trees of Madagascar\x1b]0;PWNED\x07\x1b[2J all day\x9b2J long.\n\n"
        "Tarsiers hunt\u202e at night \x01in the forests\u2028of Borneo.\n", encoding="utf-8")
    (corpus / "x\x1b]0;T\x07.txt").write_text("Capybaras swim in the rivers of Brazil\x08 every morning.\n",
                                              encoding="utf-8")
    app = ChatApp(make_factory(corpus, tmp_path / "idx"), corpus_label="corpus\x1b[2J")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        for question in ("Where do lemurs sleep in the tall trees?", "Where do capybaras swim every morning?",
                         "When do tarsiers hunt in Borneo?"):
            await ask(pilot, app, question)
            shown = screen_text(app)
            assert not _CONTROL.search(shown), repr(_CONTROL.findall(shown))
        sources = {c.source for _q, a in app.exchanges for c in a.citations}
        assert {"evil.txt", "x\x1b]0;T\x07.txt"} <= sources
        assert "x\\x1b]0;T\\x07.txt" in screen_text(app)  # shown escaped, as the CLI shows file names
        app.notify("Could not open x\x1b]0;T\x07.txt")
        await pilot.pause()
        assert not _CONTROL.search(screen_text(app))
        opened = 0
        for _q, answer in app.exchanges:
            for citation in answer.citations:
                app._open(citation)
                for _ in range(100):
                    await pilot.pause(0.02)
                    if isinstance(app.screen, ViewerScreen):
                        break
                await pilot.pause()
                assert f"[{citation.n}]" in screen_text(app)  # the viewer is drawn
                shown = screen_text(app)
                assert not _CONTROL.search(shown), repr(_CONTROL.findall(shown))
                # the selection still covers exactly the quote: each control character is one stand-in
                selected = app.screen.query_one(TextArea).selected_text
                assert len(selected) == len(citation.quote) and not _CONTROL.search(selected)
                assert all(a == b or _CONTROL.match(b) for a, b in zip(selected, citation.quote, strict=True))
                opened += _CONTROL.search(citation.quote) is not None
                await pilot.press("escape")
                await pilot.pause()
        assert opened >= 2  # the lemur and tarsier quotes hold control characters


@pytest.mark.asyncio
async def test_the_configured_theme_is_the_one_shown(corpus: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`theme` from the config file reaches the chat (qa.config resolves it, run_chat passes it)."""
    from qa.config import Settings, config_path

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    config_path().parent.mkdir(parents=True)
    config_path().write_text('theme = "textual-light"\n', encoding="utf-8")
    settings = Settings.resolve(corpus, tmp_path / "idx")
    assert settings.theme == "textual-light"
    app = ChatApp(make_factory(corpus, tmp_path / "idx"), theme=settings.theme)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.theme == "textual-light" and not app.current_theme.dark


@pytest.mark.asyncio
async def test_measurable_progress_shows_textual_progress_bar(corpus: Path, tmp_path: Path) -> None:
    from textual.widgets import ProgressBar

    from tui.messages import StatusChanged

    app = ChatApp(make_factory(corpus, tmp_path / "idx"))
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        bar = app.query_one("#progress", ProgressBar)
        app.post_message(StatusChanged("Embedding 300/1200…", 0.25))
        await pilot.pause()
        assert bar.display and bar.percentage == pytest.approx(0.25)
        assert "Embedding 300/1200…" in status_text(app)
        app.post_message(StatusChanged("Loading the embedding model…"))
        await pilot.pause()
        assert not bar.display


@pytest.mark.asyncio
async def test_a_running_build_shows_its_time_left_in_the_status_line(corpus: Path, tmp_path: Path) -> None:
    """The chat's status line says how long a stage has left, as the CLI's bar does (qa/events.py Estimate),
    once two steps of the stage have been seen; never after the stage is done."""
    import time as time_module

    from index.build import Progress

    def building():
        for done in (10, 20, 40):
            yield Progress("embedding", done, 100, done * 10, 1000)
            time_module.sleep(0.05)

    app = ChatApp(make_factory(corpus, tmp_path / "idx"))
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        app._report(iter([Progress("embedding", 10, 100, 100, 1000)]))
        await pilot.pause()
        assert status_text(app) == "Embedding 10/100…"  # one step: no rate yet
        app._report(building())
        await pilot.pause()
        assert re.fullmatch(r"Embedding 40/100… about \d+:\d\d left", status_text(app)), status_text(app)
        app._report(iter([Progress("embedding", 1, 2, 5, 10), Progress("embedding", 2, 2, 10, 10)]))
        await pilot.pause()
        assert status_text(app) == "Embedding 2/2…"


@pytest.mark.asyncio
async def test_slash_where_scopes_the_questions_after_it_and_lifts(corpus: Path, tmp_path: Path) -> None:
    app = ChatApp(make_factory(corpus, tmp_path / "idx"))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await ask(pilot, app, "Where is Mount Etna volcano?")
        assert app.exchanges[-1][1].citations[0].source == "notes/volcanoes.md"
        field = app.query_one("#question", Input)
        field.value = "/where path:notes/*.rst"
        await pilot.press("enter")
        await pilot.pause()
        assert app.where == "path:notes/*.rst" and "where path:notes/*.rst" in app.sub_title
        await ask(pilot, app, "Where is Mount Etna volcano?")
        scoped = app.exchanges[-1][1]
        assert all(p.source == "notes/tea.rst" for p in scoped.passages) and scoped.passages
        field.value = "/where since:2023-13-45"  # malformed: refused, the filter in force stays
        await pilot.press("enter")
        await pilot.pause()
        assert app.where == "path:notes/*.rst"
        field.value = "/where"
        await pilot.press("enter")
        await pilot.pause()
        assert app.where == ""
        await ask(pilot, app, "Where is Mount Etna volcano?")
        assert app.exchanges[-1][1].citations[0].source == "notes/volcanoes.md"
        assert len(app.exchanges) == 3  # the /where lines were never asked as questions


@pytest.mark.asyncio
async def test_the_palette_command_starts_a_where_line(corpus: Path, tmp_path: Path) -> None:
    app = ChatApp(make_factory(corpus, tmp_path / "idx"))
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Scope questions (/where)" in titles and "Lift the filter" not in titles
        app.action_scope()
        await pilot.pause()
        assert app.query_one("#question", Input).value == "/where "
        app._set_where("format:md")
        assert "Lift the filter" in [c.title for c in app.get_system_commands(app.screen)]


@pytest.mark.asyncio
async def test_keys_typed_while_the_chat_starts_are_kept(corpus: Path, tmp_path: Path) -> None:
    """Keys the terminal delivers in the first moments of `qa chat` (typed right after the command) reach the
    app before its screen has put the focus anywhere; they used to go to the log and be lost (~0.4 s of
    typing, measured on a terminal)."""
    app = ChatApp(make_factory(corpus, tmp_path / "idx"))
    for char in "etna volcano":  # queued before the app runs, as the driver queues early keys
        key = "space" if char == " " else char
        app.post_message(events.Key(key, char))
    app.post_message(events.Key("enter", "\r"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        for _ in range(200):
            await pilot.pause(0.02)
            if app.exchanges:
                break
        assert [q for q, _a in app.exchanges] == ["etna volcano"]
        assert app.query_one("#question", Input).value == ""


@pytest.mark.asyncio
async def test_a_sets_abstention_still_lists_what_its_members_were_taken_by(tmp_path: Path) -> None:
    """No member's part answered: the chat still lists the sentences the note cites (each opens the viewer)."""
    from tests.test_multipart import POPULOUS, write_corpus

    corpus = write_corpus(tmp_path / "corpus", POPULOUS)
    app = ChatApp(make_factory(corpus, tmp_path / "idx"))
    async with app.run_test(size=(100, 40)) as pilot:
        await app.workers.wait_for_complete()
        await ask(pilot, app, "In what year was each of the three most populous countries founded?")
        answer = app.exchanges[-1][1]
        assert answer.abstained and answer.citations
        view = app.query(AnswerView).last()
        items = [i for i in view.query(CitationItem) if not isinstance(i, PassageItem)]
        assert [i.citation.n for i in items] == [c.n for c in answer.citations]
        assert "Asteria.txt" in str(items[0].render())
        assert view.query(PassageItem)  # and the closest passages after them


@pytest.mark.asyncio
async def test_an_amount_with_no_figure_shows_its_rank_as_a_citation(tmp_path: Path) -> None:
    from tests.test_multipart import RANKED_ONLY, write_corpus

    corpus = write_corpus(tmp_path / "ranked", RANKED_ONLY)
    app = ChatApp(make_factory(corpus, tmp_path / "idx"))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await ask(pilot, app, "What is the area of Arland?")
        view = app.query(AnswerView).last()
        assert view.has_class("abstained")
        hint = str(view.query(".abstain-hint").first().render())
        # the rank is shown once, as the citation below the hint
        assert hint == "The documents give no figure for it, only its rank (below). Closest passages:", hint
        items = [i for i in view.query(CitationItem) if not isinstance(i, PassageItem)]  # not the closest passages
        assert len(items) == 1 and "second-largest country by total area" in str(items[0].render())
