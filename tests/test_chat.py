"""Pilot tests of the chat, on an engine with the fast hash embedder (and a slow or failing one)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import Input, Static, TextArea

from index.errors import IndexStateError
from tui.app import ChatApp
from tui.viewer import ViewerScreen
from tui.widgets import AnswerView, CitationItem, PassageItem


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
        await app.workers.wait_for_complete()
        await pilot.pause()
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
        assert app.pending == ["Where is Mount Etna volcano?"]
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
