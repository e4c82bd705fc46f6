"""Whose amount or capital an answer gives: "What is the population / area / capital of X?" over the countries of
the Wikipedia summaries, scored against what X's own summary states.

    python bench/attributes.py [--index DIR] [--no-refresh] [--limit N] [-v]

Questions are made, not written: for every summary whose opening says it is a country (`qa/multipart.py`'s
reading of openings), the three questions above. The gold is read from that country's own summary by patterns
independent of corpus-qa's reader ("a population of over 41 million", "covers 357,022 km2", "Its capital is
Ottawa"):
- the summary states it: right when the answer holds it (as the summary writes the number, or the capital's name);
- it states none, but another summary does, as the country's own ("Canberra is the capital city of
  Australia", "the population of India"): right when the answer holds what that one states;
- no summary states it: right when the answer abstains, wrong when it gives a sentence about something else
  ("the third-most populous city in Australia, with a population of 2.8 million", "Perth is the capital city
  of Western Australia").
An answer holds a value when its short answer does (or, without one, its text).
Counts per attribute, and with `-v` every wrong answer. Not a timed benchmark: answers only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import CACHE, materialise  # noqa: E402

NUMBER = r"\d[\d,.]*(?:\s?(?:million|billion))?"
WORDS = {"population": r"population|inhabitants|residents|people", "area": r"km2|km²|square\s+kilomet",
         "capital": r"capital"}
VALUES = {"population": re.compile(rf"{NUMBER}"), "area": re.compile(rf"({NUMBER})\s?(?:km2|km²|square\s+kilomet)"),
          "capital": re.compile(r"(?<![\w.])[A-Z][\w'’-]+(?:\s+(?:de\s+|of\s+)?[A-Z][\w'’-]+)*")}


def stated(text: str, title: str, attribute: str) -> set[str]:
    """What a country's own summary states of the attribute: the values in its sentences that speak of it
    (numbers by a population word, areas in km2, the names in a sentence saying "capital"); empty when it
    states none."""
    body = text.split("\n", 1)[1] if "\n" in text else text
    values: set[str] = set()
    for sentence in re.split(r"(?<=[.!?])\s+", body):
        if not re.search(WORDS[attribute], sentence, re.I):
            continue
        for m in VALUES[attribute].finditer(sentence):
            value = (m.group(1) if m.groups() else m.group()).strip().rstrip(".,")
            if attribute == "capital" and (value in title or value.split()[0] in ("The", "Its", "It", "In")):
                continue
            if attribute == "population" and re.fullmatch(r"(?:1\d|20)\d\d", value):
                continue  # a year
            values.add(value)
    return values


def owns(sentence: str, country: str, attribute: str) -> bool:
    """Whether a sentence gives the attribute as the country's own ("the capital and largest city of X",
    "X's population"), the name standing alone (not "the Democratic Republic of the Congo")."""
    x = re.escape(country)
    word = {"population": r"population|inhabitants|residents|people", "area": r"area",
            "capital": r"capital"}[attribute]
    return re.search(rf"(?:{word})\w*\s+(?:[\w-]+\s+){{0,3}}?of\s+(?:the\s+)?{x}(?![\w-])|(?<![A-Za-z]\s)(?<![\w-])"
                     rf"{x}['’]s\s+(?:[\w-]+\s+){{0,2}}?(?:{word})", sentence, re.I) is not None


def stated_elsewhere(sentences: list[tuple[str, str]], title: str, attribute: str) -> set[str]:
    """What other summaries state of the country's attribute as its own: the values of their sentences that
    give it so (for a capital, the city the sentence opens with)."""
    values: set[str] = set()
    for source_title, sentence in sentences:
        if source_title == title or title not in sentence or not owns(sentence, title, attribute):
            continue
        if attribute == "capital":
            first = VALUES["capital"].match(sentence)
            if first is not None and first.group() not in title and title not in first.group():
                values.add(first.group())
        else:
            values |= stated(f"x\n{sentence}", title, attribute)
    return values


def main() -> None:
    from qa.config import Settings
    from qa.engine import Engine
    from qa.multipart import _is_kind_head, _kind_pattern, _opening

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=None, help="an existing index of the wiki corpus")
    parser.add_argument("--no-refresh", action="store_true", help="answer from the index as it is")
    parser.add_argument("--limit", type=int, default=None, help="at most this many countries")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every wrong answer")
    args = parser.parse_args()
    corpus = materialise(None)
    engine = Engine(Settings.resolve(corpus=corpus, index=args.index or CACHE / "fanout-index"))
    for _ in engine.prepare(refresh=not args.no_refresh):
        pass
    kind = _kind_pattern("country")
    countries = []
    for path in sorted(corpus.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        title = text.split("\n", 1)[0].strip()
        opening = _opening(text, title)
        if title and "(" not in title and _is_kind_head(kind, opening) and re.search(r"\bcountry\b", opening):
            countries.append((title, text))
    countries = countries[: args.limit]
    sentences = []
    for path in sorted(corpus.glob("*.txt")):
        head, _, body = path.read_text(encoding="utf-8").partition("\n")
        sentences += [(head.strip(), x.strip()) for x in re.split(r"(?<=[.!?])\s+", body) if x.strip()]
    tally: dict[str, dict[str, int]] = {}
    for title, text in countries:
        for attribute in WORDS:
            gold = stated(text, title, attribute)
            answer = engine.ask(f"What is the {attribute} of {title}?")
            counts = tally.setdefault(attribute, {"stated": 0, "right": 0, "elsewhere": 0, "found": 0,
                                                  "none stated": 0, "kept out": 0})
            held = (answer.short_answer or answer.text).lower()
            elsewhere = stated_elsewhere(sentences, title, attribute) if not gold else set()
            if gold:
                counts["stated"] += 1
                ok = not answer.abstained and any(g.lower() in held for g in gold)
                counts["right"] += ok
            elif elsewhere:
                counts["elsewhere"] += 1
                ok = not answer.abstained and any(g.lower() in held for g in elsewhere)
                counts["found"] += ok
                gold = elsewhere
            else:
                counts["none stated"] += 1
                ok = answer.abstained
                counts["kept out"] += ok
            if not ok and args.verbose:
                print(f"WRONG {attribute} of {title} (summary: {gold}) -> {answer.text[:160]!r}")
    print(f"{len(countries)} countries of the wiki corpus")
    for attribute, c in tally.items():
        print(f"{attribute}: stated in its summary {c['right']}/{c['stated']} answered with it; stated as its own "
              f"only in another summary {c['found']}/{c['elsewhere']} answered with it; stated nowhere "
              f"{c['kept out']}/{c['none stated']} abstained")
    out = Path(__file__).resolve().parent / "results" / "attributes.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(tally, indent=2) + "\n")


if __name__ == "__main__":
    main()
