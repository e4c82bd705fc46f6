"""Scoped questions (--where): parsing, and filtering inside retrieval for dense and keyword search."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from index.embedding.hashing import HashEmbedder
from index.errors import UsageError
from index.filters import Where, parse_where
from qa.config import Settings
from qa.engine import Engine
from tests.conftest import qa_command
from tests.docgen import make_docx, make_pdf


def test_parse_and_match() -> None:
    w = parse_where('path:reports/2023/** since:2023-01-01 until:2023-12-31 format:pdf,txt title:"annual budget"')
    assert w.paths == ("reports/2023/**",) and w.since == "2023-01-01" and w.formats == ("pdf", "txt")
    assert w.title_words == ("annual", "budget")
    assert w.matches("reports/2023/q1/x.pdf", "2023-03-01", "pdf", "The Annual Budget")
    assert not w.matches("reports/2022/x.pdf", "2023-03-01", "pdf", "The Annual Budget")
    assert not w.matches("reports/2023/x.pdf", None, "pdf", "The Annual Budget")  # a date filter needs a date
    assert not w.matches("reports/2023/x.pdf", "2024-01-01", "pdf", "The Annual Budget")
    assert parse_where("path:*.md").matches("a.md", None, "md", "") and not parse_where("path:*.md").matches(
        "sub/a.md", None, "md", "")
    assert not parse_where("") and not Where()


@pytest.mark.parametrize(("glob", "source", "matches"), [
    ("reports/2023/**", "reports/2023/q1/x.pdf", True), ("reports/2023/**", "reports/2022/x.pdf", False),
    ("**/*.md", "a.md", True), ("**/*.md", "x/y/a.md", True), ("**/*.md", "x/y/a.txt", False),
    ("a/**/b", "a/b", True), ("a/**/b", "a/x/y/b", True), ("a/**/b", "a/x/y/c", False),
    ("**/x/**", "a/x/b", True), ("**/x/**", "a/y/b", False), ("**", "any/thing.txt", True),
    ("n?tes/*.rst", "notes/tea.rst", True), ("q?.txt", "q12.txt", False), ("*a*b*c", "xaybzc", True),
    ("*a*b*c", "xaybz", False), ("[draft]-*.txt", "[draft]-plan.txt", True), ("***.md", "a.md", True),
    ("***.md", "x/a.md", False),  # a run of * that is not a whole folder name is one *, as in gitignore
])
def test_path_globs(glob: str, source: str, matches: bool) -> None:
    assert parse_where(f"path:{glob}").matches(source, None, "txt", "") is matches


@pytest.mark.parametrize("bad", ["colour:red", "since:2023-13-45", "format:xls", "since:2024-01-01 until:2023-01-01",
                                 "path:", 'title:"unclosed', "title:!!!", "path:" + "*?" * 20])
def test_bad_filters_are_usage_errors_with_an_example(bad: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_where(bad)
    assert "\n" not in str(info.value)


@pytest.fixture
def scoped(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "reports" / "2023").mkdir(parents=True)
    (root / "reports" / "2021").mkdir(parents=True)
    (root / "notes").mkdir()
    lava = "Lava from the volcano flowed toward the village and destroyed the old bridge. "
    (root / "reports" / "2023" / "q1.txt").write_text(f"date 2023-03-01 Catania: {lava}", encoding="utf-8")
    (root / "reports" / "2021" / "old.txt").write_text(f"date 2021-05-05 Catania: {lava}", encoding="utf-8")
    (root / "notes" / "undated.md").write_text(f"# Notes\n\n{lava}", encoding="utf-8")
    make_pdf(root / "notes" / "guide.pdf", ["Guide\n\n" + lava], title="Volcano guide")
    make_docx(root / "notes" / "memo.docx", [("h1", "Memo"), ("p", lava)])
    # Many documents about lava that outrank the one the filter lets through, without a filter:
    for i in range(30):
        (root / f"lava-{i:02d}.txt").write_text(lava * 3 + f"Report number {i}.", encoding="utf-8")
    (root / "far" / "down").mkdir(parents=True)
    (root / "far" / "down" / "tea.txt").write_text("Green tea is made from unoxidised leaves. " + lava[:30],
                                                   encoding="utf-8")
    return root


def engine_for(root: Path, tmp_path: Path) -> Engine:
    eng = Engine(Settings.resolve(root, tmp_path / "idx"), embedder=HashEmbedder())
    for _ in eng.prepare():
        pass
    return eng


def test_filters_pick_the_top_k_from_matching_documents(scoped: Path, tmp_path: Path) -> None:
    eng = engine_for(scoped, tmp_path)
    q = "lava volcano destroyed the bridge"
    assert {p.source for p in eng.search(q, top_k=5)} <= {f"lava-{i:02d}.txt" for i in range(30)}
    assert [p.source for p in eng.search(q, top_k=5, where="path:reports/2023/**")] == ["reports/2023/q1.txt"]
    dated = {p.source for p in eng.search(q, top_k=10, where="since:2022-01-01")}
    assert "reports/2023/q1.txt" in dated and "reports/2021/old.txt" not in dated
    assert "notes/undated.md" not in dated  # undated documents do not pass a date filter
    assert {p.source for p in eng.search(q, top_k=5, where="format:pdf")} == {"notes/guide.pdf"}
    assert {p.source for p in eng.search(q, top_k=5, where="format:docx")} == {"notes/memo.docx"}
    # far down the unfiltered ranking, yet first when the filter allows only it:
    assert [p.source for p in eng.search(q, top_k=3, where="path:far/**")] == ["far/down/tea.txt"]
    answer = eng.ask(q, where="path:far/**")
    assert all(c.source == "far/down/tea.txt" for c in answer.citations)
    eng.close()


def test_a_document_named_by_the_question_stays_out_of_a_filter_that_excludes_it(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "notes").mkdir(parents=True)
    (root / "spain.txt").write_text("Spain\n\nMadrid is the capital of Spain.", encoding="utf-8")
    (root / "notes" / "rivers.md").write_text("# Rivers\n\nThe Tagus is the longest river of the Iberian "
                                              "Peninsula.", encoding="utf-8")
    eng = engine_for(root, tmp_path)
    unscoped = eng.ask("capital of Spain?")
    assert unscoped.citations and unscoped.citations[0].source == "spain.txt"  # named by its title
    scoped_answer = eng.ask("capital of Spain?", where="path:notes/**")
    found = eng.search("capital of Spain?", where="path:notes/**")
    eng.close()
    assert {c.source for c in scoped_answer.citations} <= {"notes/rivers.md"}
    assert {p.source for p in (*scoped_answer.passages, *found)} == {"notes/rivers.md"}


def test_a_filter_returns_k_passages_while_more_match(scoped: Path, tmp_path: Path) -> None:
    eng = engine_for(scoped, tmp_path)
    found = eng.search("lava volcano", top_k=7, where="path:lava-*")
    assert len(found) == 7 and all(p.source.startswith("lava-") for p in found)
    eng.close()


def test_a_filter_that_matches_nothing_says_so(scoped: Path, tmp_path: Path) -> None:
    eng = engine_for(scoped, tmp_path)
    answer = eng.ask("lava", where="path:nowhere/**")
    assert answer.abstained and "No documents match" in answer.text and not answer.passages
    eng.close()


def test_cli_where(scoped: Path, tmp_path: Path) -> None:
    args = ["--corpus", str(scoped), "--index", str(tmp_path / "idx")]
    out = subprocess.run([*qa_command(), "ask", "--json", "--where", "format:pdf", "lava volcano bridge", *args],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert {c["source"] for c in json.loads(out.stdout)["citations"]} == {"notes/guide.pdf"}
    bad = subprocess.run([*qa_command(), "ask", "--where", "colour:red", "lava", *args], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and "unknown condition" in bad.stderr and "e.g." in bad.stderr


def test_ivf_search_with_a_mask_equals_exact_search_over_allowed_rows(tmp_path: Path) -> None:
    import numpy as np

    from index.storage.local.vectors import VectorStore, write_vectors

    rng = np.random.default_rng(3)
    centres = rng.normal(size=(40, 32))
    data = (centres[rng.integers(0, 40, 8000)] + 0.3 * rng.normal(size=(8000, 32))).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    params = write_vectors(tmp_path, data, exact_limit=1000)
    store = VectorStore(tmp_path)
    assert params.kind == "ivf-sq8" and store._faiss().nlist > 1
    allowed = np.zeros(len(data), dtype=bool)
    allowed[rng.choice(len(data), 60, replace=False)] = True  # 0.75% of the rows
    q = data[5] + 0.1 * rng.normal(size=32).astype(np.float32)
    q /= np.linalg.norm(q)
    ids, _scores = store.search(q, 10, allowed)
    exact = np.argsort(-np.where(allowed, data @ q, -np.inf))[:10]
    assert len(ids) == 10 and allowed[ids].all()
    assert len(set(ids) & set(exact)) >= 9
