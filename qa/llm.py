"""The one place corpus-qa talks to a language model: an OpenAI-compatible `/v1/chat/completions` server
(Ollama, llama.cpp's server, vLLM, LM Studio...), over HTTP, only when generation is turned on.

Only qa/generate.py imports this module, and only when a question is to be generated from: the HTTP client
(httpx2, the maintained continuation of httpx with the same API, which the MCP SDK already installs) is
imported here, so `qa ask` without generation and `qa --help` never load it. Every way a request can go
wrong (server down, refused, slow, cut short, a reply that is not what was asked for) ends as one
`GenerationFailed` whose message is a line for the user; the caller shows the quoted answer instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qa.config import Settings

CONNECT_TIMEOUT = 5.0
"""Seconds to wait for a connection: a server that is not running is known at once, a busy one gets its
full `timeout` to answer."""
MAX_TOKENS = 600
"""Enough for a few sentences with their citations; a model that rambles on is cut (and its answer with it)."""


class GenerationFailed(Exception):
    """The model's answer could not be had; the message says why, in one line."""


class FormatRefused(GenerationFailed):
    """The server refused `response_format` (HTTP 400 or 422): ask again without it."""


@dataclass(frozen=True)
class LLMConfig:
    """Where and how to reach the model."""

    base_url: str
    """The server's `/v1` address (or the full chat completions URL)."""
    model: str | None
    """The model name the server knows."""
    api_key: str | None = None
    """Sent as a bearer token when set."""
    timeout: float = 60.0
    """Seconds the whole reply may take."""

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMConfig:
        return cls(settings.llm_base_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout)

    @property
    def endpoint(self) -> str:
        """The chat completions URL: `…/v1` gets `/chat/completions`, a bare server address `/v1/chat/completions`."""
        url = self.base_url.rstrip("/")
        if url.endswith("/chat/completions"):
            return url
        return url + ("/chat/completions" if url.endswith("/v1") else "/v1/chat/completions")


def _short(text: str, limit: int = 160) -> str:
    """A server's message on one line, cut to `limit` characters."""
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _server_message(body: bytes) -> str:
    """What a server's error body says (`{"error": {"message": ...}}` or plain text)."""
    try:
        data = json.loads(body)
    except ValueError:
        return _short(body.decode("utf-8", "replace"))
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    return _short(str(error if error is not None else data))


def chat(config: LLMConfig, messages: Sequence[dict[str, str]], schema: dict[str, Any] | None = None,
         on_text: Callable[[str], None] | None = None) -> str:
    """The model's reply to `messages` (its text content). With `schema`, the reply is asked for as JSON
    matching it (`response_format`); a server that refuses that raises FormatRefused. With `on_text`, the
    reply is streamed (server-sent events) and each piece is passed on as it arrives."""
    import httpx2 as httpx  # ~60 ms; only ever imported when generation is on

    if not config.model:
        raise GenerationFailed("no model is set: set llm_model in the config file or QA_LLM_MODEL")
    body: dict[str, Any] = {"model": config.model, "messages": list(messages), "temperature": 0,
                            "max_tokens": MAX_TOKENS, "stream": on_text is not None}
    if schema is not None:
        body["response_format"] = {"type": "json_schema",
                                   "json_schema": {"name": "cited_answer", "strict": True, "schema": schema}}
    headers = {"Accept": "text/event-stream" if on_text else "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    deadline = time.monotonic() + config.timeout
    timeout = httpx.Timeout(config.timeout, connect=min(CONNECT_TIMEOUT, config.timeout))
    where = config.endpoint
    try:
        # trust_env=False: no proxy from the environment; the question goes to the address configured, only
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client, \
                client.stream("POST", where, json=body, headers=headers) as response:
            if response.status_code != 200:
                detail = _server_message(response.read())
                if schema is not None and response.status_code in (400, 422):
                    raise FormatRefused(f"the server refused response_format (HTTP {response.status_code})")
                raise GenerationFailed(f"the model server at {where} answered HTTP {response.status_code}"
                                       + (f": {detail}" if detail else ""))
            if on_text is None:
                return _content(_read_all(response, deadline, config.timeout))
            return _streamed(response, deadline, config.timeout, on_text)
    except httpx.TimeoutException:
        raise GenerationFailed(f"the model server at {where} did not answer within {config.timeout:g} s") from None
    except (httpx.RemoteProtocolError, httpx.ReadError):
        raise GenerationFailed("the model's reply stopped midway (the server closed the connection)") from None
    except httpx.ConnectError as exc:
        reason = "connection refused" if "refused" in str(exc).lower() else _short(str(exc), 80) or "no connection"
        raise GenerationFailed(f"the model server at {where} could not be reached ({reason})") from None
    except httpx.InvalidURL as exc:
        raise GenerationFailed(f"llm_base_url {config.base_url!r} is not a usable URL ({_short(str(exc), 80)})") \
            from None
    except httpx.UnsupportedProtocol:
        raise GenerationFailed(f"llm_base_url {config.base_url!r} must start with http:// or https://") from None
    except httpx.HTTPError as exc:
        raise GenerationFailed(f"the model server at {where} failed ({exc.__class__.__name__}: "
                               f"{_short(str(exc), 80)})") from None


def _check_deadline(deadline: float, timeout: float) -> None:
    # httpx's read timeout is per read: a server trickling bytes would never trip it
    if time.monotonic() > deadline:
        raise GenerationFailed(f"the model server did not finish its answer within {timeout:g} s")


def _read_all(response: Any, deadline: float, timeout: float) -> bytes:
    parts = []
    for part in response.iter_bytes():
        parts.append(part)
        _check_deadline(deadline, timeout)
    return b"".join(parts)


def _content(body: bytes) -> str:
    """The message content of a chat completion."""
    try:
        data = json.loads(body)
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise GenerationFailed("the server's reply is not a chat completion") from None
    if not isinstance(content, str):
        raise GenerationFailed("the server's reply holds no text")
    return content


def _streamed(response: Any, deadline: float, timeout: float, on_text: Callable[[str], None]) -> str:
    """Read a server-sent event stream of chat completion chunks to its end (`data: [DONE]`, or a
    `finish_reason`); a stream that ends without either was cut midway."""
    pieces: list[str] = []
    finished = False
    for line in response.iter_lines():
        _check_deadline(deadline, timeout)
        if not line.startswith("data:"):
            continue  # comments, event names, keep-alives
        payload = line[5:].strip()
        if payload == "[DONE]":
            finished = True
            break
        try:
            chunk = json.loads(payload)
        except ValueError:
            raise GenerationFailed("the server's stream holds something that is not JSON") from None
        if not isinstance(chunk, dict):
            raise GenerationFailed("the server's stream holds something that is not a completion chunk")
        if "error" in chunk:
            raise GenerationFailed(f"the model server reported an error: {_server_message(json.dumps(chunk).encode())}")
        for choice in chunk.get("choices") or ():
            delta = (choice.get("delta") or {}).get("content") if isinstance(choice, dict) else None
            if isinstance(delta, str) and delta:
                pieces.append(delta)
                on_text(delta)
            if isinstance(choice, dict) and choice.get("finish_reason"):
                finished = True
    if not finished:
        raise GenerationFailed("the model's reply stopped midway")
    return "".join(pieces)
