"""The reader (expected answer types, candidates, highlights, typed abstention, dated headers) and the
field-aware retrieval (title evidence, best-sentence scoring), on the hash embedder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from qa.config import Settings, Tuning
from qa.engine import Engine
from qa.reader import DATE, DEFINE, NUMBER, PERSON, PLACE, ROLE, WHY, answer_span, candidates, expected_type, measure
from qa.retrieval import is_question


@pytest.mark.parametrize(("question", "kind"), [
    ("When did Kazakhstan become independent?", DATE),
    ("In what year was the bridge built?", DATE),
    ("Who founded Amazon?", PERSON),
    ("Which president signed it?", PERSON),
    ("Where was Blinken on Tuesday?", PLACE),
    ("What is the capital city of China?", PLACE),
    ("How many people live in Lima?", NUMBER),
    ("What is the population of Spain?", NUMBER),
    ("What genre is One Piece?", None),
    ("Why did the empire fall?", WHY),
    ("Where does the name of the Python language come from?", WHY),  # an origin: a reason, not a place
    ("How did the river get its name?", WHY),
    ("What is the origin of the word robot?", WHY),
    ("Where does R look for installed packages?", PLACE),
    ("Who is Volodymyr Zelenskyy?", ROLE),  # what a named person is, not another person
    ("What is Blinken's job?", ROLE),
    ("What position does Antony Blinken hold?", ROLE),
    ("Who was Elizabeth II's father?", PERSON),
    ("Who is the founder of Walmart?", PERSON),
    # conditions one after another before the ask: not a question about a date
    ("In Camlidl, when an int or long has no explicit integer attribute and no int_default/long_default is in "
     "scope, what integer kind is assumed?", None),
])
def test_expected_type(question: str, kind: str | None) -> None:
    assert expected_type(question) == kind


def spans(kind: str, sentence: str, question: str) -> list[str]:
    return [sentence[c.start : c.end] for c in candidates(kind, sentence, question)]


def test_candidates_of_each_type_leave_out_the_question_and_titles() -> None:
    s = "Kazakh President Kassym-Jomart Tokayev met the State Department and Antony Blinken in Astana in 1991."
    assert spans(PERSON, s, "Who met Blinken?") == ["Kassym-Jomart Tokayev"]  # not Blinken, not an office
    assert "Astana" in spans(PLACE, s, "Where did they meet?")
    assert spans(DATE, s, "When did they meet?") == ["1991"]
    assert spans(DATE, "Built in the 7th century BC and again in 1644.", "When was it built?") == \
        ["7th century BC", "1644"]
    assert spans(NUMBER, "It has 19 million people, up from 1,500,000.", "How many?") == \
        ["19 million people", "1,500,000"]


@pytest.mark.parametrize(("question", "sentence", "role"), [
    ("Who is Volodymyr Zelenskyy?", "Kazakh President Kassym-Jomart Tokayev has spoken with Ukrainian President "
     "Volodymyr Zelenskyy several times.", "Ukrainian President"),  # the asked person's title, not the other's
    ("What is Blinken's job?", "U.S. Secretary of State Antony Blinken was in Astana on Tuesday.",
     "U.S. Secretary of State"),
    ("What was Winston Churchill's job?", "Sir Winston Leonard Spencer Churchill was a British statesman, military "
     "officer, and writer.", "a British statesman"),  # "Sir" is a form of address, not a job
    ("Who was Cleopatra?", "Cleopatra VII Thea Philopator was Queen of the Ptolemaic Kingdom of Egypt from 51 BC.",
     "Queen of the Ptolemaic Kingdom of Egypt"),
    ("Who is Mukhtar Tileuberdi?", "Tileuberdi, the foreign minister of Kazakhstan, met him.",
     "the foreign minister of Kazakhstan"),
])
def test_a_role_is_what_the_sentence_calls_the_asked_person(question: str, sentence: str, role: str) -> None:
    assert expected_type(question) == ROLE
    assert spans(ROLE, sentence, question) == [role]


@pytest.mark.parametrize(("question", "sentence", "definition"), [
    ("What is a Reading?", "A `Reading` is a dataclass with four fields.", "a dataclass with four fields"),
    ("What is a Reading in Tidewater?", "A `Reading` is a dataclass with four fields.", "a dataclass with four fields"),
    ("What is Tidewater?", "Tidewater is maintained by Jonas.", None),  # a passive, not a definition
    ("What is MLLW?", "Levels are referenced to a datum such as MLLW (mean lower low water).",
     "mean lower low water"),
    ("What does NATO stand for?", "The North Atlantic Treaty Organization (NATO) is an alliance.",
     "North Atlantic Treaty Organization"),
])
def test_a_definition_is_what_follows_the_term_or_its_expansion(question: str, sentence: str,
                                                                 definition: str | None) -> None:
    assert expected_type(question) == DEFINE
    assert spans(DEFINE, sentence, question) == ([definition] if definition else [])


@pytest.mark.parametrize("question", ["What is the capital of France?", "What is the difference between a and b?",
                                      "What is it?"])
def test_a_question_about_a_relation_is_no_definition(question: str) -> None:
    assert expected_type(question) != DEFINE


def test_a_sentence_that_does_not_name_the_asked_person_holds_no_role() -> None:
    assert spans(ROLE, "Kazakh President Kassym-Jomart Tokayev spoke.", "Who is Volodymyr Zelenskyy?") == []
    present = "Present: Dr. Samuel Okafor (principal investigator), Dr. Ana Ruiz (lab manager)"
    assert spans(ROLE, present, "Who is Ana Okafor?") == []  # another Okafor
    assert spans(ROLE, present, "Who is Dr. Okafor?") == ["principal investigator"]  # a title before the name


@pytest.mark.parametrize(("sentence", "question"), [
    ("Lena Fischer (on leave until September) trains users.", "Who is Lena Fischer?"),
    ("Marco Bellini was a little late to the meeting.", "Who is Marco Bellini?"),
    ("Orders go to the finance department, Rachel Osei approves them.", "Who is Rachel Osei?"),
])
def test_what_is_said_of_a_person_is_not_always_a_role(sentence: str, question: str) -> None:
    assert spans(ROLE, sentence, question) == []


def test_an_acronym_s_expansion_spells_it() -> None:
    assert spans(DEFINE, "The API (see section 4 below) is stable.", "What is the API?") == []
    assert spans(DEFINE, "Use SAP (ask the finance team first).", "What is SAP?") == []


@pytest.mark.parametrize("place", ["Latin America", "Caspian Sea", "North Macedonia", "Vatican City"])
def test_a_place_is_not_taken_for_a_person(place: str) -> None:
    """A name holding a continent, ending in a place's head noun or starting with a direction is a place."""
    s = f"In {place} the ministers met Mukhtar Tileuberdi."
    assert spans(PERSON, s, "Who did the ministers meet?") == ["Mukhtar Tileuberdi"]


