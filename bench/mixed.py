"""Answers on a newcomer's mixed corpus (bench/mixed_corpus.py: DOCX and PDF tables, meeting notes, Markdown
with code, a changelog, an API page, an HTML definition list, an EPUB policy, an FAQ).

    python bench/mixed.py [--set questions|probes|both] [--rebuild] [-v]

The corpus is written to bench/.cache/mixed and indexed in bench/.cache/mixed-index (both reused unless
--rebuild), then each question of bench/data/mixed-questions.jsonl (40: 30 to answer, 10 to refuse) and/or
bench/data/mixed-probes.jsonl (66 rephrasings) is asked through the engine with default settings.

An answerable question is right when one of its `any` strings is in the answer text (case and white space
ignored) and the first citation is from one of its `source` files; a question to refuse is right when the
answer abstains. The short answer (`Answer:` line) is reported apart: holding the expected value, another
value, or none. Every citation's quote is checked against its document's text.

The rules of this round's answers were written while looking at these questions' failures: they are a
regression guard for those classes, not a held-out measure.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

CORPUS = HERE / ".cache" / "mixed"
INDEX = HERE / ".cache" / "mixed-index"
SETS = {"questions": HERE / "data" / "mixed-questions.jsonl", "probes": HERE / "data" / "mixed-probes.jsonl"}


def norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip().lower()


def verdict(gold: dict, answer) -> str:  # type: ignore[no-untyped-def]
    if gold.get("abstain"):
        return "refused" if answer.abstained else "answered, should refuse"
    if answer.abstained:
        return "refused, should answer"
    sources = gold["source"] if isinstance(gold["source"], list) else [gold["source"]]
    found = any(norm(g) in norm(answer.text) for g in gold["any"])
    first = answer.citations[0].source if answer.citations else None
    if found and first in sources:
        return "right"
    return "right text, other file first" if found else "wrong"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=["questions", "probes", "both"], default="both")
    parser.add_argument("--rebuild", action="store_true", help="write the corpus and build its index again")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every question, not only the misses")
    args = parser.parse_args()

    from qa.config import Settings
    from qa.engine import Engine

    if args.rebuild or not CORPUS.exists():
        subprocess.run([sys.executable, str(HERE / "mixed_corpus.py"), str(CORPUS)], check=True,
                       capture_output=True)
        shutil.rmtree(INDEX, ignore_errors=True)
    engine = Engine(Settings.resolve(corpus=CORPUS, index=INDEX))
    for _ in engine.prepare():
        pass
    names = ["questions", "probes"] if args.set == "both" else [args.set]
    for name in names:
        questions = [json.loads(line) for line in SETS[name].read_text(encoding="utf-8").splitlines() if line]
        tally, shorts, quotes_wrong = Counter(), Counter(), 0
        for gold in questions:
            answer = engine.ask(gold["question"])
            outcome = verdict(gold, answer)
            tally[outcome] += 1
            for c in answer.citations:
                quotes_wrong += engine.document_text(c.source)[c.start : c.end] != c.quote
            if not gold.get("abstain") and not answer.abstained:
                short = answer.short_answer
                shorts["none" if not short else "expected" if any(
                    norm(g) in norm(short) or (len(norm(short)) > 3 and norm(short) in norm(g))
                    for g in gold["any"]) else "other value"] += 1
            if args.verbose or outcome not in ("right", "refused"):
                print(f"  {gold['id']:4} {outcome:30} {gold['question']}\n       -> {answer.text[:160]!r}")
        answerable = sum(not q.get("abstain") for q in questions)
        misses = {k: v for k, v in tally.items() if k not in ("right", "refused")}
        print(f"{name}: right {tally['right']}/{answerable}, refused {tally['refused']}/{len(questions) - answerable}; "
              f"misses {misses}; short answers {dict(shorts)}; quotes not the document's text: {quotes_wrong}")
    engine.close()


if __name__ == "__main__":
    main()
