"""Start-up of `qa chat` on seeds/: time to first paint and to "ready to answer", in a real pseudo-terminal.

    python bench/chat_startup.py [--runs 3]

The app, run with QA_CHAT_TIMINGS=FILE, appends the wall-clock time of its first paint and of the moment
the engine is ready. The script compares them with the moment it spawned the process, and with the
engine's own load time (Engine.prepare() in a fresh process, index already built).
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
    "import time; t0 = time.time()\n"
    "from qa.config import Settings; from qa.engine import Engine\n"
    "e = Engine(Settings.resolve())\n"
    "for _ in e.prepare(): pass\n"
    "print(time.time() - t0)\n"
)


def one_chat_run() -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        timings = Path(tmp) / "t.txt"
        env = dict(os.environ, QA_CHAT_TIMINGS=str(timings), TERM="xterm-256color", COLUMNS="100", LINES="30")
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(QA, [QA, "chat"], env)
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
        finally:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        marks = dict(line.split() for line in timings.read_text().splitlines())
        return float(marks["first_paint"]) - started, float(marks["ready"]) - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    subprocess.run([QA, "index"], check=True, capture_output=True)  # index built beforehand
    paints, readies, engines = [], [], []
    for _ in range(args.runs):
        paint, ready = one_chat_run()
        paints.append(paint)
        readies.append(ready)
        out = subprocess.run([sys.executable, "-c", ENGINE_ONLY], check=True, capture_output=True, text=True)
        engines.append(float(out.stdout.strip().splitlines()[-1]))
    print(f"runs: {args.runs} (median shown; all values in seconds)")
    print(f"first paint:            {statistics.median(paints):.3f}   {[round(x, 3) for x in paints]}")
    print(f"ready to answer:        {statistics.median(readies):.3f}   {[round(x, 3) for x in readies]}")
    print(f"engine's own load time: {statistics.median(engines):.3f}   {[round(x, 3) for x in engines]}")
    print(f"ready minus engine load: {statistics.median(readies) - statistics.median(engines):+.3f}")


if __name__ == "__main__":
    main()
