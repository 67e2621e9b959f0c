"""Issue 10, hostile payloads: realistic quirks, sync and async, through the whole client.

Each test is named after what a real server did. The rules under test:

- lenient reading: a value of an unexpected type is dropped, the answer is kept,
  and streaming and non-streaming read the same shape the same way;
- nothing lost: a failure after the first delta is a StreamError carrying the text,
  tool calls and usage received so far;
- every error typed (a package error, never httpx/zlib/pydantic/Recursion/Unicode),
  naming what was wrong, and not retried when retrying cannot help;
- bounded cost: caps on one event and on a whole body.
"""

from __future__ import annotations

import gzip
import json
import logging
import zlib
from typing import Any, Callable

import httpx
import pytest

from langchain_gloo_gravix.core import (
    BadRequestError,
    ConfigurationError,
    GlooGravixError,
    MalformedResponseError,
    NotFoundError,
    ResponseTooLargeError,
    RetryPolicy,
    StreamError,
)
from langchain_gloo_gravix.core.bodies import aread_capped, read_capped
from langchain_gloo_gravix.core.wire import ChatCompletion

from .conftest import (
    MIN_PARAMS,
    MSGS,
    ChunkStream,
    Server,
    chunk,
    completion_json,
    reply_json,
    reply_raw,
    reply_sse,
    sse_body,
    unique_id,
)

FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02, jitter=lambda: 1.0)
GRAVIX = MIN_PARAMS["gravix"]


def gravix(make: Callable[..., Any], server: Server, **kw: Any) -> Any:
    kw.setdefault("api_key", "gx-key")
    kw.setdefault("retry_policy", FAST)
    return make("gravix", server, **kw)


# -- the quirks, as (non-streamed completion, streamed chunks) pairs -----------------------

USAGE_OK = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


def _stream_of(text: str, *, usage: Any = USAGE_OK, top: dict | None = None, choice: dict | None = None) -> list[dict]:
    """Two text chunks, a finish chunk, a usage chunk; ``top``/``choice`` patch every chunk."""
    chunks = [chunk(text[:2]), chunk(text[2:]), chunk(None, "stop"), {"id": "chunk-1", "choices": [], "usage": usage}]
    for c in chunks:
        c.update(top or {})
        for ch in c["choices"]:
            ch.update(choice or {})
    return chunks


