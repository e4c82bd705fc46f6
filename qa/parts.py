"""Questions with several parts, found in the question's own words: a list ("the land mass of China, USA,
Canada and France"), a comparison ("Compare how R and Python read CSV files", "the difference between a
list and a tuple", "Which is larger, China or India?"), two asks joined ("What is the quota of home
directories and how often is scratch purged?") and a question over a set ("the capitals of the five most
populous countries", "each of the New Seven Wonders").

Each part becomes a question of its own, built from the question's frame with one subject filled in ("What
is the land mass of {}?" with "France"), so retrieval and answer composition run once per part, as for any
question (qa/multipart.py). What stays one question: a name that holds "and" (whether "Bosnia and
Herzegovina" is one name or two is asked of the corpus's own titles, `titled`), two words joined without a
frame that splits them ("salt and pepper", "the relationship between India and Pakistan"), a second ask that
refers back to the first ("What is X and when was it built?": its answer is the first's), and lists of
lower-case words with nothing marking them as a list. A question that is plainly single (no comma,
conjunction, count, "each" or comparison word) is told by one regular expression and never reaches the index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from index.text.titles import normalize, singular_key
from qa.part_cues import COUNT as _COUNT
from qa.part_cues import PLURAL_KINDS as _PLURAL_KINDS
from qa.part_cues import might_have_parts
from qa.ranking import NOT_SUPERLATIVE

LIST, COMPARISON, CONJUNCTION, SET = "list", "comparison", "conjunction", "set"
"""Kinds of multi-part questions (Plan.kind)."""

MAX_PARTS = 12
"""A question is answered in at most this many parts (the rest of a longer list is left out, with a note)."""

Titled = Callable[[Iterable[str]], set[str]]
"""Which of the given normalised keys are titles of documents in the corpus (index.text.titles keys)."""


@dataclass(frozen=True)
class Part:
    """One part of a question, asked on its own."""

    question: str
    """The part as a question of its own ("What is the land mass of France?")."""
    label: str
    """What the part is about, as the answer shows it: the subject ("France"), or the part's question."""
    subject: str | None = None
    """The subject filled into the question's frame; None for an ask of its own (a conjunction's)."""
    doc_id: int | None = None
    """The document the subject was found as (a member of a set), when it is one."""
    after: str | None = None
    """For an ask about what the ask before it finds ("... and how many people live there?"): the ask with `{}`
    where that answer goes ("how many people live in {}"), asked once the answer is known (`chain_subject`)."""


@dataclass(frozen=True)
class SetPhrase:
    """A set the question is about without naming its members ("the five most populous countries in the world")."""

    text: str
    """The phrase as the question writes it."""
    head: str
    """Its head noun ("countries"): what kind of thing a member is."""
    count: int | None
    """How many members it asks for, when it says ("five"); None for "every", "all", "the G7 countries"."""


@dataclass(frozen=True)
class Plan:
    """How a question splits into parts."""

    kind: str
    """list, comparison, conjunction or set."""
    parts: tuple[Part, ...]
    """The parts; for a set, those of its frames with no subject (its members are found in the corpus)."""
    frames: tuple[str, ...] = ()
    """The question's frames, each with `{}` where a subject goes; what a set's members are asked."""
    members: SetPhrase | None = None
    """For a set: the phrase naming it."""
    question_mark: bool = True
    """Whether the parts end with a question mark (the question did, or was a question)."""

    def for_subject(self, subject: str, doc_id: int | None = None) -> Part:
        """The part asking the frames of one subject."""
        return Part(fill(self.frames, subject, self.question_mark), subject, subject, doc_id)


_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
           "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "dozen": 12, "both": 2}

_WH = r"(?:what|who|whom|whose|when|where|which|why|how)"
_JOIN = re.compile(rf"(?:\s*,\s*|\s+)(?:and|but|or|&)\s+(?=(?:(?:roughly|approximately|about|exactly|also)\s+)?"
                   rf"(?:{_WH}|(?:in|on|at|from|for|by|to|of|since|until)\s+"
                   rf"(?:what|which|whom)|(?:list\s+)?(?:their|its)\s)\b)|\s*,\s+(?=(?:in|on|at|from|for|by|to|of)\s+"
                   rf"(?:what|which)\s|(?:what|who|when|where|which|how)\s+(?:is|are|was|were|do|does|did)\s)", re.I)
"""Where a second ask starts: "... and how often is scratch purged?", "..., and roughly how many people live in
Casablanca?"."""
_SENTENCE = re.compile(r"(?<=[a-z0-9)\]][.?!])\s+(?=[A-Z])")
_ANAPHOR = re.compile(r"\b(?:they|them|their|theirs|it|its|these|those|this|that|he|him|his|she|her|each|"
                      r"respective|respectively|such|same|there(?!\s+(?:is|are|was|were|be|been|exists?)\b))\b",
                      re.I)
"""A second ask with one of these is about what the first one found: it is not a part of its own ("... and how
many people live there?"; not "is there")."""
_ANAPHOR_SLOT = re.compile(
    r"\b(?:each of (?:them|(?:these|those)(?: \w+)?)|(?:these|those|such|the said) (?:[a-z]+ ){0,2}?"
    r"(?:countries|nations|states|cities|places|languages|planets|moons|rivers|islands|elements|people|persons|"
    r"universities|companies|brands|teams|players|leaders|members|wonders|oceans|seas|continents|deserts|"
    r"buildings|animals|artists|bands|cars|manufacturers|landmarks|mountains|lakes|\w+s)|"
    r"their(?: respective)?|its|theirs|they|them|it|each|respectively)\b", re.I)

_FRAME_WORDS = frozenset(
    """what who whom whose when where which why how is are was were be been being do does did has have had can
    could will would should may might must of in on at for from to by with about between among into than as
    compare contrast versus vs and or but each every both all either neither respectively respective
    identify find name list give tell show describe explain provide their its his her our my your these those
    this that they them it""".split())
"""Words that belong to a question's frame, never to an item of its list."""
_DETERMINERS = frozenset({"the", "a", "an"})
_KIND = re.compile(rf"(?:{_PLURAL_KINDS})$", re.I)
_SET_START = re.compile(
    rf"\b(?:(?P<each>each|every|all|both)\s+(?:of\s+)?(?:the\s+|these\s+|those\s+|our\s+)?|"
    rf"(?:the\s+)?(?:(?:world|earth|country|nation|us|u\.s\.|(?-i:[A-Z][\w.-]*))['’]s\s+)?(?:current\s+|global\s+)?"
    rf"(?:(?:top|first|last)\s+)?(?P<n>{_COUNT})\b\s*|the\s+(?:current\s+|global\s+)?top\s+(?P<n2>{_COUNT})\b\s*)",
    re.I)
_PLURAL_WORD = re.compile(r"[A-Za-z][\w-]*[a-hj-rtv-z]s|people|men|women|children|fish|species|sheep|deer", re.I)
_FILLER = r"(?:(?!(?:of|the|in|on|and|or|for|to|by|with|from|at|that|which|who)\b)[a-z][\w-]*\s+)"
"""A word between an article and its noun: an adjective or a noun used as one."""
_RELATIVE_SET = re.compile(rf"\b(?:[Tt]he\s+|(?<=of\s))(?:{_FILLER}){{0,2}}(?:[A-Z][\w-]*\s+){{0,2}}"
                           rf"(?:{_FILLER}){{0,2}}(?P<head>{_PLURAL_KINDS})\s+"
                           rf"(?:that|which|who|whose|where|with|in which)\b")
_ATTR_OF_SET = re.compile(rf"\b[a-z]+s\s+of\s+(?P<set>the\s+(?:{_FILLER}){{0,2}}(?P<head>{_PLURAL_KINDS}))\b")
"""A plural asked of a plural kind: "the temperatures of the planets in the solar system"."""
_WHICH_SET = re.compile(rf"^(?:which|what)\s+(?P<head>{_PLURAL_KINDS})\b", re.I)
_NAMED_SET = re.compile(rf"\b(?!(?:Which|What|Who|Whose|How|Where|When|Why|The|In|Of|Are|Is)\b)(?:the\s+)?"
                        rf"(?P<mod>(?:(?:current|global|major|main|founding)\s+)?(?:[A-Z][\w.&-]*\s+)"
                        rf"{{1,3}})(?P<head>{_PLURAL_KINDS})\b")
_OF_SET = re.compile(rf"\bthe\s+(?P<head>{_PLURAL_KINDS})\s+of\s+(?:the\s+)?(?=[A-Z])")
"""A set by the group it is of: "the emperors of the Julio-Claudian dynasty"."""
_IN_SET = re.compile(rf"\bthe\s+(?P<head>{_PLURAL_KINDS})\s+(?:in|on)\s+(?:the\s+)?(?=[A-Z])")
"""A set by the place it is in ("the countries in South Asia"), taken only where something is asked of each
(_ASKED_OF_EACH), not in "How many of the countries in Africa are landlocked?" or "Do the countries in the EU
share a currency?", which ask about them together."""
_ASKED_OF_EACH = re.compile(r"(?:\b(?!(?:many|much|any|all|none|some|most|few|one|each|which|who|what)\s)[a-z]+\s+of\s+"
                            r"|^(?:identify|list|name|find|give(?:\s+me)?|tell\s+me|show(?:\s+me)?)\s+)$", re.I)
_MEMBER_OF = re.compile(r"\b(?:which|what)\s+(?P<set>(?P<head>member|members)\s+of\s+(?:the\s+)?\S)", re.I)
_IDENTITY = re.compile(r"^(?:(?:what|which|who)\s+(?:are|were|is|was)|which of|identify|find|name|list|give(?: me)?|"
                       r"tell me|show(?: me)?)\s+\{\}\W*$", re.I)
_TRAILING_VERB = re.compile(r"\s+(?:born|built|made|known|located|situated|founded|discovered|constructed|"
                            r"invented|written|released|established|created|formed|named|elected|used|spoken|"
                            r"held|based|\w+ed)(?:\s+(?:in|at|on|from|by|to|for|with))?\s*\W*$", re.I)
