"""Questions with several parts (qa/parts.py): what splits, into which questions, and what must stay one."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from index.text.titles import title_keys
from qa.parts import COMPARISON, CONJUNCTION, LIST, SET, detect, missing_line

TITLES = ["Average", "China", "United States", "Canada", "Australia", "France", "India", "Bosnia and Herzegovina",
          "Trinidad and Tobago", "Jamaica", "Cuba", "R (programming language)", "Python (programming language)",
          "Salt", "Black pepper", "Eiffel Tower", "Taj Mahal", "Parthenon", "Mercury (planet)", "Mars", "Humayun",
          "Akbar", "Shah Jahan", "Mississippi River", "Danube", "The Great Gatsby", "To Kill a Mockingbird",
          "Nineteen Eighty-Four", "Suez Canal", "Panama Canal", "Kiel Canal", "Panama", "Pride and Prejudice",
          "War and Peace", "Romeo and Juliet", "Hamlet", "Macbeth", "The Old Man and the Sea", "Gone with the Wind",
          "Treaty of Tordesillas", "Peace of Westphalia", "Treaty of Versailles", "Republic of Ireland",
          "Northern Ireland", "Moby-Dick", "One Hundred Years of Solitude", "The Tale of Genji",
          "The Last Supper (Leonardo)", "The Starry Night", "Guernica (Picasso)", "The Birth of Venus"]
KEYS = {k for t in TITLES for k in title_keys(t)}


def titled(keys: Iterable[str]) -> set[str]:
    return {k for k in keys if k in KEYS}


def questions(question: str) -> list[str] | None:
    plan = detect(question, titled)
    return None if plan is None else [p.question for p in plan.parts]


def test_an_explicit_list_is_one_part_per_item() -> None:
    plan = detect("What is the land mass of China, USA, Canada, Australia and France?", titled)
    assert plan is not None and plan.kind == LIST
    assert [p.subject for p in plan.parts] == ["China", "USA", "Canada", "Australia", "France"]
    assert plan.parts[-1].question == "What is the land mass of France?"


def test_a_list_after_a_colon_keeps_its_articles() -> None:
    q = "Identify the architects of five historical landmarks: the Eiffel Tower, the Taj Mahal, and the Parthenon."
    assert questions(q) == ["Identify the architects of the Eiffel Tower.", "Identify the architects of the Taj Mahal.",
                            "Identify the architects of the Parthenon."]


@pytest.mark.parametrize("question, expected", [
    ("Compare how R and Python read CSV files", ["How R read CSV files.", "How Python read CSV files."]),
    ("Which is larger, China or India?", ["How large is China?", "How large is India?"]),
    ("What is the population of China versus India?", ["What is the population of China?",
                                                       "What is the population of India?"]),
    ("Which is bigger, the polar bear or the brown bear?", ["How big is the polar bear?",
                                                             "How big is the brown bear?"]),
    ("Which city is older, Paris or Rome?", ["How old is Paris?", "How old is Rome?"]),
    ("How much taller is the Eiffel Tower than the Taj Mahal?", ["How tall is the Eiffel Tower?",
                                                                  "How tall is the Taj Mahal?"]),
    ("Is India larger than China?", ["How large is India?", "How large is China?"]),
    ("Is Java faster than C#?", ["How fast is Java?", "How fast is C#?"]),  # all of the name
    ("Is India much larger than China?", ["How large is India?", "How large is China?"]),
    ("Does India have a larger population than China?", ["What is the population of India?",
                                                         "What is the population of China?"]),
    ("Which city held power longer, Paris or Rome?", ["Which city held power longer: Paris?",
                                                      "Which city held power longer: Rome?"]),
    ("Was the Eiffel Tower built before the Taj Mahal?", ["When was the Eiffel Tower built?",
                                                          "When was the Taj Mahal built?"]),
    ("Who won more titles, Paris or Rome?", ["Who won more titles: Paris?", "Who won more titles: Rome?"]),
])
def test_comparisons_ask_each_side(question: str, expected: list[str]) -> None:
    plan = detect(question, titled)
    assert plan is not None and plan.kind == COMPARISON
    assert [p.question for p in plan.parts] == expected


def test_short_asks_and_asks_opening_on_a_preposition_are_asks() -> None:
    assert questions("Who founded Walmart, and where is Nintendo headquartered?") == [
        "Who founded Walmart?", "Where is Nintendo headquartered?"]
    assert questions("In which country is Mount Kilimanjaro, and in which U.S. state is Denali?") == [
        "In which country is Mount Kilimanjaro?", "In which U.S. state is Denali?"]


def test_asks_as_people_join_them() -> None:
    assert questions("What's the capital of France? And what is the currency of India?") == [
        "What's the capital of France?", "What is the currency of India?"]
    assert questions("Roughly how many people live in Cuba, and what is the capital of Jamaica?") == [
        "Roughly how many people live in Cuba?", "What is the capital of Jamaica?"]
    # "their" after a name of its own: about that name, not about what the first ask found
    assert questions("How tall is the Eiffel Tower, and when did the Wright brothers make their first "
                     "flight?") == ["How tall is the Eiffel Tower?",
                                    "When did the Wright brothers make their first flight?"]


def test_sets_of_the_kinds_an_encyclopedia_lists() -> None:
    for question, head in [("What are the symbols of the first three alkali metals?", "metals"),
                           ("When was each of the two epic poems attributed to Homer written?", "poems"),
                           ("When did each of the Big Five mass extinctions happen?", "extinctions")]:
        plan = detect(question, titled)
        assert plan is not None and plan.members is not None and plan.members.head == head


def test_a_set_of_a_kind_outside_the_list_needs_a_count_or_each_and_keeps_its_verb_out() -> None:
    for question, text, head, count in [
            ("Please list the years during which each of the four Rashidun caliphs ruled.",
             "each of the four Rashidun caliphs", "caliphs", 4),
            ("How many competitions did each of the three great tragedians of classical Athens win?",
             "each of the three great tragedians of classical Athens", "tragedians", 3),
            ("Where in the wild does each of the great apes live?", "each of the great apes", "apes", None)]:
        plan = detect(question, titled)
        assert plan is not None and plan.kind == SET and plan.members is not None
        assert (plan.members.text, plan.members.head, plan.members.count) == (text, head, count)
    plan = detect("What does each of the four fundamental forces actually do?", titled)
    assert plan is not None and plan.members is not None and plan.members.text == "each of the four fundamental forces"
    plan = detect("How many competitions did each of the three great tragedians of classical Athens win?", titled)
    assert plan is not None and plan.for_subject("Sophocles").question == "How many competitions did Sophocles win?"
    # no count and no "each": not a set; a word that names no kind of thing is never one
    assert detect("Where do the great apes live?", titled) is None
    assert detect("What do both arguments of the function mean?", titled) is None
    assert detect("What are the three steps of the build?", titled) is None
    # a plural before the verb is the set's own head, not a verb: "four car brands does General Motors own"
    plan = detect("Which four car brands does General Motors own?", titled)
    assert plan is not None and plan.members is not None and plan.members.text == "four car brands"


@pytest.mark.parametrize("question, parts", [
    # in lower case, the first place of a list after "the longest river in" is an item, not the frame's
    ("what is the longest river in china, india and jamaica?", ["What is the longest river in china?",
                                                              "What is the longest river in india?",
                                                              "What is the longest river in jamaica?"]),
    # a name with an elided article is a name ("Côte d'Ivoire"), not frame words before the list
    ("What is the longest river in Côte d'Ivoire, China and India?",
     ["What is the longest river in Côte d'Ivoire?", "What is the longest river in China?",
      "What is the longest river in India?"]),
    # a language's name keeps its "++" or "#": C++ is not C
    ("What is the typing discipline of C++, C# and Go?", ["What is the typing discipline of C++?",
                                                         "What is the typing discipline of C#?",
                                                         "What is the typing discipline of Go?"]),
    # a superlative asked of a list, after a comma, a colon or a dash
    ("Which car company is the oldest - Ford, Toyota or Volkswagen?",
     ["How old is Ford?", "How old is Toyota?", "How old is Volkswagen?"]),
    ("which is the largest, china, india or jamaica?",
     ["How large is china?", "How large is india?", "How large is jamaica?"]),
    ("Which university is oldest: Oxford, Copenhagen or Stanford?",
     ["How old is Oxford?", "How old is Copenhagen?", "How old is Stanford?"]),
    ("Who won the most Olympic gold medals: Carl Lewis, Usain Bolt or Jesse Owens?",
     ["Who won the most Olympic gold medals: Carl Lewis?", "Who won the most Olympic gold medals: Usain Bolt?",
      "Who won the most Olympic gold medals: Jesse Owens?"]),
    # the things compared written first, then what is asked of them
    ("Oxford vs Copenhagen vs Stanford - which university is oldest?",
     ["How old is Oxford?", "How old is Copenhagen?", "How old is Stanford?"]),
    ("Sicily or Sardinia - which island has more inhabitants, and by roughly how many?",
     ["How many inhabitants does Sicily have?", "How many inhabitants does Sardinia have?"]),
    ("humayun, akbar, shah jahan: which number mughal emperor was each?",
     ["Which number mughal emperor was humayun?", "Which number mughal emperor was akbar?",
      "Which number mughal emperor was shah jahan?"]),
    # a yes-or-no comparison of two things
    ("Does Bengali or Javanese have more native speakers?",
     ["How many native speakers does Bengali have?", "How many native speakers does Javanese have?"]),
    ("Is Sicily or Sardinia larger?", ["How large is Sicily?", "How large is Sardinia?"]),
    # two asks: in lower case after a question mark, "when and by whom", words leading in before a colon
    ("who founded facebook? and where is IBM headquartered?",
     ["Who founded facebook?", "Where is IBM headquartered?"]),
    ("When and by whom was judo created, and where did karate develop?",
     ["When and by whom was judo created?", "Where did karate develop?"]),
    # "... and when?" closing an ask is that ask's ("who discovered the neutron and when"), not an ask of its own
    ("Where exactly is Lake Baikal? Also, who discovered the neutron and when?",
     ["Where exactly is Lake Baikal?", "Who discovered the neutron and when?"]),
    ("Where exactly is Lake Baikal? Also, who discovered the neutron and when and where?!",
     ["Where exactly is Lake Baikal?", "Who discovered the neutron and when and where?"]),
    # the kind written after the last item: each item asked as one, by its title when the corpus has one
    # ... not a plural that is something the items have
    ("What are the China, India and Japan capitals?",
     ["What are the China capitals?", "What are India capitals?", "What are Japan capitals?"]),
    ("What are the lengths of the Danube, Mississippi and Volga rivers?",
     ["What are the lengths of the Danube?", "What are the lengths of Mississippi River?",
      "What are the lengths of Volga?"]),
    ("When were the planets Mercury, Venus and Mars first recorded, and in which centuries?",
     ["When were Mercury (planet) first recorded and in which centuries?",
      "When were Venus first recorded and in which centuries?",
      "When were Mars first recorded and in which centuries?"]),
    # a sentence about how to answer is no part
    ("What is the capital of Jamaica, Cuba and France? List each with its river.",
     ["What is the capital of Jamaica and what is Jamaica's river?", "What is the capital of Cuba and what is "
      "Cuba's river?", "What is the capital of France and what is France's river?"]),
    ("What is the capital of Jamaica and Cuba? One line each is fine.",
     ["What is the capital of Jamaica?", "What is the capital of Cuba?"]),
    ("Quick two-parter: who showed that cowpox protects against smallpox, and how many polio cases were reported "
     "in 2018?", ["Who showed that cowpox protects against smallpox?", "How many polio cases were reported in 2018?"]),
])
def test_lists_and_asks_as_people_write_them(question: str, parts: list[str]) -> None:
    assert questions(question) == parts


def test_a_set_to_rank_is_asked_of_each_by_what_it_is_ranked_by() -> None:
    for question, text, asked in [
            ("Rank the Great Lakes from biggest to smallest by surface area.", "the Great Lakes",
             "What is the surface area of Lake Erie?"),
            ("rank jupiter's galilean moons from biggest to smallest", "jupiter's galilean moons",
             "How big is Lake Erie?"),
            ("Order the elements by atomic number", "the elements", "What is the atomic number of Lake Erie?")]:
        plan = detect(question, titled)
        assert plan is not None and plan.kind == SET and plan.members is not None
        assert plan.members.text == text and plan.for_subject("Lake Erie").question.rstrip(".?") == asked.rstrip("?")
    assert detect("Sort the following list", titled) is None
    assert detect("Rank the results by relevance", titled) is None  # no kind of thing a document is about


@pytest.mark.parametrize("question", [
    "How many legs does each insect have?", "Do all insects have six legs?", "What are the three primary colors?",
    "Which language does each country speak?", "Japan: what is the capital and what is the currency?",
    "Python 3.12: what changed in typing and what changed in asyncio?", "Python or Java - which should I learn first?",
    "Who won the 2018 World Cup? Give all the scorers in the final."])
def test_questions_the_new_forms_must_not_split_wrongly(question: str) -> None:
    """One question each (or, for the last, the two asks it has, never one dropped)."""
    plan = detect(question, titled)
    if plan is not None:
        assert plan.kind == CONJUNCTION and len(plan.parts) == 2, plan
        assert plan.members is None


def test_a_set_written_first_is_asked_where_each_refers_to_it() -> None:
    plan = detect("The three leaders who met at the Yalta Conference - how long was each of them in power?", titled)
    assert plan is not None and plan.members is not None
    assert plan.members.text == "each of the three leaders who met at the Yalta Conference"
    assert plan.for_subject("Joseph Stalin").question == "How long was Joseph Stalin in power?"
    plan = detect("first three roman emperors - when did each of them reign?", titled)
    assert plan is not None and plan.members is not None and plan.members.count == 3
    # still one question: a list or a set must be what the words before the colon are
    assert detect("Note: which of them is larger?", titled) is None
    assert questions("What are the capital and the largest city of Jamaica, Cuba and France?") == [
        "What are the capital and the largest city of Jamaica?", "What are the capital and the largest city of Cuba?",
        "What are the capital and the largest city of France?"]


def test_a_set_named_by_a_possessive_keeps_it() -> None:
    plan = detect("Where exactly are Africa's two highest mountains located?", titled)
    assert plan is not None and plan.members is not None
    assert plan.members.text == "Africa's two highest mountains"
    assert plan.for_subject("Mount Kenya").question == "Where exactly are Mount Kenya located?"


def test_two_asks_joined_are_two_parts() -> None:
    plan = detect("What is the quota of home directories and how often is scratch purged?", titled)
    assert plan is not None and plan.kind == CONJUNCTION
    assert [p.question for p in plan.parts] == ["What is the quota of home directories?",
                                               "How often is scratch purged?"]


def test_a_second_ask_about_each_item_is_asked_of_each() -> None:
    q = "What are the largest moons of Mercury and Mars, and what are their diameters in kilometers?"
    assert questions(q) == ["What are the largest moons of Mercury and what are Mercury's diameters in kilometers?",
                            "What are the largest moons of Mars and what are Mars's diameters in kilometers?"]


def test_a_set_without_its_members_is_found_with_its_count() -> None:
    plan = detect("What are the capitals of the five most populous countries in the world?", titled)
    assert plan is not None and plan.kind == SET and plan.members is not None
    assert (plan.members.count, plan.members.head) == (5, "countries")
    assert plan.for_subject("India").question == "What are the capitals of India?"


def test_the_respective_attribute_stays_and_the_member_takes_their_place() -> None:
    # "the respective years" are the members' years, not the members: "their" is the member
    plan = detect("Who discovered the first five elements in the periodic table and what were the respective "
                  "years of their discoveries?", titled)
    assert plan is not None and plan.members is not None and plan.members.head == "elements"
    assert plan.for_subject("Helium").question == \
        "Who discovered Helium and what were the respective years of Helium's discoveries?"


def test_a_set_by_the_place_it_is_in_is_found_before_an_each_that_refers_to_it() -> None:
    plan = detect("Identify the countries in South Asia and the name of the anthem of each of these countries.",
                  titled)
    assert plan is not None and plan.kind == SET and plan.members is not None
    assert plan.members.text == "the countries in South Asia"
    assert plan.for_subject("Nepal").question == "The name of the anthem of Nepal."
    assert detect("What are the countries in South Asia?", titled) is None  # it only asks which they are


def test_a_set_inside_a_set_that_only_asks_which_is_the_set_asked_about() -> None:
    # "the capitals of ..." is itself a set, but one the question only asks to name: the G7 countries are asked of
    plan = detect("What are the capitals of the G7 countries?", titled)
    assert plan is not None and plan.members is not None and plan.members.text == "the G7 countries"
    assert plan.for_subject("Canada").question == "What are the capitals of Canada?"


def test_a_set_the_question_asks_to_pick_is_not_the_one_it_asks_about() -> None:
    plan = detect("Of which Australian states are the three most populous cities in Australia the capitals?", titled)
    assert plan is not None and plan.members is not None
    assert plan.members.text == "the three most populous cities in Australia"
    assert plan.for_subject("Sydney").question == "Of which Australian states are Sydney the capitals?"


def test_the_last_two_items_may_be_one_name() -> None:
    assert questions("What is the population of Jamaica, Cuba, Trinidad and Tobago?") == [
        "What is the population of Jamaica?", "What is the population of Cuba?",
        "What is the population of Trinidad and Tobago?"]


@pytest.mark.parametrize("question", [
    "What is the capital of Bosnia and Herzegovina?",
    "Where is Trinidad and Tobago?",
    "Why do so many recipes use salt and pepper?",
    "What is the relationship between India and Pakistan?",
    "Who won the Nobel Prize in Physiology or Medicine in 1962?",
    "When did Kazakhstan become independent?",
    "Who discovered Hydrogen and in which year?",  # the second ask leans on the first
    "Who discovered penicillin and when?",  # "and when": the same ask's
    "Where is Lake Baikal? When?",  # a "When?" of its own is not joined to the question before it
    "Who wrote Hamlet, and why?",
    "What is the Eiffel Tower and when was it built?",  # "it": about what the first one found
    "In C code for an R package, what do I need to call before drawing random numbers?",
    "When exporting a data frame for Excel, how do I get an empty header entry above the row names?",
    "sum([0.1] * 10) gives 0.9999999999999999. Which math function gives an accurate floating-point sum?",
    "How do I read and write CSV files in R?",
    "Are packages older than five years removed from CRAN?",  # "than" compares nothing named
    "How many of the countries in Africa are landlocked?",  # about the countries together, not each
    "Do the countries in the EU share a currency?",
    "What do the states in Australia have in common?",
    "Is a list faster than a tuple in Python?",
    "Was Napoleon shorter than average?",  # "average" is a title, but no name
    "Was the Louvre open before the revolution?",
    "What is the later date, the signing or the ratification?",
])
def test_single_questions_stay_one(question: str) -> None:
    assert detect(question, titled) is None


def test_whether_and_joins_a_name_is_asked_of_the_titles() -> None:
    q = "What is the capital of Bosnia and Herzegovina?"
    assert detect(q, titled) is None
    # without the title, the same words are two places, written as names
    plan = detect(q, lambda keys: {k for k in keys if k in {"bosnia", "herzegovina"}})
    assert plan is not None and [p.subject for p in plan.parts] == ["Bosnia", "Herzegovina"]


def test_a_missing_part_is_named() -> None:
    plan = detect("What is the land mass of China and France?", titled)
    assert plan is not None
    assert missing_line(plan.parts[1]) == "The documents do not give the land mass of France."


def test_a_one_letter_item_is_read_without_error() -> None:
    # "A" alone is an item, not an article with nothing after it (this raised IndexError, shown as a damaged index)
    for question in ["Which grade is higher, A or B?", "What do vitamins D, A and E do?"]:
        detect(question, titled)


def test_a_compared_name_is_asked_as_the_title_of_the_kind_asked() -> None:
    names = {k for t in ["Copenhagen", "University of Copenhagen", "Stanford University", "Oxford", "Georgia",
                         "Georgia (country)", "Armenia", "London", "City of London", "Paris", "Amazon River",
                         "Amazon (company)", "Nile", "Lake Baikal", "Tanganyika", "Javanese language",
                         "Bengali language"] for k in title_keys(t)}

    def known(keys: Iterable[str]) -> set[str]:
        return {k for k in keys if k in names}

    def subjects(question: str) -> list[str | None]:
        plan = detect(question, known)
        return [] if plan is None else [p.subject for p in plan.parts]

    # "Copenhagen" asked as a university is the university, not the city; a name without such a title stays
    assert subjects("Oxford vs Copenhagen vs Stanford - which university is oldest?") == [
        "Oxford", "University of Copenhagen", "Stanford University"]
    assert subjects("Which of these universities is oldest: Copenhagen or Stanford?") == [
        "University of Copenhagen", "Stanford University"]
    assert subjects("Which country is larger, Georgia or Armenia?") == ["Georgia (country)", "Armenia"]
    # a place's "K of X" is another place ("City of London"), and no kind asked leaves the names as written
    assert subjects("Which city has more people, Paris or London?") == ["Paris", "London"]
    assert subjects("Which is bigger, Georgia or Armenia?") == ["Georgia", "Armenia"]
    # a river's title writes its kind after the name, a company's in brackets
    assert subjects("Which river is longer, Amazon or Nile?") == ["Amazon River", "Nile"]
    assert subjects("Which company is older, Amazon or Nile?") == ["Amazon (company)", "Nile"]
    assert subjects("Which lake is deeper, Baikal or Tanganyika?") == ["Lake Baikal", "Tanganyika"]
    assert subjects("Which language is older, Bengali or Javanese?") == ["Bengali language", "Javanese language"]


def test_a_second_ask_after_an_adverb_is_its_own_and_one_about_there_is_about_the_first_ones_answer() -> None:
    assert questions("Who directed Citizen Kane, and roughly how many people live in Casablanca?") == [
        "Who directed Citizen Kane?", "Roughly how many people live in Casablanca?"]
    # "there" is the place the first ask found: asked of it once it is known
    plan = detect("What is the capital of France and how many people live there?", titled)
    assert plan is not None and plan.kind == CONJUNCTION
    assert [(p.question, p.after) for p in plan.parts] == [
        ("What is the capital of France?", None),
        ("How many people live there?", "How many people live in {}?")]
    assert questions("Who wrote Hamlet and is there a film of it?") is None  # "it" is Hamlet, not its author


@pytest.mark.parametrize(("question", "after"), [
    ("Who founded Microsoft and when was he born?", "When was {} born?"),
    ("Who wrote Hamlet, and what is his birthplace?", "What is {}'s birthplace?"),
    ("Who painted the Mona Lisa and where did she study?", "Where did {} study?"),
    ("What is the tallest building in the world and how tall is it?", "How tall is {}?"),
    ("Which function reads CSV files in R and what does it return?", "What does {} return?"),
    ("What is the capital of Italy and what is there to see there?", "What is there to see in {}?"),
    ("What is the capital of Eritrea, and how high above sea level is it?", "How high above sea level is {}?"),
    # "it" where the first ask names something else it may be: one question
    ("Which company makes the iPhone and when was it released?", None),
    ("What is the largest moon of Saturn and what is its diameter?", None),
    ("What is the capital of Spain and who is its king?", None),
    ("Which country is Mount Everest in and how tall is it?", None),
    ("Which scientist developed the theory of relativity and when was it published?", None),  # no "it" for him
    ("Who was the first wife of Henry VIII and when did he divorce her?", None),  # two referred to
    ("Where was the Treaty of Versailles signed and how far is it from there?", None),  # two things referred to
    ("What is the Eiffel Tower and when was it built?", None),  # "it" is the tower, not what it is
    ("What is the population of Tokyo and when was it founded?", None),  # a value is not what "it" is
    ("Where was Einstein born and what did he discover?", None),  # "he" is no place
    ("Who makes the iPhone and when was it released?", None),  # "it" is the iPhone
    ("Who discovered Hydrogen and in which year?", None),
])
def test_a_second_ask_about_the_first_ones_answer_is_asked_of_it(question: str, after: str | None) -> None:
    plan = detect(question, titled)
    if after is None:
        assert plan is None or all(p.after is None for p in plan.parts), plan
    else:
        assert plan is not None and plan.kind == CONJUNCTION and len(plan.parts) == 2, plan
        assert plan.parts[0].after is None and plan.parts[1].after == after


@pytest.mark.parametrize(("short", "name"), [
    ("Sarajevo", "Sarajevo"), ("Bill Gates", "Bill Gates"), ("Leonardo da Vinci", "Leonardo da Vinci"),
    ("read.csv", "read.csv"), ("os.path.join()", "os.path.join()"), ("R_LIBS_USER", "R_LIBS_USER"),
    ("3.5 million", None), ("TRUE", None), ("None", None), ("1945", None), ("a wrought-iron lattice tower", None),
    (None, None), ("", None),
])
def test_what_a_first_answer_gives_the_ask_after_it(short: str | None, name: str | None) -> None:
    from qa.parts import chain_subject

    assert chain_subject(short) == name


def test_a_title_with_small_words_is_an_item_of_a_list() -> None:
    assert questions("Who wrote The Great Gatsby, To Kill a Mockingbird and Nineteen Eighty-Four?") == [
        "Who wrote The Great Gatsby?", "Who wrote To Kill a Mockingbird?", "Who wrote Nineteen Eighty-Four?"]


@pytest.mark.parametrize(("question", "parts"), [
    ("Who wrote Pride and Prejudice and War and Peace?", [
        "Who wrote Pride and Prejudice?", "Who wrote War and Peace?"]),
    ("When were Romeo and Juliet, Hamlet and Macbeth written?", [
        "When were Romeo and Juliet written?", "When were Hamlet written?", "When were Macbeth written?"]),
    ("Who wrote Of Mice and Men, The Old Man and the Sea and Gone with the Wind?", [  # the first is no title here
        "Who wrote Of Mice and Men?", "Who wrote The Old Man and the Sea?", "Who wrote Gone with the Wind?"]),
    ("Who wrote Moby-Dick, One Hundred Years of Solitude and The Tale of Genji?", [
        "Who wrote Moby-Dick?", "Who wrote One Hundred Years of Solitude?", "Who wrote The Tale of Genji?"]),
    ("When were the Treaty of Tordesillas, the Peace of Westphalia and the Treaty of Versailles signed?", [
        "When were the Treaty of Tordesillas signed?", "When were the Peace of Westphalia signed?",
        "When were the Treaty of Versailles signed?"]),
    ("What are the capitals of the Republic of Ireland and Northern Ireland?", [
        "What are the capitals of the Republic of Ireland?", "What are the capitals of Northern Ireland?"]),
    ("What is the population of Jamaica, Cuba, Trinidad and Tobago?", [  # its one "and" is the list's
        "What is the population of Jamaica?", "What is the population of Cuba?",
        "What is the population of Trinidad and Tobago?"]),
    ("What is the HDI of China, Canada and France?", [  # "HDI of China" is no name
        "What is the HDI of China?", "What is the HDI of Canada?", "What is the HDI of France?"]),
    ("What is the capital of Bosnia and Herzegovina?", None),
    ("Where are Leonardo's The Last Supper, Van Gogh's The Starry Night and Picasso's Guernica displayed?", [
        "Where are Leonardo's The Last Supper displayed?", "Where are Van Gogh's The Starry Night displayed?",
        "Where are Picasso's Guernica displayed?"]),  # the first with its owner, as the others
])
def test_a_title_holding_a_conjunction_or_small_words_is_one_item(question: str, parts: list[str] | None) -> None:
    assert questions(question) == parts


def test_a_compared_side_written_as_something_of_a_name_asks_that_of_each() -> None:
    assert questions("how much longer is the main span of the Akashi Kaikyo Bridge than the Brooklyn Bridge's?") == [
        "How long is the main span of the Akashi Kaikyo Bridge?", "How long is the main span of the Brooklyn Bridge?"]
    assert questions("Is the population of France larger than Germany's?") == [
        "How large is the population of France?", "How large is the population of Germany?"]
    assert questions("Is the population of France larger than that of Germany?") == [
        "How large is the population of France?", "How large is the population of Germany?"]
    # a name written in lower case is no attribute of the other side: one question
    assert questions("How much taller is the tower of London than the Eiffel Tower?") is None


def test_a_kind_written_once_after_a_lists_last_item_is_every_items() -> None:
    assert questions("Rank the Suez, Panama and Kiel canals from longest to shortest.") == [
        "Rank the Suez Canal from longest to shortest.", "Rank Panama Canal from longest to shortest.",
        "Rank Kiel Canal from longest to shortest."]


def test_a_set_stated_first_is_one_only_when_a_later_ask_refers_to_it() -> None:
    """"There are two microstates inside the Italian Peninsula. When did each of them ...?" asks of each; the
    same statement with nothing asked of its members ("Why?") or alone is no set."""
    plan = detect("There are two microstates inside the Italian Peninsula. When did each of them come into existence?",
                  titled)
    assert plan is not None and plan.kind == SET and plan.members is not None
    assert (plan.members.text, plan.members.count) == ("two microstates inside the Italian Peninsula", 2)
    assert plan.for_subject("San Marino").question == "When did San Marino come into existence?"
    assert detect("There are six countries in Central America. Why?", titled) is None
    assert detect("There are two microstates inside the Italian Peninsula.", titled) is None


def test_sides_each_written_with_its_place_are_compared_whole() -> None:
    """"Mussolini in Italy or Hitler in Germany": two sides, each with its place; one side with a place alone is
    no list ("the capital city in France"), nor are two asks each about a place."""
    assert questions("Who held power for longer, Mussolini in Italy or Hitler in Germany?") == [
        "Who held power for longer: Mussolini in Italy?", "Who held power for longer: Hitler in Germany?"]
    assert questions("Which is bigger, Paris in France or Berlin in Germany?") == [
        "How big is Paris in France?", "How big is Berlin in Germany?"]
    assert questions("What is the capital city in France?") is None
    assert questions("Who was born in Italy and who died in France?") == ["Who was born in Italy?",
                                                                         "Who died in France?"]
