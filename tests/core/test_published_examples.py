"""The example responses published on the three endpoint pages parse exactly.

The JSON is cut out of ../shared/api-docs/*.txt programmatically (the pages mix
curl, Python and JavaScript around it) into tests/data/published_examples.json by
``python -m tests.support.published``, never pasted here, and served through MockTransport
so that the whole Client path is exercised.
"""

from __future__ import annotations

import pytest

from langchain_gloo_gravix.core import GLOO_V1, GLOO_V2, ChatCompletion, build_body
from tests.support.published import documented_requests, documented_responses

from .conftest import Server, reply_json


def examples(name: str) -> list[dict]:
    return documented_responses(name)


def requests_in(name: str) -> list[dict]:
    return documented_requests(name)


def test_extraction_finds_every_example():
    assert [o["id"] for o in examples("gloo-completions-v1.txt")] == ["chatcmpl-d7007d2f"]  # shown twice on the page
    assert [o["id"] for o in examples("gloo-completions-v2.txt")] == ["chatcmpl-abc123"]
    assert [o["id"] for o in examples("gravixlayer-chat-completions.txt")] == [
        "chatcmpl-638",
        "chatcmpl-315",
        "chatcmpl-798",
    ]


# (file, position, endpoint, params, id, created, model, content, finish, (prompt, completion, total), fingerprint)
CASES = [
    (
        "gloo-completions-v1.txt",
        0,
        "gloo-v1",
        {},
        "chatcmpl-d7007d2f",
        1752600200,
        "us.meta.llama3-3-70b-instruct-v1:0",
        "Hello. It's nice to meet you. Is there something I can help you with or would you like to chat?",
        "stop",
        (1707, 25, 1732),
        "fp",
    ),
    (
        "gloo-completions-v2.txt",
        0,
        "gloo-v2",
        {"auto_routing": True, "tradition": "evangelical"},
        "chatcmpl-abc123",
        1704067200,
        "gloo-anthropic-claude-3-sonnet",
        "The Bible speaks extensively about forgiveness...",
        "stop",
        (25, 150, 175),
        None,
    ),
    (
        "gravixlayer-chat-completions.txt",
        0,
        "gravix",
        {"model": "llama3.1:8b-instruct-fp16"},
        "chatcmpl-638",
        1752093069,
        "llama3.1:8b-instruct-fp16",
        "Hello! How can I assist you today?",
        "stop",
        (11, 10, 21),
        "fp_ollama",
    ),
    (
        # the documented body really says 12 + 25 = 37 tokens; it is kept as published
        "gravixlayer-chat-completions.txt",
        1,
        "gravix",
        {"model": "llama3.1:8b-instruct-fp16"},
        "chatcmpl-315",
        1752096407,
        "llama3.1:8b-instruct-fp16",
        "Hello! It's nice to meet you. Is there something I can help you with or would you like to chat?",
        "stop",
        (12, 25, 37),
        "fp_ollama",
    ),
    (
        "gravixlayer-chat-completions.txt",
        2,
        "gravix",
        {"model": "llama3.1:8b-instruct-fp16"},
        "chatcmpl-798",
        1752096591,
        "llama3.1:8b-instruct-fp16",
        "How can I assist you today?",
        "stop",
        (11, 8, 19),
        "fp_ollama",
    ),
]


@pytest.mark.parametrize(
    "file,pos,endpoint,params,id,created,model,content,finish,usage,fingerprint",
    CASES,
    ids=[f"{c[0].split('.')[0]}-{c[1]}" for c in CASES],
)
async def test_published_example_through_client(
    make, file, pos, endpoint, params, id, created, model, content, finish, usage, fingerprint
):
    body = examples(file)[pos]
    server = Server(chat=[reply_json(body)])
    c = await make(endpoint, server, api_key="k").create([{"role": "user", "content": "Hello"}], **params)
    assert c.id == id
    assert c.object == "chat.completion"
    assert c.created == created
    assert c.model == model
    assert c.system_fingerprint == fingerprint
    assert len(c.choices) == 1
    assert c.choices[0].index == 0
    assert c.message.role == "assistant"
    assert c.message.content == content
    assert c.message.tool_calls is None
    assert c.finish_reason == finish
    assert (c.usage.prompt_tokens, c.usage.completion_tokens, c.usage.total_tokens) == usage
    # nothing the server sent is lost
    assert c.model_dump(exclude_unset=True) == body


def test_v2_routing_fields_exact():
    c = ChatCompletion.model_validate(examples("gloo-completions-v2.txt")[0])
    routing = c.routing
    assert routing is not None
    assert routing.model == "gloo-anthropic-claude-3-sonnet"
    assert routing.routing_mechanism == "auto_routing"
    assert routing.routing_tier == "standard"
    assert routing.routing_confidence == 0.92
    assert routing.tradition == "evangelical"
    assert routing.provider == "anthropic"
    assert routing.as_dict() == {
        "model": "gloo-anthropic-claude-3-sonnet",
        "routing_mechanism": "auto_routing",
        "routing_tier": "standard",
        "routing_confidence": 0.92,
        "tradition": "evangelical",
        "provider": "anthropic",
    }


@pytest.mark.parametrize("file", ["gloo-completions-v1.txt", "gravixlayer-chat-completions.txt"])
def test_v1_and_gravix_examples_have_no_routing(file):
    for body in examples(file):
        assert ChatCompletion.model_validate(body).routing is None


async def test_v2_example_as_answer_to_a_stream_request(make):
    body = examples("gloo-completions-v2.txt")[0]
    server = Server(chat=[reply_json(body)])
    result = await make("gloo-v2", server, api_key="k").stream([{"role": "user", "content": "x"}], auto_routing=True)
    assert result.error is None
    [delta] = result.deltas
    assert delta.content == "The Bible speaks extensively about forgiveness..."
    assert delta.routing.routing_confidence == 0.92
    assert delta.usage.total_tokens == 175
    assert result.completion.routing.provider == "anthropic"


def test_v2_example_request_passes_build_body_unchanged():
    [request] = requests_in("gloo-completions-v2.txt")
    assert request["auto_routing"] is True and request["tradition"] == "evangelical"
    params = {k: v for k, v in request.items() if k != "messages"}
    body = build_body(GLOO_V2, request["messages"], params, stream=False)
    assert body == request  # same fields, same values, nothing added (no model)
    for key in ("auto_routing", "tradition", "temperature", "max_tokens"):
        assert body[key] == request[key]
    assert "model" not in body and "model_family" not in body


def test_v1_example_request_passes_build_body():
    [request] = requests_in("gloo-completions-v1.txt")
    params = {k: v for k, v in request.items() if k != "messages"}
    body = build_body(GLOO_V1, request["messages"], params, stream=False)
    assert body == request
