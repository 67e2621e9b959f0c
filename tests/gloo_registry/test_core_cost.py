"""Core: exact cost arithmetic, every usage field, the registry cache, hints and warnings (framework-free)."""

from __future__ import annotations

import asyncio
import json
import threading
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from langchain_gloo_gravix.core import AsyncClient, Client, PermissionDeniedError, ServerError
from langchain_gloo_gravix.core.cost import CostTotals, add_costs, answer_cost, prices_of
from langchain_gloo_gravix.core.errors import error_from_response
from langchain_gloo_gravix.core.hints import EMPTY_COMPLETION_HINT, FORBIDDEN_HINT
from langchain_gloo_gravix.core.registry import REGISTRY, aanswer_cost, list_models
from langchain_gloo_gravix.core.registry import answer_cost as registry_cost
from langchain_gloo_gravix.core.usage_details import token_details
from langchain_gloo_gravix.core.warnings import construction_warnings, json_schema_warning
from langchain_gloo_gravix.core.wire import ChatCompletion, Usage
from tests.gloo_registry.registry_fixtures import (
    COST_HAIKU,
    COST_MINI,
    USAGE_HAIKU,
    USAGE_MINI,
    completion,
    registry_reply,
    scripted,
)
from tests.gloo_registry.registry_fixtures import (
    REGISTRY as REGISTRY_BODY,
)
from tests.support.fault_server import hang, reply

ENTRIES = {entry["id"]: entry for entry in REGISTRY_BODY["data"]}


def usage(data):
    return Usage.model_validate(data)


# -- cost arithmetic ---------------------------------------------------------------------------------------------


def test_cost_is_exact_decimal_from_per_million_rates():
    assert answer_cost(usage(USAGE_MINI), prices_of(ENTRIES["gloo-openai-gpt-5-mini"])) == COST_MINI


def test_cache_reads_at_their_own_price():
    assert answer_cost(usage(USAGE_HAIKU), prices_of(ENTRIES["gloo-anthropic-claude-haiku-4.5"])) == COST_HAIKU


def test_cache_reads_at_the_input_price_when_the_registry_gives_none():
    # gpt-5-mini has no cache_read price: 1,000 cached of 1,200 cost what input costs
    cached = {**USAGE_MINI, "prompt_tokens_details": {"cached_tokens": 1000}}
    assert answer_cost(usage(cached), prices_of(ENTRIES["gloo-openai-gpt-5-mini"])) == COST_MINI


def test_per_thousand_rate_used_when_it_is_the_only_one():
    cost = answer_cost(usage({"prompt_tokens": 1000, "completion_tokens": 1000}), prices_of(ENTRIES["gloo-xai-grok-4"]))
    assert cost == {"input": "0.003", "output": "0.015", "total": "0.018", "currency": "USD"}


def test_deepseek_prompt_cache_hit_tokens_priced_as_cache_reads():
    data = {
        "prompt_tokens": 10000,
        "completion_tokens": 0,
        "prompt_cache_hit_tokens": 8000,
        "prompt_cache_miss_tokens": 2000,
    }
    cost = answer_cost(usage(data), prices_of(ENTRIES["gloo-deepseek-v3.2"]))
    # 2,000 * 0.28 / 1M + 8,000 * 0.028 / 1M
    assert cost == {"input": "0.000784", "output": "0", "total": "0.000784", "currency": "USD"}


@pytest.mark.parametrize(
    "pricing",
    [
        None,
        {},
        {"input": {"rate_per_1m_tokens": "0.25"}},  # no output price
        {"input": {"rate_per_1m_tokens": "free"}, "output": {"rate_per_1m_tokens": "1"}},
        {"input": {"rate_per_1m_tokens": "NaN"}, "output": {"rate_per_1m_tokens": "1"}},
        {"input": {"rate_per_1m_tokens": "-1"}, "output": {"rate_per_1m_tokens": "1"}},
        {"input": "0.25", "output": "2"},
        {"input": {"rate_per_1m_tokens": True}, "output": {"rate_per_1m_tokens": "1"}},
    ],
)
def test_no_usable_price_gives_no_cost_never_a_guess(pricing):
    entry = {"id": "m"} if pricing is None else {"id": "m", "pricing": pricing}
    assert answer_cost(usage(USAGE_MINI), prices_of(entry)) is None


def test_currency_from_the_registry_when_it_states_one():
    entry = {
        "pricing": {"input": {"rate_per_1m_tokens": "1"}, "output": {"rate_per_1m_tokens": "1"}, "currency": "eur"}
    }
    assert answer_cost(usage({"prompt_tokens": 1, "completion_tokens": 1}), prices_of(entry))["currency"] == "EUR"


