"""Sentence-aware chunking with exact character offsets.

Sentences are found with rules that know common abbreviations (U.S., Mr., e.g.) and treat blank lines,
headings and list items as boundaries. Chunks are runs of whole sentences measured in model tokens, with a
small overlap of whole sentences between neighbours. A "sentence" longer than a whole chunk (a table, a
paragraph with no punctuation) is the one thing that is split, at word boundaries.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence

from index.text.marks import LIST_ITEM
from index.types import ATOMIC_KINDS, Chunk, Document, Span

TokenCounter = Callable[[Sequence[str]], list[int]]
"""Counts model tokens (without special tokens) for each text."""

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st vs etc al fig figs no nos vol vols pp gen gov sen rep rev col lt sgt capt
    cmdr adm maj brig inc ltd co corp dept univ approx est jan feb mar apr jun jul aug sep sept oct nov dec
    mon tue tues wed thu thur thurs fri sat sun e.g i.e cf viz ca""".split()
)
_SENTENCE_OPENERS = frozenset(
    """a an the this that these those it its they there he she we you i if in on at for to as but and or so
    when while where what which who how since although though however also then thus hence note see each
    all any some no not one both such""".split()
)
"""Words that open a sentence and do not follow an initial: "...returning to R. It is defined..." ends a
sentence at "R.", "J. Smith" does not."""
_MORE_OPENERS = _SENTENCE_OPENERS | frozenset(
    """up only most many here now after before because by from with until unless other every even just first
    finally again yet perhaps instead otherwise currently normally usually often generally similarly therefore
    moreover furthermore use let our your their his her is are was were can may must should has have had do
    does""".split()
)
"""More words that open a sentence after a one-letter name that follows a word in lower case ("...loaded into R.
Up to 65 R objects ..."): after a capitalised word ("John F. Kennedy", "World War I. It"), a comma ("Smith, J.
From genes to proteins") or another initial ("The U. S. Is ..."), a letter is more often an initial."""
# A sentence ends at ., ! or ? (possibly repeated, possibly followed by closing quotes or brackets),
# then white space, then something that can start a sentence.
_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9\u00c0-\u024f]"
                  r"|\s+[a-z_][\w.]*\s+(?:is|are|must|should|may|can|will|gives|specifies|defaults|controls|"
                  r"determines|sets|has|holds|names)\b)")
"""Also before a lower-case name that starts a sentence about itself, as reference documentation writes
parameters: "...returning a new string. mapping is any dictionary-like object..." """
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n\s*|\n(?=[ \t]*(?:[-*+•]|\d{1,3}[.)]|#{1,6})\s)|(?<=\n)(?=[=\-~^]{3,}[ \t]*\n)"
                          r"|\n(?=[ \t]*[A-Z][\w'’-]*(?:[ \t]+[A-Za-z][\w'’-]*){0,2}:[ \t]+\S)")
"""Blank lines; before a list item, a heading or an underline; before a labelled line ("Present: ...",
"Apologies: ...", an FAQ's "A: ...")."""
_TITLE_LINE = re.compile(r"[ \t]*(?:(?:[-*+•]|\d{1,3}[.)])[ \t]+)?[A-Z0-9][^\n]{0,58}")
_CONTINUES = frozenset("""a an the of to in on at by for from with and or but as than that which who whose
    whom into onto over under about via per is are was were be been will would can could should may might must
    has have had do does did not no""".split())
"""Words a line does not end with unless the next line goes on with it."""
_LIST_NUMBER = re.compile(r"\s*\d{1,3}[.)]")
_ATX_HEADING = re.compile(r"[ \t]*#{1,6}\s")
_UNDERLINE = re.compile(r"[=\-~^]{3,}[ \t]*")
_LINE = re.compile(r"[^\n]*\n?")
WORD_LOOKBACK = 64
"""Characters looked back for the word a period ends: a line of 5 MB without a space stays linear."""


