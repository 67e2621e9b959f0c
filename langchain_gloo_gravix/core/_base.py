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
from pydantic import SecretStr, ValidationError

from .auth import GlooOAuth, MissingCredentialsAuth
from .config import check_headers, check_max_retries, check_stream_idle_timeout, to_httpx_timeout
from .credentials import resolve_credentials
from .redact import redact, redact_error, secret_forms
from .endpoints import GLOO_TOKEN_PATH, Endpoint, get_endpoint, resolve_base_url
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
from ._stream_state import DEFAULT_STREAM_IDLE_TIMEOUT, StreamState
from .request import build_body, merge_params
from .retry import RetryPolicy
from .streaming import completion_to_delta
from .wire import ChatCompletion, ModelInfo, StreamDelta


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


def _timeout(value: Any) -> httpx.Timeout:
    # the rules (and their errors) live in config.py, shared with both adapters
    return to_httpx_timeout(value, DEFAULT_TIMEOUT)


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
        self.timeout = _timeout(timeout)
        self._timeout_ext = self.timeout.as_dict()
        self.retry_policy = retry_policy or RetryPolicy(max_retries=check_max_retries(max_retries))
        self.stream_idle_timeout = check_stream_idle_timeout(stream_idle_timeout)
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
        user_headers = check_headers(default_headers)
        self._headers.update(user_headers)
        self._auth: Optional[httpx.Auth] = self._make_auth(api_key, client_id, client_secret)
        # every form our credentials (and the caller's headers) can come back in, to scrub server text
        creds = self._credentials
        self._secret_forms = secret_forms(
            api_key=creds.api_key, client_id=creds.client_id, client_secret=creds.client_secret, extra=user_headers.values()
        )

    def _make_auth(self, api_key: Secret, client_id: Optional[str], client_secret: Secret) -> Optional[httpx.Auth]:
        # The one precedence rule (core/credentials.py), shared with both adapters.
        creds = resolve_credentials(self.endpoint, api_key=api_key, client_id=client_id, client_secret=client_secret)
        self._credentials = creds
        if creds.kind == "static":
            # Precomputed once: a static bearer needs no per-request auth flow.
            self._headers["Authorization"] = f"Bearer {creds.api_key}"
            return None
        if creds.kind == "oauth":
            assert creds.client_id is not None and creds.client_secret is not None
            return GlooOAuth(self.base_url + GLOO_TOKEN_PATH, creds.client_id, creds.client_secret, endpoint=self.endpoint.name)
        return MissingCredentialsAuth(creds.missing or f"no credentials for {self.endpoint.name}", self.endpoint.name)

    def _redacted(self, error: GlooGravixError) -> GlooGravixError:
        """``error`` with our credentials (and the current OAuth token) scrubbed from its server text."""
        token = getattr(getattr(self._auth, "cache", None), "_token", None)
        redact_error(error, self._secret_forms + ((token,) if token else ()))
        return error

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

    def _chat_request(self, body: bytes, headers: Mapping[str, str], url: Union[httpx.URL, str, None] = None) -> httpx.Request:
        """A POST of ``body`` to the chat URL (or to ``url``, e.g. the embeddings one)."""
        target = self._chat_url if url is None else url
        if self._direct:
            # Our own transport: the request is complete as built (headers, timeout).
            return httpx.Request("POST", target, headers=headers, content=body, extensions={"timeout": self._timeout_ext})
        # A caller's httpx client: let it merge its own headers, cookies and base URL.
        return self._http.build_request("POST", target, content=body, headers=headers, timeout=self.timeout)

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
        return {**self._headers, **check_headers(extra, "extra_headers")} if extra else self._headers

    def _status_error(self, response: httpx.Response) -> GlooGravixError:
        error = error_from_response(response.status_code, response.headers, response.content, endpoint=self.endpoint.name)
        return self._redacted(error)

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
        completion.response_headers = dict(response.headers)
        return completion

    def _translate(self, exc: BaseException) -> BaseException:
        """httpx exceptions -> ours (the one boundary where foreign errors are mapped)."""
        if isinstance(exc, GlooGravixError):
            return self._redacted(exc)
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"{self.endpoint.name} request timed out: {type(exc).__name__}", endpoint=self.endpoint.name)
        if isinstance(exc, httpx.TransportError):
            # h11's LocalProtocolError quotes the offending request header (often a credential): not shown.
            detail = "" if isinstance(exc, httpx.LocalProtocolError) else f": {redact(str(exc), self._secret_forms)}"
            return APIConnectionError(
                f"could not reach {self.endpoint.name} at {self.base_url}: {type(exc).__name__}{detail}",
                endpoint=self.endpoint.name,
            )
        return exc

    def _next_delay(self, attempt: int, error: BaseException, on_retry: Optional[RetryHook] = None) -> Optional[float]:
        delay = self.retry_policy.delay(attempt, error)
        if delay is not None and isinstance(error, GlooGravixError):
            logger.info(
                "retrying %s after %s (attempt %d, waiting %.2f s)", self.endpoint.name, type(error).__name__, attempt + 1, delay
            )
            for hook in (self.on_retry, on_retry):  # the client's, then the call's (adapters' callbacks)
                if hook is not None:
                    hook(attempt + 1, error, delay)
        return delay

    def _retry_delay(self, attempt: int, exc: Exception, on_retry: Optional[RetryHook] = None) -> float:
        """Seconds to wait before retrying after ``exc``; raises the (translated)
        error instead when the policy says not to retry. Call it in ``except``."""
        error = self._translate(exc)
        delay = self._next_delay(attempt, error, on_retry)
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
        try:
            return self._models(response.json())
        except ValueError:
            raise self._redacted(MalformedResponseError(f"model list is not JSON: {body_preview(response.content)!r}")) from None

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
        if state is None or isinstance(error, StreamError) or not isinstance(error, APIConnectionError):
            return error
        # After the first event a transport failure is a stream failure, carrying
        # the text received so far; a timeout stays recognisable as one.
        timed_out = isinstance(error, APITimeoutError)
        cls = StreamTimeoutError if timed_out else StreamError
        return cls(
            f"stream {'timed out' if timed_out else 'broke'} after it started: {error.message}",
            endpoint=self.endpoint.name,
            partial_text=state.accumulator.text,
            retryable=True,
            code="read_timeout" if timed_out else "transport",
        )

    @staticmethod
    def _models(payload: Any) -> list[ModelInfo]:
        entries = payload.get("data") if isinstance(payload, dict) else payload
        if not isinstance(entries, list):
            raise MalformedResponseError(f"model list is not a list: {str(payload)[:120]!r}")
        return [ModelInfo.model_validate(entry) for entry in entries if isinstance(entry, dict) and entry.get("id")]


