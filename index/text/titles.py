"""Titles as evidence of their own: the keys a document's title is known by, and the spans of a question
that could name a document.

A question that names a document's title ("What is the population of Spain?" names *Spain*) is strong
evidence for that document, stronger than any similarity of meaning: *Madrid* is about as close to the
question, but it is not what the question names. The index keeps, for every document, the normalised
forms of its title (`title_keys`); a question's word n-grams (`question_spans`) are looked up among them.

Normalisation: case and accents folded, possessive `'s` and punctuation dropped. A title is also known by
its head, the part before a parenthesis or a comma ("Amazon (company)" -> "amazon", "Phoenix, Arizona" ->
"phoenix"). Keys that are a single stop word or letter are never stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from index.text.keywords import STOPWORDS

MAX_WORDS = 8
"""Longest question n-gram looked up (and longest title key stored)."""
_APOSTROPHE_S = re.compile(r"['’]s\b")
_NON_WORD = re.compile(r"[^\w\s]+")
_HEAD = re.compile(r"^(.*?)\s*(?:[(,]|\s[—–]\s)")
"""A title's head: before a bracket or comma ("São Paulo (state)"), or before a spaced dash, as
documentation pages name themselves ("pathlib — Object-oriented filesystem paths")."""


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def fold(text: str) -> str:
    """Lower case without accents: `São Paulo` -> `sao paulo`. (A regular expression over the combining
    marks, not a loop over characters: this runs on every retrieved passage.)"""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).lower()


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """The form titles and questions are compared in (cached: questions repeat their words and n-grams)."""
    text = _APOSTROPHE_S.sub("", fold(text).replace("’", "'"))
    return " ".join(_NON_WORD.sub(" ", text).split())


def _usable(key: str) -> bool:
    words = key.split()
    return bool(words) and len(words) <= MAX_WORDS and not (len(words) == 1 and (key in STOPWORDS or len(key) < 2))


def title_keys(title: str) -> set[str]:
    """The normalised forms a title is known by: the whole title, and its head before `(` or `,`."""
    keys = {normalize(title)}
    head = _HEAD.match(title)
    if head and head.group(1).strip():
        keys.add(normalize(head.group(1)))
    return {k for k in keys if _usable(k)}


def maximal(spans: Sequence[QuestionSpan], matched: set[str]) -> list[QuestionSpan]:
    """The matched spans not inside a longer matched one: "New Guinea" is named, not "Guinea"."""
    hits = [s for s in spans if s.key in matched]
    return [s for s in hits if not any(o is not s and o.words > s.words and o.first <= s.first
                                       and s.first + s.words <= o.first + o.words for o in hits)]


@dataclass(frozen=True)
class QuestionSpan:
    """A run of the question's words that might be a title."""

    key: str
    """Its normalised form, as title keys are stored."""
    words: int
    """How many words it has."""
    proper: bool
    """Whether it is written as a name in the question: every word capitalised (or a number), not counting
    the first word of the question or small words inside ("Bank of England")."""
    first: int = 0
    """Index of its first word in the question."""


_TOKEN = re.compile(r"[\w'’.&-]+")


@lru_cache(maxsize=256)
def question_spans(question: str) -> tuple[QuestionSpan, ...]:
    """Every n-gram of the question (up to MAX_WORDS words) that could be a title key. Remembered: one
    question's passages, sentences and a set's members each ask for them."""
    raw = _TOKEN.findall(question)
    words: list[tuple[str, bool]] = []  # (normalised word, written as a name)
    for i, token in enumerate(raw):
        norm = normalize(token)
        for part in norm.split():
            capital = token[:1].isupper() or token[:1].isdigit()
            if token == "I" and not (i and raw[i - 1][:1].isupper()):
                capital = False  # "if I", "should I": the pronoun, not the numeral of "World War I"
            words.append((part, capital and (i > 0 or token.isupper() or token[:1].isdigit())))
    spans = []
    for n in range(1, MAX_WORDS + 1):
        for start in range(len(words) - n + 1):
            run = words[start : start + n]
            key = " ".join(w for w, _ in run)
            if not _usable(key):
                continue
            proper = run[0][1] and run[-1][1] and all(cap or w in STOPWORDS for w, cap in run)
            spans.append(QuestionSpan(key, n, proper, start))
    return tuple(spans)


def singular_key(key: str) -> str:
    """The key with its last word singular ("fin whales" -> "fin whale"), as titles are written."""
    words = key.split()
    if not words:
        return key
    last = words[-1]
    if last.endswith("ies") and len(last) > 4:
        last = last[:-3] + "y"
    elif re.search(r"(?:ches|shes|sses|xes|zzes)$", last) or re.fullmatch(
            r"(?:gas|bus|virus|lens|atlas|iris|canvas|bias|census|status|campus|genus|bonus|chorus|octopus|"
            r"walrus|cactus|circus|abacus|fungus|platypus|rhinoceros|hippopotamus)es", last):
        last = last[:-2]  # "gases" -> "gas", not "gase"
    elif last.endswith("s") and not last.endswith(("ss", "us", "is")):
        last = last[:-1]
    return " ".join([*words[:-1], last])
