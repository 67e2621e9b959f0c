"""What to change, for the Gloo errors whose server text does not say.

Two answers have several likely causes that the service does not name
(docs/providers.md#403, docs/providers.md#reasoning-models):

- **403** ``{"error": "Forbidden - insufficient permissions", "code": "forbidden"}``: a token
  minted without the ``api/access`` scope or a malformed Authorization header; a model
  listed in the registry that this client is not entitled to; no plan or payment method;
  a guardrail hard block; on Data Engine calls, a missing ``ingestion_access`` entitlement.
- **503 code 2006** (``service_unavailable_error``, "empty completion"): mostly a reasoning
  model (or a routed pool holding one) that spent ``max_tokens`` thinking; Gloo staff advise
  leaving it unset or at least 2,048.
- **404 with no error of its own** (the server's bare "Not Found" page, not a model error):
  the path does not exist there, almost always a ``base_url`` of the wrong shape. The two
  services want different ones (docs/providers.md#hosts): Gloo the host root, Gravix the
  ``.../v1/inference`` prefix, so a URL copied from one to the other, or an OpenAI-style
  ``.../v1``, lands here.

:func:`hint_for` gives the sentence appended to such an error's message; the error keeps
its class (``PermissionDeniedError`` / ``ServerError``) and every field. Pure and cheap:
only error paths call it.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

__all__ = ["hint_for", "FORBIDDEN_HINT", "EMPTY_COMPLETION_HINT", "EMPTY_COMPLETION_CODE", "BASE_URL_HINTS"]

#: Gloo's AI Error Object code for a provider that returned an empty completion.
EMPTY_COMPLETION_CODE = 2006

FORBIDDEN_HINT = (
    "Likely causes: (1) the token lacks the api/access scope or the Authorization header is malformed "
    "(check client_id/client_secret, or api_key); (2) this client is not entitled to the model "
    "(try auto_routing=True or another model from list_models()); (3) the account has no plan or "
    "payment method; (4) a guardrail blocked the prompt (rephrase it); (5) on Data Engine calls, the "
    "ingestion_access entitlement is missing."
)

EMPTY_COMPLETION_HINT = (
    "Likely cause: a reasoning model (or a routed pool that holds one) spent max_tokens thinking and "
    "returned no answer; retrying with the same settings rarely helps. Leave max_tokens unset or give "
    "at least 2048, or pick a non-reasoning model=."
)

#: Per service: what its ``base_url`` looks like, for a 404 that names no model (the route is missing).
BASE_URL_HINTS = {
    "gloo": (
        "Likely cause: base_url is not the Gloo host root; give the root only "
        "(https://platform.ai.gloo.com, or your server's), the /ai/v1 or /ai/v2 path is added to it."
    ),
    "gravix": (
        "Likely cause: base_url does not end with Gravix Layer's /v1/inference prefix; give the whole "
        "prefix (https://api.gravixlayer.com/v1/inference, or your server's)."
    ),
}

#: The bare "no such path" texts of the usual servers: Starlette/FastAPI, Go's net/http and gin (Ollama).
_ROUTE_NOT_FOUND = ("not found", "404 page not found", "404 not found")


def _route_not_found(body: Any) -> bool:
    """A 404 body that is a server's page for an unknown path, not an API error about a model."""
    if body is None or isinstance(body, str):
        return body is None or body.strip().lower() in _ROUTE_NOT_FOUND
    error = _error_object(body)
    message = error.get("detail", error.get("message")) if error else None
    return isinstance(message, str) and message.strip().lower() in _ROUTE_NOT_FOUND


def _error_object(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        return {}
    error = body.get("error")
    return error if isinstance(error, Mapping) else body


def _is_code(value: Any, code: int) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value == code
    return isinstance(value, str) and value.strip() == str(code)


def hint_for(status_code: int, body: Any, *, endpoint: Optional[str] = None) -> Optional[str]:
    """The hint for a Gloo 403 or 503/2006 answer, or a 404 for a path that does not exist (``body``: the
    parsed JSON, or None); else None."""
    error = _error_object(body)
    if status_code == 403:
        code = error.get("code") if error else None
        gloo = (endpoint or "").startswith("gloo")
        if code == "forbidden" or (gloo and code is None):
            return FORBIDDEN_HINT
        return None
    if status_code == 503 and _is_code(error.get("code"), EMPTY_COMPLETION_CODE):
        return EMPTY_COMPLETION_HINT
    if status_code == 404 and endpoint and _route_not_found(body):
        return BASE_URL_HINTS.get("gravix" if endpoint.startswith("gravix") else "gloo")
    return None
