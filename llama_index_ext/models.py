"""Known models: context window, output budget and tool support.

LlamaIndex sizes everything from ``LLM.metadata``: ``PromptHelper`` packs retrieved
chunks into ``context_window - num_output`` tokens, chat memories keep
``context_window - 256`` tokens, and ``FunctionAgent`` / ``structured_predict`` /
``AgentWorkflow`` check ``is_function_calling_model``. OpenAILike's defaults
(3,900 tokens, no tools) cripple all of that, so this table gives real numbers.

Ids come from provider-apis 1.3 (Gloo v1 and v2) and 7.7 (Gravix Layer). Where a
provider serves a model with less context than the model card claims, the
smaller number is used: overestimating the window makes LlamaIndex pack prompts
the server then rejects, underestimating only wastes room.

``num_output`` is the room LlamaIndex reserves for the answer, not a limit sent to
the server (``max_tokens`` is only sent when the user sets it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

__all__ = ["ModelProfile", "profile_for", "DEFAULT_PROFILE", "AUTO_ROUTING_PROFILE"]


@dataclass(frozen=True)
class ModelProfile:
    context_window: int
    num_output: int
    #: False only for models known to reject ``tools`` (HTTP 400).
    function_calling: bool = True


#: unknown model ids: a window every current chat model offers (never LlamaIndex's 3,900).
DEFAULT_PROFILE = ModelProfile(32768, 4096)

_CLAUDE = ModelProfile(200000, 64000)
_GEMINI = ModelProfile(1048576, 65536)
_GPT5 = ModelProfile(400000, 128000)
_GPT41 = ModelProfile(1047576, 32768)
_LLAMA31 = ModelProfile(131072, 4096)
_DEEPSEEK = ModelProfile(131072, 8192)

_KNOWN: dict[str, ModelProfile] = {
    # -- Gloo v2 (provider-apis 1.3) --------------------------------------------------
    "gloo-anthropic-claude-haiku-4.5": _CLAUDE,
    "gloo-anthropic-claude-sonnet-4.5": _CLAUDE,
    "gloo-anthropic-claude-opus-4.5": _CLAUDE,
    "gloo-anthropic-claude-sonnet-4": _CLAUDE,
    "gloo-anthropic-claude-sonnet-4.6": _CLAUDE,
    "gloo-anthropic-claude-opus-4.6": _CLAUDE,
    "gloo-google-gemini-2.5-flash-lite": _GEMINI,
    "gloo-google-gemini-2.5-flash": _GEMINI,
    "gloo-google-gemini-2.5-pro": _GEMINI,
    "gloo-google-gemini-3-pro-preview": _GEMINI,  # decommissioned 2026-04-27; old configs still name it
    "gloo-google-gemini-3.1-pro": _GEMINI,
    "gloo-openai-gpt-5-nano": _GPT5,
    "gloo-openai-gpt-5-mini": _GPT5,
    "gloo-openai-gpt-5-pro": ModelProfile(400000, 272000),
    "gloo-openai-gpt-5.2": _GPT5,
    "gloo-openai-gpt-5.2-pro": _GPT5,
    "gloo-openai-gpt-5.4": _GPT5,
    "gloo-openai-gpt-4.1": _GPT41,
    "gloo-openai-gpt-4.1-mini": _GPT41,
    "gloo-openai-gpt-oss-120b": ModelProfile(131072, 32768),
    "gloo-deepseek-chat-v3.1": _DEEPSEEK,
    "gloo-deepseek-v3.2": _DEEPSEEK,
    "gloo-deepseek-v3.2-speciale": ModelProfile(131072, 32768),
    # These three answer tools with HTTP 400 "model does not support function
    # calling" (provider-apis 3.3, verified 2026-04-27).
    "gloo-meta-llama-3.1-8b-instruct": ModelProfile(131072, 4096, function_calling=False),
    "gloo-deepseek-r1": ModelProfile(131072, 32768, function_calling=False),
    "gloo-meta-llama-4-maverick": ModelProfile(1048576, 16384, function_calling=False),
    # -- Gloo v1 (Bedrock-style ids, provider-apis 1.3) --------------------------------
    "us.meta.llama3-3-70b-instruct-v1:0": ModelProfile(131072, 8192),
    "meta.llama3-70b-instruct-v1:0": ModelProfile(8192, 2048),  # Llama 3 (not 3.1): 8k window
    "us.anthropic.claude-sonnet-4-20250514-v1:0": _CLAUDE,
    # -- Gravix Layer (provider-apis 7.7) ---------------------------------------------
    "meta-llama/llama-3.1-8b-instruct": _LLAMA31,
    "meta-llama/llama-3.2-1b-instruct": _LLAMA31,
    "meta-llama/llama-3.2-3b-instruct": _LLAMA31,
    "llama3.1:8b-instruct-fp16": _LLAMA31,
    "llama3.1:8b": _LLAMA31,
    "qwen/qwen-2.5-vl-7b-instruct": ModelProfile(32768, 4096),
    "mistralai/mistral-nemo-instruct-2407": ModelProfile(131072, 4096),
}

# Ids not in the table but of a known family (new sizes, provider prefixes,
# quantisation tags): first match wins, checked against the lower-cased id.
_FAMILIES: tuple[tuple[re.Pattern[str], ModelProfile], ...] = (
    (re.compile(r"llama[-_.]?3[-_.:]?[123]\b|llama3\.[123]"), _LLAMA31),
    (re.compile(r"claude"), _CLAUDE),
    (re.compile(r"gemini"), _GEMINI),
    (re.compile(r"gpt-5"), _GPT5),
    (re.compile(r"gpt-4\.1"), _GPT41),
    (re.compile(r"deepseek"), _DEEPSEEK),
    (re.compile(r"mistral-nemo"), ModelProfile(131072, 4096)),
)

# Routed requests can land on any model of the pool, so the window is the
# smallest one in it (provider-apis 1.3: "open source" includes Llama 3.1 8B).
_FAMILY_PROFILES: dict[str, ModelProfile] = {
    "openai": ModelProfile(400000, 8192),
    "anthropic": ModelProfile(200000, 8192),
    "google": ModelProfile(1048576, 8192),
    "open source": ModelProfile(131072, 8192),
}
#: auto routing picks across every family; Gloo says tools work in every routing mode.
AUTO_ROUTING_PROFILE = ModelProfile(131072, 8192)


def profile_for(
    model: Optional[str] = None,
    *,
    model_family: Optional[str] = None,
    auto_routing: bool = False,
) -> ModelProfile:
    """The profile of a model id, a Gloo v2 model family, or auto routing."""
    if model:
        key = model.strip().lower()
        known = _KNOWN.get(key)
        if known is not None:
            return known
        for pattern, profile in _FAMILIES:
            if pattern.search(key):
                return profile
        return DEFAULT_PROFILE
    if model_family:
        return _FAMILY_PROFILES.get(model_family.strip().lower(), AUTO_ROUTING_PROFILE)
    if auto_routing:
        return AUTO_ROUTING_PROFILE
    return DEFAULT_PROFILE
