"""Real documents end to end: index the R manuals (PDF) and the Python docs (HTML) with the real model,
then answer question sets written from them, checking the cited page and every quote.

    python bench/documents.py                    # R manuals + Python docs
    python bench/documents.py --only r           # only the four R manuals
    python bench/documents.py --memory           # also: peak RSS of `qa index` on refman.pdf (2,415 pages)

Documents come from Debian packages, installed by hand (never in CI):
`apt-get install r-doc-pdf python3.11-doc`. The four R manuals are R-intro, R-data, R-admin and R-lang;
the Python corpus is the whole HTML tree of python3.11-doc. Questions (written by reading the pages; see
bench/data/*.jsonl): `gold_sources`, `gold_page` (physical) and `answers` (every string must be in the
answer); a few near-topic questions the documents do not answer carry `abstain: true`.

Figures: end-to-end `qa index` time of each corpus (fresh index, real model, the ONNX question encoder
already exported), retrieval recall by document, page accuracy (the first citation is on the gold page),
page recall@5 (the gold page among the top five passages), answer accuracy, abstentions, and the share of
quotes equal to `qa text SOURCE`[start:end].
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import CACHE  # noqa: E402
from qa.evaluate import evaluate, format_report, load_questions  # noqa: E402

HERE = Path(__file__).resolve().parent
R_DIR = Path("/usr/share/R/doc/manual")
R_MANUALS = ("R-intro.pdf", "R-data.pdf", "R-admin.pdf", "R-lang.pdf")
PY_DIR = Path("/usr/share/doc/python3.11/html")
QA = shutil.which("qa") or str(Path(sys.executable).parent / "qa")


def corpus_r() -> Path:
    missing = [m for m in R_MANUALS if not (R_DIR / m).is_file()]
    if missing:
        sys.exit(f"missing {', '.join(missing)}: apt-get install r-doc-pdf")
    out = CACHE / "docs-r"
    out.mkdir(parents=True, exist_ok=True)
    for name in R_MANUALS:
        if not (out / name).is_file():
            shutil.copyfile(R_DIR / name, out / name)
    return out


def corpus_python() -> Path:
    if not (PY_DIR / "tutorial" / "venv.html").is_file():
        sys.exit("missing the Python docs: apt-get install python3.11-doc")
    out = CACHE / "docs-python"
    if not out.is_dir():
        shutil.copytree(PY_DIR, out, ignore=shutil.ignore_patterns("_static", "_images", "_sources", "_downloads",
                                                                  "genindex*", "search.html", "py-modindex.html"),
                        symlinks=False)
    return out


def timed_index(corpus: Path, index: Path, env: dict[str, str]) -> tuple[float, float, dict]:
    """Seconds and peak RSS (MB) of `qa index --rebuild` in a fresh process, and its summary."""
    probe = ("import resource, subprocess, sys, time\nt = time.perf_counter()\n"
             "out = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
             "print(out.stdout, end='')\nsys.exit(out.returncode)\n")
    out = subprocess.run([sys.executable, "-c", probe, QA, "index", "--rebuild", "--json", "--corpus", str(corpus),
                          "--index", str(index)], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"qa index failed: {out.stderr[-2000:]}")
    first, summary = out.stdout.split("\n", 1)
    seconds, rss = first.split()
    return float(seconds), float(rss), json.loads(summary)


def run_set(label: str, corpus: Path, questions_file: Path, env: dict[str, str], tmp: Path) -> dict:
    from index.embedding.minilm import MiniLMEmbedder
    from qa.config import Settings
    from qa.engine import Engine

    index = tmp / f"idx-{label}"
    seconds, rss, summary = timed_index(corpus, index, env)
    print(f"{label}: qa index {summary['documents']} documents, {summary['chunks']} chunks, "
          f"{summary['skipped']} skipped: {seconds:.1f} s, peak RSS {rss:.0f} MB", flush=True)
    for s in summary["skipped_files"][:10]:
        print(f"  skipped {s['source']}: {s['reason']}")
    engine = Engine(Settings(corpus=corpus, index=index, top_k=10), embedder=MiniLMEmbedder())
    for _ in engine.prepare(refresh=False):
        pass
    questions = load_questions(questions_file)
    report = evaluate(engine.ask, corpus, questions, document_text=engine.document_text)
    print(format_report(report, f"{label}: {len(questions)} questions from {questions_file.name}"))
    wrong = [r for r in report.rows if r.get("correct") is False or r.get("gold_rank") not in (1, None)]
    for r in wrong[:12]:
        print(f"  {r['id']}: gold rank {r.get('gold_rank')}, cited page {r.get('cited_page')}, "
              f"answer {r['answer'][:110]!r}")
    engine.close()
    return {"index_seconds": seconds, "index_peak_rss_mb": rss, "documents": summary["documents"],
            "chunks": summary["chunks"]} | report.summary()


def memory_refman(env: dict[str, str], tmp: Path) -> dict:
    big = R_DIR / "refman.pdf"
    if not big.is_file():
        sys.exit("missing refman.pdf: apt-get install r-doc-pdf")
    corpus = tmp / "refman"
    corpus.mkdir()
    shutil.copyfile(big, corpus / "refman.pdf")
    seconds, rss, summary = timed_index(corpus, tmp / "idx-refman", env)
    print(f"refman.pdf (2,415 pages): qa index {summary['chunks']} chunks in {seconds:.1f} s, peak RSS {rss:.0f} MB")
    return {"seconds": seconds, "peak_rss_mb": rss, "chunks": summary["chunks"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("r", "python"), default=None)
    parser.add_argument("--memory", action="store_true", help="Also index refman.pdf and report its peak RSS.")
    args = parser.parse_args()
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    env.pop("QA_EMBEDDER", None)
    started = time.perf_counter()
    # Export the ONNX question encoder once, outside the timed runs (it is made once per model).
    subprocess.run([QA, "index"], capture_output=True, env=env)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.only in (None, "r"):
            results["r-manuals"] = run_set("R manuals (PDF)", corpus_r(), HERE / "data/r-manuals-questions.jsonl",
                                           env, tmp)
        if args.only in (None, "python"):
            results["python-docs"] = run_set("Python docs (HTML)", corpus_python(),
                                             HERE / "data/python-docs-questions.jsonl", env, tmp)
        if args.memory:
            results["refman"] = memory_refman(env, tmp)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "documents.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"total {time.perf_counter() - started:.0f} s; results in bench/results/documents.json")


if __name__ == "__main__":
    main()
