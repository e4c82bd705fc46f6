"""End to end with the real bundled model over seeds/: the dev questions are answered or abstained."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import SEEDS, load_questions, qa_command

pytestmark = pytest.mark.slow
QUESTIONS = load_questions("dev-questions.jsonl", "extra-questions.jsonl")


@pytest.fixture(scope="module")
def real_engine(tmp_path_factory: pytest.TempPathFactory, minilm, onnx_export):  # type: ignore[no-untyped-def]
    """The seeds indexed with the session's model; questions go through the session's ONNX encoder."""
    from qa.config import Settings
    from qa.engine import Engine

    eng = Engine(Settings.resolve(SEEDS, tmp_path_factory.mktemp("real") / "idx"), embedder=minilm)
    for _ in eng.prepare():
        pass
    yield eng
    eng.close()


@pytest.mark.parametrize("q", QUESTIONS, ids=[q["id"] for q in QUESTIONS])
def test_dev_question(real_engine, q: dict) -> None:  # type: ignore[no-untyped-def]
    answer = real_engine.ask(q["question"])
    if q.get("abstain"):
        assert answer.abstained, answer.text
        assert answer.passages  # the closest passages are still offered
    else:
        assert not answer.abstained
        assert any(gold in answer.text for gold in q["any"]), answer.text
        assert 1 <= len(answer.citations) <= 3
        for c in answer.citations:
            assert (SEEDS / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote


def test_real_model_manifest_records_the_weights(real_engine, minilm) -> None:  # type: ignore[no-untyped-def]
    m = real_engine.snapshot.manifest
    assert m.model_id == "sentence-transformers/all-MiniLM-L6-v2" and m.dim == 384
    weights = sorted(minilm.model_dir.glob("*.safetensors"))[0]
    assert m.weights_hash == hashlib.sha256(weights.read_bytes()).hexdigest()[:16]


def test_model_loads_with_the_network_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    """No hidden network: a fresh load of the model (our BERT and sentence-transformers) never opens a socket,
    even without HF_HUB_OFFLINE set by the caller."""
    import socket

    from index.embedding import MiniLMEmbedder

    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network access attempted during a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    fresh = MiniLMEmbedder(precision="fp32")
    assert fresh.embed_documents(["Where was Blinken on Tuesday?"]).shape == (1, 384)
    assert fresh.sentence_transformer().encode(["Astana"]).shape == (1, 384)
    assert not attempts


def test_cli_batch_with_real_model(tmp_path: Path, onnx_export) -> None:  # type: ignore[no-untyped-def]
    env = dict(os.environ, QA_EMBEDDER="minilm")
    lines = "\n".join(json.dumps({"id": q["id"], "question": q["question"]}) for q in QUESTIONS[:4])
    out = subprocess.run([*qa_command(), "batch", "--index", str(tmp_path / "idx")], input=lines,
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["id"] for r in records] == [q["id"] for q in QUESTIONS[:4]]
    for r, q in zip(records, QUESTIONS[:4], strict=True):
        assert any(g in r["answer"] for g in q["any"])


@pytest.mark.asyncio
async def test_chat_end_to_end_on_seeds(tmp_path: Path, minilm, onnx_export) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Input

    from qa.config import Settings
    from qa.engine import Engine
    from tui.app import ChatApp
    from tui.widgets import CitationItem

    settings = Settings.resolve(SEEDS, tmp_path / "idx")
    app = ChatApp(lambda: Engine(settings, embedder=minilm))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        assert app.ready
        app.query_one("#question", Input).value = "Where was Blinken on Tuesday?"
        await pilot.press("enter")
        for _ in range(500):
            await pilot.pause(0.02)
            if app.exchanges:
                break
        await pilot.pause()
        answer = app.exchanges[0][1]
        assert "Astana" in answer.text
        assert app.query(CitationItem).first().citation.source == "blinken-central-asia.txt"


def _ask_one_page(tmp_path: Path, minilm, text: str, question: str):  # type: ignore[no-untyped-def]
    """The answer to `question` over a corpus of one page (Markdown when it opens with a heading), indexed and
    asked with the real model; the engine closed after."""
    from qa.config import Settings
    from qa.engine import Engine

    root = tmp_path / "docs"
    root.mkdir()
    (root / ("doc.md" if text.startswith("#") else "doc.txt")).write_text(text, encoding="utf-8")
    eng = Engine(Settings.resolve(root, tmp_path / "idx"), embedder=minilm)
    try:
        for _ in eng.prepare():
            pass
        return eng.ask(question)
    finally:
        eng.close()


@pytest.mark.parametrize(("text", "question", "short"), [
    # the sentence that names the answer itself matches better than the one going on about the best sentence
    ("Fixed-width-format files\n\nSometimes data files have no field delimiters but have fields in pre-specified "
     "columns. These files can be written from a data frame with the function write.fwf.\n\n"
     "Function read.fwf reads data files without field delimiters, given a vector of field widths.\n",
     "My data files have no field delimiters but have fields in pre-specified columns. Which function reads them?",
     "read.fwf"),
    # a default is the one the entry asked about states, not a default the sentence after the best one gives
    ("# Connection settings\n\nThe timeout option controls how long the client waits for a connection. It is read "
     "together with the retries option, whose default is 3.\n\n## Defaults\n\nThe timeout option defaults to 30 "
     "seconds.\n",
     "What is the default value of the timeout option that controls how long the client waits for a connection?",
     "30 seconds"),
    # the program named in the sentence that answers, not a file name in another ("systemd", not "httpd.conf")
    ("On most modern distributions, services are started at boot by the program systemd, which also restarts "
     "them when they fail.\n\nThe web server process on Red Hat systems is the program httpd, configured in "
     "/etc/httpd/conf/httpd.conf.\n", "Which program starts services at boot?", "systemd"),
    ("Function Keys such as F5 run the current script.\n\nThe editor saves files every minute.\n",
     "Which function key runs the current script?", "F5"),
    ("# Retries\n\nRequests that get no reply are retried after a pause. Such retries are logged by the "
     "--log-retries option.\n\nThe --retries option sets the number of retries.\n",
     "Which option sets how many times requests that get no reply are retried?", "--retries"),
    # a command that resets defaults states none
    ("# Server\n\nThe server listens on port 8080 unless you configure another.\n\nTo reset every setting to its "
     "default, run\n\n```\nappctl config --reset-defaults\n```\n", "What port does the server listen on by default?",
     "lead: The server listens on port 8080"),
    # a negated afterword lends nothing
    ("# Compression\n\nLevel 9 gives the smallest files but is slow. This is not the default.\n\nThe compression "
     "level is 6 unless you pass --level.\n", "What is the default compression level?",
     "lead: The compression level is 6"),
    # the arguments a program is given on the command line are read by code, not typed at a shell
    ("# Arguments\n\nThe arguments a script was given are kept in the list sys.argv, for example\n\n```\n>>> import "
     "sys\n>>> sys.argv\n```\n\nTo pass arguments to a script, run\n\n```\n$ python demo.py one two\n```\n",
     "How do I get the arguments passed on the command line?", "sys.argv"),
])
def test_a_sentence_going_on_about_the_best_one_does_not_displace_a_better_answer(
        tmp_path: Path, minilm, onnx_export, text: str, question: str, short: str) -> None:  # type: ignore[no-untyped-def]
    """Which sentence answers is a matter of the model's scores: the real one, over a corpus of one page."""
    answer = _ask_one_page(tmp_path, minilm, text, question)
    assert not answer.abstained
    if short.startswith("lead: "):  # a sentence that states it, with no short answer to pull out, leads
        assert answer.citations[0].quote.startswith(short.removeprefix("lead: "))
    else:
        assert answer.short_answer == short


