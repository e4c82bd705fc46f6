"""`qa mcp`: the MCP server, driven by the SDK's own client.

The tools are tested through the SDK's in-memory transport, on the server `qa mcp` builds (hash embedder, a
temporary corpus and index), talking to it as an assistant's client would: tools listed, questions asked,
quotes checked with `read`, bad input refused while the server stays up, 50 questions at once. What is about
the process (the installed command over stdio, stdout holding only the protocol, stdin EOF, Ctrl+C, HTTP) runs
`qa mcp` itself.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from qa.mcp_server import EngineLoader
from tests.conftest import clean_env, popen_interruptible, qa_command

QUESTIONS = {
    "Where is Mount Etna volcano?": "notes/volcanoes.md",
    "What is green tea made from?": "notes/tea.rst",
    "What is the C5+1 group?": "blinken.txt",
    "What destroyed Pompeii?": "notes/volcanoes.md",
}


@asynccontextmanager
async def mcp_server(corpus: Path, index: Path, *extra: str) -> AsyncIterator[tuple[ClientSession, EngineLoader]]:
    """The server `qa mcp --corpus CORPUS --index INDEX EXTRA` builds (its settings, its engine loader and
    tools), connected to the SDK's client through the SDK's in-memory transport, in this process: the
    session, and the loader behind it."""
    from mcp import Client

    from qa.config import Settings
    from qa.mcp_server import EngineLoader, build_server

    where = extra[extra.index("--where") + 1] if "--where" in extra else None
    loader = EngineLoader(Settings.resolve(corpus, index, where=where), progress=lambda event: None,
                          watch="--no-watch" not in extra)
    loader.start()
    try:
        async with Client(build_server(loader)) as client:
            yield client.session, loader
    finally:
        loader.close()


@asynccontextmanager
async def mcp_session(corpus: Path, index: Path, *extra: str, process: bool = False) -> AsyncIterator[ClientSession]:
    """A client session with the server: in this process (`mcp_server`), or with `process` the installed
    `qa mcp` over stdio, as an assistant starts it."""
    if not process:
        async with mcp_server(corpus, index, *extra) as (session, _loader):
            yield session
        return
    command, *args = qa_command()
    params = StdioServerParameters(command=command, args=[*args, "mcp", "--corpus", str(corpus), "--index",
                                                          str(index), *extra], env=clean_env())
    with open(index.parent / "mcp-stderr.log", "a", encoding="utf-8") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            yield session


async def call(session: ClientSession, tool: str, **arguments: Any) -> Any:
    """A successful call's result: the JSON object (ask, search, list_documents) or the text (read)."""
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    text = result.content[0].text if result.content else ""
    if tool == "read":
        return text
    assert json.loads(text) == result.structured_content, "text and structured content disagree"
    return result.structured_content


async def error(session: ClientSession, tool: str, **arguments: Any) -> str:
    """A refused call's one-line message."""
    result = await session.call_tool(tool, arguments)
    assert result.is_error, result
    message = result.content[0].text
    assert "\n" not in message and "Traceback" not in message, message
    return message


