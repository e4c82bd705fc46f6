"""`qa mcp`: the corpus as a Model Context Protocol server, so an assistant can ask it, search it and check
its quotes.

Four read-only tools over one shared Engine: `ask` (the `qa ask --json` object), `search` (ranked passages),
`read` (a document's stored text, or a span of it: what every citation's start/end index) and
`list_documents`. The engine (model and index) is loaded once, in the background from the start; calls
made meanwhile wait for it. Tool calls run in worker threads (the SDK runs synchronous tools there), which
the Engine allows: questions share its read lock, and a re-index swaps the index in under its write lock.

Only `qa mcp` imports this module, and the MCP SDK (with pydantic) is imported inside the functions that
build and run the server, so neither `qa ask` nor importing this module pays for it. The module is written
without postponed annotations: the tools' `Annotated[..., Field(...)]` parameters are evaluated where
they are defined, inside `build_server`, after the SDK is imported there.

Nothing here writes to stdout: on stdio it is the protocol's (the SDK points file descriptor 1 at stderr
while it serves, so a library's stray print cannot corrupt it); progress goes to stderr.
"""

import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, cast

from index.errors import QAError
from qa import __version__
from qa.config import MAX_TOP_K
from qa.display import has_surrogates, terminal_safe

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from qa.config import Settings
    from qa.engine import Engine
    from qa.mcp_schema import DocumentEntry, DocumentList
    from qa.watch import CorpusWatcher

INSTRUCTIONS = """\
Answers questions from a fixed folder of documents (a corpus), quoting it verbatim. Use `ask` for a question, \
`search` for the most relevant passages, `read` to check a quote or read around it, `list_documents` to see \
what the corpus holds. Every quote is copied character for character from the stored document text: \
read(source, start, end) returns exactly that quote. Cite a quote by its source and page (PDF, EPUB) or \
line, e.g. "report.pdf p. 12" or "notes/visit.txt:5", and quote its words unchanged. When `ask` abstains, \
the documents do not answer the question: say so rather than guess.\
"""

WHERE_HELP = (
    "Optional filter on the documents, conditions AND-ed: path:GLOB (relative to the corpus; * within a folder, "
    "** across folders), since:YYYY-MM-DD, until:YYYY-MM-DD, format:pdf (txt, md, rst, pdf, html, docx, epub; "
    'comma list), title:WORDS. E.g. "path:reports/** since:2023-01-01". Replaces the server\'s own --where, '
    "if it has one."
)

ASK_HELP = """\
Answer a question from the corpus, with verified verbatim citations, or abstain.

Returns the JSON object of `qa ask --json`: `answer` (the quoted sentences with [n] markers), `abstained` \
(true when the documents do not answer the question: then say so, do not guess; `passages` still shows the \
closest text; `unmentioned` lists terms of the question the documents never mention), `short_answer` (a name, \
date, place, number, API name or value, when the question asks for one), `confidence` (0 to 1: how likely \
what it says is right; below 0.5, verify before relying on it), `citations` (n, source, page, page_label, \
line, start, end, quote, kind: sentence, code, row, term or header; a row's `header` holds its table's \
header row), `passages` and `warnings`. Show code quotes as code blocks.

With `generate` true (default: the server's setting, off unless configured), a language model on the \
server's machine also writes the answer from the quotes: `answer` is then its sentences with [n] markers, \
and `generated` lists each sentence with the quote ids it cites, its `support` (0 to 1) and whether it was \
`kept`; a sentence its quotes do not support is left out, and when too little is supported (or the model \
server fails) `answer` is the quotes, with a warning. The quotes in `citations` are the evidence either way.

Every `quote` is the exact text of the document between character offsets `start` and `end` \
(read(source, start, end) == quote), checked before it is returned. Cite it as source and page for PDF/EPUB \
("report.pdf p. 12", using page_label when given) or source and line otherwise ("notes.txt:5"), and quote it \
unchanged.\
"""

GENERATE_HELP = (
    "Also have the language model configured for this server (llm_base_url, llm_model) write the answer from "
    "the quotes, every sentence checked against the quotes it cites. Default: the server's setting (off "
    "unless configured)."
)

