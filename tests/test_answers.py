"""Answers: verbatim, verified citations; abstention; question validation; follow-ups."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from index.errors import CitationError, IndexStateError, UsageError
from qa.answer import NOT_FOUND, verify_citation
from qa.engine import MAX_QUESTION_CHARS, contextualize


def test_every_citation_is_the_file_text_at_its_offsets(engine, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    answer = engine.ask("Where is Mount Etna volcano?")
    assert not answer.abstained
    assert answer.citations
    for c in answer.citations:
        text = (corpus / c.source).read_text(encoding="utf-8")
        assert text[c.start : c.end] == c.quote
        assert f"[{c.n}]" in answer.text
        assert c.line == text.count("\n", 0, c.start) + 1
    assert answer.citations[0].source == "notes/volcanoes.md"
    assert "Sicily" in answer.text
    for p in answer.passages:
        assert (corpus / p.source).read_text(encoding="utf-8")[p.start : p.end] == p.text
    assert [p.rank for p in answer.passages] == list(range(1, len(answer.passages) + 1))


def test_citations_carry_document_metadata(engine) -> None:  # type: ignore[no-untyped-def]
    answer = engine.ask("Blinken Astana Tuesday talks")
    c = answer.citations[0]
    assert (c.source, c.date, c.place) == ("blinken.txt", "2023-02-28", "Astana (Kazakhstan)")


def test_verification_catches_a_wrong_quote(engine, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    c = engine.ask("Where is Mount Etna volcano?").citations[0]
    text = (corpus / c.source).read_text(encoding="utf-8")
    verify_citation(text, c)  # the real one passes
    with pytest.raises(CitationError):
        verify_citation(text, replace(c, start=c.start + 1))
    with pytest.raises(CitationError):
        verify_citation(text, replace(c, quote=c.quote.upper()))
    with pytest.raises(IndexStateError):  # offsets past the text: a damaged index (exit 4), not a bug
        verify_citation(text, replace(c, end=len(text) + 5))


def test_offsets_past_the_stored_text_are_a_damaged_index_not_a_quote(engine) -> None:  # type: ignore[no-untyped-def]
    """What the citation check inside composition is for: stored sentence offsets that point past the
    document's text (a damaged or crafted index) fail loudly, exit 4, instead of quoting a slice of whatever
    is there."""
    import sqlite3

    gen = engine.store.current_generation()
    engine.close()
    conn = sqlite3.connect(gen / "meta.sqlite")
    conn.execute("UPDATE sentences SET end = end + 100000")
    conn.commit()
    conn.close()
    from qa.config import Settings
    from qa.engine import Engine

    damaged = Engine(Settings.resolve(engine.settings.corpus, engine.settings.index), embedder=engine.embedder)
    with pytest.raises(IndexStateError, match="points past the text"):
        damaged.ask("Where is Mount Etna volcano?")
    damaged.close()


def test_unrelated_question_abstains_but_lists_passages(engine) -> None:  # type: ignore[no-untyped-def]
    answer = engine.ask("zebra quantum lasagna")
    assert answer.abstained
    assert answer.text == NOT_FOUND
    assert answer.citations == ()
    assert len(answer.passages) == min(5, engine.snapshot.manifest.chunks) > 0


def test_top_k_limits_passages(engine) -> None:  # type: ignore[no-untyped-def]
    assert len(engine.ask("tea", top_k=2).passages) == 2


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_a_usage_error(engine, question: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="empty"):
        engine.ask(question)


def test_huge_question_is_truncated_with_a_warning(engine) -> None:  # type: ignore[no-untyped-def]
    answer = engine.ask("volcano " * 5000)
    assert len(answer.question) <= MAX_QUESTION_CHARS
    assert answer.warnings and "first 1000" in answer.warnings[0]


def test_follow_up_questions_carry_the_previous_question() -> None:
    history = ["Where was Blinken on Tuesday?"]
    assert contextualize("When did he arrive?", history) == "Where was Blinken on Tuesday? When did he arrive?"
    assert contextualize("Which country did Russia invade first?", history) == \
        "Which country did Russia invade first?"
    assert contextualize("When did he arrive?", []) == "When did he arrive?"
    assert contextualize("And Uzbekistan?", history).endswith("And Uzbekistan?")
    assert contextualize("And Uzbekistan?", history) != "And Uzbekistan?"
    assert contextualize("Who is Tileuberdi?", history) == "Who is Tileuberdi?"  # names its own subject
    assert contextualize("why?", history) == "Where was Blinken on Tuesday? why?"


def test_follow_up_retrieves_with_context(engine) -> None:  # type: ignore[no-untyped-def]
    """'Where is it?' alone finds nothing about Etna; after a question about Etna it must."""
    alone = engine.ask("Where is it?")
    followed = engine.ask("Where is it?", history=["Tell me about Mount Etna"])
    assert "notes/volcanoes.md" not in {c.source for c in alone.citations}
    assert alone.passages[0].source != "notes/volcanoes.md"
    assert followed.citations and followed.citations[0].source == "notes/volcanoes.md"
    assert followed.passages[0].source == "notes/volcanoes.md" and "Sicily" in followed.text
    assert alone.question == followed.question == "Where is it?"  # the answer keeps the user's words


def test_json_contract_fields(engine) -> None:  # type: ignore[no-untyped-def]
    record = engine.ask("Mount Etna Sicily").to_dict(id="q1")
    assert set(record) >= {"id", "question", "answer", "abstained", "citations", "passages", "error"}
    assert record["id"] == "q1" and record["error"] is None
    assert set(record["citations"][0]) >= {"n", "source", "start", "end", "quote", "score", "title", "date"}
    assert set(record["passages"][0]) >= {"rank", "source", "start", "end", "text", "score"}