@pytest.mark.asyncio
async def test_tools_and_ask_is_the_qa_ask_json_object(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "idx"
    async with mcp_session(corpus, index, process=True) as session:  # the installed command, over stdio
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) == {"ask", "search", "read", "list_documents"}
        assert "verbatim" in tools["ask"].description and "p. 12" in tools["ask"].description
        assert all(t.annotations and t.annotations.read_only_hint for t in tools.values())
        assert set(tools["ask"].input_schema["properties"]) == {"question", "top_k", "where", "generate"}
        assert tools["ask"].input_schema["required"] == ["question"]
        answer = await call(session, "ask", question="What is the C5+1 group?")
    cli = subprocess.run([*qa_command(), "ask", "--json", "What is the C5+1 group?", "--corpus", str(corpus),
                          "--index", str(index)], capture_output=True, text=True, env=clean_env(), timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert answer == json.loads(cli.stdout)
    assert not answer["abstained"] and answer["citations"][0]["source"] == "blinken.txt"
    assert "C5+1" in answer["answer"] and answer["passages"]
    assert 0 < answer["confidence"] <= 1 and answer["citations"][0]["kind"] == "sentence"


@pytest.mark.asyncio
async def test_where_scopes_answers_search_and_listing(corpus: Path, tmp_path: Path) -> None:
    async with mcp_session(corpus, tmp_path / "idx") as session:
        everywhere = await call(session, "ask", question="Who was in Astana on Tuesday?")
        assert everywhere["citations"][0]["source"] == "blinken.txt"
        scoped = await call(session, "ask", question="Who was in Astana on Tuesday?", where="path:notes/**")
        assert {p["source"] for p in scoped["passages"]} <= {"notes/volcanoes.md", "notes/tea.rst"}
        assert all(c["source"].startswith("notes/") for c in scoped["citations"])

        nothing = await call(session, "ask", question="Where is Mount Etna volcano?", where="path:nowhere/**")
        assert nothing["abstained"] and "No documents match" in nothing["answer"] and not nothing["citations"]

        found = await call(session, "search", query="volcano Sicily", top_k=2)
        assert len(found["passages"]) == 2 and found["passages"][0]["source"] == "notes/volcanoes.md"
        assert set(found["passages"][0]) == {"rank", "source", "start", "end", "text", "score", "line", "page",
                                             "page_label", "format", "anchor", "paragraph", "row", "sheet",
                                             "slide", "cell", "section_path", "ocr"}
        assert (await call(session, "search", query="volcano", where="format:rst"))["passages"][0]["source"] \
            == "notes/tea.rst"
        empty = await call(session, "search", query="volcano", where="path:nowhere/**")
        assert empty["passages"] == [] and "No documents match" in empty["warnings"][0]

        listing = await call(session, "list_documents")
        assert [d["source"] for d in listing["documents"]] == ["blinken.txt", "notes/tea.rst", "notes/volcanoes.md"]
        blinken = listing["documents"][0]
        assert blinken["date"] == "2023-02-28" and blinken["format"] == "txt" and blinken["pages"] == 0
        assert blinken["chars"] == len((corpus / "blinken.txt").read_text(encoding="utf-8"))
        assert listing["documents"][2]["title"] == "Volcanoes" and listing["total"] == 3
        md = await call(session, "list_documents", where="format:md")
        assert [d["source"] for d in md["documents"]] == ["notes/volcanoes.md"] and md["total"] == 1
        assert (await call(session, "list_documents", limit=1))["truncated"] is True

        assert "unknown condition" in await error(session, "ask", question="Where is Etna?", where="colour:red")
        assert "not a date" in await error(session, "list_documents", where="since:yesterday")


@pytest.mark.asyncio
async def test_server_where_is_the_default_scope(corpus: Path, tmp_path: Path) -> None:
    async with mcp_session(corpus, tmp_path / "idx", "--where", "path:notes/**") as session:
        scoped = await call(session, "ask", question="Who was in Astana on Tuesday?")
        assert {p["source"] for p in scoped["passages"]} <= {"notes/volcanoes.md", "notes/tea.rst"}
        assert (await call(session, "list_documents"))["total"] == 2
        # A call's own filter replaces the server's, as a `qa batch` line's does.
        own = await call(session, "ask", question="Who was in Astana on Tuesday?", where="path:*.txt")
        assert own["citations"][0]["source"] == "blinken.txt"


@pytest.mark.asyncio
async def test_read_returns_every_quote_and_refuses_what_is_not_indexed(corpus: Path, tmp_path: Path) -> None:
    (corpus / ".secret.txt").write_text("A hidden file: never indexed.", encoding="utf-8")
    (corpus / "lava.html").write_text("<html><head><title>Lava</title></head><body><h1>Lava</h1><p>Basalt lava "
                                      "flows are runny &amp; fast.</p></body></html>", encoding="utf-8")
    async with mcp_session(corpus, tmp_path / "idx") as session:
        checked = 0
        for question in QUESTIONS:
            answer = await call(session, "ask", question=question)
            for c in answer["citations"]:
                assert await call(session, "read", source=c["source"], start=c["start"], end=c["end"]) == c["quote"]
                checked += 1
            for p in answer["passages"]:
                assert await call(session, "read", source=p["source"], start=p["start"], end=p["end"]) == p["text"]
        assert checked >= len(QUESTIONS)

        whole = await call(session, "read", source="notes/volcanoes.md")
        assert whole == (corpus / "notes" / "volcanoes.md").read_text(encoding="utf-8")
        assert await call(session, "read", source="notes/volcanoes.md", start=2, end=11) == "Volcanoes"
        assert await call(session, "read", source="notes/volcanoes.md", start=len(whole)) == ""
        for source in ("blinken.txt", "lava.html"):  # a file as it is; the text extracted from HTML
            cli = subprocess.run([*qa_command(), "text", source, "--corpus", str(corpus), "--index",
                                  str(tmp_path / "idx")], capture_output=True, env=clean_env(), timeout=60)
            assert (await call(session, "read", source=source)).encode("utf-8") == cli.stdout, cli.stderr
        lava = await call(session, "ask", question="What are basalt lava flows like?")
        c = lava["citations"][0]
        assert c["source"] == "lava.html" and "&amp;" not in c["quote"]
        assert await call(session, "read", source="lava.html", start=c["start"], end=c["end"]) == c["quote"]

        for source in ("../../etc/passwd", "/etc/passwd", ".secret.txt", str(corpus / "blinken.txt"),
                       "notes/../blinken.txt", "missing.txt"):
            assert "is not in the index" in await error(session, "read", source=source), source
        assert "not inside" in await error(session, "read", source="blinken.txt", start=5, end=2)
        assert "not inside" in await error(session, "read", source="blinken.txt", start=-1)
        assert "not inside" in await error(session, "read", source="blinken.txt", end=len(whole) * 100)


@pytest.mark.asyncio
async def test_bad_input_is_a_tool_error_and_the_server_stays_up(corpus: Path, tmp_path: Path) -> None:
    async with mcp_session(corpus, tmp_path / "idx") as session:
        assert "empty" in await error(session, "ask", question="")
        assert "empty" in await error(session, "ask", question="   \n ")
        assert "empty" in await error(session, "search", query="")
        assert "between 1 and 100" in await error(session, "ask", question="Where is Etna?", top_k=0)
        assert "between 1 and 100" in await error(session, "search", query="Etna", top_k=101)
        assert "between 1 and 10000" in await error(session, "list_documents", limit=0)
        answer = await call(session, "ask", question="Where is Mount Etna volcano?", top_k=1)
        assert answer["citations"][0]["source"] == "notes/volcanoes.md" and len(answer["passages"]) == 1


@pytest.mark.asyncio
async def test_fifty_concurrent_questions_are_all_answered_right(corpus: Path, tmp_path: Path) -> None:
    async with mcp_session(corpus, tmp_path / "idx") as session:
        alone = {q: await call(session, "ask", question=q) for q in QUESTIONS}
        questions = [list(QUESTIONS)[i % len(QUESTIONS)] for i in range(50)]
        answers = await asyncio.wait_for(asyncio.gather(*(call(session, "ask", question=q) for q in questions)), 60)
    for question, answer in zip(questions, answers, strict=True):
        assert answer == alone[question]
        assert answer["question"] == question and answer["citations"][0]["source"] == QUESTIONS[question]


@pytest.mark.asyncio
async def test_a_failed_load_is_a_tool_error_and_the_next_call_loads_again(tmp_path: Path) -> None:
    corpus = tmp_path / "empty"
    corpus.mkdir()
    async with mcp_session(corpus, tmp_path / "idx") as session:
        assert "no indexable documents" in await error(session, "ask", question="Where is Mount Etna volcano?")
        (corpus / "etna.txt").write_text("Mount Etna is an active volcano on the island of Sicily.", encoding="utf-8")
        answer = await call(session, "ask", question="Where is Mount Etna volcano?")
        assert answer["citations"][0]["source"] == "etna.txt"


def test_stdout_is_only_the_protocol_and_stdin_eof_ends_the_server(corpus: Path, tmp_path: Path) -> None:
    """Raw JSON-RPC: every line on stdout is a protocol message (the build's progress goes to stderr), and
    closing stdin, as a client does to stop a stdio server, ends it with exit 0."""
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "ask", "arguments": {"question": "Where is Mount Etna volcano?"}}},
    ]
    server = subprocess.Popen([*qa_command(), "mcp", "--corpus", str(corpus), "--index", str(tmp_path / "idx")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=clean_env())
    try:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
        server.stdin.flush()
        replies = [json.loads(server.stdout.readline()) for _ in range(2)]
        server.stdin.close()
        server.stdin = None  # closed: communicate() must not flush it
        rest, stderr = server.communicate(timeout=30)
    finally:
        server.kill()
    assert server.returncode == 0, stderr
    assert rest == "" and [r["id"] for r in replies] == [1, 2] and all(r["jsonrpc"] == "2.0" for r in replies)
    answer = json.loads(replies[1]["result"]["content"][0]["text"])
    assert answer["citations"][0]["source"] == "notes/volcanoes.md"
    assert "embedding" in stderr and "ready" in stderr and "Traceback" not in stderr


def test_ctrl_c_stops_the_server_like_every_command(corpus: Path, tmp_path: Path) -> None:
    server = popen_interruptible([*qa_command(), "mcp", "--corpus", str(corpus), "--index", str(tmp_path / "idx")],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=clean_env())
    try:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}) + "\n")
        server.stdin.flush()
        assert json.loads(server.stdout.readline())["id"] == 1  # serving
        server.send_signal(signal.SIGINT)
        _out, stderr = server.communicate(timeout=30)
    finally:
        server.kill()
    assert server.returncode == 130 and stderr.rstrip().endswith("interrupted") and "Traceback" not in stderr


