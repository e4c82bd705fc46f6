"""Answering a question with several parts (qa/parts.py finds them): a search and an answer per part, the
passages spread over the parts' documents, one cited line per part, and the parts the documents do not
answer named ("The documents do not give the land mass of France.").

Each part is asked as a question of its own through the same retrieval and composition as any question
(`AskOne`, supplied by the engine), so every quote is a verified span and a part's abstention is the usual
one; a part the corpus lacks only adds its line to the answer. A question over a set it does not name
("the capitals of the five most populous countries") is answered as far as the documents go: the members
are the documents a search for the set finds that say they are one of its kind ("... is a country in ..."),
and the answer says so; when none is found, the question is answered as one, and says the list is not in
the corpus.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from index.text.titles import singular_key
from qa.parts import (
    CODE_NAME,
    MAX_PARTS,
    PLACE_KINDS,
    SET,
    Part,
    Plan,
    SetPhrase,
    chain_subject,
    fill,
    is_kind,
    missing_line,
    referred_as,
)
from qa.places import place_forms
from qa.ranking import (
    LEAD_CHARS,
    NOT_SUPERLATIVE,
    ORDER,
    Ranking,
    asked_ranking,
    may_rank,
    opening_sentences,
    opens_about,
    rank_sentence,
    stated_order,
    stated_rank,
    stated_value,
)
from qa.types import Answer, Citation, PartAnswer, Passage

if TYPE_CHECKING:
    import numpy as np

    from index.storage import IndexReader as Snapshot
    from qa.retrieval import Hit



@dataclass(frozen=True)
class Retrieval:
    """How the engine searches and answers one text, as it does any question (qa/engine.py supplies it)."""

    ask: Callable[[str, int], tuple[list[Hit], Answer]]
    """Answer a text with `k` passages: (its hits, its Answer)."""
    search: Callable[[str, int], list[Hit]]
    """The `k` best passages for a text, without composing an answer: to find documents (a set's members), so
    ranked by the chunks' cosines and keywords, without the sentence-level blend that picks passages to quote
    (about 4 ms less for 40)."""
    embed: Callable[[Sequence[str]], None]
    """Embed these texts now, in one model call, for the asks and searches that follow."""
    ask_within: Callable[[str, int, int, str], tuple[list[Hit], Answer]]
    """Answer a text from the `k` best passages of one document (text, document id, k, the text already
    embedded that says what is asked), without a search of the whole index or a model call."""
    in_scope: Callable[[int], bool] = lambda doc_id: True
    """Whether a document is among those the question may read (`--where`): a set's members found by their
    openings are taken from those only."""
    quote: Callable[[int, int, int, int], Citation | None] | None = None
    """A document's span as citation `n` (document id, start, end, n), checked as any quote is against the
    file as it is now; None when the file no longer holds it. Without it, a set's members cite nothing."""
    vector: Callable[[str], np.ndarray] | None = None
    """A text's vector, embedded already or now: what a question answered after all as one question reuses."""

QUOTES_PER_PART = 2
"""A part's line shows at most this many quotes: a table of parts, not a page per part."""
DEFAULT_MEMBERS = 6
"""How many members of a set without a count ("the emperors of ...") are asked about; "every" and "all"
("every country in South America") ask about up to MAX_PARTS."""
EXTRA_MEMBERS = 3
"""Members asked about beyond the count the question gives: a search finds members, not the ranking the
question names ("the five smallest"), so a few more are asked, and the answer says what they rest on."""
CHAIN_CONFIDENCE = 0.7
"""The least confidence of a first ask's answer that a second ask about it is asked of ("Who directed Titanic?"
answered "Charles Dickens" at 0.64, from a sentence about David Lean's films of Dickens's novels): below it, the
question is answered as one, and a mistake is not carried into a second question."""
MEMBER_DEPTH = 40
"""How many passages the search for a set's members reads."""


@dataclass(frozen=True)
class Asked:
    """One part, its passages and its answer."""

    part: Part
    """The part asked."""
    hits: list[Hit]
    """Its passages, best first."""
    answer: Answer
    """Its answer, as any question's (cited, or an abstention)."""
    ranked: Citation | None = None
    """For a part that asks an amount its document gives no figure for, the sentence that ranks the subject by
    that measure instead ("the second-largest country by total area"), shown with the part's abstention."""


def answer_plan(snapshot: Snapshot, plan: Plan, question: str, via: Retrieval, k: int,
                warnings: Sequence[str] = ()) -> Answer | None:
    """The answer to a question with several parts: each part asked on its own, then put together. A set's
    question is also asked whole, first: where the documents hold the list, that is what the answer rests on.
    None: the question is one question after all (a set of a kind outside the closed list whose members the
    documents do not give), to be answered as any question is."""
    if plan.kind == SET and plan.members is not None:
        return _answer_set(snapshot, plan, question, via, k, tuple(warnings))
    return _answer_parts(snapshot, plan.parts, question, via, k, tuple(warnings))


_SUP = r"(?:(?:most|least)\s+[a-z]+|[a-z]+est)"
_PLACE = (r"(?:in|of|on)\s+(?:the\s+)?(?:[A-Z][\w'’.-]*(?:\s+(?:of\s+(?:the\s+)?)?[A-Z][\w'’.-]*)*|world|Earth|"
          r"[Ss]olar\s+[Ss]ystem)")
"""A place as a name, all its words capitalised ("in South America", "of the Democratic Republic of the Congo"):
not "in Africa after the Nile", "in Europe in 1800", "of the U.S. state of Georgia" (those ask more than a
first place, and are answered as any question is)."""
_BY = r"(?:\s+by\s+(?P<by>[a-z]+))?"
_WHAT = r"(?:(?:[Ww]hat|[Ww]hich)\s+(?:is|was)|[Ii]dentify|[Nn]ame|[Ff]ind)"
_END = r"(?:\s+(?:as\s+of\s+\d{4}|today|currently|now))?\s*[?.]?\s*$"
_ONE_SUPERLATIVES = (
    # "What is the longest river in Africa?", "Identify the largest country in the world by area"
    re.compile(rf"^\W*{_WHAT}\s+(?P<phrase>the\s+{_SUP}\s+(?P<head>[a-z]+)\s+{_PLACE}{_BY}){_END}"),
    # "Which city is the most populous in Brazil?"
    re.compile(rf"^\W*[Ww]hich\s+(?P<head>[a-z]+)\s+(?:is|was)\s+the\s+(?P<sup>{_SUP})\s+(?P<where>{_PLACE}{_BY}){_END}"),
    # "What is Africa's longest river?"
    re.compile(rf"^\W*{_WHAT}\s+(?P<phrase>[A-Z][\w'’. -]*?['’]s\s+{_SUP}\s+(?P<head>[a-z]+){_BY}){_END}"),
    # "Which country has the largest population in Africa?"
    re.compile(rf"^\W*[Ww]hich\s+(?P<head>[a-z]+)\s+(?:has|had)\s+the\s+(?P<with>{_SUP}\s+[a-z]+)"
               rf"(?:\s+(?P<in>{_PLACE}))?{_END}"),
)
"""A question asking the one thing that holds the first place of a ranking in a place, as a phrase naming a set
of one ("the longest river in Africa") and its kind: "What is the longest river in Africa?", "Which city is the
most populous in Brazil?", "What is Africa's longest river?", "Which country has the largest population in
Africa?" (the kind a closed-list kind of thing)."""


def _one_superlative(question: str) -> tuple[str, str] | None:
    """(the set-of-one phrase, its kind word) of a question asking the first of a ranking; None otherwise."""
    text = " ".join(question.split())
    for pattern in _ONE_SUPERLATIVES:
        m = pattern.match(text)
        if m is None:
            continue
        head = m.group("head").lower()
        found = m.groupdict()
        if found.get("by") and found.get("phrase") and found["phrase"].startswith("the "):
            # "the largest country in the world by population": the country with the largest population there
            words = re.match(rf"the\s+(?P<sup>{_SUP})\s+[a-z]+\s+(?P<where>.*?)\s+by\s+[a-z]+$", found["phrase"])
            if words is None:
                return None
            return f"the {head} with the {words.group('sup')} {found['by']} {words.group('where')}", head
        if found.get("phrase"):
            return m.group("phrase"), head
        if found.get("sup"):
            return f"the {m.group('sup')} {head} {m.group('where')}", head
        place = f" {m.group('in')}" if m.group("in") else ""
        return f"the {head} with the {m.group('with')}{place}", head
    return None


def answer_superlative(snapshot: Snapshot, question: str, via: Retrieval, k: int,
                       warnings: Sequence[str] = ()) -> Answer | None:
    """The answer to a question asking the first of a ranking in a place (`_superlative`), or None."""
    found = _superlative(snapshot, question, via, k, warnings)
    return found[1] if found is not None else None


def _superlative(snapshot: Snapshot, question: str, via: Retrieval, k: int,
                 warnings: Sequence[str] = ()) -> tuple[list[Hit], Answer] | None:
    """The answer to "What is the longest river in Africa?" from the documents that state the first place of
    that ranking (qa/ranking.py): the set of one its phrase names, found as a set's members are
    (`chosen_members`), when a document states the place (the Nile, "the longest river in the world", whose
    opening says it is in Africa). Its name is the short answer, quoted from the sentence that states the
    rank, with the sentence of its opening that names the place when the rank is the world's. None when no
    document states the first place: the question is then answered as any question is."""
    read = _one_superlative(question)
    if read is None:
        return None
    phrase, head = read
    key = kind_key(head)
    if not (is_kind(head) or is_kind(_plural(key))):
        return None
    plan = Plan(SET, (), ("What is {}?",), SetPhrase(phrase, _plural(key), 1))
    via.embed([question, phrase])
    found = [*via.search(question, MEMBER_DEPTH), *via.search(phrase, MEMBER_DEPTH)]
    members = chosen_members(snapshot, plan, found, via.in_scope)
    if not members.settled or len(members.parts) != 1 or via.quote is None:
        return None
    doc_id = members.parts[0].doc_id
    if doc_id is None:
        return None
    names, _ = _narrowing(phrase, _plural(key))
    forms = [_forms_of(place_forms(n)) for n in names]
    called = kind_words(key)
    ranking = asked_ranking(phrase, names, called)
    doc = snapshot.document(doc_id)
    within = _named(forms, doc.text[:LEAD_CHARS]) > 0
    # the sentence that states the first place ("it is the longest river in the world"), not one that only
    # gives the amount ("rising 4,807 m above sea level")
    at = next(((doc_id, a, b) for a, b in opening_sentences(snapshot, doc_id) if ranking is not None and
               (stated := stated_rank(doc.text[a:b], ranking, called, within=within)) is not None and stated[1] == 1),
              members.grounds.get(doc_id))
    if at is None:
        return None
    cited: list[Citation] = []
    rank = via.quote(*at, 1)
    if rank is None:
        return None
    cited.append(rank)
    name = _bare(members.parts[0].subject or members.parts[0].label)
    opening = opening_sentences(snapshot, doc_id)
    said = [(a, b) for a, b in opening if (a, b) != (rank.start, rank.end)]
    wanted = []
    if forms and not _named(forms, rank.quote):  # a world rank: where its opening says it is
        wanted.append(next(((a, b) for a, b in said if _named(forms, doc.text[a:b])), None))
    if not _mentions(name, " ".join([rank.quote, *(doc.text[w[0] : w[1]] for w in wanted if w is not None)])):
        # "It has a population of 30,050,000 ..., making it China's most populous city": which one, by name
        wanted.append(next(((a, b) for a, b in said if _mentions(name, doc.text[a:b])), None))
    for at_ in dict.fromkeys(w for w in wanted if w is not None):
        more = via.quote(doc_id, *at_, len(cited) + 1)
        if more is not None:
            cited.append(more)
    cited.sort(key=lambda c: c.start)  # in the document's order: the name first, as it reads
    cited = [replace(c, n=i) for i, c in enumerate(cited, start=1)]
    hits, whole = via.ask(question, k)
    text = " ".join(f"{c.quote} [{c.n}]" for c in cited)
    return hits, Answer(question, text, False, tuple(cited), whole.passages, tuple(warnings), name,
                        confidence=max(whole.confidence, RANKED_CONFIDENCE))


RANKED_CONFIDENCE = 0.8
"""The confidence of an answer resting on a stated first place of the ranking asked (a document's own words,
"the longest river in the world"), at least."""


def _answer_parts(snapshot: Snapshot, parts: Sequence[Part], question: str, via: Retrieval, k: int,
                  warnings: tuple[str, ...]) -> Answer | None:
    """Each part asked on its own, then put together (a list's items, a comparison's sides, the asks joined).
    None: the question is one question after all (an ask about a first ask's answer, which gave none)."""
    if len(parts) < 2:
        return via.ask(question, k)[1]
    per_part = max(3, -(-k // len(parts)))
    if parts[-1].after is not None:
        return _answer_chain(snapshot, parts, question, via, per_part, k, warnings)
    via.embed([p.question for p in parts])
    # a part asking the first of a ranking in a place ("Identify the longest river in Africa") as a question
    # of its own does (`_superlative`), else as any question
    asked = _followed(snapshot, [Asked(p, *(_superlative(snapshot, p.question, via, per_part)
                                            or via.ask(p.question, per_part))) for p in parts], via)
    asked = [a if _about_subject(snapshot, a) else _off_subject(a) for a in asked]
    return combine(question, _with_ranks(snapshot, asked, via), k, warnings=warnings)


def _answer_chain(snapshot: Snapshot, parts: Sequence[Part], question: str, via: Retrieval, per_part: int, k: int,
                  warnings: tuple[str, ...]) -> Answer | None:
    """Two asks, the second about the first one's answer ("What is the capital of Bosnia and Herzegovina and how
    many people live there?"): the first is answered, then the second is asked of the name it gave ("How many
    people live in Sarajevo?"). None, to be answered as one question, when the first gives no name a document is
    about (or one in code), or no person the second's "he" or "she" may be."""
    first = Asked(parts[0], *(_superlative(snapshot, parts[0].question, via, per_part)
                              or via.ask(parts[0].question, per_part)))
    name = chain_subject(first.answer.short_answer) if sure_enough(first.answer) else None
    kind, word = referred_as(parts[-1])
    if name is None or not (CODE_NAME.fullmatch(name) or _titled(snapshot, name)):  # (code: asked as it is)
        return None  # "Which river flows through ...?" -> "Areas": no document is about it
    if kind == "person" and not _a_person(snapshot, name, word in ("she", "her")):
        return None  # "Who founded Microsoft?" -> "Big Tech"; "Who succeeded Queen Victoria and when did she die?"
    then = fill((parts[-1].after or "{}",), name, parts[-1].question.endswith("?"))
    second = Asked(Part(then, then), *via.ask(then, per_part))  # (not answered: said so, the first still stands)
    return combine(question, [first, second], k, warnings=warnings)


def sure_enough(answer: Answer) -> bool:
    """Whether an answer may be asked about in a question after it (a chain's second ask, a description's next
    step): answered, cited, and at least CHAIN_CONFIDENCE sure."""
    return not answer.abstained and bool(answer.citations) and answer.confidence >= CHAIN_CONFIDENCE


def _titled(snapshot: Snapshot, name: str) -> bool:
    """Whether a document is titled by the name."""
    from index.text.titles import normalize

    key = normalize(name)
    return bool(key) and bool(snapshot.documents_titled([key]).get(key))


def _a_person(snapshot: Snapshot, name: str, female: bool) -> bool:
    """Whether a document titled by the name is about a person the question's "he" or "she" (`female`) may be:
    its opening says it is a person, or its first lines tell a life ("William Shakespeare was an English
    playwright, poet and actor. He is widely regarded ..."); and they do not speak of that person as the other
    ("Who succeeded Queen Victoria and when did she die?": Edward VII is "he", Victoria is who died)."""
    from index.text.titles import normalize

    key = normalize(name)
    for doc_id, _whole in snapshot.documents_titled([key]).get(key, []) if key else []:
        doc = snapshot.document(doc_id)
        lines = doc.text[len(doc.title) : len(doc.title) + 800]
        hers, his = len(_FEMALE.findall(lines)), len(_MALE.findall(lines))
        if (his > hers if female else hers > his):
            continue
        if _is_person(_opening(doc.text, doc.title)) or _GENDERED.search(lines):
            return True
    return False


_GENDERED = re.compile(r"(?:^|(?<=[.!?]\s))(?:He|She)\s+(?:is|was|has|had|became|\w+ed)\b", re.M)
"""A sentence opening with "He" or "She" and a verb: a life told."""
_FEMALE = re.compile(r"\b(?:[Ss]he|[Hh]er|[Hh]ers|[Hh]erself)\b")
_MALE = re.compile(r"\b(?:[Hh]e|[Hh]is|[Hh]im|[Hh]imself)\b")


def _about_subject(snapshot: Snapshot, a: Asked) -> bool:
    """Whether a list's or a comparison's part is answered of its own subject: every word of the subject (stems:
    "blue whales" in "Blue whale"; a place by its adjective: "Italian Prime Minister" for Italy) is in its
    quotes or in the title and first sentence of the document they come from, and not only inside a longer name
    ("Equatorial Guinea" is no answer of Guinea's); or that document is titled by the subject ("USA": United
    States). "Identify the longest river in North America" is not answered by "The Amazon River in South
    America is ... the second-longest or longest river system in the world", nor Dalí's art movement by
    Cubism's opening."""
    from index.text.keywords import keyword_tokens
    from index.text.titles import normalize
    from qa.answer import OWNER_NAMED
    from qa.places import place_forms
    from qa.ranking import opening_sentences

    answer, part = a.answer, a.part
    if answer.abstained or not answer.citations or not part.subject or part.doc_id is not None:
        return True
    subject = _bare(part.subject)
    wanted = set(keyword_tokens(subject))
    if not wanted:
        return True
    keys = {normalize(f) for f in place_forms(subject)} - {""}
    titled = {d for docs in snapshot.documents_titled(sorted(keys)).values() for d, _ in docs}
    owners = snapshot.chunk_documents([h.chunk_id for h in a.hits])
    by_source = {snapshot.document(d).source: d for d in owners.values()}
    # a document the part's search found by a title sharing a word of the subject ("Federer": Roger Federer,
    # "Apple": Apple Inc.), not one its question names otherwise ("CSV" in "How does Python read CSV files?")
    words = set(normalize(subject).split())
    named = {owners.get(h.chunk_id) for h in a.hits if h.named >= OWNER_NAMED}
    titled |= {d for d in named if d is not None and words & set(normalize(snapshot.document(d).title).split())}
    for c in answer.citations[:QUOTES_PER_PART]:
        doc_id = by_source.get(c.source)
        if doc_id in titled:
            return True
        said = [c.quote]
        if doc_id is not None:
            doc = snapshot.document(doc_id)
            said.append(doc.title)
            said += [doc.text[start:end] for start, end in opening_sentences(snapshot, doc_id)[:1]]
        if says_subject(subject, " ".join(said)):
            return True
    return False


def says_subject(subject: str, text: str) -> bool:
    """Whether a text speaks of a subject: every word of it (stems: "blue whales" in "The blue whale"; a place by
    its adjective: Italy in "Italian Prime Minister Giorgia Meloni"), and not only inside a longer name (Guinea
    in "the capital of Equatorial Guinea")."""
    from index.text.keywords import keyword_tokens
    from qa.places import place_forms

    if re.search(r"[+#]", subject):  # "C++", "C#": the keyword index has only their "c"
        return re.search(rf"(?<![\w+#]){re.escape(subject)}(?![\w+#])", text, re.I) is not None
    wanted = set(keyword_tokens(subject))
    places = " ".join(f for w in re.findall(r"\b[A-Z][\w'’-]+", text) for f in place_forms(w)[1:])
    return wanted <= set(keyword_tokens(f"{text} {places}")) and not _only_in_longer_names(subject, text)


def _only_in_longer_names(subject: str, text: str) -> bool:
    """Whether a text writes a place only as part of another place's name: "Guinea" in "the capital of
    Equatorial Guinea" or "Papua New Guinea", "Virginia" in "West Virginia", "Mexico" in "Mexico City"; not in
    "the Republic of Guinea", "In Guinea," or "Mexico City ... of Mexico", and not a person's surname in their
    name ("Picasso" in "Pablo Picasso")."""
    if not subject[:1].isupper():
        return False
    name = re.escape(subject)
    found = list(re.finditer(rf"(?<![\w-]){name}(?![\w-])", text))
    longer = re.compile(rf"(?<![\w-])(?:{_PLACE_QUALIFIERS})\s+(?:(?:{_PLACE_QUALIFIERS})\s+)*{name}(?![\w-])|"
                        rf"(?<![\w-]){name}\s+(?:{_PLACE_KINDS})\b")
    inside = {m.start() + m.group().index(subject) for m in longer.finditer(text)}
    return bool(found) and all(m.start() in inside for m in found)


_PLACE_QUALIFIERS = ("North|South|East|West|Northern|Southern|Eastern|Western|Central|New|Equatorial|Papua|Upper|"
                     "Lower|Greater|Little|Great|Old")
"""Words before a place's name that make another place's ("Equatorial Guinea", "New South Wales", "West Virginia")."""
_PLACE_KINDS = ("City|River|State|Province|Island|Islands|Sea|Strait|Bay|Lake|Mountains|County|District|Territory|"
                "Peninsula|Basin|Desert|Valley")
"""Words after a place's name that make another thing's ("Mexico City", "Niger River", "Georgia Strait")."""


def _off_subject(a: Asked) -> Asked:
    """A part whose quotes speak of something else, as unanswered: its passages kept, its quotes not shown."""
    return replace(a, answer=replace(a.answer, abstained=True, citations=()))


def _followed(snapshot: Snapshot, asked: Sequence[Asked], via: Retrieval, like: str | None = None) -> list[Asked]:
    """The parts whose short answer is a document's title ("What is the capital of Turkey?" -> Ankara), each
    also asked of that document by its own question (the questions embedded together, in one model call): its
    best quote there follows the part's own when it names the part's subject ("Ankara is the capital city of
    Turkey."), so the answer's own document says it too and is cited; a quote that does not name the subject
    (the Indian Ocean's "bounded by ... Africa" for South Africa) is left out. With `like` (a set's question,
    embedded already), each is asked by that text's vector and the document's, as a set's members are: no
    model call (a part of its own, not a member, still by its own vector)."""
    from index.text.titles import normalize

    targets: dict[int, int] = {}
    for i, a in enumerate(asked):
        answer = a.answer
        if answer.abstained or not answer.short_answer or not answer.citations or not a.part.subject:
            continue
        key = normalize(answer.short_answer)
        whole = [d for d, w in snapshot.documents_titled([key]).get(key, []) if w] if key else []
        if len(whole) == 1 and via.in_scope(whole[0]):
            source = snapshot.document(whole[0]).source
            if all(c.source != source for c in answer.citations):
                targets[i] = whole[0]
    if not targets:
        return list(asked)
    via.embed([asked[i].part.question for i in targets if like is None or asked[i].part.doc_id is None])
    out = list(asked)
    for i, doc_id in targets.items():
        a = asked[i]
        hits, there = via.ask_within(a.part.question, doc_id, 2,
                                     like if like is not None and a.part.doc_id is not None else a.part.question)
        if there.abstained or not there.citations or \
                not _mentions(_bare(a.part.subject or ""), there.citations[0].quote):
            continue
        out[i] = replace(a, hits=[*a.hits, *hits[:1]],
                         answer=replace(a.answer, citations=(a.answer.citations[0], there.citations[0])))
    return out


ATTRIBUTE_WORDS: dict[str, frozenset[str]] = {k: frozenset(v.split()) for k, v in {
    "capital": "capital capitals seat",
    "mass": "mass area km2 km² sq square kg kilograms tonnes tons",
    "altitude": "altitude elevation metres meters m feet ft above high",
    "diameter": "diameter radius across km kilometres kilometers miles",
    "founder": "founder founders founded co-founded cofounded established started created",
    "motto": "motto", "anthem": "anthem", "postal": "postal postcode zip", "postcode": "postal postcode zip",
    "hdi": "hdi development", "gravity": "gravity g",
    "density": "density dense g cm3", "melting": "melting melts melt", "website": "website www http https",
    "endowment": "endowment", "language": "language languages spoken speak speakers",
    "president": "president presidents", "provost": "provost", "ceo": "ceo chief executive",
    "leader": "leader leaders leads led head president prime minister premier chancellor king queen monarch emperor",
    "symbol": "symbol symbols",
    "discovered": "discovered discovery discoverer discoverers isolated identified",
    "discoverer": "discovered discovery discoverer discoverers isolated identified",
    "born": "born birth birthplace", "genera": "genus genera",
}.items()}
"""Attributes a part may ask ("What is the capital of {}?") and the words a quote that gives one holds: its own,
or one it is given in. The amounts the reader measures (MEASURED_ATTRIBUTES: a population as "inhabitants", an
area in "km2") are read by its words (`qa.reader._MEASURE_WORDS`). An attribute not listed (an author, a date of
birth, a currency: "the Chilean peso") is not checked."""
MEASURED_ATTRIBUTES = frozenset({"population", "area", "height", "elevation", "length", "depth", "temperature",
                                 "gdp"})


def _gives_attribute(part: Part, answer: Answer) -> bool:
    """Whether the quotes a part's line shows speak of what it asks, when it asks a listed attribute
    (ATTRIBUTE_WORDS): for "What is the capital of India?", a quote holding "capital" (as a word: not
    "capitalism"). India's opening ("Bounded by the Indian Ocean on the south ...") names places but no
    capital: the documents do not give it, and the answer says so rather than quote it as India's capital."""
    if not part.subject or part.subject not in part.question:
        return True
    asked = part.question[: part.question.index(part.subject)]  # "What is the name of the capital of "
    if re.search(r"\b(?:and|or)\b|,", asked):
        return True  # two things asked ("the birth years and countries of origin"): either may be the one given
    from qa.reader import _MEASURE_WORDS

    keys = {k for w in re.findall(r"[\w°²-]+", asked.lower()) for k in (w, w.removesuffix("s"))}
    wanted = frozenset().union(*(ATTRIBUTE_WORDS.get(k, frozenset()) for k in keys))
    measured = [re.compile(_MEASURE_WORDS[k], re.I) for k in sorted(keys & MEASURED_ATTRIBUTES)]
    if not wanted and not measured:
        return True
    quotes = [c.quote for c in answer.citations[:QUOTES_PER_PART]]
    return any(w in wanted for q in quotes for w in re.findall(r"[\w°²-]+", q.lower())) or \
        any(m.search(q) for m in measured for q in quotes)


def _unanswered(a: Asked) -> bool:
    """Whether a part's answer leaves it unanswered: an abstention, no quote, or quotes that do not speak of
    the attribute it asks (`_gives_attribute`)."""
    return a.answer.abstained or not a.answer.citations or not _gives_attribute(a.part, a.answer)


ELSEWHERE_PASSAGES = 5
"""How many passages a member's question asked of the whole index reads (a single question's default)."""


def _elsewhere(snapshot: Snapshot, asked: Sequence[Asked], via: Retrieval, k: int) -> list[Asked]:
    """The members whose own document does not give their capital, asked of the whole index: a capital is
    answered only as the named thing's own (qa/answer.py: "What is the capital of India?" by "New Delhi, the
    capital of India" in Delhi's summary, never by Kolkata, "the cultural capital of India"), and the answer is
    kept when it has a short answer and its quote names the member. Not an amount: "8.6% of India's
    population" and "10.4 per cent of India's total geographical area" name India's measure in a sentence
    whose number is another's. The questions are embedded together, in one model call."""
    from qa.answer import _place_asked

    # a member's capital as a question of its own, one capital asked ("What are the capitals of India?" asks
    # India's capital, as "What is the capital of India?" does, under the owner rule)
    one = {i: re.sub(r"\b(?:are|were)\s+the\s+capitals\b", lambda m: f"{'is' if m.group()[0] == 'a' else 'was'} "
                     "the capital", a.part.question) for i, a in enumerate(asked)}
    todo = [i for i, a in enumerate(asked) if a.part.doc_id is not None and a.part.subject and _unanswered(a)
            and _place_asked(one[i]) is not None and not _ambiguous(snapshot, a.part.doc_id)]
    if not todo:
        return list(asked)
    via.embed([one[i] for i in todo])
    out = list(asked)
    for i in todo:
        a = asked[i]
        hits, there = via.ask(one[i], max(k, ELSEWHERE_PASSAGES))
        found = Asked(a.part, hits, there)
        if there.short_answer and not _unanswered(found) and \
                _mentions(_bare(a.part.subject or ""), there.citations[0].quote):
            out[i] = found
    return out


def _ambiguous(snapshot: Snapshot, doc_id: int) -> bool:
    """Whether a document's name may be another thing's too: its title says which one it is ("Georgia
    (country)": a sentence about "Georgia" may be the state's), or another document bears the same name."""
    from index.text.titles import normalize

    title = snapshot.document(doc_id).title.strip()
    if re.search(r"\([^)]*\)\s*$", title):
        return True
    key = normalize(_bare(title))
    return len({d for d, _ in snapshot.documents_titled([key]).get(key, [])}) > 1


def _with_ranks(snapshot: Snapshot, asked: Sequence[Asked], via: Retrieval) -> list[Asked]:
    """The parts that ask an amount their subject's document gives no figure for, each with the sentence of
    its opening that ranks the subject by that measure, if one does: "What is the land mass of Canada?" has
    no figure in Canada's summary, but "... making it the second-largest country by total area" (a rank of
    the thing the document says it is, "a country", or of the measure itself, "the world's fourth-largest
    land area"). The part stays unanswered; its line quotes the rank."""
    from qa.answer import OWNER_NAMED
    from qa.ranking import RANKED_MEASURES
    from qa.reader import measure

    out = list(asked)
    for i, a in enumerate(asked):
        wanted = RANKED_MEASURES.get(measure(a.part.question) or "")
        if wanted is None or via.quote is None or not a.part.subject or not _unanswered(a):
            continue
        doc_id = a.part.doc_id
        if doc_id is None and a.hits:
            # a list's item: the document its part's search found by its name, or found first and naming it
            # in its opening ("The United States of America (USA)")
            named = [h for h in a.hits if h.named >= OWNER_NAMED] or a.hits[:1]
            doc_id = snapshot.chunk_documents([named[0].chunk_id]).get(named[0].chunk_id)
            if doc_id is not None and named[0].named < OWNER_NAMED and \
                    not opens_about(snapshot, doc_id, _bare(a.part.subject)):
                doc_id = None  # Brisbane's summary names Queensland, but is not about it
        if doc_id is None:
            continue
        at = rank_sentence(snapshot, doc_id, wanted)
        cited = via.quote(doc_id, *at, 1) if at is not None else None
        if cited is not None:
            out[i] = replace(a, ranked=cited)
    return out


def _mentions(name: str, text: str) -> bool:
    """Whether a text names `name` as a whole word, case aside."""
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.I) is not None


def _bare(subject: str) -> str:
    """A subject as a text names it: without a leading article or a bracketed kind ("Georgia (country)")."""
    return re.sub(r"\s*\([^)]*\)$", "", re.sub(r"^(?:the|a|an)\s+", "", subject.strip(), flags=re.I))


def _answer_set(snapshot: Snapshot, plan: Plan, question: str, via: Retrieval, k: int,
                warnings: tuple[str, ...]) -> Answer | None:
    assert plan.members is not None
    via.embed([question, plan.members.text])
    if is_kind(plan.members.head):
        hits, whole = via.ask(question, k)
        by_phrase = via.search(plan.members.text, MEMBER_DEPTH)
    else:
        by_phrase = via.search(plan.members.text, MEMBER_DEPTH)
        if len(chosen_members(snapshot, plan, by_phrase, via.in_scope, grounded=False).parts) < 2:
            # a set of a kind outside the closed list ("each of the three steps") with under two members found
            # is no set: the question is one question, or its clause is asked as written beside its other asks
            if not plan.parts:
                return None
            clause = plan.for_subject(plan.members.text).question
            return _answer_parts(snapshot, [Part(clause, clause), *plan.parts], question, via, k, warnings)
        hits, whole = via.ask(question, k)
    if whole.abstained and any(_names_the_group(plan.members, term) for term in whole.unmentioned):
        # the set is named by what the documents never mention ("the G7 countries"): they do not hold its list,
        # and the countries a search brings up would be passed off as its members
        return whole
    members, rests_on, grounds, _ = chosen_members(snapshot, plan, [*hits, *by_phrase], via.in_scope)
    if not members:
        if whole.abstained:
            return whole
        note = (f"No list of {plan.members.text} was found in the documents apart from what they say about "
                "the question as a whole:")
        return replace(whole, text=f"{note}\n{whole.text}")
    parts = [*members, *plan.parts]
    # each member's name cites the sentence it was taken by, when one says it ("the world's fourth-most
    # populous country"): the list is a claim of the answer's like any other
    taken_by: list[Citation] = []
    labels = []
    changed: list[str] = []
    for p in members:
        at = grounds.get(p.doc_id) if p.doc_id is not None and via.quote is not None else None
        cited = via.quote(*at, len(taken_by) + 1) if at is not None and via.quote is not None else None
        if at is not None and cited is None and snapshot.document(at[0]).source not in changed:
            changed.append(snapshot.document(at[0]).source)
        same = next((c for c in taken_by if cited is not None and (c.source, c.start, c.end) ==
                     (cited.source, cited.start, cited.end)), None)
        if same is not None:
            cited = same
        elif cited is not None:
            taken_by.append(cited)
        labels.append(f"{p.label} [{cited.n}]" if cited is not None else p.label)
    names = ", ".join(labels)
    if changed:
        warnings = (*warnings, f"{', '.join(changed)} changed since it was indexed: quotes from it were left out. "
                               "Run `qa index`.")
    # ("every country that borders Lake Chad": each of the countries)
    heads = _plural(plan.members.head) if re.match(r"(?:every|each)\s", plan.members.text, re.I) and \
        kind_key(plan.members.head) == plan.members.head.lower() else plan.members.head
    if whole.abstained:
        lead = (f"No list of {plan.members.text} was found in the documents; answered for the {heads} {rests_on}: "
                f"{names}.")
    else:
        lead = f"Answered for each of the {heads} {rests_on}: {names}."
    per_part = max(2, -(-k // (len(parts) + 1)))
    via.embed([p.question for p in parts if p.doc_id is None])
    # a member is asked of its own document, by the whole question's vector and its document's: no search of
    # the whole index (it would only find the document again), no model call per member
    asked = _followed(snapshot, [Asked(p, *(via.ask(p.question, per_part) if p.doc_id is None
                                            else via.ask_within(p.question, p.doc_id, per_part, question)))
                                 for p in parts], via, question)
    asked = _with_ranks(snapshot, _elsewhere(snapshot, asked, via, per_part), via)
    if not whole.abstained and _about_the_set(snapshot, whole, members, grounds, plan.members):
        label = plan.members.text[:1].upper() + plan.members.text[1:]
        asked.insert(0, Asked(Part(question, label), hits, whole))
    # the whole question's closest passages fill the list when the members' run out, answered or not
    return combine(question, asked, k, lead, warnings, whole.passages if not asked or asked[0].answer is not whole
                   else (), taken_by)


def _about_the_set(snapshot: Snapshot, whole: Answer, members: Sequence[Part],
                   grounds: dict[int, tuple[int, int, int]], phrase: SetPhrase) -> bool:
    """Whether the whole question's own answer speaks of the set: a quote of it comes from a member's document,
    one a member was taken by (the list naming them), one the set's phrase names ("the countries that share a
    land border with Cambodia": Cambodia) or one that opens as one of its kind though not taken as a member, or
    it names a member. "The seven largest islands in the world: Its capital and largest city, Honiara, is
    located on the largest island, Guadalcanal." (the Solomon Islands) is no line of that answer: its passages
    stay among the closest. One that writes the set's phrase itself ("Together, the seven largest islands in
    the world cover ...") is."""
    from index.text.titles import normalize

    own = {snapshot.document(d).source for d in
           {*(p.doc_id for p in members if p.doc_id is not None), *(g[0] for g in grounds.values())}}
    words = set(re.findall(r"\w+", phrase.text.lower()))
    names = [f" {normalize(_bare(p.label))} " for p in members]
    said = normalize(re.sub(r"^(?:each|every|all)\s+(?:of\s+)?|^the\s+", "", phrase.text.strip(), flags=re.I))
    kind = _kind_pattern(kind_key(phrase.head))
    for c in whole.citations[:QUOTES_PER_PART]:
        quote = f" {normalize(c.quote)} "
        if c.source in own or any(n.strip() and n in quote for n in names) or (said and f" {said} " in quote):
            return True
        doc = snapshot.document_by_source(c.source)
        title = doc.title.strip() if doc is not None else ""
        if doc is not None and title and (_words_of(_bare(title)) <= words or
                                          _is_kind_head(kind, _opening(doc.text, title))):
            return True
    return False


def _names_the_group(members: SetPhrase, term: str) -> bool:
    """Whether `term` says which group a set is ("the G7 countries", "each member of the G7"), rather than whose
    ranking picks its members ("the 5 most valuable brands according to Kantar": the brands are still brands)."""
    text = members.text.lower()
    found = re.search(rf"(?<![\w-]){re.escape(term.lower())}(?![\w-])", text)
    head = re.search(rf"\b{re.escape(members.head.lower())}\b", text)
    if found is None:
        return False
    return (head is not None and found.start() < head.start()) or \
        re.search(rf"\bmembers?\s+(?:states?\s+)?of\s+(?:the\s+)?{re.escape(term.lower())}\b", text) is not None


def combine(question: str, asked: Sequence[Asked], k: int, lead: str = "",
            warnings: tuple[str, ...] = (), more: Sequence[Passage] = (), cited: Sequence[Citation] = ()) -> Answer:
    """One answer from the parts' answers: their citations numbered anew (a quote two parts share keeps one
    number), a line per answered part, then a line per part the documents do not answer. The passages are
    the parts', spread over them, then `more` while fewer than `k`. `cited`: the lead's own citations,
    numbered 1, 2, ... in order; a part quoting one of them keeps its number."""
    citations: list[Citation] = list(cited)
    numbers: dict[tuple[str, int, int], int] = {(c.source, c.start, c.end): c.n for c in cited}
    results: list[PartAnswer] = []
    unanswered = [_unanswered(a) for a in asked]
    for a, missing in zip(asked, unanswered, strict=True):
        if missing and a.ranked is not None and missing_line(a.part).startswith("The documents do not give "):
            # no figure, but where it ranks by the measure, quoted
            c = a.ranked
            key = (c.source, c.start, c.end)
            if key not in numbers:
                numbers[key] = len(citations) + 1
                citations.append(replace(c, n=numbers[key]))
            n = numbers[key]
            text = f"{missing_line(a.part).removesuffix('.')} as a figure; they rank it: {citations[n - 1].quote} [{n}]"
            results.append(PartAnswer(a.part.question, a.part.label, text, True, (n,)))
            continue
        if missing:
            never = a.answer.unmentioned  # say why, as a single question's abstention does
            why = f" They never mention {', '.join(never)}." if never else ""
            results.append(PartAnswer(a.part.question, a.part.label, missing_line(a.part) + why, True))
            continue
        ns: list[int] = []
        for c in a.answer.citations[:QUOTES_PER_PART]:
            key = (c.source, c.start, c.end)
            if key not in numbers:
                numbers[key] = len(citations) + 1
                citations.append(replace(c, n=numbers[key]))
            ns.append(numbers[key])
        text = " ".join(f"{citations[n - 1].quote} [{n}]" for n in ns)
        results.append(PartAnswer(a.part.question, a.part.label, text, False, tuple(ns)))
    answered = [r for r in results if not r.abstained]
    lines = [lead] if lead else []
    lines += [f"{_label(r.label)} {r.text}" for r in answered]
    lines += [r.text for r in results if r.abstained]
    # a part whose quotes do not give what it asks is sure not to be answered as much as they were likely to
    confidence = sum(1.0 - a.answer.confidence if not a.answer.abstained and missing else a.answer.confidence
                     for a, missing in zip(asked, unanswered, strict=True)) / len(asked) if asked else 0.0
    # what the parts' answers warn of (a file changed since it was indexed), each said once
    warnings = tuple(dict.fromkeys([*warnings, *(w for a in asked for w in a.answer.warnings)]))
    unmentioned = () if answered else tuple(dict.fromkeys(u for a in asked for u in a.answer.unmentioned))
    passages = spread(asked, k)
    if len(passages) < k and more:
        shown = {(p.source, p.start) for p in passages}
        extra = [p for p in more if (p.source, p.start) not in shown][: k - len(passages)]
        passages = tuple(replace(p, rank=i) for i, p in enumerate((*passages, *extra), start=1))
    return Answer(question, "\n".join(lines), not answered, tuple(citations), passages, warnings,
                  confidence=confidence, unmentioned=unmentioned, parts=tuple(results))


def _label(label: str) -> str:
    """A part's label before its quotes: "France:", or a part's own question as it is ("How often...?")."""
    return label if label.endswith(("?", ":")) else f"{label}:"


def spread(asked: Sequence[Asked], k: int) -> tuple[Passage, ...]:
    """The top `k` passages taken in turn from each part's (its best first), a document not yet among them
    first: every part's documents are listed rather than several passages of the part with the most
    matches; then the rest in the same turns. Ranks numbered anew."""
    queues = [list(a.answer.passages) for a in asked]
    out: list[Passage] = []
    taken: set[tuple[str, int]] = set()
    for new_documents in (True, False):
        while len(out) < k:
            added = False
            for queue in queues:
                shown = {p.source for p in out}
                p = next((p for p in queue if (p.source, p.start) not in taken
                          and not (new_documents and p.source in shown)), None)
                if p is not None and len(out) < k:
                    taken.add((p.source, p.start))
                    out.append(p)
                    added = True
            if not added:
                break
    return tuple(replace(p, rank=i) for i, p in enumerate(out, start=1))


RANK, NAMED, FOUND, LISTED = "rank", "named", "found", "listed"
"""What a member was taken for: the rank or amount its document states, the set's name its document
mentions, or only that a search found it."""


class Members(NamedTuple):
    """A set's members as the documents give them (`chosen_members`)."""

    parts: list[Part]
    """One part per member, asked of its own document."""
    rests_on: str
    """What they rest on, as the answer says it (`basis`)."""
    grounds: dict[int, tuple[int, int, int]]
    """Member's document id -> (document id, start, end) of the sentence it was taken by: the rank or amount
    its opening states, the set's name it mentions, the list that names it. A member only a search found, or
    whose reason no one sentence states, has none."""
    settled: bool = False
    """Whether the documents state every place of the ranking asked, from the first to its count: the members
    are then the set itself, not candidates for it (`_every_place`)."""


def chosen_members(snapshot: Snapshot, plan: Plan, found: Sequence[Hit],
                   in_scope: Callable[[int], bool] = lambda doc_id: True, grounded: bool = True) -> Members:
    """The members of the set a question is about, as the documents give them: the documents a search for
    the set and one for the whole question (`found`) bring up whose opening says they are of its kind ("Tokyo
    ... is the capital and most populous city of Japan" for "cities"; a person, for a kind of people), or whose
    title names them by it ("Arctic Ocean"), at most EXTRA_MEMBERS more than its count; not the documents the
    set's phrase itself names ("the United States" in "the most populous cities in the United States"), nor a
    kind of the kind (its opening defines a class: "A giant planet is ..."; or its title is a plural:
    "Sino-Tibetan languages"). Those that mention what the phrase narrows the set by come first: the most of
    its names ("in the United States", "of Jupiter"), then its superlative ("most populous", "largest"); each
    in the order found; only those in places 1 to its count when the documents state all of them
    (`_every_place`). With the members, what they rest on, as the answer says it (`basis`), and (`grounded`)
    the sentence each was taken by (`_grounds`)."""
    assert plan.members is not None
    every = plan.members.count is None and re.match(r"(?:every|all)\b", plan.members.text, re.I) is not None
    wanted = MAX_PARTS if every else min((plan.members.count or DEFAULT_MEMBERS) + EXTRA_MEMBERS, MAX_PARTS)
    key = kind_key(plan.members.head)
    if key == "state" and _STATES_AS_COUNTRIES.search(plan.members.text):
        key = "country"  # "NATO member states", "sovereign states": countries, not a country's states
    kind = _kind_pattern(key)
    people = key in _PERSON_KEYS
    phrase_words = set(re.findall(r"\w+", plan.members.text.lower()))
    names, superlatives = _narrowing(plan.members.text, plan.members.head)
    if not names and (typed := _LOWER_PLACE.search(plan.members.text)) is not None:
        names = _titled_as(snapshot, typed.group("place"))  # "the two largest islands of the philippines"
    forms = [_forms_of(place_forms(n)) for n in names]  # "Asian countries": those that say "Asia", as a whole word
    called = kind_words(key)
    open_kind = not is_kind(plan.members.head)  # outside the closed list: the set's names must be in its lead,
    # or its own document must name it (_listed)
    ranking = asked_ranking(plan.members.text, names, called)
    hits = sorted(found, key=lambda h: -h.score)
    owners = snapshot.chunk_documents([h.chunk_id for h in hits])
    candidates: list[tuple[tuple[float, ...], Part, str]] = []
    seen: set[int] = set()
    for h in hits:
        doc_id = owners.get(h.chunk_id)
        if doc_id is None or doc_id in seen or not in_scope(doc_id):
            continue
        seen.add(doc_id)
        doc = snapshot.document(doc_id)
        title = doc.title.strip()
        if not title or _is_context(title, plan.members.text, phrase_words):
            continue  # the set's own context ("Asia", "the United States"), not one of its members
        opening = _opening(doc.text, title)
        if _a_kind_of(title, key, opening):
            continue
        of_kind = _is_kind_head(kind, opening) or _titled_as_kind(title, key) or (people and _is_person(opening))
        lead = doc.text[:LEAD_CHARS]
        if not of_kind and ranking is not None and not people:
            of_kind = _states_own_place(snapshot, doc_id, key, ranking, lead, title, called, wanted,
                                        _named(forms, lead))
        if of_kind:
            named = _named(forms, lead)
            order: tuple[float, ...] = (-named, -any(w in lead.lower() for w in superlatives))
            ranked = _ranked(ranking, lead, called, wanted, named) if ranking is not None else None
            if ranking is not None:
                order = ranked or (2, *order)
            reason = RANK if ranked is not None else NAMED if named else FOUND
            if open_kind and not named:
                continue  # a kind outside the list: "the three primary colors" are not any colours a search finds
            candidates.append((order, plan.for_subject(title, doc_id), reason))
            if len(candidates) >= (RANKED_POOL if ranking else 3) * wanted:
                break  # enough to choose from; the rest were found later, and each costs a document read
    if names or ranking is not None:  # members no search found, by what their openings say
        for doc_id, title, lead, opens in _kind_members(snapshot, key, people, seen):
            if not in_scope(doc_id) or _is_context(title, plan.members.text, phrase_words):
                continue
            named = _named(forms, opens)  # where it opens (two sentences): not "immigration from Europe"
            if names and not named:
                continue  # not in the set's place ("in Asia") or group ("G7")
            ranked = _ranked(ranking, lead, called, wanted, named) \
                if ranking is not None and may_rank(lead, ranking.measure) else None
            if ranked is not None and ranked[:2] != (0, 1):  # a rank where it holds unsaid is not enough here
                candidates.append((ranked, plan.for_subject(title, doc_id), RANK))
            elif named:
                superlative = -any(w in lead.lower() for w in superlatives)
                candidates.append(((2, -named, superlative) if ranking is not None else (-named, superlative),
                                   plan.for_subject(title, doc_id), NAMED))
    listed, lister, lister_id = _listed(snapshot, plan.members.text, key, people, phrase_words, in_scope)
    if listed and ranking is None:
        # the set's own document names its members ("the Yalta Conference", "the Great Lakes"): those first, in
        # the order it names them, then what else was found
        ids = {doc_id for doc_id, _ in listed}
        # as many as it asks for, or more: the list is what the answer rests on, nothing found besides it
        enough = (plan.members.count is not None and len(listed) >= plan.members.count) or \
            _RELATIVE.search(plan.members.text) is not None  # "every country that borders Lake Chad": those named
        candidates = [] if enough else [c for c in candidates if c[1].doc_id not in ids]
        candidates += [((-float("inf"), float(n)), plan.for_subject(title, doc_id), LISTED)
                       for n, (doc_id, title) in enumerate(listed)]
    if not listed and _RELATIVE.search(plan.members.text) is not None:
        # a set narrowed by what its members do ("every country that uses French as an official language") and
        # listed by no document: those a search merely found are no members
        candidates = [c for c in candidates if c[2] != FOUND]
    # the names first: they say which set ("of Jupiter"); a superlative only says which end of it; a stated
    # rank or measure in the ranking asked says where in it ("the world's second-most populous country")
    candidates.sort(key=lambda c: c[0])  # stable: in the order found within each
    chosen = candidates[:wanted]
    if ranking is not None and plan.members.count:
        # the documents state every place from the first to the count asked ("the world's most populous
        # country", "... second-most ...", ...): those are the set, and no member beyond them is asked about
        placed = _every_place(candidates, plan.members.count, ranking)
        chosen, settled = (placed, True) if placed else (chosen, False)
    else:
        settled = False
    grounds = {}
    for _, part, reason in chosen if grounded else ():
        assert part.doc_id is not None
        found_at = _grounds(snapshot, part.doc_id, reason, ranking, forms, called, lister_id)
        if found_at is not None:
            grounds[part.doc_id] = found_at
    return Members([part for _, part, _ in chosen], basis({reason for _, _, reason in chosen}, names, ranking,
                                                          lister), grounds, settled)


def _every_place(candidates: Sequence[tuple[tuple[float, ...], Part, str]], count: int, ranking: Ranking,
                 ) -> list[tuple[tuple[float, ...], Part, str]] | None:
    """The candidates holding places 1 to `count` of the ranking asked, one each (the first found for a
    place), when their documents state all of them: a rank in the world or the asked place ("the world's
    third-most populous country"), or, for an order ("the first five elements"), the place in it ("atomic
    number 3"). None when a place is not stated by any."""
    by_place: dict[int, tuple[tuple[float, ...], Part, str]] = {}
    for c in candidates:
        order = c[0]
        if len(order) != 3:
            continue
        stated = order[0] == 1 if ranking.measure == ORDER else order[:2] == (0, 0)
        place = order[2]
        if stated and float(place).is_integer() and 1 <= place <= count and int(place) not in by_place:
            by_place[int(place)] = c
    return [by_place[p] for p in range(1, count + 1)] if len(by_place) == count else None


_LIST_STOP = frozenset("""each every all both the a an of in on at for by to from and or with these those their its
    that which who whom whose what how many much first last top other than""".split())


def _listed(snapshot: Snapshot, phrase: str, key: str, people: bool, phrase_words: set[str],
            in_scope: Callable[[int], bool]) -> tuple[list[tuple[int, str]], str, int | None]:
    """The members a document the set's phrase names by its title says it has ("the three leaders who met at
    the Yalta Conference": the Yalta Conference's opening names Roosevelt, Churchill and Stalin; "the Great
    Lakes"), in the order its opening paragraphs name them, and that document's title and id: the documents those
    paragraphs name by their titles (and name alone) that are of the kind (for a kind of people, a person: its
    opening says so, or its first two sentences say "he" or "she"; for any other kind, one its first two
    sentences say is one). Nothing when the phrase names no document of two words or more, or of one written as
    a name after "in" or "of" ("found in Sapphires"): a single word is rarely a list ("leaders")."""
    from index.text.titles import normalize

    words = re.findall(r"[\w'’-]+", phrase)
    spans: dict[str, int] = {}
    for n in range(min(5, len(words)), 1, -1):
        for i in range(len(words) - n + 1):
            run = words[i : i + n]
            if run[0].lower() in _LIST_STOP or run[-1].lower() in _LIST_STOP or run[-1].isdigit():
                continue
            text = " ".join(run)
            for form in (text, singular_key(text)):
                spans.setdefault(normalize(form), n)
    for i, word in enumerate(words[1:], start=1):
        # one word is a list's document only as a name the set is in or of ("found in Sapphires", "the moons of
        # Jupiter"), not a kind word ("leaders"); and not for places: a country's opening names its neighbours,
        # not its states or cities ("the states of India")
        if key in PLACE_KINDS:
            break
        if word[:1].isupper() and words[i - 1].lower() in ("in", "of", "on", "from", "within", "inside"):
            for form in (word, singular_key(word)):
                spans.setdefault(normalize(form), 1)
    if not spans:
        return [], "", None
    titled = snapshot.documents_titled(sorted(spans))
    owners = sorted(((spans[k], d) for k, docs in titled.items() for d, whole in docs if whole),
                    key=lambda x: -x[0])
    kind = _kind_pattern(key)
    for _, lister_id in owners[:2]:
        if not in_scope(lister_id):
            continue
        lister = snapshot.document(lister_id)
        lead = lister.text[:LEAD_CHARS]
        tokens = re.findall(r"[\w'’.-]+", lead)
        keys: dict[str, int] = {}
        for n in range(4, 0, -1):
            for i in range(len(tokens) - n + 1):
                run = tokens[i : i + n]
                if run[0].lower() in _LIST_STOP or run[-1].lower() in _LIST_STOP:
                    continue
                keys.setdefault(normalize(" ".join(run).strip(".")), i)
        named = snapshot.documents_titled(sorted(k for k in keys if k))
        at: dict[int, int] = {}
        for k, docs in named.items():
            whole = [d for d, w in docs if w]
            if len(whole) == 1 and whole[0] != lister_id:
                at[whole[0]] = min(at.get(whole[0], keys[k]), keys[k])
        members: list[tuple[int, str]] = []
        for doc_id in sorted(at, key=at.__getitem__):
            if not in_scope(doc_id):
                continue
            doc = snapshot.document(doc_id)
            title = doc.title.strip()
            if not title or _is_context(title, phrase, phrase_words):
                continue
            opening = _opening(doc.text, title)
            if _a_kind_of(title, key, opening):
                continue
            two = _opening(doc.text[:LEAD_CHARS], title, 2)
            if _is_kind_head(kind, opening) or _titled_as_kind(title, key) or (
                    # a person: one the opening says is one, or whose first two sentences say "he" or "she"
                    _is_person(opening) or re.search(r"\b(?:he|she|his|her)\b", two, re.I) is not None
                    if people else _is_kind_head(kind, two)):  # "It is a ... monatomic gas" (helium)
                members.append((doc_id, title))
        if len(members) >= 2:
            return members, lister.title.strip(), lister_id
    return [], "", None


def _grounds(snapshot: Snapshot, doc_id: int, reason: str, ranking: Ranking | None,
             forms: Sequence[_Forms], called: frozenset[str], lister_id: int | None,
             ) -> tuple[int, int, int] | None:
    """The sentence a member was taken by, as (document id, start, end): in its opening paragraphs, the first
    that states its rank or amount in the ranking asked (RANK) or names the set's names (NAMED); in the
    document that lists the set, the first that names it, accents aside (LISTED). Sentences as the index
    holds them (`opening_sentences`). None when no one sentence says it (a rank read across two) or a search
    is all it rests on."""
    from index.text.titles import normalize

    if reason == LISTED:
        if lister_id is None:
            return None
        lister = snapshot.document(lister_id)
        name = f" {normalize(_bare(snapshot.document(doc_id).title))} "
        for start, end in opening_sentences(snapshot, lister_id):
            if name.strip() and name in f" {normalize(lister.text[start:end])} ":
                return lister_id, start, end
        return None
    if reason not in (RANK, NAMED):
        return None
    doc = snapshot.document(doc_id)
    named = _named(forms, doc.text[:LEAD_CHARS])
    for start, end in opening_sentences(snapshot, doc_id):
        text = doc.text[start:end]
        if reason == NAMED and _named(forms, text):
            return doc_id, start, end
        if reason == RANK and ranking is not None and _ranked(ranking, text, called, MAX_PARTS, named) is not None:
            return doc_id, start, end
    return None


def _named(forms: Sequence[_Forms], text: str) -> int:
    """How many of a set's names (each a pattern of its forms as whole words) a text mentions."""
    return sum(form.search(text) is not None for form in forms)


class _Forms(NamedTuple):
    """A name's forms as whole words (`pattern`), and the forms themselves: a text that holds none of them is
    passed over without the pattern (its leading look-behind has the regular expression try every position;
    a set's members are looked for in the opening of every document of their kind, question after question)."""

    forms: tuple[str, ...]
    pattern: re.Pattern[str]

    def search(self, text: str) -> re.Match[str] | None:
        if not any(f in text for f in self.forms):
            return None
        return self.pattern.search(text)


@lru_cache(maxsize=256)
def _forms_of(forms: tuple[str, ...]) -> _Forms:
    return _Forms(forms, re.compile("|".join(rf"(?<![\w-]){re.escape(f)}(?![\w-])" for f in forms)))


_RELATIVE = re.compile(r"^(?:every|each)\s+[\w-]+\s+(?:that|which|who|whose)\s", re.I)
"""A set of every one of a kind narrowed by a relative clause, what its members do ("every country that borders
Lake Chad"): a search's finding says nothing of that."""


def _is_context(title: str, phrase: str, phrase_words: set[str]) -> bool:
    """Whether a document is the set's own context, which its phrase names ("Asia", "the United States" in "the
    most populous cities in the United States"), not one of its members: every word of its title is the phrase's,
    and not only as part of a longer name the phrase writes ("Chad" in "every country that borders Lake Chad")."""
    words = _words_of(title)
    if not words <= phrase_words:
        return False
    names = [frozenset(w.lower() for w in re.findall(r"\w+", run))
             for run in re.findall(r"[A-Z][\w'’-]*(?:\s+(?:of\s+|the\s+)*[A-Z][\w'’-]*)*", phrase)]
    return not any(words < name for name in names) or any(words == name for name in names)


@lru_cache(maxsize=16384)
def _words_of(title: str) -> frozenset[str]:
    """A title's words, lower-cased."""
    return frozenset(re.findall(r"\w+", title.lower()))


SCAN_LIMIT = 50_000
"""In an index of at most this many documents, a set's members are also looked for among every document's
opening, not only among those a search finds: "the five most populous countries" are the countries whose
openings say so, wherever a search ranks them. Beyond it, only the documents found are read."""


@dataclass
class _Catalogue:
    """Every document's opening sentence, read once per index generation, which documents open as one of each
    kind asked about, and the opening paragraphs of the members read lately. Its own lock: a question on
    another generation never waits for this one."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    openings: list[tuple[int, str, str]] | None = None
    """(document id, title, opening sentence); None until first needed."""
    kinds: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    """Kind key -> (document id, title) of each document whose opening calls it one of the kind (or whose title
    does); the last KINDS_KEPT kinds asked about."""
    people: list[tuple[int, str]] | None = None
    """The documents whose openings say they are about a person: read once, for every kind of people
    (presidents, laureates, emperors)."""
    leads: OrderedDict[int, tuple[str, str]] = field(default_factory=OrderedDict)
    """Document id -> (its opening paragraphs, its first two sentences), for the last LEADS_KEPT members read."""


_CATALOGUES: weakref.WeakKeyDictionary[Snapshot, _Catalogue] = weakref.WeakKeyDictionary()
_CATALOGUES_LOCK = threading.Lock()
KINDS_KEPT = 64
"""How many kinds' members (their ids) an index generation keeps for the next question."""
LEADS_KEPT = 8_000
"""How many members' opening paragraphs an index generation keeps (about 12 MB)."""


def _kind_members(snapshot: Snapshot, key: str, people: bool, seen: set[int]) -> list[tuple[int, str, str, str]]:
    """(document id, title, opening paragraphs, first two sentences) of every document of the index whose
    opening says it is one of the kind or whose title names it by it (or, for a kind of people, that is about
    a person), apart from those `seen`; nothing for an index of more than SCAN_LIMIT documents. The kind is
    said by its own words and synonyms that are no kind of their own: "a city-state" is a country, "a
    country" is not one of India's states."""
    if snapshot.manifest.documents > SCAN_LIMIT:
        return []
    with _CATALOGUES_LOCK:
        catalogue = _CATALOGUES.setdefault(snapshot, _Catalogue())
    with catalogue.lock:
        if catalogue.openings is None:
            rows = snapshot.openings(OPENING_CHARS)
            catalogue.openings = [(i, t.strip(), _opening(x, t.strip())) for i, t, x in rows if t.strip()]
        found = catalogue.kinds.pop(key, None)
        if found is None:
            found = _of_kind(catalogue.openings, key)
        catalogue.kinds[key] = found  # the most recent last
        while len(catalogue.kinds) > KINDS_KEPT:
            del catalogue.kinds[next(iter(catalogue.kinds))]
        if people:
            if catalogue.people is None:
                catalogue.people = [(i, t) for i, t, opening in catalogue.openings
                                    if not _CLASS_OPENING.match(opening) and _is_person(opening)]
            kinds = {i for i, _ in found}
            found = [*found, *(p for p in catalogue.people if p[0] not in kinds)]
        members = [(i, t) for i, t in found if i not in seen]
        leads = catalogue.leads
        missing = [i for i, _ in members if i not in leads]
        if missing:
            for i, title, lead in snapshot.openings(LEAD_CHARS, missing):
                leads[i] = (lead, _opening(lead, title.strip(), 2))
        out = []
        for i, t in members:
            lead, head = leads.get(i, ("", ""))
            if i in leads:
                leads.move_to_end(i)
            out.append((i, t, lead, head))
        while len(leads) > LEADS_KEPT:
            leads.popitem(last=False)
    return out


def _of_kind(openings: list[tuple[int, str, str]], key: str) -> list[tuple[int, str]]:
    """The documents among `openings` that open as one of the kind, or are titled by it."""
    own = tuple(sorted(w for w in kind_words(key) if w in (key, _plural(key)) or w not in _SYNONYMS))
    kind = _kind_pattern(key, own)
    out = []
    for doc_id, title, opening in openings:
        titled = _titled_as_kind(title, key)
        lower = opening.lower()
        if not titled and not any(w in lower for w in own):
            continue  # the cheap test first: 10,000 openings take a few milliseconds
        if _a_kind_of(title, key, opening):
            continue
        if titled and key[:4] not in lower.replace(title.lower(), ""):
            titled = False  # "Snow Country is a novel": a title's last word alone names no kind
        if titled or _is_kind_head(kind, opening):
            out.append((doc_id, title))
    return out


OPENING_CHARS = 800
"""How much of each document is read for its opening sentence when every document's is."""


_MEASURE_WORDS = {"population": "population", "area": "area", "length": "length", "height": "height",
                  "age": "age", "speakers": "number of speakers", "sales": "sales", "gdp": "GDP"}
"""How the answer names a measure it ranked members by."""


def basis(reasons: set[str], names: Sequence[str], ranking: Ranking | None, lister: str = "") -> str:
    """What a set's members rest on, as the answer says it, true of every member chosen: "the documents give,
    by the population or rank they state", "in the order they state", "whose documents mention G7", "that
    the documents give" when it differs from member to member, "a search for it finds" when a search is all
    they rest on."""
    if reasons == {RANK} and ranking is not None:
        if ranking.measure == ORDER:
            return "the documents give, in the order they state"
        measure = _MEASURE_WORDS.get(ranking.measure)
        return f"the documents give, by the {measure} or rank they state" if measure else \
            "the documents give, by the rank or amount they state"
    if reasons == {LISTED} and lister:
        return f"that the document “{lister}” names"
    if reasons == {NAMED} and names:
        return f"whose documents mention {' and '.join(names)}"
    if reasons == {FOUND}:
        return "a search for it finds"
    return "that the documents give"


_STATES_AS_COUNTRIES = re.compile(r"\b(?:member|sovereign|nation|independent)[\s-]+states?\b", re.I)
RANKED_POOL = 4
"""For a set the question ranks ("the five most populous countries"), this many times the members wanted are
read for what they state of their rank, from the documents found (three times for one it does not rank)."""


def _ranked(ranking: Ranking, lead: str, kind_words: frozenset[str], wanted: int, named: int,
            ) -> tuple[float, ...] | None:
    """Where a member's opening puts it in the ranking asked: a rank it states within the members wanted first
    (one naming the world or the asked place before one that leaves it unsaid, then by rank), then by the
    amount of the measure it gives, the names of the set's phrase it mentions first; None when it states
    neither (or a rank beyond those wanted)."""
    rank = stated_rank(lead, ranking, kind_words, within=named > 0)
    if rank is not None and rank[1] <= wanted:
        return (0, 0 if rank[0] else 1, rank[1])
    value = stated_order(lead, kind_words, ranking.qualifier, ranking.scope) if ranking.measure == ORDER else \
        stated_value(lead, ranking.measure)
    if value is not None:
        return (1, -named, -value if ranking.most else value)
    return None


def _states_own_place(snapshot: Snapshot, doc_id: int, key: str, ranking: Ranking, lead: str, title: str,
                      kind_words: frozenset[str], wanted: int, named: int) -> bool:
    """Whether a document that opens as something else says it is itself of the kind, in the place of the
    ranking asked that it states in the world or the asked place, by the kind's own word: Greenland, "an
    autonomous territory of ... It is the world's largest island"; Madagascar, "Lying off the southeastern coast
    of Africa, it is the world's fourth-largest island". A sentence whose subject is it ("it", its title), not a
    rank of another thing it names ("Velmar Islands ... Its capital is on the largest island, Grand Velmar"),
    nor one whose "it" may be a thing of the kind named before it, in its sentence or the one before ("...
    including Mount Everest; at 8,849 m, it is the world's highest mountain", in Nepal's summary)."""
    as_kind = _superlative_of_kind(kind_words)
    if as_kind.search(lead) is None:
        return False
    own = re.compile(rf"(?:^|,\s*)(?P<who>it|(?:the\s+)?{re.escape(_bare(title))})\b[^.;]{{0,60}}?\s(?:is|was)\s+"
                     r"(?:also\s+)?(?=the\b)", re.I)
    previous = ""
    for sentence in re.split(r"(?<=[.!?])\s+", lead):
        m = own.search(sentence)
        before, previous = previous, sentence
        if m is None or as_kind.match(sentence, m.end()) is None:
            continue
        if m.group("who").lower() == "it" and \
                _names_one_of_kind(snapshot, doc_id, key, f"{before} {sentence[: m.start('who')]}"):
            continue  # (the sentence before may name what "it" is: "... the summit of Mount Everest. Standing
            #           on the China-Nepal border, it is the world's highest mountain.", of Tenzing Norgay)
        ranked = _ranked(ranking, sentence[m.end():], kind_words, wanted, named)
        if ranked is not None and ranked[:2] == (0, 0):
            return True
    return False


def _names_one_of_kind(snapshot: Snapshot, doc_id: int, key: str, text: str) -> bool:
    """Whether a text names, by its title, another document that is one of the kind (opens as one or is titled
    by it): "Mount Everest" before "it is the world's highest mountain"; not "Africa" before "it is the world's
    fourth-largest island"."""
    from index.text.titles import normalize

    runs = re.findall(r"[A-Z0-9][\w'’.-]*(?:\s+(?:of\s+(?:the\s+)?)?[A-Z0-9][\w'’.-]*)*", text)
    keys = sorted({normalize(r) for r in runs} - {""})
    if not keys:
        return False
    kind = _kind_pattern(key)
    for docs in snapshot.documents_titled(keys).values():
        for other, whole in docs:
            if other == doc_id or not whole:
                continue
            found = snapshot.document(other)
            name = found.title.strip()
            if _titled_as_kind(name, key) or _is_kind_head(kind, _opening(found.text, name)):
                return True
    return False


@lru_cache(maxsize=64)
def _superlative_of_kind(kind_words: frozenset[str]) -> re.Pattern[str]:
    """A superlative whose own noun is one of the kind's words: "the world's fourth-largest island", "the
    fifth-longest river system"; not "the largest in the Solar System" (Jupiter, of moons), "the fourth-most
    populous city in India" (of states)."""
    words = "|".join(re.escape(w) for w in sorted(kind_words, key=len, reverse=True))
    return re.compile(rf"the\s+(?:world['’]s\s+)?(?:\w+-)?(?:most\s+\w+|\w+est)\s+(?:[a-z]+\s+)?(?:{words})\b",
                      re.I)


def kind_key(head: str) -> str:
    """A set's kind word in one form, whether the question wrote it plural ("the G7 countries") or singular
    ("every country in South America"): singular, lower case."""
    return singular_key(head.lower())


def _plural(word: str) -> str:
    """The regular plural of a singular kind word ("city" -> "cities", "church" -> "churches")."""
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + ("es" if re.search(r"(?:s|x|ch|sh)$", word) else "s")


_NAME_RUN = re.compile(r"(?<![\w.])(?:[A-Z][\w&.'’-]*|[0-9]+[A-Z]\w*)(?:\s+(?:of\s+|the\s+)?[A-Z][\w&.'’-]*)*")
_SUPERLATIVE = re.compile(r"\b(?:most|least)\s+([a-z]{4,})|\b([a-z]{2,}est)\b")
"""Matched case-sensitively: a name ending in "est" ("Budapest") is not a superlative."""

_LOWER_PLACE = re.compile(r"\b(?:of|in|on)\s+(?:the\s+)?(?P<place>[a-z][\w'’-]*(?:\s+[a-z][\w'’-]*){0,2})\s*$")
"""A place a set's phrase ends with, typed in lower case ("of the philippines")."""


def _titled_as(snapshot: Snapshot, typed: str) -> list[str]:
    """The title of the document a name typed in lower case names, as a set's narrowing name (["Philippines"]),
    or none."""
    from index.text.titles import normalize

    key = normalize(typed)
    found = snapshot.documents_titled([key]).get(key, []) if key else []
    whole = [doc_id for doc_id, w in found if w]
    if len(whole) != 1:
        return []
    doc = snapshot.document(whole[0])
    opening = _opening(doc.text, doc.title)
    if not any(_is_kind_head(_kind_pattern(kind), opening) for kind in _PLACE_KEYS):
        return []  # "the first five elements in the periodic table": a table is no place
    return [doc.title.strip()]


_PLACE_KEYS = ("country", "state", "island", "region", "continent", "city", "province")
"""What a document must open as for a name typed in lower case to narrow a set as a place does."""


def _narrowing(phrase: str, head: str) -> tuple[list[str], list[str]]:
    """What a set's phrase narrows it by: the names in it ("United States", "Jupiter", "G7") and its
    superlatives' words ("populous" of "most populous", "largest"), not its kind word."""
    body = re.sub(r"^\W*(?:the|each|every|all|both|of|these|those)\b\s*", "", phrase, flags=re.I)
    kind_words = {head.lower(), kind_key(head)}
    names = [re.sub(r"['’]s$", "", m.group(0)) for m in _NAME_RUN.finditer(body)  # "Africa's" names Africa
             if m.group(0).lower() not in kind_words]
    supers = [(m.group(1) or m.group(2)).lower() for m in _SUPERLATIVE.finditer(body)]
    return names, [w for w in supers if w not in NOT_SUPERLATIVE]


_CLASS_OPENING = re.compile(r"An?\s+[a-z][\w-]*(?:\s+[a-z][\w-]*){0,3}\s*(?:,[^,]{0,80},\s*)?"
                            r"(?:or\s+[\w\s-]{1,40}?\s+)?(?:is|are)\s+(?:any|a|an|one|the)\b")
"""How an encyclopedia opens on a class of things rather than one thing: "A giant planet is a ...", "An
exoplanet or extrasolar planet is a planet ...", "A continent is any of ...". The lower-case words after the
article say it: a thing's own name is written in capitals ("The Arctic Ocean is ..."), and one species or
substance has "the" ("The blue whale is ...")."""


def _a_kind_of(title: str, key: str, opening: str) -> bool:
    """Whether a document is about a kind of the kind rather than one thing of it: its opening defines a class
    ("A giant planet is ...", "A capital city ... is the municipality ..."), or its title is the kind word in
    the plural ("Sino-Tibetan languages"). "English language" or "Ming dynasty" name one thing each."""
    if _CLASS_OPENING.match(opening):
        return True
    plain = re.sub(r"\s*\([^)]*\)", "", title)
    return _plural(key) in re.findall(r"[a-z]+", plain)


def kind_words(key: str) -> frozenset[str]:
    """What an opening may call a member of a kind: its word (`key`, singular), the plural ("one of the four
    Galilean moons"), and the words an encyclopedia uses for such a thing (KIND_SYNONYMS)."""
    return frozenset({key, _plural(key), *_SYNONYMS.get(key, ())})


def _kind_pattern(key: str, words: Sequence[str] | None = None) -> re.Pattern[str]:
    return _compiled_kind(key, None if words is None else tuple(sorted(words)))


@lru_cache(maxsize=64)
def _compiled_kind(key: str, words: tuple[str, ...] | None) -> re.Pattern[str]:
    """How a member's opening says what it is: "is a / was the ... {kind}" with a few words between ("is the
    capital and most populous city", "is a country", "is the smallest and least massive of Jupiter's four
    Galilean moons"), the kind word the head of the phrase, not the kind word anywhere ("... plays as a
    forward for the club", "a sport in which players use clubs", "a team sport played between two teams").
    The kind word (`key`, singular) or its plural, or a word an encyclopedia says such a thing is by
    (KIND_SYNONYMS: a brand's opening says "company", a moon's may say "natural satellite")."""
    kinds = "|".join(re.escape(w) for w in sorted(words or kind_words(key), key=len, reverse=True))
    return re.compile(rf"\b(?:is|was|are|were)\s+(?:(?:a|an|the|one of the)\s+)?"
                      rf"(?:(?!{_CLAUSE})[\w'’.,-]+\s+){{0,10}}?(?:{kinds})(?=\s*(?:[,.;:(]|$)|\s+{_AFTER_HEAD})", re.I)


def _is_kind_head(kind: re.Pattern[str], opening: str) -> bool:
    """Whether an opening calls its thing one of the kind (`kind`, from _kind_pattern): the kind word the head of
    what it "is", not a word in an "of" phrase after the head ("the capital and largest city of the Central
    African Republic" is no republic, "a form of monarchy" no monarchy); "of" only after "one" or a superlative
    ("the smallest and least massive of Jupiter's four Galilean moons")."""
    for m in kind.finditer(opening):
        said = m.group(0)
        if _GAP_PREPOSITION.search(said):
            continue  # "a game popular in many countries", "one of the islands in the ... country"
        if all(_among_before(said[: o.start()])
               or _HEAD_AGAIN.search(said[o.end() :])  # "the founder of the Roman Empire and the first emperor"
               for o in re.finditer(r"\bof\b", said)):
            return True
    return False


_GAP_PREPOSITION = re.compile(r"\s(?:in|from|to|during|for|with|by|on|at|across|among|into|within|throughout|near|"
                              r"under|over|between|like|than)\s")
_HEAD_AGAIN = re.compile(r"\band\s+(?:the\s+|a\s+|an\s+)?(?:first|second|third|\w+th|\w{2,}est|\w+most|most|least|"
                         r"only|sole|last)\b", re.I)
"""After an "of" phrase, a second head ("and the first Roman emperor"), not a second name in the phrase ("of
England and the United Kingdom")."""


def _among_before(text: str) -> bool:
    """Whether the words before an "of" pick one out of many: "one of", a superlative ("the smallest and least
    massive of", "northernmost of"), not "west of" or "a form of"."""
    words = re.findall(r"[\w-]+", text.lower())
    if not words:
        return False
    last = words[-1]
    if last in ("one", "species", "subspecies", "genus") or (len(words) > 1 and words[-2] in ("most", "least")):
        return True  # ("a species of great ape" is an ape, as "one of the moons" is a moon)
    return (last.endswith("est") and len(last) > 4 and last not in NOT_SUPERLATIVE) or \
        (last.endswith("most") and last != "most")


_CLAUSE = (r"(?:(?:which|that|who|whom|whose|where|when|while|whereas|it|they|he|she|has|have|had)\b|"
           r"\w+ed\s+(?:between|among|by|in|on|at|from|with|for|to|into|across)\b)")
"""Where a clause or a participle's phrase starts: the kind word after one is not what the opening calls the
document ("the operation is associative, it has an identity element" is no element; "Golf is a club-and-ball
sport in which players use various clubs", "a team sport played between
two teams"); a participle before a noun is not one ("a landlocked country")."""
_PLACES = ("country", "nation", "sovereign state", "kingdom", "republic", "city-state", "sultanate", "emirate",
           "principality", "federation", "monarchy")
_FIRMS = ("company", "corporation", "conglomerate", "brand", "business", "firm", "manufacturer", "retailer",
          "chain", "multinational", "automaker", "carmaker", "airline", "bank")
KIND_SYNONYMS: dict[str, tuple[str, ...]] = {
    "countries": _PLACES, "nations": _PLACES, "states": ("state", "country", "nation", "commonwealth"),
    "cities": ("city", "capital", "metropolis", "megacity", "municipality", "town", "conurbation"),
    "capitals": ("capital", "city"),
    "towns": ("town", "city", "village", "municipality"),
    "companies": _FIRMS, "corporations": _FIRMS, "brands": _FIRMS, "manufacturers": _FIRMS,
    "moons": ("moon", "natural satellite"), "planets": ("planet",), "stars": ("star",),
    "elements": ("chemical element", "element", "metal", "metalloid", "nonmetal", "halogen", "noble gas"),
    "metals": ("metal", "chemical element", "element"),
    "wars": ("war", "conflict"), "battles": ("battle", "siege"), "poems": ("poem", "epic"),
    "paintings": ("painting", "portrait", "fresco", "mural"), "operas": ("opera",), "volcanoes": ("volcano",),
    "extinctions": ("extinction", "extinction event"), "galaxies": ("galaxy",), "castles": ("castle",),
    "mountains": ("mountain", "peak", "volcano", "massif"),
    "islands": ("island", "isle", "atoll"), "rivers": ("river", "watercourse", "waterway"),
    "lakes": ("lake", "reservoir"), "oceans": ("ocean",), "seas": ("sea", "gulf", "bay"),
    "deserts": ("desert",),
    "universities": ("university", "college", "institute"),
    "colleges": ("college", "university"), "schools": ("school", "college", "university", "academy"),
    "teams": ("team", "club", "franchise"), "clubs": ("club", "team"),
    "bands": ("band", "group", "duo", "trio", "quartet"),
    "languages": ("language", "dialect", "lingua franca"),
    "films": ("film", "movie", "motion picture"), "movies": ("film", "movie"),
    "books": ("book", "novel", "treatise"), "novels": ("novel", "book"),
    "songs": ("song", "ballad"), "albums": ("album",),
    "empires": ("empire", "dynasty"), "dynasties": ("dynasty",),
    "parties": ("party",), "organizations": ("organization", "organisation", "agency", "alliance"),
    "organisations": ("organisation", "organization", "agency", "alliance"),
    "animals": ("animal", "mammal", "bird", "fish", "reptile", "amphibian", "insect", "species", "cat", "dog",
                "shark", "whale"),
    "fish": ("fish", "shark", "ray", "eel"), "whales": ("whale", "cetacean"), "birds": ("bird",),
    "landmarks": ("landmark", "monument", "statue", "building", "tower", "structure", "temple"),
    "wonders": ("wonder", "monument", "statue", "archaeological site", "structure", "temple", "city", "wall",
                "mausoleum", "pyramid", "tomb", "amphitheatre", "amphitheater"),
    "buildings": ("building", "skyscraper", "tower", "structure"),
    "airports": ("airport",), "airlines": ("airline", "carrier"), "cars": ("car", "automobile", "vehicle"),
    "religions": ("religion", "faith"), "currencies": ("currency",), "games": ("game",),
    "sports": ("sport", "game"), "parks": ("park",),
}
"""What an encyclopedia's opening calls a member of a set of each kind, beyond the kind's own word: words
that say what the thing is, not broader ones that would let others in ("state" for countries: a US state;
"body" for organizations: a body of water)."""
_SYNONYMS = {kind_key(k): v for k, v in KIND_SYNONYMS.items()}
PERSON_KINDS = frozenset(
    """players athletes presidents leaders rulers emperors kings queens monarchs founders ceos artists singers
    musicians actors writers authors scientists laureates winners celebrities people members hosts""".split())
"""Kinds whose members are people: a member's opening says it is a person, whatever its occupation."""
_PERSON_KEYS = frozenset(kind_key(k) for k in PERSON_KINDS)
_LIFE = re.compile(r"[^()]{1,120}?\((?:born\b|[^()]{0,80}?\b\d{3,4}\s*[–-]\s*(?:[^()\d]{0,20})\d{1,4}\s*\))")
"""A life in brackets right after a name: "Alan Turing (23 June 1912 – 7 June 1954)", "(born 1961)"."""
_ROLE = re.compile(r"\b(?:is|was)\s+(?:an?|the)\s+(?:[A-Z][\w-]+\s+){1,3}(?:[\w-]+\s+){0,4}?"
                   r"(?P<role>[a-z]+(?:ist|er|or|ian|man|woman|arch|eur|ess))\b")
"""A person's role after a nationality: "was an American physicist", "is a Polish and naturalised-French
chemist"."""
_NOT_ROLES = frozenset(
    """manufacturer developer computer producer carrier retailer publisher provider operator maker supplier
    distributor broadcaster server processor reactor sector motor tractor elevator monitor detector container
    conglomerate owner carmaker automaker airliner cruiser destroyer fighter bomber tanker freighter liner
    river water center centre theater theatre order border letter paper number member chamber corridor
    mirror error color colour floor harbor harbour tower cluster""".split())
"""Words with a person's ending that name things ("a German car manufacturer")."""


def _is_person(opening: str) -> bool:
    """Whether an opening says it is about a person: a life in brackets after the name, or a role after a
    nationality. The opening is at most a sentence (`_opening`), which keeps these patterns cheap."""
    if _LIFE.match(opening):
        return True
    role = _ROLE.search(opening)
    return role is not None and role.group("role") not in _NOT_ROLES


_AFTER_HEAD = (r"(?:of|in|on|at|and|or|that|which|who|whose|with|located|situated|founded|based|from|by|for|"
               r"to|near|between|known|named|called|consisting|comprising|after|along|across|within|off|"
               r"outside|beyond|around|behind|below|above|under|among|since|than|native|endemic|indigenous|"
               r"species|\w+ly\s+\w+ed|\w+ing|"
               r"\w+ed\s+(?:in|at|by|on|from|to|for|with|near))\b")
"""Words that may follow the kind word when it is the head of what the opening calls the document ("a country
in East Asia", "great apes native to", "a great ape species", "the fourth planet from the Sun", "a country
primarily located in Western Europe", "the farthest known planet orbiting the Sun", "a technology company
headquartered in"), not a word qualifying another noun ("a club-and-ball sport", "an annual club association
football competition")."""
_LEADING_KIND = {"lake": "lake", "mount": "mountain", "isle": "island", "gulf": "sea", "cape": "cape"}
"""Words that name a thing's kind at the start of its title ("Lake Victoria", "Mount Everest")."""


def _titled_as_kind(title: str, key: str) -> bool:
    """Whether a title names its thing by the kind: its last word is the kind word ("Arctic Ocean" for
    "oceans", "Yukon River" for "rivers"), or its first word is one that names the kind there ("Lake Victoria",
    "Mount Everest"). Not any first word: "Country music", "Star Wars"."""
    words = _title_words(title)
    if len(words) < 2:
        return False
    return words[-1] == key.capitalize() or _LEADING_KIND.get(words[0].lower()) == key


@lru_cache(maxsize=65536)
def _title_words(title: str) -> tuple[str, ...]:
    """A title's words, without a bracketed kind: read once per title (a set question reads every document's
    title, for each kind it asks about)."""
    return tuple(_WORD.findall(_BRACKETED.sub("", title)))


_WORD = re.compile(r"[A-Za-z]+")
_BRACKETED = re.compile(r"\s*\([^)]*\)")


def _opening(text: str, title: str, sentences: int = 1) -> str:
    """A document's first sentence (or `sentences`) after its title line: where an encyclopedia says what a
    thing is."""
    body = text[len(title) :] if text.startswith(title) else text
    body = body.lstrip()
    ends = [m.start() for m in re.finditer(r"(?<=[a-z0-9)\]][.!?])\s+(?=[A-Z])", body[: 600 * sentences])]
    return body[: ends[sentences - 1]] if len(ends) >= sentences else body[: 300 * sentences]
