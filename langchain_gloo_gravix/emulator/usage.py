"""Gloo v2 ``usage``: token counts plus the prompt-cache fields.

Gloo's 2026-05-26 changelog added ``cache_tokens`` (prompt tokens read from the
provider's prompt cache) and ``cache_hit_rate`` (their share of the prompt, 0..1)
to usage, and Gloo's own check expects both on every answer. DeepSeek models
also carry DeepSeek's counters, ``prompt_cache_hit_tokens`` and
``prompt_cache_miss_tokens``, which Gloo's client reads as cache reads.

Which tokens hit the cache (docs/emulator.md#usage-and-the-prompt-cache), deterministically and
without server state: a model with a cache tier in its registry pricing (``pricing.cache_read``)
reads from the cache every message that precedes the conversation's last assistant message,
because exactly those were already sent in the request that produced it (providers cache a
request's prefix automatically). A first turn, or a model without a cache tier, reads nothing.
"""

from __future__ import annotations

from .model import Reply
from .prompt import count_prompt_tokens


def cached_prompt_tokens(messages: list[dict], entry: dict | None) -> int:
    if entry is None or "cache_read" not in entry["pricing"]:
        return 0
    last_assistant = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=-1)
    return count_prompt_tokens(messages[:last_assistant]) if last_assistant > 0 else 0


def gloo_usage(reply: Reply) -> dict:
    """Counts in the published v2 order, plus reasoning tokens when the model thought."""
    u = reply.usage
    usage = {
        "completion_tokens": u["completion_tokens"],
        "prompt_tokens": u["prompt_tokens"],
        "total_tokens": u["total_tokens"],
    }
    if reply.reasoning_tokens:
        usage["completion_tokens_details"] = {"reasoning_tokens": reply.reasoning_tokens}
    return usage


def gloo_v2_usage(reply: Reply, messages: list[dict], entry: dict | None) -> dict:
    usage = gloo_usage(reply)
    prompt = usage["prompt_tokens"]
    cached = min(cached_prompt_tokens(messages, entry), prompt)
    usage["cache_tokens"] = cached
    usage["cache_hit_rate"] = round(cached / prompt, 4) if prompt else 0.0
    if entry is not None and entry.get("_deepseek_usage"):
        usage["prompt_cache_hit_tokens"] = cached
        usage["prompt_cache_miss_tokens"] = prompt - cached
    return usage
