"""The JSON contract as a schema that ships with the package (qa/schemas/answer.schema.json): `qa ask --json`
and `qa batch` output, answers and abstentions and failed lines, validated against it, and what a schema
cannot say checked by hand: quotes and highlights are the document's own text at those offsets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.test_doc_answers import docs, run_cli  # noqa: F401 - the documentation corpus fixture

jsonschema = pytest.importorskip("jsonschema")


def schema() -> dict[str, Any]:
    from importlib.resources import files

    return json.loads(files("qa").joinpath("schemas/answer.schema.json").read_text(encoding="utf-8"))


def check(record: dict[str, Any], corpus: Path) -> None:
    """Valid against the schema, and every offset is where the schema says it is."""
    from qa.config import Settings
    from qa.engine import Engine

    jsonschema.Draft202012Validator(schema()).validate(record)
    if not record["citations"]:
        return
    engine = Engine(Settings.resolve(corpus, corpus.parent / "idx"))
    try:
        for c in record["citations"]:
            text = engine.document_text(c["source"])
            assert text is not None
            assert text[c["start"] : c["end"]] == c["quote"]
            if c["highlight"]:
                a, b = c["highlight"]
                assert c["start"] <= a < b <= c["end"] and text[a:b] == record["short_answer"]
            if c["header"]:
                assert text[c["header"]["start"] : c["header"]["end"]] == c["header"]["text"]
    finally:
        engine.close()


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())


@pytest.mark.parametrize("question", [
    "When was the confocal microscope last calibrated?",  # a row with its header, a highlighted date
    "Which itertools function returns successive overlapping pairs from the input?",  # a term and its description
    "How do I list the samples of a run?",  # code
    "What is the annual budget of the project?",  # a value in a sentence of a text file
    "How do I filter rows with dplyr?",  # an abstention
])
def test_ask_json_follows_the_schema(docs: Path, question: str) -> None:  # noqa: F811
    out = run_cli("ask", "--json", question, "--corpus", str(docs), "--index", str(docs.parent / "idx"))
    assert out.exit_code == 0, out.output
    check(json.loads(out.stdout), docs)


def test_batch_lines_follow_the_schema_failed_ones_too(docs: Path) -> None:  # noqa: F811
    lines = "\n".join([json.dumps({"id": "a1", "question": "What is the annual budget of the project?"}),
                       "When was the confocal microscope last calibrated?",
                       json.dumps({"id": 7, "question": "", "where": "path:*.txt"}),  # fails: empty
                       json.dumps({"id": None, "question": "budget", "where": "since:yesterday"})])  # bad filter
    out = run_cli("batch", "--corpus", str(docs), "--index", str(docs.parent / "idx"), stdin=lines + "\n")
    assert out.exit_code == 7, out.output  # some lines failed
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["id"] for r in records] == ["a1", 2, 7, None]
    assert [r["error"] is not None for r in records] == [False, False, True, True]
    for record in records:
        check(record, docs)


def test_what_the_schema_refuses() -> None:
    """The schema has teeth: a highlight given as quote offsets of the wrong shape, a missing field, an unknown
    kind and an extra field are all refused."""
    validator = jsonschema.Draft202012Validator(schema())
    good = {"id": 1, "question": "q", "answer": "a [1]", "abstained": False, "short_answer": None,
            "confidence": 0.5, "unmentioned": [], "passages": [], "warnings": [], "error": None,
            "citations": [{"n": 1, "source": "a.txt", "start": 0, "end": 3, "quote": "abc", "score": 0.5,
                           "title": "A", "date": None, "place": None, "line": 1, "page": None, "page_label": None,
                           "format": "txt", "section": None, "highlight": [0, 2], "kind": "sentence",
                           "header": None}]}
    validator.validate(good)
    bad_cases = [
        {**good, "citations": [{**good["citations"][0], "highlight": [0]}]},
        {k: v for k, v in good.items() if k != "confidence"},
        {**good, "citations": [{**good["citations"][0], "kind": "paragraph"}]},
        {**good, "extra": 1},
        {**good, "confidence": 1.5},
    ]
    for bad in bad_cases:
        assert not validator.is_valid(bad), bad
