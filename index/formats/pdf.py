"""PDF: text page by page with pypdfium2, repaired so it reads like the printed page and cites its page.

pypdfium2 (PDFium's bindings; Apache/BSD licence) extracts text about an order of magnitude faster than
pure-Python parsers (bench/extract_speed.py). One page is loaded at a time and closed after use, so a
2,000-page manual is read with bounded memory.

What extraction breaks and how it is repaired, before any offset is taken (offsets index the result):
- words hyphenated across a line end: PDFium marks the soft hyphen (U+FFFE or U+0002) and already joins
  the two halves; the mark is dropped. A hard "-" at a line end before a lower-case word is joined too;
- ligatures (ﬁ ﬂ ﬀ ﬃ ﬄ) are spelled out; control characters are dropped;
- running headers and footers: a line at the top or bottom of a page that is only a page number or label,
  that starts or ends with the page's own number or label ("Chapter 1: Introduction 7"), or that recurs
  (numbers aside) at the edge of several pages;
- table-of-contents and index lines with dotted leaders ("Vectors . . . . . 8") are dropped;
- lines are reflowed: a line that fills the page width continues on the next line; short lines (headings,
  code, the last line of a paragraph) end a block, so headings never run into the sentence after them.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import BinaryIO

from index.formats import Extracted, LoadError
from index.formats.cleanup import clean
from index.memory import release_freed_memory
from index.types import Page

_BARE_NUMBER = re.compile(r"(?:page\s+)?(?:\d{1,5}|[ivxlcdm]{1,8})(?:\s*(?:of|/)\s*\d{1,5})?|[-–—]\s*\d{1,5}\s*[-–—]",
                          re.I)
_LEADER = re.compile(r"(?:\s?\.){4,}\s*[\dIVXLCDMivxlcdm,\s–-]*$|(?:\s\.){2,}\s+[\dIVXLCDMivxlcdm]+$")
_INDEX_ENTRY = re.compile(r".{1,80}?,? \d{1,5}(?:[,–-] ?\d{1,5})*,?")
_TERMINAL = ".!?:;"
_BULLET = re.compile(r"(?:[•◦▪●‣·*–-]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s")
EDGE_LINES = 2
"""Lines at the top and at the bottom of a page that may be running headers or footers."""


def _key(line: str) -> str:
    """A line with its numbers blanked: running headers differ only in their page numbers."""
    return re.sub(r"\d+", "#", " ".join(line.lower().split()))


def _edge_indexes(lines: list[str]) -> list[int]:
    n = len(lines)
    return sorted(set(range(min(EDGE_LINES, n))) | set(range(max(0, n - EDGE_LINES), n)))


def _is_page_mark(line: str, labels: set[str]) -> bool:
    stripped = line.strip()
    return stripped in labels or bool(_BARE_NUMBER.fullmatch(stripped))


def _carries_page_number(line: str, labels: set[str]) -> bool:
    tokens = line.split()
    return len(tokens) >= 2 and len(line) <= 120 and (tokens[0] in labels or tokens[-1] in labels)


def strip_running_lines(pages: list[list[str]], labels: list[str | None]) -> list[list[str]]:
    """Drop running headers/footers and page numbers from the edges of every page."""
    repeated: Counter[str] = Counter()
    for lines in pages:
        repeated.update({_key(lines[i]) for i in _edge_indexes(lines)})
    threshold = 2 if len(pages) <= 4 else 3
    width = _width(pages)
    out = []
    for number, (lines, label) in enumerate(zip(pages, labels, strict=True), start=1):
        own = {str(number)} | ({label} if label else set())
        drop = set()
        for i in _edge_indexes(lines):
            line = lines[i]
            if _is_page_mark(line, own) or (repeated[_key(line)] >= threshold and len(pages) > 1
                                            and len(line) < 0.8 * width) or (
                    i in (0, len(lines) - 1) and _carries_page_number(line, own)):
                drop.add(i)
        out.append([line for i, line in enumerate(lines) if i not in drop])
    return out


def _heading_like(line: str, width: float) -> bool:
    return (len(line) < 0.7 * width and line[-1] not in _TERMINAL and len(line.split()) <= 12
            and (line[0].isupper() or line[0].isdigit()))


def _continues(line: str) -> bool:
    """Whether a line carries on the sentence of the line before it."""
    return line[0].islower() and not _BULLET.match(line) or line[0] in ".,;:)]}"


def reflow(lines: list[str], width: float) -> str:
    """Join a page's lines into paragraphs: wrapped lines with a space (or nothing, after a hyphen);
    a block ends after a short line and around heading-like lines."""
    parts: list[str] = []
    for i, line in enumerate(lines):
        if i:
            prev = lines[i - 1]
            if prev.endswith("-") and len(prev) > 1 and prev[-2].isalpha() and line[0].islower():
                parts[-1] = parts[-1][:-1]
                sep = ""
            elif _continues(line):
                sep = " "
            elif _heading_like(line, width) or _heading_like(prev, width) or len(prev) < 0.7 * width:
                sep = "\n\n"
            else:
                sep = " "
            parts.append(sep)
        parts.append(line)
    return "".join(parts)


def _lines(raw: str) -> list[str]:
    """A page's non-empty lines, cleaned, without contents/index lines (dotted leaders). On a page made
    mostly of such lines, the letter headings between them ("A", "B") go too."""
    text = clean(raw.replace("\r\n", "\n").replace("\r", ""))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    lines = [line for line in lines if line]
    kept = [line for line in lines if not _LEADER.search(line)]
    if len(kept) < 0.7 * len(lines):
        kept = [line for line in kept if len(line) > 3]
    entries = [line for line in kept if _INDEX_ENTRY.fullmatch(line)]
    if len(entries) > 0.5 * len(kept):  # a back-of-book index without leaders: "symbols, 1070"
        kept = [line for line in kept if not _INDEX_ENTRY.fullmatch(line)]
    return kept


def _width(pages: list[list[str]]) -> float:
    lengths = sorted(len(line) for lines in pages for line in lines if len(line) > 20)
    return float(lengths[int(0.9 * (len(lengths) - 1))]) if lengths else 80.0


def _pdf_date(value: str | None) -> str | None:
    m = re.match(r"(?:D:)?(\d{4})(\d{2})?(\d{2})?", value or "")
    if not m or not m.group(2):
        return None
    year, month, day = m.group(1), m.group(2), m.group(3) or "01"
    if not ("01" <= month <= "12" and "01" <= day <= "31" and year >= "1900"):
        return None
    return f"{year}-{month}-{day}"


def _meta_title(value: str | None) -> str | None:
    title = " ".join((value or "").split())
    title = re.sub(r"^Microsoft (?:Word|PowerPoint|Excel) - ", "", title)
    if not title or title.lower() in ("untitled", "title") or re.search(r"\.(?:dvi|docx?|tex|pdf|pptx?)$", title, re.I):
        return None
    return title


def read_pages(source: BinaryIO) -> tuple[list[str], list[str | None], dict[str, str]]:
    """Raw text, label of every page, and the document's metadata; one page in memory at a time."""
    import pypdfium2 as pdfium  # ~30 ms

    try:
        pdf = pdfium.PdfDocument(source)  # read through the open file, as PDFium asks for its blocks
    except pdfium.PdfiumError as exc:
        message = str(exc)
        # PDFium's "last error" is per process: a PDF that opens but has no page is reported with the error of
        # the last PDF that failed (an encrypted one's "password" for the next file), or "Success".
        if "password" in message.lower() and _declares_encryption(source):
            raise LoadError("encrypted PDF: it needs a password to open") from None
        if "password" in message.lower() or "Success" in message:
            raise LoadError("damaged PDF: it has no pages") from None
        raise LoadError(f"damaged or truncated PDF ({message.rstrip('.')})") from None
    try:
        texts: list[str] = []
        labels: list[str | None] = []
        for i in range(len(pdf)):
            try:
                page = pdf[i]
                textpage = page.get_textpage()
                texts.append(textpage.get_text_range())
                textpage.close()
                page.close()
            except pdfium.PdfiumError:
                texts.append("")  # one unreadable page does not lose the rest
            labels.append(pdf.get_page_label(i) or None)
        try:
            meta = pdf.get_metadata_dict()
        except pdfium.PdfiumError:
            meta = {}
    finally:
        pdf.close()
        release_freed_memory()  # PDFium's parsed document, freed in many pieces
    return texts, labels, meta


