"""``_stream``'s text-only shortcut: taken only for a delta that is text alone, and then the same chunk."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.load import dumpd
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from langchain_gloo_gravix import ChatGravixLayer
from langchain_gloo_gravix._lc_convert import StreamMetadata, TextChunks, is_text_only, text_chunks
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


def _validated(text: str, provider: str) -> ChatGenerationChunk:
    message = AIMessageChunk(content=text)
    message.response_metadata["model_provider"] = provider
    return ChatGenerationChunk(message=message)


def _state(model: Any) -> tuple[Any, ...]:
    fields = {k: v for k, v in model.__dict__.items() if k != "message"}
    return type(model), fields, model.__pydantic_fields_set__, model.__pydantic_extra__, model.__pydantic_private__


def test_the_shortcut_builds_the_chunk_the_general_path_builds():
    model = ChatGravixLayer(model="m", api_key="k", base_url="http://127.0.0.1:9/v1")
    delta = _delta(_chunk({"content": "tok "}))
    general = model._chunk(delta, StreamMetadata(want_headers=False), _Stream(), "openai")
    assert general == _validated(delta.content, "openai") == text_chunks("openai")(delta.content)


@settings(max_examples=200, deadline=None)
@given(text=st.text(min_size=1), provider=st.sampled_from(["gloo", "gravixlayer"]))
def test_a_text_chunk_is_the_validated_chunk_in_every_respect(text, provider):
    made, validated = text_chunks(provider)(text), _validated(text, provider)
    assert text_chunks(provider).fast
    assert _state(made) == _state(validated) and _state(made.message) == _state(validated.message)
    assert made == validated and made.text == text and made.message.text == text
    assert made.model_dump() == validated.model_dump()
    assert dumpd(made.message) == dumpd(validated.message)
    assert made.message.content_blocks == validated.message.content_blocks
    # what langchain-core's stream() does to each chunk, and adding chunks up, behave the same
    for chunk in (made, validated):
        chunk.message.id = "run-1"
        chunk.message.response_metadata = {**chunk.message.response_metadata, "extra": 1}
    assert _state(made.message) == _state(validated.message)
    assert (made + made) == (validated + validated)


def test_text_chunks_share_no_mutable_state():
    chunks = text_chunks("gloo")
    first, second = chunks("a"), chunks("b")
    for name in ("additional_kwargs", "response_metadata", "tool_calls", "invalid_tool_calls", "tool_call_chunks"):
        assert getattr(first.message, name) is not getattr(second.message, name), name
    assert first.message.__pydantic_fields_set__ is not second.message.__pydantic_fields_set__
    first.message.additional_kwargs["x"] = 1
    first.message.tool_calls.append({"name": "t", "args": {}, "id": "1", "type": "tool_call"})
    first.message.id = "changed"
    third = chunks("c")
    assert third.message.additional_kwargs == {} and third.message.tool_calls == [] and third.message.id is None
    assert third.message.__pydantic_fields_set__ == {"content"}


def test_a_langchain_core_whose_chunks_differ_gets_validated_chunks(monkeypatch):
    """The first-use check: when a chunk built from the templates would differ from a validated one (here a
    validator that computes a field from the text), every chunk is built the validated way."""
    monkeypatch.setattr(TextChunks, "_same", staticmethod(lambda built, validated: False))
    chunks = TextChunks("gloo")
    assert not chunks.fast
    assert chunks("x") == _validated("x", "gloo")
    monkeypatch.undo()
    assert TextChunks("gloo").fast
