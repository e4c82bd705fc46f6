"""Manual pages set as one preformatted block (`man2html`, Postfix's and many projects' HTML manuals, `man`
output saved as text): the layout a terminal shows, turned back into the structure it stands for.

A manual page's `<pre>` is not code: its section names stand at the margin (NAME, SYNOPSIS, DESCRIPTION),
its paragraphs are justified and hyphenated at the terminal's width, and each option or field is a tag with
its description indented under it or beside it (`-j     Produce a queue listing in JSON format, ...`).
Quoted as code, an answer came out as a slice of justified columns ("Opportunistic  TLS:  announce  STARTTLS
support  to remote SMTP") with the option it described cut off. Here such a block is rewritten as the HTML it
stands for before the page is read: headings, paragraphs joined without their line-end hyphens, a `<dl>` of
tags and descriptions, and `<pre>` kept for the examples (lines indented unevenly), so the HTML reader makes
sections, definition units and code units of it as it does for any page.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_PRE_OPEN = re.compile(r"<pre\b[^>]*>", re.I)
_PRE_CLOSE = re.compile(r"</pre\s*>", re.I)
_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|\w+);", re.I)
_HEADING = re.compile(r"[A-Z][A-Z0-9 /&()-]{1,40}")
_RUNNING = re.compile(r"\s*(?:\S+\(\w+\)\s*(?:\s{2,}.*)?)")  # "POSTSUPER(1)      POSTSUPER(1)"
_KNOWN = frozenset({"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SEE ALSO", "ENVIRONMENT", "FILES"})
_HYPHENATED = re.compile(r"([a-z])((?:</?[a-z][^>]*>)*)-((?:</?[a-z][^>]*>)*)$", re.I)

_BULLETS = frozenset({"o", "*", "-", "+", "•", "·", "◦"})
"""Tags that mark a list's items (groff's ASCII bullet is "o"), not names with a description."""

TAIL = 400
"""Characters at a line's end looked at for a hyphen that splits a word (with the tags around it)."""

MAX_DEPTH = 24
"""Tags nested deeper than this (a hostile page's thousand levels of indentation) are laid out as paragraphs."""

MAX_TAG = 80
"""A tag (an option with its argument, a parameter with its default) is at most this many characters."""


@dataclass(frozen=True)
class _Line:
    markup: str
    """The line as written, tags and entities included, without its indentation."""
    visible: str
    """What a reader sees of it, without its indentation."""
    indent: int


def _visible(markup: str) -> str:
    return html.unescape(_TAG.sub("", markup))


def _line(raw: str) -> _Line:
    visible = _visible(raw).rstrip()
    indent = len(visible) - len(visible.lstrip(" "))
    return _Line(_cut(raw, indent)[1].rstrip(), visible.strip(), indent)


def _cut(markup: str, column: int) -> tuple[str, str]:
    """Split a line's markup where its visible text reaches `column` (tags before that point stay left)."""
    seen = i = 0
    while i < len(markup) and seen < column:
        if markup[i] == "<":
            end = markup.find(">", i)
            i = len(markup) if end < 0 else end + 1
            continue
        entity = _ENTITY.match(markup, i)
        if entity:  # as many characters as it shows ("&lt;" one, an unknown "&foo;" all five)
            seen += len(html.unescape(entity.group()))
            i = entity.end()
        else:
            seen += 1
            i += 1
    while i < len(markup) and markup[i] == " ":
        i += 1
    return markup[:i], markup[i:]


def looks_like_a_manual_page(visible_lines: list[str]) -> bool:
    """Section names at the margin (two or more, one of them a manual page's own) over an indented body."""
    heads = {ln.strip() for ln in visible_lines if ln[:1].isalpha() and _HEADING.fullmatch(ln.strip())}
    body = [ln for ln in visible_lines if ln.strip()]
    indented = sum(ln.startswith("   ") for ln in body)
    return len(heads) >= 2 and bool(heads & _KNOWN) and indented >= 0.6 * max(1, len(body))


def rewrite(page: str) -> str:
    """The page with the `<pre>` that holds a manual page (and most of the page's text) rewritten as
    headings, paragraphs, definition lists and example blocks; any other `<pre>` is left as it is."""
    if "<pre" not in page and "<PRE" not in page:
        return page

    whole = len(" ".join(_visible(page).split()))
    out: list[str] = []
    at = 0
    while (opening := _PRE_OPEN.search(page, at)) is not None:
        closing = _PRE_CLOSE.search(page, opening.end())
        if closing is None:
            break  # a <pre> never closed: the rest is left as it is (one scan, not one per <pre>)
        lines = page[opening.end() : closing.start()].replace("\r\n", "\n").split("\n")
        shown = [_visible(ln) for ln in lines]
        out.append(page[at : opening.start()])
        # the page itself, not an example of one shown on a page about something else
        if len(" ".join(" ".join(shown).split())) >= 0.5 * whole and looks_like_a_manual_page(shown):
            out.append(f"<div class=\"manual-page\">{_lay_out(lines)}</div>")
        else:
            out.append(page[opening.start() : closing.end()])
        at = closing.end()
    out.append(page[at:])
    return "".join(out)


