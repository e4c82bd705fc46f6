"""Threads a build starts: started with Ctrl+C held back (`start_unsignalled`), and the encoder's lanes
(`Lanes`), which run several forward passes at once."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def start_unsignalled(thread: threading.Thread) -> None:
    """Start `thread` with Ctrl+C (SIGINT) held back in this thread meanwhile, and never let it reach the new
    one: a KeyboardInterrupt landing inside Thread.start() broke threading's own lock ("RuntimeError: release
    unlocked lock", a traceback and exit 1 instead of 130; seen once in six CI runs). A Ctrl+C pressed during
    the start is delivered right after it."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):
        thread.start()
        return
    held = None
    try:
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        thread.start()
    finally:
        # a Ctrl+C already on its way when SIGINT was blocked is raised here or above: SIGINT is let through again
        # either way, never left blocked for the rest of the process
        if held is None:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        else:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


def lane_count(cores: int | None = None) -> int:
    """How many forward passes the int8 encoder runs at once: two where there are two cores or more."""
    return 2 if (cores if cores is not None else os.cpu_count() or 1) >= 2 else 1


class Lanes:
    """Runs a function over items on `count` threads at once: the caller's own and `count - 1` helpers,
    started on first use and kept (daemon threads: a Ctrl+C or an exit never waits for them; one per
    embedder). Results come back in the items' order, whatever the order they finished in. The first error
    is raised in the caller (a Ctrl+C before any other) once every item under way has finished, and no item
    is started after it. `fn` must not call `map` on the same Lanes."""

    def __init__(self, count: int) -> None:
        self.count = max(1, count)
        self._tasks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._helpers: list[threading.Thread] = []
        self._lock = threading.Lock()

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        if self.count == 1 or len(items) < 2:
            return [fn(item) for item in items]
        self._start()
        results: list[R | None] = [None] * len(items)
        errors: list[BaseException] = []
        taken = iter(range(len(items)))
        lock = threading.Lock()
        finished = threading.Semaphore(0)

        def fail(exc: BaseException) -> None:
            with lock:
                errors.append(exc)

        def work() -> None:
            while True:
                with lock:
                    i = None if errors else next(taken, None)
                if i is None:
                    return
                try:
                    results[i] = fn(items[i])
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                    fail(exc)

        def helper_task() -> None:
            try:
                work()
            finally:
                finished.release()

        sent = 0
        try:
            for _ in range(min(self.count, len(items)) - 1):
                self._tasks.put(helper_task)
                sent += 1
            work()
        except BaseException as exc:  # a Ctrl+C in this thread: no helper takes another item
            fail(exc)
        finally:
            waited = 0
            while waited < sent:  # the helpers finish the item they hold (a forward pass)
                try:
                    finished.acquire()
                    waited += 1
                except BaseException as exc:  # a Ctrl+C meanwhile is raised once they have
                    fail(exc)
        if errors:
            raise next((e for e in errors if isinstance(e, KeyboardInterrupt)), errors[0])
        return results  # type: ignore[return-value]

    def _start(self) -> None:
        with self._lock:
            if not all(thread.is_alive() for thread in self._helpers):
                # a forked child: the parent's helpers do not exist here, nor may its queue be trusted
                self._helpers, self._tasks = [], queue.SimpleQueue()
            while len(self._helpers) < self.count - 1:
                thread = threading.Thread(target=self._serve, args=(self._tasks,), name="qa-encoder-lane",
                                          daemon=True)
                start_unsignalled(thread)
                self._helpers.append(thread)

    @staticmethod
    def _serve(tasks: queue.SimpleQueue[Callable[[], None]]) -> None:
        while True:
            tasks.get()()
