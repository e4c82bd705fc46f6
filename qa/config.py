"""Settings: flag > QA_* environment variable > default, resolved once and passed down frozen."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TOP_K = 5


def default_corpus() -> Path:
    """The bundled `seeds/` corpus: inside the installed package, or beside it in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_seeds", here.parent / "seeds"):
        if candidate.is_dir():
            return candidate
    return here.parent / "seeds"


def cache_home() -> Path:
    """`$XDG_CACHE_HOME`, or `~/.cache`."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) if xdg else Path.home() / ".cache"


def default_index_dir(corpus: Path) -> Path:
    """Per-corpus index folder under the user's cache: `<cache>/corpus-qa/indexes/<name>-<hash>`."""
    resolved = corpus.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    return cache_home() / "corpus-qa" / "indexes" / f"{resolved.name or 'root'}-{digest}"


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, resolved."""

    corpus: Path
    """Folder of documents."""
    index: Path
    """Index folder."""
    top_k: int = DEFAULT_TOP_K
    """Passages to retrieve."""
    embedder: str = "minilm"
    """Embedder name (`minilm`, or `hash` for tests)."""

    @classmethod
    def resolve(
        cls, corpus: Path | str | None = None, index: Path | str | None = None, top_k: int | None = None
    ) -> Settings:
        env = os.environ
        if top_k is None and env.get("QA_TOP_K"):
            try:
                top_k = int(env["QA_TOP_K"])
            except ValueError:
                from index.errors import UsageError

                raise UsageError(f"QA_TOP_K must be a whole number, not {env['QA_TOP_K']!r}.") from None
        corpus_path = Path(corpus or env.get("QA_CORPUS") or default_corpus()).expanduser()
        index_path = index or env.get("QA_INDEX")
        return cls(
            corpus=corpus_path.resolve() if corpus_path.exists() else corpus_path,
            index=Path(index_path).expanduser() if index_path else default_index_dir(corpus_path),
            top_k=top_k if top_k is not None else DEFAULT_TOP_K,
            embedder=env.get("QA_EMBEDDER", "minilm"),
        )
