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
from functools import lru_cache

from index.keywords import STOPWORDS
from index.titles import normalize

PERSON, DATE, PLACE, NUMBER = "person", "date", "place", "number"
STRICT = frozenset({DATE, NUMBER})
"""Types whose absence from every retrieved sentence means the documents do not answer: a date or a number
is written as one. A "who" or "where" question can be answered by words that are not a name ("Russian
men who fled the call-up"), so for those the type only orders the sentences."""

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
_NAME_WORD = (r"(?:[A-Z][a-zà-ÿ'’]+(?:-[A-Za-zà-ÿ'’]+)*|[A-Z]\.(?:\s?[A-Z]\.)*|[A-Z]{2,}"
              r"|(?:de|da|van|von|der|del|la|le|bin|al)(?=\s[A-Z]))")
_TITLES = frozenset(
    """president vice minister prime foreign secretary general king queen prince princess sir dame dr mr mrs ms
    chancellor senator governor mayor pope emperor empress director chairman chairwoman ceo founder lord lady
    saint st captain colonel admiral judge justice ambassador premier sultan sheikh tsar czar state""".split()
)
_DEMONYM = re.compile(r"(?:ian|ean|ese|ish|ic)$")
_ORGS = frozenset(
    """department ministry council assembly union group nations states university college company corporation
    inc ltd party army navy committee commission agency office bank institute organization organisation
    association federation league club republic kingdom empire church court senate parliament congress""".split()
)
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
    (re.compile(r"^(?:population|number|gdp|area|size|height|age) of\b|^(?:what|which)\b.*\b(?:population|gdp|"
                r"area|height|length|revenue|budget|salary|temperature|growth rate|unemployment rate|"
                r"inflation rate|interest rate|percentage)\b"), NUMBER),
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


@lru_cache(maxsize=64)
def _asked(question: str) -> frozenset[str]:
    return frozenset(normalize(question).split())


@lru_cache(maxsize=64)
def _question_stems(question: str) -> frozenset[str]:
    from index.keywords import RELATED_FORMS, keyword_tokens

    stems = keyword_tokens(question)
    return frozenset([*stems, *(r for s in stems for r in RELATED_FORMS.get(s, ()))])


def candidates(kind: str, sentence: str, question: str) -> list[Candidate]:
    """Spans of `sentence` that look like an answer of type `kind` and are not words of the question."""
    asked = _asked(question)
    found: list[Candidate] = []
    if kind == DATE:
        matches = list(_DATE_PATTERNS.finditer(sentence))
    elif kind == NUMBER:
        matches = [m for m in _NUMBER.finditer(sentence) if m.group().strip()]
    else:
        matches = list(_NAME.finditer(sentence))
    for m in matches:
        start, end = m.span()
        if kind in (PERSON, PLACE):  # "The United States" -> "United States"; "It" -> nothing
            while True:
                head = re.match(r"\S+\s*", sentence[start:end])
                if head is None or normalize(head.group()) not in STOPWORDS:
                    break
                start += head.end()
            if kind == PERSON:  # "Kazakh President Kassym-Jomart Tokayev" -> the name after the title
                words = sentence[start:end].split()
                lowered = [normalize(w) for w in words]
                last_title = max((i for i, w in enumerate(lowered) if w in _TITLES), default=-1)
                if last_title >= 0:
                    start = start + sentence[start:end].index(words[last_title]) + len(words[last_title])
                    start += len(sentence[start:end]) - len(sentence[start:end].lstrip())
                named = normalize(sentence[start:end]).split()
                if any(w in _ORGS for w in named) or (named and _DEMONYM.search(named[-1])):
                    continue  # an institution or a people ("Central Asian"), not a person
            if any(w in asked for w in normalize(sentence[start:end]).split()):
                continue  # what the question is about ("Antony Blinken" for "Blinken", "Mount Etna" for
                #           "Where is Etna?") is not its answer
            if start >= end or (kind == PERSON and len(sentence[start:end].split()) < 2):
                continue
        words = normalize(sentence[start:end]).split()
        if not words or all(w in asked for w in words):
            continue  # the question's own words are not its answer
        text = sentence[start:end]
        lead = len(text) - len(text.lstrip())
        found.append(Candidate(start + lead, start + len(text.rstrip())))
    return found


