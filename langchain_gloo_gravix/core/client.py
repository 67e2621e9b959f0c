"""Client and AsyncClient: settings in, sender out.

Each client turns its documented keywords into one checked :class:`~.settings.ClientSettings`, hands it to a
sender (:class:`~.sender.SyncSender` / :class:`~.sender.AsyncSender`: the only code that sends, sleeps or
retries) and builds requests with the pure rules of request.py. Streams are driven by stream_drivers.py.
Timeouts and retries are documented in one place, the sender module's docstring.

Why about 450 lines: the sync and async clients are twins, kept side by side (each method a few lines around
the sender); the options are documented once, in ``_OPTIONS_DOC``.
"""

from __future__ import annotations

from asyncio import Semaphore, ensure_future, gather
from typing import Any, Awaitable, Callable, Iterable, Mapping, Optional, Sequence, Union

import httpx

from .bodies import DEFAULT_MAX_BODY_BYTES, request_url
from .config import DEFAULT_STREAM_IDLE_TIMEOUT, check_headers
from .deadlines import DEFAULT_TIMEOUT
from .embeddings import EmbeddingBatch, EmbeddingCall, EmbeddingResult
from .endpoints import Endpoint
from .errors import GlooGravixError, InvalidRequestError
from .model_list import ModelInfo, parse_models
from .request import PreparedCall, encode_body, prepare_call
from .retry import RetryHook, RetryPolicy
from .sender import AsyncSender, SyncSender
from .settings import DEFAULT_MAX_STREAM_BYTES, DEFAULT_MAX_TOOL_CALL_CHARS, ClientSettings, Secret
from .sse import DEFAULT_MAX_EVENT_BYTES
from .stream_drivers import AsyncChatStream, ChatStream
from .wire import ChatCompletion, parse_completion

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
        max_stream_bytes: the most (decoded) bytes one stream may send (default 256 MiB; None: no cap); past it
            the stream fails with :class:`StreamTooLargeError`, which keeps the text and tool calls received.
        max_tool_call_chars: the longest one streamed tool call's arguments may grow (default 16 Mi characters;
            None: no cap); past it, :class:`StreamTooLargeError` as above.
        proxy: a proxy URL (``http://user:pass@host:port``; ``socks5://`` with ``httpx[socks]``) for every request:
            chat, streams, the Gloo token request, embeddings, the model list (core/proxy.py); wins over the
            environment's proxy settings; not with ``http_client`` (set the proxy on that client).
        http_client: your own httpx client (proxies, mounts, hooks); it is then yours to close.
        transport: a transport to send to directly instead of ours (for tests: ``httpx.MockTransport``);
            ignored when ``http_client`` is given.
        sleep: what the retry loop sleeps with (default ``time.sleep`` / ``asyncio.sleep``).
        clock: the monotonic clock streams measure ``stream_idle_timeout`` with (default ``time.monotonic``;
            for tests).
"""


class _ClientBase:
    """The pure steps both clients share: settings, request bodies and headers."""

    _settings: ClientSettings

    def _configure(self, settings: ClientSettings) -> None:
        self._settings = settings
        self.endpoint = settings.endpoint
        self.base_url = settings.base_url
        self.chat_url = settings.chat_url
        self._chat_url = httpx.URL(self.chat_url)
        self.models_url = settings.models_url
        self.timeout = settings.timeout
        self.retry_policy = settings.retry_policy
        self.stream_idle_timeout = settings.stream_idle_timeout
        self.include_usage = settings.include_usage
        #: params merged under every request's params (e.g. model, temperature, extra_body).
        self.default_params = dict(settings.default_params)

    @property
    def settings(self) -> ClientSettings:
        """The checked, frozen settings this client was built with."""
        return self._settings

    @property
    def auth(self) -> Any:
        return self._settings.auth

    @property
    def on_retry(self) -> Optional[RetryHook]:
        return self._settings.on_retry

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(endpoint={self.endpoint.name!r}, base_url={self.base_url!r}, "
            f"auth={self._settings.auth_kind})"
        )

    def _prepare(
        self,
        messages: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
        stream: bool,
        include_usage: Optional[bool],
    ) -> PreparedCall:
        # merge_params inside, not a plain dict merge: a per-call routing choice (model= on a client configured
        # with auto_routing) must replace the configured one rather than become a second mechanism, extra_body
        # dicts must merge, and None means "unset" instead of erasing a configured value.
        return prepare_call(
            self.endpoint,
            messages,
            self.default_params,
            params,
            stream=stream,
            include_usage=self.include_usage if include_usage is None else include_usage,
        )

    @staticmethod
    def _check_prepared(call: PreparedCall, stream: bool) -> PreparedCall:
        if call.stream is not stream:
            made, used = ("stream", "create") if call.stream else ("create", "stream")
            raise InvalidRequestError(
                f"this call was prepared with stream={call.stream} (for {made}_prepared); "
                f"prepare it with stream={not call.stream} to {used} it"
            )
        return call

    def _headers_for(self, extra: Optional[Mapping[str, str]]) -> Mapping[str, str]:
        headers = self._settings.headers
        return {**headers, **check_headers(extra, "extra_headers")} if extra else headers

    def _models_headers(self) -> Mapping[str, str]:
        # Gloo's catalog is public (docs/providers.md#registry): no credentials are sent to it.
        return self._settings.headers if self.endpoint.models_need_auth else {"Accept": "application/json"}

    def _completion(self, response: httpx.Response) -> ChatCompletion:
        completion = parse_completion(
            response.content,
            response.status_code,
            response.headers,
            endpoint=self.endpoint.name,
            max_body_bytes=self._settings.max_body_bytes,
            url=request_url(response),
        )
        # the private dict directly (a pydantic attribute set costs a microsecond): read by response_headers,
        # which redacts with them (configured secrets, and the live ones: the OAuth token, a callable's key)
        completion.__pydantic_private__["_secrets"] = self._settings.secrets()  # type: ignore[index]
        return completion


class Client(_ClientBase):
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
        max_stream_bytes: Optional[int] = DEFAULT_MAX_STREAM_BYTES,
        max_tool_call_chars: Optional[int] = DEFAULT_MAX_TOOL_CALL_CHARS,
        http_client: Optional[httpx.Client] = None,
        transport: Optional[httpx.BaseTransport] = None,
        sleep: Optional[Callable[[float], None]] = None,
        clock: Optional[Callable[[], float]] = None,
        proxy: Optional[str] = None,
    ) -> None:
        self._configure(ClientSettings.resolve(
            endpoint, base_url=base_url, api_key=api_key, client_id=client_id, client_secret=client_secret,
            timeout=timeout, stream_idle_timeout=stream_idle_timeout, max_retries=max_retries,
            default_headers=default_headers, default_params=default_params, include_usage=include_usage,
            retry_policy=retry_policy, on_retry=on_retry, max_body_bytes=max_body_bytes,
            max_event_bytes=max_event_bytes, max_stream_bytes=max_stream_bytes,
            max_tool_call_chars=max_tool_call_chars, clock=clock, proxy=proxy,
        ))  # fmt: skip
        self._sender = SyncSender(self._settings, http_client=http_client, transport=transport, sleep=sleep)

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
        return self.create_prepared(self._prepare(messages, params, False, None), extra_headers, on_retry)

    def create_prepared(
        self,
        call: PreparedCall,
        extra_headers: Optional[Mapping[str, str]] = None,
        on_retry: Optional[RetryHook] = None,
    ) -> ChatCompletion:
        """:meth:`create` for a call made by ``core.request.prepare_call`` (the adapters' path: their configured
        params and the call's, merged and checked once); this client's ``default_params`` do not apply."""
        sender = self._sender
        request = sender.build(
            "POST", self._chat_url, self._headers_for(extra_headers), self._check_prepared(call, False).body
        )
        return sender.run(self._create_once, request, on_retry=on_retry)

    def _create_once(self, request: httpx.Request) -> ChatCompletion:
        return self._completion(self._sender.send_once(request))

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
        return self.stream_prepared(self._prepare(messages, params, True, include_usage), extra_headers, on_retry)

    def stream_prepared(
        self,
        call: PreparedCall,
        extra_headers: Optional[Mapping[str, str]] = None,
        on_retry: Optional[RetryHook] = None,
    ) -> ChatStream:
        """:meth:`stream` for a call made by ``core.request.prepare_call`` with ``stream=True``."""
        call = self._check_prepared(call, True)
        return ChatStream(
            self._sender,
            self._settings,
            self._chat_url,
            self._headers_for(extra_headers),
            call.payload,
            call.body,
            on_retry,
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

    def list_models(self, *, retry: bool = True) -> list[ModelInfo]:
        """The endpoint's model list (Gloo: its public registry); ``retry=False``: one attempt only."""
        request = self._sender.build("GET", self.models_url, self._models_headers(), None)
        if retry:
            return self._sender.run(self._models_once, request)
        try:
            return self._models_once(request)
        except Exception as exc:  # the typed error, as run() would raise it, without its retries
            raise self._sender.translate(exc) from None

    def _models_once(self, request: httpx.Request) -> list[ModelInfo]:
        # parsed inside the attempt, so that a malformed list is a typed error like any other
        response = self._sender.send_once(request, authenticate=self.endpoint.models_need_auth)
        if response.status_code >= 300:
            raise self._sender.status_error(response)
        return parse_models(response.content, endpoint=self.endpoint.name)

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


class AsyncClient(_ClientBase):
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
        max_stream_bytes: Optional[int] = DEFAULT_MAX_STREAM_BYTES,
        max_tool_call_chars: Optional[int] = DEFAULT_MAX_TOOL_CALL_CHARS,
        http_client: Optional[httpx.AsyncClient] = None,
        transport: Optional[httpx.AsyncBaseTransport] = None,
        sleep: Optional[Callable[[float], Awaitable[None]]] = None,
        clock: Optional[Callable[[], float]] = None,
        proxy: Optional[str] = None,
    ) -> None:
        self._configure(ClientSettings.resolve(
            endpoint, base_url=base_url, api_key=api_key, client_id=client_id, client_secret=client_secret,
            timeout=timeout, stream_idle_timeout=stream_idle_timeout, max_retries=max_retries,
            default_headers=default_headers, default_params=default_params, include_usage=include_usage,
            retry_policy=retry_policy, on_retry=on_retry, max_body_bytes=max_body_bytes,
            max_event_bytes=max_event_bytes, max_stream_bytes=max_stream_bytes,
            max_tool_call_chars=max_tool_call_chars, clock=clock, proxy=proxy,
        ))  # fmt: skip
        self._sender = AsyncSender(self._settings, http_client=http_client, transport=transport, sleep=sleep)
        # one limit per concurrency value for every embed() on this client, so that concurrent calls
        # (LlamaIndex gathers one per embed_batch_size chunk) stay within it together
        self._embed_slots: dict[int, Semaphore] = {}

    async def create(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        on_retry: Optional[RetryHook] = None,
        **params: Any,
    ) -> ChatCompletion:
        return await self.create_prepared(self._prepare(messages, params, False, None), extra_headers, on_retry)

    async def create_prepared(
        self,
        call: PreparedCall,
        extra_headers: Optional[Mapping[str, str]] = None,
        on_retry: Optional[RetryHook] = None,
    ) -> ChatCompletion:
        """See :meth:`Client.create_prepared`."""
        sender = self._sender
        request = sender.build(
            "POST", self._chat_url, self._headers_for(extra_headers), self._check_prepared(call, False).body
        )
        return await sender.run(self._create_once, request, on_retry=on_retry)

    async def _create_once(self, request: httpx.Request) -> ChatCompletion:
        return self._completion(await self._sender.send_once(request))

    def stream(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        include_usage: Optional[bool] = None,
        on_retry: Optional[RetryHook] = None,
        **params: Any,
    ) -> AsyncChatStream:
        return self.stream_prepared(self._prepare(messages, params, True, include_usage), extra_headers, on_retry)

    def stream_prepared(
        self,
        call: PreparedCall,
        extra_headers: Optional[Mapping[str, str]] = None,
        on_retry: Optional[RetryHook] = None,
    ) -> AsyncChatStream:
        """See :meth:`Client.stream_prepared`."""
        call = self._check_prepared(call, True)
        return AsyncChatStream(
            self._sender,
            self._settings,
            self._chat_url,
            self._headers_for(extra_headers),
            call.payload,
            call.body,
            on_retry,
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
        """As :meth:`Client.embed`; batches go out ``concurrency`` (option, default 4) at a time, counted
        over every ``embed()`` running on this client with that limit, not per call."""
        call = EmbeddingCall.for_endpoint(self.endpoint, self.base_url, texts, **options)
        headers = self._headers_for(extra_headers)
        slots = self._embed_slots.get(call.concurrency)
        if slots is None:
            slots = self._embed_slots[call.concurrency] = Semaphore(call.concurrency)

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

    async def list_models(self, *, retry: bool = True) -> list[ModelInfo]:
        """See :meth:`Client.list_models`."""
        request = self._sender.build("GET", self.models_url, self._models_headers(), None)
        if retry:
            return await self._sender.run(self._models_once, request)
        try:
            return await self._models_once(request)
        except Exception as exc:
            raise self._sender.translate(exc) from None

    async def _models_once(self, request: httpx.Request) -> list[ModelInfo]:
        response = await self._sender.send_once(request, authenticate=self.endpoint.models_need_auth)
        if response.status_code >= 300:
            raise self._sender.status_error(response)
        return parse_models(response.content, endpoint=self.endpoint.name)

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
