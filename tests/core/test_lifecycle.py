"""The request lifecycle against a hostile loopback server (tests/support/fault_server.py): deadlines that hold, a token
refresh that cannot hang, proxies and a caller's client, a fork during a refresh, streams that go silent or
trickle, pools that stay balanced. Small timeouts keep it fast; every bound asserted is generous."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import threading
import time
import warnings
from typing import Any, Callable

import httpx
import pytest

from langchain_gloo_gravix.core import (
    APITimeoutError,
    AsyncClient,
    Client,
    GlooGravixError,
    RetryPolicy,
    StreamTimeoutError,
)
from tests.support import fault_server as fs

from .conftest import MSGS, unique_id

NO_SLEEP = RetryPolicy(max_retries=1, initial_delay=0.01, max_delay=0.01, jitter=lambda: 0.0)


def oauth(server: fs.FaultServer, **kw: Any) -> dict[str, Any]:
    return {"base_url": server.url, "client_id": unique_id(), "client_secret": "sec-" + unique_id(), **kw}


def script(**by_kind: Callable[[int], fs.Action]) -> fs.Script:
    def run(kind: str, n: int) -> fs.Action:
        if kind in by_kind:
            return by_kind[kind](n)
        if kind == "token":
            return fs.token()
        return fs.reply(200, fs.completion())

    return run


def run_threads(n: int, target: Callable[[], Any], bound: float) -> list[tuple[float, Any]]:
    """Run ``target`` in ``n`` threads started together; each result is (seconds taken, value or exception)."""
    results: list[tuple[float, Any]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(n)

    def worker() -> None:
        barrier.wait(10)
        start = time.monotonic()
        try:
            value: Any = target()
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertions
            value = exc
        with lock:
            results.append((time.monotonic() - start, value))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(bound)
    assert not any(t.is_alive() for t in threads), f"a caller was still running after {bound} s"
    return results


# -- token endpoint: hung, trickling; many callers -------------------------------------------------------


@pytest.mark.parametrize("fault", ["hang", "trickle"])
def test_hung_or_trickling_token_endpoint_16_threads_each_fail_within_timeout_times_attempts(fault):
    body = b'{"access_token": "tok", "expires_in": 3600}' + b" " * 200
    action = fs.hang() if fault == "hang" else fs.trickle(body, interval=0.05)
    with fs.FaultServer(script(token=lambda n: action)) as server:
        client = Client("gloo-v2", timeout=0.3, retry_policy=NO_SLEEP, **oauth(server))
        results = run_threads(16, lambda: client.create(MSGS, auto_routing=True), bound=20)
        client.close()
    # 2 attempts x 0.3 s; before, the 16th caller failed after about 16 x timeout (4.8 s)
    for took, value in results:
        assert isinstance(value, APITimeoutError), value
        assert took < 2.5, took
    # one refresh per attempt round, shared by all 16 callers (not one per caller)
    assert server.count("token") <= 4
    assert server.count("chat") == 0
    assert len({id(v) for _, v in results}) == 16  # each caller its own exception object


@pytest.mark.parametrize("fault", ["hang", "trickle"])
async def test_hung_or_trickling_token_endpoint_16_tasks(fault):
    body = b'{"access_token": "tok", "expires_in": 3600}' + b" " * 200
    action = fs.hang() if fault == "hang" else fs.trickle(body, interval=0.05)
    with fs.FaultServer(script(token=lambda n: action)) as server:
        async with AsyncClient("gloo-v2", timeout=0.3, retry_policy=NO_SLEEP, **oauth(server)) as client:
            start = time.monotonic()
            results = await asyncio.wait_for(
                asyncio.gather(*(client.create(MSGS, auto_routing=True) for _ in range(16)), return_exceptions=True), 20
            )
            took = time.monotonic() - start
    assert all(isinstance(r, APITimeoutError) for r in results), results[:3]
    assert took < 2.5, took
    assert server.count("token") <= 4
    assert len({id(r) for r in results}) == 16


async def test_token_refused_once_reaches_every_waiter_as_its_attempt(sleeps):
    """The owner's failure is the waiters' failure of that round; the next round succeeds for all."""
    with fs.FaultServer(script(token=lambda n: fs.reply(503, {"error": "busy"}) if n == 0 else fs.token())) as server:
        async with AsyncClient(
            "gloo-v2", timeout=2, sleep=sleeps.async_, retry_policy=NO_SLEEP, **oauth(server)
        ) as client:
            results = await asyncio.gather(
                *(client.create(MSGS, auto_routing=True) for _ in range(8)), return_exceptions=True
            )
    assert all(not isinstance(r, BaseException) for r in results), results[:3]
    assert server.count("token") == 2
    assert server.count("chat") == 8


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_token_request_bounded_through_a_proxy_from_the_environment(monkeypatch, mode):
    with fs.FaultServer(script(token=lambda n: fs.hang())) as server:
        monkeypatch.setenv("HTTP_PROXY", server.url)  # the fault server answers as a proxy
        kw = {
            "base_url": "http://gloo.invalid",
            "client_id": unique_id(),
            "client_secret": "s",
            "timeout": 0.3,
            "max_retries": 0,
        }
        start = time.monotonic()
        if mode == "sync":
            client = Client("gloo-v2", **kw)
            assert client._sender.direct is False  # httpx built the transports, with the proxy
            with pytest.raises(APITimeoutError):
                client.create(MSGS, auto_routing=True)
            client.close()
        else:
            async with AsyncClient("gloo-v2", **kw) as aclient:
                with pytest.raises(APITimeoutError):
                    await aclient.create(MSGS, auto_routing=True)
        took = time.monotonic() - start
        [seen] = server.of("token")
        assert seen.target == "http://gloo.invalid/oauth2/token"  # proxy form: it went through the proxy
    assert took < 3, took


def test_no_proxy_is_honoured(monkeypatch):
    with fs.FaultServer(script()) as server:
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with Client("gravix", base_url=server.url, api_key="k", timeout=2, max_retries=0) as client:
            assert client.create(MSGS, model="m").message.content == "ok"
        assert server.count("chat") == 1 and not server.of("chat")[0].target.startswith("http")


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_token_request_bounded_with_a_callers_http_client(mode):
    """A caller's client with a generous timeout of its own: the token request still obeys ours."""
    with fs.FaultServer(script(token=lambda n: fs.hang())) as server:
        start = time.monotonic()
        if mode == "sync":
            with httpx.Client(timeout=30) as http:
                client = Client("gloo-v2", http_client=http, timeout=0.3, max_retries=0, **oauth(server))
                with pytest.raises(APITimeoutError):
                    client.create(MSGS, auto_routing=True)
        else:
            async with httpx.AsyncClient(timeout=30) as ahttp:
                aclient = AsyncClient("gloo-v2", http_client=ahttp, timeout=0.3, max_retries=0, **oauth(server))
                with pytest.raises(APITimeoutError):
                    await aclient.create(MSGS, auto_routing=True)
        took = time.monotonic() - start
    assert took < 3, took


