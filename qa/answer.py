"""Composing a cited answer from retrieved passages, checking every quote, or abstaining.

Each sentence of the top passages is scored against the question: cosine similarity of the sentence
vector plus a bonus for the question's keywords it contains. Sentence vectors are pooled at index time
from the token vectors of the chunk pass, so neither indexing nor answering embeds sentences again. The answer is the
best sentence and up to two more that score nearly as well and say something different. When even the
best sentence is a weak match, corpus-qa abstains and still lists the closest passages.

Thresholds were calibrated on the dev questions (see README, "How abstention is calibrated").
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from index.errors import CitationError
from index.text.keywords import PARAPHRASES, RELATED_FORMS, keyword_tokens, plain_form
from index.text.marks import FENCE, LIST_ITEM
from index.types import ATOMIC_KINDS, Document
from qa.config import Tuning
from qa.lazy_re import compile_lazily
from qa.reader import RETURNED
from qa.types import Answer, Citation, Passage, Place

if TYPE_CHECKING:
    import numpy as np

    from index.storage import IndexReader as Snapshot
    from qa.retrieval import Hit

REDUNDANT_ABOVE = 0.85
"""Cosine between two sentences above which the second adds nothing."""
LIST_ITEMS = 3
"""List items quoted after the line that introduces their list ("These settings are deprecated:")."""
OTHER_ROW = 1.0
"""Taken from a table row that does not name the item the question asks about: it never answers (it stays
a neighbour, so that the sentence introducing its table is still found)."""

NOT_FOUND = "Not found in the corpus: the documents do not answer this question."
NO_FIGURE = "Not found in the corpus as a figure: the documents give no figure for it, only its rank:"
"""An amount asked of a named thing whose document gives no figure but its rank by the measure (the rank follows,
quoted and cited)."""

SHORT_MAX = 100
"""A short answer longer than this (or spanning lines) is no short answer."""


@dataclass(frozen=True)
class ScoredSentence:
    """A candidate sentence for the answer."""

    sentence_id: int
    """Row in the index's sentence table."""
    doc_id: int
    """Document row."""
    start: int
    """Start offset in the document."""
    end: int
    """End offset in the document."""
    score: float
    """Combined score."""
    cosine: float
    """Cosine similarity to the question."""
    answer: tuple[int, int] | None = None
    """Document offsets of a short answer of the asked type inside the sentence, if it holds one."""
    overlap: float = 0.0
    """IDF-weighted share of the question's keywords the sentence holds."""
    named: float = 0.0
    """How strongly the question names the sentence's document by its title (0..1)."""
    kind: str = "sentence"
    """What the sentence is in its document's structure: sentence (prose), code, row, header or term (see
    index.types.Unit)."""
    term: tuple[int, int] | None = None
    """Document offsets of the name the sentence's definition defines (an API signature above its
    description), when it is part of one."""
    header: tuple[int, int] | None = None
    """Document offsets of a table row's header row."""


def line_of(text: str, offset: int) -> int:
    """1-based line number of a character offset."""
    return text.count("\n", 0, offset) + 1


def term_weights(snapshot: Snapshot, terms: set[str]) -> dict[str, float]:
    """BM25-style inverse document frequency of each question term over the index's chunks, so a
    rare word ("invaded") counts for more than one found everywhere ("Russia")."""
    import math

    n = max(1, snapshot.keyword_chunks())
    weights = {}
    for term in terms:
        df = snapshot.document_frequency(term)
        weights[term] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
    return weights


def keyword_overlap(weights: dict[str, float], present: set[str] | frozenset[str]) -> float:
    """IDF-weighted share of the question's keywords among a sentence's terms (0..1); a keyword counts as
    present in another form of the same event word (RELATED_FORMS)."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items()
               if t in present or any(r in present for r in PARAPHRASES.get(t, ()))) / total


def sentence_terms(snapshot: Snapshot, sentence_id: int, text: str) -> frozenset[str]:
    """A sentence's keyword terms, remembered with the open index (sentences recur across questions)."""
    cache = snapshot.term_cache
    terms = cache.get(sentence_id)
    if terms is None:
        if len(cache) > 200_000:
            cache.clear()
        terms = cache[sentence_id] = frozenset(keyword_tokens(text))
    return terms


_ASKS_CODE = compile_lazily(r"\b(?:command|commands|command line|syntax|code|call|invocation|snippet|example)\b", re.I)
"""An identifier question that asks for code ("What command runs...?")."""
_STATES_DEFAULT = re.compile(r"\b(?:the\s+)?default\b[^.;,]{0,50}\s(?:is|are)\s*:?\s*$|\bdefaults\s+to\s*:?\s*$", re.I)
"""A sentence that goes on into the default it states: "The default setting in R is" (code follows); not "To reset
every setting to its default, run", "In default of payment, interest is computed as"."""
_ASKS_SHELL = compile_lazily(
    r"\b(?:(?:from|on|at|in|via|through|using)\s+(?:the|a)\s+(?:command[\s-]line|shell|terminal|"
    r"command prompt)|shell command)\b", re.I)
"""A question asking for what is typed at a shell prompt: "...from the command line", "in a terminal" (not "in the
console": Python's own is one)."""
_OF_THE_COMMAND_LINE = compile_lazily(r"\b(?:arguments?|options?|flags?|parameters?|switch(?:es)?|argv|input)\b", re.I)
"""What a program is given on the command line: "How do I get the arguments passed on the command line?" asks
for the code that reads them, not for a command."""
_INTERPRETER_SESSION = compile_lazily(r"\s*(?:>>>|In \[\d+\]:)\s")
"""Code typed into an interpreter (Python's `>>>` prompt, IPython's `In [1]:`), not at a shell prompt."""
_TYPE_WORDS = {"date": frozenset(keyword_tokens("date year day month time century decade")),
               "version": frozenset(keyword_tokens("version release"))}
"""Words that only say what kind of answer is asked for."""


_IDENT_KINDS = (r"array|variable|function|builtin|built-in|constant|command|option|method|module|class|exception|"
                r"field|flag|setting|parameter|macro|keyword|directive|hook|switch|attribute|property|operator|"
                r"routine|procedure|subroutine|package|library|program|utility|tool|signal|register")
_ASKED_IDENT_KIND = compile_lazily(rf"(?:^|[.?!:]\s+)\W*(?:which|what)\s+(?:[\w+#.-]+\s+){{0,3}}?"
                                   rf"(?:(?:{_IDENT_KINDS})\s+(?:[\w+#.-]+\s+)?(?=(?:{_IDENT_KINDS})\s))?"
                                   rf"(?P<kind>{_IDENT_KINDS})\s", re.I)
"""The kind of name a question asks for: "Which array ...", "Which built-in Asymptote constant ..." (constant)."""


_ANOTHER_OF_KIND = compile_lazily(r"\b(?:similar|other|another|alternative|related|equivalent|companion)\s+"
                                  rf"(?:{_IDENT_KINDS})s?\b", re.I)
"""A sentence presenting its name as an alternative to the one it follows ("read.fortran is a similar function")."""


def _said_of_kind(question: str) -> re.Pattern[str] | None:
    """For "Which <kind> ...?" (array, variable, function, builtin...), what a sentence says to call its name one
    ("An array variable", "This variable", "The function yylex_destroy", a definition labelled "Builtin:")."""
    m = _ASKED_IDENT_KIND.search(question)  # (after a scene: "My data file has no delimiters. Which function ...?")
    if m is None:
        return None
    word = re.escape(m.group("kind").lower())
    return re.compile(rf"(?:\b(?:an?|the|this|that)\s+(?:[\w-]+\s+){{0,2}}?{word}\b|^\W*{word}\s*:?\s+\S)", re.I)


_ASKS_CALLABLE = compile_lazily(
    r"\b(?:function|functions|command|commands|routine|procedure|subroutine|macro|method)\b",
    re.I)
"""An identifier question that asks for something called: a function, command or method."""
_CALL = re.compile(rf"(?>{RETURNED}|\w+\s+)?[\w.:]+\s*\(")
"""A call's signature, after what it returns or its type (`nproc (query)`, `[q, err] = quad2d (...)`,
`real length(pair z)`)."""


def _enclosing_callable(doc: Document, start: int, term: tuple[int, int]) -> tuple[int, int] | None:
    """For a sentence of a definition nested in another one's description, where the inner name is no call
    (a value of an argument: "overridable" under `nproc (query)`) and the outer is one: the outer name."""
    if _CALL.match(doc.text[term[0] : term[1]]):
        return None
    inner = False
    for i in doc.units_at(start):  # innermost first
        unit = doc.units[i]
        if unit.kind != "definition" or unit.parent < 0:
            continue
        named = doc.units[unit.parent]
        if not inner:
            inner = (named.start, named.end) == term
            if not inner:
                return None
            continue
        return (named.start, named.end) if _CALL.match(doc.text[named.start : named.end]) else None
    return None


def unit_context(doc: Document, start: int, end: int) -> tuple[str, tuple[int, int] | None, tuple[int, int] | None]:
    """What a sentence is in its document's structure: (kind, its definition's name, its row's header).
    The kind is that of the atomic unit it is (code, row, header, term), else `sentence`."""
    kind, term, header = "sentence", None, None
    for i in doc.units_at(start):  # innermost first
        unit = doc.units[i]
        if unit.kind in ATOMIC_KINDS:
            if kind == "sentence" and end <= unit.end:
                kind = unit.kind
                if unit.kind == "row" and unit.parent >= 0:
                    head = doc.units[unit.parent]
                    header = (head.start, head.end)
                elif unit.kind == "term":
                    term = (unit.start, unit.end)
        elif unit.kind == "definition" and term is None:
            if unit.parent >= 0:
                named = doc.units[unit.parent]
                term = (named.start, named.end)
            break
    return kind, term, header


_PERSONAL_PRONOUN = compile_lazily(r"^\W*(?:\S+\s+){0,3}?(?:he|she|him|his|her|they|them|their)\b", re.I)
"""A sentence that starts speaking of a person without naming them ("He was the author of...", "It is his
first visit..."; not "Elizabeth II was Queen... until her death")."""


_PLACE_OF = compile_lazily(r"^\W*(?:(?:what|which(?:\s+(?:city|town|place))?)(?:['’]s|\s+(?:is|was|are|were))|name|"
                           r"tell\s+me)\s+the\s+(?P<what>(?:[a-z-]+\s+){0,2}?[a-z-]+)\s+(?:of|in)\s+\S", re.I)
"""A question asking an attribute of a thing it names: "What is / What's / Which city is / Name the capital
of X"."""


def _owns(owner: tuple[str, str], text: str) -> bool:
    """Whether a sentence gives the measure as the named thing's own (`_amount_owners`: the measure's words
    and the name), the name standing alone: not the end of a longer one ("the Democratic Republic of the Congo
    is ..." is not the Republic of the Congo's; "Today Ruritania's population" and "The capital of Elbonia"
    are theirs)."""
    said, name = owner
    after, before = _owned_after(said), _owned_before(said)
    spoken = list(re.finditer(rf"(?:{said})", text, re.I))
    if spoken and all(_QUALIFIED.search(text[max(0, m.start() - 40) : m.start()]) for m in spoken):
        return False  # "Mumbai is India's financial capital", "The cultural capital of India is Kolkata"
    for m in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.I):
        a, b = m.span()
        window = text[max(0, a - 160) : a]
        said_before = before.search(window)
        if said_before is not None and _QUALIFIED.search(window[: said_before.start()]):
            said_before = None  # "the cultural capital of India" is not its capital
        if not (after.match(text, b) or said_before or _OPENS_WITH.fullmatch(text[:a])):
            continue
        if not re.search(r"\S\s+[A-Z][\w'’-]*$", text[:a].rstrip()):  # a capitalised word before it, not the first
            return True
    return False


_OPENS_WITH = compile_lazily(r"\W*(?:the\s+)?", re.I)
_QUALIFIED = compile_lazily(r"\b(?:cultural|financial|commercial|economic|business|industrial|religious|spiritual|"
                            r"ecclesiastical|intellectual|fashion|music|film|gastronomic(?:al)?|culinary|tech|technology|"
                            r"startup|design|literary|artistic|tourist|silk|judicial|former|erstwhile|wartime|"
                            r"historic(?:al)?|ancient|old|summer|winter|royal)\s+$", re.I)
"""A word before a measure that makes it something else than the thing's own: "the cultural capital of India",
"the former capital", "the summer capital"."""


@lru_cache(maxsize=64)
def _owned_after(said: str) -> re.Pattern[str]:
    """What follows a name that owns a measure: "Australia's population", "Australia has ..." (`said`: the
    measure's words, an alternation)."""
    return re.compile(rf"['’]s\s+(?:[\w-]+\s+){{0,2}}?(?:{said})|"
                      r"\s+(?:has|had|is|was|covers|covered|spans|comprises)\b", re.I)


@lru_cache(maxsize=64)
def _owned_before(said: str) -> re.Pattern[str]:
    """What precedes a name that owns a measure: "the population of", "the capital and largest city of"."""
    return re.compile(rf"(?:{said})\w*\s+(?:[\w-]+\s+){{0,3}}?of\s+(?:the\s+)?$", re.I)


@lru_cache(maxsize=64)
def _asked_before(said: str) -> re.Pattern[str]:
    """What precedes a name a question measures: "the population of", "the area in"."""
    return re.compile(rf"(?:{said})\w*\s+(?:[\w-]+\s+){{0,3}}?(?:of|in)\s+(?:the\s+)?$", re.I)


@lru_cache(maxsize=64)
def _asked_after(said: str) -> re.Pattern[str]:
    """What follows a name a question measures: "Australia's population", "Australia's total land area"."""
    return re.compile(rf"['’]s\s+(?:[\w-]+\s+){{0,2}}?(?:{said})", re.I)


def _place_asked(question: str) -> str | None:
    """"capital" for a question asking the capital of the thing it names ("What is the capital (city) of
    Australia?"), so that only a sentence giving the named thing's own answers it ("Perth is the capital city
    of Western Australia" does not)."""
    m = _PLACE_OF.search(question)
    if m is None:
        return None
    # a capital is said as one ("the capital of India", "Turkey's capital"); an origin or a headquarters in too
    # many ways ("formed in Liverpool", "based in Seattle") to ask a sentence to say it
    return "capital" if "capital" in m.group("what").lower().split() else None


OWNER_NAMED = 0.5
"""How strongly a question must name a document (title evidence) for an amount it asks to be that document's."""


