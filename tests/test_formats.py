"""PDF, HTML, DOCX and EPUB: extraction, offsets, pages, titles, and every kind of bad input.

Every document here is made by the test itself (tests/docgen.py): real PDFs from fpdf2, real DOCX from
python-docx, EPUB and HTML written out by hand.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from index.build import BuildSummary, build
from index.embedding import HashEmbedder
from index.reading.formats import LoadError
from index.reading.formats.cleanup import clean
from index.reading.formats.html import html_to_extracted
from index.reading.load import load_document
from index.reading.scan import scan_corpus
from index.storage.local import IndexDir
from tests.docgen import LOREM, make_docx, make_epub, make_image_only_pdf, make_pdf, make_zip_bomb

ETNA = "Mount Etna erupted spectacularly in the spring, and the lava reached the outskirts of Catania."


def manual_pages() -> list[str]:
    return [
        "Table of Contents\n\nIntroduction . . . . . . . . . . . . . . . . 1\n\nEruptions . . . . . . . . . . . . . 2",
        "Introduction\n\n" + LOREM * 3 + "Geologists call the study of such mountains volcano-\nlogy, "
        "and the word is older than it looks.",
        "Eruptions\n\n" + ETNA + " " + LOREM * 2,
    ]


def make_manual(path: Path) -> Path:
    return make_pdf(path, manual_pages(), title="Field Guide to Volcanoes", header="Field Guide - Chapter",
                    labels=[(0, "r", 1), (1, "D", 1)])


def index_corpus(root: Path, tmp: Path, **kw) -> BuildSummary:  # type: ignore[no-untyped-def]
    events = list(build(root, IndexDir(tmp / "idx"), HashEmbedder(), **kw))
    assert isinstance(events[-1], BuildSummary)
    return events[-1]


# -- PDF ------------------------------------------------------------------------------------------


def test_pdf_pages_labels_title_and_repairs(tmp_path: Path) -> None:
    make_manual(tmp_path / "guide.pdf")
    doc = load_document(tmp_path, "guide.pdf")
    assert doc.format == "pdf"
    assert doc.title == "Field Guide to Volcanoes"  # from the PDF's metadata
    assert [(p.number, p.label) for p in doc.pages] == [(1, "i"), (2, "1"), (3, "2")]
    text = doc.text
    assert "volcanology" in text and "volcano-" not in text  # hyphenation across the line end repaired
    assert "Field Guide - Chapter" not in text  # the running header is gone from every page
    assert ". . . ." not in text and "Table of Contents" in text  # dotted leaders dropped, not the heading
    for page in doc.pages:  # no bare page-number line is left at a page's edges
        lines = text[page.start : page.end].splitlines()
        assert lines and not lines[-1].strip().isdigit() and not lines[0].strip().isdigit()
    at = text.index(ETNA)
    assert doc.page_at(at).number == 3 and doc.page_at(at).label == "2"
    assert text[doc.pages[2].start :].startswith("Eruptions")


def test_ligatures_and_control_characters_are_cleaned() -> None:
    assert clean("the \ufb01rst \ufb02ow\x1b[2J\u00ad ok\r\n") == "the first flow[2J ok\n"


def test_pdf_without_text_nor_image_is_skipped_with_reason(tmp_path: Path) -> None:
    make_image_only_pdf(tmp_path / "shapes.pdf")
    with pytest.raises(LoadError, match="no text found in this PDF \\(no text layer, and no scanned page\\)"):
        load_document(tmp_path, "shapes.pdf")


def test_encrypted_pdf_is_skipped_with_reason(tmp_path: Path) -> None:
    make_pdf(tmp_path / "secret.pdf", ["Top secret plans."], user_password="hunter2")
    with pytest.raises(LoadError, match="encrypted PDF"):
        load_document(tmp_path, "secret.pdf")


@pytest.mark.parametrize("kind", ["pdf", "docx", "epub", "html"])
def test_truncated_or_corrupt_files_are_skipped_not_raised(tmp_path: Path, kind: str) -> None:
    good = tmp_path / "good"
    good.mkdir()
    whole = good / f"x.{kind}"
    if kind == "pdf":
        make_manual(whole)
    elif kind == "docx":
        make_docx(whole, [("p", LOREM)])
    elif kind == "epub":
        make_epub(whole, [("One", LOREM)])
    else:
        whole.write_text(f"<html><body><p>{LOREM}</p></body></html>", encoding="utf-8")
    data = whole.read_bytes()
    root = tmp_path / "corpus"
    root.mkdir()
    (root / f"cut.{kind}").write_bytes(data[: len(data) // 3])
    (root / f"garbage.{kind}").write_bytes(b"\x89\x00\x17 not a document at all" * 50)
    bad = [f"cut.{kind}", f"garbage.{kind}"]
    if kind in ("docx", "epub"):  # a cut zip is refused before parsing: also damage a part inside a sound zip
        member = "word/document.xml" if kind == "docx" else "OEBPS/content.opf"
        with zipfile.ZipFile(whole) as src, zipfile.ZipFile(root / f"broken.{kind}", "w") as dst:
            for info in src.infolist():
                content = src.read(info)
                dst.writestr(info, content[: len(content) // 2] if info.filename == member else content)
        bad.append(f"broken.{kind}")
    (root / "fine.txt").write_text("Mount Etna is in Sicily.", encoding="utf-8")
    # The builder turns *any* exception into a skip, so look at the loader itself: a file it cannot read must
    # give the designed LoadError (a reason written for the user), never some other exception.
    for name in bad:
        try:
            load_document(root, name)
        except LoadError:
            pass
    summary = index_corpus(root, tmp_path)
    skipped = {s.source: s.reason for s in summary.skipped}
    assert "fine.txt" not in skipped and summary.documents >= 1
    assert f"garbage.{kind}" in skipped and (f"broken.{kind}" in skipped or f"broken.{kind}" not in bad)
    for reason in skipped.values():
        assert "\n" not in reason and len(reason) < 200 and "Traceback" not in reason
        assert not reason.startswith("could not be read (")  # the builder's fallback for unexpected errors


def test_extension_that_lies_is_read_by_content(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    make_manual(root / "manual.txt")  # a PDF named .txt
    (root / "page.pdf").write_text("<!DOCTYPE html><html><head><title>Saved page</title></head><body>"
                                   "<p>Stromboli erupts every few minutes.</p></body></html>", encoding="utf-8")
    (root / "photo.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    make_manual(root / "README")  # no suffix: sniffed
    assert load_document(root, "manual.txt").format == "pdf"
    assert load_document(root, "README").format == "pdf"
    page = load_document(root, "page.pdf")
    assert page.format == "html" and page.title == "Saved page" and "Stromboli" in page.text
    with pytest.raises(LoadError, match="not a PDF file"):
        load_document(root, "photo.pdf")


def test_zip_bomb_named_docx_or_epub_is_refused(tmp_path: Path) -> None:
    make_zip_bomb(tmp_path / "bomb.docx", "word/document.xml", 300)
    make_zip_bomb(tmp_path / "bomb.epub", "META-INF/container.xml", 300)
    assert (tmp_path / "bomb.docx").stat().st_size < 2_000_000
    for name in ("bomb.docx", "bomb.epub"):
        with pytest.raises(LoadError, match="zip bomb"):
            load_document(tmp_path, name)


def test_many_page_pdf_keeps_every_page(tmp_path: Path) -> None:
    words = LOREM.split()
    pages = [f"Entry {i} on {words[i % len(words)]} and {words[(7 * i) % len(words)]}. " + LOREM[: 40 + i % 50]
             for i in range(300)]
    make_pdf(tmp_path / "long.pdf", pages, header="Long manual")
    doc = load_document(tmp_path, "long.pdf")
    assert len(doc.pages) == 300
    for i in (0, 150, 299):
        at = doc.text.index(f"Entry {i} on ")
        assert doc.page_at(at).number == i + 1


# -- HTML -----------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html><html><head><title>12. Virtual Environments &#8212; Python docs</title>
<meta name="date" content="2023-02-03"><style>p { color: red }</style><script>var x = "hidden";</script></head>
<body><nav class="menu"><ul><li>Contents</li><li>Previous</li></ul></nav>
<div class="sphinxsidebar"><h3>Table of Contents</h3><ul><li>Introduction</li></ul></div>
<div role="main" class="body"><h1>12. Virtual Environments<a class="headerlink" href="#x">¶</a></h1>
<p>To create one, run <code><span class="n">python3</span> <span class="o">-m</span> <span>venv</span>
<span>tutorial-env</span></code> in a shell.</p>
<h2>12.1. Activating<a class="headerlink" href="#y">¶</a></h2>
<p>On Unix, run <strong>source</strong> tutorial-env/bin/activate.</p><pre>$ source env/bin/activate
(env) $</pre><ul><li>first</li><li>second</li></ul>
<table><tr><th>Name</th><th>Use</th></tr><tr><td>venv</td><td>isolation</td></tr></table>
</div><footer>Copyright 2023</footer></body></html>"""


