"""OCR of PDF pages without a text layer (scanned pages), as the optional extra `corpus-qa[ocr]`.

The engine is RapidOCR on onnxruntime (`rapidocr-onnxruntime`, Apache-2.0): PP-OCRv4 detection and
recognition models that ship inside its wheel, so it runs offline like everything else here. It was chosen
over Tesseract 5 and RapidOCR 3 on the same 40 pages of the R manuals (bench/ocr.py; figures in
bench/README.md).

Pages are recognised in worker processes (one per CPU, each with one onnxruntime thread and the engine
loaded once), started the first time a build meets a page that needs OCR and kept for the rest of the
build (`shutdown` ends them; at exit they end by themselves). The reading process renders each page to a
grayscale image (PDFium) and hands it over; at most two pages per worker wait, so a 2,000-page scan is
never held whole. Each page done is reported to the progress callback set with `reporting` (the build
shows it as the `ocr` stage).

What comes back is a page's lines in reading order, as `Line`s of pdf_layout (text, left edge), so an OCR'd
page is laid out like a page with a text layer: running headers and page numbers dropped, lines reflowed
into paragraphs. Full-width punctuation, which the recognition model (trained on Chinese and English) gives
for some commas and colons, is folded to ASCII (NFKC). Nothing here is imported unless a page needs OCR.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib.util
import os
import threading
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from index.reading.formats.pdf_layout import Line

INSTALL_HINT = "pip install 'corpus-qa[ocr]'"
SCALE = 2.0
"""Rendering scale of a page for OCR: 2.0 is 144 dots per inch (bench/ocr.py: as accurate as 200 dpi on
the R manuals, and faster)."""
MIN_SCORE = 0.5
"""Recognised text below this confidence is dropped (RapidOCR's own default)."""

ProgressCallback = Callable[[int, int], None]
_progress: contextvars.ContextVar[ProgressCallback | None] = contextvars.ContextVar("ocr_progress", default=None)


def available() -> bool:
    """Whether the OCR extra is installed (without importing it)."""
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


@contextlib.contextmanager
def reporting(callback: ProgressCallback) -> Iterator[None]:
    """Within the block, OCR in this thread reports each page done as callback(done, total)."""
    token = _progress.set(callback)
    try:
        yield
    finally:
        _progress.reset(token)


# -- in a worker --------------------------------------------------------------------------------------------

_engine: Any = None


def _load_engine() -> Any:
    global _engine
    if _engine is None:
        from rapidocr_onnxruntime import RapidOCR  # onnxruntime and OpenCV: ~0.4 s, once per worker

        # one thread per worker: the workers are the parallelism (bench/ocr.py measured 2x1 ahead of 1x2)
        _engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, print_verbose=False)
    return _engine


def recognize(image: Any, scale: float = SCALE) -> list[tuple[str, float, float, float, float]]:
    """The text boxes of a page image: (text, left, top, right, bottom) in PDF points, top to bottom."""
    result, _elapsed = _load_engine()(image)
    boxes = []
    for box, text, score in result or []:
        if float(score) < MIN_SCORE or not str(text).strip():
            continue
        xs = [p[0] for p in box]
        ys = [p[1] for p in box]
        boxes.append((unicodedata.normalize("NFKC", str(text)), min(xs) / scale, min(ys) / scale,
                      max(xs) / scale, max(ys) / scale))
    return boxes


def _worker_init() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _load_engine()


# -- in the reading process ---------------------------------------------------------------------------------

_lock = threading.Lock()
_pool: Any = None


def _executor() -> Any:
    """The OCR worker processes, started on first use (spawned: the reading process may hold threads and
    torch, which a fork would copy in a state it cannot use)."""
    global _pool
    with _lock:
        if _pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            _pool = ProcessPoolExecutor(max_workers=workers(), mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_worker_init)
        return _pool


def workers() -> int:
    """How many OCR processes: one per CPU this process may use (QA_OCR_WORKERS overrides)."""
    try:
        wanted = int(os.environ.get("QA_OCR_WORKERS", "0"))
    except ValueError:
        wanted = 0
    return wanted if wanted > 0 else max(1, len(os.sched_getaffinity(0)))


def shutdown() -> None:
    """End the worker processes (the end of a build); the next page that needs OCR starts them again."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def ocr_pages(render: Callable[[int], Any], pages: list[int]) -> dict[int, list[Line]]:
    """The lines of each page in `pages` (0-based indexes), from the images `render(index)` makes; each page
    done is reported to the callback `reporting` set. Pages are rendered as workers free up."""
    callback = _progress.get()
    pool = _executor()
    window = 2 * workers()
    pending: dict[Future[Any], int] = {}
    out: dict[int, list[Line]] = {}
    todo = list(pages)
    done = 0
    if callback is not None:
        callback(0, len(pages))
    from concurrent.futures import FIRST_COMPLETED, wait

    while todo or pending:
        while todo and len(pending) < window:
            index = todo.pop(0)
            pending[pool.submit(recognize, render(index))] = index
        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            index = pending.pop(future)
            out[index] = lines_of(future.result())
            done += 1
            if callback is not None:
                callback(done, len(pages))
    return out


def lines_of(boxes: list[tuple[str, float, float, float, float]]) -> list[Line]:
    """Text boxes grouped into lines (boxes whose vertical middles are within half a box height of each
    other), each line's boxes left to right. Boxes far apart on a line (a gap wider than two box heights)
    are a table's cells: the line keeps where each starts."""
    from index.reading.formats.pdf_layout import Line

    rows: list[list[tuple[str, float, float, float, float]]] = []
    for box in sorted(boxes, key=lambda b: (b[2] + b[4]) / 2):
        middle, height = (box[2] + box[4]) / 2, box[4] - box[2]
        if rows:
            last = rows[-1]
            last_middle = sum((b[2] + b[4]) / 2 for b in last) / len(last)
            if abs(middle - last_middle) <= 0.5 * max(height, max(b[4] - b[2] for b in last)):
                last.append(box)
                continue
        rows.append([box])
    lines = []
    for row in rows:
        row.sort(key=lambda b: b[1])
        height = sorted(b[4] - b[2] for b in row)[len(row) // 2]
        cells: list[str] = [row[0][0]]
        starts = [row[0][1]]
        for prev, box in zip(row, row[1:], strict=False):
            if box[1] - prev[3] > 2 * height:
                cells.append(box[0])
                starts.append(box[1])
            else:
                cells[-1] += " " + box[0]
        text = " ".join(cells)
        table = len(cells) > 1
        lines.append(Line(text, round(row[0][1], 1), 0.0, 0.0, False,
                          tuple(round(x, 1) for x in starts) if table else (), tuple(cells) if table else ()))
    return lines
