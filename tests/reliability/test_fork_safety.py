"""Issue 20.2: a model used once and then forked (a gunicorn worker with a preloaded app, multiprocessing with
fork) must not share its pooled connection with the child. Before, parent and child wrote their requests to the
same keep-alive socket and read each other's answers (core 8 and 9 wrong of 20, LangChain 5 and 9, LlamaIndex 1
and 1) or died with a ReadError.

Each process makes N calls whose answer echoes its own nonce; every answer is checked. Loopback only; the child
is bounded (killed after ~20 s) and always leaves with ``os._exit``."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import time
from typing import Any, Callable

import pytest

from langchain_gloo_gravix.core import AsyncClient, Client
from tests.support import fault_server as fs

from .conftest import echo_script, gravix_kwargs

N = 20
MSGS = [{"role": "user", "content": "warm-up"}]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _tally(call: Callable[[str], str], who: str) -> dict[str, Any]:
    wrong, errors = 0, []
    for i in range(N):
        nonce = f"{who}-{i}"
        try:
            if call(nonce) != nonce:
                wrong += 1
        except Exception as exc:  # noqa: BLE001 - reported, not raised: the other process must finish too
            errors.append(type(exc).__name__)
    return {"wrong": wrong, "errors": errors}


def run_in_both(call_in_parent: Callable[[str], str], call_in_child: Callable[[str], str]) -> tuple[dict, dict]:
    """Fork; parent and child each make N calls at the same time; their tallies."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.close(read_end)
            os.write(write_end, json.dumps(_tally(call_in_child, "child")).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    parent = _tally(call_in_parent, "parent")
    for _ in range(2000):  # at most ~20 s
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.01)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung")
    with os.fdopen(read_end, "rb") as pipe:
        child = json.loads(pipe.read() or b'{"wrong": -1, "errors": ["no report"]}')
    return parent, child


def assert_clean(parent: dict, child: dict) -> None:
    assert (parent, child) == ({"wrong": 0, "errors": []}, {"wrong": 0, "errors": []})


def msgs(nonce: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": nonce}]


def test_core_client_used_then_forked():
    with fs.FaultServer(echo_script()) as server:
        client = Client("gravix", **gravix_kwargs(server, max_retries=0))
        client.create(MSGS, model="m")  # a pooled keep-alive connection now exists

        def call(nonce: str) -> str:
            return client.create(msgs(nonce), model="m").message.content or ""

        assert_clean(*run_in_both(call, call))
        client.close()


def test_core_stream_used_then_forked():
    def stream(n: int) -> fs.Action:
        return fs.stream(fs.chunk_event("{nonce}"), fs.chunk_event("", "stop"))

    with fs.FaultServer(echo_script(chat=stream)) as server:
        client = Client("gravix", **gravix_kwargs(server, max_retries=0))
        list(client.stream(MSGS, model="m"))

        def call(nonce: str) -> str:
            return "".join(d.content or "" for d in client.stream(msgs(nonce), model="m"))

        assert_clean(*run_in_both(call, call))
        client.close()


def test_core_async_client_used_then_forked():
    with fs.FaultServer(echo_script()) as server:
        aclient = AsyncClient("gravix", **gravix_kwargs(server, max_retries=0))
        loop = asyncio.new_event_loop()
        loop.run_until_complete(aclient.create(MSGS, model="m"))

        def in_parent(nonce: str) -> str:
            return loop.run_until_complete(aclient.create(msgs(nonce), model="m")).message.content or ""

        child_loop: list[asyncio.AbstractEventLoop] = []

        def in_child(nonce: str) -> str:  # a child runs its own loop (the parent's belongs to the parent)
            if not child_loop:
                child_loop.append(asyncio.new_event_loop())
            return child_loop[0].run_until_complete(aclient.create(msgs(nonce), model="m")).message.content or ""

        assert_clean(*run_in_both(in_parent, in_child))
        loop.run_until_complete(aclient.aclose())
        loop.close()


def test_langchain_model_used_then_forked():
    from langchain_gloo_gravix import ChatGravixLayer

    with fs.FaultServer(echo_script()) as server:
        model = ChatGravixLayer(model="m", max_retries=0, **gravix_kwargs(server))
        model.invoke("warm-up")

        def call(nonce: str) -> str:
            return str(model.invoke(nonce).content)

        assert_clean(*run_in_both(call, call))


def test_llama_index_model_used_then_forked():
    from llama_index.core.llms import ChatMessage

    from llama_index_ext import GravixLayer

    with fs.FaultServer(echo_script()) as server:
        llm = GravixLayer(model="m", max_retries=0, **gravix_kwargs(server))
        llm.chat([ChatMessage(role="user", content="warm-up")])

        def call(nonce: str) -> str:
            return str(llm.chat([ChatMessage(role="user", content=nonce)]).message.content)

        assert_clean(*run_in_both(call, call))


_POOL_MODEL: Any = None


def _pool_worker(nonce: str) -> str:
    return str(_POOL_MODEL.invoke(nonce).content)


def test_langchain_model_in_a_multiprocessing_fork_pool():
    """The gunicorn / multiprocessing shape: a module-level model used before the workers are forked."""
    global _POOL_MODEL
    from langchain_gloo_gravix import ChatGravixLayer

    with fs.FaultServer(echo_script()) as server:
        _POOL_MODEL = ChatGravixLayer(model="m", max_retries=0, **gravix_kwargs(server))
        _POOL_MODEL.invoke("warm-up")
        nonces = [f"job-{i}" for i in range(2 * N)]
        with multiprocessing.get_context("fork").Pool(2) as pool:
            pending = pool.map_async(_pool_worker, nonces)
            in_parent = [str(_POOL_MODEL.invoke(f"parent-{i}").content) for i in range(N)]
            answers = pending.get(timeout=30)
        _POOL_MODEL = None
    assert answers == nonces
    assert in_parent == [f"parent-{i}" for i in range(N)]
