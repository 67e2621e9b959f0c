"""Issue 10 quirks through the LlamaIndex LLM (GravixLayer), sync and async.

The LLM's core clients are replaced by clients over ``httpx.MockTransport``
serving the core tests' quirk payloads.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from llama_index.core.base.llms.types import ChatMessage

from langchain_gloo_gravix.core import AsyncClient, Client, StreamError
from llama_index_ext import GravixLayer
from llama_index_ext.tools import get_tool_calls
from tests.core.conftest import ENV_VARS, Server, chunk, reply_json, reply_sse, sse_body
from tests.core.test_hostile_payloads import EXPECTED_TEXT, QUIRKS

MODEL = "meta-llama/llama-3.1-8b-instruct"
MESSAGES = [ChatMessage(role="user", content="hi")]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=["sync", "async"])
def mode(request) -> str:
    return request.param


@pytest.fixture
def llm_for(monkeypatch):
    def factory(server: Server) -> GravixLayer:
        transport = httpx.MockTransport(server)
        sync = Client("gravix", api_key="k", max_retries=0, http_client=httpx.Client(transport=transport))
        async_ = AsyncClient("gravix", api_key="k", max_retries=0, http_client=httpx.AsyncClient(transport=transport))
        monkeypatch.setattr(GravixLayer, "_sync_client", lambda self: sync)
        monkeypatch.setattr(GravixLayer, "_async_client", lambda self: async_)
        return GravixLayer(model=MODEL, api_key="k")

    return factory


async def chat(llm: GravixLayer, mode: str) -> Any:
    return await llm.achat(MESSAGES) if mode == "async" else llm.chat(MESSAGES)


async def stream_chat(llm: GravixLayer, mode: str) -> list:
    if mode == "async":
        return [r async for r in await llm.astream_chat(MESSAGES)]
    return list(llm.stream_chat(MESSAGES))


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
async def test_quirk_chat_keeps_the_answer(llm_for, mode, quirk):
    body, _ = QUIRKS[quirk]
    response = await chat(llm_for(Server(chat=[reply_json(body)])), mode)
    assert response.message.content == EXPECTED_TEXT.get(quirk, "Hello!")


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
async def test_quirk_stream_chat_keeps_the_answer(llm_for, mode, quirk):
    _, chunks = QUIRKS[quirk]
    responses = await stream_chat(llm_for(Server(chat=[reply_sse(sse_body(*chunks, done=True))])), mode)
    assert responses[-1].message.content == EXPECTED_TEXT.get(quirk, "Hello!")
    assert responses[-1].additional_kwargs["finish_reason"] == "stop"


async def test_mid_stream_failure_keeps_the_partial_text(llm_for, mode):
    server = Server(chat=[reply_sse(sse_body(chunk("Hel"), chunk("lo")), b"data: [[[\n\n")])
    with pytest.raises(StreamError) as info:
        await stream_chat(llm_for(server), mode)
    assert info.value.partial_text == "Hello"


@pytest.mark.parametrize("arguments", ["[1, 2]", '"text"', "{not json"])
async def test_tool_arguments_that_are_not_an_object_raise_a_clear_error(llm_for, mode, arguments):
    call = {"id": "call_1", "type": "function", "function": {"name": "get", "arguments": arguments}}
    body = {"id": "c", "choices": [{"index": 0, "message": {"tool_calls": [call]}, "finish_reason": "tool_calls"}]}
    response = await chat(llm_for(Server(chat=[reply_json(body)])), mode)
    with pytest.raises(ValueError, match="get"):
        get_tool_calls(response)
