"""Snapshot tests of the chat's main screens at 80x24 (pytest-textual-snapshot).

Update after an intended visual change with `pytest tests/test_chat_snapshots.py --snapshot-update`,
then look at the report before committing the new SVGs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.conftest import SEEDS
from tests.test_chat import make_factory
from tui.app import ChatApp


@pytest.fixture
def fixed_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    shutil.copy(SEEDS / "blinken-central-asia.txt", root / "blinken.txt")
    (root / "volcanoes.md").write_text(
        "# Volcanoes\n\nMount Etna is an active volcano on the island of Sicily. It erupts often.\n",
        encoding="utf-8")
    return root


def app_asking(corpus: Path, index: Path, question: str | None, open_citation: bool = False):  # type: ignore[no-untyped-def]
    app = ChatApp(make_factory(corpus, index), corpus_label="")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        app.query_one("#question", Input).cursor_blink = False  # a screenshot must not catch the cursor mid-blink
        await app.workers.wait_for_complete()
        app.clear_notifications()
        if question is not None:
            app.query_one("#question", Input).value = question
            await pilot.press("enter")
            for _ in range(200):
                await pilot.pause(0.02)
                if app.exchanges:
                    break
            await app.workers.wait_for_complete()
            app.clear_notifications()
        if open_citation:
            app.query_one("#log").focus()
            await pilot.press("1")
            await app.workers.wait_for_complete()  # the viewer opens once its document is fetched
        await pilot.pause()

    return app, run_before


def test_snapshot_answer(snap_compare, fixed_corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, before = app_asking(fixed_corpus, tmp_path / "idx", "Where is Mount Etna volcano?")
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_snapshot_abstention(snap_compare, fixed_corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, before = app_asking(fixed_corpus, tmp_path / "idx", "zebra quantum lasagna")
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_snapshot_viewer(snap_compare, fixed_corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, before = app_asking(fixed_corpus, tmp_path / "idx", "Blinken Astana Tuesday", open_citation=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_snapshot_parts(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A question with several parts: a table with a row per part, the part the documents lack named."""
    from tests.test_multipart import LAND, write_countries

    corpus = write_countries(tmp_path / "countries")
    app, before = app_asking(corpus, tmp_path / "idx", LAND)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)
