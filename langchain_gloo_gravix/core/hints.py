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

:func:`hint_for` gives the sentence appended to such an error's message; the error keeps
its class (``PermissionDeniedError`` / ``ServerError``) and every field. Pure and cheap:
only error paths call it.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

__all__ = ["hint_for", "FORBIDDEN_HINT", "EMPTY_COMPLETION_HINT", "EMPTY_COMPLETION_CODE"]

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
    """The hint for a Gloo 403 or 503/2006 answer (``body``: the parsed JSON, or None); else None."""
    error = _error_object(body)
    if status_code == 403:
        code = error.get("code") if error else None
        gloo = (endpoint or "").startswith("gloo")
        if code == "forbidden" or (gloo and code is None):
            return FORBIDDEN_HINT
        return None
    if status_code == 503 and _is_code(error.get("code"), EMPTY_COMPLETION_CODE):
        return EMPTY_COMPLETION_HINT
    return None
