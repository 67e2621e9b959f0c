"""The documented example responses, replayed from cassettes through both frameworks."""

from __future__ import annotations

import json

import pytest
import yaml

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer
from tests.support.published import DATA, DOCS, EXAMPLES, HOST, OUT, cassette, extract_from_pages

# name -> (id, model, content, finish, (prompt, completion, total))
EXPECTED = {
    "gloo_v1": (
        "chatcmpl-d7007d2f",
        "us.meta.llama3-3-70b-instruct-v1:0",
        "Hello. It's nice to meet you. Is there something I can help you with or would you like to chat?",
        "stop",
        (1707, 25, 1732),
    ),
    "gloo_v2": (
        "chatcmpl-abc123",
        "gloo-anthropic-claude-3-sonnet",
        "The Bible speaks extensively about forgiveness...",
        "stop",
        (25, 150, 175),
    ),
    "gravix_curl": (
        "chatcmpl-638",
        "llama3.1:8b-instruct-fp16",
        "Hello! How can I assist you today?",
        "stop",
        (11, 10, 21),
    ),
    # the page really documents 12 + 25 = 37; kept exactly as published
    "gravix_python": (
        "chatcmpl-315",
        "llama3.1:8b-instruct-fp16",
        "Hello! It's nice to meet you. Is there something I can help you with or would you like to chat?",
        "stop",
        (12, 25, 37),
    ),
    "gravix_js": ("chatcmpl-798", "llama3.1:8b-instruct-fp16", "How can I assist you today?", "stop", (11, 8, 19)),
}


def langchain_model(name: str):
    _, _, endpoint, _, kwargs, _ = EXAMPLES[name]
    kwargs = dict(kwargs)
    if endpoint == "gravix":
        return ChatGravixLayer(base_url=HOST + "/v1/inference", api_key="replay", **kwargs)
    return ChatGloo(api_version=endpoint[-2:], base_url=HOST, api_key="replay", **kwargs)


@pytest.mark.vcr
@pytest.mark.parametrize("name", list(EXPECTED))
def test_documented_example_through_langchain(name, vcr_cassette_dir):
    _, _, _, _, _, prompt = EXAMPLES[name]
    message = langchain_model(name).invoke(prompt)
    completion_id, model, content, finish, (prompt_tokens, completion_tokens, total) = EXPECTED[name]
    assert message.id == completion_id and message.content == content
    assert message.response_metadata["model_name"] == model
    assert message.response_metadata["finish_reason"] == finish
    assert message.usage_metadata == {
        "input_tokens": prompt_tokens,
        "output_tokens": completion_tokens,
        "total_tokens": total,
    }
    if name == "gloo_v2":
        assert message.response_metadata["routing"] == {
            "model": "gloo-anthropic-claude-3-sonnet",
            "provider": "anthropic",
            "routing_mechanism": "auto_routing",
            "routing_tier": "standard",
            "routing_confidence": 0.92,
            "tradition": "evangelical",
        }
    else:
        assert "routing" not in message.response_metadata


@pytest.fixture(scope="module")
def vcr_cassette_dir():
    return str(OUT)


@pytest.fixture
def default_cassette_name(request):
    return request.node.callspec.params["name"]


@pytest.mark.skipif(not DOCS.is_dir(), reason=f"the published pages are not checked out at {DOCS}")
def test_stored_examples_still_match_the_published_pages():
    stored = json.loads(DATA.read_text(encoding="utf-8"))
    assert stored == extract_from_pages(DOCS), "the published pages changed: run `python -m tests.support.published`"


def test_stored_examples_are_all_there():
    stored = json.loads(DATA.read_text(encoding="utf-8"))
    assert {page: len(v["responses"]) for page, v in stored.items()} == {
        "gloo-completions-v1.txt": 1,
        "gloo-completions-v2.txt": 1,
        "gravixlayer-chat-completions.txt": 3,
    }
    assert len(stored["gloo-completions-v2.txt"]["requests"]) == 1


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_cassettes_still_match_the_stored_examples(name):
    stored = yaml.safe_load((OUT / f"{name}.yaml").read_text())
    fresh = cassette(name)
    stored_body = json.loads(stored["interactions"][0]["response"]["body"]["string"])
    fresh_body = json.loads(fresh["interactions"][0]["response"]["body"]["string"])
    assert stored_body == fresh_body, "the documented example changed: run `python -m tests.support.published`"
    assert json.loads(stored["interactions"][0]["request"]["body"]) == json.loads(
        fresh["interactions"][0]["request"]["body"]
    )
