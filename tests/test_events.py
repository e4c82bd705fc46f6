"""The CLI and the chat word build events the same way: both go through `qa.events.describe`."""

from __future__ import annotations

import subprocess
from pathlib import Path

from index.build import BuildSummary, FileSkipped, Progress
from index.types import Skipped
from qa.engine import Notice
from qa.events import describe
from tests.conftest import qa_command
from tui.app import ChatApp
from tui.messages import StatusChanged

EVENTS = [Progress("embedding", 3, 4), Progress("reading", 0, 0), FileSkipped(Skipped("bad.txt", "binary file")),
          Notice("Loading the embedding model…"), BuildSummary(2, 7, 7, 0, (), 0.1, True)]


def test_describe() -> None:
    assert [describe(e) for e in EVENTS] == [
        ("Embedding 3/4…", 0.75), ("Reading 0/0…", None), ("skipped bad.txt: binary file", None),
        ("Loading the embedding model…", None), ("Index updated: 2 documents, 7 chunks.", 1.0)]


def test_the_chat_shows_what_describe_says() -> None:
    app = ChatApp(lambda: None)  # type: ignore[arg-type, return-value]
    posted: list[StatusChanged] = []
    app.post_message = posted.append  # type: ignore[method-assign, assignment]
    app._report(EVENTS)
    # a build's end is left to EngineReady / IndexUpdated, which say what changed
    assert [(m.text, m.fraction) for m in posted] == [describe(e) for e in EVENTS if not isinstance(e, BuildSummary)]


def test_the_cli_prints_what_describe_says(corpus: Path, tmp_path: Path) -> None:
    (corpus / "bad.txt").write_bytes(b"\x00binary")
    out = subprocess.run([*qa_command(), "index", "--corpus", str(corpus), "--index", str(tmp_path / "idx")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"warning: {describe(FileSkipped(Skipped('bad.txt', 'binary file')))[0]}\n" in out.stderr
