"""Cassette replay of the Gloo grounded route, LangChain and LlamaIndex, sync and async.

Recorded with ``make record`` (``LGG_RECORD=emulator``: the local emulator; with
Gloo credentials: the live service). Assertions hold for either recording: the
answer is text, ``grounding`` has the documented keys, and citations are what
the server sent. CI only replays (a missing interaction fails).
"""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage

from langchain_gloo_gravix import ChatGloo
from llama_index_ext import Gloo
from tests.support.backend import backend

pytestmark = pytest.mark.vcr

QUESTION = "What does the Bible say about forgiveness?"
UNRELATED = "Say hello to Ada Lovelace"


def _settings() -> dict[str, Any]:
    b = backend()
    return {"base_url": b.gloo_base_url, **b.gloo_credentials()}


def chat_gloo(**kw: Any) -> ChatGloo:
    return ChatGloo(grounded=True, include_citations=True, sources_limit=3, max_retries=0, **_settings(), **kw)


def li_gloo(**kw: Any) -> Gloo:
    return Gloo(grounded=True, include_citations=True, sources_limit=3, max_retries=0, **_settings(), **kw)


def _check(grounding: dict, text: str) -> None:
    assert text.strip()
    assert set(grounding) >= {"sources_returned", "citations"}
    assert isinstance(grounding["sources_returned"], bool)
    if grounding["sources_returned"] and isinstance(grounding["citations"], list):
        assert len(grounding["citations"]) <= 3


def test_langchain_invoke():
    message = chat_gloo().invoke(QUESTION)
    _check(message.response_metadata["grounding"], message.text)
    assert message.response_metadata["grounding"]["sources_returned"] is True


async def test_langchain_ainvoke_unrelated_question():
    message = await chat_gloo().ainvoke(UNRELATED)
    _check(message.response_metadata["grounding"], message.text)


def test_langchain_stream():
    total = None
    for chunk in chat_gloo().stream(QUESTION):
        total = chunk if total is None else total + chunk
    assert total is not None
    _check(total.response_metadata["grounding"], total.text)


async def test_langchain_astream_v1_annotations():
    total = None
    async for chunk in chat_gloo(output_version="v1").astream(QUESTION):
        total = chunk if total is None else total + chunk
    assert total is not None
    grounding = total.response_metadata["grounding"]
    _check(grounding, total.text)
    blocks = [b for b in total.content if isinstance(b, dict) and b.get("type") == "text"]
    assert len(blocks) == 1
    for annotation in blocks[0].get("annotations", []):
        assert annotation["type"] == "citation"


def test_llama_index_chat():
    response = li_gloo().chat([ChatMessage(role="user", content=QUESTION)])
    _check(response.additional_kwargs["grounding"], response.message.content or "")


async def test_llama_index_achat():
    response = await li_gloo().achat([ChatMessage(role="user", content=QUESTION)])
    _check(response.additional_kwargs["grounding"], response.message.content or "")


def test_llama_index_stream_chat():
    chunks = list(li_gloo().stream_chat([ChatMessage(role="user", content=QUESTION)]))
    _check(chunks[-1].additional_kwargs["grounding"], chunks[-1].message.content or "")


async def test_llama_index_astream_complete():
    chunks = [c async for c in await li_gloo().astream_complete(QUESTION)]
    _check(chunks[-1].additional_kwargs["grounding"], chunks[-1].text)
