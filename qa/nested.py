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
    Asked,
    Retrieval,
    _is_kind_head,
    _kind_pattern,
    _opening,
    _superlative,
    _titled_as_kind,
    combine,
    sure_enough,
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
_NAME = r"[A-Z][\w'’.-]*(?:\s+(?:of\s+|the\s+|de\s+|es\s+)?[A-Z0-9][\w'’.-]*)*"
_WHERE = re.compile(rf"\b(?i:the)\s+(?P<noun>{_NOUN})\s+(?i:where|in\s+which)\s+(?P<clause>[^?,;]+?)"
                    r"(?=\s*(?:[?,;!]|\.\s*$|$|\s(?i:and|but)\s))")
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
        past = _PAST.search(clause)
        if past is not None and (lemma := _lemma(past.group("verb"))) is not None:  # "Man Ray spent most of his
            subject, rest = clause[: past.start()].strip(), clause[past.end() :].strip()  # career" -> "In which
            return " ".join(f"In which {noun} did {subject} {lemma} {rest}".split()) + "?"  # city did ... spend ..."
        return f"{clause} in which {noun}?"
    subject, rest = clause[: m.start()].strip(), clause[m.end() - 1 :].strip()
    if m.group("aux"):
        return " ".join(f"In which {noun} {m.group('aux')} {subject} {rest}".split()) + "?"
    do = "did" if m.group("verb") == "had" else "does" if m.group("verb") == "has" else "do"
    return " ".join(f"In which {noun} {do} {subject} have {rest}".split()) + "?"


_PAST = re.compile(r"(?<=[\w'’.])\s+(?P<verb>[a-z]+ed|spent|wrote|grew|made|became|built|found|met|taught|went|gave|"
                   r"held|began|won|fought|sang|ran|left|lost|sold|spoke|stood|took|told|drew|rose|fell|flew|saw|came|"
                   r"got|kept|led|paid|lay|slept|sent|shot|sat|struck|swam|threw|wore|bought|brought|thought|"
                   r"caught|fled|dwelt|knew|hid)\b")
_IRREGULAR = {"spent": "spend", "wrote": "write", "grew": "grow", "made": "make", "became": "become", "built": "build",
              "found": "find", "met": "meet", "taught": "teach", "went": "go", "gave": "give", "held": "hold",
              "began": "begin", "won": "win", "fought": "fight", "sang": "sing", "ran": "run", "left": "leave",
              "lost": "lose", "sold": "sell", "spoke": "speak", "stood": "stand", "took": "take", "told": "tell",
              "drew": "draw", "rose": "rise", "fell": "fall", "flew": "fly", "saw": "see", "came": "come",
              "got": "get", "kept": "keep", "led": "lead", "paid": "pay", "lay": "lie", "slept": "sleep",
              "sent": "send", "shot": "shoot", "sat": "sit", "struck": "strike", "swam": "swim", "threw": "throw",
              "wore": "wear", "bought": "buy", "brought": "bring", "thought": "think", "caught": "catch",
              "fled": "flee", "dwelt": "dwell", "knew": "know", "hid": "hide"}
"""Past tenses a description's clause may say without an auxiliary ("where Man Ray spent most of his career")."""


def _lemma(verb: str) -> str | None:
    """A past tense's plain form: irregular ones by the table, regular ones by the English word list ("died" ->
    "die", "studied" -> "study", "performed" -> "perform"); None when neither knows it."""
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    from qa.terms import english_words

    words = english_words()
    for form in (verb[:-1], verb[:-2], verb[:-3] + "y" if verb.endswith("ied") else "", verb[:-3]):
        if len(form) > 1 and form in words:
            return form
    return None


_KINDS = {"city": "city", "capital": "city", "town": "town", "country": "country", "nation": "country",
          "island": "island", "province": "province", "continent": "continent"}
"""The kind of thing a description's noun asks for, as qa/multipart.py's openings are read by. Not "state" (a
country's opening says it is a sovereign state: "the state where the Grand Canyon is" is no country) nor
"region"."""


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


_NAME_IN_QUOTE = re.compile(rf"(?<![\w'’-]){_NAME}")


