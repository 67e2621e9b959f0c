"""Client and AsyncClient: the only code that sends, sleeps or awaits.

Both share :class:`_BaseClient`, which holds the configuration and every pure
step (request building, response parsing, error translation). The sync and
async classes contain only the drivers: send with retries, iterate bytes.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import ssl
import time
import urllib.request
from typing import Any, AsyncIterator, Callable, Iterator, Mapping, Optional, Sequence, Union

import httpx
from pydantic import SecretStr, ValidationError

from .auth import GlooOAuth, MissingCredentialsAuth
from .endpoints import (
    GLOO_TOKEN_PATH,
    Endpoint,
    credentials_help,
    env_credentials,
    get_endpoint,
    resolve_base_url,
)
from .errors import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    GlooGravixError,
    MalformedResponseError,
    StreamError,
    StreamTimeoutError,
    body_preview,
    error_from_response,
    request_id_from_headers,
)
from ._stream_state import StreamState
from .request import build_body, merge_params
from .retry import RetryPolicy
from .streaming import completion_to_delta
from .transport import SplitPoolTransport
from .wire import ChatCompletion, ModelInfo, StreamDelta

__all__ = ["Client", "AsyncClient", "ChatStream", "AsyncChatStream", "DEFAULT_TIMEOUT", "DEFAULT_STREAM_IDLE_TIMEOUT"]

logger = logging.getLogger("langchain_gloo_gravix")

#: finite by default (ChatOpenAI's default is no timeout at all; frameworks.md F34).
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=120.0, write=30.0, pool=30.0)
#: the longest a stream may go without an event; keep-alive comments do not count.
DEFAULT_STREAM_IDLE_TIMEOUT = 120.0
_LIMITS = httpx.Limits(max_connections=256, max_keepalive_connections=128, keepalive_expiry=30.0)
_USER_AGENT = "langchain-gloo-gravix/0.1"

Secret = Union[str, SecretStr, None]
RetryHook = Callable[[int, GlooGravixError, float], None]


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """One default TLS context for every client: building one loads the CA bundle
    (tens of milliseconds), which would otherwise be paid per client and per pool."""
    return httpx.create_ssl_context()


def _proxies_configured() -> bool:
    """True when HTTP(S)_PROXY / ALL_PROXY style settings exist (httpx honours them)."""
    return any(key in ("http", "https", "all") for key in urllib.request.getproxies())


def _reveal(value: Secret) -> Optional[str]:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return value or None


def _timeout(value: Any) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value <= 0:
            raise ValueError(f"timeout must be positive seconds, got {value!r}")
        return httpx.Timeout(float(value), connect=min(10.0, float(value)))
    if isinstance(value, tuple):
        return httpx.Timeout(*value)
    raise ValueError(f"timeout must be seconds or an httpx.Timeout, got {value!r}")


class _BaseClient:
    """Configuration and the pure steps shared by both clients."""

    def __init__(
        self,
        endpoint: Union[Endpoint, str],
        *,
        base_url: Optional[str] = None,
        api_key: Secret = None,
        client_id: Optional[str] = None,
        client_secret: Secret = None,
        timeout: Any = None,
        max_retries: int = 2,
        stream_idle_timeout: Optional[float] = DEFAULT_STREAM_IDLE_TIMEOUT,
        default_headers: Optional[Mapping[str, str]] = None,
        default_params: Optional[Mapping[str, Any]] = None,
        include_usage: bool = True,
        retry_policy: Optional[RetryPolicy] = None,
        on_retry: Optional[RetryHook] = None,
    ) -> None:
        self.endpoint = get_endpoint(endpoint)
        self.base_url = resolve_base_url(self.endpoint, base_url)
        self.chat_url = self.base_url + self.endpoint.chat_path
        self._chat_url = httpx.URL(self.chat_url)
        self.models_url = self.base_url + self.endpoint.models_path
        self.timeout = DEFAULT_TIMEOUT if timeout is None else _timeout(timeout)
        self._timeout_ext = self.timeout.as_dict()
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.stream_idle_timeout = stream_idle_timeout
        self.include_usage = include_usage
        #: params merged under every request's params (e.g. model, temperature, extra_body).
        self.default_params = dict(default_params or {})
        self.on_retry = on_retry
        self._headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
            "User-Agent": _USER_AGENT,
        }
        self._headers.update(default_headers or {})
        self._auth: Optional[httpx.Auth] = self._make_auth(api_key, client_id, client_secret)

    def _make_auth(self, api_key: Secret, client_id: Optional[str], client_secret: Secret) -> Optional[httpx.Auth]:
        # Arguments win over the environment; a half-given pair is completed from it.
        env = env_credentials(self.endpoint)
        key = _reveal(api_key)
        cid, secret = client_id or None, _reveal(client_secret)
        if key is None and cid is None and secret is None:
            key = env.get("api_key")
        if key is None:
            cid, secret = cid or env.get("client_id"), secret or env.get("client_secret")
        if key is not None:  # a static key wins over client credentials
            # Precomputed once: a static bearer needs no per-request auth flow.
            self._headers["Authorization"] = f"Bearer {key}"
            return None
        if self.endpoint.auth == "gloo" and cid and secret:
            return GlooOAuth(self.base_url + GLOO_TOKEN_PATH, cid, secret, endpoint=self.endpoint.name)
        missing = "client_secret" if cid else "client_id" if secret else "credentials"
        return MissingCredentialsAuth(
            f"no {missing} for {self.endpoint.name}: {credentials_help(self.endpoint)}", self.endpoint.name
        )

    @property
    def auth(self) -> Optional[httpx.Auth]:
        return self._auth

    def __repr__(self) -> str:
        auth = "oauth" if isinstance(self._auth, GlooOAuth) else "missing" if self._auth else "api_key"
        return f"{type(self).__name__}(endpoint={self.endpoint.name!r}, base_url={self.base_url!r}, auth={auth})"

    # -- pure steps ------------------------------------------------------------------------

    def _body(self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any], stream: bool, include_usage: Optional[bool]) -> bytes:
        # merge_params, not a plain dict merge: a per-call routing choice (model= on a
        # client configured with auto_routing) must replace the configured one rather
        # than become a second mechanism, extra_body dicts must merge, and None means
        # "unset" instead of erasing a configured value.
        merged = merge_params(self.default_params, params) if self.default_params else params
        body = build_body(
            self.endpoint,
            messages,
            merged,
            stream=stream,
            include_usage=self.include_usage if include_usage is None else include_usage,
        )
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    def _chat_request(self, body: bytes, headers: Mapping[str, str]) -> httpx.Request:
        if self._direct:
            # Our own transport: the request is complete as built (headers, timeout).
            return httpx.Request("POST", self._chat_url, headers=headers, content=body, extensions={"timeout": self._timeout_ext})
        # A caller's httpx client: let it merge its own headers, cookies and base URL.
        return self._http.build_request("POST", self._chat_url, content=body, headers=headers, timeout=self.timeout)

    def _setup_http(self, http_client: Any, make_transport: Callable[[], Any], client_class: type) -> None:
        """Use the caller's httpx client as is, or build ours around ``transport``.

        With our own client, chat requests go straight to the transport
        (``_direct``): ``httpx.Client.send`` adds redirect handling, cookie
        extraction and event hooks that an API call never needs, about a third
        of the client-side cost of a call on loopback (benchmarks/). Auth flows
        are driven by the same generator httpx would drive. Proxies configured
        in the environment keep the full httpx path, which honours them.
        """
        self._owns_http = http_client is None
        if http_client is not None:
            self._transport, self._http, self._direct = None, http_client, False
            return
        self._transport = transport = make_transport()
        self._http = client_class(transport=transport, timeout=self.timeout)
        self._direct = not _proxies_configured()

    def _headers_for(self, extra: Optional[Mapping[str, str]]) -> dict[str, str]:
        return {**self._headers, **extra} if extra else self._headers

    def _status_error(self, response: httpx.Response) -> GlooGravixError:
        return error_from_response(response.status_code, response.headers, response.content, endpoint=self.endpoint.name)

    def _completion(self, response: httpx.Response) -> ChatCompletion:
        if response.status_code >= 300:
            raise self._status_error(response)
        raw = response.content
        try:
            completion = ChatCompletion.model_validate_json(raw)
        except ValidationError:
            raise MalformedResponseError(
                f"{self.endpoint.name} answered HTTP {response.status_code} with a body that is not a chat "
                f"completion: {body_preview(raw)!r}",
                endpoint=self.endpoint.name,
                status_code=response.status_code,
                request_id=request_id_from_headers(response.headers),
                body=body_preview(raw),
            ) from None
        if not completion.choices and (completion.model_extra or {}).get("error") is not None:
            # an error envelope delivered with a 2xx status
            raise error_from_response(502, response.headers, raw, endpoint=self.endpoint.name)
        return completion

    def _translate(self, exc: BaseException) -> BaseException:
        """httpx exceptions -> ours (the one boundary where foreign errors are mapped)."""
        if isinstance(exc, GlooGravixError):
            return exc
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"{self.endpoint.name} request timed out: {type(exc).__name__}", endpoint=self.endpoint.name)
        if isinstance(exc, httpx.TransportError):
            return APIConnectionError(
                f"could not reach {self.endpoint.name} at {self.base_url}: {type(exc).__name__}: {exc}",
                endpoint=self.endpoint.name,
            )
        return exc

    def _next_delay(self, attempt: int, error: BaseException) -> Optional[float]:
        delay = self.retry_policy.delay(attempt, error)
        if delay is not None and isinstance(error, GlooGravixError):
            logger.info(
                "retrying %s after %s (attempt %d, waiting %.2f s)", self.endpoint.name, type(error).__name__, attempt + 1, delay
            )
            if self.on_retry is not None:
                self.on_retry(attempt + 1, error, delay)
        return delay

    def _stream_options_refused(self, error: BaseException, body: bytes) -> bool:
        """Some servers reject ``stream_options``; such a stream is resent without it."""
        return (
            isinstance(error, BadRequestError)
            and b'"stream_options"' in body
            and "stream_options" in (error.server_message or str(error.body) or "").lower()
        )

    def _new_state(self, response: httpx.Response) -> StreamState:
        return StreamState(
            endpoint=self.endpoint.name,
            idle_timeout=self.stream_idle_timeout,
            request_id=request_id_from_headers(response.headers),
        )

    def _whole_answer(self, response: httpx.Response, state: StreamState) -> StreamDelta:
        """A server that ignored ``stream: true``: one delta for the whole answer.

        The accumulator is fed the same answer, so that the stream's ``completion()``
        and ``accumulator`` report it too (before, they stayed empty on this path).
        """
        completion = self._completion(response)
        payload = json.loads(response.content)
        payload.pop("error", None)  # _completion() already judged any error envelope
        state.accumulator.add(payload)
        return completion_to_delta(completion)

    def _byte_source(self, response: httpx.Response, sync: bool) -> Any:
        """Raw bytes from our own transport when the body is not compressed (skips
        httpx's decoder layer); a caller's client may hand back pre-read bodies."""
        if self._direct and response.headers.get("content-encoding", "identity") in ("identity", ""):
            return response.iter_raw() if sync else response.aiter_raw()
        return response.iter_bytes() if sync else response.aiter_bytes()

    @staticmethod
    def _is_json(response: httpx.Response) -> bool:
        ctype = response.headers.get("content-type", "")
        return "json" in ctype and "event-stream" not in ctype

    def _mid_stream_error(self, exc: BaseException, state: Optional[StreamState]) -> BaseException:
        error = self._translate(exc)
        if state is not None and isinstance(error, APITimeoutError) and not isinstance(error, StreamError):
            return StreamTimeoutError(
                f"stream timed out after it started: {error.message}",
                endpoint=self.endpoint.name,
                partial_text=state.accumulator.text,
                retryable=True,
                code="read_timeout",
            )
        if state is not None and isinstance(error, APIConnectionError) and not isinstance(error, StreamError):
            return StreamError(
                f"stream broke after it started: {error.message}",
                endpoint=self.endpoint.name,
                partial_text=state.accumulator.text,
                retryable=True,
                code="transport",
            )
        return error

    @staticmethod
    def _models(payload: Any) -> list[ModelInfo]:
        entries = payload.get("data") if isinstance(payload, dict) else payload
        if not isinstance(entries, list):
            raise MalformedResponseError(f"model list is not a list: {str(payload)[:120]!r}")
        return [ModelInfo.model_validate(entry) for entry in entries if isinstance(entry, dict) and entry.get("id")]


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
        **params: Any,
    ) -> ChatCompletion:
        request = self._chat_request(self._body(messages, params, False, None), self._headers_for(extra_headers))
        attempt = 0
        while True:
            try:
                return self._completion(self._send(request))
            except Exception as exc:
                error = self._translate(exc)
                delay = self._next_delay(attempt, error)
                if delay is None:
                    if error is exc:
                        raise
                    raise error from exc
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
        auth = self._auth if self.endpoint.models_need_auth else None
        headers = self._headers if self.endpoint.models_need_auth else {"Accept": "application/json"}
        response = self._http.get(self.models_url, headers=headers, auth=auth or httpx.USE_CLIENT_DEFAULT)
        if response.status_code >= 300:
            raise self._status_error(response)
        try:
            return self._models(response.json())
        except ValueError:
            raise MalformedResponseError(f"model list is not JSON: {body_preview(response.content)!r}") from None

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class ChatStream:
    """Iterate for :class:`StreamDelta`; ``completion()`` for the whole answer.

    The request is sent, and its first event read, inside the retry scope on
    first iteration; once an event reached the caller nothing is retried.
    """

    def __init__(self, client: Client, body: bytes, headers: Mapping[str, str]) -> None:
        self._client = client
        self._body = body
        self._headers = headers
        self._state: Optional[StreamState] = None
        self._iterator: Optional[Iterator[StreamDelta]] = None
        self._chunks: Iterator[bytes] = iter(())
        self._finished = False
        self.response: Optional[httpx.Response] = None

    def _open(self) -> list[StreamDelta]:
        client, attempt = self._client, 0
        while True:
            response = None
            try:
                request = client._chat_request(self._body, self._headers)
                response = client._send(request, stream=True)
                if response.status_code >= 300:
                    response.read()
                    raise client._status_error(response)
                self.response = response
                if client._is_json(response):  # a server that ignored stream=true
                    response.read()
                    self._state = client._new_state(response)
                    self._finished = True
                    return [client._whole_answer(response, self._state)]
                self._state = state = client._new_state(response)
                # one iterator for the whole stream: httpx refuses a second iter_bytes()
                self._chunks = client._byte_source(response, True)
                for chunk in self._chunks:
                    first = state.feed(chunk)
                    if first or state.done:
                        return first
                self._finished = True
                return state.finish()
            except Exception as exc:
                if response is not None:
                    response.close()
                error = client._translate(exc)
                if client._stream_options_refused(error, self._body):
                    self._body = self._body.replace(b',"stream_options":{"include_usage":true}', b"")
                    continue
                delay = client._next_delay(attempt, error)
                if delay is None:
                    if error is exc:
                        raise
                    raise error from exc
                attempt += 1
                time.sleep(delay)

    def _iterate(self) -> Iterator[StreamDelta]:
        try:
            yield from self._open()
            state = self._state
            assert state is not None
            if state.done or self._finished:
                state.raise_pending()
                return
            try:
                for chunk in self._chunks:
                    yield from state.feed(chunk)
                    if state.done:
                        state.raise_pending()
                        return
                yield from state.finish()
            except Exception as exc:
                error = self._client._mid_stream_error(exc, state)
                if error is exc:
                    raise
                raise error from exc
        finally:
            if self.response is not None:
                self.response.close()

    def __iter__(self) -> Iterator[StreamDelta]:
        if self._iterator is None:
            self._iterator = self._iterate()
        return self._iterator

    def completion(self) -> ChatCompletion:
        """Read whatever is left and return the whole answer as a completion."""
        for _ in self:
            pass
        assert self._state is not None
        return self._state.accumulator.completion()

    @property
    def accumulator(self):
        return self._state.accumulator if self._state else None

    def close(self) -> None:
        if self._iterator is not None:
            self._iterator.close()
        elif self.response is not None:
            self.response.close()

    def __enter__(self) -> "ChatStream":
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
        **params: Any,
    ) -> ChatCompletion:
        request = self._chat_request(self._body(messages, params, False, None), self._headers_for(extra_headers))
        attempt = 0
        while True:
            try:
                return self._completion(await self._send(request))
            except Exception as exc:
                error = self._translate(exc)
                delay = self._next_delay(attempt, error)
                if delay is None:
                    if error is exc:
                        raise
                    raise error from exc
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
        auth = self._auth if self.endpoint.models_need_auth else None
        headers = self._headers if self.endpoint.models_need_auth else {"Accept": "application/json"}
        response = await self._http.get(self.models_url, headers=headers, auth=auth or httpx.USE_CLIENT_DEFAULT)
        if response.status_code >= 300:
            raise self._status_error(response)
        try:
            return self._models(response.json())
        except ValueError:
            raise MalformedResponseError(f"model list is not JSON: {body_preview(response.content)!r}") from None

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


class AsyncChatStream:
    """``async for`` for :class:`StreamDelta`; ``await completion()`` for the whole answer."""

    def __init__(self, client: AsyncClient, body: bytes, headers: Mapping[str, str]) -> None:
        self._client = client
        self._body = body
        self._headers = headers
        self._state: Optional[StreamState] = None
        self._iterator: Optional[AsyncIterator[StreamDelta]] = None
        self._chunks: Any = None
        self._finished = False
        self.response: Optional[httpx.Response] = None

    async def _open(self) -> list[StreamDelta]:
        client, attempt = self._client, 0
        while True:
            response = None
            try:
                request = client._chat_request(self._body, self._headers)
                response = await client._send(request, stream=True)
                if response.status_code >= 300:
                    await response.aread()
                    raise client._status_error(response)
                self.response = response
                if client._is_json(response):
                    await response.aread()
                    self._state = client._new_state(response)
                    self._finished = True
                    return [client._whole_answer(response, self._state)]
                self._state = state = client._new_state(response)
                self._chunks = client._byte_source(response, False)
                async for chunk in self._chunks:
                    first = state.feed(chunk)
                    if first or state.done:
                        return first
                self._finished = True
                return state.finish()
            except Exception as exc:
                if response is not None:
                    await response.aclose()
                error = client._translate(exc)
                if client._stream_options_refused(error, self._body):
                    self._body = self._body.replace(b',"stream_options":{"include_usage":true}', b"")
                    continue
                delay = client._next_delay(attempt, error)
                if delay is None:
                    if error is exc:
                        raise
                    raise error from exc
                attempt += 1
                await asyncio.sleep(delay)

    async def _iterate(self) -> AsyncIterator[StreamDelta]:
        try:
            for delta in await self._open():
                yield delta
            state = self._state
            assert state is not None
            if state.done or self._finished:
                state.raise_pending()
                return
            try:
                async for chunk in self._chunks:
                    for delta in state.feed(chunk):
                        yield delta
                    if state.done:
                        state.raise_pending()
                        return
                for delta in state.finish():
                    yield delta
            except Exception as exc:
                error = self._client._mid_stream_error(exc, state)
                if error is exc:
                    raise
                raise error from exc
        finally:
            if self.response is not None:
                await self.response.aclose()

    def __aiter__(self) -> AsyncIterator[StreamDelta]:
        if self._iterator is None:
            self._iterator = self._iterate()
        return self._iterator

    async def completion(self) -> ChatCompletion:
        async for _ in self:
            pass
        assert self._state is not None
        return self._state.accumulator.completion()

    @property
    def accumulator(self):
        return self._state.accumulator if self._state else None

    async def aclose(self) -> None:
        if self._iterator is not None:
            await self._iterator.aclose()  # type: ignore[attr-defined]
        elif self.response is not None:
            await self.response.aclose()

    async def __aenter__(self) -> "AsyncChatStream":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
