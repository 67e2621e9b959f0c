"""Pure tests of the LlamaIndex adapter: no server, no network.

Construction rules, metadata, secrets, message conversion, tool-choice mapping,
tool-call parsing (partial and final), and stream assembly from core deltas.
"""

from __future__ import annotations

import copy
import json
import pickle
from types import SimpleNamespace

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.constants import DEFAULT_CONTEXT_WINDOW
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.tools import FunctionTool

from langchain_gloo_gravix.core import Routing, StreamDelta, ToolCallDelta, Usage
from llama_index_ext import Gloo, GravixLayer
from llama_index_ext.messages import to_wire_messages
from llama_index_ext.responses import StreamAssembler, chat_response
from llama_index_ext.tools import get_tool_calls

GRAVIX_MODEL = "meta-llama/llama-3.1-8b-instruct"
SECRET = "sk-top-secret-value-42"


def magic_function(input: int) -> int:
    """Applies the magic function to an integer."""
    return input + 2


def other_function(text: str) -> str:
    """Echoes text."""
    return text


MAGIC = FunctionTool.from_defaults(magic_function)
OTHER = FunctionTool.from_defaults(other_function)


# -- construction and validation -----------------------------------------------------------------


def test_classes_are_function_calling_llms():
    assert issubclass(Gloo, FunctionCallingLLM) and issubclass(GravixLayer, FunctionCallingLLM)


def test_gloo_v2_defaults_to_auto_routing():
    llm = Gloo()
    # implied per call by the core's Endpoint.with_default_routing, never written into the field (a copy that sets
    # model_family= must not be left with two mechanisms)
    assert llm.api_version == "v2" and llm.auto_routing is None and llm.model is None
    assert llm._request([ChatMessage(role="user", content="hi")], {}, stream=False)[0].params["auto_routing"] is True


def test_gloo_v1_uses_the_endpoint_default_model():
    assert Gloo(api_version="v1").model == "us.meta.llama3-3-70b-instruct-v1:0"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"model": "gloo-openai-gpt-5-mini", "auto_routing": True}, "exactly one routing mechanism"),
        ({"model": "gloo-openai-gpt-5-mini", "model_family": "openai"}, "exactly one routing mechanism"),
        ({"auto_routing": False}, "exactly one routing mechanism"),
        ({"model_family": ""}, "model_family must be a non-empty string"),
        ({"tradition": "orthodox"}, "tradition must be one of"),
        ({"temperature": 2.5}, "temperature must be a number from 0 to 2"),
        ({"api_version": "v1", "temperature": 1.5}, "from 0 to 1 for gloo-v1"),
        ({"api_version": "v1", "model_family": "openai"}, "Gloo v2 routing option"),
        ({"api_version": "v1", "auto_routing": True}, "Gloo v2 routing option"),
        ({"api_version": "v1", "tradition": "catholic"}, "Gloo v2 routing option"),
        ({"api_version": "v3"}, "api_version"),
        ({"base_url": "platform.ai.gloo.com"}, "must start with http"),
        ({"base_url": "https://platform.ai.gloo.com/ai/v1"}, "another Gloo API version"),
        (
            {"api_version": "v1", "structured_output_method": "json_schema"},
            "not supported by gloo-v1.*function_calling",
        ),
        ({"additional_kwargs": {"messages": []}}, "must not set messages"),
        ({"additional_kwargs": {"top_p": 3}}, "top_p must be a number"),
        ({"extra_body": {"x": object()}}, "JSON-serialisable"),
        ({"max_retries": -1}, "max_retries must be an integer >= 0"),
        ({"max_tokens": 0}, "max_tokens must be an integer >= 1"),
        ({"timeout": 0}, "timeout must be a positive, finite number"),
    ],
)
def test_gloo_rejects_bad_settings_at_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Gloo(**kwargs)


def test_gravix_requires_a_model():
    with pytest.raises(ValueError, match="model is required for gravix"):
        GravixLayer()
    with pytest.raises(ValueError, match="Gloo v2 routing option"):
        GravixLayer(model=GRAVIX_MODEL, additional_kwargs={"tradition": "catholic"})


