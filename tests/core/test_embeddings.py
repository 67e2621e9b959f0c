"""Embeddings: the pure decisions (core/embeddings.py) and the two drivers over httpx.MockTransport.

Driver tests run through Client and AsyncClient (the ``mode`` fixture); retry sleeps are recorded,
not slept (conftest ``sleeps``).
"""

from __future__ import annotations

import json
import struct
from typing import Any, Callable, Optional

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_gloo_gravix.core import (
    AsyncClient,
    BadRequestError,
    Client,
    MalformedResponseError,
    RateLimitError,
    ServerError,
    resolve_embedding_model,
)
from langchain_gloo_gravix.core.embeddings import (
    EmbeddingBatch,
    EmbeddingCall,
    EmbeddingInputTooLargeError,
    InvalidEmbeddingInputError,
    base64_refused,
    batch_too_large,
    decode_base64_vector,
    encode_base64_vector,
    make_batches,
)
from langchain_gloo_gravix.core.errors import APIStatusError, error_from_response

BASE = "https://api.gravixlayer.com/v1/inference"
URL = BASE + "/embeddings"


def vec(text: str, dims: int = 4) -> list[float]:
    """A vector that identifies its text (exactly representable in float32)."""
    seed = sum(ord(c) for c in text) % 97
    return [float(seed + i) / 4 for i in range(dims)]


def answer(
    body: dict[str, Any],
    *,
    encoding: Optional[str] = None,
    order: Callable[[list], list] = lambda d: d,
    dims: int = 4,
    usage: Optional[dict] = None,
) -> dict[str, Any]:
    """The OpenAI-style answer to ``body``, in ``encoding`` (default: what it asked for)."""
    encoding = encoding or body.get("encoding_format", "float")
    data = []
    for i, text in enumerate(body["input"]):
        v = vec(text, dims)
        data.append(
            {"object": "embedding", "index": i, "embedding": encode_base64_vector(v) if encoding == "base64" else v}
        )
    tokens = sum(len(t.split()) for t in body["input"])
    return {
        "object": "list",
        "data": order(data),
        "model": body["model"],
        "usage": usage if usage is not None else {"prompt_tokens": tokens, "total_tokens": tokens},
    }


class EmbedServer:
    """A MockTransport handler: scripted replies first, then correct answers; every body recorded."""

    def __init__(self, *script: Callable[[dict], httpx.Response], max_batch: Optional[int] = None) -> None:
        self.script = list(script)
        self.max_batch = max_batch
        self.bodies: list[dict] = []
        self.urls: list[str] = []
        self.headers: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        self.urls.append(str(request.url))
        self.headers.append(dict(request.headers))
        if self.script:
            return self.script.pop(0)(body)
        if self.max_batch is not None and len(body["input"]) > self.max_batch:
            return httpx.Response(413, json={"error": {"message": "Payload Too Large"}})
        return httpx.Response(200, json=answer(body))


def make_client(mode: str, server: Callable[[httpx.Request], httpx.Response], **kw: Any) -> Any:
    transport = httpx.MockTransport(server)
    kw.setdefault("api_key", "sk-embed")
    if mode == "async":
        return AsyncClient("gravix", http_client=httpx.AsyncClient(transport=transport), **kw)
    return Client("gravix", http_client=httpx.Client(transport=transport), **kw)


async def embed(client: Any, texts: Any, **options: Any) -> Any:
    if isinstance(client, AsyncClient):
        return await client.embed(texts, **options)
    return client.embed(texts, **options)


TEXTS = [f"document number {i} about topic {i % 7}" for i in range(10)]


# -- pure: inputs, batches, encodings -------------------------------------------------------


@pytest.mark.parametrize(
    "texts,index,words",
    [
        (["ok", ""], 1, "empty string"),
        (["ok", "fine", 3], 2, "int"),
        ([None], 0, "NoneType"),
        ([b"bytes"], 0, "bytes"),
    ],
)
def test_bad_input_is_an_error_naming_its_index(texts, index, words):
    with pytest.raises(InvalidEmbeddingInputError) as info:
        EmbeddingCall(texts, endpoint="gravix", model="m")
    assert info.value.index == index and f"input {index}" in str(info.value) and words in str(info.value)
    assert isinstance(info.value, ValueError)


