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
from typing import BinaryIO

from index.formats import Extracted, LoadError
from index.formats.cleanup import clean
from index.types import Section

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
SKIP_ROLES = frozenset("navigation banner contentinfo complementary search menu menubar toolbar".split())
_SKIP_CLASS = re.compile(
    r"(?:^|[\s_-])(?:sidebar|sphinxsidebar|nav|navbar|navigation|menu|breadcrumbs?|footer|related|headerlink|"
    r"permalink|anchor-link|skip-link|cookie|cookies|banner|share|social|advert|ads|toc|mobile-nav)(?:$|[\s_-])",
    re.I,
)
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

    def brk(self, n: int) -> None:
        if not self.prefix:
            self.pending = max(self.pending, n)

    def _put(self, s: str) -> None:
        self.parts.append(s)
        self.length += len(s)
        self.last = s[-1]

    def text(self, s: str, pre: bool = False) -> None:
        if not pre:
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
        self._put(s)

    def _trailing_newlines(self) -> int:
        tail = self.parts[-1] if self.parts else ""
        return len(tail) - len(tail.rstrip("\n"))

    def next_offset(self) -> int:
        """Where the next text written will start."""
        if not self.length:
            return len(self.prefix)
        at = self.length
        if self.pending:
            at -= self.last == " "
            at += max(0, self.pending - self._trailing_newlines())
        return at + len(self.prefix)

    def result(self) -> str:
        return "".join(self.parts).rstrip()


def _skipped(node) -> bool:
    if node.tag in SKIP_TAGS:
        return True
    attrs = node.attributes
    if not attrs:
        return False
    if (attrs.get("role") or "").lower() in SKIP_ROLES or attrs.get("aria-hidden") == "true" or "hidden" in attrs:
        return True
    return bool(_SKIP_CLASS.search(f"{attrs.get('class') or ''} {attrs.get('id') or ''}"))


def _content_root(tree):
    for selector in ("main", "[role=main]"):
        node = tree.css_first(selector)
        if node is not None:
            return node
    articles = tree.css("article")
    if len(articles) == 1:
        return articles[0]
    return tree.body or tree.root


def render(tree) -> tuple[str, list[Section], str | None]:
    """The readable text of a parsed page, its sections, and its first `<h1>`."""
    out = _Writer()
    heads: list[tuple[str, int, int]] = []  # (title, level, start)
    first_h1 = None
    root = _content_root(tree)
    if root is None:
        return "", [], None
    # An explicit stack instead of recursion: a hostile page may nest elements 100,000 deep.
    stack: list[tuple[object, bool]] = [(root, False)]
    pre_depth = 0
    heading: list[tuple[int, int]] = []  # open headings: (level, start offset)
    while stack:
        node, leaving = stack.pop()
        tag = node.tag  # type: ignore[attr-defined]
        if leaving:
            if tag == "pre":
                pre_depth -= 1
            if tag in BLOCK_TAGS:
                out.brk(BLOCK_TAGS[tag])
            if heading and tag == f"h{heading[-1][0]}":
                level, start = heading.pop()
                title = " ".join(out.result()[start:].split()).strip(PERMALINK_MARKS + " ")
                if title:
                    heads.append((title, level, start))
                    if level == 1 and first_h1 is None:
                        first_h1 = title
            continue
        if tag == "-text":
            out.text(clean(node.text_content or "").replace("¶", ""), pre=pre_depth > 0)  # type: ignore[attr-defined]
            continue
        if tag.startswith("-") or _skipped(node):  # comments, doctype; boilerplate
            continue
        if tag == "br":
            out.brk(1)
            continue
        if tag in BLOCK_TAGS:
            out.brk(BLOCK_TAGS[tag])
        if tag == "li":
            out.prefix = "• " if not out.prefix else out.prefix
        elif tag in ("td", "th") and node.prev is not None:  # type: ignore[attr-defined]
            out.text(" | " if out.last != "\n" and not out.pending else "")
        elif tag == "pre":
            pre_depth += 1
        elif tag in ("img",):
            alt = (node.attributes.get("alt") or "").strip()  # type: ignore[attr-defined]
            if alt and out.last != "\n":
                out.text(" ")
            continue
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            heading.append((int(tag[1]), out.next_offset()))
        stack.append((node, True))
        children = list(node.iter(include_text=True))  # type: ignore[attr-defined]
        stack.extend((child, False) for child in reversed(children))
    text = out.result()
    sections = []
    for i, (title, level, start) in enumerate(heads):
        end = next((s for _t, lv, s in heads[i + 1 :] if lv <= level), len(text))
        sections.append(Section(title, level, min(start, len(text)), end))
    return text, sorted(sections, key=lambda s: (s.start, s.level)), first_h1


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


def html_to_extracted(html: str, fmt: str = "html") -> Extracted:
    tree = parse(html)
    text, sections, h1 = render(tree)
    return Extracted(text, fmt, title=page_title(tree, h1), date=page_date(tree), sections=tuple(sections))


def load_html(source: BinaryIO) -> Extracted:
    try:
        raw = source.read()
    except OSError as exc:
        raise LoadError(f"unreadable ({exc.strerror or exc.__class__.__name__})") from None
    if b"\x00" in raw[:4096] and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise LoadError("binary data, not HTML")
    return html_to_extracted(decode_html(raw))
