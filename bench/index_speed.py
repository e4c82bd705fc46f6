"""Indexing speed: our indexer vs a raw SentenceTransformer.encode of the same chunk texts, one run.

    python bench/index_speed.py [--docs 2000]
    python bench/index_speed.py --end-to-end 1000 10033 [--precisions auto bf16] [--before ../main]
    python bench/index_speed.py --folder /usr/share/R/doc/manual/{R-exts,R-lang}.pdf [--before ../main]

Both sides use the same loaded model, batch size and texts (each chunk with its title, exactly what the
indexer embeds); the model load is excluded from both. Also times a no-op re-index (nothing changed).

`--end-to-end N...`: for each corpus size, the wall time of `qa index` (a fresh process: start-up, model
load, reading, chunking, embedding chunks and sentences, writing) beside the textbook pipeline as a fresh
process too (sentence-transformers encode of whole files, then a FAISS flat index written to disk), in the
same run, alternating, with each one's peak RSS. The question encoder `qa` exports once per model (and the
int8 document encoder) is written before timing. `--precisions` times this checkout's `qa index` with each
QA_PRECISION; `--before DIR` times another checkout's too (its code on PYTHONPATH), for before/after figures
from one run. `--folder FILE...` does the same on those files (copied into a fresh corpus folder; PDFs and
text), the textbook side reading a PDF's text with PDFium page by page and cutting it into fixed windows
of 1,000 characters (200 overlapping), the usual first pipeline.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wiki_corpus import materialise  # noqa: E402
from index.build import BuildSummary, build
from index.build.builder import embedding_text  # noqa: E402
from index.embedding import MiniLMEmbedder  # noqa: E402
from index.storage.local import IndexDir  # noqa: E402

SHARED = Path("/work/main/bench/.cache/wiki-10033")
REPO = Path(__file__).resolve().parent.parent

TEXTBOOK = """
import sys
from pathlib import Path
import faiss
from index.embedding.minilm import MiniLMEmbedder
model = MiniLMEmbedder().sentence_transformer()
files = sorted(Path(sys.argv[1]).glob("*.txt"))
vectors = model.encode([f.read_text(encoding="utf-8") for f in files], batch_size=64,
                       normalize_embeddings=True, convert_to_numpy=True)
index = faiss.IndexFlatIP(vectors.shape[1])
index.add(vectors)
faiss.write_index(index, sys.argv[2])
"""


TEXTBOOK_FILES = """
import sys
from pathlib import Path
import faiss
import pypdfium2
from index.embedding.minilm import MiniLMEmbedder
model = MiniLMEmbedder().sentence_transformer()
chunks = []
for f in sorted(Path(sys.argv[1]).iterdir()):
    if f.suffix == ".pdf":
        pdf = pypdfium2.PdfDocument(f)
        text = "\\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    else:
        text = f.read_text(encoding="utf-8")
    chunks += [text[at : at + 1000] for at in range(0, max(len(text) - 200, 1), 800)]
vectors = model.encode(chunks, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
index = faiss.IndexFlatIP(vectors.shape[1])
index.add(vectors)
faiss.write_index(index, sys.argv[2])
print(len(chunks), file=sys.stderr)
"""


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command (GNU time's %M), run from / so that PYTHONPATH, not the
    current folder, says whose code runs."""
    t0 = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], check=True, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, cwd="/")
    return time.perf_counter() - t0, int(out.stderr.strip().splitlines()[-1]) / 1024


