"""Streams against a hostile loopback server (tests/support/fault_server.py), through the core clients (issue 20):

- a retried stream starts from nothing (a first attempt with no event must not truncate the answer);
- a stream is whole only with its proof of completion (a finish reason; ``[DONE]`` only where it is sent);
- cancellation at any instant, twice, gives every connection back to the pool;
- a stream has a cap (bytes, and one tool call's arguments) and its error keeps what arrived;
- a failed or cancelled stream leaves no credential in the frames of its traceback.

The same findings through LangChain and LlamaIndex: tests/adapters/test_stream_reliability.py.
"""

from __future__ import annotations

import asyncio
import gzip
import random
from typing import Any, Callable

import httpx
import pytest

from langchain_gloo_gravix.core import (
    AsyncClient,
    Client,
    ConfigurationError,
    GlooGravixError,
    RetryPolicy,
    StreamError,
    StreamTooLargeError,
)
from langchain_gloo_gravix.core.settings import DEFAULT_MAX_STREAM_BYTES, DEFAULT_MAX_TOOL_CALL_CHARS
from tests.support import fault_server as fs
from tests.support.secrets_scan import secrets_in_traceback

from .conftest import MSGS

RETRY_FAST = RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.001, jitter=lambda: 0.0)
NO_RETRY = RetryPolicy(max_retries=0)
MODEL = {"model": "m"}
WORDS = ("one ", "two ", "three ", "four")


def script(chat: Callable[[int], fs.Action]) -> fs.Script:
    return lambda kind, n: chat(n) if kind == "chat" else fs.reply(200, fs.completion())


def words_stream(*, done: bool = True, finish: bool = True) -> fs.Action:
    """The four words, one network read each (so that a stream returning after its first read shows)."""
    events = [fs.chunk_event(w, "stop" if finish and i == len(WORDS) - 1 else None) for i, w in enumerate(WORDS)]
    return fs.stream(*events, *([b"data: [DONE]\n\n"] if done else []), spaced=True, interval=0.01)


NO_EVENT_BODIES = {
    "empty event stream": lambda: fs.stream(),
    "gzip body with no event": lambda: fs.stream(
        gzip.compress(b": nothing here\n\n"), headers={"content-encoding": "gzip"}
    ),
}


def gravix(server: fs.FaultServer, mode: str, **kw: Any) -> Any:
    cls = AsyncClient if mode == "async" else Client
    kw.setdefault("retry_policy", RETRY_FAST)
    kw.setdefault("sleep", _async_nap if mode == "async" else (lambda s: None))
    return cls("gravix", api_key="k-" + "x" * 20, base_url=server.url + "/v1", **kw)


async def _async_nap(seconds: float) -> None:
    return None


async def collect(client: Any, mode: str, **params: Any) -> tuple[list[Any], Any]:
    """(deltas, error) of one stream, read to its end."""
    params = params or MODEL
    deltas: list[Any] = []
    try:
        if mode == "async":
            async with client.stream(MSGS, **params) as stream:
                async for delta in stream:
                    deltas.append(delta)
        else:
            with client.stream(MSGS, **params) as stream:
                for delta in stream:
                    deltas.append(delta)
    except GlooGravixError as error:
        return deltas, error
    finally:
        if mode == "async":
            await client.aclose()
        else:
            client.close()
    return deltas, None


