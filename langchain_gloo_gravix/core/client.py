"""Client and AsyncClient: the public surface, wiring configuration (_base.py) to a sender (sender.py).

Neither class sends, sleeps or retries by itself: :class:`~.sender.SyncSender` /
:class:`~.sender.AsyncSender` do, for chat calls, streams, token requests and the model list alike. Timeouts
and retries are documented in one place, the sender module's docstring.
"""

from __future__ import annotations

from asyncio import Semaphore, ensure_future, gather
from typing import Any, Awaitable, Callable, Iterable, Mapping, Optional, Sequence, Union

import httpx

from ._base import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_EVENT_BYTES,
    DEFAULT_STREAM_IDLE_TIMEOUT,
    DEFAULT_TIMEOUT,
    Secret,
    _BaseClient,
    encode_body,
    parse_completion,
    parse_models,
)
from .embeddings import EmbeddingBatch, EmbeddingCall, EmbeddingResult
from .endpoints import Endpoint
from .errors import GlooGravixError
from .retry import RetryPolicy
from .sender import AsyncSender, RetryHook, SyncSender
from .stream_drivers import AsyncChatStream, ChatStream
from .wire import ChatCompletion, ModelInfo

__all__ = ["Client", "AsyncClient", "ChatStream", "AsyncChatStream", "DEFAULT_TIMEOUT", "DEFAULT_STREAM_IDLE_TIMEOUT"]

_OPTIONS_DOC = """
    Args:
        endpoint: ``"gloo-v1"``, ``"gloo-v2"``, ``"gravix"`` or an :class:`Endpoint`.
        base_url: the server's base URL (default: the endpoint's, or ``GLOO_BASE_URL`` / ``GRAVIXLAYER_BASE_URL``).
        api_key: a static bearer key (wins over client credentials); default from the environment.
        client_id, client_secret: Gloo OAuth2 client credentials; a half-given pair is completed from the env.
        timeout: seconds or an ``httpx.Timeout`` (default connect 10 s, read 120 s, write 30 s, pool 30 s). Each
            phase is bounded by its value and a whole non-streaming call attempt, token request included, by the
            largest of them (see sender.py for every timeout).
        stream_idle_timeout: the longest a stream may go without an event (default 120 s; None: no limit).
        max_retries: retries of 408/409/429/5xx, connection errors and timeouts (default 2); ignored when
            ``retry_policy`` is given.
        default_headers: headers sent with every request.
        default_params: request params merged under every call's params (``model``, ``temperature``, ...).
        include_usage: ask for token usage on streams (``stream_options.include_usage``).
        retry_policy: a :class:`RetryPolicy` (delays: ``Retry-After`` honoured up to ``max_wait``, else
            exponential backoff with equal jitter).
        on_retry: ``on_retry(attempt, error, delay)``, called before each retry's sleep (also per call).
        max_body_bytes: the largest non-streamed response body read (default 64 MiB, decoded; None: no cap);
            a larger one is a :class:`ResponseTooLargeError`.
        max_event_bytes: the largest single stream event (default 16 MiB; None: no cap).
        proxy: a proxy URL (``http://user:pass@host:port``; ``socks5://`` with ``httpx[socks]``) for every request:
            chat, streams, the Gloo token request, embeddings, the model list (core/proxy.py); wins over the
            environment's proxy settings; not with ``http_client`` (set the proxy on that client).
        http_client: your own httpx client (proxies, mounts, hooks); it is then yours to close.
        transport: a transport to send to directly instead of ours (for tests: ``httpx.MockTransport``);
            ignored when ``http_client`` is given.
        sleep: what the retry loop sleeps with (default ``time.sleep`` / ``asyncio.sleep``).
"""