@given(
    prompt=st.integers(0, 10**9),
    cached=st.integers(0, 10**9),
    out=st.integers(0, 10**9),
    rates=st.tuples(*[st.decimals(min_value=0, max_value=1000, places=6, allow_nan=False)] * 3),
)
def test_cost_is_exact_for_any_counts_and_rates(prompt, cached, out, rates):
    price_in, price_out, price_cache = (format(r, "f") for r in rates)
    entry = {
        "pricing": {
            "input": {"rate_per_1m_tokens": price_in},
            "output": {"rate_per_1m_tokens": price_out},
            "cache_read": {"rate_per_1m_tokens": price_cache},
        }
    }
    data = {"prompt_tokens": prompt, "completion_tokens": out, "cache_tokens": cached}
    cost = answer_cost(usage(data), prices_of(entry))
    hit = min(cached, prompt)
    million = Decimal(10**6)
    expected_in = ((prompt - hit) * Decimal(price_in) + hit * Decimal(price_cache)) / million
    expected_out = out * Decimal(price_out) / million
    assert Decimal(cost["input"]) == expected_in
    assert Decimal(cost["output"]) == expected_out
    assert Decimal(cost["total"]) == expected_in + expected_out
    assert "E" not in cost["total"] and "e" not in cost["total"]


def test_totals_sum_by_model_and_count_unpriced():
    totals = CostTotals()
    totals.add("a", COST_MINI)
    totals.add("a", COST_MINI)
    totals.add("b", COST_HAIKU)
    totals.add("c", None)
    assert totals.by_model["a"] == {"input": "0.0006", "output": "0.00138", "total": "0.00198", "currency": "USD"}
    assert totals.total == add_costs(totals.by_model["a"], COST_HAIKU)
    assert (totals.answers, totals.unpriced) == (4, 1)
    totals.add("a", {**COST_MINI, "currency": "EUR"})  # never mixed with USD
    assert totals.by_model["a (EUR)"]["currency"] == "EUR" and totals.total is None


# -- usage fields -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, cache_read",
    [
        ({"prompt_tokens_details": {"cached_tokens": 7}, "cache_tokens": 9}, 7),
        ({"cache_tokens": 9, "cache_hit_rate": 0.5}, 9),
        ({"prompt_cache_hit_tokens": 11, "prompt_cache_miss_tokens": 4}, 11),
        ({"cache_read_input_tokens": 13}, 13),
        ({"cache_hit_rate": 0.5}, None),  # a rate alone is never turned into a count
        ({"cache_tokens": -1}, None),
        ({"cache_tokens": "12"}, None),
    ],
)
def test_cache_reads_from_every_shape(data, cache_read):
    details = token_details(usage({"prompt_tokens": 20, "completion_tokens": 1, **data}))
    assert details.cache_read == cache_read


def test_reasoning_and_cache_writes_and_hit_rate():
    details = token_details(
        usage(
            {
                "prompt_tokens": 20,
                "completion_tokens": 10,
                "completion_tokens_details": {"reasoning_tokens": 6},
                "cache_creation_input_tokens": 3,
                "cache_hit_rate": 0.25,
            }
        )
    )
    assert (details.reasoning, details.cache_creation, details.cache_hit_rate) == (6, 3, 0.25)
    assert token_details(usage({"prompt_tokens": 1, "completion_tokens": 1, "reasoning_tokens": 4})).reasoning == 4


def test_reasoning_text_field_of_a_whole_message_is_read():
    done = ChatCompletion.model_validate(
        {"choices": [{"message": {"role": "assistant", "content": "4", "reasoning_text": "2+2"}}]}
    )
    assert done.message.reasoning_text == "2+2"


# -- the registry: lazy, once per five minutes per host, off the failure path ----------------------------------


def _client(server, **kw):
    return Client("gloo-v2", base_url=server.url, api_key="k", max_retries=0, **kw)


