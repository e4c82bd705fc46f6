"""Progress inside one document: a reader that works page by page says how far it is, so a build's progress
moves while a 2,000-page manual is read (or its scanned pages are OCR'd, index/reading/ocr.py) instead of
standing still for its whole length. The callback is per thread of control (a context variable)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

PageCallback = Callable[[int, int], None]
"""Called with (pages done, pages in the document)."""


class PageProgress:
    """A channel page-by-page work reports on; whoever sets a callback (`reporting`) hears it."""

    def __init__(self, name: str) -> None:
        self._callback: contextvars.ContextVar[PageCallback | None] = contextvars.ContextVar(name, default=None)

    @contextlib.contextmanager
    def reporting(self, callback: PageCallback) -> Iterator[None]:
        """Within the block, work in this context reports each page done as callback(done, total)."""
        token = self._callback.set(callback)
        try:
            yield
        finally:
            self._callback.reset(token)

    def report(self, done: int, total: int) -> None:
        """A step: `done` of `total` pages (nothing happens unless someone is listening)."""
        callback = self._callback.get()
        if callback is not None:
            callback(done, total)


READ = PageProgress("page_progress")
"""Pages read by a reader that works page by page (PDF)."""
reporting = READ.reporting
report = READ.report
