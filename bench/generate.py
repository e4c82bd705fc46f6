"""Generated answers on the docs-eval questions, against any OpenAI-compatible server: how often they are
right, how much of what the model writes survives the checks, and how long it takes.

    python bench/generate.py URL MODEL [--corpus DIR] [--limit N] [--timeout S] [--api-key KEY]
    python bench/generate.py http://127.0.0.1:11434/v1 llama3.2          # Ollama
    python bench/generate.py http://127.0.0.1:8080/v1 any                # llama.cpp's llama-server

Each of the 120 questions of ../shared/docs-eval/ is answered twice through `Engine.ask` with the real
embedder: without generation (the quotes) and with it. Scored as docs-eval's score.py scores `qa batch`
output (right = not abstained, a gold string in the answer text, the first citation from the gold document;
an abstain row is right when it abstains), for both. Reported: accuracy of each; how many answers were
generated, fell back to the quotes (and why: the first words of the warning), or were not sent (an
abstention is never sent); the share of generated sentences kept; the extra latency of generation (p50,
p95). Rows go to bench/results/generate.json. The project's CI runs no model; see README.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import CACHE  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"


def quantile(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))] if v else 0.0


def main() -> None:
    from bench.answers import docs_eval_corpus, right
    from qa.config import Settings
    from qa.engine import Engine

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="the server's /v1 address, e.g. http://127.0.0.1:11434/v1")
    parser.add_argument("model", help="the model name the server knows")
    parser.add_argument("--corpus", type=Path, default=None, help="the docs-eval corpus (make_corpus.sh OUT)")
    parser.add_argument("--index", type=Path, default=None, help="its index [default: under bench/.cache]")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per generated answer [120]")
    parser.add_argument("--api-key", default=None)
    args = parser.parse_args()
    corpus = args.corpus or docs_eval_corpus()
    index = args.index or CACHE / "generate-index" / "docs-eval-minilm"
    questions = [json.loads(line) for line in (SHARED / "docs-eval" / "questions.jsonl").read_text().splitlines()
                 if line.strip()][: args.limit]
    settings = replace(Settings.resolve(corpus, index), generate=False, llm_base_url=args.url, llm_model=args.model,
                       llm_api_key=args.api_key, llm_timeout=args.timeout)
    engine = Engine(settings)
    for _ in engine.prepare():
        pass
    rows = []
    for q in questions:
        t = time.perf_counter()
        quoted = engine.ask(q["question"], generate=False)
        t_quoted = time.perf_counter() - t
        t = time.perf_counter()
        generated = engine.ask(q["question"], generate=True)
        t_generated = time.perf_counter() - t
        sentences = generated.generated or ()
        notice = next((w for w in generated.warnings if w.startswith("Generated answer not used")), None)
        row = {"id": q["id"], "abstain": bool(q.get("abstain")),
               "right_quoted": quoted.abstained if q.get("abstain") else right(q, quoted),
               "right_generated": generated.abstained if q.get("abstain") else right(q, generated),
               "outcome": "not sent" if generated.abstained else "generated" if generated.is_generated
               else "fell back",
               "why": notice.removeprefix("Generated answer not used: ").split(". Showing")[0][:80] if notice else None,
               "sentences": len(sentences), "kept": sum(g.kept for g in sentences),
               "extra_s": round(max(0.0, t_generated - t_quoted), 3), "answer": generated.text,
               "generated": [g.to_dict() for g in sentences]}
        rows.append(row)
        print(f"{q['id']}: {row['outcome']:10s} kept {row['kept']}/{row['sentences']}  "
              f"{'right' if row['right_generated'] else 'wrong'}  +{row['extra_s']:.1f} s", flush=True)
    engine.close()
    answerable = [r for r in rows if not r["abstain"]]
    refuse = [r for r in rows if r["abstain"]]
    sent = [r for r in rows if r["outcome"] != "not sent"]
    written = sum(r["sentences"] for r in rows)
    print(f"\nmodel {args.model} at {args.url}, {len(rows)} questions")
    for label, key in (("quotes   ", "right_quoted"), ("generated", "right_generated")):
        print(f"  {label}: answerable right {sum(r[key] for r in answerable)}/{len(answerable)}, "
              f"refused {sum(r[key] for r in refuse)}/{len(refuse)}")
    outcomes = Counter(r["outcome"] for r in rows)
    print(f"  sent {len(sent)}: generated {outcomes['generated']}, fell back to the quotes {outcomes['fell back']}"
          f" ({', '.join(f'{n} {why}' for why, n in Counter(r['why'] for r in sent if r['why']).most_common())})")
    print(f"  sentences kept {sum(r['kept'] for r in rows)}/{written}"
          f" ({sum(r['kept'] for r in rows) / max(1, written):.1%})")
    extra = [r["extra_s"] for r in sent]
    print(f"  generation latency p50 {quantile(extra, 0.5):.2f} s, p95 {quantile(extra, 0.95):.2f} s")
    out = HERE / "results" / "generate.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"url": args.url, "model": args.model, "rows": rows}, indent=1), encoding="utf-8")
    print(f"rows written to {out}")


if __name__ == "__main__":
    main()
