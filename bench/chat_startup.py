"""Start-up of `qa chat` on seeds/: time to first paint and to "ready to answer", in a real pseudo-terminal.

    python bench/chat_startup.py [--runs 3] [--corpus DIR]

The app, run with QA_CHAT_TIMINGS=FILE, appends the wall-clock time of its first paint and of the moment
the engine is ready. The script compares them with the moment it spawned the process, and with the
engine's own load time (a fresh process that imports the engine and runs Engine.prepare(), index
already built, timed from spawn like the chat), and reads the chat's resident memory once it is idle.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QA = shutil.which("qa") or str(Path(sys.executable).parent / "qa")
ENGINE_ONLY = (
    "from qa.config import Settings; from qa.engine import Engine\n"
    "e = Engine(Settings.resolve())\n"
    "for _ in e.prepare(): pass\n"
)


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_chat_run(extra: list[str]) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        timings = Path(tmp) / "t.txt"
        env = dict(os.environ, QA_CHAT_TIMINGS=str(timings), TERM="xterm-256color", COLUMNS="100", LINES="30")
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(QA, [QA, "chat", *extra], env)
        started = time.time()
        deadline = started + 120
        try:
            while time.time() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.05)
                if ready:
                    try:
                        os.read(fd, 65536)  # keep the terminal drained
                    except OSError:
                        break
                if timings.exists() and "ready" in timings.read_text():
                    break
            idle_until = time.time() + 2.0  # let it settle, then read its resident memory
            while time.time() < idle_until:
                if select.select([fd], [], [], 0.05)[0]:
                    try:
                        os.read(fd, 65536)
                    except OSError:
                        break
            idle_rss = rss_mb(pid)
        finally:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        marks = dict(line.split() for line in timings.read_text().splitlines())
        return float(marks["first_paint"]) - started, float(marks["ready"]) - started, idle_rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", default=None)
    args = parser.parse_args()
    extra = ["--corpus", args.corpus] if args.corpus else []
    subprocess.run([QA, "index", *extra], check=True, capture_output=True)  # index built beforehand
    paints, readies, engines, rss = [], [], [], []
    for _ in range(args.runs):
        paint, ready, idle = one_chat_run(extra)
        paints.append(paint)
        readies.append(ready)
        rss.append(idle)
        env = dict(os.environ, QA_CORPUS=args.corpus) if args.corpus else None
        t0 = time.time()
        subprocess.run([sys.executable, "-c", ENGINE_ONLY], check=True, capture_output=True, env=env)
        engines.append(time.time() - t0)  # like the chat's figures: from spawn, interpreter start included
    print(f"runs: {args.runs} (median shown; all values in seconds)")
    print(f"first paint:            {statistics.median(paints):.3f}   {[round(x, 3) for x in paints]}")
    print(f"ready to answer:        {statistics.median(readies):.3f}   {[round(x, 3) for x in readies]}")
    print(f"engine's own load time: {statistics.median(engines):.3f}   {[round(x, 3) for x in engines]}")
    print(f"ready minus engine load: {statistics.median(readies) - statistics.median(engines):+.3f}")
    print(f"idle RSS once ready:    {statistics.median(rss):.0f} MB   {[round(x) for x in rss]}")


if __name__ == "__main__":
    main()
