"""Structure is evidence: loaders keep definitions (a name and its description), code blocks and table rows
as typed units with offsets, and chunking keeps each code block, row and name whole.

Every document is made here: HTML by hand, DOCX with python-docx, PDF with fpdf2 (a real table, a code
example in Courier, a definition list), Markdown with fences and a pipe table."""

from __future__ import annotations

from pathlib import Path

from index.reading.formats.html import MAX_DEPTH, html_to_extracted, nesting_depth
from index.reading.load import load_document
from index.text.chunking import document_sentences
from index.types import Document
from tests.docgen import (
    API_PAGE,
    LOREM,
    make_code_docx,
    make_nested_terms_pdf,
    make_pdf,
    make_structured_pdf,
    make_texinfo_pdf,
)


def units_of(doc: Document | object, kind: str) -> list[str]:
    text = doc.text  # type: ignore[attr-defined]
    return [text[u.start : u.end] for u in doc.units if u.kind == kind]  # type: ignore[attr-defined]


def parent_text(doc: Document, text: str) -> str:
    unit = next(u for u in doc.units if doc.text[u.start : u.end] == text)
    parent = doc.units[unit.parent]
    return doc.text[parent.start : parent.end]


def test_html_definitions_code_and_table_rows() -> None:
    page = html_to_extracted(API_PAGE)
    doc = Document("api.html", page.text, "", "itertools", units=page.units, format="html")
    assert units_of(doc, "term") == ["itertools.pairwise(iterable)", "itertools.accumulate(iterable)"]
    body = next(u for u in doc.units if u.kind == "definition" and "overlapping" in doc.text[u.start : u.end])
    assert doc.text[doc.units[body.parent].start : doc.units[body.parent].end] == "itertools.pairwise(iterable)"
    assert units_of(doc, "code") == ["def pairwise(iterable):\n    a, b = tee(iterable)\n    next(b, None)\n"
                                     "    return zip(a, b)"]
    assert units_of(doc, "header") == ["Directive | Meaning"]
    assert units_of(doc, "row") == ["%j | Day of the year as a decimal number.", "%U | Week number of the year."]
    assert parent_text(doc, "%j | Day of the year as a decimal number.") == "Directive | Meaning"
    # the description's sentences know the name they describe
    at = doc.text.index("Return successive")
    inner = [doc.units[i].kind for i in doc.units_at(at)]
    assert inner == ["definition"]


def test_chunking_keeps_code_rows_and_names_whole() -> None:
    page = html_to_extracted(API_PAGE)
    doc = Document("api.html", page.text, "", "itertools", units=page.units, format="html")
    sentences = [doc.text[s.start : s.end] for s in document_sentences(doc)]
    assert "def pairwise(iterable):\n    a, b = tee(iterable)\n    next(b, None)\n    return zip(a, b)" in sentences
    assert "%j | Day of the year as a decimal number." in sentences
    assert "itertools.pairwise(iterable)" in sentences
    assert "Return successive overlapping pairs taken from the input iterable." in sentences


def test_docx_code_and_table_with_header(tmp_path: Path) -> None:
    make_code_docx(tmp_path / "lab.docx")
    doc = load_document(tmp_path, "lab.docx")
    assert units_of(doc, "code") == ["pump --start --rate 5\npump --status"]
    assert units_of(doc, "header") == ["Instrument | Last calibrated"]
    assert units_of(doc, "row") == ["Mass spectrometer | 2024-01-10", "Confocal microscope | 2024-03-12"]
    assert parent_text(doc, "Confocal microscope | 2024-03-12") == "Instrument | Last calibrated"


