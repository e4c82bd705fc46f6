"""Settings: flag > QA_* environment variable > config file > default, resolved once and passed down frozen."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from index.embedding.base import PRECISIONS
from index.paths import cache_home

DEFAULT_TOP_K = 5
MAX_TOP_K = 100


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


def _top_k_name(origin: str) -> str:
    """"QA_TOP_K" for the environment variable, else "top_k (config file …)"."""
    return origin.removeprefix("environment ") if origin.startswith("environment ") else f"top_k ({origin})"


@dataclass(frozen=True)
class Tuning:
    """Knobs of retrieval and answer composition; the defaults are what the quality benchmark chose."""

    bm25_weight: float = 0.30
    """Weight of the BM25 score (scaled to [0, 1] per query) in the fused score."""
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
    """Added to the score of every chunk of a document whose title the question names (index/text/titles.py)."""
    title_common: float = 0.4
    """Share of `title_weight` a title gets when the question writes it as common words, not as a name."""
    title_head: float = 0.5
    """Share of the evidence for a document whose title the question names only by its head ("Amazon" for
    "Amazon (company)")."""
    title_phrase: float = 0.0
    """Share of `title_weight` for a query that is not a question ("1968 film by Stanley Kubrick"): there a
    name is more often a constraint on what is sought than its subject."""
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
    passage_weight: float = 0.5
    """Weight, in a sentence's score, of how far its best passage's retrieval score is below the best
    passage's (0 for a sentence of the top passage, negative for the others)."""
    negation_penalty: float = 0.05
    """Taken from the score of a sentence that negates a phrase of the question ("is not None" for "is
    None")."""
    off_topic_coverage: float = 0.8
    """When no passage's cosine to the question reaches the model's `relevance_floor` and the quoted text
    covers less than this share of the question's words, the corpus is not about what is asked: abstain."""
    contrast_penalty: float = 0.2
    """Taken from the score of a sentence holding a word of what the question sets aside ("instead of the
    sample one"): it resembles the question and answers the other thing."""
    avoidance_bonus: float = 0.2
    """Added to a sentence saying it avoids what the question wants to do without ("instead of raising a
    KeyError exception" for "...without getting a KeyError?"): the sentences that merely mention it describe
    the behaviour the question wants to escape."""
    condition_bonus: float = 0.08
    """Added to a sentence stating a condition ("If there are multiple modes...") when the question asks what
    happens under one ("...when two values are tied?")."""
    kind_bonus: float = 0.08
    """Added to a sentence whose name is said to be of the kind a question asking for a name asks for ("Which
    array holds ...?": "An array variable containing ..." under PIPESTATUS; "Which function frees ...?": "The
    function yylex_destroy should be called ...")."""
    code_bonus: float = 0.15
    """Added to a code block, or a sentence introducing one, when a question asking for a name asks for a
    command or code ("What command runs...?"). Not for "how do I" questions: their answer is as often a
    function named in prose (on docs-eval a bonus there broke as many answers as it fixed)."""
    subject_bonus: float = 0.1
    """Added to the score of a sentence describing the API the question names (`addCleanup()` -> the
    description under `addCleanup(function, /, *args, **kwargs)`)."""
    version_bonus: float = 0.3
    """Added to the score of a sentence under a heading that names the version the question asks about ("What
    was fixed in 2.3.1?" -> the bullets under a changelog's `## [2.3.1] - 2024-02-12`)."""


SETTINGS = ("corpus", "index", "top_k", "store", "milvus_token", "where", "precision", "query_backend", "theme",
            "mcp_token", "generate", "llm_base_url", "llm_model", "llm_api_key", "llm_timeout")
"""What the config file, the environment (QA_<NAME>) and flags can set."""
DEFAULT_LLM_BASE_URL = "http://127.0.0.1:11434/v1"
"""Where generation looks for an OpenAI-compatible server when none is set: Ollama's own address."""
DEFAULT_LLM_TIMEOUT = 60.0
"""Seconds a generated answer may take before the quoted answer is shown instead."""
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _setting_type(key: str) -> tuple[type, ...]:
    """The TOML types a config file setting may have."""
    return {"top_k": (int,), "generate": (bool,), "llm_timeout": (int, float)}.get(key, (str,))
THEMES = ("textual-dark", "textual-light")
QUERY_BACKENDS = ("auto", "torch")