def _amount_owners(snapshot: Snapshot, named: dict[int, float], measured: str, question: str,
                   ) -> dict[int, tuple[str, str]]:
    """The documents a question names strongly (`named` >= OWNER_NAMED) as what it measures ("What is the
    population of Australia?", "Australia's population", "How many people live in Australia?"; not Homer in
    "How many books is each of the poems attributed to Homer divided into?"), each with what `_owns` reads a
    sentence by (the measure's words and the name): a sentence that gives the measure as the named thing's
    own, "Australia's population", "the population of Australia", "Australia has/is/covers ...", or one that
    opens with the name; not "Tasmania, Australia's smallest state, with 573,479 residents". The patterns around the
    name are the measure's, made once (no pattern is compiled per name and question)."""
    from qa.reader import _MEASURE_WORDS

    # the measure's own words ("the census of India" holds Hyderabad's population as well as India's)
    said = "|".join(w for w in _MEASURE_WORDS.get(measured, re.escape(measured)).split("|") if w != "census")
    either = f"{said}|{re.escape(measured)}"
    out: dict[int, tuple[str, str]] = {}
    for doc_id, strength in named.items():
        if strength < OWNER_NAMED:
            continue
        name = re.sub(r"\s*\([^)]*\)$", "", snapshot.document(doc_id).title.strip())
        if not name:
            continue
        asked = any(_asked_after(either).match(question, m.end())
                    or _asked_before(either).search(question[max(0, m.start() - 160) : m.start()])
                    for m in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", question, re.I))
        if not asked:
            continue  # the question names it, but measures something else
        out[doc_id] = (said, name)
    if not out:
        _unnamed_owner(snapshot, named, said, either, question, out)
    return out


def _unnamed_owner(snapshot: Snapshot, named: dict[int, float], said: str, either: str, question: str,
                   out: dict[int, tuple[str, str]]) -> None:
    """When no document is named as what the question measures ("What is the area of Kerala?" with no summary
    of Kerala), the name the question measures all the same: an amount or capital counts only where a sentence
    gives it as that name's own ("the capital of Kerala"), not the area of a city "in Kerala"; a retrieved
    document whose opening is about the name ("The United States of America (USA) ... is") gives its own."""
    from qa.ranking import opens_about

    name_run = r"(?P<name>[A-Z][\w'’-]*\.?(?:\s+(?:of\s+)?[A-Z][\w'’-]*\.?)*)"  # "St. Petersburg"
    # the name ends its phrase ("the population of Kerala?", "... of Kerala in km2"): not a word of a longer one
    # ("the Baltic states", "in US dollars")
    ends = r"(?=\s*$|\s*[?.,;:!)]|\s+(?:in|as|and|or|for|by|at|on|with|during|from|to|according|today|now)\b)"
    m = re.search(rf"(?i:{either})\w*\s+(?:[\w-]+\s+){{0,3}}?(?:of|in)\s+(?:the\s+)?{name_run}{ends}", question) \
        or re.search(rf"(?<![\w-]){name_run}['’]s\s+(?:[\w-]+\s+){{0,2}}?(?i:{either})", question)
    if m is None or m.start("name") == 0:
        return
    name = m.group("name").rstrip(".")
    out[-1] = (said, name)
    for doc_id in named:
        if opens_about(snapshot, doc_id, name):
            out[doc_id] = (said, name)


def _title_is_opening(doc: Document) -> bool:
    """Whether the document's title is only its own first sentence (a text without a heading): its words are
    then what that sentence says, not the topic of every sentence."""
    cut = doc.title.endswith("…")
    head = doc.title.rstrip("…").strip()
    body = doc.text[doc.body_start :].lstrip()
    if not head or not body.startswith(head):
        return False
    # a heading is a line of its own ("logging — Logging facility for Python" above the page); a first
    # sentence ends like one, or goes on past what the title kept of it
    return cut or head[-1] in ".!?" or body[len(head) : len(head) + 1] not in ("\n", "")


@dataclass
class _Gathered:
    """The distinct sentences of the retrieved chunks, with what retrieval said of their passages."""

    rows: list[tuple[int, int, int, int]]
    """(sentence id, document row, start, end), in retrieval order."""
    named: dict[int, float]
    """Document row -> how strongly the question names it by its title."""
    passage: dict[int, float]
    """Sentence id -> the best retrieval score of a passage holding it, minus the best of all."""

    @property
    def by_id(self) -> dict[int, tuple[int, int, int]]:
        return {r[0]: (r[1], r[2], r[3]) for r in self.rows}


def _gather(snapshot: Snapshot, hits: Sequence[Hit]) -> _Gathered:
    seen: set[int] = set()
    gathered = _Gathered([], {}, {})
    best_hit = max((h.score for h in hits), default=0.0)
    for hit in hits:
        chunk = snapshot.chunk(hit.chunk_id)
        gathered.named[chunk.doc_id] = max(gathered.named.get(chunk.doc_id, 0.0), hit.named)
        for sid, span in snapshot.sentences_of(chunk):
            gathered.passage[sid] = max(gathered.passage.get(sid, -1.0), hit.score - best_hit)
            if sid not in seen:
                seen.add(sid)
                gathered.rows.append((sid, chunk.doc_id, span.start, span.end))
    return gathered


def _read_with_context(
    snapshot: Snapshot, doc: Document, doc_id: int, sid: int, start: int, end: int, cos: float,
    by_id: dict[int, tuple[int, int, int]], cosine_of: dict[int, float],
) -> tuple[frozenset[str], frozenset[str], float, tuple[str, tuple[int, int] | None, tuple[int, int] | None]]:
    """A sentence's own terms with what its document's structure puts around it (the name its definition
    defines, its table's header row; the sentence a label introduces), the terms of the sentences it refers
    back to, and its cosine (a label takes the one of the sentence it introduces)."""
    text = doc.text[start:end]
    terms = sentence_terms(snapshot, sid, text)
    unit, term, header = unit_context(doc, start, end)
    context = terms
    for around in (term, header):
        if around is not None and around != (start, end):
            context = context | frozenset(keyword_tokens(doc.text[around[0] : around[1]]))
    if unit == "sentence" and _LABEL.fullmatch(text) and sid + 1 in by_id and by_id[sid + 1][0] == doc_id:
        # "Changed in version 3.8." says what changed in the sentence after it: it is read with it
        after = by_id[sid + 1]
        context = context | sentence_terms(snapshot, sid + 1, doc.text[after[1] : after[2]])
        cos = max(cos, cosine_of[sid + 1])
    back, reading, inherited = sid, text, context
    asked = by_id.get(sid - 1)
    if unit == "sentence" and asked is not None and asked[0] == doc_id and _ASKS.search(
            doc.text[asked[1] : asked[2]]) and "\n\n" not in doc.text[asked[2] : start]:
        # an FAQ's answer ("A: Yes, but...") says what its question ("Q: Can I take my partner...?") asks
        inherited = inherited | sentence_terms(snapshot, sid - 1, doc.text[asked[1] : asked[2]])
    while unit == "sentence" and (_REFERS_BACK.match(reading.lstrip("(")) or (
            back == sid and _SUCH_INSIDE.search(text))) and back - 1 in by_id and back > sid - 3:
        # "Those calls should be preceded by..." is about what the sentence before names (and "(This
        # allows...)" about the one before that): those words count, at half weight
        back -= 1
        before = by_id[back]
        if before[0] != doc_id:
            break
        reading = doc.text[before[1] : before[2]]
        inherited = inherited | sentence_terms(snapshot, back, reading)
    afterword = by_id.get(sid + 1)
    if unit == "sentence" and afterword is not None and afterword[0] == doc_id and \
            afterword[2] - afterword[1] <= AFTERWORD and "\n" not in doc.text[end : afterword[1]]:
        said = doc.text[afterword[1] : afterword[2]]
        if _SAYS_OF_IT.search(said) and not _NEGATION.search(said):
            # "...which is what write.table will provide if argument col.names = NA is specified." "Excel is one
            # such system.": a short sentence saying more of what this one said names it too, at half weight
            inherited = inherited | sentence_terms(snapshot, sid + 1, said)
    return context, inherited, cos, (unit, term, header)


AFTERWORD = 80
"""Longest sentence (characters) read as an afterword of the one before it (`_SAYS_OF_IT`)."""
_SAYS_OF_IT = re.compile(r"\b(?:is|are)\s+(?:one|an?|among the)\s+such\b|"
                         r"^\W*(?:This|That|It)\s+is\s+(?:the|an?)\s+\w+\W*$")
"""An afterword naming an instance of what the sentence before spoke of ("Excel is one such system.") or what
that is ("This is the default."); never a negated one ("NTFS is not one such system.", `_NEGATION`)."""


def score_sentences(
    snapshot: Snapshot, hits: Sequence[Hit], qvec: np.ndarray, question: str,
    tuning: Tuning = Tuning(), kind: str | None = None,
) -> list[ScoredSentence]:
    """Every distinct sentence of the retrieved chunks, scored against the question, best first. With an
    expected answer type (`kind`, qa/reader.py), sentences holding a candidate of that type score higher and
    carry it; fragments (headings, table cells) score lower: they rarely answer anything. A sentence is
    read with what its document's structure puts around it: the name its definition defines, its table's
    header row; their words count towards its keyword overlap."""
    import numpy as np

    from index.text.keywords import STOPWORDS
    from qa.reader import _ASKS_AMOUNT, DEFAULT, ERROR, HOWTO, IDENT, NUMBER, PLACE, measure

    asks_code = kind == IDENT and _ASKS_CODE.search(question) is not None
    of_kind = _said_of_kind(question) if kind == IDENT and tuning.kind_bonus else None
    asks_callable = kind == IDENT and _ASKS_CALLABLE.search(question) is not None
    asks_shell = kind in (IDENT, HOWTO) and _ASKS_SHELL.search(question) is not None and \
        not _OF_THE_COMMAND_LINE.search(question)
    amount_asked = kind == DEFAULT and _ASKS_AMOUNT.search(question) is not None
    asked = set(keyword_tokens(question))
    if kind in _TYPE_WORDS:  # "On what date...": "date" names what is asked, no sentence needs to hold it
        asked = asked - _TYPE_WORDS[kind] or asked
    versions = _asked_versions(question)
    digits: frozenset[str] = frozenset()
    if versions:  # "2.3.0" is matched whole, under its heading, not as the digits 2, 3 and 0 of "Apache-2.0"
        digits = frozenset(t for v in versions for t in keyword_tokens(v)) - set(
            keyword_tokens(_VERSION_IN_QUESTION.sub(" ", question)))
    weights = term_weights(snapshot, asked)
    if kind == DEFAULT:
        hits = _with_rest_of_entries(snapshot, hits)
    gathered = _gather(snapshot, hits)
    rows, named, by_id = gathered.rows, gathered.named, gathered.by_id
    subjects = _code_subjects(question)
    asks_what_it_does = kind is None and bool(subjects) and _WHAT_IT_DOES.search(question) is not None \
        and not asks_under_condition(question)  # "What does mode() return when two values are tied?": not its summary
    named_in_code = _named_in_code(question)
    asked_noun = _asked_noun(question) if kind == DEFAULT else None
    code_kinds = {None, DEFAULT, ERROR, HOWTO, IDENT}  # not "Who founded Amazon.com?"
    if kind == DEFAULT:  # the entry whose default is asked may be named by a plain word ("the installation prefix")
        subjects |= {w.lower() for w in re.findall(r"[A-Za-z][\w-]{2,}", question)} - STOPWORDS
    contrasted = contrasted_terms(question) if tuning.contrast_penalty else frozenset()
    avoided = avoided_terms(question) if tuning.avoidance_bonus and kind != DEFAULT else frozenset()
    conditional = kind is None and tuning.condition_bonus > 0 and asks_under_condition(question)
    plain_question = " ".join(question.lower().split()) if tuning.negation_penalty else ""
    if _NEGATION.search(plain_question):
        plain_question = ""  # a question that negates something itself: no sentence contradicts it by negating
    if not rows:
        return []
    # "What is the population of Australia?": an amount in another document counts only where it is the named
    # thing's ("Australia's population", "the population of Australia"), not something's in it (Brisbane's)
    measured = measure(question) if kind == NUMBER else _place_asked(question) if kind == PLACE else None
    owners = _amount_owners(snapshot, named, measured, question) if measured is not None else {}
    cosines = snapshot.sentence_vectors_of([r[0] for r in rows]) @ qvec.astype(np.float32)
    scored = []
    doc_weights: dict[int, dict[str, float]] = {}
    cosine_of = {r[0]: float(c) for r, c in zip(rows, cosines, strict=True)}
    heads: dict[int, frozenset[int]] = {}
    asked_under: dict[int, float] = {}
    names_noun: dict[int, bool] = {}
    terms_asked = frozenset(asked)
    written = written_names(question) if kind == HOWTO else frozenset()
    table_words: dict[tuple[int, int, int], frozenset[str]] = {}
    for (sid, doc_id, start, end), cos in zip(rows, cosines, strict=True):
        doc = snapshot.document(doc_id)
        text = doc.text[start:end]
        if doc_id not in heads:
            heads[doc_id] = frozenset(sec.start for sec in doc.sections)
        context, inherited, cos, (unit, term, header) = _read_with_context(
            snapshot, doc, doc_id, sid, start, end, float(cos), by_id, cosine_of)
        if term is not None and asks_callable:
            outer = _enclosing_callable(doc, start, term)  # "overridable" is a value of `nproc (query)`'s argument
            if outer is not None:
                term = outer
                context = context | frozenset(keyword_tokens(doc.text[term[0] : term[1]]))
        if term is None and unit == "sentence" and kind in (IDENT, HOWTO):
            term = _named_by_heading(doc, start, end, question)  # "This module ..." under "8.6 trembling"
            if term is not None:
                context = context | frozenset(keyword_tokens(doc.text[term[0] : term[1]]))
        if doc_id not in doc_weights:
            # Inside a document about X, "X" in the question is no evidence for one sentence over another:
            # the rest of the question ("capital city", "born") is what tells its sentences apart.
            topic = set(keyword_tokens(doc.title)) if tuning.topic_aware and not _title_is_opening(doc) else set()
            rest = {t: w for t, w in weights.items() if t not in topic}
            doc_weights[doc_id] = rest if rest else weights
        under_version = bool(versions) and _under_version(doc, start, versions)
        if under_version:
            context, inherited = context | digits, inherited | digits
        elif digits:
            context, inherited = context - digits, inherited - digits
        intro = _list_introduction(doc, start, heads[doc_id])
        if intro is not None:  # a list item is read with the heading or the line that introduces its list
            inherited = inherited | frozenset(keyword_tokens(intro))
        overlap = keyword_overlap(doc_weights[doc_id], context)
        if inherited is not context:
            overlap += 0.5 * (keyword_overlap(doc_weights[doc_id], inherited) - overlap)
        # A sentence of the document the question names is, other things equal, the one to quote; so is one
        # of the passage retrieval ranked best, and one describing the API the question names.
        score = cos + tuning.keyword_weight * overlap + tuning.named_bonus * named[doc_id] \
            + tuning.passage_weight * gathered.passage[sid]
        if subjects and term is not None and _defines(doc.text[term[0] : term[1]], subjects):
            score += tuning.subject_bonus
            if asks_what_it_does and _opens_definition(doc, start, term):
                score += tuning.type_bonus  # "Sort the numbers z into complex conjugate pairs..." opens `cplxpair`
        elif named_in_code and kind in code_kinds and any(n in text.lower() for n in named_in_code):
            score += tuning.subject_bonus  # "Com.combine c1 c2 returns a component..." for "What does Com.combine do?"
        if under_version:
            score += tuning.version_bonus
        if unit in ("term", "header") or (unit == "sentence" and (
                is_fragment(text) or _SIGNATURE.fullmatch(text) or _introduces_other(text, sid, by_id, doc)
                or _ASKS.search(text))):
            score -= tuning.fragment_penalty  # (a question, as an FAQ writes it, asks: the line after answers)
        if plain_question and _contradicts(text, plain_question):
            score -= tuning.negation_penalty
        terms = sentence_terms(snapshot, sid, text)
        if contrasted & terms:
            score -= tuning.contrast_penalty
        if avoided & terms and _avoids(text, avoided):
            score += tuning.avoidance_bonus
        if conditional and unit == "sentence" and _STATES_CONDITION.match(text):
            score += tuning.condition_bonus
        found = typed_answer(kind, doc.text, start, end, unit, term, question, terms) if kind else None
        if found is None and kind == IDENT and unit == "sentence":
            found = _defined_elsewhere(doc, start, end, question)  # "A synonym for mapfile."
        if found is None and kind == DEFAULT and amount_asked and unit == "sentence" and any(
                "default" in title.lower() for title in doc.section_path(start)[-1:]):
            # "How big is the input buffer ... by default?" under "21.1 The Default Memory Management":
            # "16kB for the input buffer." gives the amount without saying "default" again
            found = typed_answer(NUMBER, doc.text, start, end, unit, term, question, terms)
        if found is not None and kind == PLACE and owners and not re.search(
                rf"\b{re.escape(measured or '')}", text, re.I):
            found = None  # "the Commonwealth of Australia" is no capital: a sentence saying "capital" gives one
        if found is not None and owners and doc_id not in owners and not any(_owns(o, text) for o in owners.values()):
            found = None  # "the third-most populous city in Australia, with a population of approximately 2.8 million"
        if found is not None and amount_asked and _measures_another(doc.text[found[1] : end], asked):
            found = None  # "about 84 bytes for the reentrant scanner structure" is not the input buffer's size
        if found is not None and kind == DEFAULT and named_in_code and not any(n in " ".join(
                [doc.title, doc.source, *(doc.text[a:b] for a, b in ((start, end), term or (0, 0), header or (0, 0)))]
        ).lower() for n in named_in_code):
            found = None  # the default of another entry than the one the question names in code (or its page)
        shows_code = unit == "code"
        if found is None and kind in (HOWTO, IDENT) and unit == "sentence":
            # "To run the examples, use something like" + code; "...that assumes equality of the variances."
            # + `> t.test(A, B, var.equal=TRUE)` for how to run it
            found = _code_after(doc, sid, text, by_id, *((terms_asked, written) if kind == HOWTO else ()))
            shows_code = found is not None
        elif found is None and kind == DEFAULT and unit == "sentence" and _STATES_DEFAULT.search(text):
            found = _code_after(doc, sid, text, by_id)  # "The default setting in R is" + `options(contrasts = ...)`
            shows_code = found is not None
        if found is not None and kind == HOWTO and unit == "sentence" and \
                (fails := _DOES_NOT_WORK.search(doc.text, found[1], end)) is not None and \
                not _CLAUSE_BREAK.search(doc.text, found[1], fails.start()) and \
                not _INSTEAD.search(doc.text, fails.end(), end):
            found, shows_code = None, False  # "retrieving the sources by e.g. wget -r ... will not work": no how
        if shows_code and asks_code:
            score += tuning.code_bonus
        if asks_shell and (shown := (start, end) if unit == "code" else _code_after(doc, sid, text, by_id)
                           if unit == "sentence" else None) is not None and \
                _INTERPRETER_SESSION.match(doc.text[shown[0] : shown[1]]):
            score -= tuning.code_bonus  # "...from the command line": `$ python -m zipapp myapp`, not `>>> zipapp...`
        if found is not None:
            score += tuning.type_bonus
            if of_kind is not None and not _ANOTHER_OF_KIND.search(text) and (len(of_kind.findall(text)) == 1 or (
                    term is not None and term != (start, end) and of_kind.search(doc.text[term[0] : term[1]]))):
                score += tuning.kind_bonus  # (one name said to be one: "if the DISPLAY environment variable is
                # set, if the TERM environment variable is ..." lists conditions, it does not say which is asked)
        if unit == "header":
            score -= OTHER_ROW  # a table's header row names its columns: it answers nothing alone
        if unit == "row" and header is not None and not _row_names_what_is_asked(
                doc, doc_id, terms_asked, terms, header, by_id, table_words):
            score -= OTHER_ROW  # a row of another item ("Autoclave | ... | 2023-11-08" for "...the fume hood...")
        if FENCE.fullmatch(text):
            continue  # a Markdown fence ("```bash") is markup around code, not text
        if found is None and start in heads[doc_id] and is_fragment(text):
            continue  # a heading names what follows it; it answers nothing by itself (unless it holds the date asked)
        if found is None and start in heads[doc_id] and unit == "sentence" and _ASKS.search(text):
            asked_under[sid] = score  # an FAQ's question: what is written under it answers
        if found is not None and kind == DEFAULT and asked_noun:
            names_noun[sid] = asked_noun in terms or bool(term and asked_noun in keyword_tokens(
                doc.text[term[0] : term[1]]))
        scored.append(ScoredSentence(sid, doc_id, start, end, score, cos, found, overlap, named[doc_id],
                                     unit, term, header))
    if asked_under:
        scored = _answers_under(snapshot, scored, asked_under, heads)
    if any(names_noun.values()):
        # "(defaults to HEAD)" is the default of <tree-ish>, not of the mode asked, when another sentence gives
        # the mode's ("If <mode> is omitted, defaults to --mixed."); with none naming it, every default stands
        scored = [replace(s, answer=None, score=s.score - tuning.type_bonus) if names_noun.get(s.sentence_id) is False
                  else s for s in scored]
    if kind in (IDENT, ERROR):
        scored = _pronoun_names_no_answer(snapshot, scored, tuning)
    if kind == DEFAULT:
        scored = _entry_defaults(scored)
    scored.sort(key=lambda s: (-s.score, s.sentence_id))
    return scored


_WHAT_NOUN = re.compile(r"^\s*(?:what|which)\s+([a-z][a-z-]+)\s+(?:does|do|is|are|will|would|should|did|has|have)\b",
                        re.I)
_GENERIC_ASKED = frozenset({"value", "values", "default", "defaults", "setting", "settings", "kind", "type", "one"})


def _asked_noun(question: str) -> str | None:
    """The stem of what a default question asks the default of, when it names it first ("What mode does git reset
    use when no mode is given?": mode); None for "What value...", "What is..."."""
    m = _WHAT_NOUN.match(question)
    if m is None or m.group(1).lower() in _GENERIC_ASKED:
        return None
    stems = keyword_tokens(m.group(1))
    return stems[0] if len(stems) == 1 else None


_RANKING = frozenset(keyword_tokens(
    "most least more less fewer fewest highest lowest cheapest dearest largest smallest biggest greatest latest "
    "earliest newest oldest longest shortest heaviest lightest fastest slowest recent recently first last best "
    "worst top expensive costly bottom maximum minimum total average"))
"""Words that rank or sum a table's rows ("the cheapest instrument", "serviced most recently"): they name no
item of it."""


def _not_in_the_table(snapshot: Snapshot, hits: Sequence[Hit], question: str) -> list[str]:
    """For a question about an attribute a retrieved table has as a column ("When was the fume hood last
    serviced?" over a table headed `Instrument | ... | Last serviced`): the words naming the item asked about
    ("fume hood"), when no row of that table holds any of them and the corpus never uses them at all. Such a
    word may be English ("microscope"), which the never-mentioned check leaves alone for fear of synonyms;
    the table is the list of what the documents know of, and it has no such item."""
    asked = set(keyword_tokens(question))
    for doc_id in dict.fromkeys(snapshot.chunk(h.chunk_id).doc_id for h in hits):
        doc = snapshot.document(doc_id)
        rows_of: dict[int, list[str]] | None = None
        for i, unit in enumerate(doc.units):
            if unit.kind != "header":
                continue
            columns = set(keyword_tokens(doc.text[unit.start : unit.end]))
            if not columns & asked:
                continue  # the question asks nothing this table has a column for
            above = doc.text[max(0, unit.start - 400) : unit.start].rstrip()
            above = above[above.rfind("\n\n") + 1 :]  # the paragraph that introduces the table
            context = columns | set(keyword_tokens(" ".join([doc.title, *doc.section_path(unit.start), above])))
            entity = {t for t in asked - context if not t.isdigit() and t not in _RANKING}
            if not entity or any(snapshot.document_frequency(t) > 0 for t in entity):
                continue
            if rows_of is None:  # every table's rows, in one pass over the document's units
                rows_of = {}
                for u in doc.units:
                    if u.kind == "row":
                        rows_of.setdefault(u.parent, []).append(doc.text[u.start : u.end])
            rows = rows_of.get(i, [])
            if rows and not any(entity & set(keyword_tokens(r)) for r in rows):
                words = [w for w in re.findall(r"[\w-]+", question) if set(keyword_tokens(w)) & entity]
                return [" ".join(words)]
    return []


def _row_names_what_is_asked(doc: Document, doc_id: int, asked: frozenset[str], row: frozenset[str],
                             header: tuple[int, int], by_id: dict[int, tuple[int, int, int]],
                             table_words: dict[tuple[int, int, int], frozenset[str]]) -> bool:
    """Whether a table row could answer: the question's words that are not its table's (the header's, the
    sentence just before the table, the document's and section's titles) name the item asked about ("fume
    hood"), and the row holds one of them. When no such words are left, any row may answer."""
    key = (doc_id, *header)
    if key not in table_words:
        pieces = [doc.text[header[0] : header[1]], doc.title, *doc.section_path(header[0])]
        before = max((r for r in by_id.values() if r[0] == doc_id and r[2] <= header[0]), key=lambda r: r[2],
                     default=None)
        if before is not None and "\n\n\n" not in doc.text[before[2] : header[0]]:
            pieces.append(doc.text[before[1] : before[2]])
        table_words[key] = frozenset(keyword_tokens(" ".join(pieces)))
    entity = {t for t in asked - table_words[key] if not t.isdigit() and t not in _RANKING}
    return not entity or any(t in row or any(r in row for r in RELATED_FORMS.get(t, ())) for t in entity)


_GOES_ON = compile_lazily(
    r"(?:then|and|or|but|so|which|where|whereas|while|with|without|to|for|as|because|since|otherwise|unless|until|"
    r"is|are|was|were|will|would|can|could|takes?|took|gives?|gave|returns?|returned|yields?|prints?|printed|"
    r"produces?|produced|shows?|showed|runs?|ran)\b(?![.:])")
"""A sentence after code that goes on with the sentence before it, the code its subject or object: "then integer
division has to return the floor.", "took 10 seconds (and more memory)" (but "python -m pip freeze will produce..."
starts a sentence with a command's name)."""

FAQ_ANSWER_SENTENCES = 3
"""How many sentences under an FAQ's question heading take its place: the answer it heads opens its section."""


def _answers_under(snapshot: Snapshot, scored: list[ScoredSentence], asked: dict[int, float],
                   heads: dict[int, frozenset[int]]) -> list[ScoredSentence]:
    """An FAQ's question heading ("Why does -22 // 10 return -3?") is not quoted: it asks. The first sentences of
    its section answer it, so each of them scores at least what the heading scored (a little less, in order),
    until the next heading, in the heading's own document; a sentence that sends the reader elsewhere ("See the
    Account settings section below.") takes nothing. A heading with nothing under it to lift stays a candidate
    as any sentence is (one that asks answers nothing: the answer abstains rather than take another entry's).
    `asked`: each question heading's sentence id and score."""
    by_id = {s.sentence_id: s for s in scored}
    lifted: dict[int, float] = {}
    answered: set[int] = set()
    for sid, score in asked.items():
        owner = by_id[sid].doc_id
        for k in range(1, FAQ_ANSWER_SENTENCES + 1):
            below = by_id.get(sid + k)
            if below is None or below.doc_id != owner or below.start in heads.get(owner, frozenset()):
                break
            if _POINTS_ELSEWHERE.match(snapshot.document(owner).text, below.start):
                break
            lifted[below.sentence_id] = max(lifted.get(below.sentence_id, score - 0.001 * k), score - 0.001 * k)
            answered.add(sid)
    return [replace(s, score=lifted[s.sentence_id]) if s.sentence_id in lifted and lifted[s.sentence_id] > s.score
            else s for s in scored if s.sentence_id not in answered]


_POINTS_ELSEWHERE = compile_lazily(r"(?:see|refer to|read|check|consult|go to)\b", re.I)
"""A sentence that sends the reader elsewhere for the answer: "See the Account settings section below."."""


def _list_introduction(doc: Document, start: int, heads: frozenset[int]) -> str | None:
    """For a list item, the line that introduces its list: the heading above it (a changelog's `### Fixed`)
    or a line ending in a colon ("The options are:"). A list item is terse; what it is about is said there."""
    text = doc.text
    pos = text.rfind("\n", 0, start) + 1
    if not LIST_ITEM.match(text, pos):
        return None
    for _ in range(60):
        if pos <= 0:
            return None
        top = text.rfind("\n", 0, pos - 1) + 1
        line = text[top : pos - 1]
        pos = top
        if not line.strip() or LIST_ITEM.match(line) or line[:1] in (" ", "\t"):
            continue  # blank lines, the list's other items and their continuation lines
        return line.strip().lstrip("#").strip() if top in heads or line.rstrip().endswith(":") else None
    return None


def _pronoun_names_no_answer(snapshot: Snapshot, scored: list[ScoredSentence], tuning: Tuning) -> list[ScoredSentence]:
    """For a question asking for a name: a sentence whose subject is a pronoun ("It is defined in
    R_ext/Print.h.") speaks of the name the sentence before it gives ("...compiled into R is Rprintf."); when
    that one holds a name of the asked kind, the pronoun's sentence does not answer with its own name, and
    loses the bonus of holding one."""
    by_id = {s.sentence_id: s for s in scored}
    out = []
    for s in scored:
        before = by_id.get(s.sentence_id - 1)
        if s.answer is not None and s.kind == "sentence" and before is not None and before.doc_id == s.doc_id \
                and before.answer is not None and before.kind == "sentence" and _PRONOUN_SUBJECT.match(
                    snapshot.document(s.doc_id).text[s.start : s.end]):
            s = replace(s, score=s.score - tuning.type_bonus)
        out.append(s)
    return out


_PRONOUN_SUBJECT = compile_lazily(r"(?:It|This|They|These)\s+(?:is|are|was|were|can|may|must|should|will|has|have)\b")


_LABEL = compile_lazily(r"(?:(?:New|Changed|Deprecated|Added|Removed)(?: in| since)? version [\d.]+|Note|Warning|"
                        r"See also|Example|Examples|Default|Returns?)[.:]?\s*")
"""A sentence that only labels the one after it ("Changed in version 3.8." then "The dirs_exist_ok
parameter.")."""
_ASKS = compile_lazily(r"\?[\"'”’)]*\s*$")
"""A sentence that asks (an FAQ's "Q: Is travel insurance provided?")."""
_REFERS_BACK = compile_lazily(r"(?:This|That|These|Those|Such|It|They|The latter|The former|Both|Each)\b")
_SUCH_INSIDE = compile_lazily(r"(?<=\w )(?:such|these|those)\s+(?:files?|data|cases?|lines?|values?|objects?|"
                              r"formats?|situations?|systems?|programs?|packages?|functions?|commands?|options?|"
                              r"settings?|tables?|columns?|fields?|records?|entries|items?|calls?|errors?)\b")
"""A sentence speaking of what an earlier one described ("Function read.fwf provides a simple way to read such
files"): read with that one's words too, as one opening with "This" is."""
_NEGATION = re.compile(r"\b(?:not|no|never|cannot|can't|don't|doesn't|isn't|aren't|won't|without)\s+(\w+)", re.I)


_ASKS_CONDITION = compile_lazily(r"\b(?:when|if|whenever|unless|once)\b", re.I)
_QUESTION_START = re.compile(r"\s*(?:when|if)\s+(?:was|were|is|are|did|does|do|will|can|could|should|has|have|had|"
                             r"would)\b", re.I)
_STATES_CONDITION = compile_lazily(r"\W{0,3}(?:If|When|Whenever|Unless|Once|In case)\b")


def asks_under_condition(question: str) -> bool:
    """Whether a question asks what happens under a condition ("What does mode() return when two values are
    tied?", "If a deque is full, what happens...?"), not when something happened ("When was it built?"):
    documentation answers such a question with a sentence stating a condition ("If there are multiple modes
    with the same frequency, returns the first one encountered.")."""
    start = _QUESTION_START.match(question)
    return _ASKS_CONDITION.search(question, start.end() if start else 0) is not None


_NOT_CONTRASTED = frozenset({"one", "ones", "per", "way"})
"""Words of a set-aside phrase that name nothing ("instead of one group per key")."""
_CONTRAST = compile_lazily(r"\b(?:instead of|rather than)\s+([^,;?!]+)", re.I)


_WITHOUT = compile_lazily(
    r"\bwithout\s+((?:getting|raising|causing|triggering|throwing|hitting|seeing|an?|the|any)\s+)*"
    r"([^,?;!]+?)(?=\s+(?:when|if|because|while|unless|so|and|or)\b|[,?;!]|$)", re.I)
_NOT_AVOIDED = frozenset(keyword_tokens(
    "giving passing specifying setting providing supplying using writing loading applying assigning ending up "
    "having need needing"))
_AVOIDING = compile_lazily(r"\b(?:instead of|rather than|without|disables?|disabled|disabling|skips?|skipped|skipping|"
                           r"suppress(?:es|ed|ing)?|avoids?|avoided|avoiding|silently)\b", re.I)


def avoided_terms(question: str) -> frozenset[str]:
    """The words of what a question wants to do without ("...without getting a KeyError when..." ->
    `keyerror`): a sentence saying it avoids that ("instead of raising a KeyError") is the answer."""
    found: set[str] = set()
    for m in _WITHOUT.finditer(question):
        found.update(keyword_tokens(m.group(2)))
    return frozenset(found - _NOT_AVOIDED)


def _avoids(text: str, avoided: frozenset[str]) -> bool:
    """Whether a sentence says it avoids one of `avoided`: the word comes within six words after "instead
    of", "without", "not", "skips"..."""
    for m in _AVOIDING.finditer(text):
        clause = re.split(r"[,;:.!?]", text[m.end() : m.end() + 200], maxsplit=1)[0]  # "Without a mapping, a
        if avoided & set(keyword_tokens(" ".join(clause.split()[:6]))):  # KeyError is raised" avoids nothing
            return True
    return False


def contrasted_terms(question: str) -> frozenset[str]:
    """The words of what a question sets aside ("...the population standard deviation instead of the sample
    one?" -> `sample`; "What should I use instead of printf...?" -> `printf`), less those it also asks with:
    a sentence about the thing set aside is the one that resembles the question without answering it."""
    found: set[str] = set()
    rest = question
    for m in _CONTRAST.finditer(question):
        phrase = re.split(r"\b(?:to|so|when|if|because|in order)\b", m.group(1), maxsplit=1)[0]
        found.update(keyword_tokens(phrase))
        rest = rest.replace(m.group(0), " ")
    # a word inside a name the question asks about ("group" in `groupby`) is that name's subject, not set aside
    names = re.findall(r"[\w.]+", rest.lower())
    return frozenset(w for w in found - set(keyword_tokens(rest))
                     if not w.isdigit() and w not in _NOT_CONTRASTED and not any(w in n for n in names))


def _next_id(doc: Document, sid: int, end: int, known: Mapping[int, object]) -> int:
    """The id of the sentence after sentence `sid` (which ends at `end`), past a Markdown fence line between
    them: the code a sentence introduces comes after its ```` ```bash ```` line."""
    first_line = doc.text[end : end + 80].lstrip().split("\n", 1)[0].strip()
    if FENCE.fullmatch(first_line) and sid + 2 in known:
        return sid + 2
    return sid + 1


def _previous_id(doc: Document, sid: int, start: int, known: Mapping[int, object]) -> int:
    """The id of the sentence before sentence `sid` (which starts at `start`), past a Markdown fence line
    between them: the sentence introducing a code block comes before its ```` ```bash ```` line."""
    last_line = doc.text[max(0, start - 80) : start].rstrip().rsplit("\n", 1)[-1].strip()
    if FENCE.fullmatch(last_line) and sid - 2 in known:
        return sid - 2
    return sid - 1


def _code_after(doc: Document, sid: int, text: str, by_id: dict[int, tuple[int, int, int]],
                asked: frozenset[str] = frozenset(), named: frozenset[str] = frozenset()) -> tuple[int, int] | None:
    """The code block a sentence introduces ("...use something like", "...type:"), when the next sentence is
    one: a sentence that shows how, by the code that follows it. With the question's terms (`asked`) and its
    words written as one (`named`), also a session at a prompt straight after a sentence that ends in a full stop,
    when it runs what is asked (`_runs_what_is_asked`: "...we can use the classical t-test that assumes equality
    of the variances." + `> t.test(A, B, var.equal=TRUE)` for "How do I run a t-test that assumes the variances
    are equal?"): a tutorial runs what it just said, but not always what was asked ("This will be the working
    directory..." + `$ mkdir work`)."""
    after = by_id.get(_next_id(doc, sid, by_id[sid][2], by_id))
    stripped = text.rstrip()
    if after is None or after[0] != by_id[sid][0] or not stripped:
        return None
    if stripped[-1] in ".!?" and not stripped.endswith("..."):
        if not (asked and stripped[-1] == "." and (prompt := _PROMPTED.match(doc.text, after[1])) is not None
                and _runs_what_is_asked(prompt.group("command"), doc.text[after[1] : after[2]], asked, named)):
            return None
    return (after[1], after[2]) if unit_context(doc, after[1], after[2])[0] == "code" else None


_DOES_NOT_WORK = compile_lazily(r"\b(?:(?:will|would|does|do|did|can|could)\s+not|won't|wouldn't|doesn't|don't|"
                                r"didn't|cannot|can't)\s+(?:work|be\s+used|help)\b|\bis\s+not\s+(?:supported|possible)\b",
                                re.I)
_CLAUSE_BREAK = compile_lazily(r"[;:(\u2014]|\s-\s|,\s*(?:or|and|so|but|yet|although|though|however|whereas|while)\b|"
                               r"\b(?:otherwise|else|without|unless|because|since|while|whereas)\b", re.I)
"""What ends the clause of the way named: "set QA_PLUGIN_PATH=..., otherwise the plugin loader will not work" gives
the way; "retrieving the sources by e.g. wget -r or svn export from that URL will not work" and "with wget -r, as
some older guides suggest, will not work" say it fails."""
_INSTEAD = compile_lazily(r"\b(?:instead|rather|but|use|run|try)\b", re.I)
"""A way a sentence names and then says fails ("Note that retrieving the sources by e.g. wget -r ... will not
work"), with no other way after it ("...; use rsync instead")."""
_PROMPTED = compile_lazily(r"(?:>|\$|>>>) (?P<command>[\w.-]+)")
"""A line typed at a prompt: R's `> `, a shell's `$ `, Python's `>>> `, and the command it runs."""


def _runs_what_is_asked(command: str, session: str, asked: frozenset[str], named: frozenset[str]) -> bool:
    """Whether a session runs what the question asks about: its command is one the question names ("t.test" for
    "t-test") and it holds two of the question's terms (`t.test(A, B, var.equal=TRUE)` for "...t-test that
    assumes the two variances are equal?"); not `> file.copy("results.csv", ...)` for "How do I delete the
    results file?", nor `$ git clone` for "How do I install Git?"."""
    name = re.sub(r"[^a-z0-9]", "", command.lower())
    return bool(name) and name in named and len(asked & set(keyword_tokens(session))) >= 2


def written_names(question: str) -> frozenset[str]:
    """The question's words as one word each, punctuation dropped ("t-test" as "ttest")."""
    return frozenset(filter(None, (re.sub(r"[^a-z0-9]", "", w.lower()) for w in re.findall(r"[\w.+-]+", question))))


def _introduces_other(text: str, sid: int, by_id: dict[int, tuple[int, int, int]], doc: Document) -> bool:
    """A sentence that only announces what follows ("The list is:") when what follows is not code or a table
    that would be quoted with it: on its own it says nothing."""
    if not text.rstrip().endswith(":"):
        return False
    after = by_id.get(_next_id(doc, sid, by_id[sid][2], by_id))
    if after is None or after[0] != by_id[sid][0]:
        return True
    kind = unit_context(doc, after[1], after[2])[0]
    return kind not in ("code", "header", "row") and not _is_item(doc, after[1])


_THIS_KIND = compile_lazily(r"(?:This|The present)\s+(module|package|library|function|command|routine|macro|option|"
                            r"variable|directive|class|method|utility|program|tool|builtin|keyword|setting|extension)s?\b")
_HEADING_NAME = compile_lazily(r"(?:(?:Appendix\s+)?[A-Z]?\d+(?:\.\d+)*\.?\s+)?(?P<name>[A-Za-z_][\w.:-]*(?:\(\))?)"
                               r"(?:\s+(?:\u2014|--|-|:)\s+.+)?")


def _named_by_heading(doc: Document, start: int, end: int, question: str) -> tuple[int, int] | None:
    """Where the name a sentence speaks of as "This module" (or function, command...) is, when the heading of
    its section is that name ("8.6 trembling" above "This module ... allows one to draw wavy lines"; "zipfile
    \u2014 Work with ZIP archives" above "This module provides tools..."), and the question asks for a thing of
    that kind ("Which module ..."): the name, not another one the sentence holds, answers."""
    from index.text.keywords import is_compound
    from qa.reader import is_code_token

    m = _THIS_KIND.match(doc.text, start, end)
    if m is None or not re.search(rf"\b{m.group(1)}s?\b", question, re.I):
        return None
    section = doc.section_at(start)
    if section is None or section.start == start:
        return None
    heading = _HEADING_NAME.fullmatch(" ".join(section.title.split()))
    if heading is None:
        return None
    name = heading.group("name").rstrip(".:")
    at = doc.text.find(name, section.start, start)
    line_end = doc.text.find("\n", at) if at >= 0 else -1
    if at < 0 or line_end < 0 or doc.text[line_end:start].strip():
        return None  # the sentence must open its section: "This function" further on may be another's
    if re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", question, re.I):
        return None  # the name the question itself gives
    if not (is_compound(name) or is_code_token(name)):
        # a word ("trembling", "usage"): a name only among siblings its parent heading calls by the kind
        # ("8 Base modules" above "8.6 trembling"), not a heading of words ("## usage", "3.2 configuration")
        parents = [sec for sec in doc.sections if sec.start < section.start and section.end <= sec.end]
        kind = m.group(1).lower()
        if not name[:1].islower() or not any(re.search(rf"\b{kind}s\b", p.title, re.I) for p in parents):
            return None
    return at, at + len(name)


def _is_item(doc: Document, offset: int) -> bool:
    """Whether a sentence starting at `offset` is a list item ("- `timeout_s`, in favour of `timeout`.")."""
    line = doc.text.rfind("\n", 0, offset) + 1
    return LIST_ITEM.match(doc.text, line) is not None and not doc.text[line:offset].strip(" \t-*+•▪‣◦0123456789.)")


def _contradicts(sentence: str, q: str) -> bool:
    """Whether the sentence negates what the question `q` (lower case, spaces collapsed, without a negation of
    its own) asserts: "default_factory is not None" against "whose default_factory is None"."""
    for m in _NEGATION.finditer(sentence):
        before = sentence[: m.start()].split()[-1:]
        phrase = " ".join([*before, m.group(1)]).lower()
        if before and len(m.group(1)) > 2 and phrase in q:
            return True
    return False


_WHAT_IT_DOES = compile_lazily(r"\bwhat (?:does|do|did)\b.*\b(?:do|does|mean|return|compute|perform)\b", re.I)
"""A question asking what a named function or command does."""
_SIGNATURE = re.compile(rf"(?>(?>{RETURNED})?[\w.:]+\s*\([^()]{{0,60}}\)\s*)+")
"""A line that is only a call's signature (`cplxpair (z, tol)`, texinfo's alternate forms above an entry): no
sentence."""


_FOR_WHAT = compile_lazily(r"\s*for\s+(?:the|each|every|its|their)\s+((?:[A-Za-z][\w-]*\s+){0,3}?[A-Za-z][\w-]*)"
                           r"(?=\s+(?:when|that|which|while|if|in|on|of|to|is|are|and|or|during|per|so)\b|\s*[.,;:)]|\s*$)")


def _measures_another(after: str, asked: set[str]) -> bool:
    """Whether the amount just before `after` is said to be for something the question does not ask about:
    "... about 84 bytes for the reentrant scanner structure" (its head noun, "structure", is not asked). Only
    "for the ..." names a thing; "for 64-bit platforms", "for most systems", "for example" qualify."""
    m = _FOR_WHAT.match(after)
    if m is None:
        return False
    head = keyword_tokens(m.group(1).split()[-1])
    return bool(head) and not set(head) & asked


def _opens_definition(doc: Document, start: int, term: tuple[int, int]) -> bool:
    """Whether the sentence at `start` is the first of the definition of `term` (what an entry's name does, as
    its reference says it first)."""
    for i in doc.units_at(start):
        unit = doc.units[i]
        if unit.kind == "definition" and unit.parent >= 0:
            named = doc.units[unit.parent]
            return (named.start, named.end) == term and not doc.text[unit.start : start].strip(" \n()")
    return False


_CALLED = compile_lazily(r"\b(?=([A-Za-z_][\w.]*\w)\s+(?:function|command|method|macro|routine|builtin)\b)|"
                         r"\b(?:function|command|method|macro|routine|builtin)\s+(?=([A-Za-z_][\w.]*\w))", re.I)
"""A name the question calls a function or command ("the cplxpair function", "the command strtrim")."""


def _code_subjects(question: str) -> set[str]:
    """The names written as code in a question (`addCleanup()`, `statistics.mode()`), lower-cased, with their
    last part (`mode`): what it asks about when it names an API."""
    from index.text.keywords import NAME_TOKEN, STOPWORDS, compound_key

    found = set()
    for m in NAME_TOKEN.finditer(question):
        token = m.group()
        if (token.endswith("()") or "." in token.strip(".") or "_" in token.strip("_") or
                re.search(r"[a-z][A-Z]", token)) and not re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]?\.?", token):
            key = compound_key(token)  # (an abbreviation, "e.g.", names no API)
            found.add(key)
            found.add(key.rsplit(".", 1)[-1])
    for m in _CALLED.finditer(question):  # "Octave's cplxpair function": a name that is no English word
        name = m.group(1) or m.group(2)
        if name.islower() and not _is_english(name) and name not in STOPWORDS:
            found.add(name)
    return found


