"""Shared fixtures: keep the developer's cache out of tests; a fast deterministic embedder by default."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own cache folder and the hash embedder unless it asks for the real model."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("QA_EMBEDDER", "hash")
    for var in ("QA_CORPUS", "QA_INDEX", "QA_TOP_K"):
        monkeypatch.delenv(var, raising=False)
    return cache


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A small corpus: the seed article plus two short documents in a subfolder."""
    root = tmp_path / "corpus"
    root.mkdir()
    shutil.copy(SEEDS / "blinken-central-asia.txt", root / "blinken.txt")
    (root / "notes").mkdir()
    (root / "notes" / "volcanoes.md").write_text(
        "# Volcanoes\n\nMount Etna is an active volcano on the island of Sicily. It erupts often.\n\n"
        "Vesuvius destroyed Pompeii in 79 AD.\n",
        encoding="utf-8",
    )
    (root / "notes" / "tea.rst").write_text(
        "Tea\n===\n\nGreen tea is made from leaves that are not oxidised. Black tea is fully oxidised.\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture
def hash_embedder():  # type: ignore[no-untyped-def]
    from index.embedding import HashEmbedder

    return HashEmbedder()


@pytest.fixture
def engine(corpus: Path, tmp_path: Path, hash_embedder):  # type: ignore[no-untyped-def]
    from qa.config import Settings
    from qa.engine import Engine

    eng = Engine(Settings.resolve(corpus, tmp_path / "index"), embedder=hash_embedder)
    for _ in eng.prepare():
        pass
    yield eng
    eng.close()


def qa_command() -> list[str]:
    """The installed `qa` console script next to this interpreter (falls back to `python -m`)."""
    script = Path(sys.executable).parent / "qa"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from qa.cli import main; main()"]


def load_questions(*names: str) -> list[dict]:
    rows = []
    for name in names:
        path = DATA / name
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def clean_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env