def test_a_number_must_come_with_what_is_measured() -> None:
    assert measure("What is the population of Kazakhstan?") == "population"
    # a list's part asks in the plural; a name with a digit is no measure
    assert measure("What are the populations of Panama?") == "population"
    assert expected_type("What are the populations of Panama?") == NUMBER
    assert measure("How many F1 world titles did he win?") == "titles"
    assert spans(NUMBER, "He raced in Formula One.", "How many races?") == []  # a number word in a name
    assert measure("How many Portuguese speakers are there?") == "speakers"
    assert measure("How much money did the U.S. pledge?") == "money"
    # a height or a depth asked by its adjective: a volume is no depth ("How deep is Lake Baikal?")
    assert measure("How tall is Mount Everest?") == "height" and measure("How deep is Lake Baikal?") == "depth"
    deep = "How deep is Lake Baikal?"
    assert answer_span(NUMBER, "Together they hold 31,000 km3 (7,400 mi3) of water.", deep, set()) is None
    assert answer_span(NUMBER, "Its maximum depth is 1,642 m.", deep, set()) is not None
    assert measure("How long is the warranty?") != "length"  # a time as often as a length
    # a land mass is an area: not the land border a summary mentions
    assert expected_type("What is the land mass of Canada?") == NUMBER
    assert measure("What is the land mass of Canada?") == "area" == measure("What is the surface area of Mars?")
    assert answer_span(NUMBER, "Its border with the US is the longest land border, 8,891 km.",
                       "What is the land mass of Canada?", set()) is None
    q = "What is the population of Kazakhstan?"
    assert answer_span(NUMBER, "Kazakhstan took in tens of thousands of Russian men.", q, set()) is None
    found = answer_span(NUMBER, "It has a population of 19 million.", q, {"popul"})
    assert found is not None
    assert answer_span(NUMBER, "The U.S. pledged $25 million.", "How much money did the U.S. pledge?", set())


@pytest.mark.parametrize(("question", "sentence", "answer"), [
    ("How long must the rotor be pre-cooled?", "Pre-cool the rotor to 4 °C for 20 minutes before use.", "20 minutes"),
    ("How many kilometres per year does the allowance cover?",
     "The allowance is €0.30 per km, up to 1,500 km per year.", "up to 1,500 km"),  # the counted unit, not money
    ("How many gas cylinders may be stored?", "At most 4 cylinders may be stored in room B104.",
     "At most 4 cylinders"),  # with the noun counted ("gas" is no plural)
    ("How much does the plate reader cost?", "The plate reader cost $27,500 and has 96 wells.", "$27,500"),
    # the amount, not the year it holds in, nor a count of something else, nor another measure's number
    ("What is the population of Mexico?", "With a population exceeding 134 million as of 2026, Mexico is the "
     "tenth-most populous country.", "134 million"),
    ("What is the population of Tokyo?", "The Greater Tokyo Area, which includes Tokyo and parts of six neighboring "
     "prefectures, is the third-most populous metropolitan area, with 33 million residents as of 2025.", "33 million"),
    ("What is the population of Hong Kong?", "With 7.5 million residents in a 1,114-square-kilometre territory, "
     "Hong Kong is densely populated.", "7.5 million"),
    ("What is the population of the town?", "The town had a population of 1500 in 1900.", "1500"),
    ("What is the population of the island?", "The island has 1950 inhabitants living in 4 villages.",
     "1950 inhabitants"),  # a year-like amount with its measure's word is no year
    ("What is Germany's rank by population?", "Germany is the 19th most populous country.", "19"),  # a rank asked
    ("How many times has she won?", "She won for the 3rd time in 2020.", "3"),
    ("What is the area of Kelso?", "Kelso covers 1,000 square km of hills.", "1,000 square km"),
    ("What is the area of the sensor?", "The sensor has an area of 864 mm2.", "864 mm2"),
    ("What is the area of the flat?", "The flat is 900 sq ft.", "900 sq ft"),
    ("What is the population of Miami?", "It has a population of 442,241 at the 2020 census.", "442,241"),
    ("How many F1 world titles did Michael Schumacher win?", "Schumacher won seven Formula One World Drivers' "
     "Championship titles and held the record for most wins (91).", "seven"),  # the counted noun's number
    ("What are the lengths in kilometers of the Nile?", "At 7,088 kilometers (4,404 mi) long, it is the longest "
     "river.", "7,088 kilometers"),
    ("What is the height of Everest?", "It is 8,849 m tall, the highest mountain.", "8,849 m"),
    # an area in its unit, taken with it
    ("What is the total area of China?", "It spans an area of 9.6\u00a0million square kilometers "
     "(3,700,000\u00a0sq\u00a0mi).", "9.6\u00a0million square kilometers"),
])
def test_a_number_in_the_unit_asked_for(question: str, sentence: str, answer: str) -> None:
    from index.text.keywords import keyword_tokens

    a, b = answer_span(NUMBER, sentence, question, set(keyword_tokens(sentence)))  # type: ignore[misc]
    assert sentence[a:b] == answer


