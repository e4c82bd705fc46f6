"""Scale: 1,000,000 synthetic 384-d vectors (and texts for the keyword side) through the real stores.

    python bench/scale.py [--n 1000000] [--queries 300] [--noise 1.5]
    python bench/scale.py --anchors wiki [--spread 0.7]
    python bench/scale.py --milvus [--n 100000]       # also through Milvus Lite (insert rate, p50, recall)

Vectors are a mixture of 2,000 Gaussian clusters (spread --noise around unit-variance centres),
normalised (uniform random vectors have no neighbours worth finding); queries are new points of the
mixture. Texts are 30 words drawn from a Zipf-distributed 50,000-word vocabulary. The index is
written with index.storage.local.vectors.write_vectors (which picks IVF-SQ8 at this size and tunes nprobe) and
index.storage.local.bm25.write_keyword_index. Queries run in a fresh process that only opens the index, so
its peak RSS is what answering costs. Recall@10 is against exact search over all vectors.

With --anchors wiki the vectors are instead scattered around the real chunk vectors of the 10k-summary
benchmark index (each point at cosine ~--spread to its chunk), so the space between them has the shape
the model gives real text, and the queries are real description questions embedded by the model.

How hard the neighbourhoods are is printed as the mean cosine of each query's 1st, 10th and 100th exact
neighbour. When the 10,033-summary benchmark index exists (built by bench/quality.py or
bench/latency.py) the same profile is printed for real description questions over real chunk vectors,
so the synthetic set can be compared with what the model produces. The smaller the gap between the 10th
and the 100th neighbour, the more an approximate index must scan to keep recall.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUERY_SCRIPT = r"""
def peak_rss_mb():
    # VmHWM starts afresh at exec; getrusage's ru_maxrss would include the parent's peak before fork.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

import json, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, sys.argv[2])
from index.storage.local.vectors import VectorStore
from index.storage.local.bm25 import KeywordIndex
folder = Path(sys.argv[1])
t0 = time.perf_counter()
store = VectorStore(folder)
keywords = KeywordIndex(folder / "bm25")
queries = np.load(folder / "queries.npy")
terms = json.loads((folder / "query_terms.json").read_text())
store.search(queries[0], 10)  # opens faiss
open_s = time.perf_counter() - t0
open_rss = peak_rss_mb()
dense, hybrid, full, found, same = [], [], [], [], 0
for q, words in zip(queries, terms):
    t = time.perf_counter()
    ids, _ = store.search(q, 10)
    dense.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    ids50, _ = store.search(q, 50)
    kw_ids, kw_scores = keywords.top(words, 50)  # what retrieval does
    hybrid.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    s = keywords.scores(words)  # summing every posting list, for comparison
    best = np.sort(s[np.argpartition(-s, 50)[:50]])[::-1]
    full.append((time.perf_counter() - t) * 1000)
    same += bool(np.allclose(kw_scores, best[: len(kw_scores)], rtol=1e-5))
    found.append([int(i) for i in ids])
rss = peak_rss_mb()
print(json.dumps({"open_rss_mb": open_rss, "open_s": open_s, "dense_ms": dense, "hybrid_ms": hybrid,
                  "full_ms": full, "same": same, "found": found, "rss_mb": rss}))
"""


MILVUS_SCRIPT = r"""
def peak_rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

