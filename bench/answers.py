"""Answer quality on documentation, end to end through `Engine.ask` (what `qa batch` runs), and the calibration
of `confidence`.

    python bench/answers.py                      # every set below whose documents are on this machine
    python bench/answers.py --sets docs-eval     # one set
    python bench/answers.py --tuning passage_weight=0.3 --tuning keyword_weight=0.3   # a variant

Sets (documents from Debian's packages, installed by hand: `apt-get install r-doc-pdf python3.11-doc`):
- `docs-eval`: ../shared/docs-eval/ (120 questions written outside the project over two R manuals and 25
  Python pages; 90 answerable, 20 near-topic and 10 off-topic to refuse), scored as its score.py scores
  `qa batch` output: right = not abstained, a gold string in the answer text, the first citation from the
  gold document; PDF page agreement of the first citation reported apart;
- `r-manuals`, `python-docs`: bench/data/*-questions.jsonl over four other R manuals and the whole Python
  documentation (every gold string must be in the answer); they were written before this benchmark's
  tuning and serve as its held-out check;
- `seeds`: ../shared/dev-questions.jsonl over the bundled news article.

`confidence` is checked by reliability: answers grouped by stated confidence, against how many were right
(`--fit` refits the logistic model behind it on every answered question of the sets run, and prints the
coefficients that qa/answer.py holds). Results go to bench/results/answers.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import CACHE  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").lower()


def docs_eval_corpus() -> Path:
    out = CACHE / "docs-eval"
    if not (out / "r-manuals" / "R-exts.pdf").is_file():
        subprocess.run(["bash", str(SHARED / "docs-eval" / "make_corpus.sh"), str(out)], check=True)
    return out


def sets() -> dict[str, tuple]:
    """name -> (corpus factory, question file, scorer kind)."""
    from bench.documents import corpus_python, corpus_r

    return {
        "docs-eval": (docs_eval_corpus, SHARED / "docs-eval" / "questions.jsonl", "any+source"),
        "r-manuals": (corpus_r, HERE / "data" / "r-manuals-questions.jsonl", "answers"),
        "python-docs": (corpus_python, HERE / "data" / "python-docs-questions.jsonl", "answers"),
        "seeds": (lambda: HERE.parent / "seeds", SHARED / "dev-questions.jsonl", "any"),
    }


def right(q: dict, answer) -> bool:  # type: ignore[no-untyped-def]
    """The docs-eval rule (score.py), generalised: every `answers` string and one `any` string in the answer
    text, not abstained, and the first citation from the gold `source` where one is given."""
    text = _norm(answer.text)
    if answer.abstained:
        return False
    if q.get("answers") and not all(_norm(g) in text for g in q["answers"]):
        return False
    if q.get("any") and not any(_norm(g) in text for g in q["any"]):
        return False
    if q.get("source"):
        return bool(answer.citations) and answer.citations[0].source == q["source"]
    return True


def run_set(name: str, corpus: Path, questions: list[dict], tuning) -> dict:  # type: ignore[no-untyped-def]
    from qa.config import Settings
    from qa.engine import Engine

    index = CACHE / "answers-index" / name
    engine = Engine(Settings.resolve(corpus=corpus, index=index), tuning=tuning)
    t = time.perf_counter()
    for _ in engine.prepare():
        pass
    prepared = time.perf_counter() - t
    rows = []
    latencies = []
    for q in questions:
        t = time.perf_counter()
        answer = engine.ask(q["question"])
        latencies.append(time.perf_counter() - t)
        row = {"id": q.get("id"), "abstain": bool(q.get("abstain")), "abstained": answer.abstained,
               "confidence": answer.confidence, "signals": dict(answer.signals)}
        if q.get("abstain"):
            row["ok"] = answer.abstained
            row["near"] = "near" if str(q.get("id", "")) <= "d110" else "off"
        else:
            row["ok"] = right(q, answer)
            if "page" in q and answer.citations and answer.citations[0].source == q.get("source"):
                row["page_ok"] = answer.citations[0].page == q["page"]
        rows.append(row)
    engine.close()
    answerable = [r for r in rows if not r["abstain"]]
    refuse = [r for r in rows if r["abstain"]]
    paged = [r for r in rows if "page_ok" in r]
    latencies.sort()
    return {
        "set": name, "questions": len(rows), "prepare_s": round(prepared, 1),
        "right": sum(r["ok"] for r in answerable), "answerable": len(answerable),
        "refused": sum(r["ok"] for r in refuse), "to_refuse": len(refuse),
        "near_refused": sum(r["ok"] for r in refuse if r.get("near") == "near"),
        "near": sum(r.get("near") == "near" for r in refuse),
        "pages": sum(r["page_ok"] for r in paged), "paged": len(paged),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "wrong": [r["id"] for r in rows if not r["ok"]],
        "rows": rows,
    }


def reliability(rows: list[dict]) -> list[tuple[str, int, float, float]]:
    """(bin, count, mean confidence, share right) over every answer and abstention."""
    bins = [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.01)]
    out = []
    for lo, hi in bins:
        inside = [r for r in rows if lo <= r["confidence"] < hi]
        if inside:
            out.append((f"{lo:.1f}-{min(hi, 1.0):.1f}", len(inside), sum(r["confidence"] for r in inside) / len(inside),
                        sum(r["ok"] for r in inside) / len(inside)))
    return out


def fit(rows: list[dict]) -> list[float]:
    """Logistic regression of "the answer is right" on the answer's signals (qa/answer.py, FEATURES), by
    gradient descent with a little L2; answered questions only."""
    import numpy as np

    from qa.answer import FEATURES

    data = [r for r in rows if not r["abstained"] and not r["abstain"]]
    data += [dict(r, ok=False) for r in rows if not r["abstained"] and r["abstain"]]  # answered, should not have
    x = np.array([[r["signals"].get(f, 0.0) for f in FEATURES] + [1.0] for r in data])
    y = np.array([float(r["ok"]) for r in data])
    w = np.zeros(x.shape[1])
    for _ in range(20_000):
        p = 1 / (1 + np.exp(-x @ w))
        w -= 0.1 * (x.T @ (p - y) / len(y) + 0.01 * np.r_[w[:-1], 0.0])
    return [round(float(v), 3) for v in w]


def main() -> None:
    from qa.config import Tuning

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="*", default=None)
    parser.add_argument("--tuning", action="append", default=[], help="NAME=VALUE of qa.config.Tuning")
    parser.add_argument("--fit", action="store_true", help="refit the confidence model")
    args = parser.parse_args()
    overrides = {}
    for item in args.tuning:
        key, value = item.split("=", 1)
        default = Tuning.__dataclass_fields__[key].default
        overrides[key] = (value == "True") if isinstance(default, bool) else type(default)(value)
    tuning = dataclasses.replace(Tuning(), **overrides)
    results = []
    for name, (corpus_of, qfile, _kind) in sets().items():
        if args.sets and name not in args.sets:
            continue
        try:
            corpus = corpus_of()
        except (SystemExit, subprocess.CalledProcessError) as exc:
            print(f"{name}: skipped ({exc})")
            continue
        questions = [json.loads(line) for line in qfile.read_text(encoding="utf-8").splitlines() if line.strip()]
        res = run_set(name, corpus, questions, tuning)
        results.append(res)
        line = f"{name}: right {res['right']}/{res['answerable']}"
        if res["to_refuse"]:
            line += f", refused {res['refused']}/{res['to_refuse']}"
            if res["near"]:
                line += f" (near-topic {res['near_refused']}/{res['near']})"
        if res["paged"]:
            line += f", PDF page of the first citation {res['pages']}/{res['paged']}"
        print(line + f", warm p50 {res['p50_ms']} ms")
        print(f"  wrong: {', '.join(map(str, res['wrong']))}")
    rows = [r for res in results for r in res["rows"]]
    if rows:
        print("confidence reliability (bin, count, mean confidence, share right):")
        for b, n, conf, acc in reliability(rows):
            print(f"  {b}: {n:4d}  {conf:.2f}  {acc:.2f}")
        brier = sum((r["confidence"] - r["ok"]) ** 2 for r in rows) / len(rows)
        print(f"  Brier score {brier:.3f} over {len(rows)} questions")
    if args.fit and rows:
        print("fitted coefficients (FEATURES..., bias):", fit(rows))
    out = HERE / "results" / "answers.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"tuning": overrides, "results": results}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
