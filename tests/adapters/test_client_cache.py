"""One per-event-loop client cache (core.client_cache) behind both adapters: no growth across asyncio.run(),
clients of closed loops closed and dropped, and LangChain models that deepcopy and pickle."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import gc
import os
import pickle

import pytest

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer
from langchain_gloo_gravix.core.client_cache import ClientCache
from llama_index_ext import GravixLayer
from tests.support import fault_server as fs


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _script(kind: str, n: int) -> fs.Action:
    return fs.reply(200, fs.completion("hi"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_repeated_asyncio_run_keeps_connections_and_clients_bounded():
    with fs.FaultServer(_script) as server:
        base = server.url + "/v1/inference"
        lc = ChatGravixLayer(model="m", base_url=base, api_key="k", max_retries=0)
        li = GravixLayer(model="m", base_url=base, api_key="k", max_retries=0)

        async def one_call() -> None:
            assert (await lc.ainvoke("hi")).content == "hi"
            from llama_index.core.llms import ChatMessage

            assert (await li.achat([ChatMessage(role="user", content="hi")])).message.content == "hi"

        asyncio.run(one_call())  # warm up: imports, first clients
        gc.collect()
        before = _open_fds()
        for _ in range(30):
            asyncio.run(one_call())
        after = _open_fds()
        # before the fix: one client and one open connection per finished loop, for each model
        assert len(lc._clients) <= 2 and len(li._clients) <= 2
        assert after - before <= 6, (before, after)
        assert server.count("chat") == 62
        assert server.open_connections <= 6


def test_langchain_models_deepcopy_and_pickle_with_an_empty_cache():
    model = ChatGloo(api_key="k", base_url="http://127.0.0.1:9", auto_routing=True)
    model._sync_client()  # a built client, with its lock and pools
    assert len(model._clients) == 1
    for twin in (copy.deepcopy(model), pickle.loads(pickle.dumps(model)), model.model_copy(deep=True)):
        assert len(twin._clients) == 0
        assert twin.base_url == model.base_url and twin.api_key.get_secret_value() == "k"
        assert twin._clients is not model._clients
    model.close()


async def test_a_client_of_a_closed_loop_is_closed_and_dropped():
    cache = ClientCache()
    built = []

    class Fake:
        def __init__(self) -> None:
            self.abandoned = False
            built.append(self)

        def close_abandoned(self) -> None:
            self.abandoned = True

    @dataclasses.dataclass(frozen=True)
    class Spec:  # compared by value like a ClientSpec, building a Fake
        key: str

        def build_async(self) -> Fake:
            return Fake()

    def in_other_loop() -> None:
        async def use() -> None:
            cache.for_loop(Spec("k"))

        asyncio.run(use())

    await asyncio.get_running_loop().run_in_executor(None, in_other_loop)
    first = built[0]
    mine = cache.for_loop(Spec("k"))
    assert first.abandoned and not mine.abandoned
    assert len(cache) == 1
    assert cache.for_loop(Spec("k")) is mine
    assert cache.for_loop(Spec("other")) is not mine  # settings changed: a fresh client
