"""Gloo grounded completions: the request rules (pure, no pydantic: loaded with the core).

``POST /ai/v2/chat/completions/grounded`` takes the v2 routing and tradition
fields plus ``rag_publisher``, ``sources_limit`` (1-10), ``include_citations``
and ``parallel_tool_calls``; its answers add ``sources_returned`` (bool) and
``citations`` (docs/providers.md#grounded). The shape of ``citations`` is not
published, so it is kept exactly as received and only read where it is there.

request.py calls the checks here; both framework adapters call
:func:`check_grounded_options` for their constructor words. The result side
(``Grounding``, stream collection) is in grounding_result.py.
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = [
    "GROUNDING_OPTIONS",
    "GROUNDING_FIELDS",
    "SOURCES_LIMIT_MIN",
    "SOURCES_LIMIT_MAX",
    "check_grounded_options",
    "normalize_grounding_params",
    "reject_grounding_params",
]

#: request fields only the grounded route accepts (the words users pass, too).
GROUNDING_OPTIONS = ("rag_publisher", "sources_limit", "include_citations")
#: response fields the grounded route adds to a completion (or to a stream chunk).
GROUNDING_FIELDS = ("sources_returned", "citations")
SOURCES_LIMIT_MIN, SOURCES_LIMIT_MAX = 1, 10


# -- requests ------------------------------------------------------------------------


def check_grounded_options(grounded: bool, api_version: str, options: Mapping[str, Any]) -> None:
    """Constructor rule shared by the adapters: grounding words need ``grounded=True``,
    and grounded completions exist on Gloo v2 only. Raises ValueError."""
    given = [name for name in GROUNDING_OPTIONS if options.get(name) is not None]
    if given and not grounded:
        raise ValueError(
            f"{', '.join(given)} {'is a' if len(given) == 1 else 'are'} grounded-completion option"
            f"{'' if len(given) == 1 else 's'}: pass grounded=True to use "
            f"{'it' if len(given) == 1 else 'them'}"
        )
    if grounded and api_version != "v2":
        raise ValueError(
            f"grounded=True needs api_version='v2' (grounded completions are a Gloo v2 route), got {api_version!r}"
        )


def reject_grounding_params(endpoint_name: str, params: Mapping[str, Any]) -> None:
    """On every other route a grounding field would be silently ignored (gotcha 7)."""
    for key in GROUNDING_OPTIONS:
        if params.get(key) is not None:
            raise ValueError(
                f"{key} is an option of Gloo grounded completions (grounded=True, endpoint "
                f"'gloo-v2-grounded'); {endpoint_name} does not accept it"
            )


def normalize_grounding_params(out: dict[str, Any]) -> None:
    """Validate the grounded route's own fields in place (messages name the field)."""
    if "rag_publisher" in out:
        publisher = out["rag_publisher"]
        if not isinstance(publisher, str) or not publisher.strip():
            raise ValueError(
                f"rag_publisher must be a non-empty string (a publisher name; Gloo's default corpus is "
                f"'GlooGrounded'), got {publisher!r}"
            )
        out["rag_publisher"] = publisher.strip()
    if "sources_limit" in out:
        limit = out["sources_limit"]
        if not isinstance(limit, int) or isinstance(limit, bool) or not SOURCES_LIMIT_MIN <= limit <= SOURCES_LIMIT_MAX:
            raise ValueError(
                f"sources_limit must be an integer from {SOURCES_LIMIT_MIN} to {SOURCES_LIMIT_MAX}, got {limit!r}"
            )
    for key in ("include_citations", "parallel_tool_calls"):
        if key in out and not isinstance(out[key], bool):
            raise ValueError(f"{key} must be True or False, got {out[key]!r}")