_COMPARATIVE = re.compile(r"^(?P<wh>which|who|what)(?:\s+one|\s+[a-z]+)?\s+(?P<verb>is|are|was|were|has|had)\s+"
                          r"(?:the\s+)?(?P<adj>more\s+\w+|less\s+\w+|\w+er)\W*$", re.I)
_COMPARATIVES = (r"(?:bigger|larger|smaller|longer|shorter|older|younger|taller|higher|lower|deeper|heavier|lighter|"
                 r"faster|slower|earlier|later|richer|poorer|wider|narrower|hotter|colder|warmer|stronger|weaker|"
                 r"greater|closer|farther|further|cheaper|wealthier|denser|brighter|busier|safer)")
_MORE_PREFIX = re.compile(rf"^(?:which|who|whose)\b[^,]*?\s(?:(?:more|less|fewer)\s+[a-z]|{_COMPARATIVES}\b)", re.I)
"""A comparison asked before the comma in other words than "Which is larger": "Who won more major singles titles,
...", "Which city has more people living within its city limits, ...", "Which caliphate held power longer, ...",
"Which is the bigger animal, ..."."""
_NOT_EST = "|".join(sorted(NOT_SUPERLATIVE | {"invest", "manifest", "conquest"}))
_SUPERLATIVE_PREFIX = re.compile(rf"^(?P<head>(?:which|who|whose|what)\b[^,:]*?\s(?:(?:the\s+)?(?:most|least|fewest)\b"
                                 rf"[^,:]*|(?:the\s+)?(?P<adj>(?!(?:{_NOT_EST})\b)[a-z]{{2,}}est)\b[^,:]*))$", re.I)
"""A superlative asked of the things listed after it: "Which car company is the oldest, Ford, Toyota or
Volkswagen?", "Who won the most Olympic gold medals: ..."."""
_HAS_MORE = re.compile(r"^(?:which|who|what)(?:\s+[a-z]+)?\s+(?P<verb>has|have|had)\s+(?:more|fewer|less)\s+"
                       r"(?P<noun>[a-z][\w\s-]*?)\W*$", re.I)
_SUPERLATIVE_IS = re.compile(rf"^(?:which|who|what)(?:\s+[a-z]+){{0,3}}?\s+(?P<verb>is|are|was|were)\s+(?:the\s+)?"
                             rf"(?P<adj>(?!(?:{_NOT_EST})\b)[a-z]{{2,}}est)\W*$", re.I)
_ORDER_WORDS = re.compile(r"^(?P<wh>which|who|what)\s+(?P<rest>.*?)\s*(?:first|last|earlier|later|sooner|"
                          r"earliest|latest)\W*$", re.I)


def detect(question: str, titled: Titled) -> Plan | None:
    """How the question splits into parts, or None when it is one question. `titled` says which keys are
    documents' titles; it is called at most once, and only for a question whose split depends on it."""
    if not might_have_parts(question):
        return None
    probe = _Probe()
    first = _plan(question, probe)
    if first is None and not probe.keys:
        return None
    if not probe.keys:
        return first
    known = titled(sorted(probe.keys))
    return _plan(question, _Known(known))


class _Probe:
    """A title lookup that answers "no" and remembers what was asked (the first, text-only pass)."""

    def __init__(self) -> None:
        self.keys: set[str] = set()

    def __call__(self, key: str) -> bool:
        if key:
            self.keys.add(key)
        return False


class _Known:
    def __init__(self, known: set[str]) -> None:
        self.known = known

    def __call__(self, key: str) -> bool:
        return key in self.known


def title_key(item: str) -> str:
    """The key an item is looked up by among titles: without a leading article, normalised."""
    words = item.split()
    while words and words[0].lower() in _DETERMINERS:
        words = words[1:]
    return normalize(" ".join(words))


def _is_title(item: str, known: Callable[[str], bool]) -> bool:
    key = title_key(item)
    if not key:
        return False
    whole = normalize(item) if item.split()[0].lower() in _DETERMINERS else key  # "The Old Man and the Sea"
    return known(key) | known(singular_key(key)) | known(whole)  # all asked in the probe pass


# -- clauses -------------------------------------------------------------------------------------------------


def _plan(question: str, known: Callable[[str], bool]) -> Plan | None:
    text = _normalized(question.strip())
    mark = text.endswith("?") or re.match(_WH, text, re.I) is not None
    clauses = [c.strip() for s in _SENTENCE.split(text) for c in _JOIN.split(s) if c.strip()]
    for i in range(len(clauses) - 2, -1, -1):
        if re.fullmatch(rf"{_WH}", clauses[i], re.I):  # "When and by whom was judo created": one ask
            clauses[i : i + 2] = [f"{clauses[i]} and {clauses[i + 1]}"]
        elif re.fullmatch(rf"(?:by\s+)?{_WH}(?:\s+and\s+(?:by\s+)?{_WH})*\s*[?.!]*", clauses[i + 1], re.I) \
                and not clauses[i].endswith(("?", "!", ".")):  # "who discovered X and when (and where)?"
            clauses[i : i + 2] = [f"{clauses[i]} and {clauses[i + 1]}"]
    clauses = [c for i, c in enumerate(clauses) if i == 0 or not _HOW_TO_ANSWER.match(c)]
    clauses = [c if i == 0 or (m := _EACH_WITH.match(c)) is None else f"what is its {m.group('what')}"
               for i, c in enumerate(clauses)]
    if not clauses:
        return None
    head: _Found | None = None
    extra_frames: list[str] = []
    own: list[str] = []
    stated = referred = False  # the head in a statement ("There are two microstates ..."), an ask referring to it
    for i, clause in enumerate(clauses):
        refers_back = i > 0 and _refers_back(clause)
        found = None if head is not None and refers_back else _find(clause, known)
        if found is not None and head is None and not (refers_back and found.weak):
            head = found
            extra_frames.extend(found.extra)
            stated = _STATES_A_SET.match(clause) is not None and not found.extra
        elif refers_back:
            referred = True
            if head is None:  # "What is X and when was it built?": one question; "Who founded X and when was he
                return _chained(clauses, mark) if i == 1 else None  # born?": two, the second about the first's answer
            extra_frames.append(_anaphor_frame(clause))
        elif head is not None and i > 0 and len(clause.split()) <= 6:
            extra_frames.append(_anaphor_frame(clause))  # "..., and in which centuries?"
        else:
            own.append(clause)
    if head is not None and stated and not referred:
        return None  # "There are six countries in Central America. Why?": nothing is asked of each
    if head is not None and head.weak and not extra_frames:
        own.insert(0, clauses[0]) if clauses[0] not in own else None
        head = None
    if head is None:
        if len(own) < 2 or not all(_is_ask(c) for c in own):
            return None
        asks = [_as_question(_JOINING.sub("", c), mark) for c in own[:MAX_PARTS]]  # not "And what is ...?"
        return Plan(CONJUNCTION, tuple(Part(a, a) for a in asks), question_mark=mark)
    frames = _frames(head.frame, extra_frames) if not stated else tuple(extra_frames)  # not "There are {}"
    if head.items and (kind_last := _KIND_ENDS_ITEM.match(head.items[-1])) is not None and \
            not any(_KIND_ENDS_ITEM.match(item) for item in head.items[:-1]):
        # "the Suez, Panama and Kiel canals": the kind is every item's, written once after the last
        head = replace(head, items=(*head.items[:-1], kind_last.group("item")))
        frames = (frames[0].replace("{}", f"{{}} {kind_last.group('plural')}", 1), *frames[1:])
    others = tuple(Part(_as_question(c, mark), _as_question(c, mark)) for c in own if c != clauses[0])
    plan = Plan(head.kind, others, frames, head.members, mark)
    if head.items:
        kind = _ASKED_KIND.search(text)
        asked = kind and (kind.group("kind") or kind.group("plural"))
        around = (_KIND_AFTER_ITEMS.search(frames[0]) or _KIND_BEFORE_ITEMS.search(frames[0])) if not asked else None
        if around is not None:  # "the Nile, Amazon and Danube rivers", "the planets Mercury, Venus and Mars": each
            asked = around.group("plural")  # asked as one of the kind, by its title
            frames = (frames[0][: around.start()] + "{}" + frames[0][around.end() :], *frames[1:])
            plan = replace(plan, frames=frames)
        items = [_as_kind(item, asked, known) for item in head.items] if asked else head.items
        subjects = tuple(plan.for_subject(item) for item in items)
        plan = replace(plan, parts=(subjects + others)[:MAX_PARTS])
    return plan


_NAMING_KINDS = (r"rivers|lakes|mountains|mounts|islands|seas|oceans|deserts|planets|moons|volcanoes|universities|"
                 r"bridges|towers|canals|bays|dams|cathedrals|castles|palaces|museums|galaxies")
"""Kinds that name their members ("Mississippi River", "Lake Baikal", "Mercury (planet)"): written after or
before a list, each item is asked as one; not a kind of something the items have ("the China, India and
Japan capitals", "the Google and Apple companies")."""
_KIND_AFTER_ITEMS = re.compile(rf"\{{\}}\s+(?P<plural>{_NAMING_KINDS})\b", re.I)
"""A list's kind written after its last item, in the frame: "of {} rivers" ("the Nile, Amazon and Danube
rivers")."""
_KIND_ENDS_ITEM = re.compile(rf"^(?P<item>.*\S)\s+(?P<plural>{_NAMING_KINDS})$")
"""A list's last item that ends with the kind of every item ("... and Kiel canals")."""
_KIND_BEFORE_ITEMS = re.compile(rf"\bthe\s+(?P<plural>{_NAMING_KINDS})\s+\{{\}}", re.I)
"""... or before its first: "When were the planets {} first recorded"."""
_ASKED_KIND = re.compile(r"\b(?i:which)\s+(?:[a-z-]+\s+){0,2}?(?P<kind>[a-z]+)\s+"
                         r"(?:is|was|has|had|does|did|are|were)\b|"
                         r"\b(?i:which)\s+of\s+(?:the|these|those)\s+(?:two\s+|three\s+)?(?P<plural>[a-z]+)\b")
