"""Model catalogs: Gloo's public registry and Gravix's OpenAI-style list.

The Gloo entries use ids of docs/providers.md#model-ids and the registry
fields of docs/providers.md#registry (pricing rates are decimal *strings*; family uses the
canonical casing of docs/providers.md#families). The Gravix ids come from
docs/providers.md#gravix-models.
Numbers (context windows, prices) are plausible, not authoritative.
"""

from __future__ import annotations

import zlib

V1_DEFAULT_MODEL = "us.meta.llama3-3-70b-instruct-v1:0"  # docs/providers.md#v1, D2

FAMILIES = {  # request enum (lower case) -> canonical casing (docs/providers.md#families)
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google",
    "open source": "Open Source",
}


def _rate(per_1m: str) -> dict:
    # Registry rates are decimal strings, both per 1k and per 1M tokens.
    per_1k = f"{float(per_1m) / 1000:.6f}".rstrip("0").rstrip(".")
    return {"rate_per_1k_tokens": per_1k or "0", "rate_per_1m_tokens": per_1m}


def _entry(
    id_: str,
    name: str,
    family: str,
    provider_id: str,
    ctx: int,
    out: int,
    price_in: str,
    price_out: str,
    *,
    cache_read: str | None = None,
    tools: bool = True,
    reasoning: bool = False,
    vision: bool = False,
    outputs: tuple[str, ...] = ("text",),
    provider: str | None = None,
    reasoning_text: bool = False,
) -> dict:
    pricing = {"input": _rate(price_in), "output": _rate(price_out)}
    if cache_read is not None:
        pricing["cache_read"] = _rate(cache_read)
    return {
        "id": id_,
        "name": name,
        "family": family,
        "provider_id": provider_id,
        "context_window": ctx,
        "max_output_tokens": out,
        "input_modalities": ["text", "image"] if vision else ["text"],
        "output_modalities": list(outputs),
        "supports_tools": tools,
        "supports_streaming": True,
        "supports_reasoning": reasoning,
        "supports_vision": vision,
        "pricing": pricing,
        # Not a registry field: the vendor name echoed as ``provider`` on v2
        # responses. Stripped by ``gloo_registry``.
        "_provider": provider or family,
        # Not a registry field either: the model sends its reasoning as
        # ``reasoning_content`` (DeepSeek and GPT-OSS do, docs/providers.md#reasoning; OpenAI,
        # Google and Anthropic models reason without showing it).
        "_reasoning_text": reasoning and reasoning_text,
    }


GLOO_MODELS: list[dict] = [
    _entry(
        "gloo-openai-gpt-5-nano",
        "GPT-5 Nano",
        "OpenAI",
        "openai/gpt-5-nano",
        400000,
        128000,
        "0.05",
        "0.40",
        reasoning=True,
        vision=True,
    ),
    _entry(
        "gloo-openai-gpt-5-mini",
        "GPT-5 Mini",
        "OpenAI",
        "openai/gpt-5-mini",
        400000,
        128000,
        "0.25",
        "2.00",
        reasoning=True,
        vision=True,
    ),
    _entry(
        "gloo-openai-gpt-5.2",
        "GPT-5.2",
        "OpenAI",
        "openai/gpt-5.2",
        400000,
        128000,
        "1.75",
        "14.00",
        reasoning=True,
        vision=True,
    ),
    _entry(
        "gloo-anthropic-claude-haiku-4.5",
        "Claude Haiku 4.5",
        "Anthropic",
        "anthropic/claude-haiku-4.5",
        200000,
        64000,
        "1.00",
        "5.00",
        cache_read="0.10",
        reasoning=True,
        vision=True,
    ),
    _entry(
        "gloo-anthropic-claude-sonnet-4.5",
        "Claude Sonnet 4.5",
        "Anthropic",
        "anthropic/claude-sonnet-4.5",
        200000,
        64000,
        "3.00",
        "15.00",
        cache_read="0.30",
        reasoning=True,
        vision=True,
    ),
    _entry(
        "gloo-google-gemini-2.5-flash-lite",
        "Gemini 2.5 Flash Lite",
        "Google",
        "google/gemini-2.5-flash-lite",
        1048576,
        65535,
        "0.10",
        "0.40",
        reasoning=True,
        vision=True,
    ),
    _entry(
        "gloo-google-gemini-2.5-flash",
        "Gemini 2.5 Flash",
        "Google",
        "google/gemini-2.5-flash",
        1048576,
        65535,
        "0.30",
        "2.50",
        reasoning=True,
        vision=True,
    ),
    _entry(
        "gloo-google-gemini-2.5-pro",
        "Gemini 2.5 Pro",
        "Google",
        "google/gemini-2.5-pro",
        1048576,
        65536,
        "1.25",
        "10.00",
        reasoning=True,
        vision=True,
    ),
    # Rejects tools with 400 "model does not support function calling"
    # (docs/providers.md#tools, verified 2026-04-27 by G3/G4).
    _entry(
        "gloo-meta-llama-3.1-8b-instruct",
        "Llama 3.1 8B Instruct",
        "Open Source",
        "meta-llama/llama-3.1-8b-instruct",
        131072,
        8192,
        "0.02",
        "0.05",
        tools=False,
        provider="Meta",
    ),
    _entry(
        "gloo-deepseek-v3.2",
        "DeepSeek V3.2",
        "Open Source",
        "deepseek/deepseek-v3.2",
        163840,
        65536,
        "0.28",
        "0.42",
        provider="DeepSeek",
    ),
    _entry(
        "gloo-openai-gpt-oss-120b",
        "GPT-OSS 120B",
        "Open Source",
        "openai/gpt-oss-120b",
        131072,
        32768,
        "0.10",
        "0.50",
        reasoning=True,
        provider="OpenAI",
        reasoning_text=True,
    ),
    # Rejects tools too (docs/providers.md#tools); streams its reasoning (docs/providers.md#reasoning).
    _entry(
        "gloo-deepseek-r1",
        "DeepSeek R1",
        "Open Source",
        "deepseek/deepseek-r1",
        131072,
        32768,
        "0.55",
        "2.19",
        tools=False,
        reasoning=True,
        provider="DeepSeek",
        reasoning_text=True,
    ),
    # Image-only models exist in the registry (FLUX, Seedream...) and reject
    # chat completions (docs/providers.md#registry, docs/providers.md#errors).
    _entry(
        "gloo-black-forest-labs-flux-1.1-pro",
        "FLUX 1.1 Pro",
        "Open Source",
        "black-forest-labs/flux-1.1-pro",
        4096,
        0,
        "0.00",
        "40.00",
        tools=False,
        outputs=("image",),
        provider="Black Forest Labs",
    ),
]

