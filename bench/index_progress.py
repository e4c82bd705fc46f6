"""What a person sees while `qa index` runs: when the first line comes, how often progress moves, how much the
estimate of the time left moves.

    python bench/index_progress.py [--corpus DIR] [--docs 1000] [--precision auto]

Runs `qa index --rebuild` in a fresh process with stderr piped (as in a log), timing each line from the
start of the process; then the same build in this process, timing every Progress event and computing the
estimate the CLI shows (qa/events.py Estimate): the largest gap between two steps of a stage, and, once a
tenth of the embedding is done, how far the predicted finish (now + time left) moves, as a share of the
stage's length (the target is under 20%).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import materialise  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def log_lines(corpus: Path, index: Path, env: dict[str, str]) -> None:
    cmd = [sys.executable, "-c", "import sys; from tui.cli import main; sys.argv[0] = 'qa'; main()",
           "index", "--rebuild", "--corpus", str(corpus), "--index", str(index)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd="/")
    assert proc.stderr is not None
    seen = [(time.perf_counter() - t0, line.rstrip()) for line in proc.stderr]
    proc.wait()
    silence = max(b[0] - a[0] for a, b in zip(seen, seen[1:], strict=False))
    print(f"qa index in a log: first line after {seen[0][0]:.2f} s ({seen[0][1]!r}); {len(seen)} lines in "
          f"{time.perf_counter() - t0:.1f} s; longest silence {silence:.1f} s")
    for t, line in seen:
        print(f"  {t:7.2f} s  {line}")


def in_process(corpus: Path, index: Path, precision: str) -> None:
    from index.build import Progress, build
    from index.embedding import load_embedder
    from index.storage.local import IndexDir
    from qa.events import Estimate

    embedder = load_embedder("minilm", precision)
    estimate = Estimate()
    t0 = time.perf_counter()
    last: dict[str, float] = {}
    gaps: dict[str, float] = {}
    finishes: list[float] = []
    start_embedding = None
    for event in build(corpus, IndexDir(index), embedder, rebuild=True):
        now = time.perf_counter() - t0
        if not isinstance(event, Progress):
            continue
        if event.stage in last and event.done > 1:
            gaps[event.stage] = max(gaps.get(event.stage, 0.0), now - last[event.stage])
        last[event.stage] = now
        left = estimate.update(event, now)
        if event.stage == "embedding":
            start_embedding = now if start_embedding is None else start_embedding
            if left is not None and event.done >= event.total / 10:
                finishes.append(now + left)
    length = last["embedding"] - (start_embedding or 0.0)
    drift = max(abs(b - a) for a, b in zip(finishes, finishes[1:], strict=False)) if len(finishes) > 1 else 0.0
    print(f"in process ({embedder.document_encoder}): first event {0:.2f} s; longest gap between steps: "
          + ", ".join(f"{k} {v:.2f} s" for k, v in gaps.items()))
    print(f"  embedding took {length:.1f} s; after the first tenth the predicted finish moved at most {drift:.1f} s "
          f"between steps ({100 * drift / length:.1f}%), {abs(finishes[-1] - finishes[0]):.1f} s in all "
          f"({100 * abs(finishes[-1] - finishes[0]) / length:.1f}%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--precision", default="auto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        corpus = args.corpus
        if corpus is None:
            corpus = tmp / "corpus"
            corpus.mkdir()
            for f in sorted(materialise().glob("*.txt"))[: args.docs]:
                shutil.copy(f, corpus / f.name)
        env = dict(os.environ, PYTHONPATH=str(REPO), QA_PRECISION=args.precision, QA_EMBEDDER="minilm")
        log_lines(corpus, tmp / "idx-log", env)
        in_process(corpus, tmp / "idx", args.precision)


if __name__ == "__main__":
    main()
