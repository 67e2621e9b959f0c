"""One error hierarchy for all three endpoints.

Every error carries the endpoint name, the HTTP status, the request id, the
server's own code and message, and whether retrying can help. One function,
:func:`error_from_response`, maps a response to a class. Errors pickle (all
constructor arguments but the message are keywords with defaults, and
``BaseException.__reduce__`` restores ``__dict__``).
"""

from __future__ import annotations

import json
from typing import Any, Mapping

__all__ = [
    "GlooGravixError",
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
    "error_from_response",
    "extract_error_details",
]

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid", "x-sentry-trace-id")
# Phrases servers use when the prompt does not fit the model's context window.
_CONTEXT_OVERFLOW_HINTS = (
    "context length",
    "context_length",
    "context window",
    "maximum context",
    "too many tokens",
    "prompt is too long",
)
# Gloo marks quota exhaustion as a 429 that must not be retried (provider-apis 4).
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
    """A stream failed after it started: an in-stream error event, or EOF before a finish.

    ``partial_text`` holds the answer text received before the failure, so that a
    caller can show it rather than silently replace it (Gloo streaming guidance).
    """

    def __init__(self, message: str, *, partial_text: str = "", **kw: Any) -> None:
        super().__init__(message, **kw)
        self.partial_text = partial_text


class StreamTimeoutError(StreamError, APITimeoutError):
    """The stream sent no event for longer than ``stream_idle_timeout``."""

    retryable = True


class MalformedResponseError(GlooGravixError):
    """A body that is not the JSON the endpoint documents."""


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


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _fastapi_detail(detail: Any) -> str | None:
    """FastAPI 422 ``detail`` lists: ``body.temperature: Input should be ...``."""
    if isinstance(detail, list):
        lines = []
        for item in detail:
            if isinstance(item, Mapping):
                loc = ".".join(str(p) for p in item.get("loc", ()) or ())
                msg = item.get("msg") or item.get("message") or ""
                lines.append(f"{loc}: {msg}" if loc else str(msg))
            else:
                lines.append(str(item))
        return "; ".join(lines)
    return _text(detail)


def extract_error_details(body: Any) -> dict[str, Any]:
    """Pull code, message and retry hints out of any error shape the providers use.

    Order follows Gloo's own extractor (provider-apis 4): ``detail`` (string or
    FastAPI list), ``message``, ``error`` as a string, ``error.message``. Also
    understands the Gloo AI Error Object (``code``, ``name``, ``retryable``,
    ``fault``, ``trace_id``) and Gravix's ``{"error": {...}, "meta": {request_id}}``.
    """
    out: dict[str, Any] = {}
    if not isinstance(body, Mapping):
        return out
    error = body.get("error")
    if "detail" in body:
        out["message"] = _fastapi_detail(body["detail"])
    elif isinstance(body.get("message"), str):
        out["message"] = body["message"]
    elif isinstance(error, str):
        out["message"] = error
    elif isinstance(error, Mapping):
        out["message"] = _text(error.get("message")) or _text(error.get("type"))
    if isinstance(error, Mapping):
        # Gloo: numeric ``code`` plus symbolic ``name``; prefer the symbolic one.
        out["code"] = error.get("name") or error.get("code") or error.get("type")
        if isinstance(error.get("retryable"), bool):
            out["retryable"] = error["retryable"]
        out["fault"] = error.get("fault")
        out["request_id"] = error.get("request_id") or error.get("trace_id")
    elif "code" in body:
        out["code"] = body.get("code")
    meta = body.get("meta")
    if isinstance(meta, Mapping) and meta.get("request_id") and not out.get("request_id"):
        out["request_id"] = meta["request_id"]
    return {k: v for k, v in out.items() if v is not None}


def request_id_from_headers(headers: Mapping[str, str]) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def body_preview(raw: bytes, limit: int = 200) -> str:
    text = raw[:limit].decode("utf-8", "replace")
    return text + ("..." if len(raw) > limit else "")


def error_from_response(
    status_code: int,
    headers: Mapping[str, str],
    raw: bytes,
    *,
    endpoint: str | None = None,
) -> APIStatusError:
    """Map a non-2xx response to its error class (the one place that does this)."""
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = None
    details = extract_error_details(body)
    server_message = details.get("message")
    code = details.get("code")
    cls = _STATUS_CLASSES.get(status_code)
    if cls is None:
        cls = ServerError if status_code >= 500 else APIStatusError
    if cls is BadRequestError and server_message and any(
        hint in server_message.lower() for hint in _CONTEXT_OVERFLOW_HINTS
    ):
        cls = ContextOverflowError
    retryable = details.get("retryable")
    wording = (server_message or "").lower().replace("_", " ")
    if str(code).upper() in _NON_RETRYABLE_CODES or "spending limit" in wording:
        retryable = False
    if cls in (BadRequestError, ContextOverflowError, AuthenticationError, PermissionDeniedError, NotFoundError):
        retryable = False  # never retried, whatever a body claims
    shown = server_message or (body_preview(raw) if raw else "no body")
    return cls(
        f"{endpoint or 'server'} answered HTTP {status_code}: {shown}",
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