def test_unknown_options_are_errors_not_ignored():
    with pytest.raises(ValueError, match="unknown option 'modle': did you mean 'model'"):
        Gloo(modle="gloo-openai-gpt-5-mini")
    # not a GravixLayer option: moved to the body (with a warning), where the core refuses it
    with pytest.warns(UserWarning, match="'tradition' is not a declared option"):
        with pytest.raises(ValueError, match="Gloo v2 routing option"):
            GravixLayer(model=GRAVIX_MODEL, tradition="catholic")


def test_model_family_is_case_insensitive():
    llm = Gloo(model_family="Open Source", tradition="Catholic")
    body = llm._request([ChatMessage(role="user", content="hi")], {}, stream=False)[0].payload
    assert body["model_family"] == "open source" and body["tradition"] == "catholic"
    assert "model" not in body and "auto_routing" not in body


def test_per_call_model_switches_routing_mechanism():
    llm = Gloo()
    call = llm._request([ChatMessage(role="user", content="hi")], {"model": "gloo-openai-gpt-5-mini"}, stream=False)[0]
    body = call.payload
    assert call.requested_model == "gloo-openai-gpt-5-mini"
    assert body["model"] == "gloo-openai-gpt-5-mini" and "auto_routing" not in body


def test_request_params_merge_settings_and_call_kwargs():
    llm = GravixLayer(
        model=GRAVIX_MODEL,
        temperature=0.2,
        max_tokens=300,
        additional_kwargs={"top_p": 0.9, "seed": 7},
        extra_body={"keep_alive": "5m"},
    )
    call, headers = llm._request(
        [ChatMessage(role="user", content="hi")],
        {"temperature": 0.7, "stop": ["\n"], "extra_headers": {"X-Trace": "1"}, "verbose": True},
        stream=True,
    )
    assert headers == {"X-Trace": "1"}
    body = call.payload
    assert body == {
        "model": GRAVIX_MODEL,
        "temperature": 0.7,
        "max_tokens": 300,
        "top_p": 0.9,
        "seed": 7,
        "stop": ["\n"],
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "keep_alive": "5m",
    }


# -- metadata ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "llm, window, output, tools",
    [
        (lambda: Gloo(), 131072, 8192, True),
        (lambda: Gloo(model_family="anthropic"), 200000, 8192, True),
        (lambda: Gloo(model="gloo-anthropic-claude-sonnet-4.5"), 200000, 64000, True),
        (lambda: Gloo(model="gloo-google-gemini-2.5-pro"), 1048576, 65536, True),
        (lambda: Gloo(model="gloo-openai-gpt-5-mini"), 400000, 128000, True),
        (lambda: Gloo(model="gloo-meta-llama-3.1-8b-instruct"), 131072, 4096, False),
        (lambda: Gloo(model="gloo-deepseek-r1"), 131072, 32768, False),
        (lambda: Gloo(model="gloo-meta-llama-4-maverick"), 1048576, 16384, False),
        (lambda: Gloo(api_version="v1"), 131072, 8192, True),
        (lambda: GravixLayer(model=GRAVIX_MODEL), 131072, 4096, True),
        (lambda: GravixLayer(model="llama3.1:8b"), 131072, 4096, True),
        (lambda: GravixLayer(model="meta-llama/llama-3.3-70b-instruct"), 131072, 4096, True),
        (lambda: GravixLayer(model="some/unknown-model"), 32768, 4096, True),
    ],
)
def test_metadata_from_known_models(llm, window, output, tools):
    meta = llm().metadata
    assert (meta.context_window, meta.num_output, meta.is_function_calling_model) == (window, output, tools)
    assert meta.is_chat_model is True
    assert meta.context_window != DEFAULT_CONTEXT_WINDOW


def test_metadata_overrides():
    meta = GravixLayer(
        model="some/unknown-model", context_window=8192, num_output=512, is_function_calling_model=False
    ).metadata
    assert (meta.context_window, meta.num_output, meta.is_function_calling_model) == (8192, 512, False)
    # an explicit max_tokens is the output room LlamaIndex should reserve
    assert GravixLayer(model=GRAVIX_MODEL, max_tokens=1500).metadata.num_output == 1500
    # the core's one display name (Endpoint.display_model), as ChatGloo's ls_model_name
    assert Gloo().metadata.model_name == "gloo-auto-routing"
    assert Gloo(model_family="Google").metadata.model_name == "gloo-family:google"


# -- secrets -----------------------------------------------------------------------------------------


