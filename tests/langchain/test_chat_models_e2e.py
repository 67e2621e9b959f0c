"""ChatGloo / ChatGravixLayer end to end against the local emulator."""

from __future__ import annotations

import json
import pickle

import pytest
from langchain_core.exceptions import ModelAuthenticationError, ModelInvalidRequestError, ModelRateLimitError
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer
from langchain_gloo_gravix.core import RateLimitError
from langchain_gloo_gravix.emulator import Emulator, Fault

V2 = "/ai/v2/chat/completions"
GRAVIX = "/v1/inference/chat/completions"


def gloo(emu, **kw):
    kw.setdefault("client_id", Emulator.CLIENT_ID)
    kw.setdefault("client_secret", Emulator.CLIENT_SECRET)
    return ChatGloo(base_url=emu.gloo_base_url, **kw)


def gravix(emu, **kw):
    return ChatGravixLayer(
        model="meta-llama/llama-3.1-8b-instruct", base_url=emu.gravix_base_url, api_key=Emulator.GRAVIX_API_KEY, **kw
    )


def aggregate(chunks):
    total = None
    for chunk in chunks:
        total = chunk if total is None else total + chunk
    return total


def chat_bodies(emu, path):
    return [r.json for r in emu.requests if r.path == path]


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is 21 degrees and sunny in {city}."


@tool
def magic_function(input: int) -> int:
    """Apply a magic function to an input."""
    return input + 2


# -- routing metadata ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "mechanism", "sent"),
    [
        ({}, "auto_routing", {"auto_routing": True}),
        ({"model_family": "Open Source"}, "model_family", {"model_family": "open source"}),
        (
            {"model": "gloo-anthropic-claude-sonnet-4.5"},
            "direct_model_selection",
            {"model": "gloo-anthropic-claude-sonnet-4.5"},
        ),
    ],
)
def test_routing_metadata_on_invoke_and_stream(emulator, kwargs, mechanism, sent):
    model = gloo(emulator, tradition="Evangelical", **kwargs)
    message = model.invoke("What does the Bible say about forgiveness?")
    routing = message.response_metadata["routing"]
    assert routing["routing_mechanism"] == mechanism
    assert routing["tradition"] == "evangelical"
    assert message.response_metadata["model_name"] == routing["model"]
    if mechanism == "direct_model_selection":
        assert "routing_tier" not in routing and routing["model"] == kwargs["model"]
    else:
        assert routing["routing_tier"] and 0 <= routing["routing_confidence"] <= 1
    streamed = aggregate(model.stream("What does the Bible say about forgiveness?"))
    assert streamed.response_metadata["routing"] == routing
    assert streamed.response_metadata["model_name"] == routing["model"]
    body = chat_bodies(emulator, V2)[0]
    for key, value in sent.items():
        assert body[key] == value
    assert {"auto_routing", "model", "model_family"} & set(body) == set(sent)
    assert body["tradition"] == "evangelical"


def test_per_call_model_switches_v2_to_model_selection(emulator):
    model = gloo(emulator)  # auto routing
    message = model.invoke("hi", model="gloo-openai-gpt-5-nano", tradition="catholic", stop=["zzz"])
    body = chat_bodies(emulator, V2)[0]
    assert body["model"] == "gloo-openai-gpt-5-nano" and "auto_routing" not in body
    assert body["tradition"] == "catholic" and body["stop"] == ["zzz"]
    assert message.response_metadata["model_name"] == "gloo-openai-gpt-5-nano"


def test_v2_validation_errors_before_any_request(emulator):
    with pytest.raises(ValueError, match="exactly one routing mechanism"):
        gloo(emulator, model="gloo-openai-gpt-5-nano", model_family="openai")
    with pytest.raises(ValueError, match="tradition must be one of"):
        gloo(emulator, tradition="reformed")
    with pytest.raises(ValueError, match="model_family must be a non-empty string"):
        gloo(emulator, model_family=" ")
    with pytest.raises(ValueError, match="temperature"):
        gloo(emulator, temperature=2.5)
    with pytest.raises(ValueError, match="Gloo v2 routing option"):
        gloo(emulator, api_version="v1", tradition="catholic")
    model = gloo(emulator)
    with pytest.raises(ValueError, match="tradition must be one of"):
        model.invoke("hi", tradition="orthodox")
    assert emulator.requests == []


# -- usage, streaming, callbacks ---------------------------------------------------------


@pytest.mark.parametrize("make", [lambda e: gloo(e), lambda e: gloo(e, api_version="v1"), gravix])
def test_usage_on_exactly_one_streamed_chunk(emulator, make):
    model = make(emulator)
    chunks = list(model.stream("Tell me something in a few words"))
    with_usage = [c for c in chunks if c.usage_metadata]
    assert len(with_usage) == 1
    total = aggregate(chunks)
    assert total.usage_metadata["input_tokens"] > 0 and total.usage_metadata["output_tokens"] > 0
    assert (
        total.usage_metadata["total_tokens"]
        == total.usage_metadata["input_tokens"] + total.usage_metadata["output_tokens"]
    )
    invoked = model.invoke("Tell me something in a few words")
    assert invoked.content == total.content
    assert invoked.usage_metadata["output_tokens"] == total.usage_metadata["output_tokens"]