@pytest.mark.parametrize(("question", "sentence"), [
    ("What is the area of Germany?", "With 4,800 people per km2, Munich is Germany's most densely populated area."),
    ("What is the area of Germany?", "It is the 12th most populous city of Germany and the fourth largest by area."),
    ("What is the area of Russia?", "Sixteen of its urban areas have more than 1 million inhabitants."),  # "than"
])
def test_no_number_answers_for_another_measure_or_a_rank(question: str, sentence: str) -> None:
    from index.text.keywords import keyword_tokens

    assert answer_span(NUMBER, sentence, question, set(keyword_tokens(sentence))) is None


def test_a_day_and_month_is_a_date_and_a_weekday_joins_the_date_after_it() -> None:
    assert spans(DATE, "He will circulate the checklist by 22 March.", "When is it due?") == ["22 March"]
    assert spans(DATE, "He replaces the gasket on Monday, 18 March 2024.", "When?") == ["on Monday, 18 March 2024"]
    assert spans(DATE, "Service contracts are renewed every July.", "When?") == ["every July"]
    assert spans(DATE, "It was rebuilt in 1450, 1470 and 1520.", "When?") == ["1450", "1470", "1520"]  # not joined
    assert spans(DATE, "Open on Monday, Tuesday and Friday.", "When?") == ["on Monday", "Tuesday", "Friday"]


def test_highlight_is_the_candidate_next_to_the_question_words() -> None:
    s = "The trip takes Blinken to two capitals, Astana in Kazakhstan and Tashkent in Uzbekistan."
    q = "Which city is the capital of Uzbekistan?"
    a, b = answer_span(PLACE, s, q, set())  # type: ignore[misc]
    assert s[a:b] == "Tashkent"


def test_question_form() -> None:
    assert is_question("What is the GDP of Sweden?") and is_question("Find the largest continent")
    assert is_question("population of Bihar in 2011?")
    assert not is_question("1968 film by Stanley Kubrick")


def test_what_the_question_is_about_is_not_its_answer() -> None:
    s = "Mount Etna is an active volcano on the island of Sicily."
    a, b = answer_span(PLACE, s, "Where is Etna?", set())  # type: ignore[misc]
    assert s[a:b] == "Sicily"


# -- end to end on the hash embedder ------------------------------------------------------------------


@pytest.fixture
def wiki(tmp_path: Path) -> Engine:
    root = tmp_path / "wiki"
    root.mkdir()
    docs = {
        "spain.txt": "Spain\n\nSpain is a country in southwestern Europe. It has a population of 48 million.",
        "madrid.txt": "Madrid\n\nMadrid is the capital of Spain, a city in the centre of the country of Spain, "
                      "the largest city of Spain with 3.4 million people in Spain.",
        "bolt.txt": "Usain Bolt\n\nUsain Bolt is a Jamaican sprinter. He won the 100 metres in 2008.",
        "francis.txt": "Francis I of France\n\nFrancis I was King of France from 1515 until his death in 1547.",
        "report.txt": "date 2021-06-01 Lima (Peru): The bridge over the river was opened by the mayor.\n\n"
                      "Traffic on the bridge was heavy on the first day.",
    }
    for name, text in docs.items():
        (root / name).write_text(text, encoding="utf-8")
    from index.embedding.hashing import HashEmbedder

    eng = Engine(Settings.resolve(root, tmp_path / "idx"), embedder=HashEmbedder())
    for _ in eng.prepare():
        pass
    yield eng
    eng.close()


def test_a_question_naming_a_title_ranks_that_document_first(wiki: Engine) -> None:
    question = "What is the population of Spain?"
    wiki.tuning = replace(Tuning(), title_weight=0.0)
    assert wiki.search(question, top_k=2)[0].source == "madrid.txt"  # words alone: Madrid says "Spain" 4 times
    wiki.tuning = Tuning()
    assert wiki.search(question, top_k=2)[0].source == "spain.txt"


def test_answer_highlights_the_short_answer_verbatim(wiki: Engine) -> None:
    answer = wiki.ask("What is the population of Spain?")
    assert not answer.abstained and answer.short_answer == "48 million"
    c = answer.citations[0]
    assert c.highlight is not None and c.start <= c.highlight[0] < c.highlight[1] <= c.end
    text = wiki.document_text(c.source)
    assert text is not None and text[c.highlight[0] : c.highlight[1]] == "48 million"
    assert answer.to_dict()["citations"][0]["highlight"] == list(c.highlight)


def test_near_topic_number_question_abstains(wiki: Engine) -> None:
    answer = wiki.ask("What is the GDP of Spain?")
    assert answer.abstained and answer.passages  # closest passages are still listed
    no_reader = replace(Tuning(), reader=False)
    wiki.tuning = no_reader
    assert not wiki.ask("What is the GDP of Spain?").abstained  # the reader is what abstains


def test_question_naming_something_absent_abstains(wiki: Engine) -> None:
    assert wiki.ask("When did Usain Bolt win the 100 metres?").short_answer == "2008"
    assert wiki.ask("When did Carl Lewis win the 100 metres?").abstained


def test_date_question_answered_from_the_dated_header(wiki: Engine) -> None:
    answer = wiki.ask("When was the bridge opened by the mayor?")
    assert not answer.abstained and answer.short_answer == "2021-06-01"
    header = answer.citations[0]
    assert header.quote.startswith("date 2021-06-01 Lima (Peru)")
    assert any("opened by the mayor" in c.quote for c in answer.citations[1:])


def test_an_event_asked_with_one_word_is_found_in_another_form(wiki: Engine) -> None:
    """"die" in the question, "death" in the text: without RELATED_FORMS the date sentence shares no word of
    what is asked besides the topic, and the date question abstains."""
    answer = wiki.ask("When did Francis I die?")
    assert not answer.abstained and answer.short_answer == "1547"