def end_to_end(sizes: list[int], before: Path | None = None, precisions: tuple[str, ...] = ("auto",),
               folder: list[Path] | None = None) -> None:
    """`qa index` (this checkout, each of `precisions`; and `before`'s code when given) and the textbook
    pipeline, one after another for each size, in one run."""
    source = SHARED if SHARED.is_dir() else materialise()
    files = sorted(source.glob("*.txt"))
    runs: dict[str, tuple[list[str], dict[str, str]]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        base = dict(os.environ, XDG_CACHE_HOME=str(tmp / "cache"), QA_EMBEDDER="minilm")
        qa = [sys.executable, "-c", "import sys; from tui.cli import main; sys.argv[0] = 'qa'; main()"]
        for p in precisions:
            runs[f"qa index ({p})"] = (qa, dict(base, PYTHONPATH=str(REPO), QA_PRECISION=p))
        if before is not None:
            old = dict(base, PYTHONPATH=str(before), XDG_CACHE_HOME=str(tmp / "cache-before"))
            old.pop("QA_PRECISION", None)
            runs[f"qa index (before: {before})"] = (qa, old)
        warm = tmp / "warm"
        warm.mkdir()
        shutil.copy(files[0], warm / files[0].name)
        for name, (cmd, env) in runs.items():  # exports the question encoder (and the int8 graph), once
            _timed([*cmd, "index", "--corpus", str(warm), "--index", str(tmp / f"warm-{len(name)}")], env)
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
        for n in sizes or [0]:
            if folder:
                corpus = tmp / "folder"
                corpus.mkdir(exist_ok=True)
                for f in folder:
                    shutil.copy(f, corpus / f.name)
            else:
                corpus = source if n >= len(files) else tmp / f"c{n}"
            if corpus != source and not folder:
                corpus.mkdir()
                for f in files[:n]:
                    shutil.copy(f, corpus / f.name)
            textbook, rss = _timed([sys.executable, "-c", TEXTBOOK_FILES if folder else TEXTBOOK, str(corpus),
                                    str(tmp / f"f{n}.faiss")], dict(base, PYTHONPATH=str(REPO)))
            what = " + ".join(f.name for f in folder) if folder else f"{min(n, len(files)):>6} documents"
            print(f"{what}: textbook {textbook:7.1f} s, peak {rss:4.0f} MB", flush=True)
            for name, (cmd, env) in runs.items():
                ours, rss = _timed([*cmd, "index", "--rebuild", "--corpus", str(corpus), "--index",
                                    str(tmp / f"i{n}-{len(name)}")], env)
                print(f"{'':>16}{name}: {ours:7.1f} s, peak {rss:4.0f} MB, textbook/qa {textbook / ours:.2f}x",
                      flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--end-to-end", type=int, nargs="+", default=None, metavar="N")
    parser.add_argument("--before", type=Path, default=None, help="a checkout whose `qa index` is timed too")
    parser.add_argument("--precisions", nargs="+", default=["auto"], help="QA_PRECISION values to time")
    parser.add_argument("--folder", type=Path, nargs="+", default=None, metavar="FILE",
                        help="time these files (a corpus of them) instead of the Wikipedia summaries")
    args = parser.parse_args()
    if args.end_to_end or args.folder:
        end_to_end(args.end_to_end or [], args.before, tuple(args.precisions), args.folder)
        return
    corpus = materialise(args.docs)
    embedder = MiniLMEmbedder()
    embedder.load()
    with tempfile.TemporaryDirectory() as tmp:
        index = IndexDir(Path(tmp) / "idx")
        t0 = time.perf_counter()
        summary = [e for e in build(corpus, index, embedder, rebuild=True) if isinstance(e, BuildSummary)][0]
        ours = time.perf_counter() - t0

        snap = index.open(embedder)
        texts = []
        for doc_id, start, end in snap.conn.execute("SELECT doc_id, start, end FROM chunks ORDER BY id"):
            doc = snap.document(doc_id)
            texts.append(embedding_text(doc.title, doc.text[start:end]))
        snap.close()
        model = embedder.sentence_transformer()
        t0 = time.perf_counter()
        model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True, convert_to_numpy=True)
        raw = time.perf_counter() - t0

        t0 = time.perf_counter()
        noop = [e for e in build(corpus, index, embedder) if isinstance(e, BuildSummary)][0]
        noop_s = time.perf_counter() - t0
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"corpus: {summary.documents} documents, {summary.chunks} chunks")
    print(f"raw SentenceTransformer.encode: {raw:8.2f} s  ({len(texts) / raw:7.1f} chunks/s)")
    print(f"qa indexer (build, incl. I/O):  {ours:8.2f} s  ({summary.chunks / ours:7.1f} chunks/s)")
    print(f"ratio ours/raw: {ours / raw:.3f}  (overhead {100 * (ours / raw - 1):+.1f}%)")
    print(f"no-op re-index: {noop_s * 1000:.1f} ms (embedded {noop.embedded}, updated {noop.updated})")


if __name__ == "__main__":
    main()
