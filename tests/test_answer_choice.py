"""Which sentence answers a question asking for a name: not the one about what the question sets aside
("instead of the sample one"), nor one that only speaks of the name through a pronoun ("It is defined in...").

A small text corpus made here, answered with the fast hash embedder: what is tested is the choice of the
sentence, which does not depend on the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.answer import asks_under_condition, contrasted_terms


def _engine(root: Path, index: Path, embedder):  # type: ignore[no-untyped-def]
    """An engine over `root`, its index built."""
    from qa.config import Settings
    from qa.engine import Engine

    eng = Engine(Settings.resolve(root, index), embedder=embedder)
    for _ in eng.prepare():
        pass
    return eng


def _docs(tmp_path: Path, name: str, text: str) -> Path:
    """A corpus folder holding one document."""
    root = tmp_path / "docs"
    root.mkdir()
    (root / name).write_text(text, encoding="utf-8")
    return root


def _ask(root: Path, index: Path, embedder, question: str):  # type: ignore[no-untyped-def]
    """The answer to one question over `root`, the engine closed after."""
    eng = _engine(root, index, embedder)
    try:
        return eng.ask(question)
    finally:
        eng.close()


@pytest.fixture
def manual_engine(tmp_path: Path, hash_embedder):  # type: ignore[no-untyped-def]
    root = tmp_path / "docs"
    root.mkdir()
    (root / "spread.txt").write_text(
        "Measures of spread\n\n"
        "The sample_sd function gives the sample standard deviation, the one most often used.\n\n"
        "The pop_sd function returns the standard deviation of a whole population.\n", encoding="utf-8")
    (root / "printing.txt").write_text(
        "Printing from C code\n\n"
        "The most useful function for printing messages from C code in a package is Rprintf. "
        "It is defined in R_ext/Print.h and prints messages from C code.\n", encoding="utf-8")
    eng = _engine(root, tmp_path / "index", hash_embedder)
    yield eng
    eng.close()


def test_what_the_question_sets_aside_is_not_its_answer(manual_engine) -> None:  # type: ignore[no-untyped-def]
    answer = manual_engine.ask("Which function gives the population standard deviation instead of the sample one?")
    assert answer.short_answer == "pop_sd"
    assert answer.citations[0].quote.startswith("The pop_sd function")


@pytest.mark.parametrize(("question", "terms"), [
    ("Which function gives the population standard deviation instead of the sample one?", {"sampl"}),
    ("What should I use instead of printf to print messages?", {"printf"}),
    ("How do I read the clock in nanoseconds rather than as a float of seconds?", {"float"}),
    ("Why does groupby give the same key several times instead of one group per key?", set()),
    ("Which method gives the leftover arguments back instead of an error?", {"error"}),
    ("What is the population standard deviation?", set()),
])
def test_contrasted_terms(question: str, terms: set[str]) -> None:
    assert contrasted_terms(question) == terms


def test_a_pronoun_sentence_does_not_answer_for_the_name_before_it(manual_engine) -> None:  # type: ignore[no-untyped-def]
    answer = manual_engine.ask("Which function prints messages from C code?")
    assert answer.short_answer == "Rprintf"
    assert answer.citations[0].quote.startswith("The most useful function")


@pytest.mark.parametrize(("question", "conditional"), [
    ("What does mode() return when two values are tied for most common?", True),
    ("If a deque is already full, what happens on append?", True),
    ("What happens to warnings if the warn option is negative?", True),
    ("When was the mode function added?", False),
    ("If was the function deprecated?", False),
    ("What does mode() return?", False),
])
def test_asks_under_condition(question: str, conditional: bool) -> None:
    assert asks_under_condition(question) is conditional


def test_what_happens_under_a_condition_is_answered_by_a_sentence_stating_it(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    root = _docs(tmp_path, "stats.txt", "Averages\n\nThe mode returns the most common value. "
                 "If two values are tied for most common, the first is given.\n")
    answer = _ask(root, tmp_path / "index", hash_embedder,
                  "What does the mode return when two values are tied for most common?")
    assert answer.citations[0].quote.startswith("If two values are tied")


def test_what_command_is_answered_by_the_code_that_runs_it(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    root = _docs(tmp_path, "memory.html", "<html><body><h1>Checking memory</h1>"
                 "<p>The examples of a package are checked under valgrind with the option --use-valgrind.</p>"
                 "<p>To run the examples of your package under valgrind use something like</p>"
                 "<pre>R -d valgrind --vanilla &lt; mypkg-Ex.R</pre></body></html>")
    answer = _ask(root, tmp_path / "index", hash_embedder,
                  "What command runs the examples of my package under valgrind?")
    assert answer.citations[0].quote.startswith("To run the examples")
    assert answer.citations[1].kind == "code" and answer.citations[1].quote.startswith("R -d valgrind")


def test_a_table_row_is_quoted_with_the_sentence_introducing_its_table(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """A row alone does not say what its table is about: "Which function..." answered by a row of the values
    some function returns needs the sentence before the table that names it."""
    root = _docs(tmp_path, "types.html",
        "<html><body><h1>Objects</h1>"
        "<p>Every object has a type. The following table describes the possible values returned by typeof.</p>"
        "<table><tr><td>\"closure\"</td><td>a function written in the language</td></tr>"
        "<tr><td>\"builtin\"</td><td>an internal function that evaluates its arguments</td></tr>"
        "<tr><td>\"special\"</td><td>an internal function that does not evaluate its arguments</td></tr></table>"
        "<p>Lists are generic vectors.</p></body></html>")
    answer = _ask(root, tmp_path / "index", hash_embedder,
                  "Which function gives an internal function that evaluates its arguments as \"builtin\"?")
    kinds = [c.kind for c in answer.citations]
    assert "row" in kinds, answer.text
    row = kinds.index("row")
    assert row > 0 and answer.citations[row - 1].quote.startswith("The following table describes"), answer.text


def test_the_default_of_another_entry_is_not_the_default_asked(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    root = _docs(tmp_path, "tls.html",
        "<html><body><h1>TLS settings</h1><dl>"
        "<dt>server_tls_level</dt><dd>The TLS security level of the server. Set it to encrypt to require TLS.</dd>"
        "<dt>proxy_tls_level</dt><dd>The TLS security level of the proxy. The default is may.</dd>"
        "</dl></body></html>")
    answer = _ask(root, tmp_path / "index", hash_embedder, "What is the default value of server_tls_level?")
    assert answer.short_answer != "may"  # proxy_tls_level's default, not the one asked
    answer = _ask(root, tmp_path / "index", hash_embedder, "What is the default value of proxy_tls_level?")
    assert answer.short_answer == "may"


def test_an_entrys_default_row_answers_for_the_description_that_matched(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    rows = "".join(f"<tr><td>{k}:</td><td>{v}</td></tr>" for k, v in [
        ("Description", "Backlog size"), ("Syntax", "ListenBacklog backlog"),
        ("Default", "ListenBacklog 511"), ("Context", "server config")])
    other = "".join(f"<tr><td>{k}:</td><td>{v}</td></tr>" for k, v in [
        ("Description", "Size of the send buffer"), ("Default", "SendBufferSize 0")])
    root = _docs(tmp_path, "mpm.html",
        f"<html><body><h1>Common directives</h1><h2>ListenBacklog Directive</h2><table>{rows}</table>"
        + "<p>Some operating systems set their own limit for it, whatever the value set here.</p>" * 60 +
        "<p>The maximum length of the queue of pending connections. Generally no tuning is needed.</p>"
        f"<h2>SendBufferSize Directive</h2><table>{other}</table><p>Sets the send buffer size.</p></body></html>")
    eng = _engine(root, tmp_path / "index", hash_embedder)
    try:
        answer = eng.ask("By default, how long is the queue of pending connections the server asks for?")
        assert answer.short_answer is not None and "511" in answer.short_answer
        assert any(c.quote == "Default: | ListenBacklog 511" for c in answer.citations)
        # the entry's table is read with the chunk of its description that matched, a few chunks on
        from qa.answer import _with_rest_of_entries
        from qa.retrieval import Hit

        snap = eng.snapshot
        text = snap.document(0).text
        chunks = [snap.chunk(i) for i in range(len(snap.chunks_of(0, 100)))]
        assert len(chunks) >= 3
        table = next(c.id for c in chunks if c.start <= text.index("Default: |") < c.end)
        widened = {h.chunk_id for h in _with_rest_of_entries(snap, [Hit(table + 1, 1.0, 1.0, 1.0)])}
        assert widened == {table, table + 1, table + 2}
    finally:
        eng.close()


def test_a_sentence_naming_the_asked_code_name_scores_as_about_it(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from qa.answer import score_sentences
    from qa.retrieval import retrieve

    root = _docs(tmp_path, "com.txt",
        "The COM library\n\nThe COM library provides basic support for COM interfaces and components, e.g. IUnknown. "
        "Com.combine c1 c2 returns a component that supports the union of the interfaces of c1 and c2.\n")
    eng = _engine(root, tmp_path / "index", hash_embedder)
    try:
        def scores(question: str, bonus: float) -> dict[str, float]:
            tuning = dataclasses.replace(eng.tuning, subject_bonus=bonus)
            qvec = eng.embedder.embed_query(question)
            hits = retrieve(eng.snapshot, qvec, question, 5, tuning)
            text = eng.snapshot.document(0).text
            return {text[s.start : s.end]: s.score for s in score_sentences(eng.snapshot, hits, qvec, question,
                                                                                    tuning)}
        asked = "What does Com.combine do?"
        gain = {k: v - scores(asked, 0.0)[k] for k, v in scores(asked, 0.5).items()}
        assert [round(gain[k], 6) for k in sorted(gain)] == [0.5, 0.0, 0.0]  # Com.combine..., The COM library...
        asked = "What do components implement, e.g. in the library?"  # an abbreviation is no code name
        assert all(abs(v - scores(asked, 0.0)[k]) < 1e-9 for k, v in scores(asked, 0.5).items())
    finally:
        eng.close()


def test_an_amount_asked_of_a_named_thing_is_that_things_own(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """"What is the population of Elbonia?" is not answered by a city's population in Elbonia; the named
    thing's own amount answers, in its document or where another document gives it as its own."""
    from tests.test_multipart import engine_over

    texts = {"Elbonia": "Elbonia is a country in Europe. It is known for its mud.",
             "Mudville": "Mudville is the third-most populous city in Elbonia, with a population of approximately "
                         "2.8 million.",
             "Ruritania": "Ruritania is a country in Europe. It has a population of over 41 million.",
             "Census": "The population of Freedonia was 12 million in the last census."}
    with engine_over(texts, tmp_path, hash_embedder) as engine:
        elbonia = engine.ask("What is the population of Elbonia?")
        ruritania = engine.ask("What is the population of Ruritania?")
        mudville = engine.ask("What is the population of Mudville?")
    assert elbonia.short_answer is None and "2.8 million" not in (elbonia.short_answer or ""), elbonia.text
    assert ruritania.short_answer == "over 41 million", ruritania.text
    assert mudville.short_answer == "approximately 2.8 million", mudville.text


