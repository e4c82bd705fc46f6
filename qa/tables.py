"""Questions a table answers by its structure: a superlative ("Which instrument is the most expensive?" is the
row whose value in the column the superlative measures, "Purchase price", is the largest, not the sentence most
like the question, "The total insured value of the instruments above is $108,365.") and a cell named by its
column ("Which room is the autoclave in?" is the autoclave row's "Room" cell). Only tables the format marks as
such (index.types.Unit rows under a header row); a superlative only over a table of the kind asked about whose
cells in the column all read as one number in one unit, or as one date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.types import Document

_SUPERLATIVE = re.compile(
    r"^\W*(?:which|what)\s+(?P<kind>(?:[\w-]+\s+){0,2}?[\w-]+)\s+(?:is|are|was|were|has|had|have|costs?)"
    r"(?:\s+(?P<verb>[a-z]+ed))?\s+(?:the\s+)?"
    r"(?:(?P<more>most(?=\s+recently)|most|highest|largest|biggest|greatest|latest|newest|longest|heaviest)|"
    r"(?P<less>least(?=\s+recently)|least|lowest|smallest|fewest|cheapest|earliest|oldest|shortest|lightest))"
    r"(?P<what>(?:\s+[\w-]+){0,3}?)\s*\??\s*$", re.I)
"""A question asking which row of a set has the extreme value: "Which instrument is the most expensive?",
"Which project has the highest budget?", "Which room has the fewest seats?", "Which instrument was serviced
most recently?" (the participle names the column: "Last serviced")."""

_PRICE = ("price", "cost", "value", "amount")
_COLUMN_WORDS: dict[str, tuple[str, ...]] = {
    "expensive": _PRICE, "cheapest": _PRICE, "costly": _PRICE,
    "largest": ("size", "area", "capacity", "volume"), "biggest": ("size", "area", "capacity", "volume"),
    "smallest": ("size", "area", "capacity", "volume"),
    "heaviest": ("weight", "mass"), "lightest": ("weight", "mass"),
    "longest": ("length", "duration"), "shortest": ("length", "duration"),
}
"""The head word of the column a superlative with no noun of its own measures ("the most expensive": a price)."""
_DATED = frozenset({"oldest", "newest", "latest", "earliest", "recently"})
"""Superlatives of time: their column holds dates ("Last serviced", "Purchase date", "Year built")."""
_DATE_HEADS = ("date", "year", "since", "installed", "built", "acquired", "founded", "opened", "added", "purchased",
               "updated", "released")
_ORDINAL_HEADS = frozenset({"priority", "rank", "ranking", "position", "place", "grade", "tier", "level", "code",
                            "id", "no", "number", "ref", "reference"})
"""Columns whose largest value is not the "highest" (priority 1 is the highest) or no measure at all."""

_CELL_NUMBER = re.compile(r"^(?P<pre>[^\d+-]{0,4}?)"
                          r"(?P<n>[-+]?\d{1,3}(?:[,\s\u00a0\u202f]\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?)"
                          r"\s*(?P<scale>thousand|million|billion|bn)?(?P<post>(?:\s*[^\d\s][^\d]{0,11})?)$", re.I)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "bn": 1e9}


@dataclass(frozen=True)
class Extreme:
    """The row a table superlative picks: its span, its first cell's span (what the row is: the answer), and the
    header row's span."""

    start: int
    end: int
    answer: tuple[int, int]
    header: tuple[int, int]


@dataclass(frozen=True)
class Asked:
    """What a superlative question asks of a table: largest or smallest first, the head words its column may
    have, the kind of thing the rows are, and whether the column holds dates."""

    most: bool
    words: tuple[str, ...]
    kind: str
    dated: bool


