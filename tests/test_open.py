"""Citations that open: `qa open N` (and the chat viewer's `o`) start the user's own editor, browser or PDF
viewer at the cited line, anchor or page; terminal output links each location (OSC 8) where the terminal
shows links, and never lets document text reach the terminal as escapes.

The editor and browser here are small real programs written by the test (shell scripts that record the
arguments they were started with): no desktop application can run in CI. Which PDF viewer is installed is
given to `plan` through its `which` parameter, the seam it looks programs up through.
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
from pathlib import Path

import pytest

from qa.display import supports_hyperlinks
from qa.opener import Target, plan, target_of
from tests.conftest import run_qa_text
from tests.docgen import make_pdf

SCRIPT = "#!/bin/sh\nprintf '%s\\n' \"$@\" > {out}\n"


def recorder(folder: Path, name: str) -> tuple[Path, Path]:
    """An executable that writes its arguments, one per line, to a file; (program, that file)."""
    out = folder / f"{name}.args"
    program = folder / name
    program.write_text(SCRIPT.format(out=out), encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program, out


def ask(corpus: Path, question: str, *extra: str) -> str:
    result = run_qa_text("ask", question, "--corpus", str(corpus), "--index", str(corpus.parent / "idx"),
                                      *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "ferry.txt").write_text("Timetable.\n\nBoats leave often.\n\nThe ferry to Naxos leaves at seven.\n",
                                    encoding="utf-8")
    (root / "volcano.html").write_text(
        "<html><body><main><h1>Volcanoes</h1><section id='calderas'><h2>Calderas</h2>"
        "<p>Krakatoa collapsed into a caldera during the cataclysmic eruption of 1883.</p></section>"
        "</main></body></html>", encoding="utf-8")
    make_pdf(root / "guide.pdf", ["Preface\n\nNothing here.", "Lava\n\nPahoehoe lava has a smooth billowy surface."])
    return root


def test_qa_open_starts_the_editor_at_the_cited_line(corpus: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    editor, args = recorder(tmp_path, "vim")
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    assert "[1] ferry.txt:5" in ask(corpus, "Where does the ferry go at seven?")
    result = run_qa_text("open", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert args.read_text(encoding="utf-8").splitlines() == ["+5", str(corpus / "ferry.txt")]


def test_qa_open_prints_browser_and_pdf_commands_at_anchor_and_page(corpus: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("BROWSER", "firefox --new-tab %s")
    ask(corpus, "When did Krakatoa collapse into a caldera?")
    shown = run_qa_text("open", "1", "--print").stdout.strip()
    assert shown == f"firefox --new-tab 'file://{corpus}/volcano.html#calderas'"
    ask(corpus, "pahoehoe lava smooth billowy surface")
    page = target_of(corpus, json.loads(run_qa_text(
        "ask", "--json", "pahoehoe lava smooth billowy surface", "--corpus", str(corpus), "--index",
        str(corpus.parent / "idx")).stdout)["citations"][0])
    assert (page.format, page.page) == ("pdf", 2)
    found = {"zathura": "/usr/bin/zathura"}
    how = plan(page, env={"DISPLAY": ":0"}, which=found.get)
    assert how.command == ["/usr/bin/zathura", "--page=2", str(corpus / "guide.pdf")] and not how.terminal
    okular = plan(page, env={"DISPLAY": ":0"}, which={"okular": "/usr/bin/okular", "xdg-open": "/x"}.get)
    assert okular.command == ["/usr/bin/okular", "--page", "2", str(corpus / "guide.pdf")]
    unknown = plan(page, env={"DISPLAY": ":0"}, which={"xdg-open": "/usr/bin/xdg-open"}.get)
    assert unknown.command == ["xdg-open", str(corpus / "guide.pdf")]  # no viewer with a page argument
    headless = plan(page, env={}, which=found.get)
    assert headless.command is None  # no display: the place is printed instead


def test_documents_without_a_position_argument_say_where_to_look(tmp_path: Path) -> None:
    t = target_of(tmp_path, {"source": "deck.pptx", "format": "pptx", "page": 3, "section_path": ["Budget"]})
    assert t.where == "slide 3 under Budget"
    d = target_of(tmp_path, {"source": "r.docx", "format": "docx", "paragraph": 12, "section_path": ["A", "B"]})
    assert d.where == "\u00b612 under A \u203a B"
    x = target_of(tmp_path, {"source": "b.xlsx", "format": "xlsx", "page": 1, "sheet": "Costs", "row": 5})
    assert x.where == "sheet Costs, row 5"
    assert plan(Target(tmp_path / "b.xlsx", "xlsx"), env={"DISPLAY": ":0"},
                which={"xdg-open": "/usr/bin/xdg-open"}.get).command == ["xdg-open", str(tmp_path / "b.xlsx")]
    with pytest.raises(Exception, match="not a path inside the corpus"):
        target_of(tmp_path, {"source": "../etc/passwd", "format": "txt"})


def test_qa_open_refuses_without_an_answer_or_past_its_citations(corpus: Path) -> None:
    none = run_qa_text("open", "1")
    assert none.returncode == 2 and "ask a question first" in none.stderr
    ask(corpus, "Where does the ferry go at seven?")
    past = run_qa_text("open", "9")
    assert past.returncode == 2 and "has no citation [9]" in past.stderr


def test_locations_are_hyperlinks_only_where_the_terminal_shows_them(corpus: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    assert supports_hyperlinks(True, {"TERM": "xterm-256color", "VTE_VERSION": "7200"})
    assert supports_hyperlinks(True, {"TERM": "xterm-kitty"})
    assert not supports_hyperlinks(True, {"TERM": "xterm-256color"})  # unknown terminal: plain text
    assert not supports_hyperlinks(True, {"TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"})
    assert not supports_hyperlinks(False, {"TERM": "xterm-kitty"})  # piped: never
    assert supports_hyperlinks(False, {"FORCE_HYPERLINK": "1"}) and not supports_hyperlinks(
        True, {"TERM": "xterm-kitty", "FORCE_HYPERLINK": "0"})
    (corpus / "evil.txt").write_text("The ferry timetable \x1b]8;;http://evil.example\x1b\\ is posted.\n",
                                     encoding="utf-8")
    monkeypatch.setenv("FORCE_HYPERLINK", "1")
    linked = ask(corpus, "Where is the ferry timetable posted?")
    links = re.findall(r"\x1b]8;;([^\x1b]*)\x1b\\([^\x1b]*)\x1b]8;;\x1b\\", linked)
    assert links and links[0] == (f"file://{corpus}/evil.txt", "evil.txt:1")
    assert "\x1b" not in re.sub(r"\x1b]8;;[^\x1b]*\x1b\\", "", linked)  # the document's escape is shown escaped
    monkeypatch.setenv("FORCE_HYPERLINK", "0")
    assert "\x1b" not in ask(corpus, "Where is the ferry timetable posted?")


@pytest.mark.asyncio
async def test_the_chat_viewer_opens_the_source_with_o(corpus: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_chat import ask as chat_ask
    from tests.test_chat import make_factory
    from tui.app import ChatApp
    from tui.viewer import ViewerScreen

    browser, args = recorder(tmp_path, "browser")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("BROWSER", f"{browser} %s")
    app = ChatApp(make_factory(corpus, tmp_path / "idx"))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await chat_ask(pilot, app, "When did Krakatoa collapse into a caldera?")
        app.query_one("#log").focus()
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ViewerScreen)
        await pilot.press("o")
        for _ in range(100):  # the browser is started detached: wait for it to have run
            if args.exists() and args.read_text(encoding="utf-8"):
                break
            time.sleep(0.05)
    assert args.read_text(encoding="utf-8").splitlines() == [f"file://{corpus}/volcano.html#calderas"]
    assert os.environ["DISPLAY"] == ":0"
