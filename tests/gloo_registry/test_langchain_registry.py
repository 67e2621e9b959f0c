"""LangChain: answers that carry their cost, open families, Gloo's surprises said out loud, sources as Documents."""

from __future__ import annotations

import asyncio
import json
import warnings

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage

from langchain_gloo_gravix import (
    ChatGloo,
    ChatGravixLayer,
    CostCallbackHandler,
    get_cost_callback,
    sources_as_documents,
)
from langchain_gloo_gravix.core import PermissionDeniedError, ServerError
from langchain_gloo_gravix.core.warnings import GlooGravixWarning
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

ROUTED = {
    "provider": "Anthropic",
    "model_family": "Anthropic",
    "auto_routing": True,
    "routing_mechanism": "auto_routing",
}


def chat(server, **kw):
    kw.setdefault("api_key", "k")
    kw.setdefault("max_retries", 0)
    return ChatGloo(base_url=server.url, **kw)


def test_invoke_carries_the_cost_of_the_routed_model():
    answer = completion("gloo-anthropic-claude-haiku-4.5", USAGE_HAIKU, **ROUTED)
    with scripted(lambda n: reply(200, answer)) as server:
        message = chat(server).invoke("hi")
    assert message.response_metadata["cost"] == COST_HAIKU
    assert message.response_metadata["model_name"] == "gloo-anthropic-claude-haiku-4.5"
    assert message.usage_metadata["input_token_details"] == {"cache_read": 1000}
    assert message.response_metadata["token_usage"]["cache_hit_rate"] == 0.33


def test_ainvoke_carries_the_cost():
    with scripted(lambda n: reply(200, completion("gloo-openai-gpt-5-mini", USAGE_MINI))) as server:
        message = asyncio.run(chat(server, model="gloo-openai-gpt-5-mini").ainvoke("hi"))
    assert message.response_metadata["cost"] == COST_MINI


def test_stream_carries_the_cost_on_the_last_chunk_only():
    with scripted(lambda n: stream_answer("gloo-openai-gpt-5-mini", USAGE_MINI)) as server:
        chunks = list(chat(server).stream("hi"))
    # once, on our closing chunk (usage, finish reason; LangChain adds only its empty "last" marker after it)
    priced = [c for c in chunks if "cost" in c.response_metadata]
    assert len(priced) == 1 and priced[0].usage_metadata["input_tokens"] == 1200
    assert priced[0] in chunks[-2:] and priced[0].response_metadata["cost"] == COST_MINI
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.response_metadata["cost"] == COST_MINI and merged.content == "Hello there"


def test_astream_and_streaming_invoke_carry_the_cost():
    async def run(server):
        return [chunk async for chunk in chat(server).astream("hi")]

    with scripted(lambda n: stream_answer("gloo-anthropic-claude-haiku-4.5", USAGE_HAIKU)) as server:
        chunks = asyncio.run(run(server))
        assert [c.response_metadata["cost"] for c in chunks if "cost" in c.response_metadata] == [COST_HAIKU]
        assert chat(server, streaming=True).invoke("hi").response_metadata["cost"] == COST_HAIKU


def test_registry_read_once_across_many_calls_sync_async_and_streamed():
    def answer(n):
        return reply(200, completion("gloo-openai-gpt-5-mini", USAGE_MINI))

    with scripted(answer) as server:
        model = chat(server)
        for _ in range(5):
            assert model.invoke("hi").response_metadata["cost"] == COST_MINI
        results = asyncio.run(_agather(model))
        assert all(m.response_metadata["cost"] == COST_MINI for m in results)
        other = chat(server, model_family="openai")  # another instance, same host: same snapshot
        assert other.invoke("hi").response_metadata["cost"] == COST_MINI
        assert server.count("models") == 1 and server.count("chat") == 10


async def _agather(model):
    return await asyncio.gather(*(model.ainvoke("hi") for _ in range(4)))


