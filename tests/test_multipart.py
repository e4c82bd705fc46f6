"""Questions with several parts answered part by part (qa/multipart.py): a line per part, each cited from its
own document, the parts the documents do not answer named, the JSON shape, the CLI's table."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.test_doc_answers import built_engine, run_cli

COUNTRIES = {
    "China": "China is a country in East Asia. China has a land area of 9,596,961 square kilometres. "
             "Its capital is Beijing.",
    "France": "France is a country in Western Europe. France has a land area of 551,695 square kilometres. "
              "Its capital is Paris.",
    "Canada": "Canada is a country in North America. Its capital is Ottawa. Canada has ten provinces.",
    "Bosnia and Herzegovina": "Bosnia and Herzegovina is a country in Southeast Europe. Its capital is Sarajevo.",
    "Volcano": "Mount Etna is an active volcano on the island of Sicily. It erupts often.",
}


def write_corpus(root: Path, texts: dict[str, str]) -> Path:
    """One .txt file per title ("Bosnia and Herzegovina" -> Bosnia_and_Herzegovina.txt): the title, then the body."""
    root.mkdir()
    for title, body in texts.items():
        (root / f"{title.replace(' ', '_')}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    return root


def write_countries(root: Path) -> Path:
    return write_corpus(root, COUNTRIES)


@contextmanager
def engine_over(texts: dict[str, str], tmp_path: Path, embedder):  # type: ignore[no-untyped-def]
    """An engine over a corpus of `texts` (write_corpus), its index built; closed afterwards."""
    with built_engine(write_corpus(tmp_path / "corpus", texts), tmp_path / "idx", embedder) as eng:
        yield eng


@pytest.fixture
def countries(tmp_path: Path) -> Path:
    return write_countries(tmp_path / "countries")


@pytest.fixture
def engine(countries: Path, tmp_path: Path, hash_embedder):  # type: ignore[no-untyped-def]
    from qa.config import Settings
    from qa.engine import Engine

    eng = Engine(Settings.resolve(countries, tmp_path / "idx"), embedder=hash_embedder)
    for _ in eng.prepare():
        pass
    yield eng
    eng.close()


LAND = "What is the land area of China, Canada and France?"


def test_each_part_is_answered_from_its_own_document(engine, countries: Path) -> None:  # type: ignore[no-untyped-def]
    answer = engine.ask(LAND)
    assert [p.label for p in answer.parts] == ["China", "Canada", "France"]
    by_label = {p.label: p for p in answer.parts}
    cited = {c.n: c for c in answer.citations}
    for name in ("China", "France"):
        part = by_label[name]
        assert not part.abstained and part.citations
        assert {cited[n].source for n in part.citations} == {f"{name}.txt"}
        assert "land area" in part.text
    assert not answer.abstained
    for c in answer.citations:  # every quote is the file's text at its offsets
        text = (countries / c.source).read_text(encoding="utf-8")
        assert text[c.start : c.end] == c.quote
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


def test_each_file_is_read_once_per_question_and_a_changed_one_is_not_quoted(  # type: ignore[no-untyped-def]
        engine, countries: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A question's parts quote the same files: each is checked against the disk once per question (not once
    per part's answer), and a file changed before the question is still left out of every part."""
    from qa.engine import Engine

    checked: list[str] = []
    real = Engine._file_text

    def counting(self, source: str) -> str:  # type: ignore[no-untyped-def]
        checked.append(source)
        return real(self, source)

    monkeypatch.setattr(Engine, "_file_text", counting)
    answer = engine.ask(LAND)
    assert "China.txt" in checked and len(checked) == len(set(checked))
    assert any(c.source == "China.txt" for c in answer.citations)
    china = countries / "China.txt"
    china.write_text(china.read_text(encoding="utf-8").replace("land area", "land surface"), encoding="utf-8")
    checked.clear()
    again = engine.ask(LAND)
    assert len(checked) == len(set(checked))
    assert all(c.source != "China.txt" for c in again.citations)
    assert any(w.startswith("Changed since") or "China.txt" in w for w in again.warnings)


def test_a_part_the_documents_do_not_answer_is_named_and_blocks_nothing(engine) -> None:  # type: ignore[no-untyped-def]
    answer = engine.ask(LAND)
    canada = next(p for p in answer.parts if p.label == "Canada")
    assert canada.abstained and canada.citations == ()
    assert canada.text == "The documents do not give the land area of Canada."
    lines = answer.text.split("\n")
    assert lines[-1] == "The documents do not give the land area of Canada."  # after the answered parts
    assert any(line.startswith("China: China has a land area") for line in lines)


def test_a_part_about_something_never_mentioned_says_so(engine) -> None:  # type: ignore[no-untyped-def]
    answer = engine.ask("What is the land area of China, Narnia and France?")
    narnia = next(p for p in answer.parts if p.label == "Narnia")
    assert narnia.abstained and narnia.text.endswith("They never mention Narnia.")


def test_passages_are_spread_over_the_parts_documents(engine) -> None:  # type: ignore[no-untyped-def]
    answer = engine.ask(LAND, top_k=3)
    assert {p.source for p in answer.passages} == {"China.txt", "Canada.txt", "France.txt"}
    assert [p.rank for p in answer.passages] == [1, 2, 3]


def test_a_name_holding_and_is_one_question(engine) -> None:  # type: ignore[no-untyped-def]
    answer = engine.ask("What is the capital of Bosnia and Herzegovina?")
    assert answer.parts == ()
    assert answer.citations and answer.citations[0].source == "Bosnia_and_Herzegovina.txt"