_VERSION_IN_QUESTION = compile_lazily(r"(?:\b(?i:version|release)\s+|(?<![\w.])v|\b[A-Z][\w-]*\s+|(?<![\w.]))"
                                      r"(\d+(?:\.\d+){1,3})(?![\w.]*\d)")


def _asked_versions(question: str) -> list[str]:
    """The versions a question names: a number with two dots ("2.3.1"), or with one after a name or the word
    version ("Python 3.12", "version 2.0"); not a decimal ("sum([0.1] * 10)")."""
    return [m.group(1) for m in _VERSION_IN_QUESTION.finditer(question)
            if m.group(1).count(".") >= 2 or m.group().strip() != m.group(1)]


def _under_version(doc: Document, offset: int, versions: list[str]) -> bool:
    """Whether the offset lies in a section whose heading names one of the question's versions (a changelog's
    `## [2.3.0] - 2023-11-20`, "What's new in 3.12"): what is listed there is what that version did."""
    for title in doc.section_path(offset):
        if any(re.search(rf"(?<![\w.]){re.escape(v)}(?![\w]|\.\d)", title) for v in versions):
            return True
    return False


def _named_in_code(question: str) -> frozenset[str]:
    """The names a question writes as code (`smtpd_tls_security_level`, `Com.combine`; not "PostgreSQL" nor a web
    address), lower case."""
    return frozenset(n for n in _code_subjects(question) if ("_" in n.strip("_") or "." in n.strip("."))
                     and not re.fullmatch(r".+\.(?:com|org|net)|v?\d+(?:\.\d+)+", n))  # nor a version ("22.04")


