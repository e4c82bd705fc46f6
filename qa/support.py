"""Whether a generated sentence says only what the quotes it cites say: the check every sentence a language
model writes goes through before anyone sees it (qa/generate.py).

A sentence is kept only when
1. it cites at least one quote, and every id it cites is one of the answer's quotes;
2. every number in it ("1991", "65", "3.11", also "two") and every name and identifier ("Blinken",
   "Path.with_suffix()", "NULL") appears in the quotes it cites (names may also come from their documents'
   titles, file names and section headings: "In Python, ..." citing a page of the Python docs);
3. its support reaches the embedder's threshold: the mean of its content-word overlap with the quotes it
   cites (the share of its keyword stems they hold) and its embedding similarity to them (the best cosine to
   one quote or to all of them together, with the engine's own embedder).

The thresholds were measured, not guessed. `python bench/generate_checks.py` builds sentences from the quotes
corpus-qa gives for the docs-eval questions (90 answered over two R manuals and 25 Python pages): faithful
ones (the quote with a lead-in, cut to its main clause, with words paraphrased, led by the question's own
words, two quotes merged) and corrupted ones citing a quote they do not come from ("off-quote": another
sentence of the same document, or a quote from another document) or with a fact changed (a number + 1, a
name swapped for another). Support, median [5th-95th percentile], and what the chosen thresholds do:

    all-MiniLM-L6-v2, threshold 0.55: faithful 0.91 [0.67-1.00] (490), same document 0.22 [0.03-0.47],
      other document 0.05 [0.00-0.17]; kept 94.1% of faithful sentences (99.8% of the 462 the number and
      name check lets through), rejected 99.4% of off-quote and 95.0% of fact-changed ones. Anywhere from
      0.50 to 0.60 is within 0.6 points of that on both; 0.70 keeps 4.5 points fewer faithful ones.
    hash embedder (tests only), threshold 0.50: faithful 0.89 [0.71-0.99] (471), same document 0.15
      [0.00-0.42], other document 0.11 [0.00-0.29]; kept 93.4% of faithful sentences (100% of the 440 the
      number and name check lets through), rejected 99.7% of off-quote and 94.2% of fact-changed ones.

The faithful sentences the number and name check rejects are nearly all "led by the question" (28 of 84
with MiniLM): the question's own names and numbers ("logging.basicConfig", "0.9999999999999999") that the
quote it cites does not hold, which is what the check is for. The fact changes it misses: a number the quote
holds elsewhere too ("level is 1, 1 or 2"), a name that is also an English word at the start of a sentence.
What no check here can see: a negation added ("is not") or a relation turned around with the same words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.text.keywords import NAME_TOKEN, is_compound, keyword_tokens
from qa.types import GeneratedSentence

if TYPE_CHECKING:
    import numpy as np

    from qa.types import Citation


@dataclass(frozen=True)
class Unit:
    """One piece of evidence the model is shown: a verified quote, under the id the answer cites it by."""

    n: int
    """Its id: the `n` of the answer's citation."""
    text: str
    """The quote, verbatim (a table row with its header row)."""
    context: str = ""
    """Its document's title, file name and section heading: where a name in a sentence may also come from."""

    @classmethod
    def of(cls, citation: Citation) -> Unit:
        text = f"{citation.context_text}\n{citation.quote}" if citation.context_text else citation.quote
        return cls(citation.n, text, f"{citation.title} {citation.source} {citation.section or ''}".strip())


MIN_SUPPORT = {
    "sentence-transformers/all-MiniLM-L6-v2": 0.55,
    "corpus-qa/hash-embedder-v1": 0.50,
}
"""Support below which a sentence is left out, per embedder (model id): measured by
bench/generate_checks.py (see the module docstring)."""
DEFAULT_MIN_SUPPORT = 0.55
"""For an embedder that was not measured: MiniLM's."""


def min_support(model_id: str) -> float:
    return MIN_SUPPORT.get(model_id, DEFAULT_MIN_SUPPORT)


_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty".split(), start=2)}
"""Numbers written as words; not "one" ("one of", "the one that"), which is seldom a number."""
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
_CAPITALISED = re.compile(r"(?<![\w.'’-])[A-Z][\w'’-]*")
_STARTS = re.compile(r"(?:^|[:;•–—(\"“‘]|\s-)\W*$")
"""What may come before a word capitalised only because a sentence, or a part or item of it, starts there."""


def numbers_in(text: str) -> set[str]:
    """The numbers a text states, as digits: "1,000" as 1000, "two" as 2."""
    found = {re.sub(r",(?=\d{3}\b)", "", m.group()).rstrip(".,") for m in _NUMBER.finditer(text)}
    found |= {_NUMBER_WORDS[w] for w in _WORDS.findall(text.lower()) if w in _NUMBER_WORDS}
    return found


