"""Shared pieces of the reliability tests: hostile loopback servers (tests/support/fault_server.py) met through
the core, LangChain and LlamaIndex alike. The environment is cleaned by the root conftest (credentials, proxies)."""

from __future__ import annotations

from typing import Any, Callable

from tests.support import fault_server as fs


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
