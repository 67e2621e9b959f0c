"""``_stream``'s text-only shortcut: taken only for a delta that is text alone, and then the same chunk."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.outputs import ChatGenerationChunk

from langchain_gloo_gravix import ChatGravixLayer
from langchain_gloo_gravix._lc_convert import StreamMetadata, is_text_only
from langchain_gloo_gravix.core.accumulator import StreamAccumulator
from langchain_gloo_gravix.core.stream_state import completion_to_delta


def _chunk(delta: dict[str, Any], **extra: Any) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": None}
    choice.update(extra.pop("choice", {}))
    return {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [choice], **extra}


def _delta(chunk: dict[str, Any]) -> Any:
    acc = StreamAccumulator(endpoint="gravix")
    acc.add(_chunk({"role": "assistant", "content": ""}))
    return acc.add(chunk)


def test_a_text_delta_is_text_only():
    assert is_text_only(_delta(_chunk({"content": "tok "})))
    assert is_text_only(_delta(_chunk({"content": "tok "}, system_fingerprint="fp", choice={"finish_reason": "stop"})))


@pytest.mark.parametrize(
    "chunk",
    [
        _chunk({"content": "a", "reasoning_content": "r"}),
        _chunk({"content": "a", "refusal": "no"}),
        _chunk({"content": "a", "tool_calls": [{"index": 0, "id": "t", "function": {"name": "f", "arguments": ""}}]}),
        _chunk({"content": "a"}, choice={"logprobs": {"content": []}}),
        _chunk({"content": "a"}, usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}),
        _chunk({"content": "a"}, provider="openai", model_family="gpt"),  # routing
        _chunk({"content": "a"}, service_tier="default"),
        _chunk({"content": "a"}, sources_returned=True, citations=[]),  # grounding
    ],
    ids=["reasoning", "refusal", "tool call", "logprobs", "usage", "routing", "service tier", "grounding"],
)
def test_anything_more_is_not(chunk):
    assert not is_text_only(_delta(chunk))


def test_other_choices_and_whole_answers_are_not():
    acc = StreamAccumulator(endpoint="gravix")
    two = _chunk({"content": "a"})
    two["choices"].append({"index": 1, "delta": {"content": "b"}})
    assert not is_text_only(acc.add(two))
    assert not is_text_only(acc.add(_chunk({"content": "x"}, choice={"index": 1})).other_choices[0])
    assert not is_text_only(completion_to_delta(acc.completion()))


class _Stream:
    response_headers = None


def test_the_shortcut_builds_the_chunk_the_general_path_builds():
    model = ChatGravixLayer(model="m", api_key="k", base_url="http://127.0.0.1:9/v1")
    delta = _delta(_chunk({"content": "tok "}))
    general = model._chunk(delta, StreamMetadata(want_headers=False), _Stream(), "openai")
    # what _stream builds for a text-only delta
    from langchain_core.messages import AIMessageChunk

    message = AIMessageChunk(content=delta.content)
    message.response_metadata["model_provider"] = "openai"
    assert general == ChatGenerationChunk(message=message)
