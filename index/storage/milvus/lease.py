"""A Milvus server's write lease: one writer at a time, across processes and machines.

A writer holds the lease by a row of its own in `<base>_lock` whose `expires` lies in the future, renewed by a
thread every LEASE_SECONDS / 3 while the build runs. Taking it: write the row, wait LEASE_SETTLE, read again;
if another writer's live row is there too, both step back and try again apart (so two writers never both go
on). A writer whose renewals keep failing gives the lease up (another may take it once it lapses) and does
not publish; a writer paused past its lease is refused at publish time (`check`).
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

from index.errors import IndexBusyError
from index.storage.milvus.schema import LEASE_SECONDS, LEASE_SETTLE, Connection


class Lease:
    """The lease of one store (`<base>_lock`), taken with `hold`."""

    def __init__(self, store: Connection, base: str) -> None:
        self.store, self.name = store, f"{base}_lock"
        self.me: int | None = None
        """This writer's row id, while it holds the lease."""
        self.lost: str | None = None
        """Why the lease was given up while it was held (renewal kept failing), if it was."""

    def _collection(self) -> None:
        """Make `<base>_lock` if it is missing. Writers that come at once all create it: the server refuses
        all but one ("File exists"), and has_collection may say no until that one is created and loaded."""
        from pymilvus import DataType
        from pymilvus.exceptions import MilvusException

        client = self.store.client
        deadline = time.monotonic() + 30
        while True:
            try:
                if not client.has_collection(self.name):
                    schema = client.create_schema(auto_id=False)
                    schema.add_field("id", DataType.INT64, is_primary=True)
                    schema.add_field("owner", DataType.VARCHAR, max_length=200)
                    schema.add_field("expires", DataType.DOUBLE)
                    schema.add_field("pad", DataType.FLOAT_VECTOR, dim=2)
                    params = client.prepare_index_params()
                    params.add_index("pad", index_type="FLAT", metric_type="L2")
                    client.create_collection(self.name, schema=schema, index_params=params)
                client.query(self.name, filter="id >= 0", output_fields=["id"], limit=1, consistency_level="Strong")
                return
            except MilvusException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2 + 0.3 * random.random())

    def _others(self, me: int) -> list[dict[str, Any]]:
        rows = self.store.client.query(self.name, filter=f"expires > {time.time()!r}", output_fields=["id", "owner"],
                                       consistency_level="Strong")
        return [r for r in rows if r["id"] != me]

    def _put(self, me: int) -> None:
        owner = f"process {os.getpid()} on {os.uname().nodename}"
        self.store.client.upsert(self.name, [{"id": me, "owner": owner, "expires": time.time() + LEASE_SECONDS,
                                              "pad": [0.0, 0.0]}])

    def _give_back(self, me: int) -> None:
        from pymilvus.exceptions import MilvusException

        with contextlib.suppress(MilvusException):  # not given back: it expires within LEASE_SECONDS
            self.store.client.delete(self.name, filter=f"id == {me} or expires < {time.time() - LEASE_SECONDS!r}")

    def _take(self, me: int, wait: bool) -> None:
        while True:
            holders = self._others(me)
            if not holders:
                self._put(me)
                time.sleep(LEASE_SETTLE)
                holders = self._others(me)
                if not holders:
                    return
                self._give_back(me)  # two writers came at once: both step back
            if not wait:
                raise IndexBusyError(f"The index at {self.store.location} is being updated by "
                                     f"{holders[0]['owner']}. Wait for it to finish, then try again.")
            time.sleep(1.0 + random.random())  # apart, so that two waiting writers do not collide again

    def _renew(self, me: int, stop: threading.Event) -> None:
        from pymilvus.exceptions import MilvusException

        renewed = time.monotonic()
        while not stop.wait(LEASE_SECONDS / 3):
            try:
                self._put(me)
                renewed = time.monotonic()
            except MilvusException as exc:
                if time.monotonic() - renewed > LEASE_SECONDS * 2 / 3:
                    # It may lapse before the next try and another writer take it over: stop renewing (a late
                    # renewal would make two holders); `check` refuses to publish.
                    self.lost = f"renewing it failed: {exc.message}"
                    return

    @contextlib.contextmanager
    def hold(self, wait: bool) -> Iterator[None]:
        """Hold the lease for the block (wait for it, or raise IndexBusyError if another writer has it)."""
        self._collection()
        me = random.getrandbits(62) + 1
        self._take(me, wait)
        stop = threading.Event()
        self.lost = None
        thread = threading.Thread(target=self._renew, args=(me, stop), daemon=True)
        thread.start()
        self.me = me
        try:
            yield
        finally:
            self.me = None
            stop.set()
            thread.join()
            self._give_back(me)

    def check(self) -> None:
        """Before publishing: refuse if the lease was given up, or may have expired (a build paused longer than
        LEASE_SECONDS, while another writer could have taken it over)."""
        if self.me is None:
            return
        if self.lost:
            raise IndexBusyError(f"This update of {self.store.location} lost its write lease ({self.lost}) and "
                                 "was not published; run it again.")
        rows = self.store.client.query(self.name, filter=f"id == {self.me} and expires > {time.time()!r}",
                                       output_fields=["id"], consistency_level="Strong")
        if not rows:
            raise IndexBusyError(f"This update of {self.store.location} lost its write lease (it paused longer than "
                                 f"{LEASE_SECONDS:.0f} s) and was not published; run it again.")
