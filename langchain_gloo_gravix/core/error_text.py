"""Reading what a server said: error details out of any provider's error body, and text fit for messages.

Pure and free of package imports (errors.py builds its messages from these): the error-body extractor, the
request id from headers, a short preview or description of a body, and a URL without its secrets.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

__all__ = ["extract_error_details", "request_id_from_headers", "body_preview", "describe_body", "safe_url"]

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid", "x-sentry-trace-id")


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
