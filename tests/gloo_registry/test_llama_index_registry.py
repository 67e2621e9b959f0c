"""LlamaIndex: answers that carry their cost, open families, warnings, error hints, sources as nodes / citation blocks."""

from __future__ import annotations

import asyncio
import warnings

import pytest
from llama_index.core.base.llms.types import ChatMessage, CitationBlock, ThinkingBlock
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.schema import NodeWithScore

from langchain_gloo_gravix.core import PermissionDeniedError, ServerError
from langchain_gloo_gravix.core.warnings import GlooGravixWarning
from llama_index_ext import CostEventHandler, Gloo, GravixLayer, citation_blocks, source_nodes
from tests.gloo_registry.registry_fixtures import (
    COST_HAIKU,
    COST_MINI,
    USAGE_HAIKU,
    USAGE_MINI,
    completion,
    scripted,
    sent,
    stream_answer,
)
from tests.support.fault_server import hang, reply

HI = [ChatMessage(role="user", content="hi")]


def llm(server, **kw):
    kw.setdefault("api_key", "k")
    kw.setdefault("max_retries", 0)
    return Gloo(base_url=server.url, **kw)


def test_chat_and_complete_carry_the_cost():
    with scripted(lambda n: reply(200, completion("gloo-anthropic-claude-haiku-4.5", USAGE_HAIKU))) as server:
        model = llm(server)
        response = model.chat(HI)
        assert response.additional_kwargs["cost"] == COST_HAIKU
        assert response.additional_kwargs["cached_tokens"] == 1000
        assert response.additional_kwargs["cache_hit_rate"] == 0.33
        assert model.complete("hi").additional_kwargs["cost"] == COST_HAIKU
        assert asyncio.run(model.achat(HI)).additional_kwargs["cost"] == COST_HAIKU
        assert asyncio.run(model.acomplete("hi")).additional_kwargs["cost"] == COST_HAIKU
        assert server.count("models") == 1


def test_streams_carry_the_cost_on_the_last_chunk():
    async def collect(model):
        return [chunk async for chunk in await model.astream_chat(HI)]

    with scripted(lambda n: stream_answer("gloo-openai-gpt-5-mini", USAGE_MINI)) as server:
        model = llm(server)
        chunks = list(model.stream_chat(HI))
        achunks = asyncio.run(collect(model))
        completions = list(model.stream_complete("hi"))
    for stream in (chunks, achunks, completions):
        assert stream[-1].additional_kwargs["cost"] == COST_MINI
        assert all("cost" not in c.additional_kwargs for c in stream[:-1])
        assert stream[-1].delta == ""  # the closing chunk adds no text
    assert chunks[-1].message.content == "Hello there" and chunks[-1].additional_kwargs["finish_reason"] == "stop"
    assert "".join(c.delta for c in chunks) == "Hello there"


@pytest.mark.parametrize("registry", [lambda n: reply(500, {"detail": "x"}), lambda n: hang()], ids=["down", "slow"])
def test_registry_down_or_slow_gives_no_cost_and_no_error(registry):
    with scripted(lambda n: reply(200, completion("gloo-openai-gpt-5-mini", USAGE_MINI)), registry) as server:
        model = llm(server, timeout=0.3)
        responses = [model.chat(HI), asyncio.run(model.achat(HI)), model.complete("hi")]
        assert [r.additional_kwargs.get("cost") for r in responses] == [None, None, None]
        assert server.count("models") == 1


def test_model_missing_gives_no_cost():
    with scripted(lambda n: reply(200, completion("gloo-not-listed", USAGE_MINI))) as server:
        assert "cost" not in llm(server, model="gloo-not-listed").chat(HI).additional_kwargs


def test_registry_read_once_across_many_calls():
    with scripted(lambda n: reply(200, completion("gloo-openai-gpt-5-mini", USAGE_MINI))) as server:
        model = llm(server)

        async def many():
            return await asyncio.gather(*(model.achat(HI) for _ in range(5)))

        sync = [model.chat(HI) for _ in range(5)]
        assert all(r.additional_kwargs["cost"] == COST_MINI for r in sync + asyncio.run(many()))
        assert server.count("models") == 1


def test_cost_event_handler_sums_by_model():
    handler = CostEventHandler()
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(handler)
    answers = [
        completion("gloo-openai-gpt-5-mini", USAGE_MINI),
        completion("gloo-anthropic-claude-haiku-4.5", USAGE_HAIKU),
    ]
    try:
        with scripted(lambda n: reply(200, answers[n % 2])) as server:
            model = llm(server)
            model.chat(HI)
            model.complete("hi")
            asyncio.run(model.achat(HI))
        with scripted(lambda n: stream_answer("gloo-openai-gpt-5-mini", USAGE_MINI)) as server:
            list(llm(server).stream_chat(HI))
    finally:
        dispatcher.event_handlers.remove(handler)
    mini = {"input": "0.0009", "output": "0.00207", "total": "0.00297", "currency": "USD"}
    assert handler.cost_by_model == {"gloo-openai-gpt-5-mini": mini, "gloo-anthropic-claude-haiku-4.5": COST_HAIKU}
    assert handler.total_cost == {"input": "0.003", "output": "0.00307", "total": "0.00607", "currency": "USD"}
    assert handler.unpriced_answers == 0


