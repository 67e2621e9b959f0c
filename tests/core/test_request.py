"""Request building: v2 routing, validation messages, tool_choice mapping, body assembly."""

from __future__ import annotations

import pytest

from langchain_gloo_gravix.core import GLOO_V1, GLOO_V2, GRAVIX, build_body, merge_params, normalize_params
from langchain_gloo_gravix.core.endpoints import get_endpoint

MSGS = [{"role": "user", "content": "Hi"}]
ALL = [GLOO_V1, GLOO_V2, GRAVIX]
MIN = {
    GLOO_V1.name: {},
    GLOO_V2.name: {"auto_routing": True},
    GRAVIX.name: {"model": "meta-llama/llama-3.1-8b-instruct"},
}


def tool(name: str) -> dict:
    return {
        "type": "function",
        "function": {"name": name, "description": name, "parameters": {"type": "object", "properties": {}}},
    }


# -- v2 routing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params,kept",
    [
        ({"auto_routing": True}, {"auto_routing": True}),
        ({"model": "gloo-openai-gpt-5-mini"}, {"model": "gloo-openai-gpt-5-mini"}),
        ({"model_family": "anthropic"}, {"model_family": "anthropic"}),
        # auto_routing=False is not a mechanism (Gloo's canary sends it with model)
        ({"auto_routing": False, "model": "gloo-x"}, {"model": "gloo-x"}),
        ({"auto_routing": False, "model_family": "google"}, {"model_family": "google"}),
        ({"auto_routing": None, "model": "gloo-x", "model_family": None}, {"model": "gloo-x"}),
    ],
)
def test_v2_exactly_one_routing_mechanism_accepted(params, kept):
    out = normalize_params(GLOO_V2, params)
    assert {k: out[k] for k in ("auto_routing", "model", "model_family") if k in out} == kept


@pytest.mark.parametrize(
    "params,says",
    [
        ({}, "none was given"),
        ({"auto_routing": False}, "none was given"),
        ({"temperature": 0.5}, "none was given"),
        ({"auto_routing": True, "model": "gloo-x"}, "got auto_routing and model"),
        ({"model": "gloo-x", "model_family": "openai"}, "got model and model_family"),
        ({"auto_routing": True, "model": "m", "model_family": "openai"}, "got auto_routing and model and model_family"),
    ],
)
def test_v2_zero_or_several_mechanisms_rejected(params, says):
    with pytest.raises(ValueError) as info:
        normalize_params(GLOO_V2, params)
    message = str(info.value)
    assert "exactly one routing mechanism" in message
    assert says in message
    assert "auto_routing=True" in message and "model_family" in message


def test_v2_auto_routing_must_be_a_bool():
    with pytest.raises(ValueError, match="auto_routing must be True or False"):
        normalize_params(GLOO_V2, {"auto_routing": "yes"})


@pytest.mark.parametrize(
    "given,sent",
    [
        ("openai", "openai"),
        ("OpenAI", "openai"),
        ("ANTHROPIC", "anthropic"),
        ("Google", "google"),
        ("Open Source", "open source"),
        ("open source", "open source"),
        (" OPEN SOURCE ", "open source"),
    ],
)
def test_model_family_any_case_sent_lower(given, sent):
    assert normalize_params(GLOO_V2, {"model_family": given})["model_family"] == sent


@pytest.mark.parametrize("bad", ["", "   ", 3, ["openai"]])
def test_model_family_must_be_a_non_empty_string(bad):
    with pytest.raises(ValueError) as info:
        normalize_params(GLOO_V2, {"model_family": bad})
    message = str(info.value)
    assert message.startswith("model_family must be a non-empty string")
    for allowed in ("'openai'", "'anthropic'", "'google'", "'open source'"):
        assert allowed in message


@pytest.mark.parametrize("family", ["xAI", "opensource", "Mistral", "open_source"])
def test_undocumented_model_family_is_sent_as_given(family):
    # Gloo's registry adds families before our releases: open, never lower-cased or refused
    assert normalize_params(GLOO_V2, {"model_family": family})["model_family"] == family


