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
    "ConfigurationError",
    "error_from_response",
    "error_from_envelope",
    "extract_error_details",
    "translate_exception",
    "header_error",
    "describe_body",
    "safe_url",
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


class ConfigurationError(GlooGravixError, ValueError):
    """A setting that cannot work (bad timeout, URL, header, credential shape).

    Raised at construction (inside pydantic models it surfaces as a ``ValidationError``
    carrying this message) or, for per-call headers, before the request is sent. Never
    retried; the message never quotes a secret value. Also a ``ValueError``, so
    ``except ValueError`` written for earlier versions still works.
    """

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

    Order follows Gloo's own extractor (docs/providers.md#envelopes): ``detail`` (string or
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


def describe_body(raw: bytes, content_type: str | None = None) -> str:
    """A short description of a body that is not what was expected: names HTML and
    empty bodies (a proxy, a login page, a 204) instead of quoting them as JSON."""
    if not raw.strip():
        return "an empty body"
    head = raw[:512].lstrip().lower()
    if "html" in (content_type or "").lower() or head.startswith((b"<!doctype html", b"<html")):
        return f"an HTML page (a proxy, gateway or login page?) starting {body_preview(raw, 120)!r}"
    return f"a body starting {body_preview(raw)!r}"


def safe_url(url: Any) -> str:
    """A URL fit for messages: no userinfo, query or fragment (they may hold secrets)."""
    text = str(url)
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text.split("?", 1)[0].split("#", 1)[0]
    host_end = len(rest)
    for mark in "/?#":
        at = rest.find(mark)
        if at != -1:
            host_end = min(host_end, at)
    host, path = rest[:host_end], rest[host_end:]
    host = host.rpartition("@")[2]
    path = path.split("?", 1)[0].split("#", 1)[0]
    return f"{scheme}://{host}{path}"


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
    return cls(
        f"{endpoint or 'server'} answered HTTP {status_code}{where}: {shown}",
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


def header_error(headers: Mapping[str, str], *, endpoint: str | None = None) -> ConfigurationError:
    """The error for request headers httpx cannot encode; names the header, never its value."""
    names = []
    for name, value in headers.items():
        try:
            str(name).encode("ascii")
            bad = isinstance(value, str) and not value.isascii()
            shown = str(name)
        except UnicodeEncodeError:
            bad, shown = True, "(a header whose name is not ASCII)"
        if bad:
            names.append(shown)
    which = ", ".join(names) if names else "a request header"
    hint = " (check api_key / the access token)" if any(n.lower() == "authorization" for n in names) else ""
    return ConfigurationError(
        f"request header {which} has a value that is not ASCII{hint}; HTTP header values must be ASCII "
        "(default_headers, extra_headers, api_key)",
        endpoint=endpoint,
        retryable=False,
    )


def translate_exception(
    exc: BaseException, *, endpoint: str | None = None, base_url: str | None = None
) -> BaseException:
    """Foreign exceptions -> package errors: the one mapping (returns others unchanged).

    httpx timeouts and transport errors, undecodable gzip/deflate bodies, pathological
    JSON (too deep: ``RecursionError``; too large a number: ``OverflowError``) and
    header values that are not ASCII. Messages never quote request headers.
    """
    if isinstance(exc, GlooGravixError):
        return exc
    import httpx  # loaded with the clients, not with this module

    name = endpoint or "server"
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"{name} request timed out: {type(exc).__name__}", endpoint=endpoint)
    if isinstance(exc, httpx.DecodingError):
        return MalformedResponseError(
            f"{name} sent a body that could not be decoded (corrupt gzip/deflate or bad encoding): {type(exc).__name__}",
            endpoint=endpoint,
            code="decoding_error",
            retryable=False,
        )
    if isinstance(exc, httpx.TransportError):
        # Only the class name: some transport messages echo request lines or headers.
        where = f" at {safe_url(base_url)}" if base_url else ""
        return APIConnectionError(f"could not reach {name}{where}: {type(exc).__name__}", endpoint=endpoint)
    if isinstance(exc, UnicodeEncodeError):
        return ConfigurationError(
            "a request header value is not ASCII (check api_key, default_headers and extra_headers); "
            "HTTP header values must be ASCII",
            endpoint=endpoint,
            retryable=False,
        )
    if isinstance(exc, RecursionError):
        return MalformedResponseError(
            f"{name} sent JSON nested too deeply to parse", endpoint=endpoint, code="too_deep"
        )
    if isinstance(exc, OverflowError):
        return MalformedResponseError(f"{name} sent a number too large to read", endpoint=endpoint, code="overflow")
    if isinstance(exc, UnicodeDecodeError):
        return MalformedResponseError(
            f"{name} sent text that is not valid UTF-8", endpoint=endpoint, code="decoding_error"
        )
    return exc
