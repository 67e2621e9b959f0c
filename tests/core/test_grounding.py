"""Gloo grounded completions in the core: request shape, validation, results, streams.

Offline through ``httpx.MockTransport``; every client test runs sync and async.
"""

from __future__ import annotations

from typing import Any

import pytest

from langchain_gloo_gravix.core import (
    GLOO_V2,
    GLOO_V2_GROUNDED,
    GRAVIX,
    ChatCompletion,
    Grounding,
    MalformedResponseError,
    ServerError,
    StreamAccumulator,
    StreamError,
    build_body,
    check_grounded_options,
    get_endpoint,
    normalize_params,
    resolve_base_url,
)
from tests.core.conftest import (
    MSGS,
    Server,
    chunk,
    completion_json,
    reply_json,
    reply_raw,
    reply_sse,
    sse_body,
    sse_event,
)

GROUNDED_PATH = "/ai/v2/chat/completions/grounded"
CITATIONS = [
    {"source_id": "s1", "title": "John 3:16", "url": "https://example.invalid/j316", "snippet": "For God so loved"}
]


def grounded_json(**extra: Any) -> dict[str, Any]:
    return completion_json("Grounded answer.", **{"sources_returned": True, "citations": CITATIONS, **extra})


# -- endpoint ---------------------------------------------------------------------------------


def test_grounded_endpoint_is_v2_routing_on_its_own_path():
    assert get_endpoint("gloo-v2-grounded") is GLOO_V2_GROUNDED and get_endpoint("grounded") is GLOO_V2_GROUNDED
    assert GLOO_V2_GROUNDED.chat_path == GROUNDED_PATH
    assert GLOO_V2_GROUNDED.grounding and GLOO_V2_GROUNDED.routing
    assert not GLOO_V2.grounding and not GRAVIX.grounding
    # a pasted OpenAI-SDK suffix is stripped as for v2
    assert resolve_base_url(GLOO_V2_GROUNDED, "https://platform.ai.gloo.com/ai/v2/") == "https://platform.ai.gloo.com"


# -- request rules (ValueError before any request) --------------------------------------------


def test_grounded_fields_are_sent_with_v2_routing():
    body = build_body(
        GLOO_V2_GROUNDED,
        MSGS,
        {
            "auto_routing": True,
            "tradition": "Catholic",
            "rag_publisher": " MyPublisher ",
            "sources_limit": 3,
            "include_citations": True,
            "parallel_tool_calls": False,
        },
        stream=False,
    )
    assert body == {
        "auto_routing": True,
        "tradition": "catholic",
        "rag_publisher": "MyPublisher",
        "sources_limit": 3,
        "include_citations": True,
        "parallel_tool_calls": False,
        "messages": MSGS,
    }


def test_rag_publisher_is_sent_only_when_given():
    body = build_body(GLOO_V2_GROUNDED, MSGS, {"model_family": "google"}, stream=True)
    assert "rag_publisher" not in body and "sources_limit" not in body and "include_citations" not in body
    assert body["stream"] is True and body["model_family"] == "google"


@pytest.mark.parametrize("limit", [1, 10])
def test_sources_limit_bounds_are_accepted(limit):
    assert normalize_params(GLOO_V2_GROUNDED, {"auto_routing": True, "sources_limit": limit})["sources_limit"] == limit


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sources_limit": 0}, "sources_limit"),
        ({"sources_limit": 11}, "sources_limit"),
        ({"sources_limit": 2.5}, "sources_limit"),
        ({"sources_limit": True}, "sources_limit"),
        ({"sources_limit": "3"}, "sources_limit"),
        ({"rag_publisher": ""}, "rag_publisher"),
        ({"rag_publisher": "   "}, "rag_publisher"),
        ({"rag_publisher": 7}, "rag_publisher"),
        ({"include_citations": "yes"}, "include_citations"),
        ({"parallel_tool_calls": 1}, "parallel_tool_calls"),
        ({"tradition": "reformed"}, "tradition"),
    ],
)
def test_invalid_grounded_fields_name_the_field(params, field):
    with pytest.raises(ValueError, match=field):
        normalize_params(GLOO_V2_GROUNDED, {"auto_routing": True, **params})


def test_grounded_route_keeps_exactly_one_routing_mechanism():
    with pytest.raises(ValueError, match="exactly one routing mechanism"):
        normalize_params(GLOO_V2_GROUNDED, {"auto_routing": True, "model": "gloo-x"})
    with pytest.raises(ValueError, match="exactly one routing mechanism"):
        normalize_params(GLOO_V2_GROUNDED, {"sources_limit": 2})


