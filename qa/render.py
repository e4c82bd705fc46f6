"""How an Answer is shown, in one place for every front end: `terminal` (what `qa ask` prints), `chat_markdown`
(the answer's body in the chat), `export_markdown` (the chat's copy and export). Document text is untrusted:
every line a terminal shows is escaped whole (qa/display.py), Markdown is escaped so a document cannot add
links or headings, code is shown as code and a table row under its header row in all three.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from qa.display import hyperlink, terminal_safe, visible
from qa.types import Answer, Citation


class _Safe(str):
    """A line already made terminal-safe (it carries a link's escape sequences, which are the layout's own)."""


def _header(c: Citation, suffix: str, link: Callable[[Citation], str | None] | None) -> str:
    """A citation's header line; with `link`, its location is a hyperlink to the cited place."""
    line = c.header() + suffix
    url = link(c) if link is not None else None
    if not url:
        return line
    prefix, location = f"[{c.n}] ", c.location()
    rest = line[len(prefix) + len(location):]
    return _Safe(terminal_safe(prefix) + hyperlink(url, terminal_safe(location)) + terminal_safe(rest))


def _one_line(text: str) -> str:
    """Prose on one line: runs of spaces, tabs and line breaks become one space (anything else, such as a
    line separator, is left for `terminal_safe` to show)."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


KIND_LABELS = {"code": "code", "row": "table row", "term": "definition", "header": "table header"}
"""How a citation's kind is named where it is shown; prose sentences are not labelled."""


def part_rows(answer: Answer) -> tuple[list[str], list[tuple[str, str]]]:
    """A question with several parts as a table: the answer's notes (what a set's parts rest on), then one
    (label, answer) row per answered part and one per part the documents do not answer, in that order."""
    rows = [(p.label, p.text) for p in answer.parts if not p.abstained]
    rows += [(p.label, p.text) for p in answer.parts if p.abstained]
    shown = {f"{label}{'' if label.endswith(('?', ':')) else ':'} {text}" for label, text in rows}
    shown |= {p.text for p in answer.parts}
    rest = answer.text
    for block in sorted(shown, key=len, reverse=True):  # a part's text may hold a line break (a definition's
        rest = rest.replace(block, "\n")  # name above its description): it is a row, not notes
    notes = [line for line in rest.split("\n") if line.strip()]
    return notes, rows


def _terminal_parts(answer: Answer) -> list[str]:
    """The parts as a compact table: each label padded to one column, its quotes (or what is missing) after."""
    notes, rows = part_rows(answer)
    width = min(28, max(len(label) for label, _ in rows))
    lines = [_one_line(n) for n in notes]
    for label, text in rows:
        label = _one_line(label)
        cell = label if len(label) <= width else label[: width - 1] + "…"
        lines.append(f"{cell.ljust(width)}  {_one_line(text)}")
    return lines


def terminal(answer: Answer, verbose: bool = False, link: Callable[[Citation], str | None] | None = None) -> str:
    """The plain-text rendering of an Answer for a terminal. Each line is escaped whole (qa/display.py):
    the only line breaks are this layout's own and those of code blocks, which are shown as code (indented,
    line by line); a table row is shown under its header row. With `verbose`, the retrieved passages follow
    an answer too. With `link`, each citation's location is an OSC 8 hyperlink to the URL it gives (for a
    terminal that shows them)."""
    from index.reading.load import shorten

    lines = []
    if answer.parts and not answer.is_generated:
        lines += _terminal_parts(answer)
    elif answer.abstained:
        lines.append(answer.text)
    if answer.abstained:
        if answer.citations:  # what the notes cite (a set's members, by the sentences they were taken by)
            lines += ["", *_citation_lines(answer.citations, link)]
        if answer.passages:
            lines += ["", "Closest passages:"]
            lines += [f"  {p.location()}  \"{shorten(p.text, 100)}\"" for p in answer.passages]
        return "\n".join(line if isinstance(line, _Safe) else terminal_safe(line) for line in lines)
    if answer.short_answer:
        holder = next((c.n for c in answer.citations if c.highlight), 1)
        lines.append(f"Answer: {answer.short_answer} [{holder}]")
    prose: list[str] = []
    if answer.is_generated:  # the model's checked sentences stand for the quotes, which are listed below
        lines.append(_one_line(answer.text))
    for c in () if answer.is_generated or answer.parts else answer.citations:
        if c.kind == "code":
            if prose:
                lines.append(" ".join(prose))
                prose = []
            lines += [f"    {row}" for row in c.quote.split("\n")]
            lines[-1] += f"  [{c.n}]"
        else:
            prose.append(f"{_one_line(c.quote)} [{c.n}]")
    if prose:
        lines.append(" ".join(prose))
    lines += ["", *_citation_lines(answer.citations, link)]
    if verbose and answer.passages:
        lines += ["", "Passages:"]
        lines += [f"  [{p.rank}] {p.location()}  \"{shorten(p.text, 100)}\"" for p in answer.passages]
    return "\n".join(line if isinstance(line, _Safe) else terminal_safe(line) for line in lines)


