"""Every single-document question's full answer, to prove a change leaves them alone.

    python bench/single_dump.py OUT.jsonl [--sets wiki docs-eval r-manuals python-docs seeds] [--wiki-index DIR]
    diff <(python bench/single_dump.py /dev/stdout) before.jsonl

Writes one line per question: the set, the question and `Answer.to_dict()` (the JSON contract) with the
top-10 passages, so both the answer and the retrieval behind it are compared. Run it before and after a
change and diff the files: a change meant for other questions (multi-part questions, qa/parts.py) must
leave every line byte-identical. Sets: the 271 natural Wikipedia questions (../shared/wiki-questions.jsonl,
over the 10,033 summaries; `--wiki-index` an existing index of them) and the documentation sets of
bench/answers.py (their indexes under bench/.cache/answers-index/).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import CACHE, materialise  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"


def main() -> None:
    from bench.answers import sets
    from qa.config import Settings
    from qa.engine import Engine

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--sets", nargs="*", default=["wiki", "docs-eval", "r-manuals", "python-docs", "seeds"])
    parser.add_argument("--wiki-index", type=Path, default=None)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--no-refresh", action="store_true",
                        help="answer from the indexes as they are (copies of indexes built elsewhere)")
    args = parser.parse_args()
    docs = sets()
    with args.out.open("w", encoding="utf-8") as out:
        for name in args.sets:
            if name == "wiki":
                corpus, index = materialise(None), args.wiki_index or CACHE / "fanout-index"
                qfile = SHARED / "wiki-questions.jsonl"
            else:
                corpus_of, qfile, _kind = docs[name]
                corpus, index = corpus_of(), CACHE / "answers-index" / name
            engine = Engine(Settings.resolve(corpus=corpus, index=index))
            for _ in engine.prepare(refresh=not args.no_refresh):
                pass
            for line in qfile.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                q = json.loads(line)
                answer = engine.ask(q["question"], top_k=args.top_k)
                out.write(json.dumps({"set": name, "question": q["question"], "answer": answer.to_dict()},
                                     ensure_ascii=False, sort_keys=True) + "\n")
            engine.close()
            print(f"{name}: done", file=sys.stderr)


if __name__ == "__main__":
    main()
