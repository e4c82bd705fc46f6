"""Loaders for the file formats corpus-qa reads, behind one interface, chosen by file type.

A loader turns a file into an `Extracted`: the text that is stored in the index and quoted, plus what
the format knows about it (title, date, pages, sections). Plain text formats keep the file's text exactly,
so their citations can be checked against the file itself; the other formats are extracted once, at
index time, and their citations are checked against the stored text (`qa text SOURCE`).

The format is chosen by the file's suffix, except where the content says otherwise: a `.pdf` that is
really HTML, a `.txt` that is really a PDF, or a file without a suffix are sniffed from their first bytes.
Every loader raises `LoadError` with a one-line reason for a file it cannot read; nothing else escapes.
Heavy parsers (pypdfium2, selectolax, python-docx) are imported inside the loader that needs them; the
newer zip formats (ODT, PPTX, XLSX) are read with zipfile and ElementTree only, through safezip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from index.types import Anchor, Page, Section, Unit


class LoadError(ValueError):
    """A file cannot be indexed; the message is the one-line reason shown to the user."""


@dataclass(frozen=True)
class Extracted:
    """What a loader got out of a file."""

    text: str
    """The text to index and quote."""
    format: str
    """txt, md, rst, pdf, html, docx, epub, odt, pptx, xlsx, csv, tsv or ipynb."""
    title: str | None = None
    """From the format's metadata or first heading; None to fall back on the first line / file name."""
    date: str | None = None
    """ISO date (YYYY-MM-DD) from the format's metadata, if any."""
    pages: tuple[Page, ...] = ()
    """Page spans of paged formats."""
    sections: tuple[Section, ...] = ()
    """Heading-delimited sections, where the format marks headings."""
    units: tuple[Unit, ...] = ()
    """Structural units (definitions, code blocks, table rows), ordered by start."""
    anchors: tuple[Anchor, ...] = ()
    """Places a viewer can open or a person can count to (element ids, paragraph and row numbers), by start."""
    encoding: str | None = None
    """The detected encoding of text that was not UTF-8, else None."""
    warnings: tuple[str, ...] = ()
    """What the user should know about a file that was read (scanned pages left unread)."""


@dataclass(frozen=True)
class Loader:
    """One file format: how to recognise it and how to read it."""

    format: str
    """Short name, as in citations (`pdf`)."""
    suffixes: tuple[str, ...]
    """Lower-case suffixes that declare the format."""
    max_bytes: int
    """Larger files are skipped rather than read."""
    load: Callable[[BinaryIO], Extracted]
    """Reads the file, given as a binary file open for reading (never a path: index/reading/load.py opens each file
    once and checks what it opened); raises LoadError."""


MB = 1024 * 1024


def _text(fmt: str) -> Callable[[BinaryIO], Extracted]:
    def load(source: BinaryIO) -> Extracted:
        from index.reading.formats.text import load_text

        return load_text(source, fmt)

    return load


def _pdf(source: BinaryIO) -> Extracted:
    from index.reading.formats.pdf import load_pdf

    return load_pdf(source)


def _html(source: BinaryIO) -> Extracted:
    from index.reading.formats.html import load_html

    return load_html(source)


def _docx(source: BinaryIO) -> Extracted:
    from index.reading.formats.docx import load_docx

    return load_docx(source)


def _epub(source: BinaryIO) -> Extracted:
    from index.reading.formats.epub import load_epub

    return load_epub(source)


def _odt(source: BinaryIO) -> Extracted:
    from index.reading.formats.odt import load_odt

    return load_odt(source)


def _pptx(source: BinaryIO) -> Extracted:
    from index.reading.formats.pptx import load_pptx

    return load_pptx(source)


def _xlsx(source: BinaryIO) -> Extracted:
    from index.reading.formats.sheets import load_xlsx

    return load_xlsx(source)


def _delimited(fmt: str) -> Callable[[BinaryIO], Extracted]:
    def load(source: BinaryIO) -> Extracted:
        from index.reading.formats.sheets import load_delimited

        return load_delimited(source, fmt)

    return load


def _ipynb(source: BinaryIO) -> Extracted:
    from index.reading.formats.notebook import load_notebook

    return load_notebook(source)