SEARCH_HELP = """\
Find the passages of the corpus most relevant to a query, best first, without composing an answer.

Returns {"query", "passages": [{rank, source, start, end, text, score, line, page, page_label, format}], \
"warnings"}. Each passage's `text` is the exact document text between `start` and `end` \
(read(source, start, end) == text); cite it by source and page or line as for `ask`.\
"""

READ_HELP = """\
The stored text of one indexed document, exactly the text that citations' start/end offsets point into \
(what `qa text SOURCE` prints). With `start` and/or `end`, only the characters [start, end) (0-based \
character offsets; `end` defaults to the end of the text). For every citation, read(source, start, end) \
returns exactly its quote: use it to check a quote or to read around it (e.g. start - 500 to end + 500). \
Whole documents can be long: prefer a span. `source` is a path relative to the corpus as citations and \
list_documents give it; only indexed documents can be read.\
"""

LIST_HELP = """\
The documents in the index, by source: {"documents": [{source, title, date, format, pages, chars}], \
"total", "truncated"}. `pages` counts PDF pages or EPUB chapters (0 for unpaged formats); `chars` is the \
length of the stored text, so read(source, 0, chars) is the whole document.\
"""

Progress = Callable[[object], None]
"""Receives the engine's preparation events (build progress, notices) to show on stderr."""


class EngineLoader:
    """The server's one Engine, prepared in a background thread from the start; tool calls wait for it.

    A failed load (a damaged index, a model that does not load) is reported to the calls that waited for
    it, and the next call tries again, so fixing the cause does not need a restart.
    """

    def __init__(self, settings: "Settings", progress: Progress, watch: bool = False):
        self.settings = settings
        self.progress = progress
        self.watch = watch
        """Keep the index current while serving (qa/watch.py): on by default for `qa mcp`."""
        self._watcher: CorpusWatcher | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._engine: Engine | None = None
        self._error: BaseException | None = None
        self.status: tuple[float, str] = (0.0, "Loading the index and the model…")
        """(progress, message) of the load in progress: a number that only grows (items done over all of the
        build's stages) and what is happening, for the MCP progress notifications of calls that wait."""
        self._stages: dict[str, tuple[float, int]] = {}

    def start(self) -> None:
        """Start loading, unless a load is under way or done."""
        with self._lock:
            if self._engine is not None or (self._thread is not None and not self._done.is_set()):
                return
            self._done.clear()
            self._error = None
            # A daemon thread: a client that disconnects during a first build must not keep the process alive
            # (a build cut short leaves the previous index usable).
            self._thread = threading.Thread(target=self._load, name="qa-mcp-load", daemon=True)
            self._thread.start()

    @property
    def loading(self) -> bool:
        """A load is still running (the process must not wait for it at exit)."""
        return self._thread is not None and self._thread.is_alive()

    def _load(self) -> None:
        from qa.engine import Engine

        engine = None
        try:
            engine = Engine(self.settings)
            for event in engine.prepare():
                self.progress(event)
                self._note(event)
            documents, chunks = engine.stats()
            print(f"qa mcp: ready, {documents} documents, {chunks} chunks", file=sys.stderr, flush=True)
        except BaseException as exc:  # noqa: BLE001 - handed to every waiting call, which reports it
            if engine is not None:
                engine.close()
            engine = None
            self._error = exc
            print(f"qa mcp: could not load the index or the model: {terminal_safe(str(exc))}", file=sys.stderr,
                  flush=True)
        with self._lock:
            self._engine = engine
            self._done.set()
        if engine is not None and self.watch:
            self._start_watching(engine)

    def _note(self, event: object) -> None:
        """Keep the load's progress as one growing number and a line: each stage (reading, OCR, embedding,
        writing) counts from where the stages before it ended."""
        from index.build import BuildEvent
        from index.build import Progress as BuildProgress
        from qa.events import describe

        progress, message = self.status
        if isinstance(event, BuildProgress):
            base, _last = self._stages.get(event.stage, (progress, 0))
            self._stages[event.stage] = (base, event.done)
            progress = max(progress, base + event.done)
            unit = {"reading": "files", "ocr": "pages", "embedding": "chunks"}.get(event.stage, "steps")
            message = f"Building the index: {event.stage} {event.done}/{event.total} {unit}"
        else:
            message = describe(cast(BuildEvent, event))[0]
        self.status = (progress, message)

    async def ready(self, ctx: Any = None) -> "Engine":
        """The engine, awaited without holding a worker thread; meanwhile, calls that asked for progress (a
        progress token) are sent a notification whenever the load moves on (a first build can take
        minutes)."""
        import anyio

        self.start()
        sent: tuple[float, str] | None = None
        while not self._done.is_set():
            if ctx is not None and self.status != sent:
                sent = self.status
                try:
                    await ctx.report_progress(sent[0], None, sent[1])
                except Exception:  # noqa: BLE001 - a notification that cannot be sent must not fail the call
                    ctx = None
            await anyio.sleep(0.2)
        return await anyio.to_thread.run_sync(self.get)

    def _start_watching(self, engine: "Engine") -> None:
        """Re-index on every change under the corpus, debounced; questions keep being answered from the
        previous index meanwhile (Engine's lock). Updates and problems are reported on stderr."""
        from qa.watch import CorpusWatcher, WatchProblem, WatchUpdate

        def on_update(update: WatchUpdate) -> None:
            print(f"qa mcp: index updated: {update.describe()}", file=sys.stderr, flush=True)

        def on_problem(problem: WatchProblem) -> None:
            print(f"qa mcp: {terminal_safe(problem.message)}", file=sys.stderr, flush=True)

        self._watcher = CorpusWatcher(engine, on_update=on_update, on_problem=on_problem)
        self._watcher.start()

    def get(self) -> "Engine":
        """The prepared engine, waiting for the load; raises the load's error (the next call loads again)."""
        while True:
            self.start()  # after a failed load: try again, the cause may have been fixed
            self._done.wait()
            with self._lock:
                if self._engine is not None:
                    return self._engine
                if self._done.is_set():  # else another call started a new attempt meanwhile: wait for that one
                    error = self._error
                    break
        if isinstance(error, QAError):
            raise _tool_error(str(error))
        detail = " ".join(f"{error.__class__.__name__}: {error}".split())[:300]  # one line for the model
        raise _tool_error(f"The index or the model could not be loaded ({detail}).")

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
        with self._lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()


