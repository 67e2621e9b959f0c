"""A model dropped without close() releases its connections: no ResourceWarning per pooled socket."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest
from llama_index.core.llms import ChatMessage

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer, GravixLayerEmbeddings
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
async def test_a_model_dropped_while_its_loop_runs_leaves_the_loop_working(emulator, name, make, call, acall):
    # The dropped model's sockets are still watched by this loop: they are closed by the loop, never under
    # it (a socket closed under its transport frees the descriptor for the next connection while the loop
    # still watches it: "File descriptor N is used by transport").
    for _ in range(3):
        models = [make(emulator)]
        await asyncio.gather(acall(models[0]), acall(models[0]), acall(models[0]))  # several pooled connections
        models.clear()  # the last reference, while the loop runs
        gc.collect()
        survivor = make(emulator)
        await asyncio.gather(acall(survivor), acall(survivor), acall(survivor))
        await asyncio.sleep(0)  # the loop runs the handed-over closes
