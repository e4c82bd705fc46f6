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
        if self.paths and not any(_glob(p).match(source) for p in self.paths):
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


def _glob(pattern: str) -> re.Pattern[str]:
    """A path glob where `*` and `?` stay inside one folder and `**` crosses folders."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


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
            paths.append(value.lstrip("/"))
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
            words += re.findall(r"\w+", value.lower())
    if since and until and since > until:
        raise UsageError(f"--where: since:{since} is after until:{until}")
    return Where(tuple(paths), since, until, tuple(formats), tuple(words), text)

