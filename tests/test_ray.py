"""`qa index --ray`: a local Ray cluster (2 CPUs, started once per session: `ray_address` in conftest)
reads, chunks and embeds; the index must hold what a local build holds. Real Ray, real index, the hash
embedder (one test runs the bundled model)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import SEEDS, clean_env, qa_command

# One worker runs them all (--dist=loadgroup), so its session fixture starts once per run.
pytestmark = [pytest.mark.ray, pytest.mark.xdist_group("ray")]

ray = pytest.importorskip("ray")

QUESTIONS = ["Where is Mount Etna volcano?", "How is black tea made?", "What did Blinken say about Central Asia?"]


def _big_corpus(root: Path) -> Path:
    """The small corpus plus every seed, a file that cannot be read, and an empty one (both skipped)."""
    for seed in sorted(SEEDS.glob("*")):
        if seed.is_file():
            shutil.copy(seed, root / f"seed-{seed.name}")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (root / "empty.txt").write_text("", encoding="utf-8")
    return root


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*qa_command(), *args], capture_output=True, text=True, env=clean_env(), timeout=300)


def dump(index: Path) -> dict[str, dict[str, Any]]:
    """Everything a build decides, by source: text, title, chunks, sentences and their vectors."""
    from index.storage.local import IndexDir

    snap = IndexDir(index).open()
    try:
        out = {}
        rows = snap.conn.execute("SELECT id, source, text, sha256, title, format FROM documents").fetchall()
        for doc_id, source, text, sha, title, fmt in rows:
            sentences, chunks = snap.document_rows(doc_id)
            out[source] = {
                "doc": (text, sha, title, fmt),
                "chunks": [c[1:4] for c in chunks],
                "sentences": [s[1:] for s in sentences],
                "vectors": snap.chunk_vectors([c[0] for c in chunks]),
                "sentence_vectors": snap.sentence_vectors_of([s[0] for s in sentences]),
            }
        out["(skipped)"] = {"skipped": sorted((s.source, s.reason) for s in snap.skipped())}
        return out
    finally:
        snap.close()


def assert_same_index(ray_index: Path, local_index: Path, min_cosine: float | None = None) -> None:
    got, want = dump(ray_index), dump(local_index)
    assert got.keys() == want.keys()
    for source, w in want.items():
        g = got[source]
        if "skipped" in w:
            assert g == w
            continue
        assert (g["doc"], g["chunks"], g["sentences"]) == (w["doc"], w["chunks"], w["sentences"]), source
        for key in ("vectors", "sentence_vectors"):
            assert g[key].shape == w[key].shape, (source, key)
            if min_cosine is None:
                np.testing.assert_allclose(g[key], w[key], atol=1e-6, err_msg=f"{source} {key}")
            else:
                assert float(np.min(np.sum(g[key] * w[key], axis=1))) >= min_cosine, (source, key)


def answers(corpus: Path, index: Path) -> list[dict[str, Any]]:
    from index.embedding import HashEmbedder
    from qa.config import Settings
    from qa.engine import Engine

    engine = Engine(Settings.resolve(corpus, index), embedder=HashEmbedder())
    try:
        for _ in engine.prepare(refresh=False):
            pass
        return [{k: v for k, v in engine.ask(q).to_dict(id=1).items() if "ms" not in k and "time" not in k}
                for q in QUESTIONS]
    finally:
        engine.close()


def test_qa_index_ray_builds_the_same_index_as_a_local_build(ray_address: str, corpus: Path,
                                                             tmp_path: Path) -> None:
    _big_corpus(corpus)
    done = _run("index", "--json", "--corpus", str(corpus), "--index", str(tmp_path / "ray"), "--ray", ray_address)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "embedding done" in done.stderr and "reading done" in done.stderr  # progress reached the CLI
    local = _run("index", "--json", "--corpus", str(corpus), "--index", str(tmp_path / "local"))
    assert local.returncode == 0, local.stderr
    summary, local_summary = json.loads(done.stdout), json.loads(local.stdout)
    for key in ("documents", "chunks", "embedded", "skipped", "skipped_files"):
        assert summary[key] == local_summary[key], key
    assert summary["documents"] >= 4 and summary["skipped"] == 2
    assert_same_index(tmp_path / "ray", tmp_path / "local")
    assert answers(corpus, tmp_path / "ray") == answers(corpus, tmp_path / "local")


def _build(corpus: Path, index: Path, runner: Any = None) -> Any:
    from index.build import BuildSummary, build
    from index.embedding import HashEmbedder
    from index.storage.local import IndexDir

    events = list(build(corpus, IndexDir(index), HashEmbedder(), runner=runner))
    summary = events[-1]
    assert isinstance(summary, BuildSummary)
    return summary


def test_incremental_ray_update_embeds_only_changed_files_and_drops_removed_ones(ray_address: str, corpus: Path,
                                                                                 tmp_path: Path) -> None:
    import os

    from index.build.ray import RayRunner

    class Recording(RayRunner):
        """The real runner, noting what it was sent."""

        sent: tuple[list[str], int] = ([], 0)

        def read(self, corpus, sources, params, into):  # type: ignore[no-untyped-def]
            self.sent = (sorted(sources), 0)
            yield from super().read(corpus, sources, params, into)

        def embed(self, jobs, dim, put):  # type: ignore[no-untyped-def]
            self.sent = (self.sent[0], len(jobs))
            yield from super().embed(jobs, dim, put)

    runner = Recording(None, "hash", "auto")  # joins the module's Ray (already initialised in this process)
    assert not runner.started
    first = _build(corpus, tmp_path / "ray", runner)
    assert first.embedded == first.chunks
    (corpus / "notes" / "tea.rst").write_text("Tea\n===\n\nOolong tea is partly oxidised.\n", encoding="utf-8")
    (corpus / "notes" / "volcanoes.md").unlink()
    (corpus / "llamas.txt").write_text("Llamas\n\nLlamas live in the Andes. They carry loads.\n", encoding="utf-8")
    os.utime(corpus / "blinken.txt", ns=(10**18, 10**18))  # touched, same text: read again, not embedded
    update = _build(corpus, tmp_path / "ray", runner)
    local = _build(corpus, tmp_path / "local")
    assert (update.changed, update.removed) == (2, 1)
    changed_chunks = sum(len(v["chunks"]) for k, v in dump(tmp_path / "local").items()
                         if k in ("notes/tea.rst", "llamas.txt"))
    assert update.embedded == changed_chunks
    assert runner.sent == (["blinken.txt", "llamas.txt", "notes/tea.rst"], changed_chunks)
    assert update.embedded < local.embedded  # blinken.txt was kept, not embedded again
    assert "notes/volcanoes.md" not in dump(tmp_path / "ray")
    assert_same_index(tmp_path / "ray", tmp_path / "local")
    assert _build(corpus, tmp_path / "ray", runner).updated is False  # nothing changed: nothing sent to Ray


def test_a_ray_build_sends_the_chunks_a_window_at_a_time_and_matches_a_local_build(
        ray_address: str, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver holds one runner window of texts at a time (here 2 chunks: several calls), and what a
    runner read waits in a temporary file, not in memory; the index is the local build's all the same."""
    import index.build.builder
    import index.build.spill
    from index.build import BuildSummary, Progress, build
    from index.build.ray import RayRunner
    from index.embedding import HashEmbedder
    from index.storage.local import IndexDir

    class Small(RayRunner):
        calls: list[int] = []

        def read(self, corpus, sources, params, into):  # type: ignore[no-untyped-def]
            yield from super().read(corpus, sources, params, into)
            assert type(into).__name__ == "Stash" and len(into) == len(sources)

        def embed(self, jobs, dim, put):  # type: ignore[no-untyped-def]
            self.calls.append(len(jobs))
            yield from super().embed(jobs, dim, put)

    _big_corpus(corpus)
    monkeypatch.setattr(index.build.builder, "EMBED_WINDOW", 2)  # local and Ray builds alike
    monkeypatch.setattr(index.build.spill, "EMBED_WINDOW", 2)
    runner = Small(None, "hash", "auto")
    runner.window = 2
    events = list(build(corpus, IndexDir(tmp_path / "ray"), HashEmbedder(), runner=runner))
    summary = events[-1]
    assert isinstance(summary, BuildSummary)
    assert len(runner.calls) >= 3 and sum(runner.calls) == summary.embedded, runner.calls
    embedding = [(e.done, e.total) for e in events if isinstance(e, Progress) and e.stage == "embedding"]
    assert embedding[-1] == (summary.embedded, summary.embedded)
    assert [d for d, _t in embedding] == sorted(d for d, _t in embedding)  # progress never goes back
    _build(corpus, tmp_path / "local")
    assert_same_index(tmp_path / "ray", tmp_path / "local")


