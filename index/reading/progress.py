"""Progress inside one document: a reader that works page by page (PDF) says how far it is, so a build's
progress moves while a 2,000-page manual is read instead of standing still for its whole reading. The
callback is per thread of control (a context variable), like OCR's page reporting (index/reading/ocr.py)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

PageCallback = Callable[[int, int], None]
"""Called with (pages read, pages in the document)."""

_callback: contextvars.ContextVar[PageCallback | None] = contextvars.ContextVar("page_progress", default=None)


@contextlib.contextmanager
def reporting(callback: PageCallback) -> Iterator[None]:
    """Within the block, readers in this context report each page read as callback(done, total)."""
    token = _callback.set(callback)
    try:
        yield
    finally:
        _callback.reset(token)


def report(done: int, total: int) -> None:
    """A reader's step: `done` of `total` pages read (nothing happens unless someone is listening)."""
    callback = _callback.get()
    if callback is not None:
        callback(done, total)
