"""Warm answer latency (question -> verified Answer, in process) on a corpus of a few thousand documents.

    python bench/latency.py [--docs 10033] [--questions 300] [--natural FILE] [--where FILTER]

Questions are the articles' short Wikipedia descriptions ("1968 film by Stanley Kubrick"), or with
`--natural` the shared natural questions (../shared/wiki-questions.jsonl), which name titles and ask for
typed answers, so the title and reader steps run too. The index is built (or refreshed) first in
bench/.cache and the engine prepared; then every question is asked once and timed, with the default
settings (top 5 passages). With `--where`, every question is also asked with that filter, right after
the unfiltered ask (so both see the same machine load), and both latencies are printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import article_keys, index_dir, materialise, summaries  # noqa: E402
from index.embedding import MiniLMEmbedder  # noqa: E402
from index.filters import parse_where  # noqa: E402
from index.types import ChunkingParams  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.engine import Engine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=10033)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--natural", type=Path, default=None, help="Ask these JSONL questions instead.")
    parser.add_argument("--where", default=None, help="Also ask each question with this filter, e.g. 'path:[a-m]*'.")
    args = parser.parse_args()
    corpus = materialise(args.docs)
    if args.natural:
        import json

        lines = args.natural.read_text(encoding="utf-8").splitlines()
        questions = [json.loads(line)["question"] for line in lines if line.strip()][: args.questions]
    else:
        data = summaries()
        keys = article_keys(args.docs)
        described = [data[k]["description"] for k in keys if data[k].get("description")]
        questions = described[:: max(1, args.docs // args.questions)][: args.questions]
    engine = Engine(Settings(corpus=corpus, index=index_dir(corpus, ChunkingParams())))
    for _ in engine.prepare():
        pass
    engine.ask("warm-up question")
    times = []
    filtered: list[float] = []
    abstained = 0
    if args.where:
        matching = len(engine.snapshot.documents_matching(parse_where(args.where)))
        engine.ask("warm-up question", where=args.where)
    for q in questions:
        t0 = time.perf_counter()
        answer = engine.ask(q)
        times.append((time.perf_counter() - t0) * 1000)
        abstained += answer.abstained
        if args.where:
            t0 = time.perf_counter()
            engine.ask(q, where=args.where)
            filtered.append((time.perf_counter() - t0) * 1000)
    vectors = np.asarray(engine.snapshot.vectors.vectors)
    engine.close()

    # The textbook way, same questions, same chunk vectors: sentence-transformers encode + FAISS flat.
    import faiss
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(MiniLMEmbedder().model_dir), device="cpu", local_files_only=True)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    model.encode(["warm-up"], normalize_embeddings=True)
    textbook = []
    for q in questions:
        t0 = time.perf_counter()
        flat.search(model.encode([q], normalize_embeddings=True), 5)
        textbook.append((time.perf_counter() - t0) * 1000)

    def p(xs: list[float], q: float) -> float:
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(q * len(xs)))]

    print(f"corpus: {args.docs} documents; {len(times)} questions ({abstained} abstained)")
    print(f"warm answer latency (question -> verified Answer): p50 {p(times, 0.5):.1f} ms, "
          f"p95 {p(times, 0.95):.1f} ms, max {max(times):.1f} ms")
    if args.where:
        print(f"  with --where {args.where!r} ({matching} of {args.docs} documents match): "
              f"p50 {p(filtered, 0.5):.1f} ms, p95 {p(filtered, 0.95):.1f} ms")
    print(f"textbook encode + FAISS flat search (no answer): p50 {p(textbook, 0.5):.1f} ms, "
          f"p95 {p(textbook, 0.95):.1f} ms")


if __name__ == "__main__":
    main()