def _one_of_kind(snapshot: Snapshot, quote: str, key: str, asked: str) -> str | None:
    """The one name a step's quote holds that titles a page of the kind asked, and that the question does not
    name already ("... an ancient city and archaeological site in southern Jordan" for a country: Jordan); None
    when none or several do."""
    names = {m.group().rstrip(".") for m in _NAME_IN_QUOTE.finditer(quote)
             if m.group().rstrip(".").lower() not in asked.lower()}
    kinds = [n for n in sorted(names) if _of_kind(snapshot, n, key)]
    return kinds[0] if len(kinds) == 1 else None


def answer_nested(snapshot: Snapshot, question: str, via: Retrieval, k: int,
                  warnings: Sequence[str] = ()) -> Answer | None:
    """The answer to a question naming what it asks about by a description (see the module), or None: no
    description, or one whose answer is not a document's title the reader is sure enough of. A question that is
    only the description ("Which is the city where Handel's Messiah was first performed?") is answered by its
    step; a later description no document resolves is left in the question asked last."""
    from dataclasses import replace

    text = " ".join(question.split())
    steps: list[Asked] = []
    per_part = max(3, -(-k // 2))
    for _ in range(MAX_HOPS):
        found = _innermost(text)
        if found is None:
            break
        m, inner = found
        key = _KINDS.get(m.group("noun").lower().split()[-1], "")
        if not key:
            break  # "the state where a request is pending": no kind a page opens as, nothing asked
        # ("the biggest city of Tanzania": the one a document ranks first, as any part asking it is)
        hits, answer = _superlative(snapshot, inner, via, per_part) or via.ask(inner, per_part)
        sure = sure_enough(answer)
        name = chain_subject(answer.short_answer) if sure else None
        if sure and (name is None or not _of_kind(snapshot, name, key)):
            name = _one_of_kind(snapshot, answer.citations[0].quote, key, text)  # "Petra, ... known as Raqmu, ...
            # in southern Jordan": the reader's "Raqmu" is no country, Jordan is the quote's one country
        if name is None or name.lower() in text.lower() or len(place_forms(name)) > 1 or \
                not _of_kind(snapshot, name, key) or not _about_the_subject(snapshot, answer, inner):
            # ("Petra" for Petra: no step forward; "Chinese" for where Tencent is, "Yamuna" for the Taj Mahal's
            # country: no place of the kind asked; Anna Freud's birthplace for Sigmund's: another's)
            break
        steps.append(Asked(Part(inner, inner), hits, answer))
        if _ONLY_NAMES.fullmatch(f"{text[: m.start()]}{{}}{text[m.end() :]}"):
            if len(steps) == 1:  # the question is the description: its step's answer is the answer
                return replace(answer, question=question, warnings=(*warnings, *answer.warnings))
            return combine(question, steps, k, warnings=tuple(warnings))
        text = f"{text[: m.start()]}{name}{text[m.end() :]}"
    if not steps:
        return None
    hits, answer = _superlative(snapshot, text, via, per_part) or via.ask(text, per_part)
    return combine(question, [*steps, Asked(Part(text, text), hits, answer)], k, warnings=tuple(warnings))


_ONLY_NAMES = re.compile(r"\W*(?:(?i:which|what)(?:'s|\s+(?:is|was))?(?:\s+the\s+name\s+of)?|(?i:name|identify|find)"
                         r"(?:\s+the\s+name\s+of)?|(?i:tell\s+me))\s+\{\}\W*")
"""A question whose frame only asks what the description names: "Which is {}?", "Name {}.", "What is the name of
{}?"."""


def _about_the_subject(snapshot: Snapshot, answer: Answer, asked: str) -> bool:
    """Whether a step's answer is quoted from a document the step asks about, as its title says (Messiah (Handel)
    for "... was Handel's Messiah first performed?"), or from one its question does not name by a title at all;
    not Anna Freud's "She was born in Vienna, ... child of Sigmund Freud" for "... was Sigmund Freud born?"."""
    from index.text.titles import normalize

    if not answer.citations:
        return False
    doc = snapshot.document_by_source(answer.citations[0].source)
    title = re.sub(r"\s*\([^)]*\)\s*$", "", doc.title if doc is not None else "")
    words = normalize(asked).split()
    own = normalize(title).split()
    if not own:
        return True
    if " ".join(own) in " ".join(words):
        return True
    return not any(w in words for w in own if len(w) > 3)  # a title sharing a name with the subject: another's