"""The kind a comparison asks about: "which university is oldest", "Which car company is ...", "which of these
rivers"."""
_NAMED_WITH_KIND = frozenset("""university college river island bridge tower church cathedral museum airport
    station park sea ocean bay desert canal palace castle school hospital stadium street square dam""".split())
"""Kinds a title writes after the name ("Stanford University", "Mississippi River"), not in brackets."""
_KIND_BEFORE = {"lake": "Lake", "mountain": "Mount", "mount": "Mount"}
"""Kinds a title writes before the name ("Lake Baikal", "Mount Everest")."""
_KIND_LOWER = frozenset({"language", "people"})
"""Kinds a title writes after the name in lower case ("Javanese language")."""
PLACE_KINDS = frozenset("""country nation state city town village capital region province county district territory
    municipality island continent""".split())
"""Kinds of place: their "K of X" title is another place than X ("City of London" is not London), and a place's
document names its neighbours in its opening as often as its own parts."""


def _as_kind(item: str, kind: str, known: Callable[[str], bool]) -> str:
    """A compared name written as the title that makes it a thing of the asked kind, when the corpus has one:
    "Copenhagen" asked as a university is "University of Copenhagen", "Stanford" "Stanford University",
    "Georgia" asked as a country "Georgia (country)" (its key "georgia country"); else the name as written."""
    kind = singular_key(kind.lower())
    if kind in _NOT_KINDS_ASKED or kind in item.lower().split():
        return item
    if kind in _KIND_BEFORE:
        forms = [f"{_KIND_BEFORE[kind]} {item}"]
    elif kind in _KIND_LOWER:
        forms = [f"{item} {kind}"]
    else:
        forms = [f"{item} {kind.capitalize()}" if kind in _NAMED_WITH_KIND else f"{item} ({kind})"]
    if kind not in PLACE_KINDS and kind not in _KIND_BEFORE:
        forms.append(f"{kind.capitalize()} of {item}")
    for form in forms:
        if _is_title(form, known):
            return form
    return item


_NOT_KINDS_ASKED = frozenset("one thing way kind type sort part side option answer".split())


_HOW_TO_ANSWER = re.compile(r"^(?:please\s+)?(?:one\s+(?:line|sentence|word)|keep\s+it\s+(?:short|brief|simple)|"
                            r"be\s+(?:brief|short|concise)|briefly|thanks|thank\s+you|short\s+answers?\s+(?:are|is)\s+"
                            r"(?:fine|ok|okay))\b[^?]*$", re.I)
"""A sentence after the question about how to answer it, not a part of it: "One line each is fine.", "Keep it
short."."""
_EACH_WITH = re.compile(r"^(?:please\s+)?(?:list|give|name|show)\s+(?:each|them|all)(?:\s+of\s+them)?\s+with\s+"
                        r"(?:its|their)\s+(?P<what>[^?.!]+?)\W*$", re.I)
"""A sentence asking the same of each: "List each with its pathogen." is "what is its pathogen"."""
_SPACED_DASH = re.compile(r"\s+[-–—]+\s+")
_HEAD_FIRST = re.compile(rf"^(?P<head>(?!{_WH}\b)[^:?]+?):\s+(?P<ask>{_WH}\b.+|(?:is|are|was|were|does|do|did)\s.+)$",
                         re.I)
_FILLER_LEAD = re.compile(r"(?:(?:hi|hey|hello|ok|okay|so|also|btw|quick|quickly|short|simple|another|one|two|three|"
                          r"more|last|final|follow-up|followup|question|questions|two-parter|parter|q|please|thanks)"
                          r"[\s,!-]*){1,4}", re.I)
"""Words that only lead in before a colon ("Quick two-parter:", "Two questions:"), not a topic ("Japan:")."""
_LIST_WORDS = re.compile(r",|\s(?:or|and|vs\.?|versus)\s", re.I)
_CLAUSE_VERB = re.compile(r"\s(?:is|are|was|were|has|have|had|do|does|did|named|called)\s", re.I)
_EITHER = (
    (re.compile(rf"^(?:does|do|did)\s+(?P<a>.+?)\s+or\s+(?P<b>.+?)\s+have\s+(?P<rest>(?:more|less|fewer|"
                rf"{_COMPARATIVES})\b[^?.!]*)[?.!]*$", re.I), "Which has {rest}: {a} or {b}?"),
    (re.compile(rf"^(?P<verb>is|are|was|were)\s+(?P<a>.+?)\s+or\s+(?P<b>.+?)\s+(?P<rest>(?:more\s+[a-z]+|less\s+"
                rf"[a-z]+|{_COMPARATIVES})\b[^?.!]*)[?.!]*$", re.I), "Which {verb} {rest}: {a} or {b}?"),
)
"""A comparison asked as a yes-or-no question about two things: "Does Bengali or Javanese have more native
speakers?" is asked as "Which has more native speakers: Bengali or Javanese?"."""


def _normalized(text: str) -> str:
    """The question in the forms the rest reads: a dash between its parts read as a colon ("Which car company
    is the oldest - Ford, Toyota or Volkswagen?"); the things asked about, written first, moved to where they
    are asked about ("Carl Lewis, Usain Bolt or Jesse Owens: which of them won the most gold medals?" ->
    "which won the most gold medals: Carl Lewis, Usain Bolt or Jesse Owens?"; "humayun, akbar: when did each
    reign" -> "when did each of humayun and akbar reign"); words that only lead in before a colon left out
    ("Quick two-parter: who ...", not "Japan: what ..."); "Does X or Y have more ...?" asked as which has."""
    text = _SPACED_DASH.sub(": ", text)
    for pattern, form in _EITHER:
        m = pattern.match(text)
        if m is not None and all(map(_named_side, (m.group("a"), m.group("b")))):
            return form.format(**{k: v.strip() if k != "verb" else v.lower() for k, v in m.groupdict().items()})
    m = _HEAD_FIRST.match(text)
    if m is None:
        return text
    head, ask = m.group("head").strip(), m.group("ask").strip()
    listed = _LIST_WORDS.search(head) is not None and len(head.split()) <= 16
    named = re.search(rf"^(?:the|these|those|all|each|every)\s|\b(?:{_COUNT}|first|last|top)\s", head, re.I) \
        is not None and _CLAUSE_VERB.search(f" {head} ") is None and len(head.split()) <= 12
    if listed or named:
        each = re.search(r"\beach(?:\s+of\s+(?:them|these|those))?\b", ask, re.I)
        if listed:
            head = re.sub(r"\s+(?:vs\.?|versus)\s+", ", ", head, flags=re.I)
            if " or " not in head and " and " not in head and "," in head:  # "Oxford, Copenhagen, Stanford"
                head = re.sub(r",\s*([^,]+)$", rf" {'and' if each else 'or'} \1", head)
        else:  # "each of the first three roman emperors", as it would be written in place
            head = re.sub(r"^(?:The|These|Those)\b", lambda w: w.group().lower(), head)
            if not re.match(r"(?:the|these|those|all|each|every)\s", head, re.I):
                head = f"the {head}"
        if each is not None:
            return f"{ask[: each.start()]}each of {head}{ask[each.end() :]}"
        which = re.match(r"(?P<wh>which|who)(?:\s+one)?(?:\s+of\s+(?:them|these|those|the\s+\w+))?\s+(?P<rest>.*)$",
                         ask, re.I)
        if which is not None and listed:
            rest = which.group("rest").rstrip(" ?.!")
            clause, sep, more = rest.partition(", ")
            return f"{which.group('wh')} {clause}: {head}{sep}{more}?"
        return text
    if _FILLER_LEAD.fullmatch(head) and re.search(r"\b(?:each|them|they|their|these|those|both)\b", ask, re.I) is None:
        return ask  # "Quick two-parter: who showed ..., and how many ...?"; not "Japan: what is the capital ...?"
    return text


_PERSON_NOUNS = (r"person|man|woman|scientist|author|writer|painter|composer|artist|actor|actress|singer|player|"
                 r"king|queen|emperor|president|leader|explorer|inventor|physicist|chemist|philosopher|poet|director|"
                 r"architect|mathematician|novelist|musician|politician|general|pope|monarch|ruler|astronaut")
_NAME_ASKED: dict[str, re.Pattern[str]] = {
    "person": re.compile(rf"^(?:who|whom)\b|^(?:which|what)\s+(?:{_PERSON_NOUNS})\b", re.I),
    "place": re.compile(r"^(?:where\b|(?:in\s+)?(?:what|which)\b.*?\b(?:city|capital|country|town|state|province|"
                        r"island|place|region|continent|nation|village|county|port)\b)", re.I),
    "thing": re.compile(rf"^(?:which|what)\s+(?!(?:is|are|was|were|does|do|did|{_PERSON_NOUNS})\b)[a-z-]+\s+"
                        r"(?:[a-z-]+\s+)?(?:is|are|was|were|does|do|did|has|have|had|makes?|made|\w+s|\w+ed)\b|"
                        r"^(?:what|which)\s+(?:is|was|are|were)\s+the\s+(?!(?:value|default|population|area|size|"
                        r"length|height|depth|width|weight|mass|limit|number|amount|price|cost|rate|speed|"
                        r"temperature|version|date|year|age|maximum|minimum|meaning|purpose|difference|reason)\b)"
                        r"(?:[\w'’-]+\s+){0,3}?(?:of|in|on|at|for|by)\s", re.I),
}
"""What a first ask must ask for its answer to be what a later ask refers back to, by the word it refers back
with: a person for "he" ("Who founded Microsoft"), a place for "there" ("What is the capital of Bosnia and
Herzegovina", "Where was ..."), a named thing for "it" ("Which function reads CSV files", "What is the tallest
building in the world"); never a value ("What is the population of X and when was it measured?") or what a name
is ("What is the Eiffel Tower and when was it built?": "it" is the tower). "It" is asked of the answer only when
the first ask names nothing else it could be ("Which company makes the iPhone and when was it released?",
"What is the capital of Spain and who is its king?", "Which country is Mount Everest in and how tall is it?"
stay one question)."""
_CHAIN_ANAPHOR = re.compile(r"\b(?P<person>he|she|him|his|her)\b|(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )"
                            r"\b(?P<place>there)\b(?!\s+(?:is|are|was|were|be|been|exists?)\b)|"
                            r"\b(?P<thing>it|its|they|them|their)\b", re.I)
