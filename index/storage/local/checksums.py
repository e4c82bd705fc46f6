"""Checksums of a local generation's files: written block by block at build time, verified as the blocks are
read (a damaged block fails loudly instead of changing an answer)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from index.errors import IndexStateError

CHECKSUM_BLOCK = 1 << 20
REBUILD_HINT = "Run `qa index --rebuild` to build it again."


def block_checksums(path: Path) -> list[int]:
    """CRC-32 of each CHECKSUM_BLOCK-byte block of a file."""
    import zlib

    sums = []
    with path.open("rb") as fh:
        while block := fh.read(CHECKSUM_BLOCK):
            sums.append(zlib.crc32(block))
    return sums


class BlockCheck:
    """The CRC-32s the build recorded for one file, checked as the file is read: each 1 MiB block the first
    time an answer needs bytes of it (every block, for what is read whole), so what answers are built from
    is verified without reading a large index whole when it opens. Raises IndexStateError on a mismatch."""

    def __init__(self, path: Path, sums: list[int], location: str) -> None:
        self.path = path
        self.sums = sums
        self.location = location
        self.checked = bytearray(len(sums))
        self._fd: int | None = None
        self._lock = threading.Lock()

    def __call__(self, start: int, end: int) -> None:
        """Verify the blocks holding bytes [start, end) of the file."""
        if end <= start:
            return
        first, last = start // CHECKSUM_BLOCK, (end - 1) // CHECKSUM_BLOCK
        if self.checked.find(0, first, last + 1) < 0:
            return
        if last >= len(self.sums):
            self._damaged("is longer than the build wrote it")
        import zlib

        for block in range(first, last + 1):
            if not self.checked[block]:
                if zlib.crc32(os.pread(self._descriptor(), CHECKSUM_BLOCK, block * CHECKSUM_BLOCK)) != self.sums[block]:
                    self._damaged("does not match its checksum")
                self.checked[block] = 1

    def whole(self) -> None:
        """Verify every block (for what is read whole: an exact search reads every vector)."""
        if self.sums:
            self(0, len(self.sums) * CHECKSUM_BLOCK)

    def _descriptor(self) -> int:
        with self._lock:
            if self._fd is None:
                try:
                    self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
                except OSError as exc:
                    self._damaged(f"cannot be read: {exc.strerror}")
            return self._fd  # type: ignore[return-value]

    def _damaged(self, what: str) -> None:
        raise IndexStateError(f"The index at {self.location} is damaged ({self.path.name} {what}). {REBUILD_HINT}")

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
