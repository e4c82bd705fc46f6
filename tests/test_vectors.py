"""The vector store switches to a tuned IVF index for large corpora and keeps results."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from index.build import BuildSummary, build
from index.embedding import HashEmbedder
from index.storage.local import IndexDir
from index.storage.local.vectors import VectorStore, _exact_top, write_vectors
from index.types import ChunkingParams


def clustered(n: int, dim: int = 64, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(40, dim))
    x = centers[rng.integers(0, 40, n)] + 0.6 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_small_is_exact_large_is_ivf_with_high_recall(tmp_path: Path) -> None:
    data = clustered(6000)
    small, large = tmp_path / "small", tmp_path / "large"
    small.mkdir()
    large.mkdir()
    assert write_vectors(small, data).kind == "flat"
    params = write_vectors(large, data, exact_limit=1000)
    assert params.kind == "ivf-sq8" and params.nprobe >= 1 and params.tuned_recall >= 0.97
    rng = np.random.default_rng(7)
    queries = data[rng.choice(len(data), 50, replace=False)] + 0.05 * rng.normal(size=(50, 64)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    truth = _exact_top(data, queries, 10)
    exact, approx = VectorStore(small), VectorStore(large)
    recall = []
    for q, t in zip(queries, truth, strict=True):
        ids, scores = approx.search(q, 10)
        assert np.allclose(scores, data[ids] @ q, atol=1e-5)  # scores are exact, re-scored
        assert list(scores) == sorted(scores, reverse=True)
        recall.append(len(set(ids) & set(t)) / 10)
        assert list(exact.search(q, 10)[0]) == list(t)
    assert np.mean(recall) >= 0.95


def test_engine_on_an_ivf_index_answers_like_exact(corpus: Path, tmp_path: Path) -> None:
    """An approximate index over several inverted lists, searched through only some of them, gives the exact
    index's answers and passages."""
    import faiss

    from qa.config import Settings
    from qa.engine import Engine

    rng = random.Random(5)
    places = ["river", "bridge", "market", "harbour", "library", "orchard", "railway", "castle", "glacier", "desert",
              "forest", "canal"]
    (corpus / "towns").mkdir()
    for i in range(400):  # one chunk each: ~400 vectors, enough for 10 inverted lists
        a, b = rng.sample(places, 2)
        (corpus / "towns" / f"t{i:03}.txt").write_text(
            f"Note {i}\n\nThe {a} of town {i} {rng.choice(['crosses', 'faces', 'borders', 'feeds'])} the {b} "
            f"number {rng.randint(1, 999)}. Locals call it {a}-{i}.\n", encoding="utf-8")
    questions = ["Where is Mount Etna volcano?", "What is green tea made from?", "Where was Blinken on Tuesday?",
                 "What did Vesuvius destroy?", "Which river crosses the bridge of town 17?"]
    results = []
    for name, limit in (("flat", 10**9), ("ivf", 1)):
        index = IndexDir(tmp_path / name)
        events = list(build(corpus, index, HashEmbedder(), params=ChunkingParams(exact_limit=limit)))
        assert isinstance(events[-1], BuildSummary)
        engine = Engine(Settings.resolve(corpus, tmp_path / name), embedder=HashEmbedder())
        assert engine.snapshot.manifest.vector_index == ("ivf-sq8" if name == "ivf" else "flat")
        if name == "ivf":
            generation = index.current_generation()
            assert generation is not None
            nlist = faiss.read_index(str(generation / "chunks.faiss")).nlist
            nprobe = engine.snapshot.vectors.params.nprobe
            # several lists, and a search that visits only some of them: otherwise it is exhaustive
            assert nlist >= 4 and 1 <= nprobe < nlist, (nlist, nprobe)
        answers = []
        for q in questions:
            answer = engine.ask(q)
            answers.append((answer.text, [(p.source, p.start, round(p.score, 5)) for p in answer.passages]))
        results.append(answers)
        engine.close()
    assert results[0] == results[1]
    assert "Sicily" in results[0][0][0]
