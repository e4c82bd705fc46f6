"""A readers-writer lock for the engine: many questions may read the open index at once, while swapping in a
re-built one (which closes the old SQLite connection) must wait until they are done. The standard library
has none."""

from __future__ import annotations

import threading
from collections.abc import Callable


class ReadWriteLock:
    """Many readers or one writer. A waiting writer holds new readers back, so a stream of questions cannot
    starve a re-index. Not reentrant: a reader must not take the lock again while holding it.

    `read()` and `write()` are context managers written as classes, not generators: a Ctrl+C landing after a
    generator's `with` had counted its reader but before the caller's `with` began left that reader counted
    while the KeyboardInterrupt's traceback kept the generator alive, and closing the engine then waited for
    the write lock for ever (a reviewer's real SIGINT at that instant, every time). Each undoes its own count
    when anything is raised before it returns."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    def read(self) -> _Held:
        return _Held(self, self._take_read, self._give_read)

    def write(self) -> _Held:
        return _Held(self, self._take_write, self._give_write)

    def _take_read(self) -> None:
        counted = False
        try:
            with self._cond:
                while self._writer or self._writers_waiting:
                    self._cond.wait()
                self._readers += 1
                counted = True
        except BaseException:
            if counted:  # interrupted on the way out of the condition's lock: the caller never holds it
                self._give_read()
            raise

    def _give_read(self) -> None:
        with self._cond:
            self._readers -= 1
            if not self._readers:
                self._cond.notify_all()

    def _take_write(self) -> None:
        taken = False
        try:
            with self._cond:
                self._writers_waiting += 1
                try:
                    while self._writer or self._readers:
                        self._cond.wait()
                finally:
                    self._writers_waiting -= 1
                self._writer = True
                taken = True
        except BaseException:
            if taken:
                self._give_write()
            raise

    def _give_write(self) -> None:
        with self._cond:
            self._writer = False
            self._cond.notify_all()


class _Held:
    """One hold of a ReadWriteLock, as a `with` block."""

    def __init__(self, lock: ReadWriteLock, take: Callable[[], None], give: Callable[[], None]) -> None:
        self._take, self._give = take, give

    def __enter__(self) -> None:
        self._take()

    def __exit__(self, *exc: object) -> None:
        self._give()
