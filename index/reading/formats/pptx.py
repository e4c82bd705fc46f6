"""PPTX (PowerPoint): the slides in presentation order, each one a page, read with zipfile and ElementTree.

A slide's title (its title placeholder) is a heading, so it starts a section; every other text frame's
paragraphs follow in the order of the slide's shape tree (groups included), a table's rows one line each with
its first row as the header row, then the speaker notes. A citation names the slide (`deck.pptx slide 3`).
The title is the presentation's core property, else the first slide's title. The container is checked
first (safezip), and XML parts declaring entities are refused.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from typing import BinaryIO

from index.reading.formats import Extracted, LoadError
from index.reading.formats.blocks import TextBuilder, row_text
from index.reading.formats.cleanup import clean
from index.reading.formats.safezip import (
    check_container,
    core_properties,
    parse_xml,
    read_member,
    relationships,
)

A = "http://schemas.openxmlformats.org/drawingml/2006/main"
P = "http://schemas.openxmlformats.org/presentationml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/notesSlide"
MAX_SLIDES = 10_000


def paragraph_text(p: ET.Element) -> str:
    parts = []
    for node in p:
        if node.tag in (f"{{{A}}}r", f"{{{A}}}fld"):
            t = node.find(f"{{{A}}}t")
            parts.append(t.text or "" if t is not None else "")
        elif node.tag == f"{{{A}}}br":
            parts.append(" ")
    return clean("".join(parts))


def _is_title(shape: ET.Element) -> bool:
    ph = shape.find(f"{{{P}}}nvSpPr/{{{P}}}nvPr/{{{P}}}ph")
    return ph is not None and ph.get("type") in ("title", "ctrTitle")


def _shapes(tree: ET.Element) -> list[ET.Element]:
    """The slide's shapes and tables in shape-tree order, groups opened."""
    out: list[ET.Element] = []
    stack = list(reversed(list(tree)))
    while stack:
        node = stack.pop()
        if node.tag == f"{{{P}}}grpSp":
            stack.extend(reversed(list(node)))
        elif node.tag in (f"{{{P}}}sp", f"{{{P}}}graphicFrame"):
            out.append(node)
    return out


def _slide(out: TextBuilder, root: ET.Element) -> str | None:
    """Write one slide's text; its title, if it has one."""
    tree = root.find(f"{{{P}}}cSld/{{{P}}}spTree")
    if tree is None:
        return None
    shapes = _shapes(tree)
    title = None
    for shape in sorted(shapes, key=lambda s: not _is_title(s)):  # the title first, then the shape order
        table = shape.find(f".//{{{A}}}tbl")
        if table is not None:
            rows = [(row_text([" ".join(paragraph_text(p) for p in cell.iter(f"{{{A}}}p"))
                               for cell in tr.iter(f"{{{A}}}tc")]), None) for tr in table.iter(f"{{{A}}}tr")]
            out.table(rows)
            continue
        body = shape.find(f"{{{P}}}txBody")
        if body is None:
            continue
        heading = _is_title(shape)
        texts = [paragraph_text(p) for p in body.iter(f"{{{A}}}p")]
        if heading:
            joined = " ".join(t for t in texts if t.strip())
            if out.paragraph(joined, level=1) is not None and title is None:
                title = " ".join(joined.split())
            continue
        for text in texts:
            out.paragraph(text)
    return title


def load_pptx(source: BinaryIO) -> Extracted:
    check_container(source, "PPTX")
    source.seek(0)
    out = TextBuilder()
    first_title = None
    try:
        with zipfile.ZipFile(source) as zf:
            presentation = parse_xml(read_member(zf, "ppt/presentation.xml", "PPTX"), "PPTX", "presentation.xml")
            rels = relationships(zf, "PPTX", "ppt/presentation.xml")
            ids = presentation.findall(f"{{{P}}}sldIdLst/{{{P}}}sldId")[:MAX_SLIDES]
            for number, sld in enumerate(ids, start=1):
                _kind, part = rels.get(sld.get(f"{{{R}}}id", ""), ("", ""))
                out.start_page(number)
                if not part:
                    continue
                try:
                    slide = parse_xml(read_member(zf, part, "PPTX"), "PPTX", part)
                except LoadError as exc:
                    if "refused" in str(exc):
                        raise
                    continue  # a slide the presentation lists but does not hold: an empty slide
                title = _slide(out, slide)
                first_title = first_title or title
                for kind, notes in relationships(zf, "PPTX", part).values():
                    if kind == NOTES and notes in zf.namelist():
                        root = parse_xml(read_member(zf, notes, "PPTX"), "PPTX", notes)
                        tree = root.find(f"{{{P}}}cSld/{{{P}}}spTree")
                        for shape in _shapes(tree) if tree is not None else []:
                            ph = shape.find(f"{{{P}}}nvSpPr/{{{P}}}nvPr/{{{P}}}ph")
                            body = shape.find(f"{{{P}}}txBody")
                            if ph is not None and ph.get("type") == "body" and body is not None:
                                for p in body.iter(f"{{{A}}}p"):
                                    out.paragraph(paragraph_text(p))
            meta_title, date = core_properties(zf, "PPTX")
    except zipfile.BadZipFile as exc:
        raise LoadError(f"damaged PPTX ({exc})") from None
    if not ids:
        raise LoadError("damaged PPTX (it lists no slides)")
    return out.extracted("pptx", title=meta_title or first_title, date=date)

