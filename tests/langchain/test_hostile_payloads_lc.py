"""Issue 10: tool arguments that are not a JSON object, through the LangChain models, sync and async.

LangChain's own vocabulary for them is ``invalid_tool_calls``. The payload quirks, mid-stream failures
and typed errors both frameworks share are in ``tests/adapters/test_hostile_payloads.py``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage

from langchain_gloo_gravix import ChatGravixLayer
from tests.core.conftest import Server, reply_json, reply_sse, sse_body

MODEL = "meta-llama/llama-3.1-8b-instruct"


@pytest.fixture(params=["sync", "async"])
def mode(request) -> str:
    return request.param


def gravix(server: Server, **kw: Any) -> ChatGravixLayer:
    transport = httpx.MockTransport(server)
    return ChatGravixLayer(
        model=MODEL,
        api_key="gx-key",
        max_retries=0,
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        **kw,
    )


async def invoke(model: Any, mode: str) -> AIMessage:
    return await model.ainvoke("hi") if mode == "async" else model.invoke("hi")


async def stream(model: Any, mode: str) -> list:
    if mode == "async":
        return [c async for c in model.astream("hi")]
    return list(model.stream("hi"))


@pytest.mark.parametrize("arguments", ["[1, 2]", '"text"', "42", "{not json"])
async def test_tool_arguments_that_are_not_an_object_become_an_invalid_tool_call(mode, arguments):
    call = {"id": "call_1", "type": "function", "function": {"name": "get", "arguments": arguments}}
    body = {"id": "c", "choices": [{"index": 0, "message": {"tool_calls": [call]}, "finish_reason": "tool_calls"}]}
    message = await invoke(gravix(Server(chat=[reply_json(body)])), mode)
    assert message.tool_calls == []
    [bad] = message.invalid_tool_calls
    assert bad["name"] == "get" and bad["error"]
    if arguments.startswith("{"):
        return  # streamed, LangChain's own partial-JSON parser reads "{not json" leniently
    chunks = [
        {
            "id": "c",
            "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, **call}]}, "finish_reason": "tool_calls"}],
        }
    ]
    streamed = await invoke(gravix(Server(chat=[reply_sse(sse_body(*chunks))]), streaming=True), mode)
    assert streamed.tool_calls == [] and len(streamed.invalid_tool_calls) == 1


async def test_tool_arguments_sent_as_a_json_list_value_are_an_invalid_tool_call(mode):
    call = {"id": "call_1", "type": "function", "function": {"name": "get", "arguments": [1, 2]}}
    body = {"id": "c", "choices": [{"index": 0, "message": {"tool_calls": [call]}, "finish_reason": "tool_calls"}]}
    message = await invoke(gravix(Server(chat=[reply_json(body)])), mode)
    assert message.tool_calls == [] and "JSON object" in message.invalid_tool_calls[0]["error"]
