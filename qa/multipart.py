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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from qa.parts import MAX_PARTS, SET, Part, Plan, missing_line, singular_key
from qa.types import Answer, Citation, PartAnswer, Passage

if TYPE_CHECKING:
    from index.storage import IndexReader as Snapshot
    from qa.retrieval import Hit



@dataclass(frozen=True)
class Retrieval:
    """How the engine searches and answers one text, as it does any question (qa/engine.py supplies it)."""

    ask: Callable[[str, int], tuple[list[Hit], Answer]]
    """Answer a text with `k` passages: (its hits, its Answer)."""
    search: Callable[[str, int], list[Hit]]
    """The `k` best passages for a text, without composing an answer."""
    embed: Callable[[Sequence[str]], None]
    """Embed these texts now, in one model call, for the asks and searches that follow."""
    ask_within: Callable[[str, int, int], tuple[list[Hit], Answer]]
    """Answer a text from the `k` best passages of one document (text, document id, k), without a search of
    the whole index."""

QUOTES_PER_PART = 2
"""A part's line shows at most this many quotes: a table of parts, not a page per part."""
DEFAULT_MEMBERS = 6
"""How many members of a set without a count ("the emperors of ...") are asked about; "every" and "all"
("every country in South America") ask about up to MAX_PARTS."""
EXTRA_MEMBERS = 3
"""Members asked about beyond the count the question gives: a search finds members, not the ranking the
question names ("the five smallest"), so a few more are asked, and the answer says what they rest on."""
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


