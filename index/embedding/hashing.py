"""A deterministic bag-of-words embedder: fast, dependency-free, good enough to test the pipeline.

Texts sharing words get similar vectors, so retrieval tests behave sensibly; it knows nothing of meaning.
Select it with `QA_EMBEDDER=hash` (the tests do). It implements the whole `Embedder` protocol; the parts
that only matter for a real model (warm-up, the ONNX question encoder) are no-ops.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from index.embedding.base import Spans

if TYPE_CHECKING:
    import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)


class HashEmbedder:
    """Signed word hashing into `dim` buckets, normalised."""

    model_id = "corpus-qa/hash-embedder-v1"
    relevance_floor = 0.0
    weights_hash = "none"
    query_backend = "hash"
    document_encoder = "hash"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_WORD.findall(t)) for t in texts]

    def _vector(self, text: str) -> np.ndarray:
        import numpy as np

        vec = np.zeros(self.dim, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dim
            vec[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0] = 1.0
            return vec
        return vec / norm

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_documents(texts)

    def embed_chunks(self, texts: Sequence[str], spans: Sequence[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each chunk, and each of its spans as a text of its own."""
        return self.embed_documents(texts), [self.embed_documents([t[a:b] for a, b in sp]) for t, sp in
                                             zip(texts, spans, strict=True)]

    def warm_up(self) -> None:
        """Nothing to load."""

    def start_warm_up(self) -> None:
        """Nothing to load."""

    def needs_query_encoder(self) -> bool:
        return False

    def prepare_query_encoder(self, samples: Sequence[str] = ()) -> str | None:
        return None
