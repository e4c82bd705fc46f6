"""A reader that knows what is asked: the expected answer type of a question, and where in a sentence a
candidate answer of that type sits.

No model reads the passages here (none is available offline besides the sentence encoder), so the types
are found with rules, in English: who -> a person, when -> a date or year, where -> a place, how many /
how much -> a number. A candidate is a span of a sentence that looks like an answer of that type and is not
already in the question ("Who founded Amazon?" is not answered by "Amazon"). Answer composition
(qa/answer.py) prefers sentences holding a candidate, abstains when none of the retrieved ones does, and
returns the candidate as the answer's highlighted span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.titles import normalize

PERSON, DATE, PLACE, NUMBER = "person", "date", "place", "number"

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)"
_DATE_PATTERNS = re.compile(
    rf"\b(?:(?:{_MONTHS})\s+\d{{1,2}},?\s+\d{{3,4}}|\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{3,4}}|(?:{_MONTHS})\s+\d{{3,4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|(?:early |late |mid-)?{_ORDINAL}(?:\s+|-)(?:century|millennium)(?:\s+(?:BC|BCE|AD|CE))?"
    rf"|\d{{1,4}}\s*(?:BC|BCE|AD|CE)\b|\b1\d{{3}}s?|\b20\d{{2}}s?)\b"
)
_NUMBER = re.compile(
    r"(?<![\w.])(?:[$€£¥]\s?)?\d(?:[\d,]*\d)?(?:\.\d+)?(?:\s?(?:%|percent|per cent|million|billion|trillion|thousand|"
    r"hundred|km2|km²|sq mi|square (?:kilometres|kilometers|miles)|km|kilometres|kilometers|miles|metres|meters|"
    r"feet|ft|m|kg|tonnes|people|inhabitants|residents|years))?"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousands?|millions?|billions?|dozens?)\b(?:\s+(?:of\s+)?(?:thousand|million|billion)s?)?",
    re.I,
)
_NAME_WORD = r"(?:[A-Z][a-zà-ÿ'’-]+|[A-Z]\.(?:\s?[A-Z]\.)*|[A-Z]{2,}|(?:de|da|van|von|der|del|la|le|bin|al)(?=\s[A-Z]))"
_NAME = re.compile(rf"\b{_NAME_WORD}(?:\s+{_NAME_WORD})*")

_TYPE_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?:when|what (?:year|date|month|day|century|decade)|which (?:year|century|decade)|"
                r"in (?:what|which) (?:year|month|century|decade)|on what (?:date|day)|since when|how long ago)\b"),
     DATE),
    (re.compile(r"\b(?:what|which) (?:year|date)\b|\bwhen\b.*\b(?:born|died|founded|built|discovered|invented|"
                r"established|created|released|published|start|end)"), DATE),
    (re.compile(r"^(?:how many|how much|what (?:is|was|are|were) the (?:population|number|gdp|area|size|height|"
                r"length|depth|width|age|percentage|amount|cost|price|budget|revenue|gini)|what percentage|"
                r"how (?:old|tall|long|high|far|large|big|deep|wide|fast|heavy|old)|what (?:population|number))\b"),
     NUMBER),
    (re.compile(r"^(?:population|number|gdp|area|size|height|age) of\b"), NUMBER),
    (re.compile(r"^(?:who|whom|whose)\b|^(?:name|list) (?:the )?(?:person|people|founders?|authors?|members?)\b|"
                r"^(?:which|what) (?:person|man|woman|people|president|king|queen|author|writer|founder|leader|"
                r"singer|actor|actress|director|player|scientist|ruler|emperor|chancellor|minister)\b"), PERSON),
    (re.compile(r"^where\b|^(?:which|what|in which|in what) (?:city|country|state|province|place|town|region|"
                r"continent|county|island|river|capital|nation)\b|\bcapital(?: city)? of\b|"
                r"\b(?:origin city|birthplace|located|headquarter(?:s|ed)?)\b"), PLACE),
]


def expected_type(question: str) -> str | None:
    """person, date, place or number when the question clearly asks for one, else None."""
    q = " ".join(question.lower().replace("’", "'").split())
    for pattern, kind in _TYPE_RULES:
        if pattern.search(q):
            return kind
    return None


@dataclass(frozen=True)
class Candidate:
    """A span of a sentence that could be the short answer."""

    start: int
    """Offset in the sentence."""
    end: int
    """End offset in the sentence."""


def candidates(kind: str, sentence: str, question: str) -> list[Candidate]:
    """Spans of `sentence` that look like an answer of type `kind` and are not words of the question."""
    asked = set(normalize(question).split())
    found: list[Candidate] = []
    if kind == DATE:
        matches = list(_DATE_PATTERNS.finditer(sentence))
    elif kind == NUMBER:
        matches = [m for m in _NUMBER.finditer(sentence) if m.group().strip()]
    else:
        matches = [m for m in _NAME.finditer(sentence) if m.start() > 0 or kind == PLACE]
        if kind == PERSON:
            matches = [m for m in matches if len(m.group().split()) >= 2]
    for m in matches:
        words = normalize(m.group()).split()
        if not words or all(w in asked for w in words):
            continue  # the question's own words are not its answer
        start, end = m.span()
        text = sentence[start:end]
        lead = len(text) - len(text.lstrip())
        found.append(Candidate(start + lead, start + len(text.rstrip())))
    return found
