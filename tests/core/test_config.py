"""Configuration checked at construction: the pure checks (core/config.py) and the
scrubber (core/redact.py). The same values are run through the clients and both
adapters in tests/adapters/test_configuration_and_credentials.py."""

from __future__ import annotations

import base64
import math
import warnings

import httpx
import pytest

from langchain_gloo_gravix.core import GlooGravixError
from langchain_gloo_gravix.core.config import (
    CleartextBaseURLWarning,
    ConfigurationError,
    check_base_url,
    check_headers,
    check_max_retries,
    check_stream_idle_timeout,
    check_timeout,
    display_url,
    to_httpx_timeout,
)
from langchain_gloo_gravix.core.redact import redact, redact_error, secret_forms

DEFAULT = httpx.Timeout(5.0)


# -- timeout -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,parts",
    [
        (None, None),
        (30, {"connect": 10.0, "read": 30.0, "write": 30.0, "pool": 30.0}),
        (2.5, {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}),
        ((3, 60), {"connect": 3.0, "read": 60.0, "write": 60.0, "pool": 60.0}),
        ([3, 60], {"connect": 3.0, "read": 60.0, "write": 60.0, "pool": 60.0}),
        (httpx.Timeout(7.0, connect=1.0), {"connect": 1.0, "read": 7.0, "write": 7.0, "pool": 7.0}),
        (httpx.Timeout(None), {"connect": None, "read": None, "write": None, "pool": None}),
        ({"connect": 1, "read": 2, "write": 3, "pool": 4}, {"connect": 1.0, "read": 2.0, "write": 3.0, "pool": 4.0}),
    ],
)
def test_timeout_accepted_forms(value, parts):
    assert check_timeout(value) == parts
    timeout = to_httpx_timeout(value, DEFAULT)
    assert timeout.as_dict() == (DEFAULT.as_dict() if parts is None else parts)


@pytest.mark.parametrize(
    "value,message",
    [
        ("30", r"must be seconds, a \(connect, read\) pair or an httpx.Timeout, got a str"),
        (True, "got a bool"),
        (0, "positive, finite"),
        (-1, "positive, finite"),
        (math.nan, "positive, finite"),
        (math.inf, "positive, finite"),
        ((1, 2, 3), r"\(connect, read\), got 3 items"),
        ((0, 5), r"timeout\[0\] \(connect\) must be a positive"),
        ((5, "x"), r"timeout\[1\] \(read\) must be a number"),
        (httpx.Timeout(5.0, read=-1.0), "timeout.read must be a positive"),
        ({"connect": 1, "bogus": 2}, "unknown parts"),
        (object(), "got a object"),
    ],
)
def test_timeout_refused_with_a_clear_error(value, message):
    with pytest.raises(ConfigurationError, match=message) as info:
        check_timeout(value)
    # a package error and a ValueError, never retried
    assert isinstance(info.value, GlooGravixError) and isinstance(info.value, ValueError)
    assert info.value.retryable is False


def test_max_retries_and_stream_idle_timeout():
    assert check_max_retries(0) == 0 and check_max_retries(5) == 5
    for bad, message in ((-1, "got -1"), ("2", "got a str"), (True, "got a bool"), (1.5, "got a float")):
        with pytest.raises(ConfigurationError, match=message):
            check_max_retries(bad)
    assert check_stream_idle_timeout(None) is None and check_stream_idle_timeout(3) == 3.0
    for bad in (0, -2, math.nan, math.inf, "5", False):
        with pytest.raises(ConfigurationError, match="stream_idle_timeout must be"):
            check_stream_idle_timeout(bad)


# -- base URL ------------------------------------------------------------------------------------


def test_base_url_scheme_is_case_insensitive_and_normalised():
    assert check_base_url("HTTPS://Api.Example.com/v1") == "https://Api.Example.com/v1"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_base_url("HTTP://127.0.0.1:8787") == "http://127.0.0.1:8787"


@pytest.mark.parametrize(
    "url",
    ["https://user:CANARY-PASS@host.example/v1", "http://CANARY-PASS@127.0.0.1:1", "user:CANARY-PASS@host.example"],
)
def test_base_url_userinfo_refused_without_showing_the_password(url):
    with pytest.raises(ConfigurationError, match="user:password@") as info:
        check_base_url(url, "env GLOO_BASE_URL")
    assert "CANARY-PASS" not in str(info.value) and "env GLOO_BASE_URL" in str(info.value)
    assert "CANARY-PASS" not in display_url(url)


