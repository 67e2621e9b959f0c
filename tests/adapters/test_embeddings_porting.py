"""Embeddings as OpenAIEmbeddings users expect, in both frameworks: per-call ``chunk_size``, a declared
``dimensions``, long inputs split to the model's window and combined, and ``max_concurrency`` holding
on every async path. Against a loopback server of our own that records bodies and counts requests in
flight (bounded: it answers at most a few hundred requests, each within a second)."""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_gloo_gravix import GravixLayerEmbeddings
from langchain_gloo_gravix.core.embedding_windows import RESERVED, combine, split_text
from langchain_gloo_gravix.core.errors import MalformedResponseError
from llama_index_ext import GravixLayerEmbedding

E5 = "microsoft/multilingual-e5-large"


class _Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bodies: list[dict[str, Any]] = []
        self.in_flight = 0
        self.peak = 0
        self.delay = 0.0
        self.honour_dimensions = True


def _vector(text: str, size: int) -> list[float]:
    # deterministic and text-dependent, so a combination can be checked: [bytes, 'a's, 1, 0, 0...]
    base = [float(len(text.encode("utf-8"))), float(text.count("a")), 1.0]
    return (base + [0.0] * size)[:size]


def _handler(rec: _Recorder) -> type:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with rec.lock:
                rec.bodies.append(body)
                rec.in_flight += 1
                rec.peak = max(rec.peak, rec.in_flight)
            try:
                time.sleep(rec.delay)
                size = body.get("dimensions") if rec.honour_dimensions and body.get("dimensions") else 8
                data = [
                    {"object": "embedding", "index": i, "embedding": _vector(t, size)}
                    for i, t in enumerate(body["input"])
                ]
                out = json.dumps(
                    {
                        "object": "list",
                        "data": data,
                        "model": body["model"],
                        "usage": {"prompt_tokens": 1, "total_tokens": 1},
                    }
                ).encode()
            finally:
                with rec.lock:
                    rec.in_flight -= 1
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    return Handler


@pytest.fixture
def server():
    rec = _Recorder()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    rec.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/v1/inference"  # type: ignore[attr-defined]
    try:
        yield rec
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _models(rec: _Recorder, **kw: Any) -> list[Any]:
    common = {"api_key": "k-test", "base_url": rec.base_url, "encoding_format": "float", **kw}  # type: ignore[attr-defined]
    li = dict(common)
    if "batch_size" in li:
        li["embed_batch_size"] = li.pop("batch_size")
    return [GravixLayerEmbeddings(**common), GravixLayerEmbedding(**li)]


def _embed(model: Any, texts: list[str]) -> list[list[float]]:
    if isinstance(model, GravixLayerEmbeddings):
        return model.embed_documents(texts)
    return model.get_text_embedding_batch(texts)


FRAMEWORKS = ["langchain", "llama_index"]


def _pick(rec: _Recorder, framework: str, **kw: Any) -> Any:
    return _models(rec, **kw)[FRAMEWORKS.index(framework)]


# -- chunk_size per call (LangChain's embed_documents signature) --------------------------


def test_langchain_chunk_size_per_call(server):
    model = GravixLayerEmbeddings(api_key="k", base_url=server.base_url, encoding_format="float", chunk_size=100)
    vectors = model.embed_documents([f"text {i}" for i in range(7)], chunk_size=3)
    assert len(vectors) == 7
    assert [len(b["input"]) for b in server.bodies] == [3, 3, 1]
    asyncio.run(model.aembed_documents(["x", "y", "z"], chunk_size=2))
    assert sorted(len(b["input"]) for b in server.bodies[3:]) == [1, 2]  # concurrent: any arrival order
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        model.embed_documents(["x"], chunk_size=0)