def test_pdf_table_code_and_definition_from_layout(tmp_path: Path) -> None:
    make_structured_pdf(tmp_path / "manual.pdf")
    doc = load_document(tmp_path, "manual.pdf")
    assert units_of(doc, "header") == ["Instrument | Last calibrated | Responsible"]
    assert units_of(doc, "row") == ["Mass spectrometer | 2024-01-10 | Ada Smith",
                                    "Confocal microscope | 2024-03-12 | Ben Jones", "Centrifuge | 2023-11-02 | Chen Wu"]
    assert parent_text(doc, "Centrifuge | 2023-11-02 | Chen Wu") == "Instrument | Last calibrated | Responsible"
    assert units_of(doc, "code") == ["samples <- list_samples(run)\nfor (s in samples) {\n    print(s)\n}"]
    assert units_of(doc, "term") == ["purge_cache(days)"]
    assert parent_text(doc, "Removes cached spectra older than the given number of days.") == "purge_cache(days)"
    sentences = [doc.text[s.start : s.end] for s in document_sentences(doc)]
    assert "To list the samples of a run, type:" in sentences  # prose stays prose, apart from the code


def test_pdf_line_cut_short_by_a_long_word_runs_on(tmp_path: Path) -> None:
    # the line ends short only because the address after "use" does not fit on it: still one sentence,
    # although the next line starts with a quote mark, not a lower-case word
    make_pdf(tmp_path / "keys.pdf", [LOREM * 3 + "\n\nIf your network environment blocks the keyserver port 11371, "
             "then use 'hkp://keyserver.ubuntu.example.org:80' instead.\n\n" + LOREM * 2])
    doc = load_document(tmp_path, "keys.pdf")
    sentences = [doc.text[s.start : s.end] for s in document_sentences(doc)]
    assert ("If your network environment blocks the keyserver port 11371, then use "
            "'hkp://keyserver.ubuntu.example.org:80' instead.") in sentences


def test_pdf_names_set_as_texinfo_sets_them_are_terms(tmp_path: Path) -> None:
    make_texinfo_pdf(tmp_path / "manual.pdf")
    doc = load_document(tmp_path, "manual.pdf")
    assert units_of(doc, "term") == ["prefix", "readarray"]
    # the name on the description's first line is a line of its own; the description is its definition
    at = doc.text.index("The default value of prefix should be /usr/local.")
    definition = doc.units[doc.units_at(at)[-1]]
    assert definition.kind == "definition" and doc.text[doc.units[definition.parent].start :].startswith("prefix\n")
    # a name, its synopsis in Courier, then its description: all one entry
    at = doc.text.index("A synonym for mapfile.")
    definition = doc.units[doc.units_at(at)[-1]]
    assert definition.kind == "definition" and doc.text[doc.units[definition.parent].start :].startswith("readarray")


def test_a_pdf_term_indented_under_a_description_is_a_definition_inside_it(tmp_path: Path) -> None:
    make_nested_terms_pdf(tmp_path / "manual.pdf")
    doc = load_document(tmp_path, "manual.pdf")
    assert units_of(doc, "term") == ["nproc (query)", "overridable", "ispc ()"]

    def names_around(phrase: str) -> list[str]:  # the terms of the definitions holding `phrase`, innermost first
        at = doc.text.index(phrase)
        return [doc.text[doc.units[doc.units[i].parent].start : doc.units[doc.units[i].parent].end]
                for i in doc.units_at(at) if doc.units[i].kind == "definition"]

    assert names_around("same as current") == ["overridable", "nproc (query)"]
    assert names_around("modify how processors") == ["nproc (query)"]
    assert names_around("running on a Windows system") == ["ispc ()"]  # back at the margin: a new entry


def test_a_line_broken_after_an_option_s_hyphen_keeps_it() -> None:
    from index.reading.formats.pdf_layout import reflow

    lines = ["If you wish to keep the source tree unmodified, please use the --skip-", "patches option. Its volcano-",
             "logy section and the path /usr/share/doc-", "base are kept."]
    text = reflow(lines, 70)
    assert "--skip-patches option" in text  # an option's hyphen is the option's
    assert "volcanology" in text  # a word broken at the line's end is joined
    assert "/usr/share/doc-base" in text  # so is a path's