@pytest.mark.parametrize("endpoint", [GLOO_V2, GRAVIX])
@pytest.mark.parametrize("field", ["rag_publisher", "sources_limit", "include_citations"])
def test_grounding_fields_are_refused_on_other_routes(endpoint, field):
    value = {"rag_publisher": "P", "sources_limit": 2, "include_citations": True}[field]
    base = {"auto_routing": True} if endpoint is GLOO_V2 else {"model": "m"}
    with pytest.raises(ValueError, match=f"{field} is an option of Gloo grounded completions"):
        normalize_params(endpoint, {**base, field: value})


def test_adapter_constructor_rule():
    check_grounded_options(True, "v2", {"rag_publisher": "P"})
    check_grounded_options(False, "v2", {"rag_publisher": None})
    with pytest.raises(ValueError, match="rag_publisher is a grounded-completion option: pass grounded=True"):
        check_grounded_options(False, "v2", {"rag_publisher": "P"})
    with pytest.raises(ValueError, match="sources_limit, include_citations are grounded-completion options"):
        check_grounded_options(False, "v2", {"sources_limit": 2, "include_citations": False})
    with pytest.raises(ValueError, match="api_version='v2'"):
        check_grounded_options(True, "v1", {})


async def test_validation_errors_come_before_any_request(make):
    server = Server()
    driver = make("gloo-v2-grounded", server, api_key="k")
    with pytest.raises(ValueError, match="sources_limit"):
        await driver.create(auto_routing=True, sources_limit=20)
    with pytest.raises(ValueError, match="sources_limit"):
        await driver.stream(auto_routing=True, sources_limit=0)
    assert server.seen == []


# -- results ------------------------------------------------------------------------------------


async def test_create_posts_to_the_grounded_path_and_reads_grounding(make):
    server = Server(chat=[reply_json(grounded_json(provider="OpenAI", routing_mechanism="auto_routing"))])
    driver = make("gloo-v2-grounded", server, api_key="k")
    completion = await driver.create(auto_routing=True, include_citations=True, sources_limit=2)
    (seen,) = server.chat_requests
    assert seen.path == GROUNDED_PATH
    assert seen.json()["include_citations"] is True and seen.json()["sources_limit"] == 2
    assert completion.grounding is not None
    assert completion.grounding.as_dict() == {"sources_returned": True, "citations": CITATIONS}
    assert completion.routing is not None and completion.routing.routing_mechanism == "auto_routing"
    assert completion.message.text == "Grounded answer."


@pytest.mark.parametrize(
    "citations",
    [
        ["John 3:16", "Psalm 23:1"],  # strings
        [{"source": {"doc": {"id": 1, "pages": [3, 4]}}, "score": 0.9}],  # nested objects
        {"s1": {"title": "T"}},  # an object, not a list
        [[1, 2], None, 3],  # anything at all
    ],
)
def test_citations_are_kept_verbatim_whatever_their_shape(citations):
    completion = ChatCompletion.model_validate(completion_json("x", sources_returned=True, citations=citations))
    assert completion.grounding is not None
    assert completion.grounding.as_dict()["citations"] == citations
    assert completion.grounding.citations == citations


def test_no_sources_found():
    completion = ChatCompletion.model_validate(completion_json("Answer without sources.", sources_returned=False))
    assert completion.grounding is not None
    assert completion.grounding.as_dict() == {"sources_returned": False, "citations": []}
    assert completion.message.text == "Answer without sources."


def test_plain_answers_have_no_grounding():
    assert ChatCompletion.model_validate(completion_json("x", provider="OpenAI")).grounding is None


def test_unknown_grounding_values_are_kept():
    # a non-bool sources_returned is not coerced into a lie; unknown extras survive
    grounding = Grounding.from_payload({"sources_returned": "some", "citations": None})
    assert grounding is not None
    assert grounding.sources_returned is None
    assert grounding.as_dict() == {"sources_returned": None, "citations": [], "sources_returned_raw": "some"}


def test_grounding_inside_the_message_is_found_too():
    body = completion_json("x")
    body["choices"][0]["message"]["citations"] = ["c1"]
    completion = ChatCompletion.model_validate(body)
    assert completion.grounding is not None and completion.grounding.citations == ["c1"]


