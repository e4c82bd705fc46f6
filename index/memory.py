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



M_ARENA_MAX = -8
"""glibc's mallopt parameter for the most heap arenas the threads of a process may use."""

BUILD_ARENAS = 2
"""Heap arenas a build leaves threads: the main thread's and one for every other thread. glibc gives each
new thread an arena of its own, up to 8 per core; the reading thread's (a document's text, its parse, the
tokenizer's counts) stayed fragmented beside the encoder's: 1,000 summaries peaked at 294-300 MB with the
default, 278-284 MB with two, in the same time (`MALLOC_ARENA_MAX=2`, two runs each)."""


@functools.lru_cache(maxsize=1)
def limit_arenas() -> None:
    """Cap the heap arenas of this process at BUILD_ARENAS from now on (arenas already made stay). Once per
    process; nothing off glibc."""
    libc = _libc()
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(M_ARENA_MAX, BUILD_ARENAS)
