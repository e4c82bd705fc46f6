"""Progress a person can trust: it moves at least every second, its estimate holds still, and a log gets a line
every ten seconds. Driven by events on a fake clock: an encoder that takes (fake) time in proportion to what
it reads, the real builder sizing its calls by that clock, and the CLI's renderer reading the same clock."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index.build import BuildSummary, Progress, build
from index.embedding import HashEmbedder
from index.storage.local import IndexDir


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SlowEncoder(HashEmbedder):
    """The hash embedder, costing fake time like a model does: a load on the first call, then per character
    and per chunk (`chars_per_second` is a slow machine's bf16 speed, a tenth of int8 on a quiet one)."""

    def __init__(self, clock: FakeClock, chars_per_second: float = 3000.0, load_seconds: float = 4.0) -> None:
        super().__init__()
        self.clock, self.speed, self.load = clock, chars_per_second, load_seconds

    def embed_chunks(self, texts: Sequence[str], spans):  # type: ignore[no-untyped-def]
        self.clock.now += self.load + sum(len(t) for t in texts) / self.speed + 0.002 * len(texts)
        self.load = 0.0
        return super().embed_chunks(texts, spans)


@pytest.fixture
def varied_corpus(tmp_path: Path) -> Path:
    """300 documents from one sentence to several chunks: chunk lengths vary as in a real corpus."""
    rng = random.Random(7)
    words = "volcano island river mountain eruption city harbour kingdom century treaty".split()
    root = tmp_path / "varied"
    root.mkdir()
    for i in range(300):
        sentences = [" ".join(rng.choice(words) for _ in range(rng.randint(5, 25))).capitalize() + "."
                     for _ in range(rng.choice([1, 2, 5, 20, 60]))]
        (root / f"doc{i:03}.txt").write_text(f"Document {i}\n\n" + " ".join(sentences), encoding="utf-8")
    return root


def _events(corpus: Path, tmp_path: Path, clock: FakeClock, encoder: SlowEncoder) -> list[tuple[float, object]]:
    out = []
    for event in build(corpus, IndexDir(tmp_path / "idx"), encoder, clock=clock):
        out.append((clock.now, event))
    assert isinstance(out[-1][1], BuildSummary)
    return out


def test_embedding_progress_moves_at_least_every_second(varied_corpus: Path, tmp_path: Path) -> None:
    """Calls to the encoder are sized by its measured rate: after the first call (which loads the model), no
    two embedding steps are more than a second apart, even on a slow machine; and steps are not needlessly
    small either (a call per chunk would cost the model its batches)."""
    clock = FakeClock()
    events = _events(varied_corpus, tmp_path, clock, SlowEncoder(clock))
    steps = [(t, e) for t, e in events if isinstance(e, Progress) and e.stage == "embedding"]
    total = steps[-1][1].total
    assert steps[0][1].done == 0 and steps[-1][1].done == total and total > 300
    gaps = [b[0] - a[0] for a, b in zip(steps[1:], steps[2:], strict=False)]
    assert max(gaps) <= 1.0, max(gaps)
    from index.build.builder import CALL_SECONDS

    per_call = steps[-1][1].amount_total / (len(steps) - 1)
    assert per_call >= 0.5 * CALL_SECONDS * 3000.0, per_call  # calls as long as a second allows, on average
    reading = [e for _t, e in events if isinstance(e, Progress) and e.stage == "reading"]
    assert [e.done for e in reading] == list(range(301))  # every document


def test_the_estimate_holds_still_after_the_first_tenth(varied_corpus: Path, tmp_path: Path) -> None:
    """The time left, as the CLI computes it, once a tenth is done: the finish it predicts (now + left) never
    moves by more than 20% of the stage's length, although chunks come longest first."""
    from qa.events import Estimate

    clock = FakeClock()
    events = _events(varied_corpus, tmp_path, clock, SlowEncoder(clock))
    estimate = Estimate()
    finishes = []
    for now, event in events:
        if isinstance(event, Progress) and event.stage == "embedding":
            left = estimate.update(event, now)
            if left is not None and event.done >= event.total / 10:
                finishes.append(now + left)
    start = next(t for t, e in events if isinstance(e, Progress) and e.stage == "embedding")
    length = clock.now - start
    assert len(finishes) > 10
    assert max(abs(b - a) for a, b in zip(finishes, finishes[1:], strict=False)) <= 0.2 * length
    assert abs(finishes[-1] - finishes[0]) <= 0.2 * length


def test_a_log_gets_a_line_every_ten_seconds(varied_corpus: Path, tmp_path: Path) -> None:
    """Not a terminal: a line when a stage starts, one every ten seconds with done/total, rate and time left,
    one when it is done; never a bar's \\r frames."""
    from qa.cli import _Progress

    clock = FakeClock()
    log = io.StringIO()
    progress = _Progress(log, clock=clock)
    seen_at: list[tuple[float, str]] = []
    for event in build(varied_corpus, IndexDir(tmp_path / "idx"), SlowEncoder(clock), clock=clock):
        before = log.getvalue()
        progress(event)
        seen_at += [(clock.now, line) for line in log.getvalue()[len(before):].splitlines()]
    lines = [line for _t, line in seen_at]
    assert "\r" not in log.getvalue()
    running = [(t, line) for t, line in seen_at if re.fullmatch(
        r"embedding \d+/\d+ chunks \(\d+%\), [\d.]+ chunks/s, about \d+:\d\d left", line)]
    start = next(t for t, line in seen_at if line.startswith("embedding ") and line.endswith("chunks…"))
    end = next(t for t, line in seen_at if line.startswith("embedding done"))
    assert end - start > 30 and len(running) >= 2, lines
    times = [start] + [t for t, _line in running] + [end]
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) <= 11.0, lines  # 10 s and one step