@pytest.mark.parametrize(
    "registry",
    [lambda n: reply(503, {"detail": "down"}), lambda n: reply(200, b"not json")],
    ids=["down", "garbage"],
)
def test_registry_down_gives_no_cost_and_no_error(registry):
    with scripted(lambda n: reply(200, completion("gloo-openai-gpt-5-mini", USAGE_MINI)), registry) as server:
        model = chat(server)
        messages = [model.invoke("hi"), asyncio.run(model.ainvoke("hi")), model.invoke("hi")]
        assert all("cost" not in m.response_metadata for m in messages)
        assert all(m.content == "Hello there" for m in messages)
        assert server.count("models") == 1


def test_slow_registry_gives_no_cost_within_the_call_timeout():
    with scripted(lambda n: reply(200, completion("gloo-openai-gpt-5-mini", USAGE_MINI)), lambda n: hang()) as server:
        message = chat(server, timeout=0.3).invoke("hi")
    assert message.content == "Hello there" and "cost" not in message.response_metadata


def test_model_missing_from_the_registry_gives_no_cost():
    with scripted(lambda n: reply(200, completion("gloo-brand-new-model", USAGE_MINI))) as server:
        message = chat(server, model="gloo-brand-new-model").invoke("hi")
    assert "cost" not in message.response_metadata and message.usage_metadata["input_tokens"] == 1200


def test_cost_callback_sums_by_served_model_across_a_run():
    answers = [
        completion("gloo-openai-gpt-5-mini", USAGE_MINI),
        completion("gloo-anthropic-claude-haiku-4.5", USAGE_HAIKU),
        completion("gloo-openai-gpt-5-mini", USAGE_MINI),
        completion("gloo-unpriced", USAGE_MINI),
    ]
    with scripted(lambda n: reply(200, answers[n % 4])) as server:
        model = chat(server)
        with get_cost_callback() as cb:
            for _ in range(4):
                model.invoke("hi")
        handler = CostCallbackHandler()
        model.invoke("hi", config={"callbacks": [handler]})
    seen = [json.loads(s.body) for s in server.of("chat")]
    assert len(seen) == 5
    assert cb.cost_by_model["gloo-anthropic-claude-haiku-4.5"] == COST_HAIKU
    assert cb.cost_by_model["gloo-openai-gpt-5-mini"] == {
        "input": "0.0006",
        "output": "0.00138",
        "total": "0.00198",
        "currency": "USD",
    }
    assert cb.total_cost == {"input": "0.0027", "output": "0.00238", "total": "0.00508", "currency": "USD"}
    assert cb.unpriced_answers == 1
    assert handler.totals.answers == 1  # the call outside the block reached only its own handler


def test_cost_callback_counts_streams():
    with scripted(lambda n: stream_answer("gloo-openai-gpt-5-mini", USAGE_MINI)) as server:
        with get_cost_callback() as cb:
            list(chat(server).stream("hi"))
            asyncio.run(_drain(chat(server)))
    assert cb.cost_by_model == {
        "gloo-openai-gpt-5-mini": {"input": "0.0006", "output": "0.00138", "total": "0.00198", "currency": "USD"}
    }


async def _drain(model):
    async for _ in model.astream("hi"):
        pass


# -- usage fields and reasoning ----------------------------------------------------------------------------------


def test_deepseek_cache_hits_and_reasoning_text_stream_field():
    usage = {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55, "prompt_cache_hit_tokens": 40}
    with scripted(lambda n: stream_answer("gloo-deepseek-v3.2", usage, reasoning_field="reasoning_text")) as server:
        chunks = list(chat(server, model="gloo-deepseek-v3.2").stream("hi"))
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.additional_kwargs["reasoning_content"] == "Thinking it over."
    assert merged.usage_metadata["input_token_details"] == {"cache_read": 40}
    # 10 * 0.28 / 1M + 40 * 0.028 / 1M and 5 * 0.42 / 1M
    assert merged.response_metadata["cost"] == {
        "input": "0.00000392",
        "output": "0.0000021",
        "total": "0.00000602",
        "currency": "USD",
    }


