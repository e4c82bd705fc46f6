"""Adversarial runs (issue 19), each case a hostile or careless use that once lost data, leaked it, hung or
misled: what it attacks is in the section's name. Real components only: real folders, FIFOs and symbolic
links, Milvus Lite embedded, a real HTTP server on 127.0.0.1, the installed `qa` command where the exit code
or a signal is what is tested, in-process otherwise."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from index.builder import BuildSummary, build, is_stale
from index.errors import ExitCode, UsageError
from index.hash_embedder import HashEmbedder
from index.store import IndexDir
from tests.conftest import clean_env, qa_command


def qa(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*qa_command(), *args], capture_output=True, text=True, timeout=timeout,
                          env=clean_env(**env), stdin=subprocess.DEVNULL)


def one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in stderr, stderr
    return lines[0]


def build_into(corpus: Path, index: IndexDir) -> BuildSummary:
    events = list(build(corpus, index, HashEmbedder()))
    assert isinstance(events[-1], BuildSummary)
    return events[-1]


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# -- the index folder: never delete what corpus-qa did not write ---------------------------------------------


def test_an_index_pointed_at_a_folder_of_someone_s_files_is_refused_and_nothing_is_deleted(
        corpus: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    for folder in ("tmp-photos", "gen-ai-notes", "tmp-20240101120000-deadbeef"):
        (victim / folder).mkdir(parents=True)
        (victim / folder / "keep.jpg").write_bytes(b"\xff\xd8 a photo")
    (victim / "CURRENT.1a2b3c4d.tmp").write_text("my notes", encoding="utf-8")
    before = tree(victim)
    for how in ({"args": ("--index", str(victim))}, {"env": {"QA_INDEX": str(victim)}}):
        out = qa("index", "--corpus", str(corpus), *how.get("args", ()), **how.get("env", {}))
        assert out.returncode == ExitCode.USAGE, out.stderr
        assert "not a corpus-qa index and is not empty" in one_line_error(out.stderr)
        assert tree(victim) == before  # not even a lock file was written
    with pytest.raises(UsageError, match="not a corpus-qa index"):
        build_into(corpus, IndexDir(victim))  # the config file's `index` takes the same road
    assert tree(victim) == before


def test_a_build_removes_only_the_leftovers_it_marked_as_its_own(corpus: Path, tmp_path: Path) -> None:
    index = IndexDir(tmp_path / "idx")
    build_into(corpus, index)
    live = index.current_generation()
    assert live is not None
    mine = index.path / "tmp-20240101120000-0badf00d"  # a build of ours that died half-way
    mine.mkdir()
    (mine / ".corpus-qa-build").write_text("", encoding="utf-8")
    (mine / "meta.sqlite").write_bytes(b"half")
    theirs = [index.path / name for name in ("tmp-photos", "gen-ai-notes", "tmp-20240101120000-deadbeef",
                                             "gen-20240101120000-deadbeef")]
    for folder in theirs:  # a user's folders in the index folder, two of them named exactly like ours
        folder.mkdir()
        (folder / "keep.txt").write_text("mine", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine", encoding="utf-8")
    (index.path / "gen-20240101120000-5ca1ab1e").symlink_to(outside, target_is_directory=True)
    (corpus / "new.txt").write_text("Stromboli erupts every few minutes.", encoding="utf-8")
    assert build_into(corpus, index).updated
    assert not mine.exists() and not live.exists()
    assert all((folder / "keep.txt").is_file() for folder in theirs)
    assert (outside / "keep.txt").is_file() and (index.path / "gen-20240101120000-5ca1ab1e").is_symlink()


def test_an_index_written_before_folders_were_marked_is_still_updated(corpus: Path, tmp_path: Path) -> None:
    index = IndexDir(tmp_path / "idx")
    build_into(corpus, index)
    (index.path / ".corpus-qa-index").unlink()
    (corpus / "new.txt").write_text("Stromboli erupts every few minutes.", encoding="utf-8")
    assert build_into(corpus, index).documents == 4
    assert (index.path / ".corpus-qa-index").is_file()


def test_a_file_given_as_the_index_is_named_as_such_not_damaged(corpus: Path, tmp_path: Path) -> None:
    afile = tmp_path / "notes.txt"
    afile.write_text("not an index", encoding="utf-8")
    for command in (["ask", "Where is Etna?"], ["index"], ["text", "blinken.txt"]):
        out = qa(*command, "--corpus", str(corpus), QA_INDEX=str(afile))
        assert out.returncode == ExitCode.USAGE, out.stderr
        assert "is a file, not a folder" in one_line_error(out.stderr) and "damaged" not in out.stderr
    assert afile.read_text(encoding="utf-8") == "not an index"
    out = qa("ask", "Where is Etna?", "--corpus", str(corpus), "--index", str(afile))
    assert out.returncode == ExitCode.USAGE and "is a file" in out.stderr


def test_an_index_kept_in_the_corpus_folder_itself_never_indexes_its_own_files(corpus: Path) -> None:
    index = IndexDir(corpus, corpus)
    summary = build_into(corpus, index)
    assert summary.documents == 3 and not summary.skipped  # not CURRENT, lock or the token file
    snapshot = index.open()
    try:
        assert sorted(s for s, _t in snapshot.sources()) == ["blinken.txt", "notes/tea.rst", "notes/volcanoes.md"]
        assert not is_stale(corpus, snapshot, index)  # so a question does not rebuild it
    finally:
        snapshot.close()
    assert not build_into(corpus, index).updated
    (corpus / "mcp-token").write_text("secret", encoding="utf-8")
    assert not build_into(corpus, index).updated


def test_qa_ask_with_the_index_in_the_corpus_builds_once(corpus: Path) -> None:
    args = ["--corpus", str(corpus), "--index", str(corpus)]
    assert qa("index", *args).returncode == 0
    live = (corpus / "CURRENT").read_text(encoding="utf-8")
    for _ in range(2):
        out = qa("ask", "Where is Mount Etna volcano?", *args)
        assert out.returncode == 0, out.stderr
        assert "notes/volcanoes.md" in out.stdout
        assert (corpus / "CURRENT").read_text(encoding="utf-8") == live  # answered, not rebuilt


# -- Milvus Lite: the same rules for its data folder -----------------------------------------------------------


@pytest.fixture
def milvus_lite() -> None:
    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")


def test_a_milvus_lite_path_on_someone_s_folder_or_file_is_refused(milvus_lite: None, corpus: Path,
                                                                   tmp_path: Path) -> None:
    theirs = tmp_path / "x.db"
    (theirs / "tmp-photos").mkdir(parents=True)
    (theirs / ".database-staging").mkdir()  # Milvus Lite empties this folder when it opens a store
    (theirs / ".database-staging" / "keep.txt").write_text("mine", encoding="utf-8")
    before = tree(theirs)
    out = qa("index", "--corpus", str(corpus), "--store", f"milvus://{theirs}")
    assert out.returncode == ExitCode.USAGE and "not a corpus-qa Milvus Lite store" in one_line_error(out.stderr)
    assert tree(theirs) == before
    afile = tmp_path / "f.db"
    afile.write_text("an SQLite file, say", encoding="utf-8")
    out = qa("index", "--corpus", str(corpus), "--store", f"milvus://{afile}")
    assert out.returncode == ExitCode.USAGE and "is a file, not a folder" in one_line_error(out.stderr)


def test_a_milvus_lite_store_is_private(milvus_lite: None, corpus: Path, tmp_path: Path) -> None:
    os.umask(0o022)
    store = tmp_path / "qa.db"
    assert qa("index", "--corpus", str(corpus), "--store", f"milvus://{store}").returncode == 0
    (corpus / "new.txt").write_text("Stromboli erupts every few minutes.", encoding="utf-8")
    assert qa("index", "--corpus", str(corpus), "--store", f"milvus://{store}").returncode == 0
    paths = [store, *store.rglob("*")]
    assert any(p.suffix == ".parquet" for p in paths)  # the documents' text is in there
    loose = [str(p) for p in paths if stat.S_IMODE(p.lstat().st_mode) != (0o700 if p.is_dir() else 0o600)]
    assert loose == []


def test_an_unreachable_milvus_server_is_its_own_error(milvus_lite: None, corpus: Path) -> None:
    out = qa("ask", "Where is Etna?", "--corpus", str(corpus), "--store", "milvus://127.0.0.1:1")
    assert out.returncode == ExitCode.STORE, out.stderr
    line = one_line_error(out.stderr)
    assert "Cannot reach the Milvus server at milvus://127.0.0.1:1" in line
    assert "damaged" not in line and "--rebuild" not in line
