"""``with_structured_output(...).stream()`` streams partial objects, as ChatOpenAI's does.

Against the emulator, whose Gloo v2 route streams tool-call arguments in fragments and
text two words at a time (so a partial object can be seen growing).
"""

from __future__ import annotations

import asyncio
from typing import Optional

import pytest
from langchain_core.runnables import RunnableLambda
from pydantic import BaseModel

from langchain_gloo_gravix import ChatGloo
from langchain_gloo_gravix._lc_structured import RawStreamPiece, StructuredOutputRefusalError
from langchain_gloo_gravix.emulator import Emulator
from langchain_gloo_gravix.emulator.model import REFUSAL_MARKER, REFUSAL_TEXT

PROMPT = "Report the city Paris with temperature 21 and a long summary of the weather there. Answer in JSON."


class Report(BaseModel):
    city: Optional[str] = None
    temperature: Optional[int] = None
    summary: Optional[str] = None


REPORT_SCHEMA = {
    "title": "report",
    "description": "A weather report",
    "type": "object",
    "properties": {"city": {"type": "string"}, "temperature": {"type": "integer"}, "summary": {"type": "string"}},
    "required": ["city", "temperature", "summary"],
}

CASES = [
    ("function_calling", Report),
    ("function_calling", REPORT_SCHEMA),
    ("json_schema", Report),
    ("json_schema", REPORT_SCHEMA),
    ("json_mode", None),
]


def model(emu):
    return ChatGloo(
        base_url=emu.gloo_base_url,
        client_id=Emulator.CLIENT_ID,
        client_secret=Emulator.CLIENT_SECRET,
        model="gloo-openai-gpt-5-mini",
    )


def _growing(parts):
    """More than one object, each different from the one before (partials, not one final)."""
    assert len(parts) >= 2, parts
    assert len({repr(p) for p in parts}) == len(parts), "a partial was repeated"


@pytest.mark.parametrize("method, schema", CASES)
def test_stream_yields_partials_then_the_invoke_result(emulator, method, schema):
    structured = model(emulator).with_structured_output(schema, method=method)
    parts = list(structured.stream(PROMPT))
    _growing(parts)
    assert parts[-1] == structured.invoke(PROMPT)


@pytest.mark.parametrize("method, schema", CASES)
async def test_astream_yields_partials_then_the_invoke_result(emulator, method, schema):
    structured = model(emulator).with_structured_output(schema, method=method)
    parts = [p async for p in structured.astream(PROMPT)]
    _growing(parts)
    assert parts[-1] == await structured.ainvoke(PROMPT)


@pytest.mark.parametrize("method, schema", CASES)
def test_include_raw_streams_raw_pieces_and_partials_that_add_up_to_invoke(emulator, method, schema):
    structured = model(emulator).with_structured_output(schema, method=method, include_raw=True)
    parts = list(structured.stream(PROMPT))
    assert all(isinstance(p, RawStreamPiece) for p in parts)
    assert sum("raw" in p for p in parts) >= 3
    assert sum("parsed" in p and p["parsed"] is not None for p in parts) >= 2
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    whole = structured.invoke(PROMPT)
    assert total["parsed"] == whole["parsed"] and total["parsing_error"] is None is whole["parsing_error"]
    assert total["raw"].content == whole["raw"].content
    assert [c["args"] for c in total["raw"].tool_calls] == [c["args"] for c in whole["raw"].tool_calls]


async def test_include_raw_astream_adds_up_to_ainvoke(emulator):
    structured = model(emulator).with_structured_output(Report, include_raw=True)
    parts = [p async for p in structured.astream(PROMPT)]
    assert sum("parsed" in p for p in parts) >= 2
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    assert total["parsed"] == (await structured.ainvoke(PROMPT))["parsed"]


def test_a_following_step_that_does_not_stream_sees_the_whole_answer(emulator):
    # LangChain adds the stream up for a step without its own transform; the pieces must add
    # up to the invoke result (a partial object must not be "added" to the next one).
    structured = model(emulator).with_structured_output(Report, include_raw=True)
    chain = structured | RunnableLambda(lambda out: (out["parsed"], out["raw"].tool_calls[0]["args"]))
    streamed = list(chain.stream(PROMPT))
    assert streamed == [chain.invoke(PROMPT)]


@pytest.mark.parametrize("method, schema", CASES)
def test_a_refusal_while_streaming_is_the_typed_refusal_error(emulator, method, schema):
    structured = model(emulator).with_structured_output(schema, method=method)
    with pytest.raises(StructuredOutputRefusalError) as caught:
        list(structured.stream(f"{REFUSAL_MARKER} how do I pick a lock?"))
    assert caught.value.refusal == REFUSAL_TEXT


@pytest.mark.parametrize("method, schema", CASES)
async def test_a_refusal_while_astreaming_is_the_typed_refusal_error(emulator, method, schema):
    structured = model(emulator).with_structured_output(schema, method=method)
    with pytest.raises(StructuredOutputRefusalError) as caught:
        async for _ in structured.astream(f"{REFUSAL_MARKER} how do I pick a lock?"):
            pass
    assert caught.value.refusal == REFUSAL_TEXT


def test_a_streamed_refusal_with_include_raw_is_the_parsing_error(emulator):
    structured = model(emulator).with_structured_output(Report, include_raw=True)
    parts = list(structured.stream(f"{REFUSAL_MARKER} how do I pick a lock?"))
    last = parts[-1]
    assert last["parsed"] is None and isinstance(last["parsing_error"], StructuredOutputRefusalError)
    assert not any(p.get("parsed") for p in parts)
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    assert total["raw"].additional_kwargs["refusal"] == REFUSAL_TEXT


def test_streaming_runs_alongside_other_streams(emulator):
    # each stream keeps its own gate and partial state
    structured = model(emulator).with_structured_output(Report)

    async def both():
        async def collect(prompt):
            return [p async for p in structured.astream(prompt)]

        return await asyncio.gather(collect(PROMPT), collect(f"{REFUSAL_MARKER} no"), return_exceptions=True)

    ok, refused = asyncio.run(both())
    assert isinstance(ok, list) and ok[-1].city == "Paris"
    assert isinstance(refused, StructuredOutputRefusalError)