def _secret_llms():
    return [
        Gloo(client_id="my-client", client_secret=SECRET, default_headers={"Authorization": SECRET, "X-Team": "a"}),
        Gloo(api_key=SECRET),
        GravixLayer(model=GRAVIX_MODEL, api_key=SECRET, default_headers={"X-Api-Key": SECRET}),
    ]


@pytest.mark.parametrize("llm", _secret_llms())
def test_secrets_never_in_repr_or_serialisation(llm):
    for text in (
        repr(llm),
        str(llm),
        json.dumps(llm.to_dict()),
        llm.to_json(),
        # to_payload (what LlamaIndex hands tracers) exists from llama-index-core 0.14.2x on
        json.dumps(llm.to_payload()) if hasattr(llm, "to_payload") else "",
        llm.model_dump_json(),
        repr(llm._sync_client()),
    ):
        assert SECRET not in text
    assert "api_key" not in llm.to_dict() and "client_secret" not in llm.to_dict()


def test_serialisation_round_trip_keeps_settings_but_not_secrets():
    llm = Gloo(
        model_family="google",
        tradition="mainline",
        client_id="my-client",
        client_secret=SECRET,
        default_headers={"Authorization": SECRET, "X-Team": "a"},
        temperature=0.3,
    )
    data = llm.to_dict()
    # no header value is serialised, secret-looking or not (gateways put credentials anywhere)
    assert data["class_name"] == "Gloo_LLM" and "default_headers" not in data
    clone = Gloo.from_dict(data)
    assert (clone.model_family, clone.tradition, clone.client_id, clone.temperature) == (
        "google",
        "mainline",
        "my-client",
        0.3,
    )
    assert clone.client_secret is None  # secrets come back from the environment, never from a dump


def test_secret_values_still_reach_the_core():
    llm = Gloo(client_id="id", client_secret=SECRET)
    assert llm.client_secret.get_secret_value() == SECRET
    assert llm._credentials()["client_secret"].get_secret_value() == SECRET


def test_copies_and_pickles_get_their_own_clients():
    llm = GravixLayer(model=GRAVIX_MODEL, api_key=SECRET)
    client = llm._sync_client()
    assert copy.deepcopy(llm)._clients._sync is None
    clone = pickle.loads(pickle.dumps(llm))
    assert clone._clients._sync is None and clone.api_key.get_secret_value() == SECRET
    assert llm._sync_client() is client


def test_no_io_at_construction():
    # a closed port and no credentials: construction still succeeds, nothing is built
    llm = Gloo(base_url="http://127.0.0.1:9")
    assert llm._clients._sync is None and llm._clients._async == []


# -- messages out ------------------------------------------------------------------------------------


def test_messages_to_wire():
    messages = [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="developer", content="Use metric units."),
        ChatMessage(role="user", content="hi", additional_kwargs={"name": "ada"}),
        ChatMessage(
            role="assistant",
            blocks=[
                ThinkingBlock(content="let me think"),
                ToolCallBlock(tool_call_id="c1", tool_name="magic_function", tool_kwargs={"input": 3}),
                ToolCallBlock(tool_call_id="c2", tool_name="other_function", tool_kwargs='{"text": "x"}'),
            ],
        ),
        ChatMessage(role="tool", content="5", additional_kwargs={"tool_call_id": "c1"}),
        ChatMessage(role="tool", blocks=[TextBlock(text="x")], additional_kwargs={"tool_call_id": "c2"}),
        ChatMessage(role="assistant", content="It is 5.", additional_kwargs={"tool_call_id": "c1"}),
    ]
    assert to_wire_messages(messages) == [
        {"role": "system", "content": "Be brief."},
        {"role": "system", "content": "Use metric units."},
        {"role": "user", "content": "hi", "name": "ada"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "magic_function", "arguments": '{"input": 3}'}},
                {"id": "c2", "type": "function", "function": {"name": "other_function", "arguments": '{"text": "x"}'}},
            ],
        },
        {"role": "tool", "content": "5", "tool_call_id": "c1"},
        {"role": "tool", "content": "x", "tool_call_id": "c2"},
        {"role": "assistant", "content": "It is 5."},
    ]


