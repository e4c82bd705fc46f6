"""Where a set's members stand in what a question ranks them by ("the five most populous countries", "the
seven largest islands in the world"): what an encyclopedia's opening says of each one's rank ("the world's
second-most populous country", "the fifth-largest island in the world") or of its measure ("a population of
over 241 million", "2,130,800 km2").

The documents found for a set are its members as far as a search goes, not its ranking; these statements put
the members the question asks for first. A rank is only taken in the question's measure and scope: "the most
populous city in Brazil" ranks nothing in the world, "the most sparsely populated state" nothing by
population, "the second most populous country after Haiti" nothing beyond its region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from qa.places import place_forms

if TYPE_CHECKING:
    from index.storage import IndexReader as Snapshot

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
             "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
             "twentieth": 20}
_MEASURES = {
    "populous": "population", "populated": "population", "population": "population", "populations": "population",
    "inhabitants": "population", "people": "population",
    "large": "area", "big": "area", "small": "area", "area": "area", "landmass": "area", "land": "area",
    "size": "area", "tall": "height", "high": "height", "height": "height", "long": "length", "length": "length",
    "old": "age", "young": "age", "spoken": "speakers", "speakers": "speakers", "selling": "sales",
    "sales": "sales",
}
"""What a superlative or the noun after it measures: "most populous" and "largest population" rank alike."""
_NOUN_AFTER = re.compile(r"\s*(?:nominal\s+|total\s+)?([a-z]+|[A-Z]{2,}\b)")
_GENERIC = frozenset({"large", "big", "small", "high", "low", "great", "few", "little"})
"""Superlatives' adjectives that measure whatever noun follows them ("largest population", "highest GDP");
the others measure one thing ("most populous" a population, "longest" a length)."""
_SMALLEST_FIRST = frozenset({"small", "short", "low", "young", "few", "little"})
NOT_SUPERLATIVE = frozenset({"interest", "forest", "west", "rest", "test", "best", "latest", "honest", "modest",
                              "request", "contest", "protest", "harvest", "southwest", "northwest", "midwest",
                              "earliest", "suggest", "digest", "arrest", "chest", "guest", "nest", "quest"})
_WORLD = frozenset({"world", "earth", "globe", "planet"})
SOLAR_SYSTEM = "Solar System"
"""A scope wider than the world: a rank "in the Solar System" (a moon's, a planet's) holds anywhere asked, and
in the world; a rank "on Earth" does not hold in the Solar System."""
_STATEMENT = re.compile(r"\b(?:(?P<ml>most|least)[\s-]+(?P<adj>[a-z]+)|(?P<est>[a-z]{3,}est))\b"
                        r"(?=(?P<tail>[^.;]{0,80}))", re.I)
"""A superlative as prose states a rank: "most populous", "largest" (its ordinal, if any, comes before it)."""
_ORDINAL = re.compile(r"\b(\w+th|first|second|third|\d{1,3}(?:st|nd|rd|th))[\s-]+$", re.I)
"""The ordinal before a superlative: "the fifth-most populous", "second largest", "the world's 11th most",
"thirtieth-largest" (an ordinal word past twentieth states no rank read here)."""
_ONE_OF = re.compile(r"\b(?:one\s+of|among)\s+(?:the\s+|its\s+|their\s+)?(?:[\w'’.-]+['’]s\s+)?$", re.I)
"""Before a superlative, "one of the largest", "one of the world's oldest": among the largest, no rank."""
_BY = re.compile(r"\s*(?:[a-z]+\s+){0,2}?(?:by|in terms of)\s+(?:the\s+)?(?:number\s+of\s+)?([a-z]+)", re.I)
_RESTRICTED = re.compile(r"\b(?:in|of|on|among|within|after|outside|until|across|excluding|except|besides)\s+"
                         r"(?:the\s+|its\s+|a\s+)?([\w'’-]+)")
"""A rank within something other than the world: "in Brazil", "of the cities on the river Danube", "after
Haiti", "outside Asia", "until it was surpassed"."""


