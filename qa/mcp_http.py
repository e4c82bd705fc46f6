"""`qa mcp --http PORT`: the MCP server over streamable HTTP on 127.0.0.1, behind a bearer token.

Binding 127.0.0.1 and checking Host and Origin (the SDK does) keeps other machines and web pages out, not
other users of this machine: any local process could connect and read every document, although the index
files themselves are private (0600). So every request must carry `Authorization: Bearer <token>`: the token
comes from `mcp_token` in the config file or QA_MCP_TOKEN, else a new one is made for each run; either way
it is written, readable by its owner only, beside the index (`token_file`), and how to use it is printed on
stderr. A request without it gets 401 before the SDK sees it.

The port is bound before anything else starts, so a port in use is one error line and a non-zero exit (the
SDK's server logged the failure and the process went on to exit 0). What the SDK and uvicorn log (rejected
Host or Origin headers quote what the client sent) is escaped like every other line a terminal shows.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.errors import IndexWriteError, UsageError
from index.paths import PRIVATE_FILE, TOKEN_FILE
from qa.display import terminal_safe

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from qa.config import Settings

HOST = "127.0.0.1"


def token_file(settings: Settings) -> Path:
    """Where the token is written: in the index folder (claimed first, as a build would), beside a Milvus Lite
    store, or, for a Milvus server, in the cache folder under the server's address."""
    from index.storage import open_store

    return open_store(settings.store_spec, settings.corpus, settings.milvus_token).private_file(TOKEN_FILE)


def write_token(path: Path, token: str) -> None:
    """Write the token readable by its owner only (0600, also when the file was there before); never through a
    symbolic link planted in its place."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_FILE)
        try:
            os.fchmod(fd, PRIVATE_FILE)
            os.write(fd, (token + "\n").encode())
        finally:
            os.close(fd)
    except OSError as exc:
        raise IndexWriteError(f"Cannot write the MCP token to {path} ({exc.strerror}).") from None


def bind(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:`port`, or a UsageError saying the port is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, port))  # it listens once serving starts (asyncio calls listen), after the token is written
    except OSError as exc:
        sock.close()
        raise UsageError(f"Cannot serve on {HOST}:{port} ({exc.strerror}): another program uses that port? "
                         "Give another one with --http PORT.") from None
    return sock


class BearerToken:
    """ASGI middleware: an HTTP request without `Authorization: Bearer <token>` gets 401 and goes no further."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = next((value for name, value in scope["headers"] if name.lower() == b"authorization"), b"")
            if not hmac.compare_digest(given, self.expected):
                body = (b'{"error": "unauthorized: send the header Authorization: Bearer <token>; qa mcp printed '
                        b'where the token is"}')
                await send({"type": "http.response.start", "status": 401, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="corpus-qa"')]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class EscapeControls(logging.Filter):
    """Log records shown with their control characters escaped: a rejected request's headers are quoted in
    the SDK's warnings, and a client chooses them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        safe = terminal_safe(message)
        if safe != message:
            record.msg, record.args = safe, None
        return True


def escape_logs(*names: str) -> None:
    """Put `EscapeControls` on the handlers of the root logger and of the named ones (filters on handlers see
    every record that reaches them, also those of child loggers)."""
    for name in ("", *names):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, EscapeControls) for f in handler.filters):
                handler.addFilter(EscapeControls())


@dataclass
class Listener:
    """The bound port and the token of one `qa mcp --http` run, ready to serve."""

    sock: socket.socket
    """Listening on 127.0.0.1."""
    port: int
    token: str
    """What every request's Authorization header must carry after `Bearer `."""

    @classmethod
    def open(cls, settings: Settings, port: int) -> Listener:
        """Bind the port, write the token and say on stderr how to use it. Raises UsageError (port in use) or
        IndexWriteError (token file), before anything is served."""
        sock = bind(port)
        try:
            token = settings.mcp_token or secrets.token_urlsafe(32)
            path = token_file(settings)
            write_token(path, token)
        except BaseException:
            sock.close()
            raise
        url = f"http://{HOST}:{port}/mcp"
        kept = "from your settings" if settings.mcp_token else "new for this run"
        print(f"qa mcp: serving MCP over streamable HTTP at {url}", file=sys.stderr)
        client = {"mcpServers": {"corpus-qa": {"url": url, "headers": {"Authorization": "Bearer <token>"}}}}
        where = terminal_safe(os.path.abspath(path))
        print(f"qa mcp: every request must send the header 'Authorization: Bearer <token>'; the token ({kept}) is "
              f"in {where}, readable by you only. Client configuration: {json.dumps(client)}",
              file=sys.stderr, flush=True)
        return cls(sock, port, token)

    def serve(self, server: MCPServer) -> None:
        """Serve until Ctrl+C."""
        import anyio
        import uvicorn

        # 127.0.0.1 only: the SDK then also refuses requests whose Host header is not local (DNS rebinding).
        app = BearerToken(server.streamable_http_app(host=HOST), self.token)
        config = uvicorn.Config(app, log_level="warning")
        escape_logs("uvicorn", "uvicorn.error", "uvicorn.access", "mcp")
        anyio.run(lambda: uvicorn.Server(config).serve(sockets=[self.sock]))
