"""Live folders: watch a corpus and keep its index up to date, headless.

`CorpusWatcher` waits for files under the corpus to be created, changed, moved or deleted (watchfiles, which
uses inotify and friends), lets a burst of changes settle, then calls `Engine.reindex` once for the whole
burst. The build is incremental (only changed files are embedded) and the engine swaps the new index in
under its readers-writer lock, so questions keep being answered from the last complete index meanwhile.
Each update is reported as a small `WatchUpdate`; anything that went wrong as a `WatchProblem`, after which
watching goes on.

It runs in the caller's thread (`run(stop_event)`: what `qa index --watch` does, so Ctrl+C stops it) or in
a background thread of its own (`start()` / `stop()`: what the chat does, and what a server can do).

Debouncing: watchfiles hands over a set of changes once no new change came for `step` (50 ms), or at most
every `debounce` (1.6 s) during a long burst. The watcher merges such sets until the corpus has been quiet
for `quiet` seconds (or `max_wait` passed since the first change), so 1,000 files written in a loop make one
update, not 1,000 and not one per 1.6 s.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.errors import IndexBusyError, QAError

if TYPE_CHECKING:
    from index.build import BuildSummary
    from qa.engine import Engine

QUIET = 0.3
"""Seconds without a new change before an update starts."""
MAX_WAIT = 5.0
"""An update starts at the latest this long after the first change of a burst, even if changes go on."""
RETRY = 1.0
"""Seconds before trying again when another process holds the index's write lock, or the corpus folder is gone."""


@dataclass(frozen=True)
class WatchUpdate:
    """One update of the index after files changed."""

    changed: int
    """Documents (re-)embedded: files that are new, or whose content changed."""
    removed: int
    """Documents dropped because their file is gone (moved out, renamed or deleted)."""
    seconds: float
    """Wall time of the update (waiting for the burst to settle not included)."""
    documents: int
    """Documents in the index now."""
    chunks: int
    """Chunks in the index now."""
    events: int
    """File-system changes merged into this update."""
    summary: BuildSummary
    """The build's own summary (skipped files, index folder...)."""

    def describe(self) -> str:
        """`2 files changed, 1 removed, 0.8 s`: what the CLI and the chat show."""
        files = "file" if self.changed == 1 else "files"
        return f"{self.changed} {files} changed, {self.removed} removed, {self.seconds:.1f} s"

    def to_dict(self) -> dict[str, object]:
        return {"changed": self.changed, "removed": self.removed, "seconds": round(self.seconds, 3),
                "documents": self.documents, "chunks": self.chunks, "events": self.events}


@dataclass(frozen=True)
class WatchProblem:
    """An update that could not be made; the watcher keeps watching."""

    message: str
    """What went wrong, for a person."""
    retrying: bool = False
    """The update will be tried again by itself (another process holds the index lock)."""
    error: BaseException | None = None
    """The exception, when there was one."""