def config_path() -> Path:
    """`$XDG_CONFIG_HOME/corpus-qa/config.toml` (`~/.config/corpus-qa/config.toml` on Linux)."""
    import platformdirs

    return platformdirs.user_config_path("corpus-qa", appauthor=False) / "config.toml"


def read_config(path: Path | None = None) -> dict[str, object]:
    """The config file's settings ({} when there is none); a malformed file is a UsageError naming the line."""
    import tomllib

    from index.errors import UsageError

    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read the config file {path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = str(exc)
        if "at end of document" in where:  # name the line anyway: the last one
            where = where.replace("at end of document", f"at line {max(1, len(text.splitlines()))}, the end")
        raise UsageError(f"The config file {path} is not valid TOML: {where}") from None
    for key, value in data.items():
        if key not in SETTINGS:
            line = next((n for n, row in enumerate(text.splitlines(), start=1) if row.strip().startswith(key)), "?")
            raise UsageError(f"{path}, line {line}: unknown setting {key!r}; known: {', '.join(SETTINGS)}.")
        expected = _setting_type(key)
        if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
            line = next((n for n, row in enumerate(text.splitlines(), start=1) if row.strip().startswith(key)), "?")
            kind = {int: "a whole number", bool: "true or false", str: "text"}.get(expected[0], "a number")
            raise UsageError(f"{path}, line {line}: {key} must be {kind if len(expected) == 1 else 'a number'}.")
    return data


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, resolved once: flag > QA_* environment variable > config file >
    built-in default."""

    corpus: Path
    """Folder of documents."""
    index: Path
    """Index folder."""
    top_k: int = DEFAULT_TOP_K
    """Passages to retrieve."""
    embedder: str = "minilm"
    """Embedder name (`minilm`, or `hash` for tests)."""
    where: str | None = None
    """A default `--where` filter for every question (see index/filters.py)."""
    store: str | None = None
    """Where the index lives when it is not the local `index` folder (a store URI; only folders today)."""
    milvus_token: str | None = field(default=None, repr=False)
    """A Milvus server's credentials (`user:password` or an API key). Never shown by `qa config`."""
    precision: str = "auto"
    """What embeds documents: auto (= int8), int8 (the quantized ONNX graph), bf16 or fp32 (torch; bf16 only
    where the CPU has it). Questions are embedded in fp32 whatever this says."""
    query_backend: str = "auto"
    """What embeds questions: auto (the torch-free ONNX encoder once it is written and verified, torch until
    then) or torch (sentence-transformers' network, always)."""
    theme: str = "textual-dark"
    """The chat's colour theme."""
    mcp_token: str | None = field(default=None, repr=False)
    """The bearer token `qa mcp --http` requires (None: a new one per run). Never shown by `qa config`."""
    generate: bool = False
    """Write a fluent answer with a language model from the verified quotes (qa/generate.py). Off unless
    turned on: only then is a question sent anywhere."""
    llm_base_url: str = DEFAULT_LLM_BASE_URL
    """The OpenAI-compatible server generation talks to (its `/v1` address, or the full chat completions URL)."""
    llm_model: str | None = None
    """The model name the server knows (e.g. `llama3.2`); required for generation."""
    llm_api_key: str | None = None
    """Sent as a bearer token when set (local servers need none)."""
    llm_timeout: float = DEFAULT_LLM_TIMEOUT
    """Seconds a generated answer may take before the quoted answer is shown instead."""
    origins: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    """Setting -> where its value came from (flag, environment variable, config file, built-in)."""

    @property
    def store_spec(self) -> str:
        """The store to open: `store` if set, else the local index folder."""
        return self.store or str(self.index)

    @classmethod
    def resolve(
        cls, corpus: Path | str | None = None, index: Path | str | None = None, top_k: int | None = None,
        store: str | None = None, generate: bool | None = None, where: str | None = None,
    ) -> Settings:
        from index.errors import UsageError

        env = os.environ
        file = read_config()
        origins: dict[str, str] = {}
        flags: dict[str, object] = {"corpus": corpus, "index": index, "top_k": top_k, "store": store,
                                    "generate": generate, "where": where}

        def pick(name: str) -> object:
            if flags.get(name) is not None:
                origins[name] = "flag"
                return flags[name]
            value = env.get(f"QA_{name.upper()}")
            if value:
                origins[name] = f"environment QA_{name.upper()}"
                return value
            if name in file:
                origins[name] = f"config file {config_path()}"
                return file[name]
            origins[name] = "built-in"
            return None

        raw_top_k = pick("top_k")
        try:
            k = int(raw_top_k) if raw_top_k is not None else DEFAULT_TOP_K  # type: ignore[call-overload]
        except ValueError:
            raise UsageError(f"{_top_k_name(origins['top_k'])} must be a whole number, not {raw_top_k!r}.") from None
        corpus_path = Path(str(pick("corpus") or default_corpus())).expanduser()
        index_value = pick("index")
        precision = str(pick("precision") or "auto").lower()
        if precision not in PRECISIONS:
            raise UsageError(f"precision ({origins['precision']}) must be one of {', '.join(PRECISIONS)}, "
                             f"not {precision!r}.")
        query_backend = str(pick("query_backend") or "auto").lower()
        if query_backend not in QUERY_BACKENDS:
            raise UsageError(f"query_backend ({origins['query_backend']}) must be one of "
                             f"{', '.join(QUERY_BACKENDS)}, not {query_backend!r}.")
        theme = str(pick("theme") or THEMES[0])
        if theme not in THEMES:
            raise UsageError(f"theme ({origins['theme']}) must be one of {', '.join(THEMES)}, not {theme!r}.")
        generate_value = pick("generate")
        if isinstance(generate_value, str):
            if generate_value.strip().lower() not in (*_TRUE, *_FALSE):
                raise UsageError(f"{origins['generate'].removeprefix('environment ')} must be true or false, "
                                 f"not {generate_value!r}.")
            generate_value = generate_value.strip().lower() in _TRUE
        raw_timeout = pick("llm_timeout")
        try:
            timeout = float(raw_timeout) if raw_timeout is not None else DEFAULT_LLM_TIMEOUT  # type: ignore[arg-type]
        except ValueError:
            timeout = -1.0
        if not 0 < timeout < float("inf"):
            raise UsageError(f"llm_timeout ({origins['llm_timeout']}) must be a number of seconds above 0, "
                             f"not {raw_timeout!r}.")
        return cls(
            corpus=corpus_path.resolve() if corpus_path.exists() else corpus_path,
            index=Path(str(index_value)).expanduser() if index_value else default_index_dir(corpus_path),
            top_k=k,
            embedder=env.get("QA_EMBEDDER", "minilm"),
            store=str(pick("store") or "") or None,
            milvus_token=str(pick("milvus_token") or "") or None,
            where=str(pick("where") or "") or None,
            precision=precision,
            query_backend=query_backend,
            theme=theme,
            mcp_token=str(pick("mcp_token") or "") or None,
            generate=bool(generate_value),
            llm_base_url=str(pick("llm_base_url") or DEFAULT_LLM_BASE_URL),
            llm_model=str(pick("llm_model") or "") or None,
            llm_api_key=str(pick("llm_api_key") or "") or None,
            llm_timeout=timeout,
            origins=origins,
        )

    def check_top_k(self) -> None:
        """For commands that answer: a top_k that --top-k would refuse is a usage error, named by where it
        came from (commands that only index ignore top_k)."""
        from index.errors import UsageError

        if not 1 <= self.top_k <= MAX_TOP_K:
            raise UsageError(f"{_top_k_name(self.origins.get('top_k', 'built-in'))} must be a whole number "
                             f"from 1 to {MAX_TOP_K}, not {self.top_k}.")

    def rows(self) -> list[tuple[str, str, str]]:
        """(setting, value, where it came from), for `qa config`."""
        values = {"corpus": str(self.corpus), "index": str(self.index), "top_k": str(self.top_k),
                  "store": self.store or "-", "milvus_token": "(set)" if self.milvus_token else "-",
                  "where": self.where or "-", "precision": self.precision, "query_backend": self.query_backend,
                  "theme": self.theme, "mcp_token": "(set)" if self.mcp_token else "-",
                  "generate": "true" if self.generate else "false",
                  "llm_base_url": self.llm_base_url, "llm_model": self.llm_model or "-",
                  "llm_api_key": "(set)" if self.llm_api_key else "-", "llm_timeout": f"{self.llm_timeout:g}"}
        return [(name, values[name], self.origins.get(name, "built-in")) for name in SETTINGS]
