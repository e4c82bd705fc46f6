"""PDF layout: a page's lines, with what their font and position show, laid out as text with its units.

Prose is reflowed into paragraphs (a line that fills the width continues on the next; short lines and
heading-like lines end a block); code keeps its lines and indentation; a definition's name stands on its own
line above its description; table rows are joined cell by cell; headings and footnotes are blocks of their
own. index/reading/formats/pdf.py reads the lines from PDFium and calls `layout` page by page.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from index.types import Unit

_TERMINAL = ".!?:;"
_BULLET = re.compile(r"(?:[•◦▪●‣·*–-]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s")


@dataclass(frozen=True)
class Line:
    """A line of a page as PDFium extracts it, with what its font and position show."""

    text: str
    """The line's text."""
    x: float = 0.0
    """Left edge of its first character, in points."""
    size: float = 0.0
    """Font size of its first character (0 when unknown)."""
    mono: float = 0.0
    """Share of its sampled characters set in a fixed-pitch font."""
    bold: bool = False
    """Whether its sampled characters are all bold."""
    columns: tuple[float, ...] = ()
    """Where its cells start (points), when wide gaps split it into cells, as a table row's do; else ()."""
    cells: tuple[str, ...] = ()
    """Its text split at those gaps."""
    head_mono: bool = False
    """Whether its first word is set in a fixed-pitch font."""
    rest_x: float | None = None
    """Left edge of its second word, in points (None when it has one word or its layout is unknown)."""


def _heading_like(line: str, width: float) -> bool:
    return (len(line) < 0.7 * width and line[-1] not in _TERMINAL and len(line.split()) <= 12
            and (line[0].isupper() or line[0].isdigit()))


def continues(line: str) -> bool:
    """Whether a line carries on the sentence of the line before it."""
    return line[0].islower() and not _BULLET.match(line) or line[0] in ".,;:)]}"


def _pushed_over(prev: str, line: str, width: float) -> bool:
    """Whether a line that ends short, mid-sentence, did so only because the next line's first word (a long
    path, address or quoted name) would not fit on it: "...blocks access to the HKP port 11371, use" /
    "“hkp://keyserver.ubuntu.com:80” instead." is one sentence."""
    word = line.split(maxsplit=1)[0]
    return ((prev[-1].isalnum() or prev[-1] == ",") and not prev.isupper() and any(ch.isalnum() for ch in word)
            and len(prev) + 1 + len(word) >= 0.9 * width)


def reflow(lines: list[str], width: float) -> str:
    """Join a page's lines into paragraphs: wrapped lines with a space (or nothing, after a hyphen);
    a block ends after a short line and around heading-like lines."""
    parts: list[str] = []
    for i, line in enumerate(lines):
        if i:
            prev = lines[i - 1]
            if prev.endswith("-") and len(prev) > 1 and prev[-2].isalpha() and line[0].islower():
                last = prev.split()[-1]
                if not (last.startswith("-") or any(c in last for c in "/_=.")):
                    parts[-1] = parts[-1][:-1]  # a word broken at the line's end; not an option (`--skip-patches`)
                sep = ""
            elif line[0] in "•◦▪●‣" and i:
                sep = "\n"  # a list item starts a line of its own
            elif continues(line) or _pushed_over(prev, line, width):
                sep = " "
            elif _heading_like(line, width) or _heading_like(prev, width) or len(prev) < 0.7 * width:
                sep = "\n\n"
            else:
                sep = " "
            parts.append(sep)
        parts.append(line)
    return "".join(parts)


@dataclass(frozen=True)
class Laid:
    """A page laid out: its text, its units and headings (offsets in the page's text), and what kind of
    block it starts and ends with (prose, code, ...), which decides whether a sentence runs on across the
    page break."""

    text: str
    units: list[Unit]
    heads: list[tuple[str, int, int]]
    first: str
    last: str


INDENT = 15.0
"""Points of indentation that set a block apart from the line above it (a paragraph's first line is indented
less than a code example or a definition's description)."""