def _check_top_k(top_k: int | None) -> None:
    if top_k is not None and not 1 <= top_k <= MAX_TOP_K:
        raise _tool_error(f"top_k must be between 1 and {MAX_TOP_K} (got {top_k}).")


def _check_text(name: str, value: str) -> None:
    if not value.strip():
        raise _tool_error(f"The {name} is empty: ask something, e.g. \"Who visited Astana?\"")


def _usage(call: Callable[[], Any]) -> Any:
    """Run an engine call, turning its user-facing errors (a bad filter, a damaged index) into tool errors."""
    try:
        return call()
    except QAError as error:
        raise _tool_error(str(error)) from None


def _tool_error(message: str) -> Exception:
    """The SDK's ToolError: the client gets `message` as the call's error result, and the server goes on."""
    from mcp.server.mcpserver.exceptions import ToolError

    return ToolError(message)


def _server_class() -> type["MCPServer"]:
    """The SDK's server, with argument validation errors in one line (pydantic's are several, with a URL), and
    a stdio transport that answers every line (`CheckedLines`)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from pydantic import ValidationError

    class Server(MCPServer):
        async def run_checked_stdio_async(self) -> None:
            """`run_stdio_async`, with stdin's lines checked first (`CheckedLines`); the SDK's own method takes
            no stdin, so this is it, passing one."""
            import io

            import anyio
            from mcp.server.stdio import stdio_server

            stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
            lines = CheckedLines(anyio.wrap_file(stdin))
            try:
                async with stdio_server(stdin=lines) as (read_stream, write_stream):  # type: ignore[arg-type]
                    lines.reply = write_stream.send
                    await self._lowlevel_server.run(read_stream, write_stream,
                                                    self._lowlevel_server.create_initialization_options())
            finally:
                stdin.detach()  # sys.stdin's buffer is not ours to close

        async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
            try:
                return await super().call_tool(name, arguments, context)
            except ToolError as exc:
                if not isinstance(exc.__cause__, ValidationError):
                    raise
                problems = "; ".join(f"{'.'.join(str(part) for part in error['loc']) or 'arguments'}: {error['msg']}"
                                     for error in exc.__cause__.errors(include_url=False))
                raise ToolError(f"Invalid arguments for {name}: {' '.join(problems.split())}") from exc.__cause__

    return Server


def _read_span(engine: Any, source: str, start: int | None, end: int | None) -> str:
    """`read`: a document's stored text, or a span of it. Looked up in the index by name only: a path from the
    client is never opened, so "../x" or a file of the corpus folder that is not indexed cannot be read."""
    text = None if has_surrogates(source) else _usage(lambda: engine.document_text(source))
    if text is None:
        raise _tool_error(f"{source!r} is not in the index: give a source as citations or list_documents show "
                          "it (a path relative to the corpus folder).")
    first = 0 if start is None else start
    last = len(text) if end is None else end
    if not 0 <= first <= last <= len(text):
        raise _tool_error(f"The span [{first}, {last}) is not inside {source!r}, which has {len(text)} "
                          "characters: need 0 <= start <= end <= length.")
    return str(text[first:last])


def _listing(documents: list[Any], limit: int) -> "DocumentList":
    """`list_documents`: the first `limit` documents, with how many there are in all."""
    listed: list[DocumentEntry] = [{"source": d.source, "title": d.title, "date": d.date, "format": d.format,
                                    "pages": d.pages, "chars": d.chars} for d in documents[:limit]]
    return {"documents": listed, "total": len(documents), "truncated": len(documents) > limit}


async def in_thread(work: Callable[[], Any]) -> Any:
    """Run blocking engine work in a worker thread (as the SDK runs synchronous tools), so the server keeps
    answering meanwhile."""
    import anyio

    return await anyio.to_thread.run_sync(work)


def build_server(loader: EngineLoader) -> "MCPServer":
    """The MCP server and its four tools, over `loader`'s engine. Every tool has a typed output schema
    (qa/mcp_schema.py; `read`'s is {"result": text}, its text content the stored text itself)."""
    from mcp.server.mcpserver import Context
    from mcp.types import ToolAnnotations
    from pydantic import Field

    from qa.mcp_schema import AskResult, DocumentList, SearchResult

    read_only = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                                open_world_hint=False)
    server: MCPServer = _server_class()(name="corpus-qa", version=__version__, instructions=INSTRUCTIONS,
                                        log_level="WARNING")

    @server.tool(description=ASK_HELP, annotations=read_only)
    async def ask(
        question: Annotated[str, Field(description="The question, in plain words.")],
        ctx: Context,
        top_k: Annotated[int | None, Field(description=f"Passages to retrieve, 1 to {MAX_TOP_K} (default 5).",
                                           strict=True)] = None,
        where: Annotated[str | None, Field(description=WHERE_HELP)] = None,
        generate: Annotated[bool | None, Field(description=GENERATE_HELP)] = None,
    ) -> AskResult:
        _check_text("question", question)
        _check_top_k(top_k)
        engine = await loader.ready(ctx)
        answer = await in_thread(lambda: _usage(lambda: engine.ask(question, top_k=top_k, where=where,
                                                                   generate=generate)))
        return answer.to_dict(id=1)  # id 1, as `qa ask --json` gives it: the same object

    @server.tool(description=SEARCH_HELP, annotations=read_only)
    async def search(
        query: Annotated[str, Field(description="What to look for: a question or keywords.")],
        ctx: Context,
        top_k: Annotated[int | None, Field(description=f"Passages to return, 1 to {MAX_TOP_K} (default 5).",
                                           strict=True)] = None,
        where: Annotated[str | None, Field(description=WHERE_HELP)] = None,
    ) -> SearchResult:
        from qa.engine import normalize_question

        _check_text("query", query)
        _check_top_k(top_k)
        engine = await loader.ready(ctx)
        question = _usage(lambda: normalize_question(query))
        warnings = list(question.warnings)
        passages = await in_thread(lambda: _usage(lambda: engine.search(question, top_k=top_k, where=where)))
        if not passages:
            scope = where if where is not None else engine.settings.where
            warnings.append(f"No documents match the filter {scope!r}." if scope else "The index holds no passages.")
        return {"query": question.text, "passages": [p.to_dict() for p in passages], "warnings": warnings}

    @server.tool(description=READ_HELP, annotations=read_only)
    async def read(
        source: Annotated[str, Field(description="The document's path relative to the corpus, as citations give "
                                                 "it, e.g. notes/report.pdf.")],
        ctx: Context,
        start: Annotated[int | None, Field(description="First character, 0-based (default 0).", strict=True)] = None,
        end: Annotated[int | None, Field(description="One past the last character (default: the end).",
                                         strict=True)] = None,
    ) -> str:
        return _read_span(await loader.ready(ctx), source, start, end)

    @server.tool(description=LIST_HELP, annotations=read_only)
    async def list_documents(
        ctx: Context,
        where: Annotated[str | None, Field(description=WHERE_HELP)] = None,
        limit: Annotated[int, Field(description="Most documents to list (1 to 10000, default 1000).",
                                    strict=True)] = 1000,
    ) -> DocumentList:
        if not 1 <= limit <= 10_000:
            raise _tool_error(f"limit must be between 1 and 10000 (got {limit}).")
        engine = await loader.ready(ctx)
        documents = await in_thread(lambda: _usage(lambda: engine.documents(where)))
        return _listing(documents, limit)

    return server


