"""Gloo grounded completions (``grounded=True``) through both frameworks, against the emulator.

What is configured, refused, sent and reported is the same in LangChain (``ChatGloo``) and LlamaIndex
(``Gloo``); where each framework puts the grounding (``response_metadata`` / ``additional_kwargs``) is
read through ``tests/adapters/frameworks.py``. Framework surfaces (LangChain's v1 citation annotations
and serialisation, LlamaIndex's completion family and per-chunk metadata) stay in the framework folders.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.exceptions import ModelRateLimitError

from langchain_gloo_gravix.core import MalformedResponseError, RateLimitError, ServerError, StreamError
from langchain_gloo_gravix.emulator import Emulator, Fault

GROUNDED = "/ai/v2/chat/completions/grounded"
V2 = "/ai/v2/chat/completions"
QUESTION = "What does the Bible say about forgiveness?"
NOTHING = "Say hello to Ada Lovelace"
CITATION_KEYS = {"source_id", "title", "url", "snippet", "publisher"}


def grounded(chat: Any, emu: Emulator, **kw: Any) -> Any:
    kw.setdefault("client_id", Emulator.CLIENT_ID)
    kw.setdefault("client_secret", Emulator.CLIENT_SECRET)
    return chat.make("grounded", None, base_url=emu.gloo_base_url, api_key=None, **kw)


def plain(chat: Any, emu: Emulator) -> Any:
    return chat.make("gloo-v2", None, base_url=emu.gloo_base_url, api_key=Emulator.GLOO_API_KEY)


def bodies(emu: Emulator, path: str = GROUNDED) -> list[dict]:
    return [r.json for r in emu.requests if r.path == path]


async def call(chat: Any, model: Any, mode: str, *, streamed: bool = False, text: str = QUESTION, **kw: Any) -> Any:
    if streamed:
        return await chat.astream(model, text, **kw) if mode == "async" else chat.stream(model, text, **kw)
    return await chat.ainvoke(model, text, **kw) if mode == "async" else chat.invoke(model, text, **kw)


def check(reply: Any, *, cited: bool = True) -> dict:
    grounding = reply.grounding
    assert grounding["sources_returned"] is True
    assert "forgive" in reply.text.lower()
    if cited:
        assert grounding["citations"] and all(CITATION_KEYS <= set(c) for c in grounding["citations"])
        assert all(c["publisher"] == "GlooGrounded" for c in grounding["citations"])
    else:
        assert grounding["citations"] == []
    assert reply.routing["routing_mechanism"] == "auto_routing"
    return grounding


# -- construction: clear errors, no request ---------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rag_publisher": "Acme"}, "rag_publisher is a grounded-completion option: pass grounded=True"),
        ({"sources_limit": 3}, "sources_limit is a grounded-completion option"),
        ({"include_citations": True}, "include_citations is a grounded-completion option"),
        (
            {"sources_limit": 2, "include_citations": True},
            "sources_limit, include_citations are grounded-completion options",
        ),
        ({"grounded": True, "api_version": "v1"}, "grounded=True needs api_version='v2'"),
        ({"grounded": True, "sources_limit": 0}, "sources_limit must be an integer from 1 to 10"),
        ({"grounded": True, "sources_limit": 11}, "sources_limit must be an integer from 1 to 10"),
        ({"grounded": True, "rag_publisher": ""}, "rag_publisher must be a non-empty string"),
        ({"grounded": True, "rag_publisher": " "}, "rag_publisher must be a non-empty string"),
        ({"grounded": True, "include_citations": "maybe"}, "include_citations"),
        ({"grounded": True, "tradition": "reformed"}, "tradition must be one of"),
        ({"grounded": True, "model": "gloo-x", "model_family": "google"}, "exactly one routing mechanism"),
    ],
)
def test_constructor_errors(chat, emulator, kwargs, match):
    kwargs = dict(kwargs)
    kind = "gloo-" + kwargs.pop("api_version", "v2")
    with pytest.raises(ValueError, match=match):
        chat.make(kind, None, base_url=emulator.gloo_base_url, **kwargs)
    assert emulator.requests == []


@pytest.mark.parametrize("limit", [0, 42])
def test_per_call_errors_come_before_any_request(chat, emulator, limit):
    with pytest.raises(ValueError, match="sources_limit"):
        chat.invoke(grounded(chat, emulator), QUESTION, sources_limit=limit)
    with pytest.raises(ValueError, match="rag_publisher is an option of Gloo grounded completions"):
        chat.invoke(plain(chat, emulator), QUESTION, rag_publisher="P")
    assert bodies(emulator) == [] and bodies(emulator, V2) == []


# -- request shape --------------------------------------------------------------------------


def test_request_goes_to_the_grounded_route_with_its_fields(chat, emulator):
    model = grounded(
        chat, emulator, rag_publisher="GlooGrounded", sources_limit=2, include_citations=True, tradition="Catholic"
    )
    chat.invoke(model, QUESTION)
    chat.invoke(model, QUESTION, sources_limit=4, parallel_tool_calls=False)  # per call
    chat.invoke(grounded(chat, emulator), QUESTION, sources_limit=5)
    first, second, third = bodies(emulator)
    assert first == {
        "auto_routing": True,
        "tradition": "catholic",
        "rag_publisher": "GlooGrounded",
        "sources_limit": 2,
        "include_citations": True,
        "messages": [{"role": "user", "content": QUESTION}],
    }
    assert second["sources_limit"] == 4 and second["parallel_tool_calls"] is False
    assert third["sources_limit"] == 5 and "rag_publisher" not in third and "include_citations" not in third
    assert bodies(emulator, V2) == []


def test_rag_publisher_is_sent_only_when_given(chat, emulator):
    chat.invoke(grounded(chat, emulator, model_family="anthropic"), QUESTION)
    (body,) = bodies(emulator)
    assert body["model_family"] == "anthropic"
    assert not {"rag_publisher", "sources_limit", "include_citations"} & set(body)


def test_plain_gloo_has_no_grounding(chat, emulator):
    assert chat.invoke(plain(chat, emulator), QUESTION).grounding is None
    assert bodies(emulator, V2) and not bodies(emulator)


# -- whole and streamed, sync and async ------------------------------------------------------


async def test_whole_and_streamed_answers_carry_the_same_grounding(chat, emulator, mode):
    model = grounded(chat, emulator, include_citations=True, sources_limit=3)
    whole = await call(chat, model, mode)
    grounding = check(whole)
    assert len(grounding["citations"]) <= 3
    streamed = await call(chat, model, mode, streamed=True)
    assert streamed.grounding == grounding
    assert streamed.text == whole.text


def test_citations_off_by_default(chat, emulator):
    check(chat.invoke(grounded(chat, emulator), QUESTION), cited=False)


async def test_no_sources_found_still_answers(chat, emulator, mode):
    model = grounded(chat, emulator, include_citations=True)
    whole = await call(chat, model, mode, text=NOTHING)
    assert whole.grounding == {"sources_returned": False, "citations": []}
    assert "Ada Lovelace" in whole.text
    streamed = await call(chat, model, mode, streamed=True, text=NOTHING)
    assert streamed.grounding == {"sources_returned": False, "citations": []}


# -- faults, sync and async ----------------------------------------------------------------------


async def test_429_then_200(chat, emulator, mode):
    emulator.inject(Fault.rate_limit(retry_after="0"), path=GROUNDED)
    check(await call(chat, grounded(chat, emulator, max_retries=1), mode), cited=False)
    assert len(bodies(emulator)) == 2


def test_429_without_retries_is_a_rate_limit_error(chat, emulator):
    emulator.inject(Fault.rate_limit(retry_after="0"), path=GROUNDED)
    with pytest.raises(RateLimitError) as info:
        chat.invoke(grounded(chat, emulator, max_retries=0), QUESTION)
    if chat.name == "langchain":
        assert isinstance(info.value, ModelRateLimitError)  # the LangChain twin too


@pytest.mark.parametrize("streamed", [False, True])
async def test_500(chat, emulator, mode, streamed):
    emulator.inject(Fault.server_error(500), path=GROUNDED)
    with pytest.raises(ServerError) as info:
        await call(chat, grounded(chat, emulator, max_retries=0), mode, streamed=streamed)
    assert info.value.status_code == 500


@pytest.mark.parametrize("streamed", [False, True])
async def test_malformed_body(chat, emulator, mode, streamed):
    emulator.inject(Fault.malformed_json(), path=GROUNDED)
    expected = (MalformedResponseError, StreamError) if streamed else MalformedResponseError
    with pytest.raises(expected):
        await call(chat, grounded(chat, emulator, max_retries=0), mode, streamed=streamed)


async def test_mid_stream_error_keeps_the_partial_text(chat, emulator, mode):
    emulator.inject(Fault.stream_error(), path=GROUNDED)
    with pytest.raises(StreamError) as info:
        await call(chat, grounded(chat, emulator, max_retries=0), mode, streamed=True)
    assert info.value.partial_text  # what arrived before the error is kept