def split_hanging_terms(lines: list[Line]) -> list[Line]:
    """A definition's name set on the same line as the start of its description, as texinfo's tables set a
    short name ("prefix   A prefix used in constructing..." with the description's next lines indented to
    where "A prefix" starts): the name becomes a line of its own, the description's start another, at its
    own position, so that the name is read as a term."""
    out: list[Line] = []
    for i, ln in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if ln.head_mono and ln.rest_x is not None and nxt is not None and ln.mono < 0.75 and len(ln.columns) <= 2 \
                and nxt.x >= ln.x + INDENT and nxt.mono < 0.75 and abs(nxt.x - ln.rest_x) <= 2 and " " in ln.text:
            head, rest = ln.text.split(" ", 1)
            out.append(replace(ln, text=head, mono=1.0, rest_x=None, columns=(), cells=()))
            out.append(replace(ln, text=rest, x=ln.rest_x, head_mono=False, rest_x=None, columns=(), cells=()))
        else:
            out.append(ln)
    return out


def _kinds(lines: list[Line], body_size: float) -> list[str]:
    """What each line of a page is: prose, code, term (a definition's name), heading, or note (a
    footnote)."""
    kinds = ["prose"] * len(lines)
    margins = Counter(round(ln.x) for ln in lines if ln.mono < 0.5)
    margin = margins.most_common(1)[0][0] if margins else 0.0  # where prose lines start on this page
    bottom = len(lines)
    if body_size:
        # footnotes: the run of smaller lines at the foot of the page
        while bottom > 0 and 0 < lines[bottom - 1].size < 0.9 * body_size:
            bottom -= 1
        if bottom < len(lines) and bottom > 0 and re.match(r"\d{1,3}\s", lines[bottom].text):
            kinds[bottom:] = ["note"] * (len(lines) - bottom)
        else:
            bottom = len(lines)
    _tables(lines[:bottom], kinds)
    for i, ln in enumerate(lines[:bottom]):
        if kinds[i] in ("header", "row"):
            continue
        prev = lines[i - 1] if i else None
        nxt = lines[i + 1] if i + 1 < bottom else None
        words = len(ln.text.split())
        if body_size and ln.size >= 1.15 * body_size and words <= 14 and ln.text[-1] not in ".,;:":
            kinds[i] = "heading"
        elif (ln.mono >= 0.75 or ln.bold) and nxt is not None and nxt.x >= ln.x + INDENT and words <= 12 \
                and (nxt.mono < 0.75 or (_synopsis_then_description(lines[i + 1 : bottom], ln.x)
                                         and (prev is None or kinds[i - 1] != "code"))) \
                and (prev is None or kinds[i - 1] != "code" or abs(prev.x - ln.x) > 2):
            kinds[i] = "term"
        elif ln.mono >= 0.9 and not ln.bold and (ln.x >= margin + INDENT or (
                prev is not None and (kinds[i - 1] == "code" or prev.text.rstrip()[-1:] == ":"))):
            # set in a fixed-pitch font and indented, or introduced: an example, not a URL wrapped in prose
            kinds[i] = "code"
        elif ln.mono >= 0.3 and prev is not None and (
                (kinds[i - 1] == "code" and abs(prev.x - ln.x) < 2)
                or (ln.x >= prev.x + INDENT and prev.text.rstrip()[-1:] in (":", ","))):
            kinds[i] = "code"
    return kinds


def _synopsis_then_description(after: list[Line], x: float) -> bool:
    """Whether the lines after a fixed-pitch name are a synopsis and a description, both indented under it
    (texinfo's `readarray` / `readarray [-d delim] ...` / "Read lines from..."): at most two fixed-pitch
    lines, then prose, all indented past the name."""
    for i, ln in enumerate(after[:3]):
        if ln.x < x + INDENT:
            return False
        if ln.mono < 0.75:  # a description hangs under the name: its next line is not back at the name's margin
            return i + 1 >= len(after) or after[i + 1].x >= x + INDENT or after[i + 1].mono >= 0.75
    return False


def _char_width(group: list[Line]) -> float:
    """The width of a fixed-pitch character in a code block: of the usual ones (0.6 em for Courier, 0.525 for
    Computer Modern Typewriter, 0.5), the one that makes every line's indentation a whole number of
    characters."""
    size = max(ln.size for ln in group) or 10.0
    left = min(ln.x for ln in group)
    offsets = [ln.x - left for ln in group if ln.x - left > 0.5]

    def misfit(em: float) -> float:
        return sum(abs(o / (em * size) - round(o / (em * size))) for o in offsets)

    return min((0.6, 0.525, 0.5), key=misfit) * size


def _aligned(a: Line, b: Line) -> bool:
    """Whether two lines split into cells at the same columns (within a few points, allowing a row to leave
    a column empty)."""
    shared = sum(any(abs(x - y) <= 4 for y in b.columns) for x in a.columns[1:])
    return shared >= 1 and len(a.columns) >= 2 and len(b.columns) >= 2


