"""Error bodies in the exact envelopes each provider layer uses.

Gloo has two layers with different envelopes (docs/providers.md#envelopes):
the auth / rate-limit gateway answers with flat ``{"error": str, "code": str}``
bodies, FastAPI request validation answers ``{"detail": [...]}`` and the
completions service itself answers with the enriched "AI Error Object".
Gravix documents a generic ``{"error": {...}, "meta": {...}}`` envelope
(docs/providers.md#envelopes, source V3) while its Ollama-based inference backend uses
``{"error": {"message", "type"}}``; both are produced here so that clients
must parse both shapes, as docs/providers.md#envelopes recommends.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

# -- Gloo gateway (docs/providers.md#envelopes, "Older / simple envelopes") -------------------

GLOO_MISSING_AUTH = {
    "error": "Missing Authorization",
    "code": "unauthorized_missing_authorization",
}
GLOO_INVALID_TOKEN = {
    "error": "Invalid or expired token",
    "code": "unauthorized_invalid_token",
}
GLOO_FORBIDDEN = {"error": "Forbidden - insufficient permissions", "code": "forbidden"}
GLOO_RATE_LIMITED = {"error": "Rate limit exceeded", "code": "too_many_requests"}
NOT_FOUND = {"detail": "Not Found"}
METHOD_NOT_ALLOWED = {"detail": "Method Not Allowed"}

# -- Gloo AI Error Object (docs/providers.md#envelopes, "Completions errors") -----------------
# (code, name, type, category, fault, retryable) per status. 1001, 2001,
# 2002, 2006 and 3001 were observed; the others follow the same numbering
# scheme and are marked as inferred in the spec's "could not confirm" list.
_AI_ERRORS: dict[int, tuple[int, str, str, str, str, bool]] = {
    400: (1001, "INVALID_REQUEST", "invalid_request_error", "client_error", "client", False),
    408: (2001, "PROVIDER_TIMEOUT", "timeout_error", "provider_error", "provider", True),
    500: (3000, "INTERNAL_ERROR", "internal_error", "internal_error", "internal", True),
    502: (2003, "PROVIDER_ERROR", "api_error", "provider_error", "provider", True),
    503: (2002, "PROVIDER_UNAVAILABLE", "service_unavailable_error", "provider_error", "provider", True),
    504: (2001, "PROVIDER_TIMEOUT", "timeout_error", "provider_error", "provider", True),
}

_DEFAULT_MESSAGES = {
    400: "Invalid request",
    408: "The model provider timed out",
    500: "Internal server error",
    502: "Upstream provider error",
    503: "The model provider is currently unavailable",
    504: "The model provider timed out",
}


def gloo_ai_error(status: int, message: str | None = None, request_id: str | None = None) -> dict:
    """Gloo's enriched error object for ``status`` (docs/providers.md#errors)."""
    if status in _AI_ERRORS:
        code, name, type_, category, fault, retryable = _AI_ERRORS[status]
    elif status >= 500:
        code, name, type_, category, fault, retryable = _AI_ERRORS[500]
    else:
        code, name, type_, category, fault, retryable = _AI_ERRORS[400]
    error: dict[str, Any] = {
        "code": code,
        "name": name,
        "type": type_,
        "message": message or _DEFAULT_MESSAGES.get(status, "Request failed"),
        "category": category,
        "fault": fault,
        "retryable": retryable,
    }
    if request_id is not None:
        error["request_id"] = request_id
    return {"error": error}


def empty_completion(request_id: str) -> dict:
    """The 503 Gloo answers when a reasoning model spent ``max_tokens`` thinking and returned
    nothing (code 2006, provider fault, retryable, as observed; ``name`` is not published)."""
    return {
        "error": {
            "code": 2006,
            "name": "EMPTY_COMPLETION",
            "type": "service_unavailable_error",
            "message": "The model returned an empty completion: max_tokens was used up by reasoning",
            "category": "provider_error",
            "fault": "provider",
            "retryable": True,
            "request_id": request_id,
        }
    }


