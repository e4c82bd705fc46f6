"""Loading files (bad ones included), metadata, and sentence-aware chunking with exact offsets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from index.embedding import HashEmbedder
from index.reading.load import load_document, parse_document
from index.reading.scan import scan_corpus
from index.text.chunking import chunk_document, split_sentences


def words(texts):  # type: ignore[no-untyped-def]
    return [len(t.split()) for t in texts]


def test_seed_header_gives_date_place_and_body(tmp_path: Path) -> None:
    doc = load_document(Path(__file__).parent.parent / "seeds", "blinken-central-asia.txt")
    assert doc.date == "2023-02-28"
    assert doc.place == "Astana (Kazakhstan)"
    assert doc.text[doc.body_start :].startswith("U.S. Secretary of State")
    assert doc.title.startswith("U.S. Secretary of State Antony Blinken")
    assert len(doc.title) <= 80


def test_title_is_first_nonempty_line_or_file_name() -> None:
    assert parse_document("a/b.md", "\n\n# Heading here\n\nBody.").title == "Heading here"
    assert parse_document("a/plain-name.txt", "\n \n").title == "plain-name"


def test_sentence_splitter_knows_abbreviations() -> None:
    text = "Mr. Smith met U.S. officials in Jan. 2023. Then he left! Was it late? Yes."
    got = [text[s.start : s.end] for s in split_sentences(text)]
    assert got == ["Mr. Smith met U.S. officials in Jan. 2023.", "Then he left!", "Was it late?", "Yes."]


def test_a_one_letter_name_ends_a_sentence_that_an_initial_does_not() -> None:
    """"R." or "C." ends a sentence when a common opening word follows ("...loaded into R. Up to 65 R objects
    can be passed."); "J. Smith" and "John F. Kennedy" keep their initials."""
    text = ("It must already be loaded into R. Up to 65 R objects can be passed. Write it in C. Only then does it "
            "run. It was written by J. Smith with John F. Kennedy.")
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        "It must already be loaded into R.", "Up to 65 R objects can be passed.", "Write it in C.",
        "Only then does it run.", "It was written by J. Smith with John F. Kennedy."]
    # after a comma or another initial, a letter is an initial whatever follows
    refs = "Smith, J. From genes to proteins. The U. S. Is a founding member."
    assert [refs[s.start : s.end] for s in split_sentences(refs)] == [
        "Smith, J. From genes to proteins.", "The U. S. Is a founding member."]


def test_headings_and_list_items_are_boundaries() -> None:
    text = "# Title\nIntro line. More.\n\n- first item\n- second item\n"
    got = [text[s.start : s.end] for s in split_sentences(text)]
    assert got == ["# Title", "Intro line.", "More.", "- first item", "- second item"]


def test_plain_text_headings_and_labelled_lines_are_boundaries() -> None:
    """Meeting notes: a numbered heading stays whole and apart from its paragraph; each labelled line is
    its own sentence. A wrapped paragraph whose next line starts in lower case stays one sentence."""
    text = ("Notes\n\nDate: Thursday, 14 March 2024\nPresent: Ana Ruiz (lab manager), Tomasz Kowalczyk\n"
            "Apologies: Lena Fischer (postdoctoral researcher)\n\n1. Budget\nDr. Okafor reported the budget.\n\n"
            "Short first line\nthen continues in lower case.\n\nQ: Is insurance provided?\nA: Yes, with Allianz.\n")
    got = [text[s.start : s.end] for s in split_sentences(text)]
    assert got == ["Notes", "Date: Thursday, 14 March 2024", "Present: Ana Ruiz (lab manager), Tomasz Kowalczyk",
                   "Apologies: Lena Fischer (postdoctoral researcher)", "1. Budget", "Dr. Okafor reported the budget.",
                   "Short first line\nthen continues in lower case.", "Q: Is insurance provided?",
                   "A: Yes, with Allianz."]
    wrapped = "Intro.\n\nThe meeting will take place in\nBerlin on Monday.\n"  # a short first line, not a heading
    assert [wrapped[s.start : s.end] for s in split_sentences(wrapped)] == [
        "Intro.", "The meeting will take place in\nBerlin on Monday."]


