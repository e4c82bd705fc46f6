"""OCR: scanned PDFs against their text layer, on 40 pages of the R manuals that hold the answers to 44 questions.

    python bench/ocr.py setup                 # the two corpora and the questions (bench/.cache/ocr/)
    python bench/ocr.py engines [--rapidocr1 PYTHON]   # engines compared on the same 40 page images
    python bench/ocr.py answers               # qa index + qa batch on both corpora: answers, pages/s, RSS

The pages: every page that answers one of the R-manual questions of docs-eval (/work/shared/docs-eval:
R-exts and R-lang, 26 pages, 30 questions), and 14 pages answering questions of bench/data's R-manuals set
(11 of R-intro, 3 of R-data). `setup` copies those pages, in their order, into one PDF per manual
(`text/`), and makes the scanned version of each (`scanned/`): every page rendered to a grayscale image
at 200 dpi and put back as a PDF of images with no text layer, as a scanner makes one. A question's gold
page is renumbered to its page in that PDF.

`engines` reads the 40 scanned pages, rendered as the build renders them for OCR (index/reading/ocr.py
SCALE), with each engine in one process and one thread: RapidOCR 3.10 (PP-OCRv6 small, the extra, through
index/reading/ocr.py), rapidocr-onnxruntime 1.4 (PP-OCRv4; in another environment, `--rapidocr1
/path/to/python`, as the two cannot share one: both install OpenCV, as different packages) and Tesseract 5
(`tesseract` from Debian, English). Accuracy against the page's own text layer:
the share of its words (letters and digits, case folded) that the OCR text holds, and the character
similarity with spaces removed (difflib), so missing spaces and misread letters are told apart.

`answers` indexes both corpora with the real model (`qa index --rebuild`, OCR in its worker processes) and
asks the 44 questions of both (`qa batch`). A question is answered when the answer holds one of its
strings and its first citation is in the gold manual; the target is that the scanned corpus answers at
least 85% of what the text corpus answers, citing the same page. Also: OCR pages per second of the whole
build, and the peak RSS of the build's process tree (the OCR workers included; sampled every 50 ms).
"""

from __future__ import annotations

import argparse
import collections
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / ".cache" / "ocr"
EVAL = Path("/work/shared/docs-eval/questions.jsonl")
EVAL_CORPUS = Path("/work/docs-eval-corpus/r-manuals")
R_SET = HERE / "data" / "r-manuals-questions.jsonl"
R_CORPUS = HERE / ".cache" / "docs-r" if (HERE / ".cache" / "docs-r").is_dir() else Path(
    "/work/main/bench/.cache/docs-r")
EXTRA = {"R-intro.pdf": None, "R-data.pdf": 3}
"""Pages of bench/data's set: all of R-intro's, the first three of R-data's (in page order)."""
DPI = 200


def questions() -> list[dict]:  # type: ignore[type-arg]
    """The questions with a gold page: (id, question, any, source, page, manual path)."""
    out = []
    for line in EVAL.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if q.get("page") and q.get("source", "").startswith("r-manuals/"):
            name = q["source"].split("/", 1)[1]
            out.append({"id": q["id"], "question": q["question"], "any": q["any"], "manual": name,
                        "path": str(EVAL_CORPUS / name), "page": q["page"]})
    r_set = [json.loads(line) for line in R_SET.read_text(encoding="utf-8").splitlines()]
    for name, limit in EXTRA.items():
        wanted = sorted({q["gold_page"] for q in r_set if q.get("gold_sources") == [name]})[:limit]
        for q in r_set:
            if q.get("gold_sources") == [name] and q["gold_page"] in wanted:
                out.append({"id": q["id"], "question": q["question"], "all": q["answers"], "manual": name,
                            "path": str(R_CORPUS / name), "page": q["gold_page"]})
    return out