def test_a_single_string_is_refused_with_a_hint():
    with pytest.raises(InvalidEmbeddingInputError, match="wrap it in a list"):
        EmbeddingCall("just one", endpoint="gravix", model="m")


@pytest.mark.parametrize("size", [0, -1, 1.5, True])
def test_batch_size_must_be_a_positive_int(size):
    with pytest.raises(ValueError, match="batch_size"):
        make_batches(["a"], size)


def test_unknown_encoding_is_refused():
    with pytest.raises(ValueError, match="encoding_format"):
        EmbeddingCall(["a"], endpoint="gravix", model="m", encoding_format="binary")  # type: ignore[arg-type]


@given(st.lists(st.text(min_size=1, max_size=5), max_size=60), st.integers(min_value=1, max_value=70))
def test_batches_cover_every_input_once_in_order(texts, size):
    batches = make_batches(texts, size)
    assert [t for b in batches for t in b.texts] == texts
    assert all(1 <= len(b.texts) <= size for b in batches)
    assert [b.start for b in batches] == list(range(0, len(texts), size))


@given(st.lists(st.floats(width=32, allow_nan=False), min_size=1, max_size=300))
def test_base64_round_trip_is_exact_for_float32(values):
    assert decode_base64_vector(encode_base64_vector(values)) == values


@given(st.lists(st.floats(width=32, allow_nan=False, allow_infinity=False), min_size=1, max_size=50))
def test_base64_is_little_endian_float32(values):
    import base64

    raw = struct.pack(f"<{len(values)}f", *values)
    assert decode_base64_vector(base64.b64encode(raw).decode()) == values


@pytest.mark.parametrize("text", ["not base64!", "AAAA" + "A", "AAA=", ""])
def test_bad_base64_is_a_value_error(text):
    with pytest.raises(ValueError):
        decode_base64_vector(text)


def _status(code: int, body: Any) -> APIStatusError:
    return error_from_response(code, {}, json.dumps(body).encode(), endpoint="gravix")


@pytest.mark.parametrize(
    "code,message,expected",
    [
        (413, "Payload Too Large", True),
        (400, "too many inputs: 200 (at most 128)", True),
        (400, "Batch size exceeds the limit", True),
        (422, "request too large", True),
        (400, "model is required", False),
        (404, "too large", False),
        (500, "batch failed", False),
    ],
)
def test_batch_too_large_classification(code, message, expected):
    assert batch_too_large(_status(code, {"error": {"message": message}})) is expected


def test_base64_refusal_classification():
    assert base64_refused(_status(400, {"error": {"message": "encoding_format must be float"}}))
    assert not base64_refused(_status(400, {"error": {"message": "model is required"}}))
    assert not base64_refused(_status(500, {"error": {"message": "base64 decoder crashed"}}))


def test_recover_splits_in_halves_and_refuses_to_split_one_input():
    call = EmbeddingCall(["a", "b", "c"], endpoint="gravix", model="m")
    too_large = _status(413, {"error": {"message": "Payload Too Large"}})
    first, second = call.recover(call.batches[0], too_large)
    assert (first.start, first.texts, second.start, second.texts) == (0, ("a",), 1, ("b", "c"))
    with pytest.raises(EmbeddingInputTooLargeError) as info:
        call.recover(EmbeddingBatch(2, ("c",)), too_large)
    assert info.value.index == 2 and info.value.status_code == 413 and "input 2" in str(info.value)
    assert isinstance(info.value, BadRequestError)
    other = _status(400, {"error": {"message": "model is required"}})
    with pytest.raises(BadRequestError, match="model is required"):
        call.recover(call.batches[0], other)