LOADERS: dict[str, Loader] = {
    loader.format: loader
    for loader in (
        Loader("txt", (".txt", ".text"), 50 * MB, _text("txt")),
        Loader("md", (".md", ".markdown"), 50 * MB, _text("md")),
        Loader("rst", (".rst",), 50 * MB, _text("rst")),
        Loader("pdf", (".pdf",), 1024 * MB, _pdf),
        Loader("html", (".html", ".htm", ".xhtml"), 50 * MB, _html),
        Loader("docx", (".docx",), 200 * MB, _docx),
        Loader("epub", (".epub",), 200 * MB, _epub),
        Loader("odt", (".odt",), 200 * MB, _odt),
        Loader("pptx", (".pptx",), 200 * MB, _pptx),
        Loader("xlsx", (".xlsx", ".xlsm"), 200 * MB, _xlsx),
        Loader("csv", (".csv",), 50 * MB, _delimited("csv")),
        Loader("tsv", (".tsv", ".tab"), 50 * MB, _delimited("tsv")),
        Loader("ipynb", (".ipynb",), 50 * MB, _ipynb),
    )
}
"""Format name -> loader."""

SUFFIXES: dict[str, str] = {suffix: loader.format for loader in LOADERS.values() for suffix in loader.suffixes}
"""Suffix -> format name. Files with other suffixes are not indexed."""

FORMATS_READ = ", ".join(SUFFIXES)
"""The suffixes read, for messages (`.txt, .text, .md, ...`)."""

CONTAINERS = ("pdf", "docx", "epub", "odt", "pptx", "xlsx")
"""Binary formats: a file whose suffix names one of them must hold it, or it is skipped with the reason."""

SNIFF_BYTES = 2048


def declared_format(name: str) -> str | None:
    """The format a file name claims (by suffix); '' for a name without a suffix; None for any other."""
    suffix = Path(name).suffix.lower()
    if not suffix or suffix == "." or not Path(name).stem:
        return ""
    return SUFFIXES.get(suffix)


def sniff(head: bytes, source: BinaryIO) -> str | None:
    """The format the content itself shows, when it shows one clearly (PDF, DOCX, EPUB, ODT, PPTX, XLSX,
    HTML), else None. `source`: the open file, for a zip container's listing."""
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        import zipfile

        try:
            source.seek(0)
            with zipfile.ZipFile(source) as zf:
                names = set(zf.namelist()[:10_000])
                mimetype = b""
                if "mimetype" in names and zf.getinfo("mimetype").file_size < 200:
                    mimetype = zf.read("mimetype")
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
            return None
        if "word/document.xml" in names:
            return "docx"
        if "ppt/presentation.xml" in names:
            return "pptx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "content.xml" in names and mimetype.strip() == b"application/vnd.oasis.opendocument.text":
            return "odt"
        if "META-INF/container.xml" in names:
            return "epub"
        return None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16/32 text: read by its suffix's loader (text decodes the BOM)
    lead = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lead.startswith((b"<!doctype html", b"<html")) or (lead.startswith(b"<") and b"<body" in head.lower()):
        return "html"
    return None


def choose_format(name: str, head: bytes, source: BinaryIO) -> str:
    """The format to read a file with: its content's where that is clear and differs from its suffix, else its
    suffix's; a file without a suffix is read as text when it is no other format. Raises LoadError when the
    suffix promises a binary format the content does not hold. `name`: the file's name or path; `head`: its
    first bytes; `source`: the open file."""
    declared = declared_format(Path(name).name)
    found = sniff(head, source)
    if found is not None and (found != "html" or declared in ("", *CONTAINERS)):
        return found
    if declared in CONTAINERS:
        article = "an" if declared.upper()[0] in "AEFHILMNORSX" else "a"  # as said: an XLSX, an ODT, a PDF
        raise LoadError(f"not {article} {declared.upper()} file, whatever its name says ({_describe(head)})")
    return declared or "txt"


def _describe(head: bytes) -> str:
    if not head:
        return "it is empty"
    if b"\x00" in head[:512]:
        return "it holds binary data of an unknown kind"
    return "it starts with " + repr(head[:12].decode("latin-1"))
