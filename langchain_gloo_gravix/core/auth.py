"""Credentials as a flow of steps the sender drives: Gloo OAuth2 client credentials, or none configured.

The decisions live in one generator per credential kind (:meth:`GlooOAuth.flow`), which yields steps:

- :class:`Send`: the caller's request, with the bearer token set; the flow is sent its response.
- :class:`Mint`: a token request; the sender reads its whole body (same timeouts and whole-call deadline as
  the call it serves) and sends the response back, or throws the typed error of a failed send into the flow.
- :class:`Resolve`: the caller's ``api_key`` callable must be called (sync driver) or awaited (async
  driver); the flow is sent what it returned (:class:`CallableKeyAuth`).
- :class:`Wait`: another caller is refreshing; the sender blocks (or awaits) :meth:`Wait.block` /
  :meth:`Wait.wait`, which raise that refresh's failure as this caller's own.

The sender (sender.py) is the only driver, on every send path: there is no second copy of these rules for
httpx's auth machinery. Locks are never held across a ``yield``.

Rules:

- The token is cached until ``expires_in`` (3600 when absent or unusable, at most one day) minus a 60 s skew.
- Concurrent callers share one refresh (a *round*), across threads and event loops: the cache is per
  ``(token URL, client id, secret)`` for the whole process.
- The owner's failure of a round (including a timeout) reaches every waiter of that round, each as its own
  exception object, and counts as their attempt (the caller's retry loop decides what follows).
- A round carries the owner's deadline. A waiter whose own deadline passes first fails with a timeout; a
  waiter still waiting a grace period after the owner's deadline takes the refresh over.
- In a forked child, the in-flight rounds and the locks are reset (``os.register_at_fork``).
- A 401 for a cached token drops it, mints once more and resends once.
- Client id and secret are percent-encoded before Basic auth (RFC 6749 2.3.1, as Gloo's TypeScript clients
  do); if the server refuses and encoding changed them, the raw form (as Gloo's Python examples send) is tried
  once.
- A token response is validated before it is cached: the token must be visible ASCII (surrounding whitespace
  is stripped), ``expires_in`` a finite positive number (else the default; capped at one day).
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import inspect
import os
import threading
import time
import weakref
from concurrent.futures import Future
from typing import Any, Callable, Generator, Optional, Union
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from .endpoints import GLOO_TOKEN_SCOPE
from .errors import (
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    GlooGravixError,
    MalformedResponseError,
    MissingCredentialsError,
    body_preview,
    error_from_response,
)
from .redact import redact_error, secret_forms
from .wire import token_fields

__all__ = [
    "TokenCache",
    "GlooOAuth",
    "MissingCredentialsAuth",
    "CallableKeyAuth",
    "SenderAuth",
    "Resolve",
    "Send",
    "Mint",
    "Wait",
    "token_cache_for",
]

DEFAULT_EXPIRES_IN = 3600.0
MAX_EXPIRES_IN = 86400.0
REFRESH_SKEW = 60.0
#: how long a waiter waits past the owner's deadline before it takes the refresh over
TAKEOVER_GRACE = 1.0
#: the owner's deadline when it has none (timeouts disabled): waiters take over after this
_UNBOUNDED_ROUND = 60.0


class _Abandoned(Exception):
    """The caller that was refreshing went away (cancelled, closed): waiters claim again."""


def clone_error(error: GlooGravixError) -> GlooGravixError:
    """A fresh exception object with the same class and fields, so that every waiter raises its own
    (sharing one object across threads would splice their tracebacks together)."""
    copy = error.__class__.__new__(error.__class__)
    copy.__dict__.update(error.__dict__)
    copy.args = error.args
    return copy


class _Round:
    """One refresh in flight: its outcome and the owner's deadline (monotonic seconds)."""

    __slots__ = ("future", "deadline")

    def __init__(self, deadline: float) -> None:
        self.future: Future[str] = Future()
        self.deadline = deadline


# -- the steps a flow yields ---------------------------------------------------------------------------------


class Send:
    """Send the caller's request; the flow receives the response (open, if streaming)."""

    __slots__ = ("request",)

    def __init__(self, request: httpx.Request) -> None:
        self.request = request


class Mint:
    """Send a token request and read its whole body before the flow sees it."""

    __slots__ = ("request",)

    def __init__(self, request: httpx.Request) -> None:
        self.request = request