def test_html_keeps_readable_text_only() -> None:
    e = html_to_extracted(PAGE)
    assert e.title == "12. Virtual Environments" and e.date == "2023-02-03"
    for junk in ("hidden", "color: red", "Previous", "Table of Contents", "Copyright", "¶"):
        assert junk not in e.text
    assert "python3 -m venv tutorial-env" in e.text  # inline spans join without added spaces
    assert "On Unix, run source tutorial-env/bin/activate." in e.text
    assert "$ source env/bin/activate\n(env) $" in e.text  # <pre> keeps its lines
    assert "Name | Use\nvenv | isolation" in e.text
    assert [(s.title, s.level) for s in e.sections] == [("12. Virtual Environments", 1), ("12.1. Activating", 2)]
    act = e.sections[1]
    assert e.text[act.start :].startswith("12.1. Activating") and act.end == len(e.text)
    assert e.text.startswith("12. Virtual Environments\n\nTo create one")


def test_headings_written_as_links_back_to_the_pages_contents_are_kept() -> None:
    """docutils writes each heading's text in a link back to the page's table of contents (`toc-backref`) when
    the page has one, as Python's FAQ pages and CMake's manual do: the heading is content (the FAQ's question);
    the table of contents itself is still left out."""
    e = html_to_extracted(
        '<html><head><title>Programming FAQ</title></head><body><div role="main">'
        '<h1><a class="toc-backref" href="#id1">Programming FAQ</a><a class="headerlink" href="#p">¶</a></h1>'
        '<div class="contents topic" id="contents"><p class="topic-title">Contents</p><ul><li>Numbers</li></ul>'
        '</div><div class="table-of-contents"><ul><li>Strings</li></ul></div>'
        '<nav class="toc"><ul><li>Why does -22 // 10 return -3?</li></ul></nav>'
        '<h3><a class="toc-backref" href="#id29" role="doc-backlink">Why does -22 // 10 return -3?</a>'
        '<a class="headerlink" href="#why">¶</a></h3><p>Integer division has to return the floor.</p>'
        '</div></body></html>')
    assert e.text == "Programming FAQ\n\nWhy does -22 // 10 return -3?\n\nInteger division has to return the floor."
    assert [(s.title, s.level) for s in e.sections] == [("Programming FAQ", 1), ("Why does -22 // 10 return -3?", 3)]