def test_without_ray_flag_ray_is_never_imported(corpus: Path, tmp_path: Path) -> None:
    code = ("import sys\nfrom tui.cli import main\n"
            f"sys.argv = ['qa', 'index', '--corpus', {str(corpus)!r}, '--index', {str(tmp_path / 'i')!r}]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "i").is_dir()


def test_ray_errors_are_one_line(corpus: Path, tmp_path: Path) -> None:
    unreachable = _run("index", "--corpus", str(corpus), "--index", str(tmp_path / "i"), "--ray", "127.0.0.1:1")
    assert unreachable.returncode == 9
    assert unreachable.stderr.strip().splitlines() == [
        "error: Could not reach a Ray cluster at 127.0.0.1:1 (Connection refused)."]
    code = ("import sys\nsys.modules['ray'] = None\nfrom tui.cli import main\n"
            f"sys.argv = ['qa', 'index', '--corpus', {str(corpus)!r}, '--index', {str(tmp_path / 'i')!r}, '--ray']\n"
            "main()\n")
    missing = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env(),
                             timeout=60)
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        "error: --ray needs Ray, which is not installed: pip install 'corpus-qa[ray]'"]
    assert not (tmp_path / "i").exists()


@pytest.mark.slow
def test_ray_build_with_the_real_model_matches_a_local_build(ray_address: str, corpus: Path, tmp_path: Path,
                                                             minilm: Any) -> None:
    from index.build import build
    from index.build.ray import RayRunner
    from index.storage.local import IndexDir

    runner = RayRunner(None, "minilm", minilm.precision)
    list(build(corpus, IndexDir(tmp_path / "ray"), minilm, runner=runner))
    list(build(corpus, IndexDir(tmp_path / "local"), minilm))
    # The same texts in batches of other shapes: equal within bf16 (or fp32) rounding; int8 embeds each text
    # in a pass of its own (its activations' scale is its own), so it is as exact as fp32 (when texts shared
    # passes, a text's vector moved with its pass mates: sentence vectors down to 0.9899 were seen).
    tolerance = {"bf16": 0.995}.get(minilm.precision, 0.9999)
    assert_same_index(tmp_path / "ray", tmp_path / "local", min_cosine=tolerance)


def test_embedding_actors_go_one_per_gpu_when_the_cluster_has_gpus() -> None:
    """The plan a cluster's resources give. This machine has no GPU, so the CUDA path itself (the model and
    its inputs moved to the worker's GPU) is not run here: only where the actors go is checked."""
    from index.build.ray import EmbedPlan, embed_plan

    assert embed_plan({"CPU": 16.0, "GPU": 2.0}, "minilm") == EmbedPlan(2, 1, "cuda")
    assert embed_plan({"CPU": 16.0}, "minilm") == EmbedPlan(16, 0, "cpu")
    assert embed_plan({"CPU": 4.0, "GPU": 1.0}, "hash") == EmbedPlan(4, 0, "cpu")  # nothing to put on a GPU