def _about(snapshot: Snapshot, s: ScoredSentence, names: frozenset[str]) -> bool:
    """Whether a sentence is about one of `names`: it writes it, the entry it describes defines it, or its
    document is named after it. An entry that only gives it as its own default
    (`postscreen_tls_security_level ($smtpd_tls_security_level)`) is about another name."""
    doc = snapshot.document(s.doc_id)
    if s.term is not None and _defines(doc.text[s.term[0] : s.term[1]], set(names)):
        return True
    text = doc.text[s.start : s.end] if s.term is None or s.kind != "term" else ""
    headings = [sec.title for sec in doc.sections if sec.start <= s.start < sec.end]  # "## pool.max_size"
    return any(n in " ".join([text, doc.title, doc.source, *headings]).lower() for n in names)


def _defines(term: str, subjects: set[str]) -> bool:
    """Whether a definition's name line defines one of `subjects`."""
    from qa.reader import defined_name

    span = defined_name(term)
    if span is None:
        return False
    name = term[span[0] : span[1]].strip().lower()
    return name in subjects or name.rsplit(".", 1)[-1] in subjects


ENTRY_HITS = 3
"""For a default question, the best hits whose entry (a definition) runs on into the chunk before or after
are read with that chunk too."""


def _with_rest_of_entries(snapshot: Snapshot, hits: Sequence[Hit]) -> list[Hit]:
    """`hits` with the chunks next to the best ones that hold more of the same entry: an Apache directive's
    "Default: | 200" row sits in its table, a chunk away from the description that matched the question."""
    have = {h.chunk_id for h in hits}
    extra: list[Hit] = []
    last = snapshot.manifest.chunks - 1
    for hit in hits[:ENTRY_HITS]:
        chunk = snapshot.chunk(hit.chunk_id)
        doc = snapshot.document(chunk.doc_id)
        # the entry runs on before the chunk's start or past its end
        for cid, at in ((hit.chunk_id - 1, chunk.start), (hit.chunk_id + 1, chunk.end - 1)):
            if not 0 <= cid <= last or cid in have:
                continue
            entries = [doc.units[i] for i in doc.units_at(at) if doc.units[i].kind == "definition"]
            if not entries:
                continue
            other = snapshot.chunk(cid)
            if other.doc_id == chunk.doc_id and any(u.start < other.end and u.end > other.start for u in entries):
                have.add(cid)
                extra.append(replace(hit, chunk_id=cid, score=hit.score - 1e-3))
    return [*hits, *extra]


