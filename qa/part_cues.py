"""The cheap first look at a question: whether it may have several parts. qa/parts.py, which works the
parts out (and compiles some forty patterns doing it), is imported only for a question that may."""

from __future__ import annotations

import re

COUNT = r"(?:\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)"
CUES_TEXT = (rf",|\b(?:and|or|vs|versus|than|before|after|each|every|both|all|compare|comparing|contrast|differences?|"
              rf"top|{COUNT})\b|&|;|\?\s+\S|\.\s+[A-Z]")
PLURAL_KINDS = (
    r"countries|nations|states|territories|cities|capitals|towns|regions|provinces|continents|oceans|seas|lakes|"
    r"rivers|mountains|islands|deserts|planets|moons|stars|elements|languages|universities|colleges|schools|"
    r"companies|corporations|brands|manufacturers|banks|teams|clubs|players|athletes|presidents|leaders|rulers|"
    r"emperors|kings|queens|monarchs|members|founders|ceos|wonders|landmarks|buildings|animals|species|artists|"
    r"bands|singers|musicians|actors|writers|authors|scientists|laureates|winners|films|movies|books|novels|"
    r"albums|songs|cars|airlines|airports|parks|games|sports|religions|currencies|dynasties|empires|parties|"
    r"organizations|organisations|hosts|battlefronts|campaigns|celebrities|people|fish|whales|birds|wars|battles|"
    r"poems|paintings|operas|symphonies|metals|extinctions|volcanoes|castles|cathedrals|galaxies|constellations")
CUES = re.compile(rf"{CUES_TEXT}|\b(?:{PLURAL_KINDS}|members? of)\b", re.I)
"""Without one of these a question has one part: a comma, a conjunction, a count, "each", a comparison word,
or a plural of a kind of thing sets are made of ("the capitals of the G7 countries")."""


def might_have_parts(question: str) -> bool:
    """False for a question that plainly has one part (no comma, conjunction, count or comparison word)."""
    return CUES.search(question) is not None


SUPERLATIVE = re.compile(r"^\W*(?:what|which|identify|name|find)\b.*\b(?:most|least|[a-z]{2,}est)\b", re.I)
"""The cheap first look for a question asking the first of a ranking ("What is the longest river in Africa?"):
qa/multipart.py's `answer_superlative` reads it."""


def might_be_superlative(question: str) -> bool:
    """False for a question that plainly asks for no first place of a ranking."""
    return SUPERLATIVE.search(question) is not None



_PLACE_NOUN = r"(?i:city|country|town|state|island|nation|region|province|capital|continent)"
NESTED = re.compile(rf"\b(?i:the)\s+{_PLACE_NOUN}\s+(?i:where|in\s+which)\b|"
                    rf"\b(?i:the)\s+{_PLACE_NOUN}\s+[A-Z][^?]*\s(?i:is|was|lies)\s+(?i:in|on)\b")
"""The cheap first look for a question naming a place by a description ("the city where Handel's Messiah was first
performed", "the country Petra is in"): qa/nested.py reads it."""


def might_be_nested(question: str) -> bool:
    """False for a question that plainly names the place it asks about."""
    return NESTED.search(question) is not None
