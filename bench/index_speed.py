"""Indexing speed: our indexer vs a raw SentenceTransformer.encode of the same chunk texts, one run.

    python bench/index_speed.py [--docs 2000]
    python bench/index_speed.py --end-to-end 1000 10033

Both sides use the same loaded model, batch size and texts (each chunk with its title, exactly what the
indexer embeds); the model load is excluded from both. Also times a no-op re-index (nothing changed).

`--end-to-end N...`: for each corpus size, the wall time of `qa index` (a fresh process: start-up, model
load, reading, chunking, embedding chunks and sentences, writing) beside the textbook pipeline as a fresh
process too (sentence-transformers encode of whole files, then a FAISS flat index written to disk), in the
same run, alternating. The question encoder `qa` exports once per model is exported before timing.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import materialise  # noqa: E402
from index.build import BuildSummary, build
from index.build.builder import embedding_text  # noqa: E402
from index.embedding import MiniLMEmbedder  # noqa: E402
from index.storage.local import IndexDir  # noqa: E402

SHARED = Path("/work/main/bench/.cache/wiki-10033")

TEXTBOOK = """
import sys
from pathlib import Path
import faiss
from index.embedding.minilm import MiniLMEmbedder
model = MiniLMEmbedder().sentence_transformer()
files = sorted(Path(sys.argv[1]).glob("*.txt"))
vectors = model.encode([f.read_text(encoding="utf-8") for f in files], batch_size=64,
                       normalize_embeddings=True, convert_to_numpy=True)
index = faiss.IndexFlatIP(vectors.shape[1])
index.add(vectors)
faiss.write_index(index, sys.argv[2])
"""


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def end_to_end(sizes: list[int]) -> None:
    source = SHARED if SHARED.is_dir() else materialise()
    files = sorted(source.glob("*.txt"))
    qa = str(Path(sys.executable).parent / "qa")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = dict(os.environ, XDG_CACHE_HOME=str(tmp / "cache"), QA_EMBEDDER="minilm")
        env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
        warm = tmp / "warm"
        warm.mkdir()
        shutil.copy(files[0], warm / files[0].name)
        _timed([qa, "index", "--corpus", str(warm), "--index", str(tmp / "warm-idx")], env)  # exports the encoder
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
        for n in sizes:
            corpus = source if n >= len(files) else tmp / f"c{n}"
            if corpus != source:
                corpus.mkdir()
                for f in files[:n]:
                    shutil.copy(f, corpus / f.name)
            ours = _timed([qa, "index", "--rebuild", "--corpus", str(corpus), "--index", str(tmp / f"i{n}")], env)
            textbook = _timed([sys.executable, "-c", TEXTBOOK, str(corpus), str(tmp / f"f{n}.faiss")], env)
            print(f"{min(n, len(files)):>6} documents: qa index {ours:7.1f} s, textbook {textbook:7.1f} s, "
                  f"qa/textbook {ours / textbook:.2f} (target <= {1 / 1.7:.2f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--end-to-end", type=int, nargs="+", default=None, metavar="N")
    args = parser.parse_args()
    if args.end_to_end:
        end_to_end(args.end_to_end)
        return
    corpus = materialise(args.docs)
    embedder = MiniLMEmbedder()
    embedder.load()
    with tempfile.TemporaryDirectory() as tmp:
        index = IndexDir(Path(tmp) / "idx")
        t0 = time.perf_counter()
        summary = [e for e in build(corpus, index, embedder, rebuild=True) if isinstance(e, BuildSummary)][0]
        ours = time.perf_counter() - t0

        snap = index.open(embedder)
        texts = []
        for doc_id, start, end in snap.conn.execute("SELECT doc_id, start, end FROM chunks ORDER BY id"):
            doc = snap.document(doc_id)
            texts.append(embedding_text(doc.title, doc.text[start:end]))
        snap.close()
        model = embedder.sentence_transformer()
        t0 = time.perf_counter()
        model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True, convert_to_numpy=True)
        raw = time.perf_counter() - t0

        t0 = time.perf_counter()
        noop = [e for e in build(corpus, index, embedder) if isinstance(e, BuildSummary)][0]
        noop_s = time.perf_counter() - t0
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"corpus: {summary.documents} documents, {summary.chunks} chunks")
    print(f"raw SentenceTransformer.encode: {raw:8.2f} s  ({len(texts) / raw:7.1f} chunks/s)")
    print(f"qa indexer (build, incl. I/O):  {ours:8.2f} s  ({summary.chunks / ours:7.1f} chunks/s)")
    print(f"ratio ours/raw: {ours / raw:.3f}  (overhead {100 * (ours / raw - 1):+.1f}%)")
    print(f"no-op re-index: {noop_s * 1000:.1f} ms (embedded {noop.embedded}, updated {noop.updated})")


if __name__ == "__main__":
    main()
