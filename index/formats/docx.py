"""DOCX: paragraphs, headings and tables in document order, with python-docx.

Headings (the `Title` and `Heading N` styles) become section boundaries; list paragraphs get a bullet;
each table row is one line with its cells joined by ` | `. The title is the document's core property,
else its first heading; the date is its creation date. The container is checked first (safezip), so a
zip bomb named .docx is refused before python-docx reads it.
"""

from __future__ import annotations

import re
from typing import BinaryIO

from index.formats import Extracted, LoadError
from index.formats.cleanup import clean
from index.formats.safezip import check_container
from index.types import Section

_HEADING = re.compile(r"heading (\d)$", re.I)


def _level(style_name: str) -> int | None:
    if style_name.lower() == "title":
        return 1
    m = _HEADING.match(style_name)
    return int(m.group(1)) if m else None


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
    blocks: list[tuple[str, int | None]] = []  # (text, heading level or None)
    try:
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                rows = _table_rows(item)
                if rows:
                    blocks.append(("\n".join(rows), None))
                continue
            text = " ".join(clean(item.text).replace("\n", " ").split())
            if not text:
                continue
            style = item.style.name if item.style is not None else ""
            level = _level(style or "")
            if level is None and (style or "").lower().startswith("list"):
                text = "• " + text
            blocks.append((text, level))
        meta_title, created = None, None
        if _has_core_properties(document):  # else python-docx makes up "Word Document", dated now
            props = document.core_properties
            meta_title = " ".join((props.title or "").split()) or None
            created = props.created or props.modified
    except Exception as exc:  # noqa: BLE001
        raise LoadError(f"damaged DOCX ({exc.__class__.__name__}: {str(exc)[:120]})") from None
    parts: list[str] = []
    heads: list[tuple[str, int, int]] = []
    at = 0
    for text, level in blocks:
        if parts:
            parts.append("\n\n")
            at += 2
        if level is not None:
            heads.append((text, level, at))
        parts.append(text)
        at += len(text)
    full = "".join(parts)
    sections = tuple(
        Section(title, level, start, next((s for _t, lv, s in heads[i + 1 :] if lv <= level), len(full)))
        for i, (title, level, start) in enumerate(heads)
    )
    title = meta_title or (heads[0][0] if heads else None)
    return Extracted(full, "docx", title=title, date=created.date().isoformat() if created else None,
                     sections=sections)
