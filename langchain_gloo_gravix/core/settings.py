"""A client's settings: resolved and checked once, frozen, then handed to the sender and the streams.

``Client(...)`` / ``AsyncClient(...)`` keep their documented keyword-only signatures; each turns its keywords
into one :class:`ClientSettings` with :meth:`ClientSettings.resolve`, which runs every check (config.py: timeouts,
retries, headers, base URL; credentials.py: the one precedence rule) and builds the credentials flow. Settings
in, sender out: nothing downstream reads a keyword again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Union

import httpx
from pydantic import SecretStr

from .auth import CallableKeyAuth, GlooOAuth, MissingCredentialsAuth, SenderAuth
from .bodies import DEFAULT_MAX_BODY_BYTES
from .config import check_headers, check_max_retries, check_stream_idle_timeout, to_httpx_timeout
from .credentials import Credentials, resolve_credentials
from .deadlines import DEFAULT_TIMEOUT, call_budget
from .endpoints import GLOO_TOKEN_PATH, Endpoint, get_endpoint, resolve_base_url
from .errors import ConfigurationError
from .proxy import check_proxy, proxy_secrets
from .redact import secret_forms
from .retry import RetryHook, RetryPolicy
from .sse import DEFAULT_MAX_EVENT_BYTES

__all__ = ["ClientSettings", "Secret", "USER_AGENT", "DEFAULT_MAX_STREAM_BYTES", "DEFAULT_MAX_TOOL_CALL_CHARS"]

#: the default cap on the (decoded) bytes one stream may send: far above any real answer (a 100,000-token answer
#: is about 25 MB of events), low enough that an endless stream fails long before memory runs out.
DEFAULT_MAX_STREAM_BYTES = 256 * 1024 * 1024
#: the default cap on one streamed tool call's accumulated arguments, in characters.
DEFAULT_MAX_TOOL_CALL_CHARS = 16 * 1024 * 1024

USER_AGENT = "langchain-gloo-gravix/0.1"

#: a key: a string, a SecretStr, or a callable (sync or async) returning one, called per request
Secret = Union[str, SecretStr, Callable[[], Any], None]


def _cap(value: Any, name: str) -> Optional[int]:
    """A size cap: a positive whole number, or None for no cap."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{name} must be a whole number or None (no cap), got {type(value).__name__}")
    if value <= 0:
        raise ConfigurationError(f"{name} must be positive, or None (no cap), got {value}")
    return value