ORDER = "order"
"""The measure of "the first five ...", "the last three ...": the place in a sequence each member states."""
_ORDER_ASKED = re.compile(r"\W*(?:(?:each|all|every|both)\s+(?:of\s+)?)?(?:the\s+)?(first)\s+(?:\d+|two|three|four|"
                          r"five|six|seven|eight|nine|ten|eleven|twelve)\b", re.I)
"""Only "the first": the documents state who was first, third or sixteenth, rarely who was last."""


@dataclass(frozen=True)
class Ranking:
    """What a set's phrase ranks its members by."""

    most: bool
    """Largest first ("most populous", "longest"); False for smallest first ("smallest", "least populous")."""
    measure: str
    """What is ranked: "population", "area", "length", "height"...; otherwise the word itself ("gdp")."""
    scope: tuple[str, ...]
    """The names it ranks within, lower-cased ("asia", "united states"); () for the world."""
    qualifier: tuple[str, ...] = ()
    """For "the first three Roman emperors": the words before the kind ("roman"), which a stated place must
    have ("the second Roman emperor", not "the first emperor of the Han dynasty")."""


def _positive(word: str) -> str:
    """A superlative's adjective: "largest" -> "large", "biggest" -> "big", "longest" -> "long"."""
    word = word.lower()
    if not word.endswith("est"):
        return word
    stem = word[:-3]
    if stem.endswith("i"):
        return stem[:-1] + "y"
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] in "bdgnpt":
        return stem[:-1]
    return stem + "e" if stem + "e" in _MEASURES or stem in ("larg", "wid", "dens", "rar") else stem


_FUNCTION_WORDS = frozenset("in of by on the and to that with for as after or from among at".split())


def _measure_after(tail: str, word: str, kind_words: frozenset[str]) -> str:
    """What a superlative measures: "by X" after it, else a measured noun right after it ("largest
    population"), else a noun that is not the kind ("highest GDP" -> "gdp"), else the adjective's own."""
    by = _BY.match(tail)
    if by and by.group(1).lower() in _MEASURES:
        return _MEASURES[by.group(1).lower()]
    if word in _MEASURES and word not in _GENERIC:
        return _MEASURES[word]  # "most populous cities": a population, whatever noun follows
    noun = _NOUN_AFTER.match(tail)  # an acronym is a measure's name too ("highest GDP")
    if noun:
        n = noun.group(1).lower()
        if n in _MEASURES:
            return _MEASURES[n]
        if n not in kind_words and n.rstrip("s") not in kind_words and n not in _FUNCTION_WORDS:
            return n.rstrip("s")
    if word in ("large", "big", "small") and kind_words & _TOWN_KINDS:
        return "population"  # "the largest city", "the five biggest cities": by their people
    return _MEASURES.get(word, word)


_TOWN_KINDS = frozenset({"city", "cities", "town", "towns", "metropolis", "village", "villages"})
"""Kinds whose size is their people: "the largest city in India" is its most populous."""


