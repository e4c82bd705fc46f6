"""Keyword analysis shared by the BM25 index and answer scoring: one tokenizer for both sides.

Lower-cased words, English stop words removed, Snowball-stemmed when PyStemmer is available (it is a
dependency; the fallback keeps the code working without it).
"""

from __future__ import annotations

import re
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
