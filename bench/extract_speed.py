"""Text extraction from PDF and HTML: the candidate libraries side by side, all in one run.

    python bench/extract_speed.py [--runs 3] [--pdf PATH ...] [--big PATH] [--html DIR]

1. PDF throughput (pages/s) of pypdfium2, pypdf and pdfminer.six on the same PDFs, by default four R manuals
   (Debian package r-doc-pdf). Each library runs in a fresh process, `--runs` times, in rotating order; the
   table shows the median time. Peak RSS is the process's VmHWM after extraction, reset after the imports
   (/proc/self/clear_refs), so "growth" is what extracting cost over the loaded library. Quality marks are
   counted on the raw text, nothing repaired: pages with a word split over a line end by a plain hyphen
   ("exam-⏎ple", which a reader cannot tell from a real hyphen at a line end), pages with a soft-hyphen mark
   (U+00AD, U+FFFE or U+0002: the halves are joined and the mark only has to be dropped), pages with a
   ligature character (U+FB00..U+FB06), and how many times a short list of common words occurs as a whole
   word (a word broken by a hyphen, a mark or a ligature is not found).
2. Peak RSS while pypdfium2 reads a large PDF (refman.pdf, 2,415 pages) page by page, closing each page and
   text page.
3. HTML throughput (files/s, MB/s) of selectolax (lexbor: parse, drop script/style/nav, text of <body>) and
   trafilatura (`extract` with its defaults: main content only), over the Python docs (python3.11-doc), with
   the length of what each keeps (whitespace collapsed). Files are read before the clock starts. Sphinx marks
   its navigation bars as <div role="navigation">, not <nav>, so selectolax as measured here keeps them (the
   loader, index/reading/formats/html.py, drops them); the sample lines show where each text starts and ends.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

R_MANUALS = Path("/usr/share/R/doc/manual")
DEFAULT_PDFS = [R_MANUALS / f"{name}.pdf" for name in ("R-intro", "R-data", "R-admin", "R-lang")]
DEFAULT_BIG = R_MANUALS / "refman.pdf"
DEFAULT_HTML = Path("/usr/share/doc/python3.11/html")
HTML_SAMPLE = "tutorial/introduction.html"

HYPHEN_SPLIT = re.compile(r"[A-Za-z]-[ \t]*\r?\n[ \t]*[a-z]")
SOFT_HYPHEN = re.compile("[\u00ad\ufffe\u0002]")
LIGATURE = re.compile("[\ufb00-\ufb06]")
REFERENCE_WORDS = ("file", "files", "first", "different", "default", "define", "defined", "function", "functions",
                   "package", "packages", "specified", "information", "environment", "argument", "arguments")
REFERENCE = re.compile(r"\b(?:" + "|".join(REFERENCE_WORDS) + r")\b", re.I)


# --- the extractors: one page (PDF) or one file (HTML) of text at a time ---------------------------------------

def pdfium_pages(path: str) -> Iterator[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            yield textpage.get_text_range()
            textpage.close()
            page.close()
    finally:
        pdf.close()


def pypdf_pages(path: str) -> Iterator[str]:
    from pypdf import PdfReader

    for page in PdfReader(path).pages:
        yield page.extract_text()


def pdfminer_pages(path: str) -> Iterator[str]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    for page in extract_pages(path):
        yield "".join(element.get_text() for element in page if isinstance(element, LTTextContainer))


def selectolax_text(html: str) -> str:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    tree.strip_tags(["script", "style", "nav"])
    return tree.body.text(separator=" ") if tree.body is not None else ""


def trafilatura_text(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


PDF_LIBS = {"pypdfium2": pdfium_pages, "pypdf": pypdf_pages, "pdfminer.six": pdfminer_pages}
HTML_LIBS = {"selectolax": selectolax_text, "trafilatura": trafilatura_text}
MODULES = {"pypdfium2": "pypdfium2", "pypdf": "pypdf", "pdfminer.six": "pdfminer.high_level",
           "selectolax": "selectolax.lexbor", "trafilatura": "trafilatura"}


# --- worker side: runs in a fresh process, prints one JSON line ------------------------------------------------

def _status_kb(field: str) -> int:
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak() -> int:
    """Reset VmHWM to the current RSS (Linux >= 4.0); returns that RSS in kB."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass  # then the peak may include the imports
    return _status_kb("VmRSS")


