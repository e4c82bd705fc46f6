"""The storage backends against one answer contract: the local folder, Milvus Lite embedded in a temporary
file, and a Milvus server over gRPC (Milvus Lite's own server, `python -m milvus_lite server`, started once
per session on a free local port: the `milvus://host:port` path, lease lock included) index, answer, update,
filter and refuse alike. Real engines, no mocks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from index.build import BuildSummary, build
from index.embedding import HashEmbedder
from index.storage import open_store
from qa.config import Settings
from qa.engine import Engine
from tests.conftest import clean_env, qa_command

# tests/conftest.py puts the server's tests on one worker (its session fixture starts once per run) and
# Milvus Lite's on another (--dist=loadgroup).
pytestmark = pytest.mark.milvus

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

BACKENDS = ["local", "milvus", "milvus-server"]
QUESTIONS = ["Where is Mount Etna volcano?", "Blinken Astana Tuesday talks", "What is green tea made from?",
             "Who destroyed Pompeii?", "Which countries did Blinken visit in Central Asia?", "oxidised leaves"]


_SERVER: dict[str, str] = {}


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Milvus server on a free local port, for the session: `host:port`."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp_path_factory.mktemp("milvus-server")
    server = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data / "data"),
                               "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=(data / "log").open("w"), env=clean_env())
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, (data / "log").read_text()
                assert time.monotonic() < deadline, "the Milvus server did not start in 60 s"
                time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(autouse=True)
def _server_for_server_backend(request: pytest.FixtureRequest) -> None:
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("backend") == "milvus-server":
        _SERVER["address"] = request.getfixturevalue("milvus_server")


def spec_for(backend: str, tmp_path: Path, name: str = "idx") -> str:
    if backend == "local":
        return str(tmp_path / name)
    if backend == "milvus":
        return f"milvus://{tmp_path / name}.db"
    # one collection set per test on the shared server
    return f"milvus://{_SERVER['address']}?collection=" + re.sub(r"\W", "_", f"{tmp_path.name}_{name}")


class CountingEmbedder(HashEmbedder):
    """Counts the texts it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed_documents(self, texts):  # type: ignore[no-untyped-def]
        self.texts += texts
        return super().embed_documents(texts)


def run(corpus: Path, spec: str, embedder: Any, **kw) -> BuildSummary:  # type: ignore[no-untyped-def]
    store = open_store(spec)
    try:
        events = list(build(corpus, store, embedder, **kw))
    finally:
        store.close()
    assert isinstance(events[-1], BuildSummary)
    return events[-1]


def engine(corpus: Path, spec: str, embedder: Any = None) -> Engine:
    eng = Engine(Settings.resolve(corpus, None, store=spec), embedder=embedder or HashEmbedder())
    for _ in eng.prepare():
        pass
    return eng


def answers(corpus: Path, spec: str, where: str | None = None, embedder: Any = None) -> list[tuple[object, ...]]:
    eng = engine(corpus, spec, embedder)
    try:
        out = []
        for q in QUESTIONS:
            a = eng.ask(q, where=where)
            out.append((a.text, a.abstained, [(c.source, c.start, c.end, c.quote) for c in a.citations],
                        [(p.source, p.start, p.end, round(p.score, 4)) for p in a.passages]))
        return out
    finally:
        eng.close()


@pytest.mark.parametrize("backend", ["milvus", "milvus-server"])
def test_a_sets_members_are_answered_alike_from_milvus(backend: str, tmp_path: Path) -> None:
    """A question over a set: its members are asked of their own documents (qa/retrieval.py retrieve_within,
    through the storage interface's chunks_of, dense_scores and sentence vectors) with the same answer."""
    from tests.test_multipart import write_countries

    countries = write_countries(tmp_path / "countries")
    local, milvus = spec_for("local", tmp_path), spec_for(backend, tmp_path)
    results = []
    for spec in (local, milvus):
        eng = engine(countries, spec)
        try:
            a = eng.ask("What are the capitals of the three largest countries?")
            with eng._reading() as snapshot:  # how every document opens: what a set's members are found by
                openings = (snapshot.openings(30), snapshot.openings(12, [3, 0, 3]))
            results.append((a.text, [(p.label, p.abstained, p.citations) for p in a.parts],
                            [(c.source, c.start, c.end) for c in a.citations], openings))
        finally:
            eng.close()
    assert len(results[0][1]) >= 3 and any(not abstained for _, abstained, _ in results[0][1])
    every, some = results[0][3]
    assert len(every) == 5 and [i for i, _, _ in some] == [0, 3] and all(len(text) == 12 for _, _, text in some)
    assert all(text.startswith(title) for _, title, text in every)
    assert results[1] == results[0]


