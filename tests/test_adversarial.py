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

from index.build import BuildSummary, build, is_stale
from index.embedding.hashing import HashEmbedder
from index.errors import ExitCode, UsageError
from index.storage.local import IndexDir
from tests.conftest import clean_env, qa_command, run_qa_text


def qa(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    return run_qa_text(*args, env=env, timeout=timeout)


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


@pytest.mark.milvus
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


@pytest.mark.milvus
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


@pytest.mark.milvus
def test_an_unreachable_milvus_server_is_its_own_error(milvus_lite: None, corpus: Path) -> None:
    out = qa("ask", "Where is Etna?", "--corpus", str(corpus), "--store", "milvus://127.0.0.1:1")
    assert out.returncode == ExitCode.STORE, out.stderr
    line = one_line_error(out.stderr)
    assert "Cannot reach the Milvus server at milvus://127.0.0.1:1" in line
    assert "damaged" not in line and "--rebuild" not in line


# -- reading the corpus: one open, checked, no link followed out, no pipe waited on -------------------------------


def test_a_file_swapped_for_a_link_out_of_the_corpus_after_the_scan_is_not_read(corpus: Path,
                                                                                tmp_path: Path) -> None:
    from index.reading.formats import LoadError
    from index.reading.load import load_document
    from index.reading.scan import scan_corpus

    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "tea.rst").write_text("root:x:0:0 from a swapped folder\n", encoding="utf-8")
    scanned = {s.source: s for s in scan_corpus(corpus)}
    assert scanned["blinken.txt"].problem is None and scanned["notes/tea.rst"].problem is None
    # The build reads what the scan saw; between the two, the file becomes a link to /etc/passwd...
    (corpus / "blinken.txt").unlink()
    (corpus / "blinken.txt").symlink_to(secret)
    with pytest.raises(LoadError, match="outside the corpus"):
        load_document(corpus, "blinken.txt")
    # ... or a folder on the way becomes a link to another folder.
    os.rename(corpus / "notes", tmp_path / "notes-moved")
    (corpus / "notes").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(LoadError, match="outside the corpus"):
        load_document(corpus, "notes/tea.rst")
    (corpus / "notes").unlink()
    os.rename(tmp_path / "notes-moved", corpus / "notes")
    (corpus / "alias.md").symlink_to(corpus / "notes" / "volcanoes.md")  # a link inside the corpus is read
    assert "Etna" in load_document(corpus, "alias.md").text
    os.mkfifo(corpus / "pipe.txt")
    with pytest.raises(LoadError, match="not a regular file"):
        load_document(corpus, "pipe.txt")  # at once, not waiting for a writer


ANSWER_TIME_PROBE = """
import os, resource, sys
from pathlib import Path
from index.embedding.hashing import HashEmbedder
from qa.config import Settings
from qa.engine import Engine

corpus, index, kind = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
engine = Engine(Settings.resolve(corpus, index), embedder=HashEmbedder())
for _ in engine.prepare():
    pass
doc = corpus / "notes" / "volcanoes.md"
doc.unlink()
if kind == "fifo":
    os.mkfifo(doc)
else:
    doc.symlink_to("/dev/zero")
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # /dev/zero read whole: MemoryError, not 9 GB
answer = engine.ask("Where is Mount Etna volcano?")
print(answer.abstained, [c.source for c in answer.citations], answer.warnings)
"""


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_an_answer_does_not_hang_on_a_pipe_or_read_dev_zero_put_in_place_of_a_cited_file(
        kind: str, corpus: Path, tmp_path: Path) -> None:
    """The quote check at answer time re-reads text files; the chat and an MCP server hold an index while the
    corpus changes under them (here, after `prepare`, without a refresh)."""
    import sys

    out = subprocess.run([sys.executable, "-c", ANSWER_TIME_PROBE, str(corpus), str(tmp_path / "idx"), kind],
                         capture_output=True, text=True, timeout=60, env=clean_env())
    assert out.returncode == 0, out.stderr[-2000:]
    assert "notes/volcanoes.md changed since it was indexed" in out.stdout
    assert "'notes/volcanoes.md'" not in out.stdout.split("[", 1)[1].split("]", 1)[0]  # no citation of it


