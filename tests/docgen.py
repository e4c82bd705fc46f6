"""Real documents made inside the tests: PDFs (fpdf2), DOCX (python-docx), EPUB and HTML (by hand)."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

LOREM = ("Volcanic soils hold water well and are rich in minerals, which is why farms crowd the slopes "
         "of many active volcanoes despite the danger. ")


def make_pdf(path: Path, pages: Sequence[str], *, title: str | None = None, header: str | None = None,
             footer_numbers: bool = True, labels: Sequence[tuple[int, str, int]] = (),
             user_password: str | None = None) -> Path:
    """A PDF with one page per text. `header` is printed at the top of every page (a running header) and
    page numbers at the bottom; `labels` are (first page index, fpdf2 label style, start) page-label runs."""
    from fpdf import FPDF

    class Doc(FPDF):
        def header(self) -> None:  # noqa: D102 - fpdf2 hook
            if header:
                self.set_font("helvetica", size=9)
                self.cell(0, 8, f"{header} {self.page_no()}", align="R")
                self.ln(12)

        def footer(self) -> None:  # noqa: D102
            if footer_numbers:
                self.set_y(-15)
                self.set_font("helvetica", size=9)
                self.cell(0, 10, str(self.page_no()), align="C")

    pdf = Doc()
    if title:
        pdf.set_title(title)
    if user_password:
        pdf.set_encryption(owner_password="owner-" + user_password, user_password=user_password)
    runs = {first: (style, start) for first, style, start in labels}
    for i, text in enumerate(pages):
        if i in runs:
            pdf.add_page(label_style=runs[i][0], label_start=runs[i][1])
        else:
            pdf.add_page()
        pdf.set_font("helvetica", size=11)
        for block in text.split("\n\n"):
            pdf.multi_cell(0, 6, block)
            pdf.ln(4)
    pdf.output(str(path))
    return path


def make_scanned_pdf(path: Path, pages: Sequence[str], dpi: int = 150, text_pages: Sequence[int] = ()) -> Path:
    """A scanned PDF, made as a scanner makes one: each page of a text PDF (make_pdf) rendered to a grayscale
    image at `dpi`, and the images put back together as a PDF with no text layer. Pages whose index is in
    `text_pages` keep their text layer instead (a mixed PDF)."""
    import pypdfium2 as pdfium

    source = make_pdf(path.with_suffix(".source.pdf"), pages)
    pdf = pdfium.PdfDocument(source)
    out = pdfium.PdfDocument.new()
    for i in range(len(pdf)):
        if i in text_pages:
            out.import_pages(pdf, [i])
            continue
        page = pdf[i]
        width, height = page.get_size()
        image = page.render(scale=dpi / 72, grayscale=True).to_pil()
        page.close()
        blank = out.new_page(width, height)
        obj = pdfium.PdfImage.new(out)
        obj.set_bitmap(pdfium.PdfBitmap.from_pil(image))
        obj.set_matrix(pdfium.PdfMatrix().scale(width, height))
        blank.insert_obj(obj)
        blank.gen_content()
        blank.close()
    out.save(str(path))
    pdf.close()
    source.unlink()
    return path


def make_image_only_pdf(path: Path) -> Path:
    """A PDF of vector shapes only: no text layer, and no image to read either."""
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 150, 200, style="F")
    pdf.output(str(path))
    return path


def make_docx(path: Path, blocks: Sequence[tuple[str, str]], title: str | None = None) -> Path:
    """A DOCX from (kind, text) blocks: kind is `h1`/`h2` (headings), `p`, `li` (bulleted) or `table`
    (text rows separated by newlines, cells by `|`)."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    for kind, text in blocks:
        if kind in ("h1", "h2", "h3"):
            document.add_heading(text, level=int(kind[1]))
        elif kind == "li":
            document.add_paragraph(text, style="List Bullet")
        elif kind == "table":
            rows = [r.split("|") for r in text.split("\n")]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, cells in enumerate(rows):
                for c, cell in enumerate(cells):
                    table.cell(r, c).text = cell.strip()
        else:
            document.add_paragraph(text)
    document.save(str(path))
    return path