def test_legacy_tool_calls_in_additional_kwargs():
    sdk_style = SimpleNamespace(id="c9", function=SimpleNamespace(name="magic_function", arguments='{"input": 1}'))
    for call in (
        {"id": "c9", "type": "function", "function": {"name": "magic_function", "arguments": '{"input": 1}'}},
        sdk_style,
    ):
        wire = to_wire_messages([ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": [call]})])
        assert wire[0]["tool_calls"][0] == {
            "id": "c9",
            "type": "function",
            "function": {"name": "magic_function", "arguments": '{"input": 1}'},
        }
        assert wire[0]["content"] is None


def test_user_images_become_content_parts():
    wire = to_wire_messages(
        [
            ChatMessage(
                role="user",
                blocks=[TextBlock(text="What is this?"), ImageBlock(url="https://example.com/cat.png", detail="low")],
            )
        ]
    )
    assert wire[0]["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
    ]


@pytest.mark.parametrize(
    "message, error",
    [
        (ChatMessage(role="tool", content="5"), "needs additional_kwargs\\['tool_call_id'\\]"),
        (
            ChatMessage(role="assistant", blocks=[ImageBlock(url="https://example.com/a.png")]),
            "user messages and tool results only",
        ),
        (
            ChatMessage(role="user", blocks=[DocumentBlock(data=b"%PDF-1.4", document_mimetype="application/pdf")]),
            "DocumentBlock is not supported",
        ),
        (
            ChatMessage(role="user", blocks=[ToolCallBlock(tool_name="x")]),
            "only assistant messages can carry tool calls",
        ),
        (ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_name="")]), "tool call 0 has no name"),
    ],
)
def test_unsupported_messages_raise_clear_errors(message, error):
    with pytest.raises(ValueError, match=error):
        to_wire_messages([message])


def test_empty_messages_rejected():
    with pytest.raises(ValueError, match="must not be empty"):
        to_wire_messages([])


# -- tools in ------------------------------------------------------------------------------------------


def test_prepare_chat_with_tools():
    llm = Gloo()
    history = [ChatMessage(role="user", content="earlier")]
    prepared = llm._prepare_chat_with_tools([MAGIC, OTHER], user_msg="What is magic_function(3)?", chat_history=history)
    assert len(history) == 1  # the caller's list is not modified
    assert [m.content for m in prepared["messages"]] == ["earlier", "What is magic_function(3)?"]
    assert [t["function"]["name"] for t in prepared["tools"]] == ["magic_function", "other_function"]
    assert "tool_choice" not in prepared  # the core sends "auto" when tools come without a choice
    assert prepared["parallel_tool_calls"] is False

    parallel = llm._prepare_chat_with_tools([MAGIC], user_msg="x", allow_parallel_tool_calls=True)
    assert "parallel_tool_calls" not in parallel  # never sent as True (llama_index#20865)
    assert llm._prepare_chat_with_tools([MAGIC], user_msg="x", tool_required=True)["tool_choice"] == "required"
    assert (
        llm._prepare_chat_with_tools([MAGIC], user_msg="x", tool_choice="magic_function")["tool_choice"]
        == "magic_function"
    )
    assert (
        llm._prepare_chat_with_tools([MAGIC], user_msg="x", tool_choice="auto", tool_required=True)["tool_choice"]
        == "required"
    )


def test_prepare_chat_with_tools_errors():
    llm = Gloo()
    with pytest.raises(ValueError, match="contradicts"):
        llm._prepare_chat_with_tools([MAGIC], user_msg="x", tool_choice="none", tool_required=True)
    with pytest.raises(ValueError, match="need at least one tool"):
        llm._prepare_chat_with_tools([], user_msg="x", tool_required=True)
    assert "tool_choice" not in llm._prepare_chat_with_tools([], user_msg="x", tool_choice="auto")


@pytest.mark.parametrize(
    "endpoint_llm, choice, expected_choice, expected_tools",
    [
        (lambda: Gloo(), "magic_function", "required", ["magic_function"]),
        (lambda: Gloo(), "any", "required", ["magic_function", "other_function"]),
        (
            lambda: GravixLayer(model=GRAVIX_MODEL),
            "magic_function",
            {"type": "function", "function": {"name": "magic_function"}},
            ["magic_function", "other_function"],
        ),
        (lambda: GravixLayer(model=GRAVIX_MODEL), None, "auto", ["magic_function", "other_function"]),
    ],
)
def test_tool_choice_reaches_the_wire_through_the_core(endpoint_llm, choice, expected_choice, expected_tools):
    llm = endpoint_llm()
    prepared = llm._prepare_chat_with_tools([MAGIC, OTHER], user_msg="x", tool_choice=choice)
    messages = prepared.pop("messages")
    body = llm._request(messages, prepared, stream=False)[0].payload
    assert body["tool_choice"] == expected_choice
    assert [t["function"]["name"] for t in body["tools"]] == expected_tools


