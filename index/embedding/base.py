"""What every embedder shares: the `Embedder` protocol and the helpers implementations use (precision,
pooling token vectors over character spans). It imports no implementation; the factory in
index/embedding/__init__.py is the only place that names them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from index.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

Spans = Sequence[tuple[int, int]]
"""Character ranges [start, end) inside one text."""

MAX_SEQ_TOKENS = 256
"""What all-MiniLM-L6-v2 reads; sentence-transformers truncates there too."""


@runtime_checkable
class Embedder(Protocol):
    """What indexing and retrieval need from an embedding model."""

    model_id: str
    """Stable name of the model, recorded in the index manifest."""
    dim: int
    """Length of every vector."""
    relevance_floor: float
    """A question whose best passage's cosine stays under this is about something the corpus does not
    discuss (with little of it in the quote, corpus-qa abstains): 0.30 for all-MiniLM-L6-v2, measured on
    natural and documentation questions (bench/README.md, "Refusing"); 0 where the scale means nothing."""

    @property
    def weights_hash(self) -> str:
        """A hash of the weights, so an index built by other weights is noticed."""
        ...

    @property
    def document_encoder(self) -> str:
        """What embeds chunks (`onnx-int8`, `torch-bf16`, `torch-fp32`, `hash`): recorded in the manifest, so
        a refresh never mixes the vectors of two encoders in one index."""
        ...

    @property
    def query_backend(self) -> str:
        """What embeds questions (`onnx`, `torch`, `hash`), for diagnostics."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Model tokens of each text, without special tokens."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """One unit-length float32 vector."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """`embed_query` of several questions, one row each, in one model call (the parts of a question with
        several: qa/multipart.py)."""
        ...

    def embed_chunks(self, texts: Sequence[str], spans: Sequence[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector, and for each text one vector per span of it (its sentences)."""
        ...

    def warm_up(self) -> None:
        """Load whatever answering a question needs, so the first question is as fast as the rest."""
        ...

    def start_warm_up(self) -> None:
        """Start, without waiting for it, what of `warm_up` can run beside the caller (the ONNX session opens
        in a thread); the first question waits for it. `warm_up` does the rest."""
        ...

    def needs_query_encoder(self) -> bool:
        """Whether `prepare_query_encoder` has work to do (a fast question encoder is missing)."""
        ...

    def prepare_query_encoder(self, samples: Sequence[str] = ()) -> str | None:
        """Build the fast question encoder if there is none yet (checked on `samples`); a warning or None."""
        ...


def cpu_supports_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX); elsewhere bf16 is slow."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


PRECISIONS = ("auto", "int8", "bf16", "fp32")
"""What indexing may run in: `int8` the quantized ONNX graph (index/embedding/int8.py), `bf16` and `fp32`
the torch network; `auto` is int8 (measured fastest here, retrieval unchanged: docs/performance.md)."""


def resolve_precision(requested: str | None = None) -> str:
    """`QA_PRECISION` (auto, int8, fp32, bf16) resolved for this CPU: auto is int8; bf16 only where the CPU
    has it."""
    choice = (requested or os.environ.get("QA_PRECISION") or "auto").lower()
    if choice not in PRECISIONS:
        raise ModelError(f"QA_PRECISION must be one of {', '.join(PRECISIONS)}, not {choice!r}.")
    if choice in ("auto", "int8"):
        return "int8"
    return torch_precision(choice)


def torch_precision(requested: str | None = None) -> str:
    """The precision the torch network runs in: fp32 when asked, else bf16 where the CPU has it."""
    if requested == "fp32":
        return "fp32"
    return "bf16" if cpu_supports_bf16() else "fp32"


def pool_spans(tokens: np.ndarray, offsets: Sequence[tuple[int, int]], spans: Spans) -> list[np.ndarray | None]:
    """Mean of the token vectors lying inside each span, normalised; None where no token does
    (the span was cut off by the model's length limit)."""
    import numpy as np

    starts = np.array([a for a, _b in offsets])
    ends = np.array([b for _a, b in offsets])
    real = ends > starts  # special tokens have empty offsets
    out: list[np.ndarray | None] = []
    for a, b in spans:
        mask = real & (starts >= a) & (ends <= b)
        if not mask.any():
            out.append(None)
            continue
        vec = tokens[mask].mean(axis=0)
        out.append(vec / max(float(np.linalg.norm(vec)), 1e-12))
    return out
