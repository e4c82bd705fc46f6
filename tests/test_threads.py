"""The encoder's lanes (index/threads.py) and the passes a build cuts its calls at (minilm.batches)."""

from __future__ import annotations

import random
import threading
import time

import pytest

from index.embedding.minilm import INT8_PASS_TOKENS, batches
from index.threads import Lanes


def test_lanes_run_items_at_once_and_keep_their_order() -> None:
    lanes = Lanes(2)
    running, most = [0], [0]
    lock = threading.Lock()

    def slow_square(x: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02 * (x % 3))  # finish out of order
        with lock:
            running[0] -= 1
        return x * x

    assert lanes.map(slow_square, list(range(12))) == [x * x for x in range(12)]
    assert most[0] == 2  # two at a time, never more
    assert Lanes(1).map(slow_square, [3, 4]) == [9, 16]


def test_a_lane_error_reaches_the_caller_and_stops_new_items() -> None:
    started: list[int] = []

    def fail_on_two(x: int) -> int:
        started.append(x)
        if x == 2:
            raise ValueError("pass 2 failed")
        time.sleep(0.01)
        return x

    with pytest.raises(ValueError, match="pass 2 failed"):
        Lanes(2).map(fail_on_two, list(range(40)))
    assert len(started) < 10  # the items after the failure are not started


def test_a_run_of_whole_passes_is_grouped_back_into_the_same_passes() -> None:
    """A build calls the encoder with several of a window's passes at once (index/build/builder.py step) and
    the encoder groups them again: the groups must be the same passes, or a text's int8 vector would
    depend on how the clock sized the call."""
    rng = random.Random(7)
    for _ in range(50):
        lengths = [rng.choice([rng.randint(3, 40), rng.randint(40, 300)]) for _ in range(rng.randint(5, 120))]
        groups = batches(lengths, 64, INT8_PASS_TOKENS)
        order = [i for group in groups for i in group]
        first = rng.randrange(len(groups))
        last = rng.randrange(first, len(groups)) + 1
        run = [i for group in groups[first:last] for i in group]
        start = sum(len(g) for g in groups[:first])
        assert order[start : start + len(run)] == run
        regrouped = batches([lengths[i] for i in run], 64, INT8_PASS_TOKENS)
        assert [[run[k] for k in group] for group in regrouped] == groups[first:last]


def test_a_ctrl_c_in_the_callers_lane_wins_over_a_helpers_error() -> None:
    """A Ctrl+C must exit 130, not 1: raised ahead of an error a helper met meanwhile."""
    def work(x: int) -> int:
        time.sleep(0.02)
        if threading.current_thread() is threading.main_thread():
            raise KeyboardInterrupt
        raise ValueError("a helper's error")

    with pytest.raises(KeyboardInterrupt):
        Lanes(2).map(work, list(range(6)))


def test_lanes_whose_helpers_are_gone_start_new_ones() -> None:
    """After a fork the parent's helper threads do not exist in the child: a map there must not wait for
    them forever (simulated with a helper that has ended)."""
    lanes = Lanes(2)
    assert lanes.map(lambda x: x + 1, [1, 2, 3]) == [2, 3, 4]
    ended = threading.Thread(target=lambda: None)
    ended.start()
    ended.join()
    lanes._helpers = [ended]
    done: list[list[int]] = []
    runner = threading.Thread(target=lambda: done.append(lanes.map(lambda x: x * 2, list(range(8)))), daemon=True)
    runner.start()
    runner.join(timeout=10)
    assert done == [[x * 2 for x in range(8)]]
    assert all(t.is_alive() for t in lanes._helpers)