def test_cancelled_waiters_leave_no_unretrieved_exception(caplog):
    """Three of six callers are cancelled while waiting for a refresh that then fails: nothing may be left
    for asyncio to report as "exception was never retrieved" (checked after the loop is gone)."""
    caplog.set_level(logging.ERROR, logger="asyncio")

    async def scenario(server: fs.FaultServer) -> list[Any]:
        async with AsyncClient("gloo-v2", timeout=0.5, max_retries=0, **oauth(server)) as client:
            tasks = [asyncio.ensure_future(client.create(MSGS, auto_routing=True)) for _ in range(6)]
            await asyncio.sleep(0.2)  # one owns the refresh, five wait
            for task in tasks[1:4]:
                task.cancel()
            return await asyncio.gather(*tasks, return_exceptions=True)

    with fs.FaultServer(script(token=lambda n: fs.hang())) as server:
        results = asyncio.run(scenario(server))
    assert sum(isinstance(r, asyncio.CancelledError) for r in results) == 3
    assert all(isinstance(r, (asyncio.CancelledError, APITimeoutError)) for r in results)
    del results
    gc.collect()
    assert "never retrieved" not in caplog.text


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_during_a_refresh_child_mints_its_own_token():
    # first token request hangs (the parent's refresh in flight), later ones answer
    with fs.FaultServer(script(token=lambda n: fs.hang() if n == 0 else fs.token("tok-child"))) as server:
        kw = oauth(server, timeout=5, max_retries=0)
        client = Client("gloo-v2", **kw)
        owner = threading.Thread(
            target=lambda: pytest.raises(GlooGravixError, client.create, MSGS, auto_routing=True), daemon=True
        )
        owner.start()
        for _ in range(200):  # until the parent's refresh is in flight
            if server.count("token"):
                break
            time.sleep(0.01)
        assert server.count("token") == 1
        # Forking while other threads run is the scenario under test (a refresh in flight in
        # another thread); Python 3.12+ warns about exactly that, so the warning is recorded here
        # and asserted below (in the parent, which alone gets it), not filtered for the whole suite.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: must mint by itself, promptly; its exit status tells the parent
            code = 3
            try:
                child = Client("gloo-v2", **{**kw, "timeout": 2})
                code = 0 if child.create(MSGS, auto_routing=True).message.content == "ok" else 1
            except BaseException:
                code = 2
            finally:
                os._exit(code)
        status = None
        for _ in range(1000):  # at most ~10 s
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.01)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung on the parent's refresh")
        client.close()
    owner.join(10)
    assert os.waitstatus_to_exitcode(status) == 0
    fork_warnings = [w for w in caught if "multi-threaded" in str(w.message)]
    assert len(fork_warnings) == (1 if sys.version_info >= (3, 12) else 0)


