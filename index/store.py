"""The index folder on disk: immutable generations, an atomic pointer, a writer lock.

Layout of an index folder::

    lock                 writers hold an exclusive flock on it; readers never touch it
    CURRENT              name of the live generation; replaced atomically (write, fsync, rename)
    gen-<stamp>/         one complete index: manifest.json (written last), meta.sqlite,
                         chunks.npy, search.json, chunks.faiss (large
                         corpora only), sentences.npy, bm25/
    tmp-<stamp>/         a build in progress; removed by the next writer if the build died
    .corpus-qa-index     the mark of a folder corpus-qa writes in (index/paths.py); each build folder has its own

corpus-qa deletes only what it wrote: a folder that is neither new, empty, an index nor the corpus itself is
refused before anything is written, and of a marked folder only build folders that carry their own mark (or
a generation's manifest) and the CURRENT swap's temporary files are removed, never a look-alike name.

A build writes a whole new generation and then swaps CURRENT, so a process killed at any moment leaves
either the old index or the new one. Readers resolve CURRENT once and then only read that generation,
so a writer never blocks them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sqlite3
import stat
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from index.errors import IndexBusyError, IndexOutdated, IndexStateError, IndexWriteError, UsageError
from index.keyword_index import KeywordIndex
from index.paths import (
    BUILD_MARKER,
    MARKER,
    PRIVATE_DIR,
    PRIVATE_FILE,
    is_build_name,
    is_pointer_name,
    make_private,
    private_dir,
    write_marker,
)
from index.storage import ChunkRow, KeptDocument, check_text, not_a_folder
from index.types import Document, DocumentInfo, Page, Section, Span, Unit
from index.vectors import VectorStore

if TYPE_CHECKING:
    import numpy as np

    from index.embedding import Embedder
    from index.filters import Where
    from index.generation import GenerationWriter
    from index.loaders import Skipped
    from index.storage import IndexReader

FORMAT_VERSION = 7
"""7: structural units (definitions, code blocks, table rows) and the names vocabulary; 6: title keys, chunk
table and vector checksums; 5: pages and sections of PDF/HTML/DOCX/EPUB."""
CHECKSUM_BLOCK = 1 << 20
KEYWORD_FILES = ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy", "term_max.npy",
                 "vocab.index.json", "params.index.json")
CHECKSUMMED = ("chunks.npy", "sentences.npy", "chunk_table.npy", *(f"bm25/{name}" for name in KEYWORD_FILES))
"""Files whose damage would change answers silently (a flipped byte in a vector or a BM25 score, a NaN that
turns into a different ranking); the rest fail loudly when damaged. The document text is checked against
its SHA-256 instead."""
REBUILD_HINT = "Run `qa index --rebuild` to build it again."

SCHEMA = """
CREATE TABLE documents (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL UNIQUE, title TEXT NOT NULL, date TEXT, place TEXT,
    sha256 TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
    body_start INTEGER NOT NULL, text TEXT NOT NULL, format TEXT NOT NULL
);
CREATE TABLE pages (
    doc_id INTEGER NOT NULL, number INTEGER NOT NULL, label TEXT, start INTEGER NOT NULL, end INTEGER NOT NULL,
    PRIMARY KEY (doc_id, number)
);
CREATE TABLE sections (
    doc_id INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, level INTEGER NOT NULL,
    title TEXT NOT NULL
);
CREATE TABLE units (
    doc_id INTEGER NOT NULL, idx INTEGER NOT NULL, kind TEXT NOT NULL, start INTEGER NOT NULL,
    end INTEGER NOT NULL, parent INTEGER NOT NULL, PRIMARY KEY (doc_id, idx)
);
CREATE TABLE names (key TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE sentences (
    id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    n_tokens INTEGER NOT NULL, first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL
);
CREATE TABLE skipped (
    source TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX sentences_doc ON sentences(doc_id);
CREATE TABLE title_keys (key TEXT NOT NULL, doc_id INTEGER NOT NULL, whole INTEGER NOT NULL);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE INDEX title_keys_key ON title_keys(key);
CREATE INDEX sections_doc ON sections(doc_id);
"""
TABLES = frozenset({"documents", "sentences", "chunks", "skipped", "pages", "sections", "title_keys", "units",
                    "names"})



@dataclass(frozen=True)
class Manifest:
    """What an index was built with; an index is only used by the same model, format and chunking."""

    format_version: int
    """Layout version of the index folder."""
    model_id: str
    """Embedding model name."""
    weights_hash: str
    """Hash of the model weights."""
    dim: int
    """Vector length."""
    max_tokens: int
    """Chunk size limit, in model tokens."""
    overlap_tokens: int
    """Overlap between neighbouring chunks, in model tokens."""
    title_context: bool
    """Whether chunks were embedded with their document title in front."""
    vector_index: str
    """`flat` (exact) or `ivf-sq8` (approximate, re-scored exactly); see index/vectors.py."""
    corpus: str
    """Absolute path of the corpus folder the index was built from."""
    documents: int
    """Number of documents."""
    chunks: int
    """Number of chunks (= rows of chunks.npy)."""
    sentences: int
    """Number of sentences."""
    created: float
    """Unix time of the build."""
    checksums: dict[str, list[int]] = field(default_factory=dict)
    """File name -> CRC-32 of each 1 MiB block of its data, checked on open (a sample of blocks)."""

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("format_version") != FORMAT_VERSION:
            raise FormatMismatch(data.get("format_version"))
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


class FormatMismatch(Exception):
    """The manifest was written by another index format version."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as fh:
                os.fsync(fh.fileno())
        _fsync_dir(Path(dirpath))


@contextlib.contextmanager
def file_write_lock(path: Path, location: str, wait: bool = False) -> Iterator[None]:
    """One writer at a time, across processes: an exclusive flock on `path` (created 0600), which names the
    holding process for the next writer's "busy" message. Raises `IndexBusyError` if another process holds
    it (unless `wait`), `IndexWriteError` if the lock file cannot be created. Used by every store that
    keeps a lock file (the local folder, Milvus Lite)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    except OSError as exc:
        raise IndexWriteError(f"Cannot write the index at {location} ({exc.strerror}).") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise IndexBusyError(
                f"The index at {location} is being updated by {holder}. Wait for it to finish, then try again."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"process {os.getpid()}".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


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


class IndexDir:
    """An index folder: finds the live generation, opens it for reading, and hands out the write lock."""

    def __init__(self, path: Path, corpus: Path | None = None) -> None:
        self.path = path
        self.location = str(path)
        self.corpus = corpus
        """The corpus indexed here, if known: the one non-empty folder that is not an index yet corpus-qa may
        keep an index in (`--index` equal to `--corpus`)."""

    def writer(self, previous: IndexReader | None, dim: int, exact_limit: int) -> GenerationWriter:
        """A writer for the next generation (caller holds the write lock); `previous` is this folder's
        own snapshot, whose kept documents are copied."""
        from index.generation import GenerationWriter

        if previous is not None and not isinstance(previous, Snapshot):
            raise TypeError("a local index copies kept documents only from a local snapshot")
        return GenerationWriter(self, previous, dim, exact_limit)

    @property
    def _current_file(self) -> Path:
        return self.path / "CURRENT"

    def current_generation(self) -> Path | None:
        """The live generation folder, or None when no index was ever completed here."""
        try:
            name = self._current_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            raise not_a_folder(self.path) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexStateError(f"The index at {self.path} is damaged (CURRENT: {exc}). {REBUILD_HINT}") from exc
        if not name.startswith("gen-") or "/" in name:
            raise IndexStateError(f"The index at {self.path} is damaged (CURRENT is garbled). {REBUILD_HINT}")
        return self.path / name

    def exists(self) -> bool:
        return self.current_generation() is not None

    def open(self, embedder: Embedder | None = None) -> Snapshot:
        """Open the live generation for reading; checks that it was built by `embedder`'s model."""
        for attempt in range(3):
            gen = self.current_generation()
            if gen is None:
                raise IndexStateError(f"There is no index at {self.path} yet. Run `qa index` to build it.")
            try:
                return Snapshot.open(gen, embedder)
            except FileNotFoundError:
                # A writer swapped generations and removed this one between our two reads: look again.
                if attempt == 2:
                    raise IndexStateError(
                        f"The index at {self.path} is damaged ({gen.name} is missing). {REBUILD_HINT}"
                    ) from None
        raise AssertionError("unreachable")

    @contextlib.contextmanager
    def write_lock(self, wait: bool = False) -> Iterator[None]:
        """Hold the writer lock; raise `IndexBusyError` if another process holds it (unless `wait`). The folder
        is claimed first (`claim`): nothing, not even the lock file, is written in a folder that is not ours."""
        self.claim()
        with file_write_lock(self.path / "lock", str(self.path), wait):
            yield

    def claim(self) -> None:
        """Make sure this folder is one corpus-qa may write in, and mark it: a new folder (created 0700), an
        empty one, one already marked, an index written before marks existed, or the corpus folder itself.
        Anything else (`--index ~`, a folder of someone's files) is a UsageError, before anything is written:
        a build removes its own leftovers from the folder it writes in, and must never take a user's
        `tmp-photos/` for one."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise IndexWriteError(f"Cannot write the index at {self.path} ({exc.strerror}).") from None
        if st is not None and not stat.S_ISDIR(st.st_mode):
            raise not_a_folder(self.path)
        try:
            if st is None:
                private_dir(self.path)
            elif not (self.path / MARKER).is_file() and not self._earlier_index() and not self._is_corpus():
                with os.scandir(self.path) as entries:
                    if next(entries, None) is not None:
                        raise UsageError(
                            f"{self.path} is a folder that is not a corpus-qa index and is not empty: corpus-qa "
                            "will not write (or delete) anything there. Give a new or empty folder for the index "
                            "(--index DIR).")
            write_marker(self.path)
        except OSError as exc:
            raise IndexWriteError(f"Cannot write the index at {self.path} ({exc.strerror}).") from None

    def _earlier_index(self) -> bool:
        """An index written before folders were marked: CURRENT names a generation with a manifest of ours."""
        try:
            gen = self.current_generation()
            data = json.loads((gen / "manifest.json").read_text(encoding="utf-8")) if gen else None
        except (IndexStateError, OSError, ValueError):
            return False
        return isinstance(data, dict) and {"format_version", "model_id", "corpus"} <= data.keys()

    def _is_corpus(self) -> bool:
        return self.corpus is not None and os.path.realpath(self.corpus) == os.path.realpath(self.path)

    def new_generation(self) -> Path:
        """A fresh temporary folder to build into, marked as ours (caller must hold the write lock)."""
        self._remove_leftovers(generations=False)  # builds that died half-way
        tmp = self.path / f"tmp-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(PRIVATE_DIR)
        write_marker(tmp, BUILD_MARKER)
        return tmp

    def _remove_leftovers(self, generations: bool, live: str | None = None) -> None:
        """Remove the build folders (and, with `generations`, every generation but `live`) and the CURRENT
        swap's temporary files this index wrote. Only what carries its mark: a folder named like a build
        (`tmp-20240101120000-1a2b3c4d`, never `tmp-photos`) that holds the build mark or a generation's
        manifest, or is empty; symbolic links are never followed nor removed."""
        try:
            entries = list(os.scandir(self.path))
        except OSError:
            return
        for entry in entries:
            if is_pointer_name(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                continue
            if not is_build_name(entry.name) or not entry.is_dir(follow_symlinks=False) or entry.name == live:
                continue
            if entry.name.startswith("gen-") and not generations:
                continue
            folder = Path(entry.path)
            if (folder / BUILD_MARKER).is_file() or (folder / "manifest.json").is_file():
                shutil.rmtree(folder, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    folder.rmdir()  # an empty one only (a build killed before it marked its folder)

    def commit(self, tmp: Path, manifest: Manifest) -> Path:
        """Publish a finished build: manifest last, private modes, fsync, rename, swap CURRENT atomically,
        then remove every other generation."""
        (tmp / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        make_private(tmp)
        _fsync_tree(tmp)
        final = self.path / ("gen-" + tmp.name.removeprefix("tmp-"))
        os.rename(tmp, final)
        _fsync_dir(self.path)
        pointer = self.path / f"CURRENT.{uuid.uuid4().hex[:8]}.tmp"
        fd = os.open(pointer, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(final.name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(pointer, self._current_file)
        _fsync_dir(self.path)
        self.prune()
        return final

    def prune(self) -> None:
        """Remove every generation but the one CURRENT names (and leftovers of interrupted writes).

        What CURRENT names decides, not folder names: after a kill between a generation's rename and the
        CURRENT swap, the orphan is the newest folder and the live one is not. The previous generation goes
        at once, so a deleted document's text does not outlive the update that dropped it: readers that
        have it open keep reading (POSIX keeps unlinked open files), and one that resolved CURRENT just
        before the swap finds its folder gone and looks again (IndexDir.open)."""
        live = self.current_generation()
        self._remove_leftovers(generations=True, live=live.name if live is not None else None)


class Snapshot:
    """One generation of a local index opened for reading (the local `IndexReader`). Never writes."""

    def __init__(self, gen: Path, manifest: Manifest, conn: sqlite3.Connection) -> None:
        self.gen = gen
        self.location = str(gen.parent)
        self.manifest = manifest
        self.conn = conn
        self._documents: dict[int, Document] = {}
        self._filter_cache: dict[object, object] = {}
        self.term_cache: dict[int, frozenset[str]] = {}
        """Sentence id -> keyword terms, filled as answers are composed."""
        self.checks = {name: BlockCheck(gen / name, sums, str(gen.parent)) for name, sums in manifest.checksums.items()}
        """File -> its lazy checksum verification (BlockCheck)."""

    @classmethod
    def open(cls, gen: Path, embedder: Embedder | None) -> Snapshot:
        try:
            return cls._open(gen, embedder)
        except IndexStateError:
            if not gen.exists():
                raise FileNotFoundError(gen) from None  # pruned while we opened it: IndexDir.open looks again
            raise

    @classmethod
    def _open(cls, gen: Path, embedder: Embedder | None) -> Snapshot:
        hint = f"The index at {gen.parent}"
        try:
            manifest = Manifest.from_json((gen / "manifest.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            if not gen.exists():
                raise
            raise IndexStateError(f"{hint} is incomplete (no manifest). {REBUILD_HINT}") from None
        except FormatMismatch as exc:
            reason = (f"{hint} was written in format {exc.args[0]}; this corpus-qa reads format "
                      f"{FORMAT_VERSION}.")
            raise IndexOutdated(f"{reason} {REBUILD_HINT}", reason) from None
        except (ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
            raise IndexStateError(f"{hint} is damaged (manifest unreadable: {exc}). {REBUILD_HINT}") from None
        if set(CHECKSUMMED) - manifest.checksums.keys():
            reason = f"{hint} was written before its keyword index had checksums."
            raise IndexOutdated(f"{reason} {REBUILD_HINT}", reason)
        if embedder is not None and (
            manifest.model_id != embedder.model_id
            or manifest.weights_hash != embedder.weights_hash
            or manifest.dim != embedder.dim
        ):
            reason = (f"{hint} was built with the model {manifest.model_id} ({manifest.weights_hash}), not the "
                      f"one in use now, {embedder.model_id} ({embedder.weights_hash}).")
            raise IndexOutdated(f"{reason} {REBUILD_HINT}", reason)
        db = gen / "meta.sqlite"
        if not db.is_file():
            raise IndexStateError(f"{hint} is damaged (meta.sqlite is missing). {REBUILD_HINT}")
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables != TABLES:
                raise sqlite3.DatabaseError(f"tables {', '.join(sorted(TABLES ^ tables))} missing or foreign")
            n_chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
            n_sentences = conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise IndexStateError(f"{hint} is damaged (database: {exc}). {REBUILD_HINT}") from None
        if (n_chunks, n_sentences) != (manifest.chunks, manifest.sentences):
            raise IndexStateError(f"{hint} is damaged (database and manifest disagree). {REBUILD_HINT}")
        snap = cls(gen, manifest, conn)
        snap._check_vectors()
        snap._check_sums()
        return snap

    def _check_sums(self, samples: int = 2) -> None:
        """Compare a few random 1 MiB blocks of each checksummed file (and every block of a small one) with
        the CRC-32s the build recorded: flipped bytes or a zeroed file are found without reading it all."""
        import random
        import zlib

        for name, sums in self.manifest.checksums.items():
            path = self.gen / name
            picks = range(len(sums)) if len(sums) <= 4 else random.sample(range(len(sums)), samples) + [0]
            try:
                with path.open("rb") as fh:
                    for block in picks:
                        fh.seek(block * CHECKSUM_BLOCK)
                        if zlib.crc32(fh.read(CHECKSUM_BLOCK)) != sums[block]:
                            raise IndexStateError(f"The index at {self.gen.parent} is damaged ({name} does not "
                                                  f"match its checksum). {REBUILD_HINT}")
            except OSError as exc:
                raise IndexStateError(f"The index at {self.gen.parent} is damaged ({name}: {exc.strerror}). "
                                      f"{REBUILD_HINT}") from None

    def _check_vectors(self) -> None:
        hint = f"The index at {self.gen.parent} is damaged"
        try:
            ntotal, dim = self.vectors.ntotal, self.vectors.dim
            sentences = self.sentence_vectors.shape
        except IndexStateError:
            raise
        except Exception as exc:  # noqa: BLE001 - faiss and numpy raise many types on a broken file
            raise IndexStateError(f"{hint} (vectors: {exc}). {REBUILD_HINT}") from None
        if sentences != (self.manifest.sentences, self.manifest.dim):
            raise IndexStateError(f"{hint} (sentences.npy has shape {sentences}). {REBUILD_HINT}")
        try:
            table = self.chunk_table.shape
        except Exception as exc:  # noqa: BLE001 - numpy raises many types on a broken file
            raise IndexStateError(f"{hint} (chunk_table.npy: {exc}). {REBUILD_HINT}") from None
        if table != (self.manifest.chunks, 3):
            raise IndexStateError(f"{hint} (chunk_table.npy has shape {table}). {REBUILD_HINT}")
        if self.keywords.num_docs != self.manifest.chunks:
            raise IndexStateError(f"{hint} (the keyword index holds {self.keywords.num_docs} chunks). {REBUILD_HINT}")
        if ntotal != self.manifest.chunks or dim != self.manifest.dim:
            raise IndexStateError(f"{hint} (chunks.npy holds {ntotal} vectors of {dim}). {REBUILD_HINT}")
        if not self.vectors.looks_complete():
            raise IndexStateError(f"{hint} (chunks.faiss is missing or cut short). {REBUILD_HINT}")
        if self.vectors.params.kind != self.manifest.vector_index:
            raise IndexStateError(f"{hint} (search.json disagrees with the manifest). {REBUILD_HINT}")

    @cached_property
    def vectors(self) -> VectorStore:
        """Chunk vectors and their search structure (faiss is imported only for a large index)."""
        return VectorStore(self.gen, self.checks.get("chunks.npy"))

    @cached_property
    def _sentence_map(self) -> np.memmap:
        import numpy as np

        return np.load(self.gen / "sentences.npy", mmap_mode="r", allow_pickle=False)

    @cached_property
    def sentence_vectors(self) -> np.ndarray:
        """One unit vector per sentence (pooled at index time from its chunk's token vectors)."""
        import numpy as np

        # A plain ndarray over the mapping: indexing an np.memmap wraps every result in a memmap (slow).
        return np.asarray(self._sentence_map)

    def _keyword_check(self, name: str, start: int, end: int) -> None:
        check = self.checks.get(f"bm25/{name}")
        if check is not None:
            check(start, end)

    @cached_property
    def keywords(self) -> KeywordIndex:
        try:
            return KeywordIndex(self.gen / "bm25", self._keyword_check)
        except IndexStateError:
            raise
        except Exception as exc:  # noqa: BLE001 - numpy/json raise many types on a broken file
            raise IndexStateError(f"The index at {self.gen.parent} is damaged (bm25: {exc}). {REBUILD_HINT}") from None

    # -- rows -------------------------------------------------------------------------------------

    def document(self, doc_id: int) -> Document:
        doc = self._documents.get(doc_id)
        if doc is None:
            self._check_source(doc_id)
            row = self.conn.execute(
                "SELECT source, text, sha256, title, date, place, body_start, format FROM documents WHERE id = ?",
                (doc_id,),
            ).fetchone()
            if row is None:
                raise IndexStateError(f"The index at {self.gen.parent} is damaged (document {doc_id}). {REBUILD_HINT}")
            check_text(row[1], row[2], row[0], str(self.gen.parent), REBUILD_HINT)
            pages = tuple(Page(n, a, b, label) for n, label, a, b in self.conn.execute(
                "SELECT number, label, start, end FROM pages WHERE doc_id = ? ORDER BY number", (doc_id,)))
            sections = tuple(Section(t, lv, a, b) for a, b, lv, t in self.conn.execute(
                "SELECT start, end, level, title FROM sections WHERE doc_id = ? ORDER BY start, level", (doc_id,)))
            units = tuple(Unit(k, a, b, p) for k, a, b, p in self.conn.execute(
                "SELECT kind, start, end, parent FROM units WHERE doc_id = ? ORDER BY idx", (doc_id,)))
            source, text, sha256, title, date, place, body_start, fmt = row
            doc = Document(source, text, sha256, title, date, place, body_start, fmt, pages, sections, units)
            self._documents[doc_id] = doc
        return doc

    def _check_source(self, doc_id: int) -> None:
        """A source must be a relative path inside the corpus: an index whose rows say `../../etc/passwd` or
        `/etc/passwd` was not written by corpus-qa (or was tampered with) and is not used."""
        row = self.conn.execute("SELECT source FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is not None:
            self._check_source_name(row[0])

    def _check_source_name(self, source: str) -> None:
        parts = PurePosixPath(source).parts
        if not parts or source.startswith(("/", "\\")) or ".." in parts or "\x00" in source or \
                (len(source) > 1 and source[1] == ":"):
            raise IndexStateError(f"The index at {self.gen.parent} is not one corpus-qa wrote: it names a document "
                                  f"outside the corpus ({source!r}). {REBUILD_HINT}")

    def document_by_source(self, source: str) -> Document | None:
        row = self.conn.execute("SELECT id FROM documents WHERE source = ?", (source,)).fetchone()
        return self.document(row[0]) if row else None

    def chunk(self, chunk_id: int) -> ChunkRow:
        row = self.conn.execute(
            "SELECT id, doc_id, start, end, first_sentence, last_sentence FROM chunks WHERE id = ?", (chunk_id,)
        ).fetchone()
        return ChunkRow(*row)

    def sentences_of(self, chunk: ChunkRow) -> list[tuple[int, Span]]:
        rows = self.conn.execute(
            "SELECT id, start, end FROM sentences WHERE id BETWEEN ? AND ? ORDER BY id",
            (chunk.first_sentence, chunk.last_sentence),
        ).fetchall()
        return [(i, Span(s, e)) for i, s, e in rows]

    def documents_titled(self, keys: list[str]) -> dict[str, list[tuple[int, bool]]]:
        """Title key -> the documents known by it (index/titles.py), each with whether the key is its whole
        title (not only the head before a parenthesis or comma), for the keys that match any."""
        found: dict[str, list[tuple[int, bool]]] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            rows = self.conn.execute(
                f"SELECT key, doc_id, whole FROM title_keys WHERE key IN ({','.join('?' * len(part))})", part)
            for key, doc_id, whole in rows:
                found.setdefault(key, []).append((doc_id, bool(whole)))
        return found

    @cached_property
    def chunk_table(self) -> np.ndarray:
        """Per chunk row: document id, first and last sentence id (memory-mapped, for the query path)."""
        import numpy as np

        table = np.load(self.gen / "chunk_table.npy", mmap_mode="r", allow_pickle=False)
        if "chunk_table.npy" in self.checks:
            self.checks["chunk_table.npy"].whole()  # small (24 bytes a chunk), and filters read all of it
        return np.asarray(table)

    def sentence_ranges(self, chunk_ids: list[int]) -> dict[int, tuple[int, int]]:
        """Chunk id -> (first, last) sentence id, inclusive."""
        rows = self.chunk_table[sorted(chunk_ids)]
        return {cid: (int(r[1]), int(r[2])) for cid, r in zip(sorted(chunk_ids), rows, strict=True)}

    def chunk_documents(self, chunk_ids: list[int]) -> dict[int, int]:
        """Chunk id -> its document id."""
        rows = self.chunk_table[sorted(chunk_ids)]
        return {cid: int(r[0]) for cid, r in zip(sorted(chunk_ids), rows, strict=True)}

    def chunks_of(self, doc_id: int, limit: int) -> list[int]:
        """The first `limit` chunk ids of a document."""
        rows = self.conn.execute("SELECT id FROM chunks WHERE doc_id = ? ORDER BY id LIMIT ?", (doc_id, limit))
        return [r[0] for r in rows]

    def sources(self) -> list[tuple[str, str]]:
        """(source, title) of every document, by source."""
        rows = self.conn.execute("SELECT source, title FROM documents ORDER BY source").fetchall()
        for source, _title in rows:
            self._check_source_name(source)
        return rows

    def catalog(self, where: Where | None = None) -> list[DocumentInfo]:
        rows = self.conn.execute(
            "SELECT d.id, d.source, d.title, d.date, d.format, length(d.text), "
            "(SELECT count(*) FROM pages p WHERE p.doc_id = d.id) FROM documents d ORDER BY d.source"
        ).fetchall()
        for row in rows:  # listing a source is serving it: refused like reading one
            self._check_source_name(row[1])
        keep = self.documents_matching(where) if where else None
        return [DocumentInfo(src, title, date, fmt, pages, chars)
                for i, src, title, date, fmt, chars, pages in rows if keep is None or i in keep]

    def indexed_files(self) -> dict[str, KeptDocument]:
        rows = self.conn.execute("SELECT source, id, sha256, size, mtime_ns, ctime_ns FROM documents")
        return {src: KeptDocument(i, sha, (size, mtime, ctime)) for src, i, sha, size, mtime, ctime in rows}

    def skipped(self) -> tuple[Skipped, ...]:
        from index.loaders import Skipped

        rows = self.conn.execute("SELECT source, reason FROM skipped ORDER BY source")
        return tuple(Skipped(s, r) for s, r in rows)

    def document_rows(self, doc_id: int) -> tuple[list[tuple[int, int, int]],
                                                  list[tuple[int, int, int, int, int, int]]]:
        sents = self.conn.execute("SELECT id, start, end FROM sentences WHERE doc_id = ? ORDER BY id",
                                  (doc_id,)).fetchall()
        chunks = self.conn.execute("SELECT id, start, end, n_tokens, first_sentence, last_sentence FROM chunks "
                                   "WHERE doc_id = ? ORDER BY id", (doc_id,)).fetchall()
        return sents, chunks

    def chunk_texts(self, limit: int) -> list[str]:
        rows = self.conn.execute("SELECT doc_id, start, end FROM chunks ORDER BY id LIMIT ?", (limit,)).fetchall()
        return [self.document(d).text[a:b] for d, a, b in rows]

    # -- vectors and search (the IndexReader protocol) ------------------------------------------------

    def chunk_vectors(self, ids: Sequence[int]) -> np.ndarray:
        return self.vectors.rows(list(ids))

    def sentence_vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        import numpy as np

        ids = list(ids)
        check = self.checks.get("sentences.npy")
        if check is not None:
            offset, width = self._sentence_map.offset, 4 * self.manifest.dim
            for i in ids:
                check(offset + int(i) * width, offset + (int(i) + 1) * width)
        rows = np.asarray(self.sentence_vectors[ids], dtype=np.float32)
        if not np.isfinite(rows).all():
            raise ValueError("sentences.npy holds values that are not numbers")
        return rows

    def dense_search(self, qvec: np.ndarray, k: int, where: Where | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.vectors.search(qvec, k, self.chunk_mask(where) if where else None)

    def dense_scores(self, ids: list[int], qvec: np.ndarray) -> np.ndarray:
        return self.vectors.scores_of(ids, qvec)

    def keyword_search(self, terms: list[str], k: int, where: Where | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.keywords.top(terms, k, self.chunk_mask(where) if where else None)

    # -- filters ----------------------------------------------------------------------------------------

    @cached_property
    def _document_fields(self) -> list[tuple[int, str, str | None, str, str]]:
        """(id, source, date, format, title) of every document, read once per snapshot for filters."""
        return self.conn.execute("SELECT id, source, date, format, title FROM documents ORDER BY id").fetchall()

    def documents_matching(self, where: Where) -> set[int]:
        """Ids of the documents a filter lets through."""
        key = ("docs", where)
        found = self._filter_cache.get(key)
        if found is None:
            found = {i for i, src, date, fmt, title in self._document_fields if where.matches(src, date, fmt, title)}
            self._remember(key, found)
        return found  # type: ignore[return-value]

    def chunk_mask(self, where: Where) -> np.ndarray:
        """A boolean mask over chunk ids: the chunks of the documents the filter lets through."""
        import numpy as np

        key = ("chunks", where)
        mask = self._filter_cache.get(key)
        if mask is None:
            allowed = np.zeros(max(1, self.manifest.documents), dtype=bool)
            allowed[list(self.documents_matching(where))] = True
            mask = allowed[np.asarray(self.chunk_table[:, 0])]
            self._remember(key, mask)
        return mask  # type: ignore[return-value]

    def _remember(self, key: object, value: object) -> None:
        if len(self._filter_cache) > 16:
            self._filter_cache.clear()
        self._filter_cache[key] = value

    def document_frequency(self, term: str) -> int:
        return self.keywords.document_frequency(term)

    def name_frequency(self, key: str) -> int:
        row = self.conn.execute("SELECT df FROM names WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def keyword_chunks(self) -> int:
        return self.keywords.num_docs

    def file_stats(self) -> dict[str, tuple[int, int, int]]:
        """source -> (size, mtime_ns, ctime_ns) of every file seen at the last build, indexed or skipped."""
        rows = self.conn.execute(
            "SELECT source, size, mtime_ns, ctime_ns FROM documents "
            "UNION ALL SELECT source, size, mtime_ns, ctime_ns FROM skipped"
        )
        return {s: (size, mtime, ctime) for s, size, mtime, ctime in rows}

    def close(self) -> None:
        self.conn.close()
        for check in self.checks.values():
            check.close()