def asked_ranking(phrase: str, names: list[str], kind_words: frozenset[str]) -> Ranking | None:
    """The ranking a set's phrase asks for ("the five most populous countries in Asia" -> most population,
    within Asia), if it asks for one; `names` are the names in the phrase, `kind_words` what its members are
    called ("country", "countries", "nation")."""
    order = _ORDER_ASKED.match(phrase)
    if order is not None:  # "the first five elements": by the place each states it has
        named = {w.lower() for n in names for w in n.split()}
        before_kind: list[str] = []
        for word in phrase[order.end() :].split():
            if word.lower() in kind_words or word.lower().rstrip("s") in kind_words:
                break
            if word.lower() not in named:  # "the first three US presidents": a place, not a kind of president
                before_kind.append(word.lower())
        else:
            before_kind = []
        return Ranking(False, ORDER, _scope(names), tuple(before_kind))
    m = next((m for m in _STATEMENT.finditer(phrase) if (m.group("est") or "").lower() not in NOT_SUPERLATIVE),
             None)
    if m is None:
        top = re.search(r"\btop\s+(?:\d+|\w+)\s+(.*)", phrase, re.I)
        measure = next((_MEASURES[w] for w in re.findall(r"[a-z]+", top.group(1).lower()) if w in _MEASURES),
                       None) if top else None
        return Ranking(True, measure, _scope(names)) if measure else None
    word = _positive(m.group("adj") or m.group("est"))
    measure = _measure_after(m.group("tail"), word, kind_words)
    # a name that is the measure ("the highest GDP") is no place to rank within
    return Ranking(_largest_first(m, word), measure, _scope([n for n in names if n.lower() != measure]))


def _largest_first(m: re.Match[str], adjective: str) -> bool:
    """Whether a superlative ranks the largest first ("most populous", "longest"), not the smallest ("least
    populous", "smallest")."""
    return (m.group("ml") or "").lower() != "least" and adjective not in _SMALLEST_FIRST


def _scope(names: list[str]) -> tuple[str, ...]:
    return tuple(f.lower().removeprefix("the ") for n in names if n.lower() not in _WORLD for f in place_forms(n))


def stated_rank(text: str, ranking: Ranking, kind_words: frozenset[str], within: bool = False,
                ) -> tuple[bool, int] | None:
    """The best rank a text states in the ranking asked for, as (whether it names the world or the asked
    scope, rather than leaving it unsaid, rank): "the world's second-most populous country" is (True, 2) for
    the most populous countries, "the fifth-most populous country" (False, 5); None when it states none.
    `within`: the text is about something in the asked scope, so a rank in the world holds there at least as
    high ("the largest country in the world", of a country in Asia, is the largest in Asia)."""
    best: tuple[bool, int] | None = None
    for most, measure, scope, rank in _statements(text, kind_words):
        if most != ranking.most or measure != ranking.measure:
            continue
        if ranking.scope:  # within a place: the text must name it, or rank it in the world and be in it
            if not (scope is not None and scope.lower().removeprefix("the ") in ranking.scope
                    or within and scope in ("world", SOLAR_SYSTEM)):
                continue
            said = True
        elif scope in (None, "world", SOLAR_SYSTEM):
            said = scope in ("world", SOLAR_SYSTEM)
        else:
            continue  # a rank within somewhere else ("in Africa", "Nordic")
        if best is None or (said, -rank) > (best[0], -best[1]):
            best = (said, rank)
    return best


def _ranks_another_thing(tail: str, measure: str, kind_words: frozenset[str]) -> bool:
    """Whether a superlative ranks something other than the kind asked about: another noun ("the world's most
    populous island", "metropolitan areas") or a narrower kind of it ("the longest endorheic basin river", "the
    most populous landlocked country"), not the kind itself ("the longest river system", "city proper") or the
    measure ("the largest population", "the highest GDP", "land area")."""
    head = _HEAD.match(tail)
    if head is None:
        return False
    written = head.group(0).split()
    words = [w.lower() for w in written]
    at = next((i for i, w in enumerate(words) if w in kind_words or w.rstrip("s") in kind_words), None)
    if at is not None:  # a name before the kind ("most populous Nordic country") is its scope, read as such
        if any(w in kind_words or w.rstrip("s") in kind_words for w in words[at + 1 :]):
            return True  # "the oldest capital city": a kind word modifying another ranks a narrower kind
        return any(not w[:1].isupper() for w in written[:at])
    last = words[-1]
    return not (last in _MEASURES or last == measure or last.rstrip("s") == measure)


