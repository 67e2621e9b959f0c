"""The direct-to-transport path and the split async pool."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from langchain_gloo_gravix.core import AsyncClient, Client
from langchain_gloo_gravix.core.transport import SplitPoolTransport
from langchain_gloo_gravix.emulator import Emulator


def test_own_client_goes_direct_unless_a_proxy_is_configured(monkeypatch):
    assert Client("gravix", api_key="k", base_url="http://h/v1/inference")._sender.direct is True
    injected = Client("gravix", api_key="k", base_url="http://h/v1/inference", http_client=httpx.Client())
    assert injected._sender.direct is False  # a caller's client keeps its hooks, mounts and cookies
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.local:3128")
    proxied = Client("gravix", api_key="k", base_url="https://h/v1/inference")
    assert proxied._sender.direct is False
    # httpx itself built the transports, so the environment proxy is in its mounts
    http = proxied._sender.http
    transport = http._transport_for_url(httpx.URL("https://h/v1/inference/chat/completions"))
    assert transport is not http._transport


class _Recorder(httpx.AsyncBaseTransport):
    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.calls = 0
        self.gate = gate

    async def handle_async_request(self, request):
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        return httpx.Response(200, stream=httpx.ByteStream(b"{}"))  # open until closed, like a network body


async def test_split_pool_prefers_the_least_busy_pool():
    transport = SplitPoolTransport(pools=4, limits=httpx.Limits(max_connections=8))
    gate = asyncio.Event()
    transport._pools = [_Recorder(gate) for _ in range(4)]
    request = httpx.Request("GET", "http://h/")
    # sequential calls all reuse pool 0 (one warm connection, as with one pool)
    gate.set()
    for _ in range(3):
        await (await transport.handle_async_request(request)).aclose()
    assert [p.calls for p in transport._pools] == [3, 0, 0, 0]
    # concurrent calls spread out, one per pool
    gate.clear()
    tasks = [asyncio.create_task(transport.handle_async_request(request)) for _ in range(4)]
    await asyncio.sleep(0)
    assert [p.calls for p in transport._pools] == [4, 1, 1, 1]
    gate.set()
    responses = await asyncio.gather(*tasks)
    # a request is in flight until its response is closed
    assert transport._in_flight == [1, 1, 1, 1]
    for response in responses:
        await response.aclose()
    assert transport._in_flight == [0, 0, 0, 0]


def test_split_pool_limits_are_divided():
    transport = SplitPoolTransport(pools=8, limits=httpx.Limits(max_connections=256, max_keepalive_connections=128))
    assert len(transport._pools) == 8
    with pytest.raises(ValueError):
        SplitPoolTransport(pools=0, limits=httpx.Limits())


@pytest.mark.parametrize("credentials", ["oauth", "api_key"])
def test_direct_path_end_to_end_with_token_refresh(credentials):
    with Emulator(port=0) as emu:
        auth = (
            {"client_id": Emulator.CLIENT_ID, "client_secret": Emulator.CLIENT_SECRET}
            if credentials == "oauth"
            else {"api_key": Emulator.GLOO_API_KEY}
        )
        client = Client("gloo-v1", base_url=emu.gloo_base_url, **auth)
        assert client._sender.direct
        messages = [{"role": "user", "content": "hello"}]
        assert client.create(messages).message.text
        emu.expire_tokens()
        assert client.create(messages).message.text
        assert "".join(d.content for d in client.stream(messages))
        tokens = sum(1 for r in emu.requests if r.path == "/oauth2/token")
        assert tokens == (2 if credentials == "oauth" else 0)

        async def run():
            async with AsyncClient("gloo-v1", base_url=emu.gloo_base_url, **auth) as aclient:
                results = await asyncio.gather(*(aclient.create(messages) for _ in range(20)))
                streamed = [d.content async for d in aclient.stream(messages)]
                return results, streamed

        results, streamed = asyncio.run(run())
        assert len(results) == 20 and all(r.message.text for r in results) and "".join(streamed)
        client.close()