def test_names_written_as_code_or_after_a_trade_word_are_what_the_corpus_holds() -> None:
    from qa.terms import never_mentioned

    everywhere = lambda word: 1  # noqa: E731 - every keyword occurs; no compound name does
    # "CMakeLists" as a word of "CMakeLists.txt": mentioned; a code name the keywords lack is not
    assert never_mentioned("Which mode keeps processing the CMakeLists?", lambda key: 0, everywhere) == []
    assert never_mentioned("Which mode keeps processing the CMakeLists?", lambda key: 0,
                           lambda word: 0 if word == "cmakelist" else 1) == ["CMakeLists"]
    # a status code after HTTP is no version to look up; a numbered standard still is
    assert never_mentioned("Which flag answers with HTTP 410?", lambda key: 0, everywhere) == []
    assert never_mentioned("What does PEP 701 change?", lambda key: 0, everywhere) == ["PEP 701"]
    assert never_mentioned("What is new in Python 4?", lambda key: 0, everywhere) == ["Python 4"]
    # a word of the trade in the plural is still one
    assert never_mentioned("How many logical CPUs are there?", lambda key: 0, lambda word: 0) == []


def test_the_pronoun_i_and_names_written_as_alternatives() -> None:
    from index.text.titles import maximal, question_spans
    from qa.answer import _names_are_present
    from qa.types import Passage

    question = "Where does CMake install things on Linux/UNIX if I never set an install prefix?"
    spans = [s for s in question_spans(question) if s.proper]
    assert [s.key for s in maximal(spans, {s.key for s in spans})] == ["cmake", "linux unix"]
    assert "world war i" in {s.key for s in question_spans("When did World War I end?") if s.proper}
    passage = Passage(1, "prefix.html", 0, 60, "This variable defaults to /usr/local on UNIX.", 1.0,
                      title="CMAKE_INSTALL_PREFIX (CMake)")
    assert _names_are_present(question, [passage])  # UNIX is there: one of the two is enough
    assert not _names_are_present("Where does CMake install things on Linux?", [passage])
    # a name written as code was looked for in the whole corpus, not only in the passages
    assert _names_are_present("Where does the CMakeLists file set the install prefix?", [passage])


def test_an_adjective_of_place_is_present_where_its_place_is() -> None:
    from qa.answer import _names_are_present
    from qa.types import Passage

    passage = Passage(1, "Sydney.txt", 0, 90, "Sydney is the capital city of the state of New South Wales and the "
                      "most populous city in Australia.", 1.0, title="Sydney")
    assert _names_are_present("Of which Australian state is Sydney the capital?", [passage])
    assert not _names_are_present("Of which Austrian state is Sydney the capital?", [passage])


def test_a_defined_name_the_question_writes_is_not_the_name_it_asks_for() -> None:
    from qa.answer import typed_answer
    from qa.reader import IDENT

    text = "configure_file\n\nEach variable reference will be replaced with the current value of the variable."
    start = text.index("Each")
    asked = "Which option of configure_file replaces only @VAR@ references?"
    assert typed_answer(IDENT, text, start, len(text), "sentence", (0, 14), asked, frozenset()) is None
    other = "Which command replaces variable references in a copied file?"
    assert typed_answer(IDENT, text, start, len(text), "sentence", (0, 14), other, frozenset()) == (0, 14)


def test_a_word_the_document_defines_as_a_name_answers_which_name() -> None:
    from index.types import Document, Unit
    from qa.answer import _defined_elsewhere

    text = ("mapfile\n\nRead lines from the standard input into an array.\n\nreadarray\n\nA synonym for mapfile.\n\n"
            "prefix\n\nThe prefix of the installation.")
    units = tuple(Unit("term", text.index(n), text.index(n) + len(n)) for n in ("mapfile", "readarray", "prefix\n"))
    doc = Document("bash.pdf", text, "", "Bash", units=tuple(sorted(units, key=lambda u: u.start)), format="pdf")
    at = text.index("A synonym")
    found = _defined_elsewhere(doc, at, at + len("A synonym for mapfile."), "Which builtin is a synonym for readarray?")
    assert found is not None and text[found[0] : found[1]] == "mapfile"
    # not a name the question writes, nor an English word a document happens to define
    assert _defined_elsewhere(doc, at, at + 22, "Is mapfile a synonym for readarray?") is None
    end = len(text)
    assert _defined_elsewhere(doc, text.index("The prefix"), end, "Which setting holds the prefix?") is None


@pytest.mark.parametrize(("sentence", "numbers"), [
    ("See also: [max recursion depth], page 159.", []),  # a place in the document, not a quantity
    ("The stack holds 10,000 entries (see Section 2.8).", ["10,000 entries"]),
    ("returns true iff the segment between node i and node i+1 is straight.", []),  # part of an expression
    ("A recursive function is one which calls itself.", []),  # a pronoun
    ("One thousand people came.", ["One thousand"]),
    ("Only one can be active at a time.", ["one"]),
    ("flintmax is 2^53 for doubles.", []),  # neither the base nor the exponent alone
])
def test_numbers_that_are_no_quantities(sentence: str, numbers: list[str]) -> None:
    assert [sentence[c.start : c.end] for c in candidates(NUMBER, sentence, "How many?")] == numbers


def test_a_version_asked_with_a_qualifier() -> None:
    assert expected_type("What minimum Python version do the coding standards require?") == "version"


def test_a_value_after_an_equals_sign_is_a_number_and_a_version_is_not() -> None:
    sentence = "New in version 3.2. ArgumentParser.exit(status=2, message=None)"
    assert [sentence[c.start : c.end] for c in candidates(NUMBER, sentence, "What exit status?")] == ["2"]


def test_a_capital_named_after_its_country_answers_it() -> None:
    assert spans(PLACE, "Its capital and largest city is Andorra la Vella.", "What is the capital of Andorra?") == [
        "Andorra la Vella"]
    assert spans(PLACE, "Most people live in Kuwait City, the capital.", "What is the capital city of Kuwait?") == [
        "Kuwait City"]
    # not a place holding the asked name, nor for another place question
    assert spans(PLACE, "Seoul is the capital of South Korea.", "What is the capital of Korea?") == ["Seoul"]
    assert "West Virginia" not in spans(PLACE, "Richmond is the capital of Virginia, not West Virginia.",
                                        "What is the capital of Virginia?")
    assert spans(PLACE, "Mount Etna is in Sicily.", "Where is Etna?") == ["Sicily"]


