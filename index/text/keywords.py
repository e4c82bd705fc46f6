"""Keyword analysis shared by the BM25 index and answer scoring: one tokenizer for both sides.

Lower-cased words, English stop words removed, Snowball-stemmed when PyStemmer is available (it is a
dependency; the fallback keeps the code working without it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves s t don""".split()
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer():
    try:
        import Stemmer  # PyStemmer: ~2 ms
    except ImportError:
        return None
    return Stemmer.Stemmer("english")


def keyword_positions(text: str) -> list[tuple[int, str]]:
    """(offset, term) of each keyword of `text`: the terms of `keyword_tokens`, with where they are."""
    found = [(m.start(), m.group().replace("’", "'").split("'")[0]) for m in _WORD.finditer(text.lower())]
    found = [(at, w) for at, w in found if w and w not in STOPWORDS]
    stemmer = _stemmer()
    terms = stemmer.stemWords([w for _at, w in found]) if stemmer is not None else [w for _at, w in found]
    return [(at, term) for (at, _w), term in zip(found, terms, strict=True)]


def keyword_tokens(text: str) -> list[str]:
    """Terms of `text` for keyword matching: lower-cased, stop words dropped, stemmed."""
    words = [w.replace("’", "'").split("'")[0] for w in _WORD.findall(text.lower())]
    words = [w for w in words if w and w not in STOPWORDS]
    stemmer = _stemmer()
    return stemmer.stemWords(words) if stemmer is not None else words


RELATED_FORMS: dict[str, tuple[str, ...]] = {
    "die": ("death", "dead"), "death": ("die", "dead"), "dead": ("die", "death"),
    "born": ("birth",), "birth": ("born",),
    "marri": ("marriag",), "marriag": ("marri",),
    "found": ("foundat",), "foundat": ("found",),
    "built": ("build", "construct"), "build": ("built", "construct"), "construct": ("build", "built"),
}
"""Stems of one event that the stemmer keeps apart: "When did Francis I die?" is answered by "until his death
in 1547", "When was she born?" by "her birth". Only words questions about dates and events ask with."""

_SAME_SENSE = (
    ("bigger", "larger", "greater", "exceed"), ("smaller", "fewer"),
    ("exclud", "omit", "ignor", "skip"), ("remov", "delet"),
    ("stop", "abort"), ("start", "begin", "launch"), ("show", "display"),
    ("notic", "detect"), ("empti", "truncat"), ("preced", "prior"),
)
PARAPHRASES: dict[str, tuple[str, ...]] = {
    **{stem: tuple(o for o in group if o != stem) for group in _SAME_SENSE for stem in group},
    **RELATED_FORMS,
}
"""RELATED_FORMS, and stems that documentation and the people asking about it use for one action or comparison
("skip" a commit is what "ignore" says, "empty" a table what TRUNCATE does, "bigger than" what "too large"): a
question's word counts as present in a sentence that says it with the other (answer.keyword_overlap). Only words
with one sense in documentation, whose stem no other word shares: "change" is no "modify" (a file's ctime is not its
mtime), "permit" no "enable"; "terminate" is out ("terminal" stems to it), so are "execute" ("executable"),
"lower" (a volume, a bound) and "capital" (a city)."""


# -- names written as code -------------------------------------------------------------------------------
# A question that names `pivot_wider()` or `Path.walk()` asks about something the corpus may never mention,
# though it mentions "pivot", "wider", "path" and "walk" often: such names are looked up whole, in a
# vocabulary of the corpus's own names (the store keeps it beside the keyword index).

NAME_TOKEN = re.compile(
    r"(?<![\w-])--?[A-Za-z][\w-]*|[%@$\\]?[A-Za-z_][\w]*(?:(?:\.|::|\$|@)[A-Za-z_][\w]*)*(?:\(\))?%?"
    r"|(?<![\w.])\d+(?:\.\d+)+(?![\w.]*\d)|%[^\s%]{1,4}%"
)
_CAMEL = re.compile(r"[a-z][A-Z]|[A-Z]{2,}[a-z]{2,}")
_VERSION_LIKE = re.compile(r"\d+(?:\.\d+)+")
_NAMED_NUMBER = re.compile(r"\b([A-Z][A-Za-z]{1,15})\s+(\d+(?:\.\d+)*)\b"
                           r"((?:(?:,\s*|,?\s+(?:and|or)\s+)\d+(?:\.\d+)*\b"
                           r"(?![ \t]*(?:%|-|[KMGTkmgt]i?[Bb]\b|bytes?\b|bits?\b)))*)")
_MONTHS = frozenset("january february march april may june july august september october november december".split())