class Resolve:
    """Get the current key from the caller's ``api_key`` callable: :meth:`call` in the sync driver,
    :meth:`acall` in the async one; the flow is sent the result."""

    __slots__ = ("provider",)

    def __init__(self, provider: Callable[[], Any]) -> None:
        self.provider = provider

    def call(self) -> Any:
        if inspect.iscoroutinefunction(self.provider):
            raise ConfigurationError(
                "api_key is an async callable, which a sync call cannot await: use the async methods "
                "(ainvoke, astream, achat, aembed_documents, ...) or pass a sync callable"
            )
        try:
            value = self.provider()
        except Exception as exc:
            raise _provider_failed(exc) from exc
        if inspect.isawaitable(value):
            close = getattr(value, "close", None)
            if close is not None:
                close()  # never awaited: closed, so Python does not warn about it
            raise ConfigurationError(
                "api_key returned an awaitable in a sync call: use the async methods or pass a sync callable"
            )
        return value

    async def acall(self) -> Any:
        try:
            if inspect.iscoroutinefunction(self.provider):
                return await self.provider()
            # a sync callable may block (a secrets manager, a file): off the event loop, as ChatOpenAI does
            value = await asyncio.get_running_loop().run_in_executor(None, self.provider)
            return await value if inspect.isawaitable(value) else value
        except Exception as exc:
            raise _provider_failed(exc) from exc


def _provider_failed(exc: Exception) -> MissingCredentialsError:
    # the type only: the provider's own message may quote what it was reading
    return MissingCredentialsError(f"the api_key callable raised {type(exc).__name__}; no key to send")


class Wait:
    """Wait for another caller's refresh; then the flow claims again."""

    __slots__ = ("round", "deadline", "clock")

    def __init__(self, round_: _Round, deadline: Optional[float], clock: Callable[[], float]) -> None:
        self.round = round_
        self.deadline = deadline
        self.clock = clock

    def _limit(self) -> tuple[float, bool]:
        """Seconds to wait, and whether that limit is the caller's own deadline (else the takeover time)."""
        takeover = self.round.deadline + TAKEOVER_GRACE - self.clock()
        if self.deadline is not None:
            own = self.deadline - self.clock()
            if own <= takeover:
                return max(0.0, own), True
        return max(0.0, takeover), False

    def _outcome(self, finished: bool, own_limit: bool, waited: float) -> None:
        if not finished:
            if own_limit:
                raise APITimeoutError(
                    f"gave up after {waited:.2f} s waiting for another caller's token refresh (timeout)",
                    endpoint="gloo token",
                )
            return  # the owner is past its deadline: claim again and take over
        error = self.round.future.exception()
        if isinstance(error, GlooGravixError):
            raise clone_error(error)
        # a token, or _Abandoned: claim again

    def block(self) -> None:
        """Sync: wait for the round; raise its failure (as this caller's own), or return to claim again."""
        limit, own = self._limit()
        done, _ = concurrent.futures.wait([self.round.future], timeout=limit)
        self._outcome(bool(done), own, limit)

    async def wait(self) -> None:
        """Async twin of :meth:`block`. The caller's task awaits a future of its own, which is only ever given
        ``None``: a cancelled caller leaves nothing unretrieved and never cancels the shared refresh."""
        limit, own = self._limit()
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()

        def wake(_: Future[str]) -> None:
            try:
                loop.call_soon_threadsafe(_release, woken)
            except RuntimeError:  # that caller's loop has closed: nobody is waiting any more
                pass

        self.round.future.add_done_callback(wake)
        try:
            await asyncio.wait_for(woken, limit)
            finished = True
        except asyncio.TimeoutError:
            finished = self.round.future.done()
        self._outcome(finished, own, limit)


def _release(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)


# -- the cache ------------------------------------------------------------------------------------------------