@pytest.mark.parametrize(("sentence", "name"), [
    ("Function unstack goes in the opposite direction, and may be useful for exporting data.", "unstack"),
    ("Package readxl can read both Excel 97-2003 and Excel 2007/10 spreadsheets.", "readxl"),
    ("The function unstack goes in the opposite direction.", "unstack"),
    # a word before a kind word is no name when the question names it: the name after the kind word is
    ("The default may be changed to a4 with the configuration variable papertype.", "papertype"),
])
def test_a_name_after_its_kind_word_even_as_the_sentence_opens(sentence: str, name: str) -> None:
    from qa.reader import IDENT, doc_answer_span

    span = doc_answer_span(IDENT, sentence, "Which function, package or configuration variable does it?")
    assert span is not None and sentence[span[0] : span[1]] == name


@pytest.mark.parametrize("sentence", ["Function calls are slow in this interpreter.",
                                      "Options are read from the file at start-up.",
                                      "Unlike a key, a comparison function computes the relative ordering."])
def test_an_ordinary_word_after_an_opening_kind_word_is_no_name(sentence: str) -> None:
    from qa.reader import IDENT, doc_answer_span

    assert doc_answer_span(IDENT, sentence, "Which function or option does it?") is None


@pytest.mark.parametrize(("sentence", "names"), [
    ("On most distributions, services are started at boot by the program systemd, which restarts them.",
     ["systemd"]),
    ("The package pandas provides the DataFrame type and reads CSV files.", ["pandas", "DataFrame"]),
    ("The web server process is the program httpd, configured in its own file.", ["httpd"]),
    ("Function Keys such as F5 run the current script.", ["F5"]),
    ("Open the Settings Menu to change the font size of the editor.", []),
    ("Open Command Prompt as administrator to install it.", []),
    ("The grep command Linux ships searches files for a pattern.", []),
    ("Use the class Decimal for exact decimal arithmetic.", ["Decimal"]),
    # a name of two capitalised words before its kind word, after an article
    ("The TOML Kit package is a style-preserving TOML library.", ["TOML Kit"]),
    ("The Tomli-W package is a TOML writer.", ["Tomli-W"]),
])
def test_what_a_kind_word_names_and_what_it_does_not(sentence: str, names: list[str]) -> None:
    """A plain word after a kind word is a name unless it is a verb doing something to what follows; a
    capitalised kind word names only where the sentence opens, and not a word in title case."""
    from qa.reader import code_names

    found = [sentence[c.start : c.end] for c in code_names(sentence, "Which program, package or setting is it?")]
    assert list(dict.fromkeys(found)) == names


@pytest.mark.parametrize(("sentence", "names"), [
    # a link in brackets is a reference: none of its pieces is a name, even split by a PDF's line break
    ("Users of R.app need to be aware of the App Nap feature (https://developer.apple. com/library/archive/"
     "releasenotes/MacOSX/WhatsNewInOSX/Articles/MacOSX10_9. html) which can slow R down.", []),
    # a link the sentence points to is named whole, without the full stop after it
    ("A machine-readable version is available by accessing the page http://your.server.name/server-status?auto.",
     ["http://your.server.name/server-status?auto"]),
    ("Packages are at www.example.org/pkgs/ and load with library.load().", ["www.example.org/pkgs/",
                                                                              "library.load()"]),
    ("If you have a client (see https://subversion.apache.org/), check out the sources.", []),
])
def test_a_link_is_named_whole_or_not_at_all(sentence: str, names: list[str]) -> None:
    from qa.reader import code_names

    found = [sentence[c.start : c.end] for c in code_names(sentence, "How do I get it?")]
    assert found == names


@pytest.mark.parametrize(("sentence", "question", "names"), [
    # a link in brackets is the answer when a link is what is asked for, and a Markdown link's target always
    ("To download fooctl, get the release build from the project page (https://github.com/acme/fooctl/releases).",
     "How do I download fooctl?", ["https://github.com/acme/fooctl/releases"]),
    ("To install fooctl, grab the latest build from [the releases page](https://github.com/acme/fooctl/releases).",
     "How do I install fooctl?", ["https://github.com/acme/fooctl/releases"]),
    # in running text a space ends a link: only a link in brackets runs on to its closing bracket
    ("To get a nightly snapshot, fetch it from https://nightly.acme.example/fooctl/ and/or the backup mirror.",
     "How do I get a nightly snapshot?", ["https://nightly.acme.example/fooctl/"]),
    ("To read the licence, see https://acme.example/LICENSE. docs/NOTICE lists third-party terms.",
     "How do I read the licence?", ["https://acme.example/LICENSE"]),
    # a link a PDF's line cut after a slash goes on with a path
    ("Download the installer from https://downloads.example.org/ releases/stable/foo-installer.exe and run it.",
     "How do I download the installer?", ["https://downloads.example.org/ releases/stable/foo-installer.exe"]),
    ("Download installers from https://downloads.example.org/ i.e. the official mirror.",
     "How do I download the installer?", ["https://downloads.example.org/"]),
    # the command a sentence runs comes before the options it passes; words with slashes are no path
    ("To get the packages, run ./tools/rsync-recommended --quiet from the top.", "How do I get them?",
     ["./tools/rsync-recommended", "--quiet"]),
    ("To run unit/integration/e2e tests in one go, use make check.", "How do I run all tests?", ["e2e"]),
])
def test_which_link_or_path_a_how_to_sentence_names(sentence: str, question: str, names: list[str]) -> None:
    from qa.reader import code_names

    assert [sentence[c.start : c.end] for c in code_names(sentence, question)] == names