@given(
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=1, max_value=16),
    st.integers(min_value=1, max_value=8),
    st.randoms(use_true_random=False),
)
@settings(max_examples=60, deadline=None)
def test_batching_splitting_and_order_property(n, batch_size, max_batch, rnd):
    """Whatever the batch size, server limit and order of the items in each answer, the vectors
    come back in input order, and each request stays within the batch size."""
    texts = [f"text {i}" for i in range(n)]
    call = EmbeddingCall(texts, endpoint="gravix", model="m", batch_size=batch_size, encoding_format="float")
    pending = list(reversed(call.batches))
    sent = 0
    while pending:
        batch = pending.pop()
        sent += 1
        assert sent < 10_000
        assert len(batch.texts) <= batch_size
        if len(batch.texts) > max_batch:
            pending.extend(reversed(call.recover(batch, _status(413, {"error": {"message": "too large"}}))))
            continue
        body = json.loads(call.body(batch))
        data = answer(body, order=lambda d: rnd.sample(d, len(d)))
        call.accept(batch, 200, {}, json.dumps(data).encode())
    assert call.result().vectors == [vec(t) for t in texts]


# -- pure: answers ------------------------------------------------------------------------------


def _accept(texts: list[str], payload: Any, encoding: str = "base64") -> Any:
    call = EmbeddingCall(texts, endpoint="gravix", model="m", encoding_format=encoding)  # type: ignore[arg-type]
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    call.accept(call.batches[0], 200, {"x-request-id": "rid-1"}, raw)
    return call.result()


def _good(texts: list[str], **kw: Any) -> dict:
    return answer({"input": texts, "model": "m", "encoding_format": "base64"}, **kw)


@pytest.mark.parametrize(
    "mutate,words",
    [
        (lambda p: p["data"].pop(), "holds 1 embeddings for 2 inputs"),
        (lambda p: p["data"].append(dict(p["data"][0], index=2)), "holds 3 embeddings for 2 inputs"),
        (lambda p: p["data"][1].update(index=0), "index 0 appears twice"),
        (lambda p: p["data"][1].update(index=5), "index 5, outside 0..1"),
        (lambda p: p["data"][1].update(index="1"), "index '1'"),
        (lambda p: p["data"][1].update(embedding=[0.1, 0.2]), "2 dimensions, other vectors 4"),
        (lambda p: p["data"][1].update(embedding=[]), "is empty"),
        (lambda p: p["data"][1].update(embedding=["x"] * 4), "embedding"),
        (lambda p: p["data"][1].update(embedding=[True] * 4), "not a list of numbers"),
        (lambda p: p["data"][1].update(embedding={"v": 1}), "dict"),
        (lambda p: p["data"][1].update(embedding="%%%"), "not valid base64"),
        (lambda p: p.pop("data"), "no 'data' list"),
        (lambda p: p["data"].__setitem__(0, "x"), "item 0 is not an object"),
    ],
)
def test_answers_that_do_not_match_are_typed_errors(mutate, words):
    payload = _good(["alpha", "beta"])
    mutate(payload)
    with pytest.raises(MalformedResponseError) as info:
        _accept(["alpha", "beta"], payload)
    assert words in str(info.value)
    assert info.value.request_id == "rid-1" and info.value.endpoint == "gravix"


def test_not_json_is_a_typed_error():
    with pytest.raises(MalformedResponseError, match="is not JSON"):
        _accept(["a"], b'{"data": [')


def test_error_envelope_with_200_is_a_server_error():
    with pytest.raises(ServerError, match="upstream exploded"):
        _accept(["a"], {"error": {"message": "upstream exploded"}})


def test_floats_accepted_when_base64_was_asked_and_order_follows_index():
    texts = ["one", "two", "three"]
    result = _accept(texts, _good(texts, encoding="float", order=lambda d: d[::-1]))
    assert result.vectors == [vec(t) for t in texts]
    assert all(type(x) is float for v in result.vectors for x in v)


def test_integer_components_become_floats():
    result = _accept(["a"], {"data": [{"index": 0, "embedding": [1, 2, 3]}]}, encoding="float")
    assert result.vectors == [[1.0, 2.0, 3.0]] and type(result.vectors[0][0]) is float


def test_usage_is_summed_and_missing_usage_is_zero():
    call = EmbeddingCall(["a b", "c d e", "f"], endpoint="gravix", model="m", batch_size=2)
    for batch in call.batches:
        call.accept(batch, 200, {}, json.dumps(answer(json.loads(call.body(batch)))).encode())
    assert (call.result().usage.prompt_tokens, call.result().usage.total_tokens) == (6, 6)
    assert _accept(["a"], _good(["a"], usage={})).usage.total_tokens == 0


