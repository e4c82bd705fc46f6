"""Scoped questions: `--where` filters on path, date, format and title, applied inside retrieval.

    path:GLOB          the document's path relative to the corpus (`*` within a folder, `**` across folders)
    since:YYYY-MM-DD   documents dated on or after (a `date` header; PDF creation date; HTML/DOCX/EPUB date)
    until:YYYY-MM-DD   documents dated on or before
    format:pdf         one format or a comma list: txt, md, rst, pdf, html, docx, epub
    title:WORDS        every word appears in the title (quote several: title:"annual report")

Conditions are combined with AND; a field given twice must match either value (path:a/** path:b/**). An
unknown field or a malformed date is a usage error that shows an example. The filter is applied to the
documents first, and both dense and keyword search rank only their chunks, so the top k come from the
matching documents whenever k of them exist.
"""

from __future__ import annotations

import datetime
import functools
import re
import shlex
from dataclasses import dataclass, field

from index.errors import UsageError

FIELDS = ("path", "since", "until", "format", "title")
FORMATS = ("txt", "md", "rst", "pdf", "html", "docx", "epub")
EXAMPLE = 'e.g. --where "path:reports/2023/** since:2023-01-01 format:pdf title:budget"'


@dataclass(frozen=True)
class Where:
    """A parsed filter. Empty fields match everything."""

    paths: tuple[str, ...] = ()
    """Globs, any of which the source must match."""
    since: str | None = None
    """ISO date the document's date must be on or after."""
    until: str | None = None
    """ISO date the document's date must be on or before."""
    formats: tuple[str, ...] = ()
    """Formats, one of which the document must have."""
    title_words: tuple[str, ...] = ()
    """Words that must all be in the title (case-insensitive)."""
    text: str = field(default="", compare=False)
    """The filter as written."""

    def __bool__(self) -> bool:
        return bool(self.paths or self.since or self.until or self.formats or self.title_words)

    def matches(self, source: str, date: str | None, fmt: str, title: str) -> bool:
        if self.paths and not any(_glob(p)(source) for p in self.paths):
            return False
        if (self.since or self.until) and not date:
            return False
        if self.since and date is not None and date < self.since:
            return False
        if self.until and date is not None and date > self.until:
            return False
        if self.formats and fmt not in self.formats:
            return False
        if self.title_words:
            words = set(re.findall(r"\w+", title.lower()))
            if not all(w in words for w in self.title_words):
                return False
        return True


MAX_WILDCARDS = 32
"""Most `*`, `**` and `?` one path glob may hold (a usage error past that): matching is linear anyway, this
keeps every filter cheap for a server that takes filters from any client."""
MAX_GLOB = 1000
"""Longest path glob, in characters."""


class _Segment:
    """One folder or file name pattern of a glob: fixed-length pieces (literal characters and `?`) between
    runs of `*`. Matched without backtracking: the first piece at the start, the last at the end, each one
    between at its leftmost place after the one before, which is where any match can put it, since every `*`
    matches the same thing. Time: the name's length times the pattern's."""

    def __init__(self, pattern: str) -> None:
        self.starred = "*" in pattern
        self.pieces = [re.compile("".join("." if c == "?" else re.escape(c) for c in piece), re.DOTALL)
                       for piece in re.split(r"\*+", pattern)]
        self.lengths = [len(piece) for piece in re.split(r"\*+", pattern)]

    def __call__(self, name: str) -> bool:
        pieces, lengths = self.pieces, self.lengths
        if not self.starred:
            return pieces[0].fullmatch(name) is not None
        first, last = lengths[0], lengths[-1]
        if first + last > len(name) or not pieces[0].fullmatch(name, 0, first) or \
                not pieces[-1].fullmatch(name, len(name) - last):
            return False
        at, end = first, len(name) - last
        for piece, length in zip(pieces[1:-1], lengths[1:-1], strict=True):
            found = piece.search(name, at, end)
            if found is None:
                return False
            at = found.start() + length
        return True