def test_a_list_of_versions_after_a_name_names_each_of_the_same_shape() -> None:
    from index.text.keywords import named_numbers

    assert named_numbers("Support for Python 3.8 and 3.9 was dropped.") == {"python 3.8", "python 3.9"}
    assert named_numbers("Does it need Python 3.10 or 2 GB of memory?") == {"python 3.10"}
    assert named_numbers("Python 3.10 and 2 other runtimes.") == {"python 3.10"}  # a count, not a version
    assert named_numbers("PEP 701, 702 or 703.") == {"pep 701", "pep 702", "pep 703"}


def test_chunks_hold_whole_sentences_with_exact_offsets() -> None:
    sentences = [f"Sentence number {i} talks about topic {i % 7} at some length." for i in range(60)]
    text = "Title line\n\n" + " ".join(sentences)
    doc = parse_document("x.txt", text)
    chunks = chunk_document(doc, words, max_tokens=40, overlap_tokens=12)
    assert len(chunks) > 5
    all_spans = {(s.start, s.end) for s in split_sentences(text)}
    for chunk in chunks:
        assert chunk.n_tokens <= 40
        assert chunk.start == chunk.sentences[0].start and chunk.end == chunk.sentences[-1].end
        for s in chunk.sentences:
            assert (s.start, s.end) in all_spans  # never a cut sentence
    # neighbours overlap by whole sentences, and together they cover every sentence
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start < a.end and b.start >= a.start
    covered = {(s.start, s.end) for c in chunks for s in c.sentences}
    assert covered == all_spans


def test_overlong_sentence_is_split_at_words_to_fit() -> None:
    text = " ".join(f"w{i}" for i in range(130))
    chunks = chunk_document(parse_document("x.txt", text), words, max_tokens=50, overlap_tokens=0)
    assert all(c.n_tokens <= 50 for c in chunks)
    assert " ".join(text[c.start : c.end] for c in chunks) == text


def test_real_tokenizer_counts_tokens_without_torch() -> None:
    """Chunking a corpus needs the model's tokenizer only: counting tokens must not import torch (in a fresh
    process: this one has torch loaded by other tests)."""
    code = ("import sys\nfrom index.embedding import MiniLMEmbedder\n"
            "print(MiniLMEmbedder().count_tokens(['Hello world.', 'Kassym-Jomart Tokayev']))\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    counts = json.loads(out.stdout)
    assert counts[0] == 3 and counts[1] > 3


def test_bad_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("Fine text.", encoding="utf-8")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))  # read, with its encoding (below)
    (tmp_path / "controls.txt").write_bytes(bytes(range(1, 32)) * 8 + b"\xff\xfe not text")
    (tmp_path / "empty.md").write_text("  \n", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("secret", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    os.symlink(tmp_path / "missing-target.txt", tmp_path / "dangling.txt")
    found = {s.source for s in scan_corpus(tmp_path)}
    assert found == {"ok.txt", "bin.txt", "latin1.txt", "controls.txt", "empty.md", "dangling.txt"}
    reasons = {}
    for source in sorted(found - {"ok.txt", "latin1.txt"}):
        with pytest.raises(ValueError) as info:
            load_document(tmp_path, source)
        reasons[source] = str(info.value)
    assert reasons["bin.txt"] == "binary file"
    assert reasons["controls.txt"].startswith("binary file (not UTF-8 text")
    latin = load_document(tmp_path, "latin1.txt")
    assert (latin.text, latin.encoding) == ("café", "cp1252")
    assert reasons["empty.md"] == "empty file"
    assert reasons["dangling.txt"].startswith("unreadable")


def test_offsets_follow_read_text_with_crlf_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "win.txt"
    path.write_bytes("\ufeffFirst line.\r\nSecond sentence here.\r\n".encode())
    doc = load_document(tmp_path, "win.txt")
    assert doc.text == path.read_text(encoding="utf-8")
    chunks = chunk_document(doc, HashEmbedder().count_tokens)
    quotes = [doc.text[s.start : s.end] for c in chunks for s in c.sentences]
    assert quotes == ["First line.", "Second sentence here."]