def asks_extreme(question: str) -> Asked | None:
    """What a question asking which row has the extreme value asks; None for any other question."""
    m = _SUPERLATIVE.match(" ".join(question.split()))
    if m is None:
        return None
    word = (m.group("more") or m.group("less")).lower()
    what = [w.lower() for w in m.group("what").split()]
    most = m.group("more") is not None
    kind = m.group("kind").split()[-1].lower()
    verb = (m.group("verb").lower(),) if m.group("verb") else ()  # "was serviced": the "Last serviced" column
    if what[:1] == ["recently"] or word in _DATED:
        return Asked(most, (*verb, *_DATE_HEADS), kind, True) if verb or word in _DATED else None
    if word in ("most", "least") and what and what[0] in _COLUMN_WORDS:  # "the most expensive"
        return Asked(most, (*verb, *_COLUMN_WORDS[what[0]]), kind, False)
    if what:  # "the highest budget", "the fewest seats"
        return Asked(most, (*verb, *what), kind, False)
    return Asked(most, (*verb, *_COLUMN_WORDS.get(word, ())), kind, False) if verb or word in _COLUMN_WORDS \
        else None


def _stem(word: str) -> str:
    from index.text.keywords import keyword_tokens

    tokens = keyword_tokens(word)
    return tokens[0] if tokens else word.lower()


