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
  code, the last line of a paragraph) end a block, so headings never run into the sentence after them;
- footnote marks set as small superscript digits ("automatically59 create") are dropped.

Pages without a text layer that show an image (scans) are read by OCR when the extra is installed
(index/reading/ocr.py), each marked as such (`Page.ocr`); without it, a PDF made only of such pages is
skipped with the command that installs it, and one that has some says which pages it left unread.

The layout is read too, from each line's font and position (a few characters sampled per line):
- code: lines in a fixed-pitch font (or indented under a line ending in ":" or ",", mostly fixed-pitch),
  kept verbatim with their line breaks and indentation, one `code` unit per block;
- definition lists (texinfo's tables, R's item lists): a short fixed-pitch or bold line followed by lines
  indented under it is a `term` with its `definition`;
- headings: short lines in a larger font become sections; footnotes (a smaller font at the foot of the
  page) are kept apart from the sentence above them.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import replace
from typing import Any, BinaryIO

from index.memory import release_freed_memory
from index.reading.formats import Extracted, LoadError
from index.reading.formats.cleanup import clean
from index.reading.formats.pdf_layout import Laid, Line, continues, layout
from index.reading.ocr import INSTALL_HINT
from index.reading.ocr import available as ocr_available
from index.reading.progress import report as report_pages
from index.types import Page, Unit, sections_of

_BARE_NUMBER = re.compile(r"(?:page\s+)?(?:\d{1,5}|[ivxlcdm]{1,8})(?:\s*(?:of|/)\s*\d{1,5})?|[-–—]\s*\d{1,5}\s*[-–—]",
                          re.I)
_LEADER = re.compile(r"(?:\s?\.){4,}\s*[\dIVXLCDMivxlcdm,\s–-]*$|(?:\s\.){2,}\s+[\dIVXLCDMivxlcdm]+$")
_INDEX_ENTRY = re.compile(r".{1,80}?,? \d{1,5}(?:[,–-] ?\d{1,5})*,?")
_TERMINAL = ".!?:;"
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


def strip_running_lines(pages: list[list[Line]], labels: list[str | None]) -> list[list[Line]]:
    """Drop running headers/footers and page numbers from the edges of every page."""
    texts = [[ln.text for ln in page] for page in pages]
    repeated: Counter[str] = Counter()
    for lines in texts:
        repeated.update({_key(lines[i]) for i in _edge_indexes(lines)})
    threshold = 2 if len(pages) <= 4 else 3
    width = _width(texts)
    out = []
    for number, (lines, label, page) in enumerate(zip(texts, labels, pages, strict=True), start=1):
        own = {str(number)} | ({label} if label else set())
        drop = set()
        for i in _edge_indexes(lines):
            line = lines[i]
            if _is_page_mark(line, own) or (repeated[_key(line)] >= threshold and len(pages) > 1
                                            and len(line) < 0.8 * width) or (
                    i in (0, len(lines) - 1) and _carries_page_number(line, own)):
                drop.add(i)
        out.append([line for i, line in enumerate(page) if i not in drop])
    return out


COLUMN_GAP = 1.2
"""A gap wider than this many font sizes between two runs of text on a line separates table cells (a word
space is about a third of one)."""


