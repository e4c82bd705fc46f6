"""Pilot tests of what the chat does with what is typed: slash words are commands, never questions; a
question typed after closing the citation viewer is sent; a follow-up that only changes the scope ("and in
Python?") is asked as the whole question with the new scope. Real engine, fast hash embedder."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from textual.widgets import Input

from qa.engine import contextualize, rewrite_follow_up
from tests.test_chat import ask, counting, make_factory, settle, type_line
from tui.app import ChatApp
from tui.viewer import ViewerScreen
from tui.widgets import AnswerView, CitationItem, QuestionView


@pytest.mark.asyncio
async def test_slash_words_are_commands_never_questions(corpus: Path, tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    app = ChatApp(counting(make_factory(corpus, tmp_path / "idx"), calls))
    notes: list[str] = []
    real_notify = app.notify

    def noted(message: str, **kwargs):  # type: ignore[no-untyped-def]
        notes.append(message)
        real_notify(message, **kwargs)

    app.notify = noted  # type: ignore[method-assign]
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        for line in ("/help", "/HELP", "/frobnicate now"):
            app.query_one("#question", Input).value = line
            await pilot.press("enter")
            await pilot.pause()
        await settle(pilot, app)
        assert not calls and not app.query(QuestionView) and not app.exchanges
        assert sum("Commands:" in n for n in notes) == 2
        assert any("Unknown command /frobnicate" in n for n in notes)
        await ask(pilot, app, "/etc/hosts holds what?")  # a path, not a command: a question
        assert calls["/etc/hosts holds what?"] == 1


@pytest.mark.asyncio
async def test_a_question_typed_after_closing_the_viewer_is_sent(corpus: Path, tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    app = ChatApp(counting(make_factory(corpus, tmp_path / "idx"), calls))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await ask(pilot, app, "Where is Mount Etna volcano?")
        app.query(CitationItem).first().focus()
        await pilot.press("enter")  # open the citation
        await pilot.pause()
        assert isinstance(app.screen, ViewerScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ViewerScreen)
        type_line(app, "What is green tea made from?")
        for _ in range(200):
            await pilot.pause(0.02)
            if calls["What is green tea made from?"] and len(app.query(AnswerView)) == 2:
                break
        assert calls["What is green tea made from?"] == 1
        assert [q for q, _a in app.exchanges] == ["Where is Mount Etna volcano?", "What is green tea made from?"]


@pytest.mark.asyncio
async def test_typing_while_a_citation_has_the_focus_goes_to_the_question_line(corpus: Path, tmp_path: Path) -> None:
    app = ChatApp(make_factory(corpus, tmp_path / "idx"))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await ask(pilot, app, "Where is Mount Etna volcano?")
        app.query(CitationItem).first().focus()
        await pilot.press("w", "h", "o")
        field = app.query_one("#question", Input)
        assert app.focused is field and field.value == "who"


def test_a_scope_follow_up_replaces_the_scope() -> None:
    assert rewrite_follow_up("and in Python?", "How do I read a CSV file in R?") == \
        "How do I read a CSV file in Python?"
    assert rewrite_follow_up("And in Python?", "Which environment variable sets the library path where R packages "
                             "are installed?") == ("Which environment variable sets the library path where Python "
                                                   "packages are installed?")
    assert rewrite_follow_up("what about for Windows?", "How do I install packages for macOS?") == \
        "How do I install packages for Windows?"
    assert rewrite_follow_up("And of France?", "Who is the prime minister of Japan?") == \
        "Who is the prime minister of France?"
    # not scope follow-ups: read with the previous question as before
    assert rewrite_follow_up("And Uzbekistan?", "Where was Blinken on Tuesday?") is None
    assert rewrite_follow_up("When did he arrive?", "Where was Blinken on Tuesday?") is None
    assert contextualize("and in Python?", ["How do I read a CSV file in R?"]) == "How do I read a CSV file in Python?"


def test_the_rewritten_follow_up_is_answered_but_the_users_words_are_kept(engine) -> None:  # type: ignore[no-untyped-def]
    first = engine.ask("What is green tea made from in notes?")
    follow = engine.ask("and in Sicily?", history=["Which volcano is active in Italy?"])
    assert follow.question == "and in Sicily?"
    assert follow.citations and follow.citations[0].source == "notes/volcanoes.md"
    assert first.question == "What is green tea made from in notes?"