def _memory(base_kb: int) -> dict[str, float]:
    peak = _status_kb("VmHWM")
    return {"peak_mb": peak / 1024, "growth_mb": (peak - base_kb) / 1024}


def pdf_worker(lib: str, paths: list[str]) -> dict:
    extract = PDF_LIBS[lib]
    base = _reset_peak()
    seconds, pages, chars, split, marked, ligature, words = 0.0, 0, 0, 0, 0, 0, 0
    for path in paths:
        texts = extract(path)
        while True:
            start = time.perf_counter()
            text = next(texts, None)
            seconds += time.perf_counter() - start
            if text is None:
                break
            pages += 1
            chars += len(text)
            split += bool(HYPHEN_SPLIT.search(text))
            marked += bool(SOFT_HYPHEN.search(text))
            ligature += bool(LIGATURE.search(text))
            words += len(REFERENCE.findall(text))
    return {"pages": pages, "seconds": seconds, "chars": chars, "split": split, "marked": marked,
            "ligature": ligature, "words": words, **_memory(base)}


def html_worker(lib: str, root: str) -> dict:
    files = sorted(Path(root).rglob("*.html"))
    docs = [(str(f.relative_to(root)), f.read_bytes()) for f in files]
    html = [(name, data.decode("utf-8", errors="replace")) for name, data in docs]
    extract = HTML_LIBS[lib]
    base = _reset_peak()
    seconds, chars, empty, sample = 0.0, 0, 0, ""
    for name, doc in html:
        start = time.perf_counter()
        text = extract(doc)
        seconds += time.perf_counter() - start
        text = " ".join(text.split())
        chars += len(text)
        empty += not text
        if name == HTML_SAMPLE:
            sample = text
    return {"files": len(docs), "bytes": sum(len(data) for _, data in docs), "seconds": seconds, "chars": chars,
            "empty": empty, "sample": sample, **_memory(base)}


def worker(kind: str, lib: str, paths: list[str]) -> None:
    """Imports the library (outside the clock and before the peak is reset), then extracts."""
    try:
        importlib.import_module(MODULES[lib])
    except Exception as exc:  # not installed, or a missing dependency of its own
        print(json.dumps({"skipped": f"{type(exc).__name__}: {exc}".splitlines()[0]}))
        return
    result = pdf_worker(lib, paths) if kind == "pdf" else html_worker(lib, paths[0])
    print(json.dumps(result))


# --- parent side ---------------------------------------------------------------------------------------------

