"""Answers on documentation: pick what answers, quote what it needs, refuse what the documents never say.

A small corpus made here (an API reference page, a DOCX with code and a table, a PDF manual with a table,
code and a definition list, a text with a budget), answered with the fast hash embedder: what is tested is
the choice and shape of the answer, which does not depend on the model."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest

from qa.reader import DEFAULT, ERROR, HOWTO, IDENT, NUMBER, VERSION, expected_type
from tests.docgen import API_PAGE, make_code_docx, make_nested_terms_pdf, make_signatures_pdf, make_structured_pdf


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "itertools.html").write_text(API_PAGE, encoding="utf-8")
    make_code_docx(root / "lab.docx")
    make_structured_pdf(root / "manual.pdf")
    (root / "project.txt").write_text(
        "Project Aurora\n\nThe project studies coastal erosion. The annual budget of the project is 240 000 euros, "
        "paid by the regional council.\n", encoding="utf-8")
    return root


@pytest.fixture
def docs_engine(docs: Path, tmp_path: Path, hash_embedder):  # type: ignore[no-untyped-def]
    from qa.config import Settings
    from qa.engine import Engine

    eng = Engine(Settings.resolve(docs, tmp_path / "index"), embedder=hash_embedder)
    for _ in eng.prepare():
        pass
    yield eng
    eng.close()


@contextmanager
def built_engine(corpus: Path, index: Path, embedder):  # type: ignore[no-untyped-def]
    """An engine over `corpus`, its index built at `index`; closed afterwards."""
    from qa.config import Settings
    from qa.engine import Engine

    eng = Engine(Settings.resolve(corpus, index), embedder=embedder)
    try:
        for _ in eng.prepare():
            pass
        yield eng
    finally:
        eng.close()


@contextmanager
def engine_over_pdf(make: Callable[[Path], Path], tmp_path: Path, embedder):  # type: ignore[no-untyped-def]
    """An engine over a corpus of one PDF that `make` writes, its index built."""
    root = tmp_path / "docs"
    root.mkdir()
    make(root / "manual.pdf")
    with built_engine(root, tmp_path / "index", embedder) as eng:
        yield eng


def add_documents(engine, documents: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Write `documents` (name -> text) into the engine's corpus and bring its index up to date."""
    for name, text in documents.items():
        (engine.settings.corpus / name).write_text(text, encoding="utf-8")
    for _ in engine.prepare():
        pass


def test_a_description_is_quoted_with_the_name_it_defines(docs_engine) -> None:  # type: ignore[no-untyped-def]
    answer = docs_engine.ask("Which itertools function returns successive overlapping pairs from the input?")
    assert not answer.abstained
    kinds = [c.kind for c in answer.citations]
    assert kinds[:2] == ["term", "sentence"]
    assert answer.citations[0].quote == "itertools.pairwise(iterable)"
    assert answer.citations[1].quote.startswith("Return successive overlapping pairs")
    assert answer.short_answer == "itertools.pairwise"
    assert "itertools.pairwise(iterable) [1]" in answer.text


