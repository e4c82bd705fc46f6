"""The Milvus backend: an index kept in Milvus collections (Milvus Lite embedded in a file, or a server).

Imported only when a `milvus://` store is chosen (`--store`, `QA_STORE`):

- `milvus:///abs/path/index.db`: Milvus Lite, embedded, the data in that file (a folder, in fact);
- `milvus://host:19530`, `milvus+http://host:19530`, `milvus+https://host`: a Milvus server; the token (if
  any) comes from `QA_MILVUS_TOKEN`.

A generation is five collections named `<base>_g<stamp>_<part>` (base `corpus_qa`, or `?collection=NAME`):

    chunks      id (chunk id), doc_id, start, end, n_tokens, first/last sentence id, vector  (FLAT or HNSW, IP)
    sentences   id (sentence id), doc_id, start, end, vector                                   (FLAT, IP)
    keywords    id (chunk id), doc_id, terms (the chunk's keyword terms as text), bm25 (sparse vector made
                from `terms` by Milvus's built-in BM25 function; SPARSE_INVERTED_INDEX, metric BM25)
    texts       documents' full text, split in pieces of at most 16,000 characters (a VARCHAR holds at
                most 65,535 bytes; a character is at most 4)
    meta        key -> JSON value, split likewise: the manifest, documents' metadata, the BM25 vocabulary
                with document frequencies, skipped files

Keyword search is Milvus's own: a BM25 function over a text field, so it is served (and distributed) by
Milvus like the dense side. Answers must not depend on the backend, so that field holds the chunk's terms as
corpus-qa's analyzer makes them (index/keywords.py: lower-cased words, stop words out, stemmed), one space
apart; Milvus's `standard` analyzer splits such text back into exactly those terms (they are runs of letters
and digits), and its BM25 is the Lucene variant the local index uses, with the same k1 = 1.5 and b = 0.75.
Its scores are the local ones times k1 + 1, which `keyword_search` divides out. Two limits: Milvus Lite keeps
BM25 statistics per segment (one segment holds about 128 MB of rows, so rankings match the local index up to
corpora of that size); a server's `standard` tokenizer splits Chinese and Japanese ideographs one by one,
where the local analyzer keeps a run of them as one term.

Publishing switches the alias `<base>` to the new generation's `meta` collection (`alter_alias`, atomic);
readers resolve the alias once and read that generation only. An old generation is dropped as soon as no
reader of the publishing process has it open (at once for `qa index`; when the engine swaps in the new
one for chat, mcp and watch), so a removed document's text does not outlive the update. An engine in
another process (a server serves several: chat, mcp, batch) checks for a newer generation every
STALE_CHECK seconds before a question and opens it; a question that was reading the generation when it was
dropped is asked again on the new one. A build that died half-way leaves collections the next writer drops.
Chunk vectors are searched exactly (FLAT) below the local store's IVF threshold (`exact_limit`, 100,000
chunks), with an HNSW graph from there on; sentence vectors are only fetched by id.

Two writers: a build holds the write lock for its whole run. For Milvus Lite it is an exclusive flock on
`<file>.lock` next to the data (and Milvus Lite itself admits one process per file: a second process gets
"index busy" too). For a server, Milvus has no compare-and-swap, so the lease is a mutual exclusion made of
inserts and strongly consistent reads: a writer that sees no unexpired row of anyone else in `<base>_lock`
writes its own row (owner, expiry), waits LEASE_SETTLE, and looks again; if any other unexpired row is
there now, it deletes its own and steps back (busy; with `wait`, it retries after a random pause). Two
writers cannot both win: if A's second look missed B's row, B wrote it after that look, so B's second look
sees A's row. They can both step back, and then simply try again. The row is renewed every LEASE_SECONDS/3
while the build runs and deleted at its end; a killed writer's row blocks others until it expires
(LEASE_SECONDS). A build that paused past its expiry (so another writer could have taken over) checks its
row before publishing and gives up instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from index.errors import (
    GenerationReplaced,
    IndexBusyError,
    IndexOutdated,
    IndexStateError,
    IndexWriteError,
    StoreUnreachable,
    UsageError,
)
from index.keyword_index import K1 as BM25_K1
from index.keyword_index import B as BM25_B
from index.keywords import names_in, search_terms
from index.paths import make_private
from index.storage import ChunkRow, KeptDocument, check_text, not_a_folder
from index.types import Document, DocumentInfo, Page, Section, Span, Unit

if TYPE_CHECKING:
    import numpy as np

    from index.embedding import Embedder
    from index.filters import Where
    from index.loaders import FileStat, Skipped
    from index.store import Manifest
    from index.types import Chunk

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


def _check_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,100}", name):
        raise UsageError(f"{name!r} is not a usable Milvus collection name (letters, digits, underscores).")
    return name


class MilvusStore:
    """An index kept in Milvus (the `IndexStore` protocol)."""

    def __init__(self, uri: str) -> None:
        self.location = uri
        parts = urlsplit(uri)
        query = parse_qs(parts.query)
        self.base = _check_name(query.get("collection", ["corpus_qa"])[0])
        self.lite: Path | None = None
        if parts.scheme == "milvus" and not parts.netloc and parts.path not in ("", "/"):
            if not parts.path.startswith("/"):
                raise UsageError(f"{uri}: Milvus Lite needs an absolute file path (milvus:///path/index.db).")
            self.lite = Path(parts.path)
            self.uri = str(self.lite)
        else:
            scheme = "https" if parts.scheme == "milvus+https" else "http"
            if not parts.netloc:
                raise UsageError(f"{uri}: give a server (milvus://host:19530) or a file (milvus:///path/index.db).")
            self.uri = f"{scheme}://{parts.netloc}{parts.path}"
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._lease_of: int | None = None
        """The row id of this process's write lease on a server, while it holds it."""
        self._readers: dict[str, int] = {}
        """Generation -> readers of it open in this process: an old generation is dropped once none is left."""

    # -- connection ---------------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """One MilvusClient per store, shared by its readers and writers (Milvus Lite serves one process)."""
        with self._client_lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> Any:
        import logging

        # gRPC's C core writes its own error lines on stderr (a connection closed during a long call, see
        # `create_index`); failures reach the user as one-line errors instead.
        os.environ.setdefault("GRPC_VERBOSITY", "NONE")
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException

        # pymilvus logs every failed call with a traceback, and a warning per query iterator on Milvus Lite;
        # failures reach the user as one-line errors instead.
        for name in ("pymilvus", "milvus_lite", "grpc"):
            logging.getLogger(name).setLevel(logging.CRITICAL)

        try:
            if self.lite is not None:
                if not self.lite.parent.is_dir():
                    raise IndexWriteError(f"Cannot open {self.location}: the folder {self.lite.parent} does not exist.")
                self._claim_lite()
                client = MilvusClient(self.uri)
                make_private(self.lite)  # Milvus Lite writes with the umask (0755, 0644): the text is private
                return client
            # A connection of its own, closed with the store: pymilvus otherwise shares one per server in the
            # process and, after 30 s idle, probes and rebuilds it, which failed ("Fail connecting") against a
            # server that had sent it "too many pings" in a full test run here.
            return MilvusClient(self.uri, token=os.environ.get("QA_MILVUS_TOKEN", ""), timeout=30, dedicated=True)
        except MilvusException as exc:
            if self.lite is not None and "Open local milvus failed" in str(exc):
                raise IndexBusyError(
                    f"The index at {self.location} is in use by another process (Milvus Lite serves one process "
                    "at a time). Wait for it to finish, then try again.") from None
            raise StoreUnreachable(f"Cannot reach the Milvus server at {self.location} ({exc.message}). Check that "
                                   "it is running and that the address is right.") from None

    def _claim_lite(self) -> None:
        """Milvus Lite's data folder must be one corpus-qa may write in, as for a local index (IndexDir.claim):
        new (created 0700), marked, empty, or a store of an earlier corpus-qa (collections of this base). A
        file, or a folder of someone else's, is refused before Milvus Lite opens it (it creates and cleans
        folders of its own in there)."""
        from index.paths import MARKER, PRIVATE_DIR, write_marker

        assert self.lite is not None
        path = self.lite
        try:
            if path.exists() and not path.is_dir():
                raise not_a_folder(path, "--store milvus:///path/index.db")
            if not path.exists():
                os.mkdir(path, PRIVATE_DIR)
            elif not (path / MARKER).is_file() and not self._earlier_lite_store():
                with os.scandir(path) as entries:
                    if next(entries, None) is not None:
                        raise UsageError(
                            f"{path} is a folder that is not a corpus-qa Milvus Lite store and is not empty: "
                            "corpus-qa will not write (or delete) anything there. Give a new path "
                            "(--store milvus:///path/index.db).")
            write_marker(path)
        except OSError as exc:
            raise IndexWriteError(f"Cannot write the index at {self.location} ({exc.strerror}).") from None

    def _earlier_lite_store(self) -> bool:
        """A Milvus Lite folder written by corpus-qa before folders were marked: it holds this base's collections."""
        assert self.lite is not None
        try:
            with os.scandir(self.lite / "collections") as entries:
                return any(e.name.startswith(self.base + "_g") and e.is_dir(follow_symlinks=False) for e in entries)
        except OSError:
            return False

    def _live(self) -> str | None:
        """The live generation's prefix (`<base>_g<stamp>`), or None when no index was published."""
        from pymilvus.exceptions import MilvusException

        client = self.client
        try:
            aliases = client.list_aliases() if hasattr(client, "list_aliases") else None
            if isinstance(aliases, dict):
                aliases = aliases.get("aliases")
            if aliases is not None and self.base not in aliases:
                return None
            target = client.describe_alias(self.base)["collection_name"]
        except MilvusException:
            return None
        if not isinstance(target, str) or not target.startswith(self.base + "_g") or not target.endswith("_meta"):
            raise IndexStateError(f"The index at {self.location} is not one corpus-qa wrote (the alias {self.base} "
                                  f"names the collection {target!r}). {REBUILD_HINT}")
        return target.removesuffix("_meta")

    # -- IndexStore -----------------------------------------------------------------------------------

    def exists(self) -> bool:
        return self._live() is not None

    def open(self, embedder: Embedder | None = None) -> MilvusReader:
        gen = self._live()
        if gen is None:
            raise IndexStateError(f"There is no index at {self.location} yet. Run `qa index --store URI` to build it.")
        return MilvusReader.open(self, gen, embedder)

    @contextlib.contextmanager
    def write_lock(self, wait: bool = False) -> Iterator[None]:
        if self.lite is not None:
            with self._file_lock(wait):
                self.client  # noqa: B018 - a second process is refused here, before any work
                yield
        else:
            with self._lease(wait):
                yield

    @contextlib.contextmanager
    def _file_lock(self, wait: bool) -> Iterator[None]:
        from index.store import file_write_lock

        assert self.lite is not None
        with file_write_lock(self.lite.with_name(self.lite.name + ".lock"), self.location, wait):
            yield

    @contextlib.contextmanager
    def _lease(self, wait: bool) -> Iterator[None]:
        """The write lease on a server: a row of this writer's in `<base>_lock`, renewed by a thread while the
        build runs (see the module's doc for why two writers cannot both hold it)."""
        import random

        from pymilvus import DataType
        from pymilvus.exceptions import MilvusException

        client, name = self.client, f"{self.base}_lock"
        deadline = time.monotonic() + 30
        while True:
            try:
                if not client.has_collection(name):
                    schema = client.create_schema(auto_id=False)
                    schema.add_field("id", DataType.INT64, is_primary=True)
                    schema.add_field("owner", DataType.VARCHAR, max_length=200)
                    schema.add_field("expires", DataType.DOUBLE)
                    schema.add_field("pad", DataType.FLOAT_VECTOR, dim=2)
                    params = client.prepare_index_params()
                    params.add_index("pad", index_type="FLAT", metric_type="L2")
                    client.create_collection(name, schema=schema, index_params=params)
                client.query(name, filter="id >= 0", output_fields=["id"], limit=1, consistency_level="Strong")
                break
            except MilvusException:
                # Writers that come at once all create the collection: the server refuses all but one ("File
                # exists"), and has_collection may say no until that one is created and loaded. Wait for it.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2 + 0.3 * random.random())
        me = random.getrandbits(62) + 1
        owner = f"process {os.getpid()} on {os.uname().nodename}"

        def others() -> list[dict[str, Any]]:
            rows = client.query(name, filter=f"expires > {time.time()!r}", output_fields=["id", "owner"],
                                consistency_level="Strong")
            return [r for r in rows if r["id"] != me]

        def put() -> None:
            client.upsert(name, [{"id": me, "owner": owner, "expires": time.time() + LEASE_SECONDS,
                                  "pad": [0.0, 0.0]}])

        def give_back() -> None:
            with contextlib.suppress(Exception):
                client.delete(name, filter=f"id == {me} or expires < {time.time() - LEASE_SECONDS!r}")

        while True:
            holders = others()
            if not holders:
                put()
                time.sleep(LEASE_SETTLE)
                holders = others()
                if not holders:
                    break
                give_back()  # two writers came at once: both step back
            if not wait:
                raise IndexBusyError(f"The index at {self.location} is being updated by {holders[0]['owner']}. "
                                     "Wait for it to finish, then try again.")
            time.sleep(1.0 + random.random())  # apart, so that two waiting writers do not collide again
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(LEASE_SECONDS / 3):
                with contextlib.suppress(Exception):
                    put()

        thread = threading.Thread(target=renew, daemon=True)
        thread.start()
        self._lease_of = me
        try:
            yield
        finally:
            self._lease_of = None
            stop.set()
            thread.join()
            give_back()

    def check_lease(self) -> None:
        """Before publishing on a server: refuse if this writer's lease may have expired (a build paused
        longer than LEASE_SECONDS, while another writer could have taken it over)."""
        if self.lite is None and self._lease_of is not None:
            me = self._lease_of
            rows = self.client.query(f"{self.base}_lock", filter=f"id == {me} and expires > {time.time()!r}",
                                     output_fields=["id"], consistency_level="Strong")
            if not rows:
                raise IndexBusyError(f"This update of {self.location} lost its write lease (it paused longer than "
                                     f"{LEASE_SECONDS:.0f} s) and was not published; run it again.")

    def writer(self, previous: Any, dim: int, exact_limit: int) -> MilvusWriter:
        if previous is not None and not isinstance(previous, MilvusReader):
            raise TypeError("a Milvus index copies kept documents only from a Milvus reader")
        return MilvusWriter(self, previous, dim, exact_limit)

    # -- generations ----------------------------------------------------------------------------------

    def generations(self) -> set[str]:
        """Prefixes of every generation with any collection in Milvus (live, old or half-written)."""
        found = set()
        for name in self.client.list_collections():
            m = re.fullmatch(re.escape(self.base) + r"_(g[0-9a-f_]+)_(" + "|".join(PARTS) + ")", name)
            if m:
                found.add(f"{self.base}_{m.group(1)}")
        return found

    def drop(self, gen: str) -> None:
        for part in PARTS:
            with contextlib.suppress(Exception):
                if self.client.has_collection(f"{gen}_{part}"):
                    self.client.drop_collection(f"{gen}_{part}")

    def publish(self, gen: str) -> None:
        """Point the alias at `gen` (atomically), then drop every other generation no reader of this process
        has open (those go when their last reader closes: questions in flight finish on the old one)."""
        client = self.client
        if self._live() is None:
            client.create_alias(f"{gen}_meta", self.base)
        else:
            client.alter_alias(f"{gen}_meta", self.base)
        self.prune()
        if self.lite is not None:
            make_private(self.lite)  # the files Milvus Lite wrote for this generation

    def prune(self) -> None:
        """Drop every generation but the live one and those readers of this process have open."""
        live = self._live()
        with self._client_lock:
            busy = {g for g, n in self._readers.items() if n > 0}
        for old in self.generations() - busy - {live or ""}:
            self.drop(old)

    def _opened(self, gen: str, delta: int) -> None:
        with self._client_lock:
            self._readers[gen] = self._readers.get(gen, 0) + delta

    def close(self) -> None:
        with self._client_lock:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.close()
                self._client = None
                if self.lite is not None:  # stop this process's embedded server: it holds the file's lock
                    with contextlib.suppress(Exception):
                        from milvus_lite.server_manager import server_manager_instance

                        server_manager_instance.release_server(self.uri)


