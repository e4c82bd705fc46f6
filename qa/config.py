"""Settings: flag > QA_* environment variable > default, resolved once and passed down frozen."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from index.paths import cache_home

DEFAULT_TOP_K = 5


def default_corpus() -> Path:
    """The bundled `seeds/` corpus: inside the installed package, or beside it in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_seeds", here.parent / "seeds"):
        if candidate.is_dir():
            return candidate
    return here.parent / "seeds"


def default_index_dir(corpus: Path) -> Path:
    """Per-corpus index folder under the user's cache: `<cache>/corpus-qa/indexes/<name>-<hash>`."""
    resolved = corpus.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    return cache_home() / "indexes" / f"{resolved.name or 'root'}-{digest}"


@dataclass(frozen=True)
class Tuning:
    """Knobs of retrieval and answer composition; the defaults are what the quality benchmark chose."""

    fusion: str = "weighted"
    """How dense and BM25 scores combine: weighted, dense, bm25, rrf, minmax, tiebreak."""
    bm25_weight: float = 0.30
    """Weight of the BM25 score (scaled to [0, 1] per query) in `weighted` fusion."""
    keyword_weight: float = 0.4
    """Bonus of a sentence holding every (IDF-weighted) keyword of the question."""
    abstain_below: float = 0.35
    """Best sentence score under which the corpus is taken not to answer."""
    max_sentences: int = 3
    """Most sentences an answer quotes."""
    extra_margin: float = 0.08
    """A further sentence joins the answer when it scores within this margin of the best one."""
    answer_passages: int = 5
    """Sentences are drawn from this many of the top passages, whatever `top_k` is."""
    title_weight: float = 0.4
    """Added to the score of every chunk of a document whose title the question names (index/titles.py)."""
    title_common: float = 0.4
    """Share of `title_weight` a title gets when the question writes it as common words, not as a name."""
    title_head: float = 0.5
    """Share of the evidence for a document whose title the question names only by its head ("Amazon" for
    "Amazon (company)")."""
    title_phrase: float = 0.0
    """Share of `title_weight` for a query that is not a question ("1968 film by Stanley Kubrick"): there a
    name is more often a constraint on what is sought than its subject."""
    prf_weight: float = 0.0
    """Pseudo-relevance feedback: the question vector moves this far towards the mean of the first dense
    search's top `prf_depth` chunks before a second dense search."""
    prf_depth: int = 3
    """Chunks averaged for pseudo-relevance feedback."""
    maxsim_weight: float = 0.5
    """Share of a chunk's dense score taken from its best sentence's cosine instead of its own vector's."""
    title_chunks: int = 3
    """Chunks of a named document that join the candidates when neither search found them."""
    named_bonus: float = 0.1
    """Added to the score of a sentence from a document the question names by its title (times the title
    evidence, 0..1)."""
    topic_aware: bool = True
    """Within a document, the question's words that are in the document's title do not count towards a
    sentence's keyword overlap."""
    reader: bool = True
    """Read the question's expected answer type (qa/reader.py): prefer, highlight and require an answer of
    that type; abstain when the question names something no retrieved passage mentions."""
    type_bonus: float = 0.1
    """Added to the score of a sentence holding a candidate answer of the asked type."""
    fragment_penalty: float = 0.1
    """Taken from the score of a heading-like fragment (short, without closing punctuation)."""
    """Chunks of a named document that join the candidates when neither search found them."""


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
    where: str | None = None
    """A default `--where` filter for every question (QA_WHERE), see index/filters.py."""
    store: str | None = None
    """Where the index lives when it is not the local `index` folder: `milvus:///file.db`, `milvus://host:port`."""

    @property
    def store_spec(self) -> str:
        """The store to open: `store` if set, else the local index folder."""
        return self.store or str(self.index)

    @classmethod
    def resolve(
        cls, corpus: Path | str | None = None, index: Path | str | None = None, top_k: int | None = None,
        store: str | None = None,
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
            store=store or env.get("QA_STORE") or None,
            where=env.get("QA_WHERE") or None,
        )
