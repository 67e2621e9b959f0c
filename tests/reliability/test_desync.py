"""Issue 20.9: a server (or a broken proxy) that writes two responses to one request left the second in the
pooled connection, and the next call on it read ``SMUGGLED`` as its own answer (raw httpx behaves the same). Bytes
after a complete response now close the connection; a response that arrives while the connection is idle makes
it unusable too. Core (sync, async, streams), LangChain and LlamaIndex."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_gloo_gravix.core import AsyncClient, Client
from tests.support import fault_server as fs

from .conftest import echo_script, gravix_kwargs

SMUGGLED = fs.raw_response(fs.completion("SMUGGLED"))
N = 4


def smuggling(delay: float) -> fs.Script:
    # every chat answer is followed by a second, unrequested one: at once (same write) or while idle
    return echo_script(chat=lambda n: fs.twice(fs.reply(200, fs.completion("{nonce}")), SMUGGLED, delay=delay))


def msgs(nonce: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": nonce}]


@pytest.mark.parametrize("delay", [0.0, 0.1])
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_core_never_reads_a_smuggled_answer(mode, delay):
    import asyncio

    with fs.FaultServer(smuggling(delay)) as server:
        kw: dict[str, Any] = {**gravix_kwargs(server), "max_retries": 0, "timeout": 5}
        answers = []
        if mode == "sync":
            with Client("gravix", **kw) as client:
                for i in range(N):
                    answers.append(client.create(msgs(f"n{i}"), model="m").message.content)
                    if delay:
                        await asyncio.sleep(2 * delay)  # the second answer arrives while the connection is idle
        else:
            async with AsyncClient("gravix", **kw) as aclient:
                for i in range(N):
                    answers.append((await aclient.create(msgs(f"n{i}"), model="m")).message.content)
                    if delay:
                        await asyncio.sleep(2 * delay)
    assert answers == [f"n{i}" for i in range(N)]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_core_stream_after_a_smuggled_answer(mode):
    """A stream on the connection a completion left bytes on reads its own events."""

    def script(kind: str, n: int) -> fs.Action:
        if n % 2 == 0:
            return fs.twice(fs.reply(200, fs.completion("{nonce}")), SMUGGLED)
        return fs.stream(fs.chunk_event("{nonce}"), fs.chunk_event("", "stop"))

    with fs.FaultServer(script) as server:
        kw: dict[str, Any] = {**gravix_kwargs(server), "max_retries": 0, "timeout": 5}
        got = []
        if mode == "sync":
            with Client("gravix", **kw) as client:
                for i in range(N):
                    got.append(client.create(msgs(f"c{i}"), model="m").message.content)
                    got.append("".join(d.content or "" for d in client.stream(msgs(f"s{i}"), model="m")))
        else:
            async with AsyncClient("gravix", **kw) as aclient:
                for i in range(N):
                    got.append((await aclient.create(msgs(f"c{i}"), model="m")).message.content)
                    got.append("".join([d.content or "" async for d in aclient.stream(msgs(f"s{i}"), model="m")]))
    assert got == [x for i in range(N) for x in (f"c{i}", f"s{i}")]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_langchain_never_reads_a_smuggled_answer(mode):
    from langchain_gloo_gravix import ChatGravixLayer

    with fs.FaultServer(smuggling(0.0)) as server:
        model = ChatGravixLayer(model="m", max_retries=0, timeout=5, **gravix_kwargs(server))
        if mode == "sync":
            answers = [model.invoke(f"n{i}").content for i in range(N)]
        else:
            answers = [(await model.ainvoke(f"n{i}")).content for i in range(N)]
    assert answers == [f"n{i}" for i in range(N)]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_llama_index_never_reads_a_smuggled_answer(mode):
    from llama_index.core.llms import ChatMessage

    from llama_index_ext import GravixLayer

    with fs.FaultServer(smuggling(0.0)) as server:
        llm = GravixLayer(model="m", max_retries=0, timeout=5, **gravix_kwargs(server))
        asked = [[ChatMessage(role="user", content=f"n{i}")] for i in range(N)]
        if mode == "sync":
            answers = [llm.chat(m).message.content for m in asked]
        else:
            answers = [(await llm.achat(m)).message.content for m in asked]
    assert answers == [f"n{i}" for i in range(N)]