def test_stream_usage_can_be_turned_off(emulator):
    model = gravix(emulator, stream_usage=False)
    assert all(c.usage_metadata is None for c in model.stream("hi"))
    assert "stream_options" not in chat_bodies(emulator, GRAVIX)[0]


def test_streaming_callbacks_receive_each_token(emulator):
    from langchain_core.callbacks import BaseCallbackHandler

    class Collect(BaseCallbackHandler):
        def __init__(self):
            self.tokens = []

        def on_llm_new_token(self, token, **kwargs):
            self.tokens.append((token, kwargs.get("chunk")))

    handler = Collect()
    model = gravix(emulator, streaming=True)
    message = model.invoke("Say hello", config={"callbacks": [handler]})
    text = "".join(t for t, _ in handler.tokens)
    assert text == message.content and len(handler.tokens) > 3
    assert all(chunk is not None for _, chunk in handler.tokens)


async def test_astream_events_and_batch(emulator):
    model = gloo(emulator)
    kinds = set()
    text = ""
    async for event in model.astream_events("Say hello", version="v2"):
        kinds.add(event["event"])
        if event["event"] == "on_chat_model_stream":
            text += event["data"]["chunk"].content
    assert {"on_chat_model_start", "on_chat_model_stream", "on_chat_model_end"} <= kinds
    assert "Hello" in text or "hello" in text
    results = await model.abatch(["one", "two"])
    assert len(results) == 2 and all(isinstance(r, AIMessage) and r.content for r in results)


# -- auth ------------------------------------------------------------------------------------


def test_token_is_minted_once_and_refreshed_after_expiry(emulator):
    before = emulator.tokens_issued
    model = gloo(emulator)
    model.invoke("one")
    model.invoke("two")
    assert emulator.tokens_issued - before == 1
    emulator.expire_tokens()  # the server now answers 401 for the cached token
    assert model.invoke("three").content
    assert emulator.tokens_issued - before == 2
    statuses = [r.path for r in emulator.requests]
    assert statuses.count("/oauth2/token") == 2


def test_bad_credentials_raise_langchain_auth_error(emulator):
    model = gloo(emulator, client_secret="wrong")
    with pytest.raises(ModelAuthenticationError) as info:
        model.invoke("hi")
    assert "wrong" not in str(info.value)


def test_missing_credentials_error_names_what_to_set(emulator, monkeypatch):
    model = ChatGloo(base_url=emulator.gloo_base_url)  # constructing needs no credentials
    with pytest.raises(ModelAuthenticationError, match="GLOO_CLIENT_ID"):
        model.invoke("hi")


# -- errors and retries -----------------------------------------------------------------------


def test_rate_limit_is_retried_then_surfaces_as_both_error_types(emulator, sleeps):
    model = gravix(emulator, max_retries=1)  # its retry sleeps are recorded by the ``sleeps`` fixture
    emulator.inject(Fault.rate_limit(retry_after="2"), path=GRAVIX)
    assert model.invoke("hi").content
    assert sleeps == [2.0]
    emulator.inject(Fault.rate_limit(retry_after="1"), Fault.rate_limit(retry_after="1"), path=GRAVIX)
    with pytest.raises(ModelRateLimitError) as info:
        model.invoke("hi")
    error = info.value
    assert isinstance(error, RateLimitError) and error.is_retryable and error.status_code == 429
    assert pickle.loads(pickle.dumps(error)).status_code == 429


def test_validation_error_from_server_is_not_retried(emulator):
    model = gravix(emulator, max_retries=3)
    emulator.inject(Fault.status(422), path=GRAVIX)
    with pytest.raises(ModelInvalidRequestError):
        model.invoke("hi")
    assert len(chat_bodies(emulator, GRAVIX)) == 1


# -- tools --------------------------------------------------------------------------------------


@pytest.mark.parametrize("quirk", [None, "repeat_id_name", "no_index", "whole_call", "args_object"])
def test_streamed_tool_calls_aggregate_correctly(emulator, quirk):
    model = gloo(emulator).bind_tools([get_weather, magic_function], tool_choice="get_weather")
    if quirk:
        emulator.inject(Fault.tool_quirk(quirk), path=V2)
    total = aggregate(model.stream("What is the weather in Paris?"))
    assert len(total.tool_calls) == 1, total.tool_call_chunks
    call = total.tool_calls[0]
    assert call["name"] == "get_weather" and call["args"] == {"city": "Paris"} and call["id"]
    body = chat_bodies(emulator, V2)[0]
    # Gloo v2 has no named tool_choice: forced by narrowing tools + "required"
    assert body["tool_choice"] == "required"
    assert [t["function"]["name"] for t in body["tools"]] == ["get_weather"]


