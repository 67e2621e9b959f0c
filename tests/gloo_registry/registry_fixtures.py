"""A registry of Gloo's shape (docs/providers.md#registry) and answers to price against it,
served by the bounded loopback FaultServer (tests/support/fault_server.py)."""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

from tests.support.fault_server import Action, FaultServer, reply, sse, stream


def rate(per_1m: str, per_1k: Optional[str] = None) -> dict[str, str]:
    out = {"rate_per_1m_tokens": per_1m}
    if per_1k is not None:
        out["rate_per_1k_tokens"] = per_1k
    return out


def entry(model_id: str, family: str, pricing: Optional[dict[str, Any]] = None, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": model_id,
        "name": model_id,
        "family": family,
        "provider_id": model_id.replace("gloo-", "").replace("-", "/", 1),
        "context_window": 200000,
        "max_output_tokens": 32000,
        "input_modalities": ["text"],
        "output_modalities": ["text"],
        "supports_tools": True,
        "supports_streaming": True,
        "supports_reasoning": True,
        "supports_vision": False,
        **fields,
    }
    if pricing is not None:
        out["pricing"] = pricing
    return out


REGISTRY = {
    "object": "list",
    "data": [
        entry(
            "gloo-openai-gpt-5-mini",
            "OpenAI",
            {"input": rate("0.25", "0.00025"), "output": rate("2.00", "0.002")},
        ),
        entry(
            "gloo-anthropic-claude-haiku-4.5",
            "Anthropic",
            {"input": rate("1.00", "0.001"), "output": rate("5.00", "0.005"), "cache_read": rate("0.10", "0.0001")},
        ),
        # a family beyond the documented four, priced per 1K only
        entry(
            "gloo-xai-grok-4",
            "xAI",
            {"input": {"rate_per_1k_tokens": "0.003"}, "output": {"rate_per_1k_tokens": "0.015"}},
        ),
        entry(
            "gloo-deepseek-v3.2",
            "Open Source",
            {"input": rate("0.28"), "output": rate("0.42"), "cache_read": rate("0.028")},
        ),
        entry("gloo-google-gemini-2.5-flash", "Google"),  # listed without pricing
        entry("gloo-flux-1-schnell", "Black Forest Labs", output_modalities=["image"]),
    ],
}


def completion(
    model: Optional[str], usage: Optional[dict[str, Any]], text: str = "Hello there", **top: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": "chatcmpl-registry",
        "object": "chat.completion",
        "created": 1,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        **top,
    }
    if model is not None:
        out["model"] = model
    if usage is not None:
        out["usage"] = usage
    return out


def stream_answer(
    model: str, usage: Optional[dict[str, Any]], *, reasoning_field: Optional[str] = None, **top: Any
) -> Action:
    def chunk(delta: dict[str, Any], finish: Optional[str] = None, **extra: Any) -> bytes:
        return sse(
            {
                "id": "chatcmpl-registry",
                "object": "chat.completion.chunk",
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            }
        )

    events = [chunk({"role": "assistant"}, **top)]
    if reasoning_field:
        events.append(chunk({reasoning_field: "Thinking it over."}))
    events += [chunk({"content": "Hello"}), chunk({"content": " there"}), chunk({}, "stop")]
    if usage is not None:
        events.append(
            sse(
                {
                    "id": "chatcmpl-registry",
                    "object": "chat.completion.chunk",
                    "model": model,
                    "choices": [],
                    "usage": usage,
                }
            )
        )
    events.append(b"data: [DONE]\n\n")
    return stream(*events)


USAGE_MINI = {"prompt_tokens": 1200, "completion_tokens": 345, "total_tokens": 1545}
COST_MINI = {"input": "0.0003", "output": "0.00069", "total": "0.00099", "currency": "USD"}
# Gloo's cache_tokens: 1,000 of the 3,000 prompt tokens read from the cache, at the cache_read price
USAGE_HAIKU = {
    "prompt_tokens": 3000,
    "completion_tokens": 200,
    "total_tokens": 3200,
    "cache_tokens": 1000,
    "cache_hit_rate": 0.33,
}
COST_HAIKU = {"input": "0.0021", "output": "0.001", "total": "0.0031", "currency": "USD"}


def registry_reply(body: Any = None) -> Action:
    return reply(200, REGISTRY if body is None else body)


def scripted(
    chat: Callable[[int], Action], models: Callable[[int], Action] = lambda n: registry_reply()
) -> FaultServer:
    """A server answering chat calls with ``chat(n)`` and the registry with ``models(n)``."""

    def script(kind: str, n: int) -> Action:
        if kind == "models":
            return models(n)
        if kind in ("chat", "other"):  # "other": the grounded path, .../chat/completions/grounded
            return chat(n)
        return reply(404, {"detail": "Not Found"})

    return FaultServer(script)


def sent(server: FaultServer) -> list[dict[str, Any]]:
    return [json.loads(seen.body) for seen in server.seen if seen.kind in ("chat", "other")]