def is_compound(token: str) -> bool:
    """A name made of parts, as code writes names (`os.path`, `pivot_wider`, `remotes::install_github`,
    `setRefClass`, `R_LIBS`, `ggplot2`), or a version (`3.13`), as opposed to a word; abbreviations with
    dots (`U.S.`, `e.g.`) are not."""
    if token[:1] == "-" and len(token) > 1:
        return True  # a command-line option
    core = token.strip("%@$\\").removesuffix("()")
    if _VERSION_LIKE.fullmatch(core):
        return True
    if "_" in core.strip("_") or "::" in core:
        return True
    if "." in core:
        parts = core.split(".")
        return all(len(p) >= 2 for p in parts) and any(not p.isupper() for p in parts)
    return bool(_CAMEL.search(core)) or bool(re.search(r"[A-Za-z]\d|\d[A-Za-z]", core))


def compound_key(token: str) -> str:
    """How a name is looked up: lower case, without call parentheses or sigils."""
    if token[:1] == "-":
        return token.lower()
    return token.strip("%@$\\").removesuffix("()").lower()


def named_numbers(text: str) -> set[str]:
    """Lookup keys of names followed by a number (`PEP 701`, `Python 3.13`, `ISO 8601`): "pep 701"; each number of
    a list of the same shape counts with the name ("Python 3.8 and 3.9": "python 3.8", "python 3.9"; not the "2"
    of "Python 3.10 or 2 GB")."""
    return {f"{m.group(1).lower()} {number}" for m in _NAMED_NUMBER.finditer(text)
            if m.group(1).lower() not in _MONTHS
            for number in (m.group(2), *(n for n in re.findall(r"\d+(?:\.\d+)*", m.group(3))
                                         if ("." in n) == ("." in m.group(2))))}


def names_in(text: str) -> set[str]:
    """The lookup keys of the compound names and named numbers a text holds (see `is_compound`): what a
    corpus's names vocabulary is made of. A dotted name counts with its shorter forms too, as a question
    may write them: `os.path.getmtime` also as `path.getmtime` and `os.path`, `pathlib.PurePath.is_relative_to`
    also as `PurePath.is_relative_to` and `is_relative_to`."""
    found: set[str] = set()
    for m in NAME_TOKEN.finditer(text):
        token = m.group()
        if not is_compound(token):
            continue
        key = compound_key(token)
        found.add(key)
        if "." in key and not _VERSION_LIKE.fullmatch(key) and key[:1] != "-":
            parts = [p for p in key.split(".") if p]
            for i in range(len(parts)):
                for j in range(i + 1, len(parts) + 1):
                    if (i, j) != (0, len(parts)) and (j - i >= 2 or is_compound(parts[i])):
                        found.add(".".join(parts[i:j]))
    return found | named_numbers(text)


_PUNCT = re.compile(r"[^\w]+")


def search_terms(text: str) -> list[str]:
    """What the keyword index holds of a text, and what a question is searched with: `keyword_tokens`, plus
    each name written as code with its parts joined (`TYPE_CHECKING` -> `type_checking`, `os.path.getmtime`
    -> `os_path_getmtime`), so a question naming an API finds the passages that write that very name, not
    every passage that says "type" and "check". Only names with a `_`, `.` or `::` count (not versions, not
    plain capitalised words); the joined form is one word to any analyzer (Milvus's standard one too)."""
    terms = keyword_tokens(text)
    for m in NAME_TOKEN.finditer(text):
        token = m.group()
        core = token.strip("%@$\\").removesuffix("()")
        if token[:1] == "-" or _VERSION_LIKE.fullmatch(core) or not ("_" in core.strip("_") or "::" in core or (
                "." in core and is_compound(core))):
            continue
        terms.append(_PUNCT.sub("_", core.lower()).strip("_"))
        last = re.split(r"\.|::", core)[-1]
        if last != core and "_" in last.strip("_"):  # `typing.TYPE_CHECKING` is also `TYPE_CHECKING`
            terms.append(last.lower().strip("_"))
    return terms


_PLAIN_LETTERS = str.maketrans({"ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ı": "i", "đ": "d", "ð": "d",
                                "þ": "th", "ħ": "h"})
"""Letters that Unicode does not write as a plain letter and an accent: "Łódź" as "Lodz", "Tromsø" as "Tromso"."""


def plain_form(text: str) -> str:
    """A text without its accents, as a person types it on a plain keyboard: "são" -> "sao", "łódź" -> "lodz"."""
    import unicodedata

    text = text.lower().translate(_PLAIN_LETTERS)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def accented_forms(vocabulary: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """A vocabulary's terms written with accents, by their forms without them, as a typed word is stemmed
    ("hélène" is found for "Helene", which stems to "helen"): read once per open index, only the terms that are
    not plain ASCII."""
    stemmer = _stemmer()
    found: dict[str, list[str]] = {}
    for term in vocabulary:
        if not term.isascii():
            plain = plain_form(term)
            if plain != term and plain.isascii():
                keys = {plain, *(stemmer.stemWords([plain]) if stemmer is not None else ())}
                for key in keys:
                    found.setdefault(key, []).append(term)
    return {k: tuple(v) for k, v in found.items()}