def _declares_encryption(source: BinaryIO) -> bool:
    """Whether the file names an /Encrypt dictionary (in its trailer or cross-reference stream)."""
    source.seek(0)
    tail = b""
    while block := source.read(1 << 20):
        if b"/Encrypt" in tail + block:
            return True
        tail = block[-16:]
    return False


def load_pdf(source: BinaryIO) -> Extracted:
    raw_pages, labels, meta = read_pages(source)
    if not raw_pages:
        raise LoadError("damaged PDF: it has no pages")
    pages = strip_running_lines([_lines(raw) for raw in raw_pages], labels)
    if not any(any(ch.isalnum() for ch in line) for lines in pages for line in lines):
        raise LoadError("no text layer: scanned? OCR is not supported")
    width = _width(pages)
    parts: list[str] = []
    spans: list[Page] = []
    at = 0
    last = ""  # the text so far ends with this page body
    for number, (lines, label) in enumerate(zip(pages, labels, strict=True), start=1):
        body = reflow(lines, width) if lines else ""
        if last and body:
            # A sentence running over the page break is joined; anything else starts a new block.
            sep = " " if _continues(body) and last[-1] not in _TERMINAL else "\n\n"
            parts.append(sep)
            at += len(sep)
        spans.append(Page(number, at, at + len(body), label))
        parts.append(body)
        at += len(body)
        last = body or last
    return Extracted("".join(parts), "pdf", title=_meta_title(meta.get("Title")),
                     date=_pdf_date(meta.get("CreationDate")), pages=tuple(spans))