@pytest.mark.asyncio
async def test_http_serves_the_same_tools_on_localhost(corpus: Path, tmp_path: Path) -> None:
    """With the bearer token the server wrote beside the index (tests/test_adversarial.py: without it, 401)."""
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = popen_interruptible([*qa_command(), "mcp", "--corpus", str(corpus), "--index", str(tmp_path / "idx"),
                                  "--http", str(port)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=clean_env())
    try:
        for _ in range(100):  # until it listens
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            await asyncio.sleep(0.1)
        token = (tmp_path / "idx" / "mcp-token").read_text(encoding="utf-8").strip()
        http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
        url = f"http://127.0.0.1:{port}/mcp"
        async with http, streamable_http_client(url, http_client=http) as (read, write, *_), \
                ClientSession(read, write) as session:
            await session.initialize()
            answer = await call(session, "ask", question="Where is Mount Etna volcano?")
            c = answer["citations"][0]
            assert await call(session, "read", source=c["source"], start=c["start"], end=c["end"]) == c["quote"]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            out, _err = server.communicate(timeout=30)
        finally:
            server.kill()
    assert out == b""


def test_a_missing_corpus_fails_at_start(tmp_path: Path) -> None:
    run = subprocess.run([*qa_command(), "mcp", "--corpus", str(tmp_path / "nope")], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, env=clean_env(), timeout=60)
    assert run.returncode == 3 and "does not exist" in run.stderr and run.stdout == ""


def test_the_sdk_is_imported_only_by_qa_mcp() -> None:
    code = ("import sys, qa.cli, qa.engine; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mcp', 'pydantic')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


@pytest.mark.asyncio
async def test_the_server_watches_the_corpus_by_default(corpus: Path, tmp_path: Path) -> None:
    """A file saved while the server runs is answered from, without a restart (`--no-watch` turns it off)."""
    question = "Which river flows through Cairo?"
    async with mcp_session(corpus, tmp_path / "idx") as session:
        before = await call(session, "ask", question=question)
        assert all(c["source"] != "nile.txt" for c in before["citations"])
        (corpus / "nile.txt").write_text("The Nile is the river that flows through Cairo, in Egypt.\n",
                                         encoding="utf-8")
        for _ in range(150):  # up to 15 s
            await asyncio.sleep(0.1)
            after = await call(session, "ask", question=question)
            if after["citations"] and after["citations"][0]["source"] == "nile.txt":
                break
        else:
            raise AssertionError(f"the new file was never cited: {after}")
        listed = await call(session, "list_documents")
        assert "nile.txt" in [d["source"] for d in listed["documents"]]


@pytest.mark.asyncio
async def test_no_watch_keeps_the_index_as_it_was_loaded(corpus: Path, tmp_path: Path) -> None:
    async with mcp_server(corpus, tmp_path / "idx", "--no-watch") as (session, loader):
        await call(session, "ask", question="Where is Mount Etna volcano?")
        assert loader._watcher is None  # loaded, and nothing watches the folder
        (corpus / "nile.txt").write_text("The Nile is the river that flows through Cairo, in Egypt.\n",
                                         encoding="utf-8")
        listed = await call(session, "list_documents")
        assert "nile.txt" not in [d["source"] for d in listed["documents"]]
    async with mcp_server(corpus, tmp_path / "idx") as (session, loader):  # the default: watched
        await call(session, "ask", question="Where is Mount Etna volcano?")
        assert loader._watcher is not None and loader._watcher.ready.wait(10)


def _open_objects(schema: Any, path: str = "") -> list[str]:
    """Where a JSON schema lets an object hold properties it does not name."""
    found = []
    if isinstance(schema, dict):
        if schema.get("additionalProperties") not in (None, False):
            found.append(path or "/")
        if schema.get("type") == "object" and "properties" not in schema and "$ref" not in schema:
            found.append(path or "/")
        for key, value in schema.items():
            found += _open_objects(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            found += _open_objects(value, f"{path}/{i}")
    return found


def _properties(schema: dict, name: str) -> set[str]:  # type: ignore[type-arg]
    return set(schema["$defs"][name]["properties"])


@pytest.mark.asyncio
async def test_every_tool_has_a_typed_output_schema_naming_every_field(corpus: Path, tmp_path: Path) -> None:
    async with mcp_session(corpus, tmp_path / "idx") as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) == {"ask", "search", "read", "list_documents"}
        for name, tool in tools.items():
            assert tool.output_schema is not None, f"{name} has no output schema"
            assert not _open_objects(tool.output_schema), (name, _open_objects(tool.output_schema))
        answer = await call(session, "ask", question="Where is Mount Etna volcano?")
        ask_schema = tools["ask"].output_schema
        assert set(answer) <= set(ask_schema["properties"])
        assert set(answer["citations"][0]) == _properties(ask_schema, "CitationResult")
        assert set(answer["passages"][0]) == _properties(ask_schema, "PassageResult")
        listed = await call(session, "list_documents")
        assert set(listed["documents"][0]) == _properties(tools["list_documents"].output_schema, "DocumentEntry")
        c = answer["citations"][0]
        result = await session.call_tool("read", {"source": c["source"], "start": c["start"], "end": c["end"]})
        assert result.content[0].text == c["quote"] and result.structured_content == {"result": c["quote"]}


@pytest.mark.asyncio
async def test_a_call_waiting_for_the_first_build_gets_progress_notifications(tmp_path: Path) -> None:
    """A client that sends a progress token is told how the first build goes while its call waits for it
    (2,000 files: the build takes seconds, the call comes at once)."""
    corpus = tmp_path / "big"
    corpus.mkdir()
    for i in range(2000):
        (corpus / f"note-{i:04d}.txt").write_text(f"Note {i} records that shipment {i} reached port {i % 37}.\n",
                                                   encoding="utf-8")
    (corpus / "etna.md").write_text("Mount Etna is an active volcano on the island of Sicily.\n", encoding="utf-8")
    seen: list[tuple[float, float | None, str | None]] = []

    async def progress(value: float, total: float | None, message: str | None) -> None:
        seen.append((value, total, message))

    async with mcp_session(corpus, tmp_path / "idx") as session:
        result = await session.call_tool("ask", {"question": "Where is Mount Etna volcano?"},
                                         progress_callback=progress)
        assert not result.is_error, result.content
        assert result.structured_content["citations"][0]["source"] == "etna.md"
    assert seen, "no progress notification while the first build ran"
    assert any(m and m.startswith("Building the index: ") for _v, _t, m in seen), seen
    values = [v for v, _t, _m in seen]
    assert values == sorted(values), "progress went backwards"