def test_unknown_forced_tool_is_a_clear_error():
    llm = Gloo()
    prepared = llm._prepare_chat_with_tools([MAGIC], user_msg="x", tool_choice="nope")
    messages = prepared.pop("messages")
    with pytest.raises(ValueError, match="not among the tools"):
        llm._request(messages, prepared, stream=False)


# -- tool calls out ------------------------------------------------------------------------------------


def _final(*calls, text=""):
    blocks = ([TextBlock(text=text)] if text else []) + [
        ToolCallBlock(tool_call_id=i, tool_name=n, tool_kwargs=a) for i, n, a in calls
    ]
    return ChatResponse(message=ChatMessage(role="assistant", blocks=blocks))


def test_tool_calls_from_final_response():
    response = _final(
        ("c1", "magic_function", {"input": 3}), ("c2", "other_function", '{"text": "hi"}'), ("c3", "noargs", "")
    )
    calls = get_tool_calls(response)
    assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("c1", "magic_function", {"input": 3}),
        ("c2", "other_function", {"text": "hi"}),
        ("c3", "noargs", {}),
    ]


@pytest.mark.parametrize(
    "arguments, problem", [('{"input": 3', "not valid JSON"), ("[1, 2]", "not an object"), ('"3"', "not an object")]
)
def test_bad_final_arguments_raise_instead_of_becoming_empty(arguments, problem):
    with pytest.raises(ValueError, match=problem) as info:
        get_tool_calls(_final(("c1", "magic_function", arguments)), error_on_no_tool_call=False)
    assert "magic_function" in str(info.value) and repr(arguments) in str(info.value)


def test_no_tool_call():
    with pytest.raises(ValueError, match="expected at least one tool call.*Just text"):
        get_tool_calls(_final(text="Just text"))
    assert get_tool_calls(_final(text="Just text"), error_on_no_tool_call=False) == []


def test_legacy_additional_kwargs_tool_calls_are_read():
    message = ChatMessage(
        role="assistant",
        content="",
        additional_kwargs={
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "magic_function", "arguments": '{"input": 4}'}}
            ]
        },
    )
    calls = get_tool_calls(ChatResponse(message=message))
    assert (calls[0].tool_name, calls[0].tool_kwargs) == ("magic_function", {"input": 4})


def test_validate_drops_extra_calls_unless_parallel_allowed():
    llm = Gloo()
    both = [("c1", "magic_function", {"input": 1}), ("c2", "magic_function", {"input": 2})]
    assert (
        len(
            get_tool_calls(
                llm._validate_chat_with_tools_response(_final(*both), [MAGIC], allow_parallel_tool_calls=True)
            )
        )
        == 2
    )
    single = llm._validate_chat_with_tools_response(_final(*both), [MAGIC], allow_parallel_tool_calls=False)
    assert [c.tool_id for c in get_tool_calls(single)] == ["c1"]


# -- stream assembly -------------------------------------------------------------------------------------


def _tool_stream():
    return [
        StreamDelta(role="assistant", reasoning="Think", id="x", model="m"),
        StreamDelta(reasoning="ing."),
        StreamDelta(tool_calls=[ToolCallDelta(index=0, id="c1", name="magic_function")]),
        StreamDelta(tool_calls=[ToolCallDelta(index=0, arguments='{"inp')]),
        StreamDelta(
            tool_calls=[
                ToolCallDelta(index=0, arguments='ut": 3'),
                ToolCallDelta(index=1, id="c2", name="other_function", arguments="{"),
            ]
        ),
        StreamDelta(
            tool_calls=[ToolCallDelta(index=0, arguments="}"), ToolCallDelta(index=1, arguments='"text": "a"}')],
            usage=Usage(prompt_tokens=11, completion_tokens=7, total_tokens=18),
        ),
        StreamDelta(
            finish_reason="tool_calls", routing=Routing(model="m", auto_routing=True, routing_mechanism="auto_routing")
        ),
    ]


