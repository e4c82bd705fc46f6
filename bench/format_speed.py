"""Indexing speed of text, PDF and HTML corpora without the model: what reading, chunking and writing cost
(the parts a change to the loaders, the scan or the index format touches), so a change there is seen
beside the noise of embedding.

    PYTHONPATH=TREE python bench/format_speed.py [--runs 3] [--trees TREE_A TREE_B]

Each corpus is indexed from scratch with the hash embedder (`QA_EMBEDDER=hash`: no model, vectors from
hashing) in a fresh process, `--runs` times; with `--trees`, the trees are alternated run by run (the same
machine load for both) and the medians printed side by side. The corpora: 2,000 Wikipedia summaries (.txt),
the four R manuals (PDF, 1,061 pages), the Python documentation's 498 HTML pages.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CACHE = Path("/work/main/bench/.cache")
CORPORA = {
    "text (2,000 .txt)": (CACHE / "wiki-10033", 2000),
    "pdf (4 R manuals)": (CACHE / "docs-r", None),
    "html (498 pages)": (CACHE / "docs-python", None),
}

RUN = """
import sys, time
from pathlib import Path
from index.build import BuildSummary, build
from index.embedding import HashEmbedder
from index.storage.local import IndexDir
t = time.perf_counter()
events = list(build(Path(sys.argv[1]), IndexDir(Path(sys.argv[2])), HashEmbedder()))
summary = events[-1]
assert isinstance(summary, BuildSummary)
print(time.perf_counter() - t, summary.documents, summary.chunks)
"""


def corpus_copy(source: Path, limit: int | None, into: Path) -> Path:
    """A corpus folder: the source itself, or a copy of its first `limit` files (links out of a corpus are not
    followed)."""
    if limit is None:
        return source
    into.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.txt"))[:limit]:
        target = into / path.name
        if not target.exists():
            shutil.copyfile(path, target)
    return into


def one_run(tree: Path, corpus: Path, scratch: Path) -> tuple[float, int, int]:
    idx = scratch / f"idx-{time.monotonic_ns()}"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", RUN, str(corpus), str(idx)], capture_output=True, text=True,
                         env=env)
    if out.returncode:
        sys.exit(f"the build failed:\n{out.stderr}")
    shutil.rmtree(idx, ignore_errors=True)
    seconds, docs, chunks = out.stdout.split()
    return float(seconds), int(docs), int(chunks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--trees", nargs="+", type=Path,
                        default=[Path(os.environ.get("PYTHONPATH", Path(__file__).resolve().parent.parent))])
    args = parser.parse_args()
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for name, (source, limit) in CORPORA.items():
            corpus = corpus_copy(source, limit, scratch / "corpus")
            for _ in range(args.runs):
                for tree in args.trees:
                    seconds, docs, chunks = one_run(tree, corpus, scratch)
                    results.setdefault(name, {}).setdefault(str(tree), []).append(seconds)
                    print(f"{name}  {tree}  {seconds:.2f} s  ({docs} documents, {chunks} chunks)", file=sys.stderr)
    print("| corpus | " + " | ".join(str(t) for t in args.trees) + " |")
    print("| --- |" + " ---: |" * len(args.trees))
    for name, by_tree in results.items():
        cells = [f"{statistics.median(v):.2f} s (min {min(v):.2f})" for v in by_tree.values()]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