def _entry_defaults(scored: list[ScoredSentence]) -> list[ScoredSentence]:
    """A default stated inside an entry (its "Default: | ListenBackLog 511" row, "The default is one minute.")
    ranks as high as the entry's best-matching sentence: the question describes the entry ("the queue of
    pending connections") in the words of its description, not of the line that gives its default."""
    best: dict[tuple[int, tuple[int, int]], float] = {}
    for s in scored:
        if s.term is not None:
            key = (s.doc_id, s.term)
            best[key] = max(best.get(key, s.score), s.score)
    return [replace(s, score=best[(s.doc_id, s.term)]) if s.answer is not None and s.term is not None
            and best[(s.doc_id, s.term)] > s.score else s for s in scored]


_DEFINED: OrderedDict[tuple[str, str], frozenset[str]] = OrderedDict()
DEFINED_DOCS = 256
"""Documents whose defined names are remembered (the least recently asked go first)."""


def _defined_elsewhere(doc: Document, start: int, end: int, question: str) -> tuple[int, int] | None:
    """A word of the sentence that the same document defines as a name of its own (a term such as `mapfile`
    above its description), not an English word and not one the question writes: "A synonym for mapfile."
    answers "What other builtin is a synonym for readarray?" although `mapfile` looks like any word."""
    from qa.reader import defined_name

    key = (doc.source, doc.sha256)
    names = _DEFINED.get(key)
    if names is None:
        found = set()
        for u in doc.units:
            if u.kind == "term":
                line = doc.text[u.start : u.end]
                span = defined_name(line)
                name = line[span[0] : span[1]].strip() if span else ""
                if _ONE_NAME.fullmatch(name):
                    found.add(name)
        names = _DEFINED[key] = frozenset(found)
        while len(_DEFINED) > DEFINED_DOCS:
            _DEFINED.popitem(last=False)
    else:
        try:
            _DEFINED.move_to_end(key)
        except KeyError:  # another thread's question let it go just now
            pass
    if not names:
        return None
    asked = question.lower()
    for m in _ONE_NAME.finditer(doc.text, start, end):
        word = m.group()
        if word in names and not _is_english(word.lower()) and \
                not re.search(rf"(?<![\w.]){re.escape(word.lower())}(?![\w])", asked):
            return m.span()
    return None


_FIELD_LABEL = compile_lazily(r"\s*[A-Z][\w ]{0,30}:\s*")
"""A field list's label ("Parameters:", "Return type:"): the term of no definition; nothing is named by it."""
_RECORD_LABELS = frozenset(("description", "syntax", "default", "context", "status", "module", "compatibility",
                            "override", "type", "since", "see also"))
"""First cells of a record's rows (an Apache directive's `Context | server config`): labels, no names."""
_ONE_NAME = compile_lazily(r"[A-Za-z_][\w.-]*\w")


@lru_cache(maxsize=4096)
def _is_english(word: str) -> bool:
    from qa.terms import english_words

    return word in english_words()


def typed_answer(kind: str, text: str, start: int, end: int, unit: str, term: tuple[int, int] | None,
                 question: str, terms: frozenset[str]) -> tuple[int, int] | None:
    """Document offsets of the answer of the asked kind that a sentence holds, if any. For a name in code, a
    sentence inside a definition holds the name its definition defines (`itertools.pairwise` for "Return
    successive overlapping pairs..."); a code block answers "how do I" whole."""
    from qa.reader import (
        DEFAULT,
        DOC_KINDS,
        ERROR,
        HOWTO,
        IDENT,
        answer_span,
        defined_name,
        doc_answer_span,
        is_code_token,
    )

    sentence = text[start:end]
    if kind not in DOC_KINDS:
        found = answer_span(kind, sentence, question, terms)
        return (start + found[0], start + found[1]) if found else None
    if kind in (IDENT, HOWTO) and unit == "row":
        first = sentence.split(" | ", 1)[0].rstrip()
        if first and not first.endswith(":") and first.lower() not in _RECORD_LABELS and \
                (len(first) <= 40 or is_code_token(first)):  # not "Description:" or "Context"
            if kind == HOWTO and " | " in sentence and _names_the_question_s(first, question):
                # "Windows | cmd.exe | C:\> <venv>\Scripts\activate.bat" asked how "on Windows": the rest says how
                return start + len(sentence.split(" | ", 1)[0]) + 3, end
            return start, start + len(first)  # a table of names: the row's first cell is the name
    if kind in (IDENT, HOWTO, ERROR) and (unit == "term" or term is not None) and not _FIELD_LABEL.fullmatch(
            text[term[0] : term[1]] if term is not None else sentence):
        a, b = term if term is not None else (start, end)
        name = defined_name(text[a:b])
        named = name is not None and re.search(  # the question's own name: it asks for another one
            rf"(?<![\w.]){re.escape(text[a + name[0] : a + name[1]])}(?![\w])", question, re.I) is not None
        if name is not None and not named and \
                (kind != ERROR or "error" in text[a:b].lower() or "exception" in text[a:b].lower()):
            return a + name[0], a + name[1]
    if kind == HOWTO and unit == "code":
        return start, end
    if kind == DEFAULT and unit == "row":
        first, bar, rest = sentence.partition(" | ")
        if bar and rest.strip() and re.fullmatch(r"(?i)default(?:\s+values?)?s?\s*:?", first.strip()):
            return start + len(first) + len(bar), end  # an entry's record: "Default: | ListenBackLog 511"
    found = doc_answer_span(kind, sentence, question)
    if found is None and kind == DEFAULT and term is not None:
        found = _signature_default(text[term[0] : term[1]], question)
        if found is not None:
            return term[0] + found[0], term[0] + found[1]
    return (start + found[0], start + found[1]) if found else None


def _names_the_question_s(cell: str, question: str) -> bool:
    """Whether a table cell only names what the question itself names ("Windows" for "...on Windows?")."""
    words = keyword_tokens(cell)
    return bool(words) and set(words) <= set(keyword_tokens(question))


def _signature_default(signature: str, question: str) -> tuple[int, int] | None:
    """In a signature (`NamedTemporaryFile(mode='w+b', buffering=-1)`), the default value of the parameter
    the question names ("What file mode does it open the file in?" -> `'w+b'`)."""
    asked = set(keyword_tokens(question))
    for m in re.finditer(r"(\w+)=('[^']*'|\"[^\"]*\"|[^,)\s]+)", signature):
        if set(keyword_tokens(m.group(1))) & asked:
            return m.span(2)
    return None


def _is_title_line(snapshot: Snapshot, s: ScoredSentence) -> bool:
    """The document's title standing alone on its first line ("Ronald Reagan"), not a first sentence."""
    doc = snapshot.document(s.doc_id)
    text = doc.text[s.start : s.end]
    return s.start <= doc.body_start + 1 and is_fragment(text) and " ".join(text.split()) == doc.title


_TERMINAL = re.compile(r"[.!?:;)\"'”’]$")


def is_fragment(text: str) -> bool:
    """A heading, a label or a table cell rather than a sentence: short and without closing punctuation."""
    words = len(text.split())
    return words < 3 or (words < 10 and not _TERMINAL.search(text.rstrip()))


