"""The Milvus backend beside the local store, same corpus, same run: build time, retrieval quality, warm latency.

    python bench/milvus_compare.py [--docs 10033] [--descriptions 2000] [--latency 200] [--natural FILE]

Both indexes are built in bench/.cache/milvus-bench/ (the local one in a folder, the Milvus one in a Milvus
Lite file) from the wiki corpus (bench/wiki_corpus.py), chunk vectors from the embedding cache
(bench/embed_cache.py). Quality: Engine.search over the natural questions and a sample of the description
questions (bench/quality.py), R@1/R@10/MRR@10 for each store, and how often the two top-10 rankings are
identical. Latency: Engine.ask with the cache off (the question embedded by the model), each question asked
of both stores back to back, the order alternating, so both see the same machine load.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.embed_cache import CachingEmbedder  # noqa: E402
from bench.quality import NATURAL, _Searcher, description_questions, natural_questions  # noqa: E402
from bench.wiki_corpus import CACHE, materialise  # noqa: E402
from index.embedding.minilm import MiniLMEmbedder  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.engine import Engine  # noqa: E402
from qa.evaluate import evaluate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10033)
    parser.add_argument("--descriptions", type=int, default=2000, help="Description questions (evenly sampled).")
    parser.add_argument("--latency", type=int, default=200, help="Questions timed through Engine.ask.")
    parser.add_argument("--natural", type=Path, default=NATURAL)
    parser.add_argument("--keep", action="store_true", help="Reuse the indexes of a previous run.")
    args = parser.parse_args()
    corpus = materialise(args.docs if args.docs != 10033 else None)
    root = CACHE / "milvus-bench"
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    inner = MiniLMEmbedder()
    cache = CachingEmbedder(inner, CACHE / "embeddings.sqlite")
    stores = {"local": None, "milvus": f"milvus://{root}/wiki.db"}
    engines: dict[str, Engine] = {}
    for name, spec in stores.items():
        t0 = time.perf_counter()
        eng = Engine(Settings(corpus=corpus, index=root / "local", top_k=10, store=spec), embedder=cache)
        for _ in eng.prepare():
            pass
        engines[name] = eng
        print(f"{name}: index ready in {time.perf_counter() - t0:.1f} s "
              f"({eng.stats()[0]} documents, {eng.stats()[1]} chunks)", flush=True)

    sets = {}
    if args.natural.is_file():
        sets["natural"] = natural_questions(args.natural, corpus)
    described = description_questions(args.docs if args.docs != 10033 else None)
    sets["descriptions"] = described[:: max(1, len(described) // args.descriptions)][: args.descriptions]
    for label, questions in sets.items():
        rankings = {}
        for name, eng in engines.items():
            t0 = time.perf_counter()
            report = evaluate(_Searcher(eng), corpus, questions)
            rankings[name] = [tuple(p.source for p in eng.search(q.question, top_k=10)) for q in questions[:300]]
            print(f"{label} ({len(questions)}), {name}: R@1 {report.recall_at_1:.4f}  R@10 {report.recall_at_10:.4f}  "
                  f"MRR@10 {report.mrr_at_10:.4f}  ({time.perf_counter() - t0:.0f} s)", flush=True)
        same = sum(a == b for a, b in zip(rankings["local"], rankings["milvus"], strict=True))
        print(f"{label}: identical top-10 source rankings in {same} of {len(rankings['local'])} questions", flush=True)

    cache.enabled = False
    questions = [q.question for q in sets["descriptions"]][: args.latency]
    times: dict[str, list[float]] = {name: [] for name in engines}
    for eng in engines.values():
        eng.ask("warm-up question")
    for n, q in enumerate(questions):
        for name in (list(engines) if n % 2 == 0 else list(engines)[::-1]):
            t0 = time.perf_counter()
            engines[name].ask(q)
            times[name].append((time.perf_counter() - t0) * 1000)

    def pct(xs: list[float], q: float) -> float:
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(q * len(xs)))]

    for name, xs in times.items():
        print(f"warm answer latency, {name}: p50 {statistics.median(xs):.1f} ms, p95 {pct(xs, 0.95):.1f} ms "
              f"({len(xs)} questions)")
    ratio = statistics.median(times["milvus"]) / statistics.median(times["local"])
    print(f"milvus / local p50: {ratio:.2f}x")
    for eng in engines.values():
        eng.close()


if __name__ == "__main__":
    main()
