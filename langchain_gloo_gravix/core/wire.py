"""What goes over the wire: typed views of completions, usage, routing and models.

Response models keep unknown fields (``extra="allow"``), so nothing a server adds
is lost. Gloo v2 routing metadata is lifted into a typed :class:`Routing` object;
its values are free strings because Gloo's own documents disagree on them
(provider-apis 1.4).

Stream chunks are deliberately *not* pydantic models: they are decoded once into
plain dicts and turned into small ``__slots__`` dataclasses by the accumulator,
which keeps per-chunk cost low (see streaming.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator

from .grounding_result import Grounding

__all__ = [
    "FunctionCall",
    "ToolCall",
    "Message",
    "Choice",
    "Usage",
    "Routing",
    "ChatCompletion",
    "ModelInfo",
    "ToolCallDelta",
    "StreamDelta",
    "ROUTING_FIELDS",
]

#: top-level response fields that make up v2 routing metadata.
ROUTING_FIELDS = (
    "model",
    "provider",
    "model_family",
    "auto_routing",
    "routing_mechanism",
    "routing_tier",
    "routing_confidence",
    "tradition",
)
_ROUTING_ONLY = frozenset(ROUTING_FIELDS) - {"model"}


class _Open(BaseModel):
    # defer_build: validators are built on first use, keeping imports cheap.
    model_config = ConfigDict(extra="allow", protected_namespaces=(), defer_build=True)


class FunctionCall(_Open):
    name: Optional[str] = None
    #: a JSON string as OpenAI specifies; some servers send an object (kept as is).
    arguments: Any = None


class ToolCall(_Open):
    id: Optional[str] = None
    type: str = "function"
    function: FunctionCall = FunctionCall()


class Message(_Open):
    role: str = "assistant"
    content: Any = None
    tool_calls: Optional[list[ToolCall]] = None
    refusal: Optional[str] = None
    #: DeepSeek-style reasoning (Gloo streams it as ``reasoning_content``).
    reasoning_content: Optional[str] = None
    reasoning: Optional[str] = None

    @property
    def text(self) -> str:
        """The answer text; list content is flattened to its text parts."""
        content = self.content
        if content is None:
            return ""
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return "".join(
                part.get("text", "") if isinstance(part, dict) else str(part) for part in content
            )
        return str(content)

    @property
    def reasoning_text(self) -> str:
        return self.reasoning_content or self.reasoning or ""


class Choice(_Open):
    index: int = 0
    message: Message = Message()
    finish_reason: Optional[str] = None
    logprobs: Any = None


class Usage(_Open):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_tokens_details: Optional[dict[str, Any]] = None
    completion_tokens_details: Optional[dict[str, Any]] = None

    @model_validator(mode="before")
    @classmethod
    def _accept_aliases(cls, data: Any) -> Any:
        # Some OpenAI-compatible servers report input_tokens/output_tokens instead.
        if isinstance(data, dict) and "prompt_tokens" not in data and "input_tokens" in data:
            data = dict(data)
            data["prompt_tokens"] = data.get("input_tokens") or 0
            data["completion_tokens"] = data.get("output_tokens") or 0
            data.setdefault("total_tokens", data["prompt_tokens"] + data["completion_tokens"])
        return data

    def _detail(self, group: Optional[dict[str, Any]], key: str) -> Optional[int]:
        value = (group or {}).get(key)
        return value if isinstance(value, int) else None

    @property
    def cached_tokens(self) -> Optional[int]:
        return self._detail(self.prompt_tokens_details, "cached_tokens")

    @property
    def reasoning_tokens(self) -> Optional[int]:
        return self._detail(self.completion_tokens_details, "reasoning_tokens")


class Routing(_Open):
    """Gloo v2 routing metadata; every value a free string (or number/bool)."""

    model: Optional[str] = None
    provider: Optional[str] = None
    model_family: Optional[str] = None
    auto_routing: Optional[bool] = None
    routing_mechanism: Optional[str] = None
    routing_tier: Optional[str] = None
    routing_confidence: Optional[float] = None
    tradition: Optional[str] = None

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Optional["Routing"]:
        """The routing fields of a response or chunk, or None when it has none."""
        if not any(key in payload for key in _ROUTING_ONLY):
            return None
        return cls.model_validate({k: payload[k] for k in ROUTING_FIELDS if k in payload})

    def merged(self, other: Optional["Routing"]) -> "Routing":
        """Fill fields missing here from ``other`` (streams spread them over chunks)."""
        if other is None:
            return self
        data = other.model_dump(exclude_none=True)
        data.update(self.model_dump(exclude_none=True))
        return Routing.model_validate(data)

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class ChatCompletion(_Open):
    id: Optional[str] = None
    object: Optional[str] = "chat.completion"
    created: Optional[int] = None
    model: Optional[str] = None
    choices: list[Choice] = []
    usage: Optional[Usage] = None
    system_fingerprint: Optional[str] = None
    service_tier: Optional[str] = None
    # the HTTP headers of the response this came from (set by the client; never in model_dump)
    _headers: Any = PrivateAttr(default=None)

    @property
    def response_headers(self) -> dict[str, str]:
        """The HTTP response headers of the call that returned this completion (lower-case names; empty when
        the completion was not received from a server)."""
        return dict(self._headers.items()) if self._headers is not None else {}

    @model_validator(mode="before")
    @classmethod
    def _null_choices(cls, data: Any) -> Any:
        # vLLM-style servers have been seen sending "choices": null.
        if isinstance(data, dict) and data.get("choices") is None and "choices" in data:
            data = dict(data)
            data["choices"] = []
        return data

    @property
    def routing(self) -> Optional[Routing]:
        """Gloo v2 routing metadata, or None for v1 and Gravix responses."""
        return Routing.from_payload({**(self.model_extra or {}), "model": self.model})

    @property
    def grounding(self) -> Optional[Grounding]:
        """Sources of a Gloo grounded answer (``sources_returned``, ``citations``), else None.

        Read from the top level, where the grounded route documents them, or else
        from the first message (the citation shape is unpublished; provider-apis 3.5).
        """
        found = Grounding.from_payload(self.model_extra or {})
        if found is None and self.choices:
            found = Grounding.from_payload(self.choices[0].message.model_extra or {})
        return found

    @property
    def message(self) -> Message:
        """The first choice's message (an empty assistant message if there is none)."""
        return self.choices[0].message if self.choices else Message()

    @property
    def finish_reason(self) -> Optional[str]:
        return self.choices[0].finish_reason if self.choices else None