def spawn(kind: str, lib: str, paths: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", kind, lib, *paths], capture_output=True, text=True)
    if out.returncode:
        return {"skipped": "failed: " + (out.stderr.strip().splitlines() or ["no message"])[-1]}
    return json.loads(out.stdout.splitlines()[-1])


def interleaved(kind: str, libs: list[str], paths: list[str], runs: int) -> dict[str, list[dict]]:
    """Every library `runs` times in fresh processes, the order rotated each round."""
    results: dict[str, list[dict]] = {lib: [] for lib in libs}
    for r in range(runs):
        for lib in libs[r % len(libs):] + libs[:r % len(libs)]:
            if results[lib] and "skipped" in results[lib][0]:
                continue
            results[lib].append(spawn(kind, lib, paths))
    return results


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def summary(runs: list[dict]) -> dict:
    """Median time over the runs, largest peak; the counts are the same in every run. Failed runs are left out
    (none is expected once the first run has worked)."""
    runs = [r for r in runs if "skipped" not in r]
    return {**runs[0], "seconds": statistics.median(r["seconds"] for r in runs),
            "peak_mb": max(r["peak_mb"] for r in runs), "growth_mb": max(r["growth_mb"] for r in runs)}


def missing(paths: list[Path], package: str | None) -> bool:
    """Says what is missing (with the Debian package that ships the default files) and returns whether any is."""
    absent = [p for p in paths if not p.exists()]
    if absent:
        print(f"  skipped: {absent[0]} is missing" + (f"; apt-get install {package}" if package else ""))
    return bool(absent)


def pdf_section(paths: list[Path], runs: int, default: bool) -> None:
    print(f"\n1. PDF text extraction: {', '.join(p.name for p in paths)} (median of {runs} runs, fresh processes)")
    if missing(paths, "r-doc-pdf" if default else None):
        return
    results = interleaved("pdf", list(PDF_LIBS), [str(p) for p in paths], runs)
    print(f"  {'library':<12} {'pages':>5} {'s':>7} {'pages/s':>8} {'peak MB':>8} {'growth':>7} {'chars':>9} "
          f"{'hyph-split':>10} {'soft-mark':>9} {'ligature':>8} {'ref words':>9}")
    for lib, done in results.items():
        if "skipped" in done[0]:
            print(f"  {lib:<12} skipped: {done[0]['skipped']}")
            continue
        s = summary(done)
        n = s["pages"]
        print(f"  {lib:<12} {n:>5} {s['seconds']:>7.2f} {n / s['seconds']:>8.1f} {s['peak_mb']:>8.0f} "
              f"{s['growth_mb']:>7.0f} {s['chars']:>9,} {s['split'] / n:>10.1%} {s['marked'] / n:>9.1%} "
              f"{s['ligature'] / n:>8.1%} {s['words']:>9,}")
    print(f"  hyph-split / soft-mark / ligature: share of pages; ref words: whole-word hits of "
          f"{len(REFERENCE_WORDS)} common words")


def big_section(path: Path, default: bool) -> None:
    print(f"\n2. pypdfium2 page by page, each page and text page closed: {path}")
    if missing([path], "r-doc-pdf" if default else None):
        return
    s = spawn("pdf", "pypdfium2", [str(path)])
    if "skipped" in s:
        print(f"  skipped: {s['skipped']}")
        return
    print(f"  {s['pages']:,} pages in {s['seconds']:.2f} s ({s['pages'] / s['seconds']:.0f} pages/s), "
          f"VmHWM {s['peak_mb']:.0f} MB ({s['growth_mb']:.0f} MB over the loaded library)")


def html_section(root: Path, runs: int, default: bool) -> None:
    print(f"\n3. HTML text extraction: {root} (median of {runs} runs, fresh processes)")
    if missing([root], "python3.11-doc" if default else None):
        return
    results = interleaved("html", list(HTML_LIBS), [str(root)], runs)
    print(f"  {'library':<12} {'files':>5} {'MB':>6} {'s':>7} {'files/s':>8} {'MB/s':>6} {'peak MB':>8} "
          f"{'growth':>7} {'text chars':>11} {'empty':>5}")
    samples = {}
    for lib, done in results.items():
        if "skipped" in done[0]:
            print(f"  {lib:<12} skipped: {done[0]['skipped']}")
            continue
        s = summary(done)
        mb = s["bytes"] / 1e6
        print(f"  {lib:<12} {s['files']:>5} {mb:>6.1f} {s['seconds']:>7.2f} {s['files'] / s['seconds']:>8.1f} "
              f"{mb / s['seconds']:>6.1f} {s['peak_mb']:>8.0f} {s['growth_mb']:>7.0f} {s['chars']:>11,} "
              f"{s['empty']:>5}")
        samples[lib] = s["sample"]
    for lib, text in samples.items():
        if text:
            print(f"  {HTML_SAMPLE}, {lib}: {len(text):,} chars: {text[:60]!r} ... {text[-40:]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pdf", nargs="+", type=Path, help="PDFs to compare [default: four R manuals].")
    parser.add_argument("--big", type=Path, default=DEFAULT_BIG, help=f"Large PDF [default: {DEFAULT_BIG}].")
    parser.add_argument("--html", type=Path, default=DEFAULT_HTML, help=f"HTML folder [default: {DEFAULT_HTML}].")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, lib, *paths = args.worker
        worker(kind, lib, paths)
        return
    start = time.perf_counter()
    libs = ", ".join(f"{dist} {version(dist)}" for dist in [*PDF_LIBS, *HTML_LIBS])
    print(f"Python {platform.python_version()}, {libs}")
    pdf_section(args.pdf or DEFAULT_PDFS, args.runs, default=args.pdf is None)
    big_section(args.big, default=args.big == DEFAULT_BIG)
    html_section(args.html, args.runs, default=args.html == DEFAULT_HTML)
    print(f"\nwall time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
