"""Cache and reasoning token counts, from every usage shape the services and Gloo's samples use.

One reader for both adapters (LangChain ``usage_metadata`` input/output token
details, LlamaIndex ``additional_kwargs`` and ``ThinkingBlock.num_tokens``) and for
cost (cache reads are priced on their own). First present wins, in this order:

- cache reads: OpenAI ``prompt_tokens_details.cached_tokens``; Gloo's ``cache_tokens``
  (announced in its 2026-05-26 changelog); DeepSeek-style ``prompt_cache_hit_tokens``
  (Gloo serves DeepSeek models); Anthropic-style ``cache_read_input_tokens``;
- cache writes: ``prompt_tokens_details.cache_creation_tokens`` / ``cache_write_tokens``,
  Anthropic-style ``cache_creation_input_tokens``;
- reasoning: ``completion_tokens_details.reasoning_tokens``, else a top-level ``reasoning_tokens``;
- ``cache_hit_rate`` (Gloo): kept as the number sent; never turned into a count (its scale,
  fraction or percent, is not documented).

A value that is not a non-negative integer is ignored, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

__all__ = ["TokenDetails", "token_details"]


@dataclass(frozen=True)
class TokenDetails:
    cache_read: Optional[int] = None
    cache_creation: Optional[int] = None
    input_audio: Optional[int] = None
    reasoning: Optional[int] = None
    output_audio: Optional[int] = None
    cache_hit_rate: Optional[float] = None


def _count(value: Any) -> Optional[int]:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, float) and value >= 0 and value.is_integer():
        return int(value)
    return None


def _first(*values: Any) -> Optional[int]:
    for value in values:
        count = _count(value)
        if count is not None:
            return count
    return None


def _group(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


_NONE = TokenDetails()
# every key read below: a usage carrying none of them (the common case: just the three
# counts) has no details, and answering that costs one C-level pass instead of the
# eleven readings (this runs on every answer, twice when a price is known)
_DETAIL_KEYS = frozenset(
    (
        "prompt_tokens_details",
        "completion_tokens_details",
        "cache_hit_rate",
        "cache_tokens",
        "prompt_cache_hit_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
        "reasoning_tokens",
    )
)


def token_details(usage: Any) -> TokenDetails:
    """The details of a usage object (the core's ``Usage``, or a plain dict); all None when absent."""
    if usage is None:
        return _NONE
    if isinstance(usage, Mapping):
        data: Mapping[str, Any] = usage
    else:
        extra = getattr(usage, "model_extra", None)
        prompt_details = getattr(usage, "prompt_tokens_details", None)
        completion_details = getattr(usage, "completion_tokens_details", None)
        if prompt_details is None and completion_details is None and (not extra or _DETAIL_KEYS.isdisjoint(extra)):
            return _NONE
        data = {**(extra or {})}
        data["prompt_tokens_details"] = prompt_details
        data["completion_tokens_details"] = completion_details
    if _DETAIL_KEYS.isdisjoint(data):
        return _NONE
    prompt = _group(data.get("prompt_tokens_details"))
    completion = _group(data.get("completion_tokens_details"))
    rate = data.get("cache_hit_rate")
    return TokenDetails(
        cache_read=_first(
            prompt.get("cached_tokens"),
            data.get("cache_tokens"),
            data.get("prompt_cache_hit_tokens"),
            data.get("cache_read_input_tokens"),
        ),
        cache_creation=_first(
            prompt.get("cache_creation_tokens"),
            prompt.get("cache_write_tokens"),
            data.get("cache_creation_input_tokens"),
        ),
        input_audio=_first(prompt.get("audio_tokens")),
        reasoning=_first(completion.get("reasoning_tokens"), data.get("reasoning_tokens")),
        output_audio=_first(completion.get("audio_tokens")),
        cache_hit_rate=float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else None,
    )