_HEAD = re.compile(r"\s*(?:(?!(?:in|of|on|by|and|or|with|after|among|within|outside|for|to|at|that|which|who|"
                   r"from|since|ever|than|as|the)\b)[\w'’-]+\s+){0,3}?((?!(?:in|of|on|by|and|or|with|after|among|"
                   r"within|outside|for|to|at|that|which|who|from|since|ever|than|as|the)\b)[\w'’-]+)"
                   r"(?=\s*(?:[,.;:()]|$)|\s+(?:in|of|on|by|and|or|with|after|among|within|outside|for|to|at|that|"
                   r"which|who|from|since|ever|than|as)\b)", re.I)
"""The noun a superlative ranks, the last word before a preposition or a stop: "country" of "most populous
Spanish-speaking country in", "island" of "most populous island, home to"; none for "largest by area"."""
_OR_AFTER = re.compile(r"\s*or\b")
_AND_NEXT = re.compile(r"^\s*and\s+(?:the\s+)?(?:(?:most|least)\s+[a-z]+|[a-z]+est)\b")
_AND_BEFORE = re.compile(r"\band\s+(?:the\s+)?$")


@lru_cache(maxsize=8192)
def _statements(text: str, kind_words: frozenset[str]) -> tuple[tuple[bool, str, str | None, int], ...]:
    """Every rank a text states, as (largest first, measure, scope, rank): "the world's second-most populous
    country" is (True, "population", "world", 2). Read once per text and kind: the same openings are ranked
    for one question after another about the same kind of thing."""
    out: list[tuple[bool, str, str | None, int]] = []
    scope_before: str | None = None  # the scope of the statement just before ("... by area and the largest by
    previous_end = -1  # population" ranks both in the same place)
    for m in _STATEMENT.finditer(text):
        word = m.group("adj") or m.group("est")
        if (m.group("est") or "").lower() in NOT_SUPERLATIVE or (m.group("adj") or "").lower().endswith("ly"):
            continue  # "most sparsely populated" measures something else
        if (m.group("est") or "a")[0].isupper():
            continue  # a name ending in "est" ("Mount Everest", "Budapest") is no superlative
        tail = m.group("tail")
        if _OR_AFTER.match(tail):
            continue  # "the second-longest or longest": no rank
        before = _ORDINAL.search(text, max(0, m.start() - 16), m.start())
        ordinal = before.group(1).lower() if before else ""
        if ordinal and ordinal not in _ORDINALS and not ordinal[:1].isdigit():
            if not re.fullmatch(r"\w+(?:ieth|dth|[^o]nth|teenth)", ordinal):
                ordinal = ""  # "with", "north", "growth": a word, not an ordinal
            else:
                continue  # an ordinal word past those read ("thirtieth"): its rank is not known here
        if _ONE_OF.search(text, max(0, (before.start() if before else m.start()) - 30),
                          before.start() if before else m.start()):
            continue  # "one of the largest", "one of Europe's largest": no rank
        rank = _ORDINALS.get(ordinal) or (int(ordinal.rstrip("stndrh")) if ordinal else 1)  # "11th" -> 11
        adjective = _positive(word)
        most = _largest_first(m, adjective)
        tail = _AND_NEXT.sub("", tail)
        measure = _measure_after(tail, adjective, kind_words)
        if _ranks_another_thing(tail, measure, kind_words):
            continue
        if _HEAD.match(tail) is None:
            start = before.start() if before else m.start()
            if _PART_SUBJECT.search(text, max(0, m.start() - 80), start):
                continue  # "its seaport is the largest in Japan": a part of the thing ranks, not the thing
            apposed = _APPOSED.search(text, max(0, start - 80), start)
            if apposed is not None and apposed.group(1).lower().rstrip("s") not in kind_words and \
                    apposed.group(1).lower() not in kind_words:
                continue  # "the ... combined statistical area, the fifth-largest in the United States"
        begin = before.start() if before else m.start()
        if _PAST.search(text, max(0, begin - 60), begin) and not _NOW.search(text, max(0, begin - 60), begin):
            continue  # "It was the world's third-most populous country" (the Soviet Union): no longer
        if _THEN.search(text, max(0, begin - 40), begin) or _AT_THE_TIME.match(tail):
            continue  # "becoming the world's largest city at the time" (London, in the 19th century)
        joined = previous_end >= 0 and _AND_BEFORE.search(text[previous_end:begin]) and begin - previous_end < 40
        scope = _statement_scope(text, begin, tail, scope_before if joined else None)
        scope_before, previous_end = scope, m.end()
        if scope == _EXCEPTED:
            continue
        for place in scope.split(_AND_SCOPE) if scope else [scope]:
            out.append((most, measure, place, rank))
    return tuple(out)