def test_a_section_whose_heading_names_a_menu_or_cookies_is_content() -> None:
    """Sphinx writes each section's heading as its id ("cookie-objects", "file-menu-shell-and-editor") and links
    the heading to it: such a section is content, as whole sections of http.cookies and idle were not; so is
    docutils' div.section. A blog's related posts, share buttons and cookie notice, marked by an id on a section
    or a paragraph that links nowhere of its own, and a layout table of navigation, are still left out."""
    e = html_to_extracted(
        '<html><body><div id="menu"><a href="/">Home</a></div><div class="cookie-banner">We use cookies.</div>'
        '<div role="main"><section id="cookie-objects">'
        '<h2>Cookie Objects<a class="headerlink" href="#cookie-objects">¶</a></h2>'
        '<p>BaseCookie.value_decode(val) returns a decoded value.</p></section>'
        '<div class="section" id="file-menu"><h3>File menu</h3><p>New File creates an editor window.</p></div>'
        '<section id="editing-and-navigation"><h2>Editing and Navigation'
        '<a class="headerlink" href="#editing-and-navigation">¶</a></h2><p>Keys move the cursor.</p></section>'
        '<section id="related-posts"><h2>Related posts</h2><p>How to rotate logs with systemd.</p></section>'
        '<section id="share"><p>Share this page.</p></section><p id="cookie-notice">This site stores cookies.</p>'
        '<table id="navigation"><tr><td>Home | Install | Next: Configuration</td></tr></table>'
        '</div></body></html>')
    for kept in ("Cookie Objects", "BaseCookie.value_decode(val)", "File menu", "New File creates",
                 "Editing and Navigation", "Keys move the cursor."):
        assert kept in e.text
    for dropped in ("Home", "We use cookies", "Related posts", "rotate logs", "Share this", "stores cookies",
                    "Next: Configuration"):
        assert dropped not in e.text


