"""A scripted OpenAI-style chat server on ``httpx.MockTransport``, for adapter tests.

Each request gets the next scripted answer (the last one repeats): a JSON
completion, an SSE stream of chunks, or an error status with headers. Request
bodies are recorded. Nothing listens on a socket, and retry sleeps are patched
out by :func:`no_retry_sleep`, so no test waits.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import httpx

from langchain_gloo_gravix.core import sender as sender_mod

__all__ = ["Script", "completion", "chunk", "sse", "error", "no_retry_sleep"]


def completion(
    text: Optional[str] = "Hello!",
    *,
    choices: Optional[list[dict[str, Any]]] = None,
    usage: Optional[dict[str, Any]] = None,
    **top: Any,
) -> dict[str, Any]:
    if choices is None:
        choices = [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m-1", "choices": choices}
    body["usage"] = usage or {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    body.update(top)
    return body


def chunk(
    delta: Optional[dict[str, Any]] = None, *, finish: Optional[str] = None, index: int = 0, **top: Any
) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": index, "delta": delta or {}, "finish_reason": finish}
    if "logprobs" in top:
        choice["logprobs"] = top.pop("logprobs")
    return {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m-1",
        "choices": [choice],
        **top,
    }


def sse(*chunks: dict[str, Any], headers: Optional[dict[str, str]] = None) -> httpx.Response:
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    return httpx.Response(200, headers={"content-type": "text/event-stream", **(headers or {})}, content=body.encode())


def error(status: int, headers: Optional[dict[str, str]] = None, message: str = "slow down") -> httpx.Response:
    return httpx.Response(status, headers=headers or {}, json={"error": {"message": message}})


class Script:
    """``Script(answer, ...)``: the answers in order; bodies in ``.bodies``."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        answer = self.answers[min(len(self.bodies) - 1, len(self.answers) - 1)]
        if isinstance(answer, httpx.Response):
            return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)
        return httpx.Response(200, headers={"x-request-id": "req-1", "x-ratelimit-remaining": "99"}, json=answer)

    def sync_client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self._answer))

    def async_client(self) -> httpx.AsyncClient:
        async def handler(request: httpx.Request) -> httpx.Response:
            return self._answer(request)

        return httpx.AsyncClient(transport=httpx.MockTransport(handler))

    @property
    def body(self) -> dict[str, Any]:
        return self.bodies[-1]


def no_retry_sleep(monkeypatch: Any) -> list[float]:
    """Record the core's retry sleeps instead of sleeping."""
    slept: list[float] = []

    def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    async def fake_async_sleep(seconds: float) -> None:
        slept.append(seconds)

    # the sender's default sleeps (clients built without ``sleep=``); the event loop keeps the real ones
    monkeypatch.setattr(sender_mod, "_sleep", fake_sleep)
    monkeypatch.setattr(sender_mod, "_async_sleep", fake_async_sleep)
    return slept
