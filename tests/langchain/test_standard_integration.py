"""langchain-tests ChatModelIntegrationTests, replayed from cassettes.

Recorded against the local emulator (``make record``) or the live services
(``make record`` with credentials); CI only replays (a missing interaction fails).
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer
from tests.support.backend import backend
from tests.support.parity_server import Script, chunk, completion, sse

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
    """Flags as the endpoints document them (docs/providers.md#tools, docs/providers.md#gravix-models).

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


class _UsageDetails:
    """Cache-read and reasoning token details, declared for invoke and stream.

    The emulator and the recorded services do not report them, so the messages
    these tests check come from a scripted ``httpx.MockTransport`` answer in the
    OpenAI shape (``prompt_tokens_details.cached_tokens``,
    ``completion_tokens_details.reasoning_tokens``) through the class under test.
    """

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[str]]:
        details = ["cache_read_input", "reasoning_output"]
        return {"invoke": list(details), "stream": list(details)}

    def _scripted(self, *, stream: bool) -> Any:
        usage = {
            "prompt_tokens": 120,
            "completion_tokens": 30,
            "total_tokens": 150,
            "prompt_tokens_details": {"cached_tokens": 100},
            "completion_tokens_details": {"reasoning_tokens": 20},
        }
        if stream:
            answer: Any = sse(chunk({"role": "assistant", "content": "Hi"}), chunk(finish="stop"), chunk(usage=usage))
        else:
            answer = completion("Hi", usage=usage)
        script = Script(answer)
        base_url = "http://scripted.test" + ("/v1/inference" if self.chat_model_class is ChatGravixLayer else "")  # type: ignore[attr-defined]
        params = {k: v for k, v in self.chat_model_params.items() if k not in ("client_id", "client_secret")}  # type: ignore[attr-defined]
        params.update(base_url=base_url, api_key="scripted-key", http_client=script.sync_client())
        model = self.chat_model_class(**params)  # type: ignore[attr-defined]
        if stream:
            total = None
            for piece in model.stream("hi"):
                total = piece if total is None else total + piece
            return total
        return model.invoke("hi")

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        return self._scripted(stream=stream)

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        return self._scripted(stream=stream)


class TestChatGlooV2Integration(_UsageDetails, _Capabilities, ChatModelIntegrationTests):
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


class TestChatGlooV1Integration(_UsageDetails, _Capabilities, ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatGloo]:
        return ChatGloo

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return _gloo("v1")

    @property
    def model_override_value(self) -> str:
        return "meta.llama3-70b-instruct-v1:0"

    @property
    def supports_json_mode(self) -> bool:
        # response_format is not documented on Gloo v1, so JSON mode is refused there
        # (tests/adapters/test_parity_options.py pins the refusal)
        return False


class TestChatGravixLayerIntegration(_UsageDetails, _Capabilities, ChatModelIntegrationTests):
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