class PathGlob:
    """A `path:` glob matched a folder at a time, in time linear in the path (it used to be a regular
    expression whose `*`s backtracked exponentially: `path:****************X` ran for minutes). A `**` that is
    a whole folder name matches any number of folders (none included); any other run of `*` is one `*`,
    which stays inside a name, as in gitignore."""

    def __init__(self, pattern: str) -> None:
        items: list[_Segment | None] = []  # None: `**`
        for part in pattern.split("/"):
            if re.fullmatch(r"\*\*+", part):
                if not items or items[-1] is not None:
                    items.append(None)
            else:
                items.append(_Segment(part))
        self.groups: list[list[_Segment]] = [[]]
        """The folder patterns between the `**`s: the first and last are anchored at the ends of the path."""
        for item in items:
            if item is None:
                self.groups.append([])
            else:
                self.groups[-1].append(item)

    @staticmethod
    def _fits(group: list[_Segment], names: list[str], at: int) -> bool:
        return all(segment(names[at + k]) for k, segment in enumerate(group))

    def __call__(self, source: str) -> bool:
        names = source.split("/")
        groups = self.groups
        if len(groups) == 1:
            return len(names) == len(groups[0]) and self._fits(groups[0], names, 0)
        if sum(map(len, groups)) > len(names):
            return False
        head, tail = groups[0], groups[-1]
        if not self._fits(head, names, 0) or not self._fits(tail, names, len(names) - len(tail)):
            return False
        at, end = len(head), len(names) - len(tail)
        for group in groups[1:-1]:  # each at its leftmost place: every `**` matches the same thing
            found = next((i for i in range(at, end - len(group) + 1) if self._fits(group, names, i)), None)
            if found is None:
                return False
            at = found + len(group)
        return True


@functools.lru_cache(maxsize=256)
def _glob(pattern: str) -> PathGlob:
    return PathGlob(pattern)


def _check_glob(value: str) -> str:
    wildcards = len(re.findall(r"\*+|\?", value))
    if wildcards > MAX_WILDCARDS or len(value) > MAX_GLOB:
        raise UsageError(f"--where: path:{value[:40]}… has too many wildcards (at most {MAX_WILDCARDS} *, ** or ?, "
                         f"{MAX_GLOB} characters) ({EXAMPLE})")
    return value


def _date(value: str, name: str) -> str:
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise UsageError(f"{name}:{value} is not a date: write YYYY-MM-DD, {EXAMPLE}") from None


def parse_where(text: str | None) -> Where:
    """Parse a `--where` string; raises UsageError naming the bad part."""
    if not text or not text.strip():
        return Where()
    try:
        parts = shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"--where {text!r}: {exc} ({EXAMPLE})") from None
    paths: list[str] = []
    formats: list[str] = []
    words: list[str] = []
    since = until = None
    for part in parts:
        name, sep, value = part.partition(":")
        name = name.lower()
        if not sep or name not in FIELDS:
            raise UsageError(f"--where: unknown condition {part!r}; use {', '.join(f + ':' for f in FIELDS)} "
                             f"({EXAMPLE})")
        if not value:
            raise UsageError(f"--where: {name}: needs a value ({EXAMPLE})")
        if name == "path":
            paths.append(_check_glob(value.lstrip("/")))
        elif name == "since":
            since = _date(value, name)
        elif name == "until":
            until = _date(value, name)
        elif name == "format":
            for fmt in value.lower().split(","):
                if fmt not in FORMATS:
                    raise UsageError(f"--where: format:{fmt} is not one of {', '.join(FORMATS)} ({EXAMPLE})")
                formats.append(fmt)
        else:
            found = re.findall(r"\w+", value.lower())
            if not found:  # `title:!!!` would otherwise match every document
                raise UsageError(f"--where: title:{value} holds no word to look for in titles ({EXAMPLE})")
            words += found
    if since and until and since > until:
        raise UsageError(f"--where: since:{since} is after until:{until}")
    return Where(tuple(paths), since, until, tuple(formats), tuple(words), text)

