"""Drop-in parity with OpenAILike (issue 11) for llama_index_ext.Gloo (v1, v2) and GravixLayer.

Offline: every request goes to a scripted ``httpx.MockTransport`` (tests/support/parity_server.py),
through the ``http_client`` / ``async_http_client`` fields.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from langchain_gloo_gravix.core.refusal import RefusalError
from llama_index_ext import Gloo, GravixLayer
from llama_index_ext.events import GlooGravixRetryEvent
from tests.support.parity_server import Script, chunk, completion, error, no_retry_sleep, sse

KINDS = ("gloo-v2", "gloo-v1", "gravix")
HI = [ChatMessage(role="user", content="hi")]


def make(kind: str, script: Script | None = None, **kw: Any) -> Any:
    if script is not None:
        kw.update(http_client=script.sync_client(), async_http_client=script.async_client())
    if kind == "gravix":
        kw.setdefault("model", "llama-test")
        return GravixLayer(api_key="k", base_url="http://gravix.test/v1/inference", **kw)
    return Gloo(api_version=kind[-2:], api_key="k", base_url="http://gloo.test", **kw)


def weather(city: str) -> str:
    """Weather in a city."""
    return f"sunny in {city}"


TOOL = FunctionTool.from_defaults(fn=weather)

# -- 1. nothing silently dropped -----------------------------------------------------------


def test_to_dict_round_trip_still_works():
    llm = make("gloo-v2", top_p=0.5, n=2)
    again = Gloo.from_dict(llm.to_dict())
    assert again.top_p == 0.5 and again.n == 2


# -- 3. refusals ------------------------------------------------------------------------------


class Answer(BaseModel):
    answer: str


REFUSAL = completion(
    choices=[
        {
            "index": 0,
            "finish_reason": "content_filter",
            "message": {"role": "assistant", "content": None, "refusal": "I can't help with that."},
        }
    ]
)


@pytest.mark.parametrize(
    ("kind", "method"),
    [
        (kind, method)
        for kind in KINDS
        for method in ("function_calling", "json_schema")
        if not (kind == "gloo-v1" and method == "json_schema")  # refused at construction on v1
    ],
)
def test_refusal_is_a_typed_error_in_structured_predict(kind, method):
    llm = make(kind, Script(REFUSAL), structured_output_method=method)
    with pytest.raises(RefusalError, match="I can't help with that") as caught:
        llm.structured_predict(Answer, PromptTemplate("answer {q}"), q="x")
    assert caught.value.refusal == "I can't help with that."
    assert isinstance(caught.value, ValueError)


# -- 4. retries as instrumentation events -------------------------------------------------


class Collect(BaseEventHandler):
    events: list = []

    @classmethod
    def class_name(cls) -> str:
        return "Collect"

    def handle(self, event: Any, **kwargs: Any) -> None:
        if isinstance(event, GlooGravixRetryEvent):
            self.events.append(event)


@pytest.fixture
def retry_events():
    handler = Collect(events=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    yield handler.events
    root.event_handlers.remove(handler)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("how", ["chat", "achat", "stream_chat", "astream_chat", "complete"])
def test_retries_dispatch_an_event(kind, how, retry_events, monkeypatch):
    slept = no_retry_sleep(monkeypatch)
    if "stream" in how:
        script = Script(
            error(429, {"Retry-After": "0"}), sse(chunk({"role": "assistant", "content": "ok"}), chunk(finish="stop"))
        )
    else:
        script = Script(error(429, {"Retry-After": "0"}), completion("ok"))
    llm = make(kind, script)
    if how == "chat":
        text = llm.chat(HI).message.content
    elif how == "complete":
        text = llm.complete("hi").text
    elif how == "achat":
        text = asyncio.run(llm.achat(HI)).message.content
    elif how == "stream_chat":
        text = [r for r in llm.stream_chat(HI)][-1].message.content
    else:

        async def run():
            return [r async for r in await llm.astream_chat(HI)][-1].message.content

        text = asyncio.run(run())
    assert text == "ok" and slept == [0.0]
    assert len(retry_events) == 1
    event = retry_events[0]
    assert event.status_code == 429 and event.wait_seconds == 0.0 and event.attempt == 1
    assert event.error_type == "RateLimitError"
    if "stream" not in how:  # a stream is read after its chat span closed
        assert event.span_id is not None
    assert event.model_dump()["class_name"] == "GlooGravixRetryEvent"


# -- 7. everything reachable ------------------------------------------------------------------

LOGPROBS = {
    "content": [
        {
            "token": "Hi",
            "logprob": -0.25,
            "top_logprobs": [{"token": "Hi", "logprob": -0.25}, {"token": "Hey", "logprob": -1.5}],
        }
    ]
}


@pytest.mark.parametrize("kind", KINDS)
def test_n_choices_first_in_message_all_in_raw_with_logprobs(kind):
    choices = [
        {
            "index": i,
            "message": {"role": "assistant", "content": f"answer {i}"},
            "finish_reason": "stop",
            "logprobs": LOGPROBS,
        }
        for i in range(2)
    ]
    usage = {
        "prompt_tokens": 9,
        "completion_tokens": 4,
        "total_tokens": 13,
        "prompt_tokens_details": {"cached_tokens": 8},
    }
    response = make(
        kind, Script(completion(choices=choices, usage=usage, service_tier="flex")), n=2, logprobs=True
    ).chat(HI)
    assert response.message.content == "answer 0"
    assert [c["message"]["content"] for c in response.raw["choices"]] == ["answer 0", "answer 1"]
    assert [[(p.token, p.logprob) for p in position] for position in response.logprobs] == [
        [("Hi", -0.25), ("Hey", -1.5)]
    ]
    assert response.additional_kwargs["service_tier"] == "flex"
    assert response.additional_kwargs["cached_tokens"] == 8
    assert response.raw["usage"]["prompt_tokens_details"] == {"cached_tokens": 8}
    completed = make(kind, Script(completion(choices=choices)), logprobs=True).complete("hi")
    assert completed.logprobs[0][0].token == "Hi"


@pytest.mark.parametrize("kind", KINDS)
def test_response_headers_on_every_stream_chunk(kind):
    # the whole-answer half is shared with LangChain: tests/adapters/test_parity_options.py
    script = Script(
        sse(
            chunk({"role": "assistant", "content": "A"}),
            chunk({"content": "B"}),
            chunk(finish="stop"),
            headers={"x-request-id": "req-7"},
        )
    )
    chunks = list(make(kind, script, include_response_headers=True).stream_chat(HI))
    assert all(c.additional_kwargs["headers"]["x-request-id"] == "req-7" for c in chunks)

    async def run():
        return [c async for c in await make(kind, script).astream_chat(HI, include_response_headers=True)]

    assert asyncio.run(run())[-1].additional_kwargs["headers"]["x-request-id"] == "req-7"


@pytest.mark.parametrize("kind", KINDS)
def test_stream_logprobs_per_chunk(kind):
    lp = {"content": [{"token": "A", "logprob": -0.1, "top_logprobs": []}]}
    script = Script(sse(chunk({"role": "assistant", "content": "A"}, logprobs=lp), chunk(finish="stop")))
    chunks = list(make(kind, script, logprobs=True).stream_chat(HI))
    assert chunks[0].logprobs[0][0].token == "A"


# -- 9. tools: strict, parallel_tool_calls ----------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_strict_goes_inside_each_function(kind):
    script = Script(completion("no tool"))
    llm = make(kind, script)
    llm.chat_with_tools([TOOL], user_msg="weather?", strict=True)
    function = script.body["tools"][0]["function"]
    assert function["strict"] is True and function["parameters"]["additionalProperties"] is False
    assert "strict" not in script.body
    llm.chat_with_tools([TOOL], user_msg="weather?")
    assert "strict" not in script.body["tools"][0]["function"]
    make(kind, script, strict=True).chat_with_tools([TOOL], user_msg="weather?")
    assert script.body["tools"][0]["function"]["strict"] is True
    make(kind, script, strict=True).chat_with_tools([TOOL], user_msg="weather?", strict=False)
    assert "strict" not in script.body["tools"][0]["function"]


@pytest.mark.parametrize("kind", KINDS)
def test_parallel_tool_calls_honours_allow_parallel_tool_calls(kind):
    script = Script(completion("no tool"))
    llm = make(kind, script)
    llm.chat_with_tools([TOOL], user_msg="w?")
    assert script.body["parallel_tool_calls"] is False
    llm.chat_with_tools([TOOL], user_msg="w?", allow_parallel_tool_calls=True)
    assert "parallel_tool_calls" not in script.body
    make(kind, script, parallel_tool_calls=True).chat_with_tools([TOOL], user_msg="w?")
    assert script.body["parallel_tool_calls"] is True
    make(kind, script, parallel_tool_calls=True).chat(HI)
    assert "parallel_tool_calls" not in script.body  # never without tools


def test_http_clients_are_used_and_left_open():
    script = Script(completion("Hi"))
    llm = make("gloo-v2", script)
    assert llm.chat(HI).message.content == "Hi"
    assert asyncio.run(llm.achat(HI)).message.content == "Hi"
    assert len(script.bodies) == 2
    llm.close()
    assert not llm.http_client.is_closed
    assert "http_client" not in llm.to_dict() and "async_http_client" not in llm.to_dict()


# -- 10. GRAVIXLAYER_MODEL ----------------------------------------------------------------------