# -- 20.1: a retried stream starts from nothing -----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("first", sorted(NO_EVENT_BODIES))
async def test_a_retry_after_a_stream_without_events_returns_the_whole_answer(mode, first):
    with fs.FaultServer(script(lambda n: NO_EVENT_BODIES[first]() if n == 0 else words_stream())) as server:
        deltas, error = await collect(gravix(server, mode), mode)
    assert error is None
    assert "".join(d.content for d in deltas) == "one two three four"
    assert deltas[-1].finish_reason == "stop"
    assert server.count("chat") == 2


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_completion_after_a_retry_is_the_retried_answer(mode):
    with fs.FaultServer(script(lambda n: fs.stream() if n == 0 else words_stream())) as server:
        client = gravix(server, mode)
        if mode == "async":
            async with client:
                completion = await client.stream(MSGS, **MODEL).completion()
        else:
            with client:
                completion = client.stream(MSGS, **MODEL).completion()
    assert completion.message.text == "one two three four" and completion.finish_reason == "stop"


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("first", sorted(NO_EVENT_BODIES))
async def test_a_body_with_no_event_says_so(mode, first):
    with fs.FaultServer(script(lambda n: NO_EVENT_BODIES[first]())) as server:
        deltas, error = await collect(gravix(server, mode, retry_policy=NO_RETRY), mode)
    assert deltas == []
    assert isinstance(error, StreamError) and error.code == "no_event"
    assert "before its first event" in str(error) and "0 chunks" not in str(error)
    assert error.partial_text == ""


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_gloo_stream_ended_by_done_without_a_finish_reason_is_incomplete(mode):
    # Gloo sends no [DONE]: one arriving before any finish reason proves nothing (docs/providers.md#end-of-stream)
    with fs.FaultServer(script(lambda n: words_stream(finish=False))) as server:
        cls = AsyncClient if mode == "async" else Client
        client = cls("gloo-v2", api_key="k-" + "x" * 20, base_url=server.url, retry_policy=NO_RETRY)
        deltas, error = await collect(client, mode, auto_routing=True)
    assert isinstance(error, StreamError) and error.code == "incomplete_stream"
    assert error.partial_text == "one two three four"
    assert "".join(d.content for d in deltas) == "one two three four"


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_gravix_stream_ended_by_done_is_whole(mode):
    with fs.FaultServer(script(lambda n: words_stream(finish=False))) as server:
        deltas, error = await collect(gravix(server, mode, retry_policy=NO_RETRY), mode)
    assert error is None and "".join(d.content for d in deltas) == "one two three four"


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_stream_cut_before_its_finish_keeps_the_partial_text(mode):
    with fs.FaultServer(script(lambda n: words_stream(done=False, finish=False))) as server:
        deltas, error = await collect(gravix(server, mode, retry_policy=NO_RETRY), mode)
    assert isinstance(error, StreamError) and error.code == "incomplete_stream"
    assert error.partial_text == "".join(d.content for d in deltas) == "one two three four"


# -- 20.4: cancellation gives the connection back -----------------------------------------------------------------


def active_connections(client: AsyncClient) -> int:
    """Connections of the client's pools that are checked out (httpcore's ACTIVE), and requests in flight."""
    transport = client._sender._transport
    pools = getattr(transport, "_pools", [transport])
    busy = 0
    for pool in pools:
        core_pool = pool._pool
        busy += sum(1 for c in core_pool.connections if not c.is_idle() and not c.is_closed())
        busy += len(core_pool._requests)
    return busy


