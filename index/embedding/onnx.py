"""Query-time embeddings without torch: the same model exported once to ONNX, run by onnxruntime.

Importing torch costs about 4 s, most of a one-shot `qa ask`. At the first index build the transformer is
written to ONNX, checked against the same computation in numpy on sample texts (bert.numpy_vectors; cosine
>= 0.999 or it is thrown away; a model that is not a plain BERT is traced and checked with torch), and kept
in the cache under the weights hash. Questions are
then embedded with `onnxruntime` only, tokenized in plain Python (index/embedding/wordpiece.py) or, for text
that is not ASCII, by `tokenizers`. Without onnxruntime, or with no verified export,
questions are embedded with torch.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

if TYPE_CHECKING:
    import numpy as np

PARITY_MIN_COSINE = 0.999
PROBES = (
    "Where was Blinken on Tuesday?",
    "What is the tallest mountain in Africa?",
    "1968 film by Stanley Kubrick",
    "The group brings together the United States and the five former Soviet republics of Central Asia.",
)


GRAPH_VERSION = 3
"""Bumped whenever the written graph or its weights file's layout changes (1: torch.onnx's export; 2: written
from the weights; 3: nodes named, for the int8 graph's exclusions), so a cache shared by two versions never
pairs a graph with weights laid out for another."""


def export_path(cache_dir: Path, weights_hash: str) -> Path:
    return cache_dir / f"all-MiniLM-L6-v2-{weights_hash}-g{GRAPH_VERSION}.onnx"


def export_onnx(embedder: Any, target: Path, samples: Sequence[str] = ()) -> float:
    """Write the embedder's network to `target` as ONNX and check it against the network that indexes
    (`reference_vectors`; it matches sentence-transformers: tests/test_fast_paths.py).

    A plain BERT (the bundled model) is written straight from its safetensors file (`write_bert_onnx`);
    anything else is traced by torch.onnx. Returns the smallest cosine between the ONNX and torch vectors
    on the probe and sample texts; the file is kept (with a `.verified.json` beside it) only when that is
    at least PARITY_MIN_COSINE."""
    import numpy as np

    from index.embedding.bert import BertConfigError
    from index.paths import PRIVATE_FILE, private_dir

    private_dir(target.parent)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    weights = weights_path(target)
    try:
        try:
            write_bert_onnx(embedder.model_dir, tmp, weights)
        except BertConfigError:
            weights.unlink(missing_ok=True)
            _trace_onnx(embedder, tmp)
        texts = list(PROBES) + [t for t in samples if t.strip()][:28]
        reference = embedder.reference_vectors(texts)
        # One text at a time, as questions come: onnxruntime keeps the memory of its largest batch (32 chunks
        # of 256 tokens at once added 285 MB to the first build's peak; one at a time, 82 MB; measured).
        encoder = OnnxEncoder(embedder.model_dir, tmp)
        ours = np.concatenate([encoder.embed_documents([text]) for text in texts])
        del encoder
        worst = float(np.min(np.sum(reference * ours, axis=1)))
        if worst >= PARITY_MIN_COSINE:
            os.chmod(tmp, PRIVATE_FILE)
            os.replace(tmp, target)
            record = {"min_cosine": worst, "texts": len(texts),
                      "weights_bytes": weights.stat().st_size if weights.is_file() else None}
            target.with_suffix(".verified.json").write_text(json.dumps(record), encoding="utf-8")
            os.chmod(target.with_suffix(".verified.json"), PRIVATE_FILE)
    finally:
        tmp.unlink(missing_ok=True)  # gone already when it was kept
    return worst


def weights_path(target: Path) -> Path:
    """The file holding the weights of a model written by `write_bert_onnx`, beside it."""
    return target.with_suffix(".weights")


def forget(target: Path) -> None:
    """Drop the verification of an export that failed to load, so the next build writes it again."""
    target.with_suffix(".verified.json").unlink(missing_ok=True)


def _trace_onnx(embedder: Any, tmp: Path) -> None:
    """torch.onnx's export of the network: for a model that is not a plain BERT. It holds the weights
    several times over (peak 636 MB for MiniLM, measured here), which `write_bert_onnx` avoids."""
    import warnings

    import torch

    module = embedder.torch_module()  # (input_ids, attention_mask, token_type_ids) -> last hidden state
    example = torch.ones((2, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, (example, example, torch.zeros_like(example)), str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                          "last_hidden_state": axes},
            opset_version=17, dynamo=False,
        )


def write_bert_onnx(model_dir: Path, target: Path, weights: Path) -> None:
    """Write a plain BERT (the computation of index/embedding/bert.py, in fp32) as an ONNX graph at `target`, its
    weights in `weights` as external data, copied one tensor at a time from the safetensors file.

    Without torch, without tracing, and without the weights in memory: torch.onnx's export of MiniLM took
    8.7 s and peaked at 636 MB here, this about a second and a few MB above what is loaded. The weights
    file is named by the weights hash, so replacing it (same bytes) never disturbs a model already using
    it; it is in place before `target` is. Raises BertConfigError for any other architecture."""
    from index.embedding.bert import SafetensorsReader, bert_config

    config = bert_config(model_dir)
    reader = SafetensorsReader(model_dir / "model.safetensors")
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in reader.names else ""
    tmp_weights = weights.with_suffix(f".weights.{os.getpid()}.tmp")
    try:
        _write_graph(config, reader, prefix, target, weights, tmp_weights)
    finally:
        tmp_weights.unlink(missing_ok=True)  # gone already when it was kept


class _Graph:
    """The nodes and initializers of the graph being written; each weight tensor goes to the weights file as
    external data, as it is read."""

    def __init__(self, reader: Any, prefix: str, data: BinaryIO, weights_name: str) -> None:
        from onnx import NodeProto, TensorProto

        self.reader, self.prefix, self.data, self.weights_name = reader, prefix, data, weights_name
        self.initializers: list[TensorProto] = []
        self.nodes: list[NodeProto] = []

    def tensor(self, name: str, array: np.ndarray) -> str:
        import numpy as np
        from onnx import TensorProto

        array = np.ascontiguousarray(array, dtype="<f4")
        offset = self.data.tell()
        self.data.write(array.tobytes())
        proto = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=list(array.shape),
                            data_location=TensorProto.EXTERNAL)
        for key, value in (("location", self.weights_name), ("offset", str(offset)), ("length", str(array.nbytes))):
            entry = proto.external_data.add()
            entry.key, entry.value = key, value
        self.initializers.append(proto)
        return name

    def read(self, name: str) -> np.ndarray:
        from index.embedding.bert import BertConfigError

        key = self.prefix + name
        if key not in self.reader.names:
            raise BertConfigError(f"weight {key} is missing")
        return cast("np.ndarray", self.reader.read(key))

    def w(self, name: str, transpose: bool = False) -> str:
        array = self.read(name)
        return self.tensor(name, array.T if transpose else array)

    def const(self, name: str, values: Any, dtype: Any = None) -> str:
        import numpy as np
        import onnx

        self.initializers.append(onnx.numpy_helper.from_array(np.asarray(values, dtype=dtype or np.int64), name))
        return name

    def op(self, kind: str, inputs: list[str], out: str, **attrs: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(kind, inputs, [out], name=out, **attrs))  # names: see quantize_int8
        return out


def _embeddings(g: _Graph, eps: float) -> tuple[str, str]:
    """Word + position + token type embeddings, then LayerNorm; and the attention bias that masks padding
    keys out with a large negative number, as BERT's extended mask does."""
    import numpy as np
    from onnx import TensorProto

    op, w, const = g.op, g.w, g.const
    width = op("Gather", [op("Shape", ["input_ids"], "shape"), const("one", 1)], "width")
    positions = op("Range", [const("zero", 0), width, const("step", 1)], "positions")
    x = op("Add", [op("Add", [op("Gather", [w("embeddings.word_embeddings.weight"), "input_ids"], "words"),
                              op("Gather", [w("embeddings.position_embeddings.weight"), positions], "where")],
                      "emb0"),
                   op("Gather", [w("embeddings.token_type_embeddings.weight"), "token_type_ids"], "types")],
           "emb1")
    x = op("LayerNormalization", [x, w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias")], "h0",
           axis=-1, epsilon=eps)
    keep = op("Cast", ["attention_mask"], "keep", to=TensorProto.FLOAT)
    bias = op("Mul", [op("Sub", [const("onef", 1.0, np.float32), keep], "drop"),
                      const("minf", np.finfo(np.float32).min, np.float32)], "bias0")
    return x, op("Unsqueeze", [bias, const("axes12", [1, 2])], "bias")


def _layer(g: _Graph, i: int, x: str, bias: str, c: dict[str, str], eps: float) -> str:
    """Encoder layer `i`: self-attention (one fused QKV product), then the feed-forward block with exact
    GELU, each with its residual and LayerNorm. `c`: the shared constants."""
    import numpy as np

    op, w, read, tensor = g.op, g.w, g.read, g.tensor
    p, L = f"encoder.layer.{i}.", f"l{i}_"
    qkv_w = np.concatenate([read(p + f"attention.self.{n}.weight") for n in ("query", "key", "value")]).T
    qkv_b = np.concatenate([read(p + f"attention.self.{n}.bias") for n in ("query", "key", "value")])
    qkv = op("Add", [op("MatMul", [x, tensor(L + "qkv_w", qkv_w)], L + "qkv0"), tensor(L + "qkv_b", qkv_b)],
             L + "qkv")
    qkv = op("Transpose", [op("Reshape", [qkv, c["split"]], L + "qkv5")], L + "qkvT", perm=[2, 0, 3, 1, 4])
    q, k, v = (op("Gather", [qkv, g.const(L + f"i{j}", j)], L + n, axis=0) for j, n in enumerate("qkv"))
    scores = op("Add", [op("Mul", [op("MatMul", [q, op("Transpose", [k], L + "kT", perm=[0, 1, 3, 2])],
                                      L + "s0"), c["scale"]], L + "s1"), bias], L + "scores")
    context = op("MatMul", [op("Softmax", [scores], L + "probs", axis=-1), v], L + "ctx0")
    context = op("Reshape", [op("Transpose", [context], L + "ctx1", perm=[0, 2, 1, 3]), c["merge"]], L + "ctx")
    out = op("Add", [op("MatMul", [context, w(p + "attention.output.dense.weight", True)], L + "o0"),
                     w(p + "attention.output.dense.bias")], L + "o1")
    x = op("LayerNormalization", [op("Add", [out, x], L + "r1"), w(p + "attention.output.LayerNorm.weight"),
                                  w(p + "attention.output.LayerNorm.bias")], L + "x1", axis=-1, epsilon=eps)
    up = op("Add", [op("MatMul", [x, w(p + "intermediate.dense.weight", True)], L + "u0"),
                    w(p + "intermediate.dense.bias")], L + "u1")
    # exact GELU: x * 0.5 * (1 + erf(x / sqrt 2))
    gelu = op("Mul", [op("Mul", [up, c["half"]], L + "g0"),
                      op("Add", [g.const(L + "g1", 1.0, np.float32),
                                 op("Erf", [op("Div", [up, c["root2"]], L + "g2")], L + "g3")], L + "g4")],
              L + "gelu")
    down = op("Add", [op("MatMul", [gelu, w(p + "output.dense.weight", True)], L + "d0"),
                      w(p + "output.dense.bias")], L + "d1")
    return op("LayerNormalization", [op("Add", [down, x], L + "r2"), w(p + "output.LayerNorm.weight"),
                                     w(p + "output.LayerNorm.bias")], L + "x2", axis=-1, epsilon=eps)


def _write_graph(config: dict[str, Any], reader: Any, prefix: str, target: Path, weights: Path,
                 tmp_weights: Path) -> None:
    import math

    import numpy as np
    from onnx import TensorProto, helper

    from index.paths import PRIVATE_FILE

    hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
    eps = float(config.get("layer_norm_eps", 1e-12))
    with tmp_weights.open("wb") as data:
        g = _Graph(reader, prefix, data, weights.name)
        x, bias = _embeddings(g, eps)
        head_dim = hidden // heads
        shared = {"split": g.const("split_shape", [0, 0, 3, heads, head_dim]),
                  "merge": g.const("merge_shape", [0, 0, hidden]),
                  "scale": g.const("scale", 1 / math.sqrt(head_dim), np.float32),
                  "half": g.const("half", 0.5, np.float32), "root2": g.const("root2", math.sqrt(2.0), np.float32)}
        for i in range(int(config["num_hidden_layers"])):
            x = _layer(g, i, x, bias, shared, eps)
        g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    os.chmod(tmp_weights, PRIVATE_FILE)
    os.replace(tmp_weights, weights)
    ids = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"])
           for n in ("input_ids", "attention_mask", "token_type_ids")]
    out = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", hidden])
    graph = helper.make_graph(g.nodes, "bert", ids, [out], initializer=g.initializers)
    # IR 8 (what opset 17 needs): onnxruntime releases older than the installed onnx package load it too.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="corpus-qa",
                              ir_version=8)
    target.write_bytes(model.SerializeToString())