def test_registry_read_once_across_many_calls_and_again_after_five_minutes(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(REGISTRY, "clock", lambda: now[0])
    answer = completion("gloo-openai-gpt-5-mini", USAGE_MINI)
    with scripted(lambda n: reply(200, answer)) as server, _client(server) as client:
        for _ in range(6):
            done = client.create([{"role": "user", "content": "hi"}], auto_routing=True)
            assert registry_cost(client, done) == COST_MINI
        assert server.count("models") == 1
        now[0] += 299
        registry_cost(client, done)
        assert server.count("models") == 1
        now[0] += 2
        assert registry_cost(client, done) == COST_MINI
        assert server.count("models") == 2
        assert "authorization" not in {k.lower() for k in server.of("models")[0].headers}


def test_concurrent_callers_share_one_read():
    answer = ChatCompletion.model_validate(completion("gloo-openai-gpt-5-mini", USAGE_MINI))
    results = []
    with scripted(lambda n: reply(200, {}), lambda n: registry_reply()) as server, _client(server) as client:
        threads = [threading.Thread(target=lambda: results.append(registry_cost(client, answer))) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)

        async def many():
            async with AsyncClient("gloo-v2", base_url=server.url, api_key="k") as aclient:
                REGISTRY.clear()
                return await asyncio.gather(*(aanswer_cost(aclient, answer) for _ in range(8)))

        async_results = asyncio.run(many())
        assert server.count("models") == 2  # one per clear(): 8 threads, then 8 tasks
    assert results == [COST_MINI] * 8 and async_results == [COST_MINI] * 8


@pytest.mark.parametrize(
    "registry",
    [
        lambda n: reply(500, {"detail": "boom"}),
        lambda n: reply(200, b"<html>maintenance</html>"),
        lambda n: reply(200, {"data": "not a list"}),
        lambda n: reply(404, {"detail": "Not Found"}),
    ],
    ids=["500", "html", "not-a-list", "404"],
)
def test_failing_registry_gives_no_cost_no_error_and_is_not_asked_again(registry):
    answer = ChatCompletion.model_validate(completion("gloo-openai-gpt-5-mini", USAGE_MINI))
    with scripted(lambda n: reply(200, {}), registry) as server, _client(server) as client:
        assert [registry_cost(client, answer) for _ in range(3)] == [None, None, None]
        assert server.count("models") == 1  # one attempt, no retries, then quiet for five minutes


def test_slow_registry_bounded_by_the_call_timeout():
    answer = ChatCompletion.model_validate(completion("gloo-openai-gpt-5-mini", USAGE_MINI))
    with scripted(lambda n: reply(200, {}), lambda n: hang()) as server, _client(server, timeout=0.3) as client:
        assert registry_cost(client, answer) is None

        async def once():
            REGISTRY.clear()
            async with AsyncClient("gloo-v2", base_url=server.url, api_key="k", timeout=0.3) as aclient:
                return await aanswer_cost(aclient, answer)

        assert asyncio.run(once()) is None


@pytest.mark.parametrize(
    "answer",
    [
        completion("gloo-unknown-model", USAGE_MINI),  # not in the registry
        completion("gloo-google-gemini-2.5-flash", USAGE_MINI),  # listed without pricing
        completion("gloo-openai-gpt-5-mini", None),  # no usage: no read at all
    ],
)
def test_no_price_no_cost(answer):
    with scripted(lambda n: reply(200, {})) as server, _client(server) as client:
        assert registry_cost(client, ChatCompletion.model_validate(answer)) is None


def test_no_usage_never_reads_the_registry():
    with scripted(lambda n: reply(200, {})) as server, _client(server) as client:
        registry_cost(client, ChatCompletion.model_validate(completion("gloo-openai-gpt-5-mini", None)))
        assert server.count("models") == 0


def test_requested_model_used_only_when_the_answer_names_none():
    with scripted(lambda n: reply(200, {})) as server, _client(server) as client:
        nameless = ChatCompletion.model_validate(completion(None, USAGE_MINI))
        assert registry_cost(client, nameless, requested_model="gloo-openai-gpt-5-mini") == COST_MINI
        named = ChatCompletion.model_validate(completion("gloo-anthropic-claude-haiku-4.5", USAGE_HAIKU))
        assert registry_cost(client, named, requested_model="gloo-openai-gpt-5-mini") == COST_HAIKU


def test_gravix_has_no_priced_registry():
    with scripted(lambda n: reply(200, {})) as server:
        with Client("gravix", base_url=server.url, api_key="k") as client:
            done = ChatCompletion.model_validate(completion("m", USAGE_MINI))
            assert registry_cost(client, done) is None
        assert server.count("models") == 0


def test_list_models_fills_the_cache_the_cost_reads():
    with scripted(lambda n: reply(200, {})) as server, _client(server) as client:
        ids = [model.id for model in list_models(client)]
        assert "gloo-xai-grok-4" in ids and len(ids) == len(REGISTRY_BODY["data"])
        list_models(client)
        done = ChatCompletion.model_validate(completion("gloo-openai-gpt-5-mini", USAGE_MINI))
        assert registry_cost(client, done) == COST_MINI
        assert server.count("models") == 1
        list_models(client, refresh=True)
        assert server.count("models") == 2


# -- hints -----------------------------------------------------------------------------------------------------------


def test_forbidden_names_its_causes_and_stays_typed():
    body = json.dumps({"error": "Forbidden - insufficient permissions", "code": "forbidden"}).encode()
    error = error_from_response(403, {}, body, endpoint="gloo-v2")
    assert isinstance(error, PermissionDeniedError) and error.code == "forbidden" and not error.retryable
    assert FORBIDDEN_HINT in str(error) and "api/access" in error.message and "entitled" in error.message
    assert error.server_message == "Forbidden - insufficient permissions"


def test_empty_completion_2006_names_max_tokens_and_stays_typed():
    body = {
        "error": {
            "type": "service_unavailable_error",
            "code": 2006,
            "fault": "provider",
            "retryable": True,
            "message": "Provider returned an empty completion",
        }
    }
    error = error_from_response(503, {}, json.dumps(body).encode(), endpoint="gloo-v2")
    assert isinstance(error, ServerError) and error.status_code == 503 and error.fault == "provider"
    assert EMPTY_COMPLETION_HINT in error.message and "max_tokens" in error.message


@pytest.mark.parametrize(
    "status, body, endpoint",
    [
        (503, {"error": {"code": 2002, "name": "PROVIDER_UNAVAILABLE"}}, "gloo-v2"),
        (403, {"error": {"message": "no", "type": "permission_error"}}, "gravix"),
        (500, {"error": {"code": 2006}}, "gloo-v2"),
    ],
)
def test_other_errors_get_no_hint(status, body, endpoint):
    error = error_from_response(status, {}, json.dumps(body).encode(), endpoint=endpoint)
    assert "Likely cause" not in error.message


# -- construction warnings (pure) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"auto_routing": True, "tradition": "not_faith_specific"}, ["not_faith_specific"]),
        ({"tradition": "Not_Faith_Specific"}, ["not_faith_specific"]),  # no mechanism: auto routing
        ({"model": "gloo-openai-gpt-4.1", "tradition": "not_faith_specific"}, []),
        ({"auto_routing": True, "max_tokens": 500}, ["max_tokens=500"]),
        ({"model_family": "anthropic", "max_completion_tokens": 1024}, ["max_tokens=1024"]),
        ({"model": "gloo-deepseek-r1", "max_tokens": 1000}, ["max_tokens=1000"]),
        ({"model": "gloo-openai-gpt-4.1", "max_tokens": 500}, []),  # not a reasoning model
        ({"auto_routing": True, "max_tokens": 2048}, []),
        ({"auto_routing": True, "tradition": "catholic"}, []),
    ],
)
def test_construction_warnings(params, expected):
    found = construction_warnings("gloo-v2", True, params)
    assert len(found) == len(expected)
    for message, word in zip(found, expected):
        assert word in message