class ModelInfo(_Open):
    """One entry of a model list (Gloo's registry or an OpenAI-style list)."""

    id: str
    name: Optional[str] = None
    family: Optional[str] = None
    context_window: Optional[int] = None
    max_output_tokens: Optional[int] = None
    supports_tools: Optional[bool] = None
    supports_streaming: Optional[bool] = None
    supports_reasoning: Optional[bool] = None
    supports_vision: Optional[bool] = None
    input_modalities: Optional[list[str]] = None
    output_modalities: Optional[list[str]] = None
    owned_by: Optional[str] = None

    @property
    def supports_chat(self) -> bool:
        """False for image-only models, which reject chat completions."""
        return not self.output_modalities or "text" in self.output_modalities


@dataclass(slots=True)
class ToolCallDelta:
    """A normalised fragment of one tool call, keyed by a stable ``index``.

    ``id`` and ``name`` are set only on the first fragment of a call, and
    ``arguments`` is only the new text, so naive concatenation by index (as
    LangChain's ``merge_lists`` does) yields the right call.
    """

    index: int
    id: Optional[str] = None
    name: Optional[str] = None
    arguments: str = ""


@dataclass(slots=True)
class StreamDelta:
    """What one stream chunk added."""

    content: str = ""
    reasoning: str = ""
    #: an empty tuple (shared, no allocation) unless this chunk carries tool calls.
    tool_calls: Sequence[ToolCallDelta] = ()
    role: Optional[str] = None
    finish_reason: Optional[str] = None
    usage: Optional[Usage] = None
    #: set on the first chunk that carries routing metadata (and on later ones that add to it).
    routing: Optional[Routing] = None
    #: grounded completions: set on the chunk that carries sources_returned / citations.
    grounding: Optional[Grounding] = None
    refusal: Optional[str] = None
    id: Optional[str] = None
    model: Optional[str] = None
    system_fingerprint: Optional[str] = None
    logprobs: Any = None
    #: the decoded chunk as received.
    raw: Optional[dict[str, Any]] = None
