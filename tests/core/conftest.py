"""Shared helpers for the offline core tests.

Everything here is offline: requests go to ``httpx.MockTransport`` handlers, and
the client's retry sleeps are replaced by recorders (the clients' injectable
``sleep``, or ``tests/conftest.py``'s ``sleeps`` fixture), so no test waits for real. Every client test runs four times, through
``Client`` and ``AsyncClient``, each on the default send path (direct to a
transport, injected with ``transport=``) and through a caller's ``http_client``,
via the ``mode`` fixture and :class:`Driver`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import httpx
import pytest

from langchain_gloo_gravix.core import AsyncClient, Client, GlooGravixError
from tests.support.env import ENV_VARS  # noqa: F401  (re-exported: older imports read it here)
from tests.support.sleeps import Sleeps

MSGS = [{"role": "user", "content": "Hi"}]
# the smallest valid params per endpoint
MIN_PARAMS = {
    "gloo-v1": {},
    "gloo-v2": {"auto_routing": True},
    "gravix": {"model": "meta-llama/llama-3.1-8b-instruct"},
}


def unique_id(prefix: str = "cid") -> str:
    """Token caches are process-wide per (token URL, client id, secret)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# -- canned bodies ----------------------------------------------------------------------


def completion_json(
    text: Optional[str] = "Hello!",
    *,
    id: str = "chatcmpl-1",
    model: str = "m-1",
    prompt_tokens: int = 3,
    completion_tokens: int = 2,
    finish_reason: str = "stop",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": id,
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish_reason}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        **extra,
    }


def chunk(
    content: Optional[str] = None, finish: Optional[str] = None, *, id: str = "chunk-1", **top: Any
) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if content is not None:
        delta["content"] = content
    return {
        "id": id,
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **top,
    }


def sse_event(payload: Any) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return b"data: " + data.encode() + b"\n\n"


def sse_body(*payloads: Any, done: bool = False) -> bytes:
    out = b"".join(sse_event(p) for p in payloads)
    return out + (b"data: [DONE]\n\n" if done else b"")


class ChunkStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body delivered as separate network chunks, optionally breaking."""

    def __init__(self, chunks: list[bytes], error: Optional[BaseException] = None) -> None:
        self.chunks = chunks
        self.error = error

    def __iter__(self):
        yield from self.chunks
        if self.error is not None:
            raise self.error

    async def __aiter__(self):
        for c in self.chunks:
            yield c
        if self.error is not None:
            raise self.error


# -- response factories (a Response can be read once, so scripts hold factories) -------

Reply = Callable[[httpx.Request], httpx.Response]


def reply_json(body: Any, status: int = 200, headers: Optional[dict[str, str]] = None) -> Reply:
    return lambda request: httpx.Response(status, json=body, headers=headers)


def reply_raw(content: bytes, status: int = 200, headers: Optional[dict[str, str]] = None) -> Reply:
    return lambda request: httpx.Response(status, content=content, headers=headers)


def reply_sse(*chunks: bytes, error: Optional[BaseException] = None) -> Reply:
    """An SSE response whose body arrives as the given network chunks."""
    return lambda request: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=ChunkStream(list(chunks), error)
    )


def raise_(exc_factory: Callable[[httpx.Request], BaseException]) -> Reply:
    def reply(request: httpx.Request) -> httpx.Response:
        raise exc_factory(request)

    return reply


def token_reply(token: str = "tok-1", expires_in: Any = 3600) -> Reply:
    body: dict[str, Any] = {"access_token": token, "token_type": "Bearer"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    return reply_json(body)


@dataclass
class Seen:
    method: str
    url: str
    path: str
    headers: dict[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


def _kind(path: str) -> str:
    if path.endswith("/oauth2/token"):
        return "token"
    if path.endswith("/models"):
        return "models"
    return "chat"


@dataclass
class Server:
    """A scripted MockTransport handler.

    ``chat``/``token``/``models`` are lists of replies used in order; the last
    one repeats. With no ``token`` script, the token endpoint hands out
    ``tok-1``, ``tok-2``, ... (expires_in 3600). Every request is recorded with a
    copy of its headers (the auth flow mutates the request between sends).
    """

    chat: list[Reply] = field(default_factory=lambda: [reply_json(completion_json())])
    token: Optional[list[Reply]] = None
    models: list[Reply] = field(default_factory=lambda: [reply_json({"object": "list", "data": []})])
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._n = {"chat": 0, "token": 0, "models": 0}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        kind = _kind(request.url.path)
        self.seen.append(
            Seen(request.method, str(request.url), request.url.path, dict(request.headers), request.content)
        )
        n = self._n[kind]
        self._n[kind] += 1
        if kind == "token" and self.token is None:
            return httpx.Response(
                200, json={"access_token": f"tok-{n + 1}", "token_type": "Bearer", "expires_in": 3600}
            )
        script = getattr(self, kind)
        return script[min(n, len(script) - 1)](request)

    def of(self, kind: str) -> list[Seen]:
        return [s for s in self.seen if _kind(s.path) == kind]

    @property
    def chat_requests(self) -> list[Seen]:
        return self.of("chat")

    @property
    def token_requests(self) -> list[Seen]:
        return self.of("token")


@dataclass
class StreamResult:
    deltas: list
    error: Optional[BaseException]
    completion: Any = None

    @property
    def text(self) -> str:
        return "".join(d.content for d in self.deltas)


class Driver:
    """One surface over Client and AsyncClient, and over both send paths, so one test body covers all four.

    ``mode`` is ``"sync"``/``"async"``, optionally with ``"-direct"`` (default path, our sender straight to the
    transport) or ``"-http"`` (through a caller's ``http_client``); plain ``"sync"``/``"async"`` mean ``-http``.
    """

    def __init__(
        self,
        mode: str,
        endpoint: str,
        server: Callable[[httpx.Request], httpx.Response],
        sleeps: Optional[Sleeps] = None,
        **kw: Any,
    ) -> None:
        self.mode = mode
        transport = httpx.MockTransport(server)
        direct = mode.endswith("-direct")
        if sleeps is not None:
            kw.setdefault("sleep", sleeps.async_ if self.is_async else sleeps)
        if self.is_async:
            path = {"transport": transport} if direct else {"http_client": httpx.AsyncClient(transport=transport)}
            self.client: Any = AsyncClient(endpoint, **path, **kw)
        else:
            path = {"transport": transport} if direct else {"http_client": httpx.Client(transport=transport)}
            self.client = Client(endpoint, **path, **kw)
        assert self.client._sender.direct is direct

    @property
    def is_async(self) -> bool:
        return self.mode.startswith("async")

    async def create(self, messages=MSGS, **params: Any):
        if self.is_async:
            return await self.client.create(messages, **params)
        return self.client.create(messages, **params)

    async def stream(self, messages=MSGS, **params: Any) -> StreamResult:
        """All deltas up to the end or the first error; completion() when it ended well."""
        deltas: list = []
        if self.is_async:
            stream = self.client.stream(messages, **params)
            try:
                async for delta in stream:
                    deltas.append(delta)
            except GlooGravixError as error:
                return StreamResult(deltas, error)
            return StreamResult(deltas, None, await stream.completion())
        stream = self.client.stream(messages, **params)
        try:
            for delta in stream:
                deltas.append(delta)
        except GlooGravixError as error:
            return StreamResult(deltas, error)
        return StreamResult(deltas, None, stream.completion())

    async def list_models(self):
        if self.is_async:
            return await self.client.list_models()
        return self.client.list_models()


@pytest.fixture(params=["sync-direct", "sync-http", "async-direct", "async-http"])
def mode(request) -> str:
    return request.param


@pytest.fixture
def make(mode, sleeps):
    def factory(endpoint: str, server: Callable[[httpx.Request], httpx.Response], **kw: Any) -> Driver:
        return Driver(mode, endpoint, server, sleeps, **kw)

    return factory
