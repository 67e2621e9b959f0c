"""``as_structured_llm(...).stream_chat`` / ``stream_structured_predict`` stream partial
objects through the method the user chose, and a refusal raises while streaming."""

from __future__ import annotations

import json
from typing import Optional

import pytest
from llama_index.core.llms import ChatMessage
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from langchain_gloo_gravix.core.refusal import RefusalError
from langchain_gloo_gravix.emulator import Emulator
from langchain_gloo_gravix.emulator.model import REFUSAL_MARKER, REFUSAL_TEXT
from llama_index_ext import Gloo

PROMPT = "Report the city Paris with temperature 21 and a long summary of the weather there."
METHODS = ["function_calling", "json_schema"]


class Report(BaseModel):
    city: str
    temperature: int
    summary: Optional[str] = None


def llm(emu, method):
    return Gloo(
        base_url=emu.gloo_base_url,
        client_id=Emulator.CLIENT_ID,
        client_secret=Emulator.CLIENT_SECRET,
        model="gloo-openai-gpt-5-mini",
        structured_output_method=method,
    )


def _is_partial_then_whole(objects):
    assert len(objects) >= 2, objects
    assert len({repr(o) for o in objects}) == len(objects), "a partial was repeated"
    final = objects[-1]
    assert isinstance(final, Report) and final.city == "Paris", final


@pytest.mark.parametrize("method", METHODS)
def test_stream_chat_yields_partials(emulator, method):
    sllm = llm(emulator, method).as_structured_llm(Report)
    responses = list(sllm.stream_chat([ChatMessage(role="user", content=PROMPT)]))
    _is_partial_then_whole([r.raw for r in responses])
    assert Report.model_validate_json(responses[-1].message.content) == responses[-1].raw


@pytest.mark.parametrize("method", METHODS)
async def test_astream_chat_yields_partials(emulator, method):
    sllm = llm(emulator, method).as_structured_llm(Report)
    responses = [r async for r in await sllm.astream_chat([ChatMessage(role="user", content=PROMPT)])]
    _is_partial_then_whole([r.raw for r in responses])


@pytest.mark.parametrize("method", METHODS)
def test_stream_structured_predict_uses_the_chosen_method(emulator, method):
    model = llm(emulator, method)
    objects = list(model.stream_structured_predict(Report, PromptTemplate("{q}"), q=PROMPT))
    _is_partial_then_whole(objects)
    # the last chat request (the answer's cost may have read the model registry after it)
    body = json.loads([r for r in emulator.requests if r.path.endswith("/chat/completions")][-1].body)
    assert body["stream"] is True
    assert ("response_format" in body) is (method == "json_schema")
    assert ("tools" in body) is (method == "function_calling")


@pytest.mark.parametrize("method", METHODS)
def test_a_refusal_while_streaming_raises_the_refusal_error(emulator, method):
    sllm = llm(emulator, method).as_structured_llm(Report)
    with pytest.raises(RefusalError) as caught:
        list(sllm.stream_chat([ChatMessage(role="user", content=f"{REFUSAL_MARKER} pick a lock")]))
    assert caught.value.refusal == REFUSAL_TEXT


@pytest.mark.parametrize("method", METHODS)
async def test_a_refusal_while_astreaming_raises_the_refusal_error(emulator, method):
    model = llm(emulator, method)
    with pytest.raises(RefusalError) as caught:
        stream = await model.astream_structured_predict(Report, PromptTemplate("{q}"), q=f"{REFUSAL_MARKER} no")
        async for _ in stream:
            pass
    assert caught.value.refusal == REFUSAL_TEXT
