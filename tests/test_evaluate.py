"""The quality harness: metrics computed right, including when they should be bad."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from index.errors import UsageError
from qa.evaluate import EvalQuestion, evaluate, load_questions
from tests.test_cli import qa


def test_metrics_on_a_small_corpus(engine, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    questions = [
        EvalQuestion(1, "Mount Etna volcano Sicily", ("notes/volcanoes.md",), ("Sicily",), False),
        EvalQuestion(2, "green tea leaves oxidised", ("notes/tea.rst",), ("Green tea",), False),
        EvalQuestion(3, "Mount Etna volcano Sicily", ("notes/tea.rst",), ("Ukraine",), False),  # wrong gold
        EvalQuestion(4, "zebra quantum lasagna", (), (), True),
    ]
    report = evaluate(lambda q: engine.ask(q, top_k=10), corpus, questions)
    assert report.questions == 4 and report.ranked_questions == 3
    assert report.rows[0]["gold_rank"] == 1 and report.rows[1]["gold_rank"] == 1
    assert report.rows[2]["gold_rank"] > 1
    assert report.recall_at_1 == pytest.approx(2 / 3)
    assert report.mrr_at_10 == pytest.approx((1 + 1 + 1 / report.rows[2]["gold_rank"]) / 3)
    assert report.answer_accuracy == pytest.approx(2 / 3)
    assert report.abstention_precision == 1.0 and report.abstention_recall == 1.0
    assert report.verbatim_rate == 1.0 and report.citations >= 3
    assert report.latency_p50_ms is not None and report.latency_p95_ms >= report.latency_p50_ms


def test_verbatim_rate_drops_when_a_quote_is_wrong(engine, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    def tampered(question: str):  # type: ignore[no-untyped-def]
        answer = engine.ask(question)
        bad = replace(answer.citations[0], start=answer.citations[0].start + 2)
        return replace(answer, citations=(bad, *answer.citations[1:]))

    report = evaluate(tampered, corpus, [EvalQuestion(1, "Mount Etna volcano Sicily")])
    assert report.verbatim_rate is not None and report.verbatim_rate < 1.0


def test_question_file_formats(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "question": "x?", "any": ["y"]}\n\n{"question": "z?", "abstain": true}\n'
                    '{"question": "w?", "gold_sources": ["d.txt"]}\n', encoding="utf-8")
    qs = load_questions(path)
    assert [q.id for q in qs] == ["a", 3, 4]
    assert qs[0].any_of == ("y",) and qs[0].answers == () and qs[0].abstain is False
    assert qs[1].abstain is True and qs[2].gold_sources == ("d.txt",) and qs[2].abstain is False
    path.write_text('{"q": 1}\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"q.jsonl:1"):
        load_questions(path)


def test_qa_eval_command(corpus: Path, tmp_path: Path) -> None:
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(json.dumps({"id": 1, "question": "Mount Etna volcano", "gold_sources": ["notes/volcanoes.md"],
                                 "answers": ["Sicily"]}) + "\n", encoding="utf-8")
    details = tmp_path / "rows.jsonl"
    out = qa("eval", str(qfile), "--corpus", str(corpus), "--index", str(tmp_path / "idx"), "--json",
             "--details", str(details))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["recall_at_1"] == 1.0 and summary["answer_accuracy"] == 1.0
    assert summary["verbatim_rate"] == 1.0
    assert json.loads(details.read_text(encoding="utf-8").splitlines()[0])["gold_rank"] == 1


def test_gold_titles_all_of_answers_and_pages(engine, corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    questions = [
        EvalQuestion(1, "Mount Etna volcano Sicily", (), ("Etna", "Sicily"), False, gold_title="Volcanoes"),
        EvalQuestion(2, "Mount Etna volcano Sicily", (), ("Etna", "Ukraine"), False),  # one string missing
        EvalQuestion(3, "Mount Etna volcano Sicily", (), (), False, any_of=("Ukraine", "Sicily")),
    ]
    report = evaluate(engine.ask, corpus, questions, sources_titled=engine.sources_titled)
    assert engine.sources_titled("Volcanoes") == ["notes/volcanoes.md"]
    assert report.ranked_questions == 1 and report.recall_at_1 == 1.0
    assert [r["correct"] for r in report.rows] == [True, False, True]


def test_page_accuracy(tmp_path: Path) -> None:
    from qa.config import Settings
    from qa.engine import Engine
    from tests.docgen import LOREM, make_pdf

    root = tmp_path / "docs"
    root.mkdir()
    make_pdf(root / "g.pdf", ["Intro\n\n" + LOREM, "Basalt columns form when thick lava cools slowly and cracks."])
    from index.embedding import HashEmbedder

    eng = Engine(Settings.resolve(root, tmp_path / "idx"), embedder=HashEmbedder())
    questions = [EvalQuestion(1, "basalt columns thick lava cools cracks", ("g.pdf",), gold_page=2),
                 EvalQuestion(2, "basalt columns thick lava cools cracks", ("g.pdf",), gold_page=1)]
    report = evaluate(eng.ask, root, questions, document_text=eng.document_text)
    eng.close()
    assert report.page_questions == 2 and report.page_accuracy == 0.5
    assert report.rows[0]["cited_page"] == 2 and report.verbatim_rate == 1.0