def verified(target: Path) -> bool:
    """Whether `target` was checked against the network, and its weights file is still the one checked."""
    try:
        record = json.loads(target.with_suffix(".verified.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not target.is_file() or not isinstance(record, dict):
        return False
    expected = record.get("weights_bytes")
    if expected is None:
        return True
    try:
        return weights_path(target).stat().st_size == expected
    except OSError:
        return False


_PLAIN_PYTHON_TEXTS = 16
"""Up to this many texts (a question, a question's parts) are tokenized in plain Python when all are ASCII;
more (indexing's batches) by `tokenizers`, which is faster at volume."""

_UNDER_WAY: set[threading.Event] = set()
"""The sessions being opened in a thread of their own (OnnxEncoder with `background`), each by its end's Event."""


def _through_interrupts(done: threading.Event) -> KeyboardInterrupt | None:
    """Wait for `done`, Ctrl+C held back until then; the Ctrl+C pressed meanwhile (the first), if any."""
    interrupted: KeyboardInterrupt | None = None
    while not done.is_set():
        try:
            done.wait()
        except KeyboardInterrupt as exc:
            interrupted = interrupted or exc
    return interrupted


def settle() -> None:
    """Wait until no ONNX session is being opened in the background (~0.1 s at most), Ctrl+C ignored meanwhile:
    what an exit after Ctrl+C calls first, so the runtime is never torn down under an opening."""
    for done in list(_UNDER_WAY):
        _through_interrupts(done)


class OnnxEncoder:
    """Mean-pooled, normalised sentence embeddings from an exported model (no torch).

    With `background`, the ONNX session opens in a thread of its own and the first embedding waits for it
    (`wait`). Opening it is ~0.1 s of C++ that lets go of the GIL (measured here: a spinning Python thread kept
    86% of its pace beside it), so a one-shot `qa ask` imports and reads its answer path meanwhile. Any
    tokenizer is read in the caller's thread: `Tokenizer.from_file` took 20 ms alone and 170 ms beside a busy
    Python thread."""

    def __init__(self, model_dir: Path, onnx_path: Path, max_tokens: int = 256, background: bool = False) -> None:
        import onnxruntime  # noqa: F401 - ~0.04 s; imported here, never in the thread (it would hold the GIL)

        from index.embedding.wordpiece import AsciiWordPiece

        self.model_dir, self.max_tokens = model_dir, max_tokens
        self.ascii = AsciiWordPiece.load(model_dir, max_tokens)
        """Questions in ASCII are tokenized in plain Python (index/embedding/wordpiece.py): `tokenizers` is then
        imported only for other text (~40 ms with reading its tokenizer.json)."""
        if self.ascii is None:
            self.tokenizer  # noqa: B018 - read now, in the caller's thread
        self._lock = threading.Lock()
        self._opened: list[Any] = []
        """The session, or the exception opening it raised, once it is done."""
        self._done = threading.Event()
        if background:
            from index.threads import start_unsignalled

            # Not a daemon, and waited for through an Event, never join(): a Ctrl+C landing in Thread.join()
            # marks the thread finished (Python 3.11's _wait_for_tstate_lock), the exit then stops waiting for
            # it, and the runtime torn down under its C++ calls std::terminate (SIGABRT; 7 of 48 interrupted
            # `qa ask` runs in a reviewer's sweep). `settle` holds an exit back until it is done.
            warm = self._token_ids(["warm-up"])[0]
            thread = threading.Thread(target=self._open, args=(onnx_path, (warm, [1] * len(warm))),
                                      name="onnx-session")
            try:
                _UNDER_WAY.add(self._done)
                start_unsignalled(thread)
            except BaseException:
                if thread.ident is None:  # a Ctrl+C before it started: nothing will ever set `_done`
                    _UNDER_WAY.discard(self._done)
                    self._done.set()
                raise
        else:
            self._open(onnx_path, None)
            self.wait()

    @cached_property
    def tokenizer(self) -> Any:
        """The model's `tokenizers` tokenizer: for text that is not ASCII, large batches (indexing), and any
        model whose tokenizer `AsciiWordPiece` does not mirror."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(self.max_tokens)
        tokenizer.enable_padding()
        return tokenizer

    def _token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's token ids ([CLS] ... [SEP], truncated), unpadded."""
        if self.ascii is not None and len(texts) <= _PLAIN_PYTHON_TEXTS:
            ids = [self.ascii.encode(t) for t in texts]
            if all(i is not None for i in ids):
                return cast("list[list[int]]", ids)
        return [[i for i, m in zip(e.ids, e.attention_mask, strict=True) if m]
                for e in self.tokenizer.encode_batch(list(texts))]

    def _open(self, onnx_path: Path, warm: tuple[list[int], list[int]] | None) -> None:
        try:
            self._opened.append(self._session(onnx_path, warm))
        except Exception as exc:  # noqa: BLE001 - handed to the caller by `wait`
            self._opened.append(exc)
        finally:
            self._done.set()
            _UNDER_WAY.discard(self._done)

    @staticmethod
    def _session(onnx_path: Path, warm: tuple[list[int], list[int]] | None) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = min(4, os.cpu_count() or 1)
        options.log_severity_level = 3
        # Threads that spin after a query steal the CPU from the numpy search that follows (2 cores).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # `ORT_ENABLE_ALL` adds layout rewrites for convolutions, which this graph has none of: measured here,
        # the session opened in 75 ms instead of 54, and embedded 12- to 40-token texts at the same speed to
        # the last bit of every output
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        if warm is not None:  # the first run sets up its kernels (~5 ms): here, not in the first question
            import numpy as np

            ids = np.array([warm[0]], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": np.array([warm[1]], dtype=np.int64),
                    "token_type_ids": np.zeros_like(ids)}
            names = {i.name for i in session.get_inputs()}
            session.run(None, {k: v for k, v in feed.items() if k in names})
        return session

    @property
    def settled(self) -> bool:
        """Whether opening the session is over (open, or failed)."""
        return self._done.is_set()

    def wait(self) -> None:
        """Wait until the session is open; raise what opening it raised. A Ctrl+C meanwhile is raised once it
        is open (~0.1 s at most)."""
        interrupted = _through_interrupts(self._done)
        if interrupted is not None:
            raise interrupted
        opened = self._opened[0]
        if isinstance(opened, BaseException):
            raise opened
        self.session = opened
        self.inputs = {i.name for i in opened.get_inputs()}

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        rows = self._token_ids(texts)
        width = max(len(r) for r in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for n, row in enumerate(rows):
            ids[n, : len(row)] = row
            mask[n, : len(row)] = 1
        with self._lock:
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
        weights = mask[..., None].astype(np.float32)
        vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]
