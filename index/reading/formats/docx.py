"""DOCX: paragraphs, headings and tables in document order, with python-docx.

Headings (the `Title` and `Heading N` styles) become section boundaries; list paragraphs get a bullet;
each table row is one line with its cells joined by ` | `, a `row` unit whose header is the table's first
row (a `header` unit); paragraphs in a code style, or set wholly in a fixed-pitch font, are kept line by
line as `code` units. Non-empty paragraphs (headings and code lines included, table cells not) are numbered
in document order, so a citation can say `report.docx ¶12` beside its heading path. The title is the
document's core property, else its first heading; the date is its creation date. The container is
checked first (safezip), so a zip bomb named .docx is refused before python-docx reads it.
"""

from __future__ import annotations

import re
from typing import BinaryIO

from index.reading.formats import Extracted, LoadError
from index.reading.formats.cleanup import clean
from index.reading.formats.safezip import check_container
from index.types import Anchor, Unit, sections_of

_HEADING = re.compile(r"heading (\d)$", re.I)


def _level(style_name: str) -> int | None:
    if style_name.lower() == "title":
        return 1
    m = _HEADING.match(style_name)
    return int(m.group(1)) if m else None


_CODE_STYLE = re.compile(r"code|source|preformatted|verbatim|listing|console|monospace", re.I)
_MONO_FONT = re.compile(r"mono|courier|consol|menlo|inconsolata|code|fixed", re.I)


def _is_code(paragraph) -> bool:
    """A paragraph in a code style, or whose text runs are all in a fixed-pitch font."""
    style = paragraph.style.name if paragraph.style is not None else ""
    if _CODE_STYLE.search(style or ""):
        return True
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and all(r.font.name and _MONO_FONT.search(r.font.name) for r in runs)


def _table_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell is listed once per grid column it spans
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(clean(cell.text).split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


def _has_core_properties(document) -> bool:
    from docx.opc.constants import RELATIONSHIP_TYPE

    try:
        document.part.package.part_related_by(RELATIONSHIP_TYPE.CORE_PROPERTIES)
    except KeyError:
        return False
    return True


def _lay_out(blocks: list[tuple[str, int | None, str]], counts: list[int],
             ) -> tuple[str, list[tuple[str, int, int]], list[Unit], list[Anchor]]:
    """The document's text (blocks a blank line apart), its headings, units (code, table rows under their
    header) and paragraph anchors."""
    parts: list[str] = []
    heads: list[tuple[str, int, int]] = []
    units: list[Unit] = []
    anchors: list[Anchor] = []
    paragraph = 0
    at = 0
    for (text, level, kind), count in zip(blocks, counts, strict=True):
        if parts:
            parts.append("\n\n")
            at += 2
        if count:  # numbered as a person counts the document's non-empty paragraphs, headings included
            anchors.append(Anchor("paragraph", at, str(paragraph + 1)))
            paragraph += count
        if level is not None:
            heads.append((text, level, at))
        if kind == "code":
            units.append(Unit("code", at, at + len(text)))
        elif kind == "table":
            header = -1
            row_at = at
            for row in text.split("\n"):
                if header < 0 and len(text.split("\n")) > 1:
                    header = len(units)
                    units.append(Unit("header", row_at, row_at + len(row)))
                else:
                    units.append(Unit("row", row_at, row_at + len(row), header))
                row_at += len(row) + 1
        parts.append(text)
        at += len(text)
    return "".join(parts), heads, units, anchors


def load_docx(source: BinaryIO) -> Extracted:
    check_container(source, "DOCX")
    try:
        import docx  # python-docx (with lxml): ~60 ms
        from docx.table import Table

        source.seek(0)
        document = docx.Document(source)
    except LoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - python-docx/lxml raise many types on a malformed part
        raise LoadError(f"damaged DOCX ({exc.__class__.__name__}: {str(exc)[:120]})") from None
    blocks: list[tuple[str, int | None, str]] = []  # (text, heading level or None, kind: text, table or code)
    counts: list[int] = []  # paragraphs of the document each block is made of (0 for a table)
    try:
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                rows = _table_rows(item)
                if rows:
                    blocks.append(("\n".join(rows), None, "table"))
                    counts.append(0)
                continue
            if _is_code(item):
                code = clean(item.text).rstrip()
                if code.strip():
                    if blocks and blocks[-1][2] == "code":  # consecutive code paragraphs: one block
                        blocks[-1] = (blocks[-1][0] + "\n" + code, None, "code")
                        counts[-1] += 1
                    else:
                        blocks.append((code, None, "code"))
                        counts.append(1)
                continue
            text = " ".join(clean(item.text).replace("\n", " ").split())
            if not text:
                continue
            style = item.style.name if item.style is not None else ""
            level = _level(style or "")
            if level is None and (style or "").lower().startswith("list"):
                text = "• " + text
            blocks.append((text, level, "text"))
            counts.append(1)
        meta_title, created = None, None
        if _has_core_properties(document):  # else python-docx makes up "Word Document", dated now
            props = document.core_properties
            meta_title = " ".join((props.title or "").split()) or None
            created = props.created or props.modified
    except Exception as exc:  # noqa: BLE001
        raise LoadError(f"damaged DOCX ({exc.__class__.__name__}: {str(exc)[:120]})") from None
    full, heads, units, anchors = _lay_out(blocks, counts)
    sections = tuple(sections_of(heads, len(full)))
    title = meta_title or (heads[0][0] if heads else None)
    return Extracted(full, "docx", title=title, date=created.date().isoformat() if created else None,
                     sections=sections, units=tuple(units), anchors=tuple(anchors))