# -- the MCP server over stdio: raw JSON-RPC, as a hostile or broken client sends it ---------------------------


class RawServer:
    """`qa mcp` over stdio, spoken to line by line: every line sent, every reply read with a deadline."""

    def __init__(self, corpus: Path, index: Path, *extra: str) -> None:
        self.proc = subprocess.Popen([*qa_command(), "mcp", "--corpus", str(corpus), "--index", str(index),
                                      "--no-watch", *extra], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=clean_env())
        self.buffer = b""
        self.send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})
        assert self.reply(60)["id"] == 0
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, message: dict | bytes) -> None:
        import json

        assert self.proc.stdin is not None
        line = message if isinstance(message, bytes) else json.dumps(message).encode()
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def reply(self, timeout: float = 30) -> dict:
        """The next line the server writes, as JSON; fails after `timeout` s without one."""
        import json
        import select
        import time

        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            ready, _w, _x = select.select([self.proc.stdout], [], [], max(0.0, left))
            assert ready, f"no reply within {timeout} s"
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            assert chunk, "the server closed stdout"
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def call(self, id: int, tool: str, timeout: float = 60, **arguments: object) -> dict:
        self.send({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool,
                                                                                  "arguments": arguments}})
        found = self.reply(timeout)
        assert found.get("id") == id, found
        return found

    def close(self) -> str:
        self.proc.kill()
        _out, err = self.proc.communicate(timeout=30)
        return err.decode("utf-8", "replace")


@pytest.fixture
def raw_server(corpus: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    deep = corpus / "archive" / ("a" * 60) / ("b" * 60)
    deep.mkdir(parents=True)
    (deep / ("c" * 60 + ".txt")).write_text("Deep in the archive, a note about Mount Etna.", encoding="utf-8")
    server = RawServer(corpus, tmp_path / "idx")
    yield server
    server.close()


def test_a_pathological_path_glob_neither_hangs_a_call_nor_the_server(raw_server: RawServer) -> None:
    """Exponential backtracking held the GIL: one such `where` froze every call of the server, ping included."""
    raw_server.send({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "ask", "arguments": {
        "question": "Where is Mount Etna?", "where": "path:****************X"}}})
    raw_server.send({"jsonrpc": "2.0", "id": 2, "method": "ping"})
    replies = {r["id"]: r for r in (raw_server.reply(30), raw_server.reply(30))}
    assert replies[2]["result"] == {}
    assert "No documents match" in replies[1]["result"]["content"][0]["text"]


def test_every_request_line_gets_an_answer_even_a_broken_one(raw_server: RawServer) -> None:
    """A lone surrogate or a line that is not JSON used to get no response at all: the client waited forever."""
    raw_server.send(b'{"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "ask", '
                    b'"arguments": {"question": "\\udc80"}}}')
    reply = raw_server.reply(10)
    assert reply["id"] == 3 and reply["error"]["code"] == -32602 and "surrogate" in reply["error"]["message"]
    raw_server.send(b"this is not JSON")
    reply = raw_server.reply(10)
    assert reply["id"] is None and reply["error"]["code"] == -32700
    raw_server.send(b"[1, 2]")
    assert raw_server.reply(10)["error"]["code"] == -32600
    raw_server.send({"jsonrpc": "2.0", "id": 4, "method": "ping"})
    assert raw_server.reply(10) == {"jsonrpc": "2.0", "id": 4, "result": {}}  # and the server goes on


def test_bad_arguments_are_refused_in_one_line_and_true_is_not_a_number(raw_server: RawServer) -> None:
    for n, (tool, arguments) in enumerate([("read", {"source": "blinken.txt", "start": True}),
                                           ("ask", {"question": 5}),
                                           ("ask", {"question": "Where is Etna?", "top_k": True}),
                                           ("list_documents", {"limit": 1.5})], start=10):
        reply = raw_server.call(n, tool, **arguments)
        text = reply["result"]["content"][0]["text"]
        assert reply["result"]["isError"] and "\n" not in text and "pydantic" not in text, text
        assert text.startswith(f"Invalid arguments for {tool}: ")
    whole = raw_server.call(20, "read", source="blinken.txt", start=1)  # a real whole number still works
    assert not whole["result"]["isError"]


