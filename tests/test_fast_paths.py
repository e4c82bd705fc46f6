"""Every fast path gives the answers of the plain one: ONNX questions, bf16 chunks, pooled sentences."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from index.embedding import HashEmbedder, cpu_supports_bf16, pool_spans, resolve_precision
from index.errors import ModelError
from index.threads import lane_count
from tests.conftest import SEEDS, qa_command


def test_pool_spans_averages_the_tokens_inside_each_span() -> None:
    tokens = np.array([[9, 9], [1, 0], [0, 1], [3, 0], [9, 9]], dtype=np.float32)
    offsets = [(0, 0), (0, 4), (5, 9), (10, 14), (0, 0)]  # CLS, three words, SEP
    first, second, cut = pool_spans(tokens, offsets, [(0, 9), (10, 14), (20, 30)])
    assert first is not None and np.allclose(first, np.array([1, 1]) / np.sqrt(2))
    assert second is not None and np.allclose(second, [1, 0])
    assert cut is None  # beyond the model's window


def test_precision_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_precision("fp32") == "fp32"
    assert resolve_precision("bf16") == ("bf16" if cpu_supports_bf16() else "fp32")  # falls back safely
    assert resolve_precision("auto") == resolve_precision("int8") == "int8"
    monkeypatch.setenv("QA_PRECISION", "fp32")
    assert resolve_precision() == "fp32"
    with pytest.raises(ModelError):
        resolve_precision("fp8")


class EncoderRecordingEmbedder(HashEmbedder):
    """The hash embedder, with a fast question encoder that has to be prepared once (like MiniLM's ONNX export)."""

    def __init__(self) -> None:
        super().__init__()
        self.prepared: list[list[str]] = []

    def needs_query_encoder(self) -> bool:
        return not self.prepared

    def prepare_query_encoder(self, samples=()):  # type: ignore[no-untyped-def]
        self.prepared.append(list(samples))
        return None


def test_indexing_prepares_the_question_encoder_once(corpus: Path, tmp_path: Path) -> None:
    """`qa index` is where the ONNX export is made (the real-model tests share one export per session, so they
    no longer see this happen): on the first build, from the corpus's own chunks, and never again."""
    from qa.config import Settings
    from qa.engine import Engine

    embedder = EncoderRecordingEmbedder()
    engine = Engine(Settings.resolve(corpus, tmp_path / "idx"), embedder=embedder)
    list(engine.reindex())
    assert len(embedder.prepared) == 1
    assert any("Mount Etna" in text for text in embedder.prepared[0])  # checked on the corpus's chunk texts
    list(engine.reindex(rebuild=True))
    list(engine.prepare())
    assert len(embedder.prepared) == 1
    engine.close()


PARITY_TEXTS = [
    "Title\nFirst sentence here. Second one follows.",
    "Another text about Astana.",
    "Ünïcödé, emoji 🌋 and CJK 火山 survive tokenisation.",
    " ".join(["A long text that runs past the model's 256-token window."] * 40),  # truncated like ST
]


@pytest.mark.slow
def test_own_bert_matches_sentence_transformers(minilm_fp32) -> None:  # type: ignore[no-untyped-def]
    """index/embedding/bert.py replaces sentence-transformers at index time: it must compute the same vectors."""
    minilm = minilm_fp32
    reference = minilm.sentence_transformer().encode(PARITY_TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    ours = minilm.embed_documents(PARITY_TEXTS)
    assert np.min(np.sum(reference * ours, axis=1)) > 0.9999
    spans = [[(6, 26), (27, 45)], [(0, 26)], [(0, 10)], [(0, 50)]]
    chunks, sentences = minilm.embed_chunks(PARITY_TEXTS, spans)
    assert np.min(np.sum(chunks * reference, axis=1)) > 0.9999
    assert [s.shape for s in sentences] == [(2, 384), (1, 384), (1, 384), (1, 384)]
    assert np.allclose(np.linalg.norm(sentences[0], axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
@pytest.mark.skipif(not cpu_supports_bf16(), reason="this CPU has no native bf16; fp32 is used")
def test_bf16_chunk_vectors_stay_close_to_fp32(minilm_fp32) -> None:  # type: ignore[no-untyped-def]
    from index.embedding import MiniLMEmbedder

    bf16 = MiniLMEmbedder(precision="bf16")
    texts = [p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")] + ["Mount Etna erupts often."]
    spans = [[(0, 20)] for _ in texts]
    assert bf16.document_encoder == "torch-bf16"  # the setting keeps the torch path
    a, _ = bf16.embed_chunks(texts, spans)
    b, _ = minilm_fp32.embed_chunks(texts, spans)
    assert np.min(np.sum(a * b, axis=1)) >= 0.998


@pytest.mark.slow
def test_int8_chunk_vectors_stay_close_to_fp32_and_to_the_questions(minilm, minilm_fp32, onnx_export) -> None:  # type: ignore[no-untyped-def]
    """The default document encoder is the int8 graph: its chunk vectors stay within cosine 0.98 of the fp32
    network's (mean >= 0.99), and a question embedded in fp32 (the ONNX question encoder) still ranks its
    own passage first among the seeds."""
    from index.embedding.int8 import OnnxNetwork

    texts = [p.read_text(encoding="utf-8")[:1200] for p in sorted(SEEDS.glob("*.txt"))] + PARITY_TEXTS
    spans = [[(0, 20)] for _ in texts]
    a, sentences = minilm.embed_chunks(texts, spans)
    assert minilm.document_encoder == "onnx-int8" and isinstance(minilm._index_net, OnnxNetwork)
    b, _ = minilm_fp32.embed_chunks(texts, spans)
    cosines = np.sum(a * b, axis=1)
    assert cosines.min() >= 0.98 and cosines.mean() >= 0.99, cosines
    assert all(s.shape == (1, 384) for s in sentences)
    questions = [minilm.embed_query(t[:200]) for t in texts[:4]]  # fp32 questions against int8 documents
    assert [int(np.argmax(a @ q)) for q in questions] == [0, 1, 2, 3]


@pytest.mark.slow
def test_the_export_is_checked_against_numpy_not_torch(minilm_fp32, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The reference the ONNX export is checked against is the BERT computation in numpy, which matches
    sentence-transformers; a first build writes and checks its question encoder with torch unimportable (it
    had cost 2-4 s and raised the first build's peak from 452 to 471 MB)."""
    from index.embedding import MiniLMEmbedder
    from index.embedding.onnx import verified

    reference = minilm_fp32.sentence_transformer().encode(PARITY_TEXTS, normalize_embeddings=True)
    assert np.min(np.sum(reference * minilm_fp32.reference_vectors(PARITY_TEXTS), axis=1)) > 0.9999
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "fresh"))  # no export yet
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    fresh = MiniLMEmbedder(precision="fp32")
    assert fresh.needs_query_encoder()
    assert fresh.prepare_query_encoder(["Kazakhstan took in tens of thousands of Russian men."]) is None
    assert verified(fresh.onnx_path) and fresh.query_backend == "onnx"


@pytest.mark.slow
@pytest.mark.skipif(lane_count() < 2, reason="one core: the int8 passes run one at a time")
def test_int8_passes_run_in_lanes_give_the_vectors_of_passes_run_in_turn(minilm, onnx_export) -> None:  # type: ignore[no-untyped-def]
    """A build runs the int8 graph's passes two at a time (index/threads.py Lanes); each pass's vectors are the
    ones it gets alone, in the same order."""
    from index.threads import Lanes

    texts = [p.read_text(encoding="utf-8")[: 300 + 40 * i] for i, p in enumerate(sorted(SEEDS.glob("*.txt")))]
    texts = (texts + PARITY_TEXTS) * 3
    spans = [[(0, 20)] for _ in texts]
    assert len(minilm.passes(texts)) >= 4 and minilm._lanes.count == 2
    together, sentences = minilm.embed_chunks(texts, spans)
    lanes = minilm._lanes
    minilm._lanes = Lanes(1)
    try:
        alone, alone_sentences = minilm.embed_chunks(texts, spans)
    finally:
        minilm._lanes = lanes
    np.testing.assert_array_equal(together, alone)
    for a, b in zip(sentences, alone_sentences, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_a_cut_off_sentence_gets_the_same_vector_whatever_else_the_call_holds(minilm, onnx_export) -> None:  # type: ignore[no-untyped-def]
    """A sentence past the 256-token limit is embedded on its own, with the other cut-off sentences of its
    pass only: a build's call holds as many passes as the clock allows, and an int8 vector would move with
    the texts it shared a pass with (the int8 graph's passes now hold one text each)."""
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    texts = [(seeds[i % len(seeds)] + " ") * 3 + f"Closing remark number {i} about the lava." for i in range(4)]
    spans = [[(0, 40), (len(t) - 40, len(t))] for t in texts]  # the second is beyond the token limit
    passes = minilm.passes(texts)
    assert len(passes) >= 2
    _, together = minilm.embed_chunks(texts, spans)
    for group in passes:
        _, alone = minilm.embed_chunks([texts[i] for i in group], [spans[i] for i in group])
        for row, i in enumerate(group):
            np.testing.assert_array_equal(together[i], alone[row])


def test_an_index_never_mixes_two_document_encoders(corpus: Path, tmp_path: Path) -> None:
    """An index records its document encoder; a refresh by another encoder embeds every document again
    (and says so), instead of adding its vectors beside the other encoder's."""
    from index.build import BuildSummary, Notice, build
    from index.storage.local import IndexDir

    class OtherEncoder(HashEmbedder):
        document_encoder = "other"

    index = IndexDir(tmp_path / "idx")
    first = [e for e in build(corpus, index, HashEmbedder()) if isinstance(e, BuildSummary)][0]
    assert index.open(HashEmbedder()).manifest.document_encoder == "hash"
    (corpus / "new.txt").write_text("A new document about Mount Etna's 2021 eruptions.", encoding="utf-8")
    events = list(build(corpus, index, OtherEncoder()))
    summary = [e for e in events if isinstance(e, BuildSummary)][0]
    assert summary.embedded == first.chunks + 1  # everything again, not only the new file
    assert any(isinstance(e, Notice) and "embedding every document again with other" in e.message for e in events)
    assert index.open(HashEmbedder()).manifest.document_encoder == "other"


def test_documents_read_by_earlier_readers_are_read_again(corpus: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An index records the readers' version; after an upgrade that reads files differently, the next build
    reads and embeds every document again (and says so), though no file's date or size changed."""
    from index import types
    from index.build import BuildSummary, Notice, build
    from index.storage.local import IndexDir

    index = IndexDir(tmp_path / "idx")
    first = [e for e in build(corpus, index, HashEmbedder()) if isinstance(e, BuildSummary)][0]
    assert index.open(HashEmbedder()).manifest.reader_version == types.READER_VERSION
    again = [e for e in build(corpus, index, HashEmbedder()) if isinstance(e, BuildSummary)][0]
    assert again.embedded == 0  # the same readers, nothing changed: nothing is read again
    monkeypatch.setattr(types, "READER_VERSION", types.READER_VERSION + 1)
    events = list(build(corpus, index, HashEmbedder()))
    summary = [e for e in events if isinstance(e, BuildSummary)][0]
    assert summary.embedded == first.chunks
    assert any(isinstance(e, Notice) and "earlier version of corpus-qa's document readers" in e.message
               for e in events)
    assert index.open(HashEmbedder()).manifest.reader_version == types.READER_VERSION
    # the engine's first question after the next upgrade does it too, no file having changed
    from qa.config import Settings
    from qa.engine import Engine

    monkeypatch.setattr(types, "READER_VERSION", types.READER_VERSION + 1)
    monkeypatch.setattr("qa.engine.READER_VERSION", types.READER_VERSION, raising=False)
    engine = Engine(Settings.resolve(corpus, tmp_path / "idx"), embedder=HashEmbedder())
    try:
        notices = [e.message for e in engine.prepare() if isinstance(e, Notice)]
        assert any("earlier version of corpus-qa's document readers" in n for n in notices)
        assert engine.snapshot.manifest.reader_version == types.READER_VERSION
        assert not any("earlier version" in n for n in (e.message for e in engine.prepare() if isinstance(e, Notice)))
    finally:
        engine.close()


@pytest.mark.slow
def test_onnx_export_matches_and_is_used(minilm, onnx_export) -> None:  # type: ignore[no-untyped-def]
    """The session's export (made by `prepare_query_encoder`, as `qa index` does) agrees with the fp32 network,
    and the embedder then answers questions through it, not through torch."""
    from index.embedding.onnx import PARITY_MIN_COSINE, OnnxEncoder, verified

    assert onnx_export.min_cosine >= PARITY_MIN_COSINE and verified(onnx_export.path)
    texts = ["Who is the U.S. Secretary of State?", "zebra quantum lasagna"]
    ours = OnnxEncoder(minilm.model_dir, onnx_export.path).embed_documents(texts)
    assert np.min(np.sum(ours * minilm.embed_documents(texts), axis=1)) >= 0.999
    assert minilm.query_backend == "onnx"  # questions now go through the export, not torch


@pytest.mark.slow
def test_warm_up_opens_the_onnx_session_beside_the_caller(minilm, onnx_export, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`warm_up` returns while the ONNX session opens in a thread of its own (a one-shot `qa ask` reads its
    answer path meanwhile); the first question waits for it and gets the export's own vector. A Ctrl+C during
    that wait is raised only once the session is open (the runtime must never be torn down under it), and the
    next question takes the same session. A graph that cannot be opened is found out at the first question, as
    it was when it opened in the caller: torch answers, and the export is forgotten for the next build."""
    import shutil
    import signal
    import threading

    from index.embedding import MiniLMEmbedder
    from index.embedding.onnx import OnnxEncoder, settle, verified, weights_path

    gate = threading.Event()
    real = OnnxEncoder._session

    def held(path: Path, warm: tuple[list[int], list[int]] | None) -> object:
        gate.wait(30)
        return real(path, warm)

    monkeypatch.setattr(OnnxEncoder, "_session", staticmethod(held))
    text = "Where was Blinken on Tuesday?"
    fresh = MiniLMEmbedder()
    fresh.warm_up()  # returns although the session cannot open yet
    opening = fresh._opening
    assert opening is not None and not opening.settled
    fresh.warm_up()  # a second call starts nothing more
    assert fresh._opening is opening
    # a real SIGINT (interrupt_main() only flags the main thread, which a blocked wait never looks at)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
            threading.Timer(0.6, gate.set).start()
            fresh.embed_query(text)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert opening.settled and fresh._opening is opening  # raised after it opened; kept for the next question
    vector = fresh.embed_query(text)
    assert fresh._opening is None and fresh.query_backend == "onnx" and fresh._query_encoder is opening
    reference = OnnxEncoder(minilm.model_dir, onnx_export.path).embed_query(text)
    assert np.allclose(vector, reference, atol=1e-6)

    gate.clear()
    another = MiniLMEmbedder()
    another.warm_up()
    threading.Timer(0.3, gate.set).start()
    settle()  # what an interrupted exit does first: waits for the opening
    assert another._opening is not None and another._opening.settled

    copy = tmp_path / onnx_export.path.name
    for source in (onnx_export.path, weights_path(onnx_export.path), onnx_export.path.with_suffix(".verified.json")):
        shutil.copy(source, tmp_path / source.name)
    copy.write_bytes(b"not a graph")

    class Broken(MiniLMEmbedder):
        onnx_path = copy

    broken = Broken()
    assert verified(copy)
    broken.warm_up()
    assert broken._opening is not None
    assert float(np.dot(broken.embed_query(text), reference)) >= 0.999  # torch's vector
    assert broken.query_backend == "torch" and not verified(copy)


def test_a_ctrl_c_while_a_compiled_module_loads_is_a_ctrl_c() -> None:
    """An interrupt while onnxruntime's compiled module loads surfaces as ImportError("initialization failed")
    caused by the KeyboardInterrupt: that is raised as a Ctrl+C, never taken for a missing encoder."""
    from index.embedding.minilm import _raise_if_interrupted

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise ImportError("initialization failed") from exc
    except ImportError as failed:
        with pytest.raises(KeyboardInterrupt):
            _raise_if_interrupted(failed)
    _raise_if_interrupted(ImportError("No module named 'onnxruntime'"))  # a plain one is left to the caller


@pytest.mark.slow
def test_onnx_is_written_from_the_weights_not_traced(minilm, onnx_export) -> None:  # type: ignore[no-untyped-def]
    """The bundled BERT is written as a graph with its weights in a file beside it (write_bert_onnx), not
    traced by torch.onnx (which holds the weights several times over); the graph is the model's, not a stub."""
    import onnx

    from index.embedding.onnx import weights_path

    weights = weights_path(onnx_export.path)
    assert weights.is_file() and weights.stat().st_size == 22_565_376 * 4  # every encoder weight (no pooler), fp32
    graph = onnx.load(str(onnx_export.path), load_external_data=False).graph
    assert onnx_export.path.stat().st_size < 100_000  # the graph alone
    assert sum(n.op_type == "Softmax" for n in graph.node) == 6 and sum(n.op_type == "Erf" for n in graph.node) == 6


@pytest.mark.slow
def test_indexing_imports_neither_transformers_nor_sentence_transformers(tmp_path: Path, onnx_export) -> None:  # type: ignore[no-untyped-def]
    env = dict(os.environ, QA_EMBEDDER="minilm")
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('LOADED', sorted(m for m in ('transformers', 'sentence_transformers') "
        "if m in sys.modules), file=sys.stderr))\n"
        "from qa.cli import main\nsys.argv = ['qa', 'index', '--rebuild', "
        f"'--index', {str(tmp_path / 'idx')!r}]\nmain()\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "LOADED []" in out.stderr


@pytest.mark.slow
def test_one_shot_question_does_not_import_torch(tmp_path: Path, onnx_export) -> None:  # type: ignore[no-untyped-def]
    env = dict(os.environ, QA_EMBEDDER="minilm")
    index = ["--index", str(tmp_path / "idx")]
    subprocess.run([*qa_command(), "index", *index], check=True, env=env, capture_output=True, timeout=300)
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', file=sys.stderr))\n"
        "atexit.register(lambda: print('PARTS' if 'qa.parts' in sys.modules else 'NO-PARTS', file=sys.stderr))\n"
        "atexit.register(lambda: print('RANKING' if 'qa.ranking' in sys.modules else 'NO-RANKING', "
        "file=sys.stderr))\n"
        "atexit.register(lambda: print('BUILDER' if 'index.build.builder' in sys.modules else 'NO-BUILDER', "
        "file=sys.stderr))\n"
        "atexit.register(lambda: print('SUBPROCESS' if 'subprocess' in sys.modules else 'NO-SUBPROCESS', "
        "file=sys.stderr))\n"
        "atexit.register(lambda: print('TOKENIZERS' if 'tokenizers' in sys.modules else 'NO-TOKENIZERS', "
        "file=sys.stderr))\n"
        "from qa.cli import main\nsys.argv = ['qa', 'ask', '--json', 'Where was Blinken on Tuesday?', "
        f"'--index', {str(tmp_path / 'idx')!r}]\nmain()\n"
    )
    fast = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert fast.returncode == 0, fast.stderr
    assert "NO-TORCH" in fast.stderr and "Astana" in fast.stdout
    assert "NO-PARTS" in fast.stderr  # a question of one part does not pay for qa/parts.py's patterns
    assert "NO-RANKING" in fast.stderr  # nor a question of no measure for qa/ranking.py's
    # an index that is current is only checked (index/build/stale.py), not built; nothing is run
    assert "NO-BUILDER" in fast.stderr and "NO-SUBPROCESS" in fast.stderr
    assert "NO-TOKENIZERS" in fast.stderr  # a question in ASCII is tokenized in plain Python (~40 ms less)
    # the fallback (sentence-transformers for questions) answers the same
    slow = subprocess.run([sys.executable, "-c", probe], env=dict(env, QA_QUERY_BACKEND="torch"),
                          capture_output=True, text=True, timeout=120)
    assert "TORCH" in slow.stderr.replace("NO-TORCH", "")
    assert slow.stdout.split('"passages"')[0] == fast.stdout.split('"passages"')[0]


@pytest.mark.slow
def test_an_export_whose_weights_file_changed_is_not_trusted(onnx_export, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`verified` checks the weights file is still the one the graph was checked with."""
    import shutil

    from index.embedding.onnx import verified, weights_path

    copy = tmp_path / onnx_export.path.name
    for source in (onnx_export.path, weights_path(onnx_export.path), onnx_export.path.with_suffix(".verified.json")):
        shutil.copy(source, tmp_path / source.name)
    assert verified(copy)
    with weights_path(copy).open("ab") as fh:
        fh.write(b"\0" * 4)
    assert not verified(copy)
    weights_path(copy).unlink()
    assert not verified(copy)



@pytest.mark.slow
def test_the_int8_graph_keeps_its_weights_in_a_file_beside_it(minilm, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The int8 graph is written with its weights apart (serializing them into the graph raised a first build's
    peak by 67 MB), checked, and trusted only while that file is the one it was checked with; scratch that a
    write killed long ago left behind is removed, and a write under way elsewhere is left alone."""
    from index.embedding.int8 import INT8_MIN_COSINE, OnnxNetwork, int8_path, write_int8
    from index.embedding.onnx import verified, weights_path

    fp32 = tmp_path / "models" / "model-g3.onnx"
    fp32.parent.mkdir()
    for name in (".int8-killed", ".int8-running"):  # a write killed two hours ago, one under way elsewhere
        (fp32.parent / name).mkdir()
        (fp32.parent / name / "model-g3-int8.weights").write_bytes(b"\0" * 1024)
    os.utime(fp32.parent / ".int8-killed", (time.time() - 7200, time.time() - 7200))
    assert write_int8(minilm.model_dir, fp32) >= INT8_MIN_COSINE
    graph = int8_path(fp32)
    assert verified(graph) and graph.stat().st_size < 1_000_000 < 20_000_000 < weights_path(graph).stat().st_size
    assert sorted(p.name for p in graph.parent.iterdir()) == sorted(  # the fp32 weights are shared; no scratch left
        [graph.name, weights_path(graph).name, graph.with_suffix(".verified.json").name, weights_path(fp32).name,
         ".int8-running"])
    ids = np.array([[101, 7592, 2088, 102]], dtype=np.int64)
    assert OnnxNetwork(graph, threads=1)(ids, np.ones_like(ids)).shape == (1, 4, 384)
    with weights_path(graph).open("ab") as fh:
        fh.write(b"\0" * 4)
    assert not verified(graph)


NETWORK_MODULES = ("httpx", "httpx2", "httpcore", "httpcore2", "qa.llm", "qa.generate")
"""What generated answers need (qa/llm.py); nothing of it may load unless generation is on."""


@pytest.mark.parametrize("args", [["--help"], ["ask", "--json", "Where is Mount Etna volcano?"]],
                         ids=["help", "ask"])
def test_the_default_path_imports_no_http_client(args: list[str], corpus: Path, tmp_path: Path) -> None:
    """`qa --help` and a cold `qa ask` (generation off, the default) never load the HTTP client or the
    generation modules: they cost start-up time, and nothing is to be sent anywhere."""
    where = ["--corpus", str(corpus), "--index", str(tmp_path / "idx")] if args[0] == "ask" else []
    if where:
        subprocess.run([*qa_command(), "index", *where], check=True, capture_output=True, timeout=120)
    probe = (
        "import atexit, sys\n"
        f"atexit.register(lambda: print('LOADED', sorted(m for m in {NETWORK_MODULES!r} if m in sys.modules), "
        "file=sys.stderr))\n"
        f"from tui.cli import main\nsys.argv = ['qa', *{args!r}, *{where!r}]\nmain()\n"
    )
    env = dict(os.environ, QA_LLM_BASE_URL="http://127.0.0.1:9/v1", QA_LLM_MODEL="m")  # configured, yet off
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "LOADED []" in out.stderr


@pytest.mark.slow
def test_an_int8_chunk_vector_is_the_texts_own_whatever_is_embedded_with_it(minilm, onnx_export) -> None:  # type: ignore[no-untyped-def]
    """The int8 graph quantizes activations with one scale per forward pass: a text goes through a pass of its
    own, so its vectors are the same alone, among other texts, or in another build (an incremental one)."""
    texts = [p.read_text(encoding="utf-8")[:1200] for p in sorted(SEEDS.glob("*.txt"))] + PARITY_TEXTS
    spans = [[(0, 20)] for _ in texts]
    together, sentences = minilm.embed_chunks(texts, spans)
    for i in (0, 3, len(texts) - 1):
        alone, own = minilm.embed_chunks([texts[i]], [spans[i]])
        assert np.array_equal(alone[0], together[i]) and np.array_equal(own[0], sentences[i])


def test_the_question_is_read_before_its_vector_is_made(engine) -> None:  # type: ignore[no-untyped-def]
    """What composing an answer reads of the question alone (its key terms, the kind of answer asked) is read
    before the question is embedded, and not again: a one-shot `qa ask` does it while the ONNX session still
    opens."""
    from qa.reader import expected_type
    from qa.terms import key_terms

    def calls() -> tuple[int, int, int]:
        kinds = expected_type.cache_info()
        return key_terms.cache_info().misses, kinds.misses, kinds.hits

    seen: list[tuple[int, int, int]] = []
    embed = engine.embedder.embed_query

    def watched(text: str):  # type: ignore[no-untyped-def]
        seen.append(calls())
        return embed(text)

    engine.embedder.embed_query = watched
    before = calls()
    answer = engine.ask("Which volcano on the island of Sicily erupts often?")
    assert "Etna" in answer.text
    assert seen[0][0] > before[0] and seen[0][1] == before[1] + 1  # both read before the vector was made
    assert calls()[1:] == (before[1] + 1, before[2] + 1)  # and composing found the kind already read
