"""The five places where LangChain and LlamaIndex used to disagree, each now one behaviour, held equal.

Each rule lives once in the core, and each test here runs over both frameworks (chat, and embeddings
where the path exists):

(a) a copy that picks another routing mechanism works (v2 default routing is implied per call, never
    written into a field): ``core.endpoints.Endpoint.with_default_routing``;
(b) one reported model name: the model that served the answer, else the requested model's one display
    name (``Endpoint.display_model``), which is also the name reported before the call;
(c) structured output through ``response_format`` on Gloo v1, which does not document it: refused when
    asked for, pointing at tool calling, and never sent (``Endpoint.supports_response_format``);
(d) ``parallel_tool_calls``: sent with tools, and on the grounded route (which documents it) also
    without; left out otherwise (``core.request.build_body``);
(e) an error envelope delivered with HTTP 200 is classified by its content, for chat and embeddings
    alike (``core.errors.error_from_envelope``).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from langchain_gloo_gravix.core import GLOO_V1, GLOO_V2, GRAVIX
from langchain_gloo_gravix.core.errors import BadRequestError, ServerError
from tests.adapters.frameworks import GRAVIX_MODEL
from tests.support.parity_server import Script, chunk, completion, sse

# -- (a) a copy with another routing mechanism ---------------------------------------------------


@pytest.mark.parametrize(
    "update, sent",
    [
        ({"model_family": "openai"}, {"model_family": "openai"}),
        ({"model": "gloo-openai-gpt-5-mini"}, {"model": "gloo-openai-gpt-5-mini"}),
        ({"auto_routing": True}, {"auto_routing": True}),
    ],
)
def test_a_copy_with_another_routing_mechanism_works(chat, update, sent):
    script = Script(completion())
    original = chat.make("gloo-v2", script)
    chat.invoke(chat.copy(original, **update))
    routing = {k: script.body[k] for k in ("auto_routing", "model", "model_family") if k in script.body}
    assert routing == sent  # exactly one mechanism: the copy's
    chat.invoke(original)  # the original still routes automatically
    assert script.body["auto_routing"] is True and "model_family" not in script.body and "model" not in script.body


def test_default_routing_is_not_written_into_the_field(chat):
    model = chat.make("gloo-v2")
    assert model.auto_routing is None


def test_an_explicit_auto_routing_false_with_no_mechanism_is_refused(chat):
    with pytest.raises(ValueError, match="exactly one routing mechanism"):
        chat.make("gloo-v2", auto_routing=False)


# -- (b) one reported model name ----------------------------------------------------------------


def _without_model(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "model"}


@pytest.mark.parametrize(
    "kind, settings, requested",
    [
        ("gloo-v2", {}, "gloo-auto-routing"),
        ("gloo-v2", {"model_family": "OpenAI"}, "gloo-family:openai"),
        ("gloo-v2", {"model": "gloo-openai-gpt-5-mini"}, "gloo-openai-gpt-5-mini"),
        ("gloo-v1", {}, GLOO_V1.default_model),
        ("gravix", {}, GRAVIX_MODEL),
    ],
)
def test_the_requested_model_name_is_the_endpoints_display_name(chat, kind, settings, requested):
    model = chat.make(kind, **settings)
    assert chat.requested_model_name(model) == requested


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_an_auto_routed_answer_reports_the_model_that_served_it(chat, mode):
    served = "gloo-anthropic-claude-sonnet-4.5"
    if mode == "invoke":
        script = Script(completion(model=served, routing_mechanism="auto_routing"))
    else:
        script = Script(sse(chunk({"content": "Hi"}, model=served), chunk(finish="stop", model=served)))
    model = chat.make("gloo-v2", script)
    call, acall = (chat.invoke, chat.ainvoke) if mode == "invoke" else (chat.stream, chat.astream)
    assert call(model).model == served
    assert (await acall(model)).model == served


@pytest.mark.parametrize("mode", ["invoke", "stream"])
async def test_an_answer_that_does_not_say_reports_the_requested_display_name(chat, mode):
    if mode == "invoke":
        script = Script(_without_model(completion()))
    else:
        script = Script(sse(_without_model(chunk({"content": "Hi"})), _without_model(chunk(finish="stop"))))
    model = chat.make("gloo-v2", script, model_family="google")
    call, acall = (chat.invoke, chat.ainvoke) if mode == "invoke" else (chat.stream, chat.astream)
    assert call(model).model == "gloo-family:google"
    assert (await acall(model)).model == "gloo-family:google"
    # a per-call model is the one requested for that call
    assert call(model, model="gloo-openai-gpt-5-mini").model == "gloo-openai-gpt-5-mini"


def test_display_model_is_one_format():
    assert GLOO_V2.display_model({}) == "gloo-auto-routing"
    assert GLOO_V2.display_model({"auto_routing": True}) == "gloo-auto-routing"
    assert GLOO_V2.display_model({"model_family": " Open Source "}) == "gloo-family:open source"
    assert GLOO_V2.display_model({"model": "m"}) == "m"
    assert GLOO_V1.display_model({}) == GLOO_V1.default_model
    assert GRAVIX.display_model({}) == "gravix"  # no default model: the endpoint's name, never "unknown"


# -- (c) response_format where it is not documented ----------------------------------------------


class Answer(BaseModel):
    answer: str


def test_json_schema_on_gloo_v1_is_refused_with_a_pointer_and_nothing_is_sent(chat):
    script = Script(completion('{"answer": "42"}'))
    with pytest.raises(ValueError, match=r"not supported by gloo-v1.*function_calling"):
        chat.structured("gloo-v1", script, Answer, "json_schema")
    assert script.bodies == []


def test_response_format_given_as_a_raw_option_on_gloo_v1_is_refused_at_construction(chat):
    extra = "model_kwargs" if chat.name == "langchain" else "additional_kwargs"
    with pytest.raises(ValueError, match="not supported by gloo-v1"):
        chat.make("gloo-v1", **{extra: {"response_format": {"type": "json_object"}}})


@pytest.mark.parametrize("kind", ["gloo-v2", "gravix"])
def test_json_schema_is_sent_where_documented(chat, kind):
    script = Script(completion('{"answer": "42"}'))
    assert chat.structured(kind, script, Answer, "json_schema")("x") == Answer(answer="42")
    assert script.body["response_format"]["type"] == "json_schema"
    # each framework renders the schema its own way (LangChain drops titles): the field is there, typed
    assert script.body["response_format"]["json_schema"]["schema"]["properties"]["answer"]["type"] == "string"


@pytest.mark.parametrize("kind", ["gloo-v1", "gloo-v2", "gravix"])
def test_tool_calling_structured_output_works_everywhere(chat, kind):
    call = {"id": "c1", "type": "function", "function": {"name": "Answer", "arguments": '{"answer": "42"}'}}
    script = Script(
        completion(
            choices=[
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                    "finish_reason": "tool_calls",
                }
            ]
        )
    )
    assert chat.structured(kind, script, Answer, "function_calling")("x") == Answer(answer="42")
    assert "response_format" not in script.body and script.body["tools"][0]["function"]["name"] == "Answer"


# -- (d) parallel_tool_calls ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["gloo-v2", "gravix"])
def test_parallel_tool_calls_is_left_out_without_tools(chat, kind):
    script = Script(completion())
    chat.invoke(chat.make(kind, script, parallel_tool_calls=False))
    assert "parallel_tool_calls" not in script.body


@pytest.mark.parametrize("kind", ["gloo-v2", "gravix", "grounded"])
def test_parallel_tool_calls_is_sent_with_tools(chat, kind):
    script = Script(completion())
    chat.with_tool(chat.make(kind, script, parallel_tool_calls=False))
    assert script.body["parallel_tool_calls"] is False and script.body["tools"]


def test_parallel_tool_calls_is_sent_on_the_grounded_route_without_tools(chat):
    # the grounded route documents it as a field of its own (docs/providers.md#grounded)
    script = Script(completion())
    chat.invoke(chat.make("grounded", script, parallel_tool_calls=False))
    assert script.body["parallel_tool_calls"] is False and "tools" not in script.body


# -- (e) an error envelope delivered with HTTP 200 -----------------------------------------------

BAD_REQUEST_ENVELOPE = {"error": {"type": "invalid_request_error", "message": "input is not valid"}}
UNKNOWN_ENVELOPE = {"error": {"message": "upstream exploded"}}


def _ok(body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json=body)


async def test_chat_200_with_an_invalid_request_envelope_is_a_bad_request_not_retried(chat, slept):
    script = Script(_ok(BAD_REQUEST_ENVELOPE))
    model = chat.make("gravix", script, max_retries=2)
    with pytest.raises(BadRequestError, match="input is not valid") as caught:
        chat.invoke(model)
    with pytest.raises(BadRequestError):
        await chat.ainvoke(model)
    assert caught.value.status_code == 400 and caught.value.retryable is False
    assert len(script.bodies) == 2 and slept == []  # one request per call


async def test_embeddings_200_with_an_invalid_request_envelope_is_a_bad_request_not_retried(embeddings, slept):
    script = Script(_ok(BAD_REQUEST_ENVELOPE))
    model = embeddings.make(script, max_retries=2)
    with pytest.raises(BadRequestError, match="input is not valid") as caught:
        embeddings.embed(model, ["a"])
    with pytest.raises(BadRequestError):
        await embeddings.aembed(model, ["a"])
    assert caught.value.status_code == 400 and caught.value.retryable is False
    assert len(script.bodies) == 2 and slept == []


async def test_chat_200_with_an_unknown_envelope_is_a_retried_server_error(chat, slept):
    script = Script(_ok(UNKNOWN_ENVELOPE))
    with pytest.raises(ServerError, match="upstream exploded") as caught:
        chat.invoke(chat.make("gravix", script, max_retries=1))
    assert caught.value.status_code == 502 and caught.value.retryable is True
    assert len(script.bodies) == 2 and len(slept) == 1


async def test_embeddings_200_with_an_unknown_envelope_is_a_retried_server_error(embeddings, slept):
    script = Script(_ok(UNKNOWN_ENVELOPE))
    with pytest.raises(ServerError, match="upstream exploded") as caught:
        embeddings.embed(embeddings.make(script, max_retries=1), ["a"])
    assert caught.value.status_code == 502 and caught.value.retryable is True
    assert len(script.bodies) == 2 and len(slept) == 1