def select_sentences(
    snapshot: Snapshot, scored: Sequence[ScoredSentence], tuning: Tuning = Tuning()
) -> list[ScoredSentence]:
    """The best sentence, plus up to two near-equals that are not paraphrases of a chosen one. A document's
    title line is never one of them (it says nothing the citation's header does not), and fragments
    (headings, labels) never join an answer as extra sentences."""
    scored = [s for s in scored if not _is_title_line(snapshot, s)]
    if not scored or scored[0].score < tuning.abstain_below:
        return []
    chosen = [scored[0]]
    follower = _continuation(snapshot, scored, scored[0], tuning.abstain_below)
    if follower is not None and tuning.max_sentences > 1:
        chosen.append(follower)
    for cand in scored[1:]:
        if len(chosen) >= tuning.max_sentences or cand.score < scored[0].score - tuning.extra_margin:
            break
        if cand in chosen or cand.kind in ("term", "header") or (
                cand.kind == "sentence" and is_fragment(snapshot.document(cand.doc_id).text[cand.start : cand.end])):
            continue
        if cand.kind == "row":  # rows of one table look alike to the model, but each states its own fact
            chosen.append(cand)
            continue
        vectors = snapshot.sentence_vectors_of([cand.sentence_id, *[c.sentence_id for c in chosen]])
        if all(float(vectors[0] @ other) < REDUNDANT_ABOVE for other in vectors[1:]):
            chosen.append(cand)
    return chosen


_ANAPHOR = re.compile(r"(?:The|This|That|These|Those|It|Its|They|Their|He|His|She|Her|Such)\b")


def _continuation(
    snapshot: Snapshot, scored: Sequence[ScoredSentence], best: ScoredSentence, floor: float
) -> ScoredSentence | None:
    """The sentence right after the best one, when it opens by referring back to it ("The group
    brings together...") and is itself relevant (scores above the floor, or holds a word of the
    question): the two read as one answer."""
    for cand in scored:
        if cand.sentence_id == best.sentence_id + 1 and cand.doc_id == best.doc_id:
            text = snapshot.document(cand.doc_id).text[cand.start : cand.end]
            shares_keyword = cand.overlap > 0  # it holds a word of the question
            if _ANAPHOR.match(text) and (cand.score >= floor or shares_keyword):
                return cand
            return None
    return None


def verify_citation(document_text: str, citation: Citation) -> None:
    """Raise CitationError unless the quote is exactly the document text at its offsets (IndexStateError when
    the offsets are not even inside the text: the index is damaged)."""
    if not (0 <= citation.start < citation.end <= len(document_text)):
        from index.errors import IndexStateError

        raise IndexStateError(f"The index is damaged: citation [{citation.n}] points past the text of "
                              f"{citation.source}. Run `qa index --rebuild` to build it again.")
    if document_text[citation.start : citation.end] != citation.quote or (
            citation.context is not None and document_text[citation.context[0] : citation.context[1]]
            != citation.context_text):
        raise CitationError(
            f"Internal error: citation [{citation.n}] does not match {citation.source} at "
            f"{citation.start}:{citation.end}. Please report this bug; `qa index --rebuild` may help."
        )


def passages_of(snapshot: Snapshot, hits: Sequence[Hit]) -> list[Passage]:
    """Retrieved chunks as Passages, ranked as given."""
    passages = []
    for rank, hit in enumerate(hits, start=1):
        chunk = snapshot.chunk(hit.chunk_id)
        doc = snapshot.document(chunk.doc_id)
        page = doc.page_at(chunk.start)
        passages.append(Passage(rank, doc.source, chunk.start, chunk.end, doc.text[chunk.start : chunk.end],
                                hit.score, doc.title, line_of(doc.text, chunk.start),
                                page.number if page else None, page.label if page else None, doc.format,
                                place_of(doc, chunk.start)))
    return passages


def place_of(doc: Document, offset: int) -> Place:
    """Where an offset is in the terms of its document's format (qa.types.Place)."""
    page = doc.page_at(offset)
    anchor, paragraph, row = (doc.anchor_at(offset, kind) for kind in ("id", "paragraph", "row"))
    if page is not None and row is not None and row.start < page.start:
        row = None  # a row of the sheet before
    return Place(anchor.name if anchor else None, int(paragraph.name) if paragraph else None,
                 int(row.name) if row and row.name.isdigit() else None, tuple(doc.section_path(offset)),
                 bool(page and page.ocr))


@dataclass(frozen=True)
class Quote:
    """One span to cite, before it becomes a Citation."""

    doc_id: int
    start: int
    end: int
    score: float
    kind: str = "sentence"
    highlight: tuple[int, int] | None = None
    header: tuple[int, int] | None = None


_ABOUT_THE_EXAMPLE = compile_lazily(r"\b(?:the|these|those|both)\s+(?:(?:first|second|third|last|above|previous|"
                                    r"preceding|two|three)\s+)?examples?\b(?!\s+(?:below|that follows?))", re.I)
"""A sentence about the example before it ("In the ASCII encoding, the first example deletes all uppercase
letters, the second converts lowercase to uppercase"): quoted after that example's code."""


_RESULT_LINE = compile_lazily(r"(?:⇒|⊣|=>|→|-\|)\s*\S")
"""A line that gives what the code before it evaluates to or prints, as Texinfo manuals write it (Octave's, m4's,
Emacs Lisp's): "⇒ 16777216", "⊣ hello"."""
RESULT_CHARS = 200
"""Longest result line quoted with its code."""


def _result_of(doc: Document, code: ScoredSentence, neighbours: dict[int, ScoredSentence]) -> list[Quote]:
    """The line after a code example that gives its result ("x = single (1); flintmax (x)" then "⇒ 16777216"),
    as a quote of its own: what the example shows is what it gives."""
    after = neighbours.get(_next_id(doc, code.sentence_id, code.end, neighbours))
    if after is None or after.doc_id != code.doc_id or after.end - after.start > RESULT_CHARS or \
            not _RESULT_LINE.match(doc.text, after.start) or "\n\n\n" in doc.text[code.end : after.start]:
        return []
    return [Quote(after.doc_id, after.start, after.end, after.score, after.kind, after.answer)]


def quote_group(snapshot: Snapshot, s: ScoredSentence, neighbours: dict[int, ScoredSentence],
                typed: bool = False, shows_answer: bool = True) -> list[Quote]:
    """What quoting a sentence takes, so that it can be understood on its own: a description with the name
    its definition defines above it; a code block with the sentence that introduces it; a sentence that
    introduces code ("...as follows:", "...can be removed by") with that code; a sentence that comments on
    the code before it ("which repeats each element...") with that code; a definition's name with the first
    sentence of its description; a table row with its header row (as the row's context) and after the sentence
    that introduces its table, when retrieval read it (`_table_introduction`). With `typed` (the
    question asks for a name, a value, code), a sentence that does not hold one is followed by the next
    sentence of its paragraph when that one does ("...trailing fields omitted." "To read such files set
    fill = TRUE."). The highlight goes to whichever quote holds it. `neighbours`: the scored sentences by
    id, to find the one before or after."""
    doc = snapshot.document(s.doc_id)
    main = Quote(s.doc_id, s.start, s.end, s.score, s.kind, None, s.header)
    group = [main]
    results: list[Quote] = []
    if s.kind == "term":
        after = neighbours.get(s.sentence_id + 1)
        if after is not None and after.doc_id == s.doc_id and after.term == (s.start, s.end):
            group.append(Quote(after.doc_id, after.start, after.end, after.score, after.kind))
    elif s.term is not None:
        group.insert(0, Quote(s.doc_id, s.term[0], s.term[1], s.score, "term"))
    if s.kind == "code":
        before = neighbours.get(_previous_id(doc, s.sentence_id, s.start, neighbours))
        if before is not None and before.doc_id == s.doc_id and before.kind == "sentence" and (
                doc.text[before.start : before.end].rstrip().endswith(":") or before.answer == (s.start, s.end)) \
                and before.term == s.term:
            group.insert(len(group) - 1, Quote(before.doc_id, before.start, before.end, before.score))
        results = _result_of(doc, s, neighbours)
        group += results
    elif s.kind == "sentence":
        after = neighbours.get(_next_id(doc, s.sentence_id, s.end, neighbours))
        before = neighbours.get(_previous_id(doc, s.sentence_id, s.start, neighbours))  # (past a closing fence)
        text = doc.text[s.start : s.end].rstrip()
        if (_LABEL.fullmatch(text) or _ASKS.search(text)) and after is not None and after.doc_id == s.doc_id and \
                after.kind == "sentence" and "\n\n" not in doc.text[s.end : after.start]:
            group.append(Quote(after.doc_id, after.start, after.end, after.score, after.kind, after.answer))
            more = neighbours.get(after.sentence_id + 1)
            if is_fragment(doc.text[after.start : after.end]) and more is not None and more.doc_id == s.doc_id \
                    and more.kind == "sentence" and "\n\n" not in doc.text[after.end : more.start]:
                group.append(Quote(more.doc_id, more.start, more.end, more.score, more.kind, more.answer))  # "A: Yes."
            after = None
        same = after is not None and after.doc_id == s.doc_id and after.term == s.term
        if same and after is not None and after.kind == "code" and (
                text.endswith(":") or text[-1] not in ".!?)" or s.answer == (after.start, after.end)):
            group.append(Quote(after.doc_id, after.start, after.end, after.score, "code"))
            results = _result_of(doc, after, neighbours)
            group += results
            going_on = neighbours.get(_next_id(doc, after.sentence_id, after.end, neighbours))
            if going_on is not None and going_on.doc_id == s.doc_id and going_on.kind == "sentence" and \
                    going_on.term == s.term and _GOES_ON.match(doc.text, going_on.start) and \
                    not doc.text[going_on.start : going_on.end].rstrip().endswith(":"):
                # "If you want that, and also want:" + code + "then integer division has to return the floor.":
                # the sentence goes on after its code
                group.append(Quote(going_on.doc_id, going_on.start, going_on.end, going_on.score, going_on.kind))
        elif same and after is not None and text.endswith(":") and after.kind == "sentence" and \
                _is_item(doc, after.start):
            # "These settings are deprecated:" is said by the list under it: its first items are quoted with it
            group += _list_items(doc, s, neighbours)
        elif typed and s.answer is None and same and after is not None and after.kind == "sentence" and \
                "\n\n" not in doc.text[s.end : after.start] and \
                doc.text[after.start : after.end].rstrip().endswith(":") and \
                _LIST_OF_WAYS.search(doc.text, after.start, after.end) and \
                (items := _list_items(doc, after, neighbours)):
            # "...R tasks appear to run very slowly when not producing output in the console. Here are ways to
            # avoid it:" asked how: the list the paragraph goes on into says how
            group += [Quote(after.doc_id, after.start, after.end, after.score, after.kind), *items]
        elif before is not None and before.doc_id == s.doc_id and before.kind == "code" and \
                (re.match(r"(?:[•◦▪‣*-]\s*|\(?\d{1,2}[.)]\s+)?(?:which|where|that|this|here)\b", text, re.I)
                 or _ABOUT_THE_EXAMPLE.search(text)):  # (a callout's note under its code: "• This removes ...")
            group.insert(len(group) - 1, Quote(before.doc_id, before.start, before.end, before.score, "code"))
        elif typed and s.answer is None and same and after is not None and after.kind in ("sentence", "code") \
                and (after.answer is not None or after.kind == "code" or not shows_answer) \
                and "\n\n" not in doc.text[s.end : after.start]:
            # (a "why" question, answered by no sentence of its own: the one after it in the paragraph most often
            # gives the reason: "...have grown bolder in dealing with Moscow." "Russia now depends on...")
            group.append(Quote(after.doc_id, after.start, after.end, after.score, after.kind, after.answer))
        elif typed and not shows_answer and s.answer is None and before is not None and \
                before.doc_id == s.doc_id and before.kind == "sentence" and before.term == s.term and \
                "\n\n" not in doc.text[before.end : s.start]:
            # the same for the last sentence of a paragraph: the one before gives the reason ("When he began
            # implementing Python, Guido van Rossum was also reading...Monty Python's..." "...so he decided to
            # call the language Python.")
            group.insert(0, Quote(before.doc_id, before.start, before.end, before.score, before.kind))
        elif after is not None and after.doc_id == s.doc_id and after.kind == "header":
            # a sentence introducing a table ("...are given in the following table."): its best row answers
            head = (after.start, after.end)
            # (a row that does not name the item asked about carries OTHER_ROW's penalty: it is left out)
            rows = [r for r in neighbours.values() if r.doc_id == s.doc_id and r.kind == "row" and r.header == head
                    and r.score > s.score - OTHER_ROW / 2]
            if rows:
                best = max(rows, key=lambda r: (r.score, -r.sentence_id))
                group.append(Quote(best.doc_id, best.start, best.end, best.score, "row", best.answer, best.header))
    elif s.kind == "row":
        intro = _table_introduction(doc, s, neighbours)
        if intro is not None:
            group.insert(0, Quote(intro.doc_id, intro.start, intro.end, intro.score, intro.kind))
    if s.answer is not None and shows_answer and not any(r.highlight for r in results):
        # (a value the code's result line gives is the answer, not a number the code passes: "single (1)")
        for i, q in enumerate(group):
            if q.start <= s.answer[0] and s.answer[1] <= q.end:
                group[i] = Quote(q.doc_id, q.start, q.end, q.score, q.kind, s.answer, q.header)
                break
    return group


_INTRODUCES_TABLE = compile_lazily(r"\b(?:table|following|below|listed|these)\b|:\s*$", re.I)
"""A sentence that introduces the table after it ("The following table describes the possible values returned
by typeof and what they are.")."""


_LIST_OF_WAYS = compile_lazily(r"\b(?:ways?|steps?|how|options?|solutions?|fix(?:es)?|workarounds?|remed(?:y|ies)|"
                               r"instructions?|procedure|things?\s+to|what\s+to|to\s+(?:avoid|fix|solve|resolve|prevent|"
                               r"check|try|do|enable|disable|turn|get|make|use|set)|do\s+(?:one|any|all|the\s+following)|"
                               r"follow(?:ing)?\s+(?:steps|commands))\b", re.I)
"""A line that introduces a list of ways ("Here are ways to avoid it:", "Here are things to check:"), not a list of
facts ("The supported platforms are:", "Here are the worst offenders we measured:")."""


