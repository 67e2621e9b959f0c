"""StreamAccumulator: text, reasoning, usage, routing, tool-call quirks, in-stream errors."""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest

from langchain_gloo_gravix.core import ChatCompletion, StreamError
from langchain_gloo_gravix.core.accumulator import StreamAccumulator
from langchain_gloo_gravix.core.stream_state import completion_to_delta


def ch(delta: Optional[dict] = None, finish: Optional[str] = None, **top: Any) -> dict:
    return {"id": "c-1", "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}], **top}


def tc(index: Optional[int] = None, id: Optional[str] = None, name: Optional[str] = None, args: Any = None) -> dict:
    entry: dict[str, Any] = {"type": "function", "function": {}}
    if index is not None:
        entry["index"] = index
    if id is not None:
        entry["id"] = id
    if name is not None:
        entry["function"]["name"] = name
    if args is not None:
        entry["function"]["arguments"] = args
    return entry


def tools_chunk(*entries: dict, finish: Optional[str] = None) -> dict:
    return ch({"tool_calls": list(entries)}, finish)


def run(chunks: list[dict]) -> tuple[StreamAccumulator, list]:
    acc = StreamAccumulator(endpoint="test")
    deltas = [acc.add(c) for c in chunks]
    return acc, deltas


def langchain_merge(deltas) -> dict[int, dict]:
    """What LangChain does with tool_call_chunks: concatenate the fields by index."""
    merged: dict[int, dict] = {}
    for delta in deltas:
        for frag in delta.tool_calls:
            call = merged.setdefault(frag.index, {"id": None, "name": "", "args": ""})
            if frag.id:
                call["id"] = (call["id"] or "") + frag.id
            call["name"] += frag.name or ""
            call["args"] += frag.arguments
    return merged


def parse_args(text: str) -> Any:
    # LangChain: ``parse_partial_json(args) if args else {}``; a non-dict is an invalid call
    return json.loads(text) if text else {}


# -- text, reasoning, usage, routing --------------------------------------------------------


def test_text_and_reasoning_accumulate():
    acc, deltas = run(
        [
            ch({"role": "assistant", "reasoning_content": "Think "}),
            ch({"reasoning": "more."}),
            ch({"content": "Hel"}),
            ch({"content": [{"type": "text", "text": "lo"}, {"type": "text", "text": "!"}]}),
            ch({"content": ""}),
            ch({}, "stop"),
        ]
    )
    assert acc.text == "Hello!"
    assert acc.reasoning == "Think more."
    assert [d.content for d in deltas] == ["", "", "Hel", "lo!", "", ""]
    assert [d.reasoning for d in deltas] == ["Think ", "more.", "", "", "", ""]
    assert deltas[0].role == "assistant"
    assert deltas[-1].finish_reason == "stop"
    assert acc.finish_reason == "stop"
    assert acc.chunks == 6


def test_usage_from_chunk_with_empty_choices():
    acc, deltas = run(
        [
            ch({"content": "hi"}, usage=None),
            ch({}, "stop", usage=None),
            {"id": "c-1", "choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15}},
        ]
    )
    assert deltas[0].usage is None
    assert deltas[2].usage is not None and deltas[2].usage.total_tokens == 15
    assert (acc.usage.prompt_tokens, acc.usage.completion_tokens, acc.usage.total_tokens) == (11, 4, 15)
    assert acc.completion().usage.total_tokens == 15
    assert acc.text == "hi"


def test_usage_with_input_output_aliases():
    acc, _ = run([{"choices": [], "usage": {"input_tokens": 5, "output_tokens": 7}}])
    assert (acc.usage.prompt_tokens, acc.usage.completion_tokens, acc.usage.total_tokens) == (5, 7, 12)


def test_routing_metadata_merged_from_whichever_chunks_carry_it():
    acc, deltas = run(
        [
            ch({"content": "a"}, model="gloo-anthropic-claude-sonnet-4.5", provider="anthropic"),
            ch({"content": "b"}),
            ch({"content": "c"}, routing_mechanism="auto_routing", routing_tier="standard"),
            ch({}, "stop", routing_confidence=0.92, tradition="evangelical", model_family="Anthropic"),
        ]
    )
    assert deltas[1].routing is None  # a chunk without routing adds nothing
    assert deltas[0].routing.provider == "anthropic"
    routing = acc.routing
    assert routing.as_dict() == {
        "model": "gloo-anthropic-claude-sonnet-4.5",
        "provider": "anthropic",
        "routing_mechanism": "auto_routing",
        "routing_tier": "standard",
        "routing_confidence": 0.92,
        "tradition": "evangelical",
        "model_family": "Anthropic",
    }
    completion = acc.completion()
    assert completion.model == "gloo-anthropic-claude-sonnet-4.5"
    assert completion.routing.as_dict() == routing.as_dict()
    assert completion.model_extra["routing_tier"] == "standard"


def test_no_routing_for_plain_openai_chunks():
    acc, _ = run([ch({"content": "x"}, model="llama3.1:8b", system_fingerprint="fp_ollama"), ch({}, "stop")])
    assert acc.routing is None
    assert acc.completion().routing is None
    assert acc.system_fingerprint == "fp_ollama"


# -- tool calls ---------------------------------------------------------------------------

TOOL_CASES = {
    "id_and_name_repeated_in_every_delta": (
        [
            tools_chunk(tc(0, "call_1", "get_w", "")),
            tools_chunk(tc(0, "call_1", "get_w", '{"city":')),
            tools_chunk(tc(0, "call_1", "get_w", ' "Paris"}')),
            ch({}, "tool_calls"),
        ],
        [("call_1", "get_w", {"city": "Paris"})],
    ),
    "cumulative_name_resent": (
        [
            tools_chunk(tc(0, "call_1", "get_", "")),
            tools_chunk(tc(0, None, "get_weather", '{"a": 1}')),
        ],
        [("call_1", "get_weather", {"a": 1})],
    ),
    "name_in_fragments": (
        [
            tools_chunk(tc(0, "call_1", "get_", "")),
            tools_chunk(tc(0, None, "weather", '{"a": 1}')),
        ],
        [("call_1", "get_weather", {"a": 1})],
    ),
    "missing_index": (
        [
            tools_chunk(tc(None, "call_a", "search", '{"q": ')),
            tools_chunk(tc(None, None, None, '"x"}')),
            tools_chunk(tc(None, "call_b", "lookup", '{"id": 2}')),
            tools_chunk(tc(None, "call_a", None, "")),  # a repeated id routes back, adds nothing
        ],
        [("call_a", "search", {"q": "x"}), ("call_b", "lookup", {"id": 2})],
    ),
    "several_calls_in_one_delta": (
        [
            tools_chunk(tc(0, "call_a", "f", '{"x": 1}'), tc(1, "call_b", "g", '{"y": 2}'), tc(2, "call_c", "h", "")),
            ch({}, "tool_calls"),
        ],
        [("call_a", "f", {"x": 1}), ("call_b", "g", {"y": 2}), ("call_c", "h", {})],
    ),
    "parallel_calls_both_index_0_distinct_ids": (
        [
            tools_chunk(tc(0, "call_a", "f", "")),
            tools_chunk(tc(0, None, None, '{"q": 1}')),
            tools_chunk(tc(0, "call_b", "g", "")),
            tools_chunk(tc(0, None, None, '{"q": 2}')),
        ],
        [("call_a", "f", {"q": 1}), ("call_b", "g", {"q": 2})],
    ),
    "interleaved_fragments_with_indexes": (
        [
            tools_chunk(tc(0, "call_a", "f", ""), tc(1, "call_b", "g", "")),
            tools_chunk(tc(1, None, None, '{"b":')),
            tools_chunk(tc(0, None, None, '{"a":')),
            tools_chunk(tc(0, None, None, "1}"), tc(1, None, None, "2}")),
        ],
        [("call_a", "f", {"a": 1}), ("call_b", "g", {"b": 2})],
    ),
    "id_arrives_after_first_fragment": (
        [
            tools_chunk(tc(0, None, "f", '{"a"')),
            tools_chunk(tc(0, "call_late", None, ": 1}")),
        ],
        [("call_late", "f", {"a": 1})],
    ),
    "whole_call_in_one_delta_ollama": (
        [tools_chunk(tc(0, "call_1", "get_time", '{"tz": "UTC"}'), finish="stop")],
        [("call_1", "get_time", {"tz": "UTC"})],
    ),
    "arguments_as_an_object": (
        [tools_chunk(tc(0, "call_1", "f", {"x": 1, "s": "é"}))],
        [("call_1", "f", {"x": 1, "s": "é"})],
    ),
    "empty_string_arguments": (
        [tools_chunk(tc(0, "call_1", "noargs", "")), tools_chunk(tc(0, None, None, ""))],
        [("call_1", "noargs", {})],
    ),
    "null_string_arguments": (
        [tools_chunk(tc(0, "call_1", "noargs", "null"))],
        [("call_1", "noargs", {})],
    ),
    "absent_arguments": (
        [tools_chunk(tc(0, "call_1", "noargs"))],
        [("call_1", "noargs", {})],
    ),
}


@pytest.mark.parametrize("chunks,expected", list(TOOL_CASES.values()), ids=list(TOOL_CASES))
def test_tool_call_quirks(chunks, expected):
    acc, deltas = run(chunks)
    calls = acc.tool_calls
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls] == expected
    assert all(c.type == "function" for c in calls)
    # zero-argument tools end up as "{}", never "" or "null"
    for c in calls:
        assert c.function.arguments.strip() not in ("", "null")


@pytest.mark.parametrize("chunks,expected", list(TOOL_CASES.values()), ids=list(TOOL_CASES))
def test_tool_call_fragments_concatenated_by_index_reproduce_final_calls(chunks, expected):
    acc, deltas = run(chunks)
    merged = langchain_merge(deltas)
    assert sorted(merged) == list(range(len(expected)))
    rebuilt = [(merged[i]["id"], merged[i]["name"], parse_args(merged[i]["args"])) for i in sorted(merged)]
    assert rebuilt == expected
    final = [(c.id, c.function.name, json.loads(c.function.arguments)) for c in acc.tool_calls]
    assert rebuilt == final


def test_repeated_name_is_not_duplicated():
    acc, deltas = run([tools_chunk(tc(0, "call_1", "get_w", "")) for _ in range(3)])
    assert acc.tool_calls[0].function.name == "get_w"
    assert "".join(f.name or "" for d in deltas for f in d.tool_calls) == "get_w"
    # fragments carry id and name once only
    assert sum(1 for d in deltas for f in d.tool_calls if f.id) == 1


def test_completion_with_tool_calls_has_null_content():
    acc, _ = run([tools_chunk(tc(0, "call_1", "f", "{}")), ch({}, "tool_calls")])
    completion = acc.completion()
    assert completion.message.content is None
    assert completion.finish_reason == "tool_calls"
    assert completion.message.tool_calls[0].function.name == "f"


def test_choices_with_other_index_are_ignored():
    acc, _ = run([{"choices": [{"index": 0, "delta": {"content": "a"}}, {"index": 1, "delta": {"content": "B"}}]}])
    assert acc.text == "a"


# -- in-stream errors ---------------------------------------------------------------------

GLOO_ERROR = {
    "code": 3001,
    "type": "internal_error",
    "message": "Streaming error occurred",
    "fault": "internal",
    "retryable": True,
}


def test_gloo_in_stream_error_chunk_raises_stream_error_with_partial_text():
    acc = StreamAccumulator(endpoint="gloo-v2")
    acc.add(ch({"content": "The Bible "}))
    acc.add(ch({"content": "says"}))
    with pytest.raises(StreamError) as info:
        acc.add({"id": "c-1", "choices": [{"index": 0, "delta": {}, "finish_reason": "error"}], "error": GLOO_ERROR})
    err = info.value
    assert err.partial_text == "The Bible says"
    assert err.code == 3001
    assert err.retryable is True
    assert err.fault == "internal"
    assert err.server_message == "Streaming error occurred"
    assert err.endpoint == "gloo-v2"
    assert "Streaming error occurred" in str(err)


def test_in_stream_error_without_retryable_is_not_retryable_and_prefers_symbolic_name():
    acc = StreamAccumulator()
    error = {"code": 2002, "name": "PROVIDER_UNAVAILABLE", "message": "down", "trace_id": "tr-9"}
    with pytest.raises(StreamError) as info:
        acc.add({"choices": [{"index": 0, "delta": {}, "finish_reason": "error"}], "error": error})
    assert info.value.retryable is False
    assert info.value.code == "PROVIDER_UNAVAILABLE"
    assert info.value.request_id == "tr-9"
    assert info.value.partial_text == ""


def test_error_chunk_without_choices_also_raises():
    acc = StreamAccumulator()
    acc.add(ch({"content": "x"}))
    with pytest.raises(StreamError) as info:
        acc.add({"error": {"message": "boom", "retryable": False}})
    assert info.value.partial_text == "x"
    assert info.value.retryable is False


def test_content_filter_is_a_normal_finish():
    acc, _ = run([ch({"refusal": "I can't"}), ch({}, "content_filter")])
    completion = acc.completion()
    assert completion.finish_reason == "content_filter"
    assert completion.message.refusal == "I can't"


# -- completion() and completion_to_delta ---------------------------------------------------


def test_completion_shape():
    acc, _ = run(
        [
            {
                "id": "chatcmpl-9",
                "created": 1700,
                "model": "m-1",
                "system_fingerprint": "fp",
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi "}}],
            },
            {"id": "chatcmpl-9", "choices": [{"index": 0, "delta": {"content": "there", "reasoning_content": "r"}}]},
            {"id": "chatcmpl-9", "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]},
            {
                "id": "chatcmpl-9",
                "choices": [],
                "usage": {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5},
            },
        ]
    )
    c = acc.completion()
    assert isinstance(c, ChatCompletion)
    assert (c.id, c.object, c.created, c.model, c.system_fingerprint) == (
        "chatcmpl-9",
        "chat.completion",
        1700,
        "m-1",
        "fp",
    )
    assert len(c.choices) == 1
    assert c.choices[0].index == 0
    assert c.message.role == "assistant"
    assert c.message.content == "Hi there"
    assert c.message.tool_calls is None
    assert c.message.reasoning_content == "r"
    assert c.finish_reason == "length"
    assert c.usage.total_tokens == 5
    # it is a real completion: it round-trips through JSON
    again = ChatCompletion.model_validate_json(c.model_dump_json())
    assert again.message.content == "Hi there"


def test_completion_of_empty_stream():
    c = StreamAccumulator().completion()
    assert c.message.content == ""
    assert c.finish_reason is None
    assert c.usage is None


def test_message_instead_of_delta_is_accepted():
    acc, _ = run(
        [{"choices": [{"index": 0, "message": {"role": "assistant", "content": "whole"}, "finish_reason": "stop"}]}]
    )
    assert acc.text == "whole"
    assert acc.finish_reason == "stop"


def test_completion_to_delta():
    completion = ChatCompletion.model_validate(
        {
            "id": "chatcmpl-7",
            "model": "gloo-openai-gpt-5-mini",
            "provider": "openai",
            "routing_mechanism": "model_selection",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "reasoning_content": "hmm",
                        "tool_calls": [
                            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}},
                            {"id": "c2", "type": "function", "function": {"name": "g", "arguments": {"b": 2}}},
                            {"id": "c3", "type": "function", "function": {"name": "h", "arguments": ""}},
                        ],
                    },
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        }
    )
    delta = completion_to_delta(completion)
    assert delta.content == ""
    assert delta.reasoning == "hmm"
    assert delta.role == "assistant"
    assert delta.finish_reason == "tool_calls"
    assert delta.usage.total_tokens == 3
    assert delta.id == "chatcmpl-7"
    assert delta.model == "gloo-openai-gpt-5-mini"
    assert delta.routing.provider == "openai"
    assert delta.routing.routing_mechanism == "model_selection"
    assert [(t.index, t.id, t.name, json.loads(t.arguments)) for t in delta.tool_calls] == [
        (0, "c1", "f", {"a": 1}),
        (1, "c2", "g", {"b": 2}),
        (2, "c3", "h", {}),
    ]
    assert delta.raw["id"] == "chatcmpl-7"
