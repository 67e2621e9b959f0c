"""ChatGloo(grounded=True): Gloo grounded completions in LangChain, against the emulator
(and a scripted transport where the server must send something the emulator does not)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage

from langchain_gloo_gravix import ChatGloo
from langchain_gloo_gravix.emulator import Emulator

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


# -- request shape --------------------------------------------------------------------------


# -- invoke and stream, sync and async --------------------------------------------------------


def test_grounding_is_said_once_on_the_closing_chunk(emulator):
    # the whole-and-streamed equality is shared with LlamaIndex: tests/adapters/test_grounded.py
    model = gloo(emulator, include_citations=True, sources_limit=3)
    invoked = model.invoke(QUESTION)
    grounding = _check(invoked)
    chunks = list(model.stream(QUESTION))
    carrying = [c for c in chunks if "grounding" in c.response_metadata]
    # once, on our closing chunk (LangChain may append its own empty "last" chunk after it)
    assert len(carrying) == 1 and carrying[0].usage_metadata and not carrying[0].text
    assert aggregate(chunks).response_metadata["grounding"] == grounding


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