@pytest.mark.parametrize(
    "given,sent",
    [
        ("evangelical", "evangelical"),
        ("Catholic", "catholic"),
        ("MAINLINE", "mainline"),
        ("not_faith_specific", "not_faith_specific"),
    ],
)
def test_tradition_any_case_sent_lower(given, sent):
    assert normalize_params(GLOO_V2, {"auto_routing": True, "tradition": given})["tradition"] == sent


@pytest.mark.parametrize("bad", ["protestant", "orthodox", "reformed", "", 1])
def test_unknown_tradition_names_field_and_allowed_values(bad):
    # the server silently ignores unknown traditions, so the client must refuse them
    with pytest.raises(ValueError) as info:
        normalize_params(GLOO_V2, {"auto_routing": True, "tradition": bad})
    message = str(info.value)
    assert message.startswith("tradition must be one of")
    for allowed in ("evangelical", "catholic", "mainline", "not_faith_specific"):
        assert allowed in message
    assert repr(bad) in message


# -- ranges ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint,ok,bad",
    [
        (GLOO_V2, [0, 0.0, 1.0, 1.5, 2, 2.0], [-0.01, 2.01, 3, "1", True]),
        (GLOO_V1, [0, 0.7, 1, 1.0], [1.01, 1.5, 2, -1]),
        (GRAVIX, [0, 1.9, 2], [2.5, -0.1]),
    ],
)
def test_temperature_ranges(endpoint, ok, bad):
    for t in ok:
        assert normalize_params(endpoint, {**MIN[endpoint.name], "temperature": t})["temperature"] == t
    for t in bad:
        with pytest.raises(ValueError) as info:
            normalize_params(endpoint, {**MIN[endpoint.name], "temperature": t})
        message = str(info.value)
        assert "temperature" in message and f"0 to {endpoint.temperature_max:g}" in message


@pytest.mark.parametrize("endpoint", ALL, ids=lambda e: e.name)
def test_max_tokens_at_least_one(endpoint):
    assert normalize_params(endpoint, {**MIN[endpoint.name], "max_tokens": 1})["max_tokens"] == 1
    for bad in (0, -5, 1.5, "100", True):
        with pytest.raises(ValueError, match="max_tokens must be an integer >= 1"):
            normalize_params(endpoint, {**MIN[endpoint.name], "max_tokens": bad})


def test_top_p_and_stop():
    out = normalize_params(GRAVIX, {**MIN["gravix"], "top_p": 0.9, "stop": ("a", "b")})
    assert out["top_p"] == 0.9 and out["stop"] == ["a", "b"]
    assert "stop" not in normalize_params(GRAVIX, {**MIN["gravix"], "stop": []})
    assert normalize_params(GRAVIX, {**MIN["gravix"], "stop": "END"})["stop"] == "END"
    with pytest.raises(ValueError, match="top_p"):
        normalize_params(GRAVIX, {**MIN["gravix"], "top_p": 1.5})
    with pytest.raises(ValueError, match="stop must be"):
        normalize_params(GRAVIX, {**MIN["gravix"], "stop": ["a", 1]})


# -- endpoint-specific fields --------------------------------------------------------------


@pytest.mark.parametrize("endpoint", [GLOO_V1, GRAVIX], ids=lambda e: e.name)
@pytest.mark.parametrize("field,value", [("auto_routing", True), ("model_family", "openai"), ("tradition", "catholic")])
def test_v2_only_fields_rejected_elsewhere(endpoint, field, value):
    with pytest.raises(ValueError) as info:
        normalize_params(endpoint, {**MIN[endpoint.name], field: value})
    assert str(info.value) == f"{field} is a Gloo v2 routing option; {endpoint.name} does not accept it"


@pytest.mark.parametrize("endpoint", [GLOO_V1, GRAVIX], ids=lambda e: e.name)
def test_auto_routing_false_is_dropped_elsewhere(endpoint):
    assert "auto_routing" not in normalize_params(endpoint, {**MIN[endpoint.name], "auto_routing": False})


def test_gravix_needs_a_model():
    with pytest.raises(ValueError, match="model is required for gravix"):
        normalize_params(GRAVIX, {"temperature": 0.1})
    with pytest.raises(ValueError, match="model must be a non-empty string"):
        normalize_params(GRAVIX, {"model": "  "})