def gloo_default_body(status: int, request_id: str) -> dict:
    """The body Gloo documents for ``status`` (used by ``Fault.status``)."""
    if status == 401:
        return dict(GLOO_INVALID_TOKEN)
    if status == 403:
        return dict(GLOO_FORBIDDEN)
    if status == 404:
        return dict(NOT_FOUND)
    if status == 422:
        return fastapi_detail([value_error(["body"], "Unprocessable Entity", None)])
    if status == 429:
        return dict(GLOO_RATE_LIMITED)
    return gloo_ai_error(status, request_id=request_id)


# -- FastAPI / pydantic v2 validation (docs/providers.md#envelopes: Gloo's backend is FastAPI) -


def fastapi_detail(errors: list[dict]) -> dict:
    return {"detail": errors}


def missing(loc: list) -> dict:
    # The brief pins ``input: null`` for missing fields.
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}


def value_error(loc: list, msg: str, value: Any) -> dict:
    return {"type": "value_error", "loc": loc, "msg": f"Value error, {msg}", "input": value}


def type_error(loc: list, kind: str, value: Any) -> dict:
    msgs = {
        "list_type": "Input should be a valid list",
        "float_type": "Input should be a valid number",
        "int_type": "Input should be a valid integer",
        "bool_type": "Input should be a valid boolean",
        "string_type": "Input should be a valid string",
        "model_attributes_type": ("Input should be a valid dictionary or object to extract fields from"),
    }
    return {"type": kind, "loc": loc, "msg": msgs[kind], "input": value}


def bound_error(loc: list, op: str, limit: float | int, value: Any) -> dict:
    words = {"le": "less than or equal to", "ge": "greater than or equal to"}
    kind = "less_than_equal" if op == "le" else "greater_than_equal"
    return {
        "type": kind,
        "loc": loc,
        "msg": f"Input should be {words[op]} {limit}",
        "input": value,
        "ctx": {op: limit},
    }


def enum_error(loc: list, allowed: list[str], value: Any) -> dict:
    quoted = [f"'{a}'" for a in allowed]
    expected = ", ".join(quoted[:-1]) + f" or {quoted[-1]}"
    return {
        "type": "enum",
        "loc": loc,
        "msg": f"Input should be {expected}",
        "input": value,
        "ctx": {"expected": expected},
    }


def too_short(loc: list, value: list) -> dict:
    return {
        "type": "too_short",
        "loc": loc,
        "msg": f"List should have at least 1 item after validation, not {len(value)}",
        "input": value,
        "ctx": {"field_type": "List", "min_length": 1, "actual_length": len(value)},
    }


# -- Gravix (docs/providers.md#gravix-errors) ---------------------------------------------------


def _timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def gravix_envelope(code: str, message: str, request_id: str, details: dict | None = None) -> dict:
    """The documented generic envelope (V3): gateway-level errors."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error, "meta": {"request_id": request_id, "timestamp": _timestamp()}}


def gravix_backend_error(message: str, type_: str) -> dict:
    """Ollama's OpenAI-layer error body (the inference backend, docs/providers.md#gravix-errors [Inf])."""
    return {"error": {"message": message, "type": type_, "param": None, "code": None}}


_GRAVIX_GATEWAY = {
    400: ("validation_error", "Invalid request"),
    401: ("unauthorized", "Invalid API key"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    422: ("validation_error", "Invalid request"),
    429: ("rate_limit_exceeded", "Rate limit exceeded"),
}


def gravix_default_body(status: int, request_id: str) -> dict:
    """The body Gravix would send for ``status`` (used by ``Fault.status``)."""
    if status in _GRAVIX_GATEWAY:
        code, message = _GRAVIX_GATEWAY[status]
        return gravix_envelope(code, message, request_id)
    if status >= 500:
        return gravix_backend_error(_DEFAULT_MESSAGES.get(status, "Internal server error"), "api_error")
    return gravix_envelope("error", "Request failed", request_id)
