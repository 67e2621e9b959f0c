"""One error hierarchy for all three endpoints.

Every error carries the endpoint name, the HTTP status, the request id, the
server's own code and message, and whether retrying can help. One function,
:func:`error_from_response`, maps a response to a class. Errors pickle (all
constructor arguments but the message are keywords with defaults, and
``BaseException.__reduce__`` restores ``__dict__``).
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional

from .error_text import body_preview, describe_body, extract_error_details, request_id_from_headers, safe_url

__all__ = [
    "GlooGravixError",
    "InvalidEmbeddingInputError",
    "EmbeddingInputTooLargeError",
    "MissingCredentialsError",
    "APIConnectionError",
    "APITimeoutError",
    "APIStatusError",
    "BadRequestError",
    "ContextOverflowError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "RequestTimeoutError",
    "RateLimitError",
    "ServerError",
    "StreamError",
    "StreamTimeoutError",
    "MalformedResponseError",
    "ResponseTooLargeError",
    "StreamTooLargeError",
    "ConfigurationError",
    "error_from_response",
    "error_from_envelope",
    "envelope_status",
    "clone_error",
]

# Phrases servers use when the prompt does not fit the model's context window.
_CONTEXT_OVERFLOW_HINTS = (
    "context length",
    "context_length",
    "context window",
    "maximum context",
    "too many tokens",
    "prompt is too long",
)
# Gloo marks quota exhaustion as a 429 that must not be retried (docs/providers.md#error-codes).
_NON_RETRYABLE_CODES = {"SPENDING_LIMIT_EXCEEDED"}


class GlooGravixError(Exception):
    """Base class of every error raised by this package."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        code: str | int | None = None,
        server_message: str | None = None,
        body: Any = None,
        retryable: bool | None = None,
        headers: Mapping[str, str] | None = None,
        fault: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.status_code = status_code
        self.request_id = request_id
        self.code = code
        self.server_message = server_message
        self.body = body
        #: response headers (a plain dict, so errors pickle); retry hints live here.
        self.headers = dict(headers) if headers else {}
        #: Gloo's ``fault`` (client / provider / internal), when the server says.
        self.fault = fault
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        parts = [self.message]
        where = ", ".join(
            f"{k}={v}"
            for k, v in (
                ("endpoint", self.endpoint),
                ("status", self.status_code),
                ("code", self.code),
                ("request_id", self.request_id),
            )
            if v is not None
        )
        if where:
            parts.append(f"({where})")
        return " ".join(parts)


class MissingCredentialsError(GlooGravixError):
    """No usable credentials were configured; raised at first use, never at construction."""


class APIConnectionError(GlooGravixError):
    """The server could not be reached or the connection broke."""

    retryable = True


class APITimeoutError(APIConnectionError):
    """Connect, read, write or pool timeout (or the stream went idle too long)."""


class APIStatusError(GlooGravixError):
    """The server answered with a non-2xx status."""


class BadRequestError(APIStatusError):
    """400 or 422: the request was rejected as invalid."""


class ContextOverflowError(BadRequestError):
    """The prompt does not fit the model's context window."""


class AuthenticationError(APIStatusError):
    """401: missing, invalid or expired credentials (after one re-mint for OAuth)."""


class PermissionDeniedError(APIStatusError):
    """403: valid credentials without permission (scope, entitlement, guardrail block)."""


class NotFoundError(APIStatusError):
    """404: unknown path or model."""


class ConflictError(APIStatusError):
    """409."""

    retryable = True


class RequestTimeoutError(APIStatusError):
    """408: the model provider timed out (Gloo documents this as retryable)."""

    retryable = True


class RateLimitError(APIStatusError):
    """429: rate limit (retryable) or spending limit (not retryable)."""

    retryable = True


class ServerError(APIStatusError):
    """5xx."""

    retryable = True


