"""Client and AsyncClient: the only code that sends, sleeps or awaits.

Both share :class:`~._base._BaseClient`, which holds the configuration and every
pure step (request building, response parsing, error translation). These classes
contain only the drivers: send (directly to our own transport, or through a
caller's httpx client), retry, close. Streams are in streams.py.
"""

from __future__ import annotations

import asyncio
import time
from asyncio import Semaphore, ensure_future, gather
from typing import Any, Awaitable, Iterable, Mapping, Optional, Sequence, Union

import httpx

from ._base import (
    _LIMITS,
    DEFAULT_STREAM_IDLE_TIMEOUT,
    DEFAULT_TIMEOUT,
    RetryHook,
    _BaseClient,
    _ssl_context,
)
from .embeddings import EmbeddingBatch, EmbeddingCall, EmbeddingResult
from .endpoints import Endpoint
from .errors import GlooGravixError
from .streams import AsyncChatStream, ChatStream
from .transport import SplitPoolTransport
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
                response.read()
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
        on_retry: Optional[RetryHook] = None,
        **params: Any,
    ) -> ChatCompletion:
        request = self._chat_request(self._body(messages, params, False, None), self._headers_for(extra_headers))
        attempt = 0
        while True:
            try:
                return self._completion(self._send(request))
            except Exception as exc:
                delay = self._retry_delay(attempt, exc, on_retry)
            attempt += 1
            time.sleep(delay)

    def stream(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        include_usage: Optional[bool] = None,
        on_retry: Optional[RetryHook] = None,
        **params: Any,
    ) -> "ChatStream":
        """A lazy stream of :class:`StreamDelta`; validation errors raise here, at once."""
        body = self._body(messages, params, True, include_usage)
        return ChatStream(self, body, self._headers_for(extra_headers), on_retry=on_retry)

    def embed(self, texts: Sequence[str], *, extra_headers: Optional[Mapping[str, str]] = None, **options: Any) -> EmbeddingResult:
        """Embeddings of ``texts``, in order. ``options``: ``model``, ``batch_size``, ``encoding_format``,
        ``user``, ``extra_body`` (see core.embeddings.EmbeddingCall, which makes every decision)."""
        call = EmbeddingCall.for_endpoint(self.endpoint, self.base_url, texts, **options)
        headers = self._headers_for(extra_headers)
        pending = list(reversed(call.batches))
        while pending:
            batch = pending.pop()
            try:
                self._embed_batch(call, batch, headers)
            except GlooGravixError as error:
                pending.extend(reversed(call.recover(batch, error)))  # halves of a too-large batch, or raises
        return call.result()

    def _embed_batch(self, call: EmbeddingCall, batch: EmbeddingBatch, headers: Mapping[str, str]) -> None:
        request = self._chat_request(call.body(batch), headers, call.url)
        attempt = 0
        while True:
            try:
                response = self._send(request)
                return call.accept(batch, response.status_code, response.headers, response.content)
            except Exception as exc:
                delay = self._retry_delay(attempt, exc)
            attempt += 1
            time.sleep(delay)

    def list_models(self) -> list[ModelInfo]:
        return self._models_result(self._http.get(self.models_url, **self._models_request_args()))

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
                await response.aread()
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
        on_retry: Optional[RetryHook] = None,
        **params: Any,
    ) -> ChatCompletion:
        request = self._chat_request(self._body(messages, params, False, None), self._headers_for(extra_headers))
        attempt = 0
        while True:
            try:
                return self._completion(await self._send(request))
            except Exception as exc:
                delay = self._retry_delay(attempt, exc, on_retry)
            attempt += 1
            await asyncio.sleep(delay)

    def stream(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        include_usage: Optional[bool] = None,
        on_retry: Optional[RetryHook] = None,
        **params: Any,
    ) -> "AsyncChatStream":
        body = self._body(messages, params, True, include_usage)
        return AsyncChatStream(self, body, self._headers_for(extra_headers), on_retry=on_retry)

    async def embed(self, texts: Sequence[str], *, extra_headers: Optional[Mapping[str, str]] = None, **options: Any) -> EmbeddingResult:
        """As :meth:`Client.embed`; batches go out ``concurrency`` (option, default 4) at a time."""
        call = EmbeddingCall.for_endpoint(self.endpoint, self.base_url, texts, **options)
        headers = self._headers_for(extra_headers)
        slots = Semaphore(call.concurrency)

        async def run(batch: EmbeddingBatch) -> None:
            async with slots:
                try:
                    return await self._embed_batch(call, batch, headers)
                except GlooGravixError as error:
                    instead = call.recover(batch, error)  # halves of a too-large batch, or raises
            await _all(run(half) for half in instead)

        await _all(run(batch) for batch in call.batches)
        return call.result()

    async def _embed_batch(self, call: EmbeddingCall, batch: EmbeddingBatch, headers: Mapping[str, str]) -> None:
        request = self._chat_request(call.body(batch), headers, call.url)
        attempt = 0
        while True:
            try:
                response = await self._send(request)
                return call.accept(batch, response.status_code, response.headers, response.content)
            except Exception as exc:
                delay = self._retry_delay(attempt, exc)
            attempt += 1
            await asyncio.sleep(delay)

    async def list_models(self) -> list[ModelInfo]:
        return self._models_result(await self._http.get(self.models_url, **self._models_request_args()))

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()




async def _all(jobs: Iterable[Awaitable[None]]) -> None:
    """Run ``jobs`` together; on the first failure cancel the others (and wait for them) and raise it."""
    # names imported from asyncio, not asyncio.X: tests swap this module's ``asyncio`` for a sleep recorder
    tasks = [ensure_future(job) for job in jobs]
    if len(tasks) == 1:
        return await tasks[0]
    try:
        await gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await gather(*tasks, return_exceptions=True)
        raise
