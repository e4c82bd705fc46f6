"""Questions about a thing they name only by a description that another document resolves: "How many people live
in the city where Handel's Messiah was first performed?", "What's the population of the capital of the country
Petra is in?". The innermost description is asked first as a question of its own ("In which city was Handel's
Messiah first performed?"); its answer, a document's title, takes the description's place; and so on, at most
MAX_HOPS times, until the question names what it asks about ("How many people live in Dublin?"). Each step is a
line of the answer, cited, as a part is (qa/multipart.py). A step whose answer is no document's title, or not
sure enough, or of another kind than the one asked (a river for "the country where ..."), leaves the
question to be answered as any question is. Read only for a question
qa/part_cues.py's `might_be_nested` lets through."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from qa.multipart import (
    CHAIN_CONFIDENCE,
    Asked,
    Retrieval,
    _is_kind_head,
    _kind_pattern,
    _opening,
    _superlative,
    _titled_as_kind,
    combine,
)
from qa.parts import Part, chain_subject
from qa.places import place_forms

if TYPE_CHECKING:
    from index.storage import IndexReader as Snapshot
    from qa.types import Answer

MAX_HOPS = 3
"""How many descriptions a question is resolved through ("the biggest city of the country where Mount
Kilimanjaro is": two)."""

_NOUN = r"(?i:city|country|town|state|island|nation|region|province|capital|continent)"
_NAME = r"[A-Z][\w'’.-]*(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z0-9][\w'’.-]*)*"
_WHERE = re.compile(rf"\b(?i:the)\s+(?P<noun>{_NOUN})\s+(?i:where|in\s+which)\s+(?P<clause>[^?,;]+?)"
                    r"(?=\s*(?:[?,;.!]|$|\s(?i:and|but)\s))")
"""A place described by what happened there: "the city where Handel's Messiah was first performed", "the
country in which Tencent has its headquarters"."""
_IS_IN = re.compile(rf"\b(?i:the)\s+(?P<noun>{_NOUN})\s+(?P<clause>{_NAME}\s+(?i:is|was|lies)\s+(?i:in|on))\b")
"""A place described by what is in it: "the country Petra is in"."""
_OF = re.compile(rf"\b(?i:the)\s+(?P<noun>capital|(?i:biggest|largest|most\s+populous)\s+city)\s+(?:of|in)\s+"
                 rf"(?P<name>{_NAME})")
"""The capital or biggest city of a named place, inside a question that asks something else of it ("the
population of the capital of Jordan")."""


def _innermost(text: str) -> tuple[re.Match[str], str] | None:
    """The description to resolve first and the question that resolves it: one by what happened or is there
    (`_WHERE`, `_IS_IN`), the latest in the text first (it is the innermost: "the biggest city of the country
    where ..."); then a capital or biggest city of a named place, only inside a longer ask."""
    found = [m for pattern in (_WHERE, _IS_IN) for m in pattern.finditer(text)]
    if found:
        m = max(found, key=lambda m: m.start())
        clause = m.group("clause").strip()
        noun = m.group("noun").lower()
        if m.re is _IS_IN:  # "Petra is in" -> "In which country is Petra?"
            clause = re.sub(r"\s+(?:in|on)$", "", clause)
        return m, _asked_where(clause, noun)
    for m in _OF.finditer(text):
        before = text[: m.start()]
        if re.fullmatch(r"\W*(?i:what|which)(?:'s|\s+is|\s+was)?\s*", before):
            continue  # "What is the capital of Jordan?": the question itself, not a description inside it
        return m, f"What is the {m.group('noun').lower()} of {m.group('name')}?"
    return None


_AUXILIARY = re.compile(r"\s(?P<aux>is|are|was|were|can|could|will|would)\s+|\s(?P<verb>has|have|had)\s+")


def _asked_where(clause: str, noun: str) -> str:
    """A description's clause asked as a question of its own: "Handel's Messiah was first performed" -> "In which
    city was Handel's Messiah first performed?", "Tencent has its headquarters" -> "In which city does Tencent have
    its headquarters?", "Mount Kilimanjaro is" -> "In which country is Mount Kilimanjaro?"; a clause with no
    auxiliary verb is asked as written ("Caravaggio moved to in which country?")."""
    m = _AUXILIARY.search(f" {clause} ")
    if m is None:
        return f"{clause} in which {noun}?"
    subject, rest = clause[: m.start()].strip(), clause[m.end() - 1 :].strip()
    if m.group("aux"):
        return " ".join(f"In which {noun} {m.group('aux')} {subject} {rest}".split()) + "?"
    do = "did" if m.group("verb") == "had" else "does" if m.group("verb") == "has" else "do"
    return " ".join(f"In which {noun} {do} {subject} have {rest}".split()) + "?"


_KINDS = {"city": "city", "capital": "city", "town": "town", "country": "country", "nation": "country",
          "state": "state", "island": "island", "region": "region", "province": "province", "continent": "continent"}
"""The kind of thing a description's noun asks for, as qa/multipart.py's openings are read by."""


def _of_kind(snapshot: Snapshot, name: str, key: str) -> bool:
    """Whether a document titled by the name opens by saying it is of the kind ("Tanzania ... is a country in
    East Africa"; "Dublin is the capital and largest city of Ireland"), or is titled by it ("Luzon Island")."""
    from index.text.titles import normalize

    if not key:
        return False
    norm = normalize(name)
    kind = _kind_pattern(key)
    for doc_id, _whole in snapshot.documents_titled([norm]).get(norm, []) if norm else []:
        doc = snapshot.document(doc_id)
        if _is_kind_head(kind, _opening(doc.text, doc.title)) or _titled_as_kind(doc.title, key):
            return True
    return False


def answer_nested(snapshot: Snapshot, question: str, via: Retrieval, k: int,
                  warnings: Sequence[str] = ()) -> Answer | None:
    """The answer to a question naming what it asks about by a description (see the module), or None: no
    description, or one whose answer is not a document's title the reader is sure enough of."""
    text = " ".join(question.split())
    steps: list[Asked] = []
    per_part = max(3, -(-k // 2))
    for _ in range(MAX_HOPS):
        found = _innermost(text)
        if found is None:
            break
        m, inner = found
        # ("the biggest city of Tanzania": the one a document ranks first, as any part asking it is)
        hits, answer = _superlative(snapshot, inner, via, per_part) or via.ask(inner, per_part)
        name = None if answer.abstained or not answer.citations or answer.confidence < CHAIN_CONFIDENCE \
            else chain_subject(answer.short_answer)
        if name is None or name.lower() in text.lower() or len(place_forms(name)) > 1 or \
                not _of_kind(snapshot, name, _KINDS.get(m.group("noun").lower().split()[-1], "")):
            return None  # ("Petra" for Petra: no step forward; "Chinese" for where Tencent is, "Yamuna" for the
            # Taj Mahal's country: no place of the kind asked)
        steps.append(Asked(Part(inner, inner), hits, answer))
        text = f"{text[: m.start()]}{name}{text[m.end() :]}"
    if not steps:
        return None
    hits, answer = via.ask(text, per_part)
    return combine(question, [*steps, Asked(Part(text, text), hits, answer)], k, warnings=tuple(warnings))