def test_a_table_right_under_a_pdf_term_is_inside_its_definition() -> None:
    """The definition of a term whose description is a table starts where the table does: units nest or stay
    apart, never overlap (`Document.units_at` depends on it)."""
    from index.reading.formats.pdf_layout import Line, layout

    cells = (("alpha", "1"), ("beta", "2"), ("gamma", "3"))
    lines = [Line("alpha_opt", x=72, size=10, mono=1.0),
             *(Line(" | ".join(c), x=100, size=10, columns=(100, 200), cells=c) for c in cells),
             Line("Some prose text follows here at the margin of the page.", x=72, size=10)]
    units = sorted(layout(lines, 80, 10).units, key=lambda u: (u.start, -u.end))
    assert [u.kind for u in units] == ["term", "definition", "row", "row", "row"]
    for a in units:
        for b in units:
            assert not a.start < b.start < a.end < b.end, (a, b)


def test_pdf_units_keep_their_parents_when_sorted() -> None:
    """A definition is laid out after the table inside it; sorting the units puts it first, and a row's
    header index must follow its header, not point at the definition."""
    from index.reading.formats.pdf import _in_order
    from index.types import Unit

    laid = [Unit("term", 0, 5), Unit("header", 20, 30), Unit("row", 31, 40, 1), Unit("definition", 7, 50, 0)]
    units = _in_order(laid)
    assert [u.kind for u in units] == ["term", "definition", "header", "row"]
    assert units[units[3].parent].kind == "header" and units[units[1].parent].kind == "term"