def test_reasoning_tokens_and_reasoning_text():
    usage = {**USAGE_MINI, "completion_tokens_details": {"reasoning_tokens": 300}}
    with scripted(lambda n: stream_answer("gloo-openai-gpt-5-mini", usage, reasoning_field="reasoning_text")) as server:
        last = list(llm(server).stream_chat(HI))[-1]
    thinking = [b for b in last.message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking[0].content == "Thinking it over." and thinking[0].num_tokens == 300
    assert last.additional_kwargs["reasoning_tokens"] == 300


def test_open_family_and_unlisted_family_warning():
    with scripted(lambda n: reply(200, completion("gloo-xai-grok-4", USAGE_MINI))) as server:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            llm(server, model_family="xAI").chat(HI)
            llm(server, model_family="Cohere").chat(HI)
        said = [str(w.message) for w in caught if issubclass(w.category, GlooGravixWarning)]
        assert len(said) == 1 and "'Cohere' is not listed" in said[0]
        assert [body["model_family"] for body in sent(server)] == ["xAI", "Cohere"]
        from langchain_gloo_gravix.core.registry import REGISTRY

        REGISTRY._warned.clear()  # said once per process and host; forget it to see the construction check
        with pytest.warns(GlooGravixWarning, match="'Cohere' is not listed"):
            llm(server, model_family="Cohere")  # the registry is read: said at construction


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"tradition": "not_faith_specific"}, "not_faith_specific"),
        ({"max_tokens": 256}, "max_tokens=256"),
        ({"model": "gloo-deepseek-r1", "max_tokens": 512}, "reasoning model"),
        ({"structured_output_method": "json_schema"}, "json_schema"),
    ],
)
def test_construction_warnings(kwargs, words):
    with pytest.warns(GlooGravixWarning, match=words) as record:
        Gloo(api_key="k", **kwargs)
    assert all(w.filename == __file__ for w in record if issubclass(w.category, GlooGravixWarning))


def test_no_warnings_for_safe_settings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", GlooGravixWarning)
        Gloo(api_key="k", model="gloo-openai-gpt-4.1", max_tokens=300, structured_output_method="json_schema")
        Gloo(api_key="k", tradition="evangelical")
        GravixLayer(api_key="k", model="llama3.1:8b", max_tokens=64)


def test_error_hints():
    forbidden = {"error": "Forbidden - insufficient permissions", "code": "forbidden"}
    empty = {"error": {"type": "service_unavailable_error", "code": 2006, "fault": "provider", "retryable": True}}
    with scripted(lambda n: reply(403, forbidden)) as server:
        with pytest.raises(PermissionDeniedError, match="api/access"):
            llm(server).chat(HI)
    with scripted(lambda n: reply(503, empty)) as server:
        with pytest.raises(ServerError, match="max_tokens") as info:
            asyncio.run(llm(server).achat(HI))
    assert info.value.status_code == 503 and info.value.code == 2006


CITATIONS = [
    {
        "source_id": "d1",
        "title": "Grace",
        "url": "https://example.org/grace",
        "snippet": "Grace is a gift.",
        "publisher": "GlooGrounded",
        "start_index": 0,
        "end_index": 16,
    },
    {"title": "Faith", "snippet": "Faith comes by hearing.", "score": 0.82},
    "not an object",
]


def test_sources_as_nodes_and_citation_blocks():
    grounded = completion("gloo-openai-gpt-5-mini", USAGE_MINI, sources_returned=True, citations=CITATIONS)
    with scripted(lambda n: reply(200, grounded)) as server:
        response = llm(server, grounded=True, include_citations=True).complete("What is grace?")
    nodes = source_nodes(response)
    assert all(isinstance(n, NodeWithScore) for n in nodes) and len(nodes) == 2
    assert nodes[0].node.get_content() == "Grace is a gift." and nodes[0].node.node_id == "d1"
    assert nodes[0].node.metadata["url"] == "https://example.org/grace"
    assert nodes[0].node.metadata["publisher"] == "GlooGrounded"
    assert nodes[1].score == 0.82 and nodes[1].node.metadata == {"title": "Faith"}
    blocks = citation_blocks(response)
    assert all(isinstance(b, CitationBlock) for b in blocks)
    assert (blocks[0].title, blocks[0].source, blocks[0].cited_content.text) == (
        "Grace",
        "https://example.org/grace",
        "Grace is a gift.",
    )
    assert blocks[0].additional_location_info == {"start_index": 0, "end_index": 16}
    assert source_nodes(response.additional_kwargs) == nodes
    assert source_nodes({}) == [] and citation_blocks({"grounding": {"citations": []}}) == []


def test_list_models_on_the_class_and_instance(monkeypatch):
    with scripted(lambda n: reply(200, completion("gloo-openai-gpt-5-mini", USAGE_MINI))) as server:
        monkeypatch.setenv("GLOO_BASE_URL", server.url)
        ids = [m.id for m in Gloo.list_models()]
        assert "gloo-xai-grok-4" in ids
        model = llm(server)
        assert [m.id for m in model.list_models()] == ids
        assert [m.id for m in asyncio.run(Gloo.alist_models(refresh=True))] == ids
        assert [m.id for m in asyncio.run(model.alist_models())] == ids
        assert model.chat(HI).additional_kwargs["cost"] == COST_MINI
        assert server.count("models") == 2
