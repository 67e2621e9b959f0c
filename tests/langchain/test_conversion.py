"""Message conversion, reasoning, invalid tool calls and error mapping (no server)."""

from __future__ import annotations

import json

import httpx
import pytest
from langchain_core import exceptions as lc
from langchain_core.messages import AIMessage, ChatMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_gloo_gravix import ChatGravixLayer
from langchain_gloo_gravix._lc_convert import to_wire_messages
from langchain_gloo_gravix._lc_errors import to_langchain_error
from langchain_gloo_gravix.core import errors as core


def sse(*chunks):
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


def model_answering(handler):
    return ChatGravixLayer(
        model="m",
        api_key="k",
        base_url="http://test/v1/inference",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )


def test_outgoing_messages():
    image = {"type": "image", "base64": "aGVsbG8=", "mime_type": "image/png"}
    messages = [
        SystemMessage("be brief"),
        SystemMessage("really"),
        HumanMessage(content=[{"type": "text", "text": "look"}, image], name="alice"),
        HumanMessage("again"),
        AIMessage("", tool_calls=[{"name": "f", "args": {"q": "é"}, "id": "c1"}]),
        ToolMessage(content=[{"type": "text", "text": "done"}], tool_call_id="c1"),
        ChatMessage(role="developer", content="dev note"),
    ]
    wire = to_wire_messages(messages)
    assert [m["role"] for m in wire] == ["system", "system", "user", "user", "assistant", "tool", "developer"]
    assert wire[2]["name"] == "alice"
    assert wire[2]["content"][0] == {"type": "text", "text": "look"}
    assert wire[2]["content"][1]["type"] == "image_url"
    assert wire[2]["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert wire[4]["content"] is None
    assert wire[4]["tool_calls"][0]["function"]["arguments"] == '{"q": "é"}'
    assert wire[5] == {"role": "tool", "tool_call_id": "c1", "content": "done"}


def test_reasoning_deltas_become_reasoning_blocks_not_text():
    def handler(request):
        return httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            content=sse(
                {"id": "r1", "model": "deepseek", "choices": [{"index": 0, "delta": {"reasoning_content": "think "}}]},
                {"id": "r1", "choices": [{"index": 0, "delta": {"reasoning_content": "more"}}]},
                {"id": "r1", "choices": [{"index": 0, "delta": {"content": "Answer"}, "finish_reason": "stop"}]},
            ),
        )

    total = None
    for chunk in model_answering(handler).stream("q"):
        total = chunk if total is None else total + chunk
    assert total.content == "Answer"
    blocks = total.content_blocks
    assert blocks[0] == {"type": "reasoning", "reasoning": "think more"}
    assert any(b["type"] == "text" and b["text"] == "Answer" for b in blocks)


def test_malformed_tool_arguments_become_invalid_tool_calls():
    def handler(request):
        return httpx.Response(
            200,
            json={
                "id": "x",
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "tool_calls",
                        "message": {
                            "role": "assistant",
                            "content": None,
                            "tool_calls": [
                                {"id": "a", "type": "function", "function": {"name": "good", "arguments": '{"n": 1}'}},
                                {"id": "b", "type": "function", "function": {"name": "bad", "arguments": '{"n": '}},
                                {"id": "c", "type": "function", "function": {"name": "list", "arguments": "[1, 2]"}},
                                {"id": "d", "type": "function", "function": {"name": "empty", "arguments": ""}},
                            ],
                        },
                    }
                ],
            },
        )

    message = model_answering(handler).invoke("q")
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("good", {"n": 1}), ("empty", {})]
    assert [(c["name"], c["args"]) for c in message.invalid_tool_calls] == [("bad", '{"n": '), ("list", "[1, 2]")]
    assert all(c["error"] for c in message.invalid_tool_calls)


@pytest.mark.parametrize(
    ("error", "lc_type", "retryable"),
    [
        (core.AuthenticationError("x", status_code=401), lc.ModelAuthenticationError, False),
        (core.PermissionDeniedError("x", status_code=403), lc.ModelPermissionDeniedError, False),
        (core.BadRequestError("x", status_code=400), lc.ModelInvalidRequestError, False),
        (core.ContextOverflowError("x", status_code=400), lc.ContextOverflowError, False),
        (core.NotFoundError("x", status_code=404), lc.ModelNotFoundError, False),
        (core.RateLimitError("x", status_code=429), lc.ModelRateLimitError, True),
        (core.RateLimitError("spend", status_code=429, retryable=False), lc.ModelRateLimitError, False),
        (core.ServerError("x", status_code=503), lc.ModelAPIError, True),
        (core.APITimeoutError("x"), lc.ModelTimeoutError, True),
        (core.APIConnectionError("x"), lc.ModelConnectionError, True),
        (core.StreamError("x", partial_text="par"), lc.ModelAPIError, False),
        (core.MissingCredentialsError("x"), lc.ModelAuthenticationError, False),
    ],
)
def test_errors_are_both_core_and_langchain_errors(error, lc_type, retryable):
    twin = to_langchain_error(error)
    assert isinstance(twin, lc_type) and isinstance(twin, type(error))
    assert twin.is_retryable is retryable and twin.retryable is retryable
    assert str(twin) == str(error) and twin.status_code == error.status_code
    if isinstance(error, core.StreamError):
        assert twin.partial_text == "par"
