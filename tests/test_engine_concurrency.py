"""The headless core under concurrent use: the chat answers in worker threads while re-indexing swaps the
open index under them. Answers in flight must finish on the index they started with, verified."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from qa.engine import Engine

QUESTIONS = ["Where is Mount Etna volcano?", "What is green tea made from?", "Who was in Astana on Tuesday?",
             "What destroyed Pompeii?"]


def test_reindex_while_questions_are_in_flight(engine: Engine, corpus: Path) -> None:
    stop = threading.Event()
    reindex_errors: list[BaseException] = []
    swaps = 0

    def reindex_repeatedly() -> None:
        nonlocal swaps
        try:
            while not stop.is_set():
                for _ in engine.reindex(rebuild=swaps % 2 == 1):  # a rebuild writes a new generation
                    pass
                swaps += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            reindex_errors.append(exc)

    def ask(i: int):  # type: ignore[no-untyped-def]
        question = QUESTIONS[i % len(QUESTIONS)]
        answers, documents = [], []
        deadline = time.monotonic() + 30
        while swaps < 4 and not reindex_errors and time.monotonic() < deadline:  # ask across many swaps
            answer = engine.ask(question)
            answers.append(answer)
            documents += [engine.document_text(c.source) for c in answer.citations]
        return question, answers, documents

    writer = threading.Thread(target=reindex_repeatedly)
    writer.start()
    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(ask, range(20)))  # re-raises the first failure of any question
    finally:
        stop.set()
        writer.join(60)
    assert not reindex_errors, reindex_errors
    assert swaps >= 4, "the index was not swapped while questions were in flight"
    for question, answers, documents in results:
        assert answers and all(d is not None for d in documents)
        for answer in answers:
            assert answer.question == question and (answer.citations or answer.abstained)
            for c in answer.citations:
                assert (corpus / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote
    volcano = [a for q, answers, _ in results if "Etna" in q for a in answers]
    assert all(a.citations and a.citations[0].source == "notes/volcanoes.md" for a in volcano)
