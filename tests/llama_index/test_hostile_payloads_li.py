"""Issue 10: tool arguments that are not a JSON object, through the LlamaIndex LLM, sync and async.

LlamaIndex's ``get_tool_calls`` refuses them with a clear error. The payload quirks and mid-stream
failures both frameworks share are in ``tests/adapters/test_hostile_payloads.py``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from llama_index.core.base.llms.types import ChatMessage

from langchain_gloo_gravix.core import AsyncClient, Client
from llama_index_ext import GravixLayer
from llama_index_ext.tools import get_tool_calls
from tests.core.conftest import Server, reply_json

MODEL = "meta-llama/llama-3.1-8b-instruct"
MESSAGES = [ChatMessage(role="user", content="hi")]


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


@pytest.mark.parametrize("arguments", ["[1, 2]", '"text"', "{not json"])
async def test_tool_arguments_that_are_not_an_object_raise_a_clear_error(llm_for, mode, arguments):
    call = {"id": "call_1", "type": "function", "function": {"name": "get", "arguments": arguments}}
    body = {"id": "c", "choices": [{"index": 0, "message": {"tool_calls": [call]}, "finish_reason": "tool_calls"}]}
    response = await chat(llm_for(Server(chat=[reply_json(body)])), mode)
    with pytest.raises(ValueError, match="get"):
        get_tool_calls(response)
