"""A scripted OpenAI-compatible chat completions server on 127.0.0.1, for the generation tests.

It is a real HTTP server (the stdlib's, in a thread): the client under test talks to it over a socket as it
would to Ollama or llama.cpp. What it answers is a script, a function of the request's evidence units
(`[n] quote` lines of the user message) that plays a model: faithful, wrong in one way, or a server that
misbehaves (refuses `response_format`, cuts its stream, is slow). Every request is recorded.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Units = dict[int, str]


@dataclass
class Reply:
    """What the scripted server does with one request."""

    content: str = ""
    """The model's message content."""
    status: int = 200
    """HTTP status; the body is an OpenAI-style error when it is not 200."""
    cut_after: int | None = None
    """Streamed: stop after this many characters of content, without ending the stream (`data: [DONE]`)."""
    drop: bool = True
    """How a cut stream stops: the connection dropped mid-body, or (False) the HTTP body ended properly but
    the event stream never said it was done."""
    delay: float = 0.0
    """Seconds to wait before answering (the test's release event ends the wait early)."""
    pieces: int = 7
    """Streamed: characters per content chunk."""


Script = Callable[[Units, dict[str, Any]], Reply]


def units_of(request: dict[str, Any]) -> Units:
    """The evidence units the client sent: `[n] text` lines of the last message."""
    text = request["messages"][-1]["content"]
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^\[(\d+)\] (.*)$", text, re.M)}


def as_json(*sentences: tuple[str, list[int]]) -> str:
    return json.dumps({"sentences": [{"text": t, "citations": c} for t, c in sentences]})


@dataclass
class ScriptedModel:
    """The server, its script and what it was asked."""

    script: Script
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> ScriptedModel:
        model = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
                pass

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                model.requests.append(body)
                model.headers.append(dict(self.headers))
                reply = model.script(units_of(body), body)
                if reply.delay:
                    model.release.wait(reply.delay)
                if reply.status != 200:
                    self._send(reply.status, json.dumps({"error": {"message": reply.content or "refused"}}))
                elif body.get("stream"):
                    self._stream(reply)
                else:
                    completion = {"id": "x", "object": "chat.completion", "model": body.get("model"),
                                  "choices": [{"index": 0, "finish_reason": "stop",
                                               "message": {"role": "assistant", "content": reply.content}}]}
                    self._send(200, json.dumps(completion))

            def _send(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                content = reply.content if reply.cut_after is None else reply.content[: reply.cut_after]
                for i in range(0, len(content), reply.pieces):
                    chunk = {"choices": [{"index": 0, "delta": {"content": content[i : i + reply.pieces]},
                                          "finish_reason": None}]}
                    self._chunk(f"data: {json.dumps(chunk)}\n\n")
                if reply.cut_after is not None:
                    if not reply.drop:
                        self.wfile.write(b"0\r\n\r\n")  # a complete HTTP body, an unfinished event stream
                        return
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)  # mid-stream, no final chunk: cut
                    self.close_connection = True
                    return
                self._chunk('data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n')
                self._chunk("data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")

            def _chunk(self, text: str) -> None:
                data = text.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="scripted-llm", daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def closed_port_url() -> str:
    """An address on this machine where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