QUIRKS: dict[str, tuple[dict, list[Any]]] = {
    "usage_completion_tokens_null": (
        {**completion_json("Hello!"), "usage": {"prompt_tokens": 3, "completion_tokens": None, "total_tokens": 5}},
        _stream_of("Hello!", usage={"prompt_tokens": 3, "completion_tokens": None, "total_tokens": 5}),
    ),
    "usage_counts_float_and_string": (
        {**completion_json("Hello!"), "usage": {"prompt_tokens": 3.0, "completion_tokens": "2", "total_tokens": 5.5}},
        _stream_of("Hello!", usage={"prompt_tokens": 3.0, "completion_tokens": "2", "total_tokens": 5.5}),
    ),
    "routing_tier_numeric_confidence_string": (
        completion_json("Hello!", routing_tier=2, routing_confidence="high", provider="openai"),
        _stream_of("Hello!", top={"routing_tier": 2, "routing_confidence": "high", "provider": "openai"}),
    ),
    "created_float": (
        {**completion_json("Hello!"), "created": 1700000000.25},
        _stream_of("Hello!", top={"created": 1700000000.25}),
    ),
    "id_integer": (
        {**completion_json("Hello!"), "id": 12345},
        _stream_of("Hello!", top={"id": 12345}),
    ),
    "choice_index_null": (
        {
            **completion_json("Hello!"),
            "choices": [{"index": None, "message": {"content": "Hello!"}, "finish_reason": "stop"}],
        },
        _stream_of("Hello!", choice={"index": None}),
    ),
    "choice_index_string": (
        {
            **completion_json("Hello!"),
            "choices": [{"index": "0", "message": {"content": "Hello!"}, "finish_reason": "stop"}],
        },
        _stream_of("Hello!", choice={"index": "0"}),
    ),
    "choice_index_missing": (
        {**completion_json("Hello!"), "choices": [{"message": {"content": "Hello!"}, "finish_reason": "stop"}]},
        [
            {"id": "c", "choices": [{"delta": {"content": "Hel"}}]},
            {"id": "c", "choices": [{"delta": {"content": "lo!"}, "finish_reason": "stop"}]},
        ],
    ),
    "choices_with_null_entry": (
        {
            **completion_json("Hello!"),
            "choices": [None, {"index": 0, "message": {"content": "Hello!"}, "finish_reason": "stop"}],
        },
        [
            {"id": "c", "choices": [None, {"index": 0, "delta": {"content": "Hello!"}}]},
            {"id": "c", "choices": [None]},
            {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        ],
    ),
    "refusal_object": (
        {
            **completion_json("Hello!"),
            "choices": [
                {"index": 0, "message": {"content": "Hello!", "refusal": {"message": "no"}}, "finish_reason": "stop"}
            ],
        },
        [
            {"id": "c", "choices": [{"index": 0, "delta": {"content": "Hello!", "refusal": {"message": "no"}}}]},
            {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        ],
    ),
    "content_number": (
        {**completion_json(None), "choices": [{"index": 0, "message": {"content": 42}, "finish_reason": "stop"}]},
        [{"id": "c", "choices": [{"index": 0, "delta": {"content": 42}, "finish_reason": "stop"}]}],
    ),
}
EXPECTED_TEXT = {"content_number": "42"}


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
async def test_quirk_non_streaming_keeps_the_answer(make, quirk):
    body, _ = QUIRKS[quirk]
    completion = await gravix(make, Server(chat=[reply_json(body)])).create(MSGS, **GRAVIX)
    assert completion.message.text == EXPECTED_TEXT.get(quirk, "Hello!")
    assert completion.finish_reason == "stop"


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
async def test_quirk_streaming_keeps_the_answer_and_reads_it_like_non_streaming(make, quirk):
    body, chunks = QUIRKS[quirk]
    result = await gravix(make, Server(chat=[reply_sse(sse_body(*chunks, done=True))])).stream(MSGS, **GRAVIX)
    assert result.error is None
    assert result.text == EXPECTED_TEXT.get(quirk, "Hello!")
    streamed = result.completion
    whole = ChatCompletion.read(body)
    # the same shape is read the same way whether or not it was streamed
    assert streamed.message.text == whole.message.text
    assert streamed.finish_reason == whole.finish_reason == "stop"
    assert (streamed.id is None) or isinstance(streamed.id, str)
    assert (streamed.created is None) or isinstance(streamed.created, int)
    if quirk.startswith("usage"):
        assert streamed.usage.prompt_tokens == whole.usage.prompt_tokens == 3
        assert streamed.usage.completion_tokens == whole.usage.completion_tokens
    if quirk.startswith("routing"):
        assert streamed.routing.routing_tier == whole.routing.routing_tier == 2
        assert streamed.routing.routing_confidence == whole.routing.routing_confidence == "high"
    if quirk == "refusal_object":
        assert streamed.message.refusal == whole.message.refusal == "no"


async def test_tool_calls_with_null_entry_and_integer_id(make):
    calls = [None, {"index": 0, "id": 7, "type": "function", "function": {"name": "get", "arguments": '{"a": 1}'}}]
    body = {
        **completion_json(None),
        "choices": [{"index": 0, "message": {"tool_calls": calls}, "finish_reason": "tool_calls"}],
    }
    drv = gravix(make, Server(chat=[reply_json(body)]))
    [call] = (await drv.create(MSGS, **GRAVIX)).message.tool_calls
    assert (call.id, call.function.name, call.function.arguments) == ("7", "get", '{"a": 1}')
    stream = [{"id": "c", "choices": [{"index": 0, "delta": {"tool_calls": calls}, "finish_reason": "tool_calls"}]}]
    result = await gravix(make, Server(chat=[reply_sse(sse_body(*stream))])).stream(MSGS, **GRAVIX)
    [call] = result.completion.message.tool_calls
    assert (call.id, call.function.name, call.function.arguments) == ("7", "get", '{"a": 1}')


async def test_choice_index_null_with_done_never_succeeds_empty(make):
    chunks = [{"id": "c", "choices": [{"index": None, "delta": {"content": "kept"}}]}]
    result = await gravix(make, Server(chat=[reply_sse(sse_body(*chunks, done=True))])).stream(MSGS, **GRAVIX)
    assert result.error is None and result.completion.message.text == "kept"


async def test_n_greater_than_one_keeps_every_choice(make):
    chunks = [
        {"id": "c", "choices": [{"index": 0, "delta": {"content": "A"}}, {"index": 1, "delta": {"content": "B"}}]},
        {"id": "c", "choices": [{"index": 1, "delta": {"content": "b"}, "finish_reason": "stop"}]},
        {"id": "c", "choices": [{"index": 0, "delta": {"content": "a"}, "finish_reason": "stop"}]},
    ]
    result = await gravix(make, Server(chat=[reply_sse(sse_body(*chunks, done=True))])).stream(MSGS, n=2, **GRAVIX)
    assert result.text == "Aa"  # the deltas' own fields are choice 0
    others = [o for d in result.deltas for o in d.other_choices]
    assert [(o.index, o.content) for o in others] == [(1, "B"), (1, "b")]
    assert [(c.index, c.message.text, c.finish_reason) for c in result.completion.choices] == [
        (0, "Aa", "stop"),
        (1, "Bb", "stop"),
    ]


# -- nothing lost ---------------------------------------------------------------------------


async def test_bad_json_event_after_text_keeps_text_tool_calls_and_usage(make):
    tool = {"index": 0, "id": "call_1", "function": {"name": "get", "arguments": '{"a"'}}
    first = [chunk("Hi "), {"id": "c", "choices": [{"index": 0, "delta": {"tool_calls": [tool]}}], "usage": USAGE_OK}]
    server = Server(chat=[reply_sse(sse_body(*first), b"data: {not json\n\n")])
    result = await gravix(make, server).stream(MSGS, **GRAVIX)
    error = result.error
    assert isinstance(error, StreamError)
    assert error.partial_text == "Hi "
    assert error.partial_tool_calls == [
        {"id": "call_1", "type": "function", "function": {"name": "get", "arguments": '{"a"'}}
    ]
    assert error.usage.total_tokens == 5
    assert len(server.chat_requests) == 1


async def test_exception_while_accumulating_after_text_is_a_stream_error(make, monkeypatch):
    from langchain_gloo_gravix.core import accumulator as streaming

    original = streaming.StreamAccumulator.add

    def add(self, payload):
        if payload.get("boom"):
            raise TypeError("unexpected")
        return original(self, payload)

    monkeypatch.setattr(streaming.StreamAccumulator, "add", add)
    server = Server(chat=[reply_sse(sse_body(chunk("partial")), sse_body({"boom": 1}))])
    result = await gravix(make, server).stream(MSGS, **GRAVIX)
    assert isinstance(result.error, StreamError) and result.error.partial_text == "partial"
    assert "TypeError" in str(result.error)


def _gzip_then_garbage(first: bytes) -> tuple[bytes, bytes]:
    compressor = zlib.compressobj(wbits=31)
    head = compressor.compress(first) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return head, b"\xff" * 64  # BTYPE=11: an invalid deflate block


async def test_corrupt_gzip_mid_stream_keeps_the_partial_text(make):
    head, garbage = _gzip_then_garbage(sse_body(chunk("Hello ")))

    def reply(request):
        return httpx.Response(
            200,
            headers={"content-type": "text/event-stream", "content-encoding": "gzip"},
            stream=ChunkStream([head, garbage]),
        )

    server = Server(chat=[reply])
    result = await gravix(make, server).stream(MSGS, **GRAVIX)
    assert isinstance(result.error, StreamError)
    assert result.error.partial_text == "Hello "
    assert "decoded" in str(result.error)


# -- every error typed -----------------------------------------------------------------------


async def test_garbage_gzip_body_on_a_call_is_typed_and_not_retried(make):
    server = Server(
        chat=[reply_raw(b"\x1f\x8b garbage", headers={"content-encoding": "gzip", "content-type": "application/json"})]
    )
    with pytest.raises(MalformedResponseError, match="could not be decoded") as info:
        await gravix(make, server).create(MSGS, **GRAVIX)
    assert not isinstance(info.value, httpx.HTTPError) and info.value.retryable is False
    assert len(server.chat_requests) == 1


async def test_garbage_deflate_body_on_a_stream_is_typed(make):
    server = Server(
        chat=[
            reply_raw(
                b"not deflate at all", headers={"content-encoding": "deflate", "content-type": "text/event-stream"}
            )
        ]
    )
    result = await gravix(make, server).stream(MSGS, **GRAVIX)
    assert isinstance(result.error, MalformedResponseError) and "decoded" in str(result.error)


async def test_garbage_gzip_from_the_token_endpoint_is_typed(make):
    server = Server(token=[reply_raw(b"\x1f\x8b\x08 junk", headers={"content-encoding": "gzip"})])
    drv = make("gloo-v2", server, client_id=unique_id(), client_secret="s-" + unique_id(), retry_policy=FAST)
    with pytest.raises(MalformedResponseError):
        await drv.create(MSGS, auto_routing=True)


async def test_deeply_nested_json_body_is_typed(make):
    deep = b'{"choices": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(MalformedResponseError, match="not a chat completion"):
        await gravix(make, Server(chat=[reply_raw(deep, headers={"content-type": "application/json"})])).create(
            MSGS, **GRAVIX
        )


async def test_deeply_nested_json_event_is_typed(make):
    deep = b"data: " + b"[" * 100_000 + b"]" * 100_000 + b"\n\n"
    result = await gravix(make, Server(chat=[reply_sse(sse_body(chunk("ok")), deep)])).stream(MSGS, **GRAVIX)
    assert isinstance(result.error, StreamError) and result.error.partial_text == "ok"
    assert "nested too deeply" in str(result.error)


async def test_token_with_400_digit_expires_in_is_accepted(make):
    token = {"access_token": "tok-x", "token_type": "Bearer", "expires_in": int("9" * 400)}
    server = Server(token=[reply_json(token)])
    drv = make("gloo-v2", server, client_id=unique_id(), client_secret="s-" + unique_id())
    assert (await drv.create(MSGS, auto_routing=True)).message.text == "Hello!"
    assert server.chat_requests[0].headers["authorization"] == "Bearer tok-x"


@pytest.mark.parametrize("where", ["extra_headers", "default_headers", "api_key"])
async def test_non_ascii_header_value_is_a_configuration_error_that_never_quotes_it(make, where):
    secret = "sk-é-" + unique_id()
    server = Server()
    kw: dict[str, Any] = {"api_key": secret} if where == "api_key" else {}
    if where == "default_headers":
        kw["default_headers"] = {"X-Gateway": secret}
    call: dict[str, Any] = {"extra_headers": {"X-Gateway": secret}} if where == "extra_headers" else {}
    with pytest.raises(ConfigurationError) as info:
        # configured values are refused at construction (core/config.py), per-call ones before sending
        drv = gravix(make, server, **kw)
        await drv.create(MSGS, **call, **GRAVIX)
    assert secret not in str(info.value) and secret not in repr(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None and info.value.retryable is False
    assert server.chat_requests == []
    assert isinstance(info.value, ValueError)  # also a ValueError, as configuration errors are


@pytest.mark.parametrize(
    "envelope,cls,status",
    [
        ({"error": {"type": "invalid_request_error", "message": "bad temperature"}}, BadRequestError, 400),
        (
            {"error": {"code": "context_length_exceeded", "message": "maximum context length is 8192"}},
            BadRequestError,
            400,
        ),
        ({"error": {"code": 429, "message": "slow down", "retryable": False}}, GlooGravixError, 429),
        ({"error": {"type": "server_error", "message": "upstream broke"}}, GlooGravixError, 500),
    ],
)
async def test_http_200_error_envelope_is_classified_by_its_content(make, envelope, cls, status):
    server = Server(chat=[reply_json(envelope)])
    with pytest.raises(cls) as info:
        await gravix(make, server).create(MSGS, **GRAVIX)
    assert info.value.status_code == status
    assert "answered HTTP 200 with an error" in str(info.value)
    retried = len(server.chat_requests) > 1
    assert retried == (status >= 500)


async def test_http_200_invalid_request_envelope_is_not_retried_as_502(make):
    server = Server(chat=[reply_json({"error": {"type": "invalid_request_error", "message": "nope"}})])
    with pytest.raises(BadRequestError):
        await gravix(make, server).create(MSGS, **GRAVIX)
    assert len(server.chat_requests) == 1


async def test_stream_answered_with_html_says_so_and_is_not_retried(make):
    html = b"<!DOCTYPE html><html><body>Sign in to continue</body></html>"
    server = Server(chat=[reply_raw(html, headers={"content-type": "text/html; charset=utf-8"})])
    result = await gravix(make, server).stream(MSGS, **GRAVIX)
    assert isinstance(result.error, MalformedResponseError)
    assert "HTML page" in str(result.error) and "0 chunks" not in str(result.error)
    assert len(server.chat_requests) == 1


async def test_stream_answered_with_204_says_empty_body_and_is_not_retried(make):
    server = Server(chat=[reply_raw(b"", status=204)])
    result = await gravix(make, server).stream(MSGS, **GRAVIX)
    assert isinstance(result.error, MalformedResponseError) and "empty body" in str(result.error)
    assert len(server.chat_requests) == 1


async def test_call_answered_with_html_says_so(make):
    server = Server(chat=[reply_raw(b"<html><body>gateway</body></html>", headers={"content-type": "text/html"})])
    with pytest.raises(MalformedResponseError, match="HTML page"):
        await gravix(make, server).create(MSGS, **GRAVIX)


async def test_404_shows_the_url_requested(make):
    server = Server(chat=[reply_json({"detail": "Not Found"}, status=404)])
    with pytest.raises(NotFoundError) as info:
        await gravix(make, server, base_url="https://proxy.example/v1/inference").create(MSGS, **GRAVIX)
    assert "https://proxy.example/v1/inference/chat/completions" in str(info.value)


async def test_list_models_skips_a_bad_entry_with_a_warning(make, caplog):
    models = {
        "data": [
            {"id": "good-1"},
            {"id": "bad", "context_window": {"x": 1}, "input_modalities": "text"},
            {"id": ["not", "a", "string"]},
            None,
            {"id": "good-2"},
        ]
    }
    server = Server(models=[reply_json(models)])
    with caplog.at_level(logging.WARNING, logger="langchain_gloo_gravix"):
        listed = await gravix(make, server).list_models()
    assert [m.id for m in listed] == ["good-1", "bad", "good-2"]
    assert listed[1].context_window is None and listed[1].input_modalities is None
    assert any("skipped 2 entries" in r.getMessage() for r in caplog.records)


# -- bounded cost ---------------------------------------------------------------------------


async def test_body_over_max_body_bytes_is_a_clear_error(make):
    server = Server(chat=[reply_json(completion_json("x" * 5000))])
    with pytest.raises(ResponseTooLargeError, match="max_body_bytes"):
        await gravix(make, server, max_body_bytes=1000).create(MSGS, **GRAVIX)
    assert len(server.chat_requests) == 1


async def test_event_over_max_event_bytes_before_any_text_is_a_clear_error(make):
    server = Server(chat=[reply_sse(sse_body(chunk("y" * 5000)))])
    result = await gravix(make, server, max_event_bytes=1000).stream(MSGS, **GRAVIX)
    assert isinstance(result.error, ResponseTooLargeError) and "max_event_bytes=1000" in str(result.error)


async def test_event_over_max_event_bytes_after_text_keeps_the_text(make):
    server = Server(chat=[reply_sse(sse_body(chunk("ok")), b"data: " + b"z" * 600, b"z" * 600)])
    result = await gravix(make, server, max_event_bytes=1000).stream(MSGS, **GRAVIX)
    assert isinstance(result.error, StreamError) and result.error.partial_text == "ok"
    assert "max_event_bytes" in str(result.error)


def _capped_response(chunks: list[bytes], **headers: str) -> httpx.Response:
    return httpx.Response(
        200, headers=headers, stream=ChunkStream(chunks), request=httpx.Request("POST", "https://x/y")
    )


async def test_read_capped_stops_at_the_cap_sync_and_async():
    with pytest.raises(ResponseTooLargeError):
        read_capped(_capped_response([b"a" * 600, b"b" * 600]), 1000, endpoint="t")
    with pytest.raises(ResponseTooLargeError):
        await aread_capped(_capped_response([b"a" * 600, b"b" * 600]), 1000, endpoint="t")
    ok = _capped_response([b"a" * 400, b"b" * 400])
    assert read_capped(ok, 1000) == b"a" * 400 + b"b" * 400 and ok.content == b"a" * 400 + b"b" * 400
    aok = _capped_response([b"a" * 400])
    assert await aread_capped(aok, 1000) == b"a" * 400 and aok.content == b"a" * 400


async def test_read_capped_counts_decoded_bytes_of_a_gzip_bomb():
    bomb = gzip.compress(b"\0" * 200_000)
    assert len(bomb) < 1000
    with pytest.raises(ResponseTooLargeError):
        read_capped(_capped_response([bomb], **{"content-encoding": "gzip"}), 10_000)


def test_sse_decoding_is_linear_in_line_length():
    import time

    from langchain_gloo_gravix.core.sse import SSEDecoder

    decoder = SSEDecoder()
    piece = b"x" * 65536
    started = time.perf_counter()
    decoder.feed(b"data: ")
    for _ in range(512):  # a 32 MiB line in 64 KiB reads
        assert decoder.feed(piece) == []
    [event] = decoder.feed(b"\n\n")
    assert len(event.data) == 512 * 65536
    # quadratic re-joining took tens of seconds for this; linear is well under one
    assert time.perf_counter() - started < 20


def test_json_body_is_dumped_as_received():
    # guard: the quirk bodies above really carry the quirks (json round-trip keeps them)
    assert json.loads(json.dumps(QUIRKS["created_float"][0]))["created"] == 1700000000.25


async def test_list_models_transport_failure_is_typed(make):
    from langchain_gloo_gravix.core import APIConnectionError

    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(APIConnectionError):
        await gravix(make, Server(models=[refuse])).list_models()


async def test_stream_answered_with_a_200_error_envelope_is_classified_and_not_retried(make):
    server = Server(chat=[reply_json({"error": {"type": "invalid_request_error", "message": "bad n"}})])
    result = await gravix(make, server).stream(MSGS, **GRAVIX)
    assert isinstance(result.error, BadRequestError) and "bad n" in str(result.error)
    assert len(server.chat_requests) == 1


def test_two_entries_for_choice_zero_in_one_chunk_are_both_delivered():
    from langchain_gloo_gravix.core import StreamAccumulator

    acc = StreamAccumulator(endpoint="t")
    delta = acc.add({"choices": [{"index": 0, "delta": {"content": "a"}}, {"index": None, "delta": {"content": "b"}}]})
    assert delta.content == "ab" == acc.text
