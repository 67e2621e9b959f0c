"""The sender: the only code in the package that does network I/O, and the one retry loop per mode.

"Send this request (method, URL, headers, body) with auth, timeouts, a whole-call deadline and retries; give
back the read response (or the open streaming response)." :class:`SyncSender` and :class:`AsyncSender` are the
two drivers; every decision they take (timeouts, deadlines, error translation, retry delays, hooks) is made
once, in :class:`_SenderBase`. Chat calls, the start of a stream, the Gloo token request and the model list all
go through the same :meth:`~SyncSender.send_once` and :meth:`~SyncSender.run`. Streams reach it through a
four-method port (stream_drivers.StreamPort: ``send_stream``, ``run``, ``byte_chunks``, ``redacted``); this
module knows nothing about streams.

Why one module of over 450 lines (a fifth of it this documentation): the two drivers are I/O twins of one set
of decisions, kept side by side so that each can be read (and reviewed) against the other; the deadlines they
enforce are in deadlines.py, closing under cancellation in bodies.py.

Two ways to the network, behind the same methods:

- **direct**: our own transport (or one injected with ``transport=``), called without ``httpx.Client.send``,
  whose redirect handling, cookie extraction and event hooks an API call never needs (about a third of the
  client-side cost of a call on loopback, benchmarks/);
- **through an httpx client**: a caller's ``http_client``, or the one we build when proxies are configured in
  the environment (httpx applies them only to transports it builds itself).

Credentials (auth.py) are driven here on both ways, so the token request gets the same timeouts everywhere.

Timeouts, all in one place
--------------------------

``timeout`` (seconds, or an ``httpx.Timeout``; default connect 10 s, read 120 s, write 30 s, pool 30 s)
    Each phase (connect, write, each read, waiting for a pooled connection) is bounded by its own value. A
    **whole non-streaming call attempt** (token request if one is needed, connect, send, headers and the read
    of the full body, however slowly it trickles) is bounded by the largest of them: the *call budget*
    (each phase gets the smaller of its own limit and the time left, and the body is checked per chunk). A
    number ``t`` means every phase ``t`` (connect at most 10 s) and a call budget of ``t``. With
    ``read=None`` there is no call budget. Each retry gets a fresh budget.
``stream_idle_timeout`` (seconds, default 120; ``None`` disables it)
    The longest a stream may go without an event: the read timeout of a streaming response is at most this,
    so a silent connection fails within it, and bytes that carry no event (keep-alive comments, a trickled
    partial line) do not count as progress. A stream's token request is bounded by the call budget; its
    connect by the connect timeout, its headers and every read by the read timeout capped at
    ``stream_idle_timeout``; a stream as a whole has no limit while events keep coming. (Bytes that trickle
    and then stop can hold a read for up to twice ``stream_idle_timeout``.)
Token refresh waits
    A caller waiting for another caller's token refresh waits at most until its own call budget ends (then
    fails with :class:`APITimeoutError`, counted as an attempt), or takes the refresh over when the refreshing
    caller is more than a second past its own budget.
Size caps (bodies.py, sse.py, stream_state.py; ``None`` removes one)
    ``max_body_bytes`` (64 MiB) a whole non-streamed body, decoded; ``max_event_bytes`` (16 MiB) one stream
    event; ``max_stream_bytes`` (256 MiB) all a stream sends, decoded; ``max_tool_call_chars`` (16 Mi) one
    streamed tool call's arguments. Past a stream cap: :class:`StreamTooLargeError`, keeping what arrived.
Cancellation
    A cancelled async call or stream still gives its connection back: closes are shielded and run to their
    end (bodies.aclose_shielded), a connection a cancelled close left checked out is discarded, and one that a
    cancellation inside httpcore's pool left owned by no request is closed (transport.take_orphans).
Retries
    ``max_retries`` (default 2) retries of 408/409/429/5xx, connection errors and timeouts, and a stream that
    failed before its first event reached the caller (retry.py); the wait is the server's ``Retry-After``
    (capped) or exponential backoff with equal jitter, slept by the injectable ``sleep``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import ssl
import time
import urllib.request
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterator,
    Mapping,
    Optional,
    Protocol,
    TypeVar,
    Union,
)

import httpx

from . import log_redaction
from .auth import GlooOAuth, Mint, Resolve, Send, SenderAuth, Wait
from .bodies import aclose_shielded, aread_capped, connection_claim, read_capped, request_url
from .deadlines import DEFAULT_TIMEOUT, DeadlineBody, DeadlineTimeouts, late
from .errors import APITimeoutError, ConfigurationError, GlooGravixError, error_from_response
from .redact import redact_error
from .retry import Recover, RetryHook
from .settings import ClientSettings
from .translate import header_error, translate_exception
from .transport import (
    CallBudget,
    aclose_orphans,
    bound_by_deadlines,
    close_if_desynchronised,
    close_orphans,
    direct_transport,
    enter_budget,
    exit_budget,
    proxy_client,
)

__all__ = ["SyncSender", "AsyncSender", "PostRequest", "DEFAULT_TIMEOUT", "LIMITS", "ssl_context"]

T = TypeVar("T")

logger = logging.getLogger("langchain_gloo_gravix")

LIMITS = httpx.Limits(max_connections=256, max_keepalive_connections=128, keepalive_expiry=30.0)


def ssl_context() -> ssl.SSLContext:
    """One default TLS context for every client: building one loads the CA bundle
    (tens of milliseconds), which would otherwise be paid per client and per pool. Kept per value of
    ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` (which httpx honours), so that setting one takes effect for the
    clients built after it."""
    return _ssl_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _ssl_context(cert_file: Optional[str], cert_dir: Optional[str]) -> ssl.SSLContext:
    return httpx.create_ssl_context()  # reads the same two variables


def proxies_configured() -> bool:
    """True when HTTP(S)_PROXY / ALL_PROXY style settings exist (httpx honours them)."""
    return any(key in ("http", "https", "all") for key in urllib.request.getproxies())


class PostRequest(Protocol):
    """A POST to send: where, with which headers, what body (a stream's request, stream_state.StreamRequest).

    Passed whole, so that no frame between the caller and the socket holds the headers (and with them the
    credentials) as a plain mapping a crash reporter would serialise."""

    @property
    def url(self) -> httpx.URL: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def body(self) -> bytes: ...


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # looked up per call, so that a test may patch time.sleep


async def _async_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class _SenderBase:
    """Configuration and every decision of sending; the two subclasses only do the I/O."""

    #: a caller's (or the proxy-aware) httpx client, or None when requests go straight to our transport
    http: Union[httpx.Client, httpx.AsyncClient, None]
    #: our own (or an injected) transport when requests go straight to it, else None
    _transport: Union[httpx.BaseTransport, httpx.AsyncBaseTransport, None]

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self.endpoint = settings.name
        self.base_url = settings.base_url
        self.timeout = timeout = settings.timeout
        self.retry_policy = settings.retry_policy
        self.on_retry = settings.on_retry
        self.auth = settings.auth
        #: every form our credentials may come back in (redact.py): scrubbed from any error we raise
        self.secret_forms = settings.secret_forms
        self.max_body_bytes = settings.max_body_bytes
        self.budget = settings.budget
        #: the per-phase timeouts of a non-streaming request with its whole budget left (shared, never mutated)
        self._timeout_ext: dict[str, Optional[float]] = timeout.as_dict()
        stream_ext = dict(self._timeout_ext)
        idle = settings.stream_idle_timeout
        if idle is not None:
            read = stream_ext.get("read")
            stream_ext["read"] = idle if read is None else min(read, idle)
        self._stream_ext = stream_ext
        #: the longest a stream waits for its response headers once its request is sent (transport.CallBudget)
        self._header_limit: Optional[float] = stream_ext.get("read")
        self.direct = False
        # httpcore logs response headers at DEBUG: our secrets are scrubbed there too (log_redaction.py)
        log_redaction.register_secrets(self)
        log_redaction.install()

    # -- timeouts ---------------------------------------------------------------------------------------------

    def deadline(self) -> Optional[float]:
        """The monotonic time by which an attempt starting now must be done."""
        return None if self.budget is None else time.monotonic() + self.budget

    def _ext_until(self, deadline: Optional[float]) -> dict[str, Optional[float]]:
        """Per-phase timeouts, none reaching past ``deadline``."""
        if deadline is None:
            return self._timeout_ext
        if deadline <= time.monotonic():
            raise self._late()
        return DeadlineTimeouts(self._timeout_ext, deadline)

    def _late(self) -> APITimeoutError:
        return late(self.endpoint, self.budget)

    def _headers_late(self) -> APITimeoutError:
        return APITimeoutError(
            f"{self.endpoint} sent no complete response headers within {self._header_limit:g} s "
            "(the stream's read timeout, at most stream_idle_timeout)",
            endpoint=self.endpoint,
            code="header_timeout",
        )

    def _budget(self, stream: bool, deadline: Optional[float]) -> Optional[CallBudget]:
        """What bounds the socket I/O of one exchange (transport.CallBudget): the call deadline, or for a
        stream the wait for its header block."""
        if stream:
            return None if self._header_limit is None else CallBudget(None, self._headers_late, self._header_limit)
        return None if deadline is None else CallBudget(deadline, self._late)

    def _prepare_body_read(self, response: httpx.Response, deadline: Optional[float]) -> None:
        """Bound the rest of a non-streaming response by the deadline: each read by the time left (see
        :class:`~.deadlines.DeadlineTimeouts`) and all of them together by a check per chunk (bytes may trickle)."""
        if deadline is None:
            return
        if deadline <= time.monotonic():
            raise self._late()
        response.stream = DeadlineBody(response.stream, deadline, self.endpoint, self.budget)

    def build(
        self, method: str, url: Union[str, httpx.URL], headers: Mapping[str, str], content: Optional[bytes]
    ) -> httpx.Request:
        try:
            if self.http is None:
                return httpx.Request(method, url, headers=headers, content=content)
            # A caller's httpx client: let it merge its own headers, cookies and base URL.
            return self.http.build_request(method, url, headers=headers, content=content)
        except UnicodeEncodeError:
            pass
        # raised outside the except block (the UnicodeEncodeError holds the whole header value), and without
        # the headers in this frame's locals
        error = header_error(headers, endpoint=self.endpoint)
        del headers
        raise error

    # -- errors and retries -----------------------------------------------------------------------------------

    def translate(self, exc: BaseException) -> BaseException:
        """Foreign exceptions -> ours (the one boundary where they are mapped: errors.translate_exception, which
        never quotes transport text); our own errors leave with our credentials (and the current OAuth token)
        scrubbed from any server text they quote."""
        error = translate_exception(exc, endpoint=self.endpoint, base_url=self.base_url)
        return self.redacted(error) if isinstance(error, GlooGravixError) else error

    def secrets(self) -> tuple[str, ...]:
        """Every secret to scrub now (settings.ClientSettings.secrets: configured and live)."""
        return self.settings.secrets()

    def redacted(self, error: GlooGravixError) -> GlooGravixError:
        """``error`` with our credentials and the current OAuth token scrubbed from its text (in place)."""
        redact_error(error, self.secrets())
        return error

    def status_error(self, response: httpx.Response) -> GlooGravixError:
        error = error_from_response(
            response.status_code, response.headers, response.content, endpoint=self.endpoint, url=request_url(response)
        )
        return self.redacted(error)

    def _retry_delay(
        self, attempt: int, exc: Exception, on_retry: Optional[RetryHook], recover: Optional[Recover]
    ) -> Optional[float]:
        """Seconds to sleep before the next attempt (None after a recovery: resend at once); raises the typed
        error when the failure must reach the caller. Call it in ``except``."""
        error = self.translate(exc)
        if recover is not None and isinstance(error, GlooGravixError) and recover(error):
            logger.info(
                "resending to %s after %s, changed (attempt %d)", self.endpoint, type(error).__name__, attempt + 1
            )
            return None
        delay = self.retry_policy.delay(attempt, error)
        if delay is None or not isinstance(error, GlooGravixError):
            if error is exc:
                raise exc
            raise error from exc
        logger.info(
            "retrying %s after %s (attempt %d, waiting %.2f s)", self.endpoint, type(error).__name__, attempt + 1, delay
        )
        if self.on_retry is not None:
            self.on_retry(attempt + 1, error, delay)
        if on_retry is not None:
            on_retry(attempt + 1, error, delay)
        return delay

    def _pool_owner(self) -> Any:
        """What holds the connection pools: our transport, or the httpx client."""
        return self._transport if self._transport is not None else self.http

    def _checked(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 300:
            raise self.status_error(response)
        return response


def _auth_of(sender: _SenderBase, authenticate: bool) -> Optional[SenderAuth]:
    return sender.auth if authenticate else None


def _check_proxy_alone(proxy: Optional[str], http_client: Any, transport: Any) -> None:
    if proxy is not None and (http_client is not None or transport is not None):
        what = "http_client" if http_client is not None else "transport"
        raise ConfigurationError(f"proxy cannot be combined with {what}: configure the proxy on that {what} instead")


class SyncSender(_SenderBase):
    """Sends with a sync transport or ``httpx.Client``; sleeps with ``sleep`` (default ``time.sleep``)."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        http_client: Optional[httpx.Client] = None,
        transport: Optional[httpx.BaseTransport] = None,
        sleep: Optional[Callable[[float], None]] = None,
    ) -> None:
        super().__init__(settings)
        proxy = settings.proxy
        _check_proxy_alone(proxy, http_client, transport)
        self._sleep = sleep  # None: the module's _sleep, looked up when sleeping (tests may swap it)
        self.owns_http = http_client is None
        self._transport: Optional[httpx.BaseTransport] = None
        self.http: Optional[httpx.Client] = http_client
        if http_client is None:
            if transport is None and proxy is None and proxies_configured():
                # httpx applies env proxies only to the transports it builds itself.
                self.http = proxy_client(httpx.Client, limits=LIMITS, verify=ssl_context(), timeout=self.timeout)
            else:
                # an explicit proxy wins over the environment's (as httpx's own proxy= does)
                self._transport = transport or direct_transport(limits=LIMITS, verify=ssl_context(), proxy=proxy)
                self.direct = True
        else:
            bound_by_deadlines(http_client)

    def _exchange(self, request: httpx.Request, *, stream: bool, deadline: Optional[float]) -> httpx.Response:
        """One HTTP exchange: the response, open if ``stream``, else read to its end within ``deadline``."""
        request.extensions["timeout"] = self._stream_ext if stream else self._ext_until(deadline)
        scope = enter_budget(self._budget(stream, deadline))
        try:
            try:
                if self._transport is not None:
                    response = self._transport.handle_request(request)
                    response.request = request
                else:
                    assert self.http is not None
                    response = self.http.send(request, stream=True, auth=None)
            except BaseException:
                close_orphans(self._pool_owner())
                raise
            close_if_desynchronised(response)
            if not stream:
                try:
                    self._prepare_body_read(response, deadline)
                    read_capped(response, self.max_body_bytes, endpoint=self.endpoint)
                finally:
                    response.close()
        finally:
            exit_budget(scope)
        return response

    def send_once(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        authenticate: bool = True,
        deadline: Optional[float] = None,
    ) -> httpx.Response:
        """One attempt: credentials (a token request if needed) and the request; no retries, no status check."""
        if deadline is None:
            deadline = self.deadline()
        auth = _auth_of(self, authenticate)
        if auth is None:
            return self._exchange(request, stream=stream, deadline=deadline)
        return self._drive(auth.flow(request, deadline), stream=stream, deadline=deadline)  # type: ignore[no-any-return]

    def send_stream(self, request: PostRequest) -> httpx.Response:
        """The stream port's send: one attempt of a streaming POST (credentials included), the response open."""
        return self.send_once(self.build("POST", request.url, request.headers, request.body), stream=True)

    def token(self) -> str:
        """A bearer token from the configured credentials (cached, or minted now), within one call budget."""
        if not isinstance(self.auth, GlooOAuth):
            raise TypeError("token() needs OAuth client credentials")
        deadline = self.deadline()
        return self._drive(self.auth.token_flow(deadline), stream=False, deadline=deadline)  # type: ignore[no-any-return]

    def _drive(self, flow: Generator[Any, Any, Any], *, stream: bool, deadline: Optional[float]) -> Any:
        """Run a credentials flow (auth.py): the final response, or the flow's return value."""
        try:
            step = next(flow)
            while True:
                if type(step) is Mint:
                    try:
                        reply = self._exchange(step.request, stream=False, deadline=deadline)
                    except Exception as exc:
                        step = flow.throw(self.translate(exc))  # the owner's failure settles the round
                        continue
                    step = flow.send(reply)
                elif type(step) is Wait:
                    step.block()
                    step = next(flow)
                elif type(step) is Resolve:
                    step = flow.send(step.call())
                else:
                    assert type(step) is Send
                    response = self._exchange(step.request, stream=stream, deadline=deadline)
                    try:
                        step = flow.send(response)
                    except StopIteration:
                        return response
                    response.close()  # a 401 the flow answers with a fresh token
        except StopIteration as stop:
            return stop.value
        finally:
            flow.close()

    def run(
        self,
        attempt: Callable[..., T],
        *args: Any,
        on_retry: Optional[RetryHook] = None,
        recover: Optional[Recover] = None,
    ) -> T:
        """THE sync retry loop: call ``attempt(*args)`` until it returns, or the policy gives up."""
        n = 0
        while True:
            try:
                return attempt(*args)
            except Exception as exc:
                delay = self._retry_delay(n, exc, on_retry, recover)
            n += 1
            if delay is not None:
                (_sleep if self._sleep is None else self._sleep)(delay)

    def request(
        self,
        method: str,
        url: Union[str, httpx.URL],
        *,
        headers: Mapping[str, str],
        content: Optional[bytes] = None,
        authenticate: bool = True,
        on_retry: Optional[RetryHook] = None,
    ) -> httpx.Response:
        """The generic entry point: send with credentials, timeouts and retries; the read 2xx response, or the
        typed error of the last attempt."""
        return self.run(self._request_once, self.build(method, url, headers, content), authenticate, on_retry=on_retry)

    def _request_once(self, request: httpx.Request, authenticate: bool) -> httpx.Response:
        return self._checked(self.send_once(request, authenticate=authenticate))

    def byte_chunks(self, response: httpx.Response) -> Iterator[bytes]:
        """Raw bytes from our own transport when the body is not compressed: its byte stream itself, without
        httpx's decoder and re-chunking layers (a generator and two calls per chunk, none of which an
        uncompressed body needs); a transport that handed back an in-memory, already read body is read
        through httpx."""
        stream = response.stream
        if (
            self.direct
            and isinstance(stream, httpx.SyncByteStream)
            and not response.is_stream_consumed
            and not response.is_closed
            and response.headers.get("content-encoding", "identity") in ("identity", "")
        ):
            response.is_stream_consumed = True  # as iter_raw() marks it: nothing reads these bytes twice
            return iter(stream)
        return response.iter_bytes()

    def close(self) -> None:
        if not self.owns_http:
            return
        if self._transport is not None:
            self._transport.close()
        elif self.http is not None:
            self.http.close()


class AsyncSender(_SenderBase):
    """Sends with an async transport or ``httpx.AsyncClient``; sleeps with ``sleep`` (default ``asyncio.sleep``)."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        http_client: Optional[httpx.AsyncClient] = None,
        transport: Optional[httpx.AsyncBaseTransport] = None,
        sleep: Optional[Callable[[float], Awaitable[None]]] = None,
    ) -> None:
        super().__init__(settings)
        proxy = settings.proxy
        _check_proxy_alone(proxy, http_client, transport)
        self._sleep = sleep  # None: the module's _async_sleep, looked up when sleeping
        self.owns_http = http_client is None
        self._transport: Optional[httpx.AsyncBaseTransport] = None
        self.http: Optional[httpx.AsyncClient] = http_client
        if http_client is None:
            if transport is None and proxy is None and proxies_configured():
                self.http = proxy_client(httpx.AsyncClient, limits=LIMITS, verify=ssl_context(), timeout=self.timeout)
            else:
                if transport is None:
                    from .transport import SplitPoolTransport

                    transport = SplitPoolTransport(limits=LIMITS, verify=ssl_context(), proxy=proxy)
                self._transport = transport
                self.direct = True
        else:
            bound_by_deadlines(http_client)

    async def _exchange(self, request: httpx.Request, *, stream: bool, deadline: Optional[float]) -> httpx.Response:
        request.extensions["timeout"] = self._stream_ext if stream else self._ext_until(deadline)
        scope = enter_budget(self._budget(stream, deadline))
        try:
            try:
                if self._transport is not None:
                    response = await self._transport.handle_async_request(request)
                    response.request = request
                else:
                    assert self.http is not None
                    response = await self.http.send(request, stream=True, auth=None)
            except BaseException:
                # a cancellation inside httpcore's pool can orphan a connection (transport.take_orphans)
                await aclose_orphans(self._pool_owner())
                raise
            close_if_desynchronised(response)
            if not stream:
                claim = connection_claim(response)
                try:
                    self._prepare_body_read(response, deadline)
                    await aread_capped(response, self.max_body_bytes, endpoint=self.endpoint)
                finally:
                    await aclose_shielded(response, claim)
        finally:
            exit_budget(scope)
        return response

    async def send_once(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        authenticate: bool = True,
        deadline: Optional[float] = None,
    ) -> httpx.Response:
        if deadline is None:
            deadline = self.deadline()
        auth = _auth_of(self, authenticate)
        if auth is None:
            return await self._exchange(request, stream=stream, deadline=deadline)
        return await self._drive(auth.flow(request, deadline), stream=stream, deadline=deadline)  # type: ignore[no-any-return]

    async def send_stream(self, request: PostRequest) -> httpx.Response:
        """See :meth:`SyncSender.send_stream`."""
        return await self.send_once(self.build("POST", request.url, request.headers, request.body), stream=True)

    async def token(self) -> str:
        """See :meth:`SyncSender.token`."""
        if not isinstance(self.auth, GlooOAuth):
            raise TypeError("token() needs OAuth client credentials")
        deadline = self.deadline()
        return await self._drive(self.auth.token_flow(deadline), stream=False, deadline=deadline)  # type: ignore[no-any-return]

    async def _drive(self, flow: Generator[Any, Any, Any], *, stream: bool, deadline: Optional[float]) -> Any:
        try:
            step = next(flow)
            while True:
                if type(step) is Mint:
                    try:
                        reply = await self._exchange(step.request, stream=False, deadline=deadline)
                    except Exception as exc:
                        step = flow.throw(self.translate(exc))
                        continue
                    step = flow.send(reply)
                elif type(step) is Wait:
                    await step.wait()
                    step = next(flow)
                elif type(step) is Resolve:
                    step = flow.send(await step.acall())
                else:
                    assert type(step) is Send
                    response = await self._exchange(step.request, stream=stream, deadline=deadline)
                    try:
                        step = flow.send(response)
                    except StopIteration:
                        return response
                    await aclose_shielded(response)
        except StopIteration as stop:
            return stop.value
        finally:
            flow.close()

    async def run(
        self,
        attempt: Callable[..., Awaitable[T]],
        *args: Any,
        on_retry: Optional[RetryHook] = None,
        recover: Optional[Recover] = None,
    ) -> T:
        """THE async retry loop: await ``attempt(*args)`` until it returns, or the policy gives up."""
        n = 0
        while True:
            try:
                return await attempt(*args)
            except Exception as exc:
                delay = self._retry_delay(n, exc, on_retry, recover)
            n += 1
            if delay is not None:
                await (_async_sleep if self._sleep is None else self._sleep)(delay)

    async def request(
        self,
        method: str,
        url: Union[str, httpx.URL],
        *,
        headers: Mapping[str, str],
        content: Optional[bytes] = None,
        authenticate: bool = True,
        on_retry: Optional[RetryHook] = None,
    ) -> httpx.Response:
        """The generic entry point (see :meth:`SyncSender.request`)."""
        return await self.run(
            self._request_once, self.build(method, url, headers, content), authenticate, on_retry=on_retry
        )

    async def _request_once(self, request: httpx.Request, authenticate: bool) -> httpx.Response:
        return self._checked(await self.send_once(request, authenticate=authenticate))

    def byte_chunks(self, response: httpx.Response) -> AsyncIterator[bytes]:
        stream = response.stream
        if (
            self.direct
            and isinstance(stream, httpx.AsyncByteStream)
            and not response.is_stream_consumed
            and not response.is_closed
            and response.headers.get("content-encoding", "identity") in ("identity", "")
        ):
            response.is_stream_consumed = True
            return stream.__aiter__()
        return response.aiter_bytes()

    def close_abandoned(self) -> None:
        """Synchronously release our sockets after the event loop they belong to has closed."""
        if not self.owns_http:
            return  # a caller's client is the caller's
        from .transport import close_sockets_now

        if self._transport is not None:
            close_sockets_now(self._transport)
        elif self.http is not None:
            for transport in [self.http._transport, *self.http._mounts.values()]:
                if transport is not None:
                    close_sockets_now(transport)

    async def aclose(self) -> None:
        if not self.owns_http:
            return
        if self._transport is not None:
            await self._transport.aclose()
        elif self.http is not None:
            await self.http.aclose()