class TokenCache:
    """One bearer token, its expiry, and the refresh round in flight (if any)."""

    def __init__(self, *, skew: float = REFRESH_SKEW, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self.clock = clock
        self._skew = skew
        self._token: Optional[str] = None
        self._expires_at = 0.0
        self._inflight: Optional[_Round] = None
        #: how many token requests were started (for tests and diagnostics).
        self.mints = 0
        _all_caches.add(self)

    def claim(self, deadline: Optional[float]) -> tuple[Optional[str], Optional[_Round], bool]:
        """``(token, None, False)`` if fresh; ``(None, round, False)`` to wait for ``round``;
        ``(None, round, True)`` when the caller must refresh and settle ``round`` (a round whose owner is past
        its deadline plus the grace period is taken over)."""
        with self._lock:
            now = self.clock()
            if self._token is not None and now < self._expires_at:
                return self._token, None, False
            current = self._inflight
            if current is not None and now <= current.deadline + TAKEOVER_GRACE:
                return None, current, False
            owner_deadline = deadline if deadline is not None else now + _UNBOUNDED_ROUND
            self._inflight = round_ = _Round(owner_deadline)
            self.mints += 1
            return None, round_, True

    def settle(self, round_: _Round, token: str, expires_in: float) -> None:
        # Never keep a token past half its life when the lifetime is shorter than the skew.
        margin = min(self._skew, expires_in / 2)
        with self._lock:
            self._token = token
            self._expires_at = self.clock() + expires_in - margin
            if self._inflight is round_:
                self._inflight = None
        if not round_.future.done():
            round_.future.set_result(token)

    def fail(self, round_: _Round, error: BaseException) -> None:
        with self._lock:
            if self._inflight is round_:
                self._inflight = None
        if not round_.future.done():
            round_.future.set_exception(error)

    def invalidate(self, token: str) -> None:
        """Drop ``token`` if it is still the cached one (another caller may have re-minted)."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _after_fork(self) -> None:
        # The refreshing thread does not exist in the child, and a lock it held would stay held forever.
        self._lock = threading.Lock()
        self._inflight = None


_all_caches: "weakref.WeakSet[TokenCache]" = weakref.WeakSet()
_caches: dict[tuple[str, str, str], TokenCache] = {}
_caches_lock = threading.Lock()


def _reset_after_fork() -> None:
    global _caches_lock
    _caches_lock = threading.Lock()
    for cache in list(_all_caches):
        cache._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def token_cache_for(token_url: str, client_id: str, client_secret: str) -> TokenCache:
    """The process-wide cache for these credentials (the secret is keyed by its hash)."""
    key = (token_url, client_id, hashlib.sha256(client_secret.encode()).hexdigest())
    with _caches_lock:
        cache = _caches.get(key)
        if cache is None:
            cache = _caches[key] = TokenCache()
        return cache


def _basic(client_id: str, client_secret: str, *, encode: bool) -> str:
    if encode:
        client_id, client_secret = quote(client_id, safe=""), quote(client_secret, safe="")
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


Flow = Generator[Union[Send, Mint, Wait, Resolve], Any, None]


class SenderAuth(httpx.Auth):
    """Credentials the sender drives step by step (see the module docstring)."""

    def flow(self, request: httpx.Request, deadline: Optional[float]) -> Flow:
        raise NotImplementedError

    def live_secrets(self) -> tuple[str, ...]:
        """Secrets obtained while running (a minted token, a key a callable returned), to scrub from errors
        and response headers besides the configured ones."""
        return ()

    # httpx drivers, for callers who hand this object to httpx themselves. The package's own requests never
    # use them: the sender drives :meth:`flow` with its timeouts.
    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        flow = self.flow(request, None)
        sent: Any = None
        while True:
            try:
                step = flow.send(sent)
            except StopIteration:
                return
            if isinstance(step, Wait):
                step.block()
                sent = None
            elif isinstance(step, Resolve):
                sent = step.call()
            else:
                sent = yield step.request
                if isinstance(step, Mint):
                    sent.read()

    async def async_auth_flow(self, request: httpx.Request) -> Any:
        flow = self.flow(request, None)
        sent: Any = None
        while True:
            try:
                step = flow.send(sent)
            except StopIteration:
                return
            if isinstance(step, Wait):
                await step.wait()
                sent = None
            elif isinstance(step, Resolve):
                sent = await step.acall()
            else:
                sent = yield step.request
                if isinstance(step, Mint):
                    await sent.aread()


class GlooOAuth(SenderAuth):
    """Bearer tokens from Gloo's ``/oauth2/token`` client-credentials grant."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: Union[str, SecretStr],
        *,
        endpoint: str = "gloo",
        cache: Optional[TokenCache] = None,
    ) -> None:
        secret = client_secret.get_secret_value() if isinstance(client_secret, SecretStr) else client_secret
        self.token_url = token_url
        self.client_id = client_id
        self._secret = SecretStr(secret)
        self.endpoint = endpoint
        self.cache = cache or token_cache_for(token_url, client_id, secret)

    def live_secrets(self) -> tuple[str, ...]:
        token = self.cache._token
        return (token,) if token else ()

    def __repr__(self) -> str:
        return f"GlooOAuth(token_url={self.token_url!r}, client_id={self.client_id!r}, client_secret='**********')"

    # -- decisions, written once --------------------------------------------------------

    def _token_request(self, *, encode: bool) -> httpx.Request:
        return httpx.Request(
            "POST",
            self.token_url,
            headers={
                "Authorization": _basic(self.client_id, self._secret.get_secret_value(), encode=encode),
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            content=f"grant_type=client_credentials&scope={quote(GLOO_TOKEN_SCOPE, safe='')}".encode(),
        )

    def _accept(self, response: httpx.Response) -> tuple[str, float]:
        try:
            return self._accept_unredacted(response)
        except GlooGravixError as error:
            # a token endpoint may echo our Basic header or secret in its error body: scrubbed in place
            redact_error(error, secret_forms(client_id=self.client_id, client_secret=self._secret.get_secret_value()))
            raise

    def _accept_unredacted(self, response: httpx.Response) -> tuple[str, float]:
        raw = response.content
        if response.status_code != 200:
            error = error_from_response(response.status_code, response.headers, raw, endpoint=f"{self.endpoint} token")
            if response.status_code in (400, 401):
                raise AuthenticationError(
                    f"Gloo refused the client credentials at {self.token_url} "
                    f"(HTTP {response.status_code}: {error.server_message or body_preview(raw)}); "
                    "check client_id / client_secret (GLOO_CLIENT_ID / GLOO_CLIENT_SECRET)",
                    endpoint=self.endpoint,
                    status_code=response.status_code,
                    request_id=error.request_id,
                    code=error.code,
                    server_message=error.server_message,
                    retryable=False,
                )
            raise error
        # the lenient, never-raising read of a token body (wire.token_fields)
        token, expires_in = token_fields(raw, DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN)
        if token is None:
            # The body is not shown: it may hold a token that is merely malformed.
            raise MalformedResponseError(
                f"token endpoint {self.token_url} answered HTTP 200 without a usable access_token ({len(raw)} bytes)",
                endpoint=self.endpoint,
                status_code=200,
            )
        return token, expires_in

    def _mint(self, round_: _Round) -> Generator[Any, Any, str]:
        settled = False
        try:
            response = yield Mint(self._token_request(encode=True))
            if (
                response.status_code in (400, 401)
                and quote(self.client_id, safe="") + quote(self._secret.get_secret_value(), safe="")
                != self.client_id + self._secret.get_secret_value()
            ):
                response = yield Mint(self._token_request(encode=False))
            token, expires_in = self._accept(response)
            self.cache.settle(round_, token, expires_in)
            settled = True
            return token
        except GlooGravixError as error:
            # the owner's failure is every waiter's failure of this round
            self.cache.fail(round_, error)
            settled = True
            raise
        finally:
            if not settled:
                self.cache.fail(round_, _Abandoned())

    def _token(self, deadline: Optional[float]) -> Generator[Any, Any, str]:
        while True:
            token, round_, owner = self.cache.claim(deadline)
            if token is not None:
                return token
            assert round_ is not None
            if owner:
                return (yield from self._mint(round_))
            yield Wait(round_, deadline, self.cache.clock)  # raises the round's failure; else claim again

    def token_flow(self, deadline: Optional[float]) -> Generator[Any, Any, str]:
        """Only the token part of :meth:`flow` (the cached token, or a refresh): returns the token."""
        return self._token(deadline)

    def flow(self, request: httpx.Request, deadline: Optional[float]) -> Flow:
        token = yield from self._token(deadline)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield Send(request)
        if response.status_code == 401:
            # expired or revoked early: drop it, mint once more, resend once
            self.cache.invalidate(token)
            token = yield from self._token(deadline)
            request.headers["Authorization"] = f"Bearer {token}"
            yield Send(request)


class MissingCredentialsAuth(SenderAuth):
    """Stands in when no credentials were configured, so construction never fails:
    the first request raises a :class:`MissingCredentialsError` naming what to set."""

    def __init__(self, message: str, endpoint: str) -> None:
        self.message = message
        self.endpoint = endpoint

    def flow(self, request: httpx.Request, deadline: Optional[float]) -> Flow:
        raise MissingCredentialsError(self.message, endpoint=self.endpoint)
        yield Send(request)  # pragma: no cover  (makes this a generator)


class CallableKeyAuth(SenderAuth):
    """A bearer key from the caller's ``api_key`` callable (sync or async), called once per request, so a
    rotated key is used from the next request on (ChatOpenAI's semantics). What it returns is checked like a
    static key (credentials.check_credential); it is never shown, and the last keys are scrubbed from errors."""

    _KEEP = 2  # the current key and the one before it (a rotation may race a request in flight)

    def __init__(self, provider: Callable[[], Any], endpoint: str) -> None:
        self.provider = provider
        self.endpoint = endpoint
        self._recent: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"CallableKeyAuth(endpoint={self.endpoint!r})"

    def accept(self, value: Any) -> str:
        from .credentials import check_credential

        key = check_credential(value, "the key returned by the api_key callable", header=True)
        if key is None:
            raise ConfigurationError("the api_key callable returned None; it must return the key (a str)")
        if not self._recent or self._recent[0] != key:
            self._recent = (key, *self._recent)[: self._KEEP]
        return key

    def live_secrets(self) -> tuple[str, ...]:
        return self._recent

    def flow(self, request: httpx.Request, deadline: Optional[float]) -> Flow:
        key = self.accept((yield Resolve(self.provider)))
        request.headers["Authorization"] = f"Bearer {key}"
        yield Send(request)
