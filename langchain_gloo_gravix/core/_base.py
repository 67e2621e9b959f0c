"""Configuration and the pure steps shared by :class:`Client` and :class:`AsyncClient`.

Request building, response parsing, error translation and retry decisions live
here, once; the clients in client.py and the streams in streams.py only drive I/O.
"""

from __future__ import annotations

import functools
import json
import logging
import ssl
import urllib.request
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import httpx
from pydantic import SecretStr

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
    BadRequestError,
    GlooGravixError,
    error_from_response,
    request_id_from_headers,
)
from ._stream_state import DEFAULT_STREAM_IDLE_TIMEOUT, StreamState
from .request import build_body, merge_params
from .retry import RetryPolicy
from .streaming import completion_to_delta
from .wire import ChatCompletion, ModelInfo, StreamDelta
# issue 10 (hostile payloads): parsing, error translation and caps live in these modules.
from .bodies import DEFAULT_MAX_BODY_BYTES, request_url
from .errors import header_error, translate_exception
from .sse import DEFAULT_MAX_EVENT_BYTES
from .streaming import stream_failure
from .wire import parse_completion, parse_models


logger = logging.getLogger("langchain_gloo_gravix")

#: finite by default (ChatOpenAI's default is no timeout at all; frameworks.md F34).
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=120.0, write=30.0, pool=30.0)
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
        max_body_bytes: Optional[int] = DEFAULT_MAX_BODY_BYTES,
        max_event_bytes: Optional[int] = DEFAULT_MAX_EVENT_BYTES,
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
        #: caps on a whole (non-streamed) body and on one stream event; None for no cap.
        self.max_body_bytes = max_body_bytes
        self.max_event_bytes = max_event_bytes
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
        try:
            return self._build_chat_request(body, headers)
        except UnicodeEncodeError:
            pass
        # raised outside the except block: the UnicodeEncodeError (which holds the whole
        # header value) must not even be the new error's __context__
        raise header_error(headers, endpoint=self.endpoint.name)

    def _build_chat_request(self, body: bytes, headers: Mapping[str, str]) -> httpx.Request:
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
        elif _proxies_configured():
            # httpx applies env proxies only to the transports it builds itself.
            self._transport, self._direct = None, False
            self._http = client_class(limits=_LIMITS, verify=_ssl_context(), timeout=self.timeout)
        else:
            self._transport = transport = make_transport()
            self._http = client_class(transport=transport, timeout=self.timeout)
            self._direct = True

    def _headers_for(self, extra: Optional[Mapping[str, str]]) -> dict[str, str]:
        return {**self._headers, **extra} if extra else self._headers

    def _status_error(self, response: httpx.Response) -> GlooGravixError:
        return error_from_response(response.status_code, response.headers, response.content, endpoint=self.endpoint.name, url=request_url(response))

    def _completion(self, response: httpx.Response) -> ChatCompletion:
        if response.status_code >= 300:
            raise self._status_error(response)
        return parse_completion(
            response.content, response.status_code, response.headers, endpoint=self.endpoint.name, max_body_bytes=self.max_body_bytes
        )

    def _translate(self, exc: BaseException) -> BaseException:
        """httpx exceptions -> ours (the one boundary where foreign errors are mapped)."""
        return translate_exception(exc, endpoint=self.endpoint.name, base_url=self.base_url)

    def _next_delay(self, attempt: int, error: BaseException) -> Optional[float]:
        delay = self.retry_policy.delay(attempt, error)
        if delay is not None and isinstance(error, GlooGravixError):
            logger.info(
                "retrying %s after %s (attempt %d, waiting %.2f s)", self.endpoint.name, type(error).__name__, attempt + 1, delay
            )
            if self.on_retry is not None:
                self.on_retry(attempt + 1, error, delay)
        return delay

    def _retry_delay(self, attempt: int, exc: Exception) -> float:
        """Seconds to wait before retrying after ``exc``; raises the (translated)
        error instead when the policy says not to retry. Call it in ``except``."""
        error = self._translate(exc)
        delay = self._next_delay(attempt, error)
        if delay is None:
            if error is exc:
                raise exc
            raise error from exc
        return delay

    def _without_stream_options(self, exc: Exception, body: bytes) -> Optional[bytes]:
        """Some servers reject ``stream_options``: the body to resend without it, or None."""
        error = self._translate(exc)
        refused = (
            isinstance(error, BadRequestError)
            and b'"stream_options"' in body
            and "stream_options" in (error.server_message or str(error.body) or "").lower()
        )
        return body.replace(b',"stream_options":{"include_usage":true}', b"") if refused else None

    def _models_result(self, response: httpx.Response) -> list[ModelInfo]:
        if response.status_code >= 300:
            raise self._status_error(response)
        return parse_models(response.content, endpoint=self.endpoint.name)

    def _models_request_args(self) -> dict[str, Any]:
        # Gloo's catalog is public (provider-apis 1.3): no credentials are sent to it.
        if self.endpoint.models_need_auth:
            return {"headers": self._headers, "auth": self._auth or httpx.USE_CLIENT_DEFAULT}
        return {"headers": {"Accept": "application/json"}}

    def _new_state(self, response: httpx.Response) -> StreamState:
        return StreamState(
            endpoint=self.endpoint.name,
            idle_timeout=self.stream_idle_timeout,
            request_id=request_id_from_headers(response.headers),
            max_event_bytes=self.max_event_bytes,
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
        # After the first event any failure is a stream failure carrying what arrived
        # (text, tool calls, usage); a timeout stays recognisable as one.
        if state is None:
            return self._translate(exc)
        return stream_failure(
            exc, state.accumulator, endpoint=self.endpoint.name, request_id=state.request_id, base_url=self.base_url
        )


