"""Jupyter notebooks (.ipynb): every cell, in order, is a page, so a citation names its cell (`nb.ipynb cell 4`).

Markdown cells are read as Markdown (headings start sections; fenced code and tables are units); code cells
are `code` units, verbatim; their outputs follow as text: printed streams, the plain-text form of results and
displays, and errors (name and message; the traceback's colour codes are dropped). Images and other rich
outputs are left out. Cells are numbered as Jupyter lists them, empty ones included. The title is the
notebook's metadata title, else its first heading. nbformat 4, and 3 (worksheets) as far as cells go.
"""

from __future__ import annotations

import json
import re
from typing import Any, BinaryIO

from index.reading.formats import Extracted, LoadError
from index.reading.formats.blocks import TextBuilder
from index.reading.formats.cleanup import clean

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _text(value: Any) -> str:
    """A notebook string field: a string, or a list of lines."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""


def _outputs(outputs: Any) -> list[str]:
    texts = []
    for out in outputs if isinstance(outputs, list) else []:
        if not isinstance(out, dict):
            continue
        kind = out.get("output_type")
        if kind == "stream":
            texts.append(_text(out.get("text")))
        elif kind in ("execute_result", "display_data", "pyout"):
            data: dict[str, Any] = out["data"] if isinstance(out.get("data"), dict) else out
            texts.append(_text(data.get("text/plain", data.get("text"))))
        elif kind in ("error", "pyerr"):
            texts.append(f"{out.get('ename', 'Error')}: {out.get('evalue', '')}")
    return [_ANSI.sub("", clean(t)) for t in texts if t.strip()]


def load_notebook(source: BinaryIO) -> Extracted:
    try:
        raw = source.read()
    except OSError as exc:
        raise LoadError(f"unreadable ({exc.strerror or exc.__class__.__name__})") from None
    try:
        nb = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise LoadError("not a notebook (not UTF-8 JSON)") from None
    except (ValueError, RecursionError) as exc:
        raise LoadError(f"damaged notebook (not JSON: {str(exc)[:80]})") from None
    if not isinstance(nb, dict):
        raise LoadError("not a notebook (its JSON is not an object)")
    cells = nb.get("cells")
    if cells is None and isinstance(nb.get("worksheets"), list):  # nbformat 3
        cells = [c for ws in nb["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", [])]
    if not isinstance(cells, list):
        raise LoadError("not a notebook (it has no cells)")
    out = TextBuilder()
    for number, cell in enumerate(cells, start=1):
        out.start_page(number)
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        body = clean(_text(cell.get("source", cell.get("input"))))
        if kind == "markdown":
            out.markdown(body)
        elif kind == "heading":  # nbformat 3
            level = cell.get("level", 1)
            out.paragraph(body, level=level if isinstance(level, int) and 1 <= level <= 6 else 1)
        elif kind == "code":
            out.code(body)
            for text in _outputs(cell.get("outputs")):
                out.code(text)
        elif body.strip():  # raw cells
            out.markdown(body)
    metadata: dict[str, Any] = nb["metadata"] if isinstance(nb.get("metadata"), dict) else {}
    title = metadata.get("title") if isinstance(metadata.get("title"), str) else None
    heads = out.heads
    return out.extracted("ipynb", title=" ".join(title.split()) if title else (heads[0][0] if heads else None))
