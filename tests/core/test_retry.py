"""RetryPolicy and server_wait: what is retried, how long to wait, when to stop."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from email.utils import format_datetime

import httpx
import pytest

from langchain_gloo_gravix.core import (
    APIConnectionError,
    APITimeoutError,
    GlooGravixError,
    RetryPolicy,
    StreamError,
    StreamTimeoutError,
)
from langchain_gloo_gravix.core.errors import error_from_response
from langchain_gloo_gravix.core.retry import server_wait

NO_JITTER = RetryPolicy(max_retries=3, initial_delay=1.0, max_delay=8.0, jitter=lambda: 1.0)


def status_error(status: int, body=None, headers=None):
    raw = json.dumps(body).encode() if body is not None else b""
    return error_from_response(status, httpx.Headers(headers or {}), raw, endpoint="gloo-v2")


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 529])
def test_retryable_statuses(status):
    assert NO_JITTER.delay(0, status_error(status)) == 1.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_never_retried_statuses(status):
    # even when a body claims otherwise
    err = status_error(status, {"error": {"message": "x", "retryable": True}})
    assert err.retryable is False
    assert NO_JITTER.delay(0, err) is None


def test_connection_errors_and_timeouts_are_retried():
    assert NO_JITTER.delay(0, APIConnectionError("reset")) == 1.0
    assert NO_JITTER.delay(0, APITimeoutError("slow")) == 1.0
    assert NO_JITTER.delay(0, StreamTimeoutError("idle")) == 1.0


def test_unmapped_4xx_is_not_retried_unless_the_body_says_so():
    assert NO_JITTER.delay(0, status_error(418)) is None
    # Gloo's guidance: retry on 408, 429, 5xx or an explicit retryable:true
    assert NO_JITTER.delay(0, status_error(418, {"error": {"retryable": True}})) == 1.0


def test_retryable_false_body_is_not_retried():
    err = status_error(503, {"error": {"code": 2006, "type": "service_unavailable_error", "retryable": False}})
    assert NO_JITTER.delay(0, err) is None
    err = status_error(503, {"error": {"code": 2006, "type": "service_unavailable_error", "retryable": True}})
    assert NO_JITTER.delay(0, err) == 1.0


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"name": "SPENDING_LIMIT_EXCEEDED", "message": "Weekly spending limit reached"}},
        {"error": "Spending limit exceeded", "code": "SPENDING_LIMIT_EXCEEDED"},
        {"error": {"message": "SPENDING_LIMIT_EXCEEDED: cap of $100 reached"}},
        {"error": {"name": "RATE_LIMITED", "message": "quota", "retryable": False}},
    ],
)
def test_spending_limit_429_is_not_retried(body):
    err = status_error(429, body, {"Retry-After": "1"})
    assert err.retryable is False
    assert NO_JITTER.delay(0, err) is None


def test_plain_rate_limit_429_is_retried():
    err = status_error(429, {"error": "Rate limit exceeded", "code": "too_many_requests"})
    assert err.retryable is True


def test_foreign_exceptions_and_non_retryable_stream_errors_are_not_retried():
    assert NO_JITTER.delay(0, ValueError("bug")) is None
    assert NO_JITTER.delay(0, httpx.ConnectError("raw httpx, not translated")) is None
    assert NO_JITTER.delay(0, StreamError("content_filter")) is None
    assert NO_JITTER.delay(0, StreamError("gloo", retryable=True)) == 1.0
    assert NO_JITTER.delay(0, GlooGravixError("base")) is None


# -- server-given waits ----------------------------------------------------------------------

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    "headers,expected",
    [
        ({"retry-after": "7"}, 7.0),
        ({"Retry-After": "2.5"}, 2.5),
        ({"retry-after": format_datetime(datetime.fromtimestamp(NOW + 30, timezone.utc), usegmt=True)}, 30.0),
        ({"retry-after": format_datetime(datetime.fromtimestamp(NOW - 30, timezone.utc), usegmt=True)}, 0.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"x-ratelimit-reset": str(int(NOW + 12))}, 12.0),
        ({"X-RateLimit-Reset": "45"}, 45.0),
        ({"x-ratelimit-reset": str(int(NOW - 5))}, 0.0),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": "not a date", "x-ratelimit-reset": "4"}, 4.0),
        ({"x-ratelimit-reset": "soon"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_server_wait(headers, expected):
    got = server_wait(headers, now=NOW)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, abs=1e-6)


def test_server_wait_reads_httpx_headers_case_insensitively():
    assert server_wait(httpx.Headers({"Retry-After": "3"}), now=NOW) == 3.0


def test_server_wait_is_used_and_capped_at_max_wait():
    policy = RetryPolicy(max_retries=3, max_wait=20.0, jitter=lambda: 1.0)
    assert policy.delay(0, status_error(429, headers={"Retry-After": "5"})) == 5.0
    assert policy.delay(0, status_error(429, headers={"Retry-After": "600"})) == 20.0
    assert policy.delay(0, status_error(503, headers={"retry-after-ms": "120"})) == pytest.approx(0.12)
    # explicit headers win over the error's own
    assert policy.delay(0, status_error(429, headers={"Retry-After": "5"}), {"retry-after": "2"}) == 2.0


def test_server_wait_as_http_date_through_the_policy():
    future = datetime.now(timezone.utc).timestamp() + 3600
    err = status_error(
        429, headers={"Retry-After": format_datetime(datetime.fromtimestamp(future, timezone.utc), usegmt=True)}
    )
    assert RetryPolicy(max_wait=60.0).delay(0, err) == 60.0


def test_x_ratelimit_reset_unix_time_through_the_policy():
    in_ten = datetime.now(timezone.utc).timestamp() + 10
    err = status_error(429, headers={"X-RateLimit-Reset": str(int(in_ten))})
    wait = RetryPolicy().delay(0, err)
    assert 8.0 <= wait <= 10.0


def test_retry_after_on_plain_error_object_with_dict_headers():
    err = APIConnectionError("x", headers={"Retry-After": "4"})
    assert RetryPolicy().delay(0, err) == 4.0


# -- backoff -------------------------------------------------------------------------------


def test_backoff_doubles_and_is_capped():
    policy = RetryPolicy(max_retries=10, initial_delay=0.5, max_delay=3.0, jitter=lambda: 1.0)
    err = status_error(503)
    assert [policy.delay(a, err) for a in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


@pytest.mark.parametrize("attempt,backoff", [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (6, 8.0)])
def test_jitter_bounds(attempt, backoff):
    err = status_error(500)
    low = RetryPolicy(max_retries=10, jitter=lambda: 0.0).delay(attempt, err)
    high = RetryPolicy(max_retries=10, jitter=lambda: 1.0).delay(attempt, err)
    mid = RetryPolicy(max_retries=10, jitter=lambda: 0.5).delay(attempt, err)
    assert low == pytest.approx(backoff / 2)
    assert high == pytest.approx(backoff)
    assert mid == pytest.approx(backoff * 0.75)


def test_default_jitter_stays_within_bounds():
    policy = RetryPolicy(max_retries=5)
    err = status_error(502)
    values = [policy.delay(2, err) for _ in range(200)]
    assert all(1.0 <= v <= 2.0 for v in values)
    assert len(set(values)) > 1  # it is actually random


def test_attempt_limit():
    policy = RetryPolicy(max_retries=2, jitter=lambda: 1.0)
    err = status_error(503)
    assert policy.delay(0, err) is not None
    assert policy.delay(1, err) is not None
    assert policy.delay(2, err) is None
    assert RetryPolicy(max_retries=0).delay(0, err) is None


def test_negative_max_retries_rejected():
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