def test_a_capital_asked_of_a_named_thing_is_that_things_own(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """"What is the capital of Elbonia?" is not answered by the capital of Western Elbonia, nor by a name in a
    sentence that says no capital ("the Commonwealth of Elbonia")."""
    from tests.test_multipart import engine_over

    texts = {"Elbonia": "Elbonia, officially the Commonwealth of Elbonia, is a country in Europe.",
             "Mudville": "Mudville is the capital city of Western Elbonia, a region of the country.",
             "Ruritania": "Ruritania is a country in Europe. Its capital is Strelsau.",
             "Zenda": "Zenda is a town. It is the capital of Ruritania's wine country.",
             "Freedonia": "Freedonia is a country in Europe. It is known for its cheese.",
             "Fredville": "Fredville is the capital and largest city of Freedonia."}
    with engine_over(texts, tmp_path, hash_embedder) as engine:
        elbonia = engine.ask("What is the capital of Elbonia?")
        ruritania = engine.ask("What is the capital city of Ruritania?")
        freedonia = engine.ask("Which city is the capital of Freedonia?")
        whats = engine.ask("What's the capital of Elbonia?")
    assert elbonia.abstained and whats.abstained, (elbonia.text, whats.text)
    assert ruritania.short_answer == "Strelsau", ruritania.text
    # the city's own document gives it as Freedonia's ("the capital and largest city of Freedonia")
    assert freedonia.short_answer == "Fredville", freedonia.text


def test_a_name_inside_a_longer_name_owns_nothing() -> None:
    from qa.answer import _owns

    # (the measure's words, the name), as _amount_owners gives them
    congo = ("population|people", "Republic of the Congo")
    assert not _owns(congo, "With 124 million people, the Democratic Republic of the Congo is the most populous.")
    assert _owns(congo, "With 6 million people, the Republic of the Congo is small.")
    # a capitalised first word is no part of the name
    elbonia = ("capital|population", "Elbonia")
    assert _owns(elbonia, "The capital of Elbonia, Mudville, lies on the Mud River.")
    assert _owns(elbonia, "Today Elbonia's population is 3.1 million.")
    assert _owns(elbonia, "Mudville is the capital and largest city of Elbonia.")
    # something in it, not the named thing, holds the amount
    people = ("population|residents|inhabitants", "Australia")
    assert not _owns(people, "Tasmania, Australia's smallest state, with 573,479 residents, is an island.")
    assert not _owns(people, "Brisbane is the third-most populous city in Australia, with a population of 2.8 million.")
    assert _owns(people, "Australia has a population of 27 million.")


def test_an_amount_of_a_name_no_document_is_about_is_that_names_own(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """No document is about Kerala: the area of a city "in Kerala" is not Kerala's; "the capital of Kerala" is
    its capital all the same."""
    from tests.test_multipart import engine_over

    texts = {"Trivandrum": "Trivandrum is the capital of Kerala. It has 957,730 people over an area of 214.86 km2, "
                           "making it the most populous city in Kerala.",
             "Kochi": "Kochi is a port city in Kerala. It covers an area of 94.88 km2."}
    with engine_over(texts, tmp_path, hash_embedder) as engine:
        area = engine.ask("What is the area of Kerala?")
        capital = engine.ask("What is the capital of Kerala?")
    assert area.abstained or not any(n in area.text for n in ("214.86", "94.88")), area.text
    assert not capital.abstained and capital.citations[0].source == "Trivandrum.txt", capital.text


def test_a_name_written_short_is_the_documents_own(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """"St. Petersburg" is Saint Petersburg's summary's own name, not St. Louis's (whose opening holds "St")."""
    from tests.test_multipart import engine_over

    texts = {"Saint Petersburg": "Saint Petersburg is a city in Russia. The city had a population of 5,601,911.",
             "St. Louis": "St. Louis is a city in Missouri. It had a population of 301,578 in 2020."}
    with engine_over(texts, tmp_path, hash_embedder) as engine:
        answer = engine.ask("What is the population of St. Petersburg?")
    assert "301,578" not in answer.text, answer.text
    assert answer.abstained or answer.citations[0].source == "Saint_Petersburg.txt", answer.text


def test_asked_from_the_command_line_the_shell_command_answers_not_the_interpreter_session(
        tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    root = _docs(tmp_path, "zipapp.md",
                 "# Bundling an application\n\n"
                 "Bundle the directory myapp into a runnable archive myapp.pyz:\n\n"
                 "```\n>>> import zipapp\n>>> zipapp.create_archive('myapp', 'myapp.pyz')\n```\n\n"
                 "Bundle the directory myapp into a runnable archive myapp.pyz and run it:\n\n"
                 "```\n$ python -m zipapp myapp\n$ python myapp.pyz\n```\n")
    eng = _engine(root, tmp_path / "index", hash_embedder)
    try:
        shell = eng.ask("How do I bundle the directory myapp into a runnable archive from the command line?")
        python = eng.ask("How do I bundle the directory myapp into a runnable archive?")
    finally:
        eng.close()
    def first_code(answer) -> str:  # type: ignore[no-untyped-def]
        return next(c.quote for c in answer.citations if c.kind == "code")

    assert first_code(shell).startswith("$ python -m zipapp myapp")
    assert first_code(python).startswith(">>> import zipapp")  # asked without a shell, the first one still leads


def test_a_default_given_as_the_code_a_sentence_introduces(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """"The default setting in R is" + code: the code holds the default, and the sentence with it answers
    "...by default?" ahead of sentences that only speak of defaults."""
    root = _docs(tmp_path, "models.md",
                 "# Contrasts\n\n"
                 "R and S have different defaults for unordered factors in a model, S using Helmert contrasts.\n\n"
                 "The contrasts for unordered factors in a model can be changed by the options setting.\n\n"
                 "The default contrasts setting for unordered factors in R is\n\n"
                 "```\noptions(contrasts = c(\"contr.treatment\", \"contr.poly\"))\n```\n")
    answer = _ask(root, tmp_path / "index", hash_embedder,
                  "Which contrast coding does R use by default for unordered factors in a model?")
    assert not answer.abstained
    assert answer.citations[0].quote == "The default contrasts setting for unordered factors in R is"
    assert "contr.treatment" in answer.citations[1].quote


def test_a_short_sentence_saying_more_of_the_one_before_names_it_too(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """"...which write.table gives with col.names = NA. Excel is one such system.": asked about Excel, the
    sentence the afterword speaks of answers, not its twin whose afterword names another system."""
    text = ("Exporting to text files\n\n"
            "Some systems want the row names header written this way, which write.table gives with qmethod = NA. "
            "Calc is one such system.\n\n"
            "Some systems want the row names header written this way, which write.table gives with qmethod = NA. "
            "Excel is one such system.\n")
    root = _docs(tmp_path, "export.txt", text)
    answer = _ask(root, tmp_path / "index", hash_embedder,
                  "Which write.table argument writes the row names header the way Excel wants?")
    assert not answer.abstained
    assert answer.citations[0].start > text.index("Calc is one such system.")


@pytest.mark.parametrize(("sentence", "states"), [
    ("The default setting in R is", True),
    ("The level defaults to", True),
    ("To reset every setting to its default, run", False),
    ("In default of payment, interest is computed as", False),
    ("The defaults can be inspected with", False),
    ("To get the S default of Helmert contrasts, for instance, use", False),
])
def test_a_sentence_states_the_default_the_code_after_it_holds_only_when_it_goes_on_into_it(
        sentence: str, states: bool) -> None:
    from qa.answer import _STATES_DEFAULT

    assert bool(_STATES_DEFAULT.search(sentence)) == states


@pytest.mark.parametrize(("afterword", "lends"), [
    ("Excel is one such system.", True),
    ("This is the default.", True),
    ("This is not the default.", False),
    ("NTFS is not one such system.", False),
    ("These logs are compressed by the logrotate tool each night.", False),
])
def test_an_afterword_lends_its_words_only_when_it_names_what_the_sentence_spoke_of(afterword: str,
                                                                                    lends: bool) -> None:
    from qa.answer import _NEGATION, _SAYS_OF_IT

    assert (bool(_SAYS_OF_IT.search(afterword)) and not _NEGATION.search(afterword)) == lends


def test_how_is_the_list_the_paragraph_goes_on_into(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """"...tasks appear to run slowly when nothing is printed. Here are ways to avoid it:" and a list: asked
    how, the sentence that names the trouble is quoted with the list that says how, the code of an item
    included; the code's answer is no short answer of the sentence introducing it."""
    root = _docs(tmp_path, "mac.md",
                 "# Running R under macOS\n\n"
                 "Users of R.app need to be aware of the App Nap feature (https://developer.apple.com/library/"
                 "archive/MacOSX10_9.html) which can make R tasks run very slowly when nothing is printed in the "
                 "console. Here are ways to avoid it:\n\n"
                 "- Keep the console completely visible.\n"
                 "- In a Terminal, run\n\n"
                 "```\ndefaults write org.R-project.R NSAppSleepDisabled -bool YES\n```\n\n"
                 "The X11 graphics device needs XQuartz.\n")
    answer = _ask(root, tmp_path / "index", hash_embedder,
                  "R tasks run very slowly under macOS when nothing is printed. How do I turn off App Nap for R?")
    assert not answer.abstained
    quotes = [c.quote for c in answer.citations]
    assert quotes[0].startswith("Users of R.app"), answer.text
    assert quotes[1:4] == ["Here are ways to avoid it:", "- Keep the console completely visible.",
                           "- In a Terminal, run"], answer.text
    assert answer.citations[4].kind == "code" and "NSAppSleepDisabled" in answer.citations[4].quote
    assert answer.short_answer is None


def test_a_way_the_sentence_says_does_not_work_is_no_how(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """"Retrieving the sources by e.g. wget -r ... will not work" names an option, and says it fails: asked how
    to fetch them, the sentence giving the command that does leads."""
    root = _docs(tmp_path, "svn.md",
                 "# Using Subversion\n\n"
                 "Note that retrieving the sources of the recommended packages by e.g. wget -r will not work: the "
                 "Subversion information is needed.\n\n"
                 "The repository does not contain the sources of the recommended packages. To use rsync to fetch "
                 "them, run ./tools/rsync-recommended from the top-level directory.\n")
    answer = _ask(root, tmp_path / "index", hash_embedder, "How do I fetch the sources of the recommended packages?")
    assert not answer.abstained
    assert answer.short_answer == "./tools/rsync-recommended", answer.text
    assert not answer.citations[0].quote.startswith("Note that"), answer.text


def test_how_on_a_platform_is_not_answered_by_the_platform_s_name(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """A table of commands by platform, asked how "on Windows": the row's first cell is the platform the
    question names; the short answer is the rest of the row, which says how."""
    root = _docs(tmp_path, "venv.html",
                 "<html><body><h1>Virtual environments</h1>"
                 "<p>The invocation of the activation script is platform-specific:</p>"
                 "<table><tr><th>Platform</th><th>Shell</th><th>Command to activate virtual environment</th></tr>"
                 "<tr><td>POSIX</td><td>bash/zsh</td><td>$ source &lt;venv&gt;/bin/activate</td></tr>"
                 "<tr><td>Windows</td><td>cmd.exe</td><td>C:\\&gt; &lt;venv&gt;\\Scripts\\activate.bat</td></tr>"
                 "</table></body></html>")
    answer = _ask(root, tmp_path / "index", hash_embedder, "How do I activate a virtual environment on Windows?")
    assert not answer.abstained
    assert answer.short_answer is not None and "activate.bat" in answer.short_answer, answer.text


@pytest.mark.parametrize("sentence", [
    "To load the plugins, set QA_PLUGIN_PATH=/opt/qa/plugins, otherwise the plugin loader will not work.",
    "To load the plugins, set QA_PLUGIN_PATH=/opt/qa/plugins; restarting the daemon doesn't help.",
    "To load the plugins, set QA_PLUGIN_PATH=/opt/qa/plugins, although qa-load will not work on version 2.",
])
def test_a_way_given_before_a_warning_about_another_is_still_the_how(tmp_path: Path, hash_embedder,
                                                                     sentence: str) -> None:  # type: ignore[no-untyped-def]
    """"Set X, otherwise the loader will not work": what fails is another clause's, the way given still answers."""
    root = _docs(tmp_path, "plugins.md", f"# Plugins\n\n{sentence}\n\nPlugins are Python modules.\n")
    answer = _ask(root, tmp_path / "index", hash_embedder, "How do I load the plugins?")
    assert answer.short_answer is not None and answer.short_answer.startswith("QA_PLUGIN_PATH"), answer.text


def test_a_way_said_to_fail_past_an_aside_is_no_how(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """"Downloading the tarball with wget -r, as some older guides suggest, will not work": the commas hold an
    aside, the way named still fails."""
    root = _docs(tmp_path, "get.md", "# Sources\n\nDownloading the tarball with wget -r, as some older guides "
                                     "suggest, will not work.\n")
    answer = _ask(root, tmp_path / "index", hash_embedder, "How do I download the tarball?")
    assert answer.short_answer != "-r", answer.text


def test_a_list_of_facts_after_a_colon_is_no_how(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """"The supported platforms are:" and a list says nothing of how to upgrade the server: not quoted with the
    sentence the question matched."""
    root = _docs(tmp_path, "server.md",
                 "# Upgrades\n\n"
                 "Upgrading the server keeps its data and settings in place. The supported platforms are:\n\n"
                 "- Debian 12\n- Ubuntu 24.04\n- RHEL 9\n")
    answer = _ask(root, tmp_path / "index", hash_embedder, "How do I upgrade the server?")
    assert answer.citations and answer.citations[0].quote.startswith("Upgrading the server"), answer.text
    assert all("Debian" not in c.quote for c in answer.citations), answer.text


def test_which_kind_of_name_is_answered_by_the_sentence_saying_its_name_is_one(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                                hash_embedder) -> None:
    """"Which function frees ...?": the sentence saying "The function yylex_destroy" is of the kind asked, not
    the one naming functions that allocate and free; "Which array ...?": the definition that opens "An array
    variable". A sentence naming two of the kind ("if the DISPLAY environment variable is set, if the TERM
    environment variable ...") lists conditions: it is not said to be the one asked."""
    root = _docs(tmp_path, "memory.txt",
                 "Memory management\n\n"
                 "Flex calls yy_free_all() whenever it frees the memory a scanner used.\n\n"
                 "The function yylex_destroy should be called to free memory a scanner used.\n")
    answer = _ask(root, tmp_path / "index", hash_embedder, "Which function frees all the memory a scanner used?")
    assert answer.short_answer == "yylex_destroy", answer.text
    from qa.answer import _said_of_kind

    kind = _said_of_kind("Which built-in Asymptote constant gives the largest value?")
    assert kind is not None and kind.search("This constant is the largest") and not kind.search("a built-in")
    assert _said_of_kind("What is the capital of France?") is None
    variable = _said_of_kind("Which environment variable sets the terminal?")
    assert variable is not None
    assert len(variable.findall("if the DISPLAY environment variable is set, if the TERM environment variable is")) == 2


_GIT_RESET_HTML = (
    "<html><head><title>git-reset</title></head><body><h2>Examples</h2><dl>"
    "<dt>Reset a single file in the index</dt><dd><p>Suppose you added a file by mistake.</p>"
    "<pre>$ git reset -- frotz.c                      &lt;1&gt;\n"
    "$ git commit -m \"Commit files in index\"     &lt;2&gt;</pre>"
    "<div class=\"colist arabic\"><ol>"
    "<li><p>This removes the file from the index while keeping it in the working directory.</p></li>"
    "<li><p>This commits all other changes in the index.</p></li></ol></div></dd></dl></body></html>")
_GIT_RM_MD = ("# Removing files\n\nSuppose you added a file by mistake.\n\n```\n$ git rm --cached notes.txt\n```\n\n"
              "- This removes the file from the index while keeping it in the working directory.\n"
              "- Commit afterwards to record the removal.\n")


@pytest.mark.parametrize(("name", "text", "question", "code"), [
    ("git-reset.html", _GIT_RESET_HTML, "How do I remove a file from the index but keep it in my working directory?",
     "$ git reset -- frotz.c"),
    ("git_rm.md", _GIT_RM_MD, "How do I remove a file from the index while keeping it in the working directory?",
     "git rm --cached notes.txt"),  # past the code's closing fence
])
def test_a_note_under_code_is_quoted_with_that_code(tmp_path: Path, hash_embedder, name: str, text: str,  # type: ignore[no-untyped-def]
                                                    question: str, code: str) -> None:
    """A callout's note ("• This removes the file from the index ...") says what the code above it does: asked
    how, the answer quotes that code with it, in the page's order; in Markdown the code's closing fence stands
    between them."""
    root = _docs(tmp_path, name, text)
    answer = _ask(root, tmp_path / "index", hash_embedder, question)
    quotes = [c.quote for c in answer.citations]
    at = next(i for i, q in enumerate(quotes) if "This removes the file" in q)
    assert at > 0 and code in quotes[at - 1], quotes


def test_a_sentence_about_such_files_is_read_with_the_one_describing_them(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                            hash_embedder) -> None:
    """"Function read_fwf() provides a simple way to read such files" answers for the files two sentences before
    describe: it scores above another function's sentence that shares the question's words itself (R-data's
    fixed-width files). A sentence presenting its name as "a similar function" is not said to be the one asked."""
    from qa.answer import score_sentences
    from qa.reader import expected_type
    from qa.retrieval import retrieve

    root = _docs(tmp_path, "import.txt",
                 "Reading files\n\nFunction read_csv() reads comma-separated files into a data frame.\n\n"
                 "Sometimes data files have no field delimiters but have fields in pre-specified columns. "
                 "This was very common in the days of punched cards. "
                 "Function read_fwf() provides a simple way to read such files.\n")
    question = "Which function reads files with fields in pre-specified columns and no delimiters?"
    eng = _engine(root, tmp_path / "index", hash_embedder)
    try:
        qvec = eng.embedder.embed_query(question)
        hits = retrieve(eng.snapshot, qvec, question, 5, eng.tuning, None)
        scored = score_sentences(eng.snapshot, hits, qvec, question, eng.tuning, expected_type(question))
        text = eng.snapshot.document(0).text
        named = [text[s.start : s.end].split()[1] for s in scored if s.answer is not None]
    finally:
        eng.close()
    assert named.index("read_fwf()") < named.index("read_csv()"), named
    from qa.answer import _ANOTHER_OF_KIND

    assert _ANOTHER_OF_KIND.search("Function read.fortran is a similar function for fixed-format files.")


def test_what_a_name_stands_for_is_searched_as_its_acronym(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """"What does the name Ksh stand for?": documents write "an acronym for" (Bash's manual: "The name is an
    acronym for the 'Bourne-Again SHell'"), which no word of the question matches; the keyword search looks for
    it, among passages that all name Ksh."""
    from qa.retrieval import retrieve

    root = tmp_path / "docs"
    root.mkdir()
    for n in range(12):  # passages that name Ksh and say "name": more than an answer reads
        (root / f"topic{n}.txt").write_text(
            f"Topic {n}\n\nIn section {n} of the Ksh manual, the name of each Ksh option is given in full.\n",
            encoding="utf-8")
    (root / "intro.txt").write_text(
        "Introduction\n\nKsh was written at Bell Labs. It is an acronym for the Korn shell.\n", encoding="utf-8")
    question = "What does the name Ksh stand for?"
    eng = _engine(root, tmp_path / "index", hash_embedder)
    try:
        hits = retrieve(eng.snapshot, eng.embedder.embed_query(question), question, 3, eng.tuning)
        sources = [eng.snapshot.document(eng.snapshot.chunk(h.chunk_id).doc_id).source for h in hits]
    finally:
        eng.close()
    assert sources[0] == "intro.txt", sources
