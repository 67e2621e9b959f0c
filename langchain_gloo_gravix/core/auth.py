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
import inspect
from typing import Any, Callable, Generator, Optional, Union
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from .endpoints import GLOO_TOKEN_SCOPE
from .error_text import body_preview, describe_body
from .errors import (
    AuthenticationError,
    ConfigurationError,
    GlooGravixError,
    MalformedResponseError,
    MissingCredentialsError,
    error_from_response,
)
from .redact import redact_error, secret_forms
from .token_cache import (
    DEFAULT_EXPIRES_IN,
    MAX_EXPIRES_IN,
    TokenCache,
    Wait,
    _Abandoned,
    _Round,
    token_cache_for,
    token_fields,
)

__all__ = [
    "GlooOAuth",
    "MissingCredentialsAuth",
    "CallableKeyAuth",
    "SenderAuth",
    "Send",
    "Mint",
    "Wait",
    "Resolve",
    "Flow",
]


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


def _basic(client_id: str, client_secret: str, *, encode: bool) -> str:
    if encode:
        client_id, client_secret = quote(client_id, safe=""), quote(client_secret, safe="")
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


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

    def __repr__(self) -> str:
        return f"GlooOAuth(token_url={self.token_url!r}, client_id={self.client_id!r}, client_secret='**********')"

    # -- decisions, written once --------------------------------------------------------

    @property
    def current_token(self) -> Optional[str]:
        """The cached bearer token (the sender scrubs it from server text), or None."""
        return self.cache.token

    def live_secrets(self) -> tuple[str, ...]:
        token = self.cache.token
        return (token,) if token else ()

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
                shown = error.server_message or (
                    describe_body(raw, response.headers.get("content-type"))
                    if _looks_html(response)
                    else body_preview(raw)
                )
                raise AuthenticationError(
                    f"Gloo refused the client credentials at {self.token_url} "
                    f"(HTTP {response.status_code}: {shown}); "
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
            # The body is not shown: it may hold a token that is merely malformed (an HTML page is named as one).
            what = "an HTML page (a proxy, gateway or login page?)" if _looks_html(response) else f"{len(raw)} bytes"
            raise MalformedResponseError(
                f"token endpoint {self.token_url} answered HTTP 200 without a usable access_token ({what})",
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


def _looks_html(response: httpx.Response) -> bool:
    """A body that is a web page, by its content type or its first bytes."""
    head = response.content[:64].lstrip().lower()
    return "html" in response.headers.get("content-type", "").lower() or head.startswith((b"<!doctype html", b"<html"))


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