def test_list_documents_refuses_a_tampered_source_like_every_other_tool(corpus: Path, tmp_path: Path) -> None:
    import fcntl
    import sqlite3

    index = IndexDir(tmp_path / "idx")
    build_into(corpus, index)
    gen = index.current_generation()
    assert gen is not None
    with sqlite3.connect(gen / "meta.sqlite") as db:
        db.execute("UPDATE documents SET source = '../../etc/passwd' WHERE source = 'notes/tea.rst'")
    lock = os.open(index.path / "lock", os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)  # the refresh at start cannot rebuild it: answers come from this index
    server = RawServer(corpus, index.path)
    try:
        for n, (tool, arguments) in enumerate([("list_documents", {}), ("read", {"source": "../../etc/passwd"}),
                                               ("ask", {"question": "How is green tea made?"})]):
            reply = server.call(n + 1, tool, **arguments)
            text = reply["result"]["content"][0]["text"]
            assert reply["result"]["isError"] and "outside the corpus" in text, (tool, text)
    finally:
        server.close()
        os.close(lock)


# -- amplification: small files that expand -------------------------------------------------------------------


def test_an_epub_listing_one_chapter_hundreds_of_times_reads_it_once(tmp_path: Path) -> None:
    """A 1 MB chapter listed 400 times in the spine (a 1 MB file) was 400 MB of text and 6.4 GB of memory."""
    import time

    from index.reading.load import load_document
    from tests.docgen import make_epub

    chapter = "Lava flows downhill. " * 50_000
    make_epub(tmp_path / "echo.epub", [("Echo", chapter), ("Coda", "The end.")], spine_order=[0] * 400 + [1])
    assert (tmp_path / "echo.epub").stat().st_size < 2 << 20
    started = time.monotonic()
    doc = load_document(tmp_path, "echo.epub")
    assert time.monotonic() - started < 20
    assert doc.text.count("Lava flows downhill.") == 50_000 and doc.text.endswith("The end.")
    assert len(doc.pages) == 401 and doc.page_at(len(doc.text) - 1).number == 401  # chapters keep their numbers


# -- checksums: what answers are built from is verified, not only stored -------------------------------------------


def test_a_flipped_byte_in_the_stored_text_is_damage_not_a_verified_quote(corpus: Path, tmp_path: Path) -> None:
    import json
    import sqlite3

    (corpus / "lava.html").write_text("<html><head><title>Lava</title></head><body><p>Basalt lava flows are "
                                      "runny and fast.</p></body></html>", encoding="utf-8")
    idx = tmp_path / "idx"
    args = ["--corpus", str(corpus), "--index", str(idx)]
    good = qa("ask", "--json", "What are basalt lava flows like?", *args)
    assert good.returncode == 0 and json.loads(good.stdout)["citations"][0]["source"] == "lava.html"
    gen = IndexDir(idx).current_generation()
    assert gen is not None
    with sqlite3.connect(gen / "meta.sqlite") as db:  # one byte: "fast" becomes "vast"
        db.execute("UPDATE documents SET text = replace(text, 'fast', 'vast') WHERE source = 'lava.html'")
    out = qa("ask", "--json", "What are basalt lava flows like?", *args)
    assert out.returncode == ExitCode.INDEX, out.stdout
    assert "stored text of 'lava.html' does not match its checksum" in one_line_error(out.stderr)
    assert "vast" not in out.stdout


def test_non_numbers_in_the_keyword_index_are_damage_and_never_reach_json(corpus: Path, tmp_path: Path) -> None:
    import numpy as np

    idx = tmp_path / "idx"
    args = ["--corpus", str(corpus), "--index", str(idx)]
    assert qa("index", *args).returncode == 0
    gen = IndexDir(idx).current_generation()
    assert gen is not None
    data = gen / "bm25" / "data.csc.index.npy"
    scores = np.load(data)
    np.save(data, np.full_like(scores, np.inf))  # same size, same header: only the values change
    out = qa("ask", "--json", "Mount Etna volcano Sicily", *args)
    assert "NaN" not in out.stdout and "Infinity" not in out.stdout
    assert out.returncode == ExitCode.INDEX, out.stdout
    assert "data.csc.index.npy does not match its checksum" in one_line_error(out.stderr)