# -- DOCX and EPUB --------------------------------------------------------------------------------


def test_docx_paragraphs_headings_tables_in_order(tmp_path: Path) -> None:
    make_docx(tmp_path / "report.docx", [
        ("h1", "Annual report"), ("p", "Sales rose in the north."), ("table", "Region|Sales\nNorth|120"),
        ("h2", "Outlook"), ("li", "Hire two engineers."), ("p", "The outlook is calm."),
    ], title="Report 2023")
    doc = load_document(tmp_path, "report.docx")
    assert doc.format == "docx" and doc.title == "Report 2023" and doc.pages == ()
    t = doc.text
    assert t.index("Annual report") < t.index("Sales rose") < t.index("Region | Sales\nNorth | 120") \
        < t.index("Outlook") < t.index("• Hire two engineers.") < t.index("The outlook is calm.")
    assert doc.section_at(t.index("calm")).title == "Outlook"
    assert doc.date and len(doc.date) == 10


def test_docx_title_falls_back_to_first_heading(tmp_path: Path) -> None:
    make_docx(tmp_path / "memo.docx", [("h1", "Memo on lava"), ("p", "Text.")])
    assert load_document(tmp_path, "memo.docx").title == "Memo on lava"


def test_epub_spine_order_and_chapters_as_pages(tmp_path: Path) -> None:
    make_epub(tmp_path / "book.epub", [("Chapter A", "Alpha text here."), ("Chapter B", "Beta text here."),
                                       ("Chapter C", "Gamma text here.")], title="Three Chapters",
              spine_order=[2, 0, 1])
    doc = load_document(tmp_path, "book.epub")
    assert doc.format == "epub" and doc.title == "Three Chapters" and doc.date == "2021-05-04"
    t = doc.text
    assert t.index("Gamma") < t.index("Alpha") < t.index("Beta")  # spine order, not manifest order
    assert "Contents" not in t  # the nav document is not in the spine
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert doc.page_at(t.index("Alpha")).number == 2
    assert doc.section_at(t.index("Beta")).title == "Chapter B"


# -- the whole index ------------------------------------------------------------------------------