class CorpusWatcher:
    """Watches `engine`'s corpus and re-indexes it, debounced. Reports through optional callbacks, called
    from the watching thread: `on_update(WatchUpdate)` after an update that wrote a new index,
    `on_problem(WatchProblem)`, `on_event(event)` for every build event (progress, skipped files, notices)
    of an update, and `on_ready()` once, when the watch is in place. A build that finds nothing changed (a
    deleted file that was not a document, a file saved back unchanged in size and time) is not reported.

    The engine's own lock keeps its updates one at a time: a re-index asked for elsewhere (the chat's
    Ctrl+R) waits for the watcher's, and the other way round."""

    def __init__(
        self,
        engine: Engine,
        *,
        on_update: Callable[[WatchUpdate], None] | None = None,
        on_problem: Callable[[WatchProblem], None] | None = None,
        on_event: Callable[[Any], None] | None = None,
        on_ready: Callable[[], None] | None = None,
        quiet: float = QUIET,
        max_wait: float = MAX_WAIT,
        retry: float = RETRY,
        step_ms: int = 50,
        debounce_ms: int = 1600,
        catch_up: bool = True,
    ) -> None:
        self.engine = engine
        self.corpus = Path(engine.settings.corpus)
        self.on_update = on_update
        self.on_problem = on_problem
        self.on_event = on_event
        self.on_ready = on_ready
        self.quiet = quiet
        self.max_wait = max_wait
        self.retry = retry
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms
        self.catch_up = catch_up
        """Update once as soon as the watch is in place, for changes made before it was (reported only when
        something changed)."""
        self.updates = 0
        """Calls to `Engine.reindex` finished so far (successful or not)."""
        self.ready = threading.Event()
        """Set once the file-system watch is in place (and the catch-up update done): changes made from then
        on are seen."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._roots = _roots(self.corpus)
        from index.build import scan_exclusion

        index_dir = scan_exclusion(engine.store)
        self._ignored = _roots(index_dir) if index_dir is not None else ()
        self._index_is_corpus = bool(set(self._ignored) & set(self._roots))
        """The index is kept in the corpus folder itself: only its own entries there are ignored."""

    # -- running --------------------------------------------------------------------------------------

    def start(self) -> threading.Thread:
        """Watch in a daemon thread until `stop()`."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, args=(self._stop,), name="corpus-watcher", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop watching (an update in progress finishes first) and wait up to `timeout` s for the thread."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def run(self, stop_event: threading.Event | None = None) -> None:
        """Watch until `stop_event` is set (checked every 50 ms). In the main thread, Ctrl+C raises
        KeyboardInterrupt here, also during an update, whose half-built index is then dropped. If the corpus
        folder itself goes away, it waits for it to come back (answers stay those of the last index)."""
        stop = stop_event or self._stop
        gone = False
        while not stop.is_set():
            if not self.corpus.is_dir():
                if not gone:
                    gone = True
                    self._problem(WatchProblem(f"The corpus folder {self.corpus} is gone; answering from the "
                                               "last index until it is back.", retrying=True))
                stop.wait(self.retry)
                continue
            gone = False
            self._watch(stop)

    def _watch(self, stop: threading.Event) -> None:
        """One watch of the corpus folder, until `stop` or until the folder is gone."""
        from watchfiles import watch

        started = False
        wanted = False
        """An update is due: changes were seen (or the watch just started) and are not indexed yet."""
        events = 0
        """Changes seen and not yet indexed."""
        first = last = 0.0
        """When the first and the latest of them were seen."""
        retry_at: float | None = None
        for changes in watch(self.corpus, watch_filter=self._relevant, debounce=self.debounce_ms,
                             step=self.step_ms, rust_timeout=max(1, int(self.quiet * 1000)),
                             yield_on_timeout=True, stop_event=stop):
            now = time.monotonic()
            if not started:
                # The watch is in place. Catch up with what changed before it was (after the caller's own
                # build, or while the folder was gone); changes seen already start an update anyway.
                started = True
                if self.catch_up and not changes and not stop.is_set() and not self._update(0):
                    wanted, first, last, retry_at = True, now, now, time.monotonic() + self.retry
                if not self.ready.is_set():
                    self.ready.set()
                    if self.on_ready is not None:
                        self.on_ready()
            if changes:
                if not wanted:
                    wanted, first = True, now
                events += len(changes)
                last = now
            if stop.is_set():
                return
            if not wanted:
                if not changes and not self.corpus.is_dir():
                    return
                continue
            settled = now - last >= self.quiet or now - first >= self.max_wait
            if not settled or (retry_at is not None and now < retry_at):
                continue
            if not self.corpus.is_dir():
                return  # nothing to index from; run() waits for the folder to come back
            if self._update(events):
                wanted, events, retry_at = False, 0, None
            else:
                retry_at = time.monotonic() + self.retry

    def _update(self, events: int) -> bool:
        """Re-index once; False when it should be tried again (the index is busy)."""
        try:
            return self._reindex(events)
        finally:
            self.updates += 1

    def _reindex(self, events: int) -> bool:
        from index.build import BuildSummary

        summary = None
        try:
            for event in self.engine.reindex():
                if isinstance(event, BuildSummary):
                    summary = event
                if self.on_event is not None:
                    self.on_event(event)
        except IndexBusyError as exc:
            self._problem(WatchProblem(f"{exc} Trying again in a moment.", retrying=True, error=exc))
            return False
        except QAError as exc:
            # The corpus is gone or empty now, the disk is full...: say so and wait for the next change.
            self._problem(WatchProblem(str(exc), error=exc))
            return True
        except Exception as exc:  # noqa: BLE001 - a watcher that dies silently is worse than one that reports
            self._problem(WatchProblem(f"Unexpected error: {exc.__class__.__name__}: {exc}", error=exc))
            return True
        if summary is not None and summary.updated and self.on_update is not None:
            self.on_update(WatchUpdate(summary.changed, summary.removed, summary.seconds, summary.documents,
                                       summary.chunks, events, summary))
        return True

    def _problem(self, problem: WatchProblem) -> None:
        if self.on_problem is not None:
            self.on_problem(problem)

    # -- which changes count -----------------------------------------------------------------------------

    def _relevant(self, change: Any, path: str) -> bool:
        """Whether a change can matter to the index: not in a hidden file or folder (the index skips them),
        not inside the index folder (its own writes would trigger updates forever), and a document by its
        name (or a folder, or something deleted, which may have been a folder of documents), or the corpus's
        `.qaignore`."""
        from index.paths import is_index_entry
        from index.reading.formats import declared_format

        if not self._index_is_corpus and any(_inside(path, root) for root in self._ignored):
            return False
        relative = _relative(path, self._roots)
        if relative is None:
            return False
        parts = relative.split(os.sep)
        if relative == ".qaignore":
            return True  # what it excludes changes what the index holds
        if any(part.startswith(".") for part in parts) or (self._index_is_corpus and is_index_entry(parts[0])):
            return False
        if declared_format(os.path.basename(path)) is not None:
            return True
        return not os.path.exists(path) or os.path.isdir(path)


def _roots(path: Path) -> tuple[str, ...]:
    """A folder as given and as resolved (events name paths under the folder as it was watched)."""
    given = os.path.abspath(path)
    return tuple(dict.fromkeys([given, os.path.realpath(given)]))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _relative(path: str, roots: Iterable[str]) -> str | None:
    for root in roots:
        if _inside(path, root):
            return os.path.relpath(path, root)
    return None
