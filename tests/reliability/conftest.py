"""Shared pieces of the reliability tests: hostile loopback servers (tests/core/fault_server.py) met through the
core, LangChain and LlamaIndex alike."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from tests.core import fault_server as fs

PROXY_VARS = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)
CREDENTIAL_VARS = ("GLOO_CLIENT_ID", "GLOO_CLIENT_SECRET", "GLOO_AI_CLIENT_ID", "GLOO_AI_CLIENT_SECRET",
                   "GLOO_API_KEY", "GLOO_BASE_URL", "GRAVIXLAYER_API_KEY", "GRAVIXLAYER_BASE_URL")  # fmt: skip


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in PROXY_VARS + CREDENTIAL_VARS:
        monkeypatch.delenv(name, raising=False)


def echo_script(**by_kind: Callable[[int], fs.Action]) -> fs.Script:
    """Chat requests answered with their own nonce (the last message's text), as a completion or a stream."""

    def run(kind: str, n: int) -> fs.Action:
        if kind in by_kind:
            return by_kind[kind](n)
        if kind == "token":
            return fs.token()
        return fs.reply(200, fs.completion("{nonce}"))

    return run


def gravix_kwargs(server: fs.FaultServer, **kw: Any) -> dict[str, Any]:
    return {"base_url": server.url, "api_key": "gx-key", **kw}
