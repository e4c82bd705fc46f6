"""Warm answer latency (question -> verified Answer, in process) on a corpus of a few thousand documents.

    python bench/latency.py [--docs 10033] [--questions 300]

Questions are the articles' short Wikipedia descriptions ("1968 film by Stanley Kubrick"). The index is
built (or refreshed) first in bench/.cache and the engine prepared; then every question is asked once
and timed, with the default settings (top 5 passages).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import article_keys, index_dir, materialise, summaries  # noqa: E402
from index.builder import ChunkingParams  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.engine import Engine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=10033)
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    corpus = materialise(args.docs)
    data = summaries()
    keys = article_keys(args.docs)
    described = [data[k]["description"] for k in keys if data[k].get("description")]
    questions = described[:: max(1, args.docs // args.questions)][: args.questions]
    engine = Engine(Settings(corpus=corpus, index=index_dir(corpus, ChunkingParams())))
    for _ in engine.prepare():
        pass
    engine.ask("warm-up question")
    times = []
    abstained = 0
    for q in questions:
        t0 = time.perf_counter()
        answer = engine.ask(q)
        times.append((time.perf_counter() - t0) * 1000)
        abstained += answer.abstained
    engine.close()
    times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(f"corpus: {args.docs} documents; {len(times)} questions ({abstained} abstained)")
    print(f"warm answer latency: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms")


if __name__ == "__main__":
    main()
