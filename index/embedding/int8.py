"""The document encoder that indexes: the ONNX graph of onnx.py (written from the weights) with its weight
matrices quantized to int8, run by onnxruntime on padded batches.

Indexing is the encoder's speed: the model is over 90% of a build. On this machine's 2 cores (AVX512-VNNI),
600 Wikipedia summaries took 16-25 s in int8 against 45-65 s in torch bf16 (bench/encoders.py has the
figures, run by hand). Only the six matrices of each layer that hold weights are quantized, per output
channel: quantizing the attention products too (q.k and probs.v, both activations), or one scale per
matrix, brought the mean cosine to the fp32 vectors down to 0.957; per channel it is 0.996 (min 0.991 on
300 summaries). Activations are quantized with one scale per forward pass, so each text goes through a pass
of its own (index/embedding/minilm.py INT8_ROWS): its vector is its own, not moved by pass mates (it was,
by cosine 0.990-0.995 between two batchings, when texts shared passes). Questions are
still embedded in fp32 (onnx.py): the retrieval figures of int8 documents against fp32 questions are in
docs/performance.md.

The graph is written once per model into the cache beside the question encoder, checked against the fp32
graph on probe texts (cosine >= INT8_MIN_COSINE or it is thrown away), and never downloaded.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from index.embedding.onnx import PROBES, OnnxEncoder, verified, weights_path, write_bert_onnx

if TYPE_CHECKING:
    import numpy as np

INT8_MIN_COSINE = 0.98
"""The int8 graph is kept only if every probe's vector is at least this close to the fp32 graph's."""

ATTENTION_PRODUCTS = ("_s0", "_ctx0")
"""Names (suffixes) of the MatMuls whose both inputs are activations: left in fp32."""

LONG_PROBES = (
    "The quick brown fox jumps over the lazy dog. " * 20,
    "R is a language and environment for statistical computing and graphics. It is a GNU project which is "
    "similar to the S language and environment which was developed at Bell Laboratories by John Chambers and "
    "colleagues. R can be considered as a different implementation of S. There are some important differences, "
    "but much code written for S runs unaltered under R. R provides a wide variety of statistical (linear and "
    "nonlinear modelling, classical statistical tests, time-series analysis, classification, clustering) and "
    "graphical techniques, and is highly extensible.",
)
"""Texts near the model's 256-token limit, beside the short probes: chunks are that long."""


def int8_path(fp32_target: Path) -> Path:
    """Where the int8 graph of the fp32 export at `fp32_target` lives."""
    return fp32_target.with_name(f"{fp32_target.stem}-int8.onnx")


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    # onnxruntime's quantizer logs a pre-processing hint on the root logger, which would reach the CLI's stderr.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def write_int8(model_dir: Path, fp32_target: Path, samples: Sequence[str] = ()) -> float:
    """Write the int8 graph beside the fp32 export `fp32_target`, its weights in a file beside it (as the fp32
    export's are), and check it against a freshly written fp32 graph. Returns the smallest cosine between the
    two on the probes and `samples`; the graph is kept (with a `.verified.json` beside it) only when that is
    at least INT8_MIN_COSINE. Needs no torch. The quantizer writes the weights apart because serializing
    them into the graph's own file raised a first build's peak from 348 to 415 MB (measured here)."""
    import shutil
    import tempfile

    import numpy as np
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from index.memory import release_freed_memory
    from index.paths import PRIVATE_FILE, private_dir

    target = int8_path(fp32_target)
    private_dir(target.parent)
    _drop_stale_scratch(target.parent)
    source = fp32_target.with_suffix(f".{os.getpid()}.fp32.onnx")
    work = Path(tempfile.mkdtemp(prefix=".int8-", dir=target.parent))
    out, data = work / target.name, weights_path(target)
    try:
        write_bert_onnx(model_dir, source, weights_path(fp32_target))
        graph = onnx.load(str(source), load_external_data=False).graph
        keep = [n.name for n in graph.node if n.op_type == "MatMul" and n.name.endswith(ATTENTION_PRODUCTS)]
        with _quiet_root_logger():
            quantize_dynamic(str(source), str(out), op_types_to_quantize=["MatMul"], per_channel=True,
                             weight_type=QuantType.QInt8, nodes_to_exclude=keep, use_external_data_format=True)
        _rename_external_data(out, data.name)
        texts = list(PROBES) + list(LONG_PROBES) + [t for t in samples if t.strip()][:28]
        exact, ours = OnnxEncoder(model_dir, source), OnnxEncoder(model_dir, out)
        worst = min(float(np.dot(exact.embed_query(t), ours.embed_query(t))) for t in texts)
        del exact, ours
        if worst >= INT8_MIN_COSINE:
            for path in (out, work / data.name):
                os.chmod(path, PRIVATE_FILE)
            os.replace(work / data.name, data)  # the weights first: the graph in place is the commit
            os.replace(out, target)
            record = target.with_suffix(".verified.json")
            record.write_text(json.dumps({"min_cosine": worst, "texts": len(texts),
                                          "weights_bytes": data.stat().st_size}), encoding="utf-8")
            os.chmod(record, PRIVATE_FILE)
    finally:
        source.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)  # empty already when the graph was kept
        release_freed_memory()  # the quantizer's copies of the weights
    return worst


STALE_SECONDS = 3600
"""Scratch of an int8 write older than this was left by a process killed while writing (a write takes
seconds): the next write removes it. Younger scratch may be another process's write under way."""


def _drop_stale_scratch(folder: Path) -> None:
    """Remove what a killed write left in the models folder: its scratch folder (about 60 MB of weights) and
    its fp32 source graph."""
    import shutil
    import time

    now = time.time()
    for path in [*folder.glob(".int8-*"), *folder.glob("*.fp32.onnx")]:
        try:
            if now - path.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        except OSError:
            pass  # another process removed it first, or it is not ours to remove


def _rename_external_data(graph_path: Path, name: str) -> None:
    """Point a graph saved with external data at its weights under `name` (moved beside it), instead of the
    quantizer's own `<graph>.data`."""
    import onnx

    model = onnx.load(str(graph_path), load_external_data=False)
    old = None
    for tensor in model.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                old, entry.value = entry.value, name
    if old is not None:
        os.replace(graph_path.parent / old, graph_path.parent / name)
    graph_path.write_bytes(model.SerializeToString())


def int8_ready(fp32_target: Path) -> bool:
    """Whether a checked int8 graph exists for this model."""
    return verified(int8_path(fp32_target))


UNFUSED = ["SkipLayerNormFusion"]
"""onnxruntime graph rewrites left out: its fused SkipLayerNormalization kernel took 18% of the int8 graph's
kernel time here, three times the residual Add and LayerNormalization it replaces; 1,000 summaries took
6.85 s without it, 7.59 s with it (bench/encoders.py lanes, one run)."""


class OnnxNetwork:
    """A written graph as a function of padded batches: (input ids, attention mask) -> last hidden states,
    numpy in and out. `threads` per pass: a build runs one pass per core at once (index/threads.py Lanes),
    11-16% faster on 2 cores than each pass on both cores; a session may be run by several threads at once."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        import onnxruntime as ort  # ~0.2 s

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.log_severity_level = 3
        # Spinning threads would take the core the reading thread needs between batches.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"],
                                            disabled_optimizers=UNFUSED)

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import numpy as np

        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return np.asarray(self.session.run(None, feed)[0], dtype=np.float32)
