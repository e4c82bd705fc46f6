"""ODT (OpenDocument text, LibreOffice's format): paragraphs, headings, lists, tables and code in document
order, read from content.xml with zipfile and ElementTree (no extra dependency).

As for DOCX: headings (`text:h`, with their outline level) start sections; list items get a bullet; each
table row is one line, cells joined by ` | `, its first row the header; paragraphs in a code style
("Preformatted Text", "Source Text", ...) are kept line by line as `code` units. Every paragraph (headings
included, table cells not) is numbered in document order, and a quote's citation names its number (`¶12`)
with its heading path. Footnote bodies, tables of contents, frames and forms are left out. The container is
checked first (safezip: size, zip bomb), and XML parts declaring entities are refused.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from typing import BinaryIO

from index.reading.formats import Extracted, LoadError
from index.reading.formats.blocks import TextBuilder, row_text
from index.reading.formats.cleanup import clean
from index.reading.formats.safezip import check_container, parse_xml, read_member

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
DC = "http://purl.org/dc/elements/1.1/"


def _t(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


P, H, SPAN, S, TAB, BREAK, NOTE, LIST, ITEM, HEADER = (
    _t(TEXT, n) for n in ("p", "h", "span", "s", "tab", "line-break", "note", "list", "list-item", "list-header"))
TBL, ROW, CELL, COVERED, HEADER_ROWS, ROWS = (
    _t(TABLE, n) for n in ("table", "table-row", "table-cell", "covered-table-cell", "table-header-rows",
                           "table-rows"))
SKIPPED = {_t(TEXT, n) for n in ("table-of-content", "index-title", "alphabetical-index", "illustration-index",
                                 "bibliography", "sequence-decls", "tracked-changes", "note-body")} | {
    _t(OFFICE, "forms"), "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}frame"}
CONTAINERS = {_t(TEXT, n) for n in ("section", "soft-page-break", "index-body")}
_CODE_STYLE = re.compile(r"code|source|preformatted|verbatim|listing|console|monospace", re.I)


def inline(element: ET.Element) -> str:
    """An element's text as it reads: spans joined, `text:s` as its count of spaces, tabs and line breaks as
    white space, footnotes left out."""
    out: list[str] = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == S:
            out.append(" " * min(1000, int(child.get(_t(TEXT, "c"), "1") or 1)))
        elif tag == TAB:
            out.append("\t")
        elif tag == BREAK:
            out.append("\n")
        elif tag != NOTE and tag not in SKIPPED:
            out.append(inline(child))
        out.append(child.tail or "")
    return "".join(out)


def _code_styles(*roots: ET.Element) -> set[str]:
    """Names of the paragraph styles that are code: named so, or automatic styles derived from one."""
    names: set[str] = set()
    parents: dict[str, str] = {}
    for root in roots:
        for style in root.iter(_t(STYLE, "style")):
            name = style.get(_t(STYLE, "name"), "")
            shown = style.get(_t(STYLE, "display-name"), "")
            if _CODE_STYLE.search(name.replace("_20_", " ")) or _CODE_STYLE.search(shown):
                names.add(name)
            parent = style.get(_t(STYLE, "parent-style-name"))
            if parent:
                parents[name] = parent
    for name, parent in parents.items():
        seen = 0
        while parent not in names and not _CODE_STYLE.search(parent.replace("_20_", " ")) and parent in parents \
                and seen < 50:
            parent, seen = parents[parent], seen + 1
        if parent in names or _CODE_STYLE.search(parent.replace("_20_", " ")):
            names.add(name)
    return names


class _Reader:
    def __init__(self, code_styles: set[str]) -> None:
        self.out = TextBuilder()
        self.code_styles = code_styles
        self.code: list[str] = []

    def flush_code(self) -> None:
        if self.code:
            self.out.code("\n".join(self.code), paragraphs=len(self.code))
            self.code = []

    def body(self, element: ET.Element, bullet: str = "") -> None:
        for child in element:
            tag = child.tag
            if tag in SKIPPED:
                continue
            if tag == P and child.get(_t(TEXT, "style-name"), "") in self.code_styles:
                self.code.append(clean(inline(child)).rstrip())
                continue
            self.flush_code()
            if tag == H:
                level = int(child.get(_t(TEXT, "outline-level"), "1") or 1)
                self.out.paragraph(clean(inline(child)), level=max(1, min(level, 9)), numbered=True)
            elif tag == P:
                self.out.paragraph(bullet + clean(inline(child)) if inline(child).strip() else "", numbered=True)
            elif tag == LIST:
                for item in child:
                    if item.tag in (ITEM, HEADER):
                        self.body(item, bullet="• ")
                        self.flush_code()
            elif tag == TBL:
                self.table(child)
            elif tag in CONTAINERS:
                self.body(child, bullet)
        self.flush_code()

    def table(self, table: ET.Element) -> None:
        rows = []
        for row in table.iter(ROW):
            cells = [" ".join(clean(inline(p)) for p in cell.iter(P)) for cell in row
                     if cell.tag == CELL]
            repeat = int(row.get(_t(TABLE, "number-rows-repeated"), "1") or 1)
            text = row_text(cells)
            if text:
                rows.extend([(text, None)] * min(repeat, 100))
        self.out.table(rows)


def _date(meta: ET.Element | None) -> str | None:
    node = meta.find(f".//{{{META}}}creation-date") if meta is not None else None
    m = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", node.text or "") if node is not None else None
    return "-".join(m.groups()) if m else None


def load_odt(source: BinaryIO) -> Extracted:
    check_container(source, "ODT")
    source.seek(0)
    try:
        with zipfile.ZipFile(source) as zf:
            content = parse_xml(read_member(zf, "content.xml", "ODT"), "ODT", "content.xml")
            names = set(zf.namelist())
            styles = parse_xml(read_member(zf, "styles.xml", "ODT"), "ODT", "styles.xml") \
                if "styles.xml" in names else None
            meta = parse_xml(read_member(zf, "meta.xml", "ODT"), "ODT", "meta.xml") if "meta.xml" in names else None
    except zipfile.BadZipFile as exc:
        raise LoadError(f"damaged ODT ({exc})") from None
    text_root = content.find(f"{{{OFFICE}}}body/{{{OFFICE}}}text")
    if text_root is None:
        raise LoadError("damaged ODT (content.xml holds no text body)")
    reader = _Reader(_code_styles(content, *(r for r in (styles,) if r is not None)))
    try:
        reader.body(text_root)
    except RecursionError:
        raise LoadError("ODT elements nested too deep: not a document this can read") from None
    title_node = meta.find(f".//{{{DC}}}title") if meta is not None else None
    title = " ".join((title_node.text or "").split()) if title_node is not None else ""
    heads = reader.out.heads
    return reader.out.extracted("odt", title=title or (heads[0][0] if heads else None), date=_date(meta))