def names_in(sentence: str) -> list[str]:
    """The names and identifiers a sentence uses: identifiers as code writes them (`Path.with_suffix()`,
    `R_LIBS`, `setRefClass`), words in backticks, and capitalised words (the first word only when it is no
    English word: "Blinken visited...", not "The...")."""
    from qa.terms import english_words

    found: list[str] = []
    for m in NAME_TOKEN.finditer(sentence):
        token = m.group()
        if is_compound(token) and not re.fullmatch(r"[\d.]+", token):
            found.append(token.removesuffix("()"))
    for m in re.finditer(r"`([^`]{1,80})`", sentence):
        found += [t.removesuffix("()") for t in NAME_TOKEN.findall(m.group(1)) if not t.isdigit()]
    for m in _CAPITALISED.finditer(sentence):
        word = re.sub(r"['’]s$", "", m.group()).rstrip("'’-")  # "R’s" names R
        if word == "I" or is_compound(word):
            continue
        if _STARTS.search(sentence[: m.start()]) and word.lower() in english_words():
            continue  # an ordinary word capitalised because it starts the sentence, or a part of it
        found.append(word)
    return list(dict.fromkeys(found))


def _present(name: str, text: str, words: set[str]) -> bool:
    """Whether a name appears in the evidence: an identifier part by part (each part as written: `Path` in
    `PurePath.with_suffix`), a word as a whole word, in any case."""
    if name in text:
        return True
    parts = [p for p in re.split(r"[^\w]+", name) if len(p) > 1]
    if len(parts) > 1 or is_compound(name):
        return bool(parts) and all(p in text for p in parts)
    return name.lower() in words


def missing_facts(sentence: str, units: Sequence[Unit]) -> list[str]:
    """The numbers and names of `sentence` that none of `units` holds (names: nor their titles and files)."""
    evidence = " ".join(u.text for u in units)
    context = evidence + " " + " ".join(u.context for u in units)
    missing = sorted(numbers_in(sentence) - numbers_in(evidence), key=sentence.find)
    words = {w.lower() for w in _WORDS.findall(context)}
    missing += [n for n in names_in(sentence) if not _present(n, context, words)]
    return missing


def overlap(sentence: str, units: Sequence[Unit]) -> float:
    """The share of the sentence's keyword stems that its quotes hold (0 for a sentence without any)."""
    terms = keyword_tokens(sentence)
    if not terms:
        return 0.0
    held = set(keyword_tokens(" ".join(u.text for u in units)))
    return sum(t in held for t in terms) / len(terms)


Embed = Callable[[str], "np.ndarray"]
"""One text to its unit-length vector (the engine embedder's `embed_query`, memoised)."""


def similarity(sentence: str, units: Sequence[Unit], embed: Embed) -> float:
    """The sentence's best cosine to one of its quotes, or to all of them together (a sentence may join two)."""
    import numpy as np

    vec = embed(sentence)
    texts = [u.text for u in units] + ([" ".join(u.text for u in units)] if len(units) > 1 else [])
    return max(0.0, max(float(np.dot(vec, embed(t))) for t in texts))


def support(sentence: str, units: Sequence[Unit], embed: Embed) -> float:
    """How well `units` support `sentence`, 0..1 (before the number and name check)."""
    return 0.5 * overlap(sentence, units) + 0.5 * min(1.0, similarity(sentence, units, embed))


def check(sentence: str, ids: Iterable[int], units: dict[int, Unit], embed: Embed,
          threshold: float) -> GeneratedSentence:
    """One generated sentence, checked against the quotes it cites: kept, or left out with the reason."""
    cited = tuple(dict.fromkeys(ids))
    if not cited:
        return GeneratedSentence(sentence, cited, 0.0, False, "it cites no quote")
    unknown = [n for n in cited if n not in units]
    if unknown:
        listed = ", ".join(f"[{n}]" for n in unknown)
        return GeneratedSentence(sentence, cited, 0.0, False, f"it cites {listed}, which is not one of the quotes")
    evidence = [units[n] for n in cited]
    score = support(sentence, evidence, embed)
    missing = missing_facts(sentence, evidence)
    if missing:
        shown = ", ".join(repr(m) for m in missing[:3])
        return GeneratedSentence(sentence, cited, 0.0, False, f"its quotes do not hold {shown}")
    if score < threshold:
        return GeneratedSentence(sentence, cited, score, False,
                                 f"its quotes do not support it (support {score:.2f}, below {threshold:.2f})")
    return GeneratedSentence(sentence, cited, score, True)