def test_the_first_progress_comes_before_any_file_is_read_or_the_model_loads(tmp_path: Path,
                                                                            varied_corpus: Path) -> None:
    """The builder's first event is `reading 0/N`, before reading the first file and before the encoder's
    first call (which loads the model): the CLI prints its first line then."""
    clock = FakeClock()
    encoder = SlowEncoder(clock)
    first = next(iter(build(varied_corpus, IndexDir(tmp_path / "idx"), encoder, clock=clock)))
    assert first == Progress("reading", 0, 300, 0, sum(p.stat().st_size for p in varied_corpus.iterdir()))
    assert encoder.load == 4.0  # not called yet


def test_the_log_line_says_rate_and_time_left() -> None:
    """The wording of a log's line, from events alone (the estimate from the stage's second step on)."""
    from qa.cli import _Progress

    clock = FakeClock()
    log = io.StringIO()
    progress = _Progress(log, clock=clock)
    for done in range(0, 101, 10):
        progress(Progress("embedding", done, 100, done * 50, 5000))
        clock.now += 6.0
    lines = log.getvalue().splitlines()
    assert lines[0] == "embedding 100 chunks…"
    assert lines[1:3] == ["embedding 20/100 chunks (20%), 1.7 chunks/s, about 0:48 left",
                          "embedding 40/100 chunks (40%), 1.7 chunks/s, about 0:36 left"], lines
    assert lines[-1] == "embedding done (100 chunks)"
    assert np.isclose(progress.estimate.rate or 0, 10 / 6)


class Recording(HashEmbedder):
    """The hash embedder, noting when each call to the encoder ran and what it read."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[float, list[str]]] = []

    def embed_chunks(self, texts: Sequence[str], spans):  # type: ignore[no-untyped-def]
        import time

        self.calls.append((time.monotonic(), list(texts)))
        return super().embed_chunks(texts, spans)


def _slow_reads(monkeypatch: pytest.MonkeyPatch, seconds: float) -> list[tuple[str, float, float]]:
    """The builder's reader, taking `seconds` more per file; returns (source, start, end) of each read."""
    import time

    import index.build.builder as builder

    real = builder.read_document
    seen: list[tuple[str, float, float]] = []

    def slow(corpus: Path, source: str):  # type: ignore[no-untyped-def]
        began = time.monotonic()
        time.sleep(seconds)
        got = real(corpus, source)
        seen.append((source, began, time.monotonic()))
        return got

    monkeypatch.setattr(builder, "read_document", slow)
    return seen


