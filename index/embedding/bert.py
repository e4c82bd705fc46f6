"""A small BERT encoder in plain torch, for indexing: the bundled model's forward pass without
sentence-transformers or transformers.

Those two libraries cost about 200 MB of memory and 1.5 s of start-up on top of torch before a single
text is embedded (measured here: `import torch` 210 MB; with sentence-transformers 413 MB), for a pass
that is a dozen matrix products per layer. This module reads the weights from the model's safetensors
file and runs the same computation (post-norm BERT, exact GELU, mean pooling done by the caller) with
`scaled_dot_product_attention`, in bfloat16 where the CPU has it. Only BERT-shaped models load here;
anything else goes through sentence-transformers. Parity with sentence-transformers is checked by the
tests (cosine >= 0.9999 in fp32) and at build time on a sample (index/embedding/minilm.py).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any


class BertConfigError(ValueError):
    """The model is not a BERT this module can run."""


def load_bert(model_dir: Path, dtype: str = "fp32", device: str = "cpu") -> Any:
    """Build the encoder from `config.json` and `model.safetensors` on `device` (`cpu`, or `cuda` in a Ray
    worker given a GPU); raises BertConfigError otherwise."""
    # oneDNN caches a primitive, packed weights included, per input shape; batches of many widths grew a
    # build by 120 MB with the default capacity (1,024). A few entries keep the speed (measured here).
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "8")
    # ideep, torch's layer over oneDNN, keeps a cache of its own (LRU_CACHE_CAPACITY, 1,024 by default): with
    # it, indexing refman.pdf crept from 378 to 401 MB over the run as batch shapes came and went (peak
    # 414 MB); with 16 entries it stays near 380 MB, no slower (measured here, one run after another).
    os.environ.setdefault("LRU_CACHE_CAPACITY", "16")
    import torch  # ~2 s, 210 MB: indexing needs it anyway

    config = bert_config(model_dir)
    weights_file = model_dir / "model.safetensors"
    # One tensor at a time, converted as it is read: loading the whole fp32 file first (safetensors'
    # loaders do) would hold both copies at once, 180 MB more at the peak of a build than this.
    reader = SafetensorsReader(weights_file)
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in reader.names else ""
    torch_dtype = torch.bfloat16 if dtype == "bf16" else torch.float32

    def w(name: str) -> torch.Tensor:
        key = prefix + name
        if key not in reader.names:
            raise BertConfigError(f"weight {key} is missing")
        tensor = torch.from_numpy(reader.read(key))
        tensor = tensor.to(torch_dtype) if tensor.dtype != torch_dtype else tensor
        return tensor if device == "cpu" else tensor.to(device)

    layers = []
    for i in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{i}."
        layers.append({
            "qkv_w": torch.cat([w(p + f"attention.self.{n}.weight") for n in ("query", "key", "value")]),
            "qkv_b": torch.cat([w(p + f"attention.self.{n}.bias") for n in ("query", "key", "value")]),
            "out_w": w(p + "attention.output.dense.weight"), "out_b": w(p + "attention.output.dense.bias"),
            "ln1_w": w(p + "attention.output.LayerNorm.weight"), "ln1_b": w(p + "attention.output.LayerNorm.bias"),
            "up_w": w(p + "intermediate.dense.weight"), "up_b": w(p + "intermediate.dense.bias"),
            "down_w": w(p + "output.dense.weight"), "down_b": w(p + "output.dense.bias"),
            "ln2_w": w(p + "output.LayerNorm.weight"), "ln2_b": w(p + "output.LayerNorm.bias"),
        })
    model = Bert(
        word=w("embeddings.word_embeddings.weight"), position=w("embeddings.position_embeddings.weight"),
        token_type=w("embeddings.token_type_embeddings.weight"), ln_w=w("embeddings.LayerNorm.weight"),
        ln_b=w("embeddings.LayerNorm.bias"), layers=layers, heads=int(config["num_attention_heads"]),
        eps=float(config.get("layer_norm_eps", 1e-12)),
    )
    return model


def bert_config(model_dir: Path) -> dict[str, Any]:
    """The model's config.json, if it describes a plain BERT with its weights in model.safetensors."""
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu" or \
            config.get("position_embedding_type", "absolute") != "absolute":
        raise BertConfigError(f"not a plain BERT model ({config.get('model_type')}, {config.get('hidden_act')})")
    if not (model_dir / "model.safetensors").is_file():
        raise BertConfigError("no model.safetensors")
    return dict(config)


