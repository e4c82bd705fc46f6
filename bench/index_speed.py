"""Indexing speed: our indexer vs a raw SentenceTransformer.encode of the same chunk texts, one run.

    python bench/index_speed.py [--docs 2000]

Both sides use the same loaded model, batch size and texts (each chunk with its title, exactly what the
indexer embeds); the model load is excluded from both. Also times a no-op re-index (nothing changed).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import materialise  # noqa: E402
from index.builder import BuildSummary, build, embedding_text  # noqa: E402
from index.embedding import MiniLMEmbedder  # noqa: E402
from index.store import IndexDir  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=2000)
    args = parser.parse_args()
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
