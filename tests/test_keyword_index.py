"""The numpy BM25 reader gives exactly bm25s's scores, without importing bm25s."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np

from index.storage.local import bm25 as keyword_index
from index.storage.local.bm25 import KeywordIndex, write_keyword_index

CHUNKS = [["astana", "blinken", "blinken"], ["ukrain", "war"], [], ["astana", "capit", "war", "war", "war"]]


def test_scores_match_bm25s(tmp_path: Path) -> None:
    """Our writer computes exactly the scores bm25s (the reference implementation, a test dependency) does."""
    import bm25s

    write_keyword_index(tmp_path / "kw", CHUNKS)
    ours = KeywordIndex(tmp_path / "kw")
    ref = bm25s.BM25()
    ref.index([c or ["\u2205"] for c in CHUNKS], show_progress=False)
    for query in (["astana"], ["war", "astana"], ["blinken", "nothing"], ["war", "war"], ["capit"]):
        known = [t for t in query if t in ref.vocab_dict]
        assert np.allclose(ours.scores(query), ref.get_scores(known), atol=1e-6)
    assert not ours.scores(["unknown"]).any()
    assert ours.document_frequency("war") == 2 and ours.document_frequency("zzz") == 0
    assert ours.num_docs == 4


def test_reader_does_not_import_bm25s(tmp_path: Path) -> None:
    write_keyword_index(tmp_path / "kw", CHUNKS)
    code = (f"import sys; from pathlib import Path; from index.storage.local.bm25 import KeywordIndex\n"
            f"k = KeywordIndex(Path({str(tmp_path / 'kw')!r})); k.scores(['war'])\n"
            "assert 'bm25s' not in sys.modules and 'scipy' not in sys.modules, 'heavy import'\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def _zipf_corpus(tmp_path: Path, n: int = 3000) -> KeywordIndex:
    rng = np.random.default_rng(7)
    texts = [[f"w{x}" for x in np.minimum(rng.zipf(1.3, 25) - 1, 1999)] for _ in range(n)]
    write_keyword_index(tmp_path / "kw", texts)
    return KeywordIndex(tmp_path / "kw")


QUERIES = [["w0", "w1", "w250"], ["w0", "w0", "w3", "w77"], ["w5"], ["w1999", "w0"], ["w0", "w1", "w2"],
           ["w40", "w41", "w0", "w1", "w2", "w3"], ["nothing", "w12"], ["w999", "w1500", "w1700"]]


def _check_top(index: KeywordIndex, query: list[str], k: int) -> None:
    full = index.scores(query)
    ids, scores = index.top(query, k)
    positive = np.sort(full[full > 0])[::-1]
    assert len(ids) == min(k, len(positive)) == len(set(ids.tolist()))
    assert np.allclose(scores, positive[: len(ids)], rtol=1e-5)  # the k best scores, best first
    assert np.allclose(full[ids], scores, rtol=1e-5)  # and they are these chunks' scores


def test_top_k_equals_ranking_every_score(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    index = _zipf_corpus(tmp_path)
    for query in QUERIES:  # small lists: summed whole
        _check_top(index, query, 10)
    monkeypatch.setattr(keyword_index, "PRUNE_ABOVE", 0)  # as if the lists were long
    pruned = []
    original = KeywordIndex._add_from

    def counting(self, tid, weight, ids, out):  # type: ignore[no-untyped-def]
        pruned.append(tid)
        return original(self, tid, weight, ids, out)

    monkeypatch.setattr(KeywordIndex, "_add_from", counting)
    for query in QUERIES:
        for k in (1, 10, 50, 5000):
            _check_top(index, query, k)
    assert pruned, "no query skipped a posting list: the pruned path went untested"
    assert index.top(["unknown"], 10)[0].size == 0 and index.top(["w0"], 0)[0].size == 0


def test_top_k_on_an_index_without_stored_bounds(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(keyword_index, "PRUNE_ABOVE", 0)
    _zipf_corpus(tmp_path)
    bounds = tmp_path / "kw" / "term_max.npy"
    stored = bounds.read_bytes()
    for damage in (b"", stored[: len(stored) // 2], b"\x93NUMPY garbage"):
        bounds.write_bytes(damage)  # half-written or garbled: the bounds are recomputed from the postings
        index = KeywordIndex(tmp_path / "kw")
        assert np.array_equal(index.term_max, np.load(io.BytesIO(stored)))
        for query in QUERIES:
            _check_top(index, query, 10)
    bounds.unlink()  # written before the bounds were stored
    index = KeywordIndex(tmp_path / "kw")
    for query in QUERIES:
        _check_top(index, query, 10)


def test_postings_made_in_blocks_equal_postings_made_at_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The writer makes postings a block of chunks at a time; blocks of 2 chunks give the same index as one."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    chunks = [list(rng.choice(words, size=int(rng.integers(0, 12)))) for _ in range(57)]

    def postings() -> tuple[np.ndarray, ...]:
        writer = keyword_index.KeywordIndexWriter()
        for terms in chunks:
            writer.add(terms)
        return writer.postings()

    whole = postings()
    monkeypatch.setattr(keyword_index, "POSTINGS_BLOCK", 2)
    blocked = postings()
    for a, b in zip(whole, blocked, strict=True):
        assert a.shape == b.shape and np.array_equal(a, b)
    assert len(whole[0]) > 100  # the corpus has postings to compare
