"""Which fusion of dense and BM25 scores ranks the right document first? One run, same index.

    python bench/fusion.py [--docs 2000] [--questions 400]

Queries are the articles' short Wikipedia descriptions; the gold document is the article itself.
Prints recall@1, recall@5 and MRR@10 (by document) for each fusion in `qa.retrieval.FUSIONS`.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import materialise, summaries  # noqa: E402
from qa import retrieval  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.engine import Engine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--questions", type=int, default=400)
    args = parser.parse_args()
    corpus = materialise(args.docs)
    data = summaries()
    keys = sorted(data)[: args.docs]
    pairs = [(data[k]["description"], re.sub(r"[^A-Za-z0-9._-]+", "_", k)[:120] + ".txt")
             for k in keys if data[k].get("description") and data[k].get("extract")]
    pairs = pairs[:: max(1, len(pairs) // args.questions)][: args.questions]
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(Settings(corpus=corpus, index=Path(tmp) / "idx"))
        for _ in engine.prepare():
            pass
        snap = engine.snapshot
        qvecs = engine.embedder.embed_documents([q for q, _ in pairs])
        print(f"{len(pairs)} description queries over {snap.manifest.documents} documents")
        print(f"{'fusion':10} {'R@1':>6} {'R@5':>6} {'MRR@10':>7}")
        for name in retrieval.FUSIONS:
            r1 = r5 = mrr = 0.0
            for (question, gold), qvec in zip(pairs, qvecs, strict=True):
                hits = retrieval.retrieve(snap, qvec, question, 30, fusion=name)
                docs: list[str] = []
                for h in hits:
                    src = snap.document(snap.chunk(h.chunk_id).doc_id).source
                    if src not in docs:
                        docs.append(src)
                if gold in docs[:1]:
                    r1 += 1
                if gold in docs[:5]:
                    r5 += 1
                if gold in docs[:10]:
                    mrr += 1 / (docs.index(gold) + 1)
            n = len(pairs)
            print(f"{name:10} {r1 / n:6.3f} {r5 / n:6.3f} {mrr / n:7.3f}")
        engine.close()


if __name__ == "__main__":
    main()