def make_epub(path: Path, chapters: Sequence[tuple[str, str | Sequence[str]]], title: str = "A Book",
              spine_order: Sequence[int] | None = None, date: str = "2021-05-04") -> Path:
    """An EPUB 3 with one XHTML file per (heading, body) chapter, a body being one paragraph or a list of them;
    the spine lists them in `spine_order` (default: as given), which may differ from the manifest order."""
    order = list(spine_order) if spine_order is not None else list(range(len(chapters)))
    manifest = "\n".join(
        f'<item id="c{i}" href="text/ch{i}.xhtml" media-type="application/xhtml+xml"/>' for i in range(len(chapters))
    )
    spine = "\n".join(f'<itemref idref="c{i}"/>' for i in order)
    opf = f"""<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">x</dc:identifier>
<dc:title>{title}</dc:title><dc:date>{date}</dc:date><dc:language>en</dc:language></metadata>
<manifest>{manifest}
<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/></manifest>
<spine>{spine}</spine></package>"""
    container = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/container.xml", container)
        zf.writestr("OEBPS/content.opf", opf)
        zf.writestr("OEBPS/nav.xhtml", "<html><body><nav><ol><li>Contents</li></ol></nav></body></html>")
        for i, (heading, body) in enumerate(chapters):
            paragraphs = "".join(f"<p>{p}</p>" for p in ([body] if isinstance(body, str) else body))
            zf.writestr(f"OEBPS/text/ch{i}.xhtml",
                        f'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>{heading}'
                        f"</title></head><body><h1>{heading}</h1>{paragraphs}</body></html>")
    return path


def make_zip_bomb(path: Path, member: str, megabytes: int) -> Path:
    """A small zip whose `member` decompresses to `megabytes` MB of zeros (deflate: about 1:1000)."""
    block = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        if member != "META-INF/container.xml":
            zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open(member, "w", force_zip64=True) as fh:
            for _ in range(megabytes):
                fh.write(block)
    return path


