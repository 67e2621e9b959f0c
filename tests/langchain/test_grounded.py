"""ChatGloo(grounded=True): Gloo grounded completions in LangChain, against the emulator
(and a scripted transport where the server must send something the emulator does not)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain_core.exceptions import ModelRateLimitError
from langchain_core.messages import AIMessage

from langchain_gloo_gravix import ChatGloo
from langchain_gloo_gravix.core import MalformedResponseError, RateLimitError, ServerError, StreamError
from langchain_gloo_gravix.emulator import Emulator, Fault

GROUNDED = "/ai/v2/chat/completions/grounded"
V2 = "/ai/v2/chat/completions"
QUESTION = "What does the Bible say about forgiveness?"
NOTHING = "Say hello to Ada Lovelace"


def gloo(emu: Emulator, **kw: Any) -> ChatGloo:
    kw.setdefault("client_id", Emulator.CLIENT_ID)
    kw.setdefault("client_secret", Emulator.CLIENT_SECRET)
    return ChatGloo(base_url=emu.gloo_base_url, grounded=True, **kw)


def aggregate(chunks):
    total = None
    for chunk in chunks:
        total = chunk if total is None else total + chunk
    return total


async def aaggregate(chunks):
    total = None
    async for chunk in chunks:
        total = chunk if total is None else total + chunk
    return total


def bodies(emu: Emulator, path: str = GROUNDED) -> list[dict]:
    return [r.json for r in emu.requests if r.path == path]


def _check(message: AIMessage, *, cited: bool = True) -> dict:
    grounding = message.response_metadata["grounding"]
    assert grounding["sources_returned"] is True
    assert "forgive" in message.text.lower()
    if cited:
        assert grounding["citations"] and all(c["publisher"] == "GlooGrounded" for c in grounding["citations"])
    else:
        assert grounding["citations"] == []
    assert message.response_metadata["routing"]["routing_mechanism"] == "auto_routing"
    return grounding


# -- construction: clear errors, no request ---------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rag_publisher": "Acme"}, "rag_publisher is a grounded-completion option: pass grounded=True"),
        ({"sources_limit": 3}, "sources_limit is a grounded-completion option"),
        ({"include_citations": True}, "include_citations is a grounded-completion option"),
        ({"grounded": True, "api_version": "v1"}, "grounded=True needs api_version='v2'"),
        ({"grounded": True, "sources_limit": 0}, "sources_limit must be an integer from 1 to 10"),
        ({"grounded": True, "sources_limit": 11}, "sources_limit must be an integer from 1 to 10"),
        ({"grounded": True, "rag_publisher": ""}, "rag_publisher must be a non-empty string"),
        ({"grounded": True, "tradition": "reformed"}, "tradition must be one of"),
        ({"grounded": True, "model": "gloo-x", "model_family": "google"}, "exactly one routing mechanism"),
    ],
)
def test_constructor_errors(emulator, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ChatGloo(base_url=emulator.gloo_base_url, api_key="k", **kwargs)
    assert emulator.requests == []


def test_per_call_errors_come_before_any_request(emulator):
    with pytest.raises(ValueError, match="sources_limit"):
        gloo(emulator).invoke(QUESTION, sources_limit=42)
    with pytest.raises(ValueError, match="rag_publisher is an option of Gloo grounded completions"):
        ChatGloo(base_url=emulator.gloo_base_url, api_key=Emulator.GLOO_API_KEY).invoke(QUESTION, rag_publisher="P")
    assert bodies(emulator) == [] and bodies(emulator, V2) == []


# -- request shape --------------------------------------------------------------------------


def test_request_goes_to_the_grounded_route_with_its_fields(emulator):
    model = gloo(emulator, rag_publisher="GlooGrounded", sources_limit=2, include_citations=True, tradition="Catholic")
    model.invoke(QUESTION)
    model.invoke(QUESTION, sources_limit=4, parallel_tool_calls=False)  # per call
    first, second = bodies(emulator)
    assert first == {
        "auto_routing": True,
        "tradition": "catholic",
        "rag_publisher": "GlooGrounded",
        "sources_limit": 2,
        "include_citations": True,
        "messages": [{"role": "user", "content": QUESTION}],
    }
    assert second["sources_limit"] == 4 and second["parallel_tool_calls"] is False
    assert bodies(emulator, V2) == []


def test_rag_publisher_is_sent_only_when_given(emulator):
    gloo(emulator, model_family="anthropic").invoke(QUESTION)
    (body,) = bodies(emulator)
    assert body["model_family"] == "anthropic"
    assert not {"rag_publisher", "sources_limit", "include_citations"} & set(body)


def test_plain_chat_gloo_has_no_grounding(emulator):
    message = ChatGloo(base_url=emulator.gloo_base_url, api_key=Emulator.GLOO_API_KEY).invoke(QUESTION)
    assert "grounding" not in message.response_metadata
    assert bodies(emulator, V2) and not bodies(emulator)


# -- invoke and stream, sync and async --------------------------------------------------------


def test_invoke_and_stream(emulator):
    model = gloo(emulator, include_citations=True, sources_limit=3)
    invoked = model.invoke(QUESTION)
    grounding = _check(invoked)
    assert len(grounding["citations"]) <= 3
    chunks = list(model.stream(QUESTION))
    carrying = [c for c in chunks if "grounding" in c.response_metadata]
    # once, on our closing chunk (LangChain may append its own empty "last" chunk after it)
    assert len(carrying) == 1 and carrying[0].usage_metadata and not carrying[0].text
    streamed = aggregate(chunks)
    assert streamed.response_metadata["grounding"] == grounding
    assert streamed.text == invoked.text


async def test_ainvoke_and_astream(emulator):
    model = gloo(emulator, include_citations=True)
    invoked = await model.ainvoke(QUESTION)
    grounding = _check(invoked)
    streamed = await aaggregate(model.astream(QUESTION))
    assert streamed.response_metadata["grounding"] == grounding


def test_citations_off_by_default(emulator):
    _check(gloo(emulator).invoke(QUESTION), cited=False)


async def test_no_sources_found_still_answers(emulator):
    model = gloo(emulator, include_citations=True)
    message = await model.ainvoke(NOTHING)
    assert message.response_metadata["grounding"] == {"sources_returned": False, "citations": []}
    assert "Ada Lovelace" in message.text
    streamed = aggregate(model.stream(NOTHING))
    assert streamed.response_metadata["grounding"] == {"sources_returned": False, "citations": []}


def test_registered_publisher(emulator):
    emulator.register_publisher(
        "Acme", [{"id": "acme-1", "title": "Returns", "text": "Returns are accepted within thirty days."}]
    )
    message = gloo(emulator, rag_publisher="Acme", include_citations=True).invoke(
        "Within how many days are returns accepted?"
    )
    assert message.response_metadata["grounding"]["citations"][0]["source_id"] == "acme-1"


# -- output_version="v1": citation annotations ---------------------------------------------------


def _text_block(message: AIMessage) -> dict:
    (block,) = [b for b in message.content if isinstance(b, dict) and b.get("type") == "text"]
    return block


def test_v1_citation_annotations_on_invoke_and_stream(emulator):
    model = gloo(emulator, include_citations=True, output_version="v1")
    message = model.invoke(QUESTION)
    block = _text_block(message)
    citations = message.response_metadata["grounding"]["citations"]
    assert block["text"] == message.text and "forgive" in block["text"].lower()
    assert [a["type"] for a in block["annotations"]] == ["citation"] * len(citations)
    first = block["annotations"][0]
    assert first["url"] == citations[0]["url"] and first["title"] == citations[0]["title"]
    assert first["cited_text"] == citations[0]["snippet"]
    assert first["extras"] == {"source_id": citations[0]["source_id"], "publisher": "GlooGrounded"}
    assert "start_index" not in first  # only fields the data has
    streamed = aggregate(model.stream(QUESTION))
    streamed_block = _text_block(streamed)
    assert streamed_block["text"] == message.text
    assert streamed_block["annotations"] == block["annotations"]


def test_v0_content_stays_a_string(emulator):
    message = gloo(emulator, include_citations=True).invoke(QUESTION)
    assert isinstance(message.content, str)


def test_v1_without_sources_has_no_annotations(emulator):
    message = gloo(emulator, include_citations=True, output_version="v1").invoke(NOTHING)
    assert "annotations" not in _text_block(message)


# -- citations of unknown shape (scripted server) ----------------------------------------------


def _scripted(payload: dict, stream_events: list[dict] | None = None) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("stream"):
            body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in stream_events or [])
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
        return httpx.Response(200, json=payload)

    return httpx.MockTransport(handler)


def _completion(citations: Any, **extra: Any) -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gloo-x",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Answer."}, "finish_reason": "stop"}],
        "sources_returned": True,
        "citations": citations,
        **extra,
    }


ODD_CITATIONS = [
    ["John 3:16", "Psalm 23"],
    [{"doc": {"meta": {"title": "T", "pages": [1, 2]}}, "score": 0.5}],
    {"by_id": {"a": {"title": "T"}}},
    "see John 3:16",
]


@pytest.mark.parametrize("citations", ODD_CITATIONS)
def test_unknown_citation_shapes_are_kept_verbatim(citations):
    model = ChatGloo(
        base_url="http://127.0.0.1:9",
        api_key="k",
        grounded=True,
        output_version="v1",
        http_client=httpx.Client(transport=_scripted(_completion(citations))),
    )
    message = model.invoke("q")
    assert message.response_metadata["grounding"] == {"sources_returned": True, "citations": citations}
    assert "annotations" not in _text_block(message)  # nothing a Citation can say: metadata only


def test_partly_usable_citations_and_indices():
    citations = [
        "plain string",
        {"url": "https://x.invalid/a", "start_index": 0, "end_index": 6, "source_id": 9},
        {"score": 1},
    ]
    model = ChatGloo(
        base_url="http://127.0.0.1:9",
        api_key="k",
        grounded=True,
        output_version="v1",
        http_client=httpx.Client(transport=_scripted(_completion(citations))),
    )
    message = model.invoke("q")
    assert message.response_metadata["grounding"]["citations"] == citations
    assert _text_block(message)["annotations"] == [
        {"type": "citation", "url": "https://x.invalid/a", "start_index": 0, "end_index": 6, "extras": {"source_id": 9}}
    ]


def test_streamed_grounding_on_the_first_chunk_is_kept():
    events = [
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "sources_returned": True,
            "citations": [["nested"]],
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Ans"}, "finish_reason": None}],
        },
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": "wer."}, "finish_reason": "stop"}],
        },
    ]
    model = ChatGloo(
        base_url="http://127.0.0.1:9",
        api_key="k",
        grounded=True,
        http_client=httpx.Client(transport=_scripted({}, events)),
    )
    streamed = aggregate(model.stream("q"))
    assert streamed.text == "Answer."
    assert streamed.response_metadata["grounding"] == {"sources_returned": True, "citations": [["nested"]]}


# -- faults, sync and async ----------------------------------------------------------------------


def test_429_then_200(emulator):
    emulator.inject(Fault.rate_limit(retry_after="0"), path=GROUNDED)
    message = gloo(emulator, max_retries=1).invoke(QUESTION)
    assert message.response_metadata["grounding"]["sources_returned"] is True
    assert len(bodies(emulator)) == 2


async def test_429_then_200_async(emulator):
    emulator.inject(Fault.rate_limit(retry_after="0"), path=GROUNDED)
    message = await gloo(emulator, max_retries=1).ainvoke(QUESTION)
    assert message.response_metadata["grounding"]["sources_returned"] is True
    assert len(bodies(emulator)) == 2


def test_429_without_retries_is_both_error_types(emulator):
    emulator.inject(Fault.rate_limit(retry_after="0"), path=GROUNDED)
    with pytest.raises(ModelRateLimitError) as info:
        gloo(emulator, max_retries=0).invoke(QUESTION)
    assert isinstance(info.value, RateLimitError)


@pytest.mark.parametrize("streamed", [False, True])
async def test_500(emulator, streamed):
    emulator.inject(Fault.server_error(500), path=GROUNDED)
    model = gloo(emulator, max_retries=0)
    with pytest.raises(ServerError) as info:
        if streamed:
            await aaggregate(model.astream(QUESTION))
        else:
            model.invoke(QUESTION)
    assert info.value.status_code == 500


@pytest.mark.parametrize("streamed", [False, True])
async def test_malformed_body(emulator, streamed):
    emulator.inject(Fault.malformed_json(), path=GROUNDED)
    model = gloo(emulator, max_retries=0)
    with pytest.raises((MalformedResponseError, StreamError)):
        if streamed:
            aggregate(model.stream(QUESTION))
        else:
            await model.ainvoke(QUESTION)


async def test_mid_stream_error_sync_and_async(emulator):
    model = gloo(emulator, max_retries=0)
    emulator.inject(Fault.stream_error(), path=GROUNDED)
    with pytest.raises(StreamError) as info:
        aggregate(model.stream(QUESTION))
    assert info.value.partial_text  # what arrived before the error is kept
    emulator.inject(Fault.stream_error(), path=GROUNDED)
    with pytest.raises(StreamError):
        await aaggregate(model.astream(QUESTION))


# -- serialisation and tools -------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:The function `load` is in beta")
def test_serialisation_round_trip_keeps_the_grounded_words():
    from langchain_core.load import dumpd, dumps, load

    secret = "sk-live-should-never-appear-0123456789"
    model = ChatGloo(
        base_url="http://127.0.0.1:9",
        api_key=secret,
        grounded=True,
        rag_publisher="Acme",
        sources_limit=2,
        include_citations=True,
    )
    assert secret not in dumps(model) and secret not in repr(model)
    restored = load(
        dumpd(model),
        valid_namespaces=["langchain_gloo_gravix"],
        allowed_objects=[ChatGloo],
        secrets_map={"GLOO_API_KEY": secret},
    )
    assert restored.model_dump() == model.model_dump()
    assert restored._endpoint.chat_path == GROUNDED


def test_tools_on_the_grounded_route(emulator):
    from langchain_core.tools import tool

    @tool
    def lookup_verse(reference: str) -> str:
        """Look up a Bible verse by reference."""
        return reference

    model = gloo(emulator, include_citations=True).bind_tools([lookup_verse], parallel_tool_calls=False)
    message = model.invoke("Use lookup_verse for John 3:16")
    assert message.tool_calls and message.tool_calls[0]["name"] == "lookup_verse"
    assert "grounding" in message.response_metadata
    (body,) = bodies(emulator)
    assert body["tools"][0]["function"]["name"] == "lookup_verse" and body["parallel_tool_calls"] is False