_PART_SUBJECT = re.compile(
    r"(?:^|[.;:]\s+|,\s+|\band\s+)(?:[Tt]he\s+|[Ii]ts\s+|[Tt]heir\s+)?(?:[\w'’-]+['’]s\s+)?(?:[A-Z]?[a-z][\w-]*\s+){0,2}?"
    r"(?!(?:it|this|that|which|who|he|she|they)\b)[a-z][\w-]+\s+(?:is|was|are|were|remains|became|becomes)\s+"
    r"(?:the\s+|(?:[A-Z][\w'’.-]*\s+)*[A-Z][\w'’.-]*['’]s\s+)?$")
"""A superlative with no noun after it whose sentence's subject is a common noun ("its seaport is the largest in
Japan", "The city's wider metropolitan area is the largest in Italy"): that noun ranks, not the document's
thing (a pronoun, "It is the largest in the Solar System", or a name, "Jupiter is ... the largest", does)."""
_APPOSED = re.compile(r"([\w-]+),\s+(?:the\s+)?$")
"""A superlative with no noun set after a noun and a comma ranks that noun."""
_PAST = re.compile(r"(?:^|[.;]\s+|\b(?:it|he|she|they|which|who|that)\s+)(?:[^.;]{0,40}?\s)?"
                   r"(?:was|were|had been|used to be)\s+(?:[^.;\s]+\s+){0,3}$", re.I)
"""A rank stated in the past, just before the superlative ("It was the world's third-most ..."): what the
thing was, not what it is."""
_THEN = re.compile(r"\b(?:becoming|became|once|formerly|previously|then)\s+(?:[^.;\s]+\s+){0,3}$", re.I)
_AT_THE_TIME = re.compile(r"[^.;]{0,60}?\b(?:at\s+the\s+time|until\s+\d{4}|at\s+its\s+peak)\b", re.I)
_NOW = re.compile(r"\b(?:is|are|remains?|has been|have been)\s+(?:[^.;\s]+\s+){0,3}$", re.I)


_EXCEPT = re.compile(r",?\s+(?:outside|except|excluding|apart\s+from|other\s+than|besides|save)\b", re.I)
_QUALIFIED_AFTER = re.compile(r",?\s+(?:below|above|outside|except|excluding|apart\s+from|other\s+than|without)\b|"
                              r"\s+(?:that|which|whose|where)\b", re.I)
"""After a rank's place, what narrows it: "in the world below sea level", "in the world that is landlocked" (not
", which is ..." nor "with a population of ...": those describe the first, they do not narrow it)."""
_EXCEPTED = "\0excepted"
"""The scope of a rank held in a place less part of it: no rank in the place."""
_AND_SCOPE = "\0and\0"
"""Between two places a rank holds in at once ("in Russia and Europe")."""


_FIELD = re.compile(r"\s+in\s+(?:the\s+|its\s+)?((?:[a-z][\w-]*\s+){0,3}(?:industry|sector|market|field|business|"
                    r"segment|category|league|genre|class))\b")
"""After a world rank, the field it holds in: "the world's largest company in the video game industry"."""