# -- open model_family ---------------------------------------------------------------------------------------------


def test_undocumented_family_is_sent_as_given_and_listed_families_do_not_warn():
    with scripted(lambda n: reply(200, completion("gloo-xai-grok-4", USAGE_MINI))) as server:
        with warnings.catch_warnings():
            warnings.simplefilter("error", GlooGravixWarning)
            message = chat(server, model_family="xAI").invoke("hi")
            chat(server, model_family="XAI")  # the registry, once read, lists it (any case)
        assert sent(server)[0]["model_family"] == "xAI"
        assert message.response_metadata["cost"] == {
            "input": "0.0036",
            "output": "0.005175",
            "total": "0.008775",
            "currency": "USD",
        }
        assert chat(server, model_family="Open Source").invoke("hi") is not None
        assert sent(server)[1]["model_family"] == "open source"


def test_family_the_registry_does_not_list_warns_once_read():
    with scripted(lambda n: reply(200, completion("gloo-mistral-large", USAGE_MINI))) as server:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = chat(server, model_family="Mistral")  # registry not read yet: nothing to say
            assert not [w for w in caught if issubclass(w.category, GlooGravixWarning)]
            model.invoke("hi")  # the first answer reads it
            first = [w for w in caught if issubclass(w.category, GlooGravixWarning)]
            chat(server, model_family="mistral")  # same family: said once
        assert len(first) == 1 and "'Mistral' is not listed" in str(first[0].message)
        assert len([w for w in caught if issubclass(w.category, GlooGravixWarning)]) == 1
        assert sent(server)[0]["model_family"] == "Mistral"


# -- Gloo's surprises said out loud ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"tradition": "not_faith_specific"}, "not_faith_specific"),
        ({"auto_routing": True, "max_tokens": 512}, "max_tokens=512"),
        ({"model_family": "google", "max_tokens": 1000}, "routed pool"),
        ({"model": "gloo-openai-gpt-oss-120b", "max_tokens": 1024}, "reasoning model"),
    ],
)
def test_construction_warnings(kwargs, words):
    with pytest.warns(GlooGravixWarning, match=words) as record:
        ChatGloo(api_key="k", **kwargs)
    assert all(w.filename == __file__ for w in record if issubclass(w.category, GlooGravixWarning))


def test_no_warning_for_safe_settings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", GlooGravixWarning)
        ChatGloo(api_key="k", model="gloo-openai-gpt-4.1", max_tokens=256, tradition="not_faith_specific")
        ChatGloo(api_key="k", max_tokens=4096, tradition="catholic")
        ChatGravixLayer(api_key="k", model="llama3.1:8b", max_tokens=100)
        ChatGloo(api_key="k", model="gloo-openai-gpt-4.1").with_structured_output(_SCHEMA, method="json_schema")