def test_parallel_calls_sharing_index_zero_stay_separate(emulator):
    model = gravix(emulator).bind_tools([get_weather, magic_function])
    emulator.inject(Fault.tool_quirk("parallel_same_index"), path=GRAVIX)
    total = aggregate(model.stream("What is the weather in Paris and magic_function(3)?"))
    assert sorted(c["name"] for c in total.tool_calls) == ["get_weather", "magic_function"]


@pytest.mark.parametrize(
    "choice",
    ["auto", "any", "required", True, "magic_function", {"type": "function", "function": {"name": "magic_function"}}],
)
def test_tool_choice_forms_on_gravix(emulator, choice):
    model = gravix(emulator).bind_tools([get_weather, magic_function], tool_choice=choice)
    message = model.invoke("What is the value of magic_function(3)? Use the tool.")
    assert message.tool_calls and message.tool_calls[0]["name"] == "magic_function"
    assert message.tool_calls[0]["args"] == {"input": 3}
    sent = chat_bodies(emulator, GRAVIX)[0]["tool_choice"]
    expected = {"auto": "auto", "any": "required", "required": "required", True: "required"}
    if isinstance(choice, str) and choice in expected or choice is True:
        assert sent == expected[choice]
    else:
        assert sent == {"type": "function", "function": {"name": "magic_function"}}


def test_unknown_tool_choice_is_rejected_at_bind_time(emulator):
    with pytest.raises(ValueError, match="not among the tools"):
        gravix(emulator).bind_tools([get_weather], tool_choice="no_such_tool")


def test_tool_round_trip_with_error_status(emulator):
    model = gravix(emulator).bind_tools([magic_function])
    first = model.invoke([HumanMessage("What is magic_function(3)?")])
    call = first.tool_calls[0]
    history = [
        SystemMessage("You are terse."),
        HumanMessage("What is magic_function(3)?"),
        first,
        ToolMessage("boom: tool crashed", tool_call_id=call["id"], status="error"),
    ]
    answer = model.invoke(history)
    assert isinstance(answer.content, str) and answer.content
    sent = chat_bodies(emulator, GRAVIX)[1]["messages"]
    assert sent[2]["tool_calls"][0]["function"] == {"name": "magic_function", "arguments": json.dumps({"input": 3})}
    assert sent[3] == {"role": "tool", "tool_call_id": call["id"], "content": "Error: boom: tool crashed"}


# -- chains, agents, structured output --------------------------------------------------------


def test_lcel_chain(emulator):
    prompt = ChatPromptTemplate.from_messages([("system", "Answer briefly."), ("human", "Question: {question}")])
    chain = prompt | gloo(emulator, tradition="mainline") | StrOutputParser()
    answer = chain.invoke({"question": "What is grace?"})
    assert isinstance(answer, str) and "grace" in answer.lower()


def test_create_agent_tool_loop(emulator):
    from langchain.agents import create_agent

    agent = create_agent(gravix(emulator), tools=[get_weather], system_prompt="Use tools when useful.")
    result = agent.invoke({"messages": [HumanMessage("What is the weather in Paris?")]})
    messages = result["messages"]
    assert any(isinstance(m, ToolMessage) and "Paris" in m.content for m in messages)
    assert isinstance(messages[-1], AIMessage) and not messages[-1].tool_calls
    assert "21 degrees" in messages[-1].content


class Answer(BaseModel):
    city: str
    temperature: int


class Note(BaseModel):
    city: str
    summary: str


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_structured_output_methods(emulator, method):
    model = gloo(emulator).with_structured_output(Answer, method=method)
    prompt = "Report the city Paris with temperature 21."
    result = model.invoke(prompt)
    assert isinstance(result, Answer) and result.city and result.temperature == 21
    sent = chat_bodies(emulator, V2)[0]
    if method == "json_schema":
        assert sent["response_format"]["json_schema"]["schema"]["required"] == ["city", "temperature"]
    else:
        assert sent["tools"][0]["function"]["name"] == "Answer" and sent["tool_choice"] == "required"


def test_structured_output_json_mode(emulator):
    # JSON mode constrains the format, not the schema: the prompt names the keys.
    model = gloo(emulator).with_structured_output(Note, method="json_mode")
    result = model.invoke("Describe Paris. Return JSON with 'city' and 'summary' keys.")
    assert isinstance(result, Note) and result.city and result.summary
    assert chat_bodies(emulator, V2)[0]["response_format"] == {"type": "json_object"}


def test_structured_output_include_raw_reports_parsing_errors(emulator):
    model = gravix(emulator).with_structured_output(Answer, method="json_mode", include_raw=True)
    result = model.invoke("Say hello")  # the reply is JSON without the required fields
    assert isinstance(result["raw"], AIMessage)
    assert result["parsed"] is None and result["parsing_error"] is not None