def _citation_lines(citations: Sequence[Citation], link: Callable[[Citation], str | None] | None) -> list[str]:
    """Each citation's location and quote: code line by line, a table row under its header row."""
    lines: list[str] = []
    shown_header = None
    for c in citations:
        label = KIND_LABELS.get(c.kind)
        head = _header(c, f" ({label})" if label else "", link)
        if c.kind == "code":
            lines.append(head)
            lines += [f"    {row}" for row in c.quote.split("\n")]
        elif c.kind == "row" and c.context_text:
            lines.append(head)
            if (c.source, c.context) != shown_header:  # one header for the rows of one table in a row
                lines.append(f"    {_one_line(c.context_text)}")
            lines.append(f"    {_one_line(c.quote)}")
            shown_header = (c.source, c.context)
            continue
        else:
            quoted = f"  \"{_one_line(c.quote)}\""
            lines.append(_Safe(head + terminal_safe(quoted)) if isinstance(head, _Safe) else head + quoted)
        shown_header = None
    return lines


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")


def markdown_escape(text: str) -> str:
    """Text that Markdown shows exactly as written (no links, emphasis or headings from documents)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", visible(" ".join(text.split())))


def chat_markdown(answer: Answer) -> str:
    """The answer's quotes, escaped, each followed by its [n] marker; code as a code block (verbatim, line
    breaks kept), a table row under its header row as a small table."""
    if answer.is_generated:  # the model's checked sentences, with their markers; the quotes are listed below
        return markdown_escape(answer.text)
    if answer.parts:
        return _markdown_parts(answer)
    parts: list[str] = []
    prose: list[str] = []

    def flush() -> None:
        if prose:
            parts.append(" ".join(prose))
            prose.clear()

    for c in answer.citations:
        if c.kind == "code":
            flush()
            parts.append(code_block(c.quote) + f"\n\\[{c.n}\\]")
        elif c.kind == "row" and c.context_text and table_cells(c.context_text) and \
                len(table_cells(c.context_text)) == len(table_cells(c.quote)):
            flush()
            head, row = table_cells(c.context_text), table_cells(c.quote)
            parts.append("\n".join([
                "| " + " | ".join(markdown_escape(h) for h in head) + " |",
                "|" + "---|" * len(head),
                "| " + " | ".join(markdown_escape(x) for x in row) + " |",
            ]) + f"\n\n\\[{c.n}\\]")
        else:
            prose.append(f"{markdown_escape(c.quote)} \\[{c.n}\\]")
    flush()
    return "\n\n".join(parts)


def _markdown_parts(answer: Answer) -> str:
    """The parts as a Markdown table (label, answer with its markers), after the answer's notes."""
    notes, rows = part_rows(answer)

    cell = markdown_escape  # escapes "|" too, so a quote never ends its cell
    table = ["| Part | Answer |", "|---|---|", *[f"| **{cell(label)}** | {cell(text)} |" for label, text in rows]]
    return "\n\n".join([*[markdown_escape(n) for n in notes], "\n".join(table)])


def code_block(code: str) -> str:
    """A fenced Markdown code block showing `code` exactly (control characters made visible), with a fence
    longer than any run of backticks inside it."""
    longest = max((len(m.group()) for m in re.finditer(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{visible(code)}\n{fence}"


def table_cells(row: str) -> list[str]:
    """The cells of a row as the loaders write rows (`a | b | c`)."""
    return [cell.strip() for cell in row.split(" | ")]


def export_markdown(question: str, answer: Answer) -> str:
    """A question and its answer (with citations) as Markdown, for the clipboard and exports. Each line is
    escaped whole (qa/display.py), as the CLI prints it: the file may be `cat` to a terminal, and a newline in
    a file name or a quote must not draw a citation line of its own."""
    lines = [f"**Q:** {question}", ""]
    if answer.short_answer:
        lines += [f"**A:** {answer.short_answer} [1]", ""]
    if answer.is_generated:
        lines += ["*(written by a language model from the quotes below; every sentence checked against them)*", ""]
    lines.append(answer.text)
    lines.append("")
    for c in answer.citations:
        lines.append(f"{c.header()} — \"{c.quote}\"")
    if answer.abstained:
        lines += [f"- {p.location()}" for p in answer.passages]
    return "\n".join(terminal_safe(line) for line in lines)
