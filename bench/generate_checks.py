"""How well the checks of generated sentences (qa/support.py) tell faithful sentences from corrupted ones,
and where the support thresholds come from. No language model is needed: the sentences are built from the
quotes corpus-qa gives for the docs-eval questions (../shared/docs-eval/), the way models restate them.

    python bench/generate_checks.py [--corpus DIR] [--embedder minilm hash]

For every sentence-kind quote of every answered question:
- faithful: the quote with a lead-in ("According to the documentation, ..."); cut to its main clause; with
  a few words paraphrased ("returns" -> "gives back", "directory" -> "folder") and its parenthesis dropped;
  led by the question's own words ("To change a file's suffix, return a new path with..."); two quotes of
  one answer merged into one sentence citing both;
- corrupted, citing this quote: a sentence of the same document that is not quoted (same topic: the hard
  case); a quote of another question's answer from another document; the quote with a number changed
  (+1); the quote with a name or identifier swapped for one from another answer.
Each is scored as generate.py scores it (`support`, and the number and name check). The report gives the
support distribution per family, and for each threshold the share of faithful sentences kept and of
corrupted ones rejected; results go to bench/results/generate_checks.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import CACHE  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
THRESHOLDS = [round(0.30 + 0.05 * i, 2) for i in range(12)]

PARAPHRASE = {
    "returns": "gives back", "return": "give back", "directory": "folder", "directories": "folders",
    "specified": "given", "specify": "give", "create": "make", "creates": "makes", "created": "made",
    "function": "routine", "functions": "routines", "uses": "employs", "use": "employ", "used": "employed",
    "default": "standard", "argument": "parameter", "arguments": "parameters", "contains": "holds",
    "contain": "hold", "allows": "lets", "allow": "let", "called": "invoked", "call": "invoke",
    "removes": "deletes", "remove": "delete", "must": "has to", "provides": "offers", "provide": "offer",
    "object": "instance", "objects": "instances", "however": "but", "therefore": "so", "obtain": "get",
    "requires": "needs", "require": "need", "similar": "alike", "new": "fresh", "several": "a few",
}


def first_word_lowered(text: str) -> str:
    """The sentence continued after a lead-in: its first letter lowered when the first word is an ordinary
    English word (not a name or an identifier, whose case is part of it)."""
    from index.text.keywords import is_compound
    from qa.terms import english_words

    word = text.split(" ", 1)[0]
    if word.isalpha() and word.lower() in english_words() and not is_compound(word) and not word.isupper():
        return text[:1].lower() + text[1:]
    return text


def end(text: str) -> str:
    text = text.rstrip()
    return text if text[-1:] in ".!?" else text.rstrip(",;:") + "."


def main_clause(text: str) -> str | None:
    """The quote cut at its first clause break after five words, or None if it has none."""
    if re.match(r"(?:To|If|When|Because|Although|As|While|Since|Unless|For|In|On|With|By|After|Before|Once)\b",
                text):
        return None  # the main clause comes after the first break: cutting there leaves a fragment
    for m in re.finditer(r",\s|;\s|\s\(|\s(?:which|where|because|so that|unless|although)\s", text):
        if len(text[: m.start()].split()) >= 5:
            return end(text[: m.start()])
    return None


def paraphrased(text: str) -> str | None:
    """Up to three words swapped for a paraphrase, a parenthesis dropped; None when nothing changed."""
    out = re.sub(r"\s*\([^()]{1,80}\)", "", text)
    swapped = 0

    def swap(m: re.Match[str]) -> str:
        nonlocal swapped
        word = m.group()
        if swapped >= 3 or word.lower() not in PARAPHRASE:
            return word
        swapped += 1
        new = PARAPHRASE[word.lower()]
        return new[:1].upper() + new[1:] if word[:1].isupper() else new

    out = re.sub(r"(?<![\w\-.])[A-Za-z]+(?![\w\-(])", swap, out)  # words, not parts of identifiers
    return out if out != text else None


def question_led(question: str, quote: str) -> str:
    """The quote answering the question in the question's own words, as models open their answers: "How do I
    X?" -> "To X, <quote>"; any other question -> "<question>: <quote>". The question's vocabulary is not the
    quote's: the hardest faithful case for word overlap (and its names must be in the quotes too)."""
    q = re.split(r"(?<=[.?!])\s+", question.strip())[-1].rstrip("?").strip()  # its last sentence asks
    m = re.match(r"(?:How (?:do|can|should|would) (?:I|you|we)|How to)\s+(.*)", q, re.I)
    if m:
        return end(f"To {m.group(1)}, {first_word_lowered(quote)}")
    return end(f"{q}: {first_word_lowered(quote)}")