@pytest.mark.parametrize(("sentence", "names"), [
    ("To get the recommended packages, run ./tools/rsync-recommended from the top-level directory.",
     ["./tools/rsync-recommended"]),
    ("Then run ./configure and make.", ["./configure"]),
    ("Type ../bin/R CMD check on the tarball", ["../bin/R"]),
    ("Run tools/build.sh.", ["tools/build.sh"]),
    # no program: a pair of words, a fraction
    ("Parsers run and/or stop on errors.", []),
    ("We run 3/4 of the time on batteries.", []),
])
def test_a_program_run_by_its_path_is_a_name(sentence: str, names: list[str]) -> None:
    from qa.reader import code_names

    found = [sentence[c.start : c.end] for c in code_names(sentence, "How do I get it?")]
    assert [n for n in found if n not in ("Run", "Type", "Parsers")] == names


@pytest.mark.parametrize(("question", "sentence", "answer"), [
    ("How much disk space did a basic install take?",
     "The space savings can be considerable: a basic install (without debugging symbols) took 74Mb.", "74Mb"),
    ("How much memory does the cache use?", "The cache holds 512 entries and uses 64 MB of memory.", "64 MB"),
    ("How much memory does the cache use?", "The cache holds 512 entries.", None),
    # Python's bytes type is no amount; disks asked for are counted, not measured
    ("How much memory does the object cache use?", "Each entry is written as a bytes object of 16 fields.", None),
    ("How many disks does a RAID 5 array need?", "A RAID 5 array needs 3 disks of 2 TB each.", "3 disks"),
])
def test_an_amount_of_disk_space_or_memory_is_in_bytes(question: str, sentence: str, answer: str | None) -> None:
    from index.text.keywords import keyword_tokens

    span = answer_span(NUMBER, sentence, question, frozenset(keyword_tokens(sentence)))  # as answers read them
    assert (sentence[span[0] : span[1]] if span else None) == answer


@pytest.mark.parametrize(("question", "terms"), [
    ("How do I create a virtual environment with the uv venv command?", ["create", "virtual", "environment",
                                                                          "uv", "venv", "command"]),
    ("How do I search with the rg tool?", ["search", "rg", "tool"]),
    ("Which os module function lists files?", ["module", "function", "lists", "files"]),  # an English word
    ("What does the id command print?", ["command", "print"]),
    ("How do I pass ie the file name?", ["pass", "file", "name"]),  # two letters named no tool
    ("How do I install the qt library?", ["install", "library"]),  # an abbreviation the documents spell out
    ("Which ui library is the standard one?", ["library", "standard", "one"]),
    ("How do I open a file with the vi editor command?", ["open", "file", "editor", "command"]),
])
def test_a_two_letter_word_is_a_key_term_only_when_named_a_tool(question: str, terms: list[str]) -> None:
    from qa.terms import key_terms

    assert [t.text for t in key_terms(question)] == terms


@pytest.mark.parametrize(("kind", "question", "sentence", "answer"), [
    # a default an article opens is the phrase it opens; a quoted value stays as written
    ("default", "What resolution is used by default?",
     "For SVG the default is the screen resolution; for other formats the default is 150 DPI.",
     "the screen resolution"),
    ("default", "What is the default separator?", "The default separator is a single space.", "a single space"),
    ("default", "What is the default mode of FileHandler?", "The default mode is 'a', which appends to the file.",
     "'a'"),
    ("default", "What is the default size of the gpic output?", "The default size is 5 x 3 inches.", "5 x 3 inches"),
    # a value said by relation is none of its own; the phrase ends before a preposition (the third review)
    ("default", "What is the default encoding?",
     "The default encoding is the same as the input encoding unless you override it.", None),
    ("default", "What is the default cache location?",
     "The default cache location is the system temporary directory as reported by tempfile.", None),
    ("default", "What is the default threshold?", "The default threshold is a value of 10 for most models.", None),
    ("default", "What is the default gap?", "The default gap is a single space between columns.", "a single space"),
    ("default", "What is the default value of --plugins?", "The default is an empty list unless QA_PLUGINS is set.",
     "an empty list"),
    ("default", "What value does an option have if none is given?",
     "If no initial <value> is provided, boolean OFF is the default value.", "OFF"),
    # a place is a whole name: not the "CP" of CPython nor the "Py" of PyPI, nor an identifier in camel case
    ("place", "Where is the data kept?", "In CPython the data is kept by the PyPI service.", None),
    ("place", "Where is the error raised?", "All such calls will raise ZoneInfoNotFoundError.", None),
    ("person", "Who wrote it?", "It was written by Paul McCartney in 1965.", "Paul McCartney"),
    # a word opening a sentence names no place
    ("place", "Where are the modules shared?", "Also, the compiled modules are shared among systems.", None),
    # documentation says where with a directory, a path or a package
    ("place", "Where are compiled modules cached?",
     "The compiled version of spam.py is cached as __pycache__/spam.cpython-33.pyc.",
     "__pycache__/spam.cpython-33.pyc"),
    ("place", "Where does zoneinfo get its data?",
     "It pulls data from the system database or the first-party PyPI package tzdata, if available.", "tzdata"),
    ("place", "Where are they shown?", "The directory listings show every file.", None),
    ("place", "Where is it?", "Paris lies at 48/2 on the map.", "Paris"),
    # a pair of words with a slash is no path, a file name in prose no place (the review's cases)
    ("place", "Where did AC/DC play?", "AC/DC played a concert at Wembley Stadium in London.", "Wembley Stadium"),
    ("place", "Where was the rally held?", "The rally was held in Kraków, where cars reached 180 km/h.", "Kraków"),
    ("place", "Where does the festival take place?", "The festival takes place in Ballyvaughan every summer and/or "
     "early autumn.", "Ballyvaughan"),
    ("place", "Where was the report presented?", "The final report, summary.pdf, was presented in Geneva.", "Geneva"),
    ("place", "Where does the festival take place?", "The festival takes place in See, a village in Tyrol.", "See"),
    ("place", "Where is the manual available?", "(see https://docs.example.org/referenc e/manual/index.html)", None),
    ("place", "Where are the docs?", "The docs live in docs/index.html in the repository.", "docs/index.html"),
    # a relative path or a file name a preposition of place leads to
    ("place", "Where are page templates stored?", "Page templates are stored in the src/templates directory.",
     "src/templates"),
    ("place", "Where are logs written?", "Application logs are written to var/log by default.", "var/log"),
    ("place", "Where does the tool read its settings from?", "The tool reads its settings from config.yaml in the "
     "project root.", "config.yaml"),
    # an adverb opening a sentence after a bullet, a quotation mark or bold markup
    ("place", "Where is the museum located?", "- Also, the museum is located in Graz.", "Graz"),
    ("place", "Where is the ferry company based?", "**Today** the ferry company is based in Bregenz.", "Bregenz"),
    ("person", "Who won the election?", "Recep Tayyip Erdoğan won the election.", "Recep Tayyip Erdoğan"),
    ("number", "How long is the standard board?", "The standard board measures 2 X 4 inches.", "4 inches"),
    # a standard's number is its name, no quantity
    ("number", "What number does flintmax return?", "On IEEE 754 systems it returns a large number.", None),
    # the end of a range the question asks for
    ("number", "What's the largest digest size BLAKE2b can produce?",
     "BLAKE2b, optimized for 64-bit platforms, produces digests of any size between 1 and 64 bytes.", "64 bytes"),
    ("number", "What's the smallest digest size BLAKE2b can produce?",
     "BLAKE2b, optimized for 64-bit platforms, produces digests of any size between 1 and 64 bytes.", "1"),
])
def test_a_short_answer_is_a_whole_value_of_the_kind_asked(kind: str, question: str, sentence: str,
                                                           answer: str | None) -> None:
    from index.text.keywords import keyword_tokens
    from qa.reader import DOC_KINDS, answer_span, doc_answer_span

    span = doc_answer_span(kind, sentence, question) if kind in DOC_KINDS else \
        answer_span(kind, sentence, question, frozenset(keyword_tokens(sentence)))
    assert (sentence[span[0] : span[1]] if span else None) == answer