def test_v1_default_model():
    assert normalize_params(GLOO_V1, {})["model"] == "us.meta.llama3-3-70b-instruct-v1:0"
    assert (
        normalize_params(GLOO_V1, {"model": "meta.llama3-70b-instruct-v1:0"})["model"]
        == "meta.llama3-70b-instruct-v1:0"
    )


def test_v2_has_no_default_model():
    assert "model" not in normalize_params(GLOO_V2, {"model_family": "google"})


def test_get_endpoint_aliases_and_errors():
    assert get_endpoint("v2") is GLOO_V2 and get_endpoint("gravixlayer") is GRAVIX and get_endpoint(GLOO_V1) is GLOO_V1
    with pytest.raises(ValueError, match="gloo-v1, gloo-v2, gravix"):
        get_endpoint("gloo-v3")


# -- merge_params ---------------------------------------------------------------------------


def test_merge_params_per_call_model_switches_routing():
    merged = merge_params({"auto_routing": True, "tradition": "catholic", "temperature": 0.2}, {"model": "gloo-x"})
    assert merged == {"tradition": "catholic", "temperature": 0.2, "model": "gloo-x"}
    assert normalize_params(GLOO_V2, merged)["model"] == "gloo-x"


def test_merge_params_per_call_family_replaces_configured_model():
    merged = merge_params({"model": "gloo-x"}, {"model_family": "Open Source"})
    assert merged == {"model_family": "Open Source"}


def test_merge_params_false_or_none_does_not_switch():
    assert merge_params({"model": "gloo-x"}, {"auto_routing": False, "model_family": None}) == {
        "model": "gloo-x",
        "auto_routing": False,
    }
    assert merge_params({"model": "gloo-x", "temperature": 0.3}, {"temperature": None}) == {
        "model": "gloo-x",
        "temperature": 0.3,
    }


def test_merge_params_merges_extra_body():
    merged = merge_params({"extra_body": {"a": 1, "b": 1}}, {"extra_body": {"b": 2, "c": 3}, "top_p": 0.5})
    assert merged == {"extra_body": {"a": 1, "b": 2, "c": 3}, "top_p": 0.5}


# -- tool_choice -----------------------------------------------------------------------------

TOOLS = [tool("get_weather"), tool("get_time")]
FORCED = {"type": "function", "function": {"name": "get_time"}}


@pytest.mark.parametrize(
    "choice,v2,other",
    [
        ("auto", ("all", "auto"), ("all", "auto")),
        ("none", ("all", "none"), ("all", "none")),
        ("required", ("all", "required"), ("all", "required")),
        ("any", ("all", "required"), ("all", "required")),
        (True, ("all", "required"), ("all", "required")),
        (None, ("all", "auto"), ("all", "auto")),
        (False, ("all", "auto"), ("all", "auto")),
        ("get_time", ("get_time", "required"), ("all", FORCED)),
        (FORCED, ("get_time", "required"), ("all", FORCED)),
    ],
)
@pytest.mark.parametrize("endpoint", ALL, ids=lambda e: e.name)
def test_tool_choice_mapping(endpoint, choice, v2, other):
    want_tools, want_choice = v2 if endpoint is GLOO_V2 else other
    out = normalize_params(endpoint, {**MIN[endpoint.name], "tools": TOOLS, "tool_choice": choice})
    assert out["tool_choice"] == want_choice
    expected_tools = TOOLS if want_tools == "all" else [t for t in TOOLS if t["function"]["name"] == want_tools]
    assert out["tools"] == expected_tools


@pytest.mark.parametrize("endpoint", ALL, ids=lambda e: e.name)
def test_tools_without_choice_send_auto(endpoint):
    # Gloo v2 defaults tool_choice to "none", so "auto" is always sent explicitly
    body = build_body(endpoint, MSGS, {**MIN[endpoint.name], "tools": TOOLS}, stream=False)
    assert body["tool_choice"] == "auto"
    assert body["tools"] == TOOLS


@pytest.mark.parametrize("endpoint", ALL, ids=lambda e: e.name)
def test_no_tools_no_choice(endpoint):
    body = build_body(endpoint, MSGS, MIN[endpoint.name], stream=False)
    assert "tools" not in body and "tool_choice" not in body


