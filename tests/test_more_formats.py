"""XLSX, CSV/TSV, PPTX, Jupyter notebooks and ODT: real files made here (openpyxl, python-pptx, nbformat, plain
zip and XML), each answered from with the right sheet and row, slide, cell or paragraph cited, and each kind
of bad input skipped with a one-line reason; text in old encodings read and flagged.

Questions go through the `qa` command in process (conftest's run_qa), on the deterministic hash embedder.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from index.reading.formats import LoadError
from index.reading.load import load_document
from tests.conftest import run_qa_text
from tests.docgen import make_zip_bomb

# -- makers -------------------------------------------------------------------------------------------------


def make_xlsx(path: Path) -> Path:
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Instruments"
    sheet.append(["Instrument", "Last calibrated", "Responsible", "Hours"])
    sheet.append(["Mass spectrometer", dt.date(2024, 1, 10), "Ada Smith", 1200])
    sheet.append([])  # a blank row: row numbers stay the sheet's own
    sheet.append(["Centrifuge", dt.date(2023, 11, 2), "Chen Wu", 87.5])
    staff = book.create_sheet("Staff")
    staff.append(["Name", "Office"])
    staff.append(["Ada Smith", "B-214"])
    staff.append(["Chen Wu", "C-007"])
    book.properties.title = "Lab inventory"
    book.save(path)
    return path


def make_pptx(path: Path) -> Path:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = "Quarterly review"
    first.placeholders[1].text = "Results of the third quarter"
    second = deck.slides.add_slide(deck.slide_layouts[1])
    second.shapes.title.text = "Shipping delays"
    second.placeholders[1].text = "The harbour strike in Rotterdam delayed every container by nine days."
    second.notes_slide.notes_text_frame.text = "Mention the insurance claim filed on October 3."
    third = deck.slides.add_slide(deck.slide_layouts[5])
    third.shapes.title.text = "Budget"
    table = third.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for r, (a, b) in enumerate([("Item", "Cost"), ("Freight", "41,000 EUR"), ("Storage", "12,500 EUR")]):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    deck.save(str(path))
    return path


def make_notebook(path: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    nb = new_notebook(cells=[
        new_markdown_cell("# Sales analysis\n\nWe load the monthly sales figures."),
        new_code_cell("import pandas as pd\nsales = pd.read_csv('sales.csv')"),
        new_code_cell("print(sales['units'].sum())",
                      outputs=[new_output("stream", name="stdout", text="The total came to 48213 units sold.\n")]),
        new_markdown_cell("## Conclusion\n\nThe Lisbon store sold the most umbrellas in November."),
    ])
    nbformat.write(nb, str(path))
    return path


CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" office:version="1.3">
<office:automatic-styles>
 <style:style style:name="P1" style:family="paragraph" style:parent-style-name="Preformatted_20_Text"/>
</office:automatic-styles>
<office:body><office:text>
 <text:h text:outline-level="1">Field report</text:h>
 <text:p>We surveyed the northern slope<text:note><text:note-body><text:p>In May.</text:p></text:note-body>
 </text:note>.</text:p>
 <text:h text:outline-level="2">Water</text:h>
 <text:p>The spring near the <text:span>old mill</text:span> delivers<text:s text:c="2"/>forty litres a minute.</text:p>
 <text:list><text:list-item><text:p>Samples were taken twice.</text:p></text:list-item></text:list>
 <text:p text:style-name="P1">flow &lt;- measure(spring)</text:p>
 <table:table><table:table-row><table:table-cell><text:p>Site</text:p></table:table-cell>
 <table:table-cell><text:p>pH</text:p></table:table-cell></table:table-row>
 <table:table-row><table:table-cell><text:p>Mill spring</text:p></table:table-cell>
 <table:table-cell><text:p>7.4</text:p></table:table-cell></table:table-row></table:table>
</office:text></office:body></office:document-content>"""
META = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<office:meta><dc:title>Survey 2024</dc:title><meta:creation-date>2024-06-01T10:00:00</meta:creation-date>
</office:meta></office:document-meta>"""


def make_odt(path: Path, content: str = CONTENT) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", content)
        zf.writestr("meta.xml", META)
        zf.writestr("META-INF/manifest.xml", "<manifest/>")
    return path


def ask(corpus: Path, idx: Path, question: str) -> dict:  # type: ignore[type-arg]
    result = run_qa_text("ask", "--json", question, "--corpus", str(corpus), "--index", str(idx))
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def stored(corpus: Path, idx: Path, source: str) -> str:
    result = run_qa_text("text", source, "--corpus", str(corpus), "--index", str(idx))
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# -- what each format reads ---------------------------------------------------------------------------------


def test_xlsx_rows_under_their_header_with_sheet_and_row(tmp_path: Path) -> None:
    make_xlsx(tmp_path / "lab.xlsx")
    doc = load_document(tmp_path, "lab.xlsx")
    assert doc.format == "xlsx" and doc.title == "Lab inventory"
    assert [(p.number, p.label) for p in doc.pages] == [(1, "Instruments"), (2, "Staff")]
    assert "Centrifuge | 2023-11-02 | Chen Wu | 87.5" in doc.text  # a date as a date, a number as Excel shows it
    assert "Mass spectrometer | 2024-01-10 | Ada Smith | 1200" in doc.text
    row = doc.text.index("Centrifuge")
    assert doc.anchor_at(row, "row").name == "4"  # the blank row 3 keeps the sheet's numbering
    unit = doc.units[doc.units_at(row)[0]]
    assert unit.kind == "row" and doc.text[doc.units[unit.parent].start:doc.units[unit.parent].end].startswith(
        "Instrument | Last calibrated")

    record = ask(tmp_path, tmp_path / "idx", "When was the centrifuge last calibrated?")
    c = record["citations"][0]
    assert (c["source"], c["format"], c["sheet"], c["row"], c["kind"]) == ("lab.xlsx", "xlsx", "Instruments", 4, "row")
    assert c["header"]["text"].startswith("Instrument | Last calibrated")
    assert "2023-11-02" in c["quote"]
    assert stored(tmp_path, tmp_path / "idx", "lab.xlsx")[c["start"]:c["end"]] == c["quote"]
    human = run_qa_text("ask", "When was the centrifuge last calibrated?", "--corpus", str(tmp_path),
                                     "--index", str(tmp_path / "idx")).stdout
    assert "[1] lab.xlsx Instruments row 4 (" in human and "(table row)" in human


def test_csv_and_tsv_rows_cite_their_row_number(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text('Product;Price;Note\nKettle;24.90;"steel; 1.7 litres"\n'
                                         "Toaster;31.50;two slots\nBlender;58.00;glass jug\n", encoding="utf-8")
    (tmp_path / "ports.tsv").write_text("Port\tCountry\tTEU\nRotterdam\tNetherlands\t14.8M\nAntwerp\tBelgium\t12.0M\n",
                                        encoding="utf-8")
    prices = load_document(tmp_path, "prices.csv")
    assert prices.text.split("\n")[1] == "Kettle | 24.90 | steel; 1.7 litres"  # ';' sniffed, quotes honoured
    record = ask(tmp_path, tmp_path / "idx", "What price is the toaster?")
    c = record["citations"][0]
    assert (c["source"], c["row"], c["kind"], c["header"]["text"]) == ("prices.csv", 3, "row",
                                                                       "Product | Price | Note")
    ports = ask(tmp_path, tmp_path / "idx", "Antwerp Belgium TEU")["citations"][0]
    assert (ports["source"], ports["format"], ports["row"]) == ("ports.tsv", "tsv", 3)


def test_pptx_slides_are_pages_with_titles_tables_and_notes(tmp_path: Path) -> None:
    make_pptx(tmp_path / "review.pptx")
    doc = load_document(tmp_path, "review.pptx")
    assert doc.title == "Quarterly review" and len(doc.pages) == 3
    second = doc.text[doc.pages[1].start:doc.pages[1].end]
    assert second.startswith("Shipping delays") and "insurance claim filed on October 3" in second  # notes too
    assert "Freight | 41,000 EUR" in doc.text[doc.pages[2].start:]
    record = ask(tmp_path, tmp_path / "idx", "Why were the containers delayed in Rotterdam?")
    c = record["citations"][0]
    assert (c["source"], c["slide"], c["page"], c["section_path"]) == ("review.pptx", 2, 2, ["Shipping delays"])
    human = run_qa_text("ask", "Why were the containers delayed in Rotterdam?", "--corpus",
                                     str(tmp_path), "--index", str(tmp_path / "idx")).stdout
    assert "[1] review.pptx slide 2 (Shipping delays; " in human  # then the deck's date


def test_notebook_cells_are_pages_with_code_and_outputs(tmp_path: Path) -> None:
    make_notebook(tmp_path / "sales.ipynb")
    doc = load_document(tmp_path, "sales.ipynb")
    assert doc.format == "ipynb" and doc.title == "Sales analysis" and len(doc.pages) == 4
    code = doc.text.index("import pandas")
    assert doc.units[doc.units_at(code)[0]].kind == "code" and doc.page_at(code).number == 2
    assert doc.page_at(doc.text.index("48213 units")).number == 3  # the output, in its cell
    record = ask(tmp_path, tmp_path / "idx", "Which store sold the most umbrellas in November?")
    c = record["citations"][0]
    assert (c["source"], c["cell"], c["section_path"]) == ("sales.ipynb", 4, ["Sales analysis", "Conclusion"])
    total = ask(tmp_path, tmp_path / "idx", "What was the total of units sold?")["citations"][0]
    assert total["cell"] == 3 and "48213" in total["quote"]


def test_odt_headings_lists_tables_code_and_paragraph_numbers(tmp_path: Path) -> None:
    make_odt(tmp_path / "report.odt")
    doc = load_document(tmp_path, "report.odt")
    assert (doc.format, doc.title, doc.date) == ("odt", "Survey 2024", "2024-06-01")
    assert "We surveyed the northern slope." in doc.text  # the footnote's body is not in the sentence
    assert "old mill delivers forty litres" in doc.text  # a span joined, text:s (spaces) collapsed
    assert "• Samples were taken twice." in doc.text
    assert "Mill spring | 7.4" in doc.text
    code = doc.text.index("flow <- measure")
    assert doc.units[doc.units_at(code)[0]].kind == "code"
    record = ask(tmp_path, tmp_path / "idx", "How many litres a minute does the spring deliver?")
    c = record["citations"][0]
    assert (c["source"], c["paragraph"], c["section_path"]) == ("report.odt", 4, ["Field report", "Water"])
    human = run_qa_text("ask", "How many litres a minute does the spring deliver?", "--corpus",
                                     str(tmp_path), "--index", str(tmp_path / "idx")).stdout
    assert "[1] report.odt \u00b64 (Field report \u203a Water; 2024-06-01)" in human


def test_html_citation_carries_its_anchor_and_section_path(tmp_path: Path) -> None:
    (tmp_path / "volcano.html").write_text(
        "<html><head><title>Volcanoes</title></head><body><main><section id='volcanoes'><h1>Volcanoes</h1>"
        "<p>Volcanoes are openings in the crust.</p><section id='calderas'><h2>Calderas</h2>"
        "<p id='krakatoa-note'>Krakatoa collapsed into a caldera during the cataclysmic eruption of 1883.</p>"
        "</section></section></main></body></html>", encoding="utf-8")
    c = ask(tmp_path, tmp_path / "idx", "When did Krakatoa collapse into a caldera?")["citations"][0]
    assert (c["anchor"], c["section_path"]) == ("krakatoa-note", ["Volcanoes", "Calderas"])
    human = run_qa_text("ask", "When did Krakatoa collapse into a caldera?", "--corpus",
                                     str(tmp_path), "--index", str(tmp_path / "idx")).stdout
    assert "[1] volcano.html#krakatoa-note (Volcanoes \u203a Calderas)" in human


def test_docx_citation_carries_paragraph_number_and_heading_path(tmp_path: Path) -> None:
    from tests.docgen import make_docx

    make_docx(tmp_path / "notes.docx", [("h1", "Field notes"), ("p", "The weather was calm."), ("h2", "Tephra"),
                                        ("table", "Site|Depth\nRim|2 m"),
                                        ("p", "Tephra deposits were sampled near the rim.")])
    c = ask(tmp_path, tmp_path / "idx", "Where were the tephra deposits sampled?")["citations"][0]
    assert (c["source"], c["paragraph"], c["section_path"]) == ("notes.docx", 4, ["Field notes", "Tephra"])


# -- old encodings ------------------------------------------------------------------------------------------


def test_old_encodings_are_read_flagged_and_verified(tmp_path: Path) -> None:
    (tmp_path / "menu.txt").write_bytes("Le café du coin sert une crème brûlée à 7 €.\n".encode("cp1252"))
    (tmp_path / "privet.txt").write_bytes("Москва является столицей России и крупнейшим городом.\n".encode("cp1251"))
    (tmp_path / "tarifs.csv").write_bytes("Plat;Prix\nCrêpe flambée;9,50\n".encode("cp1252"))
    (tmp_path / "blob.txt").write_bytes(bytes(range(1, 256)) * 20)  # not UTF-8, and full of control bytes
    idx = tmp_path / "idx"
    result = run_qa_text("index", "--json", "--corpus", str(tmp_path), "--index", str(idx))
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert {d["source"]: d["encoding"] for d in data["decoded"]} == {"menu.txt": "cp1252", "privet.txt": "cp1251",
                                                                     "tarifs.csv": "cp1252"}
    assert [s["source"] for s in data["skipped_files"]] == ["blob.txt"]  # binary stays skipped, with its reason
    assert data["skipped_files"][0]["reason"].startswith("binary file")
    c = ask(tmp_path, idx, "What does the café du coin serve?")["citations"][0]
    assert c["source"] == "menu.txt" and "crème brûlée à 7 €" in c["quote"]
    assert (tmp_path / "menu.txt").read_text(encoding="cp1252")[c["start"]:c["end"]] == c["quote"]
    human = run_qa_text("index", "--corpus", str(tmp_path), "--index", str(idx))
    assert "decoded from another encoding than UTF-8: menu.txt (cp1252), privet.txt (cp1251)" in human.stderr


# -- nothing ignored silently -------------------------------------------------------------------------------


def test_unread_formats_are_counted_and_qaignore_excludes(tmp_path: Path) -> None:
    (tmp_path / "keep.md").write_text("# Notes\n\nThe ferry leaves at seven.\n", encoding="utf-8")
    for name in ("a.png", "b.png", "c.PNG", "d.zip", "e.exe"):
        (tmp_path / name).write_bytes(b"\x89 binary")
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "old.md").write_text("The ferry left at six.\n", encoding="utf-8")
    (tmp_path / "scratch.txt").write_text("Scratch notes about ferries.\n", encoding="utf-8")
    (tmp_path / ".qaignore").write_text("# drafts are not evidence\ndrafts/\nscratch.*\n", encoding="utf-8")
    idx = tmp_path / "idx"
    result = run_qa_text("index", "--json", "--corpus", str(tmp_path), "--index", str(idx))
    data = json.loads(result.stdout)
    assert data["documents"] == 1
    assert data["ignored"] == {".png": 3, ".exe": 1, ".zip": 1}
    assert data["excluded"] == 2
    human = run_qa_text("index", "--rebuild", "--corpus", str(tmp_path), "--index", str(idx)).stderr
    assert "ignored (formats not read): 3 .png, 1 .exe, 1 .zip" in human
    assert "excluded by .qaignore: 2 files and folders" in human
    (tmp_path / ".qaignore").write_text("scratch.*\n", encoding="utf-8")  # drafts/ back in: the index follows
    again = json.loads(run_qa_text("index", "--json", "--corpus", str(tmp_path), "--index",
                                                str(idx)).stdout)
    assert (again["documents"], again["excluded"]) == (2, 1)


def test_qa_ls_lists_format_size_and_time(tmp_path: Path) -> None:
    make_pptx(tmp_path / "review.pptx")
    make_xlsx(tmp_path / "lab.xlsx")
    (tmp_path / "notes.txt").write_bytes("Réunion à midi.\n".encode("cp1252"))
    idx = tmp_path / "idx"
    result = run_qa_text("ls", "--corpus", str(tmp_path), "--index", str(idx))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["document", "format", "size", "indexed"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert "3 slides" in rows["review.pptx"] and "2 sheets, 6 rows" in rows["lab.xlsx"]
    assert "cp1252" in rows["notes.txt"] and " chars" in rows["notes.txt"]
    listed = [json.loads(line) for line in
              run_qa_text("ls", "--json", "--corpus", str(tmp_path), "--index", str(idx)).stdout.splitlines()]
    assert [d["source"] for d in listed] == ["lab.xlsx", "notes.txt", "review.pptx"]
    assert all(d["indexed"] and d["indexed"].startswith("20") for d in listed)


# -- bad input: one line each, nothing else lost -------------------------------------------------------------


@pytest.mark.parametrize(("name", "member"), [("bomb.xlsx", "xl/workbook.xml"), ("bomb.pptx", "ppt/presentation.xml"),
                                              ("bomb.odt", "content.xml")])
def test_zip_bombs_in_the_new_containers_are_refused(tmp_path: Path, name: str, member: str) -> None:
    make_zip_bomb(tmp_path / name, member, 300)
    if name.endswith(".odt"):  # an ODT is known by its mimetype member
        with zipfile.ZipFile(tmp_path / name, "a") as zf:
            zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    with pytest.raises(LoadError, match="decompresses to over 256 MB"):
        load_document(tmp_path, name)


def test_xml_entities_are_refused(tmp_path: Path) -> None:
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
              '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">'
              "<office:body><office:text>&lol2;</office:text></office:body></office:document-content>")
    make_odt(tmp_path / "laughs.odt", laughs)
    with pytest.raises(LoadError, match="declares XML entities or a document type: refused"):
        load_document(tmp_path, "laughs.odt")
    make_xlsx(tmp_path / "x.xlsx")
    with zipfile.ZipFile(tmp_path / "x.xlsx") as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    root = sheet.index(b"<worksheet")
    parts["xl/worksheets/sheet1.xml"] = sheet[:root] + b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + \
        sheet[root:].replace(b"Centrifuge", b"&e;")
    with zipfile.ZipFile(tmp_path / "external.xlsx", "w") as zf:
        for n, data in parts.items():
            zf.writestr(n, data)
    with pytest.raises(LoadError, match="refused"):
        load_document(tmp_path, "external.xlsx")
    make_pptx(tmp_path / "deck.pptx")
    with zipfile.ZipFile(tmp_path / "deck.pptx") as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    slide = parts["ppt/slides/slide1.xml"]
    root = slide.index(b"<p:sld")
    parts["ppt/slides/slide1.xml"] = slide[:root] + b'<!DOCTYPE x [<!ENTITY e "lol">]>' + slide[root:]
    with zipfile.ZipFile(tmp_path / "entities.pptx", "w") as zf:
        for n, data in parts.items():
            zf.writestr(n, data)
    with pytest.raises(LoadError, match="PPTX part ppt/slides/slide1.xml declares XML entities"):
        load_document(tmp_path, "entities.pptx")


@pytest.mark.parametrize("name", ["table.csv", "table.tsv", "table.xlsx"])
def test_a_table_over_the_row_limit_is_refused_not_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       name: str) -> None:
    from index.reading.formats import sheets

    monkeypatch.setattr(sheets, "MAX_ROWS", 3)
    if name.endswith(".xlsx"):
        make_xlsx(tmp_path / name)  # 5 rows on its first sheet
    else:
        sep = "\t" if name.endswith(".tsv") else ","
        (tmp_path / name).write_text("".join(f"r{i}{sep}v{i}\n" for i in range(5)), encoding="utf-8")
    with pytest.raises(LoadError, match=r"with over 3 rows: too large to index"):
        load_document(tmp_path, name)
    monkeypatch.setattr(sheets, "MAX_ROWS", 1000)
    assert load_document(tmp_path, name).text


def test_bad_files_of_every_new_format_are_skipped_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "ok.md").write_text("The ferry leaves at seven.\n", encoding="utf-8")
    (tmp_path / "fake.xlsx").write_bytes(b"\x89PNG\r\n\x1a\n not a workbook")
    (tmp_path / "fake.pptx").write_text("just text", encoding="utf-8")
    (tmp_path / "cut.odt").write_bytes(make_odt(tmp_path / "whole.odt").read_bytes()[:300])
    (tmp_path / "whole.odt").unlink()
    (tmp_path / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (tmp_path / "huge.csv").write_bytes(b"")
    with open(tmp_path / "huge.csv", "r+b") as fh:
        fh.truncate(51 * 1024 * 1024)  # sparse: no disk used, and refused by its size before it is read
    with open(tmp_path / "huge.xlsx", "wb") as fh:
        fh.truncate(201 * 1024 * 1024)
    idx = tmp_path / "idx"
    result = run_qa_text("index", "--json", "--corpus", str(tmp_path), "--index", str(idx))
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    reasons = {s["source"]: s["reason"] for s in data["skipped_files"]}
    assert data["documents"] == 1
    assert reasons["fake.xlsx"].startswith("not an XLSX file, whatever its name says")
    assert reasons["fake.pptx"].startswith("not a PPTX file")
    assert reasons["cut.odt"].startswith("not an ODT file") or reasons["cut.odt"].startswith("damaged")
    assert reasons["broken.ipynb"].startswith("damaged notebook (not JSON")
    assert reasons["huge.csv"] == "larger than 50 MB"
    assert reasons["huge.xlsx"] == "larger than 200 MB"
    assert all("\n" not in r for r in reasons.values())
