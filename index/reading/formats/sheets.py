"""Tables: XLSX workbooks (zipfile and ElementTree, streamed) and CSV/TSV files (the csv module).

Each row is one line, its cells joined by ` | `, and a `row` unit whose header is its table's first non-empty
row (a `header` unit), so a quoted row is shown under its header cells and the reader counts their words
with it. Each row carries a `row` anchor with its number as a spreadsheet shows it (the header is row 1 of a
CSV file; an XLSX row keeps its number in the sheet), so a citation reads `prices.csv row 12` or
`book.xlsx Costs row 5`. A workbook's sheets are its pages (the label is the sheet's name), each starting with
its name as a heading. XLSX cells are shown as Excel shows their value: shared and inline strings, numbers
without a trailing `.0`, dates (by their number format) as ISO dates, booleans as TRUE/FALSE. A CSV file
that is not UTF-8 is decoded with its detected encoding (see text.py), and its delimiter (`,` `;` tab `|`)
sniffed from its start. The container rules of DOCX hold for XLSX (safezip); a table of more than
MAX_ROWS rows is refused rather than cut.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import replace
from typing import BinaryIO

from index.reading.formats import Extracted, LoadError
from index.reading.formats.blocks import TextBuilder, row_text
from index.reading.formats.cleanup import clean
from index.reading.formats.safezip import (
    check_container,
    core_properties,
    iter_xml,
    parse_xml,
    read_member,
    relationships,
)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAX_ROWS = 1_000_000
"""Rows of one workbook or file, at most (a million short rows are about 50 MB of text)."""
MAX_COLUMNS = 1_000
"""Cells of a row past this column are left out (Excel allows 16,384; no readable table has that many)."""
_DATE_FORMATS = set(range(14, 23)) | {45, 46, 47}
"""Excel's built-in number formats that show a date or time."""


def _column(ref: str) -> int:
    """0-based column of a cell reference ("C7" -> 2)."""
    n = 0
    for ch in ref:
        if not ch.isalpha():
            break
        n = n * 26 + (ord(ch.upper()) - 64)
    return n - 1


def _number(value: str) -> str:
    try:
        x = float(value)
    except ValueError:
        return value
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _date(value: str, date1904: bool) -> str:
    try:
        serial = float(value)
    except ValueError:
        return value
    base = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    try:
        moment = base + dt.timedelta(days=serial)
    except OverflowError:
        return value
    if serial == int(serial):
        return moment.date().isoformat()
    if serial < 1:
        return moment.time().isoformat(timespec="seconds")
    return moment.isoformat(sep=" ", timespec="seconds")


def _shared_strings(zf: zipfile.ZipFile, part: str | None) -> list[str]:
    if part is None or part not in zf.namelist():
        return []
    strings = []
    for si in iter_xml(zf, part, "XLSX", (f"{{{MAIN}}}si",)):
        strings.append("".join(t.text or "" for t in si.iter(f"{{{MAIN}}}t")))
    return strings


def _date_styles(zf: zipfile.ZipFile, part: str | None) -> set[int]:
    """Indexes of the cell formats (the `s` of a cell) that show a date."""
    if part is None or part not in zf.namelist():
        return set()
    styles = parse_xml(read_member(zf, part, "XLSX"), "XLSX", part)
    custom = set()
    for fmt in styles.iter(f"{{{MAIN}}}numFmt"):
        code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", fmt.get("formatCode", "")).lower()
        if re.search(r"[dyhs]|mmm", code):
            custom.add(int(fmt.get("numFmtId", "-1")))
    xfs = styles.find(f"{{{MAIN}}}cellXfs")
    out = set()
    for i, xf in enumerate(xfs if xfs is not None else []):
        fid = int(xf.get("numFmtId", "0") or 0)
        if fid in _DATE_FORMATS or fid in custom:
            out.add(i)
    return out