# -- streams ------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["first", "last", "split"])
def test_accumulator_collects_grounding_from_whichever_chunk_carries_it(where):
    first_extra: dict[str, Any] = {}
    last_extra: dict[str, Any] = {}
    if where == "first":
        first_extra = {"sources_returned": True, "citations": CITATIONS}
    elif where == "last":
        last_extra = {"sources_returned": True, "citations": CITATIONS}
    else:
        first_extra, last_extra = {"sources_returned": True}, {"citations": CITATIONS}
    chunks = [chunk("Hel", **first_extra), chunk("lo"), chunk(None, "stop", **last_extra)]
    acc = StreamAccumulator()
    deltas = [acc.add(c) for c in chunks]
    carrying = [i for i, d in enumerate(deltas) if d.grounding is not None]
    assert carrying == {"first": [0], "last": [2], "split": [0, 2]}[where]
    assert deltas[carrying[-1]].grounding.as_dict() == {"sources_returned": True, "citations": CITATIONS}
    completion = acc.completion()
    assert completion.grounding is not None
    assert completion.grounding.as_dict() == {"sources_returned": True, "citations": CITATIONS}
    assert completion.message.text == "Hello"


def test_a_later_null_does_not_erase_citations():
    acc = StreamAccumulator()
    acc.add(chunk("a", citations=["x"], sources_returned=True))
    acc.add(chunk(None, "stop", citations=None))
    assert acc.completion().grounding.as_dict() == {"sources_returned": True, "citations": ["x"]}


def test_streamed_citations_keep_their_shape():
    odd = [{"nested": {"deep": [1, {"k": "v"}]}}, "plain"]
    acc = StreamAccumulator()
    acc.add(chunk("a"))
    acc.add(chunk(None, "stop", sources_returned=True, citations=odd))
    assert acc.completion().grounding.citations == odd
    assert acc.completion().model_dump()["citations"] == odd


async def test_stream_against_the_grounded_path(make):
    events = sse_body(
        chunk("", provider="OpenAI", routing_mechanism="auto_routing"),
        chunk("Grounded "),
        chunk("answer."),
        chunk(None, "stop", sources_returned=True, citations=CITATIONS),
    )
    server = Server(chat=[reply_sse(events)])
    driver = make("gloo-v2-grounded", server, api_key="k")
    result = await driver.stream(auto_routing=True, include_citations=True)
    assert result.error is None
    assert server.chat_requests[0].path == GROUNDED_PATH
    assert result.text == "Grounded answer."
    assert [d.grounding is not None for d in result.deltas] == [False, False, False, True]
    assert result.completion.grounding.as_dict() == {"sources_returned": True, "citations": CITATIONS}


async def test_a_server_ignoring_stream_true_still_yields_grounding(make):
    server = Server(chat=[reply_json(grounded_json())])
    driver = make("gloo-v2-grounded", server, api_key="k")
    result = await driver.stream(auto_routing=True)
    assert result.error is None
    assert result.deltas[0].grounding is not None
    assert result.completion.grounding.as_dict()["citations"] == CITATIONS


# -- faults, as the chat routes are tested -----------------------------------------------------


async def test_429_then_200_is_retried(make, sleeps):
    server = Server(
        chat=[reply_json({"error": "Rate limit exceeded"}, 429, {"Retry-After": "1"}), reply_json(grounded_json())]
    )
    driver = make("gloo-v2-grounded", server, api_key="k")
    completion = await driver.create(auto_routing=True)
    assert len(server.chat_requests) == 2 and sleeps
    assert completion.grounding.as_dict()["sources_returned"] is True


async def test_500_is_a_server_error_after_the_retries(make):
    body = {"error": {"code": 5001, "message": "boom", "fault": "internal", "retryable": True}}
    server = Server(chat=[reply_json(body, 500)])
    driver = make("gloo-v2-grounded", server, api_key="k", max_retries=1)
    with pytest.raises(ServerError) as info:
        await driver.create(auto_routing=True)
    assert info.value.status_code == 500 and len(server.chat_requests) == 2


async def test_malformed_body(make):
    server = Server(chat=[reply_raw(b'{"id": "x", "choices": [', 200, {"content-type": "application/json"})])
    driver = make("gloo-v2-grounded", server, api_key="k", max_retries=0)
    with pytest.raises(MalformedResponseError):
        await driver.create(auto_routing=True)


async def test_mid_stream_error_keeps_the_partial_text(make):
    error_chunk = {
        "id": "s",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "error"}],
        "error": {"code": 3001, "type": "internal_error", "message": "Streaming error occurred", "fault": "internal"},
    }
    server = Server(chat=[reply_sse(sse_event(chunk("Part ")), sse_event(chunk("of it")), sse_event(error_chunk))])
    driver = make("gloo-v2-grounded", server, api_key="k", max_retries=0)
    result = await driver.stream(auto_routing=True)
    assert isinstance(result.error, StreamError)
    assert result.error.partial_text == "Part of it"
