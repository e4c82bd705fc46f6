"""HTML: the readable text of a page, with its headings as section boundaries, parsed with selectolax.

selectolax's lexbor parser is a fast C HTML5 parser (bench/extract_speed.py compares it with trafilatura).
What is kept: the main content (`<main>`, `role="main"`, a single `<article>`, else `<body>`), without
scripts, styles, navigation, headers' and footers' boilerplate, sidebars, forms, repeated contents lists
and permalink marks (the `¶` after Sphinx headings). Block elements (paragraphs, list items, headings,
table rows, `<pre>`) start new lines; inline elements join exactly as a browser joins them, without added
spaces, so code split into one `<span>` per token (`python3 -m venv env`) stays intact. `<pre>` keeps its
line breaks. The title comes from `<title>` (or the page's `<h1>` when the title is that plus a site name);
the date from the usual `<meta>` tags or a `<time datetime>`.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from index.reading.formats import Extracted, LoadError
from index.reading.formats.cleanup import clean
from index.types import Anchor, Section, Unit, sections_of

SKIP_TAGS = frozenset(
    """script style noscript template head title nav footer aside svg math iframe object embed button select
    option input textarea form canvas audio video map area dialog""".split()
)
BLOCK_TAGS = {
    **dict.fromkeys("p pre blockquote table ul ol dl figure section article header main hr details".split(), 2),
    **dict.fromkeys("div li dt dd tr caption figcaption summary address center fieldset legend tbody thead tfoot"
                    " body html".split(), 1),
    **{f"h{n}": 2 for n in range(1, 7)},
}
"""Tag -> the break it stands for: 1 a line break, 2 a blank line."""
SKIP_ROLES = frozenset("navigation banner contentinfo complementary search menu menubar toolbar doc-toc".split())
_SKIP_CLASS = re.compile(
    r"(?:^|[\s_-])(?:sidebar|sphinxsidebar|nav|navbar|navigation|menu|breadcrumbs?|footer|related|headerlink|"
    r"permalink|anchor-link|skip-link|cookie|cookies|banner|share|social|advert|ads|toc(?!-backref)|mobile-nav|"
    r"table-of-contents|contents\s+(?:\w+\s+)*topic)"
    r"(?:$|[\s_-])",
    re.I,
)
"""A class or id that marks what is no content: "toc" is a table of contents (so are Docusaurus'
`table-of-contents` and docutils' `contents topic` list of the page's sections), but docutils' `toc-backref` is
the link every heading's text is written in when the page has one (Python's FAQ pages, CMake's manual): the
heading itself."""
_CONTENT_TAGS = frozenset("section article h1 h2 h3 h4 h5 h6 p dl dt dd table pre figure blockquote".split())
"""Tags that are content by what they are: one that links to its own id (a heading's permalink) is named by it
(Sphinx writes a section's heading as its id), so the id marks nothing to leave out; their class still may."""
_HEADINGS = frozenset(f"h{n}" for n in range(1, 7))
"""A heading's id is its anchor ("schema_cookie" for SQLite's "Schema cookie"): never a mark to leave it out."""
_SECTION_CLASS = re.compile(r"(?:^|\s)section(?:$|\s)")
"""docutils' and older Sphinx's `<div class="section" id="cookie-objects">`: a section, its id a slug."""
_DATE_META = ("date", "dcterms.date", "dc.date", "dc.date.issued", "dcterms.created", "citation_publication_date",
              "article:published_time", "og:published_time", "pubdate", "publish-date")
_WS = re.compile(r"\s+")
PERMALINK_MARKS = "¶§"


@dataclass
class _Writer:
    """Accumulates text with the breaks and spaces a browser would show, tracking the offset."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    pending: int = 0  # break owed before the next text: 0, 1 (line) or 2 (blank line)
    prefix: str = ""  # e.g. a list bullet, written with the next text
    last: str = "\n"  # last character written
    starts: list[int] = field(default_factory=list)  # where each piece of text (after breaks and prefix) starts
    inline: int = 0  # inside a table row: blocks do not break the line, the row is one line

    def brk(self, n: int) -> None:
        if not self.prefix and not self.inline:
            self.pending = max(self.pending, n)

    def _put(self, s: str) -> None:
        self.parts.append(s)
        self.length += len(s)
        self.last = s[-1]

    def text(self, s: str, pre: bool = False) -> None:
        if not pre or self.inline:
            s = _WS.sub(" ", s)
            if self.pending or self.last in " \n":
                s = s.lstrip(" ")
        if not s:
            return
        if self.pending and self.length:
            if self.last == " ":  # never end a line with a space
                self.parts[-1] = self.parts[-1][:-1]
                self.length -= 1
            owed = self.pending - self._trailing_newlines()
            if owed > 0:
                self._put("\n" * owed)
        self.pending = 0
        if self.prefix:
            self._put(self.prefix)
            self.prefix = ""
        self.starts.append(self.length)
        self._put(s)

    def _trailing_newlines(self) -> int:
        tail = self.parts[-1] if self.parts else ""
        return len(tail) - len(tail.rstrip("\n"))

    def end(self) -> int:
        """Where the text written so far ends, without a trailing space or line break."""
        tail = self.parts[-1] if self.parts else ""
        return self.length - (len(tail) - len(tail.rstrip()))

    def result(self) -> str:
        return "".join(self.parts).rstrip()


def _skipped(node, attrs: dict | None = None) -> bool:
    if node.tag in SKIP_TAGS:
        return True
    attrs = node.attributes if attrs is None else attrs
    if not attrs:
        return False
    if (attrs.get("role") or "").lower() in SKIP_ROLES or attrs.get("aria-hidden") == "true" or "hidden" in attrs:
        return True
    classes, ident = attrs.get("class") or "", attrs.get("id") or ""
    if ident and (node.tag in _HEADINGS or _SECTION_CLASS.search(classes)
                  or (node.tag in _CONTENT_TAGS and _permalinked(node, ident))):
        ident = ""  # a section's id is its heading's slug ("cookie-objects", "file-menu-shell-and-editor"): no mark
    return bool(_SKIP_CLASS.search(f"{classes} {ident}"))


def _permalinked(node: Any, ident: str) -> bool:
    """Whether a content element links to itself, as a documentation generator's heading permalink does
    (Sphinx's `<section id="cookie-objects">` holds `<a class="headerlink" href="#cookie-objects">`): its id is
    then its heading's slug. A blog's `<section id="related-posts">` or a `<p id="cookie-notice">` links to no
    such anchor and is left out. Looked for only when the id holds a word that marks no content."""
    if not _SKIP_CLASS.search(ident):
        return False
    target = f"#{ident}"
    return any(a.attributes.get("href") == target for a in node.css("a[href]"))


def _content_root(tree):
    for selector in ("main", "[role=main]"):
        node = tree.css_first(selector)
        if node is not None:
            return node
    articles = tree.css("article")
    if len(articles) == 1:
        return articles[0]
    return tree.body or tree.root


MAX_DEPTH = 4096
"""Elements nested deeper than this make a page unreadable here: lexbor's tree building slows down with the
square of the depth (100,000 nested `<div>` take 13 s), and no real page comes near it."""
_TAG = re.compile(rb"<(/?)(div|span|section|article|blockquote|ul|ol|dl|table|a|b|i|em|strong|font|code|pre|"
                  rb"small|sup|sub|u|s|main|nav|aside|header|footer|details|figure|center|q|cite|abbr|mark)"
                  rb"\b[^>]*?(/?)>", re.I)


def check_depth(raw: bytes) -> None:
    """Refuse a page nested deeper than MAX_DEPTH (LoadError), before it is parsed."""
    if nesting_depth(raw) > MAX_DEPTH:
        raise LoadError(f"elements nested more than {MAX_DEPTH} deep: not a page this can read")


def nesting_depth(raw: bytes, limit: int = MAX_DEPTH) -> int:
    """How deep the elements that must be closed explicitly nest, found in one pass over the tags (stops
    counting past `limit`)."""
    depth = deepest = 0
    for m in _TAG.finditer(raw):
        if m.group(1):
            depth = max(0, depth - 1)
        elif not m.group(3):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
    return deepest


@dataclass
class _Open:
    """An element being rendered whose span becomes a unit or a section when it closes."""

    kind: str
    """heading, term, definition, code, row, header, dl or table."""
    texts: int
    """How many pieces of text had been written when it opened."""
    parts: int = 0
    """How many parts had been written when it opened (a heading's title is what was written since)."""
    level: int = 0
    """A heading's level."""
    last_term: int = -1
    """dl: the unit index of its last term; table: of its last header row."""
    term_open: bool = False
    """dl: whether the last thing closed in it was a term (a second `dt` in a row extends the first)."""


def _row_kind(node) -> str:
    parent = node.parent
    if parent is not None and parent.tag == "thead":
        return "header"
    cells = [c.tag for c in node.iter() if c.tag in ("td", "th")]
    return "header" if cells and all(c == "th" for c in cells) else "row"


class _Renderer:
    """One pass over a page's elements (an explicit stack instead of recursion: a hostile page may nest
    elements 100,000 deep), writing its text and collecting its headings, units and element ids."""

    def __init__(self, anchors: list[Anchor] | None) -> None:
        self.out = _Writer()
        self.anchors = anchors
        self.heads: list[tuple[str, int, int]] = []  # (title, level, start)
        self.units: list[Unit] = []
        self.first_h1: str | None = None
        self.pre_depth = 0
        self.ids: list[tuple[int, str]] = []  # (pieces of text written when the element opened, its id)
        self.dls: list[_Open] = []  # open definition lists
        self.tables: list[_Open] = []  # open tables

    def run(self, root) -> tuple[str, list[Section], str | None, list[Unit]]:
        stack: list[tuple[object, _Open | None, bool]] = [(root, None, False)]
        while stack:
            node, opened, leaving = stack.pop()
            if leaving:
                self.close(node.tag, opened)  # type: ignore[attr-defined]
                continue
            entered = self.enter(node)
            if entered is not None:
                stack.append((node, entered[0], True))
                stack.extend((child, None, False) for child in reversed(entered[1]))
        return self.finish()

    def span(self, opened: _Open) -> tuple[int, int] | None:
        out = self.out
        if len(out.starts) <= opened.texts:
            return None  # nothing was written inside it
        start, end = out.starts[opened.texts], out.end()
        return (start, end) if end > start else None

    def close(self, tag: str, opened: _Open | None) -> None:
        if tag == "pre":
            self.pre_depth -= 1
        if tag == "tr":
            self.out.inline -= 1
        if opened is not None:
            self.closed(opened, self.span(opened))
        if tag in BLOCK_TAGS:
            self.out.brk(BLOCK_TAGS[tag])

    def closed(self, opened: _Open, where: tuple[int, int] | None) -> None:
        """An element that makes a heading or a unit ends: what it wrote becomes one."""
        kind, units = opened.kind, self.units
        if kind == "heading" and where is not None:
            title = " ".join("".join(self.out.parts[opened.parts:]).split()).strip(PERMALINK_MARKS + " ")
            if title:
                self.heads.append((title, opened.level, where[0]))
                if opened.level == 1 and self.first_h1 is None:
                    self.first_h1 = title
        elif kind == "dl":
            self.dls.pop()
        elif kind == "table":
            self.tables.pop()
        elif where is None:
            return
        elif kind == "term" and self.dls:
            dl = self.dls[-1]
            if dl.term_open and dl.last_term >= 0:  # dt after dt: one term with several names
                prev = units[dl.last_term]
                units[dl.last_term] = Unit("term", prev.start, where[1])
            else:
                dl.last_term, dl.term_open = len(units), True
                units.append(Unit("term", *where))
        elif kind == "definition":
            parent = self.dls[-1].last_term if self.dls else -1
            if self.dls:
                self.dls[-1].term_open = False
            units.append(Unit("definition", *where, parent))
        elif kind in ("row", "header"):
            table = self.tables[-1] if self.tables else None
            if kind == "header" and table is not None:
                table.last_term = len(units)
            units.append(Unit(kind, *where, table.last_term if table and kind == "row" else -1))
        elif kind == "code":
            units.append(Unit("code", *where))

    def enter(self, node) -> tuple[_Open | None, list] | None:
        """An element starts: text is written, a break or a cell separator too; returns what to note of it
        and its children, or None when there is nothing inside to visit."""
        out, tag = self.out, node.tag
        if tag == "-text":
            out.text(clean(node.text_content or "").replace("¶", ""), pre=self.pre_depth > 0)
            return None
        if tag.startswith("-"):  # comments, doctype
            return None
        attrs = node.attributes
        if _skipped(node, attrs):  # boilerplate
            return None
        if self.anchors is not None and attrs:
            ident = attrs.get("id") or (attrs.get("name") if tag == "a" else None)
            if ident:
                self.ids.append((len(out.starts), ident))
        if tag == "br":
            out.brk(1)
            return None
        if tag in BLOCK_TAGS:
            out.brk(BLOCK_TAGS[tag])
        if tag == "img":
            alt = (attrs.get("alt") or "").strip()
            if alt and out.last != "\n":
                out.text(" ")
            return None
        return self.opening(node, tag), list(node.iter(include_text=True))

    def opening(self, node, tag: str) -> _Open | None:
        out = self.out
        texts = len(out.starts)
        if tag == "li":
            out.prefix = "• " if not out.prefix else out.prefix
        elif tag in ("td", "th") and node.prev is not None:
            out.text(" | " if out.last != "\n" and not out.pending else "")
        elif tag == "pre":
            self.pre_depth += 1
            return _Open("code", texts) if not out.inline else None
        elif tag == "dl":
            self.dls.append(_Open("dl", texts))
            return self.dls[-1]
        elif tag == "dt" and not out.inline:
            return _Open("term", texts)
        elif tag == "dd" and not out.inline:
            return _Open("definition", texts)
        elif tag == "table":
            self.tables.append(_Open("table", texts))
            return self.tables[-1]
        elif tag == "tr":
            opening = _Open(_row_kind(node), texts) if not out.inline else None
            out.inline += 1
            return opening
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            # the title starts with the first text written; a pending break is written with it
            return _Open("heading", texts, len(out.parts), int(tag[1]))
        return None

    def finish(self) -> tuple[str, list[Section], str | None, list[Unit]]:
        out = self.out
        text = out.result()
        sections = sections_of(self.heads, len(text))
        limit = len(text)
        if self.anchors is not None:
            placed: dict[int, str] = {}
            for texts, ident in self.ids:  # the outermost element's id wins where several start at one place
                if texts < len(out.starts) and out.starts[texts] < limit:
                    placed.setdefault(out.starts[texts], ident)
            self.anchors.extend(Anchor("id", start, ident) for start, ident in sorted(placed.items()))
        kept = sorted((Unit(u.kind, u.start, min(u.end, limit), u.parent) for u in self.units if u.start < limit),
                      key=lambda u: (u.start, -u.end))
        return text, sorted(sections, key=lambda s: (s.start, s.level)), self.first_h1, _renumber(self.units, kept)


def render(tree, anchors: list[Anchor] | None = None) -> tuple[str, list[Section], str | None, list[Unit]]:
    """The readable text of a parsed page, its sections, its first `<h1>`, and its structural units
    (definitions, code blocks, table rows; see index.types.Unit). One pass over the tree, linear in its
    size. With `anchors`, the elements' ids (and `<a name>`) are added to it, each where the element's
    first text starts: the places a browser can open the page at (`page.html#id`)."""
    root = _content_root(tree)
    if root is None:
        return "", [], None, []
    return _Renderer(anchors).run(root)


def _renumber(made: list[Unit], ordered: list[Unit]) -> list[Unit]:
    """`ordered` (the units of `made`, sorted) with parents pointing at their new positions."""
    position = {(u.start, u.end, u.kind): i for i, u in enumerate(ordered)}
    out = []
    for u in ordered:
        parent = -1
        if u.parent >= 0:
            p = made[u.parent]
            parent = position.get((p.start, p.end, p.kind), -1)
        out.append(Unit(u.kind, u.start, u.end, parent))
    return out


def decode_html(raw: bytes) -> str:
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom):
            return raw[len(bom) :].decode(codec, errors="replace")
    m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_:.-]+)""", raw[:4096], re.I)
    codec = m.group(1).decode("ascii").lower() if m else "utf-8"
    try:
        codecs.lookup(codec)
    except LookupError:
        codec = "utf-8"
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        return raw.decode("utf-8" if codec != "utf-8" else "cp1252", errors="replace")


def _iso_date(value: str | None) -> str | None:
    m = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value or "")
    if not m or not ("01" <= m.group(2) <= "12" and "01" <= m.group(3) <= "31"):
        return None
    return "-".join(m.groups())


def page_date(tree) -> str | None:
    for meta in tree.css("meta"):
        attrs = meta.attributes
        name = (attrs.get("name") or attrs.get("property") or attrs.get("itemprop") or "").lower()
        if name in _DATE_META:
            date = _iso_date(attrs.get("content"))
            if date:
                return date
    node = tree.css_first("time[datetime]")
    return _iso_date(node.attributes.get("datetime")) if node is not None else None


def page_title(tree, first_h1: str | None) -> str | None:
    node = tree.css_first("title")
    title = " ".join(clean(node.text() if node is not None else "").split())
    if first_h1 and (not title or first_h1 in title):
        return first_h1  # "12. Virtual Environments — Python 3.11 documentation" -> the page's own heading
    return title or first_h1 or None


def parse(html: str):
    from selectolax.lexbor import LexborHTMLParser  # ~5 ms

    return LexborHTMLParser(html)


_NAMED = re.compile(r"(?P<name>[A-Za-z_$@%][\w.:$@-]*(?:\(\))?)(?:\s+(?P<kind>directive|variable|command|function|"
                    r"method|module|option|property|parameter|macro|setting|class|attribute|field|keyword|element))?",
                    re.I)


def named_sections(text: str, sections: list[Section], units: list[Unit]) -> list[Unit]:
    """`units` with a term and its definition added for each section headed by the one name it describes, as a
    reference page heads each entry (`CMAKE_BUILD_PARALLEL_LEVEL`, `RemoteIPHeader Directive`, `add_library`):
    the heading is the term, the section's own text up to its first subsection the definition, so that a
    sentence of it is quoted with the name it is about, as a `<dt>`'s description is. A heading of plain
    words ("Examples", "Environment Variable") names nothing; a section that would cut across another unit
    is left as it is. Linear in sections and units (a page may have thousands of each)."""
    import bisect

    from index.text.keywords import is_compound

    starts = sorted(s.start for s in sections)
    ordered = sorted(units, key=lambda u: u.start)
    unit_starts = [u.start for u in ordered]
    reach: list[int] = []  # reach[i]: the furthest end of ordered[:i + 1]
    for u in ordered:
        reach.append(max(u.end, reach[-1]) if reach else u.end)
    made = list(units)
    for section in sections:
        m = _NAMED.fullmatch(section.title)
        if m is None or not is_compound(m.group("name")):
            continue
        line_end = text.find("\n", section.start, section.end)
        head_end = section.end if line_end < 0 else line_end
        after = bisect.bisect_right(starts, section.start)
        own_end = min(section.end, starts[after]) if after < len(starts) else section.end
        body = own_end
        while body > head_end and text[body - 1].isspace():
            body -= 1
        body_start = head_end
        while body_start < body and text[body_start].isspace():
            body_start += 1
        if body_start >= body:
            continue
        first = bisect.bisect_left(unit_starts, section.start)
        if first and reach[first - 1] > section.start:
            continue  # a unit that starts before the heading runs into it
        inside = ordered[first : bisect.bisect_left(unit_starts, body)]
        if any(u.start < head_end or not (body_start <= u.start and u.end <= body) for u in inside):
            continue  # the heading is a unit already, or a unit crosses the section's end
        made.append(Unit("term", section.start, head_end))
        made.append(Unit("definition", body_start, body, len(made) - 1))
    if len(made) == len(units):
        return units
    return _renumber(made, sorted(made, key=lambda u: (u.start, -u.end)))


def html_to_extracted(html: str, fmt: str = "html") -> Extracted:
    from index.reading.formats.manpage import rewrite

    tree = parse(rewrite(html))
    anchors: list[Anchor] = []
    text, sections, h1, units = render(tree, anchors)
    units = named_sections(text, sections, units)
    return Extracted(text, fmt, title=page_title(tree, h1), date=page_date(tree), sections=tuple(sections),
                     units=tuple(units), anchors=tuple(anchors))


def load_html(source: BinaryIO) -> Extracted:
    try:
        raw = source.read()
    except OSError as exc:
        raise LoadError(f"unreadable ({exc.strerror or exc.__class__.__name__})") from None
    if b"\x00" in raw[:4096] and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise LoadError("binary data, not HTML")
    check_depth(raw)
    return html_to_extracted(decode_html(raw))
