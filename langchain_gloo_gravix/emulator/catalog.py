"""The emulator's model world: Gloo's registry, Gravix's model list, and routing.

``GET /platform/v2/models`` serves :data:`GLOO_MODELS` in the shape Gloo's own
clients read (``{"object": "list", "data": [...]}``; per entry ``id``, ``name``,
``family``, ``provider_id``, ``context_window``, ``max_output_tokens``,
``input_modalities``, ``output_modalities``, ``supports_*`` and ``pricing`` with
decimal-string rates per 1K and 1M tokens). The same entries drive the emulator's
own validation (unknown, retired, image-only and tool-rejecting models), routing
(which families exist, which model a routed request lands on), reasoning fields
and usage. docs/emulator.md#model-registry gives the source of each choice.
"""

from __future__ import annotations

import zlib
from decimal import Decimal

from .registry_data import RETIRED_V1, RETIRED_V2, ROWS, V1_MODELS, VENDORS

V1_DEFAULT_MODEL = V1_MODELS[0]  # the documented v1 default

#: The request enum the v2 reference documents (lower case) -> the registry's casing.
DOCUMENTED_FAMILIES = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google",
    "open source": "Open Source",
}


def _rate(per_1m: str) -> dict:
    """Both rates as decimal strings, the 1K one derived exactly (no float rounding)."""
    per_1k = Decimal(per_1m) / 1000
    return {"rate_per_1k_tokens": format(per_1k.normalize(), "f"), "rate_per_1m_tokens": per_1m}


def _entry(row: tuple) -> dict:
    id_, name, family, provider_id, ctx, out, price_in, price_out, cache_read, flags = row
    text = "i" not in flags
    pricing = {"input": _rate(price_in), "output": _rate(price_out)}
    if cache_read is not None:
        pricing["cache_read"] = _rate(cache_read)
    vendor = VENDORS[provider_id.split("/", 1)[0]]
    reasoning = "r" in flags
    return {
        "id": id_,
        "name": name,
        "family": family,
        "provider_id": provider_id,
        "context_window": ctx,
        "max_output_tokens": out,
        "input_modalities": ["text", "image"] if "v" in flags else ["text"],
        "output_modalities": ["image"] if not text else ["text", "image"] if "m" in flags else ["text"],
        "supports_tools": "t" in flags,
        "supports_streaming": text,
        "supports_reasoning": reasoning,
        "supports_vision": "v" in flags,
        "pricing": pricing,
        # Emulator-only keys (stripped from the served registry):
        # the vendor echoed as ``provider`` on v2 answers;
        "_vendor": vendor,
        # the delta/message field a reasoning model shows its thinking in: open-weights
        # models served behind OpenAI-compatible engines use ``reasoning_content`` (Gloo's
        # client reads it for DeepSeek), the proprietary ones ``reasoning_text``;
        "_reasoning_field": (
            None if not reasoning else "reasoning_content" if family == "Open Source" else "reasoning_text"
        ),
        # DeepSeek's own cache counters ride along in usage for DeepSeek models.
        "_deepseek_usage": provider_id.startswith("deepseek/"),
    }


GLOO_MODELS: list[dict] = [_entry(row) for row in ROWS]
_BY_ID = {m["id"]: m for m in GLOO_MODELS}

