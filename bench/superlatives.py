"""Which thing holds the first place of a ranking in a place: "What is the longest river in Africa?" over the
Wikipedia summaries, scored against the summary that states it.

    python bench/superlatives.py [--index DIR] [--no-refresh] [-v]

Questions are made, not written: every sentence of a summary that says its thing "is the <superlative> <kind> in
<Place>" ("Lake Victoria is Africa's largest lake" is left out: only the "in <Place>" form is read here, by a
pattern independent of corpus-qa's own reading), for a kind of thing sets are made of (rivers, countries,
cities, lakes, mountains, islands, ...), gives the question "What is the <superlative> <kind> in <Place>?";
its gold is the summary's title. A place two summaries both claim the first of is left out (the gold is in
doubt), as is a sentence qualifying the place ("in Europe outside the Caucasus", "in Germany that is not a
state of its own"). An answer is right when its
short answer, or failing one its first citation's document, is the gold; an abstention is counted apart (it is
no wrong answer, but no answer either). With `-v`, every question not answered right.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import CACHE, materialise  # noqa: E402

KINDS = ("river|country|city|lake|mountain|island|desert|planet|moon|volcano|waterfall|sea|ocean|state|province|"
         "language|university|company|building|bridge|airport|port|peninsula|glacier|canyon|forest|mosque|"
         "church|cathedral|stadium|museum")
CLAIM = re.compile(rf"\b(?:is|was|remains)\s+the\s+(?P<sup>(?:most|least)\s+[a-z]+|[a-z]{{3,}}est)\s+"
                   rf"(?P<kind>{KINDS})\s+in\s+(?P<place>(?:the\s+)?[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)"
                   rf"(?P<after>[^.;]{{0,20}})")
NOT_SUPERLATIVE = frozenset("interest forest west rest test best latest honest modest request contest".split())


def claims(corpus: Path) -> dict[str, str]:
    """question -> gold title, for first places one summary alone claims."""
    found: dict[str, set[str]] = {}
    for path in sorted(corpus.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        title, _, body = text.partition("\n")
        for m in CLAIM.finditer(body[:3000]):
            sup = m.group("sup").lower()
            after = m.group("after")
            if sup.split()[-1] in NOT_SUPERLATIVE or re.match(r"\s*(?:outside|except|excluding|and|or|by|that|which)\b",
                                                                after) or re.match(r"\s+[a-z]", after) and not \
                    re.match(r"\s+(?:with|in|as|since|after|behind|ahead|followed|while|where|and|but|at|on)\b", after):
                continue  # "in the Mexican state of Chihuahua": the place goes on
            place = m.group("place")
            question = f"What is the {sup} {m.group('kind')} in {place}?"
            found.setdefault(question, set()).add(title.strip())
    return {q: next(iter(t)) for q, t in found.items() if len(t) == 1}


def bare(title: str) -> str:
    return re.sub(r"\s*\([^)]*\)$", "", title).strip().lower()


def main() -> None:
    from qa.config import Settings
    from qa.engine import Engine

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=None, help="an existing index of the wiki corpus")
    parser.add_argument("--no-refresh", action="store_true", help="answer from the index as it is")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every question not answered right")
    args = parser.parse_args()
    corpus = materialise(None)
    engine = Engine(Settings.resolve(corpus=corpus, index=args.index or CACHE / "fanout-index"))
    for _ in engine.prepare(refresh=not args.no_refresh):
        pass
    questions = claims(corpus)
    right = abstained = 0
    for question, gold in sorted(questions.items()):
        answer = engine.ask(question)
        if answer.abstained:
            abstained += 1
            ok = False
        elif answer.short_answer:
            ok = bare(answer.short_answer) == bare(gold)
        else:
            ok = bool(answer.citations) and bare(answer.citations[0].title) == bare(gold)
        right += ok
        if args.verbose and not ok:
            print(f"{question} | gold {gold} | {'ABSTAINED' if answer.abstained else answer.short_answer or ''} | "
                  f"{answer.text[:120]!r}")
    n = len(questions)
    print(f"{n} questions: right {right}/{n}, abstained {abstained}, wrong {n - right - abstained}")


if __name__ == "__main__":
    main()
