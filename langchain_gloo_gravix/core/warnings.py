"""The one warning class of the package, for Gloo's known surprises.

Gloo accepts some settings that then fail or silently do nothing at call time
(docs/providers.md#traditions, #reasoning-models, #unknown-fields): ``tradition="not_faith_specific"`` with auto
routing, a small ``max_tokens`` on reasoning models or routed pools (the answer
is spent thinking and comes back as 503 code 2006), ``json_schema`` structured
output on a route that ignores ``response_format``, and a ``model_family`` its
registry does not list. These are said once, at construction (or when the
registry is first read), as a :class:`GlooGravixWarning`, so they can be
filtered as one category::

    import warnings
    from langchain_gloo_gravix.core.warnings import GlooGravixWarning
    warnings.simplefilter("ignore", GlooGravixWarning)   # or "error" in CI
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, Mapping, Optional

from .catalog import spec_for

__all__ = [
    "GlooGravixWarning",
    "MIN_REASONING_MAX_TOKENS",
    "construction_warnings",
    "warn",
    "warn_construction",
    "json_schema_warning",
    "unlisted_family_warning",
]

#: Gloo staff advise at least 1,024 and preferably 2,048 answer tokens on reasoning
#: models; below that the model may think until the budget is gone (503, code 2006).
MIN_REASONING_MAX_TOKENS = 2048


class GlooGravixWarning(UserWarning):
    """A setting the service accepts but that is likely to fail or do nothing."""


def _text(value: Any) -> Optional[str]:
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def _auto_routed(params: Mapping[str, Any]) -> bool:
    return params.get("auto_routing") is True or not (params.get("model") or params.get("model_family"))


def construction_warnings(endpoint_name: str, routing: bool, params: Mapping[str, Any]) -> list[str]:
    """The surprises ``params`` (a model's configured request fields) hold, as messages.

    Pure: ``routing`` is the endpoint's v2 routing flag; ``params`` the fields the
    model will send (``model``, ``auto_routing``, ``model_family``, ``tradition``,
    ``max_tokens`` / ``max_completion_tokens``).
    """
    found: list[str] = []
    auto = routing and _auto_routed(params)
    if routing and _text(params.get("tradition")) == "not_faith_specific" and auto:
        found.append(
            "tradition='not_faith_specific' with auto routing: Gloo is reported to refuse this pair "
            "(it is accepted with an explicit model=); pass model='gloo-...' or another tradition"
        )
    limit = params.get("max_tokens") or params.get("max_completion_tokens")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit < MIN_REASONING_MAX_TOKENS:
        model = params.get("model") if isinstance(params.get("model"), str) else None
        family = params.get("model_family") if isinstance(params.get("model_family"), str) else None
        pooled = routing and model is None
        if pooled or spec_for(model, model_family=family, auto_routing=auto).reasoning:
            what = "a routed pool (auto routing or model_family)" if pooled else f"reasoning model {model!r}"
            found.append(
                f"max_tokens={limit} on {what}: a reasoning model can spend the whole budget thinking, and Gloo "
                f"then answers HTTP 503 (code 2006) that retrying does not cure; leave max_tokens unset or use "
                f"at least {MIN_REASONING_MAX_TOKENS}"
            )
    return found


def json_schema_warning(endpoint_name: str, routing: bool, params: Mapping[str, Any]) -> Optional[str]:
    """The message for ``json_schema`` structured output on a route that ignores ``response_format``.

    Gloo silently ignores fields a model does not support (docs/providers.md#unknown-fields); on a routed
    pool, or a model the catalog does not know to honour ``response_format``, the schema
    may be ignored and the answer be free text.
    """
    model = params.get("model") if isinstance(params.get("model"), str) else None
    if routing and model is None:
        where = "a routed pool (auto routing or model_family)"
    elif not spec_for(model, endpoint=endpoint_name).structured_output:
        where = f"{model or endpoint_name!r}, which is not known to honour response_format"
    else:
        return None
    return (
        f"json_schema structured output on {where}: the service may ignore response_format and answer "
        "in free text; use method='function_calling' (works in every routing mode) or pick a model= that "
        "supports structured output"
    )


def unlisted_family_warning(family: str, families: Any) -> str:
    listed = ", ".join(sorted(families)) or "none"
    return (
        f"model_family={family!r} is not listed in Gloo's model registry (families: {listed}); it is sent as "
        "given, and Gloo will refuse it if it does not know it"
    )


# Frames of these packages are skipped, so the warning points at the user's line that built the model
# (through pydantic's validators and the frameworks' wrappers).
_INTERNAL = ("langchain_gloo_gravix", "llama_index_ext", "pydantic", "langchain_core", "llama_index")


def _user_stacklevel() -> int:
    frame = sys._getframe(2)  # the caller of warn()
    level = 2
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not module.startswith(_INTERNAL):
            return level
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return 2


def warn(message: str) -> None:
    """Issue ``message`` as a :class:`GlooGravixWarning` pointing at the user's code."""
    warnings.warn(message, GlooGravixWarning, stacklevel=_user_stacklevel())


def warn_construction(messages: list[str], stacklevel: int = 2) -> None:
    """Issue each message (``stacklevel`` is kept for callers; the user's frame is found instead)."""
    for message in messages:
        warn(message)