def test_a_damaged_vector_block_is_found_whichever_blocks_a_sample_picks(corpus: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Checksums of vector blocks were sampled at open (two random blocks and the first): a damaged block gave
    another answer, exit 0, in 8 of 10 runs. Here the sample is made to pick the first blocks, and the damage
    is in the last one."""
    import random

    import numpy as np

    from index.errors import IndexStateError

    for i in range(60):
        (corpus / f"doc{i:02d}.txt").write_text(" ".join(f"Sentence {i} {j} about lava and ash {j * i}."
                                                         for j in range(200)), encoding="utf-8")
    embedder = HashEmbedder(dim=4096)  # 64 vectors a 1 MiB block: many blocks from a small corpus
    index = IndexDir(tmp_path / "idx")
    list(build(corpus, index, embedder))
    gen = index.current_generation()
    assert gen is not None
    vectors = gen / "chunks.npy"
    size = vectors.stat().st_size
    assert size > 6 << 20
    with open(vectors, "r+b") as fh:  # one vector of the last block, changed
        fh.seek(size - 4 * 4096)
        fh.write(np.full(4096, 0.5, dtype="<f4").tobytes())
    monkeypatch.setattr(random, "sample", lambda population, k: list(population)[:k])
    snapshot = index.open()
    try:
        with pytest.raises(IndexStateError, match="chunks.npy does not match its checksum"):
            snapshot.dense_search(embedder.embed_query("lava and ash"), 5)
    finally:
        snapshot.close()


# -- the MCP server over HTTP: other local users -----------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class HttpServer:
    """`qa mcp --http PORT` on 127.0.0.1, started and waited for until it listens."""

    def __init__(self, corpus: Path, index: Path, **env: str) -> None:
        import socket
        import time

        from tests.conftest import popen_interruptible

        self.port = free_port()
        self.proc = popen_interruptible([*qa_command(), "mcp", "--corpus", str(corpus), "--index", str(index),
                                         "--no-watch", "--http", str(self.port)], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env(**env))
        for _ in range(300):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            assert self.proc.poll() is None, self.proc.communicate()
            time.sleep(0.1)
        raise AssertionError("the server never listened")

    def post(self, headers: dict[str, bytes], host: bytes = b"127.0.0.1") -> tuple[int, bytes]:
        """A raw HTTP request (an initialize call), as any local program could send it: (status, response)."""
        import socket

        body = (b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", '
                b'"capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}')
        lines = [b"POST /mcp HTTP/1.1", b"Host: " + host + b":" + str(self.port).encode(),
                 b"Content-Type: application/json", b"Accept: application/json, text/event-stream",
                 b"Content-Length: " + str(len(body)).encode(), b"Connection: close",
                 *[name.encode() + b": " + value for name, value in headers.items()]]
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
            s.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
            response = b""
            while chunk := s.recv(65536):
                response += chunk
                if b"\r\n\r\n" in response and (b"401" in response[:15] or b"421" in response[:15]):
                    break
        return int(response.split(b" ", 2)[1]), response

    def stop(self) -> tuple[int, str]:
        import signal

        self.proc.send_signal(signal.SIGINT)
        try:
            _out, err = self.proc.communicate(timeout=30)
        finally:
            self.proc.kill()
        return self.proc.returncode, err.decode("utf-8", "replace")


def test_http_requires_the_bearer_token_written_privately_beside_the_index(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "idx"
    server = HttpServer(corpus, index)
    try:
        token_file = index / "mcp-token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        token = token_file.read_text(encoding="utf-8").strip()
        assert len(token) >= 32
        assert server.post({})[0] == 401  # any local user, without the token
        assert server.post({"Authorization": b"Bearer wrong-" + token.encode()})[0] == 401
        assert server.post({"Authorization": token.encode()})[0] == 401  # the scheme is part of it
        status, response = server.post({"Authorization": b"Bearer " + token.encode()})
        assert status == 200 and b'"serverInfo"' in response
    finally:
        code, err = server.stop()
    assert code == 130
    assert "Authorization: Bearer <token>" in err and str(token_file) in err and token not in err


def test_a_configured_token_is_the_one_required(corpus: Path, tmp_path: Path) -> None:
    server = HttpServer(corpus, tmp_path / "idx", QA_MCP_TOKEN="s3cret-token-from-the-settings")
    try:
        assert server.post({"Authorization": b"Bearer s3cret-token-from-the-settings"})[0] == 200
        assert server.post({})[0] == 401
        assert (tmp_path / "idx" / "mcp-token").read_text(encoding="utf-8").strip() == \
            "s3cret-token-from-the-settings"
    finally:
        server.stop()
    shown = qa("config", QA_MCP_TOKEN="s3cret-token-from-the-settings")
    assert "s3cret" not in shown.stdout and "mcp_token" in shown.stdout


def test_http_on_a_port_in_use_exits_non_zero_after_its_error(corpus: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        out = qa("mcp", "--corpus", str(corpus), "--index", str(tmp_path / "idx"), "--http", str(port), timeout=60)
    assert out.returncode == ExitCode.USAGE, out.stderr
    assert f"Cannot serve on 127.0.0.1:{port}" in one_line_error(out.stderr)


def test_rejected_headers_reach_the_operator_s_terminal_escaped(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "idx"
    server = HttpServer(corpus, index)
    try:
        token = (index / "mcp-token").read_text(encoding="utf-8").strip()
        status, _response = server.post({"Authorization": b"Bearer " + token.encode()},
                                        host=b"evil\x1b]0;pwned\x07\x9b31m.example")
        assert status == 421  # the SDK refuses a Host that is not local, and logs it
    finally:
        _code, err = server.stop()
    assert "Invalid Host header" in err
    assert "\x1b]0;" not in err and "\x07" not in err and "\x9b" not in err
    assert "\\x1b" in err and "\\x9b" in err


# -- spoofing: file names and settings that try to draw lines of their own ----------------------------------------

FORGED = "moon\n[2] nasa-report.txt:1  \"The Moon is made of cheese.\"\n.txt"
"""A file name holding a newline and a fake citation line."""


def chat_factory(corpus: Path, index: Path):  # type: ignore[no-untyped-def]
    def factory():  # type: ignore[no-untyped-def]
        from qa.config import Settings
        from qa.engine import Engine

        return Engine(Settings.resolve(corpus, index), embedder=HashEmbedder())

    return factory


@pytest.mark.asyncio
async def test_a_file_name_with_newlines_draws_no_citation_line_in_the_chat_or_its_export(
        corpus: Path, tmp_path: Path) -> None:
    from textual.widgets import Input

    from tui.app import ChatApp
    from tui.widgets import CitationItem

    (corpus / FORGED).write_text("The Moon orbits the Earth once a month.\n", encoding="utf-8")
    os.umask(0o022)
    exports = tmp_path / "exports"
    exports.mkdir()
    app = ChatApp(chat_factory(corpus, tmp_path / "idx"), export_dir=exports)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        app.query_one("#question", Input).value = "The Moon orbits the Earth once a month"
        await pilot.press("enter")
        for _ in range(200):
            await pilot.pause(0.02)
            if app.query(CitationItem):
                break
        item = app.query(CitationItem).first()
        assert item.citation.source == FORGED
        header = str(item.render()).split("\n")[0]
        assert header.startswith("[1] moon\\n[2] nasa-report.txt:1") and "cheese" in header
        app.action_export()
    (exported,) = exports.glob("corpus-qa-*.md")
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    text = exported.read_text(encoding="utf-8")
    assert not any(line.startswith("[2]") for line in text.splitlines()), text
    assert "moon\\n[2] nasa-report.txt" in text


def test_an_exported_conversation_holds_no_terminal_escape(corpus: Path) -> None:
    from qa.render import export_markdown as answer_markdown
    from qa.types import Answer, Citation

    quote = "Lemurs sleep\x1b]0;PWNED\x07 all\x9b2J day."
    answer = Answer("Where do lemurs sleep?\x1b[2J", quote + " [1]", False, (
        Citation(1, "x\x1b]0;T\x07.txt", 0, len(quote), quote, 1.0, "Lemurs"),))
    text = answer_markdown("Where do lemurs sleep?\x1b[2J", answer)
    assert not any(ch in text for ch in "\x1b\x07\x9b"), repr(text)
    assert "x\\x1b]0;T\\x07.txt:1" in text and "PWNED" in text


def test_qa_config_shows_values_escaped(tmp_path: Path) -> None:
    out = qa("config", QA_WHERE="title:x\x1b]0;PWNED\x07\n[fake] top_k  100  (flag)", QA_CORPUS=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout
    assert "title:x\\x1b]0;PWNED\\x07\\n[fake] top_k" in out.stdout
    assert not any(line.startswith("[fake]") for line in out.stdout.splitlines())


# -- misleading messages ------------------------------------------------------------------------------------------


def test_a_pdf_after_an_encrypted_one_is_not_called_encrypted(tmp_path: Path) -> None:
    """PDFium's last error is per process and stays set after a document that opens: a PDF that opens without
    a page was reported with the error of whichever PDF failed before it (a password, a data format error),
    so what a file is called depended on the files read before it in the same process."""
    import pypdfium2 as pdfium
    from fpdf import FPDF

    from index.reading.formats import LoadError
    from index.reading.load import load_document

    locked = FPDF()
    locked.add_page()
    locked.set_font("helvetica", size=12)
    locked.cell(text="Secret lava notes.")
    locked.set_encryption(owner_password="owner", user_password="user")
    locked.output(str(tmp_path / "locked.pdf"))
    empty = pdfium.PdfDocument.new()
    empty.save(str(tmp_path / "empty.pdf"))
    empty.close()
    (tmp_path / "damaged.pdf").write_bytes(b"%PDF-1.4\n" + b"not a PDF body " * 64)
    (tmp_path / "fine.pdf").write_bytes(locked_free_pdf())
    for name, reason in [("empty.pdf", "it has no pages"), ("locked.pdf", "encrypted PDF"),
                         ("empty.pdf", "it has no pages"), ("locked.pdf", "encrypted PDF"),
                         ("damaged.pdf", "damaged or truncated PDF"), ("empty.pdf", "it has no pages"),
                         ("fine.pdf", ""), ("empty.pdf", "it has no pages"), ("damaged.pdf", "Data format error"),
                         ("locked.pdf", "encrypted PDF"), ("damaged.pdf", "damaged or truncated PDF")]:
        if not reason:
            assert "Lava" in load_document(tmp_path, name).text
            continue
        with pytest.raises(LoadError) as info:
            load_document(tmp_path, name)
        assert reason in str(info.value), (name, str(info.value))
        assert (name == "locked.pdf") == ("encrypted" in str(info.value)), (name, str(info.value))
        assert (name == "empty.pdf") == ("no pages" in str(info.value)), (name, str(info.value))


def locked_free_pdf() -> bytes:
    """A one-page PDF that opens without a password."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Lava flows downhill.")
    return bytes(pdf.output())


def test_a_docx_without_core_properties_is_titled_by_its_first_heading(tmp_path: Path) -> None:
    """python-docx makes up core properties when a file has none: titled "Word Document", dated today."""
    import re
    import zipfile

    from index.reading.load import load_document
    from tests.docgen import make_docx

    make_docx(tmp_path / "full.docx", [("h1", "Lava Report"), ("p", "Basalt lava is runny.")])
    with zipfile.ZipFile(tmp_path / "full.docx") as zin, zipfile.ZipFile(tmp_path / "bare.docx", "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "docProps/core.xml":
                continue
            if item.filename == "_rels/.rels":
                data = re.sub(rb"<Relationship [^>]*core-properties[^>]*/>", b"", data)
            zout.writestr(item, data)
    doc = load_document(tmp_path, "bare.docx")
    assert doc.title == "Lava Report" and doc.date is None