def test_markdown_fences_and_pipe_tables(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text(
        "# Notes\n\nInstall it with:\n\n```sh\npip install pump\npump --version\n```\n\n"
        "| Flag | Meaning |\n|---|---|\n| -r | rate |\n| -s | status |\n", encoding="utf-8")
    doc = load_document(tmp_path, "notes.md")
    assert units_of(doc, "code") == ["pip install pump\npump --version"]
    assert units_of(doc, "header") == ["| Flag | Meaning |"]
    assert units_of(doc, "row") == ["| -r | rate |", "| -s | status |"]


def test_markdown_and_rst_headings_start_sections(tmp_path: Path) -> None:
    """ATX and setext headings in Markdown (not a `#` inside fenced code), underlined titles in
    reStructuredText: citations carry the section path, and answers read a list under its heading."""
    (tmp_path / "CHANGELOG.md").write_text(
        "# Changelog\n\n## [2.4.0] - 2024-05-06\n\n### Added\n- `--resample` option.\n\n```sh\n# not a heading\n```\n\n"
        "## [2.3.1] - 2024-02-12\n\n### Fixed\n- Gaps no longer duplicate readings.\n\nNotes\n=====\n\nText.\n",
        encoding="utf-8")
    doc = load_document(tmp_path, "CHANGELOG.md")
    assert [(s.title, s.level) for s in doc.sections] == [
        ("Changelog", 1), ("[2.4.0] - 2024-05-06", 2), ("Added", 3), ("[2.3.1] - 2024-02-12", 2), ("Fixed", 3),
        ("Notes", 1)]
    assert doc.section_path(doc.text.index("Gaps")) == ["Changelog", "[2.3.1] - 2024-02-12", "Fixed"]
    (tmp_path / "guide.rst").write_text("=====\nGuide\n=====\n\nInstall\n-------\n\nText.\n\nLinux\n~~~~~\n\n"
                                         "More.\n\nUsage\n-------\n\nEnd.\n", encoding="utf-8")
    rst = load_document(tmp_path, "guide.rst")
    assert [(s.title, s.level) for s in rst.sections] == [("Guide", 1), ("Install", 2), ("Linux", 3), ("Usage", 2)]
    assert rst.section_path(rst.text.index("End.")) == ["Guide", "Usage"]


def test_deeply_nested_html_is_refused_before_parsing(tmp_path: Path) -> None:
    deep = "<html><body>" + "<div>" * (MAX_DEPTH + 10) + "x" + "</div>" * (MAX_DEPTH + 10) + "</body></html>"
    assert nesting_depth(deep.encode()) > MAX_DEPTH
    (tmp_path / "deep.html").write_text(deep, encoding="utf-8")
    import pytest

    from index.reading.formats import LoadError

    with pytest.raises(LoadError, match="nested"):
        load_document(tmp_path, "deep.html")


def test_many_headings_each_get_their_own_title() -> None:
    """The renderer used to re-join all text at every heading end (80,000 headings took minutes); titles now
    come from what was written inside each heading only. (Its speed is measured in bench/extract_speed.py,
    not here.)"""
    html = "<html><body>" + "".join(f"<h2>Part {i}</h2><p>Text {i}.</p>" for i in range(20_000)) + "</body></html>"
    page = html_to_extracted(html)
    assert [s.title for s in page.sections[:3]] == ["Part 0", "Part 1", "Part 2"]
    assert len(page.sections) == 20_000 and page.sections[-1].title == "Part 19999"


def test_sections_end_at_the_next_heading_of_their_level_or_above() -> None:
    from index.types import sections_of

    heads = [("A", 1, 0), ("B", 2, 6), ("C", 2, 12), ("B.1", 3, 14), ("D", 1, 18)]
    got = [(s.title, s.start, s.end) for s in sections_of(heads, 22)]
    assert got == [("A", 0, 18), ("B", 6, 12), ("C", 12, 18), ("B.1", 14, 18), ("D", 18, 22)]


MAN_PAGE = """<html><head><title>Postfix manual - postqueue(1)</title></head><body><pre>
POSTQUEUE(1)                                                      POSTQUEUE(1)

<b>NAME</b>
       postqueue - Postfix queue control

<b>SYNOPSIS</b>
       <b>postqueue</b> [<b>-v</b>] <b>-p</b>

<b>DESCRIPTION</b>
       The  <b>postqueue</b>(1)  command  implements  the  Postfix user interface for
       queue  management.  See the <b><a href="postconf.5.html#x">post</a>-</b>
       <b><a href="postconf.5.html#x">super</a></b>(1) command for privileged operations.

       <b>-c</b> <i>config</i><b>_</b><i>dir</i>
              The  main.cf  configuration  file  is  in the named directory
              instead of the default configuration directory.

       <b>-p</b>     Produce a traditional sendmail-style queue listing.  The queue
              ID string is followed by an optional status character:

              <b>!</b>      The  message  is in the <b>hold</b> queue, i.e. no further deliv-
                     ery attempt will be made until the mail is taken off hold.

              o      Each entry also shows the message size.

              For example, to list held mail:

              postqueue -p | awk '
                  /!/ { print $1 }
               '

                                                                  POSTQUEUE(1)
</pre></body></html>"""


def test_a_manual_page_set_as_one_pre_block_is_read_as_the_page_it_stands_for() -> None:
    page = html_to_extracted(MAN_PAGE)
    assert [s.title for s in page.sections][:3] == ["NAME", "SYNOPSIS", "DESCRIPTION"]
    assert "POSTQUEUE(1)" not in page.text  # the running head and foot
    doc = Document("postqueue.1.html", page.text, "", "postqueue", units=page.units, format="html")
    assert units_of(doc, "term") == ["-c config_dir", "-p", "!"]  # groff's "o" bullet marks a list item
    assert "• Each entry also shows the message size." in doc.text
    assert parent_text(doc, "The main.cf configuration file is in the named directory instead of the default "
                            "configuration directory.") == "-c config_dir"
    held = ("The message is in the hold queue, i.e. no further delivery attempt will be made until the mail is "
            "taken off hold.")
    assert parent_text(doc, held) == "!"  # a tag inside a description, its words joined across the hyphen
    sentences = [doc.text[s.start : s.end] for s in document_sentences(doc)]
    assert "See the postsuper(1) command for privileged operations." in sentences  # justified, hyphenated
    assert units_of(doc, "code") == ["postqueue -p | awk '\n    /!/ { print $1 }\n '"]  # the example stays code
    # a <pre> that is no manual page stays one code block
    code = html_to_extracted("<html><body><p>Run:</p><pre>NAME=x\nSYNOPSIS=y\n   make all</pre></body></html>")
    assert [code.text[u.start : u.end] for u in code.units] == ["NAME=x\nSYNOPSIS=y\n   make all"]


def test_a_section_headed_by_the_name_it_describes_is_that_names_definition() -> None:
    page = html_to_extracted(
        "<html><body><h1>CMAKE_BUILD_PARALLEL_LEVEL</h1><p>Specifies the maximum number of concurrent processes to"
        " use when building.</p><h2>Examples</h2><p>Set it to 4 on a laptop.</p><h2>RemoteIPHeader Directive</h2>"
        "<table><tr><td>Description:</td><td>Declare the header field to parse.</td></tr></table>"
        "<p>It names the header.</p><h2>Notes</h2><p>None.</p><h2>Environment Variable</h2><p>Set it.</p>"
        "</body></html>")
    doc = Document("p.html", page.text, "", "p", units=page.units, format="html")
    # not "Examples", nor plain words with a kind word ("Environment Variable")
    assert units_of(doc, "term") == ["CMAKE_BUILD_PARALLEL_LEVEL", "RemoteIPHeader Directive"]
    assert parent_text(doc, "Specifies the maximum number of concurrent processes to use when building.") == \
        "CMAKE_BUILD_PARALLEL_LEVEL"  # its own text, up to its first subsection
    definition = next(u for u in doc.units if u.kind == "definition" and doc.units[u.parent].start == 0)
    assert "Set it to 4" not in doc.text[definition.start : definition.end]
    row = next(u for u in doc.units if u.kind == "row")
    assert [doc.units[i].kind for i in doc.units_at(row.start)] == ["row", "definition"]


def test_pdf_exponents_are_written_with_a_caret_and_footnote_numbers_go(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)

    def write(text: str, sup: bool = False) -> None:
        pdf.char_vpos = "SUP" if sup else "LINE"
        pdf.write(6, text)

    write("On IEEE systems the largest consecutive integer of a double is 2")
    write("53", sup=True)
    write(" and of a single 2")
    write("24", sup=True)
    write(". However, gcc 10")
    write("7", sup=True)
    write(" and clang 11 changed their default.")
    pdf.set_y(260)
    pdf.char_vpos = "LINE"
    pdf.set_font("helvetica", size=8)
    pdf.multi_cell(0, 4, "7 See the release notes of gcc.")
    pdf.output(str(tmp_path / "numbers.pdf"))
    doc = load_document(tmp_path, "numbers.pdf")
    assert "largest consecutive integer of a double is 2^53 and of a single 2^24." in doc.text
    assert "However, gcc 10 and clang 11 changed their default." in doc.text


def test_hostile_manual_pages_are_read_without_failing() -> None:
    """A <pre> never closed is left as it is; a thousand levels of tags nested by indentation are laid out
    (the deepest as paragraphs) instead of exhausting the stack."""
    from index.reading.formats.manpage import rewrite

    page = "<html><body><pre>NAME\n       x\n<!--<pre/>-->" + "<pre>" * 50 + "</body></html>"
    assert rewrite(page) == page
    lines = ["<html><body><pre>", "NAME", "       deep - nesting", "", "DESCRIPTION"]
    indent = 7
    for i in range(1000):  # each option's description holds the next option, one level deeper
        lines += [" " * indent + f"-o{i}   option {i}", ""]
        indent += len(f"-o{i}   ")
    extracted = html_to_extracted("\n".join([*lines, "</pre></body></html>"]))
    assert "option 999" in extracted.text and "option 0" in extracted.text