class _Waiting:
    """New rows waiting for their vectors (between reading and embedding), as fixed-size records in an
    unnamed temporary file in the cache folder, at their id's place: a build of millions of new chunks would
    otherwise hold every row as a Python dict until the end of the embedding stage."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        import struct
        import tempfile

        from index.paths import scratch_dir

        self.fields = fields
        self.record = struct.Struct(f"<{len(fields) + 1}q")  # a "waiting" flag, then the fields
        self.file = tempfile.TemporaryFile(dir=scratch_dir())
        self.count = 0

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Rows with consecutive ids."""
        if rows:
            data = b"".join(self.record.pack(1, *(r[f] for f in self.fields)) for r in rows)
            os.pwrite(self.file.fileno(), data, rows[0]["id"] * self.record.size)
            self.count += len(rows)

    def pop(self, row_id: int) -> dict[str, Any] | None:
        """The row, the first time it is asked for; None after that (or if it never waited)."""
        raw = os.pread(self.file.fileno(), self.record.size, row_id * self.record.size)
        if len(raw) < self.record.size:
            return None
        flag, *values = self.record.unpack(raw)
        if not flag:
            return None
        os.pwrite(self.file.fileno(), b"\0" * 8, row_id * self.record.size)
        self.count -= 1
        return {"id": row_id, **dict(zip(self.fields, values, strict=True))}

    def close(self) -> None:
        self.file.close()