_OBJECT_HER = re.compile(r"her\s*(?:$|[?.!,]|\b(?:in|on|at|to|from|by|for|with|and|or|as|first|last|most)\b)", re.I)
_ASKS_THE_NOUN_OF = re.compile(r"^(?:what|which)\s+(?:is|was)\s+the\s+(?:[\w'’-]+\s+){0,3}?(?:of|in|on)\s", re.I)
"""A first ask whose answer is what its noun phrase names, of or in a named thing ("What is the capital of
Eritrea", "What is the tallest building in Dubai"): a later "it" is that answer ("how high is it"); "its" may
be either ("who is its king")."""
_OTHER_NAME = re.compile(r"(?<=\s)(?![A-Z]{1,4}\b)[A-Z][\w'’.-]*|(?<=\s)i[A-Z]\w*")
"""A name in a first ask, past its first word (not an acronym such as "CSV" or "R"): what "it" may refer to."""


def _chained(clauses: Sequence[str], mark: bool) -> Plan | None:
    """Two asks, the second about the first one's answer: "What is the capital of Bosnia and Herzegovina and how
    many people live there?" asks the capital, then how many people live in it. None (one question, as before)
    unless the first asks a name of the kind the second refers back with (`_NAME_ASKED`), with one word."""
    if len(clauses) != 2 or not (_is_ask(clauses[0]) and _is_ask(clauses[1])):
        return None
    second = _JOINING.sub("", clauses[1])
    anaphors = list(_CHAIN_ANAPHOR.finditer(second))
    if len(anaphors) != 1:
        return None  # "when did he divorce her": which is the first one's answer?
    m = anaphors[0]
    kind = m.lastgroup or ""
    first_ask = _LEAD_IN.sub("", clauses[0])
    if _NAME_ASKED[kind].search(first_ask) is None or (kind == "thing" and _OTHER_NAME.search(first_ask) and not (
            m.group().lower() == "it" and _ASKS_THE_NOUN_OF.match(first_ask))):
        return None  # ("What is the capital of Eritrea, and how high is it?": "it" is what is asked, the capital)
    word = m.group().lower()
    if word == "there":
        slot = "in {}"
    elif word in ("his", "its", "their") or (word == "her" and not _OBJECT_HER.match(second, m.start())):
        slot = "{}'s"
    else:
        slot = "{}"
    frame = second[: m.start()] + slot + second[m.end() :]
    first = _as_question(clauses[0], mark)
    then = _as_question(second, mark)
    return Plan(CONJUNCTION, (Part(first, first), Part(then, then, after=_as_question(frame, mark))),
                question_mark=mark)


_CODE = r"[A-Za-z_][\w]*(?:[.:][A-Za-z_]\w*)+(?:\(\))?|[A-Za-z_]\w*_\w*(?:\(\))?|[A-Za-z_]\w*\(\)"
CODE_NAME = re.compile(_CODE)
"""A name written as code ("read.csv", "os.path.join()", "R_LIBS_USER")."""
_CHAIN_NAME = re.compile(r"[A-Z][\w'’.&-]*(?:\s+(?:of|the|and|de|da|di|del|della|des|do|dos|du|el|es|la|le|los|las|"
                         rf"van|von|der|den|al|bin|ibn|y|[A-Z][\w'’.&-]*)){{0,5}}|{_CODE}")
_NOT_NAMES = frozenset({"true", "false", "null", "none", "na", "nan", "yes", "no"})


def chain_subject(short_answer: str | None) -> str | None:
    """The first ask's answer as what the next ask is about: a name ("Sarajevo", "Bill Gates") or one in code
    ("read.csv", "os.path.join()"); None for a value ("3.5 million", "TRUE") or a phrase."""
    text = " ".join((short_answer or "").split()).strip(" .,;:")
    if not text or text.lower() in _NOT_NAMES or _CHAIN_NAME.fullmatch(text) is None:
        return None
    return text


def referred_as(part: Part) -> tuple[str, str]:
    """How a part asked about the answer before it refers to it: its kind (person, place or thing) and word
    ("when was she born": person, she); empty for any other part."""
    m = _CHAIN_ANAPHOR.search(part.question) if part.after is not None else None
    return (m.lastgroup or "", m.group().lower()) if m is not None else ("", "")


_STATES_A_SET = re.compile(r"^\W*(?:there\s+(?:is|are|was|were)|consider|take|suppose)\b", re.I)
"""A clause that names a set without asking anything of it: a later ask must refer to it ("There are two
microstates inside the Italian Peninsula. When did each of them come into existence?")."""


def _refers_back(clause: str) -> bool:
    """Whether a later ask is about what an earlier one found: it has "it", "their", "each"... before any name
    of its own ("when was it built", not "when did the Brothers Grimm publish their first collection")."""
    m = _ANAPHOR.search(clause)
    if m is None:
        return False
    if any(w.lower() in ("each", "these", "those", "respective", "respectively", "such", "same")
           for w in re.findall(r"\w+", clause)):
        return True  # "... in each": whatever the clause names
    return re.search(r"(?<=\s)[A-Z][a-z]", clause[: m.start()]) is None


_ASK = re.compile(rf"^(?:{_WH}|(?:in|on|at|from|for|by|to|during|since|until|of|with)\s+(?:what|which|whom|whose)|"
                  r"is|are|was|were|do|does|did|can|could|should|will|would|has|have|had|list|name|"
                  r"give|find|identify|describe|explain|compare)\b", re.I)


def _is_ask(clause: str) -> bool:
    """Whether a clause is a question of its own: it starts as one ("How often is scratch purged", "in which
    U.S. state is Denali", not "In C code for an R package" or "sum(...) gives 0.99") and has words enough to
    be one: four, or three ending on a name ("Who founded Walmart"; "In which year" and "What stack size"
    lean on the rest of the question)."""
    clause = _LEAD_IN.sub("", clause)
    words = clause.split()
    if _ASK.match(clause) is None or len(words) < 3 or (len(words) == 3 and not words[2][:1].isupper()
                                                       and not _THREE_WORD_ASK.match(clause)):
        return False  # three words ask when the last is a name: "Who founded Walmart"
    return _SUBORDINATE_START.match(clause) is None


_THREE_WORD_ASK = re.compile(r"^(?:who|what|where|when|which)\s+(?:is|are|was|were|did|does|do|has|have|\w+ed|wrote|"
                             r"made|built|won|owns|found|began|became|leads|runs|makes)\s+\S+\?$", re.I)
"""Three words, a verb between, and a question mark: "who founded facebook?" asks, written in lower case."""
_LEAD_IN = re.compile(r"^(?:(?:and|also|plus|but|then|so|roughly|approximately|about|exactly|just)\b[,:]?\s+)+",
                      re.I)
"""Words before an ask that leave it an ask: "And what is tofu made from?", "Also, what's the capital of ...",
"Roughly how many ..."."""
_JOINING = re.compile(r"^(?:(?:and|also|plus|but|then)\b[,:]?\s+)+", re.I)
_SUBORDINATE_START = re.compile(r"^(?:when|where|while)\s+(?!and\b)(?!(?:\S+\s+){0,2}(?:is|are|was|were|do|does|did|"
                                r"can|could|should|will|would|has|have|had)\b)", re.I)
"""A clause that sets a condition ("When exporting a data frame for Excel"), not a question of its own ("When and
by whom was judo created" is one)."""


def _frames(frame: str, extra: list[str]) -> tuple[str, ...]:
    """The frames a subject is asked: the head clause's and those of the asks that refer back to it; a head
    frame that only asks what the subjects are ("What are {}?") is left out when another asks about them."""
    frames = [frame, *extra]
    asking = [f for f in frames if not _IDENTITY.match(f.strip())]
    return tuple(asking or ["What is {}?"])


def fill(frames: Iterable[str], subject: str, question_mark: bool = True) -> str:
    """The frames with `subject` filled in, joined, as one question."""
    frames = list(frames)
    if frames and "{}" in frames[0]:  # the subject is named already: a later ask's own "({})" is not needed
        frames[1:] = [re.sub(r"\s*\(\{\}\)\W*$", "", f) for f in frames[1:]]
    filled = [f.replace("{}", subject).strip().rstrip("?.!").strip() for f in frames]
    text = " and ".join(f for f in filled if f)
    return _as_question(text, question_mark)


def _as_question(text: str, question_mark: bool) -> str:
    text = " ".join(text.split()).strip(" ,;").rstrip("?.!").strip()
    text = text[:1].upper() + text[1:]
    return text + ("?" if question_mark else ".")


def _anaphor_frame(clause: str) -> str:
    """A second ask about the first one's subjects, with a slot where it refers to them: "what are their
    capitals" -> "what are {}'s capitals"."""
    def slot(m: re.Match[str]) -> str:
        word = m.group().lower()
        if word.startswith(("their", "its", "theirs")):
            return "{}'s"
        return "{}"

    frame, n = _ANAPHOR_SLOT.subn(slot, clause, count=1)
    return frame if n else clause + " ({})"


# -- lists ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    kind: str
    frame: str
    """The clause with `{}` for the subject."""
    items: tuple[str, ...] = ()
    members: SetPhrase | None = None
    weak: bool = False
    """A set asked only for its members, without a count: a part of its own only with a later ask about each."""
    extra: tuple[str, ...] = ()
    """Frames of asks about each subject inside the clause ("... and the animal life found in each")."""