def test_a_function_is_named_by_its_entry_not_by_a_value_of_its_argument(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """`overridable` is a value listed in `nproc (query)`'s description: asked which function does what
    that value's description says, the answer is the function."""
    with engine_over_pdf(make_nested_terms_pdf, tmp_path, hash_embedder) as eng:
        answer = eng.ask("Which function counts the processors, overridable through the OMP_NUM_THREADS variable?")
        assert not answer.abstained and answer.short_answer == "nproc"
        assert "overridable through the OMP_NUM_THREADS" in answer.text
        # asked for the value itself, the inner name answers
        answer = eng.ask("Which value of query makes the count overridable through OMP_NUM_THREADS?")
        assert answer.short_answer != "nproc"


def test_what_a_named_function_does_is_the_first_sentence_of_its_entry(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """Not one of its signature lines, nor its example: the sentence its entry opens with."""
    with engine_over_pdf(make_signatures_pdf, tmp_path, hash_embedder) as eng:
        answer = eng.ask("What does the cplxpair function do with numbers z?")
        assert not answer.abstained
        quotes = [c.quote for c in answer.citations]
        assert quotes[0] == "cplxpair (z, tol, dim)", answer.text  # the entry's name, then what it does
        assert quotes[1].startswith("Sort the numbers z into complex conjugate pairs"), answer.text


@pytest.mark.parametrize(("question", "subjects"), [
    ("What does Octave's cplxpair function do?", {"cplxpair"}),  # a name the question calls a function
    ("What does the function nthargout return?", {"nthargout"}),
    ("What does the print function do?", set()),  # an English word: no name
    ("What does statistics.mode() return?", {"statistics.mode", "mode"}),  # a name written as code
])
def test_names_a_question_calls_a_function_are_its_subjects(question: str, subjects: set[str]) -> None:
    from qa.answer import _code_subjects

    assert _code_subjects(question) == subjects


TEMPLATE_PAGE = """<html><body><h1>string - Template strings</h1>
<dl><dt>substitute(mapping={}, /, **kwds)</dt>
<dd><p>Performs the template substitution, returning a new string. A KeyError is raised when some placeholders are
missing from mapping.</p></dd>
<dt>safe_substitute(mapping={}, /, **kwds)</dt>
<dd><p>Like substitute(), except that if placeholders are missing from mapping and kwds, instead of raising a
KeyError exception, the original placeholder will appear in the resulting string intact.</p></dd></dl>
</body></html>"""


def test_what_a_question_wants_to_do_without_is_what_the_answer_avoids(engine) -> None:  # type: ignore[no-untyped-def]
    add_documents(engine, {"string.html": TEMPLATE_PAGE})
    answer = engine.ask("How do I fill in the placeholders without getting a KeyError when some values are missing?")
    assert not answer.abstained and answer.short_answer == "safe_substitute", answer.text


@pytest.mark.parametrize(("question", "terms"), [
    ("How do I fill in placeholders without getting a KeyError when some values are missing?", {"keyerror"}),
    ("How do I run Python in free-threaded mode without the GIL?", {"gil"}),
    ("How do I run it without the GIL or threads?", {"gil"}),  # what comes after "or" is another matter
    ("How do I fill in placeholders?", set()),
])
def test_avoided_terms(question: str, terms: set[str]) -> None:
    from qa.answer import avoided_terms

    assert avoided_terms(question) == terms


@pytest.mark.parametrize(("sentence", "avoids"), [
    ("Like substitute(), except that instead of raising a KeyError exception, the placeholder is kept.", True),
    ("Without a mapping, a KeyError is raised.", False),  # the clause after "without" ends at the comma
    ("If the option is disabled, a KeyError is raised.", False),
])
def test_a_sentence_avoids_only_what_its_clause_says(sentence: str, avoids: bool) -> None:
    from qa.answer import _avoids

    assert _avoids(sentence, frozenset({"keyerror"})) is avoids


@pytest.mark.parametrize(("after", "another"), [
    (" for the reentrant scanner structure when you call yylex_init().", True),
    (" for the input buffer.", False),
    (" for apps.", False), (" for 64-bit platforms.", False), (" for most systems.", False), (" for example.", False),
])
def test_an_amount_for_the_thing_named_after_it(after: str, another: bool) -> None:
    from index.text.keywords import keyword_tokens
    from qa.answer import _measures_another

    asked = set(keyword_tokens("How big is the input buffer a scanner allocates by default for apps?"))
    assert _measures_another(after, asked) is another


def test_a_line_of_many_signatures_is_read_in_linear_time() -> None:
    """A regular expression that backtracks exponentially would never return on these."""
    from qa.answer import _CALL, _SIGNATURE

    assert _SIGNATURE.fullmatch("x = f(a) " * 60 + "!") is None
    assert _SIGNATURE.fullmatch("cplxpair (z) cplxpair (z, tol) " * 30)
    assert _CALL.match("a, " * 5000) is None


@pytest.mark.parametrize(("row", "name"), [
    ("RemoteIPHeader | Declares the header field which should be parsed for useragent IP addresses", "RemoteIPHeader"),
    ("Description: | Replaces the original client IP address for the connection", None),  # a label, no name
    ("Context | server config, virtual host", None),  # a record's label without its colon
])
def test_a_row_of_names_answers_with_its_first_cell_unless_that_is_a_label(row: str, name: str | None) -> None:
    from qa.answer import typed_answer

    found = typed_answer(IDENT, row, 0, len(row), "row", None, "Which directive sets the client address?",
                         frozenset())
    assert (row[found[0] : found[1]] if found else None) == name


@pytest.mark.parametrize(("sentence", "number"), [
    ("The maximum number of attached databases cannot be increased above 125.", "125"),
    ("The ATTACH statement allows two or more databases to be associated to the same connection.", None),  # a floor
    ("Attached databases are limited to SQLITE_MAX_ATTACHED which is set to 10 by default.", None),  # a default
    ("Each connection needs at least 3 databases attached.", None),
])
def test_the_most_there_can_ever_be_is_no_floor_and_no_default(sentence: str, number: str | None) -> None:
    from qa.reader import answer_span, expected_type

    question = "What is the absolute most databases that can ever be attached to a single SQLite connection?"
    assert expected_type(question) == NUMBER
    from index.text.keywords import keyword_tokens

    found = answer_span(NUMBER, sentence, question, frozenset(keyword_tokens(sentence)))
    assert (sentence[found[0] : found[1]] if found else None) == number


FLEX_MEMORY = """Flex manual

21.1 The Default Memory Management

Flex allocates dynamic memory during initialization, and once in a while from within a call to yylex().

Flex allocates dynamic memory for four purposes, listed below

16kB for the input buffer.

Flex allocates about 84 bytes for the reentrant scanner structure, beside the input buffer of the scanner.
"""


def test_an_amount_under_a_default_heading_is_the_default_and_measures_what_it_is_for(engine) -> None:  # type: ignore[no-untyped-def]
    """"16kB for the input buffer." under "The Default Memory Management" gives the default size of the
    input buffer without saying "default"; "84 bytes for the reentrant scanner structure" is another thing's."""
    add_documents(engine, {"flex.md": FLEX_MEMORY.replace("21.1 The", "## 21.1 The")})
    answer = engine.ask("How big is the input buffer that a flex scanner allocates by default?")
    assert not answer.abstained and answer.short_answer == "16kB", answer.text
    assert answer.citations[0].quote == "16kB for the input buffer."


def test_a_table_row_answers_with_its_header(docs_engine) -> None:  # type: ignore[no-untyped-def]
    answer = docs_engine.ask("When was the confocal microscope last calibrated?")
    row = answer.citations[0]
    assert row.kind == "row" and "Confocal microscope" in row.quote
    assert row.context_text is not None and row.context_text.startswith("Instrument | Last calibrated")
    assert answer.short_answer == "2024-03-12"  # the asked row's date, not the mass spectrometer's


def test_how_to_quotes_the_code_with_the_sentence_introducing_it(docs_engine) -> None:  # type: ignore[no-untyped-def]
    answer = docs_engine.ask("How do I list the samples of a run?")
    kinds = [c.kind for c in answer.citations]
    assert "code" in kinds
    code = answer.citations[kinds.index("code")]
    assert code.quote == "samples <- list_samples(run)\nfor (s in samples) {\n    print(s)\n}"
    before = answer.citations[kinds.index("code") - 1]
    assert before.quote == "To list the samples of a run, type:"


def test_whole_values_keep_units_and_separators(docs_engine) -> None:  # type: ignore[no-untyped-def]
    answer = docs_engine.ask("What is the annual budget of the project?")
    assert answer.short_answer == "240 000 euros"


@pytest.mark.parametrize(("question", "missing"), [
    ("How do I filter rows with dplyr?", ["dplyr"]),
    ("What does Path.walk() yield for each directory?", ["Path.walk()"]),
    ("What changed in Python 3.13?", ["Python 3.13"]),  # as written, and its version not named again
    ("How do I serve files with http.server --tls-cert?", ["http.server", "--tls-cert"]),
    ("How do I filter rows with the uv command?", ["uv"]),  # two letters, named a tool
])
def test_terms_the_documents_never_mention_are_named_in_the_refusal(docs_engine, question: str,  # type: ignore[no-untyped-def]
                                                                   missing: list[str]) -> None:
    answer = docs_engine.ask(question)
    assert answer.abstained and answer.citations == ()
    assert list(answer.unmentioned) == missing
    assert answer.text.startswith("Not found in the corpus: the documents never mention ")
    assert all(term in answer.text for term in missing)
    assert answer.passages  # the closest passages are still shown
    record = answer.to_dict()
    assert record["unmentioned"] == missing and 0.5 < record["confidence"] <= 1


def test_a_name_only_the_scene_setting_sentence_holds_does_not_refuse_the_question(docs_engine) -> None:  # type: ignore[no-untyped-def]
    """"I use clangd ..." says why the question is asked; what is asked is in the documents. The answer
    says the documents never mention clangd, and answers. Asked in one sentence, it is refused as before."""
    answer = docs_engine.ask("I keep notes in wxmaxima. When was the confocal microscope last calibrated?")
    assert not answer.abstained and "2024-03-12" in answer.text, answer.text
    assert any("never mention wxmaxima" in w for w in answer.warnings)
    answer = docs_engine.ask("When was the confocal microscope last calibrated in wxmaxima?")
    assert answer.abstained and list(answer.unmentioned) == ["wxmaxima"]
    answer = docs_engine.ask("I keep notes in wxmaxima. How do I export them from wxmaxima?")  # asked of it
    assert answer.abstained and list(answer.unmentioned) == ["wxmaxima"]


@pytest.mark.parametrize(("question", "asking"), [
    ("I use clangd with my CMake project. What do I set to get CMake to write compile_commands.json?",
     "What do I set to get CMake to write compile_commands.json?"),
    ("When was the zorblax unit last calibrated, e.g. Confocal microscope?", None),  # "e.g." ends no sentence
    ("Is the zorblax sampler used by the U.S. Navy?", None),
    ("How do I do it without the GUI. From a script?", None),  # the first sentence asks too
    ("I tried pip, conda, etc. How do I install it offline?", "How do I install it offline?"),
    ("What is dplyr?", None),
])
def test_the_asking_sentence_after_a_scene(question: str, asking: str | None) -> None:
    from qa.answer import _asking_part

    assert _asking_part(question) == asking


def test_a_scene_s_unknown_name_is_still_named_when_nothing_answers(docs_engine) -> None:  # type: ignore[no-untyped-def]
    answer = docs_engine.ask("I keep notes in wxmaxima. What is the population of the city?")
    assert answer.abstained and list(answer.unmentioned) == ["wxmaxima"], answer.text
    assert answer.text == "Not found in the corpus: the documents never mention wxmaxima."
    assert not any("never mention" in w for w in answer.warnings)


def test_misspellings_and_english_words_are_not_taken_for_unknown_names(docs_engine) -> None:  # type: ignore[no-untyped-def]
    """'calibratted' is one letter away from the corpus's 'calibrated'; 'folder' is English: neither makes the
    question unanswerable by itself."""
    assert not docs_engine.ask("When was the confocal microscope last calibratted?").unmentioned
    assert not docs_engine.ask("Which folder holds the confocal microscope calibration?").unmentioned


def test_the_english_word_list_answers_as_the_parsed_list_would() -> None:
    """english_words() looks words up in the list's JSON text instead of parsing it into a set: the same
    answers, for its words (accented ones too) and for words one letter away from them."""
    import gzip
    import random
    from importlib import resources

    from qa.terms import english_words

    parsed = frozenset(json.loads(gzip.decompress(
        resources.files("spellchecker").joinpath("resources/en.json.gz").read_bytes())))
    words = english_words()
    sample = random.Random(3).sample(sorted(parsed), 3000) + [w for w in parsed if not w.isascii()][:50]
    assert all(w in words for w in sample)
    near = [w[:-1] + ("q" if w[-1] != "q" else "x") for w in sample] + [w + "zq" for w in sample[:500]]
    near += ['say "hi"', "back\\slash", "", "a's", "aa"]
    assert [w in words for w in near] == [w in parsed for w in near]
    assert "volcano" in words and "tidyr" not in words and bool(words)


def test_the_english_word_list_is_kept_sorted_in_the_cache_and_a_broken_copy_is_not_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped list is gzipped JSON (~25 ms to inflate, ~90 ms to parse, per process); it is kept in the user
    cache once as sorted lines and read from there. A cut copy (a full disk) is parsed from the package again,
    never trusted."""
    import gzip
    from importlib import resources

    from qa.terms import WordList, english_words

    shipped = WordList.from_json(gzip.decompress(
        resources.files("spellchecker").joinpath("resources/en.json.gz").read_bytes())).text
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # not the session's shared copy: this test spoils its own
    english_words.cache_clear()
    stale = tmp_path / "corpus-qa" / "words" / "en-1-2.lines"  # the list of a pyspellchecker since replaced
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    try:
        assert english_words().text == shipped
        (kept,) = (tmp_path / "corpus-qa" / "words").glob("en-*")  # the stale copy is gone
        assert kept.read_bytes() == shipped and kept.suffix == ".lines" and kept.stat().st_mode & 0o777 == 0o600
        kept.write_bytes(WordList.from_json(b'{"zzyzxq": 1, "aardvark": 2}').text)  # what the next process reads
        english_words.cache_clear()
        assert "zzyzxq" in english_words() and "aardvark" in english_words() and "volcano" not in english_words()
        for cut in (shipped[: len(shipped) // 2], shipped[: shipped.rindex(b"\n", 0, len(shipped) // 2) + 1],
                    shipped.replace(b"words 1", b"words 9", 1)):  # cut mid-word, cut at a line's end, another layout
            kept.write_bytes(cut)
            english_words.cache_clear()
            assert english_words().text == shipped and "zürich" in english_words()
    finally:
        english_words.cache_clear()


def test_confidence_is_in_the_json_contract(docs_engine) -> None:  # type: ignore[no-untyped-def]
    record = docs_engine.ask("When was the confocal microscope last calibrated?").to_dict()
    assert 0 <= record["confidence"] <= 1
    assert record["citations"][0]["kind"] == "row"
    assert record["citations"][0]["header"]["text"].startswith("Instrument | Last calibrated")
    json.dumps(record, allow_nan=False)


@pytest.mark.parametrize(("question", "kind"), [
    ("Which argparse method returns the leftover arguments?", IDENT),
    ("Is there a hashlib helper that hashes an open file?", IDENT),
    ("My package's C++ code includes headers. Which DESCRIPTION field declares that?", IDENT),
    ("What exception does statistics.mean() raise on an empty list?", ERROR),
    ("What line width does textwrap.wrap use if I don't specify one?", DEFAULT),
    ("Which Python version added PurePath.is_relative_to()?", VERSION),
    ("How do I create a temporary directory?", HOWTO),
    ("When raising an exception inside an except block, how do I turn off chaining?", HOWTO),
    ("How many entries does the protection stack hold by default?", DEFAULT),
    ("How many people live in Astana?", NUMBER),
    ("What does switch() give back when the selector is too big?", None),
    ("What prompt does the select command show when PS3 is not set?", DEFAULT),  # nothing given: its default
    ("What archive format does git archive produce when no format is specified?", DEFAULT),
    ("When I print a figure to PNG without giving a resolution flag, what resolution is used?", DEFAULT),
    ("If I create solver options with odeset and leave the absolute error tolerance unset, what value is used?",
     DEFAULT),
    ("What font size do labels get if I never change the default pen?", DEFAULT),
    ("Out of the box, what timeout does the module apply to reading the request headers?", DEFAULT),
    ("Which command removes rows without any null values?", IDENT),  # not "without any values given"
    ("What is the largest value CHILD_MAX can be set to?", NUMBER),  # a limit is a number
    ("What's the maximum number of arguments I can pass?", NUMBER),
    ("What hard upper limit on the number of server processes is compiled into httpd?", NUMBER),
    ("Is there a length limit I should keep to for the Title field?", NUMBER),
    ("What limits the speed of the scanner?", None),  # a verb, not a limit asked for
    ("What is the limit of a sequence?", None),  # a limit in mathematics, not a number asked for
    ("What is the maximum nesting depth of include files?", NUMBER),  # a depth
    ("Is there a limit on how heavy aircraft can land on a carrier?", None),
    ("From which port did the Titanic begin her maiden voyage?", None),  # no lead clause: not "which port"
    ("What exit code should the script return to skip a commit?", NUMBER),
    ("What is the return value of read()?", None),  # a return value is not a number
    ("Which array holds the exit codes of the last pipeline?", IDENT),
    ("What compression setting does flex use when I don't give any -C option?", DEFAULT),  # not a setting's name
    ("Which LAPACK routine does svd rely on unless I switch the driver?", DEFAULT),  # what applies untouched
    ("When flex is run with -b, into which file does it write the backing-up information?", IDENT),  # not a date
    ("What file does fit write its log to by default?", DEFAULT),
    ("What file format does git archive produce?", None),  # a format, not a file
    ("Which option do I use if I specify a file?", IDENT),
    ("If I pass -d to m4 without any flags, which debug flags are used?", DEFAULT),  # nothing given
    ("When I build a snapshot and give no version, what format does its version have?", DEFAULT),  # not a date
    ("When I run the script, what does it print?", None),  # a condition, not a question about a date
    ("When was Python 3.8 released?", "date"),
    ("What are the capital cities of Turkey?", "place"),  # a capital, in the plural too
    ("What numeric value does the ERROR logging level have?", NUMBER),  # a table's row "ERROR | 40" answers
    ("With pathlib, how do I change a path's extension, e.g. turn data.csv into data.json?", HOWTO),  # one sentence
    ("I tried pip, conda, etc. How do I install it offline?", HOWTO),  # "etc." may end a sentence
    ("What are the most dangerous chemicals that can be stored here?", None),  # an adjective, no count
])
def test_documentation_answer_kinds(question: str, kind: str | None) -> None:
    assert expected_type(question) == kind


@pytest.mark.parametrize(("sentence", "code"), [
    ("To read such files set fill = TRUE.", "fill = TRUE"),  # a plain word given a value is code
    ("Use var.equal=TRUE for the classical test.", "var.equal=TRUE"),
    ('Be sure to use sep = "\\t".', 'sep = "\\t"'),
    ("It stops if x == 2 holds.", None),  # a comparison, not an argument
])
def test_an_argument_given_a_value_in_prose_answers_how_to(sentence: str, code: str | None) -> None:
    from qa.reader import doc_answer_span

    span = doc_answer_span(HOWTO, sentence, "How do I read such a file?")
    assert (sentence[span[0] : span[1]] if span else None) == code


@pytest.mark.parametrize(("question", "person"), [
    ("Who is the president of Ukraine?", "Volodymyr Zelenskyy"),
    ("Who is the president of Kazakhstan?", "Kassym-Jomart Tokayev"),
])
def test_who_names_the_holder_of_the_role_in_the_asked_place(engine, question: str, person: str) -> None:  # type: ignore[no-untyped-def]
    """One sentence names two presidents ("Kazakh President Kassym-Jomart Tokayev has also spoken with
    Ukrainian President Volodymyr Zelenskyy"): the answer is the asked country's."""
    assert engine.ask(question).short_answer == person


@pytest.mark.parametrize(("question", "short"), [
    ("Whose first visit to the capital Astana was long planned?", "Antony Blinken"),
    # the best sentence answers with a people, not a person: no one else's name is put in its place
    ("Who invaded the country?", None),
])
def test_who_is_answered_by_a_sentence_naming_someone(engine, question: str, short: str | None) -> None:  # type: ignore[no-untyped-def]
    """The sentence matching "whose first visit" best speaks of someone it only calls "his": it cannot answer
    "who", so the best sentence naming a person and sharing a word with the question leads."""
    add_documents(engine, {
        "visit.txt": (
            "Visits\n\nIt was his first visit to the capital Astana, and it was long planned.\n\n"
            "The country was invaded by the Russian army, and the talks were long planned.\n\n"
            "Antony Blinken arrived in the capital Astana and in the country.\n"),
    })
    answer = engine.ask(question)
    assert not answer.abstained and answer.short_answer == short, answer.text


def test_a_title_that_is_only_the_first_sentence_is_not_taken_for_the_topic(engine) -> None:  # type: ignore[no-untyped-def]
    """Inside a document about X, "X" in the question tells no sentence apart, so a titled document's title
    words do not count towards a sentence's overlap; a text without a heading is titled by its first sentence,
    whose words are then only what that sentence says, and count like any other."""
    from qa.answer import score_sentences
    from qa.reader import expected_type
    from qa.retrieval import retrieve

    add_documents(engine, {
        "opening.txt": "Astana held talks with visitors.\n\nIt rained.\n",
        "titled.md": "# Astana held talks\n\nAstana held talks with visitors.\n",
        "titled.html": "<html><body><h1>Astana held talks</h1><p>Astana held talks with visitors.</p></body></html>",
    })
    question = "Were the talks with visitors held on Tuesday?"
    snapshot = engine.snapshot
    hits = retrieve(snapshot, engine.embedder.embed_query(question), question, 10, engine.tuning)
    overlap = {snapshot.document(s.doc_id).source: s.overlap for s in score_sentences(
        snapshot, hits, engine.embedder.embed_query(question), question, engine.tuning, expected_type(question))
        if snapshot.document(s.doc_id).text[s.start : s.end].startswith("Astana held talks with")}
    assert overlap["opening.txt"] > overlap["titled.md"] > 0, overlap
    assert overlap["titled.html"] == overlap["titled.md"], overlap  # a heading that the body starts with


@pytest.mark.parametrize(("question", "reason"), [
    # the lead is the paragraph's first sentence: the one after it gives the reason
    ("Why have governments in the region grown bolder in dealing with Moscow?", "Russia now depends on their markets"),
    # the lead is the paragraph's last sentence: the one before it gives the reason
    ("Why did she want a short and unusual name for Kestrel?", "reading about falcons"),
])
def test_why_quotes_the_sentence_of_the_paragraph_that_gives_the_reason(engine, question: str,  # type: ignore[no-untyped-def]
                                                                        reason: str) -> None:
    add_documents(engine, {
        "kestrel.txt": (
            "The Kestrel tool\n\nWhen she began writing the tool, Ada was also reading about falcons every night. "
            "She wanted a short and unusual name, so she decided to call the tool Kestrel.\n\n"
            "Kestrel runs on Linux.\n"),
    })
    answer = engine.ask(question)
    assert not answer.abstained and reason in answer.text, answer.text


def test_date_question_is_answered_from_the_dateline(engine) -> None:  # type: ignore[no-untyped-def]
    """"On Tuesday" under a dated dateline: the date of the event is the article's date."""
    answer = engine.ask("On what date was Blinken in Astana?")
    assert not answer.abstained and answer.short_answer == "2023-02-28"


def test_a_day_name_answers_when_in_an_undated_text(engine) -> None:  # type: ignore[no-untyped-def]
    """An article without a dateline: "on Tuesday" is when the visit happened, not the year of another event
    in a sentence naming the same place."""
    add_documents(engine, {
        "visit.html": (
            "<html><body><h1>Minister visits Tashkent</h1><p>The Danish minister was in Tashkent on Tuesday for "
            "talks on trade.</p><p>In Tashkent, the minister praised Uzbekistan, which became independent in "
            "1991.</p></body></html>"),
    })
    answer = engine.ask("When was the Danish minister in Tashkent?")
    assert not answer.abstained and answer.short_answer == "on Tuesday", answer.text


def test_a_day_name_is_cited_with_the_dateline_that_places_it(engine) -> None:  # type: ignore[no-untyped-def]
    """"Last autumn" in a dated article: the dateline is quoted first, so the reader can place it."""
    answer = engine.ask("When did Kazakhstan take in Russian men who fled the call-up?")
    assert not answer.abstained
    assert answer.citations[0].quote.startswith("date 2023-02-28") and answer.short_answer == "2023-02-28"
    assert "Last autumn Kazakhstan took in" in answer.citations[1].quote
    assert answer.citations[1].highlight is not None and answer.citations[1].quote[
        answer.citations[1].highlight[0] - answer.citations[1].start : answer.citations[1].highlight[1]
        - answer.citations[1].start] == "Last autumn"


@pytest.mark.parametrize(("question", "role"), [("What is Blinken's job?", "U.S. Secretary of State"),
                                              ("Who is Volodymyr Zelenskyy?", "Ukrainian President")])
def test_who_a_named_person_is_answers_with_their_title(engine, question: str, role: str) -> None:  # type: ignore[no-untyped-def]
    """Not another person of the same sentence ("Kassym-Jomart Tokayev"), not a sentence that only names them."""
    answer = engine.ask(question)
    assert not answer.abstained and answer.short_answer == role, answer.text


@pytest.mark.parametrize("question", ["When was the fume hood last calibrated?",
                                      "Who is responsible for the fume hood?"])
def test_an_item_no_row_of_the_table_holds_is_never_mentioned(docs_engine, question: str) -> None:  # type: ignore[no-untyped-def]
    """The PDF's and the DOCX's tables of instruments have no fume hood: not another row's date or person."""
    answer = docs_engine.ask(question)
    assert answer.abstained and list(answer.unmentioned) == ["fume hood"], answer.text


@pytest.mark.parametrize("question", ["What is the price of the cheapest instrument?",
                                      "Which instrument has the highest price?"])
def test_a_question_ranking_a_table_s_rows_is_not_refused(engine, question: str) -> None:  # type: ignore[no-untyped-def]
    """"cheapest" and "highest" name no item of the table, though the corpus never uses them: they are no
    reason to say the table lacks one."""
    add_documents(engine, {
        "prices.md": (
            "# Prices\n\nInstrument prices:\n\n| Instrument | Price |\n|---|---|\n| Autoclave | $21,300 |\n"
            "| Plate reader | $38,900 |\n"),
    })
    answer = engine.ask(question)
    assert not answer.unmentioned, answer.text
    assert all(c.kind != "header" for c in answer.citations), answer.text  # a header row answers nothing alone


def test_a_row_of_another_item_does_not_answer(docs_engine) -> None:  # type: ignore[no-untyped-def]
    """The words naming the item ("confocal microscope") pick its row; no other row is quoted."""
    answer = docs_engine.ask("When was the confocal microscope last calibrated?")
    assert not answer.abstained and "Confocal microscope" in answer.citations[0].quote
    assert all("Mass spectrometer" not in c.quote for c in answer.citations), answer.text


def test_a_row_that_does_not_name_the_item_never_answers(engine) -> None:  # type: ignore[no-untyped-def]
    """The centrifuge is mentioned, but not in the table: the row that shares the question's other words
    ("last serviced") is another instrument's, and its date is not the centrifuge's."""
    add_documents(engine, {
        "instruments.md": (
            "# Instruments\n\nThe centrifuge is in room B115.\n\nService dates:\n\n"
            "| Instrument | Room | Last serviced |\n|---|---|---|\n"
            "| Autoclave, last serviced by Marco | B104 | 2023-11-08 |\n| Fume hood | B110 | 2024-01-02 |\n"),
    })
    answer = engine.ask("When was the centrifuge last serviced?")
    assert "2023-11-08" not in answer.text and "2024-01-02" not in answer.text, answer.text


@pytest.mark.parametrize(("question", "role"), [
    ("What is the role of Tomasz Kowalczyk?", "safety officer"),  # "Tomasz Kowalczyk (safety officer)"
    ("What is Marco Bellini's job?", "research technician"),  # "Marco Bellini, research technician."
    ("What does Rachel Osei do?", "the travel coordinator"),  # "Rachel Osei, the travel coordinator,"
    ("Who is Ana Ruiz?", "lab manager"),  # "the lab manager, Ana Ruiz,"
])
def test_a_role_in_brackets_or_apposition_answers_what_someone_does(engine, question: str, role: str) -> None:  # type: ignore[no-untyped-def]
    add_documents(engine, {
        "meeting.txt": (
            "Lab meeting\n\nPresent: Samuel Okafor (principal investigator), Tomasz Kowalczyk (safety officer)\n\n"
            "The gasket is replaced by the lab manager, Ana Ruiz, every year.\n\n"
            "Owner: Marco Bellini, research technician.\n\n"
            "Call the support line, then tell Rachel Osei, the travel coordinator, by email.\n"),
    })
    answer = engine.ask(question)
    assert not answer.abstained and answer.short_answer == role, answer.text


def test_how_to_quotes_the_fenced_code_under_the_sentence_introducing_it(engine) -> None:  # type: ignore[no-untyped-def]
    """In Markdown the code a sentence introduces comes after a fence line (```` ```bash ````): it is still that
    sentence's code, and the other block of the page does not answer in its place."""
    add_documents(engine, {
        "sop.md": (
            "# Centrifuge\n\nEvery run is logged with the logging script:\n\n```bash\n"
            "python log_run.py --instrument centrifuge --minutes 15\n```\n\n"
            "To see the runs of the last week:\n\n```bash\npython log_run.py --report --days 7\n```\n"),
    })
    answer = engine.ask("How do I see last week's centrifuge runs?")
    assert not answer.abstained and "--report --days 7" in answer.text, answer.text
    assert "```" not in answer.text


def test_what_is_quotes_the_sentence_defining_the_term(engine) -> None:  # type: ignore[no-untyped-def]
    add_documents(engine, {
        "api.md": (
            "# Tidewater API\n\n## Client\n\n`Client.fetch(station, days=1)` downloads readings for a station; "
            "it returns a list of `Reading` objects.\n\n"
            "`Client.export(path)` writes every stored reading to a file.\n\n"
            "What a Reading is depends on the gauge: a Reading is what it reports.\n\n"
            "## Reading\n\nA `Reading` is a dataclass with four fields: `station`, `time`, `level` and `quality`.\n"),
    })
    answer = engine.ask("What is a Reading?")
    assert not answer.abstained and answer.citations[0].quote.startswith("A `Reading` is a dataclass"), answer.text


def test_an_faq_question_is_quoted_with_its_answer(engine) -> None:  # type: ignore[no-untyped-def]
    add_documents(engine, {
        "faq.txt": (
            "Travel FAQ\n\nQ: Can I take my partner along on a business trip?\nA: Yes, but every extra cost for your "
            "partner is paid by you.\n\nQ: Is travel insurance provided?\nA: Yes. All employees are covered by the "
            "company policy with Allianz.\n"),
    })
    insured = engine.ask("Is travel insurance provided?")
    assert not insured.abstained and "Allianz" in insured.text, insured.text  # past the bare "A: Yes."
    partner = engine.ask("Can I take my partner on a business trip?")
    assert "paid by you" in partner.text, partner.text


CHANGELOG = """# Changelog

All notable changes to Tidewater are documented in this file. Tidewater is released under the Apache-2.0 license.

## [2.4.0] - 2024-05-06

### Added
- Added a `--resample` option to what `tidewater export` writes: hourly means.

### Removed
- Support for Python 3.8 and 3.9 was dropped.

## [2.3.1] - 2024-02-12

### Fixed
- Daylight-saving gaps no longer duplicate hourly readings.

## [2.3.0] - 2023-11-20

### Added
- Export to Parquet (`tidewater export --format parquet`).
"""


@pytest.mark.parametrize(("question", "answer"), [
    ("When was Tidewater 2.4.0 released?", "2024-05-06"),  # named nowhere as "Tidewater 2.4.0": no refusal
    ("When was version 2.3.1 released?", "2024-02-12"),  # the heading holds the date asked
    ("What was added in Tidewater 2.3.0?", "Parquet"),  # what is listed under the version's heading
    ("What was fixed in 2.3.1?", "Daylight-saving"),  # read with its list's heading "Fixed"
    ("Does Tidewater support Python 3.9?", "Python 3.8 and 3.9 was dropped"),  # "Python ... 3.9" is mentioned
])
def test_a_changelog_answers_from_the_section_of_the_version_asked(engine, question: str, answer: str) -> None:  # type: ignore[no-untyped-def]
    add_documents(engine, {
        "CHANGELOG.md": CHANGELOG,
        # the question's words, in no version's section
        "about.md": "# About\n\nFeatures were added and bugs were fixed in every Tidewater version released so far.\n",
    })
    got = engine.ask(question)
    assert not got.abstained and answer in got.citations[0].quote, got.text
    if not question.startswith("When"):
        assert not any(c.quote.startswith("#") for c in got.citations)  # a heading answers only with a date


def test_a_list_is_quoted_with_the_line_that_introduces_it(engine) -> None:  # type: ignore[no-untyped-def]
    add_documents(engine, {
        "settings.md": (
            "# Settings\n\nSettings live in `tide.toml`.\n\nThese settings are deprecated:\n\n"
            "- `timeout_s`, in favour of `timeout`.\n- `stationid`, in favour of `station`.\n\n"
            "These settings are new:\n\n- `retries`, how often a request is tried.\n"),
    })
    got = engine.ask("Which settings are deprecated?")
    assert not got.abstained and "`timeout_s`" in got.text and "`stationid`" in got.text, got.text
    assert "retries" not in got.text  # the next list is another list


def test_the_default_of_a_name_no_passage_describes_is_not_another_entry_s(engine) -> None:  # type: ignore[no-untyped-def]
    add_documents(engine, {"postscreen.html": (
        "<html><body><h1>postscreen</h1><h2>STARTTLS CONTROLS</h2><dl>"
        "<dt>postscreen_tls_security_level ($smtpd_tls_security_level)</dt><dd>The SMTP TLS security level for the "
        "postscreen server; when a non-empty value is specified, this overrides the obsolete parameters.</dd>"
        "<dt>postscreen_tls_timeout (300s)</dt><dd>The time limit for the TLS handshake of the postscreen server."
        " The default is 300 seconds.</dd></dl></body></html>")})
    # the page gives smtpd_tls_security_level only as another entry's default: it does not say what its own is
    got = engine.ask("What is the default value of smtpd_tls_security_level?")
    assert got.abstained, got.text
    got = engine.ask("What is the default value of postscreen_tls_timeout?")
    assert not got.abstained and "300" in got.text, got.text
    # a version is no name in code, and a heading naming the entry says what its sentences are about
    add_documents(engine, {"pool.md": "# Settings\n\n## pool.max_size\n\nThe default value is 10 connections.\n",
                           "editors.md": "# Ubuntu 22.04\n\nThe default editor is nano, a small text editor.\n"})
    assert "10" in engine.ask("What is the default value of pool.max_size?").text
    assert "nano" in engine.ask("What is the default editor on Ubuntu 22.04?").text


def test_this_module_is_the_one_its_heading_names(engine) -> None:  # type: ignore[no-untyped-def]
    add_documents(engine, {
        "modules.md": (
            "# Base modules\n\nThese modules ship with the program.\n\n## trembling\n\nThis module, written by "
            "Philippe Ivaldi and shown in the example floatingdisk.asy, draws wavy lines, as if drawn by hand.\n\n"
            "## Examples\n\nThis module is also used in floatingdisk.asy to draw wavy lines.\n"),
    })
    got = engine.ask("Which module draws wavy lines as if drawn by hand?")
    assert not got.abstained and got.short_answer == "trembling", got.text
    assert got.citations[0].quote == "trembling" and got.citations[1].quote.startswith("This module, written by")
    # a question asking for another kind of thing does not take it
    assert engine.ask("Which function draws wavy lines as if drawn by hand?").short_answer != "trembling"
    # a heading that is a word, not under a heading calling its siblings modules, names no module; nor does
    # a heading name what a sentence further down its section speaks of
    add_documents(engine, {"zoom.md": (
        "# Zoom\n\n## usage\n\nThis function returns the current zoom level of the viewer window.\n\n"
        "## geometry\n\nThe geometry is set by the window manager. It is kept between runs.\n\n"
        "This module reads the window placement of the viewer from its saved state.\n")})
    assert engine.ask("Which function returns the current zoom level of the viewer window?").short_answer != "usage"
    assert engine.ask("Which module reads the window placement of the viewer?").short_answer != "geometry"


@pytest.mark.parametrize(("question", "missing"), [
    ("When was Tidewater 2.5.0 released?", "Tidewater 2.5.0"),  # no such heading
    ("What was added in Python 2.3.0?", "Python 2.3.0"),  # the heading is Tidewater's, not Python's
])
def test_a_version_that_heads_no_section_of_its_name_is_still_never_mentioned(engine, question: str,  # type: ignore[no-untyped-def]
                                                                             missing: str) -> None:
    add_documents(engine, {
        "CHANGELOG.md": CHANGELOG,
    })
    got = engine.ask(question)
    assert got.abstained and f"never mention {missing}" in got.text, got.text


def run_cli(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from qa.cli import cli

    return CliRunner().invoke(cli, list(args), input=stdin)


def test_the_cli_shows_code_as_code_and_a_row_under_its_header(docs: Path, tmp_path: Path) -> None:
    where = ["--corpus", str(docs), "--index", str(tmp_path / "idx")]
    code = run_cli("ask", "How do I list the samples of a run?", *where)
    assert code.exit_code == 0, code.output
    assert "\\n" not in code.stdout  # no line break shown as an escape
    body, _blank, sources = code.stdout.partition("\n\n")
    block = "\n    samples <- list_samples(run)\n    for (s in samples) {\n        print(s)\n    }"
    assert block in body and block in sources  # in the answer and under its citation, line by line
    assert "(code)" in sources
    row = run_cli("ask", "When was the confocal microscope last calibrated?", *where)
    lines = row.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "(table row)" in line)
    assert lines[at + 1].strip().startswith("Instrument | Last calibrated")
    assert lines[at + 2].strip().startswith("Confocal microscope")


def test_verbose_lists_passages_and_fail_on_abstain_sets_the_exit_code(docs: Path, tmp_path: Path) -> None:
    from index.errors import ExitCode

    where = ["--corpus", str(docs), "--index", str(tmp_path / "idx")]
    quiet = run_cli("ask", "When was the confocal microscope last calibrated?", *where)
    loud = run_cli("ask", "-v", "When was the confocal microscope last calibrated?", *where)
    assert "Passages:" not in quiet.stdout and "Passages:" in loud.stdout
    refused = run_cli("ask", "How do I filter rows with dplyr?", *where)
    assert refused.exit_code == 0 and "never mention dplyr" in refused.stdout
    failing = run_cli("ask", "--fail-on-abstain", "How do I filter rows with dplyr?", *where)
    assert failing.exit_code == ExitCode.ABSTAINED == 11
    answered = run_cli("ask", "--fail-on-abstain", "When was the confocal microscope last calibrated?", *where)
    assert answered.exit_code == 0
    batch = run_cli("batch", "--fail-on-abstain", *where,
                    stdin="When was the confocal microscope last calibrated?\nHow do I filter rows with dplyr?\n")
    assert batch.exit_code == ExitCode.ABSTAINED
    assert [json.loads(line)["abstained"] for line in batch.stdout.splitlines()] == [False, True]


SHELL_MANUAL = """<html><body><h1>Shell Variables</h1><dl>
<dt>PS3</dt><dd>The value of this variable is used as the prompt for the select command. If this variable is not
set, the select command prompts with '#? '</dd>
<dt>CHILD_MAX</dt><dd>Set the number of exited child status values for the shell to remember. Bash will not allow
this value to be decreased below a minimum, and there is a maximum value (currently 8192) that this may not exceed.
The minimum value is system-dependent.</dd>
<dt>samples</dt><dd>The default sampling rate of functions may be changed by the samples setting. By default,
sampling is set to 100 points.</dd>
<dt>exec_prefix</dt><dd>A prefix used in constructing the default values of some of the variables. The default value
of exec_prefix should be $(prefix).</dd>
<dt>prefix</dt><dd>A prefix used in constructing the default values of the variables. The default value of prefix
should be /usr/local.</dd>
</dl><h1>Merge strategies</h1><dl>
<dt>ort</dt><dd>This is the default merge strategy when pulling or merging one branch. The name for this algorithm
is an acronym ("Ostensibly Recursive's Twin") and came from the fact that it replaced the recursive strategy.</dd>
</dl></body></html>"""
"""A reference page as manuals write them: each name a definition term, its description under it."""


@pytest.mark.parametrize(("question", "answer"), [
    ("What prompt does the select command show when PS3 is not set?", "'#? '"),  # the value under the condition
    ("How many points does the shell sample a function at by default?", "100 points"),  # "By default, ... is"
    ("What is the largest value CHILD_MAX can be set to?", "8192"),  # the limit, not "The minimum value is..."
    ("What does ORT stand for in the ort merge strategy?", "Ostensibly Recursive's Twin"),  # spelled, in quotes
    ("What should the default installation prefix be?", "/usr/local"),  # the entry the question names
])
def test_a_default_a_limit_or_an_expansion_is_the_value_the_sentence_gives(engine, question: str,  # type: ignore[no-untyped-def]
                                                                           answer: str) -> None:
    add_documents(engine, {"shell.html": SHELL_MANUAL})
    got = engine.ask(question)
    assert not got.abstained and got.short_answer == answer, (got.short_answer, got.text)


@pytest.mark.parametrize(("words", "acronym", "spelled"), [
    ("Bourne-Again SHell", "BASH", True),  # by its capitals
    ("Ostensibly Recursive’s Twin", "ORT", True),  # a curly apostrophe inside a word
    ("mean lower low water", "MLLW", True),
    ("see section four", "ORT", False),
])
def test_an_expansion_spells_its_acronym(words: str, acronym: str, spelled: bool) -> None:
    from qa.reader import _spells

    assert _spells(words, acronym) is spelled


@pytest.mark.parametrize(("kind", "sentence", "question", "answer"), [
    (IDENT, "GNUTERM, if defined, is used to set the terminal type on start-up.",
     "Which environment variable chooses the terminal type?", "GNUTERM"),  # a capitalised name that is no word
    (IDENT, "NOTE: the terminal is chosen at start-up.", "Which variable chooses the terminal?", None),  # a word
    (VERSION, "The variable is required for bash-5.1 and later.", "From which version on is it required?",
     "5.1"),  # a program's version
    (VERSION, "This function was added in version 3.8.", "In which version was it added?", "3.8"),
    (VERSION, "It was introduced in Debian wheezy (7.0, May 2013).", "Which release introduced it?", "7.0"),
    (DEFAULT, "The history is read from the file named by HISTFILE (default ~/.bash_history).",
     "How many commands does the history keep by default?", None),  # "how many": only a number answers
    (DEFAULT, "The text of the last $HISTSIZE commands (default 500) is saved.",
     "How many commands does the history keep by default?", "500"),
    (DEFAULT, "The history is read from the file named by HISTFILE (default ~/.bash_history).",
     "Which file is the history read from by default?", "~/.bash_history"),
    (DEFAULT, "The default is one minute (1min).", "How long does it wait by default?", "one minute (1min)"),
    (DEFAULT, "The default value of this macro is 1 billion (1,000,000,000).", "What is its default?", "1 billion"),
    (DEFAULT, "The default is 10min.", "What is the default delay?", "10min"),  # not the full stop
    (DEFAULT, "With -Cfe flex still defaults to generating an 8-bit scanner.", "What setting does it use by default?",
     None),  # what it does by default, not a value
    (DEFAULT, "The default log level is warning.", "What is the default log level?", "warning"),  # a word in -ing
    (IDENT, "The wnpp-alert command from devscripts checks for orphaned packages.",
     "Is there a command that lists orphaned packages?", "wnpp-alert"),  # a name with a hyphen
    (IDENT, "Use the well-known command to start.", "Which command starts it?", None),  # words with a hyphen
    (HOWTO, "The function used to achieve this is substitute which takes the expression x.",
     "How can a function get the unevaluated expression of an argument?", "substitute"),  # a word said to be it
    (HOWTO, "The command to use here is git-blame.", "How do I see who changed a line?", "git-blame"),
    (HOWTO, "The function used is not important here.", "How do I do it?", None),
    (HOWTO, "The function used here is simple.", "How do I do it?", None),  # a word, not said to be a name
    (HOWTO, "The function used to capture it is called substitute.", "How do I capture it?", "substitute"),
    (HOWTO, "The tool used to build the documentation is described below.", "How do I build it?", None),
    (DEFAULT, "The default is one of the following values.", "What is the default?", None),
    (DEFAULT, "The default colormap is returned.", "Which colormap is used by default?", None),  # done with it
    (DEFAULT, "The default access mode is read-only.", "What is the default access mode?", "read-only"),
    (DEFAULT, "The default is disabled.", "Is it on by default?", "disabled"),  # a state is a value
    (DEFAULT, 'colormap ("default") restores the default colormap (the viridis map with 64 entries).',
     "Which colormap is used by default?", "viridis map with 64 entries"),  # the default named in brackets
    (DEFAULT, "It reads the default encoding (see below).", "What is the default encoding?", None),
    (DEFAULT, "The default value of prefix should be /usr/local.", "What is the default prefix?", "/usr/local"),
    (DEFAULT, "The default is typically 128 megabytes (128MB), but might be less.", "What is the default size?",
     "128 megabytes"),
    # of two names, the one whose letters hold what is asked ("deep" and "copy"), not the first
    (HOWTO, "In general, try copy.copy() or copy.deepcopy() for the general case.",
     "How do I make a deep copy of an object?", "copy.deepcopy()"),
    (IDENT, "Use shutil.copy() or shutil.copytree() for that.", "Which function copies a whole directory tree?",
     "shutil.copytree()"),
    (IDENT, "Use shutil.copy() or shutil.copytree() for that.", "Which function copies it?", "shutil.copy()"),
    # ... but not a name the sentence sets aside, nor one holding a single word of the question
    (HOWTO, "To run a shell command, use subprocess.run() instead of os.system().",
     "How do I execute a system command?", "subprocess.run()"),
    (HOWTO, "Use list(dict.fromkeys(items)) rather than calling list.remove() in a loop.",
     "How do I remove duplicates from a list?", "dict.fromkeys"),
    (HOWTO, "Assign to os.environ['NAME']; os.environ.setdefault() only sets it when it is missing.",
     "How do I set an environment variable?", "os.environ"),
    (HOWTO, "datetime.utcnow() is deprecated since version 3.12; use datetime.now(timezone.utc) instead to get "
     "the current UTC time.", "How do I get the current UTC time?", "datetime.now"),  # given up: not the how
    (IDENT, "datetime.utcnow() is deprecated since version 3.12; use datetime.now(timezone.utc) instead.",
     "Which method is deprecated since version 3.12?", "datetime.utcnow()"),  # ... unless it is what is asked
])
def test_documentation_values_in_a_sentence(kind: str, sentence: str, question: str, answer: str | None) -> None:
    from qa.reader import doc_answer_span

    span = doc_answer_span(kind, sentence, question)
    assert (sentence[span[0] : span[1]] if span else None) == answer


@pytest.mark.parametrize(("sentence", "number"), [
    ("6. Check the quality of the package with the lintian command.", None),  # a list item's number
    ("1 Some of the functions are implemented by functions that cannot recurse.", None),  # a footnote's
    ("Create the package using dpkg-deb(1) and dpkg-genchanges(1).", None),  # manual page sections
    ("200 people attended the first meeting.", "200 people"),  # a quantity opening a sentence
    ("Three American soldiers were killed in the attack.", "Three"),
    ("4 CPUs are required for the build.", "4"),
    ("Over 40 civilians were wounded.", "Over 40"),
    ("The queue is checked 4 times a day.", "4 times"),
])
def test_numbers_that_mark_items_footnotes_or_manual_sections_are_no_quantities(sentence: str,
                                                                                number: str | None) -> None:
    from qa.reader import candidates

    found = candidates(NUMBER, sentence, "How many are there?")
    assert (sentence[found[0].start : found[0].end] if found else None) == number


def test_a_sentence_about_the_example_before_it_is_quoted_after_that_example(engine) -> None:  # type: ignore[no-untyped-def]
    add_documents(engine, {"translit.html": (
        "<html><body><h1>Translating characters</h1><p>Characters are translated with a builtin.</p>"
        "<pre>translit(`GNUs not Unix', `a-z', `A-Z')\n&#8658;GNUS NOT UNIX</pre>"
        "<p>The first example converts lowercase letters to uppercase letters, character by character.</p>"
        "</body></html>")})
    answer = engine.ask("How do I convert lowercase letters to uppercase letters character by character?")
    kinds = [c.kind for c in answer.citations]
    assert "code" in kinds, answer.text
    code = answer.citations[kinds.index("code")]
    assert code.quote.startswith("translit(") and answer.citations[kinds.index("code") + 1].quote.startswith(
        "The first example converts")


def test_a_standard_written_in_capitals_is_no_identifier() -> None:
    from qa.reader import is_code_token

    assert is_code_token("GNUTERM") and is_code_token("PIPESTATUS")
    assert not is_code_token("POSIX") and not is_code_token("ASCII") and not is_code_token("DISPLAY")


@pytest.mark.parametrize(("sentence", "question", "number"), [
    ("The path is accurate to within 0.06% of a unit circle.", "What is the maximum number of nodes of a path?",
     None),  # a count is no percentage
    ("About 12% of people speak it, some 3 million.", "How many people speak it?", "some 3 million"),
    ("The share is 12 percent.", "What percentage of people speak it?", "12 percent"),
])
def test_a_count_is_no_percentage(sentence: str, question: str, number: str | None) -> None:
    from index.text.keywords import keyword_tokens
    from qa.reader import answer_span

    span = answer_span(NUMBER, sentence, question, set(keyword_tokens(sentence)))
    assert (sentence[span[0] : span[1]] if span else None) == number


@pytest.mark.parametrize(("question", "measured"), [
    ("What's the most files that can be open at once?", "files"),  # "what's" as "what is"
    ("What's the difference in height between Mount Everest and K2?", None),  # a difference measures nothing
    ("What is the absolute most databases that can ever be attached?", "databases"),
])
def test_what_a_number_question_measures(question: str, measured: str | None) -> None:
    from qa.reader import measure

    assert measure(question) == measured


def test_a_superlative_over_a_table_is_answered_by_the_row_with_the_extreme_value(docs_engine) -> None:  # type: ignore[no-untyped-def]
    """The PDF's and the DOCX's tables of instruments: the latest date of the "Last calibrated" column is the
    confocal microscope's in both; the earliest is the centrifuge's in the PDF, the mass spectrometer's in the
    DOCX. The row is the answer (its first cell), not the sentence most like the question."""
    latest = docs_engine.ask("Which instrument was calibrated most recently?")
    assert latest.short_answer == "Confocal microscope", latest.text
    assert latest.citations[0].kind == "row" and "2024-03-12" in latest.citations[0].quote
    earliest = docs_engine.ask("Which instrument was calibrated the earliest?")
    first = earliest.citations[0]
    assert first.kind == "row", earliest.text
    expected = "Centrifuge" if first.source.endswith(".pdf") else "Mass spectrometer"
    assert earliest.short_answer == expected, earliest.text


def test_a_table_superlative_reads_amounts_and_refuses_ties() -> None:
    from index.types import Document, Unit
    from qa.tables import _number, asks_extreme, extreme_row

    asked = asks_extreme("Which instrument is the most expensive?")
    assert asked is not None and asked.most and asked.kind == "instrument" and "price" in asked.words
    assert asks_extreme("Which room has the fewest seats?") is not None
    assert asks_extreme("What is the price of the autoclave?") is None
    assert _number("$14,850") == (14850, "$|") and _number("240 000 €") == (240000, "|€")
    assert _number("−80 °C") == (-80, "|°c") and _number("1.5 million") == (1.5e6, "|")
    assert _number("about a week") is None

    def table(rows: list[str], title: str = "Rooms") -> tuple[Document, int]:
        text = "\n".join(rows)
        units, at = [], 0
        for i, row in enumerate(rows):
            units.append(Unit("header" if i == 0 else "row", at, at + len(row), -1 if i == 0 else 0))
            at += len(row) + 1
        return Document(source="t.md", text=text, sha256="", title=title, units=tuple(units)), 0

    def extreme(rows: list[str], question: str, title: str = "Rooms") -> str | None:
        doc, head = table(rows, title)
        found = extreme_row(doc, head, question)
        return None if found is None else doc.text[found.answer[0] : found.answer[1]]

    assert extreme(["Room | Seats", "A1 | 40", "B2 | 12", "C3 | 90"], "Which room has the fewest seats?") == "B2"
    assert extreme(["Hall | Seats", "Aurora | 1200", "Borealis | 15000", "Cirrus | 800"],
                   "Which hall has the most seats?", "Halls") == "Borealis"  # no year, a count
    assert extreme(["Freezer | Temperature", "ULT-1 | −80 °C", "F-2 | −20 °C", "Fridge-3 | 4 °C"],
                   "Which freezer has the lowest temperature?", "Freezers") == "ULT-1"  # a minus sign
    # nothing settled: a tie, a cell that is no value, units that differ, a rank's order, no such column, another
    # kind of thing than the table's rows, no date for "the oldest", an empty name
    assert extreme(["Room | Seats", "A1 | 40", "B2 | 40"], "Which room has the most seats?") is None
    assert extreme(["Room | Seats", "A1 | 40", "B2 | many"], "Which room has the most seats?") is None
    assert extreme(["Cable | Length", "North | 800 m", "South | 1.5 km"], "Which cable is the longest?",
                   "Cables") is None
    assert extreme(["Ticket | Priority", "Server down | 1", "Printer jam | 3"],
                   "Which ticket has the highest priority?", "Tickets") is None
    assert extreme(["Office | Area code | Floor space", "Boston | 617 | 250 m²", "Austin | 512 | 400 m²"],
                   "Which office is the largest?", "Offices") is None
    assert extreme(["Room | Seats", "A1 | 40", "B2 | 12"], "Which car has the most seats?") is None
    assert extreme(["Tree | Age (years)", "Oak | 420", "Beech | 180"], "Which tree is the oldest?", "Trees") is None
    assert extreme(["Kit | Price", " | $50", "RNA kit | $30"], "Which kit is the most expensive?", "Kits") is None


def test_a_rows_cell_named_by_its_column_is_the_short_answer(engine) -> None:  # type: ignore[no-untyped-def]
    add_documents(engine, {
        "rooms.md": (
            "# Instruments\n\nWhere the instruments are:\n\n| Instrument | Model | Room |\n|---|---|---|\n"
            "| Autoclave | Tuttnauer 3870EL | B104 |\n| Plate reader | BioTek Synergy H1 | B115 |\n"
            "| Freezer | Thermo TSX | B112 |\n"),
    })
    room = engine.ask("Which room is the autoclave in?")
    assert room.short_answer == "B104" and room.citations[0].kind == "row", room.text
    assert engine.ask("What model is the plate reader?").short_answer == "BioTek Synergy H1"
    # the question gives the room: it asks for the item
    assert engine.ask("Which instrument is in room B112?").short_answer == "Freezer"


def test_the_most_expensive_row_of_a_markdown_table(engine) -> None:  # type: ignore[no-untyped-def]
    """"expensive" names no item of the table (the corpus never uses it): it ranks the rows by price."""
    add_documents(engine, {
        "prices.md": (
            "# Prices\n\nInstrument prices:\n\n| Instrument | Price | Room |\n|---|---|---|\n"
            "| Autoclave | $21,300 | B104 |\n| Plate reader | $38,900 | B115 |\n| Freezer | $14,850 | B112 |\n"),
    })
    answer = engine.ask("Which instrument is the most expensive?")
    assert answer.short_answer == "Plate reader" and not answer.unmentioned, answer.text
    assert engine.ask("Which instrument is the cheapest?").short_answer == "Freezer"


def test_a_rows_short_answer_is_of_the_kind_asked(engine) -> None:  # type: ignore[no-untyped-def]
    add_documents(engine, {
        "labs.md": ("# Lab locations\n\nWhere each lab is.\n\n| Lab | Building | Floor | Last serviced |\n"
                    "|---|---|---|---|\n| Cell culture lab | A | 2 | 2023-11-02 |\n"
                    "| Mass spec lab | C | 4 | 2024-01-10 |\n"),
    })
    # a one-letter cell is no value the question gives ("a" is in "lab"), a person is not a date
    assert engine.ask("Which building is the cell culture lab in?").short_answer == "A"
    assert engine.ask("Who services the cell culture lab?").short_answer != "2023-11-02"


def test_a_code_example_is_quoted_with_the_line_giving_its_result(engine) -> None:  # type: ignore[no-untyped-def]
    """Texinfo manuals (Octave's, m4's) write what an example evaluates to on the line after it ("⇒ 16777216"):
    it is quoted with the example, and its value, not a number the code passes, is the short answer."""
    add_documents(engine, {
        "numeric.md": (
            "# Integer limits\n\nflintmax returns the largest integer a floating point type holds exactly. "
            "The input is a type name or a variable of that type.\n\nQuery a variable of type single:\n\n"
            "```\nx = single (1);\nflintmax (x)\n```\n\n⇒ 16777216\n\nSee also intmax.\n"),
    })
    answer = engine.ask("What number does flintmax return for a single-precision variable?")
    assert not answer.abstained and "⇒ 16777216" in answer.text, answer.text
    assert answer.short_answer == "16777216"