class StreamError(GlooGravixError):
    """A stream failed after it started: an in-stream error event, a bad event, a
    broken body, or EOF before a finish.

    ``partial_text`` holds the answer text received before the failure, so that a
    caller can show it rather than silently replace it (Gloo streaming guidance);
    ``partial_tool_calls`` the tool calls so far in OpenAI shape (arguments as
    received, possibly cut short) and ``usage`` the token usage if it arrived.
    """

    def __init__(
        self,
        message: str,
        *,
        partial_text: str = "",
        partial_tool_calls: list[dict[str, Any]] | None = None,
        usage: Any = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.partial_text = partial_text
        self.partial_tool_calls = list(partial_tool_calls or ())
        self.usage = usage


class StreamTimeoutError(StreamError, APITimeoutError):
    """The stream sent no event for longer than ``stream_idle_timeout``."""

    retryable = True


class MalformedResponseError(GlooGravixError):
    """A body that is not the JSON the endpoint documents (or could not be decoded)."""


class ResponseTooLargeError(MalformedResponseError):
    """A response body or one stream event exceeded its configured size cap
    (``max_body_bytes`` / ``max_event_bytes``)."""


class StreamTooLargeError(StreamError, ResponseTooLargeError):
    """A stream went past its cap: bytes received (``max_stream_bytes``) or one tool call's arguments
    (``max_tool_call_chars``). Keeps what arrived (``partial_text``, ``partial_tool_calls``); never retried."""

    retryable = False


class ConfigurationError(GlooGravixError, ValueError):
    """A setting that cannot work (bad timeout, URL, header, credential shape).

    Raised at construction (inside pydantic models it surfaces as a ``ValidationError``
    carrying this message) or, for per-call headers, before the request is sent. Never
    retried; the message never quotes a secret value. Also a ``ValueError``, so
    ``except ValueError`` written for earlier versions still works.
    """

    retryable = False


class InvalidRequestError(GlooGravixError, ValueError):
    """A call that cannot be sent as given: a parameter out of range, an unknown ``tool_choice``, a message whose
    text UTF-8 cannot carry, a structure nested too deeply for JSON. Raised before any request; never retried.
    Also a ``ValueError`` (what these checks raised before, and LangChain's convention for a bad argument)."""

    retryable = False


class InvalidEmbeddingInputError(GlooGravixError, ValueError):
    """An input that cannot be embedded (empty, or not a string); raised before any request.

    Also a ``ValueError``, like every other pre-request check of this package."""

    def __init__(self, message: str, *, index: int | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        #: position of the offending input in the list passed to ``embed()``.
        self.index = index


class EmbeddingInputTooLargeError(BadRequestError):
    """The server refused one single input as too large (so splitting cannot help)."""

    def __init__(self, message: str, *, index: int | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.index = index


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: RequestTimeoutError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitError,
}


def _load_json(raw: bytes) -> Any:
    """Parse an error body; anything that is not plain JSON (or is pathological) is None."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError, OverflowError):
        return None


def error_from_response(
    status_code: int,
    headers: Mapping[str, str],
    raw: bytes,
    *,
    endpoint: str | None = None,
    url: Any = None,
) -> APIStatusError:
    """Map a non-2xx response to its error class (the one place that does this).

    ``url`` (the URL requested) is shown in 404 messages, without userinfo or query.
    """
    body: Any = _load_json(raw)
    details = extract_error_details(body)
    server_message = details.get("message")
    code = details.get("code")
    cls = _STATUS_CLASSES.get(status_code)
    if cls is None:
        cls = ServerError if status_code >= 500 else APIStatusError
    if (
        cls is BadRequestError
        and server_message
        and any(hint in server_message.lower() for hint in _CONTEXT_OVERFLOW_HINTS)
    ):
        cls = ContextOverflowError
    retryable = details.get("retryable")
    wording = (server_message or "").lower().replace("_", " ")
    if str(code).upper() in _NON_RETRYABLE_CODES or "spending limit" in wording:
        retryable = False
    if cls in (BadRequestError, ContextOverflowError, AuthenticationError, PermissionDeniedError, NotFoundError):
        retryable = False  # never retried, whatever a body claims
    shown = server_message or (body_preview(raw) if raw else "no body")
    if body is None and raw and raw.lstrip()[:1] == b"<":
        shown = describe_body(raw, headers.get("content-type"))
    where = f" for {safe_url(url)}" if url is not None and status_code == 404 else ""
    if 300 <= status_code < 400:
        # we never follow redirects (an API call is not a page view): show where it pointed
        location = headers.get("location")
        where = f" (redirected to {safe_url(location)}; point base_url there if that is right)" if location else ""
    hint = None
    if status_code in (403, 404, 503):
        from .hints import hint_for  # error paths only

        hint = hint_for(status_code, body, endpoint=endpoint)
    return cls(
        f"{endpoint or 'server'} answered HTTP {status_code}{where}: {shown}" + (f". {hint}" if hint else ""),
        endpoint=endpoint,
        status_code=status_code,
        request_id=details.get("request_id") or request_id_from_headers(headers),
        code=code,
        server_message=server_message,
        body=body if body is not None else body_preview(raw),
        retryable=retryable,
        headers=headers,
        fault=details.get("fault"),
    )


# Error ``type``/``code`` words in an error envelope -> the HTTP status they stand for.
_ENVELOPE_STATUS = (
    ("context_length", 400),
    ("invalid_request", 400),
    ("bad_request", 400),
    ("validation", 422),
    ("invalid_api_key", 401),
    ("authentication", 401),
    ("unauthorized", 401),
    ("permission", 403),
    ("forbidden", 403),
    ("not_found", 404),
    ("model_not_found", 404),
    ("rate_limit", 429),
    ("spending_limit", 429),
    ("quota", 429),
    ("insufficient_quota", 429),
    ("timeout", 408),
    ("overloaded", 503),
    ("server_error", 500),
    ("internal", 500),
    ("api_error", 500),
)


def envelope_status(body: Any) -> int:
    """The HTTP status an error envelope delivered with a 2xx stands for.

    Read from the envelope's own numeric ``code``/``status`` when it is an HTTP
    status, else from its ``type``/``code``/``name`` words; unknown means 502.
    """
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        error = body if isinstance(body, Mapping) else {}
    for key in ("status", "status_code", "code"):
        value = error.get(key)
        if isinstance(value, str) and value.isdigit() and len(value) == 3:
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and 400 <= value <= 599:
            return value
    words = " ".join(str(error.get(key) or "") for key in ("type", "code", "name")).lower()
    words = words.replace("-", "_").replace(" ", "_")
    for hint, status in _ENVELOPE_STATUS:
        if hint in words:
            return status
    return 502


def error_from_envelope(
    headers: Mapping[str, str], raw: bytes, body: Any, *, endpoint: str | None = None, status_code: int = 200
) -> APIStatusError:
    """An error envelope that came with a 2xx status, classified by its content: an
    ``invalid_request_error`` is a :class:`BadRequestError` (not retried), not a 502."""
    status = envelope_status(body)
    error = error_from_response(status, headers, raw, endpoint=endpoint)
    error.message = f"{endpoint or 'server'} answered HTTP {status_code} with an error: {error.server_message or describe_body(raw)}"
    error.args = (error.message,)
    return error


def clone_error(error: GlooGravixError, cls: Optional[type[GlooGravixError]] = None) -> GlooGravixError:
    """A fresh exception object with the same fields, of ``error``'s class or of ``cls`` (a subclass-like twin,
    as the LangChain mapping makes): each waiter of a shared failure (a token refresh) and each framework
    mapping raises its own (sharing one object across threads would splice their tracebacks together)."""
    cls = cls or error.__class__
    copy = cls.__new__(cls)
    copy.__dict__.update(error.__dict__)
    copy.args = error.args
    return copy
