"""A model dropped without close() releases its connections: no ResourceWarning per pooled socket."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest
from llama_index.core.llms import ChatMessage

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer, GravixLayerEmbeddings
from langchain_gloo_gravix.core import client_cache
from langchain_gloo_gravix.emulator import Emulator
from llama_index_ext import Gloo, GravixLayer, GravixLayerEmbedding


def _gloo(emu):
    return {"base_url": emu.gloo_base_url, "client_id": Emulator.CLIENT_ID, "client_secret": Emulator.CLIENT_SECRET}


def _gravix(emu):
    return {"base_url": emu.gravix_base_url, "api_key": Emulator.GRAVIX_API_KEY}


CASES = [
    ("ChatGloo", lambda e: ChatGloo(**_gloo(e)), lambda m: m.invoke("hi"), lambda m: m.ainvoke("hi")),
    (
        "ChatGravixLayer",
        lambda e: ChatGravixLayer(model="meta-llama/llama-3.1-8b-instruct", **_gravix(e)),
        lambda m: m.invoke("hi"),
        lambda m: m.ainvoke("hi"),
    ),
    (
        "GravixLayerEmbeddings",
        lambda e: GravixLayerEmbeddings(**_gravix(e)),
        lambda m: m.embed_query("hi"),
        lambda m: m.aembed_query("hi"),
    ),
    (
        "Gloo",
        lambda e: Gloo(**_gloo(e)),
        lambda m: m.chat([ChatMessage(role="user", content="hi")]),
        lambda m: m.achat([ChatMessage(role="user", content="hi")]),
    ),
    (
        "GravixLayer",
        lambda e: GravixLayer(model="meta-llama/llama-3.1-8b-instruct", **_gravix(e)),
        lambda m: m.chat([ChatMessage(role="user", content="hi")]),
        lambda m: m.achat([ChatMessage(role="user", content="hi")]),
    ),
    (
        "GravixLayerEmbedding",
        lambda e: GravixLayerEmbedding(**_gravix(e)),
        lambda m: m.get_text_embedding("hi"),
        lambda m: m.aget_text_embedding("hi"),
    ),
]


@pytest.mark.parametrize("name, make, call, acall", CASES, ids=[c[0] for c in CASES])
def test_a_dropped_model_leaves_no_unclosed_socket(emulator, name, make, call, acall):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", ResourceWarning)
        models = [make(emulator)]
        call(models[0])
        asyncio.run(acall(models[0]))
        models.clear()  # the last reference
        gc.collect()
    leaks = [w for w in seen if issubclass(w.category, ResourceWarning) and "socket" in str(w.message)]
    assert not leaks, [str(w.message) for w in leaks]


@pytest.mark.parametrize("name, make, call, acall", CASES, ids=[c[0] for c in CASES])
def test_a_model_dropped_while_its_loop_runs_does_not_break_the_next_connection(emulator, name, make, call, acall):
    # ``m = ChatGloo(); await m.ainvoke(...); del m`` in one asyncio.run: the loop's transports still own the
    # dropped client's descriptors, so closing those sockets directly let the next connection be handed a
    # number the loop still maps to the old transport ("File descriptor N is used by transport").
    async def main() -> None:
        for _ in range(4):
            model = make(emulator)
            await acall(model)
            del model  # the last reference, while the loop runs (no gc.collect: refcounting drops it)
        await asyncio.sleep(0)  # the finaliser's call_soon_threadsafe callback starts the aclose() tasks
        await asyncio.wait_for(asyncio.gather(*list(client_cache._closing)), timeout=10)

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", ResourceWarning)
        asyncio.run(main())
        gc.collect()
    leaks = [w for w in seen if issubclass(w.category, ResourceWarning) and "socket" in str(w.message)]
    assert not leaks, [str(w.message) for w in leaks]
