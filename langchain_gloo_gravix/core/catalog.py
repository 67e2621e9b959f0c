"""One catalog of known chat models: what each can take and do.

The single source for LangChain's ``BaseChatModel.profile`` and LlamaIndex's
``LLM.metadata`` (``context_window``, ``num_output``, ``is_function_calling_model``);
both adapters only translate a :class:`ModelSpec` into their framework's shape.

Ids come from docs/providers.md#model-ids (Gloo v1 and v2), docs/providers.md#tools (models that reject
tools) and docs/providers.md#gravix-models (Gravix Layer). Where a provider serves a model with less context than the
model card claims, the smaller number is used: overestimating the window makes
LlamaIndex pack prompts the server then rejects, underestimating only wastes room.

Lookups, in order: an exact id (case-insensitive); a known family pattern (new
sizes, provider prefixes, quantisation tags); conservative defaults. Gloo v2
requests routed by ``model_family`` or ``auto_routing`` get the profile of the pool
they may land on (see :data:`ROUTING_SPECS`). The catalog can be refreshed from the
live model lists the core reads (:func:`refresh_catalog`), because Gloo asks clients
to read its registry rather than hard-code ids (docs/providers.md#registry).

Framework-free and I/O-free apart from the two refresh helpers, which only call
``Client.list_models()``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional

if TYPE_CHECKING:  # pragma: no cover
    from .client import AsyncClient, Client

__all__ = [
    "ModelSpec",
    "ModelCatalog",
    "CATALOG",
    "DEFAULT_SPEC",
    "AUTO_ROUTING_SPEC",
    "ROUTING_SPECS",
    "spec_for",
    "refresh_catalog",
    "arefresh_catalog",
]


@dataclass(frozen=True)
class ModelSpec:
    """What one model (or one routing pool) accepts and can do."""

    context_window: int
    """Tokens of prompt plus answer the model accepts."""
    max_output_tokens: int
    """Largest answer the model produces; LlamaIndex reserves this much room for it."""
    tool_calling: bool = True
    """False only for models known to reject ``tools`` with HTTP 400."""
    structured_output: bool = False
    """Native structured output: ``response_format`` with a JSON schema is honoured."""
    reasoning: bool = False
    """The model may think before answering (reasoning tokens, ``reasoning_content``)."""
    image_inputs: bool = False
    """Image content parts are accepted."""

    @property
    def max_input_tokens(self) -> int:
        """Prompt tokens that still leave room for the model's largest answer.

        The window is shared by prompt and answer, and a request whose prompt leaves less than
        ``max_output_tokens`` is refused by the larger models (OpenAI publishes 272,000 input
        tokens for the 400,000-token GPT-5 window with 128,000 output; LangChain's ChatOpenAI
        profile says the same). Reporting the whole window made ``SummarizationMiddleware``'s
        fraction triggers fire late and LlamaIndex pack prompts the server then rejected.
        """
        return max(self.context_window - self.max_output_tokens, 1)


#: Unknown ids: a window every current chat model offers (never LlamaIndex's 3,900),
#: tools on (all three endpoints speak OpenAI tool calling), no native structured
#: output (Gloo silently ignores fields a model does not support, docs/providers.md#unknown-fields,
#: so tool-based structured output is the one that cannot fail silently).
DEFAULT_SPEC = ModelSpec(32768, 4096)

_CLAUDE = ModelSpec(200000, 64000, structured_output=True, reasoning=True, image_inputs=True)
_GEMINI = ModelSpec(1048576, 65536, structured_output=True, reasoning=True, image_inputs=True)
_GPT5 = ModelSpec(400000, 128000, structured_output=True, reasoning=True, image_inputs=True)
_GPT41 = ModelSpec(1047576, 32768, structured_output=True, image_inputs=True)
_DEEPSEEK = ModelSpec(131072, 8192, structured_output=True)
# Gravix serves through Ollama, which enforces a response_format schema while
# decoding (docs/providers.md#gravix-request; source V7 shows it with llama3.1:8b).
_LLAMA31 = ModelSpec(131072, 4096, structured_output=True)
# These answer tools with HTTP 400 "model does not support function calling"
# (docs/providers.md#tools, seen 2026-04-27); Gloo's response_format for such models
# is unconfirmed, so structured output goes the same way.
_NO_TOOLS = ModelSpec(131072, 4096, tool_calling=False)

_KNOWN: dict[str, ModelSpec] = {
    # -- Gloo v2 (docs/providers.md#model-ids) -------------------------------------------------
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
    "gloo-openai-gpt-5-pro": replace(_GPT5, max_output_tokens=272000),
    "gloo-openai-gpt-5.2": _GPT5,
    "gloo-openai-gpt-5.2-pro": _GPT5,
    "gloo-openai-gpt-5.4": _GPT5,
    "gloo-openai-gpt-4.1": _GPT41,
    "gloo-openai-gpt-4.1-mini": _GPT41,
    "gloo-openai-gpt-oss-120b": ModelSpec(131072, 32768, structured_output=True, reasoning=True),
    "gloo-deepseek-chat-v3.1": _DEEPSEEK,
    "gloo-deepseek-v3.2": _DEEPSEEK,
    "gloo-deepseek-v3.2-speciale": ModelSpec(131072, 32768, structured_output=True, reasoning=True),
    "gloo-meta-llama-3.1-8b-instruct": _NO_TOOLS,
    "gloo-deepseek-r1": replace(_NO_TOOLS, max_output_tokens=32768, reasoning=True),
    "gloo-meta-llama-4-maverick": replace(
        _NO_TOOLS, context_window=1048576, max_output_tokens=16384, image_inputs=True
    ),
    # -- Gloo v1 (Bedrock-style ids, docs/providers.md#model-ids; no response_format on v1)
    "us.meta.llama3-3-70b-instruct-v1:0": ModelSpec(131072, 8192),
    "meta.llama3-70b-instruct-v1:0": ModelSpec(8192, 2048),  # Llama 3 (not 3.1): 8k window
    "us.anthropic.claude-sonnet-4-20250514-v1:0": replace(_CLAUDE, structured_output=False),
    # -- Gravix Layer (docs/providers.md#gravix-models) --------------------------------------------
    "meta-llama/llama-3.1-8b-instruct": _LLAMA31,
    "meta-llama/llama-3.2-1b-instruct": _LLAMA31,
    "meta-llama/llama-3.2-3b-instruct": _LLAMA31,
    "llama3.1:8b-instruct-fp16": _LLAMA31,
    "llama3.1:8b": _LLAMA31,
    "qwen/qwen-2.5-vl-7b-instruct": ModelSpec(32768, 4096, structured_output=True, image_inputs=True),
    "mistralai/mistral-nemo-instruct-2407": ModelSpec(131072, 4096, structured_output=True),
}

# Ids not in the table but of a known family: first match wins, checked against
# the lower-cased id.
_PATTERNS: tuple[tuple[re.Pattern[str], ModelSpec], ...] = (
    (re.compile(r"llama[-_.]?3[-_.:]?[123]\b|llama3\.[123]"), _LLAMA31),
    (re.compile(r"claude"), _CLAUDE),
    (re.compile(r"gemini"), _GEMINI),
    (re.compile(r"gpt-5"), _GPT5),
    (re.compile(r"gpt-4\.1"), _GPT41),
    (re.compile(r"deepseek"), _DEEPSEEK),
    (re.compile(r"mistral-nemo"), ModelSpec(131072, 4096, structured_output=True)),
)

# Gloo v2 routing: the answer may come from any chat model of the pool, so each
# field says what holds for all of them:
# - context_window: the smallest window in the pool (never pack more than every
#   member accepts; "open source" includes Llama 3.1 8B);
# - max_output_tokens: 8192, an answer budget every member can produce and well above
#   the 2048 Gloo recommends for reasoning models (docs/providers.md#reasoning-models);
# - tool_calling: Gloo documents tools in every routing mode (docs/providers.md#tools);
# - structured_output: False. Gloo silently ignores a response_format a routed model
#   does not support (docs/providers.md#unknown-fields; Anthropic's translation sits behind
#   platform flags, docs/providers.md#v2-request),
#   so LangChain agents use tool-based structured output, which works in every mode;
# - reasoning: True. Every pool holds reasoning models (GPT-5, Gemini 2.5, GPT-OSS),
#   and auto-routed requests with a small max_tokens hit the reasoning 503 (docs/providers.md#reasoning-models);
# - image_inputs: only for pools made of vision models.
ROUTING_SPECS: Mapping[str, ModelSpec] = {
    "openai": ModelSpec(400000, 8192, reasoning=True, image_inputs=True),
    "anthropic": ModelSpec(200000, 8192, reasoning=True, image_inputs=True),
    "google": ModelSpec(1048576, 8192, reasoning=True, image_inputs=True),
    "open source": ModelSpec(131072, 8192, reasoning=True),
}
#: auto routing picks across every family: the smallest window of all of them.
AUTO_ROUTING_SPEC = ModelSpec(131072, 8192, reasoning=True)

#: Endpoints whose documented request has no ``response_format`` (Gloo v1, docs/providers.md#v1).
_NO_RESPONSE_FORMAT = frozenset({"gloo-v1"})


def _field(entry: Any, name: str) -> Any:
    if isinstance(entry, Mapping):
        return entry.get(name)
    return getattr(entry, name, None)


def _positive_int(value: Any) -> Optional[int]:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


# id -> the spec its family pattern gives (or the default). The patterns are constants, so
# the answer for an id never changes; the LlamaIndex adapter asks it on every call (its
# metadata), and a miss costs a search of every pattern. Bounded: ids come from users.
_PATTERN_MEMO: dict[str, "ModelSpec"] = {}
_PATTERN_MEMO_MAX = 1024


def _by_pattern(key: str) -> "ModelSpec":
    spec = _PATTERN_MEMO.get(key)
    if spec is None:
        spec = next((found for pattern, found in _PATTERNS if pattern.search(key)), DEFAULT_SPEC)
        if len(_PATTERN_MEMO) >= _PATTERN_MEMO_MAX:
            _PATTERN_MEMO.clear()
        _PATTERN_MEMO[key] = spec
    return spec


class ModelCatalog:
    """Known model ids -> :class:`ModelSpec`, with family patterns and defaults.

    Thread-safe: :meth:`update_from` swaps in a new table, lookups read one table.
    """

    def __init__(self, known: Optional[Mapping[str, ModelSpec]] = None) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, ModelSpec] = {
            k.strip().lower(): v for k, v in (known if known is not None else _KNOWN).items()
        }

    def __contains__(self, model: object) -> bool:
        return isinstance(model, str) and model.strip().lower() in self._known

    def __len__(self) -> int:
        return len(self._known)

    def entries(self) -> dict[str, ModelSpec]:
        """A copy of the known ids and their specs."""
        return dict(self._known)

    def spec_for(
        self,
        model: Optional[str] = None,
        *,
        model_family: Optional[str] = None,
        auto_routing: bool = False,
        endpoint: Optional[str] = None,
    ) -> ModelSpec:
        """The spec of a model id, else of a Gloo v2 model family, else of auto routing.

        ``endpoint`` (an endpoint name such as ``"gloo-v1"``) removes what that
        endpoint cannot carry: Gloo v1 documents no ``response_format``.
        """
        spec = self._lookup(model, model_family, auto_routing)
        if endpoint in _NO_RESPONSE_FORMAT and spec.structured_output:
            spec = replace(spec, structured_output=False)
        return spec

    def _lookup(self, model: Optional[str], model_family: Optional[str], auto_routing: bool) -> ModelSpec:
        if model:
            key = model.strip().lower()
            known = self._known.get(key)
            if known is not None:
                return known
            return _by_pattern(key)
        if model_family:
            return ROUTING_SPECS.get(model_family.strip().lower(), AUTO_ROUTING_SPEC)
        if auto_routing:
            return AUTO_ROUTING_SPEC
        return DEFAULT_SPEC

    def update_from(self, models: Iterable[Any]) -> list[str]:
        """Merge a live model list (``Client.list_models()`` entries, or plain dicts).

        Each field the list states (``context_window``, ``max_output_tokens``,
        ``supports_tools``, ``supports_reasoning``, ``supports_vision`` /
        ``input_modalities``) overrides what the catalog knew; what it does not state
        (structured output, or everything for an OpenAI-style list that gives only
        ids) keeps the catalog's value. Image-only models are skipped: they reject chat
        completions. Returns the ids whose spec changed.
        """
        changed: list[str] = []
        with self._lock:
            table = dict(self._known)
            for entry in models:
                model_id = _field(entry, "id")
                if not isinstance(model_id, str) or not model_id.strip():
                    continue
                outputs = _field(entry, "output_modalities")
                if isinstance(outputs, list) and outputs and "text" not in outputs:
                    continue
                key = model_id.strip().lower()
                before = table.get(key) or self._lookup(key, None, False)
                after = _merged(before, entry)
                if key not in table and after == before:
                    continue  # an id-only entry teaches nothing the patterns did not say
                if table.get(key) != after:
                    table[key] = after
                    changed.append(model_id)
            self._known = table
        return changed


def _merged(spec: ModelSpec, entry: Any) -> ModelSpec:
    updates: dict[str, Any] = {}
    window = _positive_int(_field(entry, "context_window"))
    if window is not None:
        updates["context_window"] = window
    output = _positive_int(_field(entry, "max_output_tokens"))
    if output is not None:
        updates["max_output_tokens"] = output
    for source, target in (("supports_tools", "tool_calling"), ("supports_reasoning", "reasoning")):
        value = _field(entry, source)
        if isinstance(value, bool):
            updates[target] = value
    vision = _field(entry, "supports_vision")
    inputs = _field(entry, "input_modalities")
    if isinstance(vision, bool):
        updates["image_inputs"] = vision
    elif isinstance(inputs, list):
        updates["image_inputs"] = "image" in inputs
    if updates.get("tool_calling") is False:
        updates["structured_output"] = False  # same reason as _NO_TOOLS
    return replace(spec, **updates) if updates else spec


#: The process-wide catalog both adapters read.
CATALOG = ModelCatalog()


def spec_for(
    model: Optional[str] = None,
    *,
    model_family: Optional[str] = None,
    auto_routing: bool = False,
    endpoint: Optional[str] = None,
) -> ModelSpec:
    """:meth:`ModelCatalog.spec_for` on the process-wide :data:`CATALOG`."""
    return CATALOG.spec_for(model, model_family=model_family, auto_routing=auto_routing, endpoint=endpoint)


def refresh_catalog(client: "Client", catalog: Optional[ModelCatalog] = None) -> list[str]:
    """Read ``client.list_models()`` and merge it into ``catalog`` (default :data:`CATALOG`).

    Models built afterwards see the new numbers; existing LangChain instances keep
    the ``profile`` they resolved at construction. Returns the ids that changed.
    """
    return (catalog or CATALOG).update_from(client.list_models())


async def arefresh_catalog(client: "AsyncClient", catalog: Optional[ModelCatalog] = None) -> list[str]:
    """Async :func:`refresh_catalog`."""
    return (catalog or CATALOG).update_from(await client.list_models())
