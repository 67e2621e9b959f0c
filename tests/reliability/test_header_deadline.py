"""Issue 20.3: a server that trickles its response header block (a byte every 0.2 s here; a byte a second in the
report) defeated the whole-call deadline: each byte arrived within the read timeout, so ``create`` with
``timeout=2`` was still running after 100 s. The call budget now bounds the header wait too, and a stream's
header wait is bounded by its read timeout capped at ``stream_idle_timeout``: on the default path, through a
proxy from the environment, with a caller's ``http_client``, sync and async, for the Gloo token request, and
through both frameworks. Every bound asserted is generous (the trickle alone would take ~15 s)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from langchain_gloo_gravix.core import APITimeoutError, AsyncClient, Client, GlooGravixError
from tests.support import fault_server as fs

from .conftest import echo_script, gravix_kwargs

MSGS = [{"role": "user", "content": "hi"}]
TRICKLE = fs.trickle_headers(b"{}", interval=0.2)
BOUND = 6.0  # seconds; the budgets below are 1 s


def trickling(kind: str) -> fs.Script:
    return echo_script(**{kind: lambda n: TRICKLE})


async def call(mode: str, what: str, **kw: Any) -> None:
    if mode == "sync":
        with Client(kw.pop("endpoint", "gravix"), **kw) as client:
            if what == "create":
                client.create(MSGS, model="m")
            else:
                list(client.stream(MSGS, model="m"))
    else:
        async with AsyncClient(kw.pop("endpoint", "gravix"), **kw) as aclient:
            if what == "create":
                await aclient.create(MSGS, model="m")
            else:
                [d async for d in aclient.stream(MSGS, model="m")]


def budget_for(what: str) -> dict[str, Any]:
    # a call's budget is its timeout; a stream's header wait is its read timeout capped at stream_idle_timeout
    return {"timeout": 1.0} if what == "create" else {"timeout": 30.0, "stream_idle_timeout": 1.0}


@pytest.mark.parametrize("what", ["create", "stream"])
@pytest.mark.parametrize("path", ["direct", "proxy", "http_client"])
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_trickled_headers_fail_within_the_budget(monkeypatch, mode, path, what):
    with fs.FaultServer(trickling("chat")) as server:
        kw: dict[str, Any] = {**gravix_kwargs(server), "max_retries": 0, **budget_for(what)}
        if path == "proxy":
            monkeypatch.setenv("HTTP_PROXY", server.url)  # the fault server answers as a proxy
            kw["base_url"] = "http://gravix.invalid"
        elif path == "http_client":
            kw["http_client"] = (httpx.Client if mode == "sync" else httpx.AsyncClient)(timeout=60)
        start = time.monotonic()
        with pytest.raises(GlooGravixError) as info:
            await call(mode, what, **kw)
        took = time.monotonic() - start
        if path == "proxy":
            assert server.of("chat")[0].target.startswith("http://gravix.invalid/")
        if path == "http_client":
            http = kw["http_client"]
            http.close() if mode == "sync" else await http.aclose()
    assert isinstance(info.value, APITimeoutError) or "timed out" in str(info.value), info.value
    assert took < BOUND, took


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_trickled_token_response_headers_fail_within_the_budget(mode):
    with fs.FaultServer(trickling("token")) as server:
        kw = {"endpoint": "gloo-v2", "base_url": server.url, "client_id": "cid-hdr-" + mode,
              "client_secret": "s", "timeout": 1.0, "max_retries": 0}  # fmt: skip
        start = time.monotonic()
        with pytest.raises(APITimeoutError):
            if mode == "sync":
                with Client(**kw) as client:
                    client.create(MSGS, auto_routing=True)
            else:
                async with AsyncClient(**kw) as aclient:
                    await aclient.create(MSGS, auto_routing=True)
        took = time.monotonic() - start
    assert took < BOUND, took


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_langchain_invoke_and_stream_with_trickled_headers(mode):
    from langchain_gloo_gravix import ChatGravixLayer

    with fs.FaultServer(trickling("chat")) as server:
        model = ChatGravixLayer(model="m", max_retries=0, timeout=1.0, stream_idle_timeout=1.0, **gravix_kwargs(server))
        for streaming in (False, True):
            start = time.monotonic()
            with pytest.raises(Exception) as info:
                if mode == "sync":
                    model.invoke("hi") if not streaming else list(model.stream("hi"))
                else:
                    await model.ainvoke("hi") if not streaming else [c async for c in model.astream("hi")]
            took = time.monotonic() - start
            assert "timed out" in str(info.value) or "within" in str(info.value), info.value
            assert took < BOUND, took


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_llama_index_chat_and_stream_with_trickled_headers(mode):
    from llama_index.core.llms import ChatMessage

    from llama_index_ext import GravixLayer

    with fs.FaultServer(trickling("chat")) as server:
        llm = GravixLayer(model="m", max_retries=0, timeout=1.0, stream_idle_timeout=1.0, **gravix_kwargs(server))
        messages = [ChatMessage(role="user", content="hi")]
        for streaming in (False, True):
            start = time.monotonic()
            with pytest.raises(Exception) as info:
                if mode == "sync":
                    llm.chat(messages) if not streaming else list(llm.stream_chat(messages))
                else:
                    await llm.achat(messages) if not streaming else [r async for r in await llm.astream_chat(messages)]
            took = time.monotonic() - start
            assert "timed out" in str(info.value) or "within" in str(info.value), info.value
            assert took < BOUND, took