def _list_items(doc: Document, intro: ScoredSentence, neighbours: dict[int, ScoredSentence]) -> list[Quote]:
    """The first items (LIST_ITEMS) of the list under a line that introduces it, as quotes; none when what
    follows is no list."""
    items: list[Quote] = []
    sid, counted = intro.sentence_id + 1, 0
    while counted < LIST_ITEMS:
        if items and items[-1].kind == "sentence":
            sid = _next_id(doc, sid - 1, items[-1].end, neighbours)  # past the fence of an item's code
        item = neighbours.get(sid)
        if item is None or item.doc_id != intro.doc_id:
            break
        if item.kind == "code" and items and items[-1].kind == "sentence" and \
                doc.text[items[-1].start : items[-1].end].rstrip()[-1:] not in ".!?)":
            items.append(Quote(item.doc_id, item.start, item.end, item.score, "code"))  # "• In a Terminal, run" + code
        elif item.kind == "sentence" and _is_item(doc, item.start):
            items.append(Quote(item.doc_id, item.start, item.end, item.score, item.kind, item.answer))
            counted += 1
        else:
            break
        sid += 1
    return items


def _table_introduction(doc: Document, row: ScoredSentence,
                        neighbours: dict[int, ScoredSentence]) -> ScoredSentence | None:
    """The sentence right before a row's table that introduces it, when retrieval read it: a row alone does not
    say what its table is about (which function returns these values, which option takes them)."""
    sid, first = row.sentence_id - 1, row
    while (before := neighbours.get(sid)) is not None and before.doc_id == row.doc_id and \
            before.kind in ("row", "header") and row.sentence_id - sid < 100:
        sid, first = sid - 1, before
    if before is None or before.doc_id != row.doc_id or before.kind != "sentence" or \
            "\n\n\n" in doc.text[before.end : first.start]:
        return None
    return before if _INTRODUCES_TABLE.search(doc.text[before.start : before.end]) else None


def _lead_with_the_asked_type(
    snapshot: Snapshot, scored: list[ScoredSentence], chosen: list[ScoredSentence], kind: str, tuning: Tuning,
    strict: bool = False,
) -> tuple[list[ScoredSentence], tuple[int, int, int, float, tuple[int, int]] | None]:
    """The chosen sentences led by one holding an answer of the asked type, where one should lead (or none at
    all when no sentence holds the date or number asked, or, `strict`, the named thing's own place), and a
    date question's dated header, if it answers."""
    from qa.reader import DATE, DOC_KINDS, LEADS, PERSON, ROLE, STRICT, is_relative_date

    # A date or number counts in a sentence that shares a word of what is asked besides the topic, or in
    # the document the question names: "1991" answers "When did Kazakhstan become independent?", not
    # "When was Blinken born?"; "a 15th-century citadel" answers "When was Machu Picchu built?".
    typed = [s for s in scored if s.answer is not None and (s.score >= tuning.abstain_below or kind == ROLE)
             and (kind not in STRICT or s.overlap > 0 or s.named > 0)]
    header = _dated_header(snapshot, chosen[0], typed) if kind == DATE else None
    margin = tuning.extra_margin * (2 if kind in DOC_KINDS else 1)
    if header is None and not typed and (kind in STRICT or strict):
        return [], None  # no date or number anywhere: a near-topic question the documents do not answer
    if header is None and typed and chosen[0].answer is None:
        # a sentence holding an answer of the asked type leads: always for a date or a number (one without
        # cannot answer), for a name when it is nearly as good a match; for "who", a sentence about someone
        # it only calls "he" or "his" ("It is his first visit...") cannot answer, so the best one naming
        # someone and sharing a word of the question leads (not for "...since Russia invaded it")
        lead: ScoredSentence | None = None
        if kind in STRICT or strict or kind in LEADS or typed[0].score >= chosen[0].score - margin:
            lead = typed[0]
        elif kind == PERSON and _PERSONAL_PRONOUN.search(snapshot.document(chosen[0].doc_id).text[
                chosen[0].start : chosen[0].end]):
            lead = next((s for s in typed if s.overlap > 0 or s.named > 0), None)
        if lead is not None:
            chosen = [lead, *[c for c in chosen if c.sentence_id != lead.sentence_id]][: tuning.max_sentences]
    if kind == DATE and header is None and chosen and chosen[0].answer is not None:
        doc = snapshot.document(chosen[0].doc_id)
        if is_relative_date(doc.text[chosen[0].answer[0] : chosen[0].answer[1]]):
            # "on Tuesday" is placed by the text's own date ("date 2023-02-28 Astana:"), cited before it
            header = _date_line(snapshot, chosen[0])
    return chosen, header


def _quotes_of(
    snapshot: Snapshot, scored: list[ScoredSentence], chosen: list[ScoredSentence],
    header: tuple[int, int, int, float, tuple[int, int]] | None, kind: str | None, tuning: Tuning,
) -> list[Quote]:
    """The quotes of the chosen sentences, each with what it needs to be understood (`quote_group`), after
    the dated header that answers a date question; no two overlap."""
    from qa.reader import DOC_KINDS, NO_SHORT

    quotes: list[Quote] = []
    if header is not None:
        doc_id, start, end, score, highlight = header
        quotes.append(Quote(doc_id, start, end, score, "sentence", highlight))
    neighbours = {s.sentence_id: s for s in scored}
    for s in chosen[: tuning.max_sentences]:
        for q in quote_group(snapshot, s, neighbours, kind in DOC_KINDS if kind else False, kind not in NO_SHORT):
            if not any(q.doc_id == o.doc_id and q.start < o.end and o.start < q.end for o in quotes):
                quotes.append(q)
    return quotes[: tuning.max_sentences + 2]


def _either(names: Sequence[str]) -> str:
    """"a", "a or b", "a, b or c"."""
    return ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + (names[-1] if names else "")


_ABBREVIATION = compile_lazily(r"\b(?:e\.g|i\.e|cf|vs|Dr|Mr|Mrs|Ms|St|No|Fig|approx)\.|\b(?:[A-Za-z]\.){2,}")
_ASKS_START = compile_lazily(r"(?:who|whom|whose|what|which|when|where|why|how|is|are|was|were|do|does|did|can|could|"
                             r"should|will|would|has|have|had|may|must|shall)\b", re.I)


def _asking_part(question: str) -> str | None:
    """The sentence of a question that asks, when the ones before it only say something ("My Apache server
    sits behind a load balancer. Which directive ...?"); None for a question that is all asking, or whose
    sentences can't be told apart (an abbreviation's full stop ends no sentence: "e.g. Confocal", "U.S.")."""
    flat = " ".join(question.split())
    masked = _ABBREVIATION.sub(lambda m: "_" * len(m.group()), flat)
    cuts = [m.end() for m in re.finditer(r"[.!](?=\s+[A-Z])", masked)]
    if not cuts or not flat.endswith("?"):
        return None
    scene, asking = flat[: cuts[-1]], flat[cuts[-1] :].strip()
    if "?" in scene or any(_ASKS_START.match(p.strip()) for p in re.split(r"[.!]\s+", scene) if p.strip()):
        return None  # a scene that asks too ("How do I do it without the GUI. From a script?")
    return asking


def read_ahead(question: str, tuning: Tuning = Tuning()) -> None:
    """Read what `compose` reads of the question alone (its key terms, the kind of answer it asks for), each
    remembered, before its vector is made: the first question of a one-shot `qa ask` does it while the ONNX
    session still opens in its thread (index/embedding/onnx.py), not after. The same for what every answer
    imports."""
    import qa.tables  # noqa: F401 - ~6 ms to import, for every answer (`_table_extreme`)

    if tuning.reader:
        from qa.reader import expected_type
        from qa.terms import key_terms

        key_terms(question)
        expected_type(question)


def compose(
    snapshot: Snapshot,
    hits: Sequence[Hit],
    qvec: np.ndarray,
    question: str,
    retrieval_question: str | None = None,
    warnings: Sequence[str] = (),
    tuning: Tuning = Tuning(),
    relevance_floor: float = 0.0,
    current_text: Callable[[str], str | None] | None = None,
) -> Answer:
    """Turn retrieved chunks into a verified, cited Answer (or an abstention). `relevance_floor`: the
    embedder's (index.embedding.Embedder). `current_text`: a text file's text as it is on disk now (None
    if gone): a sentence a file no longer holds where the index says is never quoted (a file rewritten since
    it was indexed, even with its mtime set back); the next best sentence takes its place, with a warning.

    When the question names something the documents never mention (qa/terms.py), corpus-qa abstains and
    says what. When the question asks for a type of answer (qa/reader.py), the answer leads with a
    sentence that holds one, highlighted; a date question may be answered from the document's own dated
    header; and when no retrieved sentence holds an answer of the asked type, or the question names
    something no retrieved passage mentions, corpus-qa abstains. Each chosen sentence is quoted with what
    it needs to be understood (`quote_group`)."""
    from qa.reader import DEFAULT, PLACE, ROLE, expected_type
    from qa.terms import key_terms, never_mentioned

    passages = passages_of(snapshot, hits)
    asked = retrieval_question or question
    measured = question  # the words an answer is measured against (less a scene the documents never mention)
    unmentioned_scene: list[str] = []  # names only the scene-setting sentence holds: said if nothing answers

    def never_mentioned_answer(missing: Sequence[str], warned: Sequence[str]) -> Answer:
        text = f"Not found in the corpus: the documents never mention {_either(missing)}."
        return Answer(question, text, True, (), tuple(passages), tuple(warned), confidence=0.95,
                      unmentioned=tuple(missing))

    if tuning.reader:
        def unknown(text: str) -> list[str]:
            return never_mentioned(text, snapshot.name_frequency, mentioned,
                                   lambda name, number: _heads_a_section(snapshot, hits, name, number))

        def mentioned(term: str) -> int:  # "Dali" where the documents write "Dalí", "Sao Paulo" for "São Paulo",
            found = snapshot.document_frequency(term)  # and "São" where they write "Sao"
            if found or not term.isascii():
                return found or max((snapshot.document_frequency(t) for t in keyword_tokens(plain_form(term))),
                                    default=0)
            return snapshot.accented_frequency(term)

        missing = unknown(question)
        asking = _asking_part(question) if missing else None
        if asking is not None and key_terms(asking) and not unknown(asking):
            # "I use clangd and need a compile_commands.json ... What do I set to get CMake to write that file?":
            # what only sets the scene need not be in the documents; the answer says it is not
            unmentioned_scene, measured, missing = missing, asking, []
        missing = missing or _not_in_the_table(snapshot, hits[: tuning.answer_passages], measured)
        if missing:
            return never_mentioned_answer(missing, warnings)
        if unmentioned_scene:
            warnings = (*warnings, f"The documents never mention {_either(unmentioned_scene)}; the answer is based "
                                   "on the rest of the question.")
    kind = expected_type(question) if tuning.reader else None
    scored = score_sentences(snapshot, hits[: tuning.answer_passages], qvec, asked, tuning, kind)
    if current_text is not None:
        scored, changed = still_on_disk(snapshot, scored, current_text)
        if changed:
            warnings = (*warnings, f"{', '.join(changed)} changed since it was indexed: quotes from it were left "
                                   "out. Run `qa index`.")
    chosen = select_sentences(snapshot, scored, tuning)
    if not chosen and kind == ROLE:  # a sentence giving the asked person a role answers, however weak a match
        chosen = [s for s in scored if s.answer is not None][:1]
    header = None
    if chosen and kind is not None:
        # "What is the capital of Australia?": a place of the named thing's own, or none (not Western Australia's)
        owned = kind == PLACE and _place_asked(asked) is not None and any(s.named >= OWNER_NAMED for s in scored)
        chosen, header = _lead_with_the_asked_type(snapshot, scored, chosen, kind, tuning, owned)
    if scored and tuning.reader and (extreme := _table_extreme(snapshot, scored, question)) is not None:
        chosen, header = [extreme], None  # "Which instrument is the most expensive?": the row with the top price
    if chosen and chosen[0].kind == "row" and chosen[0].answer is None and chosen[0].header is not None and \
            not any(c.header == chosen[0].header and c.doc_id == chosen[0].doc_id for c in chosen[1:]) and \
            (cell := _asked_cell(snapshot, chosen[0], question)) is not None:
        # "Which room is the autoclave in?": its Room cell (not when two rows of the table are quoted: "the
        # purchase price of the plate reader and the autoclave" has two answers)
        chosen = [replace(chosen[0], answer=cell), *chosen[1:]]
    if chosen and kind == DEFAULT and (named := _named_in_code(question)) and \
            not any(_about(snapshot, s, named) for s in chosen):
        chosen = []  # the default of `smtpd_tls_security_level` is not that of the entry whose default it is
    if chosen and tuning.reader and not _names_are_present(question, passages[: tuning.answer_passages], snapshot):
        chosen = []
    quotes = _quotes_of(snapshot, scored, chosen, header, kind, tuning)
    lead = chosen[0] if chosen else (scored[0] if scored else None)
    signals = measure(snapshot, measured, lead, scored, hits, kind, quotes)
    if quotes and signals["dense"] < relevance_floor and signals["coverage"] < tuning.off_topic_coverage \
            and not _pinned(snapshot, measured, quotes[0]) and not (kind == ROLE and lead is not None
                                                                    and lead.answer is not None):
        quotes = []  # nothing in the corpus is about what is asked ("What is the capital of Australia?" over manuals)
    citations = [citation_of(snapshot, n, q) for n, q in enumerate(quotes, start=1)]
    if not citations:
        if unmentioned_scene:  # nothing answers the rest either: the refusal says what the documents never mention
            return never_mentioned_answer(unmentioned_scene, [w for w in warnings if "never mention" not in w])
        ranked = _ranked_instead(snapshot, hits, measured, kind, current_text)
        if ranked is not None:  # no figure, but where the named thing stands by the measure, cited
            return Answer(question, f"{NO_FIGURE} {ranked.quote} [1]", True, (ranked,), tuple(passages),
                          tuple(warnings), confidence=confidence(signals, True), signals=tuple(signals.items()))
        return Answer(question, NOT_FOUND, True, (), tuple(passages), tuple(warnings),
                      confidence=confidence(signals, True), signals=tuple(signals.items()))
    text = render_text(citations)
    first = next((c for c in citations if c.highlight), None)
    short = None
    if first is not None and first.highlight:
        short = first.quote[first.highlight[0] - first.start : first.highlight[1] - first.start]
        if "\n" in short or len(short) > SHORT_MAX:  # a code block answers whole: no short answer to pull out
            short = None
            citations = [replace(c, highlight=None) if c is first else c for c in citations]
    return Answer(question, text, False, tuple(citations), tuple(passages), tuple(warnings), short,
                  confidence=confidence(signals, False), signals=tuple(signals.items()))