_BY_ID = {m["id"]: m for m in GLOO_MODELS}

# Routing picks, smallest tier first. All are text models with tool support,
# so routed requests never hit the "no function calling" rejection.
_TIER_PICKS = {
    None: ["gloo-openai-gpt-5-mini", "gloo-anthropic-claude-sonnet-4.5", "gloo-openai-gpt-5.2"],
    "OpenAI": ["gloo-openai-gpt-5-nano", "gloo-openai-gpt-5-mini", "gloo-openai-gpt-5.2"],
    "Anthropic": [
        "gloo-anthropic-claude-haiku-4.5",
        "gloo-anthropic-claude-sonnet-4.5",
        "gloo-anthropic-claude-sonnet-4.5",
    ],
    "Google": ["gloo-google-gemini-2.5-flash-lite", "gloo-google-gemini-2.5-flash", "gloo-google-gemini-2.5-pro"],
    "Open Source": ["gloo-deepseek-v3.2", "gloo-deepseek-v3.2", "gloo-openai-gpt-oss-120b"],
}

GRAVIX_MODELS: list[dict] = [
    # ``owned_by`` follows Ollama's /v1/models: "library" for bare tags,
    # otherwise the namespace (docs/providers.md#gravix-request: Ollama OpenAI layer).
    {"id": "llama3.1:8b-instruct-fp16", "object": "model", "created": 1721692800, "owned_by": "library"},
    {"id": "meta-llama/llama-3.1-8b-instruct", "object": "model", "created": 1735689600, "owned_by": "meta-llama"},
    {"id": "qwen/qwen-2.5-vl-7b-instruct", "object": "model", "created": 1735689600, "owned_by": "qwen"},
    {"id": "mistralai/mistral-nemo-instruct-2407", "object": "model", "created": 1735689600, "owned_by": "mistralai"},
    # The embedding model the Gravix docs name (docs/providers.md#gravix-models), served at /embeddings.
    {"id": "microsoft/multilingual-e5-large", "object": "model", "created": 1735689600, "owned_by": "microsoft"},
]


def gloo_registry() -> dict:
    """Body of ``GET /platform/v2/models`` (docs/providers.md#registry)."""
    data = [{k: v for k, v in m.items() if not k.startswith("_")} for m in GLOO_MODELS]
    return {"object": "list", "data": data}


def gravix_list() -> dict:
    return {"object": "list", "data": [dict(m) for m in GRAVIX_MODELS]}


def lookup(model_id: str) -> dict | None:
    return _BY_ID.get(model_id)


def routing_metadata(body: dict, prompt_text: str) -> dict:
    """Top-level v2 routing fields for a validated request (docs/providers.md#families, docs/providers.md#v2-response).

    ``routing_tier``/``routing_confidence`` appear only for auto routing and
    model_family; direct selection carries neither. Values use the tutorial
    vocabulary (``tier_1``..``tier_3``, ``direct_model_selection``).
    """
    if body.get("auto_routing") is True:
        family, mechanism = None, "auto_routing"
    elif body.get("model_family") is not None:
        family, mechanism = FAMILIES[str(body["model_family"]).lower()], "model_family"
    else:
        model_id = body["model"]
        meta = {"model": model_id, "routing_mechanism": "direct_model_selection", "auto_routing": False}
        entry = lookup(model_id)
        if entry is not None:
            meta["provider"] = entry["_provider"]
            meta["model_family"] = entry["family"]
        return meta
    words = len(prompt_text.split())
    tier = 0 if words < 20 else 1 if words < 100 else 2
    entry = _BY_ID[_TIER_PICKS[family][tier]]
    # Deterministic pseudo-confidence in [0.70, 0.99] (crc32 is stable
    # across runs, unlike hash()).
    confidence = round(0.70 + (zlib.crc32(prompt_text.encode("utf-8")) % 30) / 100, 2)
    return {
        "model": entry["id"],
        "routing_mechanism": mechanism,
        "routing_tier": f"tier_{tier + 1}",
        "routing_confidence": confidence,
        "provider": entry["_provider"],
        "model_family": entry["family"],
        "auto_routing": mechanism == "auto_routing",
    }