_SCHEMA = {"title": "Answer", "type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}


def test_json_schema_on_a_routed_pool_warns():
    with pytest.warns(GlooGravixWarning, match="json_schema"):
        ChatGloo(api_key="k").with_structured_output(_SCHEMA, method="json_schema")
    with pytest.warns(GlooGravixWarning, match="json_schema"):
        ChatGloo(api_key="k", model_family="anthropic").with_structured_output(_SCHEMA, method="json_schema")


def test_forbidden_and_empty_completion_errors_name_what_to_change():
    forbidden = {"error": "Forbidden - insufficient permissions", "code": "forbidden"}
    empty = {"error": {"type": "service_unavailable_error", "code": 2006, "fault": "provider", "retryable": True}}
    with scripted(lambda n: reply(403, forbidden)) as server:
        with pytest.raises(PermissionDeniedError) as denied:
            chat(server).invoke("hi")
    with scripted(lambda n: reply(503, empty)) as server:
        with pytest.warns(GlooGravixWarning, match="max_tokens=100"):
            model = chat(server, max_tokens=100)  # said at construction, before the 503 it predicts
        with pytest.raises(ServerError) as unavailable:
            asyncio.run(model.ainvoke("hi"))
    from langchain_core.exceptions import ModelPermissionDeniedError

    assert isinstance(denied.value, ModelPermissionDeniedError)  # still LangChain-typed too
    assert "api/access" in str(denied.value) and "guardrail" in str(denied.value)
    assert "max_tokens" in str(unavailable.value) and unavailable.value.status_code == 503


# -- grounded sources as Documents ---------------------------------------------------------------------------------

CITATIONS = [
    {
        "source_id": "d1",
        "title": "Grace",
        "url": "https://example.org/grace",
        "snippet": "Grace is a gift.",
        "publisher": "GlooGrounded",
    },
    {"title": "Faith", "snippet": "Faith comes by hearing.", "page": 3},
    "a bare string citation",
    {"unrelated": True},
]


def test_sources_as_documents_from_invoke_and_stream():
    grounded = completion("gloo-openai-gpt-5-mini", USAGE_MINI, sources_returned=True, citations=CITATIONS)
    with scripted(lambda n: reply(200, grounded)) as server:
        message = chat(server, grounded=True, include_citations=True).invoke("What is grace?")
    docs = sources_as_documents(message)
    assert docs == [
        Document(
            page_content="Grace is a gift.",
            metadata={
                "title": "Grace",
                "url": "https://example.org/grace",
                "source": "https://example.org/grace",
                "publisher": "GlooGrounded",
                "id": "d1",
            },
        ),
        Document(page_content="Faith comes by hearing.", metadata={"title": "Faith", "page": 3}),
    ]
    assert sources_as_documents(message.response_metadata) == docs
    assert message.response_metadata["grounding"]["citations"] == CITATIONS  # verbatim, as before
    assert sources_as_documents(AIMessage(content="no sources")) == []


# -- model listing on the class --------------------------------------------------------------------------------------


def test_list_models_on_the_class_and_instance(monkeypatch):
    with scripted(lambda n: reply(200, completion("gloo-openai-gpt-5-mini", USAGE_MINI))) as server:
        monkeypatch.setenv("GLOO_BASE_URL", server.url)
        ids = [m.id for m in ChatGloo.list_models()]
        assert "gloo-xai-grok-4" in ids and "gloo-openai-gpt-5-mini" in ids
        model = chat(server)
        assert [m.id for m in model.list_models()] == ids
        assert [m.id for m in asyncio.run(ChatGloo.alist_models())] == ids
        assert [m.id for m in asyncio.run(model.alist_models(refresh=True))] == ids
        assert model.invoke("hi").response_metadata["cost"] == COST_MINI
        assert server.count("models") == 2  # the first read, the refresh; the cost used the cache
        entry = next(m for m in ids if m == "gloo-anthropic-claude-haiku-4.5")
        assert entry
        assert ChatGloo.list_models()[1].model_extra["pricing"]["cache_read"]["rate_per_1m_tokens"] == "0.10"


def test_reasoning_text_of_a_whole_answer_is_a_reasoning_block():
    answer = completion("gloo-deepseek-v3.2", {**USAGE_MINI, "completion_tokens_details": {"reasoning_tokens": 40}})
    answer["choices"][0]["message"]["reasoning_text"] = "Weighing it."
    with scripted(lambda n: reply(200, answer)) as server:
        message = chat(server, model="gloo-deepseek-v3.2").invoke("hi")
    assert message.additional_kwargs["reasoning_content"] == "Weighing it."
    assert message.content_blocks[0] == {"type": "reasoning", "reasoning": "Weighing it."}
    assert message.usage_metadata["output_token_details"] == {"reasoning": 40}
