"""Scanned PDFs: pages without a text layer are read by OCR (the `ocr` extra, RapidOCR 3, installed by
`.[test]`), in the build's worker processes with progress per page; their citations say `ocr: true` and are
verified against the stored OCR text. Without the extra, a scanned PDF is skipped with the command that
installs it, and a mixed one is read with a warning naming its unread pages.

The scans are real: text PDFs (fpdf2) rendered to images and put back together as PDFs of images
(tests/docgen.py make_scanned_pdf). "Without the extra" is the one stand-in here: the module is marked
absent in sys.modules (what Python does for a package that cannot be imported), since uninstalling it from
the test environment is not possible within a test.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from index.build import BuildSummary, Progress, build
from index.build.builder import Notice
from index.embedding import HashEmbedder
from index.reading.formats import LoadError
from index.reading.load import load_document
from index.storage.local import IndexDir
from tests.conftest import run_qa_text
from tests.docgen import make_scanned_pdf

FERRY = "The ferry to Naxos leaves the harbour at seven every morning."
LIGHTHOUSE = "The old lighthouse on the cape was built of granite in 1887."


def test_scanned_pages_are_read_by_ocr_in_workers_with_progress_and_cited_as_ocr(tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    make_scanned_pdf(corpus / "harbour.pdf", ["Harbour guide\n\nThe harbour office opens at nine on weekdays.",
                                              FERRY, LIGHTHOUSE], text_pages=[0])
    events = list(build(corpus, IndexDir(tmp_path / "idx"), HashEmbedder()))
    summary = events[-1]
    assert isinstance(summary, BuildSummary) and summary.documents == 1 and not summary.skipped
    ocr = [(e.done, e.total) for e in events if isinstance(e, Progress) and e.stage == "ocr"]
    assert ocr[0] == (0, 2) and ocr[-1] == (2, 2) and len(ocr) == 3  # one event per page the workers finish
    doc = IndexDir(tmp_path / "idx").open().document_by_source("harbour.pdf")
    assert doc is not None and [p.ocr for p in doc.pages] == [False, True, True]
    page2 = doc.text[doc.pages[1].start:doc.pages[1].end]
    assert "ferry to Naxos leaves the harbour at seven" in page2

    result = run_qa_text("ask", "--json", "What leaves the harbour at seven every morning?",
                                      "--corpus", str(corpus), "--index", str(tmp_path / "idx"))
    assert result.returncode == 0, result.stdout + result.stderr
    c = json.loads(result.stdout)["citations"][0]
    assert (c["source"], c["page"], c["ocr"]) == ("harbour.pdf", 2, True)
    text = run_qa_text("text", "harbour.pdf", "--corpus", str(corpus), "--index",
                                    str(tmp_path / "idx")).stdout
    assert text[c["start"]:c["end"]] == c["quote"]  # verified against the stored OCR text
    human = run_qa_text("ask", "What leaves the harbour at seven every morning?", "--corpus",
                                     str(corpus), "--index", str(tmp_path / "idx")).stdout
    assert "[1] harbour.pdf p. 2 (OCR; " in human


def test_without_the_extra_scans_are_skipped_with_how_to_enable_it(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rapidocr", None)  # as if the extra were not installed
    corpus = tmp_path / "docs"
    corpus.mkdir()
    make_scanned_pdf(corpus / "scan.pdf", [FERRY])
    make_scanned_pdf(corpus / "mixed.pdf", ["Harbour guide\n\nThe harbour office opens at nine on weekdays.",
                                            FERRY], text_pages=[0])
    with pytest.raises(LoadError) as info:
        load_document(corpus, "scan.pdf")
    assert str(info.value) == ("no text layer (a scanned PDF?): install OCR to read it "
                               "(pip install 'corpus-qa[ocr]')")
    events = list(build(corpus, IndexDir(tmp_path / "idx"), HashEmbedder()))
    summary = events[-1]
    assert isinstance(summary, BuildSummary) and summary.documents == 1
    assert [s.source for s in summary.skipped] == ["scan.pdf"]
    warnings = [e.message for e in events if isinstance(e, Notice) and e.warning]
    assert warnings == ["mixed.pdf: 1 scanned page without a text layer left unread (p. 2): install OCR to read "
                        "it (pip install 'corpus-qa[ocr]')"]


def test_indexing_documents_with_a_text_layer_loads_no_optional_reader(tmp_path: Path) -> None:
    """The default path stays as it was: a corpus of text PDFs, UTF-8 text and HTML (no scan, no other
    encoding, no .qaignore) never imports the OCR engine, the encoding detector or the gitignore matcher,
    and no OCR worker is started."""
    import subprocess

    from tests.docgen import make_pdf

    corpus = tmp_path / "docs"
    corpus.mkdir()
    make_pdf(corpus / "guide.pdf", ["Harbour guide\n\nThe harbour office opens at nine on weekdays."])
    (corpus / "ferry.txt").write_text(FERRY + "\n", encoding="utf-8")
    (corpus / "cape.html").write_text(f"<html><body><p>{LIGHTHOUSE}</p></body></html>", encoding="utf-8")
    optional = ("rapidocr", "cv2", "charset_normalizer", "pathspec", "multiprocessing.pool")
    probe = (
        "import atexit, sys\n"
        f"atexit.register(lambda: print('LOADED', sorted(m for m in {optional!r} if m in sys.modules), "
        "file=sys.stderr))\n"
        f"from tui.cli import main\nsys.argv = ['qa', 'index', '--corpus', {str(corpus)!r}, '--index', "
        f"{str(tmp_path / 'idx')!r}]\nmain()\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0, out.stderr
    assert "3 documents" in out.stderr and "LOADED []" in out.stderr, out.stderr
