"""Questions that need several documents: FanOutQA questions over the Wikipedia summaries.

    python bench/fanout.py [--limit N] [--top-k 10]

Questions: ../shared/fanout-questions.jsonl (136 FanOutQA questions whose evidence pages are mostly among
the 10,033 summaries `bench/wiki_corpus.py` builds; `evidence_files` are the summaries a complete answer
needs, `answer` FanOutQA's own answer for 61 of them). Figures, averaged over questions:
- evidence recall in citations: the share of `evidence_files` cited in the answer;
- evidence recall in the passages: the share among the top-k passages (`--top-k`, 10 by default);
  both also for the questions whose pages are all in the corpus and for those missing one (`missing_titles`:
  most often the list the question rests on, "List of largest cities", which no summary holds);
- questions with every evidence file cited;
- for the questions with an `answer`: the share of its values (strings and numbers, as written in the
  corpus, any of several spellings of a number) found in the answer text;
- warm latency p50 of a multi-part question and of the single-fact natural questions
  (../shared/wiki-questions.jsonl), same run: each question's fastest of `--passes` passes (3), the two
  kinds interleaved pass by pass; the first pass warms the engine.

More sets of the same kind, written blind by helpers who read the corpus but not corpus-qa's code (each 40
questions, with `kind`: set, list, comparison or conjunction, and the values as the summaries write them):
`--questions bench/data/fanout-heldout-questions.jsonl`, `...-blind2-...`, `...-blind3-...`, `...-blind4-...`
`...-blind5-...` (2026-12-08: written by a helper who read only the summaries, scored before any change
prompted by it) and `...-blind6-...` (2026-12-08, the same way; with a fifth kind, `mixed`: a place named by a
description another summary resolves). With `kind`, the citation recall is also given per kind.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import CACHE, materialise  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def value_forms(value: object) -> list[str]:
    """Ways a gold value may be written in an answer: the string itself; a number with and without
    thousands separators, and in millions ("8,804,190" also as "8.8 million")."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        n = float(value)
        forms = [f"{n:,.0f}", f"{n:.0f}"] if n == int(n) else [str(value)]
        if n >= 1_000_000:
            forms += [f"{n / 1e6:.1f} million", f"{n / 1e6:.0f} million", f"{n / 1e9:.1f} billion"]
        return forms
    return [str(value)]


def values_of(answer: object) -> list[object]:
    if isinstance(answer, dict):
        return [v for val in answer.values() for v in values_of(val)]
    if isinstance(answer, list):
        return [v for val in answer for v in values_of(val)]
    return [answer]


def main() -> None:
    from qa.config import Settings
    from qa.engine import Engine

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--passes", type=int, default=3, help="passes over the questions for the latency figures")
    parser.add_argument("--index", type=Path, default=None, help="an existing index of the wiki corpus")
    parser.add_argument("--no-refresh", action="store_true", help="answer from the index as it is")
    parser.add_argument("--questions", type=Path, default=SHARED / "fanout-questions.jsonl",
                        help="another file of the same kind (a held-out set)")
    args = parser.parse_args()
    corpus = materialise(None)
    index = args.index or CACHE / "fanout-index"
    engine = Engine(Settings.resolve(corpus=corpus, index=index))
    for _ in engine.prepare(refresh=not args.no_refresh):
        pass
    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    questions = questions[: args.limit]
    absent = sorted({f for q in questions for f in q["evidence_files"] if not (corpus / f).is_file()})
    if absent:  # scored as never found: say so rather than report a recall no answer could reach
        print(f"warning: {len(absent)} evidence files are not in {corpus}: {', '.join(absent[:5])}",
              file=sys.stderr)
    cited_recall, passage_recall, complete, value_share, latencies = [], [], 0, [], []
    by_kind: dict[str, list[float]] = {}
    by_reach: dict[str, list[tuple[float, float, bool]]] = {}
    for q in questions:
        started = time.perf_counter()
        answer = engine.ask(q["question"], top_k=args.top_k)
        latencies.append(time.perf_counter() - started)
        gold = set(q["evidence_files"])
        cited = {c.source for c in answer.citations}
        shown = {p.source for p in answer.passages[: args.top_k]}
        cited_recall.append(len(gold & cited) / len(gold))
        if "kind" in q:
            by_kind.setdefault(q["kind"], []).append(cited_recall[-1])
        # a question whose pages are not all in the corpus (most often the list it rests on: "List of
        # largest cities") can be answered only as far as the documents go
        whole = "every page in the corpus" if not q.get("missing_titles") else "a page missing"
        by_reach.setdefault(whole, []).append((cited_recall[-1], len(gold & shown) / len(gold), gold <= cited))
        passage_recall.append(len(gold & shown) / len(gold))
        complete += gold <= cited
        if q.get("answer") is not None:
            values = values_of(q["answer"])
            text = re.sub(r"\s+", " ", answer.text).lower()
            found = sum(any(form.lower() in text for form in value_forms(v)) for v in values)
            value_share.append(found / len(values) if values else 0.0)
    # Latency: each question's fastest of `--passes` passes, the multi-part and the single questions
    # interleaved pass by pass, so that both meet the same machine (2 noisy cores); p50 over questions.
    natural = (SHARED / "wiki-questions.jsonl").read_text().splitlines()[:100]
    singles = [json.loads(line)["question"] for line in natural]
    multi_best = latencies
    single_best = [float("inf")] * len(singles)
    for done in range(args.passes):
        for i, question in enumerate(singles):
            started = time.perf_counter()
            engine.ask(question)
            single_best[i] = min(single_best[i], time.perf_counter() - started)
        if done + 1 < args.passes:
            for i, q in enumerate(questions):
                started = time.perf_counter()
                engine.ask(q["question"], top_k=args.top_k)
                multi_best[i] = min(multi_best[i], time.perf_counter() - started)
    latencies, single = multi_best, single_best
    n = len(questions)
    print(f"{n} questions ({args.questions.name}), top-{args.top_k} passages")
    print(f"evidence recall in citations: {statistics.mean(cited_recall):.3f}")
    if by_kind:
        print("  by kind: " + ", ".join(f"{k} {statistics.mean(v):.3f} ({len(v)})" for k, v in sorted(by_kind.items())))
    print(f"evidence recall in the passages: {statistics.mean(passage_recall):.3f}")
    if len(by_reach) > 1:
        for reach, rows in sorted(by_reach.items()):
            print(f"  questions with {reach} ({len(rows)}): citations {statistics.mean(r[0] for r in rows):.3f}, "
                  f"passages {statistics.mean(r[1] for r in rows):.3f}, all cited {sum(r[2] for r in rows)}")
    print(f"questions with every evidence file cited: {complete}/{n} ({complete / n:.1%})")
    if value_share:
        print(f"answer values found in the answer text ({len(value_share)} questions): "
              f"{statistics.mean(value_share):.3f}")
    multi_p50, single_p50 = statistics.median(latencies), statistics.median(single)
    print(f"warm latency p50 (each question's fastest of {args.passes} passes): multi-part "
          f"{1000 * multi_p50:.1f} ms, single natural questions {1000 * single_p50:.1f} ms, "
          f"ratio {multi_p50 / single_p50:.2f}")


if __name__ == "__main__":
    main()
