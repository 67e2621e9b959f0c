"""Drop-in parity with ChatOpenAI / OpenAILike (issue 11), once for both frameworks.

The OpenAI option fields are declared once (``core.options.OpenAIRequestOptions``) and checked by the
core's request rules, so what is sent, what is refused and what an unknown argument becomes is the same
in LangChain and LlamaIndex. Requests go to a scripted ``httpx.MockTransport``
(``tests/parity_server.py``). Framework conventions (``bind_tools``, ``chat_with_tools``, generations,
per-chunk metadata, callbacks and events) stay in ``tests/langchain`` and ``tests/llama_index``.
"""

from __future__ import annotations

import pytest

from tests.adapters import frameworks
from tests.adapters.frameworks import CHAT_KINDS, DECLARED
from tests.support.parity_server import Script, completion


@pytest.mark.parametrize("kind", CHAT_KINDS)
def test_declared_fields_are_sent_only_when_set(chat, kind):
    script = Script(completion())
    chat.invoke(chat.make(kind, script))
    assert not set(DECLARED) & set(script.body), "unset options must not be sent"
    chat.invoke(chat.make(kind, script, **DECLARED))
    for name, value in DECLARED.items():
        assert script.body[name] == value, name


@pytest.mark.parametrize("kind", CHAT_KINDS)
def test_stop_per_call_and_as_a_setting(chat, kind):
    script = Script(completion())
    chat.invoke(chat.make(kind, script, stop="END"))
    assert script.body["stop"] == "END"
    chat.invoke(chat.make(kind, script), stop=["A", "B"])
    assert script.body["stop"] == ["A", "B"]


@pytest.mark.parametrize("kind", CHAT_KINDS)
def test_unknown_option_goes_to_the_body_with_a_warning(chat, kind):
    script = Script(completion())
    with pytest.warns(UserWarning, match=f"'top_k' is not a declared option.*{chat.extra_field}") as caught:
        model = chat.make(kind, script, top_k=5)
    # points at the first line outside the package and the frameworks: here, the harness's constructor call
    assert caught[0].filename == frameworks.__file__
    assert getattr(model, chat.extra_field) == {"top_k": 5}
    chat.invoke(model)
    assert script.body["top_k"] == 5


@pytest.mark.parametrize(
    ("kind", "typo", "meant"),
    [
        ("gloo-v2", "tradtion", "tradition"),
        ("gloo-v1", "temprature", "temperature"),
        ("gravix", "frequncy_penalty", "frequency_penalty"),
        ("gravix", "max_token", "max_tokens"),
    ],
)
def test_misspelt_option_raises_and_suggests(chat, kind, typo, meant):
    with pytest.raises(ValueError, match=f"unknown option '{typo}': did you mean '{meant}'"):
        chat.make(kind, **{typo: 1})


def test_invalid_values_fail_at_construction(chat):
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        chat.make("gravix", n=0)
    with pytest.raises(ValueError, match="frequency_penalty must be a number from -2 to 2"):
        chat.make("gloo-v2", frequency_penalty=3)
    with pytest.raises(ValueError, match="top_logprobs must be an integer from 0 to 20"):
        chat.make("gloo-v1", top_logprobs=21)


@pytest.mark.parametrize("kind", CHAT_KINDS)
def test_response_headers_when_asked_for(chat, kind):
    script = Script(completion("Hi"))

    def headers(reply: frameworks.Reply) -> dict | None:
        raw = reply.raw
        return (raw.response_metadata if chat.name == "langchain" else raw.additional_kwargs).get("headers")

    assert headers(chat.invoke(chat.make(kind, script))) is None
    configured = headers(chat.invoke(chat.make(kind, script, include_response_headers=True)))
    assert configured["x-request-id"] == "req-1" and configured["x-ratelimit-remaining"] == "99"
    per_call = headers(chat.invoke(chat.make(kind, script), include_response_headers=True))
    assert per_call["x-request-id"] == "req-1"
    assert "include_response_headers" not in script.body


def test_gravixlayer_model_env_is_the_default_model(chat, monkeypatch):
    monkeypatch.setenv("GRAVIXLAYER_MODEL", "qwen-from-env")
    script = Script(completion())
    model = chat.make("gravix", script, model=None)
    assert chat.configured_model(model) == "qwen-from-env"
    assert chat.requested_model_name(model) == "qwen-from-env"
    chat.invoke(model)
    assert script.body["model"] == "qwen-from-env"
    assert chat.configured_model(chat.make("gravix", model="mine")) == "mine"
    # Gloo has no model env var: v2 stays auto-routed
    assert chat.configured_model(chat.make("gloo-v2")) is None


def test_gravix_without_a_model_or_env_still_fails_clearly(chat):
    with pytest.raises(ValueError, match="model is required for gravix"):
        chat.make("gravix", model=None)