def _terms_text(terms: list[str]) -> str:
    """A chunk's keyword terms for Milvus's analyzer, cut (at a term) to what a VARCHAR holds: only a chunk
    of tens of kilobytes of words the model reads as one token comes near."""
    text = " ".join(terms)
    if len(text.encode("utf-8")) > 65_535:
        text = text.encode("utf-8")[:65_535].decode("utf-8", "ignore").rsplit(" ", 1)[0]
    return text


def _pieces(text: str) -> list[str]:
    return [text[i : i + PIECE] for i in range(0, len(text), PIECE)] or [""]


def _schema(client: Any, part: str, dim: int) -> tuple[Any, Any]:
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


class MilvusWriter:
    """Writes one new generation's collections; nothing is visible until `publish` switches the alias."""

    def __init__(self, store: MilvusStore, previous: MilvusReader | None, dim: int, exact_limit: int) -> None:
        self.store, self.previous, self.dim, self.exact_limit = store, previous, dim, exact_limit
        self.client = store.client
        store.prune()  # a build that died half-way, an old generation whose readers are gone
        self.gen = f"{store.base}_g{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:8]}"
        try:
            for part in PARTS:
                schema, params = _schema(self.client, part, dim)
                self.client.create_collection(f"{self.gen}_{part}", schema=schema,
                                              index_params=params if part != "chunks" else None)
        except Exception:
            store.drop(self.gen)
            raise
        self.docs: list[dict[str, Any]] = []
        self.vocab: dict[str, int] = {}
        """Term -> chunks holding it, for `document_frequency` on the query side."""
        self.names: dict[str, int] = {}
        """Name written as code -> documents holding it (index.keywords.names_in), for `name_frequency`."""
        self.pending_chunks = _Waiting(("doc_id", "start", "end", "n_tokens", "first_sentence", "last_sentence"))
        self.pending_sentences = _Waiting(("doc_id", "start", "end"))
        self.buffers: dict[str, list[dict[str, Any]]] = {"chunks": [], "sentences": [], "texts": [],
                                                         "keywords": []}
        self.chunks = self.sentences = 0

    def _insert(self, part: str, rows: list[dict[str, Any]]) -> None:
        buf = self.buffers[part]
        buf.extend(rows)
        if len(buf) >= BATCH:
            self._flush(part)

    def _flush(self, part: str) -> None:
        buf = self.buffers[part]
        for start in range(0, len(buf), BATCH):
            self.client.insert(f"{self.gen}_{part}", buf[start : start + BATCH])
        buf.clear()

    def _document(self, doc: Document, stat: FileStat) -> int:
        doc_id = len(self.docs)
        for key in names_in(doc.text):
            self.names[key] = self.names.get(key, 0) + 1
        self.docs.append({
            "source": doc.source, "title": doc.title, "date": doc.date, "place": doc.place, "sha256": doc.sha256,
            "size": stat.size, "mtime_ns": stat.mtime_ns, "ctime_ns": stat.ctime_ns, "body_start": doc.body_start,
            "format": doc.format, "chars": len(doc.text),
            "pages": [[p.number, p.label, p.start, p.end] for p in doc.pages],
            "sections": [[s.title, s.level, s.start, s.end] for s in doc.sections],
            "units": [[u.kind, u.start, u.end, u.parent] for u in doc.units],
        })
        self._insert("texts", [{"id": doc_id * 1_000_000 + k, "doc_id": doc_id, "part": k, "text": piece,
                                "pad": [0.0, 0.0]} for k, piece in enumerate(_pieces(doc.text))])
        return doc_id

    def _rows(self, doc: Document, doc_id: int, sentences: list[tuple[int, int]],
              chunks: list[tuple[int, int, int, int, int]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        base_s, base_c = self.sentences, self.chunks
        srows = [{"id": base_s + k, "doc_id": doc_id, "start": s, "end": e} for k, (s, e) in enumerate(sentences)]
        crows = [{"id": base_c + k, "doc_id": doc_id, "start": s, "end": e, "n_tokens": nt,
                  "first_sentence": base_s + f, "last_sentence": base_s + la}
                 for k, (s, e, nt, f, la) in enumerate(chunks)]
        krows = []
        for k, (s, e, *_rest) in enumerate(chunks):
            terms = search_terms(doc.title + "\n" + doc.text[s:e])
            for t in set(terms):
                self.vocab[t] = self.vocab.get(t, 0) + 1
            krows.append({"id": base_c + k, "doc_id": doc_id, "terms": _terms_text(terms)})
        self._insert("keywords", krows)
        self.sentences += len(sentences)
        self.chunks += len(chunks)
        return srows, crows

    def keep(self, old_id: int, stat: FileStat) -> None:
        """Copy a document from the previous generation: its rows and the vectors read back, not re-embedded."""
        prev = self.previous
        assert prev is not None
        doc = prev.document(old_id)
        doc_id = self._document(doc, stat)
        sents, chunks = prev.document_rows(old_id)
        position = {old: k for k, (old, _s, _e) in enumerate(sents)}
        srows, crows = self._rows(doc, doc_id, [(s, e) for _i, s, e in sents],
                                  [(s, e, nt, position[f], position[la]) for _i, s, e, nt, f, la in chunks])
        if sents:
            for row, vec in zip(srows, prev.sentence_vectors_of([s[0] for s in sents]), strict=True):
                row["vector"] = vec.tolist()
            self._insert("sentences", srows)
        if chunks:
            for row, vec in zip(crows, prev.chunk_vectors([c[0] for c in chunks]), strict=True):
                row["vector"] = vec.tolist()
            self._insert("chunks", crows)

    def add(self, doc: Document, stat: FileStat, chunks: Sequence[Chunk]) -> tuple[int, dict[tuple[int, int], int]]:
        from index.generation import unique_sentences

        doc_id = self._document(doc, stat)
        uniq = unique_sentences(chunks)
        index_of = {(s.start, s.end): k for k, s in enumerate(uniq)}
        base_s, base_c = self.sentences, self.chunks
        srows, crows = self._rows(doc, doc_id, [(s.start, s.end) for s in uniq], [
            (c.start, c.end, c.n_tokens, index_of[(c.sentences[0].start, c.sentences[0].end)],
             index_of[(c.sentences[-1].start, c.sentences[-1].end)]) for c in chunks])
        self.pending_sentences.add(srows)
        self.pending_chunks.add(crows)
        return base_c, {span: base_s + k for span, k in index_of.items()}

    def put(self, chunk_row: int, vector: np.ndarray, sentence_rows: Sequence[int], vectors: np.ndarray) -> None:
        """Insert an embedded chunk and those of its sentences not yet inserted (a sentence shared by two
        chunks keeps the vector from the chunk embedded first, as in the local store)."""
        row = self.pending_chunks.pop(chunk_row)
        assert row is not None, f"chunk {chunk_row} was given its vector twice"
        row["vector"] = vector.tolist()
        self._insert("chunks", [row])
        out = []
        for k, sid in enumerate(sentence_rows):
            srow = self.pending_sentences.pop(sid)
            if srow is not None:
                srow["vector"] = vectors[k].tolist()
                out.append(srow)
        self._insert("sentences", out)

    def _meta(self, key: str, value: object) -> None:
        text = json.dumps(value, ensure_ascii=False)
        rows = [{"key": f"{key}:{k}", "value": piece, "pad": [0.0, 0.0]} for k, piece in enumerate(_pieces(text))]
        rows.append({"key": key, "value": json.dumps(len(rows)), "pad": [0.0, 0.0]})
        for start in range(0, len(rows), BATCH):
            self.client.insert(f"{self.gen}_meta", rows[start : start + BATCH])

    def publish(self, embedder_id: tuple[str, str], params: Any, corpus: Path, skipped: Sequence[Skipped],
                stat_of: dict[str, FileStat]) -> Manifest:
        from index.store import FORMAT_VERSION, Manifest

        assert not self.pending_chunks.count and not self.pending_sentences.count, \
            "a chunk or sentence never got a vector"
        self.pending_chunks.close()
        self.pending_sentences.close()
        for part in self.buffers:
            self._flush(part)
        vector_index = self._index_chunks()
        model_id, weights_hash = embedder_id
        manifest = Manifest(
            format_version=FORMAT_VERSION, model_id=model_id, weights_hash=weights_hash, dim=self.dim,
            max_tokens=params.max_tokens, overlap_tokens=params.overlap_tokens, title_context=params.title_context,
            vector_index=vector_index, corpus=str(corpus.resolve()), documents=len(self.docs), chunks=self.chunks,
            sentences=self.sentences, created=time.time(), checksums={})
        self._meta("documents", self.docs)
        self._meta("vocab", self.vocab)
        self._meta("names", self.names)
        self._meta("skipped", [[s.source, stat_of[s.source].size, stat_of[s.source].mtime_ns,
                                stat_of[s.source].ctime_ns, s.reason] for s in skipped])
        self.client.insert(f"{self.gen}_meta", [{"key": "manifest", "value": manifest.to_json(), "pad": [0.0, 0.0]}])
        for part in PARTS:
            self.client.flush(f"{self.gen}_{part}")
        self.store.check_lease()
        self.store.publish(self.gen)
        return manifest

    def _index_chunks(self) -> str:
        """From `exact_limit` chunks on (the local store's IVF threshold, 100,000 by default), the chunk
        vectors get an HNSW graph instead of FLAT's exhaustive scan: a FLAT search costs about 1 s at a million
        chunks (bench/scale.py --milvus). The count is known only now, so the index is made here (the
        collection was created without one)."""
        name = f"{self.gen}_chunks"
        self.client.flush(name)
        create_index(self.client, name, "FLAT" if self.chunks < self.exact_limit else "HNSW")
        self.client.load_collection(name)
        return VECTOR_INDEX if self.chunks < self.exact_limit else GRAPH_INDEX

    def abort(self) -> None:
        self.pending_chunks.close()
        self.pending_sentences.close()
        with contextlib.suppress(Exception):
            self.store.drop(self.gen)


class MilvusReader:
    """One published generation, read-only (the `IndexReader` protocol). Row tables (which document a chunk
    belongs to, offsets, sentence ranges) and documents' metadata are read once at open; vectors, text and
    searches are served by Milvus."""

    def __init__(self, store: MilvusStore, gen: str, manifest: Manifest) -> None:
        self.store, self.gen, self.manifest = store, gen, manifest
        self.client = store.client
        self.location = store.location
        self.term_cache: dict[int, frozenset[str]] = {}
        self._documents: dict[int, Document] = {}
        self._filter_cache: dict[object, object] = {}
        self._sentence_cache: dict[int, Any] = {}
        self._checked = time.monotonic()
        self.closed = False
        self.docs: list[dict[str, Any]] = []
        self.vocab: dict[str, int] = {}
        """Term -> chunks holding it."""
        self.names: dict[str, int] = {}
        """Name written as code -> documents holding it."""
        self.skipped_rows: list[list[Any]] = []
        self.chunk_rows: Any = None
        """Per chunk, by id: id, doc_id, start, end, n_tokens, first and last sentence id."""
        self.sentence_rows: Any = None
        """Per sentence, by id: id, doc_id, start, end."""
        self.title_index: dict[str, list[tuple[int, bool]]] = {}
        self.by_source: dict[str, int] = {}

    @classmethod
    def open(cls, store: MilvusStore, gen: str, embedder: Embedder | None) -> MilvusReader:
        from pymilvus.exceptions import MilvusException

        try:
            return cls._open(store, gen, embedder)
        except MilvusException as exc:
            raise IndexStateError(f"The index at {store.location} is damaged ({exc.message}). {REBUILD_HINT}") from None

    @classmethod
    def _open(cls, store: MilvusStore, gen: str, embedder: Embedder | None) -> MilvusReader:
        import numpy as np

        from index.store import FORMAT_VERSION, FormatMismatch, Manifest

        hint = f"The index at {store.location}"
        client = store.client
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
            raise IndexOutdated(f"{reason} {REBUILD_HINT}", reason)
        for part in ("chunks", "sentences"):
            dims = {f["name"]: f.get("params", {}).get("dim") for f in
                    client.describe_collection(f"{gen}_{part}")["fields"]}
            if int(dims["vector"] or 0) != manifest.dim:
                raise IndexStateError(f"{hint} is not one corpus-qa wrote ({gen}_{part} holds vectors of "
                                      f"{dims['vector']}, the manifest says {manifest.dim}). {REBUILD_HINT}")
        reader = cls(store, gen, manifest)
        try:
            reader.docs = reader._meta("documents")
            vocab = reader._meta("vocab")
            reader.vocab = {t: int(df) for t, df in vocab.items()}
            reader.names = {t: int(df) for t, df in reader._meta("names").items()}
            reader.skipped_rows = reader._meta("skipped")
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise IndexStateError(f"{hint} is damaged (metadata unreadable: {exc}). {REBUILD_HINT}") from None
        chunks = reader._all("chunks", ["id", "doc_id", "start", "end", "n_tokens", "first_sentence", "last_sentence"])
        sents = reader._all("sentences", ["id", "doc_id", "start", "end"])
        if (len(chunks), len(sents), len(reader.docs)) != (manifest.chunks, manifest.sentences, manifest.documents) \
                or (len(chunks) and (chunks[:, 0] != np.arange(len(chunks))).any()) \
                or (len(sents) and (sents[:, 0] != np.arange(len(sents))).any()):
            raise IndexStateError(f"{hint} is damaged (the collections and the manifest disagree). {REBUILD_HINT}")
        reader.chunk_rows, reader.sentence_rows = chunks, sents
        for d in reader.docs:
            parts = PurePosixPath(d["source"]).parts
            if not parts or d["source"].startswith(("/", "\\")) or ".." in parts or "\x00" in d["source"]:
                raise IndexStateError(f"{hint} is not one corpus-qa wrote: it names a document outside the corpus "
                                      f"({d['source']!r}). {REBUILD_HINT}")
        from index.titles import normalize, title_keys

        reader.title_index = {}
        for i, d in enumerate(reader.docs):
            whole = normalize(d["title"])
            for k in title_keys(d["title"]):
                reader.title_index.setdefault(k, []).append((i, k == whole))
        reader.by_source = {d["source"]: i for i, d in enumerate(reader.docs)}
        store._opened(gen, 1)
        return reader

    def _meta(self, key: str) -> Any:
        head = self.client.query(f"{self.gen}_meta", filter=f'key == "{key}"', output_fields=["value"])
        if not head:
            raise KeyError(key)
        n = int(json.loads(head[0]["value"]))
        keys = [f"{key}:{k}" for k in range(n)]
        found: dict[str, str] = {}
        for start in range(0, n, 1000):
            for r in self.client.get(f"{self.gen}_meta", ids=keys[start : start + 1000], output_fields=["value"]):
                found[r["key"]] = r["value"]
        return json.loads("".join(found[k] for k in keys))

    def _all(self, part: str, fields: list[str]) -> np.ndarray:
        """Every row of a collection's integer fields, sorted by id."""
        import numpy as np

        # Ids are dense (0..n-1), so id ranges page through the rows (Milvus Lite's query iterator logs a
        # warning per call); one more page finds rows beyond the manifest's count, if any.
        n = self.manifest.chunks if part == "chunks" else self.manifest.sentences
        out: list[list[int]] = []
        for start in range(0, n + 1, 16_000):
            rows = self.client.query(f"{self.gen}_{part}", filter=f"id >= {start} and id < {start + 16_000}",
                                     output_fields=fields)
            out.extend([r[f] for f in fields] for r in rows)
        table = np.asarray(out, dtype=np.int64).reshape(-1, len(fields))
        return table[np.argsort(table[:, 0], kind="stable")] if len(table) else table

    @contextlib.contextmanager
    def _failures(self) -> Iterator[None]:
        """A Milvus call that fails on the query path (server gone, collection dropped) is one clear error."""
        from pymilvus.exceptions import MilvusException

        try:
            yield
        except MilvusException as exc:
            if self._replaced():
                raise GenerationReplaced(f"The index at {self.location} was updated by another process while "
                                         "this one read it; ask again.") from None
            raise IndexStateError(f"Milvus at {self.location} failed to answer ({exc.message}). If the index was "
                                  f"removed or damaged: {REBUILD_HINT}") from None

    def _replaced(self) -> bool:
        """Whether another generation is live now (another process published an update)."""
        try:
            live = self.store._live()
        except Exception:  # noqa: BLE001 - the server is gone: not a replacement
            return False
        return live is not None and live != self.gen

    def stale(self) -> bool:
        """Whether a newer generation was published (by another process: a Milvus server serves several), so
        the engine should open that one. Checked at most every STALE_CHECK seconds."""
        now = time.monotonic()
        if now - self._checked < STALE_CHECK:
            return False
        self._checked = now
        return self._replaced()

    # -- documents ------------------------------------------------------------------------------------

    def document(self, doc_id: int) -> Document:
        doc = self._documents.get(doc_id)
        if doc is None:
            if not 0 <= doc_id < len(self.docs):
                raise IndexStateError(f"The index at {self.location} is damaged (document {doc_id}). {REBUILD_HINT}")
            d = self.docs[doc_id]
            with self._failures():
                rows = self.client.query(f"{self.gen}_texts", filter=f"doc_id == {int(doc_id)}",
                                         output_fields=["part", "text"])
            text = "".join(r["text"] for r in sorted(rows, key=lambda r: r["part"]))
            if len(text) != d["chars"]:
                raise IndexStateError(f"The index at {self.location} is damaged (the text of {d['source']} is cut "
                                      f"short). {REBUILD_HINT}")
            check_text(text, d["sha256"], d["source"], self.location, REBUILD_HINT)
            pages = tuple(Page(n, a, b, label) for n, label, a, b in d["pages"])
            sections = tuple(Section(t, lv, a, b) for t, lv, a, b in d["sections"])
            units = tuple(Unit(k, a, b, p) for k, a, b, p in d.get("units", []))
            doc = Document(d["source"], text, d["sha256"], d["title"], d["date"], d["place"], d["body_start"],
                           d["format"], pages, sections, units)
            self._documents[doc_id] = doc
        return doc

    def document_by_source(self, source: str) -> Document | None:
        i = self.by_source.get(source)
        return self.document(i) if i is not None else None

    def documents_titled(self, keys: list[str]) -> dict[str, list[tuple[int, bool]]]:
        return {k: list(self.title_index[k]) for k in keys if k in self.title_index}

    def sources(self) -> list[tuple[str, str]]:
        return sorted((d["source"], d["title"]) for d in self.docs)

    def catalog(self, where: Where | None = None) -> list[DocumentInfo]:
        keep = self.documents_matching(where) if where else None
        return [DocumentInfo(d["source"], d["title"], d["date"], d["format"], len(d["pages"]), d["chars"])
                for i, d in sorted(enumerate(self.docs), key=lambda x: x[1]["source"]) if keep is None or i in keep]

    def indexed_files(self) -> dict[str, KeptDocument]:
        return {d["source"]: KeptDocument(i, d["sha256"], (d["size"], d["mtime_ns"], d["ctime_ns"]))
                for i, d in enumerate(self.docs)}

    def file_stats(self) -> dict[str, tuple[int, int, int]]:
        out = {d["source"]: (d["size"], d["mtime_ns"], d["ctime_ns"]) for d in self.docs}
        out.update({s: (size, m, c) for s, size, m, c, _r in self.skipped_rows})
        return out

    def skipped(self) -> tuple[Skipped, ...]:
        from index.loaders import Skipped

        return tuple(Skipped(s, r) for s, _size, _m, _c, r in sorted(self.skipped_rows))

    # -- chunks and sentences -------------------------------------------------------------------------

    def chunk(self, chunk_id: int) -> ChunkRow:
        i, d, s, e, _nt, f, la = (int(x) for x in self.chunk_rows[chunk_id])
        return ChunkRow(i, d, s, e, f, la)

    def sentences_of(self, chunk: ChunkRow) -> list[tuple[int, Span]]:
        rows = self.sentence_rows[chunk.first_sentence : chunk.last_sentence + 1]
        return [(int(i), Span(int(s), int(e))) for i, _d, s, e in rows]

    def document_rows(self, doc_id: int) -> tuple[list[tuple[int, int, int]],
                                                  list[tuple[int, int, int, int, int, int]]]:
        s = self.sentence_rows[self.sentence_rows[:, 1] == doc_id]
        c = self.chunk_rows[self.chunk_rows[:, 1] == doc_id]
        return ([(int(i), int(a), int(b)) for i, _d, a, b in s],
                [(int(i), int(a), int(b), int(nt), int(f), int(la)) for i, _d, a, b, nt, f, la in c])

    def chunks_of(self, doc_id: int, limit: int) -> list[int]:
        return [int(i) for i in self.chunk_rows[self.chunk_rows[:, 1] == doc_id][:limit, 0]]

    def chunk_documents(self, chunk_ids: list[int]) -> dict[int, int]:
        return {int(c): int(self.chunk_rows[c, 1]) for c in chunk_ids}

    def sentence_ranges(self, chunk_ids: list[int]) -> dict[int, tuple[int, int]]:
        return {int(c): (int(self.chunk_rows[c, 5]), int(self.chunk_rows[c, 6])) for c in sorted(chunk_ids)}

    def chunk_texts(self, limit: int) -> list[str]:
        return [self.document(int(d)).text[int(a) : int(b)] for _i, d, a, b, *_r in self.chunk_rows[:limit]]

    # -- vectors and search ---------------------------------------------------------------------------

    def _vectors(self, part: str, ids: Sequence[int]) -> np.ndarray:
        import numpy as np

        ids = [int(i) for i in ids]
        found: dict[int, list[float]] = {}
        with self._failures():
            for start in range(0, len(ids), 1000):
                for r in self.client.get(f"{self.gen}_{part}", ids=ids[start : start + 1000],
                                         output_fields=["vector"]):
                    found[int(r["id"])] = r["vector"]
        try:
            out = np.asarray([found[i] for i in ids], dtype=np.float32).reshape(len(ids), self.manifest.dim)
        except KeyError as exc:
            raise IndexStateError(f"The index at {self.location} is damaged ({part} row {exc} is missing). "
                                  f"{REBUILD_HINT}") from None
        if not np.isfinite(out).all():
            raise ValueError(f"{part} vectors hold values that are not numbers")
        return out

    def chunk_vectors(self, ids: Sequence[int]) -> np.ndarray:
        return self._vectors("chunks", ids)

    def sentence_vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        import numpy as np

        cache = self._sentence_cache
        missing = [int(i) for i in dict.fromkeys(ids) if int(i) not in cache]
        if missing:
            if len(cache) > 200_000:
                cache.clear()
            cache.update(zip(missing, self._vectors("sentences", missing), strict=True))
        return np.asarray([cache[int(i)] for i in ids], dtype=np.float32).reshape(len(ids), self.manifest.dim)

    def _filter(self, where: Where | None) -> str | None:
        if where is None:
            return ""
        allowed = sorted(self.documents_matching(where))
        if not allowed:
            return None
        if len(allowed) == len(self.docs):
            return ""
        return f"doc_id in {allowed}"

    def _search(self, part: str, field: str, query: Any, k: int, where: Where | None, metric: str = "IP",
                params: dict[str, Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        expr = self._filter(where)
        if expr is None or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        with self._failures():
            hits = self.client.search(f"{self.gen}_{part}", [query], anns_field=field, limit=min(k, 16_384),
                                      filter=expr, output_fields=[],
                                      search_params={"metric_type": metric, "params": params or {}})[0]
        ids = np.asarray([int(h["id"]) for h in hits], dtype=np.int64)
        scores = np.asarray([float(h["distance"]) for h in hits], dtype=np.float32)
        if metric == "BM25":  # a score, never below 0; Milvus Lite hands it back negated, a server as it is
            scores = np.abs(scores)
        order = np.lexsort((ids, -scores))  # ties by id, as the local store ranks them
        return ids[order], scores[order]

    def dense_search(self, qvec: np.ndarray, k: int, where: Where | None = None) -> tuple[np.ndarray, np.ndarray]:
        params = {"ef": max(HNSW_EF, k)} if self.manifest.vector_index == GRAPH_INDEX else None
        return self._search("chunks", "vector", [float(x) for x in qvec], k, where, params=params)

    def dense_scores(self, ids: list[int], qvec: np.ndarray) -> np.ndarray:
        import numpy as np

        return self.chunk_vectors(ids) @ np.asarray(qvec, dtype=np.float32)

    def keyword_search(self, terms: list[str], k: int, where: Where | None = None) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        known = [t for t in terms if t in self.vocab]  # a repeated term counts again, as in the local index
        if not known or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        # A little deeper than k, so that chunks tied at the cut are ranked by id like the local store does.
        ids, scores = self._search("keywords", "bm25", _terms_text(known), k + 16, where, metric="BM25")
        scores = scores / np.float32(BM25_K1 + 1.0)  # Milvus's BM25 keeps Lucene's (k1 + 1) factor
        keep = scores > 0
        return ids[keep][:k], scores[keep][:k]

    def documents_matching(self, where: Where) -> set[int]:
        key = ("docs", where)
        found = self._filter_cache.get(key)
        if found is None:
            found = {i for i, d in enumerate(self.docs) if where.matches(d["source"], d["date"], d["format"],
                                                                        d["title"])}
            if len(self._filter_cache) > 16:
                self._filter_cache.clear()
            self._filter_cache[key] = found
        return found  # type: ignore[return-value]

    def document_frequency(self, term: str) -> int:
        return self.vocab.get(term, 0)

    def name_frequency(self, key: str) -> int:
        return self.names.get(key, 0)

    def keyword_chunks(self) -> int:
        return self.manifest.chunks

    def close(self) -> None:
        """Let go of the generation; dropped now if it is no longer the live one and no other reader of this
        process has it open."""
        if self.closed:
            return
        self.closed = True
        self.store._opened(self.gen, -1)
        if self.store._client is not None:
            with contextlib.suppress(Exception):
                self.store.prune()
