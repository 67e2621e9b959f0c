"""Gloo(grounded=True) for LlamaIndex: grounded completions against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage

from langchain_gloo_gravix.core import (
    ChatCompletion,
    StreamAccumulator,
)
from langchain_gloo_gravix.emulator import Emulator
from llama_index_ext import Gloo
from llama_index_ext.responses import StreamAssembler, chat_response

GROUNDED = "/ai/v2/chat/completions/grounded"
QUESTION = "What does the Bible say about forgiveness?"
NOTHING = "Say hello to Ada Lovelace"


def gloo(emu: Emulator, **kw: Any) -> Gloo:
    return Gloo(
        base_url=emu.gloo_base_url,
        client_id=Emulator.CLIENT_ID,
        client_secret=Emulator.CLIENT_SECRET,
        grounded=True,
        **kw,
    )


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def bodies(emu: Emulator) -> list[dict]:
    return [r.json for r in emu.requests if r.path == GROUNDED]


def _check(grounding: dict, *, cited: bool = True) -> None:
    assert grounding["sources_returned"] is True
    if cited:
        assert grounding["citations"] and {"source_id", "title", "url", "snippet", "publisher"} <= set(
            grounding["citations"][0]
        )
    else:
        assert grounding["citations"] == []


# -- construction ------------------------------------------------------------------------------


# -- request shape ---------------------------------------------------------------------------------


def test_complete_passes_the_call_words(emulator):
    # the request shape of chat() is shared with LangChain: tests/adapters/test_grounded.py
    gloo(emulator).complete(QUESTION, sources_limit=5)
    (body,) = bodies(emulator)
    assert body["sources_limit"] == 5 and "rag_publisher" not in body and "include_citations" not in body


# -- chat, complete and streams, sync and async ---------------------------------------------------


def test_stream_chat_says_the_grounding_on_the_finish_chunk(emulator):
    # the whole-and-streamed equality is shared with LangChain: tests/adapters/test_grounded.py
    llm = gloo(emulator, include_citations=True, sources_limit=3)
    response = llm.chat(user(QUESTION))
    grounding = response.additional_kwargs["grounding"]
    _check(grounding)
    chunks = list(llm.stream_chat(user(QUESTION)))
    assert chunks[-1].additional_kwargs["grounding"] == grounding
    assert "grounding" not in chunks[0].additional_kwargs  # the emulator sends it on the finish chunk
    assert chunks[-1].message.content == response.message.content


async def test_complete_family(emulator):
    llm = gloo(emulator)
    _check(llm.complete(QUESTION).additional_kwargs["grounding"], cited=False)
    _check((await llm.acomplete(QUESTION)).additional_kwargs["grounding"], cited=False)
    last = list(llm.stream_complete(QUESTION))[-1]
    _check(last.additional_kwargs["grounding"], cited=False)
    last = [c async for c in await llm.astream_complete(QUESTION)][-1]
    _check(last.additional_kwargs["grounding"], cited=False)


# -- citations of unknown shape --------------------------------------------------------------------


@pytest.mark.parametrize("citations", [["a", "b"], [{"deep": {"x": [1, {"y": 2}]}}], {"k": "v"}, "text"])
def test_unknown_citation_shapes_are_kept_verbatim(citations):
    payload = {
        "id": "c",
        "model": "m",
        "sources_returned": True,
        "citations": citations,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "A."}, "finish_reason": "stop"}],
    }
    response = chat_response(ChatCompletion.model_validate(payload))
    assert response.additional_kwargs["grounding"] == {"sources_returned": True, "citations": citations}
    acc, assembler = StreamAccumulator(), StreamAssembler()
    chunks = [
        {"id": "c", "sources_returned": True, "choices": [{"index": 0, "delta": {"content": "A"}}]},
        {
            "id": "c",
            "citations": citations,
            "choices": [{"index": 0, "delta": {"content": "."}, "finish_reason": "stop"}],
        },
    ]
    out = [assembler.add(acc.add(c)) for c in chunks]
    assert out[0].additional_kwargs["grounding"] == {"sources_returned": True, "citations": []}
    assert out[-1].additional_kwargs["grounding"] == {"sources_returned": True, "citations": citations}


# -- faults, sync and async ------------------------------------------------------------------------