def test_json_has_parts_only_for_a_question_with_several(countries: Path, tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from tests.test_json_schema import schema

    where = ["--corpus", str(countries), "--index", str(tmp_path / "idx")]
    out = run_cli("ask", "--json", LAND, *where)
    assert out.exit_code == 0, out.output
    record = json.loads(out.stdout)
    jsonschema.Draft202012Validator(schema()).validate(record)
    assert [(p["label"], p["abstained"]) for p in record["parts"]] == [
        ("China", False), ("Canada", True), ("France", False)]
    assert all(n in {c["n"] for c in record["citations"]} for p in record["parts"] for n in p["citations"])
    single = json.loads(run_cli("ask", "--json", "Where is Mount Etna?", *where).stdout)
    assert "parts" not in single  # a single question's record is as it was
    broken = {**record, "parts": [{**record["parts"][0], "citations": "1"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema()).validate(broken)


def test_the_cli_shows_a_table_of_parts(countries: Path, tmp_path: Path) -> None:
    out = run_cli("ask", LAND, "--corpus", str(countries), "--index", str(tmp_path / "idx"))
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert lines[0].startswith("China   China has a land area") and lines[0].endswith("[1]")
    assert lines[2] == "Canada  The documents do not give the land area of Canada."


def test_a_set_is_answered_for_the_members_the_documents_give(engine) -> None:  # type: ignore[no-untyped-def]
    answer = engine.ask("What are the capitals of the three largest countries?")
    labels = [p.label for p in answer.parts]
    # the four countries (up to three more than asked are asked about), not the volcano: its opening is not a
    # country's
    assert sorted(labels) == ["Bosnia and Herzegovina", "Canada", "China", "France"]
    # what they rest on: two state their areas, two do not, so nothing is claimed of each
    assert "the countries that the documents give: " in answer.text.split("\n")[0]
    assert all(not p.abstained for p in answer.parts)
    # the members' four passages, then the whole question's closest (it found no list): k = 5 in all
    assert len(answer.passages) == 5 and "Volcano.txt" in {p.source for p in answer.passages}


def test_a_set_named_by_what_the_documents_never_mention_is_not_made_up(engine) -> None:  # type: ignore[no-untyped-def]
    # no document says G7: any countries a search finds would be passed off as its members
    answer = engine.ask("What are the capitals of the G7 countries?")
    assert answer.abstained and not answer.parts and answer.unmentioned == ("G7",), answer.text
    assert answer.passages  # the closest passages are still shown
    # a ranking the documents never mention ("according to Kantar") picks members of a set they do hold: those
    # found are answered, and the answer says the list itself was not found
    answer = engine.ask("What are the capitals of the three largest countries according to Kantar?")
    assert answer.parts and answer.text.startswith("No list of"), answer.text


def test_questions_embedded_together_are_embedded_as_one_by_one(hash_embedder) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    texts = ["What is the land area of China?", "What is the land area of France?"]
    together = hash_embedder.embed_queries(texts)
    assert together.shape == (2, hash_embedder.dim)
    assert np.allclose(together, np.stack([hash_embedder.embed_query(t) for t in texts]))


MOONS = {
    "Ganymede (moon)": "Ganymede is a natural satellite of Jupiter and the largest moon in the Solar System.",
    "Io (moon)": "Io is the innermost and second smallest of the four Galilean moons of Jupiter. It has volcanoes.",
    "Callisto (moon)": "Callisto is the second-largest moon of Jupiter, after Ganymede.",
    "Titan (moon)": "Titan is the largest moon of Saturn and the second-largest moon in the Solar System.",
    "Rhea (moon)": "Rhea is the second-largest moon of Saturn and the ninth-largest moon in the Solar System.",
    "Iapetus (moon)": "Iapetus is the third-largest moon of Saturn and the eleventh-largest moon overall.",
    "Dione (moon)": "Dione is the fourth-largest moon of Saturn, a large moon made of ice.",
    "Irregular moon": "An irregular moon is a moon that follows a distant, inclined orbit around its planet. The "
                      "largest moons of Jupiter and Saturn are regular moons.",
}


def members_found_in(engine, question: str, order: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """The members `chosen_members` chooses for a set question when a search has found the documents titled
    `order` in that order (the first best)."""
    from qa.multipart import chosen_members
    from qa.retrieval import Hit

    with engine._reading() as snapshot:
        plan = engine._plan(snapshot, question)
        assert plan is not None and plan.members is not None
        owners = snapshot.chunk_documents(list(range(snapshot.keyword_chunks())))
        chunk_of = {snapshot.document(doc).title: chunk for chunk, doc in owners.items()}
        found = [Hit(chunk_of[title], 1.0 - rank / 10, 0.5, 0.5) for rank, title in enumerate(order)]
        return [p.label for p in chosen_members(snapshot, plan, found)[0]]


def test_a_sets_members_are_those_its_phrase_narrows_it_to_not_kinds_of_the_kind(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                                  hash_embedder) -> None:
    question = "What are the diameters of the two largest moons of Jupiter?"
    with engine_over(MOONS, tmp_path, hash_embedder) as engine:
        # as a search might find them: the category first, Saturn's moons before Jupiter's
        members = members_found_in(engine, question, ["Irregular moon", "Titan (moon)", "Rhea (moon)",
                                                      "Iapetus (moon)", "Dione (moon)", "Io (moon)",
                                                      "Callisto (moon)", "Ganymede (moon)"])
        answer = engine.ask(question)
    # two asked, and both places stated: Ganymede the largest in the Solar System (anywhere, so of Jupiter's
    # too: its opening names Jupiter), Callisto the second-largest of Jupiter; Saturn's moons, the category
    # of moons and Io (which states no place) are not asked about
    assert members == ["Ganymede (moon)", "Callisto (moon)"]
    assert {"Ganymede (moon)", "Callisto (moon)"} <= {p.label for p in answer.parts}


def test_what_an_opening_or_title_says_a_member_is() -> None:
    from qa.multipart import _a_kind_of, _is_person, _kind_pattern, _narrowing, _titled_as_kind, kind_key

    country, planet = _kind_pattern("country"), _kind_pattern("planet")
    assert country.search("France, officially the French Republic, is a country primarily located in Western Europe.")
    assert planet.search("Neptune is the eighth and farthest known planet orbiting the Sun.")
    assert not country.search("Cricket is a bat-and-ball game played between two teams.")
    assert not country.search("Texas is a state in the South Central region of the United States.")
    assert not _kind_pattern("club").search("Golf is a club-and-ball sport in which players use various clubs to "
                                            "hit balls into a series of holes.")
    assert not _kind_pattern("club").search("Association football is a team sport played between two teams of "
                                            "11 players.")
    assert country.search("Laos is a landlocked country in Southeast Asia.")
    assert _kind_pattern("moon").search("Io is the innermost and second smallest of the four Galilean moons of "
                                        "Jupiter.")
    # a kind's other words: a brand's opening says "company", a moon's "natural satellite"
    assert _kind_pattern("brand").search("Apple Inc. is an American multinational technology company "
                                         "headquartered in Cupertino, California.")
    assert _kind_pattern("moon").search("Ganymede is a natural satellite of Jupiter.")
    assert not _kind_pattern("moon").search("Sputnik 1 was the first artificial Earth satellite.")
    assert not _kind_pattern("brand").search("Paris is the capital and largest city of France.")
    # the set's kind word whether written plural or singular ("every country in South America")
    assert kind_key("countries") == kind_key("country") == "country"
    assert kind_key("gases") == "gas" and kind_key("viruses") == "virus" and kind_key("cases") == "case"
    # people, by what they are
    assert _is_person("John Bardeen was an American physicist.")
    assert _is_person("Marie Curie was a Polish and naturalised-French physicist and chemist.")
    assert _is_person("Alan Turing (23 June 1912 – 7 June 1954) was an English mathematician.")
    assert not _is_person("The Nobel Prizes are awards administered by the Nobel Foundation.")
    assert not _is_person("Volkswagen is a German car manufacturer based in Wolfsburg.")
    # titles: the kind word last, or a leading word that names the kind
    assert _titled_as_kind("Arctic Ocean", "ocean") and _titled_as_kind("Lake Victoria", "lake")
    assert _titled_as_kind("Mount Everest", "mountain")
    assert not _titled_as_kind("Country music", "country") and not _titled_as_kind("Star Wars", "star")
    assert not _titled_as_kind("Ocean", "ocean")
    # a class of the kind, not one thing of it
    assert _a_kind_of("Giant planet", "planet", "A giant planet is a diverse type of planet much larger than Earth.")
    assert _a_kind_of("Exoplanet", "planet", "An exoplanet or extrasolar planet is a planet outside the Solar System.")
    assert _a_kind_of("Sino-Tibetan languages", "language", "Sino-Tibetan is a family of languages.")
    assert not _a_kind_of("English language", "language", "English is a West Germanic language.")
    assert not _a_kind_of("Blue whale", "whale", "The blue whale is a marine mammal and a baleen whale.")
    assert not _a_kind_of("A Clockwork Orange", "novel", "A Clockwork Orange is a dystopian novel.")
    assert _narrowing("the 5 most populous cities in the United States", "cities") == (["United States"], ["populous"])
    assert _narrowing("the G7 countries", "countries") == (["G7"], [])
    assert _narrowing("the cities nearest Budapest", "cities") == (["Budapest"], ["nearest"])


RIVERS = {
    "Danube": " ".join(f"Sentence {i} says the river at bend {i} is {i * 7} metres wide and carries barges."
                       for i in range(120)),
    "Rhine": "The Rhine at bend 37 is 300 metres wide.",
}
"""A document of many chunks, and another that also has the words asked."""


def test_a_members_passages_are_its_own_documents_ranked_as_a_search_ranks_them(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                                hash_embedder) -> None:
    from dataclasses import replace

    from index.filters import parse_where
    from qa.config import Tuning
    from qa.retrieval import retrieve, retrieve_within

    question = "How wide is the Danube at bend 37?"
    tuning = replace(Tuning(), bm25_weight=0.0)  # retrieve_within has no keyword score
    with engine_over(RIVERS, tmp_path, hash_embedder) as engine:
        with engine._reading() as snapshot:
            doc = next(d for d in snapshot.chunk_documents(list(range(snapshot.keyword_chunks()))).values()
                       if snapshot.document(d).title == "Danube")
            qvec = hash_embedder.embed_query(question)
            within = retrieve_within(snapshot, qvec, question, doc, 4, tuning)
            searched = retrieve(snapshot, qvec, question, 4, tuning, parse_where("path:Danube.txt"))
            owners = snapshot.chunk_documents([h.chunk_id for h in within])
    assert len(within) == 4 and set(owners.values()) == {doc}
    assert [(h.chunk_id, round(h.score, 6)) for h in within] == [(h.chunk_id, round(h.score, 6)) for h in searched]


def test_a_long_members_passages_come_from_a_search_of_its_document(tmp_path: Path, hash_embedder,  # type: ignore[no-untyped-def]
                                                                   monkeypatch) -> None:
    import qa.retrieval
    from index.filters import parse_where
    from qa.config import Tuning
    from qa.retrieval import retrieve, retrieve_within

    question = "How wide is the Danube at bend 37?"
    monkeypatch.setattr(qa.retrieval, "WITHIN_CHUNKS", 2)  # the Danube has more chunks than this
    with engine_over(RIVERS, tmp_path, hash_embedder) as engine:
        with engine._reading() as snapshot:
            owners = snapshot.chunk_documents(list(range(snapshot.keyword_chunks())))
            doc = next(d for d in owners.values() if snapshot.document(d).title == "Danube")
            assert list(owners.values()).count(doc) > 2
            qvec = hash_embedder.embed_query(question)
            within = retrieve_within(snapshot, qvec, question, doc, 3, Tuning())
            searched = retrieve(snapshot, qvec, question, 3, Tuning(), parse_where("path:Danube.txt"))
    # keywords included, as a search scoped to the document scores them
    assert [h.chunk_id for h in within] == [h.chunk_id for h in searched] and any(h.keyword > 0 for h in within)


def test_a_sets_members_are_asked_of_their_own_documents(engine, hash_embedder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import qa.retrieval

    calls: list[list[str]] = []
    embed = type(hash_embedder).embed_queries

    def counted(self, texts):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return embed(self, texts)

    searched: list[str] = []
    search = qa.retrieval.retrieve

    def watched(snapshot, qvec, question, *args, **kwargs):  # type: ignore[no-untyped-def]
        searched.append(question)
        return search(snapshot, qvec, question, *args, **kwargs)

    monkeypatch.setattr(type(hash_embedder), "embed_queries", counted)
    monkeypatch.setattr(qa.retrieval, "retrieve", watched)
    answer = engine.ask("What are the capitals of the three largest countries?")
    members = [p for p in answer.parts if p.label != "The three largest countries"]
    assert len(members) >= 3
    # one model call (the question and the set's phrase) and two searches of the whole index (the question,
    # the set's phrase); each member is answered from its own document, by the question's vector and the
    # document's, and every one is answered
    assert calls == [["What are the capitals of the three largest countries?", "the three largest countries"]]
    assert searched == ["What are the capitals of the three largest countries?", "the three largest countries"]
    for part in members:
        assert not part.abstained
        assert {answer.citations[n - 1].source for n in part.citations} == {f"{part.label.replace(' ', '_')}.txt"}


MIXED = {
    **{f"Country {c}": f"Country {c} is a country in Europe. Its capital is Town {c}." for c in "ABCDEFGHIJK"},
    "Marie Curie": "Marie Curie (7 November 1867 – 4 July 1934) was a Polish physicist. She won two Nobel prizes.",
    "John Bardeen": "John Bardeen was an American physicist. He won two Nobel prizes.",
    "Nobel Prize": "The Nobel Prizes are awards administered by the Nobel Foundation. Laureates get a medal.",
    "Arctic Ocean": "The Arctic Ocean is the smallest and shallowest of the world's five oceanic divisions. It is "
                    "about 1,205 metres deep on average.",
    "Pacific Ocean": "The Pacific Ocean is the largest and deepest of Earth's five oceanic divisions. It is about "
                     "4,000 metres deep on average.",
    "Ocean": "The ocean is the body of salt water that covers most of Earth. The oceans are deep.",
}


@pytest.fixture
def mixed(tmp_path: Path, hash_embedder):  # type: ignore[no-untyped-def]
    with engine_over(MIXED, tmp_path, hash_embedder) as eng:
        yield eng


def test_every_member_of_a_set_named_in_the_singular_is_asked_about(mixed) -> None:  # type: ignore[no-untyped-def]
    answer = mixed.ask("What is the capital of every country in Europe?")
    # eleven: more than a set without a count gets (six and three more); "country" as "countries"
    assert sorted(p.label for p in answer.parts if p.label.startswith("Country ")) == \
        [f"Country {c}" for c in "ABCDEFGHIJK"]


def test_a_set_of_people_or_of_things_titled_by_their_kind(mixed) -> None:  # type: ignore[no-untyped-def]
    people = {p.label for p in mixed.ask("Who taught the two most famous laureates?").parts}
    assert {"Marie Curie", "John Bardeen"} <= people and "Nobel Prize" not in people
    oceans = {p.label for p in mixed.ask("How deep are the two largest oceans?").parts}
    # their openings say "oceanic divisions"; their titles say Ocean. "Ocean" is the kind itself
    assert {"Arctic Ocean", "Pacific Ocean"} <= oceans and "Ocean" not in oceans


POPULOUS = {
    "Gorna": "Gorna is a country in Elbonia. It is the 12th most populous country in the world.",
    "Estia": "Estia is a country in Elbonia. It is the most sparsely populated country in the world.",
    "Dravia": "Dravia is a country in Elbonia. It is the most populous country in Northland.",
    "Fenwick": "Fenwick is a country in Elbonia. It has a population of 250 million.",
    "Borvia": "Borvia is a country in Elbonia. It is the third-most populous country, with a population of "
              "300 million.",
    "Corland": "Corland is a country in Elbonia. With 1.3 billion inhabitants, it is the world's second-most "
               "populous country.",
    "Asteria": "Asteria is a country in Elbonia. It is the world's most populous country, with 1.4 billion people.",
}


def test_a_ranked_sets_members_come_in_the_order_their_documents_state(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                       hash_embedder) -> None:
    with engine_over(POPULOUS, tmp_path, hash_embedder) as engine:
        members = members_found_in(engine, "What are the capitals of the three most populous countries?",
                                   list(POPULOUS))
    # stated ranks first (the world's named before a rank that leaves it unsaid), then by the population given,
    # then those saying "populous" as found; "the most populous country in Northland" ranks nothing in the
    # world, a 12th place is beyond the six asked about, and "most sparsely populated" comes last
    assert members == ["Asteria", "Corland", "Borvia", "Fenwick", "Gorna", "Dravia"]


@pytest.mark.parametrize(("text", "rank"), [
    ("It is the world's second-most populous country after India.", (True, 2)),
    ("Java is the world's most populous island, home to 56% of the people.", None),  # another thing
    ("It ranks among the most populous metropolitan areas in the world.", None),
    ("It is the most populous landlocked country in the world.", None),  # within a narrower kind
    ("It has the world's fourth-largest land area and third-largest population.", (True, 3)),
    ("It is the world's thirteenth-most populous country.", (True, 13)),
    ("It is the world's thirtieth-most populous country.", None),  # an ordinal not read: no rank, not the first
    ("It is one of the most populous countries in the world.", None),  # among them, no rank
    ("It is the fifth-most populous country, with a population of over 241 million.", (False, 5)),
    ("It is the world's seventh-largest country by area and the largest by population.", (True, 1)),
    ("It has the world's fourth-largest land area and third-largest population.", (True, 3)),
    ("It is the world's thirteenth-most populous country.", (True, 13)),
    ("It is the world's thirtieth-most populous country.", None),  # an ordinal not read: no rank, not the first
    ("It is one of the most populous countries in the world.", None),  # among them, no rank
    ("It is one of the world's most populous countries.", None),  # among them, whose ever they are
    ("It is one of Europe's most populous countries.", None),
    ("Sweden is the largest and most populous Nordic country.", None),  # within the Nordic countries
    ("It is the most populous country in Africa.", None),
    ("It is the most populous Francophone country in the world.", None),
    ("It is the most sparsely populated sovereign state.", None),  # another measure
    ("It is the second most populous country after Haiti.", None),  # within its region
    ("It is the country's most populous city.", None),
    ("It was the world's third-most populous country, and bordered twelve others.", None),  # no longer (a former state)
    ("Founded in 1960, it is the world's sixth-most populous country.", (True, 6)),
    ("It was founded in 1900 and is the world's sixth-most populous country.", (True, 6)),  # is, now
])
def test_a_rank_counts_only_in_the_measure_and_place_asked(text: str, rank: tuple[bool, int] | None) -> None:
    from qa.ranking import asked_ranking, stated_rank

    kinds = frozenset({"country", "countries", "nation", "sovereign state"})
    ranking = asked_ranking("the five most populous countries in the world", [], kinds)
    assert ranking is not None and ranking.most and ranking.measure == "population" and ranking.scope == ()
    assert stated_rank(text, ranking, kinds) == rank


def test_a_ranking_within_a_place_and_by_an_amount() -> None:
    from qa.ranking import asked_ranking, stated_rank, stated_value

    kinds = frozenset({"city", "cities"})
    ranking = asked_ranking("the 5 most populous cities in Brazil", ["Brazil"], kinds)
    assert ranking is not None and ranking.scope == ("brazil",)
    assert stated_rank("It is the most populous city in Brazil, South America and the Americas.", ranking,
                       kinds) == (True, 1)
    assert stated_rank("It is the most populous city in Portugal.", ranking, kinds) is None
    largest = asked_ranking("the three largest cities in Germany", ["Germany"], kinds)
    assert stated_rank("Berlin is the capital and largest city of Germany.", largest, kinds) == (True, 1)  # "and"
    smallest = asked_ranking("the five smallest countries by area", [], frozenset({"country", "countries"}))
    assert smallest is not None and not smallest.most and smallest.measure == "area"
    assert stated_value("It covers 9,596,961 km2 and has a population of over 1.4 billion.", "area") == 9596961
    assert stated_value("It covers 9,596,961 km2 and has a population of over 1.4 billion.", "population") == 1.4e9


ASIA_MORE = {"Fenland": "Fenland is a country in South America. It covers 8,000,000 km2. Its people came by "
                         "immigration from Asia, Europe and Africa over three centuries."}
ASIA = {
    "Asteria": "Asteria is a country in South Asia. It is the largest country in the world by area.",
    "Borvia": "Borvia is a country in East Asia. It covers 3,000,000 km2 of mountains.",
    "Corland": "Corland is a country in Europe. It covers 5,000,000 km2 of forest.",
    "Dorton": "Dorton is the capital and largest city of the Republic of Elbonia, in Asia. It covers 9,000,000 km2.",
    "Esker": "Esker is a country in Central Asia. It covers 40,000 km2 of steppe.",
    "Absolute monarchy": "Absolute monarchy is a form of monarchy in which the monarch rules alone, as in Asia.",
}


def test_a_title_alone_names_no_kind_in_the_scan_of_every_opening() -> None:
    from qa.multipart import _of_kind

    openings = [(1, "Snow Country", "Snow Country is a novel by the Japanese author Yasunari Kawabata."),
                (2, "Arctic Ocean", "The Arctic Ocean is the smallest of the world's five oceanic divisions."),
                (3, "Laos", "Laos is a landlocked country in Southeast Asia.")]
    assert [i for i, _ in _of_kind(openings, "country")] == [3]
    assert [i for i, _ in _of_kind(openings, "ocean")] == [2]


def test_a_sets_members_are_every_document_that_opens_as_one_not_only_those_a_search_finds(
        tmp_path: Path, hash_embedder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import qa.multipart

    question = "What are the capitals of the two largest Asian countries?"
    with engine_over(ASIA, tmp_path, hash_embedder) as engine:
        with monkeypatch.context() as patched:
            patched.setattr(qa.multipart, "SCAN_LIMIT", 5)  # an index too large to read every opening of
            assert members_found_in(engine, question, ["Esker"]) == ["Esker"]
        # a search that found only the smallest: the others are in the index all the same; Asian is "in Asia";
        # the world's largest is Asia's largest; a city of a republic is no country, a form of monarchy no monarchy
        assert members_found_in(engine, question, ["Esker"]) == ["Asteria", "Borvia", "Esker"]
    (tmp_path / "more").mkdir()
    with engine_over({**ASIA, **ASIA_MORE}, tmp_path / "more", hash_embedder) as engine:
        # a country that only mentions Asia further on ("immigration from Asia") is not one of Asia's
        assert "Fenland" not in members_found_in(engine, question, ["Esker"])


def test_what_an_opening_calls_its_thing_is_the_head_not_a_word_in_an_of_phrase() -> None:
    from qa.multipart import _is_kind_head, _kind_pattern

    country, island, moon = _kind_pattern("country"), _kind_pattern("island"), _kind_pattern("moon")
    assert not _is_kind_head(country, "Bangui is the capital and largest city of the Central African Republic.")
    assert not _is_kind_head(country, "Absolute monarchy is a form of monarchy in which the monarch rules.")
    assert not _is_kind_head(country, "Xinjiang is an autonomous region of the People's Republic of China.")
    assert _is_kind_head(island, "Hokkaido is the second-largest and northernmost of Japan's four main islands.")
    assert _is_kind_head(moon, "Callisto is the smallest and least massive of Jupiter's four Galilean moons.")
    assert _is_kind_head(_kind_pattern("city"), "Kraków is the second-largest and one of the oldest cities in "
                                                 "Poland.")
    assert _is_kind_head(country, "Laos is a landlocked country in Southeast Asia.")
    # an "of" phrase that ends where a second head starts
    assert _is_kind_head(_kind_pattern("emperor"), "Augustus was the founder of the Roman Empire and the first "
                                                    "Roman emperor from 27 BC.")
    # not a second name in the "of" phrase, a kind word after another preposition, or "west of"
    assert not _is_kind_head(_kind_pattern("kingdom"), "London is the capital and largest city of England and the "
                                                        "United Kingdom.")
    assert not _is_kind_head(country, "Hopscotch is a game popular in many countries.")
    assert not _is_kind_head(country, "Java is one of the Greater Sunda Islands in the South East Asian country.")
    assert not _is_kind_head(country, "Lubumbashi is the city west of the country.")
    assert not _is_kind_head(_kind_pattern("element"), "In mathematics, a group is a set with an operation that "
                             "combines elements: the operation is associative, it has an identity element.")


def test_a_rank_in_the_world_holds_within_a_place_the_member_is_in() -> None:
    from qa.places import place_forms
    from qa.ranking import asked_ranking, may_rank, stated_rank

    kinds = frozenset({"country", "countries"})
    ranking = asked_ranking("the five largest countries in Asia", ["Asia"], kinds)
    assert ranking is not None and ranking.scope == ("asia",)
    text = "Russia is a country in Eastern Europe and North Asia. It is the largest country in the world."
    assert stated_rank(text, ranking, kinds, within=True) == (True, 1)
    assert stated_rank(text, ranking, kinds) is None  # not known to be in Asia
    assert place_forms("Asian") == ("Asian", "Asia") and place_forms("European") == ("European", "Europe")
    assert place_forms("East Asian") == ("East Asian", "East Asia") and place_forms("Jupiter") == ("Jupiter",)
    assert place_forms("U.S.") == ("U.S.", "United States")
    assert place_forms("Brazilian") == ("Brazilian", "Brazil") and place_forms("French") == ("French", "France")
    assert place_forms("Christian") == ("Christian",) and place_forms("Median") == ("Median",)
    assert "brazil" in asked_ranking("the most populous Brazilian cities", ["Brazilian"], kinds).scope
    assert may_rank("It covers 9,596,961 km2.", "area") and may_rank("the largest country", "area")
    assert not may_rank("It is a country in Asia whose capital is Vientiane.", "area")


ELEMENTS = {
    "Lithium": "Lithium is a chemical element; it has symbol Li and atomic number 3. It is the first alkali metal "
               "in the periodic table.",
    "Hydrogen": "Hydrogen is a chemical element; it has symbol H and atomic number 1.",
    "Iron": "Iron is a chemical element; it has symbol Fe and atomic number 26. It is the first element in group 8.",
    "Helium": "Helium is a chemical element; it has symbol He and atomic number 2.",
    "Group (mathematics)": "In mathematics, a group is a set with an operation that is associative, it has an "
                           "identity element, and every element has an inverse element.",
}


def test_the_first_members_of_a_set_are_those_whose_documents_state_the_first_places(
        tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from qa.ranking import ORDER, asked_ranking, stated_order

    question = "Who discovered the first three elements in the periodic table?"
    with engine_over(ELEMENTS, tmp_path, hash_embedder) as engine:
        # by atomic number, the place stated first ("the first element in group 8" comes after it); a group in
        # mathematics has an identity element, but is none; the first three places stated, no fourth member
        assert members_found_in(engine, question, ["Iron"]) == ["Hydrogen", "Helium", "Lithium"]
    kinds = frozenset({"president", "presidents"})
    # "the last two": the documents state who came first, rarely who was last
    assert asked_ranking("the last two presidents of Elbonia", ["Elbonia"], kinds) is None
    ranking = asked_ranking("the first two presidents of Elbonia", ["Elbonia"], kinds)
    assert ranking is not None and ranking.measure == ORDER and not ranking.most
    assert stated_order("Jo Bloggs was the 16th president of Elbonia.", kinds) == 16
    assert stated_order("Jo Bloggs was the 16th president of Elbonia.", kinds, (), ranking.scope) == 16
    assert stated_order("Jo Bloggs was the third president of Ruritania.", kinds, (), ranking.scope) is None
    assert stated_order("Jo Bloggs was a lawyer.", kinds) is None
    # "the first three Roman emperors": the place stated among Roman emperors, not among any emperors
    emperors = frozenset({"emperor", "emperors"})
    roman = asked_ranking("the first three roman emperors", [], emperors)
    assert roman is not None and roman.qualifier == ("roman",)
    assert stated_order("He was the second Roman emperor, from AD 14.", emperors, roman.qualifier) == 2
    assert stated_order("He was the first emperor of the Han dynasty.", emperors, roman.qualifier) is None


def test_member_states_are_countries(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    texts = {"Albania": "Albania is a country in Southeast Europe. It joined the Alliance in 2009.",
             "Texas": "Texas is a state in the United States. It is a member of the Alliance's partners.",
             "Corland": "Corland is a country in Europe. It joined the Alliance in 1949."}
    with engine_over(texts, tmp_path, hash_embedder) as engine:
        members = members_found_in(engine, "What is the capital of each of the Alliance member states?", ["Texas"])
    assert "Albania" in members and "Corland" in members and "Texas" not in members


def test_an_answer_over_a_set_says_what_every_member_rests_on() -> None:
    from qa.multipart import FOUND, NAMED, RANK, basis
    from qa.ranking import asked_ranking

    countries = frozenset({"country", "countries"})
    populous = asked_ranking("the five most populous countries", [], countries)
    first = asked_ranking("the first five elements", [], frozenset({"element", "elements"}))
    richest = asked_ranking("the five richest countries", [], countries)
    assert basis({RANK}, [], populous) == "the documents give, by the population or rank they state"
    assert basis({RANK}, [], first) == "the documents give, in the order they state"
    assert basis({RANK}, [], richest) == "the documents give, by the rank or amount they state"  # no "the rich"
    assert basis({NAMED}, ["G7"], None) == "whose documents mention G7"
    assert basis({FOUND}, [], None) == "a search for it finds"
    # not every member was taken for the same reason: nothing is claimed of each
    assert basis({RANK, FOUND}, [], populous) == basis({NAMED, FOUND}, ["G7"], None) == "that the documents give"


def test_a_sets_members_are_only_those_the_question_may_read(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from qa.config import Settings
    from qa.engine import Engine

    corpus = tmp_path / "corpus"
    for folder, title, people in [("europe", "France", 68), ("europe", "Spain", 48), ("private", "Germany", 84),
                                  ("private", "Italy", 59)]:
        (corpus / folder).mkdir(parents=True, exist_ok=True)
        (corpus / folder / f"{title}.txt").write_text(
            f"{title}\n\n{title} is a country in Europe. It has a population of {people} million people. "
            f"Its capital is {title}ville.\n", encoding="utf-8")
    eng = Engine(Settings.resolve(corpus, tmp_path / "idx"), embedder=hash_embedder)
    try:
        for _ in eng.prepare():
            pass
        answer = eng.ask("What are the capitals of the two most populous countries in Europe?",
                         where="path:europe/**")
        everywhere = eng.ask("What are the capitals of the two most populous countries in Europe?")
    finally:
        eng.close()
    assert answer.citations and {c.source for c in answer.citations} <= {"europe/France.txt", "europe/Spain.txt"}
    assert {p.source for p in answer.passages} <= {"europe/France.txt", "europe/Spain.txt"}
    assert "private/Germany.txt" in {c.source for c in everywhere.citations}  # found by its opening otherwise


CALIPHS = {
    "Umar": "Umar ibn al-Khattab was the second Rashidun caliph, ruling from 634 until his death in 644.",
    "Uthman": "Uthman ibn Affan was the third caliph of the Rashidun Caliphate, ruling from 644 until 656.",
    "Ali": "Ali ibn Abi Talib was the fourth Rashidun caliph, who ruled from 656 until 661.",
    "Harun al-Rashid": "Harun al-Rashid was the fifth Abbasid caliph, ruling from 786 until 809.",
    "Rashidun Caliphate": "The Rashidun Caliphate was the first caliphate to succeed the prophet Muhammad.",
    "Bonobo": "The bonobo is the smallest species of great ape, found in the Congo basin.",
    "Orangutan": "Orangutans are great apes native to the rainforests of Indonesia and Malaysia.",
}


def test_a_set_of_a_kind_outside_the_list_is_the_documents_that_open_as_one_and_name_it(
        tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    with engine_over(CALIPHS, tmp_path, hash_embedder) as engine:
        caliphs = members_found_in(engine, "When did each of the four Rashidun caliphs rule?",
                                   ["Rashidun Caliphate", "Harun al-Rashid", "Umar"])
        apes = members_found_in(engine, "Where does each of the great apes live?",
                                ["Rashidun Caliphate", "Bonobo", "Umar", "Orangutan"])
        colours = engine.ask("What did each of the three Rashidun colours mean?")
        one = engine.ask("When did each of the four Abbasid caliphs rule?")
        two = engine.ask("When did each of the four Abbasid caliphs rule, and where in the wild do the orangutans "
                         "of Asia live?")
    # those whose opening says they are caliphs and names the set's "Rashidun", the one a search found first; not
    # the Abbasid caliph a search found, nor the caliphate (its opening says it is a caliphate)
    assert caliphs[0] == "Umar" and sorted(caliphs) == ["Ali", "Umar", "Uthman"]
    # a kind outside the list that names nothing and has no document of its own: nothing a search finds is one
    # ("the three primary colors" are not any colours), so the question is one question
    assert apes == [] and not colours.parts
    from qa.multipart import _is_kind_head, _kind_pattern

    ape = _kind_pattern("ape")  # what an opening says a thing is
    assert _is_kind_head(ape, CALIPHS["Bonobo"]) and _is_kind_head(ape, CALIPHS["Orangutan"])
    # one member found is no set: the answer to the question as one, with no note about a missing list
    assert not one.parts and "No list" not in one.text
    # and beside another ask, it is asked as written, as the other is
    assert [p.label for p in two.parts] == ["When did each of the four Abbasid caliphs rule?",
                                           "Where in the wild do the orangutans of Asia live?"]


YALTA = {
    "Yalta Conference": "The Yalta Conference was the meeting of the heads of government of the United States, the "
                        "United Kingdom and the Soviet Union. The three states were represented by Franklin D. "
                        "Roosevelt, Winston Churchill and Joseph Stalin.",
    "Franklin D. Roosevelt": "Franklin Delano Roosevelt was the 32nd president of the United States from 1933 "
                             "until 1945. He led the country through the Great Depression.",
    "Winston Churchill": "Sir Winston Churchill was a British statesman who was Prime Minister of the United "
                         "Kingdom from 1940 to 1945.",
    "Joseph Stalin": "Joseph Stalin was a Soviet politician who led the Soviet Union from 1924 until his death in "
                     "1953.",
    "Zhou Enlai": "Zhou Enlai was a Chinese statesman who was the first Premier of the People's Republic of China.",
    "United States": "The United States is a country in North America.",
    "Soviet Union": "The Soviet Union was a country in Eurasia.",
}


def test_a_set_whose_own_document_names_its_members_is_those(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from qa.multipart import chosen_members

    question = "The three leaders who met at the Yalta Conference - how long was each of them in power?"
    with engine_over(YALTA, tmp_path, hash_embedder) as engine:
        # a search that finds another leader first
        members = members_found_in(engine, question, ["Zhou Enlai", "Joseph Stalin", "Yalta Conference"])
        with engine._reading() as snapshot:
            plan = engine._plan(snapshot, question)
            assert plan is not None
            rests_on = chosen_members(snapshot, plan, [])[1]
        countries = members_found_in(engine, "What is the capital of each of the countries at the Yalta "
                                             "Conference?", ["Soviet Union"])
    # the three its document names, in its order; the countries it names are no leaders, Zhou Enlai not one of
    # them: no more than the three asked for
    assert members == ["Franklin D. Roosevelt", "Winston Churchill", "Joseph Stalin"]
    assert rests_on == "that the document “Yalta Conference” names"
    assert countries[:2] == ["United States", "Soviet Union"]  # no count: the named ones first


SAPPHIRE = {
    "Sapphire": "Sapphire is a precious gemstone, a variety of corundum, with trace amounts of elements such as iron, "
                "titanium and cobalt.",
    "Iron": "Iron is a chemical element; it has symbol Fe and atomic number 26.",
    "Titanium": "Titanium is a chemical element; it has symbol Ti and atomic number 22.",
    "Cobalt": "Cobalt is a chemical element; it has symbol Co and atomic number 27.",
    "Gallium": "Gallium is a chemical element; it has symbol Ga and atomic number 31.",
}


def test_a_set_in_a_document_named_by_one_word_is_the_members_it_names(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    question = "What are the symbols for each of the trace elements that can be found in Sapphires?"
    with engine_over(SAPPHIRE, tmp_path, hash_embedder) as engine:
        # a search that finds another element first: the document the set is in names its members
        members = members_found_in(engine, question, ["Gallium", "Iron", "Sapphire"])
        leaders = members_found_in(engine, "How long was each of the leaders in power?", ["Iron", "Gallium"])
    assert members[:3] == ["Iron", "Titanium", "Cobalt"]
    assert leaders == []  # a kind word alone names no document


CAPITALS = {
    "Turkey": "Turkey is a country in Anatolia and East Thrace. Its capital is Ankara, and its largest city is "
              "Istanbul.",
    "Ankara": "Ankara is the seat of the government of Turkey, a city of five million people in Anatolia.",
    "Germany": "Germany is a country in Central Europe. Its capital is Berlin.",
    "Greece": "Greece is a country in Southeast Europe. Its capital is Athens.",
    "Athens": "Athens is an old city under the Acropolis, with a port at Piraeus.",
}


def test_a_parts_answer_that_is_a_documents_title_is_cited_from_that_document_too(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                                   hash_embedder) -> None:
    from dataclasses import replace

    from qa.multipart import Asked, _followed
    from qa.parts import Part

    with engine_over(CAPITALS, tmp_path, hash_embedder) as engine, engine._reading() as snapshot:
        via = engine._parts_retrieval(snapshot, None, ())
        followed = {}
        for country in ("Turkey", "Germany", "Greece"):
            question = f"What is the capital of {country}?"
            hits, answer = via.ask(question, 3)
            # the part as answered from its country's document alone
            own = tuple(c for c in answer.citations if c.source == f"{country}.txt")[:1]
            assert own and answer.short_answer in ("Ankara", "Berlin", "Athens"), answer.text
            asked = Asked(Part(question, country, country), hits, replace(answer, citations=own))
            followed[country] = [c.source for c in _followed(snapshot, [asked], via)[0].answer.citations]
    # Ankara answers for Turkey, and Ankara's own document is asked and cited too; Berlin has no document;
    # Athens' says nothing of Greece: nothing of it is added
    assert followed == {"Turkey": ["Turkey.txt", "Ankara.txt"], "Germany": ["Germany.txt"],
                        "Greece": ["Greece.txt"]}


def test_a_places_neighbours_are_not_its_parts(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    texts = {"India": "India is a country in South Asia. It shares borders with Pakistan, China and Nepal.",
             "Pakistan": "Pakistan is a country in South Asia.", "China": "China is a country in East Asia.",
             "Nepal": "Nepal is a landlocked country in South Asia.", "Kerala": "Kerala is a state of India."}
    with engine_over(texts, tmp_path, hash_embedder) as engine:
        members = members_found_in(engine, "What is the capital of each of the states of India?", ["Kerala"])
    # India's opening names its neighbours: they are no states of India
    assert "Pakistan" not in members and "Nepal" not in members, members


def test_each_member_of_a_set_cites_the_sentence_it_was_taken_by(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from qa.render import terminal

    question = "In what year was each of the three most populous countries founded?"
    with engine_over(POPULOUS, tmp_path, hash_embedder) as engine:
        answer = engine.ask(question)
        # no document gives a year: every part abstains, and the list is still cited
        assert answer.abstained and answer.parts, answer.text
        lead = answer.text.split("\n")[0]
        cited = {c.n: c for c in answer.citations}
        for name, said in [("Asteria", "It is the world's most populous country, with 1.4 billion people."),
                           ("Corland", "With 1.3 billion inhabitants, it is the world's second-most populous "
                                       "country."),
                           ("Fenwick", "It has a population of 250 million.")]:
            n = int(lead.split(f"{name} [")[1].split("]")[0])
            assert (cited[n].source, cited[n].quote) == (f"{name}.txt", said)
        assert sorted(cited) == list(range(1, len(cited) + 1))
        shown = terminal(answer)  # the abstention lists them above the closest passages
        assert "Asteria.txt:3  \"It is the world's most populous country" in shown
        assert shown.index("Asteria.txt:3") < shown.index("Closest passages:")
        # a member's file changed since it was indexed: it is still named, its sentence no longer cited
        (tmp_path / "corpus" / "Asteria.txt").write_text("Asteria\n\nRewritten.\n", encoding="utf-8")
        again = engine.ask(question)
        assert "Asteria," in again.text.split("\n")[0] or "Asteria." in again.text.split("\n")[0], again.text
        assert "Asteria.txt" not in {c.source for c in again.citations}
        assert any(w.startswith("Asteria.txt changed since it was indexed") for w in again.warnings), again.warnings


def test_a_member_named_by_the_sets_own_document_cites_that_documents_sentence(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                              hash_embedder) -> None:
    question = "The three leaders who met at the Yalta Conference - how long was each of them in power?"
    with engine_over(YALTA, tmp_path, hash_embedder) as engine:
        answer = engine.ask(question)
    lead = answer.text.split("\n")[0]
    # one sentence names all three: one citation, its number after each name
    assert "Franklin D. Roosevelt [1], Winston Churchill [1], Joseph Stalin [1]" in lead, lead
    first = answer.citations[0]
    assert first.source == "Yalta_Conference.txt" and first.quote.startswith("The three states were represented")


def test_a_sets_member_answered_by_a_documents_title_asks_that_document_without_a_model_call(
        tmp_path: Path, hash_embedder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    question = "What are the capitals of the three countries in Europe and Anatolia?"
    calls: list[list[str]] = []
    embed = type(hash_embedder).embed_queries

    def counted(self, texts):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return embed(self, texts)

    monkeypatch.setattr(type(hash_embedder), "embed_queries", counted)
    with engine_over(CAPITALS, tmp_path, hash_embedder) as engine:
        answer = engine.ask(question)
    turkey = next(p for p in answer.parts if p.label == "Turkey")
    # Ankara's own document is asked and cited, by the set's question's vector and its own: the one model
    # call is the set's (its question and its phrase), none per member answered by another document's title
    assert {answer.citations[n - 1].source for n in turkey.citations} == {"Turkey.txt", "Ankara.txt"}, answer.text
    assert len(calls) == 1, calls


def test_a_part_whose_quotes_do_not_speak_of_what_it_asks_is_not_answered(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                           hash_embedder) -> None:
    texts = {"Turkey": "Turkey is a country in Anatolia. Its capital is Ankara.",
             "Peru": "Peru is a country in western South America. It is bordered by Ecuador and Colombia."}
    with engine_over(texts, tmp_path, hash_embedder) as engine:
        capitals = engine.ask("What is the capital of Turkey and Peru?")
    by_label = {p.label: p for p in capitals.parts}
    assert not by_label["Turkey"].abstained and "Ankara" in by_label["Turkey"].text
    # Peru's document is about Peru and names places, but no capital: not quoted as its capital
    assert by_label["Peru"].abstained and by_label["Peru"].text == "The documents do not give the capital of Peru."


def test_what_a_parts_quotes_must_speak_of() -> None:
    from qa.multipart import _gives_attribute
    from qa.parts import Part
    from qa.types import Answer, Citation

    def said(question: str, subject: str, quote: str) -> bool:
        cited = Citation(1, "x.txt", 0, len(quote), quote, 1.0, "x")
        return _gives_attribute(Part(question, subject, subject), Answer(question, quote, False, (cited,)))

    assert said("What is the capital of India?", "India", "New Delhi is the capital of India.")
    assert not said("What is the capital of India?", "India", "Bounded by the Indian Ocean on the south, it borders "
                                                                "Pakistan.")
    assert said("What are the capital cities of Baffin Island?", "Baffin Island", "Iqaluit, the capital of Nunavut, "
                                                                                   "is on the island.")
    assert said("What is the land mass of France?", "France", "It covers 643,801 km2.")  # an area in its unit
    assert said("What is the population of Chile?", "Chile", "It has 19 million inhabitants.")  # in other words
    assert not said("What are the official languages of Russia?", "Russia", "Russia is the most populous country "
                                                                            "in Europe.")
    assert said("What is the height of Mount Everest?", "Mount Everest", "It is 8,849 m tall.")
    assert said("What is the name of the capital of Peru?", "Peru", "Lima is the capital of Peru.")
    assert not said("What is the capital of Turkey?", "Turkey", "Turkey's capitalism grew fast.")  # a word, whole
    assert not said("What was the 2020 population of Peru?", "Peru", "In 2020 it held elections.")
    # an element's abundance is not its discovery, nor its family its genus
    assert not said("Who discovered Helium?", "Helium", "Its abundance is similar in both the Sun and Jupiter.")
    assert said("Who discovered Helium?", "Helium", "It was first detected in 1868 and isolated by William Ramsay.")
    assert not said("What are the genera of Cheetah?", "Cheetah", "The cheetah is the fastest land animal.")
    assert said("What are the genera of Moose?", "Moose", "It is the only extant species in the genus Alces.")
    # no attribute asked, one not listed (said in too many ways), or two: not checked
    assert said("When was Ankara founded?", "Ankara", "Ankara is old.")
    assert said("Who is the author of Hamlet?", "Hamlet", "Hamlet is a tragedy written by William Shakespeare.")
    assert said("What is the date of birth of Mozart?", "Mozart", "He was born in Salzburg on 27 January 1756.")
    assert said("What is the currency of Chile?", "Chile", "Its currency, the Chilean peso, floats.")
    assert said("What are the currencies of Chile?", "Chile", "The Chilean peso floats.")
    assert said("What are the birth years and countries of origin of Pierre Curie?", "Pierre Curie",
                "Pierre Curie was a French physicist.")


RANKED = {
    "Asteria": "Asteria is a country in Elbonia. It is the world's most populous country.",
    "Corland": "Corland is a country in Elbonia. It is the world's second-most populous country.",
    "Borvia": "Borvia is a country in Elbonia. It is the world's third-most populous country.",
    "Dravia": "Dravia is a country in Elbonia. It has a population of 250 million and is one of the world's most "
              "populous countries.",
    "Fenwick": "Fenwick is a country in Elbonia. It is the world's fourth-most populous country.",
}


def test_a_set_whose_every_place_is_stated_is_those_members_only(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    with engine_over(RANKED, tmp_path, hash_embedder) as engine:
        three = members_found_in(engine, "What are the capitals of the three most populous countries?", list(RANKED))
        five = members_found_in(engine, "What are the capitals of the five most populous countries?", list(RANKED))
    # the documents state the first, second and third places: those three, and no member asked "just in case"
    assert three == ["Asteria", "Corland", "Borvia"]
    # no document states the fifth place ("one of the world's most populous" is none): the first four, then
    # those found, up to three more than asked
    assert five[:4] == ["Asteria", "Corland", "Borvia", "Fenwick"] and "Dravia" in five


SUMMIT = {
    "Zentral Summit": "The Zentral Summit was a meeting of three heads of government in 1951. The leaders there "
                      "were Jose Marti Ortega, Zoe Muller and Renee Dubois, who met daily.",
    "José Martí Ortega": "José Martí Ortega was a politician who led Elbonia from 1940 to 1955. He was a lawyer.",
    "Zoë Müller": "Zoë Müller was a politician who led Ruritania from 1945 to 1960. She was a teacher.",
    "Renée Dubois": "Renée Dubois was a politician who led Freedonia from 1948 to 1952. She was a doctor.",
}


def test_a_listed_member_is_cited_by_its_lists_sentence_accents_aside(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    with engine_over(SUMMIT, tmp_path, hash_embedder) as engine:
        answer = engine.ask("The three leaders who met at the Zentral Summit - how long was each of them in power?")
    lead = answer.text.split("\n")[0]
    # the list writes the names without their accents; the one sentence naming all three is cited, whole, once
    assert "José Martí Ortega [1], Zoë Müller [1], Renée Dubois [1]" in lead, lead
    first = answer.citations[0]
    assert first.source == "Zentral_Summit.txt" and first.quote.startswith("The leaders there were")
    assert first.quote.endswith("who met daily.") and sum(c.quote == first.quote for c in answer.citations) == 1


OCEANIA = {
    "Arland": "Arland is a country in Oceania. Arland has three million people and a long coast.",
    "Brind": "Brind is a country in Oceania. Its capital is Brindton.",
    "Port Arl": "Port Arl is a port city. Port Arl is the capital of Arland, on its northern coast.",
    "Bexley City": "Bexley City is a city of painters. Bexley City is the cultural capital of Arland.",
}


def test_a_members_capital_its_own_document_does_not_give_is_asked_of_the_whole_index(
        tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    with engine_over(OCEANIA, tmp_path, hash_embedder) as engine:
        answer = engine.ask("What are the capitals of the countries in Oceania?")
    lines = {p.label: p for p in answer.parts}
    assert {"Arland", "Brind"} <= set(lines), answer.text
    arland = lines["Arland"]
    # Arland's summary names no capital: the city's own document says it is Arland's, and it answers first (the
    # city that is only its "cultural capital" may follow as what else the documents say, never first)
    assert not arland.abstained, answer.text
    assert answer.citations[arland.citations[0] - 1].source == "Port_Arl.txt", answer.text
    assert {answer.citations[n - 1].source for n in lines["Brind"].citations} == {"Brind.txt"}


def test_a_qualified_capital_is_not_the_things_own() -> None:
    from qa.answer import _owns

    assert not _owns(("capital", "India"), "Kolkata is regarded as the cultural capital of India.")
    assert not _owns(("capital", "Ruritania"), "Zenda was the former capital of Ruritania.")
    assert _owns(("capital", "India"), "Delhi contains New Delhi, the capital of India.")


RANKED_ONLY = {
    "Arland": "Arland is a country in Oceania. It is the second-largest country by total area, with a long coast.",
    "Brind": "Brind is a country in Oceania. It covers 40,000 km2 of hills.",
    "Corvia": "Corvia is a country in Oceania. It has many lakes and a long coast.",
}


def test_a_part_whose_document_gives_a_rank_but_no_figure_quotes_the_rank(
        tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    with engine_over(RANKED_ONLY, tmp_path, hash_embedder) as engine:
        answer = engine.ask("What is the area of Arland, Brind and Corvia?")
    lines = {p.label: p for p in answer.parts}
    assert not lines["Brind"].abstained, answer.text
    arland, corvia = lines["Arland"], lines["Corvia"]
    # no figure for Arland: still unanswered, but its line quotes where its document ranks it by area, cited
    assert arland.abstained and arland.citations, answer.text
    assert arland.text.startswith("The documents do not give the area of Arland as a figure; they rank it:")
    cited = answer.citations[arland.citations[0] - 1]
    assert cited.source == "Arland.txt" and "second-largest country by total area" in cited.quote
    # nothing ranks Corvia: the plain abstention, citing nothing
    assert corvia.abstained and not corvia.citations and corvia.text == "The documents do not give the area of Corvia."


def test_a_single_amount_with_no_figure_abstains_quoting_the_rank(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from qa.answer import NO_FIGURE, NOT_FOUND

    with engine_over(RANKED_ONLY, tmp_path, hash_embedder) as engine:
        arland = engine.ask("What is the area of Arland?")
        corvia = engine.ask("What is the area of Corvia?")
        brind = engine.ask("What is the area of Brind?")
    # still an abstention (no figure), but it quotes where Arland stands by area, cited and checkable
    assert arland.abstained and arland.text.startswith(NO_FIGURE), arland.text
    assert [c.source for c in arland.citations] == ["Arland.txt"]
    assert "second-largest country by total area" in arland.citations[0].quote
    assert corvia.abstained and corvia.text == NOT_FOUND and not corvia.citations
    assert not brind.abstained and brind.short_answer == "40,000 km2", brind.text


RANKED_RIVERS = {
    "Nilo": "Nilo is a river in Africa. It is the longest river in the world, flowing north to the sea.",
    "Kongo": "Kongo is a river in Africa. It is the second-longest river in Africa and the deepest.",
    "Zamba": "Zamba is a river in Africa. It is the fourth-longest river in Africa.",
    "Yanga": "Yanga is a river in Asia. It is the third-longest river in the world.",
    "Mekko": "Mekko is a river in Asia. It is the third-longest river in Asia.",
}


def test_the_first_of_a_ranking_in_a_place_is_the_one_a_document_states(
        tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    with engine_over(RANKED_RIVERS, tmp_path, hash_embedder) as engine:
        africa = engine.ask("What is the longest river in Africa?")
        asia = engine.ask("What is the longest river in Asia?")
    # the world's longest, whose opening says it is in Africa: the rank quoted, then where it is
    assert africa.short_answer == "Nilo" and not africa.abstained, africa.text
    assert [c.source for c in africa.citations] == ["Nilo.txt", "Nilo.txt"]
    # in the document's order: where it is (naming it), then its rank
    assert "Africa" in africa.citations[0].quote and "longest river in the world" in africa.citations[1].quote
    # no document states Asia's first place: not the world's third nor Asia's third taken for it
    assert asia.short_answer not in ("Yanga", "Mekko"), asia.text


def test_a_rank_in_a_place_less_part_of_it_or_in_two_places() -> None:
    from qa.ranking import _statements

    mountains = frozenset({"mountain", "mountains"})
    assert _statements("It is the highest mountain in Europe outside the Caucasus Mountains.", mountains) == ()
    assert _statements("Elbrus is the highest mountain in Russia and Europe.", mountains) == \
        ((True, "height", "Russia", 1), (True, "height", "Europe", 1))


def test_the_forms_of_a_question_asking_the_first_of_a_ranking() -> None:
    from qa.multipart import _one_superlative

    assert _one_superlative("What is Africa's longest river?") == ("Africa's longest river", "river")
    assert _one_superlative("Which city is the most populous in Brazil?") == \
        ("the most populous city in Brazil", "city")
    assert _one_superlative("Which country has the largest population in Africa?") == \
        ("the country with the largest population in Africa", "country")
    assert _one_superlative("What is the largest country in the world by area?") == \
        ("the country with the largest area in the world", "country")
    assert _one_superlative("Identify the longest river in Asia as of 2023.") == ("the longest river in Asia", "river")
    assert _one_superlative("What is the best way to learn?") is None


CAUCASUS = {
    "Georgia (country)": "Georgia is a country in the Caucasus. Georgia has a long coast on the Black Sea.",
    "Atlanta": "Atlanta is the capital of Georgia, a state in the southeastern United States.",
    "Armenia": "Armenia is a country in the Caucasus. Its capital is Yerevan.",
    "Azerbaijan": "Azerbaijan is a country in the Caucasus. Its capital is Baku.",
    "India": "India is a country in South Asia. India has many languages.",
    "Mumbai": "Mumbai is India's financial capital and its most populous city.",
}


def test_a_members_capital_elsewhere_is_its_own_not_a_namesakes_nor_a_qualified_one(
        tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    with engine_over(CAUCASUS, tmp_path, hash_embedder) as engine:
        caucasus = engine.ask("What are the capitals of the countries in the Caucasus?")
        india = engine.ask("What is the capital of India?")
    lines = {p.label: p for p in caucasus.parts}
    # Atlanta is the capital of the state of Georgia: not the country's
    assert lines["Georgia (country)"].abstained, caucasus.text
    assert "Yerevan" in lines["Armenia"].text and "Baku" in lines["Azerbaijan"].text
    # a financial capital is not the capital
    assert india.abstained or "Mumbai" not in (india.short_answer or ""), india.text


def test_what_a_superlative_question_asks_beyond_a_first_place_is_left_to_the_reading_of_any_question() -> None:
    from qa.multipart import _one_superlative

    # a first place after another, outside a part, in a year, other than one: more than a first place
    for question in ("What is the longest river in Africa after the Nile?",
                     "What is the highest mountain in Africa outside Tanzania?",
                     "What was the largest city in Europe in 1800?",
                     "What is the largest city in Germany other than Berlin?",
                     "What is the largest city in the U.S. state of Georgia?"):
        assert _one_superlative(question) is None, question
    # "by population" is what the rank measures, not "largest" by area
    assert _one_superlative("What is the largest country in the world by population?") == \
        ("the country with the largest population in the world", "country")


def test_ranks_that_are_not_the_things_own_first_place() -> None:
    from qa.multipart import kind_words
    from qa.ranking import _statements

    city, mountain, planet = kind_words("city"), kind_words("mountain"), kind_words("planet")
    assert _statements("Nagoya is a city. Its seaport is the largest in Japan.", city) == ()  # a part of it ranks
    assert _statements("Istanbul is among the largest cities in Europe.", city) == ()  # among, no place
    assert _statements("It is the oldest capital city in the world.", city) == ()  # a narrower kind
    assert _statements("London became the world's largest city at the time.", city) == ()  # then, not now
    assert _statements("Mount Everest is a mountain.", mountain) == ()  # a name ending in "est"
    company = kind_words("company")
    assert _statements("Tencent is the world's largest company in the video game industry.", company) == \
        ((True, "area", "video game industry", 1),)  # first in a field, not in the world
    # a rank in the Solar System holds in the world, not a rank on Earth in the Solar System
    assert _statements("It is the largest in the Solar System.", planet) == ((True, "area", "Solar System", 1),)
    assert _statements("It is the highest mountain on Earth.", mountain) == ((True, "height", "world", 1),)


def test_a_towns_size_is_its_people_and_an_appositive_ranks_its_own_noun() -> None:
    from qa.multipart import kind_words
    from qa.ranking import _statements, asked_ranking

    city = kind_words("city")
    # "the largest city" is the most populous, in the question and in the documents
    ranking = asked_ranking("the largest city in India", ["India"], city)
    assert ranking is not None and ranking.measure == "population"
    assert _statements("Berlin is the capital and largest city of Germany.", city) == \
        ((True, "population", "Germany", 1),)
    assert _statements("It is the second-most-populous city in Brazil.", city) == ((True, "population", "Brazil", 2),)
    # a superlative set after another noun ranks that noun; a first place below sea level is no world's first
    assert _statements("Two million live in the combined statistical area, the fifth-largest in the United States.",
                       city) == ()
    assert _statements("It is the largest city in the world below sea level.", city) == ()
    assert _statements("It is the largest country in the world.", kind_words("country")) == \
        ((True, "area", "world", 1),)  # a country's size is its area


def test_a_part_quoted_from_something_else_sharing_a_word_of_its_subject_is_not_answered(  # type: ignore[no-untyped-def]
        tmp_path: Path, hash_embedder) -> None:
    texts = {"Amazon River": "The Amazon River in South America is the longest river in South America.",
             "Nile": "The Nile is the longest river in Africa.",
             "Gulf of Mexico": "The Gulf of Mexico is an ocean basin bordered by North America.",
             "Blue whale": "The blue whale is a marine mammal. It lives in every ocean.",
             "Giant panda": "The giant panda is a bear. It lives in the mountains of China.",
             "Koala": "The koala is a marsupial. It lives in the eucalyptus forests of Australia."}
    with engine_over(texts, tmp_path, hash_embedder) as engine:
        rivers = engine.ask("What is the longest river in Africa, South America and North America?")
        animals = engine.ask("Which oceans do blue whales, giant pandas and koalas live in?")
    by_label = {p.label: p for p in rivers.parts}
    assert not by_label["South America"].abstained and "Amazon" in by_label["South America"].text
    # the Amazon's sentence names South America, not North America: no answer of North America's
    assert by_label["North America"].abstained and "Amazon" not in by_label["North America"].text
    # a subject in the plural is its document's ("blue whales": Blue whale), answered though its quote names
    # no whale
    whales = animals.parts[0]
    assert whales.label == "blue whales" and not whales.abstained and "every ocean" in whales.text


ISLANDS = {
    "Norland": "Norland is an autonomous territory of Elbonia. It is the world's largest island and lies in the "
               "north sea. Its capital is Frostby.",
    "Kestrel Island": "Kestrel Island is an island in the south sea. It is the world's second-largest island.",
    "Tamaris": "Tamaris, officially the Republic of Tamaris, is an island country in the west sea. Lying off the "
               "coast, it is the world's third-largest island. Its capital is Port Amel.",
    "Velmar Islands": "Velmar Islands is a country in the east sea. Its capital, Oro, is on the largest island, "
                      "Grand Velmar.",
    "Gorm": "Gorm is the fifth planet from the Sun, and the largest in the Solar System. It has many islands.",
}


def test_a_member_that_opens_as_something_else_but_states_its_place_in_the_world_by_the_kinds_word(
        tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    with engine_over(ISLANDS, tmp_path, hash_embedder) as engine:
        three = members_found_in(engine, "What are the capitals of the three largest islands in the world?",
                                 list(ISLANDS))
        five = members_found_in(engine, "What are the capitals of the five largest islands in the world?",
                                list(ISLANDS))
    # Norland opens as a territory and Tamaris as a country, but each says it is the world's Nth-largest island;
    # not the Velmar Islands ("the largest island, Grand Velmar": another thing), nor Gorm ("the largest" planet)
    assert three == ["Norland", "Kestrel Island", "Tamaris"]
    assert five == three


def test_the_whole_questions_line_is_kept_only_when_it_speaks_of_the_set(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    with engine_over(ISLANDS, tmp_path, hash_embedder) as engine:
        three = engine.ask("What are the capitals of the three largest islands in the world?")
        largest = engine.ask("What are the capitals of the largest islands in the world?")
    # the whole question's own answer quoted Gorm, a planet "with many islands": no line of the set's
    assert "Gorm" not in three.text and not three.text.count("The three largest islands in the world:")
    assert any(p.source == "Gorm.txt" for p in three.passages)  # still among the closest passages
    # quoted from a member's document, it stays
    assert "The largest islands in the world: " in largest.text and "third-largest island" in largest.text
    # and so does one that writes the set's own phrase, from a document that is no member
    listed = {**ISLANDS, "List of islands by area": "Together, the three largest islands in the world cover "
                                                    "about four million square kilometres."}
    (tmp_path / "listed").mkdir()
    with engine_over(listed, tmp_path / "listed", hash_embedder) as engine:
        total = engine.ask("What is the total area of the three largest islands in the world?")
    assert "The three largest islands in the world: Together, the three largest" in total.text


def test_a_title_named_in_the_plural_is_named_but_not_a_word_of_a_longer_name(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                              hash_embedder) -> None:
    from qa.retrieval import title_evidence

    texts = {"Lion": "The lion is a large cat of Africa. It is listed as vulnerable.",
             "Giant panda": "The giant panda is a bear of China. It is listed as vulnerable.",
             "Wildlife conservation": "Wildlife conservation protects endangered species and their habitats.",
             "Mountain": "A mountain is an elevated landform.",
             "Great Smoky Mountains National Park": "The park lies in Tennessee. Its climate is humid."}
    with engine_over(texts, tmp_path, hash_embedder) as engine, engine._reading() as snapshot:
        title = {snapshot.document(d).title.strip(): d for d in range(len(texts))}

        def named(question: str) -> set[str]:
            found = title_evidence(snapshot, question, engine.tuning)
            return {t for t, d in title.items() if found.get(d, 0.0) > 0}

        assert named("Are lions endangered?") == {"Lion"}
        assert named("Where do giant pandas live?") == {"Giant panda"}
        # "Mountains" is a word of the name asked about, not the kind "mountain"
        assert "Mountain" not in named("What is the climate of Great Smoky Mountains?")


@pytest.mark.parametrize(("subject", "text", "said"), [
    ("Italy", "Italian Prime Minister Giorgia Meloni opened a summit in Rome.", True),  # by its adjective
    ("blue whales", "Blue whale. The blue whale is a marine mammal.", True),  # in the singular
    ("North America", "The Amazon River in South America is the longest river.", False),
    ("Guinea", "Malabo is the capital of Equatorial Guinea.", False),  # inside a longer name
    ("Guinea", "Papua New Guinea lies north of Australia.", False),
    ("Guinea", "In Guinea, the capital is Conakry.", True),  # a capitalised small word is no longer name
    ("Guinea", "Conakry is the capital of the Republic of Guinea.", True),
    ("Mexico", "Mexico City is the capital of Mexico.", True),  # once on its own is enough
    ("Mexico", "Mexico City is a large city.", False),
    ("Picasso", "Pablo Picasso was a Spanish painter.", True),  # a surname in a person's name is theirs
    ("C++", "C has a static, weak typing discipline.", False),  # the keyword index has only C++'s "c"
    ("C++", "C++ has a static, nominative typing discipline.", True),
])
def test_what_speaks_of_a_parts_subject(subject: str, text: str, said: bool) -> None:
    from qa.multipart import says_subject

    assert says_subject(subject, text) is said


MOUNTAINS = {
    "Mount Everest": "Mount Everest is a mountain in the Himalayas. It is the world's highest mountain.",
    "K2": "K2 is a mountain in the Karakoram. It is the world's second-highest mountain.",
    "Kangchenjunga": "Kangchenjunga is a mountain in the Himalayas. It is the world's third-highest mountain.",
    "Nepal": "Nepal is a country in South Asia. It is home to many tall mountains, including Mount Everest; at "
             "8,849 m, it is the world's highest mountain.",
    "Tenzing Norgay": "Tenzing Norgay was a Sherpa mountaineer. He reached the summit of Mount Everest in 1953. "
                      "Standing on the China-Nepal border, it is the world's highest mountain.",
}


def test_an_it_that_may_be_another_thing_of_the_kind_makes_no_member(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    with engine_over(MOUNTAINS, tmp_path, hash_embedder) as engine:
        three = members_found_in(engine, "What are the three highest mountains in the world?",
                                 ["Nepal", "Tenzing Norgay", "Mount Everest", "K2", "Kangchenjunga"])
    # Nepal's "it is the world's highest mountain" is Mount Everest's, named just before it (in Tenzing Norgay's,
    # in the sentence before)
    assert three == ["Mount Everest", "K2", "Kangchenjunga"]


LAKE = {
    "Lake Tarn": "Lake Tarn is a freshwater lake located at the junction of three countries: Varnia, Tarn and Osk.",
    "Varnia": "Varnia is a country in Elbonia. Its capital is Velt.",
    "Tarn": "Tarn is a country in Elbonia. Its capital is Tarnby.",
    "Osk": "Osk is a country in Elbonia. Its capital is Oskar.",
    "Gorv": "Gorv is a country in Elbonia, far from any lake. Its capital is Gorvby.",
}


def test_every_one_of_a_kind_a_relative_clause_narrows_is_a_set(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    with engine_over(LAKE, tmp_path, hash_embedder) as engine:
        answer = engine.ask("Could you list the capital city of every country that borders Lake Tarn?")
    # "every country that borders ...": a set (not the verb "borders"), its members those Lake Tarn's opening
    # names, Tarn among them though the phrase writes "Tarn" inside "Lake Tarn"
    assert answer.text.startswith("Answered for each of the countries ")
    assert {p.label for p in answer.parts} >= {"Varnia", "Tarn", "Osk"}
    # a country a search finds is no member of what Lake Tarn's opening lists
    assert "Gorv" not in {p.label for p in answer.parts}


CHAIN = {
    "Bosnia and Herzegovina": "Bosnia and Herzegovina is a country in Southeast Europe. Its capital is Sarajevo.",
    "Sarajevo": "Sarajevo is the capital of Bosnia and Herzegovina. About 275,000 people live in Sarajevo.",
    "Hamlet": "Hamlet is a tragedy written by William Shakespeare around 1600.",
    "William Shakespeare": "William Shakespeare was an English playwright. He was born in Stratford-upon-Avon in 1564.",
    "Globe Theatre": "The Globe Theatre is a theatre in London. It was built in 1599 by the Chamberlain's Men.",
}


def test_an_ask_about_the_first_asks_answer_is_asked_of_that_answer(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                       hash_embedder, monkeypatch) -> None:
    """"... and how many people live there?" is asked of the capital the first ask found, and cited from its own
    document; "he" of the person the first found. Before, the question was one, and only its first half was
    answered ("Sarajevo is the capital")."""
    with engine_over(CHAIN, tmp_path, hash_embedder) as engine:
        answer = engine.ask("What is the capital of Bosnia and Herzegovina and how many people live there?")
        assert [p.question for p in answer.parts] == ["What is the capital of Bosnia and Herzegovina?",
                                                     "How many people live in Sarajevo?"]
        cited = {c.n: c for c in answer.citations}
        second = answer.parts[1]
        assert not second.abstained and "275,000" in second.text
        assert {cited[n].source for n in second.citations} == {"Sarajevo.txt"}
        # the fake embedder's confidences are not the model's: the least one asked of is the test's own here
        monkeypatch.setattr("qa.multipart.CHAIN_CONFIDENCE", 0.0)
        answer = engine.ask("Who wrote Hamlet and when was he born?")
        assert [p.question for p in answer.parts][1:] == ["When was William Shakespeare born?"]
        assert "1564" in answer.parts[1].text
        # a first answer the reader is not sure enough of is not asked of: one question
        monkeypatch.setattr("qa.multipart.CHAIN_CONFIDENCE", 1.01)
        answer = engine.ask("What is the capital of Bosnia and Herzegovina and how many people live there?")
        assert answer.parts == ()


def test_an_ask_about_a_first_answer_that_is_no_name_of_its_kind_is_one_question(  # type: ignore[no-untyped-def]
        tmp_path: Path, hash_embedder) -> None:
    """"When was he born?" is not asked of a theatre a "Who" question was answered with, nor is the question
    split when the first ask gives a value ("In which year ... and who built it?")."""
    texts = {**CHAIN, "The Chamberlain's Men": "The Chamberlain's Men was a company of actors in London.",
             "Queen Victoria": "Queen Victoria was Queen of the United Kingdom. She was succeeded by her eldest son, "
                               "Edward VII. She died on 22 January 1901.",
             "Edward VII": "Edward VII was King of the United Kingdom. He died on 6 May 1910."}
    with engine_over(texts, tmp_path, hash_embedder) as engine:
        from qa.multipart import _a_person

        with engine._reading() as snapshot:
            assert _a_person(snapshot, "William Shakespeare", female=False)
            assert not _a_person(snapshot, "Globe Theatre", female=False)
            assert not _a_person(snapshot, "Nobody Here", female=False)
            assert not _a_person(snapshot, "Edward VII", female=True)  # "she" is not him
        answer = engine.ask("Who succeeded Queen Victoria and when did she die?")
        assert "When did Edward VII die?" not in [p.question for p in answer.parts], answer.text
        answer = engine.ask("In which year was the Globe Theatre built and who built it?")
        assert answer.parts == ()


def test_a_part_quoting_a_definition_is_one_row_of_the_table() -> None:
    """A part's text may hold a line break (a definition's name above its description): the table shows it once,
    as its row, not again line by line as notes above the table."""
    from qa.render import part_rows, terminal
    from qa.types import Answer, PartAnswer

    parts = (PartAnswer("What is PIPESTATUS?", "PIPESTATUS", "PIPESTATUS\nAn array variable of exit statuses. [1]",
                        False, (1,)),
             PartAnswer("What is RANDOM?", "RANDOM", "RANDOM\nA random integer. [2]", False, (2,)))
    text = "Answered for each variable.\n" + "\n".join(f"{p.label}: {p.text}" for p in parts)
    answer = Answer("Compare PIPESTATUS and RANDOM", text, False, parts=parts)
    notes, rows = part_rows(answer)
    assert notes == ["Answered for each variable."] and [label for label, _ in rows] == ["PIPESTATUS", "RANDOM"]
    shown = terminal(answer)
    assert shown.count("An array variable of exit statuses.") == 1, shown


NESTED = {
    "Messiah (Handel)": "Messiah is an English-language oratorio composed in 1741 by George Frideric Handel. "
                        "It was first performed in Dublin on 13 April 1742.",
    "Dublin": "Dublin is the capital and largest city of Ireland. About 592,713 people live in Dublin.",
    "London": "London is the capital and largest city of England. About 8.8 million people live in London.",
    "Mount Kilimanjaro": "Mount Kilimanjaro is a large dormant volcano in Tanzania.",
    "Tanzania": "Tanzania is a country in East Africa. Its largest city is Dar es Salaam.",
    "Dar es Salaam": "Dar es Salaam is the largest city of Tanzania. Over 7 million people live in Dar es Salaam.",
    "Anna Freud": "Anna Freud was a psychoanalyst. She was born in Vienna, the youngest child of Sigmund Freud.",
    "Sigmund Freud": "Sigmund Freud was an Austrian neurologist and the founder of psychoanalysis.",
    "Vienna": "Vienna is the capital and largest city of Austria. Nearly 2 million people live in Vienna.",
}


def test_a_place_named_by_a_description_is_asked_of_what_the_description_names(  # type: ignore[no-untyped-def]
        tmp_path: Path, hash_embedder, monkeypatch) -> None:
    """"How many people live in the city where Handel's Messiah was first performed?": the description is asked
    first ("In which city was Handel's Messiah first performed?": Dublin), then the question of Dublin, each a
    cited line. Before, it was one question, answered from the Messiah's page alone."""
    monkeypatch.setattr("qa.multipart.CHAIN_CONFIDENCE", 0.0)  # the fake embedder's confidences are not the model's
    with engine_over(NESTED, tmp_path, hash_embedder) as engine:
        answer = engine.ask("How many people live in the city where Handel's Messiah was first performed?")
        assert [p.question for p in answer.parts] == [
            "In which city was Handel's Messiah first performed?", "How many people live in Dublin?"]
        cited = {c.n: c.source for c in answer.citations}
        assert {cited[n] for n in answer.parts[1].citations} == {"Dublin.txt"} and "592,713" in answer.parts[1].text
        # the answer must be a place of the kind asked: a volcano is no city, so this stays one question
        answer = engine.ask("How many people live in the city where Mount Kilimanjaro is?")
        assert answer.parts == ()
        # nor is another's birthplace Sigmund Freud's, whatever names him ("... child of Sigmund Freud")
        answer = engine.ask("How many people live in the city where Sigmund Freud was born?")
        assert "How many people live in Vienna?" not in [p.question for p in answer.parts]
        # a question that is only the description is answered by its step
        answer = engine.ask("Which is the city where Handel's Messiah was first performed?")
        assert answer.parts == () and answer.short_answer == "Dublin", answer.text


def test_the_description_asked_first_and_as_a_question_of_its_own() -> None:
    from qa.nested import _asked_where, _innermost

    assert _asked_where("Handel's Messiah was first performed", "city") == \
        "In which city was Handel's Messiah first performed?"
    assert _asked_where("Tencent has its headquarters", "city") == "In which city does Tencent have its headquarters?"
    assert _asked_where("Mount Kilimanjaro is", "country") == "In which country is Mount Kilimanjaro?"
    assert _asked_where("Man Ray spent most of his career", "city") == \
        "In which city did Man Ray spend most of his career?"
    assert _asked_where("Bertolt Brecht died", "city") == "In which city did Bertolt Brecht die?"
    found = _innermost("How many people live in the city where W. E. B. Du Bois died?")
    assert found is not None and found[1] == "In which city did W. E. B. Du Bois die?"
    found = _innermost("How many people live in the biggest city of the country where Mount Kilimanjaro is?")
    assert found is not None and found[1] == "In which country is Mount Kilimanjaro?"
    found = _innermost("What's the population of the capital of the country Petra is in?")
    assert found is not None and found[1] == "In which country is Petra?"
    found = _innermost("How many people live in the capital of Jordan?")
    assert found is not None and found[1] == "What is the capital of Jordan?"
    assert _innermost("What is the capital of Jordan?") is None  # the question itself, nothing inside it


def test_a_sets_place_typed_in_lower_case_is_the_place_a_page_is_titled_by(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                            hash_embedder) -> None:
    """"each of the two largest islands of the philippines": the set is narrowed by the Philippines, as if typed
    with its capital; "the periodic table" is no place, and narrows nothing."""
    from qa.multipart import _LOWER_PLACE, _titled_as

    texts = {"Philippines": "The Philippines is an archipelagic country in Southeast Asia.",
             "Periodic table": "The periodic table is a tabular arrangement of the chemical elements."}
    with engine_over(texts, tmp_path, hash_embedder) as engine, engine._reading() as snapshot:
        typed = _LOWER_PLACE.search("each of the two largest islands of the philippines")
        assert typed is not None and _titled_as(snapshot, typed.group("place")) == ["Philippines"]
        table = _LOWER_PLACE.search("the first five elements in the periodic table")
        assert table is not None and _titled_as(snapshot, table.group("place")) == []


def test_a_steps_place_is_the_one_of_the_kind_its_quote_names(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """"Petra, originally known to its inhabitants as Raqmu, is an ancient city ... in southern Jordan": asked for
    the country, the reader's "Raqmu" is none; Jordan, the one country the quote names, is; a quote naming two
    countries, or none, gives none."""
    from qa.nested import _one_of_kind

    texts = {"Petra": "Petra, originally known to its inhabitants as Raqmu, is an ancient city in southern Jordan.",
             "Jordan": "Jordan is a country in West Asia.", "Syria": "Syria is a country in West Asia.",
             "Amman": "Amman is the capital and largest city of Jordan."}
    asked = "In which country is Petra?"
    with engine_over(texts, tmp_path, hash_embedder) as engine, engine._reading() as snapshot:
        assert _one_of_kind(snapshot, texts["Petra"], "country", asked) == "Jordan"
        assert _one_of_kind(snapshot, "It lies between Jordan and Syria.", "country", asked) is None
        assert _one_of_kind(snapshot, texts["Petra"], "city", asked) is None  # Amman is not in the quote