def test_stream_assembler_tolerates_partial_arguments_on_every_chunk():
    assembler = StreamAssembler()
    chunks = [assembler.add(delta) for delta in _tool_stream()]
    per_chunk = [get_tool_calls(c, error_on_no_tool_call=False) for c in chunks]  # never raises
    assert per_chunk[0] == [] and per_chunk[2][0].tool_kwargs == {}
    assert per_chunk[3][0].tool_kwargs == {}
    assert [(c.tool_name, c.tool_kwargs) for c in per_chunk[-1]] == [
        ("magic_function", {"input": 3}),
        ("other_function", {"text": "a"}),
    ]
    assert assembler.close() is None

    assert chunks[0].additional_kwargs["thinking_delta"] == "Think"
    last = chunks[-1]
    assert isinstance(last.message.blocks[0], ThinkingBlock) and last.message.blocks[0].content == "Thinking."
    assert [b.tool_kwargs for b in last.message.blocks if isinstance(b, ToolCallBlock)] == [{"input": 3}, {"text": "a"}]
    assert [c["function"]["arguments"] for c in last.message.additional_kwargs["tool_calls"]] == [
        '{"input": 3}',
        '{"text": "a"}',
    ]
    # usage arrived before the finish chunk and is still on the last chunk
    assert last.raw["usage"]["prompt_tokens"] == 11 and last.additional_kwargs["total_tokens"] == 18
    assert last.additional_kwargs["routing"]["routing_mechanism"] == "auto_routing"
    assert last.additional_kwargs["finish_reason"] == "tool_calls"
    assert all("finish_reason" not in c.additional_kwargs for c in chunks[:-1])


def test_stream_assembler_closes_a_stream_without_finish_reason():
    assembler = StreamAssembler()
    chunks = [assembler.add(StreamDelta(content="Hel")), assembler.add(StreamDelta(content="lo"))]
    assert [c.delta for c in chunks] == ["Hel", "lo"] and chunks[-1].message.content == "Hello"
    last = assembler.close()
    assert last.delta == "" and last.message.content == "Hello" and "finish_reason" in last.additional_kwargs


def test_stream_assembler_bad_final_arguments_raise():
    assembler = StreamAssembler()
    assembler.add(
        StreamDelta(tool_calls=[ToolCallDelta(index=0, id="c1", name="magic_function", arguments='{"input": ')])
    )
    last = assembler.add(StreamDelta(finish_reason="length"))
    with pytest.raises(ValueError, match="magic_function"):
        get_tool_calls(last, error_on_no_tool_call=False)


def test_chat_response_from_completion():
    from langchain_gloo_gravix.core import ChatCompletion

    completion = ChatCompletion.model_validate(
        {
            "id": "gen-1",
            "model": "gloo-openai-gpt-5-mini",
            "provider": "OpenAI",
            "routing_mechanism": "auto_routing",
            "auto_routing": True,
            "routing_tier": "tier_2",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "Hi", "reasoning_content": "Greeting."},
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        }
    )
    response = chat_response(completion)
    assert response.message.content == "Hi"
    assert isinstance(response.message.blocks[0], ThinkingBlock)
    assert response.raw["usage"] == {
        "prompt_tokens": 3,
        "completion_tokens": 1,
        "total_tokens": 4,
        "prompt_tokens_details": None,
        "completion_tokens_details": None,
    }
    assert response.additional_kwargs["routing"]["routing_tier"] == "tier_2"
    assert response.additional_kwargs["prompt_tokens"] == 3 and response.additional_kwargs["finish_reason"] == "stop"


def test_stream_from_a_server_that_ignored_stream_true():
    # the core turns a whole JSON completion into one delta; it must read as a final chunk
    from langchain_gloo_gravix.core import ChatCompletion
    from langchain_gloo_gravix.core.stream_state import completion_to_delta

    completion = ChatCompletion.model_validate(
        {
            "id": "c",
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "t1",
                                "type": "function",
                                "function": {"name": "magic_function", "arguments": {"input": 2}},
                            }
                        ],
                    },
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        }
    )
    assembler = StreamAssembler()
    chunk = assembler.add(completion_to_delta(completion))
    assert assembler.close() is None
    assert [(c.tool_name, c.tool_kwargs) for c in get_tool_calls(chunk)] == [("magic_function", {"input": 2})]
    assert chunk.raw["usage"]["total_tokens"] == 7
