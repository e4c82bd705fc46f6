"""The Milvus backend: an index kept in Milvus collections (Milvus Lite embedded in a file, or a server).

Imported only when a `milvus://` store is chosen (`--store`, `QA_STORE`):

- `milvus:///abs/path/index.db`: Milvus Lite, embedded, the data in that file (a folder, in fact);
- `milvus://host:19530`, `milvus+http://host:19530`, `milvus+https://host`: a Milvus server; the token (if
  any) is the `milvus_token` setting (QA_MILVUS_TOKEN).

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
corpus-qa's analyzer makes them (index/text/keywords.py: lower-cased words, stop words out, stemmed), one space
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
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from index.errors import (
    IndexBusyError,
    IndexStateError,
    IndexWriteError,
    StoreUnreachable,
    UsageError,
)
from index.paths import make_private
from index.storage.base import (
    not_a_folder,
)
from index.storage.milvus.lease import Lease
from index.storage.milvus.reader import MilvusReader
from index.storage.milvus.schema import (
    PARTS,
    REBUILD_HINT,
    check_name,
)
from index.storage.milvus.writer import MilvusWriter

if TYPE_CHECKING:

    from index.embedding import Embedder

class MilvusStore:
    """An index kept in Milvus (the `IndexStore` protocol)."""

    def __init__(self, uri: str, token: str | None = None) -> None:
        self.token = token or ""
        self.location = uri
        self.rebuild_hint = REBUILD_HINT
        parts = urlsplit(uri)
        query = parse_qs(parts.query)
        self.base = check_name(query.get("collection", ["corpus_qa"])[0])
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
        self._lease = Lease(self, self.base)
        """The write lease on a server (lease.py)."""
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
                # Milvus Lite's server process writes with the umask it starts with (0755, 0644 by default), and
                # some files only later (index files after a flush): it starts with 077, so every file it writes
                # is private from the first byte; what an earlier version left is made private here.
                mask = os.umask(0o077)
                try:
                    client = MilvusClient(self.uri)
                finally:
                    os.umask(mask)
                make_private(self.lite)
                return client
            # A connection of its own, closed with the store: pymilvus otherwise shares one per server in the
            # process and, after 30 s idle, probes and rebuilds it, which failed ("Fail connecting") against a
            # server that had sent it "too many pings" in a full test run here.
            return MilvusClient(self.uri, token=self.token, timeout=30, dedicated=True)
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

    def live(self) -> str | None:
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
        return self.live() is not None

    def open(self, embedder: Embedder | None = None) -> MilvusReader:
        gen = self.live()
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
            with self._lease.hold(wait):
                yield

    @contextlib.contextmanager
    def _file_lock(self, wait: bool) -> Iterator[None]:
        from index.storage.base import file_write_lock

        assert self.lite is not None
        with file_write_lock(self.lite.with_name(self.lite.name + ".lock"), self.location, wait):
            yield

    def check_lease(self) -> None:
        """Before publishing on a server: refuse if this writer's lease was lost (see lease.py)."""
        if self.lite is None:
            self._lease.check()

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
        """Drop a generation's collections, as many as can be: what is left is dropped by the next prune."""
        from pymilvus.exceptions import MilvusException

        for part in PARTS:
            with contextlib.suppress(MilvusException):
                if self.client.has_collection(f"{gen}_{part}"):
                    self.client.drop_collection(f"{gen}_{part}")

    def publish(self, gen: str) -> None:
        """Point the alias at `gen` (atomically), then drop every other generation no reader of this process
        has open (those go when their last reader closes: questions in flight finish on the old one)."""
        client = self.client
        if self.live() is None:
            client.create_alias(f"{gen}_meta", self.base)
        else:
            client.alter_alias(f"{gen}_meta", self.base)
        self.prune()
        if self.lite is not None:
            make_private(self.lite)  # the files Milvus Lite wrote for this generation

    def prune(self) -> None:
        """Drop every generation but the live one and those readers of this process have open."""
        live = self.live()
        with self._client_lock:
            busy = {g for g, n in self._readers.items() if n > 0}
        for old in self.generations() - busy - {live or ""}:
            self.drop(old)

    @property
    def connected(self) -> bool:
        """Whether this store has a live connection (a reader closing late must not open one)."""
        return self._client is not None

    def opened(self, gen: str, delta: int) -> None:
        """Count a reader of `gen` in this process coming (+1) or going (-1): a generation no longer live is
        dropped only once no reader has it open."""
        with self._client_lock:
            self._readers[gen] = self._readers.get(gen, 0) + delta

    def private_file(self, name: str) -> Path:
        """Beside a Milvus Lite file; for a server, in the cache folder under its address."""
        if self.lite is not None:
            return Path(self.lite).with_name(f"{Path(self.lite).name}.{name}")
        import hashlib

        from index.paths import cache_home, private_dir

        folder = private_dir(cache_home() / "mcp")
        return folder / f"{hashlib.sha256(self.uri.encode()).hexdigest()[:12]}.{name}"

    def close(self) -> None:
        with self._client_lock:
            if self._client is not None:
                from pymilvus.exceptions import MilvusException

                with contextlib.suppress(MilvusException, OSError):  # a connection already gone is closed
                    self._client.close()
                self._client = None
                if self.lite is not None:  # stop this process's embedded server: it holds the file's lock
                    with contextlib.suppress(Exception):  # noqa: BLE001 - milvus_lite raises untyped errors; the process stops when we exit anyway
                        from milvus_lite.server_manager import server_manager_instance

                        server_manager_instance.release_server(self.uri)
                    # what the server wrote after the last generation was published (index files it builds
                    # in the background, its flush at shutdown) is private too
                    with contextlib.suppress(OSError):
                        make_private(self.lite)


