"""The config file and `qa config`: precedence flag > environment > file > built-in, clear errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from index.errors import UsageError
from qa.config import Settings
from tests.conftest import clean_env, qa_command


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    (home / "corpus-qa").mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home / "corpus-qa" / "config.toml"


def test_precedence_flag_env_file_default(config_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_home.write_text('top_k = 7\nprecision = "fp32"\ntheme = "textual-light"\nwhere = "format:pdf"\n',
                           encoding="utf-8")
    s = Settings.resolve()
    assert (s.top_k, s.precision, s.theme, s.where) == (7, "fp32", "textual-light", "format:pdf")
    assert s.origins["top_k"].startswith("config file") and s.origins["corpus"] == "built-in"
    monkeypatch.setenv("QA_TOP_K", "9")
    assert Settings.resolve().top_k == 9 and Settings.resolve().origins["top_k"] == "environment QA_TOP_K"
    assert Settings.resolve(top_k=3).top_k == 3 and Settings.resolve(top_k=3).origins["top_k"] == "flag"


def test_the_query_backend_is_a_setting_that_reaches_the_embedder(config_home: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from index.embedding import load_embedder

    config_home.write_text('query_backend = "torch"\n', encoding="utf-8")
    settings = Settings.resolve()
    assert settings.query_backend == "torch" and settings.origins["query_backend"].startswith("config file")
    embedder = load_embedder("minilm", settings.precision, query_backend=settings.query_backend)
    assert embedder.query_backend == "torch" and not embedder.needs_query_encoder()  # type: ignore[attr-defined]
    monkeypatch.setenv("QA_QUERY_BACKEND", "onnx")
    with pytest.raises(UsageError, match=r"query_backend \(environment QA_QUERY_BACKEND\) must be one of auto, torch"):
        Settings.resolve()


@pytest.mark.parametrize(("text", "message"), [
    ("top_k = 5\nbogus = 1\n", "line 2: unknown setting 'bogus'"),
    ("top_k = \n", "not valid TOML"),
    ('top_k = "five"\n', "line 1: top_k must be a whole number"),
    ('theme = "neon"\n', "theme (config file"),
])
def test_malformed_config_is_a_clear_error(config_home: Path, text: str, message: str) -> None:
    config_home.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        Settings.resolve()


def test_qa_config_command_shows_origins(config_home: Path, tmp_path: Path) -> None:
    config_home.write_text("top_k = 8\n", encoding="utf-8")
    env = clean_env(XDG_CONFIG_HOME=str(config_home.parent.parent), QA_PRECISION="bf16")
    out = subprocess.run([*qa_command(), "config", "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)["settings"]
    assert data["top_k"] == {"value": "8", "from": f"config file {config_home}"}
    assert data["precision"]["from"] == "environment QA_PRECISION"
    config_home.write_text("top_k = [\n", encoding="utf-8")
    bad = subprocess.run([*qa_command(), "ask", "x"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "not valid TOML" in bad.stderr and "line 1" in bad.stderr


@pytest.mark.parametrize("store", ["milvus://", "milvus:///", "s3://bucket/idx"])
def test_a_store_this_version_cannot_open_is_one_clear_usage_error(store: str, tmp_path: Path) -> None:
    """An unknown scheme, or a Milvus URI naming neither a server nor a file, is one line, not a traceback."""
    env = clean_env(QA_STORE=store)
    out = subprocess.run([*qa_command(), "ask", "Where is Etna?", "--corpus", str(tmp_path)], capture_output=True,
                         text=True, env=env, timeout=60)
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert ("give a server" if store.startswith("milvus") else "Unknown store") in out.stderr


def test_store_and_where_flags_are_flags_not_environment_writes(tmp_path: Path) -> None:
    """`qa config --store X --where Y` reports both as flags; the CLI never writes them into os.environ (it
    used to, so they were reported as environment variables and leaked into everything the process ran)."""
    import json
    import os

    from click.testing import CliRunner

    from qa.cli import cli

    result = CliRunner().invoke(cli, ["config", "--json", "--corpus", str(tmp_path), "--store",
                                      f"milvus:///{tmp_path}/x.db", "--where", "format:pdf"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["settings"]["store"]["from"] == "flag" and data["settings"]["where"]["from"] == "flag"
    assert "QA_STORE" not in os.environ and "QA_WHERE" not in os.environ


def test_the_milvus_token_is_a_setting_that_reaches_the_store_and_is_never_shown(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pymilvus")
    from index.storage import open_store

    monkeypatch.setenv("QA_MILVUS_TOKEN", "root:s3cret")
    settings = Settings.resolve(store="milvus://127.0.0.1:19530")
    assert settings.milvus_token == "root:s3cret" and "s3cret" not in repr(settings)
    assert ("milvus_token", "(set)", "environment QA_MILVUS_TOKEN") in settings.rows()
    store = open_store(settings.store_spec, settings.corpus, settings.milvus_token)
    assert store.token == "root:s3cret"  # type: ignore[attr-defined]