class CheckedLines:
    """The lines of stdin for the SDK's stdio transport, each looked at first: a line the SDK would drop without
    a word (it is not JSON, it is not a JSON-RPC message, or it holds a lone surrogate such as "\\udc80", which
    no reply could even be written with) gets a JSON-RPC error here, with the request's id where it has one,
    so a client never waits for an answer that cannot come."""

    def __init__(self, lines: Any) -> None:
        self.lines = lines.__aiter__()
        self.reply: Callable[[Any], Any] | None = None
        """Sends a message to the client (the transport's write stream); set once the transport runs."""

    def __aiter__(self) -> "CheckedLines":
        return self

    async def __anext__(self) -> str:
        while True:
            line = await self.lines.__anext__()
            error = refusal(line)
            if error is None:
                return line
            if error and self.reply is not None:
                await self.reply(error)


def refusal(line: str) -> Any:
    """None for a line to hand to the SDK; else the JSON-RPC error to answer it with ({} when a notification
    or a blank line is simply dropped, as JSON-RPC has no answer for those)."""
    import json

    import mcp.types as types

    if not line.strip():
        return {}
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
        return _error(None, types.PARSE_ERROR, "Parse error: the line is not JSON.")
    request_id = message.get("id") if isinstance(message, dict) else None
    if isinstance(request_id, bool) or not isinstance(request_id, str | int):
        request_id = None
    if _holds_surrogates(message):
        if isinstance(message, dict) and "id" not in message:
            return {}
        return _error(request_id, types.INVALID_PARAMS, "Invalid params: the request holds a lone surrogate "
                      "(such as \\udc80), which is not Unicode text.")
    try:
        types.jsonrpc_message_adapter.validate_python(message, by_name=False)
    except ValueError:
        return _error(request_id, types.INVALID_REQUEST, "Invalid request: not a JSON-RPC 2.0 message.")
    return None


