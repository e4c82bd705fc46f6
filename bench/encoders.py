"""Document encoders compared in one run: speed, agreement with the question encoder, and retrieval.

    python bench/encoders.py speed [--docs 600] [--rounds 2]     # chunk passes: int8 vs bf16 vs fp32 torch
    python bench/encoders.py agree [--docs 2000]                 # cosines between the encoders' vectors
    python bench/encoders.py wiki [--precisions bf16 int8]       # natural questions over 10,033 summaries
    python bench/encoders.py docs-eval [--precisions bf16 int8]  # ../shared/docs-eval answers
    python bench/encoders.py lanes [--docs 1000] [--rounds 3]    # how the int8 graph is run

`speed` embeds the same chunk texts (title + summary, what the indexer embeds) with each encoder in turn,
alternating, `--rounds` times, and prints each one's best time and its ratio to bf16 (the machine is noisy:
ratios within one run only). `agree` prints, on the same texts, the cosine between int8 and fp32 (torch)
document vectors, and between int8 documents and the fp32 ONNX question encoder's vectors of the same
texts: what retrieval compares. `wiki` builds an index per precision (same chunking, same everything else)
and prints R@1, R@5 and MRR@10 of the 271 natural questions of ../shared/wiki-questions.jsonl and of the
first 2,000 description questions. `docs-eval` indexes the two R manuals and 25 Python pages with each
precision and answers the 120 questions through Engine.ask, scored as score.py scores them.

`lanes` runs the int8 graph over the same texts three ways, alternating, `--rounds` times: passes of 1,024
tokens one at a time on every core, with onnxruntime's SkipLayerNormalization fusion (the build before
lanes) and without it, and passes of 512 tokens two at a time, one core each (what a build does now); then
it prints each onnxruntime kernel's share of one pass-at-a-time run with and without that fusion.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import materialise  # noqa: E402
from index.embedding.minilm import MiniLMEmbedder  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def _texts(docs: int) -> list[str]:
    from index.build.builder import embedding_text

    out = []
    for f in sorted(materialise().glob("*.txt"))[:docs]:
        title, _, body = f.read_text(encoding="utf-8").partition("\n")
        out.append(embedding_text(title, body.strip()))
    return out


def speed(docs: int, rounds: int) -> None:
    texts = _texts(docs)
    spans = [[(0, min(len(t), 80))] for t in texts]
    encoders = {p: MiniLMEmbedder(precision=p) for p in ("int8", "bf16", "fp32")}
    for e in encoders.values():
        e.embed_chunks(texts[:8], spans[:8])  # load, and write the int8 graph if missing
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, e in encoders.items():
            t0 = time.perf_counter()
            e.embed_chunks(texts, spans)
            best[name] = min(best.get(name, 1e9), time.perf_counter() - t0)
    tokens = sum(encoders["int8"].count_tokens(texts))
    for name, s in best.items():
        print(f"{name:5} ({encoders[name].document_encoder}): {s:6.1f} s, {len(texts) / s:6.1f} chunks/s, "
              f"{tokens / s:7.0f} tokens/s, bf16/{name} {best['bf16'] / s:.2f}x")


def agree(docs: int) -> None:
    from index.embedding.onnx import OnnxEncoder

    texts = _texts(docs)
    spans = [[(0, min(len(t), 80))] for t in texts]
    int8, _ = MiniLMEmbedder(precision="int8").embed_chunks(texts, spans)
    bf16, _ = MiniLMEmbedder(precision="bf16").embed_chunks(texts, spans)
    fp32 = MiniLMEmbedder(precision="fp32")
    exact, _ = fp32.embed_chunks(texts, spans)
    fp32.prepare_query_encoder()
    onnx = OnnxEncoder(fp32.model_dir, fp32.onnx_path)
    questions = np.concatenate([onnx.embed_documents(texts[i : i + 32]) for i in range(0, len(texts), 32)])
    for label, a, b in (("int8 docs vs fp32 torch docs", int8, exact), ("bf16 docs vs fp32 torch docs", bf16, exact),
                        ("int8 docs vs fp32 ONNX question encoder", int8, questions),
                        ("bf16 docs vs fp32 ONNX question encoder", bf16, questions)):
        c = np.sum(a * b, axis=1)
        print(f"{label:42}: mean {c.mean():.4f}, p1 {np.percentile(c, 1):.4f}, min {c.min():.4f} ({len(c)} texts)")


def _engine(corpus: Path, index: Path, precision: str):  # type: ignore[no-untyped-def]
    from qa.config import Settings
    from qa.engine import Engine

    settings = dataclasses.replace(Settings.resolve(corpus=corpus, index=index), precision=precision)
    engine = Engine(settings)
    t0 = time.perf_counter()
    for _ in engine.reindex(rebuild=True):
        pass
    return engine, time.perf_counter() - t0


def wiki(precisions: list[str], natural: Path) -> None:
    from bench.quality import _Searcher, description_questions, natural_questions, row_of
    from qa.evaluate import evaluate

    corpus = materialise()
    sets = {"natural": natural_questions(natural, corpus), "descriptions": description_questions(None)[:2000]}
    with tempfile.TemporaryDirectory() as tmp:
        for p in precisions:
            engine, seconds = _engine(corpus, Path(tmp) / p, p)
            for label, questions in sets.items():
                row = row_of(evaluate(_Searcher(engine), corpus, questions))
                print(f"{p} ({engine.embedder.document_encoder}, built in {seconds:.0f} s), {len(questions)} {label}: "
                      + "  ".join(f"{k} {v:.3f}" for k, v in row.items()), flush=True)
            engine.close()


def docs_eval(precisions: list[str]) -> None:
    from bench.answers import docs_eval_corpus, right

    corpus = docs_eval_corpus()
    questions = [json.loads(line) for line in (SHARED / "docs-eval" / "questions.jsonl").open(encoding="utf-8")]
    with tempfile.TemporaryDirectory() as tmp:
        for p in precisions:
            engine, seconds = _engine(corpus, Path(tmp) / p, p)
            answers = {q["id"]: engine.ask(q["question"]) for q in questions}
            ok = sum(right(q, answers[q["id"]]) for q in questions if not q.get("abstain"))
            refused = sum(answers[q["id"]].abstained for q in questions if q.get("abstain"))
            print(f"{p} ({engine.embedder.document_encoder}, built in {seconds:.0f} s): answerable right {ok}/"
                  f"{sum(not q.get('abstain') for q in questions)}, refused {refused}/"
                  f"{sum(bool(q.get('abstain')) for q in questions)}", flush=True)
            engine.close()


def lanes(docs: int, rounds: int) -> None:
    import collections
    import os

    import onnxruntime as ort

    from index.embedding.int8 import UNFUSED, OnnxNetwork, int8_path
    from index.embedding.minilm import INT8_PASS_TOKENS, TOKEN_BUDGET, batches
    from index.threads import Lanes

    embedder = MiniLMEmbedder(precision="int8")
    embedder.load()  # writes the int8 graph if missing
    path = int8_path(embedder.onnx_path)
    encodings = embedder._tokenizer_with_offsets.encode_batch(_texts(docs))
    lengths = [len(e.ids) for e in encodings]
    cores = os.cpu_count() or 1

    def session(threads: int, unfused: list[str], profile: str = "") -> OnnxNetwork:
        net = OnnxNetwork.__new__(OnnxNetwork)
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.log_severity_level = threads, 3
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if profile:
            options.enable_profiling, options.profile_file_prefix = True, profile
        net.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"],
                                           disabled_optimizers=unfused)
        return net

    ways = {
        "1,024-token passes in turn, fused SkipLayerNorm": (session(cores, []), TOKEN_BUDGET, Lanes(1)),
        "1,024-token passes in turn, unfused": (session(cores, UNFUSED), TOKEN_BUDGET, Lanes(1)),
        "512-token passes, two lanes of one core (a build now)": (session(max(1, cores // 2), UNFUSED),
                                                                   INT8_PASS_TOKENS, Lanes(2)),
    }
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, (net, budget, lane) in ways.items():
            groups = batches(lengths, 64, budget)
            t0 = time.perf_counter()
            lane.map(lambda g, net=net: embedder._hidden(net, encodings, g).shape, groups)
            best[name] = min(best.get(name, 1e9), time.perf_counter() - t0)
    print(f"{len(encodings)} texts, {sum(lengths)} tokens, {cores} cores, best of {rounds}:")
    for name, seconds in best.items():
        print(f"  {seconds:6.2f} s  {name}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, unfused in (("fused", []), ("unfused", UNFUSED)):
            net = session(cores, unfused, profile=str(Path(tmp) / label))
            for g in batches(lengths, 64, TOKEN_BUDGET):
                embedder._hidden(net, encodings, g)
            kernels: collections.Counter[str] = collections.Counter()
            for event in json.loads(Path(net.session.end_profiling()).read_text(encoding="utf-8")):
                if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
                    kernels[event["args"]["op_name"]] += event["dur"]
            total = sum(kernels.values())
            print(f"kernel time, {label}: {total / 1e6:.2f} s; " +
                  ", ".join(f"{op} {100 * us / total:.0f}%" for op, us in kernels.most_common(6)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("speed", "agree", "wiki", "docs-eval", "lanes"))
    parser.add_argument("--docs", type=int, default=None, help="600 for speed and agree, 1000 for lanes")
    parser.add_argument("--rounds", type=int, default=None, help="2 for speed, 3 for lanes")
    parser.add_argument("--precisions", nargs="+", default=["bf16", "int8"])
    parser.add_argument("--natural", type=Path, default=SHARED / "wiki-questions.jsonl")
    args = parser.parse_args()
    if args.what == "speed":
        speed(args.docs or 600, args.rounds or 2)
    elif args.what == "agree":
        agree(args.docs or 600)
    elif args.what == "wiki":
        wiki(args.precisions, args.natural)
    elif args.what == "lanes":
        lanes(args.docs or 1000, args.rounds or 3)
    else:
        docs_eval(args.precisions)


if __name__ == "__main__":
    main()
