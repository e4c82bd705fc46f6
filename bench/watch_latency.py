"""Live folders: time from saving a file to an answer that quotes it, with the real model.

    python bench/watch_latency.py [--docs 300] [--saves 5] [--source DIR]

A temporary corpus gets `--docs` Wikipedia summaries (copied from bench/.cache/wiki-10033, which is only
read; without it, seeds/), and its index is built with the real model in a temporary folder. The engine is
prepared as `qa chat --watch` prepares it and a CorpusWatcher runs in a background thread. Then, `--saves`
times each:
- add: a new text file with a made-up fact is written;
- edit: an existing summary is saved again with a made-up fact appended.
Each is timed from the moment the file is closed until `Engine.ask` answers the fact's question with a
citation of that file (asked as soon as the watcher reports its update, then every 20 ms). The watcher's
settings are the defaults (quiet period 0.3 s after the last change, watchfiles' step 50 ms).

Measured on the 2-core machine, 300 summaries (`--source /work/main/bench/.cache/wiki-10033` from a
worktree), 312 chunks, 5 saves each: add p50 0.79 s (0.77-0.85), edit p50 0.83 s (0.75-0.91), of which
the index update itself 0.33-0.35 s; the target is under 2 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.config import Settings  # noqa: E402
from qa.engine import Engine  # noqa: E402
from qa.watch import QUIET, CorpusWatcher, WatchUpdate  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
WIKI = REPO / "bench" / ".cache" / "wiki-10033"
NAMES = ["Quendril", "Marsovy", "Tellabrin", "Ostravik", "Pellumor", "Dravenholt", "Sirrakai", "Bontevar",
         "Cauldmere", "Yseltarn"]
COLOURS = ["green", "violet", "orange", "crimson", "teal", "amber", "indigo", "scarlet", "ochre", "silver"]


def fact(i: int) -> tuple[str, str]:
    """A sentence no summary holds, and the question it answers."""
    name, colour = NAMES[i % len(NAMES)], COLOURS[i % len(COLOURS)]
    return (f"The {name} lighthouse was painted {colour} by the harbour guild in {1901 + i}.",
            f"What colour was the {name} lighthouse painted?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--saves", type=int, default=5)
    parser.add_argument("--source", type=Path, default=WIKI if WIKI.is_dir() else REPO / "seeds")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="watch-latency-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        files = sorted(p for p in args.source.iterdir() if p.suffix == ".txt")[: args.docs]
        for f in files:
            shutil.copy(f, corpus / f.name)
        engine = Engine(Settings.resolve(corpus, Path(tmp) / "index"))
        started = time.perf_counter()
        for _ in engine.prepare():
            pass
        documents, chunks = engine.stats()
        print(f"corpus: {documents} documents, {chunks} chunks from {args.source}; "
              f"built and loaded in {time.perf_counter() - started:.1f} s")

        updates: list[WatchUpdate] = []
        arrived = threading.Event()

        def on_update(update: WatchUpdate) -> None:
            updates.append(update)
            arrived.set()

        watcher = CorpusWatcher(engine, on_update=on_update, on_problem=lambda p: print("problem:", p.message))
        watcher.start()
        assert watcher.ready.wait(60), "the watch did not start"

        results: dict[str, list[tuple[float, float]]] = {"add": [], "edit": []}
        for i in range(args.saves):
            for kind in ("add", "edit"):
                n = 2 * i + (kind == "edit")
                sentence, question = fact(n)
                target = corpus / f"probe-{n}.txt" if kind == "add" else corpus / files[n % len(files)].name
                text = (f"Harbour notes {n}\n\n{sentence}\n" if kind == "add"
                        else target.read_text(encoding="utf-8") + f"\n{sentence}\n")
                time.sleep(1.0)  # the previous save's update is over
                arrived.clear()
                before = len(updates)
                target.write_text(text, encoding="utf-8")
                saved = time.perf_counter()
                arrived.wait(30)
                while True:
                    answer = engine.ask(question)
                    if any(c.source == target.name and sentence in c.quote for c in answer.citations):
                        break
                    if time.perf_counter() - saved > 30:
                        raise SystemExit(f"no answer from {target.name} after 30 s: {answer.text!r}")
                    time.sleep(0.02)
                latency = time.perf_counter() - saved
                build = sum(u.seconds for u in updates[before:])
                results[kind].append((latency, build))
                print(f"{kind:4} {target.name:40} answered after {latency:.2f} s (index update {build:.2f} s, "
                      f"{len(updates) - before} update)")
        watcher.stop()
        engine.close()

    print(f"\nquiet period {QUIET} s; median over {args.saves} saves each:")
    for kind, rows in results.items():
        lat = [r[0] for r in rows]
        print(f"  {kind:4}  save -> answer p50 {statistics.median(lat):.2f} s (min {min(lat):.2f}, "
              f"max {max(lat):.2f}); index update p50 {statistics.median(r[1] for r in rows):.2f} s")


if __name__ == "__main__":
    main()