def setup() -> None:
    import pypdfium2 as pdfium

    qs = questions()
    pages: dict[str, tuple[str, list[int]]] = {}
    for q in qs:
        pages.setdefault(q["manual"], (q["path"], []))[1].append(q["page"])
    shutil.rmtree(CACHE, ignore_errors=True)
    (CACHE / "text").mkdir(parents=True)
    (CACHE / "scanned").mkdir()
    renumber: dict[tuple[str, int], int] = {}
    total = 0
    for name, (path, wanted) in sorted(pages.items()):
        chosen = sorted(set(wanted))
        total += len(chosen)
        src = pdfium.PdfDocument(path)
        text = pdfium.PdfDocument.new()
        text.import_pages(src, [p - 1 for p in chosen])
        text.save(str(CACHE / "text" / name))
        scanned = pdfium.PdfDocument.new()
        for k, p in enumerate(chosen, start=1):
            renumber[(name, p)] = k
            page = src[p - 1]
            width, height = page.get_size()
            image = page.render(scale=DPI / 72, grayscale=True).to_pil()
            page.close()
            blank = scanned.new_page(width, height)
            obj = pdfium.PdfImage.new(scanned)
            obj.set_bitmap(pdfium.PdfBitmap.from_pil(image))
            obj.set_matrix(pdfium.PdfMatrix().scale(width, height))
            blank.insert_obj(obj)
            blank.gen_content()
            blank.close()
        scanned.save(str(CACHE / "scanned" / name))
    with open(CACHE / "questions.jsonl", "w", encoding="utf-8") as fh:
        for q in qs:
            strings = {"any": q["any"]} if "any" in q else {"all": q["all"]}
            fh.write(json.dumps({"id": q["id"], "question": q["question"], **strings, "source": q["manual"],
                                 "page": renumber[(q["manual"], q["page"])]}) + "\n")
    print(f"{total} pages of {len(pages)} manuals, {len(qs)} questions, in {CACHE}")


# -- engines ------------------------------------------------------------------------------------------------

WORD = re.compile(r"[a-z0-9]+")


def accuracy(truth: str, ocr: str) -> tuple[float, float]:
    """(word recall, character similarity without spaces)."""
    want = collections.Counter(WORD.findall(truth.lower()))
    got = collections.Counter(WORD.findall(ocr.lower()))
    recall = sum((want & got).values()) / max(1, sum(want.values()))
    a, b = re.sub(r"\s+", "", truth.lower()), re.sub(r"\s+", "", ocr.lower())
    return recall, difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def page_images(folder: Path) -> list[tuple[str, Path, str]]:
    """(name, PNG of the scanned page as the build renders it, the text layer of the same page)."""
    import pypdfium2 as pdfium

    from index.reading.ocr import SCALE

    out = []
    for path in sorted((CACHE / "scanned").glob("*.pdf")):
        scanned = pdfium.PdfDocument(path)
        text = pdfium.PdfDocument(CACHE / "text" / path.name)
        for i in range(len(scanned)):
            png = folder / f"{path.stem}-{i + 1:03d}.png"
            scanned[i].render(scale=SCALE, grayscale=True).to_pil().save(png)
            out.append((png.stem, png, text[i].get_textpage().get_text_range()))
    return out


RAPIDOCR1 = r"""
import json, sys, time, resource
from pathlib import Path
from rapidocr_onnxruntime import RapidOCR
t = time.perf_counter()
engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, print_verbose=False)
load = time.perf_counter() - t
for png in sys.argv[1:]:
    t = time.perf_counter()
    result, _ = engine(png)
    text = "\n".join(str(r[1]) for r in result or [] if float(r[2]) >= 0.5)
    print(json.dumps({"page": Path(png).stem, "text": text, "seconds": time.perf_counter() - t}))
print(json.dumps({"load": load, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

EXTRA = r"""
import json, sys, time, resource
from pathlib import Path
from PIL import Image
import numpy as np
t = time.perf_counter()
from index.reading.ocr import recognize, lines_of, _load_engine
_load_engine()
load = time.perf_counter() - t
for png in sys.argv[1:]:
    t = time.perf_counter()
    lines = lines_of(recognize(np.asarray(Image.open(png))))
    print(json.dumps({"page": Path(png).stem, "text": "\n".join(ln.text for ln in lines),
                      "seconds": time.perf_counter() - t}))