def test_the_encoder_works_while_the_next_files_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading runs in a thread ahead of the build: windows of chunks already complete are embedded while
    later files are still being read, rather than after the last one; every file is still a step of reading
    progress, and the embedding stage starts from what was done. The texts reach the encoder in the same
    order however the two overlap (the vectors of a window never depend on timing)."""
    import index.build.builder as builder
    import index.build.spill as spill

    root = tmp_path / "c"
    root.mkdir()
    for i in range(12):
        (root / f"doc{i:02}.txt").write_text(f"Document {i}\n\n" + " ".join(
            f"Sentence {j} of document {i} tells of volcano number {i * j}." for j in range(40)), encoding="utf-8")
    monkeypatch.setattr(builder, "EMBED_WINDOW", 4)
    monkeypatch.setattr(spill, "EMBED_WINDOW", 4)
    fast = Recording()
    list(build(root, IndexDir(tmp_path / "fast"), fast))

    reads = _slow_reads(monkeypatch, 0.15)
    slow = Recording()
    events = list(build(root, IndexDir(tmp_path / "slow"), slow))
    last_read = max(end for _s, _b, end in reads)
    assert any(at < last_read for at, _texts in slow.calls), "nothing was embedded before the last file was read"
    reading = [e for e in events if isinstance(e, Progress) and e.stage == "reading"]
    assert sorted({e.done for e in reading}) == list(range(13))  # a step per file, never backwards
    assert [(e.done, e.amount) for e in reading] == sorted((e.done, e.amount) for e in reading)
    embedding = [e for e in events if isinstance(e, Progress) and e.stage == "embedding"]
    assert 0 < embedding[0].done < embedding[-1].done == embedding[-1].total
    assert [t for _at, texts in slow.calls for t in texts] == [t for _at, texts in fast.calls for t in texts]


def test_reading_a_long_pdf_moves_page_by_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 2,000-page manual takes a while to read: the reading step moves as its pages are read (the share
    of its bytes by the share of its pages), not only when the whole file is done."""
    import index.build.builder as builder
    from tests.docgen import LOREM, make_pdf

    root = tmp_path / "c"
    root.mkdir()
    (root / "a.txt").write_text("A short note about lava.", encoding="utf-8")
    make_pdf(root / "manual.pdf", [f"Chapter {i}. " + LOREM * 3 for i in range(40)])
    monkeypatch.setattr(builder, "REPORT_EVERY", 0.0)
    events = list(build(root, IndexDir(tmp_path / "idx"), HashEmbedder()))
    first, size = (root / "a.txt").stat().st_size, (root / "manual.pdf").stat().st_size
    within = sorted({e.amount for e in events if isinstance(e, Progress) and e.stage == "reading"
                     and e.done == 1 and first < e.amount < first + size})
    assert len(within) >= 10, within  # about one step per page read
    amounts = [e.amount for e in events if isinstance(e, Progress) and e.stage == "reading"]
    assert amounts == sorted(amounts)  # never backwards


class PassSensitive(HashEmbedder):
    """An encoder like the int8 graph: a text's vector depends on the texts it shares a forward pass with
    (one activation scale per pass). Its passes are three texts, longest first."""

    def passes(self, texts: Sequence[str]) -> list[list[int]]:
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        return [order[k : k + 3] for k in range(0, len(order), 3)]

    def embed_chunks(self, texts: Sequence[str], spans):  # type: ignore[no-untyped-def]
        vectors, sentence_vectors = super().embed_chunks(texts, spans)
        for group in self.passes(texts):  # a call may hold several passes, as MiniLMEmbedder's does
            vectors[group] += sum(len(texts[i]) for i in group) % 97 / 100.0
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), sentence_vectors