_TOKEN = re.compile(r"(?:[A-Z]\.){2,}|[\w'’&-]+(?:\.\w+)*(?:\+\+|#(?!\w))?|[,;:?!()]")
"""A word of a clause: an abbreviation ("U.S."), a word or dotted name ("Node.js"), with the "++" or "#" of a
language's name ("C++", "C#", "F#": not "C", another language)."""
_CONJ = frozenset({"and", "or", "&", "vs", "versus", "vs."})


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower()

    @property
    def capital(self) -> bool:  # "d'Ivoire", "l'Aquila" after their elided article are written as names too
        return self.text[:1].isupper() or self.text[:1].isdigit() or \
            (self.text[1:2] in ("'", "’") and self.text[2:3].isupper())

    @property
    def word(self) -> bool:
        return self.text[:1].isalnum() or self.text[:1] in "_&"


def _find(clause: str, known: Callable[[str], bool]) -> _Found | None:
    """The clause's list or set, if it has one."""
    found = _find_list(clause, known) or _find_than(clause)
    if found is not None:
        return found
    return _find_set(clause)


_BEFORE = re.compile(r"^(?P<verb>was|were|is|are)\s+(?P<a>.+?)\s+(?P<done>built|written|published|founded|born|made|"
                     r"created|established|completed|discovered|invented|released|signed|opened|constructed|"
                     r"painted|composed|formed|launched|elected|crowned|designed|produced|first\s+\w+ed)\s+"
                     r"(?:before|after|earlier\s+than|later\s+than)\s+(?P<b>.+?)[?.!]*\s*$", re.I)
"""Two things compared by when: "Was Les Misérables published before War and Peace?"."""
_THAN = (
    re.compile(r"^(?:how\s+much\s+|how\s+many\s+\w+\s+)?(?P<adj>more\s+[a-z]+|less\s+[a-z]+|[a-z]+er)\s+"
               r"(?P<verb>is|are|was|were)\s+(?P<a>.+?)\s+than\s+(?P<b>.+?)[?.!]*\s*$", re.I),
    re.compile(r"^(?P<verb>is|are|was|were)\s+(?P<a>.+?)\s+(?:(?:much|far|a\s+lot|slightly|significantly|any)\s+)?"
               r"(?P<adj>more\s+[a-z]+|less\s+[a-z]+|[a-z]+er)\s+than\s+(?P<b>.+?)[?.!]*\s*$", re.I),
)
"""Two things compared by a comparative and "than": "How much taller is the Burj Khalifa than the Empire State
Building?", "Is the Nile longer than the Amazon?"."""
_HAVE_THAN = re.compile(r"^(?:does|do|did)\s+(?P<a>.+?)\s+have\s+(?:a\s+|an\s+)?(?:(?:much|far|slightly)\s+)?"
                        rf"(?:more|less|fewer|{_COMPARATIVES})\s+(?P<noun>[a-z]+(?:\s+[a-z]+)?)\s+than\s+(?P<b>.+?)"
                        r"[?.!]*\s*$", re.I)
"""Two things compared by what they have: "Does Portugal have a larger population than Greece?"."""
_NOT_COMPARATIVE = frozenset({"other", "rather", "never", "either", "whether", "over", "under", "after"})


def _find_than(clause: str) -> _Found | None:
    """A comparison of two named things ("X taller than Y", "X built before Y"): each side asked "How tall is
    X?", "When was X built?". Both sides must be written as names: "older than 5 years" or "shorter than
    average" compares nothing the documents are about."""
    for pattern, frame in _COMPARED_BY:
        m = pattern.match(clause.strip())
        if m is None:
            continue
        other = m.group("b").strip()
        said_of = re.search(r"['’]s$", other) is not None or re.match(r"(?:that|those)\s+of\s", other, re.I) is not None
        sides = (m.group("a").strip(), re.sub(r"^(?:that|those)\s+of\s+|['’]s$", "", other, flags=re.I))
        if (m.groupdict().get("adj") or "").lower() in _NOT_COMPARATIVE:
            return None
        asked = frame(m)
        of = _ATTRIBUTE_OF.match(sides[0])
        if said_of and not _named_side(sides[0]) and of is not None and _named_side(of.group("name")) and \
                "{}" in asked:  # (the other side written as the same thing's: "the Brooklyn Bridge's", "that of X")
            # "how much longer is the main span of the Akashi Kaikyo Bridge than the Brooklyn Bridge's?": the
            # main span of each
            asked = asked.replace("{}", f"the {of.group('attr')} of {{}}")
            sides = (of.group("name"), sides[1])
        if not all(map(_named_side, sides)):
            return None
        return _Found(COMPARISON, asked, sides)
    return None


_ATTRIBUTE_OF = re.compile(r"^(?:the\s+)?(?P<attr>[a-z][a-z-]*(?:\s+[a-z][a-z-]*){0,3})\s+of\s+(?P<name>.+)$")
"""A side written as something of a named thing: "the main span of the Akashi Kaikyo Bridge"."""


_COMPARED_BY: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_BEFORE, lambda m: f"When {m.group('verb').lower()} {{}} {m.group('done')}?"),
    (_HAVE_THAN, lambda m: f"What is the {m.group('noun').lower()} of {{}}?"),
    *((than, lambda m: f"How {_positive(m.group('adj'))} {m.group('verb').lower()} {{}}?") for than in _THAN),
)
"""Each form of comparison, and the question each side is asked."""


def _named_side(side: str) -> bool:
    """A side of a comparison: at most six words, written as a name ("the Eiffel Tower", "C#"); a common word
    that is also a title ("average") is none."""
    words = side.split()
    if not 0 < len(words) <= 6:
        return False
    plain = re.sub(r"^(?:the|a|an)\s+", "", side, flags=re.I).split()
    return bool(plain) and plain[0][:1].isupper() and all(
        w[:1].isupper() or w.lower() in ("of", "the", "de", "and") for w in plain)