@pytest.mark.parametrize("backend", ["milvus", "milvus-server"])
def test_milvus_answers_equal_local_answers(backend: str, corpus: Path, tmp_path: Path) -> None:
    """Same corpus, same embedder: every answer, citation (offsets and quote) and passage ranking agree."""
    for i in range(8):  # enough chunks that BM25 and the dense ranking both matter
        (corpus / f"extra-{i}.txt").write_text(f"Report {i}. The volcano Etna erupted in year {2000 + i}. "
                                               "Green tea and black tea differ in oxidation. " * (i + 1),
                                               encoding="utf-8")
    local, milvus = spec_for("local", tmp_path), spec_for(backend, tmp_path)
    run(corpus, local, HashEmbedder())
    run(corpus, milvus, HashEmbedder())
    expected = answers(corpus, local)
    assert any(a[2] for a in expected)
    assert answers(corpus, milvus) == expected
    assert answers(corpus, milvus, where="path:notes/**") == answers(corpus, local, where="path:notes/**")


def test_a_large_milvus_index_searches_an_hnsw_graph_and_answers_alike(corpus: Path, tmp_path: Path) -> None:
    """From `exact_limit` chunks on (100,000 by default; 1 here) the chunk vectors get an HNSW index instead of
    FLAT, like the local store's IVF; on a corpus this small the graph finds the exact neighbours."""
    from index.types import ChunkingParams

    spec = spec_for("milvus", tmp_path)
    run(corpus, spec, HashEmbedder(), params=ChunkingParams(exact_limit=1))
    store = open_store(spec)
    try:
        reader = store.open(HashEmbedder())
        assert reader.manifest.vector_index == "milvus-hnsw"
        described = reader.client.describe_index(f"{reader.gen}_chunks", "vector")  # type: ignore[attr-defined]
        assert described["index_type"] == "HNSW", described
        reader.close()
    finally:
        store.close()  # type: ignore[attr-defined]
    local = spec_for("local", tmp_path)
    run(corpus, local, HashEmbedder())
    assert answers(corpus, spec) == answers(corpus, local)
    store = open_store(spec)
    try:  # the answers came from that graph: nothing was rebuilt on the way
        assert store.open(HashEmbedder()).manifest.vector_index == "milvus-hnsw"
    finally:
        store.close()  # type: ignore[attr-defined]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["milvus", "milvus-server"])