def test_json_schema_warning_on_routes_that_ignore_response_format():
    assert "routed pool" in json_schema_warning("gloo-v2", True, {"auto_routing": True})
    assert "routed pool" in json_schema_warning("gloo-v2", True, {"model_family": "google"})
    assert json_schema_warning("gloo-v2", True, {"model": "gloo-openai-gpt-4.1"}) is None
    assert "not known to honour" in json_schema_warning("gloo-v2", True, {"model": "gloo-meta-llama-3.1-8b-instruct"})
    assert "not known to honour" in json_schema_warning(
        "gloo-v1", False, {"model": "us.meta.llama3-3-70b-instruct-v1:0"}
    )


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=4),
    max_leaves=20,
)
_RATE = st.fixed_dictionaries(
    {},
    optional={"rate_per_1m_tokens": _JSON | st.decimals(allow_nan=True).map(str), "rate_per_1k_tokens": _JSON},
)


@given(
    pricing=_JSON
    | st.fixed_dictionaries({}, optional={"input": _RATE, "output": _RATE, "cache_read": _RATE, "currency": _JSON}),
    counts=st.dictionaries(
        st.sampled_from(["prompt_tokens", "completion_tokens", "cache_tokens", "prompt_cache_hit_tokens"]), _JSON
    ),
)
def test_any_registry_pricing_and_usage_give_a_cost_or_none_never_an_error(pricing, counts):
    prices = prices_of({"id": "m", "pricing": pricing})
    try:
        read = Usage.read(counts)
    except Exception:
        return  # not a usage object at all: the wire layer's business, tested there
    cost = answer_cost(read, prices)
    if cost is not None:
        assert set(cost) == {"input", "output", "total", "currency"}
        assert all(Decimal(cost[key]).is_finite() and Decimal(cost[key]) >= 0 for key in ("input", "output", "total"))


@pytest.mark.parametrize("rate", [float("inf"), float("nan"), "Infinity", "1e999999999"])
def test_non_finite_rates_give_no_cost(rate):
    entry = {"pricing": {"input": {"rate_per_1m_tokens": rate}, "output": {"rate_per_1m_tokens": "1"}}}
    assert prices_of(entry) is None