def _cell(c, strings: list[str], dates: set[int], date1904: bool) -> str:
    kind = c.get("t", "n")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in c.iter(f"{{{MAIN}}}t"))
    v = c.find(f"{{{MAIN}}}v")
    value = v.text if v is not None and v.text is not None else ""
    if not value:
        return ""
    if kind == "s":
        try:
            return strings[int(value)]
        except (ValueError, IndexError):
            return ""
    if kind == "b":
        return "TRUE" if value.strip() == "1" else "FALSE"
    if kind in ("str", "e"):
        return value
    if int(c.get("s", "0") or 0) in dates:
        return _date(value, date1904)
    return _number(value)


def load_xlsx(source: BinaryIO) -> Extracted:
    check_container(source, "XLSX")
    source.seek(0)
    out = TextBuilder()
    rows_read = 0
    try:
        with zipfile.ZipFile(source) as zf:
            book = parse_xml(read_member(zf, "xl/workbook.xml", "XLSX"), "XLSX", "workbook.xml")
            rels = relationships(zf, "XLSX", "xl/workbook.xml")
            by_type = {kind.rsplit("/", 1)[-1]: part for kind, part in rels.values()}
            strings = _shared_strings(zf, by_type.get("sharedStrings"))
            dates = _date_styles(zf, by_type.get("styles"))
            pr = book.find(f"{{{MAIN}}}workbookPr")
            date1904 = pr is not None and pr.get("date1904") in ("1", "true")
            sheets = book.findall(f"{{{MAIN}}}sheets/{{{MAIN}}}sheet")
            if not sheets:
                raise LoadError("damaged XLSX (it lists no sheets)")
            for number, sheet in enumerate(sheets, start=1):
                name = " ".join((sheet.get("name") or f"Sheet{number}").split())
                _kind, part = rels.get(sheet.get(f"{{{R}}}id", ""), ("", ""))
                out.start_page(number, name)
                if not part or part not in zf.namelist():
                    continue  # a chart sheet, or a sheet the workbook lists but does not hold
                out.paragraph(name, level=1)
                rows: list[tuple[str, str | None]] = []
                for row in iter_xml(zf, part, "XLSX", (f"{{{MAIN}}}row",)):
                    cells: list[str] = []
                    for c in row.iter(f"{{{MAIN}}}c"):
                        col = _column(c.get("r", "")) if c.get("r") else len(cells)
                        if not 0 <= col < MAX_COLUMNS:
                            continue
                        while len(cells) < col:
                            cells.append("")
                        if col == len(cells):
                            cells.append(clean(_cell(c, strings, dates, date1904)))
                    text = row_text(cells)
                    if text:
                        rows_read += 1
                        if rows_read > MAX_ROWS:
                            raise LoadError(f"XLSX with over {MAX_ROWS:,} rows: too large to index")
                        rows.append((text, row.get("r") or str(len(rows) + 1)))
                out.table(rows)
            title, date = core_properties(zf, "XLSX")
    except zipfile.BadZipFile as exc:
        raise LoadError(f"damaged XLSX ({exc})") from None
    return out.extracted("xlsx", title=title, date=date)


def load_delimited(source: BinaryIO, fmt: str) -> Extracted:
    from index.reading.formats.text import decode_text

    try:
        raw = source.read()
    except OSError as exc:
        raise LoadError(f"unreadable ({exc.strerror or exc.__class__.__name__})") from None
    text, encoding = decode_text(raw)
    delimiter = "\t" if fmt == "tsv" else _delimiter(text[:65536])
    out = TextBuilder()
    rows: list[tuple[str, str | None]] = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            line = row_text([clean(c) for c in cells[:MAX_COLUMNS]])
            if line:
                if len(rows) >= MAX_ROWS:
                    raise LoadError(f"{fmt.upper()} with over {MAX_ROWS:,} rows: too large to index")
                rows.append((line, str(number)))
    except csv.Error as exc:
        raise LoadError(f"damaged {fmt.upper()} ({exc})") from None
    out.table(rows)
    return replace(out.extracted(fmt), encoding=encoding)


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","