def test_the_vectors_do_not_depend_on_the_clock(varied_corpus: Path, tmp_path: Path) -> None:
    """Calls are sized by the clock, but each is made of the encoder's whole passes: two builds of the same
    corpus, one on a machine ten times slower, give the same vectors (an encoder whose vectors move with
    their pass mates, as int8's did when texts shared passes, could change an answer between rebuilds)."""
    fast_clock, slow_clock = FakeClock(), FakeClock()

    class Timed(PassSensitive):
        def __init__(self, clock: FakeClock, chars_per_second: float) -> None:
            super().__init__()
            self.clock, self.speed = clock, chars_per_second

        def embed_chunks(self, texts: Sequence[str], spans):  # type: ignore[no-untyped-def]
            self.clock.now += sum(len(t) for t in texts) / self.speed
            return super().embed_chunks(texts, spans)

    list(build(varied_corpus, IndexDir(tmp_path / "fast"), Timed(fast_clock, 300_000.0), clock=fast_clock))
    list(build(varied_corpus, IndexDir(tmp_path / "slow"), Timed(slow_clock, 3_000.0), clock=slow_clock))
    np.testing.assert_array_equal(_vectors(tmp_path / "fast", "chunks"), _vectors(tmp_path / "slow", "chunks"))


def _vectors(index: Path, table: str) -> np.ndarray:
    """Every stored vector of `table` (chunks or sentences) of a local index, in row order."""
    snap = IndexDir(index).open()
    try:
        ids = [row[0] for row in snap.conn.execute(f"SELECT id FROM {table} ORDER BY id")]
        return snap.chunk_vectors(ids) if table == "chunks" else snap.sentence_vectors_of(ids)
    finally:
        snap.close()


class InContext(HashEmbedder):
    """Sentence vectors that depend on the chunk they are pooled from, as the model's do."""

    def embed_chunks(self, texts: Sequence[str], spans):  # type: ignore[no-untyped-def]
        vectors, sentence_vectors = super().embed_chunks(texts, spans)
        moved = [(s + len(t) % 13 / 10.0) / np.linalg.norm(s + len(t) % 13 / 10.0, axis=1, keepdims=True)
                 for s, t in zip(sentence_vectors, texts, strict=True)]
        return vectors, moved


class InContextShortFirst(InContext):
    """The same, embedding a window in passes that go shortest first (the opposite of its order)."""

    def passes(self, texts: Sequence[str]) -> list[list[int]]:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        return [order[k : k + 3] for k in range(0, len(order), 3)]


def test_a_shared_sentence_takes_its_vector_from_the_same_chunk_whatever_the_pass_order(varied_corpus: Path,
                                                                                       tmp_path: Path) -> None:
    """Chunks overlap, so a sentence may be in two of them and be pooled twice; the first of them in the
    window's order gives it its vector, also when the encoder's passes go in another order (a Ray build
    writes in the window's order: both must pick the same chunk)."""
    list(build(varied_corpus, IndexDir(tmp_path / "plain"), InContext()))
    list(build(varied_corpus, IndexDir(tmp_path / "passes"), InContextShortFirst()))
    np.testing.assert_array_equal(_vectors(tmp_path / "plain", "sentences"), _vectors(tmp_path / "passes", "sentences"))


def test_the_reading_thread_never_takes_a_ctrl_c(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reading thread starts with SIGINT blocked (it inherits the mask), so a Ctrl+C is the main thread's
    to handle; one landing in Thread.start() broke threading's lock and exited 1 with a traceback."""
    import signal

    import index.build.builder as builder

    masks: list[set[signal.Signals]] = []
    real = builder.read_document

    def noting(corpus: Path, source: str):  # type: ignore[no-untyped-def]
        masks.append(signal.pthread_sigmask(signal.SIG_BLOCK, []))
        return real(corpus, source)

    monkeypatch.setattr(builder, "read_document", noting)
    root = tmp_path / "c"
    root.mkdir()
    (root / "a.txt").write_text("Lava flows downhill.", encoding="utf-8")
    list(build(root, IndexDir(tmp_path / "idx"), HashEmbedder()))
    assert masks and all(signal.SIGINT in mask for mask in masks)
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # this thread's is as it was