import json, sys, time
from pathlib import Path
import numpy as np
from pymilvus import DataType, MilvusClient
folder = Path(sys.argv[1])
sys.path.insert(0, sys.argv[2])
data = np.load(folder / "data.npy", mmap_mode="r")
queries = np.load(folder / "queries.npy")
client = MilvusClient(str(folder / "scale.db"))
schema = client.create_schema(auto_id=False)
schema.add_field("id", DataType.INT64, is_primary=True)
schema.add_field("doc_id", DataType.INT64)
schema.add_field("vector", DataType.FLOAT_VECTOR, dim=data.shape[1])
client.create_collection("chunks", schema=schema)  # as index/storage/milvus/writer.py: the index comes after the rows
t0 = time.perf_counter()
for start in range(0, len(data), 2000):
    block = np.asarray(data[start : start + 2000])
    client.insert("chunks", [{"id": start + k, "doc_id": (start + k) // 4, "vector": v}
                             for k, v in enumerate(block.tolist())])
client.flush("chunks")
insert_s = time.perf_counter() - t0
insert_rss = peak_rss_mb()
from index.storage.milvus.schema import HNSW_EF, create_index
from index.types import EXACT_LIMIT
t0 = time.perf_counter()
search = {"metric_type": "IP"}
if len(data) >= EXACT_LIMIT:  # what MilvusWriter._index_chunks does at publish
    search["params"] = {"ef": HNSW_EF}
create_index(client, "chunks", "HNSW" if len(data) >= EXACT_LIMIT else "FLAT")
client.load_collection("chunks")
index_s = time.perf_counter() - t0
client.search("chunks", [queries[0].tolist()], anns_field="vector", limit=10, search_params={"metric_type": "IP"})
dense, filtered, found = [], [], []
for q in queries:
    t = time.perf_counter()
    hits = client.search("chunks", [q.tolist()], anns_field="vector", limit=10, search_params=search)[0]
    dense.append((time.perf_counter() - t) * 1000)
    found.append([int(h["id"]) for h in hits])
for q in queries[:50]:  # a where filter as the backend sends it: 1,000 allowed documents
    t = time.perf_counter()
    client.search("chunks", [q.tolist()], anns_field="vector", limit=10,
                  filter=f"doc_id in {list(range(0, 100_000, 100))}", search_params=search)
    filtered.append((time.perf_counter() - t) * 1000)
print(json.dumps({"insert_s": insert_s, "insert_rss_mb": insert_rss, "index_s": index_s, "index": search,
                  "dense_ms": dense, "filtered_ms": filtered,
                  "found": found, "rss_mb": peak_rss_mb()}))
"""


def milvus_scale(folder: Path, data: np.ndarray, truth: np.ndarray) -> None:
    """Insert the vectors into a Milvus Lite collection the way the Milvus backend does (no index while
    inserting; then FLAT, or HNSW from EXACT_LIMIT rows on), in a fresh
    process (Milvus Lite runs inside it, so its peak RSS is the engine's too), then query it."""
    np.save(folder / "data.npy", data)
    root = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run([sys.executable, "-c", MILVUS_SCRIPT, str(folder), root], capture_output=True, text=True)
    if out.returncode != 0:
        print(f"milvus lite failed: {out.stderr[-2000:]}")
        return
    r = json.loads(out.stdout.strip().splitlines()[-1])
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(r["found"], truth, strict=True)])
    dense, filtered = sorted(r["dense_ms"]), sorted(r["filtered_ms"])
    p = lambda xs, q: xs[min(len(xs) - 1, int(q * len(xs)))]  # noqa: E731
    print(f"milvus lite: inserted {len(data):,} vectors in {r['insert_s']:.1f} s ({len(data) / r['insert_s']:,.0f} "
          f"rows/s), peak RSS while inserting {r['insert_rss_mb']:.0f} MB")
    print(f"milvus lite: search index {r['index']}, built in {r['index_s']:.1f} s after the inserts")
    print(f"milvus lite dense query: p50 {p(dense, 0.5):.1f} ms, p95 {p(dense, 0.95):.1f} ms; recall@10 vs "
          f"exact {recall:.3f}; with a 1,000-document filter p50 {p(filtered, 0.5):.1f} ms; "
          f"peak RSS {r['rss_mb']:.0f} MB")


def profile(scores: np.ndarray) -> str:
    """Mean cosine of the 1st, 10th and 100th neighbour, from each query's sorted top scores."""
    return " / ".join(f"{scores[:, i].mean():.3f}" for i in (0, 9, 99))


def wiki_vectors(queries: int = 300) -> tuple[np.ndarray, np.ndarray] | None:
    """(chunk vectors, description-question vectors) of the 10k-summary benchmark index, if it is built."""
    from bench.wiki_corpus import CACHE, index_dir
    from index.types import ChunkingParams

    folder = index_dir(CACHE / "wiki-10033", ChunkingParams())
    current = folder / "CURRENT"
    if not current.is_file() or not (folder / current.read_text().strip() / "chunks.npy").is_file():
        return None
    from bench.quality import description_questions
    from index.embedding import MiniLMEmbedder

    matrix = np.load(folder / current.read_text().strip() / "chunks.npy")
    embedder = MiniLMEmbedder()
    q = np.stack([embedder.embed_query(x.question) for x in description_questions(None)[:queries]])
    return matrix, q.astype(np.float32)