@dataclass(frozen=True)
class ClientSettings:
    """Everything a client needs, checked. Secrets (headers, auth, their redaction forms) never reach ``repr``."""

    endpoint: Endpoint
    base_url: str
    timeout: httpx.Timeout
    stream_idle_timeout: Optional[float]
    retry_policy: RetryPolicy
    include_usage: bool
    #: caps on a whole (non-streamed) body and on one stream event (bodies.py, sse.py); None: no cap
    max_body_bytes: Optional[int]
    max_event_bytes: Optional[int]
    #: caps on one stream: decoded bytes received, and characters of one tool call's arguments; None: no cap
    max_stream_bytes: Optional[int]
    max_tool_call_chars: Optional[int]
    #: the headers of every request (a static bearer key is precomputed in ``Authorization``)
    headers: Mapping[str, str] = field(repr=False)
    #: the credentials flow the sender drives (OAuth, or the missing-credentials error); None for a static key
    auth: Optional[SenderAuth] = field(repr=False)
    #: every form our credentials (and the caller's headers) can come back in (redact.py)
    secret_forms: tuple[str, ...] = field(repr=False)
    #: the resolved credentials (credentials.py; their own repr hides the secrets)
    credentials: Optional[Credentials] = field(default=None, repr=False)
    #: request params merged under every call's params (model, temperature, extra_body, ...)
    default_params: Mapping[str, Any] = field(default_factory=dict, repr=False)
    on_retry: Optional[RetryHook] = None
    #: the monotonic clock streams measure idleness with (injectable for tests)
    clock: Callable[[], float] = time.monotonic
    #: the proxy every request goes through (proxy.py), or None (then the environment's, if any)
    proxy: Optional[str] = field(default=None, repr=False)

    @classmethod
    def resolve(
        cls,
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
        max_body_bytes: Optional[int] = DEFAULT_MAX_BODY_BYTES,
        max_event_bytes: Optional[int] = DEFAULT_MAX_EVENT_BYTES,
        max_stream_bytes: Optional[int] = DEFAULT_MAX_STREAM_BYTES,
        max_tool_call_chars: Optional[int] = DEFAULT_MAX_TOOL_CALL_CHARS,
        clock: Optional[Callable[[], float]] = None,
        proxy: Optional[str] = None,
    ) -> "ClientSettings":
        """The client keywords, checked (the errors are config.py's and credentials.py's)."""
        resolved = get_endpoint(endpoint)
        url = resolve_base_url(resolved, base_url)
        proxy = check_proxy(proxy)
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
            "User-Agent": USER_AGENT,
        }
        user_headers = check_headers(default_headers)
        headers.update(user_headers)
        # The one precedence rule (credentials.py), shared with both adapters.
        creds = resolve_credentials(resolved, api_key=api_key, client_id=client_id, client_secret=client_secret)
        auth: Optional[SenderAuth] = None
        if creds.kind == "static":
            # Precomputed once: a static bearer needs no per-request auth flow.
            headers["Authorization"] = f"Bearer {creds.api_key}"
        elif creds.kind == "callable":
            assert creds.key_provider is not None
            auth = CallableKeyAuth(creds.key_provider, resolved.name)
        elif creds.kind == "oauth":
            assert creds.client_id is not None and creds.client_secret is not None
            auth = GlooOAuth(url + GLOO_TOKEN_PATH, creds.client_id, creds.client_secret, endpoint=resolved.name)
        else:
            auth = MissingCredentialsAuth(creds.missing or f"no credentials for {resolved.name}", resolved.name)
        forms = secret_forms(
            api_key=creds.api_key,
            client_id=creds.client_id,
            client_secret=creds.client_secret,
            extra=(*user_headers.values(), *proxy_secrets(proxy)),
        )
        return cls(
            endpoint=resolved,
            base_url=url,
            timeout=to_httpx_timeout(timeout, DEFAULT_TIMEOUT),
            stream_idle_timeout=check_stream_idle_timeout(stream_idle_timeout),
            retry_policy=retry_policy or RetryPolicy(max_retries=check_max_retries(max_retries)),
            include_usage=include_usage,
            max_body_bytes=_cap(max_body_bytes, "max_body_bytes"),
            max_event_bytes=_cap(max_event_bytes, "max_event_bytes"),
            max_stream_bytes=_cap(max_stream_bytes, "max_stream_bytes"),
            max_tool_call_chars=_cap(max_tool_call_chars, "max_tool_call_chars"),
            headers=headers,
            auth=auth,
            secret_forms=forms,
            credentials=creds,
            default_params=dict(default_params or {}),
            on_retry=on_retry,
            clock=clock or time.monotonic,
            proxy=proxy,
        )

    # -- derived, read once by the client and the sender -----------------------------------------------------

    @property
    def name(self) -> str:
        """The endpoint's name, as errors show it."""
        return self.endpoint.name

    @property
    def chat_url(self) -> str:
        return self.base_url + self.endpoint.chat_path

    @property
    def models_url(self) -> str:
        return self.base_url + self.endpoint.models_path

    @property
    def budget(self) -> Optional[float]:
        """Seconds a whole non-streaming attempt may take (deadlines.call_budget)."""
        return call_budget(self.timeout)

    def secrets(self) -> tuple[str, ...]:
        """Every secret to scrub now: the configured forms, and what the credentials obtained while running
        (the current OAuth token, the last keys an ``api_key`` callable returned)."""
        live = self.auth.live_secrets() if self.auth is not None else ()
        return self.secret_forms + live if live else self.secret_forms

    @property
    def auth_kind(self) -> str:
        if isinstance(self.auth, CallableKeyAuth):
            return "api_key callable"
        return "oauth" if isinstance(self.auth, GlooOAuth) else "missing" if self.auth else "api_key"
