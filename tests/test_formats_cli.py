"""The whole path for extracted formats: `qa ask` (text and JSON), `qa text`, `qa eval`, and the chat viewer
cite PDF pages and HTML/DOCX sections verbatim."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from textual.widgets import Static, TextArea

from tests.conftest import qa_command, run_qa_text
from tests.docgen import LOREM, make_docx, make_epub, make_pdf

LAVA = "Pahoehoe lava has a smooth, billowy surface and flows like thick honey down the slope."


@pytest.fixture
def doc_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    make_pdf(root / "guide.pdf", [
        "Preface\n\n" + LOREM * 2,
        "Lava types\n\n" + LOREM + LAVA + " " + LOREM,
    ], title="Lava Guide", header="Lava Guide", labels=[(0, "r", 1), (1, "D", 7)])
    (root / "page.html").write_text(
        "<html><head><title>Calderas</title></head><body><main><h1>Calderas</h1><p>" + LOREM + "</p><h2>Krakatoa"
        "</h2><p>Krakatoa collapsed into a caldera during the cataclysmic eruption of 1883.</p></main></body></html>",
        encoding="utf-8")
    make_docx(root / "notes.docx", [("h1", "Field notes"), ("p", "Tephra deposits were sampled near the rim.")])
    make_epub(root / "book.epub", [("Start", LOREM), ("Geysers", "Old Faithful erupts about every ninety minutes.")])
    return root


def qa(*args: str) -> subprocess.CompletedProcess[str]:
    return run_qa_text(*args)


def stored_text(root: Path, idx: Path, source: str) -> str:
    out = subprocess.run([*qa_command(), "text", source, "--corpus", str(root), "--index", str(idx)],
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode("utf-8")


def test_pdf_citation_json_has_page_label_format_and_checks_against_qa_text(doc_corpus: Path, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    out = qa("ask", "--json", "pahoehoe lava smooth billowy surface", "--corpus", str(doc_corpus), "--index", str(idx))
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    c = record["citations"][0]
    assert c["source"] == "guide.pdf" and c["format"] == "pdf"
    assert (c["page"], c["page_label"]) == (2, "7")
    assert LAVA in c["quote"]
    text = stored_text(doc_corpus, idx, "guide.pdf")
    assert text[c["start"] : c["end"]] == c["quote"]
    assert "Lava Guide 2" not in text  # the running header is not part of the stored text
    for p in record["passages"]:
        assert "page" in p and "format" in p


@pytest.mark.parametrize(("question", "source", "fmt", "page", "section"), [
    ("Krakatoa caldera eruption 1883", "page.html", "html", None, "Krakatoa"),
    ("tephra deposits sampled rim", "notes.docx", "docx", None, "Field notes"),
    ("Old Faithful erupts every ninety minutes", "book.epub", "epub", 2, "Geysers"),
])
def test_every_format_cites_verbatim(doc_corpus: Path, tmp_path: Path, question: str, source: str, fmt: str,
                                     page: int | None, section: str) -> None:
    idx = tmp_path / "idx"
    out = qa("ask", "--json", question, "--corpus", str(doc_corpus), "--index", str(idx))
    c = json.loads(out.stdout)["citations"][0]
    assert (c["source"], c["format"], c["page"], c["section"]) == (source, fmt, page, section)
    assert stored_text(doc_corpus, idx, source)[c["start"] : c["end"]] == c["quote"]


def test_human_output_shows_file_and_page(doc_corpus: Path, tmp_path: Path) -> None:
    out = qa("ask", "pahoehoe lava smooth billowy surface", "--corpus", str(doc_corpus), "--index", str(tmp_path / "i"))
    assert out.returncode == 0, out.stderr
    assert "[1] guide.pdf p. 7 " in out.stdout
    epub = qa("ask", "Old Faithful erupts every ninety minutes", "--corpus", str(doc_corpus), "--index",
              str(tmp_path / "i"))
    assert "[1] book.epub ch. 2" in epub.stdout


def test_qa_text_prints_exactly_and_refuses_unknown_sources(doc_corpus: Path, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    (doc_corpus / "plain.txt").write_text("line one\nline two\n", encoding="utf-8")
    assert stored_text(doc_corpus, idx, "plain.txt") == "line one\nline two\n"  # the file itself, byte for byte
    missing = qa("text", "nope.pdf", "--corpus", str(doc_corpus), "--index", str(idx))
    assert missing.returncode == 2 and "not in the index" in missing.stderr
    escape = qa("text", "../../etc/passwd", "--corpus", str(doc_corpus), "--index", str(idx))
    assert escape.returncode == 2 and "root:" not in escape.stdout


def test_eval_checks_extracted_quotes_against_stored_text(doc_corpus: Path, tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": 1, "question": "pahoehoe lava smooth billowy surface",
                                     "gold_sources": ["guide.pdf"], "answers": ["honey"]}) + "\n", encoding="utf-8")
    out = qa("eval", str(questions), "--json", "--corpus", str(doc_corpus), "--index", str(tmp_path / "idx"))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["verbatim_rate"] == 1.0 and summary["recall_at_1"] == 1.0 and summary["answer_accuracy"] == 1.0


@pytest.mark.asyncio
async def test_chat_viewer_shows_the_cited_pdf_page(doc_corpus: Path, tmp_path: Path) -> None:
    from tests.test_chat import ask, make_factory
    from tui.app import ChatApp
    from tui.viewer import ViewerScreen

    app = ChatApp(make_factory(doc_corpus, tmp_path / "idx"))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await ask(pilot, app, "pahoehoe lava smooth billowy surface")
        citation = app.exchanges[-1][1].citations[0]
        assert citation.page == 2
        app.query_one("#log").focus()
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ViewerScreen)
        area = app.screen.query_one(TextArea)
        assert area.selected_text == citation.quote
        assert area.text.startswith("Lava types") and "Preface" not in area.text  # only the cited page
        heading = str(app.screen.query_one("#viewer-title", Static).render())
        assert "guide.pdf p. 7" in heading and "page 2 of 2" in heading
