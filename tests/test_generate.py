"""Generated answers (qa/generate.py): a real HTTP server on 127.0.0.1 plays scripted models, and each case
ends as specified: faithful sentences are kept with their citations; a sentence citing a quote that does
not exist, one stating a number its quotes do not hold, one its quotes do not support is left out; a reply
that is not JSON, a stream cut midway, a slow or absent server give the quoted answer with one warning; a
server refusing `response_format` is asked again in the text format. Nothing is sent when generation is
off, nor for an abstention. The same through `qa ask`, the chat's toggle and the MCP tool.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from index.embedding.hashing import HashEmbedder
from qa.config import Settings
from qa.engine import Engine
from qa.support import min_support
from qa.types import Answer, GeneratedSentence
from tests.llm_server import Reply, ScriptedModel, Units, as_json, closed_port_url
from tests.test_json_schema import check

QUESTION = "What is the C5+1 group?"
"""Answered from blinken.txt with two quotes: [1] Blinken to join a session of the C5+1 group, [2] who the
group brings together."""
FAITHFUL = [
    ("Blinken was due to join a session of the C5+1 group after his meetings with Kazakh officials.", [1]),
    ("The group brings together the United States and the five former Soviet republics of Central Asia.", [2]),
]
INVENTED_ID = ("Kazakhstan hosted the first session of the C5+1 group.", [3])
WRONG_NUMBER = ("Blinken was due to join a session of the C5+1 group in 2019.", [1])
UNSUPPORTED = ("The group mostly argues about the price of tea and the weather.", [2])


def faithful(units: Units, request: dict) -> Reply:
    assert len(units) == 2 and "C5+1" in units[1]  # the evidence the model sees: the answer's quotes
    return Reply(as_json(*FAITHFUL))


def reply(content: str, **kwargs: object) -> Callable[[Units, dict], Reply]:
    return lambda units, request: Reply(content, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def llm() -> Iterator[Callable[..., ScriptedModel]]:
    """Start a scripted model server; stopped after the test."""
    started: list[ScriptedModel] = []

    def start(script: Callable[[Units, dict], Reply]) -> ScriptedModel:
        started.append(ScriptedModel(script).start())
        return started[-1]

    yield start
    for model in started:
        model.stop()


@pytest.fixture
def make_engine(corpus: Path, tmp_path: Path, hash_embedder) -> Iterator[Callable[..., Engine]]:  # type: ignore[no-untyped-def]
    """An engine over the small corpus whose settings point generation at `url`."""
    engines: list[Engine] = []

    def make(url: str, generate: bool = True, **settings: object) -> Engine:
        base = Settings.resolve(corpus, tmp_path / "idx")
        values = {"generate": generate, "llm_base_url": url, "llm_model": "scripted", "llm_timeout": 5.0, **settings}
        engine = Engine(replace(base, **values), embedder=hash_embedder)  # type: ignore[arg-type]
        for _ in engine.prepare():
            pass
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


def kept(answer: Answer) -> list[str]:
    return [g.sentence for g in answer.generated or () if g.kept]


def by_sentence(answer: Answer, text: str) -> GeneratedSentence:
    return next(g for g in answer.generated or () if g.sentence == text)


def assert_quoted_answer(answer: Answer, warning: str) -> None:
    """The extractive answer, as without generation, with one warning line saying why."""
    assert not answer.is_generated
    assert answer.text.startswith("After his meetings with Kazakh officials") and answer.text.endswith("[2]")
    assert len(answer.citations) == 2
    notes = [w for w in answer.warnings if w.startswith("Generated answer not used")]
    assert len(notes) == 1 and warning in notes[0] and "\n" not in notes[0], answer.warnings


# -- the model's sentences and their checks ---------------------------------------------------------------


def test_faithful_sentences_become_the_answer_with_their_citations(llm, make_engine) -> None:  # type: ignore[no-untyped-def]
    model = llm(faithful)
    engine = make_engine(model.url)
    extractive = engine.ask(QUESTION, generate=False)
    answer = engine.ask(QUESTION)
    assert kept(answer) == [s for s, _ in FAITHFUL]
    assert answer.text == f"{FAITHFUL[0][0]} [1] {FAITHFUL[1][0]} [2]"
    assert answer.citations == extractive.citations  # the verified quotes are kept as they were
    assert all(g.support >= min_support(HashEmbedder.model_id) for g in answer.generated or ())
    assert not answer.warnings
    record = answer.to_dict(id=1)
    first = record["generated"][0]
    assert first == {"sentence": FAITHFUL[0][0], "citations": [1], "support": first["support"], "kept": True,
                     "reason": None}
    request = model.requests[0]
    assert request["model"] == "scripted" and request["response_format"]["type"] == "json_schema"
    sent = request["messages"][-1]["content"]
    assert "[1] After his meetings" in sent and "[2] The group brings" in sent and QUESTION in sent


def test_a_citation_id_that_does_not_exist_is_left_out(llm, make_engine) -> None:  # type: ignore[no-untyped-def]
    model = llm(reply(as_json(*FAITHFUL, INVENTED_ID)))
    answer = make_engine(model.url).ask(QUESTION)
    assert kept(answer) == [s for s, _ in FAITHFUL] and "[3]" not in answer.text
    invented = by_sentence(answer, INVENTED_ID[0])
    assert not invented.kept and invented.support == 0 and "[3]" in (invented.reason or "")
    assert any("1 generated sentence left out" in w for w in answer.warnings)


def test_a_number_its_quotes_do_not_hold_is_left_out(llm, make_engine) -> None:  # type: ignore[no-untyped-def]
    model = llm(reply(as_json(FAITHFUL[0], WRONG_NUMBER, FAITHFUL[1])))
    answer = make_engine(model.url).ask(QUESTION)
    assert kept(answer) == [s for s, _ in FAITHFUL] and "2019" not in answer.text
    wrong = by_sentence(answer, WRONG_NUMBER[0])
    assert not wrong.kept and "'2019'" in (wrong.reason or "")


def test_a_name_its_quotes_do_not_hold_is_left_out(llm, make_engine) -> None:  # type: ignore[no-untyped-def]
    renamed = ("Blinken was due to join a session of the C5+1 group after his meetings with Mongolian officials.", [1])
    model = llm(reply(as_json(*FAITHFUL, renamed)))
    answer = make_engine(model.url).ask(QUESTION)
    assert kept(answer) == [s for s, _ in FAITHFUL]
    assert "'Mongolian'" in (by_sentence(answer, renamed[0]).reason or "")


def test_a_sentence_its_quotes_do_not_support_is_left_out(llm, make_engine) -> None:  # type: ignore[no-untyped-def]
    model = llm(reply(as_json(*FAITHFUL, UNSUPPORTED)))
    answer = make_engine(model.url).ask(QUESTION)
    assert kept(answer) == [s for s, _ in FAITHFUL] and "weather" not in answer.text
    unsupported = by_sentence(answer, UNSUPPORTED[0])
    assert not unsupported.kept and 0 < unsupported.support < min_support(HashEmbedder.model_id)
    assert "support" in (unsupported.reason or "")


def test_too_little_support_falls_back_to_the_quotes(llm, make_engine) -> None:  # type: ignore[no-untyped-def]
    model = llm(reply(as_json(FAITHFUL[0], UNSUPPORTED, WRONG_NUMBER)))
    answer = make_engine(model.url).ask(QUESTION)
    assert_quoted_answer(answer, "its quotes support 1 of its 3 sentences")
    assert answer.generated is not None and len(answer.generated) == 3 and not kept(answer)


@pytest.mark.parametrize(("content", "warning"), [
    ('{"sentences": [{"text": "Blinken was due to join', "not the JSON asked for"),
    ("The C5+1 group brings together Central Asian states.", "not the JSON asked for"),  # a model ignoring the format
    ('{"answer": "The C5+1 group."}', "no list of sentences"),
])
def test_a_reply_that_is_not_the_json_asked_for_gives_the_quotes(llm, make_engine, content: str,  # type: ignore[no-untyped-def]
                                                                   warning: str) -> None:
    model = llm(reply(content))
    assert_quoted_answer(make_engine(model.url).ask(QUESTION), warning)


def test_a_server_refusing_response_format_is_asked_in_the_text_format(llm, make_engine) -> None:  # type: ignore[no-untyped-def]
    text = f"{FAITHFUL[0][0]} [1]\n- {FAITHFUL[1][0][:-1]} [2].\n"

    def no_schema(units: Units, request: dict) -> Reply:
        if "response_format" in request:
            return Reply("response_format is not supported", status=400)
        return Reply(text)

    model = llm(no_schema)
    engine = make_engine(model.url)
    answer = engine.ask(QUESTION)
    assert kept(answer) == [s for s, _ in FAITHFUL] and not answer.warnings
    assert ["response_format" in r for r in model.requests] == [True, False]
    assert "[1]" in model.requests[1]["messages"][0]["content"]  # the text format's rules
    engine.ask(QUESTION)  # remembered: the next question goes straight to the text format
    assert ["response_format" in r for r in model.requests] == [True, False, False]


def test_a_text_reply_without_markers_gives_the_quotes(llm, make_engine) -> None:  # type: ignore[no-untyped-def]
    def no_schema(units: Units, request: dict) -> Reply:
        if "response_format" in request:
            return Reply("unknown field response_format", status=422)
        return Reply("The C5+1 group brings together the United States and five Central Asian republics.")

    answer = make_engine(llm(no_schema).url).ask(QUESTION)
    assert_quoted_answer(answer, "its quotes support 0 of its 1 sentences")
    assert answer.generated and answer.generated[0].reason == "it cites no quote"


def test_a_server_error_gives_the_quotes(llm, make_engine) -> None:  # type: ignore[no-untyped-def]
    model = llm(reply("model 'scripted' not found", status=404))
    assert_quoted_answer(make_engine(model.url).ask(QUESTION), "answered HTTP 404: model 'scripted' not found")


# -- streaming, timeouts, no server --------------------------------------------------------------------------


def test_streamed_sentences_are_checked_as_they_arrive(llm, make_engine) -> None:  # type: ignore[no-untyped-def]
    model = llm(reply(as_json(FAITHFUL[0], UNSUPPORTED, FAITHFUL[1])))
    seen: list[GeneratedSentence] = []
    answer = make_engine(model.url).ask(QUESTION, on_sentence=seen.append)
    assert model.requests[0]["stream"] is True
    assert [g.sentence for g in seen] == [s for s, _ in FAITHFUL]  # the unsupported one was never shown
    assert kept(answer) == [s for s, _ in FAITHFUL]


@pytest.mark.parametrize("drop", [True, False], ids=["connection-dropped", "no-done-event"])
def test_a_stream_cut_midway_gives_the_quotes(llm, make_engine, drop: bool) -> None:  # type: ignore[no-untyped-def]
    content = as_json(*FAITHFUL)
    model = llm(reply(content, cut_after=content.index(FAITHFUL[1][0]) + 20, drop=drop))
    seen: list[GeneratedSentence] = []
    answer = make_engine(model.url).ask(QUESTION, on_sentence=seen.append)
    assert_quoted_answer(answer, "stopped midway")
    assert [g.sentence for g in seen] == [FAITHFUL[0][0]]  # shown while streaming, then replaced by the quotes


def test_a_slow_server_times_out_and_gives_the_quotes(llm, make_engine) -> None:  # type: ignore[no-untyped-def]
    import time

    model = llm(reply(as_json(*FAITHFUL), delay=10))
    engine = make_engine(model.url, llm_timeout=0.5)
    started = time.monotonic()
    answer = engine.ask(QUESTION)
    assert time.monotonic() - started < 3
    assert_quoted_answer(answer, "did not answer within 0.5 s")


def test_no_server_gives_the_quotes(make_engine) -> None:  # type: ignore[no-untyped-def]
    url = closed_port_url()
    assert_quoted_answer(make_engine(url).ask(QUESTION), f"{url}/chat/completions could not be reached")


def test_no_model_set_gives_the_quotes_and_sends_nothing(llm, make_engine) -> None:  # type: ignore[no-untyped-def]
    model = llm(faithful)
    assert_quoted_answer(make_engine(model.url, llm_model=None).ask(QUESTION), "no model is set")
    assert model.requests == []


def test_the_api_key_is_sent_as_a_bearer_token(llm, make_engine) -> None:  # type: ignore[no-untyped-def]
    model = llm(faithful)
    make_engine(model.url, llm_api_key="sk-local").ask(QUESTION)
    assert model.headers[0].get("Authorization") == "Bearer sk-local"


# -- nothing is sent unless asked -------------------------------------------------------------------------


def test_off_by_default_nothing_reaches_the_server(llm, make_engine, corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model = llm(faithful)
    settings = Settings.resolve(corpus, tmp_path / "idx")
    assert settings.generate is False
    engine = make_engine(model.url, generate=settings.generate)
    answer = engine.ask(QUESTION)
    assert answer.generated is None and "generated" not in answer.to_dict()
    assert model.requests == []


def test_an_abstention_is_never_sent(llm, make_engine) -> None:  # type: ignore[no-untyped-def]
    model = llm(faithful)
    answer = make_engine(model.url).ask("What is the tallest mountain in Africa?")
    assert answer.abstained and answer.generated == () and model.requests == []


# -- settings ---------------------------------------------------------------------------------------------


def test_generation_settings_flag_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from index.errors import UsageError

    home = tmp_path / "config"
    (home / "corpus-qa").mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    (home / "corpus-qa" / "config.toml").write_text(
        'generate = true\nllm_base_url = "http://127.0.0.1:8080"\nllm_model = "qwen"\nllm_timeout = 30\n',
        encoding="utf-8")
    s = Settings.resolve()
    assert (s.generate, s.llm_base_url, s.llm_model, s.llm_timeout, s.llm_api_key) == \
        (True, "http://127.0.0.1:8080", "qwen", 30.0, None)
    monkeypatch.setenv("QA_GENERATE", "off")
    monkeypatch.setenv("QA_LLM_API_KEY", "secret")
    s = Settings.resolve()
    assert s.generate is False and s.origins["generate"] == "environment QA_GENERATE"
    assert ("llm_api_key", "(set)", "environment QA_LLM_API_KEY") in s.rows()  # never shown
    assert Settings.resolve(generate=True).generate is True
    monkeypatch.setenv("QA_GENERATE", "maybe")
    with pytest.raises(UsageError, match="QA_GENERATE must be true or false"):
        Settings.resolve()
    monkeypatch.delenv("QA_GENERATE")
    (home / "corpus-qa" / "config.toml").write_text('generate = "yes"\n', encoding="utf-8")
    with pytest.raises(UsageError, match="line 1: generate must be true or false"):
        Settings.resolve()
    (home / "corpus-qa" / "config.toml").write_text("llm_timeout = 0\n", encoding="utf-8")
    with pytest.raises(UsageError, match="llm_timeout"):
        Settings.resolve()


def test_the_endpoint_from_the_base_url() -> None:
    from qa.llm import LLMConfig

    assert LLMConfig("http://h:11434/v1", "m").endpoint == "http://h:11434/v1/chat/completions"
    assert LLMConfig("http://h:8080/", "m").endpoint == "http://h:8080/v1/chat/completions"
    assert LLMConfig("http://h/x/chat/completions", "m").endpoint == "http://h/x/chat/completions"


# -- the front ends -----------------------------------------------------------------------------------------


def run_qa(*args: str, env: dict[str, str]):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from qa.cli import cli

    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_qa_ask_generate_json_and_text(llm, corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model = llm(reply(as_json(*FAITHFUL, UNSUPPORTED)))
    env = {"QA_LLM_BASE_URL": model.url, "QA_LLM_MODEL": "scripted"}
    where = ["--corpus", str(corpus), "--index", str(tmp_path / "idx")]
    plain = run_qa("ask", "--json", QUESTION, *where, env=env)
    assert plain.exit_code == 0 and "generated" not in json.loads(plain.stdout) and model.requests == []
    out = run_qa("ask", "--generate", "--json", QUESTION, *where, env=env)
    assert out.exit_code == 0, out.stderr
    record = json.loads(out.stdout)
    check(record, corpus)  # the schema, with `generated`
    assert record["answer"] == f"{FAITHFUL[0][0]} [1] {FAITHFUL[1][0]} [2]"
    assert [g["kept"] for g in record["generated"]] == [True, True, False]
    assert [c["n"] for c in record["citations"]] == [1, 2] and record["citations"][0]["quote"].startswith("After")
    assert out.stderr.count("warning:") == 1 and "1 generated sentence left out" in out.stderr
    text = run_qa("ask", "--generate", QUESTION, *where, env=env)
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0] == f"{FAITHFUL[0][0]} [1] {FAITHFUL[1][0]} [2]"
    assert lines[2].startswith("[1] blinken.txt:") and "After his meetings" in lines[2]  # the quotes, listed


def test_qa_ask_generate_with_the_server_down_is_one_warning(corpus: Path, tmp_path: Path) -> None:
    env = {"QA_LLM_BASE_URL": closed_port_url(), "QA_LLM_MODEL": "scripted", "QA_GENERATE": "1"}
    out = run_qa("ask", QUESTION, "--corpus", str(corpus), "--index", str(tmp_path / "idx"), env=env)
    assert out.exit_code == 0
    assert out.stdout.startswith("After his meetings with Kazakh officials")
    warnings = [line for line in out.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "could not be reached" in warnings[0] and "Traceback" not in out.stderr
    off = run_qa("ask", "--no-generate", QUESTION, "--corpus", str(corpus), "--index", str(tmp_path / "idx"), env=env)
    assert off.exit_code == 0 and off.stderr == ""  # the flag wins over QA_GENERATE


async def chat_line(pilot, app, line: str) -> None:  # type: ignore[no-untyped-def]
    """Type a line in the chat; for a question, wait for its answer."""
    from textual.widgets import Input

    before = len(app.exchanges)
    app.query_one("#question", Input).value = line
    await pilot.press("enter")
    for _ in range(300):
        await pilot.pause(0.02)
        if line.startswith("/") or len(app.exchanges) > before:
            await pilot.pause()
            return
    raise AssertionError("no answer arrived")


@pytest.mark.asyncio
async def test_chat_toggle_sends_only_while_on(llm, corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tui.app import ChatApp

    model = llm(faithful)

    def factory() -> Engine:
        from index.embedding import HashEmbedder

        settings = replace(Settings.resolve(corpus, tmp_path / "idx"), llm_base_url=model.url, llm_model="scripted")
        return Engine(settings, embedder=HashEmbedder())

    app = ChatApp(factory, llm_label=model.url)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await chat_line(pilot, app, QUESTION)
        assert model.requests == [] and not app.exchanges[-1][1].is_generated
        await pilot.press("ctrl+g")
        assert app.generate and "generated answers" in app.sub_title
        assert any(model.url in n.message for n in app._notifications)  # says where questions now go
        await chat_line(pilot, app, QUESTION)
        answer = app.exchanges[-1][1]
        assert answer.is_generated and answer.text.startswith(FAITHFUL[0][0])
        assert len(model.requests) == 1 and model.requests[0]["stream"] is True  # streamed in the chat
        assert app.query(".generated-note") and not app.query(".draft")
        await chat_line(pilot, app, "/generate off")
        assert not app.generate and "generated answers" not in app.sub_title
        await chat_line(pilot, app, "/generate")
        assert app.generate
        await chat_line(pilot, app, "/generate")
        await chat_line(pilot, app, QUESTION)
        assert len(model.requests) == 1 and not app.exchanges[-1][1].is_generated
        await chat_line(pilot, app, "/generate maybe")
        assert any("/generate takes on or off" in n.message for n in app._notifications)


@pytest.mark.asyncio
async def test_mcp_ask_generate_argument(llm, corpus: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_mcp import call, mcp_session

    model = llm(faithful)
    monkeypatch.setenv("QA_LLM_BASE_URL", model.url)  # the server's own settings (a subprocess)
    monkeypatch.setenv("QA_LLM_MODEL", "scripted")
    async with mcp_session(corpus, tmp_path / "idx", "--no-watch") as session:
        plain = await call(session, "ask", question=QUESTION)
        assert "generated" not in plain and model.requests == []
        answer = await call(session, "ask", question=QUESTION, generate=True)
    assert answer["answer"] == f"{FAITHFUL[0][0]} [1] {FAITHFUL[1][0]} [2]"
    assert [g["citations"] for g in answer["generated"]] == [[1], [2]]
    assert answer["citations"] == plain["citations"] and len(model.requests) == 1


def test_brackets_quoted_from_the_evidence_are_not_citations() -> None:
    """"[0,53]" in a sentence is a range it quotes, not a citation of quotes 0 and 53; only brackets giving
    evidence ids, or ending a line of the text format, are markers."""
    from qa.generate import parse_json, parse_text

    week = "Week number of the year as a decimal number [0,53]."
    assert parse_json(as_json((week, [2]), ("Days are counted from 1 [1].", [])), {1, 2}) == \
        [(week, [2]), ("Days are counted from 1.", [1])]
    assert parse_text(f"{week} [2]\nIt counts from 1 [1].\nUnsure [7]\nNo marker at all.", {1, 2}) == \
        [(week, [2]), ("It counts from 1.", [1]), ("Unsure", [7]), ("No marker at all.", [])]


def test_replies_as_models_write_them() -> None:
    """Reasoning before the answer (`<think>...</think>`), fenced JSON and ids written as strings are read;
    ids that are neither are a malformed reply."""
    from qa.generate import Malformed, parse_json, parse_text

    fenced = "<think>The evidence says...</think>\n```json\n" + as_json((FAITHFUL[0][0], [1])) + "\n```"
    assert parse_json(fenced, {1, 2}) == [(FAITHFUL[0][0], [1])]
    assert parse_json('{"sentences": [{"text": "A b c.", "citations": ["2"]}]}', {1, 2}) == [("A b c.", [2])]
    with pytest.raises(Malformed):
        parse_json('{"sentences": [{"text": "A b c.", "citations": ["two"]}]}', {1, 2})
    assert parse_text("<think>\nhmm [1]\n</think>\nA b c. [1]", {1}) == [("A b c.", [1])]