@pytest.mark.parametrize(
    "url,message",
    [
        ("https://h.example/v1?key=CANARY-Q", r"must not have a \?query or #fragment"),
        ("https://h.example/v1#frag", r"must not have a \?query or #fragment"),
        ("https://h.example/v1?", r"must not have a \?query or #fragment"),
        ("ftp://h.example", "must start with http:// or https://"),
        ("h.example/v1", "must start with http:// or https://"),
        ("https://", "has no host"),
        ("https://h.example/v 1", "whitespace or control"),
        ("https://h.example/v1\n", "whitespace or control"),
    ],
)
def test_base_url_refused(url, message):
    with pytest.raises(ConfigurationError, match=message) as info:
        check_base_url(url)
    assert "CANARY-Q" not in str(info.value)  # a query is where keys hide: not shown


@pytest.mark.parametrize(
    "url,warns",
    [
        ("http://api.example.com", True),
        ("http://10.0.0.5:8080", True),
        ("http://localhost:8787", False),
        ("http://127.0.0.1:8787", False),
        ("http://127.9.9.9", False),
        ("http://[::1]:8787", False),
        ("http://svc.localhost", False),
        ("https://api.example.com", False),
    ],
)
def test_cleartext_http_to_a_remote_host_warns(url, warns):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        check_base_url(url)
    found = [w for w in seen if issubclass(w.category, CleartextBaseURLWarning)]
    assert bool(found) is warns
    if warns:
        assert found[0].filename == __file__  # points at the caller, not at the package


# -- headers ---------------------------------------------------------------------------------------


def test_headers_accepted():
    assert check_headers(None) == {}
    assert check_headers({"X-Team": "a b", "Authorization": "Bearer x\ty"}) == {
        "X-Team": "a b",
        "Authorization": "Bearer x\ty",
    }


@pytest.mark.parametrize(
    "headers,message",
    [
        ({"X-Key": "CANARY-H\n"}, r"default_headers\['X-Key'\] has leading or trailing whitespace"),
        ({"X-Key": " CANARY-H"}, "leading or trailing whitespace"),
        ({"X-Key": "CANARY\r\nX-Evil: 1"}, "a control character"),
        ({"X-Key": "CANARY-H\u00e9"}, "non-ASCII"),
        ({"X-Key": 5}, "must be a string, got a int"),
        ({"Bad Name": "v"}, "is not a valid header name"),
        ({"": "v"}, "is not a valid header name"),
        (["X-Key"], "must be a mapping"),
    ],
)
def test_bad_headers_refused_naming_the_header_never_the_value(headers, message):
    with pytest.raises(ConfigurationError, match=message) as info:
        check_headers(headers)
    assert "CANARY" not in str(info.value)


# -- scrubbing server text --------------------------------------------------------------------------


def test_secret_forms_cover_basic_header_and_percent_encoding():
    forms = secret_forms(client_id="id 1", client_secret="se/cr=et+", api_key="key-123456")
    raw = base64.b64encode(b"id 1:se/cr=et+").decode()
    encoded = base64.b64encode(b"id%201:se%2Fcr%3Det%2B").decode()
    assert {"se/cr=et+", "se%2Fcr%3Det%2B", raw, encoded, "key-123456"} <= set(forms)
    assert list(forms) == sorted(forms, key=len, reverse=True)
    assert secret_forms(api_key="abc") == ()  # too short to scrub by value


def test_redact_replaces_our_secrets_and_any_long_bearer_or_basic_value():
    forms = secret_forms(client_id="cid", client_secret="CANARY-SECRET-1")
    basic = base64.b64encode(b"cid:CANARY-SECRET-1").decode()
    text = f"bad client: Authorization: Basic {basic}; secret=CANARY-SECRET-1; token: Bearer abcdefghijklmnop"
    out = redact(text, forms)
    assert "CANARY" not in out and basic not in out and "abcdefghijklmnop" not in out
    assert out.startswith("bad client: Authorization: Basic ***")
    assert redact("Bearer token required") == "Bearer token required"  # short words are left alone


def test_redact_error_scrubs_message_args_body_and_headers():
    from langchain_gloo_gravix.core.errors import error_from_response

    raw = b'{"error": {"message": "denied: Bearer CANARY-KEY-123456", "echo": ["CANARY-KEY-123456"]}}'
    error = error_from_response(401, {"x-echo": "CANARY-KEY-123456"}, raw, endpoint="gravix")
    redact_error(error, secret_forms(api_key="CANARY-KEY-123456"))
    for text in (str(error), repr(error), repr(error.args), str(error.body), str(error.headers), error.server_message):
        assert "CANARY" not in text
    assert error.status_code == 401 and error.body["error"]["echo"] == ["***"]
