"""Gloo(grounded=True) for LlamaIndex: grounded completions against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage

from langchain_gloo_gravix.core import (
    ChatCompletion,
    MalformedResponseError,
    ServerError,
    StreamAccumulator,
    StreamError,
)
from langchain_gloo_gravix.emulator import Emulator, Fault
from llama_index_ext import Gloo
from llama_index_ext.responses import StreamAssembler, chat_response

GROUNDED = "/ai/v2/chat/completions/grounded"
QUESTION = "What does the Bible say about forgiveness?"
NOTHING = "Say hello to Ada Lovelace"


@pytest.fixture(scope="module")
def emulator():
    with Emulator(port=0) as emu:
        yield emu


@pytest.fixture(autouse=True)
def _fresh(emulator, monkeypatch):
    for name in (
        "GLOO_CLIENT_ID",
        "GLOO_CLIENT_SECRET",
        "GLOO_AI_CLIENT_ID",
        "GLOO_AI_CLIENT_SECRET",
        "GLOO_API_KEY",
        "GLOO_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    emulator.clear()
    yield


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


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rag_publisher": "Acme"}, "rag_publisher is a grounded-completion option: pass grounded=True"),
        (
            {"sources_limit": 2, "include_citations": True},
            "sources_limit, include_citations are grounded-completion options",
        ),
        ({"grounded": True, "api_version": "v1"}, "grounded=True needs api_version='v2'"),
        ({"grounded": True, "sources_limit": 11}, "sources_limit must be an integer from 1 to 10"),
        ({"grounded": True, "rag_publisher": " "}, "rag_publisher must be a non-empty string"),
        ({"grounded": True, "include_citations": "maybe"}, "include_citations"),
    ],
)
def test_constructor_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Gloo(api_key="k", **kwargs)


def test_per_call_error_before_any_request(emulator):
    with pytest.raises(ValueError, match="sources_limit"):
        gloo(emulator).chat(user(QUESTION), sources_limit=0)
    assert emulator.requests == []


# -- request shape ---------------------------------------------------------------------------------


def test_request_shape(emulator):
    gloo(emulator, rag_publisher="GlooGrounded", sources_limit=2, include_citations=True, tradition="mainline").chat(
        user(QUESTION)
    )
    gloo(emulator).complete(QUESTION, sources_limit=5)
    first, second = bodies(emulator)
    assert first == {
        "auto_routing": True,
        "tradition": "mainline",
        "rag_publisher": "GlooGrounded",
        "sources_limit": 2,
        "include_citations": True,
        "messages": [{"role": "user", "content": QUESTION}],
    }
    assert second["sources_limit"] == 5 and "rag_publisher" not in second and "include_citations" not in second


# -- chat, complete and streams, sync and async ---------------------------------------------------


def test_chat_and_stream_chat(emulator):
    llm = gloo(emulator, include_citations=True, sources_limit=3)
    response = llm.chat(user(QUESTION))
    grounding = response.additional_kwargs["grounding"]
    _check(grounding)
    assert len(grounding["citations"]) <= 3 and "forgive" in response.message.content.lower()
    chunks = list(llm.stream_chat(user(QUESTION)))
    assert chunks[-1].additional_kwargs["grounding"] == grounding
    assert "grounding" not in chunks[0].additional_kwargs  # the emulator sends it on the finish chunk
    assert chunks[-1].message.content == response.message.content


async def test_achat_and_astream_chat(emulator):
    llm = gloo(emulator, include_citations=True)
    response = await llm.achat(user(QUESTION))
    _check(response.additional_kwargs["grounding"])
    chunks = [c async for c in await llm.astream_chat(user(QUESTION))]
    assert chunks[-1].additional_kwargs["grounding"] == response.additional_kwargs["grounding"]


async def test_complete_family(emulator):
    llm = gloo(emulator)
    _check(llm.complete(QUESTION).additional_kwargs["grounding"], cited=False)
    _check((await llm.acomplete(QUESTION)).additional_kwargs["grounding"], cited=False)
    last = list(llm.stream_complete(QUESTION))[-1]
    _check(last.additional_kwargs["grounding"], cited=False)
    last = [c async for c in await llm.astream_complete(QUESTION)][-1]
    _check(last.additional_kwargs["grounding"], cited=False)


async def test_no_sources_found(emulator):
    llm = gloo(emulator, include_citations=True)
    response = await llm.achat(user(NOTHING))
    assert response.additional_kwargs["grounding"] == {"sources_returned": False, "citations": []}
    assert "Ada Lovelace" in response.message.content
    last = list(llm.stream_chat(user(NOTHING)))[-1]
    assert last.additional_kwargs["grounding"] == {"sources_returned": False, "citations": []}


def test_plain_gloo_has_no_grounding(emulator):
    llm = Gloo(base_url=emulator.gloo_base_url, api_key=Emulator.GLOO_API_KEY)
    assert "grounding" not in llm.chat(user(QUESTION)).additional_kwargs


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


def test_429_then_200(emulator):
    emulator.inject(Fault.rate_limit(retry_after="0"), path=GROUNDED)
    response = gloo(emulator, max_retries=1).chat(user(QUESTION))
    _check(response.additional_kwargs["grounding"], cited=False)
    assert len(bodies(emulator)) == 2


async def test_429_then_200_async(emulator):
    emulator.inject(Fault.rate_limit(retry_after="0"), path=GROUNDED)
    response = await gloo(emulator, max_retries=1).achat(user(QUESTION))
    _check(response.additional_kwargs["grounding"], cited=False)
    assert len(bodies(emulator)) == 2


async def test_500_sync_and_async(emulator):
    llm = gloo(emulator, max_retries=0)
    emulator.inject(Fault.server_error(500), path=GROUNDED)
    with pytest.raises(ServerError):
        llm.chat(user(QUESTION))
    emulator.inject(Fault.server_error(500), path=GROUNDED)
    with pytest.raises(ServerError):
        [c async for c in await llm.astream_chat(user(QUESTION))]


async def test_malformed_body_sync_and_async(emulator):
    llm = gloo(emulator, max_retries=0)
    emulator.inject(Fault.malformed_json(), path=GROUNDED)
    with pytest.raises(MalformedResponseError):
        await llm.achat(user(QUESTION))
    emulator.inject(Fault.malformed_json(), path=GROUNDED)
    with pytest.raises((MalformedResponseError, StreamError)):
        list(llm.stream_chat(user(QUESTION)))


async def test_mid_stream_error_sync_and_async(emulator):
    llm = gloo(emulator, max_retries=0)
    emulator.inject(Fault.stream_error(), path=GROUNDED)
    with pytest.raises(StreamError) as info:
        list(llm.stream_chat(user(QUESTION)))
    assert info.value.partial_text
    emulator.inject(Fault.stream_error(), path=GROUNDED)
    with pytest.raises(StreamError):
        [c async for c in await llm.astream_chat(user(QUESTION))]