@pytest.mark.parametrize(("sentence", "names"), [
    ("Updated packages are installed globally or locally.", []),  # a word capitalised as it opens the sentence
    ("The Tomli-W package is a TOML writer.", ["Tomli-W"]),
    ("- Pillow package: adds image processing to the application.", ["Pillow"]),  # a name, though a word too
    ("System commands like df report the disk usage.", []),  # says which commands, names none
])
def test_a_word_opening_a_sentence_before_a_kind_word_is_no_name(sentence: str, names: list[str]) -> None:
    from qa.reader import code_names

    assert [sentence[c.start : c.end] for c in code_names(sentence, "How do I update packages?")] == names


def test_a_field_label_names_nothing_and_a_name_loses_its_colon() -> None:
    from qa.answer import typed_answer
    from qa.reader import IDENT, defined_name

    text = "Parameters:"
    assert typed_answer(IDENT, text, 0, len(text), "term", None, "Which parameter gives the line?", frozenset()) is None
    assert defined_name("lno:") == (0, 3)
    assert defined_name(":") is None


@contextmanager
def _engine_over(tmp_path: Path, files: dict[str, str]) -> Iterator[Engine]:
    """An engine (the hash embedder) over a corpus of `files` (name -> text), prepared; closed after."""
    from index.embedding.hashing import HashEmbedder

    root = tmp_path / "docs"
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    engine = Engine(Settings.resolve(root, tmp_path / "index"), embedder=HashEmbedder())
    for _ in engine.prepare():
        pass
    try:
        yield engine
    finally:
        engine.close()


def test_a_question_in_other_words_than_the_documents_finds_the_sentence_that_says_it(tmp_path: Path) -> None:
    """"ignore" in the question, "excluded" in the manual; "empties" and "TRUNCATE": the sentence that answers
    shares the asked action only through PARAPHRASES; without them a sentence that shares the topic's words wins."""
    from qa.answer import keyword_overlap

    weights = {"ignor": 2.0, "file": 1.0}
    assert keyword_overlap(weights, frozenset({"file", "exclud"})) == 1.0
    assert keyword_overlap(weights, frozenset({"file", "includ"})) == pytest.approx(1 / 3)
    with _engine_over(tmp_path, {
        "sql.md": (
            "# Tables\n\nTRUNCATE quickly removes all rows from a table.\n\n"
            "DELETE removes the rows of a table that a condition selects, one row at a time.\n"
        ),
    }) as engine:
        assert "TRUNCATE" in engine.ask("Which command empties a table of all its rows?").citations[0].quote


def test_a_default_question_is_answered_by_the_default_of_the_thing_it_names(tmp_path: Path) -> None:
    """"What mode does reset use when no mode is given?": the sentence giving another entry's default ("(defaults
    to HEAD)", of the tree) is no answer, though it shares more of the question's words."""
    with _engine_over(tmp_path, {
        "reset.md": (
            "# git reset\n\nReset the index when no tree is given: the reset uses the tree HEAD (defaults to HEAD).\n\n"
            "If the mode is omitted, it defaults to --mixed.\n"
        ),
    }) as engine:
        answer = engine.ask("What mode does git reset use when no mode is given?")
        assert "--mixed" in answer.citations[0].quote


def test_an_faqs_question_heading_is_answered_by_what_is_written_under_it(tmp_path: Path) -> None:
    """The FAQ's own question ("Why does the app crash on start?") matches best but asks: the sentences under it
    answer, in order; a sentence that goes on after the code it introduces ("...run:" + code + "then start...") is
    quoted to its end."""
    with _engine_over(tmp_path, {
        "faq.md": (
            "# Questions\n\n## How do I change my password?\n\nOpen the settings page and choose Password.\n\n"
            "## Why does the app crash on start?\n\nIt is mostly an old cache left by an update. If you want to be rid "
            "of it, run:\n\n```\nrm -rf ~/.cache/app\n```\n\nthen start the app again.\n\n"
            "## Where are logs kept?\n\nLogs go to the system journal.\n"
        ),
    }) as engine:
        answer = engine.ask("Why does the app crash on start?")
        assert [c.quote for c in answer.citations][:3] == [
            "It is mostly an old cache left by an update.", "If you want to be rid of it, run:",
            "rm -rf ~/.cache/app"]
        assert "then start the app again." in answer.text


