"""Gloo OAuth2 client credentials as an ``httpx.Auth``.

The decisions live in one generator, :meth:`GlooOAuth._flow`, which yields either
a request to send or a :class:`_Wait` for another caller's refresh; the sync and
async drivers only translate those two things into I/O. Locks are never held
across a ``yield``.

- The token is cached until ``expires_in`` (3600 when absent) minus a 60 s skew.
- Concurrent callers share one refresh, across threads and event loops: the cache
  is per ``(token URL, client id, secret)`` for the whole process, and waiters
  block on (or await) a ``concurrent.futures.Future``.
- A 401 for a cached token drops it, mints once more and resends once.
- Client id and secret are percent-encoded before Basic auth (RFC 6749 2.3.1, as
  Gloo's TypeScript clients do); if the server refuses and encoding changed them,
  the raw form (as Gloo's Python examples send) is tried once.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, AsyncGenerator, Generator, Optional, Union
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from .endpoints import GLOO_TOKEN_SCOPE
from .errors import (
    AuthenticationError,
    GlooGravixError,
    MalformedResponseError,
    MissingCredentialsError,
    body_preview,
    describe_body,
    error_from_response,
)
from .wire import token_fields

__all__ = ["TokenCache", "GlooOAuth", "MissingCredentialsAuth", "token_cache_for"]

DEFAULT_EXPIRES_IN = 3600.0
REFRESH_SKEW = 60.0
_WAIT_LIMIT = 60.0  # a waiter takes over if a refresh has not settled by then


class _Abandoned(Exception):
    """The caller that was refreshing went away (cancelled, connection error)."""


class _Wait:
    __slots__ = ("future",)

    def __init__(self, future: Future) -> None:
        self.future = future


class _Mint:
    """A token request; its response body must be read before the flow sees it."""

    __slots__ = ("request",)

    def __init__(self, request: httpx.Request) -> None:
        self.request = request


class TokenCache:
    """One bearer token, its expiry, and the refresh in flight (if any)."""

    def __init__(self, *, skew: float = REFRESH_SKEW, clock=time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._skew = skew
        self._token: Optional[str] = None
        self._expires_at = 0.0
        self._inflight: Optional[Future] = None
        #: how many token requests were started (for tests and diagnostics).
        self.mints = 0

    def claim(self) -> tuple[Optional[str], Optional[Future], bool]:
        """``(token, None, False)`` if fresh; ``(None, fut, False)`` to wait for
        ``fut``; ``(None, fut, True)`` when the caller must refresh and settle ``fut``."""
        with self._lock:
            if self._token is not None and self._clock() < self._expires_at:
                return self._token, None, False
            if self._inflight is not None:
                return None, self._inflight, False
            self._inflight = Future()
            self.mints += 1
            return None, self._inflight, True

    def settle(self, future: Future, token: str, expires_in: float) -> None:
        # Never keep a token past half its life when the lifetime is shorter than the skew.
        margin = min(self._skew, expires_in / 2)
        with self._lock:
            self._token = token
            self._expires_at = self._clock() + expires_in - margin
            if self._inflight is future:
                self._inflight = None
        future.set_result(token)

    def fail(self, future: Future, error: BaseException) -> None:
        with self._lock:
            if self._inflight is future:
                self._inflight = None
        if not future.done():
            future.set_exception(error)

    def invalidate(self, token: str) -> None:
        """Drop ``token`` if it is still the cached one (another caller may have re-minted)."""
        with self._lock:
            if self._token == token:
                self._token = None


_caches: dict[tuple[str, str, str], TokenCache] = {}
_caches_lock = threading.Lock()


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


class GlooOAuth(httpx.Auth):
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
        # issue 10: the lenient, never-raising read of a token body lives in wire.token_fields.
        token, expires_in = token_fields(raw, DEFAULT_EXPIRES_IN)
        if token is None:
            raise MalformedResponseError(
                f"token endpoint {self.token_url} answered HTTP 200 without an access_token "
                f"({describe_body(raw, response.headers.get('content-type'))})",
                endpoint=self.endpoint,
                status_code=200,
            )
        return token, expires_in

    def _mint(self, future: Future) -> Generator[Any, Any, str]:
        settled = False
        try:
            encoded = self._token_request(encode=True)
            response = yield _Mint(encoded)
            if response.status_code in (400, 401) and quote(self.client_id, safe="") + quote(
                self._secret.get_secret_value(), safe=""
            ) != self.client_id + self._secret.get_secret_value():
                response = yield _Mint(self._token_request(encode=False))
            token, expires_in = self._accept(response)
            self.cache.settle(future, token, expires_in)
            settled = True
            return token
        except GlooGravixError as error:
            self.cache.fail(future, error)
            settled = True
            raise
        finally:
            if not settled:
                self.cache.fail(future, _Abandoned())

    def _token(self) -> Generator[Any, Any, str]:
        while True:
            token, future, owner = self.cache.claim()
            if token is not None:
                return token
            assert future is not None
            if owner:
                return (yield from self._mint(future))
            yield _Wait(future)  # the driver waits; the refresh's outcome is re-read by claim()

    def _flow(self, request: httpx.Request) -> Generator[Any, Any, None]:
        token = yield from self._token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            # expired or revoked early: drop it, mint once more, resend once
            self.cache.invalidate(token)
            token = yield from self._token()
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    # -- the two drivers -------------------------------------------------------------------

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        flow = self._flow(request)
        sent: Any = None
        while True:
            try:
                item = flow.send(sent)
            except StopIteration:
                return
            if isinstance(item, _Wait):
                sent = None
                try:
                    item.future.result(timeout=_WAIT_LIMIT)
                except (_Abandoned, FutureTimeout):
                    pass  # claim again; this caller may become the refresher
                continue
            if isinstance(item, _Mint):
                sent = yield item.request
                sent.read()
            else:
                sent = yield item

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        flow = self._flow(request)
        sent: Any = None
        while True:
            try:
                item = flow.send(sent)
            except StopIteration:
                return
            if isinstance(item, _Wait):
                sent = None
                try:
                    # shield: a cancelled waiter must not cancel the shared refresh
                    await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(item.future)), _WAIT_LIMIT)
                except (_Abandoned, asyncio.TimeoutError):
                    pass
                continue
            if isinstance(item, _Mint):
                sent = yield item.request
                await sent.aread()
            else:
                sent = yield item


class MissingCredentialsAuth(httpx.Auth):
    """Stands in when no credentials were configured, so construction never fails:
    the first request raises a :class:`MissingCredentialsError` naming what to set."""

    def __init__(self, message: str, endpoint: str) -> None:
        self.message = message
        self.endpoint = endpoint

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise MissingCredentialsError(self.message, endpoint=self.endpoint)
        yield request  # pragma: no cover  (makes this a generator)