def make_structured_pdf(path: Path) -> Path:
    """A one-page manual laid out as real manuals are: prose, a table (a header row, three rows), a code
    example set in Courier and indented under the sentence introducing it, and a definition list (a name in
    Courier, its description indented under it)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "The instruments of the lab are calibrated regularly. Their last calibration dates are "
                         "in the table below.")
    pdf.ln(4)
    pdf_table(pdf, (("Instrument", "Last calibrated", "Responsible"), ("Mass spectrometer", "2024-01-10", "Ada Smith"),
                    ("Confocal microscope", "2024-03-12", "Ben Jones"), ("Centrifuge", "2023-11-02", "Chen Wu")),
              (60, 40, 50))
    pdf.ln(4)
    pdf.multi_cell(0, 6, "To list the samples of a run, type:")
    pdf.set_font("courier", size=10)
    for line in ("samples <- list_samples(run)", "for (s in samples) {", "    print(s)", "}"):
        pdf.set_x(35)
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("courier", size=10)
    pdf.cell(0, 5, "purge_cache(days)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)
    pdf.set_x(40)
    pdf.multi_cell(0, 6, "Removes cached spectra older than the given number of days.")
    pdf.output(str(path))
    return path


def make_texinfo_pdf(path: Path) -> Path:
    """A page laid out as texinfo sets its tables: a short name in Courier with its description starting on
    the same line and its next lines indented to where the description starts ("prefix   A prefix used..."),
    and a name alone on its line, then its synopsis in Courier, then its description, both indented."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "These first two variables set the root for the installation of every program.")
    pdf.ln(3)
    pdf.set_font("courier", size=10)
    pdf.cell(30, 6, "prefix")
    pdf.set_font("helvetica", size=11)
    pdf.set_x(40)
    pdf.multi_cell(150, 6, "A prefix used in constructing the default values of the variables listed below. The "
                           "default value of prefix should be /usr/local. Running make install with another "
                           "value of prefix should not recompile the program.")
    pdf.ln(3)
    pdf.set_font("courier", size=10)
    pdf.cell(0, 6, "readarray", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(55)
    pdf.cell(0, 6, "readarray [-d delim] [-n count] [array]", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)
    pdf.set_x(40)
    pdf.multi_cell(150, 6, "Read lines from the standard input into the indexed array variable array. A synonym "
                           "for mapfile.")
    pdf.output(str(path))
    return path


def make_nested_terms_pdf(path: Path) -> Path:
    """A texinfo function entry whose description holds a table of its argument's values, each value a name
    indented under the description with its own description indented further (`nproc (query)` / ...
    `overridable` / "same as current, but..."), then the next entry back at the margin."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    for name, lines, values in (
            ("nproc (query)", ("Return the current number of available processors. If called with the optional "
                               "argument query, modify how processors are counted as follows:",),
             (("overridable", "same as current, but overridable through the OMP_NUM_THREADS environment "
                              "variable."),)),
            ("ispc ()", ("Return true if Octave is running on a Windows system and false otherwise.",), ())):
        pdf.set_font("courier", size=10)
        pdf.cell(0, 6, name, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=11)
        for line in lines:
            pdf.set_x(40)
            pdf.multi_cell(150, 6, line)
        for value, description in values:
            pdf.set_font("courier", size=10)
            pdf.set_x(40)
            pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("helvetica", size=11)
            pdf.set_x(60)
            pdf.multi_cell(130, 6, description)
        pdf.ln(3)
    pdf.output(str(path))
    return path


def make_signatures_pdf(path: Path) -> Path:
    """A texinfo function entry with its alternate call forms on lines of their own above the last one, the
    description indented under it, and an example in Courier (octave's `cplxpair`)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("courier", size=10)
    for form in ("cplxpair (z)", "cplxpair (z, tol)", "cplxpair (z, tol, dim)"):
        pdf.cell(0, 6, form, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)
    pdf.set_x(40)
    pdf.multi_cell(150, 6, "Sort the numbers z into complex conjugate pairs ordered by increasing real part. The "
                           "negative imaginary complex values are placed first within each pair. All real values "
                           "are placed after the complex pairs, with tol the tolerance.")
    pdf.set_font("courier", size=10)
    pdf.set_x(50)
    pdf.cell(0, 6, "cplxpair (exp (2i*pi*[0:4]'/5))", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def pdf_table(pdf: Any, rows: Sequence[Sequence[str]], col_widths: Sequence[int]) -> None:
    """A table of text cells on an fpdf2 page, the first row its header."""
    with pdf.table(col_widths=tuple(col_widths)) as table:
        for cells in rows:
            row = table.row()
            for cell in cells:
                row.cell(cell)


def make_code_docx(path: Path) -> Path:
    """A DOCX with a paragraph, a code block in Courier New (two paragraphs) and a table."""
    import docx

    document = docx.Document()
    document.add_paragraph("To start the pump, run:")
    for line in ("pump --start --rate 5", "pump --status"):
        run = document.add_paragraph().add_run(line)
        run.font.name = "Courier New"
    rows = [("Instrument", "Last calibrated"), ("Mass spectrometer", "2024-01-10"),
            ("Confocal microscope", "2024-03-12")]
    table = document.add_table(rows=len(rows), cols=2)
    for r, cells in enumerate(rows):
        for c, cell in enumerate(cells):
            table.cell(r, c).text = cell
    document.save(str(path))
    return path


API_PAGE = """<!DOCTYPE html><html><head><title>itertools — Functions creating iterators</title></head><body>
<div role="main">
<h1>itertools — Functions creating iterators</h1>
<p>This module implements a number of iterator building blocks.</p>
<dl class="py function">
<dt class="sig sig-object py" id="itertools.pairwise"><span class="sig-prename">itertools.</span>\
<span class="sig-name">pairwise</span>(<em>iterable</em>)<a class="headerlink" href="#itertools.pairwise">¶</a></dt>
<dd><p>Return successive overlapping pairs taken from the input iterable.</p>
<p>The number of 2-tuples in the output iterator will be one fewer than the number of inputs.</p>
<p>Roughly equivalent to:</p>
<div class="highlight"><pre><span>def</span> pairwise(iterable):
    a, b = tee(iterable)
    next(b, None)
    return zip(a, b)</pre></div>
<div class="versionadded"><p><span class="versionmodified added">New in version 3.10.</span></p></div>
</dd></dl>
<dl class="py function">
<dt class="sig sig-object py" id="itertools.accumulate"><span class="sig-prename">itertools.</span>\
<span class="sig-name">accumulate</span>(<em>iterable</em>)</dt>
<dd><p>Make an iterator that returns accumulated sums of the input numbers.</p></dd></dl>
<table class="docutils"><thead><tr><th><p>Directive</p></th><th><p>Meaning</p></th></tr></thead>
<tbody><tr><td><p>%j</p></td><td><p>Day of the year as a decimal number.</p></td></tr>
<tr><td><p>%U</p></td><td><p>Week number of the year.</p></td></tr></tbody></table>
</div></body></html>"""
"""A Sphinx-style API reference page: definitions with signatures, a code block, a version note, a table."""