def real_profile(wiki: tuple[np.ndarray, np.ndarray] | None) -> str | None:
    """The neighbour profile of real description questions over the real chunk vectors."""
    if wiki is None:
        return None
    matrix, q = wiki
    top = -np.sort(-(q @ matrix.T), axis=1)[:, :100]
    return f"{profile(top)} ({len(q)} description questions over {len(matrix):,} real chunk vectors)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="Keep the generated index folder.")
    parser.add_argument("--noise", type=float, default=1.5,
                        help="Spread around the cluster centres; larger is harder for approximate search.")
    parser.add_argument("--anchors", choices=("clusters", "wiki"), default="clusters",
                        help="wiki: points scattered around the 10,352 real chunk vectors of the 10k-summary "
                             "benchmark index, queried with real description questions.")
    parser.add_argument("--milvus", action="store_true",
                        help="Also insert the vectors into Milvus Lite as the Milvus backend does, and query it.")
    parser.add_argument("--spread", type=float, default=0.7,
                        help="With --anchors wiki: mean cosine of a point to its real chunk vector.")
    args = parser.parse_args()
    wiki = wiki_vectors(args.queries)
    if args.anchors == "wiki" and wiki is None:
        sys.exit("--anchors wiki needs the benchmark index: run bench/latency.py or bench/quality.py first")
    from index.storage.local.bm25 import write_keyword_index
    from index.storage.local.vectors import _exact_top, write_vectors

    rng = np.random.default_rng(0)
    dim, n = 384, args.n
    folder = Path(tempfile.mkdtemp(prefix="qa-scale-"))
    try:
        t0 = time.perf_counter()
        if args.anchors == "wiki":  # |c| = 1 and cos(c + g, c) = spread for g ~ N(0, sigma^2 I)
            centers, noise = wiki[0], math.sqrt((1 / args.spread**2 - 1) / dim)
        else:
            centers, noise = rng.normal(size=(2000, dim)).astype(np.float32), args.noise
        data = np.empty((n, dim), dtype=np.float32)
        for start in range(0, n, 100_000):
            m = min(100_000, n - start)
            block = centers[rng.integers(0, len(centers), m)] + noise * rng.normal(size=(m, dim)).astype(np.float32)
            data[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
        vocab = np.array([f"w{i}" for i in range(50_000)])
        ranks = (rng.zipf(1.2, size=(n, 30)) - 1) % 50_000  # the rare tail spread, not piled on one word
        texts = [list(vocab[r]) for r in ranks]
        print(f"generated {n:,} vectors and texts in {time.perf_counter() - t0:.1f} s", flush=True)

        t0 = time.perf_counter()
        params = write_vectors(folder, data)
        vec_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_keyword_index(folder / "bm25", texts)
        kw_s = time.perf_counter() - t0
        print(f"vector index: {params.kind}, nprobe {params.nprobe} (tuned recall@10 {params.tuned_recall:.3f}),"
              f" built in {vec_s:.1f} s; keyword index built in {kw_s:.1f} s", flush=True)

        picks = rng.choice(n, args.queries, replace=False)  # their texts give the keyword queries
        if args.anchors == "wiki":
            queries = wiki[1]
        else:  # new points of the mixture, not stored ones
            queries = centers[rng.integers(0, len(centers), args.queries)] + \
                noise * rng.normal(size=(args.queries, dim)).astype(np.float32)
            queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        np.save(folder / "queries.npy", queries)
        (folder / "query_terms.json").write_text(json.dumps([texts[i][:5] for i in picks]))
        top100 = _exact_top(data, queries, 100)
        truth = top100[:, :10]
        cosines = np.stack([data[np.sort(row)] @ q for row, q in zip(top100, queries, strict=True)])
        print(f"neighbour cosines 1st / 10th / 100th: {profile(-np.sort(-cosines, axis=1))} (these queries)")
        real = real_profile(wiki)
        if real:
            print(f"neighbour cosines 1st / 10th / 100th: {real}")
        if args.milvus:
            milvus_scale(folder, data, truth)
        del data, texts

        out = subprocess.run([sys.executable, "-c", QUERY_SCRIPT, str(folder), str(Path(__file__).parent.parent)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(r["found"], truth, strict=True)])
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
        vec_size = sum((folder / f).stat().st_size for f in ("chunks.npy", "chunks.faiss")) / 1e6
        dense, hybrid, full = sorted(r["dense_ms"]), sorted(r["hybrid_ms"]), sorted(r["full_ms"])
        p = lambda xs, q: xs[min(len(xs) - 1, int(q * len(xs)))]  # noqa: E731
        print(f"open (fresh process): {r['open_s']:.2f} s, RSS after opening {r['open_rss_mb']:.0f} MB")
        print(f"dense query: p50 {p(dense, 0.5):.2f} ms, p95 {p(dense, 0.95):.2f} ms; recall@10 vs exact {recall:.3f}")
        print(f"hybrid candidates (dense top 50 + BM25 top 50 of {n:,} texts): p50 {p(hybrid, 0.5):.2f} ms, "
              f"p95 {p(hybrid, 0.95):.2f} ms")
        print(f"  BM25 by summing every posting list instead: p50 {p(full, 0.5):.2f} ms, p95 {p(full, 0.95):.2f} ms;"
              f" same top-50 scores for {r['same']} of {len(full)} queries")
        print(f"on disk: {size:.0f} MB in all ({vec_size:.0f} MB vectors + faiss); query process peak RSS "
              f"{r['rss_mb']:.0f} MB")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept {folder}")


if __name__ == "__main__":
    main()
