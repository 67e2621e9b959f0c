"""Request validation, mirroring what each upstream rejects (and accepts).

Gloo is FastAPI (docs/providers.md#errors): field errors are 422 ``{"detail": [...]}``;
rules enforced by the service itself are 400 AI Error Objects. Unknown body
fields are accepted silently (docs/providers.md#unknown-fields). Gravix validation errors use the
documented V3 envelope (docs/providers.md#gravix-errors).
"""

from __future__ import annotations

import json
from typing import Any

from . import catalog, errors

TRADITIONS = {"evangelical", "catholic", "mainline", "not_faith_specific"}
_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
Problem = tuple[int, dict]  # (status, body)


def parse_json(raw: bytes) -> Any:
    """Decoded body, or raises ``ValueError`` (answered with 400, docs/providers.md#errors)."""
    return json.loads(raw.decode("utf-8"))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def message_errors(body: dict) -> list[dict]:
    """FastAPI-style errors for ``messages`` (required, non-empty list)."""
    if "messages" not in body or body["messages"] is None:
        return [errors.missing(["body", "messages"])]
    msgs = body["messages"]
    if not isinstance(msgs, list):
        return [errors.type_error(["body", "messages"], "list_type", msgs)]
    if not msgs:
        return [errors.too_short(["body", "messages"], msgs)]
    found = []
    for i, msg in enumerate(msgs):
        loc = ["body", "messages", i]
        if not isinstance(msg, dict):
            found.append(errors.type_error(loc, "model_attributes_type", msg))
        elif "role" not in msg:
            found.append(errors.missing(loc + ["role"]))
        elif msg["role"] not in _ROLES:
            found.append(errors.enum_error(loc + ["role"], sorted(_ROLES), msg["role"]))
    return found


def _sampling_errors(body: dict, max_temperature: float) -> list[dict]:
    found = []
    t = body.get("temperature")
    if t is not None:
        if not _is_number(t):
            found.append(errors.type_error(["body", "temperature"], "float_type", t))
        elif t < 0:
            found.append(errors.bound_error(["body", "temperature"], "ge", 0.0, t))
        elif t > max_temperature:
            found.append(errors.bound_error(["body", "temperature"], "le", max_temperature, t))
    m = body.get("max_tokens")
    if m is not None:
        if not _is_int(m):
            found.append(errors.type_error(["body", "max_tokens"], "int_type", m))
        elif m < 1:
            found.append(errors.bound_error(["body", "max_tokens"], "ge", 1, m))
    tools = body.get("tools")
    if tools is not None and not isinstance(tools, list):
        found.append(errors.type_error(["body", "tools"], "list_type", tools))
    return found


def validate_gloo_v1(body: Any) -> Problem | None:
    """v1: ``messages`` required; ``model`` defaults (docs/providers.md#v1).

    The documented v1 ranges (max_tokens >= 1024, temperature <= 1) are not
    enforced: whether the live host enforces them is unconfirmed (docs/providers.md#v1).
    """
    if not isinstance(body, dict):
        return 422, errors.fastapi_detail([errors.type_error(["body"], "model_attributes_type", body)])
    found = message_errors(body) + _sampling_errors(body, max_temperature=2.0)
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        found.append(errors.type_error(["body", "model"], "string_type", model))
    if found:
        return 422, errors.fastapi_detail(found)
    if model is None:
        return None
    # v1 errors are FastAPI ``{"detail": str}`` bodies, the only v1 error shape seen.
    if catalog.retired_v1(model) or catalog.retired_v2(model):
        return 400, {"detail": f"model not supported: {model}"}
    if not catalog.v1_serves(model):
        return 400, {"detail": f"Unknown model {model}"}
    entry = catalog.lookup(model)
    if entry is not None and body.get("tools") and not entry["supports_tools"]:
        return 400, {"detail": "model does not support function calling"}
    return None