# Routing picks, smallest tier first, for the documented families and auto routing:
# text models that take tools, so routed requests never meet the tool rejection.
_TIER_PICKS: dict[str | None, list[str]] = {
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


def is_text_model(entry: dict) -> bool:
    """Chat completions can answer with it: ``text`` among its outputs (absent means text)."""
    return "text" in (entry.get("output_modalities") or ["text"])


def _family_picks(family: str) -> list[str]:
    """Cheapest, middle and dearest text model that takes tools, for families beyond the
    hand-picked four (their members change as the registry does)."""
    members = [m for m in GLOO_MODELS if m["family"] == family and is_text_model(m)]
    with_tools = [m for m in members if m["supports_tools"]] or members
    ranked = sorted(with_tools, key=lambda m: (Decimal(m["pricing"]["output"]["rate_per_1m_tokens"]), m["id"]))
    ids = [m["id"] for m in ranked]
    return [ids[0], ids[len(ids) // 2], ids[-1]]


def routable_families() -> dict[str, str]:
    """Lower-cased family -> registry casing, for families with at least one text model.

    Gloo's canary derives its ``model_family`` probes from the registry's families and
    expects the image-only ones to be refused: a family is what the registry says.
    """
    return {m["family"].lower(): m["family"] for m in GLOO_MODELS if is_text_model(m)}


def all_families() -> set[str]:
    return {m["family"] for m in GLOO_MODELS}


GRAVIX_MODELS: list[dict] = [
    # ``owned_by`` follows Ollama's /v1/models: "library" for bare tags, otherwise the
    # namespace. ``_embedding_dimensions``: the model's native vector size (its hidden size
    # for chat models, which Ollama embeds with too, as the Gravix embeddings page shows).
    {"id": "llama3.1:8b-instruct-fp16", "object": "model", "created": 1721692800, "owned_by": "library",
     "_chat": True, "_vision": False, "_embedding_dimensions": 4096},
    {"id": "llama3.1:8b", "object": "model", "created": 1721692800, "owned_by": "library",
     "_chat": True, "_vision": False, "_embedding_dimensions": 4096},
    {"id": "meta-llama/llama-3.1-8b-instruct", "object": "model", "created": 1735689600, "owned_by": "meta-llama",
     "_chat": True, "_vision": False, "_embedding_dimensions": 4096},
    {"id": "meta-llama/llama-3.2-1b-instruct", "object": "model", "created": 1735689600, "owned_by": "meta-llama",
     "_chat": True, "_vision": False, "_embedding_dimensions": 2048},
    {"id": "meta-llama/llama-3.2-3b-instruct", "object": "model", "created": 1735689600, "owned_by": "meta-llama",
     "_chat": True, "_vision": False, "_embedding_dimensions": 3072},
    {"id": "qwen/qwen-2.5-vl-7b-instruct", "object": "model", "created": 1735689600, "owned_by": "qwen",
     "_chat": True, "_vision": True, "_embedding_dimensions": 3584},
    {"id": "mistralai/mistral-nemo-instruct-2407", "object": "model", "created": 1735689600, "owned_by": "mistralai",
     "_chat": True, "_vision": False, "_embedding_dimensions": 5120},
    # The embedding model the Gravix docs name: embeddings only, 1,024 dimensions.
    {"id": "microsoft/multilingual-e5-large", "object": "model", "created": 1735689600, "owned_by": "microsoft",
     "_chat": False, "_vision": False, "_embedding_dimensions": 1024},
]  # fmt: skip
_GRAVIX_BY_ID = {m["id"]: m for m in GRAVIX_MODELS}


def _public(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if not k.startswith("_")}


def gloo_registry() -> dict:
    """Body of ``GET /platform/v2/models``."""
    return {"object": "list", "data": [_public(m) for m in GLOO_MODELS]}


def gravix_list() -> dict:
    return {"object": "list", "data": [_public(m) for m in GRAVIX_MODELS]}


def lookup(model_id: str) -> dict | None:
    """The Gloo registry entry of ``model_id`` (exact id), or None."""
    return _BY_ID.get(model_id)


def gravix_lookup(model_id: str) -> dict | None:
    return _GRAVIX_BY_ID.get(model_id)


def retired_v2(model_id: str) -> str | None:
    """The retirement date of a v2 id Gloo no longer serves, else None."""
    return RETIRED_V2.get(model_id)


def retired_v1(model_id: str) -> str | None:
    return RETIRED_V1.get(model_id)


def v1_serves(model_id: str) -> bool:
    """v1 takes its Bedrock ids and, as Gloo's v1->v2 migration example shows, registry ids."""
    entry = lookup(model_id)
    return model_id in V1_MODELS or (entry is not None and is_text_model(entry))


def routing_metadata(body: dict, prompt_text: str) -> dict:
    """Top-level v2 routing fields for a validated request.

    ``routing_tier``/``routing_confidence`` appear only for auto routing and
    model_family; direct selection carries neither. Values use the tutorial
    vocabulary (``tier_1``..``tier_3``, ``direct_model_selection``).
    """
    if body.get("auto_routing") is True:
        family, mechanism = None, "auto_routing"
    elif body.get("model_family") is not None:
        family, mechanism = routable_families()[str(body["model_family"]).lower()], "model_family"
    else:
        model_id = body["model"]
        entry = _BY_ID[model_id]
        return {
            "model": model_id,
            "routing_mechanism": "direct_model_selection",
            "auto_routing": False,
            "provider": entry["_vendor"],
            "model_family": entry["family"],
        }
    words = len(prompt_text.split())
    tier = 0 if words < 20 else 1 if words < 100 else 2
    picks = _TIER_PICKS.get(family) or _family_picks(str(family))
    entry = _BY_ID[picks[tier]]
    # Deterministic pseudo-confidence in [0.70, 0.99] (crc32 is stable across runs).
    confidence = round(0.70 + (zlib.crc32(prompt_text.encode("utf-8")) % 30) / 100, 2)
    return {
        "model": entry["id"],
        "routing_mechanism": mechanism,
        "routing_tier": f"tier_{tier + 1}",
        "routing_confidence": confidence,
        "provider": entry["_vendor"],
        "model_family": entry["family"],
        "auto_routing": mechanism == "auto_routing",
    }
