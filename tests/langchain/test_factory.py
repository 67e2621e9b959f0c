"""``langchain_gloo_gravix.init_chat_model``: string ids for config-driven apps."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.runnables import ConfigurableField
from langchain_core.tools import tool

import langchain_gloo_gravix
from langchain_gloo_gravix import ChatGloo, ChatGravixLayer, init_chat_model
from langchain_gloo_gravix.core.errors import ConfigurationError, GlooGravixError
from langchain_gloo_gravix.emulator import Emulator

GRAVIX_MODEL = "meta-llama/llama-3.1-8b-instruct"


def gloo_creds(emu):
    return {"base_url": emu.gloo_base_url, "client_id": Emulator.CLIENT_ID, "client_secret": Emulator.CLIENT_SECRET}


def gravix_creds(emu):
    return {"base_url": emu.gravix_base_url, "api_key": Emulator.GRAVIX_API_KEY}


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is 21 degrees and sunny in {city}."


@pytest.mark.parametrize(
    "model_id, cls, fields",
    [
        ("gloo:auto", ChatGloo, {"api_version": "v2", "auto_routing": True, "model_family": None}),
        ("gloo:AUTO", ChatGloo, {"api_version": "v2", "auto_routing": True}),
        ("gloo:family/anthropic", ChatGloo, {"api_version": "v2", "model_family": "anthropic"}),
        ("gloo:family/open source", ChatGloo, {"model_family": "open source"}),
        ("gloo:gloo-openai-gpt-5-mini", ChatGloo, {"api_version": "v2", "model_name": "gloo-openai-gpt-5-mini"}),
        ("gloo-v2:gloo-openai-gpt-5-mini", ChatGloo, {"api_version": "v2", "model_name": "gloo-openai-gpt-5-mini"}),
        (
            "gloo-v1:us.meta.llama3-3-70b-instruct-v1:0",
            ChatGloo,
            {"api_version": "v1", "model_name": "us.meta.llama3-3-70b-instruct-v1:0"},
        ),
        ("gravixlayer:" + GRAVIX_MODEL, ChatGravixLayer, {"model_name": GRAVIX_MODEL}),
        ("Gravix:" + GRAVIX_MODEL, ChatGravixLayer, {"model_name": GRAVIX_MODEL}),
    ],
)
def test_ids_build_the_configured_class(model_id, cls, fields):
    model = init_chat_model(model_id, api_key="k", temperature=0.2)
    assert type(model) is cls
    for name, value in fields.items():
        assert getattr(model, name) == value, name
    assert model.temperature == 0.2


def test_model_provider_keyword_as_in_langchain():
    model = init_chat_model(GRAVIX_MODEL, model_provider="gravixlayer", api_key="k")
    assert type(model) is ChatGravixLayer and model.model_name == GRAVIX_MODEL
    # a colon inside the model is kept whole when the provider is given apart
    v1 = init_chat_model("us.meta.llama3-3-70b-instruct-v1:0", model_provider="gloo-v1", api_key="k")
    assert v1.model_name == "us.meta.llama3-3-70b-instruct-v1:0" and v1.api_version == "v1"


@pytest.mark.parametrize(
    "model_id, kwargs, words",
    [
        ("gloo-openai-gpt-5-mini", {}, ["names no provider", "gloo:auto"]),
        ("gloo:", {}, ["no model"]),
        ("gloo:family/", {}, ["names no family"]),
        ("gloo:gloo-openai-gpt-5-mini", {"model_name": "other"}, ["model_name", "contradict"]),
        ("gravixlayer:" + GRAVIX_MODEL, {"model_name": "other"}, ["model_name", "contradict"]),
        ("gloo:auto", {"auto_routing": False}, ["auto_routing", "contradict"]),
        ("gloo:family/google", {"model_family": "openai"}, ["model_family", "contradict"]),
        ("gloo-v1:x", {"api_version": "v2"}, ["api_version", "contradict"]),
    ],
)
def test_bad_ids_are_typed_errors_that_say_what_to_write(model_id, kwargs, words):
    with pytest.raises(ConfigurationError) as info:
        init_chat_model(model_id, api_key="k", **kwargs)
    assert isinstance(info.value, GlooGravixError) and isinstance(info.value, ValueError)
    for word in words:
        assert word in str(info.value)


def test_a_matching_api_version_is_not_a_contradiction():
    assert init_chat_model("gloo-v1:x", api_key="k", api_version="v1").api_version == "v1"


def test_non_string_model_is_refused():
    with pytest.raises(ConfigurationError, match="string id"):
        init_chat_model(ChatGloo(api_key="k"))  # type: ignore[arg-type]


def test_other_providers_go_to_langchains_factory(monkeypatch):
    import langchain.chat_models as lc_models

    seen = {}

    def fake(model, *, model_provider=None, **kwargs):
        seen.update(model=model, model_provider=model_provider, kwargs=kwargs)
        return "built by langchain"

    monkeypatch.setattr(lc_models, "init_chat_model", fake)
    assert init_chat_model("anthropic:claude-x", temperature=0) == "built by langchain"
    assert seen == {"model": "anthropic:claude-x", "model_provider": None, "kwargs": {"temperature": 0}}


def test_an_unknown_provider_gets_langchains_own_error():
    # langchain's closed provider table answers; our message is not in the way
    with pytest.raises(ValueError, match="(?i)unsupported|not supported|provider"):
        init_chat_model("no-such-provider:some-model")


def test_the_construction_checks_still_apply():
    # a bad value reaches the class's own validation, not a factory-specific path
    with pytest.raises(Exception) as info:
        init_chat_model("gloo:auto", api_key="k", temperature=5)
    assert "temperature" in str(info.value)


def test_exported_at_the_package_top():
    assert langchain_gloo_gravix.init_chat_model is init_chat_model
    assert "init_chat_model" in langchain_gloo_gravix.__all__


def test_create_agent_with_a_factory_model(emulator):
    from langchain.agents import create_agent

    model = init_chat_model("gravixlayer:" + GRAVIX_MODEL, **gravix_creds(emulator))
    agent = create_agent(model, tools=[get_weather], system_prompt="Use tools when useful.")
    messages = agent.invoke({"messages": [HumanMessage("What is the weather in Paris?")]})["messages"]
    assert any(isinstance(m, ToolMessage) and "Paris" in m.content for m in messages)
    assert isinstance(messages[-1], AIMessage) and "21 degrees" in messages[-1].content


def test_gloo_ids_answer_through_the_emulator(emulator):
    auto = init_chat_model("gloo:auto", **gloo_creds(emulator)).invoke("hi")
    family = init_chat_model("gloo:family/anthropic", **gloo_creds(emulator)).invoke("hi")
    assert auto.content and family.content
    assert "anthropic" in family.response_metadata["model_name"].lower()


def test_configurable_alternatives_switch_between_factory_models(emulator):
    default = init_chat_model("gravixlayer:" + GRAVIX_MODEL, **gravix_creds(emulator))
    model = default.configurable_alternatives(
        ConfigurableField(id="llm"),
        default_key="gravix",
        gloo=init_chat_model("gloo:family/anthropic", **gloo_creds(emulator)),
    )
    served = model.with_config(configurable={"llm": "gloo"}).invoke("hi").response_metadata["model_name"]
    assert "anthropic" in served.lower()
    assert model.invoke("hi").response_metadata["model_name"] == GRAVIX_MODEL
