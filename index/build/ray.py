"""`qa index --ray`: reading, chunking and embedding on a Ray cluster with Ray Data; writing stays here.

Imported only when --ray is given (Ray costs about 2 s and 80 MB to import). The builder (index/builder.py)
plans the build exactly as for a local one and feeds the same IndexWriter on this process; this module is
its `BuildRunner`:

- reading: the files to (re)read go through `map_batches` to a pool of actors, each loading and chunking
  documents with its own copy of the embedder's tokenizer; documents and chunks come back pickled and wait
  in a temporary file on the driver (index.build.spill.Stash) until the builder writes them, one at a time;
- embedding: the chunks' texts, longest first within windows (so batches pad little), go through
  `map_batches` to a pool of actors holding one model each: one per GPU of the cluster when it has GPUs
  (each on its GPU, in bf16 where the GPU has it), else one per CPU (each on one CPU); each returns the
  chunk vectors and the sentence vectors pooled from the same pass, as a local build does.

The workers read the corpus by its path: on a multi-machine cluster it must be mounted at the same path on
every node, and corpus-qa installed there. `--ray` alone starts a local Ray on this machine's cores (or
joins RAY_ADDRESS when it is set); `--ray ADDRESS` joins a running cluster.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from index.errors import ExitCode, QAError, UsageError

if TYPE_CHECKING:
    import numpy as np

    from index.build import BuildEvent
    from index.build.spill import Stash
    from index.types import ChunkingParams

INSTALL_HINT = "pip install 'corpus-qa[ray]'"
READ_BATCH = 64
"""Files per reading call."""


class RayError(QAError):
    """The Ray cluster could not be reached, or failed during the build."""

    exit_code = ExitCode.CLUSTER


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UsageError(f"--ray needs Ray, which is not installed: {INSTALL_HINT}") from None
    return ray


def _bound(cls: type, **settings: Any) -> type:
    """`cls` with its settings as class attributes: Ray Data's constructor arguments would go through the
    object store, which makes Ray log an error line about actor restarts on every build."""
    return type(cls.__name__, (cls,), settings)


class _Reader:
    """A Ray actor that loads and chunks documents (with its own tokenizer, for the chunk sizes)."""

    corpus: str
    embedder_name: str
    precision: str
    params: ChunkingParams

    def __init__(self) -> None:
        from index.embedding import load_embedder

        self.embedder = load_embedder(self.embedder_name, self.precision)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        from index.build.builder import read_document
        from index.text.chunking import chunk_document

        payloads = []
        for source in batch["source"]:
            got = read_document(Path(self.corpus), str(source))
            chunks = None if isinstance(got, str) else chunk_document(
                got, self.embedder.count_tokens, self.params.max_tokens, self.params.overlap_tokens)
            payloads.append(pickle.dumps((got, chunks), protocol=pickle.HIGHEST_PROTOCOL))
        return {"source": batch["source"], "payload": np.array(payloads, dtype=object)}


class _Embedder:
    """A Ray actor holding one embedding model; embeds chunks and their sentences in one pass."""

    embedder_name: str
    precision: str
    threads: int
    device: str

    def __init__(self) -> None:
        from index.embedding import load_embedder

        if self.embedder_name == "minilm":
            import torch

            torch.set_num_threads(self.threads)  # one model per CPU: no oversubscription
        self.embedder = load_embedder(self.embedder_name, self.precision, self.device)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        texts = [str(t) for t in batch["text"]]
        spans = [json.loads(str(s)) for s in batch["spans"]]
        vectors, sentences = self.embedder.embed_chunks(texts, spans)
        return {"job": batch["job"], "vector": np.asarray(vectors, dtype=np.float32),
                "sentences": np.array([np.asarray(s, dtype=np.float32).tobytes() for s in sentences], dtype=object)}


class EmbedPlan(NamedTuple):
    """Where the embedding actors run."""

    actors: int
    gpus_each: int
    device: str


def embed_plan(resources: dict[str, float], embedder: str) -> EmbedPlan:
    """One model per GPU when the cluster has GPUs (the model: not the hash embedder of tests), else one
    per CPU."""
    gpus = int(resources.get("GPU", 0))
    if gpus > 0 and embedder == "minilm":
        return EmbedPlan(gpus, 1, "cuda")
    return EmbedPlan(max(1, int(resources.get("CPU", 1))), 0, "cpu")


CONNECT_TIMEOUT = 5.0
"""Seconds to wait for a cluster's address to answer before giving up (ray.init itself retries for minutes)."""


def _check_reachable(address: str) -> None:
    """Fail fast, in one line, when nothing listens at a `host:port` address (`auto` and `ray://` are left
    to Ray)."""
    import socket

    if address == "auto" or "://" in address:
        return
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise RayError(f"Not a Ray cluster address: {address!r} (give HOST:PORT, ray://HOST:PORT or auto).")
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise RayError(f"Could not reach a Ray cluster at {address} ({exc.strerror or exc}).") from None


def _quiet(ray: Any) -> None:
    """Keep Ray Data's progress bars and per-dataset log lines off the terminal (they still go to the Ray
    session's ray-data.log); the CLI shows the build's own progress."""
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    logger = logging.getLogger("ray.data")
    for handler in logger.handlers:
        if not isinstance(handler, logging.FileHandler):
            handler.setLevel(logging.ERROR)
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)


