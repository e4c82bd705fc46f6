"""The numpy BM25 reader gives exactly bm25s's scores, without importing bm25s."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from index.keyword_index import KeywordIndex, write_keyword_index

CHUNKS = [["astana", "blinken", "blinken"], ["ukrain", "war"], [], ["astana", "capit", "war", "war", "war"]]


def test_scores_match_bm25s(tmp_path: Path) -> None:
    import bm25s

    write_keyword_index(tmp_path / "kw", CHUNKS)
    ours = KeywordIndex(tmp_path / "kw")
    ref = bm25s.BM25.load(str(tmp_path / "kw"))
    for query in (["astana"], ["war", "astana"], ["blinken", "nothing"], ["war", "war"]):
        known = [t for t in query if t in ref.vocab_dict]
        assert np.allclose(ours.scores(query), ref.get_scores(known), atol=1e-6)
    assert not ours.scores(["unknown"]).any()
    assert ours.document_frequency("war") == 2 and ours.document_frequency("zzz") == 0
    assert ours.num_docs == 4


def test_reader_does_not_import_bm25s(tmp_path: Path) -> None:
    write_keyword_index(tmp_path / "kw", CHUNKS)
    code = (f"import sys; from pathlib import Path; from index.keyword_index import KeywordIndex\n"
            f"k = KeywordIndex(Path({str(tmp_path / 'kw')!r})); k.scores(['war'])\n"
            "assert 'bm25s' not in sys.modules and 'scipy' not in sys.modules, 'heavy import'\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
