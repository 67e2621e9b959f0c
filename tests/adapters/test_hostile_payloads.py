"""Hostile and quirky payloads (issue 10) through both frameworks' chat models, sync and async.

The payloads are the core tests' own (``tests/core/test_hostile_payloads.py``), served by a scripted
``httpx.MockTransport`` through the models' ``http_client`` fields. What each framework does with a
tool call whose arguments are not a JSON object is framework vocabulary (LangChain's
``invalid_tool_calls``, LlamaIndex's ``get_tool_calls`` error) and stays in the framework folders.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from langchain_core import exceptions as lc_exceptions

from langchain_gloo_gravix.core import ConfigurationError, MalformedResponseError, StreamError
from tests.adapters.frameworks import Served
from tests.core.conftest import Server, chunk, reply_json, reply_sse, sse_body, unique_id
from tests.core.test_hostile_payloads import EXPECTED_TEXT, QUIRKS


def gravix(chat: Any, server: Server, **kw: Any) -> Any:
    return chat.make("gravix", Served(server), max_retries=0, **kw)


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
async def test_quirk_whole_answer_keeps_the_text(chat, mode, quirk):
    body, _ = QUIRKS[quirk]
    model = gravix(chat, Server(chat=[reply_json(body)]))
    reply = await chat.ainvoke(model) if mode == "async" else chat.invoke(model)
    assert reply.text == EXPECTED_TEXT.get(quirk, "Hello!")
    assert reply.finish_reason == "stop"


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
async def test_quirk_streamed_answer_keeps_the_text(chat, mode, quirk):
    # LangChain: invoke() with streaming=True, built from the stream, closing chunk included;
    # LlamaIndex: the last chunk of stream_chat, which carries the whole message
    _, chunks = QUIRKS[quirk]
    server = Server(chat=[reply_sse(sse_body(*chunks, done=True))])
    reply = await chat.whole_from_stream(gravix(chat, server, **chat.streaming_settings), mode)
    assert reply.text == EXPECTED_TEXT.get(quirk, "Hello!")
    assert reply.finish_reason == "stop"
    if quirk.startswith("routing"):
        assert reply.routing["routing_tier"] == 2
    if chat.name == "langchain":  # the message id is LangChain vocabulary
        message = reply.raw
        assert message.id is None or isinstance(message.id, str)
        if quirk == "id_integer":
            assert message.response_metadata["id"] == "12345"


@pytest.mark.parametrize("broken", [b"data: {broken\n\n", b"data: [[[\n\n"])
async def test_mid_stream_failure_keeps_the_partial_text(chat, mode, broken):
    server = Server(chat=[reply_sse(sse_body(chunk("Hel"), chunk("lo")), broken)])
    seen: list[str] = []
    with pytest.raises(StreamError) as info:
        await chat.chunks(gravix(chat, server), mode, seen)
    assert info.value.partial_text == "Hello"
    assert "".join(seen) == "Hello"  # what the caller was shown before the failure
    if chat.name == "langchain":
        assert isinstance(info.value, lc_exceptions.ModelAPIError)  # the LangChain twin


async def test_gloo_stream_with_float_created_and_integer_id(chat, mode):
    chunks = [{**chunk("Hi"), "created": 1.7e9, "id": 99}, {**chunk(None, "stop"), "created": 1.7e9, "id": 99}]
    server = Server(chat=[reply_sse(sse_body(*chunks))])
    model = chat.make(
        "gloo-v2",
        Served(server),
        client_id=unique_id(),
        client_secret="s-" + unique_id(),
        api_key=None,
        max_retries=0,
        **chat.streaming_settings,
    )
    reply = await chat.whole_from_stream(model, mode)
    assert reply.text == "Hi" and reply.finish_reason == "stop"
    if chat.name == "langchain":
        assert reply.raw.response_metadata["id"] == "99"


async def test_html_stream_answer_is_a_typed_error(chat, mode):
    server = Server(
        chat=[lambda r: httpx.Response(200, headers={"content-type": "text/html"}, content=b"<html>login</html>")]
    )
    with pytest.raises(MalformedResponseError, match="HTML") as info:
        await chat.chunks(gravix(chat, server), mode, [])
    if chat.name == "langchain":
        assert isinstance(info.value, lc_exceptions.ModelAPIError)
    assert len(server.chat_requests) == 1


async def test_non_ascii_extra_header_is_a_configuration_error_naming_the_header_only(chat, mode):
    server = Server()
    model = gravix(chat, server)
    headers = {"X-Gateway": "tök-secret"}
    with pytest.raises(ConfigurationError) as info:
        if mode == "async":
            await chat.ainvoke(model, extra_headers=headers)
        else:
            chat.invoke(model, extra_headers=headers)
    if chat.name == "langchain":
        assert isinstance(info.value, lc_exceptions.ModelInvalidRequestError)
    assert "tök-secret" not in str(info.value) and "X-Gateway" in str(info.value)
    assert server.chat_requests == []