def validate_gloo_v2(body: Any, request_id: str) -> Problem | None:
    """v2 rules: fields, one routing mechanism, a family the registry has, a model it serves."""
    if not isinstance(body, dict):
        return 422, errors.fastapi_detail([errors.type_error(["body"], "model_attributes_type", body)])
    found = message_errors(body) + _sampling_errors(body, max_temperature=2.0)  # 0..2, D1
    auto = body.get("auto_routing")
    if auto is not None and not isinstance(auto, bool):
        found.append(errors.type_error(["body", "auto_routing"], "bool_type", auto))
    family = body.get("model_family")
    if family is not None and not isinstance(family, str):
        found.append(errors.type_error(["body", "model_family"], "string_type", family))
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        found.append(errors.type_error(["body", "model"], "string_type", model))
    if found:
        return 422, errors.fastapi_detail(found)
    # auto_routing:false does not count as a mechanism (docs/providers.md#v2-request, G2 canary).
    mechanisms = [auto is True, model is not None, family is not None]
    if sum(mechanisms) == 0:
        return 422, errors.fastapi_detail(
            [
                errors.value_error(
                    ["body"],
                    "Exactly one routing mechanism (auto_routing, model, or model_family) must be specified",
                    None,
                )
            ]
        )
    if sum(mechanisms) > 1:
        return 400, errors.gloo_ai_error(400, "only one routing mechanism allowed", request_id)
    if family is not None and family.lower() not in catalog.routable_families():
        # The families are the registry's, matched case-insensitively ("open source" has a
        # space); a family whose members all answer images has nothing to chat with.
        return 400, errors.gloo_ai_error(
            400,
            f"Unknown model family '{family}': expected one of "
            + ", ".join(sorted(catalog.routable_families().values()))
            + " (GET /platform/v2/models lists each model's family)",
            request_id,
        )
    if model is not None:
        return _v2_model_problem(body, model, request_id)
    return None


def _v2_model_problem(body: dict, model: str, request_id: str) -> Problem | None:
    """What the service answers a direct model choice it cannot serve."""
    if catalog.retired_v2(model):
        return 400, {"detail": f"model not supported: {model}"}
    entry = catalog.lookup(model)
    if entry is None:
        return 400, {"detail": f"Unknown model {model}"}
    if not catalog.is_text_model(entry):
        return 400, errors.gloo_ai_error(
            400,
            (
                f"Model '{model}' does not support text output and cannot be used with the Chat "
                "Completions API. Use the POST /v2/responses endpoint instead."
            ),
            request_id,
        )
    if body.get("tools") and not entry["supports_tools"]:
        return 400, errors.gloo_ai_error(400, "model does not support function calling", request_id)
    return None


def known_tradition(body: dict) -> str | None:
    """Lower-cased known tradition, else None: unknown values are silently
    ignored upstream and fall back to neutral (docs/providers.md#traditions)."""
    value = body.get("tradition")
    if isinstance(value, str) and value.lower() in TRADITIONS:
        return value.lower()
    return None


def validate_gravix(body: Any, request_id: str) -> Problem | None:
    """Gravix: ``model`` and ``messages`` required; sampling left lenient
    like Ollama's OpenAI layer (docs/providers.md#gravix-request)."""

    def bad(field: str, reason: str) -> Problem:
        return 400, errors.gravix_envelope(
            "validation_error", f"{field} is {reason}", request_id, details={"field": field, "reason": reason}
        )

    if not isinstance(body, dict):
        return bad("body", "not a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        return bad("model", "required")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return bad("messages", "required")
    if message_errors(body):
        return bad("messages", "invalid")
    # Past the gateway the request meets Ollama's OpenAI layer, which answers in its own
    # ``{"error": {"message", "type", "param", "code"}}`` shape.
    entry = catalog.gravix_lookup(model)
    if entry is None:
        return 404, errors.gravix_backend_error(f'model "{model}" not found, try pulling it first', "not_found_error")
    if not entry["_chat"]:
        return 400, errors.gravix_backend_error(f'"{model}" does not support chat', "invalid_request_error")
    return None