def _ends_with_abbreviation(text: str, dot: int) -> bool:
    """Whether the period at `dot` belongs to an abbreviation rather than ending a sentence."""
    if text[dot] != ".":
        return False
    word_start = dot
    floor = max(0, dot - WORD_LOOKBACK)
    while word_start > floor and not text[word_start - 1].isspace() and text[word_start - 1] not in "\"'(“‘[":
        word_start -= 1
    word = text[word_start:dot]
    if not word:
        return False
    if len(word) == 1 and word.isalpha():  # an initial: "J. Smith"; but "...returning to R. It is defined"
        following = re.match(r"\s+([A-Za-z]+)", text[dot + 1 : dot + 40])
        if following is None:
            return True
        before = re.search(r"(\S+)\s+$", text[max(0, word_start - WORD_LOOKBACK) : word_start])
        after_lower = before is not None and before.group(1)[:1].islower() and before.group(1).isalpha()
        return following.group(1).lower() not in (_MORE_OPENERS if after_lower else _SENTENCE_OPENERS)
    if re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", word):  # U.S. / U.N. / e.g.
        return True
    return word.lower() in _ABBREVIATIONS


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and (text[start].isspace() or text[start] == "\ufeff"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def _heading_ends(text: str, start: int, end: int) -> list[int]:
    """Where heading lines end: `# Title` lines, and lines underlined with `===`/`---` (reStructuredText,
    setext Markdown). One pass over the lines (a regular expression for the underlined form backtracked
    quadratically on long lines: 35 s for one 200 KB line)."""
    ends = []
    previous_nonblank = False
    pos = start
    while pos < end:
        m = _LINE.match(text, pos, end)
        if m is None or m.end() == pos:
            break
        line_end = m.end()
        body_end = line_end - 1 if text[line_end - 1 : line_end] == "\n" else line_end
        if _ATX_HEADING.match(text, pos, body_end) and body_end < line_end:  # "# Title\n"
            ends.append(line_end)
        elif previous_nonblank and _UNDERLINE.fullmatch(text, pos, body_end):
            ends.append(line_end)
        elif body_end < line_end and (not previous_nonblank or LIST_ITEM.match(text, pos, body_end)) and \
                _is_plain_heading(text, pos, body_end, line_end, end):
            ends.append(line_end)  # "1. Budget" above "Dr. Okafor reported..."
        previous_nonblank = body_end > pos and not text[pos:body_end].isspace()
        pos = line_end
    return ends


def _is_plain_heading(text: str, pos: int, body_end: int, next_start: int, end: int) -> bool:
    """A short line without closing punctuation that opens a block and is followed by a line starting with a
    capital or a digit: a heading in plain text ("1. Budget", "Action items": at most 4 words, 6 after a
    number), not the first line of a wrapped paragraph ("The meeting will take place in" / "Berlin on
    Monday": it ends in a word that needs the next line)."""
    line = text[pos:body_end].rstrip()
    numbered = LIST_ITEM.match(line) is not None
    words = line.split()
    if not _TITLE_LINE.fullmatch(line) or line[-1:] in ".!?:;,-" or not 1 <= len(words) <= (6 if numbered else 4):
        return False
    if words[-1].lower() in _CONTINUES:
        return False
    following = text[next_start : min(end, next_start + 2)].lstrip(" \t")
    return bool(following) and (following[0].isupper() or following[0].isdigit())


def _blocks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Paragraph-like blocks: split at blank lines, before list items and after headings."""
    cuts = {start, end}
    for m in _BLOCK_BREAK.finditer(text, start, end):
        cuts.add(m.start())
        cuts.add(m.end())
    cuts.update(_heading_ends(text, start, end))
    points = sorted(c for c in cuts if start <= c <= end)
    return [(a, b) for a, b in zip(points, points[1:], strict=False) if b > a]


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans of `text[start:end]`, trimmed of surrounding white space, in order."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    for block_start, block_end in _blocks(text, start, end):
        begin = block_start
        for m in _END.finditer(text, block_start, block_end):
            if _ends_with_abbreviation(text, m.start()) or _LIST_NUMBER.fullmatch(text, begin, m.end()):
                continue  # (a list item's number: "1. Budget" is one line)
            span = _trim(text, begin, m.end())
            if span:
                spans.append(span)
            begin = m.end()
        span = _trim(text, begin, block_end)
        if span:
            spans.append(span)
    return spans


def document_sentences(doc: Document) -> list[Span]:
    """The document's sentences: its text split by `split_sentences`, except that each outermost atomic
    unit (a code block, a table row, a definition's name: index.types.ATOMIC_KINDS) is one sentence of its
    own, never split at a period nor joined to the text around it. The edges of every unit (a definition's
    body too) are sentence boundaries."""
    text = doc.text
    if not doc.units:
        return split_sentences(text, doc.body_start)
    cuts: list[tuple[int, int, bool]] = []  # (start, end, atomic) pieces, in order
    at = doc.body_start
    atomic_until = -1
    edges = sorted({e for u in doc.units if u.kind not in ATOMIC_KINDS for e in (u.start, u.end)})
    for u in doc.units:
        if u.kind not in ATOMIC_KINDS or u.start < atomic_until or u.end <= at:
            continue
        start = max(u.start, at)
        cuts.append((at, start, False))
        cuts.append((start, u.end, True))
        at = atomic_until = u.end
    cuts.append((at, len(text), False))
    spans: list[Span] = []
    for start, end, atomic in cuts:
        if end <= start:
            continue
        if atomic:
            span = _trim(text, start, end)
            if span:
                spans.append(span)
            continue
        inner = edges[bisect.bisect_right(edges, start) : bisect.bisect_left(edges, end)]
        for a, b in zip([start, *inner], [*inner, end], strict=True):
            spans.extend(split_sentences(text, a, b))
    return spans


def _split_overlong(text: str, span: Span, count: TokenCounter, max_tokens: int) -> list[Span]:
    """Cut a span longer than `max_tokens` into pieces that fit: at line breaks where it has them (code,
    where a line is the unit of meaning), else at word boundaries."""
    if "\n" in text[span.start : span.end]:
        lines = [m.span() for m in re.finditer(r"[^\n]*\S[^\n]*", text[span.start : span.end])]
        counts = count([text[span.start + a : span.start + b] for a, b in lines])
        if max(counts) <= max_tokens:
            return _pack(span, lines, counts, max_tokens)
    words = [m.span() for m in re.finditer(r"\S+", text[span.start : span.end])]
    counts = count([text[span.start + a : span.start + b] for a, b in words])
    return _pack(span, words, counts, max_tokens)


def _pack(span: Span, parts: list[tuple[int, int]], counts: list[int], max_tokens: int) -> list[Span]:
    """Consecutive `parts` (offsets in `span`) grouped into spans of at most `max_tokens` tokens."""
    pieces: list[Span] = []
    piece_start, used = 0, 0
    for i, n in enumerate(counts):
        if used and used + n > max_tokens:
            pieces.append(Span(span.start + parts[piece_start][0], span.start + parts[i - 1][1]))
            piece_start, used = i, 0
        used += n
    pieces.append(Span(span.start + parts[piece_start][0], span.start + parts[-1][1]))
    return pieces


def chunk_document(
    doc: Document, count: TokenCounter, max_tokens: int = 200, overlap_tokens: int = 40
) -> list[Chunk]:
    """Pack the document's sentences into chunks of at most `max_tokens` model tokens.

    Consecutive chunks share trailing sentences worth at most `overlap_tokens` tokens, so an answer that
    straddles a boundary is still whole in one chunk.
    """
    text = doc.text
    sentences = document_sentences(doc)
    if not sentences:
        return []
    counts = count([text[s.start : s.end] for s in sentences])
    if any(n > max_tokens for n in counts):
        fitted: list[Span] = []
        for s, n in zip(sentences, counts, strict=True):
            fitted.extend(_split_overlong(text, s, count, max_tokens) if n > max_tokens else [s])
        sentences = fitted
        counts = count([text[s.start : s.end] for s in sentences])

    chunks: list[Chunk] = []
    i, n = 0, len(sentences)
    while i < n:
        j, used = i, 0
        while j < n and (j == i or used + counts[j] <= max_tokens):
            used += counts[j]
            j += 1
        group = tuple(sentences[i:j])
        chunks.append(Chunk(doc.source, group[0].start, group[-1].end, group, used))
        if j >= n:
            break
        k, overlap = j, 0
        while k - 1 > i and overlap + counts[k - 1] <= overlap_tokens:
            k -= 1
            overlap += counts[k]
        i = k
    return chunks