def _head(header: str) -> str:
    """A header cell's head word: its last word, less a bracketed unit ("Age (years)" -> "age")."""
    words = re.findall(r"[\w-]+", re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", header))
    return words[-1].lower() if words else ""


def _number(cell: str) -> tuple[float, str] | None:
    """A cell read as one number with its unit ("$14,850" -> (14850, "$"), "−80 °C" -> (-80, "°c"), "1.5
    million" -> (1500000, "")); None for anything else."""
    text = cell.strip().replace("\u2212", "-").replace("\u2013", "-")
    m = _CELL_NUMBER.match(text)
    if m is None:
        return None
    value = float(re.sub(r"[,\s\u00a0\u202f]", "", m.group("n"))) * _SCALES.get((m.group("scale") or "").lower(), 1)
    unit = f"{m.group('pre').strip()}|{m.group('post').strip()}".lower()
    return value, unit


def _date(cell: str) -> float | None:
    m = _ISO_DATE.match(cell.strip())
    return float(m.group(1)) * 10000 + float(m.group(2)) * 100 + float(m.group(3)) if m else None


def _cells(text: str, start: int) -> list[tuple[int, int]]:
    """A row's cells as document offsets, without their spaces: a row's text separates them with "|" (a
    Markdown row also opens and closes with one, which bound no cell)."""
    bare = text.strip()
    opens, closes = bare.startswith("|"), bare.endswith("|") and len(bare) > 1
    segments = [(m.start(), m.end()) for m in re.finditer(r"[^|]*", text)]
    segments = [seg for i, seg in enumerate(segments) if i == 0 or seg[0] != segments[i - 1][1] or seg[1] > seg[0]]
    out = []
    for a, b in segments:
        piece = text[a:b]
        lead = len(piece) - len(piece.lstrip())
        out.append((start + a + lead, start + a + max(lead, len(piece.rstrip()))))
    if opens and out and out[0][0] == out[0][1]:
        out = out[1:]
    if closes and out and out[-1][0] == out[-1][1]:
        out = out[:-1]
    return out


def _about(doc: Document, header_unit: int, kind: str) -> bool:
    """Whether a table's rows are things of the kind asked about ("instrument"): its first header cell, the
    paragraph just above it, its section's headings or its document's title name the kind."""
    from index.text.keywords import keyword_tokens

    head = doc.units[header_unit]
    first = doc.text[head.start : head.end].strip().strip("|").split("|")[0]
    above = doc.text[max(0, head.start - 400) : head.start].rstrip()
    above = above[above.rfind("\n\n") + 1 :]
    context = set(keyword_tokens(" ".join([first, above, doc.title, *doc.section_path(head.start)])))
    return _stem(kind) in context


def extreme_row(doc: Document, header_unit: int, question: str) -> Extreme | None:
    """The row that a superlative question asks for, among the rows of every table of `doc` headed as the table
    under header row `header_unit` is (one table split by headings or pages): the largest (or smallest) value
    in the one column whose head word is what the superlative measures, every row's cell there read as a
    number in one unit (or, for "the oldest", "most recently", a date). None when the table is not of the kind
    asked about, no single column fits, the column ranks by order ("Priority", "Rank") or is no measure
    ("Area code"), a cell does not read as a value, units differ, two rows tie, or the row's name is empty."""
    asked = asks_extreme(question)
    if asked is None or not asked.words or not _about(doc, header_unit, asked.kind):
        return None
    head = doc.units[header_unit]
    header_text = doc.text[head.start : head.end]
    headers = [doc.text[a:b] for a, b in _cells(header_text, head.start)]
    heads = [_head(h) for h in headers]
    columns: list[int] = []
    for group in (asked.words[:1], asked.words):  # the first word alone ("serviced", "budget"), then any
        stems = {_stem(w) for w in group}
        columns = [i for i, h in enumerate(heads) if i > 0 and h and _stem(h) in stems]
        if len(columns) == 1:
            break
    if len(columns) != 1 or heads[columns[0]] in _ORDINAL_HEADS:
        return None
    col = columns[0]
    tables = {i for i, u in enumerate(doc.units) if u.kind == "header" and
              " ".join(doc.text[u.start : u.end].split()) == " ".join(header_text.split())}
    rows = [u for u in doc.units if u.kind == "row" and u.parent in tables]
    values: list[tuple[float, int]] = []
    units: set[str] = set()
    for i, row in enumerate(rows):
        cells = _cells(doc.text[row.start : row.end], row.start)
        if len(cells) != len(headers):
            return None
        cell = doc.text[cells[col][0] : cells[col][1]]
        if asked.dated:
            value = _date(cell)
            if value is None and heads[col] == "year" and re.fullmatch(r"\d{4}", cell.strip()):
                value = float(cell.strip())
        else:
            number = _number(cell)
            value = number[0] if number is not None else None
            units |= {number[1]} if number is not None else set()
        if value is None or len(units) > 1:
            return None  # a cell that is no value, or amounts in different units ("800 m", "1.5 km")
        values.append((value, i))
    if len(values) < 2:
        return None
    values.sort(reverse=asked.most)
    if values[0][0] == values[1][0]:
        return None  # a tie: no one row is the answer
    row = rows[values[0][1]]
    first = _cells(doc.text[row.start : row.end], row.start)[0]
    if first[1] <= first[0]:
        return None
    parent = doc.units[row.parent]
    return Extreme(row.start, row.end, first, (parent.start, parent.end))


def asked_cell(doc: Document, row: tuple[int, int], header: tuple[int, int], question: str) -> tuple[int, int] | None:
    """The cell of a row that a question asks for by its column's header ("Which room is the autoclave in?"
    -> the "Room" cell, "What was the purchase price of the autoclave?" -> "Purchase price"): the one column
    past the first (the item) whose header shares the most words with the question, at least one, its cell of
    the kind the question asks (a date for "when", a number for "how many"; none for "who", which a person's
    name answers). A question asking for the kind of the rows ("Which instrument ...?") asks for the first
    cell, which answers only when the question gives another cell's value ("Which instrument is in room
    B112?"). None when two columns tie, the row and its header differ in cells, or the cell is empty."""
    from index.text.keywords import keyword_tokens

    asked = set(keyword_tokens(question))
    heads = _cells(doc.text[header[0] : header[1]], header[0])
    cells = _cells(doc.text[row[0] : row[1]], row[0])
    if len(heads) != len(cells) or len(cells) < 3:
        return None
    plain = " ".join(question.lower().split())
    if re.match(r"^\W*(?:who|whom|whose)\b", plain):
        return None
    given = [c for c in cells[1:] if c[1] - c[0] >= 2 and re.search(
        rf"(?<![\w-]){re.escape(doc.text[c[0] : c[1]].lower())}(?![\w-])", plain)]
    kind = re.match(r"^\W*(?:which|what)\s+([\w-]+)", plain)
    if kind is not None and _stem(kind.group(1)) in set(keyword_tokens(doc.text[heads[0][0] : heads[0][1]])):
        return cells[0] if given and cells[0][1] > cells[0][0] else None  # the row's item, by a cell it gives
    shared = [len(asked & set(keyword_tokens(doc.text[a:b]))) for a, b in heads]
    best = max(shared[1:])
    if best == 0 or shared[1:].count(best) > 1:
        return None
    cell = cells[shared.index(best, 1)]
    text = doc.text[cell[0] : cell[1]]
    if cell[1] <= cell[0] or cell in given:
        return None
    if plain.startswith("when") and not re.search(r"\b\d{4}\b", text):
        return None
    if re.match(r"^\W*how\s+(?:many|much)\b", plain) and _number(text) is None:
        return None
    return cell
