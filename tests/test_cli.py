"""The installed `qa` command: output formats, exit codes, batch behaviour, import hygiene."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from index.errors import ExitCode
from tests.conftest import SEEDS, run_qa_text


def qa(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_qa_text(*args, stdin=stdin, cwd=cwd)


def test_index_json_summary_then_noop(corpus: Path, tmp_path: Path) -> None:
    idx = str(tmp_path / "idx")
    (corpus / "bad.txt").write_bytes(b"\xff\xfe\x00binary")
    first = qa("index", "--corpus", str(corpus), "--index", idx, "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["documents"] == 3 and summary["embedded"] == summary["chunks"] > 0
    assert summary["skipped"] == 1 and "bad.txt" in first.stderr
    assert {"documents", "chunks", "embedded", "removed", "skipped", "seconds"} <= set(summary)
    second = json.loads(qa("index", "--corpus", str(corpus), "--index", idx, "--json").stdout)
    assert second["embedded"] == 0 and second["updated"] is False


def test_ask_text_and_json(corpus: Path, tmp_path: Path) -> None:
    args = ["--corpus", str(corpus), "--index", str(tmp_path / "idx")]
    text = qa("ask", "Where is Mount Etna volcano?", *args)
    assert text.returncode == 0, text.stderr
    assert "[1] notes/volcanoes.md:3" in text.stdout and "Sicily" in text.stdout
    out = qa("ask", "--json", "Where is Mount Etna volcano?", *args)
    record = json.loads(out.stdout)
    c = record["citations"][0]
    assert (corpus / c["source"]).read_text(encoding="utf-8")[c["start"] : c["end"]] == c["quote"]
    assert record["abstained"] is False and record["error"] is None


def test_ask_reads_stdin_and_refreshes_a_changed_corpus(corpus: Path, tmp_path: Path) -> None:
    args = ["--corpus", str(corpus), "--index", str(tmp_path / "idx")]
    assert qa("index", *args).returncode == 0
    (corpus / "llamas.txt").write_text("Llamas live in the Andes mountains of Peru.", encoding="utf-8")
    out = qa("ask", "--json", "-", *args, stdin="Where do llamas live?")
    record = json.loads(out.stdout)
    assert record["citations"][0]["source"] == "llamas.txt"


def test_an_index_named_alone_answers_from_its_own_corpus_and_is_never_replaced(corpus: Path,
                                                                                  tmp_path: Path) -> None:
    """`--index DIR` with no corpus named anywhere is the corpus that index was built from: refreshing it
    against the bundled seeds/ would throw a large index away for three documents. Its corpus gone, it is
    a one-line corpus error and the index is kept."""
    idx = str(tmp_path / "idx")
    assert qa("index", "--corpus", str(corpus), "--index", idx).returncode == 0
    out = qa("ask", "--json", "Where is Mount Etna volcano?", "--index", idx)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["citations"][0]["source"] == "notes/volcanoes.md"
    (corpus / "llamas.txt").write_text("Llamas live in the Andes mountains of Peru.", encoding="utf-8")
    update = json.loads(qa("index", "--index", idx, "--json").stdout)  # updates its own corpus, not seeds/
    assert update["documents"] == 4 and update["corpus"] == str(corpus.resolve())
    moved = corpus.rename(tmp_path / "elsewhere")
    # its corpus gone, it still answers from what it holds, and says so; indexing it is a one-line corpus error
    gone = qa("ask", "--json", "Where do llamas live?", "--index", idx)
    assert gone.returncode == 0 and json.loads(gone.stdout)["citations"][0]["source"] == "llamas.txt"
    assert "is gone" in gone.stderr
    listed = qa("ls", "--index", idx)
    assert listed.returncode == 0 and "llamas.txt" in listed.stdout
    refused = qa("index", "--index", idx)
    assert refused.returncode == ExitCode.CORPUS, refused.stdout
    assert "was built from" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    kept = json.loads(qa("index", "--corpus", str(moved), "--index", idx, "--json").stdout)
    assert kept["documents"] == 4 and kept["embedded"] == 0  # intact: nothing to embed again
    seeds = json.loads(qa("ask", "--json", "Where was Blinken on Tuesday?", "--corpus", str(SEEDS), "--index",
                          idx).stdout)  # a corpus named on purpose is what it answers from
    assert seeds["citations"][0]["source"] == "blinken-central-asia.txt"


def test_an_outdated_index_named_alone_is_rebuilt_from_its_own_corpus(corpus: Path, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    assert qa("index", "--corpus", str(corpus), "--index", str(idx)).returncode == 0
    manifest = idx / (idx / "CURRENT").read_text(encoding="utf-8").strip() / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps(data | {"format_version": data["format_version"] - 1}), encoding="utf-8")
    out = qa("ask", "--json", "Where is Mount Etna volcano?", "--index", str(idx))  # a newer corpus-qa's first run
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["citations"][0]["source"] == "notes/volcanoes.md"


def test_default_corpus_is_found_from_any_directory(tmp_path: Path) -> None:
    out = qa("ask", "--json", "Where was Blinken on Tuesday?", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["citations"][0]["source"] == "blinken-central-asia.txt"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["ask", "   "], ExitCode.USAGE, "empty"),
        (["ask", "x", "--top-k", "0"], ExitCode.USAGE, "top-k"),
        (["ask", "x", "--corpus", "/no/such/folder"], ExitCode.CORPUS, "does not exist"),
        (["index", "--corpus", "/no/such/folder"], ExitCode.CORPUS, "does not exist"),
        (["frobnicate"], ExitCode.USAGE, "No such command"),
    ],
)
def test_exit_codes(args: list[str], code: ExitCode, message: str) -> None:
    out = qa(*args)
    assert out.returncode == code, out.stderr
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_damaged_index_exit_code_and_hint(corpus: Path, tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    assert qa("index", "--corpus", str(corpus), "--index", str(idx)).returncode == 0
    gen = next(idx.glob("gen-*"))
    (gen / "meta.sqlite").write_bytes(b"garbage" * 500)
    out = qa("ask", "anything", "--corpus", str(corpus), "--index", str(idx))
    assert out.returncode == ExitCode.INDEX
    assert "qa index --rebuild" in out.stderr and "Traceback" not in out.stderr
    assert qa("index", "--rebuild", "--corpus", str(corpus), "--index", str(idx)).returncode == 0
    assert qa("ask", "anything", "--corpus", str(corpus), "--index", str(idx)).returncode == 0


def test_batch_keeps_order_ids_and_reports_bad_lines(corpus: Path, tmp_path: Path) -> None:
    lines = [
        "Where is Mount Etna volcano?",
        json.dumps({"id": "tea-1", "question": "What is green tea made from?"}),
        "",
        "{not json",
        json.dumps({"id": 7}),
        "zebra quantum lasagna",
    ]
    qfile = tmp_path / "q.txt"
    qfile.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = qa("batch", str(qfile), "--corpus", str(corpus), "--index", str(tmp_path / "idx"))
    assert out.returncode == ExitCode.PARTIAL, out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["id"] for r in records] == [1, "tea-1", 4, 5, 6]  # the blank line 3 asks nothing
    assert [r["error"] is not None for r in records] == [False, False, True, True, False]
    assert "not valid JSON" in records[2]["error"]
    assert records[0]["citations"][0]["source"] == "notes/volcanoes.md"
    assert records[4]["abstained"] is True
    assert "3 answered, 2 failed" in out.stderr


def test_batch_from_stdin_all_good_exits_zero(corpus: Path, tmp_path: Path) -> None:
    out = qa("batch", "-", "--corpus", str(corpus), "--index", str(tmp_path / "idx"),
             stdin="Mount Etna\nGreen tea\n")
    assert out.returncode == 0
    assert len(out.stdout.splitlines()) == 2


def test_help_and_version_do_not_import_torch() -> None:
    code = (
        "import sys\nfrom qa.cli import cli\n"
        "for args in (['--help'], ['--version'], ['ask', '--help']):\n"
        "    try:\n        cli(args)\n    except SystemExit as e:\n        assert e.code == 0, e.code\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'faiss', 'bm25s') "
        "if m in sys.modules]\nassert not heavy, heavy\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "qa, version 0.1.0" in out.stdout


def test_core_never_imports_textual() -> None:
    code = (
        "import sys, pkgutil, importlib, index, qa\n"
        "names = [m.name for pkg in (index, qa) for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "assert 'index.reading.formats.html' in names and 'index.reading.formats.pdf' in names, names\n"
        "assert 'textual' not in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_readme_test_command_is_what_ci_runs() -> None:
    root = Path(__file__).resolve().parent.parent
    ci = (root / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert ci.startswith("python3 -m venv") and f"\n{ci}\n" in readme
