"""Gloo's typed refusal contract, as one error both frameworks raise.

A safety refusal comes back as ``finish_reason: "content_filter"`` with the
reason in ``message.refusal`` (docs/providers.md#refusals). Structured output cannot be
produced from it, so the adapters raise :class:`RefusalError` carrying the text.
"""

from __future__ import annotations

from typing import Any, Optional

from .errors import GlooGravixError

__all__ = ["RefusalError", "refusal_reason"]

_REFUSED = "content_filter"


class RefusalError(GlooGravixError, ValueError):
    """The model refused to answer; ``refusal`` is its reason (may be empty).

    Also a ``ValueError``, which is what structured-output parsers raised before.
    """

    def __init__(self, message: str, *, refusal: Optional[str] = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.refusal = refusal


def refusal_reason(refusal: Optional[str], finish_reason: Optional[str]) -> Optional[str]:
    """The refusal text when the answer is a refusal (``content_filter`` without text
    still is one), else None."""
    if refusal:
        return refusal
    if finish_reason == _REFUSED:
        return "the answer was stopped by a content filter (finish_reason 'content_filter')"
    return None