def test_mixed_corpus_indexes_every_format_and_keeps_pages_on_reuse(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    make_manual(root / "guide.pdf")
    (root / "page.html").write_text(PAGE, encoding="utf-8")
    make_docx(root / "report.docx", [("h1", "Report"), ("p", LOREM)])
    make_epub(root / "book.epub", [("One", LOREM)])
    first = index_corpus(root, tmp_path)
    assert first.documents == 4 and not first.skipped
    (root / "new.txt").write_text("A new note.", encoding="utf-8")
    second = index_corpus(root, tmp_path)
    assert (second.embedded, second.chunks) == (1, first.chunks + 1)  # only the new file (one chunk) was embedded
    snap = IndexDir(tmp_path / "idx").open()
    try:
        pdf = snap.document_by_source("guide.pdf")
        assert pdf is not None and pdf.format == "pdf" and [p.label for p in pdf.pages] == ["i", "1", "2"]
        html = snap.document_by_source("page.html")
        assert html is not None and [s.title for s in html.sections][0] == "12. Virtual Environments"
    finally:
        snap.close()


def test_scan_sees_new_formats_and_suffixless_files(tmp_path: Path) -> None:
    for name in ("a.pdf", "b.HTML", "c.htm", "d.docx", "e.epub", "f.txt", "g.png", "h.py", "NOTES"):
        (tmp_path / name).write_bytes(b"x")
    assert [s.source for s in scan_corpus(tmp_path)] == ["NOTES", "a.pdf", "b.HTML", "c.htm", "d.docx", "e.epub",
                                                          "f.txt"]


def test_seed_corpus_unchanged_by_the_new_loaders() -> None:
    from tests.conftest import SEEDS

    doc = load_document(SEEDS, "blinken-central-asia.txt")
    assert doc.format == "txt" and doc.text == (SEEDS / "blinken-central-asia.txt").read_text(encoding="utf-8")


def test_an_option_or_path_broken_at_a_pdf_line_end_keeps_its_hyphen(tmp_path: Path) -> None:
    """PDFium marks a hyphen at a line's end as a soft hyphen and joins the halves: right for a word broken in
    two ("hyphen-" "ated"), wrong for an option or a path ("--skip-" "patches" read as `--skippatches`)."""
    make_pdf(tmp_path / "guide.pdf", ["To keep the source tree unmodified, please use the --skip-\npatches option "
                                      "of dpkg-source. A hyphen-\nated word is joined. The key is in "
                                      "debian/upstream/signing-\nkey.asc today. Try a dry run (--dry-\nrun) first."])
    text = load_document(tmp_path, "guide.pdf").text
    assert "--skip-patches option" in text and "debian/upstream/signing-key.asc" in text
    assert "(--dry-run)" in text
    assert "A hyphenated word" in text


def test_only_the_files_of_a_format_whose_reader_changed_are_read_again(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An upgrade that changes the PDF reader (index.types.FORMAT_READERS) reads and embeds the PDFs again, and
    keeps every other document as it was indexed; the engine's first question does it too."""
    from index import types
    from index.build import Notice
    from qa.config import Settings
    from qa.engine import Engine

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_pdf(corpus / "guide.pdf", ["Use the --skip-\npatches option to keep the tree unmodified."])
    (corpus / "notes.txt").write_text("Mount Etna is an active volcano on the island of Sicily.\n", encoding="utf-8")
    index = IndexDir(tmp_path / "idx")
    list(build(corpus, index, HashEmbedder()))
    assert index.open(HashEmbedder()).manifest.format_readers == types.FORMAT_READERS
    monkeypatch.setattr(types, "FORMAT_READERS", {**types.FORMAT_READERS, ".pdf": types.FORMAT_READERS[".pdf"] + 1})
    events = list(build(corpus, index, HashEmbedder()))
    summary = next(e for e in events if isinstance(e, BuildSummary))
    assert summary.embedded == 1 and summary.changed == 1  # the PDF's one chunk; notes.txt kept
    assert any(isinstance(e, Notice) and "1 PDF file was read by an earlier version" in e.message for e in events)
    assert index.open(HashEmbedder()).manifest.format_readers == types.FORMAT_READERS
    again = next(e for e in build(corpus, index, HashEmbedder()) if isinstance(e, BuildSummary))
    assert again.embedded == 0
    monkeypatch.setattr(types, "FORMAT_READERS", {**types.FORMAT_READERS, ".pdf": types.FORMAT_READERS[".pdf"] + 1})
    engine = Engine(Settings.resolve(corpus, tmp_path / "idx"), embedder=HashEmbedder())
    try:
        notices = [e.message for e in engine.prepare() if isinstance(e, Notice)]
        assert any("1 PDF file was read by an earlier version" in n for n in notices), notices
        assert engine.snapshot.manifest.format_readers == types.FORMAT_READERS
    finally:
        engine.close()
    # an index of no PDFs is not rebuilt for a PDF reader's change
    (corpus / "guide.pdf").unlink()
    list(build(corpus, index, HashEmbedder()))
    monkeypatch.setattr(types, "FORMAT_READERS", {**types.FORMAT_READERS, ".pdf": types.FORMAT_READERS[".pdf"] + 1})
    quiet = next(e for e in build(corpus, index, HashEmbedder()) if isinstance(e, BuildSummary))
    assert quiet.embedded == 0 and not quiet.updated