def test_milvus_with_the_real_model_answers_as_the_local_store(backend: str, corpus: Path, tmp_path: Path,
                                                               minilm: Any) -> None:
    local, milvus = spec_for("local", tmp_path), spec_for(backend, tmp_path)
    run(corpus, local, minilm)
    run(corpus, milvus, minilm)
    expected = answers(corpus, local, embedder=minilm)
    assert any(a[2] for a in expected)
    assert answers(corpus, milvus, embedder=minilm) == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_index_ask_and_citations_verify(backend: str, corpus: Path, tmp_path: Path) -> None:
    eng = engine(corpus, spec_for(backend, tmp_path))
    try:
        answer = eng.ask("Where is Mount Etna volcano?")
        assert answer.citations and answer.citations[0].source == "notes/volcanoes.md"
        for c in answer.citations:  # quote verification stays in corpus-qa, against the stored text
            assert (corpus / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote
        assert eng.document_text("blinken.txt") == (corpus / "blinken.txt").read_text(encoding="utf-8")
    finally:
        eng.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_update_embeds_only_what_changed_and_drops_what_was_removed(backend: str, corpus: Path,
                                                                     tmp_path: Path) -> None:
    spec = spec_for(backend, tmp_path)
    emb = CountingEmbedder()
    first = run(corpus, spec, emb)
    assert first.embedded == first.chunks > 0 and any("Blinken" in t for t in emb.texts)
    emb.texts = []
    assert (run(corpus, spec, emb).updated, emb.texts) == (False, [])
    (corpus / "notes" / "tea.rst").write_text("Oolong tea is partly oxidised.\n", encoding="utf-8")
    (corpus / "notes" / "volcanoes.md").unlink()
    (corpus / "new.txt").write_text("A new document about glaciers.", encoding="utf-8")
    changed = run(corpus, spec, emb)
    assert (changed.removed, changed.documents, changed.embedded) == (1, 3, 2)
    # only the changed and the new file were embedded; blinken.txt's vectors were copied
    assert emb.texts and all("Oolong" in t or "glaciers" in t for t in emb.texts), emb.texts
    fresh = spec_for(backend, tmp_path, "fresh")
    run(corpus, fresh, HashEmbedder())
    # kept documents' rows and vectors were copied (read back), equal to a fresh build's
    assert answers(corpus, spec) == answers(corpus, fresh)
    eng = engine(corpus, spec)
    try:
        assert eng.document_text("notes/volcanoes.md") is None
        assert (eng.document_text("notes/tea.rst") or "").startswith("Oolong")
        assert all(p.source != "notes/volcanoes.md" for p in eng.search("Mount Etna volcano Sicily", top_k=10))
    finally:
        eng.close()


def test_an_open_reader_keeps_its_generation_until_closed(corpus: Path, tmp_path: Path) -> None:
    """Questions in flight during an update finish on the old generation; a removed document's text goes
    with it as soon as its last reader closes."""
    store = open_store(spec_for("milvus", tmp_path))
    try:
        list(build(corpus, store, HashEmbedder()))
        old = store.open(HashEmbedder())
        (corpus / "notes" / "volcanoes.md").unlink()
        list(build(corpus, store, HashEmbedder()))
        assert len(store.generations()) == 2  # type: ignore[attr-defined]
        volcanoes = old.document_by_source("notes/volcanoes.md")
        assert volcanoes is not None and "Etna" in volcanoes.text
        assert len(old.dense_search(HashEmbedder().embed_query("Etna"), 5)[0]) > 0
        old.close()
        assert len(store.generations()) == 1  # type: ignore[attr-defined]
        assert store.open(HashEmbedder()).document_by_source("notes/volcanoes.md") is None
    finally:
        store.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("stale_check", [0.0, 3600.0])
def test_an_engine_follows_another_process_update_on_a_server(stale_check: float, milvus_server: str, corpus: Path,
                                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Milvus server serves several processes: when another one publishes an update (and drops the
    generation this engine had open), the next question is answered from the new generation, whether the
    engine notices before asking (stale_check 0) or only when a search fails (3600)."""
    import index.storage.milvus.reader

    _SERVER["address"] = milvus_server
    monkeypatch.setattr(index.storage.milvus.reader, "STALE_CHECK", stale_check)
    spec = spec_for("milvus-server", tmp_path)
    eng = engine(corpus, spec)
    try:
        assert not any(c.source == "glaciers.txt" for c in eng.ask("Which glacier is the longest?").citations)
        (corpus / "glaciers.txt").write_text("The Lambert Glacier is the longest glacier in the world.",
                                             encoding="utf-8")
        run(corpus, spec, HashEmbedder())  # another store, as another process would: drops the old generation
        answer = eng.ask("Which glacier is the longest?")
        assert [c.source for c in answer.citations][:1] == ["glaciers.txt"], answer
    finally:
        eng.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_where_filters(backend: str, corpus: Path, tmp_path: Path) -> None:
    eng = engine(corpus, spec_for(backend, tmp_path))
    try:
        assert {p.source for p in eng.search("volcano tea Blinken", top_k=5, where="path:notes/**")} <= \
            {"notes/volcanoes.md", "notes/tea.rst"}
        assert [p.source for p in eng.search("Blinken", top_k=3, where="format:rst")] == ["notes/tea.rst"]
        assert eng.ask("lava", where="path:nowhere/**").abstained
    finally:
        eng.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_second_writer_is_refused_as_busy(backend: str, corpus: Path, tmp_path: Path) -> None:
    spec = spec_for(backend, tmp_path)
    run(corpus, spec, HashEmbedder())
    holder = subprocess.Popen(
        # SIGTERM ends the holder through its `with` (a signal's default would skip it; and SIGINT may be
        # ignored by a test run started in the background, which its children inherit)
        [sys.executable, "-c", "import signal, sys, time; from index.storage import open_store\n"
         "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
         f"with open_store({spec!r}).write_lock():\n    print('locked', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent, env=clean_env())
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        out = subprocess.run([*qa_command(), "index", "--rebuild", "--corpus", str(corpus), "--store", spec],
                             capture_output=True, text=True, env=clean_env(), timeout=120)
        assert out.returncode == 5, out.stderr
        assert "being updated by process" in out.stderr and "Traceback" not in out.stderr
    finally:
        # A file lock goes with the process; a server's lease is given back when the holder ends (a killed
        # holder's lease blocks writers until it expires).
        holder.terminate()
        holder.wait(timeout=60)
    assert run(corpus, spec, HashEmbedder(), rebuild=True).updated  # released


def test_writers_racing_for_a_server_lease_never_both_win(milvus_server: str, corpus: Path, tmp_path: Path) -> None:
    """Four processes ask for the write lease at the same instant: at most one holds it at a time (Milvus
    has no compare-and-swap; see index/storage/milvus/lease.py), and it is free again afterwards."""
    _SERVER["address"] = milvus_server
    spec = spec_for("milvus-server", tmp_path)
    start = time.time() + 10  # after every process has imported pymilvus and connected
    script = ("import sys, time\nfrom index.errors import IndexBusyError\nfrom index.storage import open_store\n"
              f"store = open_store({spec!r}); store.client\n"
              f"time.sleep(max(0.0, {start!r} - time.time()))\n"
              "try:\n    with store.write_lock():\n        print('won', time.time(), flush=True); time.sleep(2)\n"
              "        print('left', time.time(), flush=True)\n"
              "except IndexBusyError:\n    print('busy', flush=True)\n")
    racers = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=Path(__file__).parent.parent, env=clean_env()) for _ in range(4)]
    outs = [r.communicate(timeout=120) for r in racers]
    assert all(r.returncode == 0 for r in racers), [err for _out, err in outs]
    held = sorted((float(o.split()[1]), float(o.split()[3])) for o, _e in outs if o.startswith("won"))
    assert len(held) + sum(o.startswith("busy") for o, _e in outs) == 4
    assert all(a[1] <= b[0] for a, b in zip(held, held[1:], strict=False)), held  # never two at once
    assert run(corpus, spec, HashEmbedder()).updated  # and free again


def test_a_lease_whose_renewal_keeps_failing_is_given_up_and_not_published(
        milvus_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import index.storage.milvus.lease as lease
    from index.errors import IndexBusyError

    monkeypatch.setattr(lease, "LEASE_SECONDS", 1.5)  # renewed every 0.5 s, given up after 1 s of failures
    _SERVER["address"] = milvus_server
    store = open_store(spec_for("milvus-server", tmp_path))
    try:
        with store.write_lock():
            store.client.drop_collection(f"{store.base}_lock")  # type: ignore[attr-defined]  # renewals fail now
            deadline = time.monotonic() + 60
            while store._lease.lost is None and time.monotonic() < deadline:  # type: ignore[attr-defined]
                time.sleep(0.05)
            with pytest.raises(IndexBusyError, match="lost its write lease \\(renewing it failed"):
                store.check_lease()  # type: ignore[attr-defined]
    finally:
        store.close()


def _foreign(db: Path, damage: str) -> None:
    """Make a Milvus Lite file whose alias `corpus_qa` leads somewhere corpus-qa did not write."""
    from pymilvus import DataType, MilvusClient

    client = MilvusClient(str(db))
    try:
        if damage == "foreign alias":
            schema = client.create_schema(auto_id=False)
            schema.add_field("id", DataType.INT64, is_primary=True)
            schema.add_field("embedding", DataType.FLOAT_VECTOR, dim=8)
            client.create_collection("someone_elses", schema=schema)
            client.alter_alias("someone_elses", "corpus_qa")
            return
        gen = client.describe_alias("corpus_qa")["collection_name"].removesuffix("_meta")
        if damage == "earlier layout":  # keywords as precomputed sparse vectors, as corpus-qa wrote them before
            client.drop_collection(f"{gen}_keywords")
            schema = client.create_schema(auto_id=False)
            schema.add_field("id", DataType.INT64, is_primary=True)
            schema.add_field("doc_id", DataType.INT64)
            schema.add_field("terms", DataType.SPARSE_FLOAT_VECTOR)
            params = client.prepare_index_params()
            params.add_index("terms", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
            client.create_collection(f"{gen}_keywords", schema=schema, index_params=params)
            return
        if damage == "missing collection":
            client.drop_collection(f"{gen}_sentences")
            return
        # a chunks collection with other fields, or the right fields and another dimension
        client.drop_collection(f"{gen}_chunks")
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        if damage == "wrong dimension":
            for f in ("doc_id", "start", "end", "n_tokens", "first_sentence", "last_sentence"):
                schema.add_field(f, DataType.INT64)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=8)
        client.create_collection(f"{gen}_chunks", schema=schema)
    finally:
        client.close()
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(str(db))  # Milvus Lite: one process per file


@pytest.mark.parametrize(("damage", "message"), [
    ("foreign alias", "not one corpus-qa wrote (the alias corpus_qa names the collection 'someone_elses')"),
    ("missing collection", "_sentences is missing"),
    ("wrong fields", "_chunks has the fields id, vector)"),
    ("wrong dimension", "_chunks holds vectors of 8, the manifest says 64"),
])
def test_a_foreign_or_damaged_collection_is_exit_4_in_one_line(damage: str, message: str, corpus: Path,
                                                                 tmp_path: Path) -> None:
    spec = spec_for("milvus", tmp_path)
    run(corpus, spec, HashEmbedder())
    _foreign(tmp_path / "idx.db", damage)
    out = subprocess.run([*qa_command(), "ask", "Where is Etna?", "--corpus", str(corpus), "--store", spec],
                         capture_output=True, text=True, env=clean_env(), timeout=120)
    assert out.returncode == 4, out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr, out.stderr
    assert message in out.stderr, out.stderr


def test_an_index_of_an_earlier_layout_is_rebuilt_with_a_notice(corpus: Path, tmp_path: Path) -> None:
    spec = spec_for("milvus", tmp_path)
    run(corpus, spec, HashEmbedder())
    _foreign(tmp_path / "idx.db", "earlier layout")
    out = subprocess.run([*qa_command(), "ask", "Where is Mount Etna volcano?", "--corpus", str(corpus), "--store",
                          spec], capture_output=True, text=True, env=clean_env(), timeout=120)
    assert out.returncode == 0, out.stderr
    assert "written by an earlier corpus-qa" in out.stderr and "Rebuilding" in out.stderr, out.stderr
    assert "notes/volcanoes.md" in out.stdout


def test_store_option_is_shown_and_works_on_the_cli(corpus: Path, tmp_path: Path) -> None:
    spec = spec_for("milvus", tmp_path)
    env = clean_env()
    qa: Callable[..., subprocess.CompletedProcess[str]] = lambda *args: subprocess.run(  # noqa: E731
        [*qa_command(), *args, "--corpus", str(corpus), "--store", spec], capture_output=True, text=True, env=env,
        timeout=120)
    for command in ("index", "ask", "batch", "chat", "eval", "text", "mcp"):
        shown = subprocess.run([*qa_command(), command, "--help"], capture_output=True, text=True, env=env, timeout=60)
        assert "--store" in shown.stdout and "milvus://" in shown.stdout, command
    assert qa("index").returncode == 0
    asked = qa("ask", "Where is Mount Etna volcano?")
    assert asked.returncode == 0 and "notes/volcanoes.md" in asked.stdout, asked.stderr
    text = qa("text", "notes/tea.rst")
    assert text.returncode == 0 and "Green tea" in text.stdout
    assert not (tmp_path / "idx").exists() and os.path.isdir(tmp_path / "idx.db")


class _TiesLastByHighestId:
    """The real Milvus Lite client, except that a search keeps, among hits tied at its limit, those with the
    highest ids: a Milvus server merging several segments may cut ties any way, and Milvus Lite (one segment)
    happens to keep the lowest ids, which would hide a reader asking for exactly k hits."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def search(self, *args: Any, limit: int, **kw: Any) -> list[list[dict[str, Any]]]:
        out = []
        for hits in self.client.search(*args, limit=limit + 100, **kw):
            rank = {}
            for n, h in enumerate(hits):
                rank.setdefault(h["distance"], n)
            out.append(sorted(hits, key=lambda h: (rank[h["distance"]], -int(h["id"])))[:limit])
        return out


def test_milvus_keyword_ranking_equals_local_with_repeated_terms_and_ties(tmp_path: Path) -> None:
    """BM25 alike in both stores where it is easy to get wrong: a term asked twice counts twice, and chunks
    tied at the cut are ranked by id (Milvus is asked for more than k so that the lowest ids are among them)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(12):  # twelve identical chunks: tied scores for every query below
        (corpus / f"tie-{i:02d}.txt").write_text("Basalt cliffs and a granite quarry by the sea.", encoding="utf-8")
    (corpus / "granite.txt").write_text("Granite, granite and more granite; a quarry too.", encoding="utf-8")
    (corpus / "quarry.txt").write_text("Quarry after quarry after quarry; granite too.", encoding="utf-8")
    local, milvus = spec_for("local", tmp_path), spec_for("milvus", tmp_path)
    run(corpus, local, HashEmbedder())
    run(corpus, milvus, HashEmbedder())
    stores = [open_store(local), open_store(milvus)]
    readers = [store.open() for store in stores]
    readers[1].client = _TiesLastByHighestId(readers[1].client)  # type: ignore[attr-defined]
    try:
        for terms, k in [(["granit", "granit", "quarri"], 3), (["quarri", "quarri", "granit"], 3),
                         (["basalt"], 5), (["basalt", "cliff"], 4), (["granit"], 14)]:
            (ids_l, scores_l), (ids_m, scores_m) = (r.keyword_search(terms, k) for r in readers)
            assert ids_m.tolist() == ids_l.tolist(), terms
            assert scores_m.tolist() == pytest.approx(scores_l.tolist(), rel=1e-3), terms
        # the repeated term decides: each of the two one-word documents wins when its word is asked twice
        first = {tuple(terms): readers[0].chunk_documents([int(readers[0].keyword_search(terms, 1)[0][0])])
                 for terms in (("granit", "granit", "quarri"), ("quarri", "quarri", "granit"))}
        titles = {key: readers[0].document(next(iter(v.values()))).source for key, v in first.items()}
        assert titles == {("granit", "granit", "quarri"): "granite.txt", ("quarri", "quarri", "granit"): "quarry.txt"}
    finally:
        for reader in readers:
            reader.close()
        for store in stores:
            store.close()


@pytest.mark.parametrize("backend", ["local", "milvus"])
def test_a_name_typed_without_its_accents_is_one_the_documents_mention(backend: str, tmp_path: Path) -> None:
    """"Sao Paulo", "Dali" where the documents write "São Paulo", "Dalí": answered, not refused as never mentioned,
    from either store's vocabulary."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "sao-paulo.txt").write_text("São Paulo\n\nSão Paulo is the most populous city in Brazil, with about "
                                          "11.4 million people.\n", encoding="utf-8")
    (corpus / "dali.txt").write_text("Salvador Dalí\n\nDalí was a Spanish painter of the Surrealist movement. He "
                                     "met Hélène in Łódź.\n", encoding="utf-8")
    eng = engine(corpus, spec_for(backend, tmp_path))
    try:
        with eng._reading() as snapshot:
            assert snapshot.document_frequency("sao") == 0 and snapshot.accented_frequency("sao") == 1
            assert snapshot.accented_frequency("paulo") == 0  # plain already: no other spelling
            # as a typed word is stemmed ("Helene" -> "helen"), and letters without a plain form ("ł")
            assert snapshot.accented_frequency("helen") == 1 and snapshot.accented_frequency("lodz") == 1
        city = eng.ask("How many people live in Sao Paulo?")
        painter = eng.ask("Which movement was Dali part of?")
    finally:
        eng.close()
    assert not city.abstained and "11.4 million" in city.text
    assert not painter.abstained and "Surrealist" in painter.text
