"""Cassette replay: chat / complete / stream, sync and async, on all three endpoints.

Recorded from the emulator (``LGG_RECORD=emulator``); CI replays them offline.
Each test checks what LlamaIndex consumers read: the answer text, a cumulative
message on every streamed chunk, usage in ``raw`` and ``additional_kwargs`` of
the final response (the last chunk when streaming), and Gloo v2 routing.
"""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock
from llama_index.core.tools import FunctionTool

from llama_index_ext import Gloo, GravixLayer
from tests.support.backend import backend

ENDPOINTS = ["gloo_v2", "gloo_v1", "gravix"]
PROMPT = "Say hello to Ada Lovelace"


def make_llm(which: str, **kwargs):
    b = backend()
    if which == "gravix":
        return GravixLayer(model=b.gravix_model, base_url=b.gravix_base_url, api_key=b.gravix_api_key, **kwargs)
    version = "v2" if which == "gloo_v2" else "v1"
    return Gloo(
        api_version=version, base_url=b.gloo_base_url, client_id=b.client_id, client_secret=b.client_secret, **kwargs
    )


def magic_function(input: int) -> int:
    """Applies the magic function to an integer."""
    return input + 2


MAGIC = FunctionTool.from_defaults(magic_function)


def _messages():
    return [ChatMessage(role="system", content="You are terse."), ChatMessage(role="user", content=PROMPT)]


def _check_usage(response) -> None:
    usage = response.raw["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        assert response.additional_kwargs[key] == usage[key]


def _check_routing(which: str, response) -> None:
    routing = response.additional_kwargs.get("routing")
    if which == "gloo_v2":
        assert routing["auto_routing"] is True
        assert routing["routing_mechanism"] == "auto_routing"
        assert routing["model"]
    else:
        assert routing is None


def _check_chat(which: str, response) -> None:
    assert "Ada Lovelace" in response.message.content
    assert response.message.role == "assistant"
    assert response.additional_kwargs["finish_reason"] == "stop"
    assert response.delta is None
    _check_usage(response)
    _check_routing(which, response)


def _check_stream(which: str, chunks) -> None:
    assert len(chunks) > 2
    text = "".join(c.delta or "" for c in chunks)
    last = chunks[-1]
    assert text == last.message.content and "Ada Lovelace" in text
    # every chunk carries the message so far, as agents expect
    contents = [c.message.content or "" for c in chunks]
    assert all(later.startswith(earlier) for earlier, later in zip(contents, contents[1:]))
    assert last.additional_kwargs["finish_reason"] == "stop"
    _check_usage(last)
    _check_routing(which, last)
    # the finish_reason key marks the finished answer; chunks before it lack it
    assert "finish_reason" not in chunks[0].additional_kwargs


@pytest.mark.vcr
@pytest.mark.parametrize("which", ENDPOINTS)
def test_chat(which):
    _check_chat(which, make_llm(which).chat(_messages()))


@pytest.mark.vcr
@pytest.mark.parametrize("which", ENDPOINTS)
async def test_achat(which):
    _check_chat(which, await make_llm(which).achat(_messages()))


@pytest.mark.vcr
@pytest.mark.parametrize("which", ENDPOINTS)
def test_stream_chat(which):
    _check_stream(which, list(make_llm(which).stream_chat(_messages())))


@pytest.mark.vcr
@pytest.mark.parametrize("which", ENDPOINTS)
async def test_astream_chat(which):
    gen = await make_llm(which).astream_chat(_messages())
    _check_stream(which, [chunk async for chunk in gen])


@pytest.mark.vcr
@pytest.mark.parametrize("which", ENDPOINTS)
def test_complete(which):
    response = make_llm(which).complete(PROMPT)
    assert "Ada Lovelace" in response.text
    _check_usage(response)
    _check_routing(which, response)


@pytest.mark.vcr
@pytest.mark.parametrize("which", ENDPOINTS)
async def test_acomplete(which):
    response = await make_llm(which).acomplete(PROMPT)
    assert "Ada Lovelace" in response.text
    _check_usage(response)


@pytest.mark.vcr
@pytest.mark.parametrize("which", ENDPOINTS)
def test_stream_complete(which):
    chunks = list(make_llm(which).stream_complete(PROMPT))
    assert "".join(c.delta for c in chunks) == chunks[-1].text
    assert "Ada Lovelace" in chunks[-1].text
    _check_usage(chunks[-1])
    _check_routing(which, chunks[-1])


@pytest.mark.vcr
@pytest.mark.parametrize("which", ENDPOINTS)
async def test_astream_complete(which):
    gen = await make_llm(which).astream_complete(PROMPT)
    chunks = [chunk async for chunk in gen]
    assert "".join(c.delta for c in chunks) == chunks[-1].text
    _check_usage(chunks[-1])


@pytest.mark.vcr
@pytest.mark.parametrize("which", ENDPOINTS)
def test_chat_with_tools(which):
    llm = make_llm(which)
    response = llm.chat_with_tools([MAGIC], user_msg="What is magic_function(3)?", tool_required=True)
    calls = llm.get_tool_calls_from_response(response)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("magic_function", {"input": 3})]
    assert calls[0].tool_id
    blocks = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    assert blocks[0].tool_kwargs == {"input": 3}
    assert response.message.additional_kwargs["tool_calls"][0]["function"]["name"] == "magic_function"
    assert response.additional_kwargs["finish_reason"] == "tool_calls"

    # the tool result goes back as a "tool" message and the model answers from it
    history = [
        ChatMessage(role="user", content="What is magic_function(3)?"),
        response.message,
        ChatMessage(role="tool", content="5", additional_kwargs={"tool_call_id": calls[0].tool_id}),
    ]
    answer = llm.chat_with_tools([MAGIC], chat_history=history)
    assert "5" in answer.message.content
    assert llm.get_tool_calls_from_response(answer, error_on_no_tool_call=False) == []


@pytest.mark.vcr
@pytest.mark.parametrize("which", ENDPOINTS)
async def test_astream_chat_with_tools(which):
    llm = make_llm(which)
    gen = await llm.astream_chat_with_tools(
        [MAGIC], user_msg="What is magic_function(3)?", allow_parallel_tool_calls=True
    )
    chunks = [chunk async for chunk in gen]
    # agents parse every chunk: partial arguments must never raise
    per_chunk = [llm.get_tool_calls_from_response(c, error_on_no_tool_call=False) for c in chunks]
    assert per_chunk[-1][0].tool_name == "magic_function"
    assert per_chunk[-1][0].tool_kwargs == {"input": 3}
    assert chunks[-1].additional_kwargs["finish_reason"] == "tool_calls"
    _check_usage(chunks[-1])