_MEASURE = re.compile(
    r"\b(?:how many|how much)\s+(?:of\s+)?(?:the\s+)?((?:[a-z][a-z-]*\s*){1,3})|\b(?:what|which) (?:is|was|are|were) "
    r"the\s+(?:current\s+|total\s+|estimated\s+)?([a-z][a-z-]+)|^([a-z][a-z-]+) of\b"
)
_MEASURE_WORDS = {
    "population": r"population|inhabitants|residents|people|citizens|census",
    "people": r"population|inhabitants|residents|people|citizens|census|\blive[sd]?\b|\bliving\b",
    "money": r"[$€£¥]|dollars?|euros?|pounds?|yen|yuan|rubles?|million|billion",
    "cost": r"[$€£¥]|dollars?|euros?|pounds?|million|billion",
    "price": r"[$€£¥]|dollars?|euros?|pounds?",
    "age": r"\bage[sd]?\b|years old|\bborn\b",
    "area": r"\barea\b|km2|km²|square|sq\b|hectares|acres",
    "gdp": r"\bgdp\b|gross domestic product",
    "temperature": r"°|degrees|temperature",
}
_NAMED_MEASURE = re.compile(r"\b(population|gdp|temperature|salary|revenue|budget|unemployment|inflation)\b")
_NOT_MEASURES = frozenset("times things ways percent percentage number amount".split())


def measure(question: str) -> str | None:
    """What a number question counts or measures ("population", "speakers", "money"), if it names it."""
    from index.keywords import STOPWORDS

    flat = " ".join(re.sub(r"[^\w\s-]", " ", question.lower()).split())
    named = _NAMED_MEASURE.search(flat)
    if named:
        return named.group(1)
    m = _MEASURE.search(flat)
    if not m:
        return None
    words = next(g for g in m.groups() if g).split()
    if m.group(1):  # "how many Portuguese speakers are there": the noun before the verb
        head = []
        for w in words:
            if w in STOPWORDS:
                break
            head.append(w)
        plural = [w for w in head if w.endswith("s") and not w.endswith("ss")]
        words = plural[:1] or head[:1]
    word = words[0] if words else None
    return None if word is None or word in _NOT_MEASURES else word


def answer_span(kind: str, sentence: str, question: str, terms: frozenset[str] | set[str]) -> tuple[int, int] | None:
    """The first candidate answer of type `kind` in `sentence` (offsets in it), or None. A number must come
    with what the question measures: "What is the population of X?" is not answered by any number in a
    sentence about X, only by one in a sentence about its population."""
    found = candidates(kind, sentence, question)
    if not found:
        return None
    if kind == NUMBER:
        what = measure(question)
        if what is not None:
            from index.keywords import keyword_tokens

            pattern = _MEASURE_WORDS.get(what)
            named = bool(set(keyword_tokens(what)) & set(terms))
            if not named and not (pattern and re.search(pattern, sentence, re.I)):
                return None
    if len(found) == 1:
        return found[0].start, found[0].end
    points = anchors(sentence, question)
    best = min(found, key=lambda c: (_distance(c, points), c.start))
    return best.start, best.end


def anchors(sentence: str, question: str) -> list[int]:
    """Offsets in the sentence of the question's keywords (stemmed): the answer tends to sit next to them."""
    from index.keywords import keyword_positions

    wanted = _question_stems(question)
    return [at for at, term in keyword_positions(sentence) if term in wanted]


def _distance(candidate: Candidate, points: list[int]) -> int:
    if not points:
        return 0
    return min(min(abs(p - candidate.start), abs(p - candidate.end)) for p in points)