def test_body_shape():
    call = EmbeddingCall(["a", "b"], endpoint="gravix", model="e5", user="u-1", extra_body={"dimensions": 8})
    assert json.loads(call.body(call.batches[0])) == {
        "model": "e5",
        "input": ["a", "b"],
        "encoding_format": "base64",
        "user": "u-1",
        "dimensions": 8,
    }


def test_embedding_model_resolution(monkeypatch):
    from langchain_gloo_gravix.core import GLOO_V2, GRAVIX

    assert resolve_embedding_model(GRAVIX) == "microsoft/multilingual-e5-large"
    monkeypatch.setenv("GRAVIXLAYER_EMBEDDING_MODEL", "env-model")
    assert resolve_embedding_model(GRAVIX) == "env-model"
    assert resolve_embedding_model(GRAVIX, "arg-model") == "arg-model"
    with pytest.raises(ValueError, match="no embeddings endpoint"):
        resolve_embedding_model(GLOO_V2)


# -- drivers, sync and async --------------------------------------------------------------------


@pytest.fixture(params=["sync", "async"])
def mode(request) -> str:
    return request.param


async def test_embed_sends_batches_in_order_with_auth(mode, monkeypatch):
    server = EmbedServer()
    client = make_client(mode, server)
    result = await embed(client, TEXTS, batch_size=4)
    assert result.vectors == [vec(t) for t in TEXTS]
    assert [len(b["input"]) for b in sorted(server.bodies, key=lambda b: TEXTS.index(b["input"][0]))] == [4, 4, 2]
    assert set(server.urls) == {URL}
    assert all(h["authorization"] == "Bearer sk-embed" for h in server.headers)
    assert all(
        b["encoding_format"] == "base64" and b["model"] == "microsoft/multilingual-e5-large" for b in server.bodies
    )
    assert result.requests == 3 and result.model == "microsoft/multilingual-e5-large"
    assert result.usage.total_tokens == sum(len(t.split()) for t in TEXTS)


async def test_empty_list_makes_no_request(mode):
    server = EmbedServer()
    result = await embed(make_client(mode, server), [])
    assert result.vectors == [] and server.bodies == [] and result.requests == 0


async def test_bad_input_fails_before_any_request(mode):
    server = EmbedServer()
    with pytest.raises(InvalidEmbeddingInputError, match="input 3"):
        await embed(make_client(mode, server), ["a", "b", "c", ""])
    assert server.bodies == []


async def test_413_splits_the_batch_until_it_fits(mode):
    server = EmbedServer(max_batch=3)
    result = await embed(make_client(mode, server), TEXTS, batch_size=8)
    assert result.vectors == [vec(t) for t in TEXTS]
    # 8 -> 4+4 -> 2+2+2+2, and the last batch of 2 fits: 1 + 2 + 4 + 1 requests
    assert len(server.bodies) == 8 and result.requests == 5


async def test_single_input_too_large_is_a_clear_error(mode):
    def refuse_long(body: dict) -> httpx.Response:
        if any(len(t) > 50 for t in body["input"]):
            return httpx.Response(400, json={"error": {"message": "input is too large for the model"}})
        return httpx.Response(200, json=answer(body))

    texts = ["short", "tiny", "x" * 80, "small"]
    server = EmbedServer(*[refuse_long] * 10)
    with pytest.raises(EmbeddingInputTooLargeError) as info:
        await embed(make_client(mode, server), texts)
    assert info.value.index == 2 and info.value.status_code == 400


async def test_429_then_200_is_retried_once(mode, sleeps):
    server = EmbedServer(
        lambda b: httpx.Response(429, json={"error": {"message": "slow down"}}, headers={"Retry-After": "2"})
    )
    result = await embed(make_client(mode, server), ["a", "b"])
    assert result.vectors == [vec("a"), vec("b")] and sleeps == [2.0] and len(server.bodies) == 2
    assert server.bodies[0] == server.bodies[1]


