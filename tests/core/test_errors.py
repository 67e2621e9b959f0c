"""Error extraction from every documented body shape, status mapping, pickling."""

from __future__ import annotations

import json
import pickle

import httpx
import pytest

from langchain_gloo_gravix.core import errors as E
from langchain_gloo_gravix.core.error_text import extract_error_details, request_id_from_headers
from langchain_gloo_gravix.core.errors import error_from_response


def from_body(status: int, body, headers=None, endpoint: str = "gloo-v2"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return error_from_response(status, httpx.Headers(headers or {}), raw, endpoint=endpoint)


# -- extraction ------------------------------------------------------------------------------

SHAPES = {
    "detail_string_v1_5xx": ({"detail": "Error generating response."}, {"message": "Error generating response."}),
    "fastapi_detail_list": (
        {
            "detail": [
                {
                    "type": "less_than_equal",
                    "loc": ["body", "temperature"],
                    "msg": "Input should be less than or equal to 2",
                    "input": 3,
                },
                {"type": "missing", "loc": ["body", "messages"], "msg": "Field required", "input": None},
            ]
        },
        {"message": "body.temperature: Input should be less than or equal to 2; body.messages: Field required"},
    ),
    "message": ({"message": "only one routing mechanism allowed"}, {"message": "only one routing mechanism allowed"}),
    "error_string_with_code": (
        {"error": "Missing Authorization", "code": "unauthorized_missing_authorization"},
        {"message": "Missing Authorization", "code": "unauthorized_missing_authorization"},
    ),
    "error_message_openai_style": (
        {"error": {"message": "model not found", "type": "invalid_request_error"}},
        {"message": "model not found", "code": "invalid_request_error"},
    ),
    "gloo_ai_error_object": (
        {
            "error": {
                "code": 2002,
                "name": "PROVIDER_UNAVAILABLE",
                "type": "service_unavailable_error",
                "message": "The model provider is unavailable",
                "category": "provider_error",
                "fault": "provider",
                "retryable": True,
                "provider_name": "anthropic",
                "trace_id": "trace-abc",
            }
        },
        {
            "message": "The model provider is unavailable",
            "code": "PROVIDER_UNAVAILABLE",
            "retryable": True,
            "fault": "provider",
            "request_id": "trace-abc",
        },
    ),
    "gloo_numeric_code_only": (
        {
            "error": {
                "code": 2006,
                "type": "service_unavailable_error",
                "fault": "provider",
                "retryable": True,
                "message": "empty completion",
            }
        },
        {"message": "empty completion", "code": 2006, "fault": "provider", "retryable": True},
    ),
    "gloo_invalid_request": (
        {
            "error": {
                "code": 1001,
                "name": "INVALID_REQUEST",
                "category": "client_error",
                "fault": "client",
                "retryable": False,
                "message": "bad request",
                "request_id": "req-1",
            }
        },
        {
            "message": "bad request",
            "code": "INVALID_REQUEST",
            "fault": "client",
            "retryable": False,
            "request_id": "req-1",
        },
    ),
    "gravix_envelope": (
        {
            "error": {
                "code": "validation_error",
                "message": "temperature out of range",
                "details": {"field": "temperature", "reason": "max 2"},
            },
            "meta": {"request_id": "req_gx_1", "timestamp": "2026-01-01T00:00:00Z"},
        },
        {"message": "temperature out of range", "code": "validation_error", "request_id": "req_gx_1"},
    ),
    "error_object_without_message_uses_type": (
        {"error": {"type": "server_error"}},
        {"message": "server_error", "code": "server_error"},
    ),
    "code_only": ({"code": "forbidden"}, {"code": "forbidden"}),
    "detail_wins_over_message": ({"detail": "first", "message": "second"}, {"message": "first"}),
}


@pytest.mark.parametrize("body,expected", list(SHAPES.values()), ids=list(SHAPES))
def test_extract_error_details(body, expected):
    assert extract_error_details(body) == expected


@pytest.mark.parametrize("body", [None, "text", [1, 2], 42])
def test_extract_from_non_objects(body):
    assert extract_error_details(body) == {}


def test_error_from_response_carries_everything():
    body = SHAPES["gloo_ai_error_object"][0]
    err = from_body(503, body, {"x-request-id": "hdr-1", "retry-after": "2"})
    assert type(err) is E.ServerError
    assert err.status_code == 503
    assert err.endpoint == "gloo-v2"
    assert err.code == "PROVIDER_UNAVAILABLE"
    assert err.server_message == "The model provider is unavailable"
    assert err.request_id == "trace-abc"  # the body's id wins over the header's
    assert err.retryable is True
    assert err.body == body
    assert err.headers["retry-after"] == "2"
    assert str(err) == (
        "gloo-v2 answered HTTP 503: The model provider is unavailable "
        "(endpoint=gloo-v2, status=503, code=PROVIDER_UNAVAILABLE, request_id=trace-abc)"
    )


@pytest.mark.parametrize(
    "header", ["x-request-id", "request-id", "x-amzn-requestid", "x-sentry-trace-id", "X-Request-ID"]
)
def test_request_id_from_headers(header):
    assert request_id_from_headers(httpx.Headers({header: "rid-7"})) == "rid-7"
    err = from_body(500, {"detail": "oops"}, {header: "rid-7"})
    assert err.request_id == "rid-7"


def test_no_request_id():
    assert request_id_from_headers(httpx.Headers({})) is None
    assert from_body(500, {"detail": "x"}).request_id is None


# -- status -> class ---------------------------------------------------------------------------

STATUS = [
    (400, E.BadRequestError, False),
    (401, E.AuthenticationError, False),
    (403, E.PermissionDeniedError, False),
    (404, E.NotFoundError, False),
    (408, E.RequestTimeoutError, True),
    (409, E.ConflictError, True),
    (422, E.BadRequestError, False),
    (429, E.RateLimitError, True),
    (500, E.ServerError, True),
    (502, E.ServerError, True),
    (503, E.ServerError, True),
    (504, E.ServerError, True),
    (418, E.APIStatusError, False),
]


@pytest.mark.parametrize("status,cls,retryable", STATUS)
def test_status_to_class(status, cls, retryable):
    err = from_body(status, {"error": "x"})
    assert type(err) is cls
    assert isinstance(err, E.APIStatusError) and isinstance(err, E.GlooGravixError)
    assert err.retryable is retryable
    assert err.status_code == status


@pytest.mark.parametrize(
    "message",
    [
        "This model's maximum context length is 8192 tokens, however you requested 9000",
        "prompt is too long: 210000 tokens > 200000 maximum",
        "input exceeds the context window of this model",
        "Too many tokens in request",
    ],
)
@pytest.mark.parametrize("status", [400, 422])
def test_context_overflow(status, message):
    err = from_body(status, {"error": {"message": message, "type": "invalid_request_error"}})
    assert type(err) is E.ContextOverflowError
    assert isinstance(err, E.BadRequestError)
    assert err.retryable is False


def test_context_hint_on_other_status_is_not_overflow():
    assert type(from_body(500, {"detail": "context length exceeded upstream"})) is E.ServerError


def test_non_json_body_message_names_status_and_first_bytes():
    html = b"<html><head><title>502 Bad Gateway</title></head><body>" + b"x" * 500 + b"</body></html>"
    err = from_body(502, html, endpoint="gravix")
    assert type(err) is E.ServerError
    assert "HTTP 502" in str(err)
    assert "<html><head><title>502 Bad Gateway</title>" in str(err)
    assert str(err).count("x") < 300  # a preview, not the whole page
    assert err.server_message is None
    assert isinstance(err.body, str) and err.body.endswith("...")


def test_empty_body():
    err = from_body(500, b"")
    assert "HTTP 500: no body" in str(err)


def test_error_with_2xx_free_text_json_string():
    err = from_body(400, b'"just a string"')
    assert type(err) is E.BadRequestError
    assert "just a string" in str(err)


# -- pickling --------------------------------------------------------------------------------

ALL_CLASSES = [
    E.GlooGravixError,
    E.MissingCredentialsError,
    E.APIConnectionError,
    E.APITimeoutError,
    E.APIStatusError,
    E.BadRequestError,
    E.ContextOverflowError,
    E.AuthenticationError,
    E.PermissionDeniedError,
    E.NotFoundError,
    E.ConflictError,
    E.RequestTimeoutError,
    E.RateLimitError,
    E.ServerError,
    E.MalformedResponseError,
]


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_pickle_round_trip_keeps_attributes(cls):
    err = cls(
        "boom",
        endpoint="gravix",
        status_code=429,
        request_id="rid",
        code="too_many_requests",
        server_message="slow down",
        body={"error": "slow down"},
        retryable=not cls.retryable,
        headers=httpx.Headers({"Retry-After": "3"}),
    )
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls
    assert str(again) == str(err)
    for attr in (
        "message",
        "endpoint",
        "status_code",
        "request_id",
        "code",
        "server_message",
        "body",
        "retryable",
        "headers",
    ):
        assert getattr(again, attr) == getattr(err, attr), attr
    assert again.retryable is (not cls.retryable)
    assert again.headers == {"retry-after": "3"}


@pytest.mark.parametrize("cls", [E.StreamError, E.StreamTimeoutError], ids=lambda c: c.__name__)
def test_pickle_stream_errors(cls):
    err = cls("cut", partial_text="Hello wor", fault="provider", code=3001, endpoint="gloo-v2", retryable=True)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls
    assert (again.partial_text, again.fault, again.code, again.endpoint, again.retryable) == (
        "Hello wor",
        "provider",
        3001,
        "gloo-v2",
        True,
    )


def test_pickle_error_from_response():
    err = from_body(429, {"error": {"name": "SPENDING_LIMIT_EXCEEDED", "message": "cap"}}, {"x-request-id": "r1"})
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is E.RateLimitError
    assert (again.code, again.retryable, again.request_id, again.status_code) == (
        "SPENDING_LIMIT_EXCEEDED",
        False,
        "r1",
        429,
    )


def test_hierarchy():
    assert issubclass(E.StreamTimeoutError, E.StreamError)
    assert issubclass(E.StreamTimeoutError, E.APITimeoutError)
    assert issubclass(E.APITimeoutError, E.APIConnectionError)
    assert E.StreamTimeoutError.retryable is True
    assert E.StreamError("x").retryable is False