class Client(_BaseClient):
    """Synchronous client. ``create()`` for a completion, ``stream()`` for deltas, ``list_models()``."""

    __doc__ = (__doc__ or "") + "\n" + _OPTIONS_DOC

    def __init__(
        self,
        endpoint: Union[Endpoint, str],
        *,
        base_url: Optional[str] = None,
        api_key: Secret = None,
        client_id: Optional[str] = None,
        client_secret: Secret = None,
        timeout: Union[float, httpx.Timeout, None] = None,
        stream_idle_timeout: Optional[float] = DEFAULT_STREAM_IDLE_TIMEOUT,
        max_retries: int = 2,
        default_headers: Optional[Mapping[str, str]] = None,
        default_params: Optional[Mapping[str, Any]] = None,
        include_usage: bool = True,
        retry_policy: Optional[RetryPolicy] = None,
        on_retry: Optional[RetryHook] = None,
        max_body_bytes: Optional[int] = DEFAULT_MAX_BODY_BYTES,
        max_event_bytes: Optional[int] = DEFAULT_MAX_EVENT_BYTES,
        http_client: Optional[httpx.Client] = None,
        transport: Optional[httpx.BaseTransport] = None,
        sleep: Optional[Callable[[float], None]] = None,
        proxy: Optional[str] = None,
    ) -> None:
        settings = self._configure(
            endpoint, base_url=base_url, api_key=api_key, client_id=client_id, client_secret=client_secret,
            timeout=timeout, stream_idle_timeout=stream_idle_timeout, max_retries=max_retries,
            default_headers=default_headers, default_params=default_params, include_usage=include_usage,
            retry_policy=retry_policy, on_retry=on_retry, max_body_bytes=max_body_bytes, max_event_bytes=max_event_bytes,
            proxy=proxy,
        )  # fmt: skip
        self._sender = SyncSender(
            http_client=http_client, transport=transport, sleep=sleep, proxy=self.proxy, **settings
        )

    def create(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        on_retry: Optional[RetryHook] = None,
        **params: Any,
    ) -> ChatCompletion:
        """One completion; ``params`` are request fields (validated per endpoint) plus ``extra_body``.
        The result's ``response_headers`` are the HTTP headers of the answer."""
        sender = self._sender
        body = encode_body(self._payload(messages, params, False, None))
        request = sender.build("POST", self._chat_url, self._headers_for(extra_headers), body)
        return sender.run(self._create_once, request, on_retry=on_retry)

    def _create_once(self, request: httpx.Request) -> ChatCompletion:
        sender = self._sender
        return parse_completion(sender.send_once(request), self.endpoint.name, sender.max_body_bytes, sender.secrets)

    def stream(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        include_usage: Optional[bool] = None,
        on_retry: Optional[RetryHook] = None,
        **params: Any,
    ) -> ChatStream:
        """A lazy stream of :class:`StreamDelta`; validation errors raise here, at once."""
        payload = self._payload(messages, params, True, include_usage)
        return ChatStream(
            self._sender, self._chat_url, payload, encode_body(payload), self._headers_for(extra_headers), on_retry
        )

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        body: Optional[Mapping[str, Any]] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        authenticate: bool = True,
        on_retry: Optional[RetryHook] = None,
    ) -> httpx.Response:
        """Any JSON request to this endpoint's server (``path_or_url`` relative to ``base_url``), with the
        client's credentials, headers, timeouts and retries: the read 2xx response, or a typed error."""
        url = path_or_url if "://" in path_or_url else self.base_url + "/" + path_or_url.lstrip("/")
        content = None if body is None else encode_body(body)
        headers = self._headers_for(extra_headers)
        return self._sender.request(
            method, url, headers=headers, content=content, authenticate=authenticate, on_retry=on_retry
        )

    def embed(
        self,
        texts: Sequence[str],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        on_retry: Optional[RetryHook] = None,
        **options: Any,
    ) -> EmbeddingResult:
        """Embeddings of ``texts``, in order. ``options``: ``model``, ``batch_size``, ``encoding_format``,
        ``user``, ``extra_body`` (see core.embeddings.EmbeddingCall, which makes every decision). Each batch is
        one request on the sender, with the client's credentials, timeouts and retries."""
        call = EmbeddingCall.for_endpoint(self.endpoint, self.base_url, texts, **options)
        headers = self._headers_for(extra_headers)
        pending = list(reversed(call.batches))
        while pending:
            batch = pending.pop()
            try:
                self._embed_batch(call, batch, headers, on_retry)
            except GlooGravixError as error:
                pending.extend(reversed(call.recover(batch, error)))  # halves of a too-large batch, or raises
        return call.result()

    def _embed_batch(
        self, call: EmbeddingCall, batch: EmbeddingBatch, headers: Mapping[str, str], on_retry: Optional[RetryHook]
    ) -> None:
        request = self._sender.build("POST", call.url, headers, call.body(batch))
        self._sender.run(self._embed_once, call, batch, request, on_retry=on_retry)

    def _embed_once(self, call: EmbeddingCall, batch: EmbeddingBatch, request: httpx.Request) -> None:
        response = self._sender.send_once(request)
        call.accept(batch, response.status_code, response.headers, response.content)

    def list_models(self) -> list[ModelInfo]:
        request = self._sender.build("GET", self.models_url, self._models_headers(), None)
        return self._sender.run(self._models_once, request)

    def _models_once(self, request: httpx.Request) -> list[ModelInfo]:
        # parsed inside the attempt, so that a malformed list is a typed error like any other
        response = self._sender.send_once(request, authenticate=self.endpoint.models_need_auth)
        if response.status_code >= 300:
            raise self._sender.status_error(response)
        return parse_models(response, self.endpoint.name)

    @property
    def is_closed(self) -> bool:
        return self._closed

    _closed = False

    def close(self) -> None:
        """Close the connection pool (a caller's ``http_client`` is left open)."""
        self._closed = True
        self._sender.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncClient(_BaseClient):
    """Asynchronous client with the same surface as :class:`Client`."""

    __doc__ = (__doc__ or "") + "\n" + _OPTIONS_DOC

    def __init__(
        self,
        endpoint: Union[Endpoint, str],
        *,
        base_url: Optional[str] = None,
        api_key: Secret = None,
        client_id: Optional[str] = None,
        client_secret: Secret = None,
        timeout: Union[float, httpx.Timeout, None] = None,
        stream_idle_timeout: Optional[float] = DEFAULT_STREAM_IDLE_TIMEOUT,
        max_retries: int = 2,
        default_headers: Optional[Mapping[str, str]] = None,
        default_params: Optional[Mapping[str, Any]] = None,
        include_usage: bool = True,
        retry_policy: Optional[RetryPolicy] = None,
        on_retry: Optional[RetryHook] = None,
        max_body_bytes: Optional[int] = DEFAULT_MAX_BODY_BYTES,
        max_event_bytes: Optional[int] = DEFAULT_MAX_EVENT_BYTES,
        http_client: Optional[httpx.AsyncClient] = None,
        transport: Optional[httpx.AsyncBaseTransport] = None,
        sleep: Optional[Callable[[float], Awaitable[None]]] = None,
        proxy: Optional[str] = None,
    ) -> None:
        settings = self._configure(
            endpoint, base_url=base_url, api_key=api_key, client_id=client_id, client_secret=client_secret,
            timeout=timeout, stream_idle_timeout=stream_idle_timeout, max_retries=max_retries,
            default_headers=default_headers, default_params=default_params, include_usage=include_usage,
            retry_policy=retry_policy, on_retry=on_retry, max_body_bytes=max_body_bytes, max_event_bytes=max_event_bytes,
            proxy=proxy,
        )  # fmt: skip
        self._sender = AsyncSender(
            http_client=http_client, transport=transport, sleep=sleep, proxy=self.proxy, **settings
        )

    async def create(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        on_retry: Optional[RetryHook] = None,
        **params: Any,
    ) -> ChatCompletion:
        sender = self._sender
        body = encode_body(self._payload(messages, params, False, None))
        request = sender.build("POST", self._chat_url, self._headers_for(extra_headers), body)
        return await sender.run(self._create_once, request, on_retry=on_retry)

    async def _create_once(self, request: httpx.Request) -> ChatCompletion:
        sender = self._sender
        response = await sender.send_once(request)
        return parse_completion(response, self.endpoint.name, sender.max_body_bytes, sender.secrets)

    def stream(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        include_usage: Optional[bool] = None,
        on_retry: Optional[RetryHook] = None,
        **params: Any,
    ) -> AsyncChatStream:
        payload = self._payload(messages, params, True, include_usage)
        return AsyncChatStream(
            self._sender, self._chat_url, payload, encode_body(payload), self._headers_for(extra_headers), on_retry
        )

    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        body: Optional[Mapping[str, Any]] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        authenticate: bool = True,
        on_retry: Optional[RetryHook] = None,
    ) -> httpx.Response:
        """See :meth:`Client.request`."""
        url = path_or_url if "://" in path_or_url else self.base_url + "/" + path_or_url.lstrip("/")
        content = None if body is None else encode_body(body)
        headers = self._headers_for(extra_headers)
        return await self._sender.request(
            method, url, headers=headers, content=content, authenticate=authenticate, on_retry=on_retry
        )

    async def embed(
        self,
        texts: Sequence[str],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        on_retry: Optional[RetryHook] = None,
        **options: Any,
    ) -> EmbeddingResult:
        """As :meth:`Client.embed`; batches go out ``concurrency`` (option, default 4) at a time."""
        call = EmbeddingCall.for_endpoint(self.endpoint, self.base_url, texts, **options)
        headers = self._headers_for(extra_headers)
        slots = Semaphore(call.concurrency)

        async def run(batch: EmbeddingBatch) -> None:
            async with slots:
                try:
                    return await self._embed_batch(call, batch, headers, on_retry)
                except GlooGravixError as error:
                    instead = call.recover(batch, error)  # halves of a too-large batch, or raises
            await _all(run(half) for half in instead)

        await _all(run(batch) for batch in call.batches)
        return call.result()

    async def _embed_batch(
        self, call: EmbeddingCall, batch: EmbeddingBatch, headers: Mapping[str, str], on_retry: Optional[RetryHook]
    ) -> None:
        request = self._sender.build("POST", call.url, headers, call.body(batch))
        await self._sender.run(self._embed_once, call, batch, request, on_retry=on_retry)

    async def _embed_once(self, call: EmbeddingCall, batch: EmbeddingBatch, request: httpx.Request) -> None:
        response = await self._sender.send_once(request)
        call.accept(batch, response.status_code, response.headers, response.content)

    async def list_models(self) -> list[ModelInfo]:
        request = self._sender.build("GET", self.models_url, self._models_headers(), None)
        return await self._sender.run(self._models_once, request)

    async def _models_once(self, request: httpx.Request) -> list[ModelInfo]:
        response = await self._sender.send_once(request, authenticate=self.endpoint.models_need_auth)
        if response.status_code >= 300:
            raise self._sender.status_error(response)
        return parse_models(response, self.endpoint.name)

    @property
    def is_closed(self) -> bool:
        return self._closed

    _closed = False

    def close_abandoned(self) -> None:
        """Release the sockets of a client whose event loop has closed (``aclose`` can no longer run)."""
        self._closed = True
        self._sender.close_abandoned()

    async def aclose(self) -> None:
        """Close the connection pools (a caller's ``http_client`` is left open)."""
        self._closed = True
        await self._sender.aclose()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


async def _all(jobs: Iterable[Awaitable[None]]) -> None:
    """Run ``jobs`` together; on the first failure cancel the others (and wait for them) and raise it."""
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
