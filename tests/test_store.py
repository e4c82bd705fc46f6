"""Index storage: incremental re-indexing, atomic generations, the writer lock, damaged indexes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from index.build import BuildSummary, build
from index.embedding import HashEmbedder
from index.errors import CorpusError, IndexBusyError, IndexStateError
from index.storage.local import IndexDir
from tests.conftest import qa_command


class CountingEmbedder(HashEmbedder):
    """Counts texts embedded; can be told to fail after a number of calls."""

    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__()
        self.embedded = 0
        self.calls = 0
        self.fail_after = fail_after

    def embed_documents(self, texts):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise RuntimeError("simulated crash while embedding")
        self.embedded += len(texts)
        return super().embed_documents(texts)


def run(corpus: Path, index: IndexDir, embedder, **kw) -> BuildSummary:  # type: ignore[no-untyped-def]
    events = list(build(corpus, index, embedder, **kw))
    assert isinstance(events[-1], BuildSummary)
    return events[-1]


def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sources the builder reads from here on (the real reader, watched)."""
    import index.build.builder as builder

    seen: list[str] = []
    real = builder.read_document

    def watched(corpus: Path, source: str):  # type: ignore[no-untyped-def]
        seen.append(source)
        return real(corpus, source)

    monkeypatch.setattr(builder, "read_document", watched)
    return seen