class SafetensorsReader:
    """Reads single float32 tensors from a .safetensors file (an 8-byte header size, a JSON header of
    names, shapes and byte ranges, then the raw little-endian data), one at a time."""

    def __init__(self, path: Path) -> None:
        import struct

        self.path = path
        with path.open("rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            if size > 100_000_000:
                raise BertConfigError("implausible safetensors header")
            header = json.loads(fh.read(size))
        self.base = 8 + size
        self.entries = {k: v for k, v in header.items() if k != "__metadata__"}
        self.names = set(self.entries)

    def read(self, name: str) -> Any:
        import numpy as np

        entry = self.entries[name]
        if entry.get("dtype") != "F32":
            raise BertConfigError(f"{name} is {entry.get('dtype')}, not F32")
        begin, end = entry["data_offsets"]
        out = np.empty(entry["shape"], dtype="<f4")
        if out.nbytes != end - begin:
            raise BertConfigError(f"{name}: its shape and byte range disagree")
        with self.path.open("rb") as fh:
            fh.seek(self.base + begin)
            if fh.readinto(memoryview(out).cast("B")) != out.nbytes:  # type: ignore[arg-type]  # ndarray is a buffer
                raise BertConfigError(f"{name} is cut short")
        return out


class Bert:
    """Inference-only BERT: token ids and mask in, last hidden states out."""

    def __init__(self, *, word: Any, position: Any, token_type: Any, ln_w: Any, ln_b: Any, layers: list[dict[str, Any]],
                 heads: int, eps: float) -> None:
        self.word, self.position, self.token_type = word, position, token_type
        self.ln_w, self.ln_b = ln_w, ln_b
        self.layers = layers
        self.heads = heads
        self.eps = eps
        self.dim = int(word.shape[1])
        self.dtype = word.dtype
        self.device = word.device

    def __call__(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
        import torch
        import torch.nn.functional as F

        batch, width = input_ids.shape
        types = self.token_type[0] if token_type_ids is None else F.embedding(token_type_ids, self.token_type)
        x = F.embedding(input_ids, self.word) + self.position[:width].unsqueeze(0) + types
        x = F.layer_norm(x, (self.dim,), self.ln_w, self.ln_b, self.eps)
        # Padding keys are masked out of attention: a large negative bias, as BERT's extended mask does.
        bias = torch.zeros((batch, 1, 1, width), dtype=self.dtype, device=self.device)
        bias.masked_fill_(attention_mask[:, None, None, :] == 0, torch.finfo(self.dtype).min)
        head_dim = self.dim // self.heads
        for layer in self.layers:
            qkv = F.linear(x, layer["qkv_w"], layer["qkv_b"]).view(batch, width, 3, self.heads, head_dim)
            q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=1 / math.sqrt(head_dim))
            attended = attended.transpose(1, 2).reshape(batch, width, self.dim)
            x = F.layer_norm(F.linear(attended, layer["out_w"], layer["out_b"]) + x, (self.dim,), layer["ln1_w"],
                             layer["ln1_b"], self.eps)
            hidden = F.gelu(F.linear(x, layer["up_w"], layer["up_b"]))
            x = F.layer_norm(F.linear(hidden, layer["down_w"], layer["down_b"]) + x, (self.dim,), layer["ln2_w"],
                             layer["ln2_b"], self.eps)
        return x


def numpy_vectors(model_dir: Path, token_ids: list[list[int]]) -> Any:
    """Mean-pooled, normalised vectors of tokenised texts, by the same BERT computation in float32 numpy,
    one layer's weights read at a time: the reference the ONNX export is checked against, with no torch
    (on a first build, importing torch and loading its network for that check took 2-4 s and raised the
    build's peak from 452 to 471 MB; measured here). Raises BertConfigError for any other model."""
    import numpy as np

    config = bert_config(model_dir)
    reader = SafetensorsReader(model_dir / "model.safetensors")
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in reader.names else ""
    heads, eps = int(config["num_attention_heads"]), float(config.get("layer_norm_eps", 1e-12))

    def w(name: str) -> Any:
        if prefix + name not in reader.names:
            raise BertConfigError(f"weight {prefix + name} is missing")
        return reader.read(prefix + name)

    def norm(x: Any, name: str) -> Any:
        centred = x - x.mean(axis=-1, keepdims=True)
        scaled = centred / np.sqrt((centred**2).mean(axis=-1, keepdims=True) + eps)
        return scaled * w(name + ".weight") + w(name + ".bias")

    word = w("embeddings.word_embeddings.weight")  # the largest matrix: rows taken, then dropped
    xs = [word[ids] for ids in token_ids]
    del word
    position, kind = w("embeddings.position_embeddings.weight"), w("embeddings.token_type_embeddings.weight")[0]
    xs = [norm(x + position[: len(x)] + kind, "embeddings.LayerNorm") for x in xs]
    for i in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{i}."
        q_w, k_w, v_w = (w(p + f"attention.self.{n}.weight") for n in ("query", "key", "value"))
        q_b, k_b, v_b = (w(p + f"attention.self.{n}.bias") for n in ("query", "key", "value"))
        out_w, out_b = w(p + "attention.output.dense.weight"), w(p + "attention.output.dense.bias")
        up_w, up_b = w(p + "intermediate.dense.weight"), w(p + "intermediate.dense.bias")
        down_w, down_b = w(p + "output.dense.weight"), w(p + "output.dense.bias")
        for t, x in enumerate(xs):
            n, dim = x.shape
            q, k, v = ((x @ m.T + b).reshape(n, heads, dim // heads).transpose(1, 0, 2)
                       for m, b in ((q_w, q_b), (k_w, k_b), (v_w, v_b)))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(dim // heads)
            probs = np.exp(scores - scores.max(axis=-1, keepdims=True))
            probs /= probs.sum(axis=-1, keepdims=True)
            attended = (probs @ v).transpose(1, 0, 2).reshape(n, dim)
            x = norm(attended @ out_w.T + out_b + x, p + "attention.output.LayerNorm")
            up = x @ up_w.T + up_b
            x = norm((0.5 * up * (1.0 + _erf(up / math.sqrt(2.0)))) @ down_w.T + down_b + x, p + "output.LayerNorm")
            xs[t] = x
    vectors = np.stack([x.mean(axis=0) for x in xs]) if xs else np.zeros((0, int(config["hidden_size"])))
    return (vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _erf(x: Any) -> Any:
    """erf to within 1.5e-7 (Abramowitz and Stegun 7.1.26): numpy has none, and GELU is exact in BERT."""
    import numpy as np

    t = 1.0 / (1.0 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return np.sign(x) * (1.0 - poly * np.exp(-x * x))