@pytest.mark.parametrize(("text", "question", "lead", "code"), [
    # a tutorial runs what it just said: the session after a full stop is the how, quoted with the sentence
    ("# Two-sample tests\n\nWe can use the F test to compare the variances of two samples from normal populations."
     "\n\n```\n> var.test(A, B)\n```\n\nThere is no evidence of a difference, so we can use the classical t-test "
     "that assumes equality of the variances.\n\n```\n> t.test(A, B, var.equal=TRUE)\n```\n",
     "How do I run a two-sample t-test that assumes the two variances are equal?", "There is no evidence",
     "> t.test(A, B, var.equal=TRUE)"),
    # ...but not the tutorial's next step, which runs nothing the question asks about
    ("# Working with R\n\nRemember to keep a backup copy of the data files in a separate folder.\n\n```\n> ls()\n"
     "```\n\nThe objects of the session are listed above.\n",
     "How do I keep a backup copy of my data files?", "Remember to keep", None),
    # ...nor a session sharing a word or two with the question but running something else (the review's cases)
    ("# Files\n\nDeleting a file cannot be undone, so keep a backup copy of the results file first.\n\n```\n"
     "> file.copy(\"results.csv\", \"backup/results.csv\")\n```\n",
     "How do I delete the results file?", "Deleting a file", None),
])
def test_a_session_after_a_full_stop_is_the_how_when_it_runs_what_is_asked(
        tmp_path: Path, minilm, onnx_export, text: str, question: str, lead: str, code: str | None) -> None:  # type: ignore[no-untyped-def]
    answer = _ask_one_page(tmp_path, minilm, text, question)
    assert not answer.abstained
    assert answer.citations[0].quote.startswith(lead), answer.text
    if code is None:
        assert all(c.kind != "code" for c in answer.citations), answer.text
    else:
        assert answer.citations[1].kind == "code" and answer.citations[1].quote == code, answer.text
