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
import json
import random
from typing import Any, Callable

import httpcore
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


async def test_wait_for_timing_out_near_a_streams_end_gives_the_connection_back():
    # (the timeout of 1 ms landed, about one run in seven, just after the socket connected: the connection stayed
    # NEW in the pool for good; test_a_cancellation_as_the_socket_connects_... below lands there every time)
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


class _CancelAsSocketsConnect(httpcore.AsyncNetworkBackend):
    """A pool's network backend that cancels the connecting task as its socket connects (``armed`` times, shared
    by the pools): the cancellation lands at httpcore's next await, the lock its HTTP/1.1 connection takes before
    it marks itself ACTIVE, outside httpcore's own clean-up (transport.take_orphans)."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, armed: list[int]) -> None:
        self._inner = inner
        self.armed = armed

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(*args, **kwargs)
        if self.armed[0] > 0:
            self.armed[0] -= 1
            task = asyncio.current_task()
            assert task is not None
            task.cancel()
        return stream

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def cancel_as_sockets_connect(client: AsyncClient, times: int) -> list[int]:
    """Make the next ``times`` connections of ``client`` cancel their task as they connect; the list holds how
    many are left."""
    armed = [times]
    for pool in pools_of(client):
        pool._network_backend = _CancelAsSocketsConnect(pool._network_backend, armed)
    return armed


def pools_of(client: AsyncClient) -> list[Any]:
    """The httpcore pools of a core client (its own transport's, or its httpx client's)."""
    from langchain_gloo_gravix.core.transport import _pools_of

    owner = client._sender._transport if client._sender._transport is not None else client._sender.http
    return _pools_of(owner)


@pytest.mark.parametrize("call", ["stream", "create"])
async def test_a_cancellation_as_the_socket_connects_gives_the_connection_back(call):
    chat = words_stream if call == "stream" else (lambda: fs.reply(200, fs.completion("one two three four")))
    with fs.FaultServer(script(lambda n: chat()), lifetime=30) as server:
        client = AsyncClient("gravix", api_key="k-" + "x" * 20, base_url=server.url + "/v1", retry_policy=NO_RETRY)

        async def read() -> str:
            if call == "create":
                return (await client.create(MSGS, **MODEL)).message.text
            return "".join([d.content async for d in client.stream(MSGS, **MODEL)])

        armed = cancel_as_sockets_connect(client, 3)
        for _ in range(3):
            task = asyncio.ensure_future(read())
            await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 10)
            assert task.cancelled()
        assert armed == [0]  # each call was cancelled as its socket connected
        assert await settle(client) == 0
        assert sum(len(pool._connections) for pool in pools_of(client)) == 0  # closed, not merely idle
        assert await read() == "one two three four"
        await client.aclose()


@pytest.mark.parametrize("seed", [1, 3, 4])
async def test_calls_cancelled_twice_while_waiting_for_headers_give_every_connection_back(seed):
    # the second cancellation lands in httpcore's own clean-up of the first (its lock), before the connection is
    # closed: without the reclaim it stays ACTIVE, owned by no request
    rng = random.Random(seed)
    with fs.FaultServer(script(lambda n: fs.hang() if n < 24 else words_stream()), lifetime=30) as server:
        client = AsyncClient("gravix", api_key="k-" + "x" * 20, base_url=server.url + "/v1", retry_policy=NO_RETRY)

        async def read() -> None:
            async for _ in client.stream(MSGS, **MODEL):
                pass

        tasks = [asyncio.ensure_future(read()) for _ in range(24)]
        for _ in range(500):  # until every request is on the wire (bounded: 5 s)
            if server.count("chat") == 24:
                break
            await asyncio.sleep(0.01)
        assert server.count("chat") == 24
        await cancel_twice(tasks, rng)
        assert await settle(client) == 0
        assert "".join([d.content async for d in client.stream(MSGS, **MODEL)]) == "one two three four"
        await client.aclose()


class _HookedStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream, on_close: list[Callable[[], None]]) -> None:
        self._inner, self._on_close = inner, on_close

    async def read(self, max_bytes: int, timeout: Any = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: Any = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        while self._on_close:
            self._on_close.pop()()
        await self._inner.aclose()

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _HookedBackend(httpcore.AsyncNetworkBackend):
    """Runs the hooks in ``on_close`` (once each) when a connection's socket is being closed."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, on_close: list[Callable[[], None]]) -> None:
        self._inner, self._on_close = inner, on_close

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        return _HookedStream(await self._inner.connect_tcp(*args, **kwargs), self._on_close)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def test_a_queued_request_cancelled_as_a_slot_frees_up_gives_the_connection_back():
    # A caller's httpx client with one connection, kept alive by nobody: when the first call gives its connection
    # back, httpcore closes it, creates a new one for the queued second call, then closes the old socket; the
    # second call is cancelled right then, after its connection was made for it and before it could use it
    # (encode/httpcore#1093). Without the reclaim that connection holds the only slot for good.
    slow_answer = fs.trickle(json.dumps(fs.completion("first")).encode(), interval=0.05, step=60)
    with fs.FaultServer(script(lambda n: slow_answer if n == 0 else fs.reply(200, fs.completion("next")))) as server:
        http = httpx.AsyncClient(limits=httpx.Limits(max_connections=1, max_keepalive_connections=0))
        client = AsyncClient(
            "gravix",
            api_key="k-" + "x" * 20,
            base_url=server.url + "/v1",
            retry_policy=NO_RETRY,
            http_client=http,
            timeout=httpx.Timeout(10.0, pool=2.0),  # a leaked slot fails the last call within 2 s
        )
        (pool,) = pools_of(client)
        on_close: list[Callable[[], None]] = []
        pool._network_backend = _HookedBackend(pool._network_backend, on_close)
        first = asyncio.ensure_future(client.create(MSGS, **MODEL))
        for _ in range(200):  # until the first call is on the wire (bounded: 2 s)
            if server.count("chat"):
                break
            await asyncio.sleep(0.01)
        second = asyncio.ensure_future(client.create(MSGS, **MODEL))
        for _ in range(100):  # until the second call waits for the slot
            if len(pool._requests) == 2:
                break
            await asyncio.sleep(0)
        assert len(pool._requests) == 2
        given: list[Any] = []

        def cancel_second() -> None:
            given.extend(r.connection for r in pool._requests)  # the second call already has its connection
            second.cancel()

        on_close.append(cancel_second)
        assert (await asyncio.wait_for(first, 10)).message.text == "first"
        await asyncio.wait_for(asyncio.gather(second, return_exceptions=True), 10)
        assert second.cancelled() and len(given) == 1 and given[0] is not None
        assert [c for c in pool._connections if not c.is_idle()] == []
        assert (await client.create(MSGS, **MODEL)).message.text == "next"
        await client.aclose()
        await http.aclose()


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