# -- non-streaming bodies: a whole-call deadline ----------------------------------------------------------


@pytest.mark.parametrize("fault", ["trickle", "silent-body"])
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_trickled_or_silent_body_fails_within_about_timeout(mode, fault):
    import json

    body = json.dumps(fs.completion("x" * 200)).encode()
    action = (
        fs.trickle(body, interval=0.05) if fault == "trickle" else fs.trickle(body, interval=30, step=len(body) // 2)
    )
    with fs.FaultServer(script(chat=lambda n: action)) as server:
        kw = {"base_url": server.url, "api_key": "k", "timeout": 0.5, "max_retries": 0}
        start = time.monotonic()
        if mode == "sync":
            with Client("gravix", **kw) as client, pytest.raises(APITimeoutError):
                client.create(MSGS, model="m")
        else:
            async with AsyncClient("gravix", **kw) as aclient:
                with pytest.raises(APITimeoutError):
                    await aclient.create(MSGS, model="m")
        took = time.monotonic() - start
    # before: a 240-byte body at one byte per 0.05 s kept the call alive for ~13 s
    assert took < 2.0, took


def test_token_and_chat_share_one_call_budget():
    """A slow token answer leaves only the rest of the budget to the chat request."""
    with fs.FaultServer(script(token=lambda n: fs.trickle(b'{"access_token":"t","expires_in":3600}', interval=0.01),
                               chat=lambda n: fs.hang())) as server:  # fmt: skip
        client = Client("gloo-v2", timeout=0.8, max_retries=0, **oauth(server))
        start = time.monotonic()
        with pytest.raises(APITimeoutError):
            client.create(MSGS, auto_routing=True)
        took = time.monotonic() - start
        client.close()
    assert took < 2.0, took


# -- streams: the idle deadline holds ----------------------------------------------------------------------


@pytest.mark.parametrize("then", ["stall", "ping", "trickle"])
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_silent_or_trickling_stream_fails_within_about_idle_timeout(mode, then):
    action = fs.stream(fs.chunk_event("first"), then=then, interval=0.05)
    with fs.FaultServer(script(chat=lambda n: action)) as server:
        kw = {"base_url": server.url, "api_key": "k", "stream_idle_timeout": 0.4, "max_retries": 0}
        got: list[str] = []
        start = time.monotonic()
        if mode == "sync":
            with Client("gravix", **kw) as client, pytest.raises(StreamTimeoutError) as info:
                for delta in client.stream(MSGS, model="m"):
                    got.append(delta.content)
        else:
            async with AsyncClient("gravix", **kw) as aclient:
                with pytest.raises(StreamTimeoutError) as info:
                    async for delta in aclient.stream(MSGS, model="m"):
                        got.append(delta.content)
        took = time.monotonic() - start
    assert got == ["first"]
    assert info.value.partial_text == "first"
    assert "0.4" in str(info.value)
    # before: a silent stream waited for the read timeout (120 s)
    assert took < 3.0, took


async def test_staggered_long_streams_each_get_their_first_event_promptly():
    """40 long streams opened one after another on one AsyncClient: each gets its first event at once
    (before, they all landed in the first sub-pool, the 33rd waited for a pool slot)."""
    action = fs.stream(fs.chunk_event("hello"), then="slow", interval=0.2, hold=4.0)
    with fs.FaultServer(script(chat=lambda n: action), lifetime=60) as server:
        async with AsyncClient(
            "gravix", base_url=server.url, api_key="k", timeout=httpx.Timeout(10, pool=3), max_retries=0
        ) as client:
            streams, waits = [], []
            try:
                for _ in range(40):
                    stream = client.stream(MSGS, model="m")
                    iterator = stream.__aiter__()
                    start = time.monotonic()
                    first = await asyncio.wait_for(iterator.__anext__(), 5)
                    waits.append(time.monotonic() - start)
                    assert first.content == "hello"
                    streams.append(stream)
                in_flight = list(client._sender._transport._in_flight)
            finally:
                for stream in streams:
                    await stream.aclose()
            assert client._sender._transport._in_flight == [0] * 8
    assert max(waits) < 2.0, waits
    assert sum(in_flight) == 40 and max(in_flight) <= 6, in_flight
