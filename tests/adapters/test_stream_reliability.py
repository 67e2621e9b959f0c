"""The stream findings of issue 20 through both frameworks, against the loopback fault server
(tests/support/fault_server.py): LangChain ``stream`` / ``astream`` / ``invoke`` with ``streaming=True`` and
LlamaIndex ``stream_chat`` / ``astream_chat``. The core side: tests/core/test_stream_reliability.py.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any, Callable

import pytest

from langchain_gloo_gravix.core import GlooGravixError, StreamError, StreamTooLargeError
from langchain_gloo_gravix.core.settings import ClientSettings
from tests.core.test_stream_reliability import (
    API_KEY,
    HEADER_SECRET,
    NO_EVENT_BODIES,
    active_connections,
    cancel_as_sockets_connect,
    cancel_twice,
    echoing,
    script,
    settle,
    words_stream,
)
from tests.support import fault_server as fs
from tests.support.secrets_scan import secrets_in_traceback

MODEL = "m"
WAYS = ["langchain-stream", "langchain-astream", "langchain-invoke-streaming", "llama_index-stream_chat",
        "llama_index-astream_chat"]  # fmt: skip


def model(way: str, server: fs.FaultServer, **kw: Any) -> Any:
    kw = {"api_key": "k-" + "x" * 20, "base_url": server.url + "/v1", "model": MODEL, "max_retries": 2, **kw}
    if way.startswith("langchain"):
        from langchain_gloo_gravix import ChatGravixLayer

        if way.endswith("streaming"):
            kw["streaming"] = True  # (an explicit streaming=False would turn stream() into invoke())
        return ChatGravixLayer(**kw)
    from llama_index_ext import GravixLayer

    return GravixLayer(**kw)


async def read(way: str, llm: Any) -> str:
    """The answer text, as the user of ``way`` reads it."""
    if way == "langchain-stream":
        return "".join(str(chunk.content) for chunk in llm.stream("hi"))
    if way == "langchain-astream":
        return "".join([str(chunk.content) async for chunk in llm.astream("hi")])
    if way == "langchain-invoke-streaming":
        return str(llm.invoke("hi").content)
    from llama_index.core.llms import ChatMessage

    messages = [ChatMessage(role="user", content="hi")]
    if way == "llama_index-stream_chat":
        return "".join(r.delta or "" for r in llm.stream_chat(messages))
    return "".join([r.delta or "" async for r in await llm.astream_chat(messages)])


def core_error(error: BaseException) -> Any:
    """The core error a framework error carries (LangChain dual-inherits; LlamaIndex raises ours)."""
    return error if isinstance(error, GlooGravixError) else error.__cause__


# -- 20.1 ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("first", sorted(NO_EVENT_BODIES))
async def test_a_retry_after_a_stream_without_events_returns_the_whole_answer(way, first, slept):
    with fs.FaultServer(script(lambda n: NO_EVENT_BODIES[first]() if n == 0 else words_stream())) as server:
        assert await read(way, model(way, server)) == "one two three four"
    assert server.count("chat") == 2


@pytest.mark.parametrize("way", WAYS)
async def test_a_stream_cut_before_its_finish_is_an_error_with_the_partial_text(way, slept):
    with fs.FaultServer(script(lambda n: words_stream(done=False, finish=False))) as server:
        with pytest.raises(Exception) as caught:
            await read(way, model(way, server, max_retries=0))
    error = core_error(caught.value)
    assert isinstance(error, StreamError) and error.code == "incomplete_stream"
    assert error.partial_text == "one two three four"


# -- 20.4 ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("way", ["langchain-astream", "llama_index-astream_chat"])
async def test_async_streams_cancelled_twice_give_every_connection_back(way):
    rng = random.Random(4)
    endless = fs.stream(fs.chunk_event("first "), then="slow", interval=0.01, hold=20)
    with fs.FaultServer(script(lambda n: endless if n < 24 else words_stream()), lifetime=40) as server:
        llm = model(way, server, max_retries=0)
        started: set[int] = set()
        all_started = asyncio.Event()

        async def one(i: int) -> None:
            if way.startswith("langchain"):
                stream: Any = llm.astream("hi")
            else:
                from llama_index.core.llms import ChatMessage

                stream = await llm.astream_chat([ChatMessage(role="user", content="hi")])
            async for _ in stream:
                started.add(i)
                if len(started) == 24:
                    all_started.set()

        tasks = [asyncio.ensure_future(one(i)) for i in range(24)]
        await asyncio.wait_for(all_started.wait(), 20)
        await cancel_twice(tasks, rng)
        client = llm._async_client()
        assert await settle(client) == 0
        assert await read(way, llm) == "one two three four"
        assert active_connections(client) == 0


@pytest.mark.parametrize("way", ["langchain-astream", "llama_index-astream_chat"])
async def test_a_cancellation_as_the_socket_connects_gives_the_connection_back(way):
    with fs.FaultServer(script(lambda n: words_stream()), lifetime=30) as server:
        llm = model(way, server, max_retries=0)
        client = llm._async_client()
        armed = cancel_as_sockets_connect(client, 2)
        for _ in range(2):
            task = asyncio.ensure_future(read(way, llm))
            await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 10)
            assert task.cancelled()
        assert armed == [0]  # each call was cancelled as its socket connected
        assert await settle(client) == 0
        assert await read(way, llm) == "one two three four"


# -- 20.5 ----------------------------------------------------------------------------------------------------


@pytest.fixture
def small_stream_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every client built from now on caps its streams at 20 kB (the frameworks use the core's default)."""
    resolve: Callable[..., ClientSettings] = ClientSettings.resolve

    def capped(endpoint: Any, **options: Any) -> ClientSettings:
        return resolve(endpoint, **{**options, "max_stream_bytes": 20_000})

    monkeypatch.setattr(ClientSettings, "resolve", capped)


@pytest.mark.parametrize("way", WAYS)
async def test_an_endless_stream_stops_at_the_cap_keeping_its_text(way, small_stream_cap):
    endless = fs.stream(fs.chunk_event("first "), then="slow", interval=0.002, hold=20)
    with fs.FaultServer(script(lambda n: endless), lifetime=30) as server:
        with pytest.raises(Exception) as caught:
            await read(way, model(way, server))
    error = core_error(caught.value)
    assert isinstance(error, StreamTooLargeError) and error.code == "stream_too_large"
    assert error.partial_text.startswith("first [0]")
    assert server.count("chat") == 1


# -- 20.7 ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("way", WAYS)
async def test_a_failed_stream_leaves_no_credential_in_its_frames(way, slept):
    failing = echoing(fs.stream(fs.chunk_event("first "), fs.sse({"error": {"message": f"echo {API_KEY}"}})))
    with fs.FaultServer(script(lambda n: failing)) as server:
        llm = model(way, server, api_key=API_KEY, default_headers={"X-Gateway-Key": HEADER_SECRET}, max_retries=0)
        with pytest.raises(Exception) as caught:
            await read(way, llm)
    assert isinstance(core_error(caught.value), StreamError)
    found = secrets_in_traceback(caught.value, (API_KEY, HEADER_SECRET))
    assert found == [], found
