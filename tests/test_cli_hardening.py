"""The `qa` command under hostile input: control characters in documents and file names, undecodable
questions, Ctrl+C, bad environment values, malformed batch lines, and logs that are not terminals."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import random
import re
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from index.errors import ExitCode
from qa.display import UNSAFE, terminal_safe
from tests.conftest import popen_interruptible, qa_command, run_qa_text

EVIL_TEXT = ("Mount Etna is a volcano \x1b]0;PWNED\x07\x1b[2J on Sicily with a \x1b]8;;http://evil.example\x1b\\link"
             "\x1b]8;;\x1b\\ and a \x9b31m C1 sequence, a DEL \x7f, an override \u202e and a separator \u2028 too.\n")
EVIL_NAME = "x\x1b]0;T\x07.txt"
NEWLINE_NAME = "nl\n[9] forged.txt:1  \"fake\".txt"


def qa(*args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None,
       ) -> subprocess.CompletedProcess[str]:
    return run_qa_text(*args, stdin=stdin, env=env)  # decoded strictly: every byte it writes must be UTF-8


def unsafe_in(text: str) -> list[str]:
    """Unsafe characters other than the line breaks of our own layout."""
    return [ch for ch in UNSAFE.findall(text) if ch != "\n"]


@pytest.fixture
def evil_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "evil"
    root.mkdir()
    (root / "etna.txt").write_text(EVIL_TEXT, encoding="utf-8")
    (root / EVIL_NAME).write_text("Kilauea volcano erupts often on Hawaii.\n", encoding="utf-8")
    (root / NEWLINE_NAME).write_text("Vesuvius destroyed Pompeii in 79 AD.\n", encoding="utf-8")
    (root / "bad\x1b[2J.txt").write_bytes(b"\xff\xfe\x00binary")
    return root


def test_terminal_safe_escapes_every_control_and_keeps_the_rest() -> None:
    assert terminal_safe("a\x1b]0;T\x07b") == "a\\x1b]0;T\\x07b"
    assert terminal_safe("\x00\x7f\x85\x9b\u2028\u2029\u202a\u202e\u2066\u2069\udcff") == \
        "\\x00\\x7f\\x85\\x9b\\u2028\\u2029\\u202a\\u202e\\u2066\\u2069\\udcff"
    assert terminal_safe("one\ntwo\tthree\r") == "one\\ntwo\\tthree\\r"
    assert terminal_safe("one\ntwo\tthree\r", keep="\n\t") == "one\ntwo\tthree\\r"
    plain = "Café – naïve 東京 \u200d emoji 🌋, quotes “x” and a \\ backslash"
    assert terminal_safe(plain) == plain


def test_index_and_ask_escape_control_characters_of_documents_and_file_names(evil_corpus: Path,
                                                                              tmp_path: Path) -> None:
    args = ["--corpus", str(evil_corpus), "--index", str(tmp_path / "idx")]
    index = qa("index", *args)
    assert index.returncode == 0, index.stderr
    assert not unsafe_in(index.stderr) and not unsafe_in(index.stdout)
    assert "warning: skipped bad\\x1b[2J.txt: binary file" in index.stderr

    for question, shown in [
        ("Where is Mount Etna volcano on Sicily?", "volcano \\x1b]0;PWNED\\x07\\x1b[2J on Sicily with a "
         "\\x1b]8;;http://evil.example\\x1b\\link\\x1b]8;;\\x1b\\ and a \\x9b31m C1 sequence, a DEL \\x7f, an "
         "override \\u202e and a separator \\u2028 too."),
        ("Where does the Kilauea volcano erupt?", "[1] x\\x1b]0;T\\x07.txt:1  \"Kilauea"),
        ("What did Vesuvius destroy?", '[1] nl\\n[9] forged.txt:1  "fake".txt:1  "Vesuvius'),
    ]:
        answered = qa("ask", question, *args)
        assert answered.returncode == 0, answered.stderr
        assert shown in answered.stdout
        assert not unsafe_in(answered.stdout), unsafe_in(answered.stdout)
        # One citation per line: a newline in a file name or quote cannot start a line of its own.
        record = json.loads(qa("ask", "--json", question, *args).stdout)
        cited = [line for line in answered.stdout.splitlines() if re.match(r"\[\d+\] ", line)]
        assert len(cited) == len(record["citations"]) >= 1

    abstained = qa("ask", "zebra quantum lasagna", *args)
    assert abstained.returncode == 0, abstained.stderr
    assert "Closest passages:" in abstained.stdout and not unsafe_in(abstained.stdout)
    passage_lines = abstained.stdout.split("Closest passages:\n")[1].splitlines()
    assert len(passage_lines) == 3 and all(line.startswith("  ") for line in passage_lines)


def test_json_output_keeps_the_exact_text(evil_corpus: Path, tmp_path: Path) -> None:
    args = ["--corpus", str(evil_corpus), "--index", str(tmp_path / "idx")]
    out = qa("ask", "--json", "Where is Mount Etna volcano on Sicily?", *args)
    assert out.returncode == 0, out.stderr
    assert "\\u001b]0;PWNED\\u0007" in out.stdout  # json.dumps's own escape, as before
    record = json.loads(out.stdout)
    for c in record["citations"]:
        assert (evil_corpus / c["source"]).read_text(encoding="utf-8")[c["start"] : c["end"]] == c["quote"]
    assert record["citations"][0]["source"] == "etna.txt"
    record = json.loads(qa("ask", "--json", "What did Vesuvius destroy?", *args).stdout)
    assert record["citations"][0]["source"] == NEWLINE_NAME


def test_errors_and_eval_output_escape_names(evil_corpus: Path, tmp_path: Path) -> None:
    args = ["--corpus", str(evil_corpus), "--index", str(tmp_path / "idx")]
    missing = qa("text", "no\x1b]0;T\x07such.txt", *args)
    assert missing.returncode == ExitCode.USAGE
    assert "no\\x1b]0;T\\x07such.txt is not in the index" in missing.stderr and not unsafe_in(missing.stderr)
    questions = tmp_path / "q\x1b]0;T\x07.jsonl"
    questions.write_text('{"id": 1, "question": "Where is Etna?", "answers": ["Sicily"]}\n', encoding="utf-8")
    report = qa("eval", str(questions), *args)
    assert report.returncode == 0, report.stderr
    assert "answer accuracy" in report.stdout and not unsafe_in(report.stdout + report.stderr)
    questions.write_text("[1]\n", encoding="utf-8")
    bad = qa("eval", str(questions), *args)
    assert bad.returncode == ExitCode.USAGE and "q\\x1b]0;T\\x07.jsonl:1" in bad.stderr
    assert not unsafe_in(bad.stderr)


def test_click_errors_escape_the_arguments_they_quote(tmp_path: Path) -> None:
    out = qa("batch", str(tmp_path / "no\x1b]0;T\x07such.txt"))
    assert out.returncode == ExitCode.USAGE
    assert "no\\x1b]0;T\\x07such.txt" in out.stderr and not unsafe_in(out.stderr)


def test_qa_text_of_a_name_that_is_not_utf8_is_a_usage_error(corpus: Path, tmp_path: Path) -> None:
    assert qa("index", "--corpus", str(corpus), "--index", str(tmp_path / "idx")).returncode == 0
    out = subprocess.run([*qa_command(), "text", os.fsdecode(b"bad\xff.txt"), "--corpus", str(corpus), "--index",
                          str(tmp_path / "idx")], capture_output=True, timeout=120)
    assert out.returncode == ExitCode.USAGE
    assert "bad\\udcff.txt is not in the index" in one_line_error(out.stderr.decode("utf-8"))


def run_on_terminal(*args: str, stream: str = "stdout", env: dict[str, str] | None = None) -> str:
    """Run `qa` with stdout or stderr on a 100-column pseudo-terminal; what it printed there (pty line
    endings undone)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    full_env = {**os.environ, **(env or {})}
    if stream == "stderr":
        proc = subprocess.Popen([*qa_command(), *args], stdout=subprocess.DEVNULL, stderr=follower, env=full_env)
    else:
        proc = subprocess.Popen([*qa_command(), *args], stdout=follower, stderr=subprocess.PIPE, env=full_env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the command closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    proc.communicate(timeout=120)
    assert proc.returncode == 0
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_qa_text_escapes_on_a_terminal_and_is_exact_when_piped(evil_corpus: Path, tmp_path: Path) -> None:
    args = ["etna.txt", "--corpus", str(evil_corpus), "--index", str(tmp_path / "idx")]
    piped = subprocess.run([*qa_command(), "text", *args], capture_output=True, timeout=120)
    assert piped.returncode == 0 and piped.stdout.decode("utf-8") == EVIL_TEXT
    shown = run_on_terminal("text", *args)
    assert shown == terminal_safe(EVIL_TEXT, keep="\n\t")
    assert "\\x1b]0;PWNED\\x07" in shown and not unsafe_in(shown)


def test_normalize_question_refuses_lone_surrogates() -> None:
    from index.errors import UsageError
    from qa.engine import normalize_question

    for question in ("\udcff what", "\ud800 x", "Where is Etna\udc80?"):
        with pytest.raises(UsageError, match="not valid UTF-8"):
            normalize_question(question)
    assert normalize_question("  Où est l'Etna ?  ").text == "Où est l'Etna ?"


def one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in stderr, stderr
    return lines[0]


def test_ask_refuses_a_question_that_is_not_utf8(corpus: Path, tmp_path: Path) -> None:
    args = [b"--corpus", str(corpus).encode(), b"--index", str(tmp_path / "idx").encode()]
    for argv, stdin in [([b"ask", b"\xff what"], None), ([b"ask", b"--json", b"Etna \xed\xa0\x80?"], None),
                        ([b"ask", b"-"], b"\xff\xfe what")]:
        out = subprocess.run([*map(os.fsencode, qa_command()), *argv, *args], input=stdin, capture_output=True,
                             timeout=120)
        assert out.returncode == ExitCode.USAGE, out
        assert "not valid UTF-8" in one_line_error(out.stderr.decode("utf-8")) and out.stdout == b""


def test_batch_answers_the_lines_after_a_lone_surrogate(corpus: Path, tmp_path: Path) -> None:
    lines = '{"id": "bad", "question": "\\ud800 x"}\nWhere is Mount Etna volcano?\n'
    out = qa("batch", "--corpus", str(corpus), "--index", str(tmp_path / "idx"), stdin=lines)
    assert out.returncode == ExitCode.PARTIAL, out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["id"] for r in records] == ["bad", 2]
    assert "not valid UTF-8" in records[0]["error"] and records[0]["question"] == "\ufffd x"
    assert records[1]["error"] is None and records[1]["citations"][0]["source"] == "notes/volcanoes.md"


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough text that indexing with the hash embedder takes seconds (a few, about 1,200 chunks)."""
    root = tmp_path_factory.mktemp("big")
    rng = random.Random(0)
    words = [f"w{i}" for i in range(5000)]
    for n in range(400):
        sentences = [" ".join(rng.choices(words, k=12)).capitalize() + "." for _ in range(40)]
        (root / f"doc{n:04d}.txt").write_text(" ".join(sentences) + "\n", encoding="utf-8")
    return root


def wait_for(proc: subprocess.Popen[bytes], *markers: bytes, timeout: float = 60) -> bytes:
    """Read the process's stderr until one of `markers` shows up; everything read so far."""
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while not any(m in seen for m in markers):
        assert time.monotonic() < deadline and proc.poll() is None, seen
        seen += os.read(proc.stderr.fileno(), 4096)
    return seen


