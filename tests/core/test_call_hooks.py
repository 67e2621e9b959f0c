"""Per-call ``on_retry`` hooks and response headers (what the adapters build on), sync and async."""

from __future__ import annotations

from langchain_gloo_gravix.core import RateLimitError

from .conftest import MIN_PARAMS, MSGS, Server, chunk, completion_json, reply_json, reply_raw, sse_body


def _rate_limited() -> object:
    return reply_json({"error": "Rate limit exceeded"}, 429, {"Retry-After": "2"})


async def test_per_call_on_retry_on_create_runs_after_the_clients_hook(make, sleeps):
    calls: list[tuple] = []
    server = Server(chat=[_rate_limited(), reply_json(completion_json("ok"))])
    drv = make("gravix", server, api_key="k", on_retry=lambda n, err, delay: calls.append(("client", n, delay)))
    completion = await drv.create(
        MSGS, on_retry=lambda n, err, delay: calls.append(("call", n, type(err), delay)), **MIN_PARAMS["gravix"]
    )
    assert completion.message.content == "ok"
    assert calls == [("client", 1, 2.0), ("call", 1, RateLimitError, 2.0)]
    assert sleeps == [2.0]
    assert b"on_retry" not in server.chat_requests[0].content


async def test_per_call_on_retry_on_stream(make, sleeps):
    calls: list[tuple] = []
    sse = {"content-type": "text/event-stream"}
    server = Server(
        chat=[_rate_limited(), reply_raw(sse_body(chunk("hi"), chunk(finish="stop"), done=True), headers=sse)]
    )
    drv = make("gloo-v2", server, api_key="k")
    result = await drv.stream(
        MSGS, on_retry=lambda n, err, delay: calls.append((n, err.status_code, delay)), **MIN_PARAMS["gloo-v2"]
    )
    assert result.text == "hi" and calls == [(1, 429, 2.0)]


async def test_response_headers_on_create_and_stream(make):
    headers = {"x-request-id": "req-42", "x-ratelimit-remaining": "9"}
    server = Server(chat=[reply_json(completion_json("ok"), headers=headers)])
    completion = await make("gravix", server, api_key="k").create(MSGS, **MIN_PARAMS["gravix"])
    assert completion.response_headers["x-request-id"] == "req-42"
    assert "response_headers" not in completion.model_dump() and "req-42" not in repr(completion)
    sse = {"content-type": "text/event-stream", "x-request-id": "req-43"}
    drv = make(
        "gravix",
        Server(chat=[reply_raw(sse_body(chunk("hi"), chunk(finish="stop"), done=True), headers=sse)]),
        api_key="k",
    )
    stream = drv.client.stream(MSGS, **MIN_PARAMS["gravix"])
    assert stream.response_headers is None  # not open yet
    if drv.is_async:
        async for _ in stream:
            pass
    else:
        for _ in stream:
            pass
    assert stream.response_headers["x-request-id"] == "req-43"
