"""EPUB: the chapters of the spine, in reading order, each read through the HTML path; a chapter is a page.

Read with zipfile and ElementTree only (no AGPL libraries): META-INF/container.xml names the package
document, whose manifest and spine give the chapters in order. Each chapter's text is rendered like an
HTML page; chapters are joined with a blank line, and chapter n is reported as page n. The title and
date come from the package's Dublin Core metadata. The container is checked first (safezip); a chapter the
spine lists again is read once (its later entries are empty chapters), and what is rendered counts against
the same budget.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from typing import BinaryIO
from urllib.parse import unquote

from index.reading.formats import Extracted, LoadError
from index.reading.formats.safezip import MAX_TOTAL, check_container, read_member
from index.types import Page, Section, Unit

_NS = {"c": "urn:oasis:names:tc:opendocument:xmlns:container", "opf": "http://www.idpf.org/2007/opf",
       "dc": "http://purl.org/dc/elements/1.1/"}
HTML_TYPES = ("application/xhtml+xml", "text/html", "application/xml")


def _xml(data: bytes, what: str) -> ET.Element:
    try:
        return ET.fromstring(data)  # expat refuses entity-expansion bombs (Python >= 3.7.1, expat >= 2.4)
    except ET.ParseError as exc:
        raise LoadError(f"damaged EPUB ({what}: {exc})") from None


def _spine(zf: zipfile.ZipFile) -> tuple[list[str], str | None, str | None]:
    container = _xml(read_member(zf, "META-INF/container.xml", "EPUB"), "container.xml")
    rootfile = container.find(".//c:rootfile", _NS)
    if rootfile is None or not rootfile.get("full-path"):
        raise LoadError("damaged EPUB (container.xml names no package document)")
    opf_path = rootfile.get("full-path", "")
    opf = _xml(read_member(zf, opf_path, "EPUB"), opf_path)
    base = posixpath.dirname(opf_path)
    manifest = {
        item.get("id"): (posixpath.normpath(posixpath.join(base, unquote(item.get("href", "")))),
                         item.get("media-type", ""))
        for item in opf.iterfind(".//opf:manifest/opf:item", _NS)
    }
    chapters = []
    for ref in opf.iterfind(".//opf:spine/opf:itemref", _NS):
        href, media = manifest.get(ref.get("idref"), ("", ""))
        if href and media in HTML_TYPES:
            chapters.append(href)
    title_node = opf.find(".//dc:title", _NS)
    date_node = opf.find(".//dc:date", _NS)
    title = " ".join((title_node.text or "").split()) if title_node is not None else None
    date = None
    if date_node is not None and date_node.text:
        m = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", date_node.text)
        date = "-".join(m.groups()) if m else None
    return chapters, title or None, date


def load_epub(source: BinaryIO) -> Extracted:
    from index.reading.formats.html import check_depth, decode_html, parse, render

    check_container(source, "EPUB")
    source.seek(0)
    with zipfile.ZipFile(source) as zf:
        chapters, title, date = _spine(zf)
        if not chapters:
            raise LoadError("damaged EPUB (its spine lists no chapters)")
        parts: list[str] = []
        pages: list[Page] = []
        sections: list[Section] = []
        units: list[Unit] = []
        at = 0
        first_heading = None
        budget = MAX_TOTAL  # what the spine makes us read and render
        seen: set[str] = set()
        for number, name in enumerate(chapters, start=1):
            try:
                # A chapter listed again (one 1 MB chapter listed 400 times made 400 MB of text) is read once.
                raw = read_member(zf, name, "EPUB") if name not in seen else b""
            except LoadError:
                raw = b""  # a spine entry pointing nowhere: an empty chapter, not a lost book
            seen.add(name)
            budget -= len(raw)
            if budget < 0:
                raise LoadError(f"EPUB chapters add up to over {MAX_TOTAL // (1024 * 1024)} MB: refused")
            if raw:
                check_depth(raw)
            text, heads, h1, found = render(parse(decode_html(raw))) if raw else ("", [], None, [])
            first_heading = first_heading or h1 or (heads[0].title if heads else None)
            if text and parts:
                parts.append("\n\n")
                at += 2
            pages.append(Page(number, at, at + len(text), None))
            sections.extend(Section(s.title, s.level, s.start + at, s.end + at) for s in heads)
            base = len(units)
            units.extend(Unit(u.kind, u.start + at, u.end + at, u.parent + base if u.parent >= 0 else -1)
                         for u in found)
            parts.append(text)
            at += len(text)
    return Extracted("".join(parts), "epub", title=title or first_heading, date=date, pages=tuple(pages),
                     sections=tuple(sections), units=tuple(units))
