"""Peak RSS of `qa index` (local, no Ray) on synthetic corpora of growing size.

    python bench/index_memory.py [--sizes 10000 100000] [--embedder minilm|hash]

Each document is a title line and 3-6 sentences drawn (seeded) from the Wikipedia summaries, so a corpus
of any size has realistic sentences and lengths. Each size is indexed from scratch by the installed `qa`
in a fresh process; its peak RSS is the kernel's (ru_maxrss of that child). `--embedder hash` measures the
builder and writer alone (what grows with the corpus), without the model's constant share.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path("/work/main/bench/.cache/wiki-10033")


def sentences(source: Path) -> list[str]:
    out = []
    for f in sorted(source.glob("*.txt")):
        body = f.read_text(encoding="utf-8").split("\n", 2)[-1]
        out += [s.strip() for s in re.split(r"(?<=[.!?])\s+", body) if len(s.strip()) > 20]
    return out


def synthesise(pool: list[str], n: int, out: Path, seed: int = 0) -> None:
    rng = random.Random(seed)
    out.mkdir(parents=True)
    for i in range(n):
        folder = out / f"{i // 1000:03d}"  # 1,000 files per folder
        folder.mkdir(exist_ok=True)
        body = " ".join(rng.sample(pool, rng.randint(3, 6)))
        (folder / f"doc{i:06d}.txt").write_text(f"Synthetic document {i}\n\n{body}\n", encoding="utf-8")


def peak_rss(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one fresh child process."""
    wrapper = ("import resource, subprocess, sys, time\nt = time.perf_counter()\n"
               "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
               "assert rc == 0, rc\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, time.perf_counter() - t)\n")
    done = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True, text=True, env=env, check=True)
    mb, seconds = done.stdout.split()
    return float(mb), float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--embedder", default="minilm", choices=["minilm", "hash"])
    parser.add_argument("--source", type=Path, default=SHARED)
    args = parser.parse_args()
    assert resource  # the wrapper uses it in the child
    qa = str(Path(sys.executable).parent / "qa")
    pool = sentences(args.source)
    print(f"sentence pool: {len(pool)} sentences from {args.source}; embedder {args.embedder}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = dict(os.environ, QA_EMBEDDER=args.embedder, XDG_CACHE_HOME=str(tmp / "cache"))
        for n in args.sizes:
            corpus = tmp / f"synthetic-{n}"
            synthesise(pool, n, corpus)
            t0 = time.perf_counter()
            mb, seconds = peak_rss([qa, "index", "--corpus", str(corpus), "--index", str(tmp / f"idx-{n}")], env)
            rows.append((n, mb, seconds))
            print(f"{n:>8} documents: peak RSS {mb:7.1f} MB, {seconds:7.1f} s "
                  f"(with writing the corpus {time.perf_counter() - t0:.1f} s)", flush=True)
    if len(rows) >= 2:
        (n0, m0, _), (n1, m1, _) = rows[0], rows[-1]
        print(f"{n1 / n0:.0f}x the documents: {m1 / m0:.2f}x the peak RSS (+{m1 - m0:.0f} MB)")


if __name__ == "__main__":
    main()