def answer_plan(snapshot: Snapshot, plan: Plan, question: str, via: Retrieval, k: int,
                warnings: Sequence[str] = ()) -> Answer:
    """The answer to a question with several parts: each part asked on its own, then put together. A set's
    question is also asked whole, first: where the documents hold the list, that is what the answer rests on."""
    if plan.kind == SET and plan.members is not None:
        return _answer_set(snapshot, plan, question, via, k, tuple(warnings))
    if len(plan.parts) < 2:
        return via.ask(question, k)[1]
    per_part = max(3, -(-k // len(plan.parts)))
    via.embed([p.question for p in plan.parts])
    asked = [Asked(p, *via.ask(p.question, per_part)) for p in plan.parts]
    return combine(question, asked, k, warnings=tuple(warnings))


def _answer_set(snapshot: Snapshot, plan: Plan, question: str, via: Retrieval, k: int,
                warnings: tuple[str, ...]) -> Answer:
    assert plan.members is not None
    via.embed([question, plan.members.text])
    hits, whole = via.ask(question, k)
    members = set_members(snapshot, plan, [*hits, *via.search(plan.members.text, MEMBER_DEPTH)])
    if not members:
        if whole.abstained:
            return whole
        note = (f"No list of {plan.members.text} was found in the documents apart from what they say about "
                "the question as a whole:")
        return replace(whole, text=f"{note}\n{whole.text}")
    parts = [*members, *plan.parts]
    names = ", ".join(p.label for p in members)
    if whole.abstained:
        lead = (f"No list of {plan.members.text} was found in the documents; answered for the "
                f"{plan.members.head} a search for it finds: {names}.")
    else:
        lead = f"Answered for each of the {plan.members.head} a search for it finds: {names}."
    per_part = max(3, -(-k // (len(parts) + 1)))
    via.embed([p.question for p in parts])
    # a member is asked of its own document: no search of the whole index, which would only find it again
    asked = [Asked(p, *(via.ask(p.question, per_part) if p.doc_id is None
                        else via.ask_within(p.question, p.doc_id, per_part))) for p in parts]
    if not whole.abstained:
        label = plan.members.text[:1].upper() + plan.members.text[1:]
        asked.insert(0, Asked(Part(question, label), hits, whole))
    # the whole question's closest passages fill the list when the members' run out, answered or not
    return combine(question, asked, k, lead, warnings, () if not whole.abstained else whole.passages)


def combine(question: str, asked: Sequence[Asked], k: int, lead: str = "",
            warnings: tuple[str, ...] = (), more: Sequence[Passage] = ()) -> Answer:
    """One answer from the parts' answers: their citations numbered anew (a quote two parts share keeps one
    number), a line per answered part, then a line per part the documents do not answer. The passages are
    the parts', spread over them, then `more` while fewer than `k`."""
    citations: list[Citation] = []
    numbers: dict[tuple[str, int, int], int] = {}
    results: list[PartAnswer] = []
    for a in asked:
        if a.answer.abstained or not a.answer.citations:
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
    confidence = sum(a.answer.confidence for a in asked) / len(asked) if asked else 0.0
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


def set_members(snapshot: Snapshot, plan: Plan, found: Sequence[Hit]) -> list[Part]:
    """The members of the set a question is about, as the documents give them: the documents a search for
    the set and one for the whole question (`found`) bring up whose opening says they are of its kind ("Tokyo
    ... is the capital and most populous city of Japan" for "cities"), or whose title names them by it
    ("Arctic Ocean"), at most EXTRA_MEMBERS more than its count; not the documents the set's phrase itself
    names ("the United States" in "the most populous cities in the United States"), nor a kind of the kind
    ("Giant planet", "Capital city"). Those that mention what the phrase narrows the set by come first: the
    most of its names ("in the United States", "of Jupiter"), then its superlative ("most populous",
    "largest"); each in the order found."""
    assert plan.members is not None
    every = plan.members.count is None and re.match(r"(?:every|all)\b", plan.members.text, re.I) is not None
    wanted = MAX_PARTS if every else min((plan.members.count or DEFAULT_MEMBERS) + EXTRA_MEMBERS, MAX_PARTS)
    head = plan.members.head
    kind = _kind_pattern(head)
    phrase_words = set(re.findall(r"\w+", plan.members.text.lower()))
    names, superlatives = _narrowing(plan.members.text, head)
    hits = sorted(found, key=lambda h: -h.score)
    owners = snapshot.chunk_documents([h.chunk_id for h in hits])
    candidates: list[tuple[tuple[int, bool], Part]] = []
    seen: set[int] = set()
    for h in hits:
        doc_id = owners.get(h.chunk_id)
        if doc_id is None or doc_id in seen:
            continue
        seen.add(doc_id)
        doc = snapshot.document(doc_id)
        title = doc.title.strip()
        if not title or set(re.findall(r"\w+", title.lower())) <= phrase_words or _a_kind_of(title, head):
            continue  # the set's own context ("Asia", "the United States"), or a kind of member, not one
        opening = _opening(doc.text, title)
        if kind.search(opening) or _titled_as_kind(title, head) or \
                (head.lower() in PERSON_KINDS and _PERSON.search(opening) is not None):
            lead = doc.text[:LEAD_CHARS]
            narrows = (sum(n in lead for n in names), any(w in lead.lower() for w in superlatives))
            candidates.append((narrows, plan.for_subject(title, doc_id)))
    # the names first: they say which set ("of Jupiter"); a superlative only says which end of it
    candidates.sort(key=lambda c: c[0], reverse=True)  # stable: in the order found within each
    return [part for _, part in candidates[:wanted]]


LEAD_CHARS = 1500
"""How much of a member's text is looked at for what narrows the set: its opening paragraphs."""
_NAME_RUN = re.compile(r"(?<![\w.])(?:[A-Z][\w&.'’-]*|[0-9]+[A-Z]\w*)(?:\s+(?:of\s+|the\s+)?[A-Z][\w&.'’-]*)*")
_SUPERLATIVE = re.compile(r"\b(?:most|least)\s+([a-z]{4,})|\b([a-z]{2,}est)\b")
_NOT_SUPERLATIVE = frozenset({"interest", "forest", "west", "rest", "test", "best", "latest", "honest", "modest",
                              "request", "contest", "protest", "harvest", "southwest", "northwest", "midwest"})


def _narrowing(phrase: str, head: str) -> tuple[list[str], list[str]]:
    """What a set's phrase narrows it by: the names in it ("United States", "Jupiter", "G7") and its
    superlatives' words ("populous" of "most populous", "largest"), not its kind word."""
    body = re.sub(r"^\W*(?:the|each|every|all|both|of|these|those)\b\s*", "", phrase, flags=re.I)
    kind_words = {head.lower(), singular_key(head.lower())}
    names = [m.group(0) for m in _NAME_RUN.finditer(body) if m.group(0).lower() not in kind_words]
    supers = [m.group(1) or m.group(2) for m in _SUPERLATIVE.finditer(body.lower())]
    return names, [w for w in supers if w not in _NOT_SUPERLATIVE]


def _a_kind_of(title: str, head: str) -> bool:
    """Whether a title is a kind of the kind rather than one thing of it: the kind word in it in lower case, as
    an encyclopedia titles a category ("Giant planet", "Capital city", "Sino-Tibetan languages"); a proper
    name capitalises it ("Yellow River") or puts it in brackets ("Mercury (planet)")."""
    plain = re.sub(r"\s*\([^)]*\)", "", title)
    words = set(re.findall(r"[A-Za-z]+", plain))
    return bool(words & {head.lower(), singular_key(head.lower())})


def _kind_pattern(head: str) -> re.Pattern[str]:
    """How a member's opening says what it is: "is a / was the ... {kind}" with a few words between ("is the
    capital and most populous city", "is a country", "is the smallest and least massive of Jupiter's four
    Galilean moons"), the kind word the head of the phrase, not the kind word anywhere ("... plays as a
    forward for the club", "a sport in which players use clubs"). The kind word is the head's, or a word an
    encyclopedia says such a thing is by (KIND_SYNONYMS: a brand's opening says "company", a moon's may say
    "natural satellite")."""
    plural = head.lower()
    words = {singular_key(plural), plural, *KIND_SYNONYMS.get(plural, ())}
    kinds = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"\b(?:is|was|are|were)\s+(?:(?:a|an|the|one of the)\s+)?"
                      rf"(?:(?!{_CLAUSE})[\w'’.,-]+\s+){{0,8}}?(?:{kinds})(?=\s*(?:[,.;:(]|$)|\s+{_AFTER_HEAD})", re.I)


_CLAUSE = r"(?:which|that|who|whom|whose|where|when|while|whereas)\b"
"""A word that starts a clause: the kind word after one is not what the opening calls the document ("Golf is
a club-and-ball sport in which players use various clubs")."""
_PLACES = ("country", "nation", "state", "kingdom", "republic", "city-state", "sultanate", "emirate", "principality",
           "federation", "monarchy", "territory")
_FIRMS = ("company", "corporation", "conglomerate", "brand", "business", "firm", "manufacturer", "retailer",
          "chain", "multinational", "automaker", "carmaker", "airline", "bank")
KIND_SYNONYMS: dict[str, tuple[str, ...]] = {
    "countries": _PLACES, "nations": _PLACES, "states": _PLACES,
    "cities": ("city", "capital", "metropolis", "megacity", "municipality", "town", "conurbation"),
    "capitals": ("capital", "city"),
    "towns": ("town", "city", "village", "municipality"),
    "companies": _FIRMS, "corporations": _FIRMS, "brands": _FIRMS, "manufacturers": _FIRMS,
    "moons": ("moon", "satellite"), "planets": ("planet",), "stars": ("star",),
    "elements": ("element", "metal", "metalloid", "gas", "nonmetal", "halogen"),
    "mountains": ("mountain", "peak", "volcano", "massif", "summit"),
    "islands": ("island", "isle", "atoll"), "rivers": ("river", "watercourse", "waterway"),
    "lakes": ("lake", "reservoir"), "oceans": ("ocean", "sea"), "seas": ("sea", "gulf", "bay"),
    "deserts": ("desert",),
    "universities": ("university", "college", "institute", "school"),
    "colleges": ("college", "university", "school"), "schools": ("school", "college", "university", "academy"),
    "teams": ("team", "club", "franchise", "side"), "clubs": ("club", "team", "society"),
    "bands": ("band", "group", "duo", "trio", "quartet"),
    "languages": ("language", "dialect", "lingua franca"),
    "films": ("film", "movie", "picture"), "movies": ("film", "movie"),
    "books": ("book", "novel", "work", "treatise"), "novels": ("novel", "book"),
    "songs": ("song", "single", "ballad"), "albums": ("album", "record"),
    "empires": ("empire", "state", "dynasty"), "dynasties": ("dynasty", "house", "family"),
    "parties": ("party",), "organizations": ("organization", "organisation", "agency", "body", "alliance"),
    "organisations": ("organisation", "organization", "agency", "body", "alliance"),
    "animals": ("animal", "mammal", "bird", "fish", "reptile", "amphibian", "insect", "species", "cat", "dog",
                "shark", "whale"),
    "fish": ("fish", "shark", "ray", "eel"), "whales": ("whale", "cetacean"), "birds": ("bird",),
    "landmarks": ("landmark", "monument", "statue", "building", "tower", "site", "structure", "temple"),
    "wonders": ("wonder", "monument", "statue", "site", "structure", "temple", "city", "wall", "mausoleum",
                "pyramid", "tomb", "amphitheatre", "amphitheater"),
    "buildings": ("building", "skyscraper", "tower", "structure"),
    "airports": ("airport",), "airlines": ("airline", "carrier"), "cars": ("car", "automobile", "vehicle"),
    "religions": ("religion", "faith", "belief"), "currencies": ("currency",), "games": ("game",),
    "sports": ("sport", "game"), "parks": ("park",),
}
"""What an encyclopedia's opening calls a member of a set of each kind, beyond the kind's own word."""
PERSON_KINDS = frozenset(
    """players athletes presidents leaders rulers emperors kings queens monarchs founders ceos artists singers
    musicians actors writers authors scientists laureates winners celebrities people members hosts""".split())
"""Kinds whose members are people: a member's opening says it is a person, whatever its occupation."""
_PERSON = re.compile(r"\((?:born\b|[^)]*?\b\d{3,4}\s*[–-]\s*(?:\w+\s+)?\d{1,4}\b)|"
                     r"\b(?:is|was)\s+(?:an?|the)\s+(?:[A-Z][\w-]+\s+){1,3}(?:[\w-]+\s+){0,4}?"
                     r"(?:[a-z]+(?:ist|er|or|ian|ant|ent|man|woman|arch|eur|ess|ee))\b")
"""An opening that says who someone is: a life's dates or "born" in brackets, or "was an American physicist"."""


_AFTER_HEAD = (r"(?:of|in|on|at|and|or|that|which|who|whose|with|located|situated|founded|based|from|by|for|"
               r"to|near|between|known|named|called|consisting|comprising|after|along|across|within|off|"
               r"outside|beyond|around|behind|below|above|under|among|since|than|\w+ly\s+\w+ed|\w+ing|"
               r"\w+ed\s+(?:in|at|by|on|from|to|for|with|near))\b")
"""Words that may follow the kind word when it is the head of what the opening calls the document ("a country
in East Asia", "the fourth planet from the Sun", "a country primarily located in Western Europe", "the
farthest known planet orbiting the Sun", "a technology company headquartered in"), not a word qualifying
another noun ("a club-and-ball sport", "an annual club association football competition")."""


def _titled_as_kind(title: str, head: str) -> bool:
    """Whether a title names its thing by the kind ("Arctic Ocean" for "oceans", "Yukon River" for "rivers",
    "Lake Victoria" for "lakes"): its first or last word is the kind word."""
    words = re.findall(r"[A-Za-z]+", re.sub(r"\s*\([^)]*\)", "", title))
    single = singular_key(head.lower()).capitalize()
    return len(words) >= 2 and single in (words[0], words[-1])


def _opening(text: str, title: str) -> str:
    """A document's first sentence after its title line: where an encyclopedia says what a thing is."""
    body = text[len(title) :] if text.startswith(title) else text
    body = body.lstrip()
    end = re.search(r"(?<=[a-z0-9)\]][.!?])\s+(?=[A-Z])", body[:600])
    return body[: end.start()] if end else body[:300]
