"""``profile`` comes from the core model catalog, and LangChain agents act on it."""

from __future__ import annotations

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import SummarizationMiddleware
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import ConfigurableField
from pydantic import BaseModel

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer
from langchain_gloo_gravix.core import spec_for
from langchain_gloo_gravix.emulator import Emulator


class Verse(BaseModel):
    """A Bible reference."""

    book: str
    chapter: int


def gloo(emulator, **kwargs):
    return ChatGloo(base_url=emulator.base_url, api_key=Emulator.GLOO_API_KEY, **kwargs)


@pytest.mark.parametrize(
    "make,expected",
    [
        (lambda: ChatGloo(api_key="k"), spec_for(auto_routing=True)),
        (lambda: ChatGloo(api_key="k", model_family="Google"), spec_for(model_family="google")),
        (lambda: ChatGloo(api_key="k", model="gloo-openai-gpt-5-mini"), spec_for("gloo-openai-gpt-5-mini")),
        (lambda: ChatGloo(api_key="k", api_version="v1"), spec_for("us.meta.llama3-3-70b-instruct-v1:0")),
        (
            lambda: ChatGravixLayer(api_key="k", model="qwen/qwen-2.5-vl-7b-instruct"),
            spec_for("qwen/qwen-2.5-vl-7b-instruct"),
        ),
        (lambda: ChatGravixLayer(api_key="k", model="never-heard-of-it"), spec_for("never-heard-of-it")),
    ],
)
def test_profile_is_the_catalog_entry(make, expected):
    profile = make().profile
    assert profile["max_input_tokens"] == expected.context_window - expected.max_output_tokens
    assert profile["max_output_tokens"] == expected.max_output_tokens
    assert profile["tool_calling"] is expected.tool_calling
    assert profile["structured_output"] is expected.structured_output
    assert profile["reasoning_output"] is expected.reasoning
    assert profile["image_inputs"] is expected.image_inputs


def test_profile_keys_are_all_declared_by_langchain():
    from typing import get_type_hints

    from langchain_core.language_models.model_profile import ModelProfile

    assert set(ChatGloo(api_key="k").profile) <= set(get_type_hints(ModelProfile))


def test_v1_never_claims_native_structured_output():
    assert ChatGloo(api_key="k", model="gloo-openai-gpt-5-mini").profile["structured_output"] is True
    assert ChatGloo(api_key="k", api_version="v1", model="gloo-openai-gpt-5-mini").profile["structured_output"] is False


def test_explicit_profile_wins():
    assert ChatGloo(api_key="k", profile={"max_input_tokens": 1000}).profile == {"max_input_tokens": 1000}


def test_profile_follows_a_configurable_model_field():
    llm = ChatGloo(api_key="k", model="gloo-openai-gpt-5-mini")
    configured = llm.configurable_fields(model_name=ConfigurableField(id="model"))
    rebuilt, _ = configured._prepare({"configurable": {"model": "gloo-anthropic-claude-haiku-4.5"}})
    assert rebuilt.model_name == "gloo-anthropic-claude-haiku-4.5"
    assert rebuilt.profile["max_input_tokens"] == 200000 - 64000  # re-resolved, not copied from the default
    # a profile the user gave is kept
    mine = ChatGloo(api_key="k", model="gloo-openai-gpt-5-mini", profile={"max_input_tokens": 7})
    rebuilt, _ = mine.configurable_fields(model_name=ConfigurableField(id="model"))._prepare(
        {"configurable": {"model": "gloo-anthropic-claude-haiku-4.5"}}
    )
    assert rebuilt.profile == {"max_input_tokens": 7}


def test_create_agent_uses_native_structured_output_where_the_profile_allows(emulator):
    agent = create_agent(gloo(emulator, model="gloo-openai-gpt-5-mini"), tools=[], response_format=Verse)
    result = agent.invoke({"messages": [HumanMessage("Give me a verse reference: book 'John', chapter 3.")]})
    assert isinstance(result["structured_response"], Verse)
    body = [r.json for r in emulator.requests if r.path == "/ai/v2/chat/completions"][-1]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["book", "chapter"]
    assert not body.get("tools")


def test_create_agent_uses_a_tool_where_the_profile_does_not(emulator):
    # auto routing: the routed model may ignore response_format, so the agent forces a tool call instead
    agent = create_agent(gloo(emulator), tools=[], response_format=Verse)
    result = agent.invoke({"messages": [HumanMessage("Give me a verse reference: book 'John', chapter 3.")]})
    assert isinstance(result["structured_response"], Verse)
    body = [r.json for r in emulator.requests if r.path == "/ai/v2/chat/completions"][0]
    assert "response_format" not in body
    assert [t["function"]["name"] for t in body["tools"]] == ["Verse"]


def test_summarization_middleware_with_a_fraction_trigger(emulator):
    # Llama 3 70B on v1 has an 8,192-token window: half of it is 4,096 tokens
    llm = ChatGloo(
        api_version="v1",
        model="meta.llama3-70b-instruct-v1:0",
        base_url=emulator.base_url,
        api_key=Emulator.GLOO_API_KEY,
    )
    middleware = SummarizationMiddleware(model=llm, trigger=("fraction", 0.5), keep=("messages", 2))
    agent = create_agent(llm, tools=[], middleware=[middleware])
    history = []
    for i in range(12):
        history += [HumanMessage(f"Question {i}: " + "faith hope love " * 150), AIMessage(f"Answer {i}.")]
    result = agent.invoke({"messages": [*history, HumanMessage("And finally?")]})
    chats = [r.json for r in emulator.requests if r.path == "/ai/v1/chat/completions"]
    assert len(chats) == 2  # one summary, then the answer
    assert "faith hope love" in chats[0]["messages"][-1]["content"]  # the summary request carries the old turns
    final = chats[1]["messages"]
    assert len(final) < len(history)  # old turns were replaced by the summary
    assert isinstance(result["messages"][-1], AIMessage)


def test_summarization_middleware_below_the_fraction_does_not_summarise(emulator):
    llm = ChatGloo(
        api_version="v1",
        model="meta.llama3-70b-instruct-v1:0",
        base_url=emulator.base_url,
        api_key=Emulator.GLOO_API_KEY,
    )
    agent = create_agent(llm, tools=[], middleware=[SummarizationMiddleware(model=llm, trigger=("fraction", 0.5))])
    agent.invoke({"messages": [HumanMessage("Hello")]})
    assert len([r for r in emulator.requests if r.path == "/ai/v1/chat/completions"]) == 1
