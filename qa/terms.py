"""What a question names, and whether the documents ever mention it.

A question that names something the corpus never mentions ("How do I use tidyr's pivot_wider()?" over the
R manuals, "Who won the 2018 FIFA World Cup?" over software documentation) cannot be answered from it,
however close the nearest passage looks. The terms that decide it are the ones a paraphrase cannot
replace: names written as code (`pivot_wider`, `Path.walk()`, `setRefClass`, `--tls-cert`), names written
as names (`Shiny`, `Everest`), versions (`3.13`, `PEP 701`), and words that are not English (`tidyr`,
`lubridate`). An English word the documents do not use ("folder" where they say "directory") is not one
of them: that is left to how well the passages match (qa/answer.py). A misspelling of a word the corpus
holds ("temparature") is not one either.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from index.paths import PRIVATE_FILE, cache_home, private_dir
from index.text.keywords import STOPWORDS, compound_key, is_compound, keyword_tokens, named_numbers

CODE, NAME, VERSION, WORD = "code", "name", "version", "word"

_QUOTED = re.compile(r"""(?<![\w])(['"‘“`])(?:(?!\1).){1,120}?(?:\1|[’”])""")
_LETTER = r"[^\W\d_]"
_TOKEN = re.compile(
    rf"(?<![\w-])--?{_LETTER}[\w-]*|[%@$\\]?(?:{_LETTER}|_)[\w]*(?:(?:\.|::|\$|@|-)(?:{_LETTER}|_)[\w]*)*(?:\(\))?%?"
    r"|%[^\s%]{1,4}%|(?<![\w.])\d+(?:\.\d+)+(?![\w.]*\d)"
)
_FILE_EXTENSIONS = frozenset(
    """csv tsv json txt py r rd rda rds md rst html htm pdf xml yaml yml toml zip gz tar tgz bz2 xz log cfg ini c h
    cpp hpp so dll exe sh bat png jpg jpeg gif svg docx xlsx pptx epub ipynb pyc pyz whl db sqlite""".split()
)
_CALL = re.compile(r"[\w.]+\(([^()]*)\)")
_GENERIC_NAMES = frozenset(
    """i i'm i've i'd ok yes no python r api apis id ids url urls os cpu gpu utf ascii unicode json csv html http
    https xml pdf sql""".split()
)
"""Capitalised words a question uses as ordinary words of the trade, not as names to look up."""


@dataclass(frozen=True)
class KeyTerm:
    """A term of a question that may name something the corpus does not hold."""

    text: str
    """As the question writes it (`pivot_wider()`, `Shiny`, `3.13`)."""
    kind: str
    """code, name, version or word (a lower-case word; it counts only if it is not English)."""
    compound: str | None
    """The lookup key among the corpus's names (index.text.keywords.names_in), for a code name made of parts, a
    version or a named number; None for a single word."""
    words: tuple[str, ...]
    """Its keyword stems, to look up in the keyword index."""


@lru_cache(maxsize=1024)
def key_terms(question: str) -> tuple[KeyTerm, ...]:
    """The question's candidate key terms, in order. Quoted examples ('2023-05-01', "-22 // 10"), the
    arguments of a call the question writes, example file names (`data.csv`), capitalised words that start
    a sentence, and stop words are left out. Remembered: a question's parts, and each answer composed for it,
    ask again."""
    text = _QUOTED.sub(" ", question)
    text = _CALL.sub(lambda m: m.group()[: m.start(1) - m.start()] + " " * len(m.group(1)) + ")", text)
    # a code of three digits after a word of the trade is no version: "HTTP 410" (but "HTTP 2", "Python 4")
    found: list[KeyTerm] = [KeyTerm(_as_written(text, k), NAME, k, ()) for k in sorted(named_numbers(text))
                            if not (k.split()[0] in _GENERIC_NAMES and re.fullmatch(r"\d{3,}", k.split()[-1]))]
    first = True
    for m in _TOKEN.finditer(text):
        token = m.group()
        at_start = first or bool(re.search(r"[.?!:]\s*$", text[: m.start()]))
        first = False
        terms = _classify(token, at_start)
        if not terms and (tool := _TWO_LETTER_TOOL.match(text, m.start())) and token not in STOPWORDS \
                and token not in english_words() and (tool.group(1) is None or tool.group(1) not in english_words()):
            terms = (KeyTerm(token, WORD, None, tuple(keyword_tokens(token))),)  # "the uv venv command": a tool
        found.extend(terms)
    return tuple(found)


_TWO_LETTER_TOOL = re.compile(r"[a-z]{2}\b(?:\s+([a-z][\w.-]*))?\s+(?:command|tool|cli)s?\b")
"""A two-letter word in lower case named a command or tool by the word after it, or after a subcommand that is
no English word ("the uv venv command", "the rg tool"; not "the vi editor command", "the qt library", "the ui
library", "a tv program"): looked up as any word is (too short otherwise: "id", "os", "ie" say nothing)."""


def _as_written(text: str, key: str) -> str:
    """A named number's lookup key ("tidewater 2.5.0") as the question writes it ("Tidewater 2.5.0")."""
    name, _, number = key.rpartition(" ")
    m = re.search(rf"\b{re.escape(name)}\b.*?(?<![\w.]){re.escape(number)}(?![\w]|\.\d)", text, re.I | re.S)
    if m is None:
        return key
    return m.group() if m.group().lower() == key else f"{m.group()[: len(name)]} {number}"


def is_generic(word: str) -> bool:
    """Whether a capitalised word is one of the trade's, not a name: "HTTP", "JSON", "CPUs"."""
    lower = word.lower()
    return lower in _GENERIC_NAMES or (lower.endswith("s") and lower[:-1] in _GENERIC_NAMES)


@lru_cache(maxsize=4096)
def _classify(token: str, at_start: bool) -> tuple[KeyTerm, ...]:
    if token[0].isdigit():
        return (KeyTerm(token, VERSION, token, ()),)
    if token[0] == "-":
        return (KeyTerm(token, CODE, token.lower(), ()),)  # a command-line option
    if "-" in token:
        if any(p[:1].isupper() for p in token.split("-")):  # "R-hub": a name
            return (KeyTerm(token, NAME, None, tuple(keyword_tokens(token))),)
        return tuple(t for p in token.split("-") if p for t in _classify(p, at_start))
    if token.isalpha() and token[-1] == "s" and is_generic(token):
        return ()  # a word of the trade in the plural: "CPUs", "URLs"
    if is_compound(token):
        if "." in token and token.rsplit(".", 1)[1].lower() in _FILE_EXTENSIONS:
            return ()  # an example file name (`data.csv`), not a name to look up
        return (KeyTerm(token, CODE, compound_key(token), tuple(keyword_tokens(token))),)
    word = compound_key(token)
    if len(word) < 2 or word.lower() in STOPWORDS:
        return ()
    stems = tuple(keyword_tokens(word))
    if not stems:
        return ()
    if token.endswith("()") or token[0] in "%@$\\":
        return (KeyTerm(token, CODE, None, stems),)
    if token[0].isupper() and not at_start and word.lower() not in _GENERIC_NAMES:
        if token.isupper() and len(token) <= 3:
            return ()  # a short acronym ("CI", "GUI") is as often spelled out in the documents as not
        return (KeyTerm(token, NAME, None, stems),)
    if word.isalpha() and word.islower() and len(word) >= 3:
        return (KeyTerm(token, WORD, None, stems),)
    return ()


def never_mentioned(question: str, name_frequency: Callable[[str], int],
                    document_frequency: Callable[[str], int],
                    heading: Callable[[str, str], bool] = lambda name, number: False) -> list[str]:
    """The key terms of `question` the corpus never mentions, as the question writes them: code names,
    names and versions it holds nowhere, and words it holds nowhere that are neither English nor a
    misspelling of one of its own words. A name with a version ("Tidewater 2.4.0") is mentioned when the
    name is and the version heads a section of a document about it (`heading(name, number)`: a changelog
    that opens "All notable changes to Tidewater" and lists `## [2.4.0] - 2024-05-06`)."""
    missing: list[str] = []
    for term in key_terms(question):
        if term.compound is not None:
            if name_frequency(term.compound) <= 0 and not _versioned(term.compound, document_frequency, heading) \
                    and not (len(term.words) == 1 and term.text.isalpha() and document_frequency(term.words[0]) > 0):
                missing.append(term.text)  # one word in capitals ("CMakeLists") is there as a word is
            continue
        if all(document_frequency(w) > 0 for w in term.words):
            continue
        if term.kind == WORD and term.text.lower() in english_words():
            continue  # an ordinary word the documents happen not to use
        if term.kind in (WORD, NAME) and term.text.lower() not in english_words() \
                and _misspelt(term.text.lower(), document_frequency):
            continue  # a misspelling of the corpus's own word; an English word is never taken for one
        missing.append(term.text)
    # a version already named with its name ("Tidewater 2.5.0") is not named again on its own ("2.5.0")
    return list(dict.fromkeys(m for m in missing if not any(m != o and o.endswith(f" {m}") for o in missing)))


def _versioned(key: str, document_frequency: Callable[[str], int], heading: Callable[[str, str], bool]) -> bool:
    """Whether a named number's name occurs in the corpus and its number heads a section of a document about
    that name: "tidewater 2.4.0" over a changelog that lists `## [2.4.0]` under the project's name. A number
    only said in passing ("will be removed in 3.13") does not make "Python 3.13" something the documents
    speak of, nor does another project's changelog make "Python 2.3.0" one."""
    name, _, number = key.rpartition(" ")
    if not name or not number[:1].isdigit():
        return False
    stems = keyword_tokens(name)
    return bool(stems) and all(document_frequency(w) > 0 for w in stems) and heading(name, number)


def _misspelt(word: str, document_frequency: Callable[[str], int]) -> bool:
    """Whether `word` is one edit (a letter left out, added, changed, or two swapped) away from a word the
    corpus holds ("temparature", "Linoel"). Short words only by a letter added, changed or swapped: "tidyr"
    is not a misspelling of "tidy"."""
    if len(word) < 5 or not word.isalpha():
        return False
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    variants = {a + c + b for a, b in splits for c in letters}  # inserts
    variants |= {a + c + b[1:] for a, b in splits if b for c in letters}  # replaces
    variants |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}  # transposes
    if len(word) >= 6:
        variants |= {a + b[1:] for a, b in splits if b}  # deletes
    variants.discard(word)
    return any(document_frequency(stem) > 0 for stem in set(keyword_tokens(" ".join(sorted(variants)))))


class WordList:
    """Membership in pyspellchecker's English frequency list, by binary search over its words sorted one per line
    (~10 µs a word). A set of its 160,000 strings took ~90 ms to build, most of a cold `qa ask` that meets a word
    the corpus lacks; a substring search of the list's JSON text took ~2 ms a word, ~0.6 ms of a multi-part
    question."""

    HEADER = b"corpus-qa words 1, body bytes "

    def __init__(self, text: bytes) -> None:
        self.text = text
        """`HEADER`, the body's length, then the body: each word (UTF-8) on its own line, in byte order, the
        body opening and ending with a newline; or empty."""
        self._body = text.index(b"\n") if text else 0

    @classmethod
    def from_json(cls, shipped: bytes) -> WordList:
        """From the list as the package ships it: `{"word": count, ...}`."""
        import json

        words = sorted({w.encode("utf-8") for w in json.loads(shipped) if w and "\n" not in w})
        body = b"\n" + b"\n".join(words) + b"\n"
        return cls(cls.HEADER + str(len(body)).encode() + body)

    @classmethod
    def whole(cls, text: bytes) -> WordList | None:
        """The list a kept copy holds, or None for a copy that is not one whole (cut short by a full disk)."""
        head, newline, _ = text.partition(b"\n")
        if not newline or not head.startswith(cls.HEADER) or not text.endswith(b"\n"):
            return None
        size = head[len(cls.HEADER):]
        return cls(text) if size.isdigit() and int(size) == len(text) - len(head) else None

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str) or not word or "\n" in word:
            return False
        key, text = word.encode("utf-8"), self.text
        lo, hi = self._body + 1, len(text)  # lo is always a line's start, hi one past the last candidate line
        while lo < hi:
            start = text.rfind(b"\n", lo - 1, (lo + hi) // 2) + 1  # the line holding the middle
            end = text.index(b"\n", start)
            line = text[start:end]
            if line == key:
                return True
            if line < key:
                lo = end + 1
            else:
                hi = start
        return False

    def __bool__(self) -> bool:
        return bool(self.text)


@lru_cache(maxsize=1)
def english_words() -> WordList:
    """English words (pyspellchecker's frequency list, 160,000 words; read on first use). The package ships it
    as gzipped JSON, ~25 ms to find and inflate and ~90 ms to parse; it is kept once in the user cache as
    sorted lines, named by the shipped file's size and time, and read from there (~2 ms)."""
    import gzip
    import importlib.util

    try:
        spec = importlib.util.find_spec("spellchecker")  # finds the package without importing it
        shipped = Path(next(iter(spec.submodule_search_locations or ()))) / "resources" / "en.json.gz"  # type: ignore[union-attr]
        stat = shipped.stat()
    except (AttributeError, StopIteration, ImportError, OSError, ValueError):
        return WordList(b"")  # without the list every unknown lower-case word counts: safe, if stricter
    kept = cache_home() / "words" / f"en-{stat.st_size}-{stat.st_mtime_ns}.lines"
    try:
        words = WordList.whole(kept.read_bytes())
        if words is not None:
            return words
    except OSError:
        pass
    try:
        words = WordList.from_json(gzip.decompress(shipped.read_bytes()))
    except (OSError, ValueError, EOFError, TypeError, AttributeError):
        return WordList(b"")
    try:
        private_dir(kept.parent)
        tmp = kept.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(words.text)
        os.chmod(tmp, PRIVATE_FILE)
        os.replace(tmp, kept)
        for stale in kept.parent.glob("en-*"):  # the list of a pyspellchecker since replaced
            if stale.name != kept.name and not stale.name.endswith(".tmp"):
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only cache: parsed again next time
    return words
