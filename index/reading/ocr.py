"""OCR of PDF pages without a text layer (scanned pages), as the optional extra `corpus-qa[ocr]`.

The engine is RapidOCR 3 on onnxruntime (`rapidocr`, Apache-2.0) with the PP-OCRv6 small detection and
recognition models that ship inside its wheel, named by path so nothing is ever downloaded: a missing
model file is an error, not a fetch. On the same 40 scanned pages of the R manuals (bench/ocr.py; figures
in bench/README.md) it found 98.4% of the words of the text layer where rapidocr-onnxruntime (PP-OCRv4,
whose recognition model drops many spaces between English words) found 93.1%, at the same speed; Tesseract 5
found 98.7%, three times faster, but is a system program with its own language data, which a pip extra
cannot install.

Pages are recognised in worker processes (one per CPU, at most MAX_WORKERS: each holds about a gigabyte
while it reads a page; each with one onnxruntime thread, so the workers do not oversubscribe the cores,
and the engine loaded once), started the first time a build meets a page that needs OCR and kept for the
rest of the build (`shutdown` ends them; at exit they end by themselves). The reading process renders each page to a
grayscale image (PDFium) and hands it over; at most two pages per worker wait, so a 2,000-page scan is
never held whole. Each page done is reported to the progress callback set with `reporting` (the build
shows it as the `ocr` stage).

What comes back is a page's lines in reading order, as `Line`s of pdf_layout (text, left edge), so an OCR'd
page is laid out like a page with a text layer: running headers and page numbers dropped, lines reflowed
into paragraphs. Full-width punctuation, which the recognition model (trained on Chinese and English) may
give for commas and colons, is folded to ASCII (NFKC). Nothing here is imported unless a page needs OCR.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from index.reading.progress import PageProgress

if TYPE_CHECKING:
    from index.reading.formats.pdf_layout import Line

INSTALL_HINT = "pip install 'corpus-qa[ocr]'"
MODELS = ("PP-OCRv6_det_small.onnx", "PP-OCRv6_rec_small.onnx", "ch_ppocr_mobile_v2.0_cls_mobile.onnx")
"""The detection, recognition and orientation models, as rapidocr 3.10 ships them in its wheel."""
MAX_WORKERS = 4
SCALE = 2.0
"""Rendering scale of a page for OCR: 2.0 is 144 dots per inch (bench/ocr.py: as accurate as 200 dpi on
the R manuals, and faster)."""
MIN_SCORE = 0.5
"""Recognised text below this confidence is dropped (RapidOCR's own default)."""

_progress = PageProgress("ocr_progress")
reporting = _progress.reporting
"""Within the block, OCR in this thread reports each page done as callback(done, total)."""


def available() -> bool:
    """Whether the OCR extra is installed (without importing it)."""
    return importlib.util.find_spec("rapidocr") is not None


# -- in a worker --------------------------------------------------------------------------------------------

_engine: Any = None


def _load_engine() -> Any:
    global _engine
    if _engine is None:
        from pathlib import Path

        import rapidocr  # onnxruntime and OpenCV: ~0.5 s, once per worker

        folder = Path(rapidocr.__file__).parent / "models"
        missing = [name for name in MODELS if not (folder / name).is_file()]
        if missing:
            raise RuntimeError(f"the OCR models {', '.join(missing)} are not in {folder} (rapidocr 3.10 ships "
                               "them): reinstall with " + INSTALL_HINT)
        det, rec, cls = (str(folder / name) for name in MODELS)
        _engine = rapidocr.RapidOCR(params={
            "Global.log_level": "critical", "Det.model_path": det, "Rec.model_path": rec, "Cls.model_path": cls,
            # no text-line orientation classifier: it took some upright lines of code for upside-down ones and
            # turned them into noise ('R -d "valgrind --tool=memcheck ..." --vanilla' read as 'Rx-x -- =--');
            # scanned pages are upright, and a page scanned upside down is not a line the classifier could mend
            "Global.use_cls": False,
            # one thread per worker: the workers are the parallelism
            "EngineConfig.onnxruntime.intra_op_num_threads": 1, "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })
    return _engine


def recognize(image: Any, scale: float = SCALE) -> list[tuple[str, float, float, float, float]]:
    """The text boxes of a page image: (text, left, top, right, bottom) in PDF points, top to bottom."""
    out = _load_engine()(image)
    found = zip(out.boxes if out.boxes is not None else [], out.txts or (), out.scores or (), strict=False)
    boxes = []
    for box, text, score in found:
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
    """How many OCR processes: one per CPU this process may use, at most MAX_WORKERS (QA_OCR_WORKERS
    overrides)."""
    try:
        wanted = int(os.environ.get("QA_OCR_WORKERS", "0"))
    except ValueError:
        wanted = 0
    return wanted if wanted > 0 else max(1, min(MAX_WORKERS, len(os.sched_getaffinity(0))))


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
    pool = _executor()
    window = 2 * workers()
    pending: dict[Future[Any], int] = {}
    out: dict[int, list[Line]] = {}
    todo = list(pages)
    done = 0
    _progress.report(0, len(pages))
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
            _progress.report(done, len(pages))
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