def _find_list(clause: str, known: Callable[[str], bool]) -> _Found | None:
    tokens = _titles_as_words(clause, [_Tok(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(clause)], known)
    best: _Found | None = None
    best_size = 0
    for i, tok in enumerate(tokens):
        if tok.low in _CONJ and 0 < i < len(tokens) - 1:
            found = _list_at(clause, tokens, i, known)
            if found is not None and len(found.items) >= best_size:
                best, best_size = found, len(found.items)
    return best


def _titles_as_words(clause: str, tokens: list[_Tok], known: Callable[[str], bool]) -> list[_Tok]:
    """The clause's words, each document's title that holds a small word as one ("Who wrote Pride and Prejudice
    and War and Peace?": two items, not "Prejudice" and "War"; "Gone with the Wind", not "Gone"), when a
    conjunction is left outside them to join a list. In "Jamaica, Cuba, Trinidad and Tobago" the one "and" is
    the list's, and whether the last two are one name is asked of the list (`_list_at`)."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens) - 1:
        best: tuple[int, int] | None = None
        first = tokens[i]
        if first.word and (first.capital or (first.low in _DETERMINERS and tokens[i + 1].capital)):
            for n in range(2, min(6, len(tokens) - i) + 1):
                run = tokens[i : i + n]
                if not all(t.word for t in run):
                    break
                if run[-1].capital and any(not t.capital for t in run[1:-1]) and \
                        _is_title(clause[run[0].start : run[-1].end], known):
                    best = (i, i + n)
        if best is not None:
            spans.append(best)
            i = best[1]
        else:
            i += 1
    spans = sorted([*spans, *_placed_items(clause, tokens, spans)])
    inside = {j for a, b in spans for j in range(a, b)}
    if not spans or not any(t.low in _CONJ and j not in inside for j, t in enumerate(tokens[1:-1], 1)):
        return tokens
    out: list[_Tok] = []
    at = 0
    for a, b in spans:
        out.extend(tokens[at:a])
        out.append(_Tok(clause[tokens[a].start : tokens[b - 1].end], tokens[a].start, tokens[b - 1].end))
        at = b
    return [*out, *tokens[at:]]


_PLACED = re.compile(r"(?<![\w'’-])[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2}\s+in\s+(?:the\s+)?[A-Z][\w'’.-]*"
                     r"(?:\s+[A-Z][\w'’.-]*){0,2}(?![\w'’-])")
_BETWEEN_ITEMS = re.compile(r"\s*(?:,\s*(?:(?:or|and)\s+)?|\s(?:or|and|vs\.?|versus)\s+)\s*", re.I)


def _placed_items(clause: str, tokens: list[_Tok], taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Items each written with its place, two or more in a row ("Mussolini in Italy or Hitler in Germany"): the
    token spans of each, to be taken as one word; none when only one item has a place ("Paris in France")."""
    found = list(_PLACED.finditer(clause))
    run: list[re.Match[str]] = []
    for m in found:
        if run and _BETWEEN_ITEMS.fullmatch(clause, run[-1].end(), m.start()) is None:
            if len(run) >= 2:
                break
            run = []
        run.append(m)
    if len(run) < 2:
        return []
    starts = {t.start: i for i, t in enumerate(tokens)}
    ends = {t.end: i for i, t in enumerate(tokens)}
    spans = [(starts[m.start()], ends[m.end()] + 1) for m in run if m.start() in starts and m.end() in ends]
    if len(spans) != len(run) or any(a < b2 and a2 < b for a, b in spans for a2, b2 in taken):
        return []
    return spans


_COMPARE_CUE = re.compile(r"\b(?:compare|comparing|contrast|differences?\s+between|versus|vs\.?)\b", re.I)
_BOTH = re.compile(r"\bboth\b", re.I)
_JOINT = re.compile(r"\b(?:between|among|amongst)\s+(?:the\s+)?\S+\s*$", re.I)
"""A pair after "between" is one subject ("the relationship between India and Pakistan"), unless the
question asks for their difference."""


def _list_at(clause: str, tokens: list[_Tok], at: int, known: Callable[[str], bool]) -> _Found | None:
    """The list whose conjunction is tokens[at], if the words around it make one."""
    # items between commas, walking back from the conjunction
    left = tokens[:at]
    if left and left[-1].text == ",":
        left = left[:-1]  # the serial comma
    segments: list[list[_Tok]] = [[]]
    for tok in left:
        if tok.text == ",":
            segments.append([])
        else:
            segments[-1].append(tok)
    middle: list[list[_Tok]] = []
    # (a title with small words is an item too: "To Kill a Mockingbird")
    while len(segments) > 1 and (_item_like(segments[-1]) or (
            segments[-1] and len(segments[-1]) <= 6 and _is_title(_span(clause, segments[-1]), known))):
        middle.insert(0, segments.pop())
    prefix = [t for seg in segments for t in seg]  # what is left: the frame, ending with the first item
    colon = next((j for j in range(len(prefix) - 1, -1, -1) if prefix[j].text == ":"), None)
    right: list[_Tok] = []
    for tok in tokens[at + 1 :]:
        if not tok.word:
            break
        right.append(tok)
    if not right:
        return None
    typical = max((len(m) for m in middle), default=0)
    last = _leading_item(right, known, typical, middle)
    if not last:
        return None
    typical = typical or len(last)
    starts_after_comma = bool(middle) and _frame_only(prefix, middle, last)
    first: list[_Tok] = []
    if colon is not None and colon == len(prefix) - 1 and not middle:
        return None
    if not starts_after_comma:
        first = _trailing_item(prefix[colon + 1 :] if colon is not None else prefix, known, typical, [*middle, last])
        if not first:
            return None
    items = ([first] if first else []) + middle + [last]
    if len(items) < 2 or any(len(it) > 6 for it in items):
        return None
    texts = [clause[it[0].start : it[-1].end] for it in items]
    proper = all(_named_item(it) and it[0].start > 0 for it in items)  # ("the Republic of Ireland" too)
    compare = _COMPARE_CUE.search(clause) is not None or (_BOTH.search(clause) is not None and (
        proper or all(_is_title(t, known) for t in texts)))
    cue = compare or re.search(r"\b(?:each|respectively|respective)\b", clause, re.I) is not None
    head = _span(clause, prefix[:colon] if colon is not None and not starts_after_comma
                 else prefix)  # "Which university is oldest: {Oxford}, Copenhagen or Stanford?"
    comparative = bool(prefix) and (_COMPARATIVE.match(head) or _ORDER_WORDS.match(head) or _MORE_PREFIX.match(head)
                                    or _SUPERLATIVE_PREFIX.match(head)) is not None and (
        starts_after_comma or head != _span(clause, prefix))
    if tokens[at].low == "or" and not (compare or comparative):
        return None  # "Physiology or Medicine": an alternative inside one question, unless it is compared
    pair_joined = False
    if first and not middle:  # two items around one conjunction: one name, or two?
        for a in range(1, min(4, len(first)) + 1):
            for b in range(1, min(4, len(right)) + 1):
                joint = clause[first[-a].start : right[b - 1].end]
                if _is_title(joint, known) and tokens[at].low != "vs":
                    pair_joined = True
        if pair_joined:
            return None
        if _JOINT.search(clause[: tokens[at].start]) and not re.search(r"\bdifferences?\s+between\b", clause, re.I):
            return None
        if not (compare or comparative):
            if not (proper and all(_is_title(t, known) for t in texts)):
                return None
    elif middle:
        if not first and len(items) == 2 and not (cue or comparative):
            return None
        # a longer list: its items are names, titles, or marked as a list ("each", "compare")
        if not (cue or comparative or any(it[0].capital for it in items)
                or sum(_is_title(t, known) for t in texts) >= 2):
            return None
        # "Jamaica, Cuba, Trinidad and Tobago": the last two may be one name
        joint = clause[items[-2][0].start : items[-1][-1].end]
        if _is_title(joint, known):
            texts = texts[:-2] + [joint]
            if len(texts) < 2:
                return None
    if any(not t or t.lower() in _FRAME_WORDS or not re.search(r"[^\W\d_]", t) for t in texts):
        return None
    start = (first or middle[0])[0].start
    if first and (head_of := _TITLE_HEAD_BEFORE.search(clause, 0, start)) is not None:
        start = head_of.start()  # "Who wrote Of Mice and Men, ...": a title opening with a small word
        texts[0] = clause[start : first[-1].end]
    elif first and (whose := _OWNER_BEFORE.search(clause, 0, start)) is not None and \
            any(_OWNER_ITEM.match(t) for t in texts[1:]):
        start = whose.start()  # "Where are Leonardo's The Last Supper, Van Gogh's The Starry Night ...": the
        texts[0] = clause[start : first[-1].end]  # first item has its owner, as the others have
    end = last[-1].end
    frame = _clean_frame(clause[:start] + "{}" + clause[end:], comparative, clause[:start])
    if frame is None:
        return None
    kind = COMPARISON if compare or comparative else LIST
    return _Found(kind, frame, tuple(dict.fromkeys(texts)))


_TITLE_HEAD_BEFORE = re.compile(r"(?<=\s)(?:Of|The|A|An|To|In|On)\s+(?:[A-Z][\w'’-]*\s+)+(?:and|&)\s+$")
"""The start of a title written just before a list's first item, a conjunction between: a capitalised small word
in mid-question, then names ("Of Mice and" before "Men")."""


_OWNER_BEFORE = re.compile(r"(?<=\s)(?:[A-Z][\w-]*\s+){0,2}[A-Z][\w-]*['’]s\s+$")
_OWNER_ITEM = re.compile(r"(?:[A-Z][\w-]*\s+){0,2}[A-Z][\w-]*['’]s\s+\S")
"""An item written with its owner before it: "Van Gogh's The Starry Night"."""


def _named_item(item: list[_Tok]) -> bool:
    """Whether an item is written as a name: capitalised, after its article if it has one."""
    words = " ".join(t.text for t in item).split()  # (a title taken as one word holds several)
    if len(words) > 1 and words[0].lower() in _DETERMINERS:
        words = words[1:]
    return bool(words) and words[0][:1].isupper()


def _span(clause: str, toks: list[_Tok]) -> str:
    return clause[toks[0].start : toks[-1].end] if toks else ""


def _item_like(seg: list[_Tok]) -> bool:
    """Whether a comma-separated segment can be one item of a list: a few words, none of the frame's."""
    words = [t for t in seg if t.word]
    if not words or len(words) > 6 or len(words) != len(seg):
        return False
    inner = [t.low for t in words[1:]] if words[0].low in _DETERMINERS else [t.low for t in words]
    return bool(inner) and not any(w in _FRAME_WORDS - {"of", "and", "&"} for w in inner) and \
        inner[0] not in _FRAME_WORDS  # ("A" alone, as in "vitamins D, A and E", is no article here)


def _frame_only(prefix: list[_Tok], middle: list[list[_Tok]], last: list[_Tok]) -> bool:
    """Whether the words before the list's first comma are all frame ("Which is larger, China or India?")."""
    if not prefix:
        return True
    words = [t for t in prefix if t.word]
    if not words:
        return True
    said = " ".join(t.text for t in words)
    after_colon = any(t.text == ":" for t in prefix)  # "Which is oldest: {Oxford}, ...": the list starts there
    # not "...city of {Myanmar}", nor in lower case "the longest river in {nigeria}, senegal and ..."
    superlative = _SUPERLATIVE_PREFIX.match(said) is not None and not words[-1].capital and not (
        len(words) > 2 and words[-2].low in ("in", "of", "on", "at", "from") and words[-1].low not in _FRAME_WORDS)
    if not after_colon and (_COMPARATIVE.match(said) or _MORE_PREFIX.match(said) or superlative):
        return True  # "Which is bigger, the polar bear or the brown bear?", "Who won more titles, X or Y?"
    end = words[-1]
    others_proper = all(it[0].capital for it in [*middle, last])
    if others_proper and not end.capital:
        return True
    return end.low in _FRAME_WORDS


def _run_ok(run: list[_Tok]) -> bool:
    inner = run[1:] if run and run[0].low in _DETERMINERS else run
    return bool(inner) and all(t.word for t in run) and \
        not any(t.low in _FRAME_WORDS and not _name_of(inner, j) for j, t in enumerate(inner)) and \
        all(t.low not in _DETERMINERS for t in inner)


def _name_of(run: list[_Tok], j: int) -> bool:
    """Whether run[j] is the "of" inside a name, between two capitalised words ("the Bank of Japan")."""
    return run[j].low == "of" and 0 < j < len(run) - 1 and run[j - 1].capital and run[j + 1].capital


def _capital_run(run: list[_Tok]) -> bool:
    """Words written as a name: each capitalised, or a small word inside ("Bank of England")."""
    inner = run[1:] if run and run[0].low in _DETERMINERS else run
    if not inner or not inner[0].capital or not inner[-1].capital:
        return False
    return all(t.capital or t.low in {"of", "de", "la", "le", "von", "van", "del", "da", "the", "y"} for t in inner)


def _named_run(runs: list[list[_Tok]], known: Callable[[str], bool]) -> list[_Tok] | None:
    """Of the candidate runs of an item (shortest first), the longest that is a document's title, unless a
    longer run of capitalised words says more; else the longest capitalised run; None when neither."""
    titled = [r for r in runs if _is_title(_text(r), known)]
    capital = [r for r in runs if _capital_run(r) and not any(t.low == "of" for t in r)]  # "HDI of China": no name
    if titled and (not capital or len(titled[-1]) >= len(capital[-1])):
        return titled[-1]
    return capital[-1] if capital else None


def _trailing_item(words: list[_Tok], known: Callable[[str], bool], typical: int,
                   others: list[list[_Tok]]) -> list[_Tok]:
    """The first item of a list: the end of the words before its first comma (or conjunction)."""
    runs = []
    for n in range(1, min(6, len(words)) + 1):
        run = words[-n:]
        if not _run_ok(run):
            if run[0].low == "of" and n < len(words):
                continue  # "of Japan" may be the end of "the Bank of Japan"
            break
        runs.append(run)
    if not runs:
        return []
    named = _named_run(runs, known)
    if named is not None:
        choice = named
    elif any(it and it[0].capital for it in others):
        return []  # the other items are names and this is not
    else:
        choice = runs[min(len(runs), max(typical, 1) if typical else len(runs)) - 1]
    return _with_article(words, choice, others)


def _leading_item(words: list[_Tok], known: Callable[[str], bool], typical: int,
                  others: list[list[_Tok]]) -> list[_Tok]:
    """The last item of a list: the start of the words after its conjunction."""
    runs = []
    for n in range(1, min(6, len(words)) + 1):
        run = words[:n]
        if n == 1 and run[0].low in _DETERMINERS:
            continue  # "the" alone is no item; "the Parthenon" is
        if not _run_ok(run):
            if run[-1].low == "of" and n < len(words):
                continue  # "the Bank of" may be the start of "the Bank of Japan"
            break
        runs.append(run)
    if not runs:
        return []
    named = _named_run(runs, known)
    if named is not None:
        return named
    if others and all(o[0].capital for o in others):
        return []
    if typical:
        return runs[min(len(runs), typical + (1 if runs[0][0].low in _DETERMINERS else 0)) - 1]
    return runs[-1]  # no other item to measure by: up to the first word of the frame


def _with_article(words: list[_Tok], run: list[_Tok], others: list[list[_Tok]]) -> list[_Tok]:
    """An item keeps the article before it when the other items have one too ("the Eiffel Tower, the Taj
    Mahal")."""
    if run[0].low in _DETERMINERS:
        return run
    at = words.index(run[0])
    if at > 0 and words[at - 1].low in _DETERMINERS and any(o and o[0].low in _DETERMINERS for o in others):
        return [words[at - 1], *run]
    return run


def _text(run: list[_Tok]) -> str:
    return " ".join(t.text for t in run)


_INTRO_SET = re.compile(rf"(?:\b(?:each|all|both)\s+of\s+)?(?:the\s+)?(?:following|{_COUNT})\b[^:]*$", re.I)
_INTRO_AFTER = re.compile(r"\s(?:of|in|for|on|from|at|to|by)\s|^(?:identify|find|name|list|give|compare)\s", re.I)


def _intro_slot(head: str) -> int | None:
    """Where the phrase a colon's list stands for starts: "the architects of five landmarks:" -> "five
    landmarks"; "the longest river in each of the following continents:" -> "each of the following..."."""
    m = _INTRO_SET.search(head)
    if m is not None:
        return m.start()
    after = [a.end() for a in _INTRO_AFTER.finditer(head)]
    return after[-1] if after else None


def _clean_frame(frame: str, comparative: bool, before: str) -> str | None:
    """The frame as a question about one subject: "Compare how {} read CSV files" -> "How {} read CSV
    files"; "What is the difference between {}?" -> "What is {}?"; "Which is larger, {}?" -> "How large is
    {}?"; "...of five landmarks: {}" -> "...of {}"."""
    if comparative:
        head = before.rstrip(" ,:")
        m = _HAS_MORE.match(head)
        if m is not None:  # "Which island has more inhabitants, ..." -> "How many inhabitants does {} have?"
            many = "many" if m.group("noun").split()[-1].endswith("s") else "much"  # "How much caffeine ..."
            return f"How {many} {m.group('noun')} {'did' if m.group('verb').lower() == 'had' else 'does'} {{}} have?"
        m = _COMPARATIVE.match(head) or _SUPERLATIVE_IS.match(head)
        if m is not None:  # "Which is larger, ...", "Which car company is the oldest, ...": "How old is {}?"
            return f"How {_positive(m.group('adj'))} {m.group('verb')} {{}}?"
        m = _ORDER_WORDS.match(head)
        if m is not None and re.search(r"\b(?:should|would|could|can|must|shall|will)\b", m.group("rest"), re.I):
            return None  # "Which should I learn first: Python or Java?" asks for advice, not for a date
        if m is not None:
            rest = m.group("rest").split()
            if rest and rest[0].lower() in ("was", "were", "is", "are"):
                return f"When {rest[0]} {{}} {' '.join(rest[1:])}?"
            return f"When {' '.join(rest)} {{}}?"
        if _MORE_PREFIX.match(head) or _SUPERLATIVE_PREFIX.match(head):
            return f"{head}: {{}}?"  # "Who won more major singles titles: Roger Federer?"
    colon = frame.find(": {}")
    if colon >= 0:
        at = _intro_slot(frame[:colon])
        if at is not None:
            frame = frame[:at] + "{}" + frame[colon + 4 :]
    frame = re.sub(r"^\s*(?:compare|contrast|comparing)\s+(?:the\s+)?(?=\S)", "", frame, flags=re.I)
    frame = re.sub(r"\bthe\s+differences?\s+between\s+", "", frame, flags=re.I)
    frame = re.sub(r"\b(?:both|each)\s+(?:of\s+)?(?=\{\})", "", frame, flags=re.I)
    frame = re.sub(r"\{\}\s+both\b", "{}", frame, flags=re.I)
    frame = re.sub(r",?\s*respectively\b", "", frame, flags=re.I)
    return frame if "{}" in frame else None


def _positive(adjective: str) -> str:
    """"larger" -> "large", "taller" -> "tall", "more populous" -> "populous", "oldest" -> "old"."""
    from qa.terms import english_words

    words = adjective.split()
    if len(words) == 2:
        return words[1]
    word = adjective.lower()
    special = {"better": "good", "worse": "bad", "further": "far", "farther": "far", "elder": "old", "best": "good",
               "worst": "bad", "furthest": "far", "farthest": "far", "eldest": "old"}
    if word in special:
        return special[word]
    if word.endswith("est"):
        word = word[:-3] + "er"  # "oldest" is asked as "older" is: "How old is {}?"
    stem = word[:-2]
    if word.endswith("ier"):
        return word[:-3] + "y"
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "aeiousl":
        return stem[:-1]  # bigger -> big
    english = english_words()
    if stem in english or not english:
        return stem
    return word[:-1] if word[:-1] in english else stem


# -- sets ----------------------------------------------------------------------------------------------------


def _find_set(clause: str) -> _Found | None:
    """A set the clause asks about without naming its members, and the clause as a frame around it. A set
    without a count whose frame only asks what its members are ("What are the countries that border Spain?")
    is `weak`: one question, unless a later ask is about each member."""
    body = clause.rstrip(" ?.!")
    first: _Found | None = None
    for found in _set_starts(body):
        found_set = _set_at(clause, body, *found)
        if not found_set.weak or found_set.extra:  # (a later ask about each member makes it one to split)
            return found_set
        first = first or found_set
    return first  # weak: "What are the capitals of {the G7 countries}?" asks of a set inside a set that is weak


def _set_at(clause: str, body: str, start: int, head: str, count: int | None) -> _Found:
    """The set whose phrase starts at `start`, and the clause as a frame around it."""
    phrase_end = len(body)
    prefix = body[:start]
    if re.search(r"\b(?:is|are|was|were|do|does|did|has|have|had)\s*$", prefix, re.I):
        verb = _TRAILING_VERB.search(body)  # "Where were {the emperors of ...} born?"
        if verb is not None and verb.start() > start + len(head):
            phrase_end = verb.start()
    if not prefix.strip() or re.match(r"^(?:which|what)\s*$", prefix.strip(), re.I):
        verb = re.compile(r"\s(?:has|have|had|is|are|was|were|do|does|did)\s", re.I).search(body, start + len(head))
        if verb is not None:  # "{Which member of the G7} has the smallest area?"
            phrase_end = verb.start()
    head_at = re.compile(rf"\b{re.escape(head)}\b").search(body, start, phrase_end)
    if head_at is not None and re.search(r"\b(?:do|does|did)\b|\S\s+(?:which|whom)\b", prefix, re.I):
        verb = _VERB_AFTER_SET.search(body, head_at.end(), phrase_end)
        if verb is not None and _HEAD_TAIL.fullmatch(body[head_at.end() : verb.start()]):
            phrase_end = verb.start()  # "How many ... did {each of the three great tragedians of Athens} win?"
    to_rank = _RANK_SET.match(body)
    if to_rank is not None and to_rank.start("set") == start:
        return _ranked_set(body, start, head)
    after_name = _AFTER_NAME.search(body, start + len(head), phrase_end)
    if after_name is not None:  # "are {the three most populous cities in Australia} the capitals"
        phrase_end = after_name.end(1)
    tail = ""
    then = _THEN_EACH.search(body, start, phrase_end)
    if then is not None:  # "the four largest deserts and the animal life found in each"
        phrase_end, tail = then.start(), body[then.end() : phrase_end]
    phrase = body[start:phrase_end].strip(" ,")
    frame = prefix + "{}" + body[phrase_end + (len(body[phrase_end:]) if tail else 0) :] + clause[len(body) :]
    frame = re.sub(r"\b(?:each|every|all)\s+(?:of\s+)?(?=\{\})", "", frame, flags=re.I)
    asks_which = re.match(r"^(?:which|what)\s*$", prefix.strip(), re.I) is not None
    if asks_which:
        frame = frame[len(prefix) :]  # "Which {} has the smallest area" -> "{} has the smallest area"
    asks_which_of = re.match(r"^(?:of|in|from|to|for|by|at|on|with|under)\s+(?:which|what)$", prefix.strip(), re.I)
    weak = (count is None or not is_kind(head)) and (
        _IDENTITY.match(frame.strip()) is not None or asks_which_of is not None
        or (asks_which and _MEMBER_OF.search(body) is None))  # "What are the three primary colors?": one ask
    found_set = _Found(SET, frame, (), SetPhrase(phrase, head, count), weak=weak)
    return replace(found_set, extra=(_anaphor_frame(tail),)) if tail else found_set


_HEAD_TAIL = re.compile(r"(?:\s+(?:of|in|from|at|on)\s+(?:the\s+)?[\w'’-]+(?:\s+[A-Z][\w'’.-]*)*"
                        r"|\s+(?:who|that|which)\s+[a-z]+\s+(?:at|in|on|with|for)\s+(?:the\s+)?(?:[A-Z][\w'’.-]*\s*)+)*")
"""What may stand between a set's head and the verb asked with: "of classical Athens", "in the Horn of
Africa", "who met at the Yalta Conference"; not "die as" of "did each of the apostles die as martyrs"."""
_VERB_AFTER_SET = re.compile(r"(?<=[\w'’])(?<!\bof)(?<!\bin)(?<!\bthe)(?<!\ba)(?<!\ban)(?<!\band)(?<!\bor)"
                             r"\s+(?:(?:actually|really|usually|mainly|mostly|originally|first|still|ever|typically|"
                             r"generally|commonly|eventually|finally|currently|primarily|once)\s+)?[a-z][a-z'’-]*\s*$")
"""A set's phrase after "did", "does" or "which" ends before the verb they ask with, the clause's last word
(after an adverb of it: "actually do"), which never follows an article or a preposition: "did {each of the
three great tragedians} win", "during which {each of the four caliphs} ruled"."""


def _ranked_set(body: str, start: int, head: str) -> _Found:
    """"Rank {the Great Lakes} from biggest to smallest by surface area": each member asked what it is ranked by
    ("What is the surface area of Lake Erie?"), or how much of what the superlative says ("How big is ...?")."""
    cut = _RANK_BY.search(body, start + len(head))
    phrase_end = cut.start() if cut is not None else len(body)
    rest = body[phrase_end:]
    by = re.search(r"\bby\s+(?:their\s+|its\s+)?(?P<m>[a-z][a-z\s-]*?)\s*$", rest, re.I)
    most = re.search(r"\bfrom\s+(?:the\s+)?(?P<adj>(?:most|least)\s+[a-z]+|[a-z]+est)\b", rest, re.I)
    if by is not None:
        frame = f"What is the {by.group('m')} of {{}}?"
    elif most is not None:
        adjective = most.group("adj").split()[-1]
        frame = f"How {_positive(adjective) if adjective.endswith('est') else adjective} is {{}}?"
    else:
        frame = "What is {}?"
    return _Found(SET, frame, (), SetPhrase(body[start:phrase_end].strip(), head, None))


_AFTER_NAME = re.compile(r"\b([A-Z][\w'’.-]*)\s+(?=the\s+[a-z]|(?:in|on|at|for|during)\s+[a-z][\w-]*\s*$)")
"""Where a set's phrase ends on a name and a new noun phrase starts: "... cities in Australia | the capitals", or
the last words are the frame's: "... who met at the Yalta Conference | in power"."""
_THEN_EACH = re.compile(r"\s+and\s+(?=(?:(?:list|name|give)\s+)?(?:the|their|its|what|where|how)\b[^,]*?\b(?:each|they|"
                        r"their|them|these|those|its)\b)", re.I)
"""Where a set's phrase ends and an ask about each of its members begins: "... and the largest sea they each
connect with"."""


def _set_starts(body: str) -> list[tuple[int, str, int | None]]:
    """(start, head noun, count) of the set phrases in a clause, the earliest first: the earliest with a count
    before one without at the same place; none after a subordinate clause's start."""
    found: list[tuple[int, str, int | None, int]] = []  # start, head, count, head offset
    for m in _SET_START.finditer(body):
        word = m.group("n") or m.group("n2")
        count = None
        if word:
            if word[:1].isupper() and m.start() > 0:
                continue  # "the Three Gorges Dam": a name
            count = int(word) if word.isdigit() else _COUNTS.get(word.lower(), 0)
            if count < 2 or (word.isdigit() and re.match(r"\s*(?:%|percent|years?|km|miles|m\b|am|pm)",
                                                          body[m.end() :], re.I)):
                continue
        elif m.group("each") and m.group("each").lower() == "both":
            count = 2
        rest = body[m.end() :]
        words = list(re.finditer(r"[\w'’-]+", rest))
        noun = next((w for w in words[:6] if _PLURAL_WORD.fullmatch(w.group()) and
                     w.group().lower() not in _FRAME_WORDS), None)
        if m.group("each") and m.group("each").lower() in ("each", "every") and words and noun is not None and \
                is_kind(words[0].group()) and any(w.group().lower() in ("that", "which", "who")
                                                  for w in words[1:] if w.start() < noun.start()):
            noun = None  # "every country that borders Lake Chad": the kind after "every", not the verb "borders"
        plural = noun is not None
        if noun is None and m.group("each") and m.group("each").lower() in ("each", "every") and words:
            # "every country in South America", "each permanent member of the Council": the noun before the
            # first preposition
            stop = next((i for i, w in enumerate(words) if w.group().lower() in _FRAME_WORDS), len(words))
            noun = words[stop - 1] if 0 < stop <= 4 else None
        if noun is not None and (is_kind(noun.group()) or (
                plural and ((m.group("each") or "").lower() == "each" or (
                    count is not None and (re.match(r"the\s", m.group(), re.I) or re.search(
                        r"(?:\bthe|^there\s+(?:are|were))\s+$", body[: m.start()], re.I)) is not None))
                # "the three", "There are two microstates ... . When did each ...", not "have six legs"
                and _open_kind(noun.group())
                and re.fullmatch(r"\s*(?:[A-Za-z][\w'’-]*\s+)*", rest[: noun.start()]) is not None)):
            found.append((m.start(), noun.group(), count, m.end() + noun.start()))
    ranked = _RANK_SET.match(body)
    if ranked is not None and (is_kind(ranked.group("head")) or _open_kind(ranked.group("head"))):
        found.append((ranked.start("set"), ranked.group("head"), None, ranked.start("head")))
    for m in _IN_SET.finditer(body):
        if _ASKED_OF_EACH.search(body[: m.start()]):
            found.append((m.start(), m.group("head"), None, m.start("head")))
    for pattern in (_RELATIVE_SET, _NAMED_SET, _OF_SET, _MEMBER_OF, _ATTR_OF_SET):
        for m in pattern.finditer(body):
            groups = m.groupdict()
            start = m.start("set") if groups.get("set") else m.start()
            at = m.start("head") if groups.get("head") else m.end()
            found.append((start, groups.get("head") or "members", None, at))
    if not found:
        last = _WHICH_SET.search(body)  # "Which planets ... were discovered after 1700": only as a last resort
        if last is None:
            return []
        found.append((last.start("head"), last.group("head"), None, last.start("head")))
    out: list[tuple[int, str, int | None]] = []
    for start, head, count, at in sorted(found, key=lambda f: (f[0], f[2] is None)):
        if _SUBORDINATE.search(body[:start]):
            break  # "...raise an error if two members of my Enum...": a condition, not what is asked
        if out and out[-1][0] == start:
            continue
        if count is None:  # "each of the top 5 languages": the count of the same head
            count = next((c for s, h, c, a in found if a == at and c is not None), None)
        out.append((start, head, count))
    return out


_RANK_SET = re.compile(r"^(?:please\s+)?(?:rank|order|sort|arrange)\s+(?P<set>(?:the\s+)?(?:[\w'’-]+\s+){0,4}?"
                       r"(?P<head>[A-Za-z][\w-]*[a-rt-z]s))(?=\s+(?:by|from|in\s+order|according|based)\b|\W*$)", re.I)
"""A set to rank: "Rank the Great Lakes from biggest to smallest by surface area"."""
_RANK_BY = re.compile(r"\s+(?:by|from|in\s+order|according|based)\b", re.I)
_SUBORDINATE = re.compile(r"(?<=\S)\s+(?:if|when|whenever|whether|because|unless|while|although|though|once|"
                          r"so that|so|since|until|after|before)\s", re.I)
_KIND_WORDS = frozenset(w for k in _PLURAL_KINDS.split("|") for w in (k, singular_key(k)))


_NOT_KINDS = frozenset(
    """types kinds sorts forms ways steps stages phases reasons causes effects parts pieces things items examples
    instances methods means uses factors aspects features times years days months hours minutes weeks decades
    centuries periods dates numbers values options arguments parameters fields rows columns lines words letters
    characters files questions answers points ideas issues problems results changes differences rules laws
    principles terms names sides ends levels layers branches sections chapters pages versions editions
    categories classes groups sets lists ones others""".split())
"""Plural nouns that are no kind of thing a document is about: "the three steps", "both arguments"."""


def _open_kind(word: str) -> bool:
    """A plural noun outside the closed list of kinds that may still name what a set's members are ("the four
    Rashidun caliphs", "the three great tragedians"), after "each" or "the" and a count; a document is still
    only a member when its opening says it is one and it names what the phrase names, or when the set's own
    document names it (qa/multipart.py)."""
    return word.lower() not in _NOT_KINDS and word[:1].islower() and len(word) > 3


def is_kind(word: str) -> bool:
    """Whether a noun names a kind of thing sets of documents are made of (countries, rivers, companies...)."""
    return word.lower() in _KIND_WORDS or word.lower() in ("member", "members")


def _set_head(phrase: str, head_at: re.Match[str] | None) -> str | None:
    if head_at is not None:
        return head_at.group()
    for w in re.finditer(r"[\w'’-]+", phrase):
        if _KIND.fullmatch(w.group()) or (w.group().lower() in ("member", "members")):
            return w.group()
    return None


def missing_line(part: Part) -> str:
    """What an abstained part says: "The documents do not give the land mass of France."."""
    q = part.question.rstrip("?.! ")
    m = re.match(r"^(?:what|which)\s+(?:is|are|was|were)\s+(?P<rest>the\s.+|\S+['’]s\s.+)$", q, re.I)
    if m is not None:
        return f"The documents do not give {m.group('rest')}."
    m = re.match(r"^(?P<wh>who|where|when|why|how\s+\w+|how)\s+(?P<aux>is|are|was|were)\s+(?P<rest>.+)$", q, re.I)
    if m is not None and part.subject and m.group("rest").startswith(part.subject):
        subject, after = part.subject, m.group("rest")[len(part.subject) :]
        return f"The documents do not say {m.group('wh').lower()} {subject} {m.group('aux')}{after}."
    m = re.match(r"^(?P<wh>who|what|which)\s+(?P<rest>(?!is\b|are\b|was\b|were\b|do\b|does\b|did\b).+)$", q, re.I)
    if m is not None:
        return f"The documents do not say {m.group('wh').lower()} {m.group('rest')}."
    return f"The documents do not answer “{part.question}”."
