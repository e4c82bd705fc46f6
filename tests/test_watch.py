"""Live folders: real files, real watchfiles, the real engine (hash embedder). Every wait is bounded."""

from __future__ import annotations

import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from qa.engine import Engine, Notice
from qa.watch import CorpusWatcher, WatchProblem, WatchUpdate
from tests.conftest import SEEDS, clean_env, popen_interruptible, qa_command

WAIT = 20.0


def wait_for(condition: Callable[[], object], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Recorder:
    """What a watcher reported, in order."""

    def __init__(self) -> None:
        self.updates: list[WatchUpdate] = []
        self.problems: list[WatchProblem] = []
        self.events: list[object] = []

    def watcher(self, engine: Engine, **kwargs: object) -> CorpusWatcher:
        return CorpusWatcher(engine, on_update=self.updates.append, on_problem=self.problems.append,
                             on_event=self.events.append, **kwargs)


def settle(corpus: Path, watcher: CorpusWatcher, recorder: Recorder) -> WatchUpdate:
    """Save one more document and wait for its update: everything the watcher saw before it has been acted on
    by then (watchfiles reports changes in order), so what did not happen will not. Returns that update, whose
    `events` say whether anything else was merged into it."""
    seen, attempts = len(recorder.updates), watcher.updates
    (corpus / f"settle-{seen}.txt").write_text(f"Settling note number {seen} about kestrels.\n", encoding="utf-8")
    wait_for(lambda: len(recorder.updates) > seen and watcher.updates > attempts, "the settling note's update")
    return recorder.updates[-1]


@pytest.fixture
def watched(engine: Engine) -> Iterator[tuple[CorpusWatcher, Recorder]]:
    """The `engine` fixture's corpus, watched in a background thread (catch-up done, nothing pending)."""
    recorder = Recorder()
    watcher = recorder.watcher(engine)
    watcher.start()
    assert watcher.ready.wait(10), "the watch did not start"
    assert watcher.updates == 1  # the catch-up
    yield watcher, recorder
    watcher.stop()


def top_source(engine: Engine, question: str) -> str:
    return engine.search(question, top_k=1)[0].source


def sources(engine: Engine) -> set[str]:
    return {source for source, _title in engine.snapshot.sources()}


def test_added_changed_renamed_and_deleted_files_reach_the_answers(
        engine: Engine, corpus: Path, watched: tuple[CorpusWatcher, Recorder]) -> None:
    _watcher, recorder = watched
    assert recorder.updates == []  # nothing changed before the watch: the catch-up is not reported
    question = "How many giraffes live in the Serengeti park?"

    def top(question: str = question):  # type: ignore[no-untyped-def]
        return engine.search(question, top_k=1)[0]

    (corpus / "notes" / "giraffes.txt").write_text(
        "About 4,000 giraffes live in the Serengeti park, counted by rangers every spring.\n", encoding="utf-8")
    wait_for(lambda: recorder.updates and top().source == "notes/giraffes.txt", "the added file to answer")
    assert "4,000 giraffes" in top().text
    assert recorder.updates[-1].changed == 1 and recorder.updates[-1].removed == 0

    (corpus / "notes" / "giraffes.txt").write_text(
        "About 7,500 giraffes live in the Serengeti park, counted by rangers every spring.\n", encoding="utf-8")
    wait_for(lambda: len(recorder.updates) >= 2 and "7,500" in top().text, "the changed file to answer")
    assert engine.ask(top().text).citations[0].quote.startswith("About 7,500 giraffes")

    (corpus / "notes" / "giraffes.txt").rename(corpus / "savanna.txt")
    wait_for(lambda: len(recorder.updates) >= 3 and top().source == "savanna.txt", "the renamed file to answer")
    assert "notes/giraffes.txt" not in sources(engine)
    assert (recorder.updates[-1].changed, recorder.updates[-1].removed) == (1, 1)

    (corpus / "savanna.txt").unlink()
    wait_for(lambda: len(recorder.updates) >= 4 and "savanna.txt" not in sources(engine),
             "the deleted file to leave the index")
    assert "giraffes" not in top().text
    assert recorder.updates[-1].removed == 1
    assert recorder.problems == []


def test_hidden_files_and_other_formats_do_not_update(
        corpus: Path, watched: tuple[CorpusWatcher, Recorder]) -> None:
    watcher, recorder = watched
    before = watcher.updates
    (corpus / ".draft.txt").write_text("hidden notes\n", encoding="utf-8")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "HEAD.txt").write_text("ref\n", encoding="utf-8")
    (corpus / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    only = settle(corpus, watcher, recorder)  # the watch still works, and saw none of the above
    assert watcher.updates == before + 1 and recorder.updates == [only]
    assert only.changed == 1 and only.events <= 2, only.events  # the note's own creation and write


def test_a_burst_of_a_thousand_files_makes_one_update(
        engine: Engine, corpus: Path, watched: tuple[CorpusWatcher, Recorder]) -> None:
    watcher, recorder = watched
    before = watcher.updates
    folder = corpus / "burst"
    folder.mkdir()
    for i in range(1000):  # in 20 waves 0.1 s apart: longer than watchfiles' own 50 ms step, as a sync would
        (folder / f"note-{i:04}.txt").write_text(f"Note {i} records shipment number {i} of copper.\n",
                                                 encoding="utf-8")
        if i % 50 == 49:
            time.sleep(0.1)
    wait_for(lambda: sum(u.changed for u in recorder.updates) >= 1000, "the burst to be indexed")
    bursts = len(recorder.updates)
    assert bursts <= 2 and recorder.updates[0].events >= 500, [u.describe() for u in recorder.updates]
    assert settle(corpus, watcher, recorder).changed == 1  # nothing more came of the burst
    assert watcher.updates - before == bursts + 1 and engine.stats()[0] == 1004
    shutil.rmtree(folder)
    wait_for(lambda: len(recorder.updates) > bursts + 1 and engine.stats()[0] == 4, "the deleted folder to leave")
    assert recorder.updates[-1].removed == 1000 and watcher.updates - before <= bursts + 3


def test_an_index_inside_the_corpus_does_not_trigger_itself(corpus: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from qa.config import Settings

    engine = Engine(Settings.resolve(corpus, corpus / "qa-index"), embedder=hash_embedder)
    for _ in engine.prepare():
        pass
    assert "qa-index/CURRENT" not in sources(engine) and engine.stats()[0] == 3
    recorder = Recorder()
    watcher = recorder.watcher(engine)
    watcher.start()
    try:
        assert watcher.ready.wait(10) and watcher.updates == 1
        (corpus / "otters.txt").write_text("Sea otters hold hands while they sleep.\n", encoding="utf-8")
        wait_for(lambda: recorder.updates and watcher.updates == 2, "the update")
        assert (recorder.updates[0].changed, engine.stats()[0]) == (1, 4)
        # the index's own writes (a new generation inside the corpus) start no update, nor join the next one
        after = settle(corpus, watcher, recorder)
        assert watcher.updates == 3 and len(recorder.updates) == 2 and after.events <= 2, after.events
    finally:
        watcher.stop()
        engine.close()


def test_a_busy_index_is_retried_not_fatal(engine: Engine, corpus: Path,
                                           watched: tuple[CorpusWatcher, Recorder]) -> None:
    _watcher, recorder = watched
    with engine.store.write_lock():  # as another `qa index` would hold it
        (corpus / "otters.txt").write_text("Sea otters hold hands while they sleep.\n", encoding="utf-8")
        wait_for(lambda: recorder.problems, "the busy index to be reported")
        assert recorder.problems[0].retrying and "being updated" in recorder.problems[0].message
        assert recorder.updates == []
    wait_for(lambda: recorder.updates, "the retry after the lock is released")
    assert "otters.txt" in sources(engine)


def test_a_reindex_and_a_watch_update_wait_for_each_other(engine: Engine, corpus: Path,
                                                         watched: tuple[CorpusWatcher, Recorder]) -> None:
    """Ctrl+R in the chat calls Engine.reindex while the watcher may be updating: the later one waits."""
    _watcher, recorder = watched
    running = engine.reindex()
    next(running)  # mid-build, holding the index's write lock
    (corpus / "otters.txt").write_text("Sea otters hold hands while they sleep.\n", encoding="utf-8")
    wait_for(lambda: any(isinstance(e, Notice) and "Waiting" in e.message for e in recorder.events),
             "the watcher's update to start and wait")
    assert recorder.updates == [] and recorder.problems == []
    for _event in running:
        pass
    wait_for(lambda: recorder.updates, "the watcher's update")
    assert recorder.problems == [] and "otters.txt" in sources(engine)


def test_a_corpus_folder_that_goes_away_and_comes_back(engine: Engine, corpus: Path,
                                                      watched: tuple[CorpusWatcher, Recorder]) -> None:
    _watcher, recorder = watched
    shutil.rmtree(corpus)
    wait_for(lambda: recorder.problems, "the missing folder to be reported")
    assert "is gone" in recorder.problems[0].message and recorder.problems[0].retrying
    assert engine.stats()[0] == 3  # answers still come from the last index
    (corpus / "notes").mkdir(parents=True)
    (corpus / "notes" / "otters.txt").write_text("Sea otters hold hands while they sleep.\n", encoding="utf-8")
    wait_for(lambda: recorder.updates and engine.stats()[0] == 1, "the folder's return to be indexed")
    assert sources(engine) == {"notes/otters.txt"} and recorder.updates[-1].removed == 3


def test_stop_ends_the_thread(engine: Engine) -> None:
    watcher = CorpusWatcher(engine)
    thread = watcher.start()
    assert watcher.ready.wait(10)
    started = time.monotonic()
    watcher.stop()
    assert not thread.is_alive() and time.monotonic() - started < 2


def _lines(stream) -> queue.Queue[str]:  # type: ignore[no-untyped-def]
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    return lines


def _expect(lines: queue.Queue[str], needle: str, seen: list[str]) -> str:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            continue
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"no line with {needle!r}; got {seen}")


def test_qa_index_watch_prints_each_update_and_ctrl_c_exits_130(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEEDS / "blinken-central-asia.txt", corpus)
    index = tmp_path / "index"
    proc = popen_interruptible([*qa_command(), "index", "--corpus", str(corpus), "--index", str(index), "--watch"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
    try:
        lines, seen = _lines(proc.stderr), []
        _expect(lines, "Watching", seen)
        (corpus / "otters.txt").write_text("Sea otters hold hands while they sleep.\n", encoding="utf-8")
        line = _expect(lines, "index updated: 1 file changed, 0 removed", seen)
        assert line.split()[0].count(":") == 2  # HH:MM:SS first
        (corpus / "otters.txt").unlink()
        _expect(lines, "index updated: 0 files changed, 1 removed", seen)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 130
        _expect(lines, "interrupted", seen)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = subprocess.run([*qa_command(), "index", "--json", "--corpus", str(corpus), "--index", str(index)],
                         capture_output=True, text=True, env=clean_env())
    assert out.returncode == 0 and '"updated": false' in out.stdout  # the index is intact and current


@pytest.mark.asyncio
async def test_chat_watch_shows_the_update_and_answers_from_the_new_file(corpus: Path, tmp_path: Path) -> None:
    from tests.test_chat import ask, make_factory
    from tui.app import ChatApp
    from tui.widgets import CitationItem

    app = ChatApp(make_factory(corpus, tmp_path / "idx"), live=True)
    async with app.run_test(size=(100, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.ready and app.watcher is not None and "Watching" in _status(app)
        for _ in range(int(WAIT / 0.05)):  # the watch in place (and caught up), without blocking the app
            if app.watcher.ready.is_set():
                break
            await pilot.pause(0.05)
        assert app.watcher.ready.is_set()
        (corpus / "notes" / "otters.md").write_text("# Otters\n\nSea otters hold hands while they sleep.\n",
                                                    encoding="utf-8")
        for _ in range(int(WAIT / 0.05)):
            await pilot.pause(0.05)
            if "Index updated" in _status(app):
                break
        assert "Index updated: 1 file changed, 0 removed" in _status(app), _status(app)
        await ask(pilot, app, "What do sea otters do while they sleep?")
        assert app.query(CitationItem).first().citation.source == "notes/otters.md"
        watcher = app.watcher
    assert not watcher._thread.is_alive()  # stopped with the app


def _status(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.query_one("#status", Static).render())


def test_watching_imports_watchfiles_only_when_it_starts() -> None:
    code = "import sys, qa.watch, qa.cli, qa.engine\nassert 'watchfiles' not in sys.modules\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