# -- dimensions ---------------------------------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_dimensions_is_a_declared_field_sent_and_checked(server, framework, recwarn):
    model = _pick(server, framework, model=E5, dimensions=16)
    assert model.dimensions == 16
    vectors = _embed(model, ["hello"])
    assert server.bodies[-1]["dimensions"] == 16 and len(vectors[0]) == 16
    assert not [w for w in recwarn if "not a declared option" in str(w.message)]
    server.honour_dimensions = False  # a server that ignores the field
    with pytest.raises(Exception) as caught:
        _embed(model, ["hello"])
    assert "dimensions=16 was asked for" in str(caught.value)
    assert isinstance(caught.value, MalformedResponseError) or isinstance(
        caught.value.__cause__, MalformedResponseError
    )


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_bad_dimensions_fail_at_construction(framework):
    cls = GravixLayerEmbeddings if framework == "langchain" else GravixLayerEmbedding
    with pytest.raises(ValueError, match="dimensions"):
        cls(api_key="k", base_url="http://127.0.0.1:9/v1/inference", dimensions=0)


# -- long inputs ----------------------------------------------------------------------------

LONG = " ".join(f"word{i} alpha" for i in range(400))  # ~4,800 bytes, far over e5's 512 tokens


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_long_input_is_split_to_the_window_and_combined(server, framework):
    model = _pick(server, framework, model=E5)
    [vector, short] = _embed(model, [LONG, "short text"])
    sent = [t for b in server.bodies for t in b["input"]]
    pieces = sent[:-1]
    assert len(pieces) > 1 and sent[-1] == "short text"
    assert all(len(p.encode("utf-8")) <= 512 - RESERVED for p in pieces)
    assert "".join(pieces).split() == LONG.split()  # nothing lost, nothing repeated
    expected = combine([_vector(p, 8) for p in pieces], [len(p.encode("utf-8")) for p in pieces])
    assert vector == pytest.approx(expected)
    assert math.isclose(sum(x * x for x in vector), 1.0)
    assert short == _vector("short text", 8)  # an input that fits is passed on as the server gave it


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_split_can_be_turned_off_or_sized(server, framework):
    _embed(_pick(server, framework, model=E5, check_embedding_ctx_length=False), [LONG])
    assert server.bodies[-1]["input"] == [LONG]
    server.bodies.clear()
    _embed(_pick(server, framework, model="some-unknown-embedder"), [LONG])
    assert server.bodies[-1]["input"] == [LONG]  # unknown window: sent whole
    server.bodies.clear()
    _embed(_pick(server, framework, model="some-unknown-embedder", embedding_ctx_length=1000), [LONG])
    assert all(len(t.encode()) <= 1000 - RESERVED for b in server.bodies for t in b["input"])


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=600), st.integers(min_value=8, max_value=80))
def test_split_pieces_fit_and_keep_every_non_space_character(text, window):
    pieces = split_text(text, window)
    assert pieces
    if len(pieces) > 1:
        assert all(len(p.encode("utf-8")) <= window - RESERVED for p in pieces)
    assert "".join("".join(p.split()) for p in pieces) == "".join(text.split())


# -- max_concurrency on every async path ---------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_max_concurrency_holds_across_concurrent_async_calls(server, framework):
    server.delay = 0.05
    model = _pick(server, framework, model=E5, max_concurrency=2, batch_size=1)
    texts = [f"t{i}" for i in range(12)]

    async def go() -> list[Any]:
        if framework == "langchain":
            return await asyncio.gather(*(model.aembed_documents(texts[i : i + 3]) for i in range(0, 12, 3)))
        # LlamaIndex gathers one _aget_text_embeddings per embed_batch_size chunk
        return [await model.aget_text_embedding_batch(texts)]

    asyncio.run(go())
    assert len(server.bodies) == 12
    assert server.peak <= 2, f"{server.peak} requests were in flight with max_concurrency=2"


def test_llama_index_max_concurrency_holds_for_single_text_calls(server):
    server.delay = 0.05
    model = GravixLayerEmbedding(api_key="k", base_url=server.base_url, max_concurrency=3, encoding_format="float")

    async def go() -> None:
        await asyncio.gather(*(model.aget_text_embedding(f"t{i}") for i in range(9)))
        await asyncio.gather(*(model.aget_query_embedding(f"q{i}") for i in range(9)))

    asyncio.run(go())
    assert len(server.bodies) == 18 and server.peak <= 3
