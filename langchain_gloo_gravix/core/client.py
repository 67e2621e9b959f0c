"""Client and AsyncClient: the only code that sends, sleeps or awaits.

Both share :class:`~._base._BaseClient`, which holds the configuration and every
pure step (request building, response parsing, error translation). These classes
contain only the drivers: send (directly to our own transport, or through a
caller's httpx client), retry, close. Streams are in streams.py.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Mapping, Optional, Sequence, Union

import httpx

from ._base import (
    _LIMITS,
    DEFAULT_STREAM_IDLE_TIMEOUT,
    DEFAULT_TIMEOUT,
    _BaseClient,
    _ssl_context,
)
from .endpoints import Endpoint
from .streams import AsyncChatStream, ChatStream
from .transport import SplitPoolTransport
from .bodies import aread_capped, read_capped
from .wire import ChatCompletion, ModelInfo

__all__ = ["Client", "AsyncClient", "ChatStream", "AsyncChatStream", "DEFAULT_TIMEOUT", "DEFAULT_STREAM_IDLE_TIMEOUT"]


class Client(_BaseClient):
    """Synchronous client. ``create()`` for a completion, ``stream()`` for deltas.

    Pass ``http_client`` to reuse your own ``httpx.Client`` (proxies, transports);
    it is then yours to close.
    """

    def __init__(self, endpoint: Union[Endpoint, str], *, http_client: Optional[httpx.Client] = None, **kw: Any) -> None:
        super().__init__(endpoint, **kw)
        self._setup_http(http_client, lambda: httpx.HTTPTransport(limits=_LIMITS, verify=_ssl_context()), httpx.Client)

    def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        if not self._direct:
            return self._http.send(request, auth=self._auth, stream=stream)
        response = self._send_direct(request)
        if not stream:
            try:
                read_capped(response, self.max_body_bytes, endpoint=self.endpoint.name)
            finally:
                response.close()
        return response

    def _send_direct(self, request: httpx.Request) -> httpx.Response:
        transport = self._transport
        if self._auth is None:
            response = transport.handle_request(request)
            response.request = request
            return response
        flow = self._auth.sync_auth_flow(request)
        try:
            outgoing = next(flow)
            while True:
                outgoing.extensions.setdefault("timeout", self._timeout_ext)
                response = transport.handle_request(outgoing)
                response.request = outgoing
                try:
                    outgoing = flow.send(response)
                except StopIteration:
                    return response
                response.read()  # a token response or a 401 that the flow has answered
                response.close()
        finally:
            flow.close()

    def create(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        **params: Any,
    ) -> ChatCompletion:
        request = self._chat_request(self._body(messages, params, False, None), self._headers_for(extra_headers))
        attempt = 0
        while True:
            try:
                return self._completion(self._send(request))
            except Exception as exc:
                delay = self._retry_delay(attempt, exc)
            attempt += 1
            time.sleep(delay)

    def stream(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        include_usage: Optional[bool] = None,
        **params: Any,
    ) -> "ChatStream":
        """A lazy stream of :class:`StreamDelta`; validation errors raise here, at once."""
        body = self._body(messages, params, True, include_usage)
        return ChatStream(self, body, self._headers_for(extra_headers))

    def list_models(self) -> list[ModelInfo]:
        try:
            response = self._http.get(self.models_url, **self._models_request_args())
        except Exception as exc:  # typed like every other call (issue 10)
            error = self._translate(exc)
        else:
            return self._models_result(response)
        raise error  # outside the except block: a foreign exception may quote a header

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncClient(_BaseClient):
    """Asynchronous client with the same surface as :class:`Client`."""

    def __init__(self, endpoint: Union[Endpoint, str], *, http_client: Optional[httpx.AsyncClient] = None, **kw: Any) -> None:
        super().__init__(endpoint, **kw)
        self._setup_http(http_client, lambda: SplitPoolTransport(limits=_LIMITS, verify=_ssl_context()), httpx.AsyncClient)

    async def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        if not self._direct:
            return await self._http.send(request, auth=self._auth, stream=stream)
        response = await self._send_direct(request)
        if not stream:
            try:
                await aread_capped(response, self.max_body_bytes, endpoint=self.endpoint.name)
            finally:
                await response.aclose()
        return response

    async def _send_direct(self, request: httpx.Request) -> httpx.Response:
        transport = self._transport
        if self._auth is None:
            response = await transport.handle_async_request(request)
            response.request = request
            return response
        flow = self._auth.async_auth_flow(request)
        try:
            outgoing = await flow.__anext__()
            while True:
                outgoing.extensions.setdefault("timeout", self._timeout_ext)
                response = await transport.handle_async_request(outgoing)
                response.request = outgoing
                try:
                    outgoing = await flow.asend(response)
                except StopAsyncIteration:
                    return response
                await response.aread()
                await response.aclose()
        finally:
            await flow.aclose()

    async def create(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        **params: Any,
    ) -> ChatCompletion:
        request = self._chat_request(self._body(messages, params, False, None), self._headers_for(extra_headers))
        attempt = 0
        while True:
            try:
                return self._completion(await self._send(request))
            except Exception as exc:
                delay = self._retry_delay(attempt, exc)
            attempt += 1
            await asyncio.sleep(delay)

    def stream(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        include_usage: Optional[bool] = None,
        **params: Any,
    ) -> "AsyncChatStream":
        body = self._body(messages, params, True, include_usage)
        return AsyncChatStream(self, body, self._headers_for(extra_headers))

    async def list_models(self) -> list[ModelInfo]:
        try:
            response = await self._http.get(self.models_url, **self._models_request_args())
        except Exception as exc:  # typed like every other call (issue 10)
            error = self._translate(exc)
        else:
            return self._models_result(response)
        raise error  # outside the except block: a foreign exception may quote a header

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