def test_tool_choice_errors():
    with pytest.raises(ValueError, match="not among the tools: get_weather, get_time"):
        normalize_params(GLOO_V1, {"tools": TOOLS, "tool_choice": "nope"})
    with pytest.raises(ValueError, match="needs at least one tool"):
        normalize_params(GLOO_V2, {"auto_routing": True, "tool_choice": "required"})
    with pytest.raises(ValueError, match="needs tools"):
        normalize_params(GLOO_V2, {"auto_routing": True, "tool_choice": "get_time"})
    with pytest.raises(ValueError, match="not supported by gloo-v2"):
        normalize_params(GLOO_V2, {"auto_routing": True, "tools": TOOLS, "tool_choice": {"type": "allowed_tools"}})
    with pytest.raises(ValueError, match="must be a string, a dict or a bool"):
        normalize_params(GRAVIX, {**MIN["gravix"], "tools": TOOLS, "tool_choice": 3})


def test_named_choice_without_tools_on_openai_style_endpoint_passes_through():
    out = normalize_params(GRAVIX, {**MIN["gravix"], "tool_choice": "get_time"})
    assert out["tool_choice"] == FORCED and "tools" not in out


# -- build_body ------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ALL, ids=lambda e: e.name)
def test_stream_body_has_include_usage(endpoint):
    body = build_body(endpoint, MSGS, MIN[endpoint.name], stream=True)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == MSGS


def test_stream_options_given_are_kept_and_include_usage_can_be_off():
    given = build_body(GRAVIX, MSGS, {**MIN["gravix"], "stream_options": {"include_usage": False}}, stream=True)
    assert given["stream_options"] == {"include_usage": False}
    off = build_body(GRAVIX, MSGS, MIN["gravix"], stream=True, include_usage=False)
    assert "stream_options" not in off and off["stream"] is True


def test_non_stream_body_has_no_stream_fields():
    body = build_body(GRAVIX, MSGS, {**MIN["gravix"], "stream_options": {"include_usage": True}}, stream=False)
    assert "stream" not in body and "stream_options" not in body


def test_extra_body_overrides_and_unknown_fields_pass_through():
    body = build_body(
        GLOO_V2,
        MSGS,
        {
            "auto_routing": True,
            "seed": 7,
            "response_format": {"type": "json_object"},
            "parallel_tool_calls": False,
            "extra_body": {"temperature": 9, "prompt_cache_key": "k1"},
            "temperature": 0.5,
        },
        stream=False,
    )
    assert body["seed"] == 7
    assert body["response_format"] == {"type": "json_object"}
    # without tools the body builder leaves parallel_tool_calls out (one rule for both adapters:
    # tests/adapters/test_shared_rules.py); with tools it is sent as given
    assert "parallel_tool_calls" not in body
    with_tools = build_body(
        GLOO_V2, MSGS, {"auto_routing": True, "tools": TOOLS, "parallel_tool_calls": False}, stream=False
    )
    assert with_tools["parallel_tool_calls"] is False
    assert body["prompt_cache_key"] == "k1"
    assert body["temperature"] == 9  # extra_body is applied last, unvalidated
    assert "extra_body" not in body


def test_build_body_does_not_mutate_params():
    params = {"auto_routing": True, "extra_body": {"x": 1}}
    build_body(GLOO_V2, MSGS, params, stream=True)
    assert params == {"auto_routing": True, "extra_body": {"x": 1}}


@pytest.mark.parametrize(
    "messages,match",
    [
        ([], "non-empty list"),
        (None, "non-empty list"),
        ("hello", "non-empty list"),
        ({"role": "user", "content": "x"}, "non-empty list"),
        ([{"content": "no role"}], r"messages\[0\] must be a dict with a 'role' string"),
        ([{"role": "user", "content": "ok"}, "text"], r"messages\[1\]"),
        ([{"role": 1, "content": "x"}], r"messages\[0\]"),
    ],
)
def test_messages_validation(messages, match):
    with pytest.raises(ValueError, match=match):
        build_body(GRAVIX, messages, MIN["gravix"], stream=False)


def test_messages_tuple_becomes_list():
    body = build_body(GRAVIX, tuple(MSGS), MIN["gravix"], stream=False)
    assert body["messages"] == MSGS and isinstance(body["messages"], list)