def sentences_of(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", " ".join(text.split())) if len(s.split()) >= 6]


def changed_number(text: str) -> str | None:
    m = re.search(r"(?<![\w.])\d+(?![\w.]*\d)", text)
    return None if m is None else text[: m.start()] + str(int(m.group()) + 1) + text[m.end() :]


def swapped_name(text: str, pool: list[str], rng: random.Random) -> str | None:
    from qa.support import names_in

    names = [n for n in names_in(text) if n in text]
    others = [p for p in pool if p not in text and p.lower() not in text.lower()]
    if not names or not others:
        return None
    name = names[0]
    return text.replace(name, rng.choice(others), 1)


def build(answers: list[tuple[str, object]], rng: random.Random) -> list[dict]:
    """The test sentences: {family, faithful, sentence, ids, answer index}."""
    from qa.support import names_in

    rows: list[dict] = []
    all_units = [(i, c) for i, (_q, a) in enumerate(answers) for c in a.citations]  # type: ignore[attr-defined]
    name_pool = sorted({n for _i, c in all_units for n in names_in(c.quote) if len(n) > 3})
    for i, (question, answer) in enumerate(answers):
        prose = [c for c in answer.citations if c.kind == "sentence" and len(c.quote.split()) >= 5]  # type: ignore[attr-defined]
        for c in prose:
            quote = " ".join(c.quote.split())
            variants = {"lead-in": end("According to the documentation, " + first_word_lowered(quote)),
                        "main clause": main_clause(quote), "paraphrase": paraphrased(quote),
                        "question-led": question_led(question, quote) if c.n == prose[0].n else None}
            for family, text in variants.items():
                if text:
                    rows.append({"family": family, "faithful": True, "sentence": text, "ids": [c.n], "answer": i})
            quoted = {" ".join(x.quote.split()) for x in answer.citations}  # type: ignore[attr-defined]
            same = [s for p in answer.passages if p.source == c.source for s in sentences_of(p.text)  # type: ignore[attr-defined]
                    if s not in quoted and not any(s in q or q in s for q in quoted)]
            if same:
                rows.append({"family": "same document", "faithful": False, "sentence": rng.choice(same),
                             "ids": [c.n], "answer": i})
            elsewhere = [x for j, x in all_units if j != i and x.source != c.source and x.kind == "sentence"]
            if elsewhere:
                rows.append({"family": "other document", "faithful": False,
                             "sentence": " ".join(rng.choice(elsewhere).quote.split()), "ids": [c.n], "answer": i})
            number = changed_number(quote)
            if number:
                rows.append({"family": "number changed", "faithful": False, "sentence": number, "ids": [c.n],
                             "answer": i})
            name = swapped_name(quote, name_pool, rng)
            if name:
                rows.append({"family": "name swapped", "faithful": False, "sentence": name, "ids": [c.n],
                             "answer": i})
        if len(prose) >= 2:
            a, b = prose[0], prose[1]
            first = main_clause(" ".join(a.quote.split())) or end(" ".join(a.quote.split()))
            merged = first.rstrip(".") + ", and " + first_word_lowered(" ".join(b.quote.split()))
            rows.append({"family": "merged", "faithful": True, "sentence": end(merged), "ids": [a.n, b.n],
                         "answer": i})
    return rows


def score(rows: list[dict], answers: list[tuple[str, object]], embedder) -> None:  # type: ignore[no-untyped-def]
    from qa.generate import _embedding_memo, evidence_units
    from qa.support import missing_facts, overlap, similarity

    embed = _embedding_memo(embedder)
    for row in rows:
        units = {u.n: u for u in evidence_units(answers[row["answer"]][1])}  # type: ignore[arg-type]
        cited = [units[n] for n in row["ids"]]
        row["overlap"] = overlap(row["sentence"], cited)
        row["similarity"] = min(1.0, similarity(row["sentence"], cited, embed))
        row["support"] = 0.5 * row["overlap"] + 0.5 * row["similarity"]
        row["facts_missing"] = missing_facts(row["sentence"], cited)


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    v = sorted(values)
    at = lambda q: v[min(len(v) - 1, int(q * len(v)))]  # noqa: E731
    return f"p5 {at(0.05):.2f}  p25 {at(0.25):.2f}  median {at(0.5):.2f}  p75 {at(0.75):.2f}  p95 {at(0.95):.2f}"


def report(name: str, rows: list[dict]) -> dict:
    faithful = [r for r in rows if r["faithful"]]
    topical = [r for r in rows if r["family"] in ("same document", "other document")]
    factual = [r for r in rows if r["family"] in ("number changed", "name swapped")]
    print(f"\n== {name}: {len(faithful)} faithful, {len(topical)} off-quote, {len(factual)} fact-changed sentences")
    families = sorted({r["family"] for r in rows}, key=lambda f: (not any(r["faithful"] for r in rows
                                                                         if r["family"] == f), f))
    for family in families:
        group = [r for r in rows if r["family"] == family]
        gated = sum(bool(r["facts_missing"]) for r in group)
        print(f"  {family:15s} n={len(group):4d}  support {percentiles([r['support'] for r in group])}  "
              f"number/name check rejects {gated}/{len(group)}")
    passing = [r for r in faithful if not r["facts_missing"]]
    print(f"  threshold  faithful kept  (of the {len(passing):3d} the number/name check lets through)  "
          "off-quote rejected  fact-changed rejected (all checks)")
    table = []
    for t in THRESHOLDS:
        keep = lambda r: not r["facts_missing"] and r["support"] >= t  # noqa: B023, E731
        row = {"threshold": t, "faithful_kept": sum(map(keep, faithful)) / max(1, len(faithful)),
               "faithful_kept_of_passing": sum(map(keep, passing)) / max(1, len(passing)),
               "off_quote_rejected": sum(not keep(r) for r in topical) / max(1, len(topical)),
               "fact_changed_rejected": sum(not keep(r) for r in factual) / max(1, len(factual))}
        table.append(row)
        print(f"  {t:9.2f}  {row['faithful_kept']:13.3f}  {row['faithful_kept_of_passing']:53.3f}  "
              f"{row['off_quote_rejected']:18.3f}  {row['fact_changed_rejected']:21.3f}")
    return {"embedder": name, "table": table, "counts": {"faithful": len(faithful), "off_quote": len(topical),
                                                         "fact_changed": len(factual)}}


def main() -> None:
    from bench.answers import docs_eval_corpus
    from qa.config import Settings
    from qa.engine import Engine
    from qa.support import min_support

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=None, help="the docs-eval corpus (make_corpus.sh OUT)")
    parser.add_argument("--embedder", nargs="*", default=["minilm", "hash"])
    parser.add_argument("--seed", type=int, default=23)
    args = parser.parse_args()
    corpus = args.corpus or docs_eval_corpus()
    questions = [json.loads(line) for line in (SHARED / "docs-eval" / "questions.jsonl").read_text().splitlines()
                 if line.strip()]
    results = []
    for name in args.embedder:
        import os

        os.environ["QA_EMBEDDER"] = name
        engine = Engine(Settings.resolve(corpus, CACHE / "generate-index" / f"docs-eval-{name}"))
        for _ in engine.prepare():
            pass
        t = time.perf_counter()
        answers = [(q["question"], a) for q in questions if not (a := engine.ask(q["question"])).abstained]
        rows = build(answers, random.Random(args.seed))
        score(rows, answers, engine.embedder)
        result = report(f"{name} ({engine.embedder.model_id}; in use: {min_support(engine.embedder.model_id)})",
                        rows)
        result["seconds"] = round(time.perf_counter() - t, 1)
        result["rows"] = rows
        results.append(result)
        engine.close()
    out = HERE / "results" / "generate_checks.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"\nrows written to {out}")


if __name__ == "__main__":
    main()