def test_what_is_lifted_under_an_faq_question_and_what_goes_on_after_code_stay_in_bounds(tmp_path: Path) -> None:
    """Found in review: an FAQ answer that points elsewhere ("See ... below.") takes nothing of its question's
    score; a question heading ending one file lends nothing to the next file; a question with no text under it
    is not answered from another entry; a sentence after code that introduces more code ("to stop it, ... run:")
    is no continuation; a default is kept when no sentence names what is asked; "terminal", "executable" and
    "lower" are no paraphrases of "terminate", "execute" and "lowercase"."""
    from index.text.keywords import PARAPHRASES, keyword_tokens

    for word, other in (("terminal", "stop"), ("executable", "run"), ("lower", "lowercase"), ("capital", "upper")):
        assert not set(keyword_tokens(other)) & set(PARAPHRASES.get(keyword_tokens(word)[0], ()))
    with _engine_over(tmp_path, {
        "a-faq.md": (
            "# Account\n\n## How do I reset my password?\n\nSee the Account settings section below.\n\n"
            "## Account settings\n\nTo reset your password, open Settings, choose Security and click "
            "Reset password.\n\n"
            "## How do I cancel a job?\n\nCall job.cancel() on it. A cancelled job releases its workers at once.\n\n"
            "## Why is my job slow?\n\n### The worker pool\n\n"
            "## Where can I get more help?\n"
        ),
        "b-notes.txt": (
            "The cafeteria closes at 3 pm on Fridays. Parking permits are renewed every January.\n"
        ),
        "readme.md": (
            "# Server\n\nTo start the development server, run:\n\n```\nmake serve\n```\n\n"
            "to stop it, press Ctrl+C or run:\n\n```\nmake stop\n```\n"
        ),
        "srvd.md": (
            "# srvd\n\nsrvd serves files over HTTP.\n\n## --listen ADDR\n\n"
            "The address and TCP port to accept connections on. Defaults to 0.0.0.0:8080.\n"
        ),
    }) as engine:
        reset = engine.ask("How do I reset my password?")
        assert not reset.citations[0].quote.startswith("See the")
        helped = engine.ask("Where can I get more help?")
        assert not any(c.source == "b-notes.txt" for c in helped.citations)
        slow = engine.ask("Why is my job slow?")
        assert not any("job.cancel()" in c.quote for c in slow.citations[:1])
        served = engine.ask("How do I start the development server?")
        assert "make serve" in served.text and "to stop it" not in served.text
        from qa.answer import score_sentences
        from qa.reader import DEFAULT
        from qa.retrieval import retrieve

        question = "What port does srvd listen on by default?"
        qvec = engine.embedder.embed_query(question)
        snapshot = engine.snapshot
        hits = [h for h in retrieve(snapshot, qvec, question, 20, engine.tuning)
                if snapshot.document(snapshot.chunk(h.chunk_id).doc_id).source == "srvd.md"]
        scored = score_sentences(snapshot, hits, qvec, question, engine.tuning, DEFAULT)
        stated = [s for s in scored if snapshot.document(s.doc_id).text[s.start : s.end].startswith("Defaults to")]
        assert stated and stated[0].answer is not None  # no sentence names the port: the default stands


def test_the_coverage_of_an_answer_counts_its_paragraph(tmp_path: Path) -> None:
    """"How do I override a setting with an environment variable?" is answered by "Environment variables prefixed
    with TIDEWATER_ override the file.", whose paragraph opens "Tidewater reads its settings from...": the
    paragraph says what the sentence is about, so the question's words count as covered (with the real model the
    answer was refused as off-topic: a cosine under the floor and a coverage of 0.75)."""
    from qa.answer import Quote, measure, score_sentences
    from qa.reader import expected_type
    from qa.retrieval import retrieve

    with _engine_over(tmp_path, {
        "configuration.md": (
            "# Configuration\n\nTidewater reads its settings from ~/.config/tidewater.toml. Environment variables "
            "prefixed with TIDEWATER_ override the file, for example TIDEWATER_UNITS=english.\n\n"
            "# Units\n\nThe units are metric unless told otherwise.\n"
        ),
    }) as engine:
        question = "How do I override a setting with an environment variable?"
        snapshot = engine.snapshot
        qvec = engine.embedder.embed_query(question)
        hits = retrieve(snapshot, qvec, question, 5, engine.tuning)
        kind = expected_type(question)
        scored = score_sentences(snapshot, hits, qvec, question, engine.tuning, kind)
        lead = next(s for s in scored if snapshot.document(s.doc_id).text[s.start : s.end].startswith("Environment"))
        signals = measure(snapshot, question, lead, scored, hits, kind, [Quote(lead.doc_id, lead.start, lead.end, 1.0)])
        assert signals["coverage"] == pytest.approx(1.0)



def test_a_peoples_adjective_is_no_place() -> None:
    """"Tencent is a Chinese multinational ... headquartered in Shenzhen": asked where, Shenzhen, not "Chinese"; a
    name that ends like an adjective and stands as a noun is still a place ("Where is the Parthenon?" "in Athens")."""
    from qa.reader import PLACE, candidates

    sentence = "Tencent is a Chinese multinational technology company headquartered in Shenzhen."
    found = [sentence[c.start : c.end] for c in candidates(PLACE, sentence, "In which city does Tencent have its "
                                                                         "headquarters?")]
    assert "Chinese" not in found and "Shenzhen" in found
    # with no place after it, the adjective is all the sentence says of where: kept, as before
    chopin = "Frédéric Chopin was a Polish composer and virtuoso pianist of the early Romantic period."
    assert "Polish" in [chopin[c.start : c.end] for c in candidates(PLACE, chopin, "Where was Chopin born?")]
    other = "The summit lies in Kazakh territory, near Almaty."
    assert "Almaty" in [other[c.start : c.end] for c in candidates(PLACE, other, "Where is the summit?")]