def test_reindex_is_incremental(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = IndexDir(tmp_path / "idx")
    emb = CountingEmbedder()
    first = run(corpus, index, emb)
    assert (first.documents, first.updated) == (3, True)
    assert first.embedded == first.chunks > 0

    emb.embedded = 0
    read = reads(monkeypatch)
    again = run(corpus, index, emb)
    assert (again.embedded, again.updated, emb.embedded) == (0, False, 0)
    assert read == []  # the stat shortcut: no file opened when none changed

    # touching a file without changing it: only that one is re-read and re-hashed, and nothing embedded
    os.utime(corpus / "notes" / "tea.rst", ns=(1, 1))
    touched = run(corpus, index, emb)
    assert touched.embedded == 0 and emb.embedded == 0
    assert read == ["notes/tea.rst"]

    (corpus / "notes" / "tea.rst").write_text("Oolong tea is partly oxidised.\n", encoding="utf-8")
    (corpus / "notes" / "volcanoes.md").unlink()
    (corpus / "new.txt").write_text("A new document about glaciers.", encoding="utf-8")
    changed = run(corpus, index, emb)
    assert changed.removed == 1
    assert changed.documents == 3
    assert changed.embedded == 2  # tea.rst and new.txt, one chunk each; blinken.txt reused

    snap = index.open(emb)
    sources = {r[0] for r in snap.conn.execute("SELECT source FROM documents")}
    assert sources == {"blinken.txt", "notes/tea.rst", "new.txt"}
    tea = snap.document_by_source("notes/tea.rst")
    assert tea is not None and tea.text.startswith("Oolong")
    # one vector per chunk (that reused vectors equal fresh ones: test_reused_vectors_match_a_fresh_build)
    assert snap.vectors.ntotal == snap.manifest.chunks
    snap.close()

    # a file still there but now skipped (emptied) leaves the index; it is skipped, not "removed"
    (corpus / "new.txt").write_text("", encoding="utf-8")
    emptied = run(corpus, index, emb)
    assert (emptied.removed, emptied.documents, [s.source for s in emptied.skipped]) == (0, 2, ["new.txt"])


def test_reused_vectors_match_a_fresh_build(corpus: Path, tmp_path: Path) -> None:
    import numpy as np

    inc, fresh = IndexDir(tmp_path / "inc"), IndexDir(tmp_path / "fresh")
    run(corpus, inc, HashEmbedder())
    (corpus / "z-last.txt").write_text("Another file entirely.", encoding="utf-8")
    run(corpus, inc, HashEmbedder())
    run(corpus, fresh, HashEmbedder())
    a, b = inc.open(), fresh.open()
    assert np.allclose(np.asarray(a.vectors.vectors), np.asarray(b.vectors.vectors))
    assert np.allclose(np.asarray(a.sentence_vectors), np.asarray(b.sentence_vectors))
    assert [r[1:] for r in a.conn.execute("SELECT * FROM sentences")] == \
        [r[1:] for r in b.conn.execute("SELECT * FROM sentences")]


def test_failed_build_leaves_previous_index_intact(corpus: Path, tmp_path: Path) -> None:
    index = IndexDir(tmp_path / "idx")
    run(corpus, index, HashEmbedder())
    before = index.current_generation()
    (corpus / "more.txt").write_text("Extra text that must be embedded.", encoding="utf-8")
    with pytest.raises(RuntimeError):
        run(corpus, index, CountingEmbedder(fail_after=0), rebuild=True)
    assert index.current_generation() == before
    assert index.open(HashEmbedder()).manifest.documents == 3
    # the next successful build cleans up whatever the failed one left
    run(corpus, index, HashEmbedder())
    assert not list(index.path.glob("tmp-*"))
    assert index.open().manifest.documents == 4


STEPPED_BUILD = """
import sys
import index.build.builder
from qa.config import Settings
from qa.engine import Engine

index.build.builder.CALL_CHARS = (512, 512)  # several embedding events from a small corpus
# what `qa index --rebuild` runs, reporting each build event and waiting for a line on stdin before going on
engine = Engine(Settings.resolve(sys.argv[1], sys.argv[2]))
for event in engine.reindex(rebuild=True):
    print(getattr(event, "stage", type(event).__name__), getattr(event, "done", 0), getattr(event, "total", 0),
          flush=True)
    sys.stdin.readline()
print("finished", 0, 0, flush=True)
"""


def _kill_point(kill_at: str, stage: str, done: int, total: int, seen: list[tuple[str, int, int]]) -> bool:
    if kill_at == "generation-started":  # the tmp-* folder was just made; nothing read or embedded yet
        return (stage, done) == ("reading", 0)
    if kill_at == "embedding":  # some batches embedded, more to come
        return stage == "embedding" and 0 < done < total
    if kill_at == "embedded":  # every vector written; the manifest, search structures and the swap are next
        return (stage, done, total) == ("writing", 0, 1) and any(s == "embedding" for s, _d, _t in seen)
    return (stage, done, total) == ("writing", 1, 1)  # committed: CURRENT names the new generation


@pytest.mark.parametrize("kill_at", ["generation-started", "embedding", "embedded", "committed"])
def test_index_killed_mid_build_is_never_half_written(corpus: Path, tmp_path: Path, kill_at: str) -> None:
    big = corpus / "big"
    big.mkdir()
    for i in range(40):  # ~80 chunks: three embedding batches
        (big / f"doc{i}.txt").write_text(" ".join(f"Sentence {j} of document {i}." for j in range(60)),
                                         encoding="utf-8")
    index_dir = tmp_path / "idx"
    index = IndexDir(index_dir)
    env = dict(os.environ, QA_EMBEDDER="hash")
    # a first complete build of the small corpus, then a rebuild of the big one killed at a reported event
    subprocess.run([*qa_command(), "index", "--corpus", str(corpus / "notes"), "--index", str(index_dir)],
                   check=True, env=env, capture_output=True)
    old_generation = index.current_generation()
    proc = subprocess.Popen([sys.executable, "-c", STEPPED_BUILD, str(corpus), str(index_dir)], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)
    assert proc.stdin is not None and proc.stdout is not None
    seen: list[tuple[str, int, int]] = []
    try:
        for line in proc.stdout:
            stage, done, total = line.split()[0], int(line.split()[1]), int(line.split()[2])
            if _kill_point(kill_at, stage, done, total, seen):
                break
            seen.append((stage, done, total))
            proc.stdin.write("\n")
            proc.stdin.flush()
        else:
            pytest.fail(f"the build never reported the kill point {kill_at!r}: {seen}")
        in_progress = sorted(index_dir.glob("tmp-*"))  # the build is paused at the event: a stable view
    finally:
        proc.kill()
    assert proc.wait() == -signal.SIGKILL
    if kill_at == "committed":
        assert not in_progress and index.current_generation() != old_generation
    else:  # killed mid-build: its generation was half-written and is still lying there, unpublished
        assert len(in_progress) == 1 and in_progress[0].is_dir() and (in_progress[0] / "chunks.npy").exists()
        assert sorted(index_dir.glob("tmp-*")) == in_progress and index.current_generation() == old_generation
    snap = index.open(HashEmbedder())  # opens cleanly: the old index or the new one, never a broken one
    assert snap.manifest.documents == (43 if kill_at == "committed" else 2)
    snap.close()
    # the next build takes the lock the dead process held, finishes, and clears what it left behind
    subprocess.run([*qa_command(), "index", "--corpus", str(corpus), "--index", str(index_dir)],
                   check=True, env=env, capture_output=True)
    assert not list(index_dir.glob("tmp-*"))
    assert index.open(HashEmbedder()).manifest.documents == 43


def test_writer_lock_excludes_writers_but_not_readers(corpus: Path, tmp_path: Path) -> None:
    index = IndexDir(tmp_path / "idx")
    run(corpus, index, HashEmbedder())
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from index.storage.local import IndexDir\n"
         f"with IndexDir(Path({str(index.path)!r})).write_lock():\n"
         "    print('locked', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexBusyError, match="being updated by process"):
            run(corpus, index, HashEmbedder(), rebuild=True)
        assert index.open(HashEmbedder()).manifest.documents == 3  # readers are not blocked
    finally:
        holder.kill()
        holder.wait()
    assert run(corpus, index, HashEmbedder(), rebuild=True).updated  # lock released with the process


def test_index_from_another_model_is_refused_on_open_and_rebuilt_by_a_build(corpus: Path, tmp_path: Path) -> None:
    index = IndexDir(tmp_path / "idx")
    run(corpus, index, HashEmbedder(dim=64))
    with pytest.raises(IndexStateError, match=r"built with the model .*qa index --rebuild"):
        index.open(HashEmbedder(dim=32))
    summary = run(corpus, index, HashEmbedder(dim=32))  # a build replaces it (see the test below)
    assert summary.updated and summary.embedded == summary.chunks
    assert index.open(HashEmbedder(dim=32)).manifest.dim == 32


@pytest.mark.parametrize(
    "damage",
    ["garbage_sqlite", "truncated_vectors", "no_manifest", "bad_manifest", "garbled_current", "vector_count",
     "old_format", "no_search_json"],
)
def test_damaged_index_gives_clear_error(corpus: Path, tmp_path: Path, damage: str) -> None:
    index = IndexDir(tmp_path / "idx")
    run(corpus, index, HashEmbedder())
    gen = index.current_generation()
    assert gen is not None
    if damage == "garbage_sqlite":
        (gen / "meta.sqlite").write_bytes(b"this is not a database" * 100)
    elif damage == "truncated_vectors":
        data = (gen / "chunks.npy").read_bytes()
        (gen / "chunks.npy").write_bytes(data[: len(data) // 2])
    elif damage == "no_search_json":
        (gen / "search.json").unlink()
    elif damage == "no_manifest":
        (gen / "manifest.json").unlink()
    elif damage == "bad_manifest":
        (gen / "manifest.json").write_text("{not json", encoding="utf-8")
    elif damage == "garbled_current":
        (index.path / "CURRENT").write_text("../../etc\n", encoding="utf-8")
    elif damage == "old_format":
        import json

        data = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
        data["format_version"] = 1
        del data["title_context"]
        (gen / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    elif damage == "vector_count":
        import numpy as np

        np.save(gen / "chunks.npy", np.zeros((1, 64), dtype=np.float32))
    with pytest.raises(IndexStateError, match=r"qa index --rebuild"):
        index.open(HashEmbedder())
    assert run(corpus, index, HashEmbedder(), rebuild=True).updated
    assert index.open(HashEmbedder()).manifest.documents == 3


def test_empty_or_missing_corpus_is_a_corpus_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "blank.txt").write_text("\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="no indexable documents"):
        run(tmp_path / "empty", IndexDir(tmp_path / "i1"), HashEmbedder())
    with pytest.raises(CorpusError, match="does not exist"):
        run(tmp_path / "nope", IndexDir(tmp_path / "i2"), HashEmbedder())


@pytest.mark.parametrize("outdated", ["format", "model"])
def test_an_index_of_another_format_or_model_is_rebuilt_with_a_warning(outdated: str, corpus: Path,
                                                                       tmp_path: Path) -> None:
    """The index is a cache: after an upgrade (another format) or a model change, a build replaces it, saying
    why, instead of exit 4. Readers that never build (qa text) still refuse it with the rebuild hint."""
    import json

    from index.build import Notice
    from qa.config import Settings
    from qa.engine import Engine

    index = IndexDir(tmp_path / "idx")
    run(corpus, index, HashEmbedder())
    manifest = next(index.path.glob("gen-*/manifest.json"))
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["format_version" if outdated == "format" else "weights_hash"] = 5 if outdated == "format" else "other"
    manifest.write_text(json.dumps(data), encoding="utf-8")
    engine = Engine(Settings.resolve(corpus, tmp_path / "idx"), embedder=HashEmbedder())
    with pytest.raises(IndexStateError, match=r"qa index --rebuild"):
        list(engine.prepare(refresh=False))
    events = list(engine.prepare())
    warnings = [e.message for e in events if isinstance(e, Notice) and e.warning]
    assert any("Rebuilding it" in w and ("format 5" in w if outdated == "format" else "model" in w)
               for w in warnings), warnings
    assert not engine.ask("Where is Mount Etna volcano?").abstained
    assert index.open(HashEmbedder()).manifest.documents == 3
    engine.close()


def test_documents_titled_remembers_keys_without_changing_what_it_answers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The snapshot remembers which documents a title key names (a set's members ask for the same words
    again and again); what it returns is what the table holds, for keys asked again, keys that name nothing,
    and after it forgot them all (TITLED_KEYS reached)."""
    import index.storage.local.reader as reader

    corpus = tmp_path / "c"
    corpus.mkdir()
    for name, title in [("a.txt", "Georgia (country)"), ("b.txt", "Georgia (U.S. state)"), ("c.txt", "Tbilisi"),
                        ("d.txt", "Atlanta")]:
        (corpus / name).write_text(f"{title}\n\n{title} is a place with a long history of its own.\n")
    index = IndexDir(tmp_path / "idx")
    run(corpus, index, HashEmbedder())
    snapshot = index.open(HashEmbedder())
    try:
        def table(keys: list[str]) -> dict[str, list[tuple[int, bool]]]:
            rows = snapshot.conn.execute("SELECT key, doc_id, whole FROM title_keys ORDER BY rowid").fetchall()
            found: dict[str, list[tuple[int, bool]]] = {}
            for key, doc_id, whole in rows:
                if key in keys:
                    found.setdefault(key, []).append((doc_id, bool(whole)))
            return {k: found[k] for k in sorted(found)}

        asked = [["georgia", "tbilisi", "nowhere"], ["georgia", "atlanta"], ["nowhere", "tbilisi"], ["atlanta"]]
        for keys in asked:
            got = snapshot.documents_titled(keys)
            assert got == table(keys)
            got.get("georgia", []).clear()  # what a caller does with the answer is not remembered
            assert snapshot.documents_titled(keys) == table(keys)
        assert len(snapshot.documents_titled(["georgia"])["georgia"]) == 2
        assert "nowhere" in snapshot._titled  # remembered, as naming nothing
        monkeypatch.setattr(reader, "TITLED_KEYS", 3)
        for keys in [*asked, *asked]:
            assert snapshot.documents_titled(keys) == table(keys)
            assert len(snapshot._titled) <= 3
    finally:
        snapshot.close()
