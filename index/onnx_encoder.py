"""Query-time embeddings without torch: the same model exported once to ONNX, run by onnxruntime.

Importing torch costs about 4 s, most of a one-shot `qa ask`. At index time (where torch is loaded
anyway) the transformer is exported to ONNX, checked against the fp32 network on sample texts
(cosine >= 0.999 or it is thrown away), and kept in the cache under the weights hash. Questions are
then embedded with `tokenizers` + `onnxruntime` only. Without onnxruntime, or with no verified export,
questions are embedded with torch.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

PARITY_MIN_COSINE = 0.999
PROBES = (
    "Where was Blinken on Tuesday?",
    "What is the tallest mountain in Africa?",
    "1968 film by Stanley Kubrick",
    "The group brings together the United States and the five former Soviet republics of Central Asia.",
)


def export_path(cache_dir: Path, weights_hash: str) -> Path:
    return cache_dir / f"all-MiniLM-L6-v2-{weights_hash}.onnx"


def export_onnx(embedder: Any, target: Path, samples: Sequence[str] = ()) -> float:
    """Export the embedder's fp32 network to `target` (ONNX) and check it against the network itself
    (which matches sentence-transformers: tests/test_fast_paths.py).

    Returns the smallest cosine between the two on the probe and sample texts; the file is kept (with a
    `.verified.json` beside it) only when that is at least PARITY_MIN_COSINE."""
    import numpy as np
    import torch

    module = embedder.torch_module()  # (input_ids, attention_mask, token_type_ids) -> last hidden state
    from index.paths import PRIVATE_FILE, private_dir

    private_dir(target.parent)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    example = torch.ones((2, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, (example, example, torch.zeros_like(example)), str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                          "last_hidden_state": axes},
            opset_version=17, dynamo=False,
        )
    texts = list(PROBES) + [t for t in samples if t.strip()][:28]
    reference = embedder.embed_documents(texts)
    ours = OnnxEncoder(embedder.model_dir, tmp).embed_documents(texts)
    worst = float(np.min(np.sum(reference * ours, axis=1)))
    if worst >= PARITY_MIN_COSINE:
        os.chmod(tmp, PRIVATE_FILE)
        os.replace(tmp, target)
        target.with_suffix(".verified.json").write_text(
            json.dumps({"min_cosine": worst, "texts": len(texts)}), encoding="utf-8")
        os.chmod(target.with_suffix(".verified.json"), PRIVATE_FILE)
    else:
        tmp.unlink(missing_ok=True)
    return worst


def verified(target: Path) -> bool:
    return target.is_file() and target.with_suffix(".verified.json").is_file()


class OnnxEncoder:
    """Mean-pooled, normalised sentence embeddings from an exported model (no torch)."""

    def __init__(self, model_dir: Path, onnx_path: Path, max_tokens: int = 256) -> None:
        import onnxruntime as ort  # ~0.2 s
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = min(4, os.cpu_count() or 1)
        options.log_severity_level = 3
        # Threads that spin after a query steal the CPU from the numpy search that follows (2 cores).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self._lock = threading.Lock()

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        with self._lock:
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
        weights = mask[..., None].astype(np.float32)
        vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]
