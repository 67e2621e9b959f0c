"""Issue 20.8 (and the setting checks of 20.10): every configuration value is checked when a client or model is
built, with our typed error naming the setting, never quoting a value that may hold a secret (a URL's query, a
proxy URL's password). Before: ``max_body_bytes="64MB"`` gave ``TypeError`` on the first call, 0 and -1 were
accepted, a SOCKS proxy without socksio gave ``ImportError``, a malformed ``HTTP_PROXY`` ``httpx.InvalidURL``,
port 99999 was accepted, and a bad-scheme or host-less base_url was quoted whole, query and key included."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from langchain_gloo_gravix.core import AsyncClient, Client, ConfigurationError

SECRET = "sk-in-the-query-123"


def build(api: str, **kw: Any) -> Any:
    """Construct (and, for the frameworks, make the first call build) a client; the error it raises."""
    if api == "core":
        return Client("gravix", api_key="k", **kw)
    if api == "core-async":
        return AsyncClient("gravix", api_key="k", **kw)
    if api == "langchain":
        from langchain_gloo_gravix import ChatGravixLayer

        return ChatGravixLayer(model="m", api_key="k", **kw)
    from llama_index_ext import GravixLayer

    return GravixLayer(model="m", api_key="k", **kw)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_body_bytes", "64MB"),
        ("max_body_bytes", 0),
        ("max_body_bytes", 1.5),
        ("max_event_bytes", -1),
        ("max_event_bytes", True),
    ],  # fmt: skip
)
@pytest.mark.parametrize("api", ["core", "core-async"])
def test_caps_are_checked_at_construction(api, name, value):
    with pytest.raises(ConfigurationError, match=name):
        build(api, **{name: value})


@pytest.mark.parametrize("api", ["core", "core-async"])
def test_caps_accept_positive_integers_and_none(api):
    client = build(api, max_body_bytes=1024, max_event_bytes=None)
    assert client._settings.max_body_bytes == 1024 and client._settings.max_event_bytes is None


BAD_URLS = {
    "bad scheme": f"ftp://api.example.com/v1?key={SECRET}",
    "no host": f"https://?key={SECRET}",
    "port out of range": f"https://api.example.com:99999/v1?key={SECRET}",
    "port zero": "https://api.example.com:0/v1",
}


@pytest.mark.parametrize("url", sorted(BAD_URLS), ids=str)
@pytest.mark.parametrize("api", ["core", "langchain", "llama_index"])
def test_bad_base_url_refused_without_quoting_its_query(api, url):
    with pytest.raises(Exception) as info:
        build(api, base_url=BAD_URLS[url])
    text = str(info.value)
    assert isinstance(info.value, (ConfigurationError, ValueError)), type(info.value)
    assert "base_url" in text
    assert SECRET not in text and "key=" not in text


PROXY_PASSWORD = "pr0xy-pa55"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HTTP_PROXY", f"http://user:{PROXY_PASSWORD}@[::1"),
        ("HTTPS_PROXY", f"http://user:{PROXY_PASSWORD}@proxy.example:99999"),
        ("ALL_PROXY", f"ftp://user:{PROXY_PASSWORD}@proxy.example:21"),
        ("https_proxy", f"http://user:{PROXY_PASSWORD}@proxy example:8080"),
    ],
)
@pytest.mark.parametrize("api", ["core", "core-async", "langchain", "llama_index"])
async def test_malformed_proxy_variable_is_a_typed_error_naming_it(monkeypatch, api, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(Exception) as info:
        model = build(api)
        if api == "langchain":
            model.invoke("hi")
        elif api == "llama_index":
            model.complete("hi")
    assert isinstance(info.value, ConfigurationError) or "ConfigurationError" in repr(info.value.__cause__), info.value
    assert variable in str(info.value)
    assert PROXY_PASSWORD not in str(info.value)


@pytest.mark.skipif(importlib.util.find_spec("socksio") is not None, reason="socksio is installed")
@pytest.mark.parametrize("api", ["core", "core-async", "langchain"])
def test_socks_proxy_without_socksio_says_what_to_install(monkeypatch, api):
    monkeypatch.setenv("ALL_PROXY", f"socks5://user:{PROXY_PASSWORD}@127.0.0.1:1080")
    with pytest.raises(Exception) as info:
        model = build(api)
        if api == "langchain":
            model.invoke("hi")
    assert "ALL_PROXY" in str(info.value) and "socksio" in str(info.value)
    assert PROXY_PASSWORD not in str(info.value)
    assert not isinstance(info.value, ImportError)


def test_a_lower_case_proxy_variable_wins_as_in_urllib(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://[::1")  # shadowed by the valid lower-case one
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:3128")
    Client("gravix", api_key="k").close()