async def test_500s_exhaust_the_retries(mode, sleeps):
    fail = lambda b: httpx.Response(503, json={"error": {"message": "busy"}})  # noqa: E731
    server = EmbedServer(fail, fail, fail, fail)
    with pytest.raises(ServerError, match="busy"):
        await embed(make_client(mode, server, max_retries=2), ["a"])
    assert len(server.bodies) == 3 and len(sleeps) == 2


async def test_malformed_body_is_not_retried(mode, sleeps):
    server = EmbedServer(
        lambda b: httpx.Response(200, content=b'{"data": [', headers={"content-type": "application/json"})
    )
    with pytest.raises(MalformedResponseError, match="not JSON"):
        await embed(make_client(mode, server), ["a"])
    assert len(server.bodies) == 1 and sleeps == []


async def test_wrong_count_is_a_typed_error(mode):
    def short(body: dict) -> httpx.Response:
        payload = answer(body)
        payload["data"].pop()
        return httpx.Response(200, json=payload)

    with pytest.raises(MalformedResponseError, match="holds 1 embeddings for 2 inputs"):
        await embed(make_client(mode, EmbedServer(short)), ["a", "b"])


async def test_base64_refused_falls_back_to_float_for_the_rest_of_the_call(mode):
    refuse = lambda b: httpx.Response(400, json={"error": {"message": "unsupported encoding_format: base64"}})  # noqa: E731
    server = EmbedServer(refuse)
    result = await embed(make_client(mode, server, max_retries=0), TEXTS, batch_size=5, concurrency=1)
    assert result.vectors == [vec(t) for t in TEXTS]
    assert [b["encoding_format"] for b in server.bodies] == ["base64", "float", "float"]


async def test_base64_ignored_is_read_from_the_shape(mode):
    server = EmbedServer(lambda b: httpx.Response(200, json=answer(b, encoding="float")))
    result = await embed(make_client(mode, server), ["a", "b"])
    assert result.vectors == [vec("a"), vec("b")]


async def test_float_encoding_can_be_chosen(mode):
    server = EmbedServer()
    await embed(make_client(mode, server), ["a"], encoding_format="float", model="e5-small", user="u")
    assert server.bodies == [{"model": "e5-small", "input": ["a"], "encoding_format": "float", "user": "u"}]


async def test_async_batches_run_with_bounded_concurrency():
    import asyncio

    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, json=answer(json.loads(request.content)))

    client = AsyncClient("gravix", api_key="k", http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    texts = [f"t{i}" for i in range(40)]
    result = await client.embed(texts, batch_size=2, concurrency=3)
    assert result.vectors == [vec(t) for t in texts]
    assert peak == 3


async def test_async_failure_cancels_the_other_batches():
    import asyncio

    started = 0
    finished = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal started, finished
        started += 1
        body = json.loads(request.content)
        if body["input"][0] == "t0":
            return httpx.Response(400, json={"error": {"message": "model is required"}})
        await asyncio.sleep(5)  # cancelled long before this ends
        finished += 1
        return httpx.Response(200, json=answer(body))

    client = AsyncClient("gravix", api_key="k", http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(BadRequestError):
        await client.embed([f"t{i}" for i in range(8)], batch_size=2, concurrency=4)
    assert loop.time() - t0 < 4.0 and finished == 0


async def test_gloo_endpoints_have_no_embeddings(mode):
    transport = httpx.MockTransport(lambda r: httpx.Response(500))
    cls, http = (AsyncClient, httpx.AsyncClient) if mode == "async" else (Client, httpx.Client)
    client = cls("gloo-v2", api_key="k", http_client=http(transport=transport))
    with pytest.raises(ValueError, match="no embeddings endpoint"):
        await embed(client, ["a"])


async def test_rate_limit_error_keeps_what_was_received(mode, sleeps):
    body = {"error": {"message": "Rate limit exceeded", "request_id": "req-9"}}
    server = EmbedServer(*[lambda b: httpx.Response(429, json=body)] * 3)
    with pytest.raises(RateLimitError) as info:
        await embed(make_client(mode, server, max_retries=2), ["a"])
    assert info.value.status_code == 429 and info.value.request_id == "req-9" and info.value.body == body
    assert "sk-embed" not in repr(info.value) + str(info.value)
    assert len(sleeps) == 2
