"""Indexing with Ray (`qa index --ray`) vs without, same run, same corpus, the bundled model.

    python bench/ray_index.py [--docs 10033] [--corpus DIR] [--cpus 2]

Builds into temporary folders. Both builds run in this process with the model's files warm; the local
build's model load is excluded (it loads before the clock starts), the Ray build's is included (each actor
loads its own model; that is part of what --ray costs), and Ray's own start-up is timed apart. The local
build is profiled: the share of its wall time spent in the model (embed_chunks), from which the speed-up
per added worker follows (Amdahl: the rest stays on one process).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.build import BuildSummary, build  # noqa: E402
from index.embedding import MiniLMEmbedder  # noqa: E402
from index.storage.local import IndexDir  # noqa: E402

SHARED = Path("/work/main/bench/.cache/wiki-10033")


def corpus_of(source: Path, docs: int, tmp: Path) -> Path:
    """The first `docs` files of `source` (sorted), copied (the source stays read-only)."""
    files = sorted(source.glob("*.txt"))[:docs]
    if len(files) == len(list(source.glob("*.txt"))):
        return source
    out = tmp / f"corpus-{docs}"
    out.mkdir()
    for f in files:
        shutil.copy(f, out / f.name)
    return out


class Timed:
    """The embedder, with the time spent in its chunk passes added up."""

    def __init__(self, inner: MiniLMEmbedder) -> None:
        self.inner, self.seconds = inner, 0.0

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)

    def embed_chunks(self, texts, spans):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return self.inner.embed_chunks(texts, spans)
        finally:
            self.seconds += time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=10033)
    parser.add_argument("--corpus", type=Path, default=None, help="folder of .txt files [default: the wiki corpus]")
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if args.corpus is None:
        from bench.wiki_corpus import materialise

        args.corpus = SHARED if SHARED.is_dir() else materialise(args.docs)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        corpus = corpus_of(args.corpus, args.docs, tmp)
        embedder = MiniLMEmbedder()
        embedder.load()
        timed = Timed(embedder)
        t0 = time.perf_counter()
        local = [e for e in build(corpus, IndexDir(tmp / "local"), timed, rebuild=True)  # type: ignore[arg-type]
                 if isinstance(e, BuildSummary)][0]
        local_s = time.perf_counter() - t0
        share = timed.seconds / local_s

        import ray

        from index.build.ray import RayRunner

        t0 = time.perf_counter()
        runner = RayRunner(None, "minilm", embedder.precision, num_cpus=args.cpus)
        init_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        remote = [e for e in build(corpus, IndexDir(tmp / "ray"), embedder, rebuild=True, runner=runner)
                  if isinstance(e, BuildSummary)][0]
        ray_s = time.perf_counter() - t0
        workers = runner.workers
        runner.close()
        assert not ray.is_initialized()
        assert (remote.documents, remote.chunks) == (local.documents, local.chunks)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, precision {embedder.precision}")
    print(f"corpus: {local.documents} documents, {local.chunks} chunks")
    print(f"local build:          {local_s:8.1f} s  ({local.chunks / local_s:6.1f} chunks/s); "
          f"model (embed_chunks) {timed.seconds:.1f} s = {100 * share:.0f}% of it")
    print(f"ray build, {workers} workers: {ray_s:8.1f} s  ({local.chunks / ray_s:6.1f} chunks/s) "
          f"+ {init_s:.1f} s to start Ray")
    print(f"ratio ray/local: {ray_s / local_s:.2f} (build), {(ray_s + init_s) / local_s:.2f} (with Ray's start)")
    for n in (2, 4, 8):
        print(f"expected with {n} one-CPU workers on {n} free cores (Amdahl, embedding share {share:.2f}): "
              f"{1 / ((1 - share) + share / n):.2f}x the local build's speed")


if __name__ == "__main__":
    main()