def _holds_surrogates(value: Any) -> bool:
    if isinstance(value, str):
        return has_surrogates(value)
    if isinstance(value, dict):
        return any(_holds_surrogates(k) or _holds_surrogates(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_surrogates(v) for v in value)
    return False


def _error(request_id: Any, code: int, message: str) -> Any:
    import mcp.types as types
    from mcp.shared.message import SessionMessage

    return SessionMessage(types.JSONRPCError(jsonrpc="2.0", id=request_id,
                                             error=types.ErrorData(code=code, message=message)))


def serve(settings: "Settings", progress: Progress, http_port: int | None = None, watch: bool = True) -> None:
    """Load the engine in the background and serve until the client hangs up (stdin EOF) or Ctrl+C; with
    `watch`, keep the index current as files change."""
    import anyio

    loader = EngineLoader(settings, progress, watch=watch)
    server = build_server(loader)
    listener = None
    if http_port is not None:
        from qa.mcp_http import Listener

        listener = Listener.open(settings, http_port)  # a port in use fails now, before the engine loads
    loader.start()
    interrupted = False
    try:
        if listener is None:
            anyio.run(server.run_checked_stdio_async)  # type: ignore[attr-defined]
        else:
            listener.serve(server)  # behind a bearer token (qa/mcp_http.py)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        if loader.loading:
            # The client left during a first build: end now rather than wait for it (see EngineLoader.start).
            import os

            if interrupted:
                print("interrupted", file=sys.stderr)
            sys.stderr.flush()
            os._exit(130 if interrupted else 0)
        loader.close()
