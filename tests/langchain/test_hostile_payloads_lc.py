"""Issue 10 quirks through the LangChain models (ChatGravixLayer, ChatGloo), sync and async.

The servers are ``httpx.MockTransport`` handlers passed as ``http_client`` /
``http_async_client``; the quirk payloads are the core tests' own.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from langchain_core import exceptions as lc_exceptions
from langchain_core.messages import AIMessage

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer
from langchain_gloo_gravix.core import MalformedResponseError, StreamError
from tests.core.conftest import ENV_VARS, Server, chunk, reply_json, reply_sse, sse_body, unique_id
from tests.core.test_hostile_payloads import EXPECTED_TEXT, QUIRKS

MODEL = "meta-llama/llama-3.1-8b-instruct"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


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


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
async def test_quirk_invoke_keeps_the_answer(mode, quirk):
    body, _ = QUIRKS[quirk]
    message = await invoke(gravix(Server(chat=[reply_json(body)])), mode)
    assert message.content == EXPECTED_TEXT.get(quirk, "Hello!")
    assert message.response_metadata["finish_reason"] == "stop"


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
async def test_quirk_streaming_invoke_keeps_the_answer(mode, quirk):
    # streaming=True: invoke() is built from the stream, closing chunk included
    _, chunks = QUIRKS[quirk]
    message = await invoke(gravix(Server(chat=[reply_sse(sse_body(*chunks, done=True))]), streaming=True), mode)
    assert message.content == EXPECTED_TEXT.get(quirk, "Hello!")
    assert message.id is None or isinstance(message.id, str)
    if quirk == "id_integer":
        assert message.response_metadata["id"] == "12345"
    if quirk.startswith("routing"):
        assert message.response_metadata["routing"]["routing_tier"] == 2


async def test_mid_stream_failure_is_the_langchain_twin_with_partial_text(mode):
    server = Server(chat=[reply_sse(sse_body(chunk("Hel"), chunk("lo")), b"data: {broken\n\n")])
    seen: list = []
    with pytest.raises(StreamError) as info:
        if mode == "async":
            async for c in gravix(server).astream("hi"):
                seen.append(c)
        else:
            for c in gravix(server).stream("hi"):
                seen.append(c)
    assert isinstance(info.value, lc_exceptions.ModelAPIError)
    assert info.value.partial_text == "Hello"
    assert "".join(c.content for c in seen) == "Hello"


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


async def test_chat_gloo_streaming_invoke_with_float_created_and_integer_id(mode):
    chunks = [{**chunk("Hi"), "created": 1.7e9, "id": 99}, {**chunk(None, "stop"), "created": 1.7e9, "id": 99}]
    server = Server(chat=[reply_sse(sse_body(*chunks))])
    transport = httpx.MockTransport(server)
    model = ChatGloo(
        client_id=unique_id(),
        client_secret="s-" + unique_id(),
        streaming=True,
        max_retries=0,
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
    )
    message = await invoke(model, mode)
    assert message.content == "Hi" and message.response_metadata["id"] == "99"


async def test_html_stream_answer_is_a_typed_langchain_error(mode):
    server = Server(
        chat=[lambda r: httpx.Response(200, headers={"content-type": "text/html"}, content=b"<html>login</html>")]
    )
    with pytest.raises(MalformedResponseError, match="HTML") as info:
        await stream(gravix(server), mode)
    assert isinstance(info.value, lc_exceptions.ModelAPIError)
    assert len(server.chat_requests) == 1


async def test_non_ascii_extra_header_is_a_langchain_invalid_request_error(mode):
    from langchain_gloo_gravix.core import ConfigurationError

    server = Server()
    model = gravix(server)
    with pytest.raises(ConfigurationError) as info:
        if mode == "async":
            await model.ainvoke("hi", extra_headers={"X-Gateway": "tök-secret"})
        else:
            model.invoke("hi", extra_headers={"X-Gateway": "tök-secret"})
    assert isinstance(info.value, lc_exceptions.ModelInvalidRequestError)
    assert "tök-secret" not in str(info.value) and "X-Gateway" in str(info.value)
    assert server.chat_requests == []