def _cells(handle, text: str, at: int, size: float) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """The cells of a line, from the rectangles PDFium groups its characters into: a gap wider than
    COLUMN_GAP font sizes between two of them is a cell boundary. ((), ()) for a line without one."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    n = pdfium_c.FPDFText_CountRects(handle, at, len(text))
    if n < 2 or not size:
        return (), ()
    left, top, right, bottom = (ctypes.c_double() for _ in range(4))
    rects = []
    for i in range(n):
        pdfium_c.FPDFText_GetRect(handle, i, ctypes.byref(left), ctypes.byref(top), ctypes.byref(right),
                                  ctypes.byref(bottom))
        rects.append((left.value, right.value, (top.value + bottom.value) / 2))
    rects.sort()
    starts = [rects[0][0]]
    cuts = []
    for (_l1, r1, _y1), (l2, _r2, y2) in zip(rects, rects[1:], strict=False):
        if l2 - r1 > COLUMN_GAP * size:
            index = pdfium_c.FPDFText_GetCharIndexAtPos(handle, l2 + 0.5, y2, size / 2, size / 2)
            if at < index < at + len(text):
                starts.append(l2)
                cuts.append(index - at)
    if not cuts:
        return (), ()
    bounds = [0, *cuts, len(text)]
    cells = tuple(text[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False))
    if not all(cells):
        return (), ()
    return tuple(round(x, 1) for x in starts), cells


_MONO_FONT = re.compile(r"mono|courier|typewriter|consol|menlo|inconsolata|code|cmtt|sfmtt|cmsltt|lmmono|"
                        r"(?:^|[^a-z])tt\d|fixed", re.I)
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|cmbx|sfbx|\bbx\d", re.I)


@functools.lru_cache(maxsize=1024)
def _font_kind(font: bytes) -> tuple[bool, bool]:
    """Whether a font's name says monospaced, and bold. A document has a few dozen fonts and refman.pdf's
    2,415 pages ask 1.4 million times: the two searches were a third of its reading time (4.5 of 13 s)."""
    name = font.decode("latin-1", "replace")
    return bool(_MONO_FONT.search(name)), bool(_BOLD_FONT.search(name))
_SUPERSCRIPT = re.compile(r"(?<=[A-Za-z)\].,;:’”'])\d{1,3}(?=[\s,.;:)]|$)")
_NUMBER_TOKEN = re.compile(r"(?<![\w.])\d+(?:[-−]\d{1,3})?(?![\d,]|\.\d)")
"""A number standing alone (not "m4", not a decimal's digits), whose last digits may be set small: an exponent
("2" and "53" of 2^53) or a footnote's number ("gcc 10" and its footnote 107)."""


def _footnote_numbers(handle: Any, raw: str) -> set[str]:
    """The numbers that start a page's footnotes: lines opening on a number ("107 https://...") set smaller
    than most lines of the page (a line of the body that opens on a number, "64 bits are...", is not one)."""
    import pypdfium2.raw as pdfium_c

    starts = [(m.group(1), m.start(1)) for m in re.finditer(r"(?m)^[ \t]*(\d{1,3})[ \t]+[A-Za-z(“\"]", raw)]
    if not starts:
        return set()
    firsts = [m.end() - 1 for m in re.finditer(r"(?m)^[ \t]*\S", raw)]
    sizes = sorted(pdfium_c.FPDFText_GetFontSize(handle, i) for i in firsts[:: max(1, len(firsts) // 40)])
    body = sizes[len(sizes) // 2]
    return {number for number, at in starts if pdfium_c.FPDFText_GetFontSize(handle, at) < 0.9 * body}


def _small_tail(handle: Any, at: int, token: re.Match[str], size: float) -> tuple[int, int]:
    """Where the small digits at the end of a number token start (line offsets), and its end; -1 if none."""
    import pypdfium2.raw as pdfium_c

    start, end = token.span()
    if end - start < 2 or pdfium_c.FPDFText_GetFontSize(handle, at + end - 1) >= 0.8 * size:
        return -1, end
    for i in range(max(start + 1, end - 3), end):
        if pdfium_c.FPDFText_GetFontSize(handle, at + i) < 0.8 * size:
            return i, end
    return -1, end


def _raised(handle: Any, i: int, size: float) -> bool:
    """Whether the character at `i` (set small) sits above the one before it, as an exponent does ("flintmax
    is 2^53", printed with 53 raised, reads "253" otherwise)."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    x, y, y0 = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(handle, i, ctypes.byref(x), ctypes.byref(y))
    pdfium_c.FPDFText_GetCharOrigin(handle, i - 1, ctypes.byref(x), ctypes.byref(y0))
    return y.value > y0.value + 0.15 * size


SAMPLES = 16
"""Characters sampled per line for its font: enough to tell code from prose, cheap on a 2,000-page PDF."""


def _page_lines(textpage, raw: str) -> list[Line]:
    """The page's lines with their font and position. PDFium's text has one character per text-page
    character, so a line's characters can be asked for their font; where it has not (characters outside
    the Basic Multilingual Plane), the lines come without layout."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    if len(raw) != textpage.count_chars():
        return [Line(m.group(1)) for m in re.finditer(r"([^\r\n]*)(?:\r\n|\r|\n|$)", raw) if m.group(1)]
    handle = textpage.raw
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    x, y = ctypes.c_double(), ctypes.c_double()
    lines = []
    notes = _footnote_numbers(handle, raw)
    for m in re.finditer(r"([^\r\n]*)(?:\r\n|\r|\n|$)", raw):
        text, at = m.group(1), m.start(1)
        chars = [at + i for i, ch in enumerate(text) if not ch.isspace()]
        if not chars:
            continue
        step = max(1, len(chars) // SAMPLES)
        sampled = chars[::step][:SAMPLES]
        mono = bold = 0
        sizes = []
        head_mono = False  # whether its first character (the first sampled) is fixed-pitch
        for i in sampled:
            pdfium_c.FPDFText_GetFontInfo(handle, i, name, 128, ctypes.byref(flags))
            mono_name, bold_name = _font_kind(name.value)
            fixed = bool(flags.value & 1) or mono_name
            head_mono = head_mono or (fixed and i == chars[0])
            mono += fixed
            bold += bool(flags.value & (1 << 18)) or bold_name
            sizes.append(pdfium_c.FPDFText_GetFontSize(handle, i))
        pdfium_c.FPDFText_GetCharOrigin(handle, chars[0], ctypes.byref(x), ctypes.byref(y))
        left = x.value
        rest_x = None
        gap = re.compile(r"\s+(?=\S)").search(text, chars[0] - at)
        if gap is not None:  # where its second word starts: a definition's description may start there
            pdfium_c.FPDFText_GetCharOrigin(handle, at + gap.end(), ctypes.byref(x), ctypes.byref(y))
            rest_x = round(x.value, 1)
        size = sorted(sizes)[len(sizes) // 2]
        marks = [mk for mk in _SUPERSCRIPT.finditer(text)
                 if pdfium_c.FPDFText_GetFontSize(handle, at + mk.start()) < 0.8 * size]
        taken = [mk.span() for mk in marks]
        small = [(i, end) for i, end in (_small_tail(handle, at, mk, size) for mk in _NUMBER_TOKEN.finditer(text))
                 if i >= 0 and not any(a < end and i < b for a, b in taken)]
        cuts = [(i, end, "") for i, end in small if text[i:end] in notes]  # "gcc 10" and its footnote 107
        powers = [(i, i, "^") for i, end in small if text[i:end] not in notes and _raised(handle, at + i, size)]
        edits = sorted([(mk.start(), mk.end(), "") for mk in marks] + cuts + powers, reverse=True)
        for start, end, put in edits:
            text = text[:start] + put + text[end:]
        columns, cells = _cells(handle, text, at, size) if not edits else ((), ())
        lines.append(Line(text, round(left, 1), round(size, 1), mono / len(sampled), bold == len(sampled),
                          columns, cells, head_mono, rest_x))
    return lines


_SOFT_HYPHEN = re.compile(r"(\S+)[\ufffe\x02]")


def _option_hyphens(text: str) -> str:
    """PDFium's soft-hyphen marks (a word broken at a line's end) made the hyphen they replaced where the word
    is an option or a name in code ("--skip-" before "patches": `--skip-patches`, not `--skippatches`); the
    other marks are dropped with the control characters (`clean`), joining the word's halves."""
    def mark(m: re.Match[str]) -> str:
        word = m.group(1).lstrip("([{\"'`‘“")  # "(--skip-" and "`--no-" are options too
        return m.group(1) + ("-" if word.startswith("-") or any(c in word for c in "/_=") else "\ufffe")

    return _SOFT_HYPHEN.sub(mark, text)


def _lines(page: list[Line]) -> list[Line]:
    """A page's non-empty lines, cleaned, without contents/index lines (dotted leaders). On a page made
    mostly of such lines, the letter headings between them ("A", "B") go too."""
    lines = [replace(ln, text=" ".join(clean(_option_hyphens(ln.text)).split()),
                     cells=tuple(" ".join(clean(c).split()) for c in ln.cells)) for ln in page]
    lines = [ln for ln in lines if ln.text]
    kept = [ln for ln in lines if not _LEADER.search(ln.text)]
    if len(kept) < 0.7 * len(lines):
        kept = [ln for ln in kept if len(ln.text) > 3]
    entries = [ln for ln in kept if _INDEX_ENTRY.fullmatch(ln.text)]
    if len(entries) > 0.5 * len(kept):  # a back-of-book index without leaders: "symbols, 1070"
        kept = [ln for ln in kept if not _INDEX_ENTRY.fullmatch(ln.text)]
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


def read_pages(source: BinaryIO) -> tuple[list[list[Line]], list[str | None], dict[str, str], list[int], list[int]]:
    """The lines of every page (with their layout), label of every page, the document's metadata, the pages
    whose lines were recognised by OCR, and the scanned pages left unread (no OCR installed); one page in
    memory at a time (a scanned page's image until a worker has read it)."""
    import pypdfium2 as pdfium  # ~30 ms

    pdf, held = _open(source)
    try:
        texts: list[list[Line]] = []
        labels: list[str | None] = []
        scanned: list[int] = []
        for i in range(len(pdf)):
            try:
                page = pdf[i]
                textpage = page.get_textpage()
                texts.append(_page_lines(textpage, textpage.get_text_range()))
                textpage.close()
                if not any(any(ch.isalnum() for ch in ln.text) for ln in texts[-1]) and _has_image(page):
                    scanned.append(i)
                page.close()
            except pdfium.PdfiumError:
                texts.append([])  # one unreadable page does not lose the rest
            labels.append(pdf.get_page_label(i) or None)
            report_pages(i + 1, len(pdf))
        try:
            meta = pdf.get_metadata_dict()
        except pdfium.PdfiumError:
            meta = {}
        recognised = _ocr(pdf, scanned) if scanned and ocr_available() else {}
        for i, lines in recognised.items():
            texts[i] = lines
    finally:
        pdf.close()
        del held  # the block reader PDFium called back into, kept alive until the document is closed
        release_freed_memory()  # PDFium's parsed document, freed in many pieces
    return texts, labels, meta, sorted(recognised), [i for i in scanned if i not in recognised]


def _has_image(page) -> bool:
    """Whether a page shows an image (a scan), rather than being blank or all vector shapes."""
    import pypdfium2.raw as pdfium_c

    return any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=4))


def _ocr(pdf, pages: list[int]) -> dict[int, list[Line]]:
    """The lines of the scanned pages, recognised by the OCR workers (index/reading/ocr.py)."""
    from index.reading.ocr import SCALE, ocr_pages

    def render(i: int):
        page = pdf[i]
        try:
            return page.render(scale=SCALE, grayscale=True).to_numpy()
        finally:
            page.close()

    try:
        return ocr_pages(render, pages)
    except LoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - a worker that died, a page that would not render
        raise LoadError(f"OCR failed ({exc.__class__.__name__}: {str(exc)[:120]})") from None


def _open(source: BinaryIO) -> tuple[Any, tuple[Any, ...]]:
    """The document (read through the open file, as PDFium asks for its blocks) and what must stay alive
    while it is open, or the LoadError saying why it cannot be read.

    Opened with PDFium's own call rather than pypdfium2's PdfDocument(source): that one raises for a document
    that opens but has no page too, with FPDF_GetLastError's message, and PDFium's last error is per process
    and never cleared by a success, so such a document was named after whichever PDF failed before it (an
    encrypted one's "password", another's "data format error"). Here the error is read only right after an
    open that failed, and a document that opened is told apart by its handle."""
    import pypdfium2 as pdfium
    import pypdfium2.internal as pdfium_i
    import pypdfium2.raw as pdfium_c

    reader, held = pdfium_i.get_bufreader(source)
    raw = pdfium_c.FPDF_LoadCustomDocument(reader, None)
    if not raw:
        error = pdfium_c.FPDF_GetLastError()
        if error == pdfium_c.FPDF_ERR_PASSWORD:
            raise LoadError("encrypted PDF: it needs a password to open")
        reason = pdfium_i.ErrorToStr.get(error, f"error {error}")
        raise LoadError(f"damaged or truncated PDF (PDFium: {reason})")
    if pdfium_c.FPDF_GetPageCount(raw) < 1:
        pdfium_c.FPDF_CloseDocument(raw)
        raise LoadError("damaged PDF: it has no pages")
    return pdfium.PdfDocument(raw), (reader, *held)


NO_OCR = f"no text layer (a scanned PDF?): install OCR to read it ({INSTALL_HINT})"


def load_pdf(source: BinaryIO) -> Extracted:
    raw_pages, labels, meta, recognised, unread = read_pages(source)
    if not raw_pages:
        raise LoadError("damaged PDF: it has no pages")
    pages = strip_running_lines([_lines(page) for page in raw_pages], labels)
    if not any(any(ch.isalnum() for ch in ln.text) for lines in pages for ln in lines):
        raise LoadError(NO_OCR if unread else "no text found in this PDF (no text layer, and no scanned page)")
    warnings: tuple[str, ...] = ()
    if unread:
        warnings = (f"{len(unread)} scanned page{'s' if len(unread) > 1 else ''} without a text layer left "
                    f"unread (p. {', '.join(str(i + 1) for i in unread[:10])}{', ...' if len(unread) > 10 else ''}):"
                    f" install OCR to read {'them' if len(unread) > 1 else 'it'} ({INSTALL_HINT})",)
    ocr = set(recognised)
    width = _width([[ln.text for ln in lines] for lines in pages])
    sizes = Counter(ln.size for lines in pages for ln in lines if ln.size)
    body_size = sizes.most_common(1)[0][0] if sizes else 0.0
    parts: list[str] = []
    spans: list[Page] = []
    units: list[Unit] = []
    heads: list[tuple[str, int, int]] = []
    at = 0
    last = ""  # the text so far ends with this page body
    last_kind = "prose"
    for number, (lines, label) in enumerate(zip(pages, labels, strict=True), start=1):
        laid = layout(lines, width, body_size) if lines else Laid("", [], [], "prose", "prose")
        body = laid.text
        if last and body:
            # A sentence running over the page break is joined; anything else starts a new block.
            joins = last_kind == "prose" and laid.first == "prose" and continues(body) and last[-1] not in _TERMINAL
            sep = " " if joins else "\n\n"
            parts.append(sep)
            at += len(sep)
        spans.append(Page(number, at, at + len(body), label, number - 1 in ocr))
        base = len(units)
        units.extend(Unit(u.kind, u.start + at, u.end + at, u.parent + base if u.parent >= 0 else -1)
                     for u in laid.units)
        heads.extend((title, level, start + at) for title, level, start in laid.heads)
        parts.append(body)
        at += len(body)
        if body:
            last, last_kind = body, laid.last
    text = "".join(parts)
    sections = tuple(sections_of(heads, len(text)))
    return Extracted(text, "pdf", title=_meta_title(meta.get("Title")),
                     date=_pdf_date(meta.get("CreationDate")), pages=tuple(spans), sections=sections,
                     units=_in_order(units), warnings=warnings)


def _in_order(units: list[Unit]) -> tuple[Unit, ...]:
    """The units sorted by where they start (outer before inner), each parent index renumbered to where its
    parent went: a definition is laid out after the table or code inside it, and sorting moves it ahead."""
    order = sorted(range(len(units)), key=lambda i: (units[i].start, -units[i].end))
    position = {old: new for new, old in enumerate(order)}
    return tuple(Unit(units[i].kind, units[i].start, units[i].end,
                      position[units[i].parent] if units[i].parent >= 0 else -1) for i in order)
