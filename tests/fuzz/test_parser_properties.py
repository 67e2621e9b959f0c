"""Property tests over every parser (issue 10): the result is an answer or a package
error, never another exception, and text that arrived is kept.

``make test`` runs a small budget per parser; ``make fuzz`` runs at least 10,000.
"""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from langchain_gloo_gravix.core import ChatCompletion, GlooGravixError, StreamError
from langchain_gloo_gravix.core.accumulator import StreamAccumulator
from langchain_gloo_gravix.core.auth import GlooOAuth
from langchain_gloo_gravix.core.error_text import extract_error_details
from langchain_gloo_gravix.core.errors import APIStatusError, error_from_response
from langchain_gloo_gravix.core.model_list import ModelInfo, parse_models
from langchain_gloo_gravix.core.retry import server_wait
from langchain_gloo_gravix.core.sse import SSEDecoder, SSEEvent
from langchain_gloo_gravix.core.stream_state import StreamState
from langchain_gloo_gravix.core.token_cache import token_fields
from langchain_gloo_gravix.core.wire import parse_completion

from . import strategies as s

FUZZ = s.PROFILE


def _splits(raw: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(raw) + 1) for c in cuts})
    pieces, last = [], 0
    for p in points + [len(raw)]:
        pieces.append(raw[last:p])
        last = p
    return pieces


@FUZZ
@given(
    raw=st.binary(max_size=300)
    | st.lists(
        st.sampled_from(
            [b"data: ", b"x", b"\r", b"\n", b"\r\n", b":", b"event: e", b"\xef\xbb\xbf", b"retry: 9", b"id: \0"]
        ),
        max_size=40,
    ).map(b"".join),
    cuts=st.lists(st.integers(0, 400), max_size=6),
    cap=st.none() | st.integers(1, 64),
)
def test_sse_decoder(raw, cuts, cap):
    decoder = SSEDecoder(max_event_bytes=cap)
    events: list[SSEEvent] = []
    try:
        for piece in _splits(raw, cuts):
            events.extend(decoder.feed(piece))
        events.extend(decoder.flush())
    except GlooGravixError:
        assert cap is not None
        return
    assert all(isinstance(e.data, str) for e in events)
    if cap is not None:
        assert all(len(e.data.encode("utf-8", "surrogatepass")) <= cap * 3 for e in events)


@FUZZ
@given(chunks=st.lists(s.chunk, min_size=1, max_size=6))
def test_chunks_into_the_accumulator(chunks):
    acc = StreamAccumulator(endpoint="fuzz")
    delivered = []
    for payload in chunks:
        try:
            delta = acc.add(payload)
        except StreamError as error:
            assert error.partial_text.startswith("".join(delivered))
            break
        delivered.append(delta.content)
        assert isinstance(delta.content, str)
    assert acc.text.startswith("".join(delivered))
    completion = acc.completion()
    assert isinstance(completion, ChatCompletion)
    assert completion.message.text == acc.text
    assert [c.index for c in completion.choices] == sorted(c.index for c in completion.choices)


@FUZZ
@given(
    chunks=st.lists(s.chunk, min_size=1, max_size=5),
    junk=st.sampled_from([b"", b"data: {bad\n\n", b"data: " + s.deep(5000) + b"\n\n", b"data: 1\n\n"]),
    cuts=st.lists(st.integers(0, 2000), max_size=4),
    cap=st.none() | st.integers(50, 400),
)
def test_sse_bytes_into_stream_state(chunks, junk, cuts, cap):
    raw = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + junk
    state = StreamState(endpoint="fuzz", idle_timeout=None, max_event_bytes=cap)
    delivered: list[str] = []
    try:
        for piece in _splits(raw, cuts):
            deltas = state.feed(piece)
            delivered.extend(d.content for d in deltas)
            state.raise_pending()
            if state.done:
                break
        delivered.extend(d.content for d in state.finish())
    except StreamError as error:
        assert error.partial_text.startswith("".join(delivered))
    except GlooGravixError:
        pass
    assert state.accumulator.text.startswith("".join(delivered))


@FUZZ
@given(raw=s.encoded(s.completion), status=st.sampled_from([200, 201]))
def test_non_stream_response(raw, status):
    try:
        completion = parse_completion(
            raw, status, httpx.Headers({"content-type": "application/json"}), endpoint="fuzz", max_body_bytes=10**6
        )
    except GlooGravixError:
        return
    assert isinstance(completion, ChatCompletion)
    assert isinstance(completion.message.text, str)
    assert completion.id is None or isinstance(completion.id, str)
    assert completion.created is None or isinstance(completion.created, int)
    usage = completion.usage
    if usage is not None:
        assert all(
            isinstance(n, int) and n >= 0 for n in (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens)
        )


@FUZZ
@given(raw=s.encoded(s.error_body), status=st.integers(100, 599), body=s.error_body)
def test_error_body(raw, status, body):
    error = error_from_response(
        status, httpx.Headers({"x-request-id": "r-1"}), raw, endpoint="fuzz", url="https://u:p@h/x?k=1"
    )
    assert isinstance(error, APIStatusError) and error.status_code == status
    assert "u:p" not in str(error) and "k=1" not in str(error)
    assert isinstance(extract_error_details(body), dict)


_OAUTH = GlooOAuth("https://gloo.example/oauth2/token", "fuzz-id", "fuzz-secret")


@FUZZ
@given(raw=s.encoded(s.token_body), status=st.sampled_from([200, 200, 200, 400, 401, 500]))
def test_token_body(raw, status):
    token, expires_in = token_fields(raw, 3600.0)
    assert token is None or (isinstance(token, str) and token)
    assert math.isfinite(expires_in) and expires_in > 0
    response = httpx.Response(status, content=raw, request=httpx.Request("POST", _OAUTH.token_url))
    try:
        accepted = _OAUTH._accept(response)
    except GlooGravixError:
        return
    assert accepted == (token, expires_in)


@FUZZ
@given(raw=s.encoded(s.model_list))
def test_model_list(raw):
    try:
        models = parse_models(raw, endpoint="fuzz")
    except GlooGravixError:
        return
    assert all(isinstance(m, ModelInfo) and isinstance(m.id, str) for m in models)


@FUZZ
@given(headers=s.retry_headers, now=st.floats(0, 2e9))
def test_retry_headers(headers, now):
    wait: Any = server_wait(headers, now=now)
    assert wait is None or (isinstance(wait, float) and wait >= 0 and not math.isnan(wait))
