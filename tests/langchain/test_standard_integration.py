"""langchain-tests ChatModelIntegrationTests, replayed from cassettes.

Recorded against the local emulator (``make record``) or the live services
(``make record`` with credentials); CI only replays (a missing interaction fails).
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer
from tests.backend import backend

pytestmark = pytest.mark.vcr


def _gloo(api_version: str, **extra: Any) -> dict[str, Any]:
    b = backend()
    return {
        "api_version": api_version,
        "base_url": b.gloo_base_url,
        **b.gloo_credentials(),
        **extra,
    }


class _Capabilities:
    """Flags as the endpoints document them (provider-apis 3.3, 7.6, 7.7).

    Left False, so langchain-tests skips those tests, on purpose:
    - image inputs / image tool messages: vision depends on the routed or chosen
      model (Gloo auto routing may pick a text-only model; on Gravix only the
      -vl models see images), so it cannot be promised for the class;
    - PDF and audio inputs: no endpoint documents file or audio content parts;
    - Anthropic-format inputs: these are OpenAI-compatible endpoints.
    """

    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def enable_vcr_tests(self) -> bool:
        return True


class TestChatGlooV2Integration(_Capabilities, ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatGloo]:
        return ChatGloo

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return _gloo("v2", auto_routing=True)

    @property
    def model_override_value(self) -> str:
        # per-call model= switches the call from auto routing to model selection
        return "gloo-openai-gpt-5-mini"


class TestChatGlooV1Integration(_Capabilities, ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatGloo]:
        return ChatGloo

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return _gloo("v1")

    @property
    def model_override_value(self) -> str:
        return "meta.llama3-70b-instruct-v1:0"


class TestChatGravixLayerIntegration(_Capabilities, ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatGravixLayer]:
        return ChatGravixLayer

    @property
    def chat_model_params(self) -> dict[str, Any]:
        b = backend()
        return {"model": b.gravix_model, "base_url": b.gravix_base_url, "api_key": b.gravix_api_key}

    @property
    def model_override_value(self) -> str:
        return "llama3.1:8b-instruct-fp16"