@pytest.mark.parametrize("command", [["index"], ["ask", "w1 w2 w3"], ["batch"]])
def test_ctrl_c_exits_130_with_a_short_message(command: list[str], big_corpus: Path, tmp_path: Path) -> None:
    proc = popen_interruptible([*qa_command(), *command, "--corpus", str(big_corpus), "--index",
                                str(tmp_path / "idx")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    seen = wait_for(proc, b"reading", b"embedding")
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(b"w1 w2\n", timeout=60)
    stderr = (seen + err).decode("utf-8")
    assert proc.returncode == 130, stderr
    assert stderr.rstrip().endswith("interrupted") and "Aborted" not in stderr and "Traceback" not in stderr
    assert not (tmp_path / "idx" / "CURRENT").exists()  # nothing half-built is taken for an index


@pytest.mark.parametrize("value", ["0", "-3", "101"])
def test_a_bad_qa_top_k_fails_once_before_any_work(value: str, corpus: Path, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    for command, stdin in [(["batch"], "Where is Etna?\nGreen tea\n"), (["ask", "Where is Etna?"], None),
                           (["ask", "--json", "Where is Etna?"], None)]:
        out = qa(*command, "--corpus", str(corpus), "--index", str(idx), stdin=stdin, env={"QA_TOP_K": value})
        assert out.returncode == ExitCode.USAGE, out
        assert f"QA_TOP_K must be a whole number from 1 to 100, not {value}" in one_line_error(out.stderr)
        assert out.stdout == "" and not idx.exists()  # no record written, no index built, no model loaded
    assert qa("index", "--corpus", str(corpus), "--index", str(idx), env={"QA_TOP_K": value}).returncode == 0
    ok = qa("batch", "-k", "3", "--corpus", str(corpus), "--index", str(idx), stdin="Green tea\n",
            env={"QA_TOP_K": value})
    assert ok.returncode == 0, ok.stderr  # the flag wins over the variable


def strict_json(line: str) -> dict:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in output: {line}")

    record = json.loads(line, parse_constant=refuse)
    json.dumps(record, allow_nan=False)
    return record


def batch(corpus: Path, tmp_path: Path, stdin: bytes, *args: str,
          ) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    out = qa("batch", *args, "--corpus", str(corpus), "--index", str(tmp_path / "idx"), stdin=stdin)
    return out, [strict_json(line) for line in out.stdout.splitlines()]


def test_batch_strips_a_leading_bom(corpus: Path, tmp_path: Path) -> None:
    stdin = b'\xef\xbb\xbf{"id": "q1", "question": "Where is Mount Etna volcano?"}\r\nGreen tea\r\n'
    out, records = batch(corpus, tmp_path, stdin)
    assert out.returncode == 0, out.stderr
    assert [r["id"] for r in records] == ["q1", 2]
    assert records[0]["question"] == "Where is Mount Etna volcano?"
    assert records[0]["citations"][0]["source"] == "notes/volcanoes.md"


def test_batch_json_lines_that_are_not_objects_are_errors(corpus: Path, tmp_path: Path) -> None:
    lines = ["[1,2]", "42", "null", '"What is green tea made from?"', "true", "{bad json",
             "[citation needed] where is Mount Etna?", "Where is Mount Etna volcano?"]
    out, records = batch(corpus, tmp_path, "\n".join(lines).encode())
    assert out.returncode == ExitCode.PARTIAL, out.stderr
    assert [r["id"] for r in records] == list(range(1, 9))
    assert [r["question"] for r in records] == lines
    for record, kind in zip(records[:5], ["an array", "a number", "null", "a string", "true"], strict=True):
        assert record["error"] == (f'line {record["id"]} is JSON ({kind}) but not an object like '
                                   '{"id": "q1", "question": "..."}')
        assert record["answer"] == "" and record["citations"] == []
    assert "line 6 is not valid JSON" in records[5]["error"]
    assert records[6]["error"] is None and records[7]["error"] is None  # plain text is still a question


def test_batch_ids_must_be_strings_whole_numbers_or_null(corpus: Path, tmp_path: Path) -> None:
    ids = ["NaN", "1e400", "-Infinity", "Infinity", "1.5", "true", "[1]", '{"a": 1}', '"\\ud800"',
           '"ok"', "12", "null", "-3", "1" * 200]
    lines = [f'{{"id": {i}, "question": "Where is Mount Etna volcano?"}}' for i in ids]
    out, records = batch(corpus, tmp_path, "\n".join(lines).encode())
    assert out.returncode == ExitCode.PARTIAL, out.stderr
    assert len(records) == len(lines)
    bad, good = records[:9], records[9:]
    assert [r["id"] for r in bad] == list(range(1, 10))
    assert all(r["error"] and ("is not valid JSON" in r["error"] or '"id" must be a string' in r["error"])
               for r in bad)
    assert [r["id"] for r in good] == ["ok", 12, None, -3, int("1" * 200)]
    assert all(r["error"] is None for r in good)


def test_batch_undecodable_or_odd_lines_cost_only_themselves(corpus: Path, tmp_path: Path) -> None:
    stdin = (b"Where is Mount Etna volcano?\n\xff\xfe not utf-8\n{\"id\": " + b"9" * 5000 + b", \"question\": \"x\"}\n"
             + b"[" * 100_000 + b"\n" + b"{" * 100_000 + b"\nGreen tea\n")
    for args, data in [((), stdin), ((str(tmp_path / "q.txt"),), None)]:
        (tmp_path / "q.txt").write_bytes(stdin)
        out, records = batch(corpus, tmp_path, data or b"", *args)
        assert out.returncode == ExitCode.PARTIAL, out.stderr
        assert [r["id"] for r in records] == [1, 2, 3, 4, 5, 6]
        # Line 4 is not JSON, so it is a (long) plain question; line 5 starts like an object.
        assert [r["error"] is None for r in records] == [True, False, False, True, False, True]
        assert records[1]["error"] == "line 2 is not UTF-8 text (invalid start byte at byte 1)"
        assert records[1]["question"] == "\ufffd\ufffd not utf-8"
        assert "line 3 is not valid JSON" in records[2]["error"] and records[3]["warnings"]
        assert "line 5 is not valid JSON" in records[4]["error"]
        assert "3 answered, 3 failed" in out.stderr


def test_batch_writes_an_error_record_for_a_non_finite_score(corpus: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from click.testing import CliRunner

    from qa.cli import cli
    from qa.engine import Engine

    ask = Engine.ask

    def nan_for_tea(self: Engine, question: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        answer = ask(self, question, *args, **kwargs)
        if "tea" in question:
            answer = dataclasses.replace(answer, passages=tuple(dataclasses.replace(p, score=float("nan"))
                                                                for p in answer.passages))
        return answer

    monkeypatch.setattr(Engine, "ask", nan_for_tea)
    result = CliRunner().invoke(cli, ["batch", "--corpus", str(corpus), "--index", str(tmp_path / "idx")],
                                input="Green tea\nWhere is Mount Etna volcano?\n")
    assert result.exit_code == ExitCode.PARTIAL, result.output
    records = [strict_json(line) for line in result.stdout.splitlines()]
    assert "score is not a finite number" in records[0]["error"] and records[1]["error"] is None


def test_progress_in_a_log_is_one_plain_line_per_stage(corpus: Path, big_corpus: Path, tmp_path: Path) -> None:
    args = ["--corpus", str(corpus), "--index", str(tmp_path / "idx")]
    out = qa("index", *args)
    assert out.returncode == 0, out.stderr
    chunks = json.loads(qa("index", "--json", *args).stdout)["chunks"]
    expected = ["reading 3 files…", r"reading done \(3 files\)", f"embedding {chunks} chunks…",
                rf"embedding done \({chunks} chunks\)", "writing the index…", "writing done", "Index updated: .*",
                "Index folder: .*"]
    lines = out.stderr.splitlines()
    assert len(lines) == len(expected), out.stderr
    assert all(re.fullmatch(e, line) for e, line in zip(expected, lines, strict=True)), out.stderr
    slow = qa("index", "--corpus", str(big_corpus), "--index", str(tmp_path / "big-idx"))
    assert slow.returncode == 0, slow.stderr
    assert "\r" not in slow.stderr and "embedding 1200 chunks…" in slow.stderr, slow.stderr


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_shows_a_bar_only_for_a_slow_stage() -> None:
    from index.build import Progress
    from qa.cli import _Progress

    screen = FakeTerminal()
    progress = _Progress(screen)
    time.sleep(_Progress.DELAY + 0.1)  # a first stage (the model loading, say) took a while...
    for done in range(0, 1001, 250):  # ...then a quick one: no bar flashes by
        progress(Progress("embedding", done, 1000))
    progress.run([])
    assert screen.getvalue() == ""
    for done in range(0, 1001, 100):  # a slow stage: a bar, once it has taken DELAY
        progress(Progress("reading", done, 1000))
        time.sleep(0.1)
    assert "\rreading:" in screen.getvalue() and "file/s" in screen.getvalue()


def test_progress_on_a_real_terminal_is_a_bar(big_corpus: Path, tmp_path: Path) -> None:
    # QA_PROGRESS_DELAY=0: the bar shows however fast this machine embeds (the delay itself is tested above).
    shown = run_on_terminal("index", "--corpus", str(big_corpus), "--index", str(tmp_path / "idx"), stream="stderr",
                            env={"QA_PROGRESS_DELAY": "0"})
    assert "\rembedding:" in shown and "chunk/s" in shown and "embedding 1200 chunks…" not in shown
    assert "Index updated" in shown