async def cancel_twice(tasks: list[asyncio.Task[Any]], rng: random.Random) -> None:
    """Cancel each task, then again after 0-3 loop turns: the second cancel lands anywhere, a close included."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        for _ in range(rng.randrange(4)):
            await asyncio.sleep(0)
        task.cancel()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 20)


async def settle(client: AsyncClient) -> int:
    """Let closes that outlived their cancelled callers finish (bounded: 10 s, for a loaded machine; a leaked
    connection never comes back), then count what is still busy."""
    for _ in range(1000):
        if active_connections(client) == 0:
            return 0
        await asyncio.sleep(0.01)
    return active_connections(client)


async def test_forty_streams_cancelled_twice_give_every_connection_back():
    rng = random.Random(20)
    endless = fs.stream(fs.chunk_event("first "), then="slow", interval=0.01, hold=20)
    with fs.FaultServer(script(lambda n: endless if n < 40 else words_stream()), lifetime=40) as server:
        client = AsyncClient("gravix", api_key="k-" + "x" * 20, base_url=server.url + "/v1", retry_policy=NO_RETRY)
        started = asyncio.Event()
        got = 0

        async def read() -> None:
            nonlocal got
            async for _ in client.stream(MSGS, **MODEL):
                got += 1
                if got >= 40:
                    started.set()

        tasks = [asyncio.ensure_future(read()) for _ in range(40)]
        await asyncio.wait_for(started.wait(), 20)
        await cancel_twice(tasks, rng)
        assert await settle(client) == 0
        # the next call reuses the pool at once: no pool timeout, no connection left ACTIVE
        text = "".join([d.content async for d in client.stream(MSGS, **MODEL)])
        assert text == "one two three four"
        assert await settle(client) == 0
        await client.aclose()


@pytest.mark.xfail(
    strict=False,
    reason="known race, not fixed: in about one run in four (15 runs on a quiet machine: 4 failed) one connection "
    "stays ACTIVE for good after asyncio.wait_for times out at some instant near a stream's end; the double-cancel "
    "case above is fixed. Kept running so a fix shows up as XPASS.",
)
async def test_wait_for_timing_out_near_a_streams_end_gives_the_connection_back():
    with fs.FaultServer(script(lambda n: words_stream()), lifetime=40) as server:
        client = AsyncClient("gravix", api_key="k-" + "x" * 20, base_url=server.url + "/v1", retry_policy=NO_RETRY)

        async def read() -> str:
            return "".join([d.content async for d in client.stream(MSGS, **MODEL)])

        # timeouts around the stream's length (4 events 10 ms apart), so that some land in its end and close
        for timeout in (0.001, 0.01, 0.02, 0.03, 0.035, 0.04, 0.045, 0.05, 0.06, 0.08):
            try:
                await asyncio.wait_for(read(), timeout)
            except asyncio.TimeoutError:
                pass
        assert await settle(client) == 0
        assert await read() == "one two three four"
        await client.aclose()


# -- 20.5: a per-stream cap -------------------------------------------------------------------------------------


def test_the_stream_caps_have_defaults_and_are_checked():
    client = Client("gravix", api_key="k", base_url="http://127.0.0.1:9/v1")
    assert client.settings.max_stream_bytes == DEFAULT_MAX_STREAM_BYTES == 256 * 1024 * 1024
    assert client.settings.max_tool_call_chars == DEFAULT_MAX_TOOL_CALL_CHARS
    assert (
        Client("gravix", api_key="k", base_url="http://h/v1", max_stream_bytes=None).settings.max_stream_bytes is None
    )
    for bad in (0, -1, "64MB", 1.5, True):
        with pytest.raises(ConfigurationError, match="max_stream_bytes"):
            Client("gravix", api_key="k", base_url="http://h/v1", max_stream_bytes=bad)
        with pytest.raises(ConfigurationError, match="max_tool_call_chars"):
            AsyncClient("gravix", api_key="k", base_url="http://h/v1", max_tool_call_chars=bad)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_an_endless_stream_stops_at_max_stream_bytes_keeping_its_text(mode):
    endless = fs.stream(fs.chunk_event("first "), then="slow", interval=0.002, hold=20)
    with fs.FaultServer(script(lambda n: endless), lifetime=30) as server:
        deltas, error = await collect(gravix(server, mode, max_stream_bytes=20_000), mode)
    assert isinstance(error, StreamTooLargeError) and error.code == "stream_too_large"
    assert "max_stream_bytes" in str(error) and error.retryable is False
    assert error.partial_text.startswith("first [0]")
    assert error.partial_text == "".join(d.content for d in deltas)
    assert server.count("chat") == 1  # never retried


def tool_fragment(arguments: str, *, first: bool = False) -> bytes:
    call: dict[str, Any] = {"index": 0, "function": {"arguments": arguments}}
    if first:
        call.update(id="call_1", type="function", function={"name": "lookup", "arguments": arguments})
    return fs.sse({"id": "c1", "choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": None}]})


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_tool_call_whose_arguments_never_end_stops_at_max_tool_call_chars(mode):
    events = [tool_fragment('{"q": "', first=True), *[tool_fragment("x" * 1000) for _ in range(40)]]
    with fs.FaultServer(script(lambda n: fs.stream(*events))) as server:
        deltas, error = await collect(gravix(server, mode, max_tool_call_chars=10_000), mode)
    assert isinstance(error, StreamTooLargeError) and error.code == "tool_call_too_large"
    assert "max_tool_call_chars" in str(error) and "lookup" in str(error)
    [call] = error.partial_tool_calls
    assert call["function"]["name"] == "lookup" and call["function"]["arguments"].startswith('{"q": "xxx')
    assert 9_000 < len(call["function"]["arguments"]) <= 10_000
    assert server.count("chat") == 1


# -- 20.7: a failed or cancelled stream holds no credential in its frames ---------------------------------------

API_KEY = "sk-live-" + "S3cr3t" * 4
HEADER_SECRET = "hdr-" + "T0ps3cr3t" * 3


def echoing(action: fs.Action) -> fs.Action:
    """The same action, from a server (or proxy) that echoes the credentials in its response headers."""
    action.headers = {
        **action.headers,
        "x-echo-authorization": f"Bearer {API_KEY}",
        "x-echo-gateway-key": HEADER_SECRET,
    }
    return action


FAILURES = {
    "reset after the first event": lambda: fs.stream(fs.chunk_event("first "), then="trickle", hold=0.05),
    "error status": lambda: fs.reply(503, {"error": {"message": f"bad key Bearer {API_KEY}"}}),
    "in-band error": lambda: fs.stream(
        fs.chunk_event("first "), fs.sse({"error": {"message": f"echo {HEADER_SECRET}"}}), spaced=True
    ),
}


def secret_client(server: fs.FaultServer, mode: str) -> Any:
    cls = AsyncClient if mode == "async" else Client
    return cls(
        "gravix",
        api_key=API_KEY,
        base_url=server.url + "/v1",
        default_headers={"X-Gateway-Key": HEADER_SECRET},
        retry_policy=NO_RETRY,
        stream_idle_timeout=0.2,
    )


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("failure", sorted(FAILURES))
async def test_a_failed_stream_leaves_no_credential_in_its_frames(mode, failure):
    with fs.FaultServer(script(lambda n: echoing(FAILURES[failure]()))) as server:
        client = secret_client(server, mode)
        try:
            if mode == "async":
                async for _ in client.stream(MSGS, **MODEL):
                    pass
            else:
                for _ in client.stream(MSGS, **MODEL):
                    pass
        except GlooGravixError as error:
            caught: BaseException = error
        else:
            pytest.fail("the stream did not fail")
        found = secrets_in_traceback(caught, (API_KEY, HEADER_SECRET))
        assert found == [], found
        if mode == "async":
            await client.aclose()
        else:
            client.close()


async def test_a_cancelled_stream_leaves_no_credential_in_its_frames():
    with fs.FaultServer(script(lambda n: echoing(fs.stream(fs.chunk_event("first "), then="stall")))) as server:
        client = secret_client(server, "async")
        first = asyncio.Event()

        async def read() -> None:
            async for _ in client.stream(MSGS, **MODEL):
                first.set()

        task = asyncio.ensure_future(read())
        await asyncio.wait_for(first.wait(), 10)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError as cancelled:
            caught: BaseException = cancelled
        found = secrets_in_traceback(caught, (API_KEY, HEADER_SECRET))
        assert found == [], found
        await client.aclose()


def test_the_scan_finds_a_secret_in_a_local():
    # a frame from outside tests/ (the scan skips the tests' own frames), holding the key in a dict
    namespace: dict[str, Any] = {}
    source = "def leaky(key):\n    headers = {'Authorization': 'Bearer ' + key}\n    raise ValueError('boom')\n"
    exec(compile(source, "<library code>", "exec"), namespace)
    try:
        namespace["leaky"](API_KEY)
    except ValueError as error:
        assert secrets_in_traceback(error, (API_KEY,)) == ["<library code>:leaky: key", "<library code>:leaky: headers"]


async def test_a_connection_given_back_and_reused_is_never_discarded():
    # one connection for everyone: each close hands it straight to the next waiting call, which must keep it
    reply = fs.reply(200, fs.completion("done"))
    with fs.FaultServer(script(lambda n: reply if n < 10 else words_stream(done=False))) as server:
        transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
        client = AsyncClient("gravix", api_key="k-" + "x" * 20, base_url=server.url + "/v1", transport=transport)

        async def create() -> str:
            return (await client.create(MSGS, **MODEL)).message.text

        async def stream() -> str:
            return "".join([d.content async for d in client.stream(MSGS, **MODEL)])

        assert await asyncio.wait_for(asyncio.gather(*(create() for _ in range(10))), 30) == ["done"] * 10
        assert await asyncio.wait_for(asyncio.gather(*(stream() for _ in range(10))), 30) == ["one two three four"] * 10
        assert server.connections == 1
        await client.aclose()


def test_forgetting_locals_leaves_the_callers_frames_and_suspended_generators_alone():
    from langchain_gloo_gravix.core.redact import forget_locals

    def generator() -> Any:
        try:
            raise KeyError("handled inside")
        except KeyError as handled:
            yield handled  # suspended inside its handler: its frame is in that error's traceback
        yield "still alive"

    running = generator()
    handled = next(running)

    def callers_code() -> None:
        marker = "kept"  # noqa: F841 (what must survive)
        raise ValueError("the caller's own failure")

    try:
        callers_code()
    except ValueError as own:
        caller_error = own
    error = StreamError("ours")
    error.__context__ = caller_error
    caller_error.__context__ = handled
    forget_locals(error)
    assert next(running) == "still alive"
    frames = []
    tb = caller_error.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_locals)
        tb = tb.tb_next
    assert any(f.get("marker") == "kept" for f in frames)
