"""Configuration and the pure steps shared by :class:`Client` and :class:`AsyncClient`.

Request building, credentials and response parsing live here, once. All I/O (sending, retrying, sleeping) is
in sender.py; client.py wires the two together; stream_drivers.py drives a stream.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import httpx
from pydantic import SecretStr

from . import wire
from .auth import CallableKeyAuth, GlooOAuth, MissingCredentialsAuth, SenderAuth
from .bodies import DEFAULT_MAX_BODY_BYTES, request_url
from .config import check_headers, check_max_retries, check_stream_idle_timeout, to_httpx_timeout
from .credentials import resolve_credentials
from .endpoints import GLOO_TOKEN_PATH, Endpoint, get_endpoint, resolve_base_url
from .errors import error_from_response
from .proxy import check_proxy, proxy_secrets
from .redact import RedactedHeaders, secret_forms
from .request import build_body, merge_params
from .retry import RetryPolicy
from .sender import DEFAULT_TIMEOUT, RetryHook
from .sse import DEFAULT_MAX_EVENT_BYTES
from .stream_state import DEFAULT_STREAM_IDLE_TIMEOUT
from .wire import ChatCompletion, ModelInfo

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_STREAM_IDLE_TIMEOUT",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_EVENT_BYTES",
    "Secret",
    "parse_completion",
    "parse_models",
]

_USER_AGENT = "langchain-gloo-gravix/0.1"

#: a key: a string, a SecretStr, or a callable (sync or async) returning one, called per request
Secret = Union[str, SecretStr, Callable[[], Any], None]


def _timeout(value: Any) -> httpx.Timeout:
    # the rules (and their errors) live in config.py, shared with both adapters
    return to_httpx_timeout(value, DEFAULT_TIMEOUT)


def encode_body(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def parse_completion(
    response: httpx.Response,
    endpoint: str,
    max_body_bytes: Optional[int] = None,
    secrets: Callable[[], Sequence[str]] = tuple,
) -> ChatCompletion:
    """A read response -> a completion (with its headers), or the typed error (wire.parse_completion reads
    the body leniently and names what came instead of a completion)."""
    if response.status_code >= 300:
        raise error_from_response(
            response.status_code, response.headers, response.content, endpoint=endpoint, url=request_url(response)
        )
    completion = wire.parse_completion(
        response.content, response.status_code, response.headers, endpoint=endpoint, max_body_bytes=max_body_bytes
    )
    # redacted when read (credential-named headers, echoed secrets): they reach callbacks and events
    completion._headers = RedactedHeaders(response.headers, secrets)
    return completion


def parse_models(response: httpx.Response, endpoint: Optional[str] = None) -> list[ModelInfo]:
    """A model list; an entry that cannot be read is skipped with a warning (wire.parse_models)."""
    return wire.parse_models(response.content, endpoint=endpoint)


class _BaseClient:
    """Configuration and the pure steps shared by both clients (the sender is set by each subclass)."""

    def _configure(
        self,
        endpoint: Union[Endpoint, str],
        *,
        base_url: Optional[str],
        api_key: Secret,
        client_id: Optional[str],
        client_secret: Secret,
        timeout: Any,
        stream_idle_timeout: Optional[float],
        max_retries: int,
        default_headers: Optional[Mapping[str, str]],
        default_params: Optional[Mapping[str, Any]],
        include_usage: bool,
        retry_policy: Optional[RetryPolicy],
        on_retry: Optional[RetryHook],
        max_body_bytes: Optional[int],
        max_event_bytes: Optional[int],
        proxy: Optional[str] = None,
    ) -> dict[str, Any]:
        """Set the configuration; return the sender's settings."""
        self.endpoint = get_endpoint(endpoint)
        #: the proxy every request goes through (proxy.py), or None (then the environment's, if any)
        self.proxy = check_proxy(proxy)
        self.base_url = resolve_base_url(self.endpoint, base_url)
        self.chat_url = self.base_url + self.endpoint.chat_path
        self._chat_url = httpx.URL(self.chat_url)
        self.models_url = self.base_url + self.endpoint.models_path
        self.timeout = _timeout(timeout)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=check_max_retries(max_retries))
        self.stream_idle_timeout = stream_idle_timeout = check_stream_idle_timeout(stream_idle_timeout)
        self.include_usage = include_usage
        #: params merged under every request's params (e.g. model, temperature, extra_body).
        self.default_params = dict(default_params or {})
        self._headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
            "User-Agent": _USER_AGENT,
        }
        user_headers = check_headers(default_headers)
        self._headers.update(user_headers)
        self._auth: Optional[SenderAuth] = self._make_auth(api_key, client_id, client_secret)
        # every form our credentials (and the caller's headers) can come back in, to scrub server text
        creds = self._credentials
        forms = secret_forms(
            api_key=creds.api_key,
            client_id=creds.client_id,
            client_secret=creds.client_secret,
            extra=(*user_headers.values(), *proxy_secrets(self.proxy)),
        )
        return {
            "endpoint": self.endpoint.name,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "stream_idle_timeout": stream_idle_timeout,
            "retry_policy": self.retry_policy,
            "on_retry": on_retry,
            "auth": self._auth,
            "secret_forms": forms,
            "max_body_bytes": max_body_bytes,
            "max_event_bytes": max_event_bytes,
        }

    def _make_auth(self, api_key: Secret, client_id: Optional[str], client_secret: Secret) -> Optional[SenderAuth]:
        # The one precedence rule (core/credentials.py), shared with both adapters.
        creds = resolve_credentials(self.endpoint, api_key=api_key, client_id=client_id, client_secret=client_secret)
        self._credentials = creds
        if creds.kind == "static":
            # Precomputed once: a static bearer needs no per-request auth flow.
            self._headers["Authorization"] = f"Bearer {creds.api_key}"
            return None
        if creds.kind == "callable":
            assert creds.key_provider is not None
            return CallableKeyAuth(creds.key_provider, self.endpoint.name)
        if creds.kind == "oauth":
            assert creds.client_id is not None and creds.client_secret is not None
            return GlooOAuth(
                self.base_url + GLOO_TOKEN_PATH, creds.client_id, creds.client_secret, endpoint=self.endpoint.name
            )
        return MissingCredentialsAuth(creds.missing or f"no credentials for {self.endpoint.name}", self.endpoint.name)

    @property
    def auth(self) -> Optional[SenderAuth]:
        return self._auth

    @property
    def on_retry(self) -> Optional[RetryHook]:
        return self._sender.on_retry  # type: ignore[attr-defined, no-any-return]

    def __repr__(self) -> str:
        auth = (
            "oauth"
            if isinstance(self._auth, GlooOAuth)
            else "api_key callable"
            if isinstance(self._auth, CallableKeyAuth)
            else "missing"
            if self._auth
            else "api_key"
        )
        return f"{type(self).__name__}(endpoint={self.endpoint.name!r}, base_url={self.base_url!r}, auth={auth})"

    # -- pure steps ------------------------------------------------------------------------

    def _payload(
        self,
        messages: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
        stream: bool,
        include_usage: Optional[bool],
    ) -> dict[str, Any]:
        # merge_params, not a plain dict merge: a per-call routing choice (model= on a
        # client configured with auto_routing) must replace the configured one rather
        # than become a second mechanism, extra_body dicts must merge, and None means
        # "unset" instead of erasing a configured value.
        merged = merge_params(self.default_params, params) if self.default_params else params
        return build_body(
            self.endpoint,
            messages,
            merged,
            stream=stream,
            include_usage=self.include_usage if include_usage is None else include_usage,
        )

    def _headers_for(self, extra: Optional[Mapping[str, str]]) -> dict[str, str]:
        return {**self._headers, **check_headers(extra, "extra_headers")} if extra else self._headers

    def _models_headers(self) -> dict[str, str]:
        # Gloo's catalog is public (provider-apis 1.3): no credentials are sent to it.
        return self._headers if self.endpoint.models_need_auth else {"Accept": "application/json"}