def _statement_scope(text: str, start: int, tail: str, joined: str | None) -> str | None:
    """Where a stated rank holds: "world", a name ("Brazil", "Asia", "Nordic", "country" of "the country's"),
    or None when the text leaves it unsaid ("It is the fifth-most populous country")."""
    before = text[max(0, start - 40) : start]
    owner = re.search(r"([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*|\b[a-z]+)['’]s\s+$", before)
    if owner is not None:
        if owner.group(1).lower() not in _WORLD:
            return owner.group(1)
        head = _HEAD.match(tail)
        narrowed = _FIELD.match(tail[head.end() :] if head else "")
        # "the world's largest company in the video game industry": first in a field, not in the world
        return narrowed.group(1) if narrowed is not None else "world"
    adjectives = re.match(r"\s*((?:[A-Z][\w'’-]*\s+)+)(?=[a-z])", tail)  # "most populous Nordic country"
    if adjectives is not None:
        return " ".join(adjectives.group(1).split())
    if re.search(r"\b(?:in|of)\s+(?:the\s+|our\s+)?solar\s+system\b", tail[:45], re.I):
        return SOLAR_SYSTEM
    world = re.search(r"\b(?:in|on)\s+(?:the\s+)?(?:world|earth|globe)\b|\bglobally\b", tail[:45], re.I)
    if world is not None:
        # "the largest city in the world below sea level": first only among some of the world's
        return _EXCEPTED if _QUALIFIED_AFTER.match(tail[world.end() :]) else "world"
    named = re.search(r"\b(?:in|of)\s+(?:the\s+)?([A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)", tail[:45])
    if named is not None:
        after = tail[named.end() :]
        if _EXCEPT.match(after):
            return _EXCEPTED  # "the highest mountain in Europe outside the Caucasus": a place in part of it
        also = re.match(r"\s+and\s+(?:the\s+)?([A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)(?![\w'’-])", after)
        if also is not None:
            return f"{named.group(1)}{_AND_SCOPE}{also.group(1)}"  # "the highest mountain in Russia and Europe"
        return named.group(1)
    clause = re.split(r",|;|\s(?:with|and|while|which|who|where)\s", tail)[0][:60]
    restricted = _RESTRICTED.search(clause)
    if restricted is not None and restricted.group(1).lower() not in ("area", "population", "size"):
        return restricted.group(1)
    return joined


_VALUES = {
    "population": re.compile(
        r"(\d[\d,]*(?:\.\d+)?)\s*(thousand|million|billion)?\s+(?:people|inhabitants|residents|citizens)|"
        r"population\s+(?:of\s+|is\s+|was\s+)?(?:(?:about|approximately|around|over|more than|nearly|almost|roughly|"
        r"exceeding|estimated|at|of)\s+)*(\d[\d,]*(?:\.\d+)?)\s*(thousand|million|billion)?", re.I),
    "area": re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(thousand|million|billion)?\s*(?:km2|km²|square\s+kilomet(?:re|er)s|"
                       r"sq\s*km)", re.I),
    "length": re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(thousand)?\s*(?:km|kilomet(?:re|er)s)\b(?!\s*2|²)", re.I),
    "height": re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(thousand)?\s*(?:m|metres|meters)\b(?!\s*2|²)", re.I),
}
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9}


_UNIT_WORDS = {"population": ("people", "inhabitants", "residents", "citizens", "population"),
               "area": ("km", "square", "sq"), "length": ("km", "kilomet"), "height": ("m",)}


@lru_cache(maxsize=256)
def _clues(measure: str) -> tuple[str, ...]:
    """Words a text that states a rank or an amount of the measure holds, at least one of them: the words that
    measure it (their stems: "larg" of "large" is in "largest"), the measure itself, its units."""
    words = {w[:-1] if w.endswith("e") else w for w, m in _MEASURES.items() if m == measure}
    return tuple(sorted(words | {measure} | set(_UNIT_WORDS.get(measure, ()))))