def _tables(lines: list[Line], kinds: list[str]) -> None:
    """Mark runs of three or more lines whose cells line up as a table: the first line its header, the
    others its rows."""
    i = 0
    while i < len(lines):
        j = i + 1
        while j < len(lines) and _aligned(lines[j - 1], lines[j]):
            j += 1
        if j - i >= 3:
            kinds[i : j] = ["row"] * (j - i)
            if _header_like(lines[i]):
                kinds[i] = "header"
        i = max(j, i + 1)


def _header_like(line: Line) -> bool:
    """A table's first row that names its columns: bold, or short capitalised words with no code, numbers or
    quotes in them ("Instrument | Last calibrated"); a first row of data ('"NULL" | NULL') is not."""
    if line.bold:
        return True
    return all(len(c.split()) <= 4 and c[:1].isupper() and not re.search(r"[\d\"'()_=<>%]", c) and not c.isupper()
               for c in line.cells)


def layout(lines: list[Line], width: float, body_size: float) -> Laid:
    """Lay a page's lines out as text: prose reflowed into paragraphs, code blocks kept line by line with
    their indentation, a definition's name on its own line above its description, headings and footnotes
    as blocks of their own. Returns the text with its units (code, term, definition) and headings."""
    lines = split_hanging_terms(lines)
    kinds = _kinds(lines, body_size)
    out: list[str] = []
    at = 0
    units: list[Unit] = []
    heads: list[tuple[str, int, int]] = []
    # the definitions being laid out, outermost first: (unit index of the term, the term's x, where its
    # definition starts); a term indented under another one's description (texinfo's table of the values
    # of `nproc (query)`'s argument) opens a definition inside that one's
    open_terms: list[tuple[int, float, int]] = []
    table_header = -1  # unit index of the header of the table being laid out

    def close_definitions(end: int, x: float | None = None, under: float = 2.0) -> None:
        """Close the open definitions a block at `x` is not inside: those whose term is not at least `under`
        points left of it (all of them without `x`)."""
        while open_terms and (x is None or x < open_terms[-1][1] + under):
            index, _x, start = open_terms.pop()
            if end > start:
                units.append(Unit("definition", start, end, index))

    i = 0
    while i < len(lines):
        kind = kinds[i]
        j = i + 1
        while j < len(lines) and kinds[j] == kind and kind in ("prose", "code", "note"):
            if kind == "prose" and open_terms and lines[j].x <= open_terms[-1][1] + 2:
                break  # back at the term's margin: the definition ended
            j += 1
        group = lines[i:j]
        if kind in ("heading", "note"):
            close_definitions(at)
        elif kind == "term":
            close_definitions(at, group[0].x, INDENT)  # a term at an open one's margin ends its definition
        else:
            close_definitions(at, group[0].x)
        if out and kind not in ("header", "row"):
            out.append("\n\n")
            at += 2
        if kind in ("header", "row"):
            # a table: one line per row, cells joined as the other formats join them
            if out:  # a table starts a block of its own (a definition opened above starts after "\n\n")
                out.append("\n" if kind == "row" and i > 0 and kinds[i - 1] in ("header", "row") else "\n\n")
                at += len(out[-1])
            text = " | ".join(group[0].cells)
            start = at
            out.append(text)
            at += len(text)
            if kind == "header":
                table_header = len(units)
                units.append(Unit("header", start, at))
            else:
                if i == 0 or kinds[i - 1] not in ("header", "row"):
                    table_header = -1  # a table without a header row
                units.append(Unit("row", start, at, table_header))
            i = j
            continue
        if kind == "code":
            left = min(ln.x for ln in group)
            step = _char_width(group)
            text = "\n".join(" " * max(0, round((ln.x - left) / step)) + ln.text for ln in group)
        elif kind == "prose":
            text = reflow([ln.text for ln in group], width)
        else:
            text = " ".join(ln.text for ln in group)
        start = at
        out.append(text)
        at += len(text)
        if kind == "code":
            units.append(Unit("code", start, at))
        elif kind == "term":
            units.append(Unit("term", start, at))
            open_terms.append((len(units) - 1, group[0].x, at + 2))
        elif kind == "heading":
            level = 1 if body_size and group[0].size >= 1.4 * body_size else 2
            heads.append((text, level, start))
        i = j
    close_definitions(at)
    body = "".join(out)
    return Laid(body, units, heads, kinds[0] if kinds else "prose", kinds[-1] if kinds else "prose")
