"""Giving freed memory back to the system between the phases of a build."""

from __future__ import annotations

import ctypes
import functools


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 - glibc only
        return libc
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> None:
    """Hand freed heap pages back to the system. glibc keeps them otherwise, and a build frees a lot in
    pieces of many sizes (a PDF parser's document, activations of many shapes): peak RSS indexing
    R-exts.pdf was 645 MB without trimming after each forward pass, 544 MB with it."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


M_MMAP_THRESHOLD = -3
"""mallopt's parameter number (glibc malloc.h)."""


def serve_large_blocks_from_mmap(threshold: int = 128 * 1024) -> None:
    """Allocate blocks of `threshold` bytes and more with mmap, and give them back on free. glibc raises
    that threshold as large blocks are freed (up to 32 MB), after which a model's activations come from the
    heap and fragment it: peak RSS indexing refman.pdf (2,415 pages) was 452 MB by default and 413 MB with
    the threshold fixed at 128 KB, measured here. Setting it also turns glibc's adjustment off."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(M_MMAP_THRESHOLD, threshold)