def _paragraphs(lines: list[_Line | None]) -> list[list[_Line]]:
    out: list[list[_Line]] = []
    current: list[_Line] = []
    for ln in [*lines, None]:
        if ln is None:
            if current:
                out.append(current)
            current = []
        else:
            current.append(ln)
    return out


def _lay_out(raw_lines: list[str]) -> str:
    lines: list[_Line | None] = [_line(r) if _visible(r).strip() else None for r in raw_lines]
    kept = [i for i, ln in enumerate(lines) if ln is not None]
    for i in kept[:1] + kept[-1:]:  # the running head and foot: "POSTSUPER(1)   POSTSUPER(1)"
        ln = lines[i]
        if ln is not None and _RUNNING.fullmatch(ln.visible) and ln.visible.endswith(")"):
            lines[i] = None
    return _blocks(_paragraphs(lines), 0)


def _blocks(paragraphs: list[list[_Line]], depth: int) -> str:
    out: list[str] = []
    k = 0
    while k < len(paragraphs):
        para = paragraphs[k]
        if not para:
            k += 1
            continue
        first = para[0]
        if first.indent <= 3 and len(para) == 1 and _HEADING.fullmatch(first.visible):
            level = 2 if first.indent == 0 else 3
            out.append(f"<h{level}>{first.markup}</h{level}>")
            k += 1
            continue
        if first.indent == 0 and _HEADING.fullmatch(first.visible):
            out.append(f"<h2>{first.markup}</h2>")  # a heading with its first paragraph right under it
            paragraphs[k] = para[1:]  # (the list is this call's own)
            continue
        tag, desc, column = _tagged(para) if depth < MAX_DEPTH else (None, [], 0)
        if tag is not None:
            body = [desc]
            k += 1
            while k < len(paragraphs) and paragraphs[k][0].indent >= column:
                body.append(paragraphs[k])  # the description's further paragraphs, examples and nested tags
                k += 1
            inner = _blocks([p for p in body if p], depth + 1)
            if _visible(tag).strip() in _BULLETS:  # "o      The message will be returned...": a list item
                out.append(f"<ul><li>{inner}</li></ul>")
            else:
                out.append(f"<dl><dt>{tag}</dt><dd>{inner}</dd></dl>")
            continue
        out.append(_paragraph(para))
        k += 1
    return "\n".join(out)


def _tagged(para: list[_Line]) -> tuple[str | None, list[_Line], int]:
    """A tag and the first paragraph of its description: beside it (`-j     Produce ...`, the next lines
    under the description) or under it (`-c config_dir` on a line of its own, or two, the description
    indented)."""
    first = para[0]
    m = re.match(r"(\S+(?: \S+)*?)( {2,})(?=\S)", first.visible)  # the words before the first wide gap
    if m is not None and len(m.group(1)) <= MAX_TAG // 2:
        column, rest = first.indent + m.end(), para[1:]
        alone = not rest and len(m.group(2)) >= 3 and not m.group(1).endswith(".")  # a one-line entry
        if all(ln.indent == column for ln in rest) and (rest or alone):
            tag, desc = _cut(first.markup, m.end())
            return tag.rstrip(), [_Line(desc, first.visible[m.end():], column), *rest], column
    lines = 1 if len(para) < 3 or para[1].indent != first.indent else 2  # a long tag wraps once
    head, rest = para[:lines], para[lines:]
    if rest and sum(len(ln.visible) for ln in head) <= MAX_TAG and rest[0].indent > first.indent \
            and all(ln.indent == rest[0].indent for ln in rest):
        return "\n".join(ln.markup for ln in head), rest, rest[0].indent
    return None, [], 0


def _paragraph(para: list[_Line]) -> str:
    if len({ln.indent for ln in para}) > 1:  # an example: its lines and their indentation are kept
        left = min(ln.indent for ln in para)
        return "<pre>" + "\n".join(" " * (ln.indent - left) + ln.markup for ln in para) + "</pre>"
    parts = [para[0].markup]
    for ln in para[1:]:
        tail = len(parts[-1]) - min(len(parts[-1]), TAIL)
        m = _HYPHENATED.search(parts[-1], tail)  # the end of the line before only: linear in the paragraph
        if m is not None and ln.visible[:1].islower():
            last = parts[-1]
            parts[-1] = last[: m.start()] + m.group(1) + m.group(2) + m.group(3) + ln.markup  # "mes-" / "sage"
        else:
            parts.append(ln.markup)
    return "<p>" + "\n".join(parts) + "</p>"