print(json.dumps({"load": load, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_script(python: str, script: str, pngs: list[Path]) -> tuple[dict[str, tuple[str, float]], float, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    out = subprocess.run([python, "-c", script, *map(str, pngs)], capture_output=True, text=True, env=env, check=True)
    pages, load, rss = {}, 0.0, 0.0
    for line in out.stdout.splitlines():
        rec = json.loads(line)
        if "page" in rec:
            pages[rec["page"]] = (rec["text"], rec["seconds"])
        else:
            load, rss = rec["load"], rec["rss"]
    return pages, load, rss


TESSERACT = r"""
import json, os, resource, subprocess, sys, time
from pathlib import Path
for png in sys.argv[1:]:
    t = time.perf_counter()
    out = subprocess.run(["tesseract", png, "stdout", "-l", "eng", "--dpi", "144"], capture_output=True, text=True,
                         env={**os.environ, "OMP_THREAD_LIMIT": "1"}, check=True)
    print(json.dumps({"page": Path(png).stem, "text": out.stdout, "seconds": time.perf_counter() - t}))
print(json.dumps({"load": 0.0, "rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def engines(rapidocr1: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        images = page_images(Path(tmp))
        pngs = [png for _n, png, _t in images]
        truth = {name: text for name, _png, text in images}
        runs = {"RapidOCR 3.10 (PP-OCRv6 small; the extra)": lambda: run_script(sys.executable, EXTRA, pngs)}
        if rapidocr1:
            runs["rapidocr-onnxruntime 1.4 (PP-OCRv4)"] = lambda: run_script(rapidocr1, RAPIDOCR1, pngs)
        if shutil.which("tesseract"):
            version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split()[1]
            runs[f"Tesseract {version} (eng)"] = lambda: run_script(sys.executable, TESSERACT, pngs)
        print(f"{len(pngs)} pages; one process, one thread per engine", file=sys.stderr)
        rows = []
        for name, run in runs.items():
            pages, load, rss = run()
            recall = [accuracy(truth[p], text)[0] for p, (text, _s) in pages.items()]
            chars = [accuracy(truth[p], text)[1] for p, (text, _s) in pages.items()]
            seconds = sum(s for _t, s in pages.values())
            rows.append((name, sum(recall) / len(recall), sum(chars) / len(chars), len(pages) / seconds, load, rss))
            print(f"{name}: words {rows[-1][1]:.3f}, chars {rows[-1][2]:.3f}, {rows[-1][3]:.3f} pages/s",
                  file=sys.stderr)
    print("| engine | words found | characters (spaces aside) | pages/s (1 thread) | model load | peak RSS |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, words, chars, rate, load, rss in rows:
        print(f"| {name} | {words:.3f} | {chars:.3f} | {rate:.3f} | {load:.1f} s | {rss:.0f} MB |")


# -- answers ------------------------------------------------------------------------------------------------


def tree_rss(pid: int) -> float:
    """MB resident in a process and all its descendants now."""
    total = 0
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                children[int(fields[1])].append(int(entry))
            except OSError:
                continue
    todo = [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            continue
    return total / 1e6


def timed_index(corpus: Path, idx: Path) -> tuple[float, float, str]:
    qa = str(Path(sys.executable).parent / "qa")
    t = time.perf_counter()
    proc = subprocess.Popen([qa, "index", "--rebuild", "--corpus", str(corpus), "--index", str(idx)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.05)
    _out, err = proc.communicate()
    if proc.returncode:
        sys.exit(err)
    return time.perf_counter() - t, peak, err


def batch(corpus: Path, idx: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    qa = str(Path(sys.executable).parent / "qa")
    lines = [json.loads(line) for line in (CACHE / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    feed = "".join(json.dumps({"id": q["id"], "question": q["question"]}) + "\n" for q in lines)
    out = subprocess.run([qa, "batch", "--corpus", str(corpus), "--index", str(idx)], input=feed,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    (CACHE / f"answers-{corpus.name}.jsonl").write_text(out.stdout, encoding="utf-8")
    return {str(r["id"]): r for r in map(json.loads, out.stdout.splitlines())}


def stored_text(corpus: Path, idx: Path, source: str) -> str:
    qa = str(Path(sys.executable).parent / "qa")
    return subprocess.run([qa, "text", source, "--corpus", str(corpus), "--index", str(idx)], capture_output=True,
                          text=True, check=True, env={**os.environ, "PYTHONPATH": str(REPO)}).stdout


def right(q: dict, r: dict) -> bool:  # type: ignore[type-arg]
    norm = lambda s: re.sub(r"\s+", " ", s or "").lower()  # noqa: E731 - as docs-eval's score.py has it
    cites = r.get("citations") or []
    holds = (any if "any" in q else all)(norm(g) in norm(r.get("answer")) for g in q.get("any", q.get("all")))
    return not r.get("abstained") and holds and bool(cites) and cites[0]["source"] == q["source"]


def answers() -> None:
    qs = [json.loads(line) for line in (CACHE / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    results = {}
    texts: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("text", "scanned"):
            seconds, rss, err = timed_index(CACHE / kind, Path(tmp) / kind)
            got = batch(CACHE / kind, Path(tmp) / kind)
            results[kind] = (seconds, rss, got)
            texts[kind] = {pdf.name: stored_text(CACHE / kind, Path(tmp) / kind, pdf.name)
                           for pdf in sorted((CACHE / kind).glob("*.pdf"))}
            print(f"{kind}: qa index {seconds:.1f} s, peak RSS {rss:.0f} MB", file=sys.stderr)
            print(err.strip().splitlines()[-2] if err.strip() else "", file=sys.stderr)
    text, scanned = results["text"][2], results["scanned"][2]
    text_right = [q for q in qs if right(q, text.get(q["id"], {}))]
    both = [q for q in text_right if right(q, scanned.get(q["id"], {}))]
    same_page = [q for q in both if scanned[q["id"]]["citations"][0]["page"] == text[q["id"]]["citations"][0]["page"]]
    gold = lambda got: sum(1 for q in qs if right(q, got.get(q["id"], {}))  # noqa: E731
                           and got[q["id"]]["citations"][0]["page"] == q["page"])
    pages = sum(1 for _ in (CACHE / "scanned").glob("*.pdf")) and len({(q["source"], q["page"]) for q in qs})
    print("| corpus | answered | first citation on the gold page | qa index | peak RSS |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind in ("text", "scanned"):
        seconds, rss, got = results[kind]
        n = sum(1 for q in qs if right(q, got.get(q["id"], {})))
        print(f"| {kind} | {n}/{len(qs)} | {gold(got)}/{len(qs)} | {seconds:.1f} s | {rss:.0f} MB |")
    share = len(same_page) / max(1, len(text_right))
    print(f"\nscanned answers {len(both)} of the {len(text_right)} the text version answers, {len(same_page)} citing "
          f"the same page: {share:.1%} (target >= 85%)")
    scan_seconds = results["scanned"][0] - results["text"][0]
    print(f"OCR: {pages} pages in {results['scanned'][0]:.1f} s of build ({scan_seconds:.1f} s more than the text "
          f"version): {pages / max(1e-9, scan_seconds):.3f} pages/s with {os.cpu_count()} workers")
    words = [accuracy(texts["text"][name], texts["scanned"][name]) for name in texts["text"]]
    print(f"stored OCR text against the text layer's (whole documents, as indexed): words found "
          f"{sum(w for w, _c in words) / len(words):.3f}, characters (spaces aside) "
          f"{sum(c for _w, c in words) / len(words):.3f}")
    missed = [q["id"] for q in text_right if q not in same_page]
    print(f"answered from the text only (or on another page): {', '.join(missed) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("setup", "engines", "answers"))
    parser.add_argument("--rapidocr1", metavar="PYTHON", help="a Python with rapidocr-onnxruntime 1.4 installed")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    if args.step == "setup":
        setup()
    elif args.step == "engines":
        engines(args.rapidocr1)
    else:
        answers()


if __name__ == "__main__":
    main()
