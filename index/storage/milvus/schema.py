"""Milvus: the collections of a generation (their fields and indexes, checked when opened), how text is cut to
fit, and the constants every part of the backend shares."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol

from index.errors import (
    UsageError,
)
from index.storage.base import K1 as BM25_K1
from index.storage.base import B as BM25_B

if TYPE_CHECKING:
    from index.embedding import Embedder
    from index.storage.base import Manifest

class Connection(Protocol):
    """What a reader and a writer use of their store (store.py `MilvusStore`, which they never import)."""

    location: str
    """Where the index is, for messages."""
    base: str
    """The collections' name prefix."""

    @property
    def client(self) -> Any: ...
    @property
    def connected(self) -> bool: ...
    def live(self) -> str | None: ...
    def opened(self, gen: str, delta: int) -> None: ...
    def check_lease(self) -> None: ...
    def drop(self, gen: str) -> None: ...
    def publish(self, gen: str) -> None: ...
    def prune(self) -> None: ...


PIECE = 16_000
"""Characters per VARCHAR piece: at most 64,000 bytes of UTF-8, under Milvus's 65,535-byte limit."""
BATCH = 2_000
"""Rows per insert call."""
PARTS = ("chunks", "sentences", "keywords", "texts", "meta")
VECTOR_INDEX = "milvus-flat"
GRAPH_INDEX = "milvus-hnsw"
HNSW_BUILD = {"M": 16, "efConstruction": 200}
HNSW_EF = 128
"""Candidates an HNSW search explores (at least k): recall against FLAT in bench/scale.py --milvus."""
REBUILD_HINT = "Run `qa index --rebuild --store URI` to build it again."
LEASE_SECONDS = 120.0
LEASE_SETTLE = 0.2
"""Seconds between writing the lease row and looking again for anyone else's."""
STALE_CHECK = 2.0
"""Seconds between two checks, by an open reader, for a generation another process published."""


def check_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,100}", name):
        raise UsageError(f"{name!r} is not a usable Milvus collection name (letters, digits, underscores).")
    return name


def terms_text(terms: list[str]) -> str:
    """A chunk's keyword terms for Milvus's analyzer, cut (at a term) to what a VARCHAR holds: only a chunk
    of tens of kilobytes of words the model reads as one token comes near."""
    text = " ".join(terms)
    if len(text.encode("utf-8")) > 65_535:
        text = text.encode("utf-8")[:65_535].decode("utf-8", "ignore").rsplit(" ", 1)[0]
    return text


def text_pieces(text: str) -> list[str]:
    return [text[i : i + PIECE] for i in range(0, len(text), PIECE)] or [""]


def collection_schema(client: Any, part: str, dim: int) -> tuple[Any, Any]:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    params = client.prepare_index_params()
    if part == "meta":
        schema.add_field("key", DataType.VARCHAR, max_length=200, is_primary=True)
        schema.add_field("value", DataType.VARCHAR, max_length=65_535)
    else:
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("doc_id", DataType.INT64)
    if part == "chunks":
        for f in ("start", "end", "n_tokens", "first_sentence", "last_sentence"):
            schema.add_field(f, DataType.INT64)
    if part == "sentences":
        for f in ("start", "end"):
            schema.add_field(f, DataType.INT64)
    if part in ("chunks", "sentences"):
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        if part == "sentences":  # the chunks' index is made at publish, once their number is known
            params.add_index("vector", index_type="FLAT", metric_type="IP")
    elif part == "keywords":
        from pymilvus import Function, FunctionType

        schema.add_field("terms", DataType.VARCHAR, max_length=65_535, enable_analyzer=True,
                         analyzer_params={"tokenizer": "standard"})
        schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                                     output_field_names=["bm25"]))
        params.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                         params={"bm25_k1": BM25_K1, "bm25_b": BM25_B})
    else:  # Milvus wants a vector field in every collection
        if part == "texts":
            schema.add_field("part", DataType.INT64)
            schema.add_field("text", DataType.VARCHAR, max_length=65_535)
        schema.add_field("pad", DataType.FLOAT_VECTOR, dim=2)
        params.add_index("pad", index_type="FLAT", metric_type="L2")
    return schema, params