class RayRunner:
    """A build runner on a Ray cluster (see the module's doc). `close()` stops a Ray it started itself."""

    def __init__(self, address: str | None, embedder: str, precision: str, num_cpus: int | None = None) -> None:
        """Join the cluster at `address` (None: RAY_ADDRESS if set, else start a local Ray on `num_cpus` or
        every core). Raises RayError (one line) when Ray is missing or the cluster cannot be reached."""
        self.ray = ray = _import_ray()
        self.embedder = embedder
        self.precision = precision
        self.started = False
        address = address or os.environ.get("RAY_ADDRESS") or None
        # Ray's and Ray Data's own chatter (banners, progress bars, per-operator logs) would drown the
        # CLI's progress lines; errors still surface as exceptions.
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.ERROR)
        try:
            if ray.is_initialized():
                pass  # a caller (a test session, a notebook) already joined a cluster: use it
            elif address:
                _check_reachable(address)
                ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
            else:
                ray.init(num_cpus=num_cpus or os.cpu_count() or 1, include_dashboard=False,
                         logging_level=logging.ERROR, log_to_driver=False)
                self.started = True
        except QAError:
            raise
        except Exception as exc:  # noqa: BLE001 - ConnectionError, RuntimeError, ValueError... all one message
            where = f"at {address}" if address else "on this machine"
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            raise RayError(f"Could not reach a Ray cluster {where} ({reason}).") from None
        _quiet(ray)
        resources = ray.cluster_resources()
        self.workers = max(1, int(resources.get("CPU", 1)))
        """Reading actors: one per CPU of the cluster, each on one CPU."""
        self.plan = embed_plan(resources, embedder)
        """Embedding actors: how many, on what."""
        from index.build.builder import RUNNER_WINDOW

        self.window = max(RUNNER_WINDOW, 4096 * self.plan.actors)
        """Chunks per `embed` call: each call starts the actors (and loads the model in each) again, so a call
        gives every actor work for a while; what the driver holds of the texts grows with the cluster, not
        with the corpus."""

    def close(self) -> None:
        if self.started:
            self.ray.shutdown()
            self.started = False

    def _map(self, dataset: Any, actor: type, batch_size: int, blocks: int, plan: EmbedPlan | None = None) -> Any:
        """`map_batches` on a fixed pool of actors, no more than there are blocks: as `plan` says (embedding),
        else one per CPU (reading), each on one CPU.

        max_restarts=0: with Ray Data's default (restart forever) Ray prints an error line on the terminal
        for every actor it starts (ray-project/ray#53727, arguments in the object store). A worker that dies
        fails the build with a one-line error; the index stays as it was. Ray 2.60 calls this keyword
        deprecated (a warning, silenced here)."""
        import warnings

        plan = plan or EmbedPlan(self.workers, 0, "cpu")
        pool = self.ray.data.ActorPoolStrategy(size=max(1, min(plan.actors, blocks)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dataset.map_batches(actor, batch_size=batch_size, batch_format="numpy", compute=pool,
                                       num_cpus=1, num_gpus=plan.gpus_each, max_restarts=0)

    def _stream(self, dataset: Any) -> Iterator[dict[str, Any]]:
        """The dataset's output blocks as they finish; a cluster failure is one RayError."""
        try:
            yield from dataset.iter_batches(batch_size=None, batch_format="numpy")
        except QAError:
            raise
        except self.ray.exceptions.RayError as exc:
            lines = [line for line in str(exc).splitlines() if line.strip()]
            raise RayError(f"The Ray cluster failed during the build ({lines[-1] if lines else exc!r}).") from None

    def read(self, corpus: Path, sources: list[str], params: ChunkingParams,
             into: Stash) -> Iterator[BuildEvent]:
        from index.build import Progress

        yield Progress("reading", 0, len(sources))
        if not sources:
            return
        blocks = min(len(sources), max(self.workers, -(-len(sources) // (READ_BATCH * 4))))
        dataset = self.ray.data.from_items([{"source": s} for s in sources], override_num_blocks=blocks)
        reader = _bound(_Reader, corpus=str(corpus.resolve()), embedder_name=self.embedder,
                        precision=self.precision, params=params)
        dataset = self._map(dataset, reader, READ_BATCH, blocks)
        for batch in self._stream(dataset):
            for source, payload in zip(batch["source"], batch["payload"], strict=True):
                into[str(source)] = pickle.loads(payload)
            yield Progress("reading", len(into), len(sources))

    def embed(self, jobs: list[tuple[str, list[tuple[int, int]]]], dim: int,
              put: Callable[[int, np.ndarray, np.ndarray], None]) -> Iterator[BuildEvent]:
        import numpy as np

        from index.build import Progress
        from index.build.builder import EMBED_BATCH

        total = len(jobs)
        yield Progress("embedding", 0, total)
        if not jobs:
            return
        rows = [{"job": i, "text": text, "spans": json.dumps(spans)} for i, (text, spans) in enumerate(jobs)]
        # Blocks of about one batch, in order: each actor's batches hold texts of similar length, and the
        # vectors stream back (and progress moves) batch by batch.
        blocks = max(1, -(-total // EMBED_BATCH))
        dataset = self.ray.data.from_items(rows, override_num_blocks=blocks)
        del rows
        embedder = _bound(_Embedder, embedder_name=self.embedder, precision=self.precision, threads=1,
                          device=self.plan.device)
        dataset = self._map(dataset, embedder, EMBED_BATCH, blocks, self.plan)
        done = 0
        for batch in self._stream(dataset):
            for job, vector, sentences in zip(batch["job"], batch["vector"], batch["sentences"], strict=True):
                put(int(job), vector, np.frombuffer(sentences, dtype=np.float32).reshape(-1, dim))
            done += len(batch["job"])
            yield Progress("embedding", done, total)