def may_rank(text: str, measure: str) -> bool:
    """Whether a text can state a rank or an amount of the measure (the cheap test before stated_rank and
    stated_value: a few hundred openings are tested per set question)."""
    if measure == ORDER:
        return True
    lower = text.lower()
    return any(w in lower for w in _clues(measure))


def stated_order(text: str, kind_words: frozenset[str], qualifier: tuple[str, ...] = (),
                 scope: tuple[str, ...] = ()) -> float | None:
    """The place in a sequence a text states its thing has, the first it states: an ordinal before the kind's
    word ("the third president of the United States" -> 3) or a number it has ("atomic number 3", before "the
    first element in group 6"); None when it states neither. With a `qualifier`, only an ordinal whose words
    before the kind hold it counts ("the second Roman emperor" for "roman"), and no number; with a `scope`,
    only one of that place ("the first president of the United States", not "the third president of
    Egypt")."""
    def in_scope(m: re.Match[str]) -> bool:  # the place in the words before the kind or after it
        said = (m.group(2) + " " + text[m.end() : m.end() + 60]).lower()
        return not scope or any(re.search(rf"(?:^|\s){re.escape(f)}\b", said) for f in scope)

    ordinal = next((m for m in _ordinal_before(kind_words).finditer(text)
                    if set(qualifier) <= set(m.group(2).lower().split()) and in_scope(m)), None)
    number = re.search(r"\bnumber\s+(\d{1,4})\b", text) if not qualifier and not scope else None
    if number is not None and (ordinal is None or number.start() < ordinal.start()):
        return float(number.group(1))
    if ordinal is None:
        return None
    word = ordinal.group(1).lower()
    return float(_ORDINALS.get(word) or int(word[:-2]))


@lru_cache(maxsize=64)
def _ordinal_before(kind_words: frozenset[str]) -> re.Pattern[str]:
    """An ordinal, up to two words, then a word of the kind: "the third president", "the second Roman
    emperor"."""
    kinds = "|".join(re.escape(w) for w in sorted(kind_words, key=len, reverse=True))
    return re.compile(rf"\b({'|'.join(_ORDINALS)}|\d{{1,3}}(?:st|nd|rd|th))\s+((?:[A-Za-z-]+\s+){{0,2}}?)"
                      rf"(?:{kinds})\b", re.I)


@lru_cache(maxsize=8192)
def stated_value(text: str, measure: str) -> float | None:
    """The largest amount of the measure a text gives ("a population of over 241.5 million" -> 241.5e6;
    "9,596,961 km2"), or None when it gives none or the measure has no unit to read it by."""
    pattern = _VALUES.get(measure)
    if pattern is None:
        return None
    best = None
    for m in pattern.finditer(text):
        groups = m.groups()
        number, scale = (groups[0], groups[1]) if groups[0] else (groups[2], groups[3]) if len(groups) > 2 else \
            (None, None)
        if not number:
            continue
        try:
            value = float(number.replace(",", "")) * _SCALE.get((scale or "").lower(), 1.0)
        except ValueError:
            continue
        best = value if best is None else max(best, value)
    return best


RANKED_MEASURES = {"area": "area", "land": "area", "landmass": "area", "population": "population",
                   "people": "population", "height": "height", "elevation": "height", "length": "length"}
"""The amounts a question may ask (qa/reader.py's measure) that a text may rank instead (this module's measure):
"the second-largest country by total area" gives no area, but where it stands by one."""


def ranks_by(sentence: str, opening: str, measure: str) -> bool:
    """Whether a sentence ranks its document's thing by `measure` (RANKED_MEASURES' values): a rank of what the
    document's opening says its thing is ("Canada is a country ..." -> "the second-largest country by total
    area"), or of the measure itself ("the world's fourth-largest land area")."""
    kinds = frozenset(re.findall(r"[a-z]+", opening.lower()))
    if measure == "area" and _TOWN.search(opening) and not _SAYS_AREA.search(sentence):
        return False  # a town's "largest" is by people as often ("the largest city in ... Alberta"): no area
    return any(m == measure for _, m, _, _ in _statements(sentence, kinds))