EXPECTED_FIELDS = {
    "chunks": {"id", "doc_id", "start", "end", "n_tokens", "first_sentence", "last_sentence", "vector"},
    "sentences": {"id", "doc_id", "start", "end", "vector"},
    "keywords": {"id", "doc_id", "terms", "bm25"},
    "texts": {"id", "doc_id", "part", "text", "pad"},
    "meta": {"key", "value", "pad"},
}


def create_index(client: Any, name: str, kind: str) -> None:
    """Index the chunk vectors of collection `name` (FLAT or HNSW). Milvus Lite builds HNSW inside the call
    (200 s for 400,000 vectors here); pymilvus pings the connection every 10 s meanwhile, the server answers
    "too many pings" by closing it, and pymilvus sends the call again, which fails with "index already
    exists" although the first one made it. So an existing index of the wanted kind counts as success."""
    from pymilvus.exceptions import MilvusException

    params = client.prepare_index_params()
    params.add_index("vector", index_type=kind, metric_type="IP", params=HNSW_BUILD if kind == "HNSW" else {})
    try:
        client.create_index(name, params)
    except MilvusException as exc:
        if "already exists" not in str(exc):
            raise
        described = client.describe_index(name, "vector") or {}
        if described.get("index_type") != kind:
            raise


EARLIER_FIELDS = {"keywords": [{"id", "doc_id", "terms"}]}
"""Layouts earlier versions wrote (keywords as precomputed sparse vectors): rebuilt, like an index of
another format, rather than reported as damaged."""




def check_layout(client: Any, gen: str, hint: str, embedder: Embedder | None) -> Manifest:
    """A generation's collections as corpus-qa writes them (loaded for search), and its manifest, which must
    be of this format and, given an embedder, of its model. Raises IndexOutdated for an index to rebuild,
    IndexStateError for a damaged or foreign one."""
    from index.errors import IndexOutdated, IndexStateError
    from index.storage.base import FORMAT_VERSION, FormatMismatch, Manifest

    for part in PARTS:
        name = f"{gen}_{part}"
        if not client.has_collection(name):
            raise IndexStateError(f"{hint} is damaged (collection {name} is missing). {REBUILD_HINT}")
        fields = {f["name"]: f for f in client.describe_collection(name)["fields"]}
        if set(fields) in EARLIER_FIELDS.get(part, []):
            reason = f"{hint} was written by an earlier corpus-qa ({name} has another layout)."
            raise IndexOutdated(f"{reason} {REBUILD_HINT}", reason)
        if set(fields) != EXPECTED_FIELDS[part]:
            raise IndexStateError(f"{hint} is not one corpus-qa wrote (collection {name} has the fields "
                                  f"{', '.join(sorted(fields))}). {REBUILD_HINT}")
        if str(client.get_load_state(name).get("state")) != "Loaded":
            client.load_collection(name)  # Milvus Lite starts with every collection released
    rows = client.query(f"{gen}_meta", filter='key == "manifest"', output_fields=["value"])
    if not rows:
        raise IndexStateError(f"{hint} is incomplete (no manifest). {REBUILD_HINT}")
    try:
        manifest = Manifest.from_json(rows[0]["value"])
    except FormatMismatch as exc:
        raise IndexStateError(f"{hint} was written in format {exc.args[0]}; this corpus-qa reads format "
                              f"{FORMAT_VERSION}. {REBUILD_HINT}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexStateError(f"{hint} is damaged (manifest unreadable: {exc}). {REBUILD_HINT}") from None
    if embedder is not None and (manifest.model_id, manifest.weights_hash, manifest.dim) != (
            embedder.model_id, embedder.weights_hash, embedder.dim):
        reason = (f"{hint} was built with the model {manifest.model_id} ({manifest.weights_hash}), not the "
                  f"one in use now, {embedder.model_id} ({embedder.weights_hash}).")
        raise IndexOutdated(f"{reason} {REBUILD_HINT}", reason, manifest.corpus)
    for part in ("chunks", "sentences"):
        fields = client.describe_collection(f"{gen}_{part}")["fields"]
        dims = {f["name"]: f.get("params", {}).get("dim") for f in fields}
        if int(dims["vector"] or 0) != manifest.dim:
            raise IndexStateError(f"{hint} is not one corpus-qa wrote ({gen}_{part} holds vectors of "
                                  f"{dims['vector']}, the manifest says {manifest.dim}). {REBUILD_HINT}")
    return manifest