def _ranked_instead(snapshot: Snapshot, hits: Sequence[Hit], question: str, kind: str | None,
                    current_text: Callable[[str], str | None] | None) -> Citation | None:
    """For a number question measuring what a text may rank instead (qa/ranking.py: an area, a population, a
    height, a length) of a thing it names strongly ("What is the area of Canada?"), the sentence of that
    thing's opening that ranks it by the measure ("... the second-largest country by total area"), as
    citation 1, when the file still holds it; None otherwise."""
    from qa.reader import NUMBER, measure

    measured = measure(question) if kind == NUMBER else None
    if not measured:
        return None
    from qa.ranking import RANKED_MEASURES, rank_sentence  # its patterns: ~8 ms of a cold question that needs none

    wanted = RANKED_MEASURES.get(measured)
    named = [h for h in hits if h.named >= OWNER_NAMED]
    if wanted is None or not named:
        return None
    doc_id = snapshot.chunk(named[0].chunk_id).doc_id
    if not _asks_the_measure_of(question, measured, snapshot.document(doc_id).title):
        return None  # "the population density of India", "the population of the capital of India"
    at = rank_sentence(snapshot, doc_id, wanted)
    if at is None:
        return None
    doc = snapshot.document(doc_id)
    from index.types import TEXT_FORMATS

    if current_text is not None and doc.format in TEXT_FORMATS:
        now = current_text(doc.source)
        if now is None or now[at[0] : at[1]] != doc.text[at[0] : at[1]]:
            return None
    return citation_of(snapshot, 1, Quote(doc_id, at[0], at[1], named[0].score))


def _asked_cell(snapshot: Snapshot, row: ScoredSentence, question: str) -> tuple[int, int] | None:
    """The cell of a quoted table row that the question names by its column's header (qa/tables.py)."""
    from qa.tables import asked_cell

    assert row.header is not None
    return asked_cell(snapshot.document(row.doc_id), (row.start, row.end), row.header, question)


def _table_extreme(snapshot: Snapshot, scored: Sequence[ScoredSentence], question: str) -> ScoredSentence | None:
    """For a question asking which row of a table has the extreme value ("Which instrument is the most
    expensive?"), the retrieved row that has it (qa/tables.py), its first cell the short answer: from the
    best-scored table whose header names what the superlative measures. None for any other question, or when
    no retrieved table settles it."""
    from qa.tables import asks_extreme, extreme_row

    if asks_extreme(question) is None:
        return None
    tried: set[tuple[int, int]] = set()
    for s in scored:
        if s.kind != "row":
            continue
        doc = snapshot.document(s.doc_id)
        parent = next((doc.units[i].parent for i in doc.units_at(s.start) if doc.units[i].kind == "row"), -1)
        if parent < 0 or (s.doc_id, parent) in tried:
            continue
        tried.add((s.doc_id, parent))
        found = extreme_row(doc, parent, question)
        if found is None:
            continue
        row = next((r for r in scored if r.doc_id == s.doc_id and r.start == found.start), None)
        return replace(row, answer=found.answer) if row is not None else None
    return None


def _fold(text: str) -> str:
    """A text without its accents ("São Paulo" -> "Sao Paulo"), letters otherwise as written."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _asks_the_measure_of(question: str, measured: str, title: str) -> bool:
    """Whether a question asks the measure of the titled thing itself, the measure's word right before it
    ("the population of India", "the land mass of Canada", "India's population?", "How many people live in
    India?"), not something measured by it or in it ("the population density of India", "the population of
    the capital of India", "What percentage of India's population is urban?")."""
    from qa.reader import _MEASURE_WORDS

    name = re.escape(_fold(re.sub(r"\s*\([^)]*\)$", "", title.strip())))
    question = _fold(question)  # "Sao Paulo" asks of "São Paulo"
    said = _MEASURE_WORDS.get(measured, re.escape(measured))
    return re.search(rf"(?:{said})s?\s+(?:in\s+[\w\s]{{1,24}}?\s+)?(?:of|in)\s+(?:the\s+)?{name}(?![\w-])|"
                     rf"(?<![\w-]){name}['’]s\s+"
                     rf"(?:total\s+|land\s+)?(?:{said})s?\s*\??\s*$|\blive[sd]?\s+in\s+(?:the\s+)?{name}(?![\w-])",
                     question, re.I) is not None


def _heads_a_section(snapshot: Snapshot, hits: Sequence[Hit], name: str, number: str) -> bool:
    """Whether a version number is in a heading of a retrieved passage's document that is about `name` (names
    it in its title or its first three lines: "All notable changes to Tidewater...")."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(number)}(?![\w]|\.\d)")
    about = re.compile(rf"\b{re.escape(name)}\b", re.I)
    for doc_id in {snapshot.chunk(h.chunk_id).doc_id for h in hits}:
        doc = snapshot.document(doc_id)
        opening = [line for line in doc.text[doc.body_start : doc.body_start + 600].split("\n") if line.strip()][:3]
        if about.search(doc.title) or about.search(" ".join(opening)):
            if any(pattern.search(s.title) for s in doc.sections):
                return True
    return False


def _pinned(snapshot: Snapshot, question: str, quote: Quote) -> bool:
    """Whether a version or a name written as code that the question asks about ("2.3.1", `Client.fetch`) is in
    the quote or in the headings above it: then the quote is about what is asked, however little the model
    makes of the words (it reads "What was fixed in 2.3.1?" as close to nothing)."""
    from qa.terms import CODE, VERSION, key_terms

    pins = [t.text.lower().removesuffix("()") for t in key_terms(question) if t.kind in (VERSION, CODE)]
    if not pins:
        return False
    doc = snapshot.document(quote.doc_id)
    seen = " ".join([doc.text[quote.start : quote.end], *doc.section_path(quote.start)]).lower()
    return any(re.search(rf"(?<![\w.]){re.escape(p)}(?![\w]|\.\w)", seen) for p in pins)


FEATURES = ("score", "cosine", "margin", "dense", "typed", "coverage")
"""The signals `confidence` weighs (see `measure`)."""
CONFIDENCE_WEIGHTS = (0.762, 0.222, 0.699, -0.219, -0.272, 0.512, 0.301)
"""Logistic weights of FEATURES, then the bias: fitted by `python bench/answers.py --fit` on the answered
questions of every documentation set (see bench/README.md, "Confidence")."""


def confidence(signals: dict[str, float], abstained: bool) -> float:
    """How likely what corpus-qa says is right: for an answer, that it answers; for an abstention, that the
    documents indeed do not (1 minus the chance its best candidate would have answered)."""
    import math

    weights = dict(zip(FEATURES, CONFIDENCE_WEIGHTS, strict=False))
    z = CONFIDENCE_WEIGHTS[-1] + sum(w * signals.get(f, 0.0) for f, w in weights.items())
    p = 1.0 / (1.0 + math.exp(-z))
    return 1.0 - p if abstained else p


def measure(snapshot: Snapshot, question: str, lead: ScoredSentence | None, scored: Sequence[ScoredSentence],
            hits: Sequence[Hit], kind: str | None, quotes: Sequence[Quote]) -> dict[str, float]:
    """What the answer's confidence rests on: the lead sentence's score and cosine, how far it leads the
    next sentence, the best passage's cosine, whether it holds an answer of the asked kind, and `coverage`:
    the IDF-weighted share of the question's words that the quoted text, its context (a definition's name,
    a row's header), the lead sentence's paragraph and its document's and section's titles hold. A word the
    corpus never uses counts with the weight of the rarest."""
    import math

    if lead is None:
        return {"score": 0.0, "cosine": 0.0, "margin": 0.0, "dense": 0.0, "typed": 0.0, "coverage": 0.0}
    doc = snapshot.document(lead.doc_id)
    pieces = [doc.title]
    section = doc.section_at(lead.start)
    if section is not None:
        pieces.append(section.title)
    for q in quotes or [Quote(lead.doc_id, lead.start, lead.end, lead.score)]:
        if q.doc_id == lead.doc_id:
            pieces.append(snapshot.document(q.doc_id).text[q.start : q.end])
            if q.header:
                pieces.append(doc.text[q.header[0] : q.header[1]])
    # the lead's paragraph: "Tidewater reads its settings from ... Environment variables prefixed with TIDEWATER_
    # override the file" is about settings though the quoted sentence does not say the word
    para_start = doc.text.rfind("\n\n", max(0, lead.start - 600), lead.start)
    para_end = doc.text.find("\n\n", lead.end, lead.end + 600)
    pieces.append(doc.text[max(para_start, lead.start - 600, 0) : para_end if para_end >= 0 else lead.end])
    present = set(keyword_tokens(" ".join(pieces)))
    n = max(1, snapshot.keyword_chunks())
    rarest = math.log(1.0 + (n + 0.5) / 0.5)
    words = set(keyword_tokens(question))
    if kind in _TYPE_WORDS:
        words = words - _TYPE_WORDS[kind] or words
    weights = {w: (math.log(1.0 + (n - df + 0.5) / (df + 0.5)) if (df := snapshot.document_frequency(w)) else rarest)
               for w in words}
    total = sum(weights.values())
    coverage = sum(w for t, w in weights.items() if t in present) / total if total else 0.0
    others = [s.score for s in scored if s.sentence_id != lead.sentence_id]
    return {"score": lead.score, "cosine": lead.cosine, "margin": lead.score - (others[0] if others else 0.0),
            "dense": max((h.dense for h in hits), default=0.0), "typed": float(lead.answer is not None),
            "coverage": coverage}


def still_on_disk(snapshot: Snapshot, scored: list[ScoredSentence], current_text: Callable[[str], str | None],
                  ) -> tuple[list[ScoredSentence], list[str]]:
    """The scored sentences whose text files still hold them where the index says (other formats are quoted
    from the stored text, checked by its hash), and the sources that no longer do."""
    from index.types import TEXT_FORMATS

    kept, changed = [], []
    current: dict[int, str | None] = {}
    for s in scored:
        doc = snapshot.document(s.doc_id)
        if doc.format in TEXT_FORMATS:
            if s.doc_id not in current:
                current[s.doc_id] = current_text(doc.source)
            now = current[s.doc_id]
            spans = [(s.start, s.end), *([s.term] if s.term else []), *([s.header] if s.header else [])]
            if now is None or any(now[a:b] != doc.text[a:b] for a, b in spans):
                if doc.source not in changed:
                    changed.append(doc.source)
                continue
        kept.append(s)
    return kept, sorted(changed)


def render_text(citations: Sequence[Citation]) -> str:
    """The answer as a person reads it: each quote followed by its marker."""
    return " ".join(f"{c.quote} [{c.n}]" for c in citations)


def citation_of(snapshot: Snapshot, n: int, q: Quote) -> Citation:
    """A quote as citation `n`, verified against the stored text."""
    doc = snapshot.document(q.doc_id)
    page = doc.page_at(q.start)
    section = doc.section_at(q.start)
    context_text = doc.text[q.header[0] : q.header[1]] if q.header else None
    # a highlight marks a span of this quote: a sentence's answer in the code after it is that code's
    highlight = q.highlight if q.highlight and q.start <= q.highlight[0] < q.highlight[1] <= q.end else None
    citation = Citation(n, doc.source, q.start, q.end, doc.text[q.start : q.end], q.score, doc.title,
                        doc.date, doc.place, line_of(doc.text, q.start), page.number if page else None,
                        page.label if page else None, doc.format, section.title if section else None,
                        highlight, q.kind, q.header, context_text, place_of(doc, q.start))
    verify_citation(doc.text, citation)
    return citation


def _dated_header(
    snapshot: Snapshot, best: ScoredSentence, typed: Sequence[ScoredSentence]
) -> tuple[int, int, int, float, tuple[int, int]] | None:
    """For a date question: the dated header of the best sentence's document (`date 2023-02-28 Astana: ...`),
    when the best sentence tells of the event without a date of its own (it holds a word of the question
    besides the document's topic: "visit" for "When did Blinken visit Astana?", not for "When was Blinken
    born?") and no dated sentence scores as well.
    Returns (doc_id, start, end, score, date span) of the header, to be cited like any sentence."""
    if best.answer is not None or (typed and typed[0].score >= best.score) or best.overlap <= 0:
        return None  # a dated sentence answers better; or the best one shares no word of what is asked
    return _date_line(snapshot, best)


def _date_line(snapshot: Snapshot, best: ScoredSentence) -> tuple[int, int, int, float, tuple[int, int]] | None:
    """The dated header of a sentence's document, to be cited before it, when the document has one."""
    doc = snapshot.document(best.doc_id)
    if doc.date is None or doc.body_start == 0:
        return None
    lead = len(doc.text) - len(doc.text.lstrip())
    start, end = lead, len(doc.text[: doc.body_start].rstrip())
    at = doc.text.find(doc.date, start, end)
    if at < 0 or end <= start:
        return None
    return best.doc_id, start, end, best.score, (at, at + len(doc.date))


def _names_are_present(question: str, passages: Sequence[Passage], snapshot: Snapshot | None = None) -> bool:
    """Whether everything the question names (words it writes as names: "Kazakhstan", "Tim Cook") appears,
    at least in part, in the passages the answer comes from, or in their titles. A name found all over the
    corpus ("Python" in the Python documentation) is its subject, not a sign of a wrong passage."""
    from index.text.keywords import STOPWORDS, is_compound
    from index.text.titles import maximal, normalize, question_spans
    from qa.places import place_forms
    from qa.terms import is_generic

    spans = [s for s in question_spans(question) if s.proper]
    names = [s.key for s in maximal(spans, {s.key for s in spans})]  # "Lionel Messi", not also "Lionel"
    if not names:
        return True
    seen = set(normalize(" ".join(f"{p.title} {p.text}" for p in passages)).split())
    # names written as alternatives ("on Linux/UNIX") are there when one of them is
    either = [set(normalize(m.group()).split()) for m in re.finditer(r"\w[\w.+-]*(?:/\w[\w.+-]*)+", question)]
    # a name written as code ("CMakeLists", "setRefClass") was looked for in the whole corpus (qa/terms.py)
    written_as_code = {normalize(t) for t in re.findall(r"\w+", question) if is_compound(t)}
    common = None
    if snapshot is not None:
        n = max(1, snapshot.keyword_chunks())
        common = lambda w: any(snapshot.document_frequency(t) > 0.02 * n for t in keyword_tokens(w))  # noqa: E731
    for name in names:
        words = [w for w in name.split() if w not in STOPWORDS and len(w) > 2 and not w.isdigit()
                 and not is_generic(w)]
        if any(set(name.split()) <= group and group & seen for group in either) or name in written_as_code:
            continue
        if common is not None:
            words = [w for w in words if not common(w)]
        # an adjective of place is there when its place is ("Australian" in a text that says "Australia")
        if words and not any(f in seen for w in words for f in place_forms(w)):
            return False
    return True