_TOWN = re.compile(r"\b(?:city|town|village|municipality|metropolis|capital|borough|suburb)\b", re.I)
_SAYS_AREA = re.compile(r"\b(?:by|in|of)\s+(?:total\s+|land\s+|surface\s+)?area\b|\b(?:land|total|surface)\s+area\b|"
                        r"\barea\s+of\b|km2|km²|\bsquare\b|\bsq\b|\bland\s?mass|\bby\s+size\b", re.I)
"""An area said as one ("by area", "land area", "km2"; not "metropolitan area"): "largest" alone ranks a city by
its people as often as by its land (a country, a lake, an ocean by its area)."""


LEAD_CHARS = 1500
"""How much of a document's text is its opening paragraphs: where a set's member is looked at for what narrows
the set, and a rank is read."""


def opening_sentences(snapshot: Snapshot, doc_id: int) -> list[tuple[int, int]]:
    """The sentences of a document's opening paragraphs (those starting in its first LEAD_CHARS characters)
    as the index holds them: past its header and its title line, whole (not cut at LEAD_CHARS), prose only
    (a table row or a code block is no sentence to take a member by)."""
    from index.types import ATOMIC_KINDS

    doc = snapshot.document(doc_id)
    out: list[tuple[int, int]] = []
    for chunk_id in snapshot.chunks_of(doc_id, 3):
        for _, span in snapshot.sentences_of(snapshot.chunk(chunk_id)):
            if span.start >= LEAD_CHARS:
                return out
            atomic = any(doc.units[u].kind in ATOMIC_KINDS for u in doc.units_at(span.start))
            title = doc.text[span.start : span.end].strip() == doc.title.strip()  # its first line, as a text's
            if span.start >= doc.body_start and not atomic and not title and (not out or span.start >= out[-1][1]):
                out.append((span.start, span.end))
    return out


def rank_sentence(snapshot: Snapshot, doc_id: int, measure: str) -> tuple[int, int] | None:
    """The first sentence of a document's opening paragraphs that ranks its thing by `measure` (`ranks_by`), as
    (start, end), if one does."""
    sentences = opening_sentences(snapshot, doc_id)
    if not sentences:
        return None
    doc = snapshot.document(doc_id)
    opening = doc.text[sentences[0][0] : sentences[0][1]]  # what the document says its thing is: "a country"
    return next(((start, end) for start, end in sentences if ranks_by(doc.text[start:end], opening, measure)), None)


def opens_about(snapshot: Snapshot, doc_id: int, name: str) -> bool:
    """Whether a document's opening sentence is about `name`: names it before its verb ("The United States of
    America (USA), also known as ..., is a country"; not "Brisbane is the capital ... of Queensland")."""
    sentences = opening_sentences(snapshot, doc_id)
    if not sentences:
        return False
    first = snapshot.document(doc_id).text[sentences[0][0] : sentences[0][1]]
    from index.text.titles import normalize

    verb = re.search(r"\s(?:is|was|are|were)\s", first)
    before = first[: verb.start()] if verb is not None else first
    # as titles are matched: case and accents aside ("Zurich" for "Zürich", "Sao Paulo" for "São Paulo")
    def plain(text: str) -> str:  # "U.S." as "US", "St." as "Saint"
        text = normalize(re.sub(r"(?<=\b\w)\.", "", text))
        return re.sub(r"(?<![\w-])(?:st|mt|ft)\b", lambda m: _ABBREVIATED[m.group()], text)

    wanted, said = plain(name), plain(before)
    return bool(wanted) and re.search(rf"(?<![\w-]){re.escape(wanted)}(?![\w-])", said) is not None


_ABBREVIATED = {"st": "saint", "mt": "mount", "ft": "fort"}

