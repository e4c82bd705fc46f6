"""A Ctrl+C at the worst instant leaves nothing held: the engine's read lock, the ONNX session's opening, SIGINT's
mask. Each test raises the KeyboardInterrupt where a reviewer's real SIGINT landed (or could) and checks that
what was taken is given back; each fails (hangs past its timeout, or finds SIGINT blocked) without its fix."""

from __future__ import annotations

import signal
import threading

import pytest

from qa.locks import ReadWriteLock


class _InterruptedOnce(type(threading.Condition())):  # type: ignore[misc]
    """A Condition whose first release raises KeyboardInterrupt, as a Ctrl+C landing as the lock is let go does."""

    fired = False

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        if not _InterruptedOnce.fired:
            _InterruptedOnce.fired = True
            raise KeyboardInterrupt


def _taken_within(take, seconds: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    """Whether `take()` (a `with` block's lock) could be entered and left within `seconds`, on another thread."""
    done = threading.Event()

    def run() -> None:
        with take():
            done.set()

    threading.Thread(target=run, daemon=True).start()
    return done.wait(seconds)


@pytest.mark.parametrize("kind", ["read", "write"])
def test_a_ctrl_c_as_the_lock_is_taken_leaves_it_free(kind: str) -> None:
    lock = ReadWriteLock()
    _InterruptedOnce.fired = False
    lock._cond = _InterruptedOnce()
    with pytest.raises(KeyboardInterrupt):
        with getattr(lock, kind)():
            pytest.fail("the block must not run: the Ctrl+C came first")
    assert _InterruptedOnce.fired
    assert _taken_within(lock.write)  # closing the engine takes the write lock: it must not wait for ever
    assert _taken_within(lock.read)


def test_a_ctrl_c_before_the_session_thread_starts_does_not_hang_the_exit(minilm, onnx_export,  # type: ignore[no-untyped-def]
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """If the Ctrl+C lands before the onnx-session thread has started, nothing will ever open the session: the
    exit's `settle` must not wait for it (it did, for ever, and swallowed every later Ctrl+C)."""
    import index.threads
    from index.embedding.onnx import _UNDER_WAY, OnnxEncoder, settle

    def interrupted(thread: threading.Thread) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(index.threads, "start_unsignalled", interrupted)
    with pytest.raises(KeyboardInterrupt):
        OnnxEncoder(minilm.model_dir, onnx_export.path, background=True)
    settled = threading.Event()
    threading.Thread(target=lambda: (settle(), settled.set()), daemon=True).start()
    assert settled.wait(5) and not _UNDER_WAY


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="no signal masks on this platform")
def test_a_ctrl_c_as_sigint_is_held_back_does_not_leave_it_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl+C already pending when `start_unsignalled` blocks SIGINT is raised as the call returns: SIGINT must
    be let through again, or no later Ctrl+C would ever reach the process."""
    from index.threads import start_unsignalled

    real = signal.pthread_sigmask
    calls: list[int] = []

    def pending(how: int, mask: object) -> object:
        previous = real(how, mask)
        calls.append(how)
        if len(calls) == 1:
            raise KeyboardInterrupt  # the pending Ctrl+C, raised as the first call (the block) returns
        return previous

    before = real(signal.SIG_BLOCK, set())
    monkeypatch.setattr(signal, "pthread_sigmask", pending)
    thread = threading.Thread(target=lambda: None)
    try:
        with pytest.raises(KeyboardInterrupt):
            start_unsignalled(thread)
        monkeypatch.setattr(signal, "pthread_sigmask", real)
        assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())
        assert thread.ident is None
    finally:
        real(signal.SIG_SETMASK, before)  # this process's own mask, whatever the outcome


def test_the_sigint_probe_sees_a_blocked_sigint() -> None:
    """The check above can fail: SIGINT blocked here is seen as blocked."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        assert signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, set())
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


