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
import json
import os
import shutil
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import IndexStateError, IndexWriteError, UsageError
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
from index.storage.base import Manifest, file_write_lock, not_a_folder
from index.storage.local.checksums import REBUILD_HINT
from index.storage.local.reader import Snapshot
from index.storage.local.writer import GenerationWriter

if TYPE_CHECKING:

    from index.embedding import Embedder
    from index.storage.base import IndexReader



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


class IndexDir:
    """An index folder: finds the live generation, opens it for reading, and hands out the write lock."""

    def __init__(self, path: Path, corpus: Path | None = None) -> None:
        self.path = path
        self.location = str(path)
        self.rebuild_hint = REBUILD_HINT
        self.corpus = corpus
        """The corpus indexed here, if known: the one non-empty folder that is not an index yet corpus-qa may
        keep an index in (`--index` equal to `--corpus`)."""

    def writer(self, previous: IndexReader | None, dim: int, exact_limit: int) -> GenerationWriter:
        """A writer for the next generation (caller holds the write lock); `previous` is this folder's
        own snapshot, whose kept documents are copied."""
        if previous is not None and not isinstance(previous, Snapshot):
            raise TypeError("a local index copies kept documents only from a local snapshot")
        return GenerationWriter(self.new_generation(), self.commit, previous, dim, exact_limit)

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

    def close(self) -> None:
        """Nothing to let go of: a folder holds no connection."""

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

    def private_file(self, name: str) -> Path:
        self.claim()
        return self.path / name

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
