"""What goes over the wire: typed views of completions, usage, routing and models.

Response models keep unknown fields (``extra="allow"``), so nothing a server adds
is lost. Gloo v2 routing metadata is lifted into a typed :class:`Routing` object;
its values are free strings because Gloo's own documents disagree on them
(docs/providers.md#routing-metadata).

Stream chunks are deliberately *not* pydantic models: they are decoded once into
plain dicts and turned into small ``__slots__`` dataclasses by the accumulator,
which keeps per-chunk cost low (see accumulator.py).

Lenient reading, strict typing: servers send nulls, floats, numeric strings and
objects where the documents promise something else. A field whose value has an
unexpected type is dropped (logged at DEBUG) rather than failing an otherwise
intact answer. The readers below (``read_*``, :func:`content_text`) are the one
definition of what is accepted; the pydantic models (non-streaming) and the
stream accumulator use the same ones, so both paths read a shape the same way.

The models validate strictly first (the fast path, pydantic in Rust alone) and
only when that fails are the readers applied and the cleaned data validated
again (:meth:`_Open.read`): model validators would cost every answer twice the
parse time, while odd payloads are rare.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from typing import Annotated, Any, Callable, ClassVar, Mapping, Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from .errors import (
    MalformedResponseError,
    ResponseTooLargeError,
    describe_body,
    error_from_envelope,
    request_id_from_headers,
)
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
    "read_str",
    "read_id",
    "read_int",
    "read_count",
    "read_index",
    "read_refusal",
    "content_text",
    "DROP",
    "parse_completion",
    "parse_models",
    "token_fields",
    "check_body_size",
]

logger = logging.getLogger("langchain_gloo_gravix")


class _Drop:
    """Marks a field value that a reader refused: the field is left out."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DROP"


#: what a reader returns for a value it refuses.
DROP: Any = _Drop()

# Longest numeric string turned into an int; int() of thousands of digits is slow
# (and limited in Python 3.11+), and no count or index is that long.
_MAX_DIGITS = 30


def _dropped(field: str, value: Any) -> Any:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("ignoring %s of unexpected type %s", field, type(value).__name__)
    return DROP


def read_str(value: Any, field: str = "field") -> Any:
    """A string (or None) as is; anything else is dropped."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, str):
        return str(value)
    return _dropped(field, value)


def read_id(value: Any, field: str = "id") -> Any:
    """An identifier: a string, or an integer turned into its decimal text."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return read_str(value, field)


def read_int(value: Any, field: str = "field") -> Any:
    """An integer, an integral finite float, or a short numeric string; else dropped."""
    if type(value) is int or value is None:
        return value
    if isinstance(value, bool):
        return _dropped(field, value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        return _dropped(field, value)
    if isinstance(value, str):
        text = value.strip()
        if 0 < len(text) <= _MAX_DIGITS and text.lstrip("+-").isdigit() and text.isascii():
            return int(text)
    return _dropped(field, value)


def read_count(value: Any, field: str = "count") -> Any:
    """A token count: a non-negative integer; null and anything else are dropped."""
    if type(value) is int and value >= 0:
        return value
    number = read_int(value, field)
    if type(number) is int and number >= 0:
        return number
    return DROP if number is DROP else _dropped(field, value)


def read_index(value: Any) -> int:
    """A choice index: missing, null, negative or unreadable means 0."""
    if type(value) is int:
        return value if value >= 0 else 0
    number = read_int(value, "index")
    return number if type(number) is int and number >= 0 else 0


def read_refusal(value: Any, field: str = "refusal") -> Any:
    """A refusal text; an object with a ``message`` (or ``text``) gives that text."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, Mapping):
        for key in ("message", "text", "reason"):
            text = value.get(key)
            if isinstance(text, str):
                return text
    return _dropped(field, value)


def content_text(content: Any) -> str:
    """Message content as text: a string, OpenAI content parts, or a number."""
    if type(content) is str:
        return content
    if content is None:
        return ""
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping):
                text = part.get("text")
                if isinstance(text, str):
                    parts.append(text)
        return "".join(parts)
    if isinstance(content, str):
        return str(content)
    if isinstance(content, (int, float)) and not isinstance(content, bool):
        return str(content)  # an answer such as 42 sent as a JSON number
    _dropped("content", content)
    return ""


# Readers also accept model instances: completions are built from them too (accumulator.py).
def _read_dict(value: Any, field: str) -> Any:
    return value if value is None or isinstance(value, (dict, BaseModel)) else _dropped(field, value)


def _read_bool(value: Any, field: str) -> Any:
    return value if value is None or isinstance(value, bool) else _dropped(field, value)


def _read_dicts(value: Any, field: str) -> Any:
    """A list of objects: null entries (and other non-objects) are left out."""
    if value is None:
        return value
    if not isinstance(value, list):
        return _dropped(field, value)
    if all(type(item) is dict for item in value):
        return value
    return [item for item in value if isinstance(item, (dict, BaseModel))]


def _read_str_list(value: Any, field: str) -> Any:
    if value is None:
        return value
    if not isinstance(value, list):
        return _dropped(field, value)
    return [item for item in value if isinstance(item, str)]


def _read_content(value: Any, field: str) -> Any:
    if value is None or isinstance(value, (str, list)):
        return value
    text = content_text(value)
    return text if text else DROP


Reader = Callable[[Any, str], Any]

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

    #: field -> lenient reader, applied when strict validation failed (module docstring).
    _readers: ClassVar[Mapping[str, Reader]] = {}
    #: field -> the model its value (or each item of its list value) is read as.
    _children: ClassVar[Mapping[str, type["_Open"]]] = {}

    @classmethod
    def read(cls, data: Any) -> Any:
        """Validate ``data`` leniently: as is when it is well formed, else with every
        value of an unexpected type dropped. Raises ``ValidationError`` only when the
        data is not an object at all (or a required field is unreadable)."""
        try:
            return cls.model_validate(data)
        except ValidationError:
            return cls.model_validate(cls.clean(data))

    @classmethod
    def clean(cls, data: Any) -> Any:
        """``data`` with the readers applied, recursively (a new dict; input untouched)."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for key, reader in cls._readers.items():
            if key in out:
                fixed = reader(out[key], key)
                if fixed is DROP:
                    del out[key]
                else:
                    out[key] = fixed
        for key, child in cls._children.items():
            value = out.get(key)
            if isinstance(value, list):
                out[key] = [child.clean(item) for item in value]
            elif isinstance(value, dict):
                out[key] = child.clean(value)
        return out


class FunctionCall(_Open):
    _readers = {"name": read_str}

    name: Optional[str] = None
    #: a JSON string as OpenAI specifies; some servers send an object (kept as is).
    arguments: Any = None


class ToolCall(_Open):
    _readers = {"id": read_id, "type": read_str, "function": _read_dict}
    _children = {"function": FunctionCall}

    id: Optional[str] = None
    type: str = "function"
    function: FunctionCall = FunctionCall()


class Message(_Open):
    _readers = {
        "role": read_str,
        "content": _read_content,
        "tool_calls": _read_dicts,
        "refusal": read_refusal,
        "reasoning_content": read_str,
        "reasoning": read_str,
    }
    _children = {"tool_calls": ToolCall}

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
        return content_text(self.content)

    @property
    def reasoning_text(self) -> str:
        return self.reasoning_content or self.reasoning or ""


class Choice(_Open):
    _readers = {
        "index": lambda value, field: read_index(value),
        "message": _read_dict,
        "finish_reason": read_str,
    }
    _children = {"message": Message}

    index: int = 0
    message: Message = Message()
    finish_reason: Optional[str] = None
    logprobs: Any = None


class Usage(_Open):
    _readers = {
        "prompt_tokens": read_count,
        "completion_tokens": read_count,
        "total_tokens": read_count,
        "prompt_tokens_details": _read_dict,
        "completion_tokens_details": _read_dict,
    }

    # strict: anything but a JSON integer >= 0 takes the lenient path (read_count)
    prompt_tokens: Annotated[int, Field(ge=0, strict=True)] = 0
    completion_tokens: Annotated[int, Field(ge=0, strict=True)] = 0
    total_tokens: Annotated[int, Field(ge=0, strict=True)] = 0
    prompt_tokens_details: Optional[dict[str, Any]] = None
    completion_tokens_details: Optional[dict[str, Any]] = None

    @model_validator(mode="before")
    @classmethod
    def _accept_aliases(cls, data: Any) -> Any:
        # Some OpenAI-compatible servers report input_tokens/output_tokens instead.
        if isinstance(data, dict) and "prompt_tokens" not in data and "input_tokens" in data:
            data = dict(data)
            prompt, completion = read_count(data.get("input_tokens")), read_count(data.get("output_tokens"))
            data["prompt_tokens"] = prompt = prompt if type(prompt) is int else 0
            data["completion_tokens"] = completion = completion if type(completion) is int else 0
            data.setdefault("total_tokens", prompt + completion)
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
    """Gloo v2 routing metadata; every value free-form (kept as the server gave it).

    Gloo's documents disagree on the types (``routing_tier`` as a name or a number,
    ``routing_confidence`` as a number or a word), so only ``model`` is typed.
    """

    _readers = {"model": read_str}

    model: Optional[str] = None
    provider: Any = None
    model_family: Any = None
    auto_routing: Any = None
    routing_mechanism: Any = None
    routing_tier: Any = None
    routing_confidence: Any = None
    tradition: Any = None

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Optional["Routing"]:
        """The routing fields of a response or chunk, or None when it has none."""
        if not any(key in payload for key in _ROUTING_ONLY):
            return None
        routing: Routing = cls.read({k: payload[k] for k in ROUTING_FIELDS if k in payload})
        return routing

    def merged(self, other: Optional["Routing"]) -> "Routing":
        """Fill fields missing here from ``other`` (streams spread them over chunks)."""
        if other is None:
            return self
        data = other.model_dump(exclude_none=True)
        data.update(self.model_dump(exclude_none=True))
        return Routing.model_validate(data)

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


def _choice_index(choice: Any) -> int:
    return read_index(choice.get("index") if isinstance(choice, dict) else getattr(choice, "index", 0))


def _read_choices(value: Any, field: str) -> Any:
    choices = _read_dicts(value, field)
    if choices is None or choices is DROP:
        return []
    # in index order, so that choices[0] is choice 0 even when a server lists it later
    if len(choices) > 1:
        choices = sorted(choices, key=_choice_index)
    return choices


class ChatCompletion(_Open):
    _readers = {
        "id": read_id,
        "object": read_str,
        "created": read_int,
        "model": read_str,
        "choices": _read_choices,
        "usage": _read_dict,
        "system_fingerprint": read_str,
        "service_tier": read_str,
    }
    _children = {"choices": Choice, "usage": Usage}

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

    @property
    def routing(self) -> Optional[Routing]:
        """Gloo v2 routing metadata, or None for v1 and Gravix responses."""
        return Routing.from_payload({**(self.model_extra or {}), "model": self.model})

    @property
    def grounding(self) -> Optional[Grounding]:
        """Sources of a Gloo grounded answer (``sources_returned``, ``citations``), else None.

        Read from the top level, where the grounded route documents them, or else
        from the first message (the citation shape is unpublished; docs/providers.md#grounded).
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

    _readers = {
        "id": read_id,
        "name": read_str,
        "family": read_str,
        "context_window": read_int,
        "max_output_tokens": read_int,
        "supports_tools": _read_bool,
        "supports_streaming": _read_bool,
        "supports_reasoning": _read_bool,
        "supports_vision": _read_bool,
        "input_modalities": _read_str_list,
        "output_modalities": _read_str_list,
        "owned_by": read_str,
    }

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
    """What one stream chunk added (to choice ``index``; choice 0 unless ``n > 1``)."""

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
    #: the choice this delta describes.
    index: int = 0
    #: what the same chunk added to other choices (``n > 1``), one delta each; the
    #: fields above always describe choice 0, so code that knows one answer is unaffected.
    other_choices: Sequence["StreamDelta"] = ()


# -- whole bodies: parsed here, once, for both clients ------------------------------------


def check_body_size(
    raw: bytes, limit: Optional[int], *, endpoint: Optional[str], request_id: Optional[str] = None
) -> None:
    """Raise :class:`ResponseTooLargeError` when a body exceeds ``max_body_bytes``."""
    if limit is not None and len(raw) > limit:
        raise ResponseTooLargeError(
            f"{endpoint or 'server'} sent a response body of {len(raw)} bytes, more than max_body_bytes={limit}",
            endpoint=endpoint,
            request_id=request_id,
            code="body_too_large",
        )


def parse_completion(
    raw: bytes,
    status_code: int,
    headers: Mapping[str, str],
    *,
    endpoint: Optional[str],
    max_body_bytes: Optional[int] = None,
) -> ChatCompletion:
    """A 2xx body -> :class:`ChatCompletion`, or a typed error that says what came instead.

    An error envelope delivered with a 2xx status is classified by its content
    (``invalid_request_error`` is a :class:`BadRequestError`, not a retried 502);
    HTML and empty bodies are named as such.
    """
    # the request id is looked up only on the error paths: a header scan costs microseconds per call
    if max_body_bytes is not None and len(raw) > max_body_bytes:
        check_body_size(raw, max_body_bytes, endpoint=endpoint, request_id=request_id_from_headers(headers))
    try:
        completion = _read_completion(raw)
    except (ValidationError, ValueError, RecursionError, OverflowError):
        raise MalformedResponseError(
            f"{endpoint} answered HTTP {status_code} with a body that is not a chat completion: "
            f"{describe_body(raw, headers.get('content-type'))}",
            endpoint=endpoint,
            status_code=status_code,
            request_id=request_id_from_headers(headers),
            body=raw[:200].decode("utf-8", "replace"),
        ) from None
    if not completion.choices and (completion.model_extra or {}).get("error") is not None:
        body = {"error": completion.model_extra["error"]} if completion.model_extra else None
        raise error_from_envelope(headers, raw, body, endpoint=endpoint, status_code=status_code)
    return completion


def _read_completion(raw: bytes) -> ChatCompletion:
    try:
        completion = ChatCompletion.model_validate_json(raw)  # the fast path
    except ValidationError:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise
        return ChatCompletion.model_validate(ChatCompletion.clean(data))
    choices = completion.choices
    if len(choices) > 1 and any(a.index > b.index for a, b in zip(choices, choices[1:])):
        choices.sort(key=lambda choice: choice.index)  # choices[0] is choice 0
    return completion


def parse_models(raw: bytes, *, endpoint: Optional[str] = None) -> list[ModelInfo]:
    """A model list (Gloo's registry or OpenAI's ``{"data": [...]}``); an entry that
    cannot be read is skipped with a warning instead of failing the whole list."""
    try:
        payload: Any = json.loads(raw)
    except (ValueError, RecursionError, OverflowError):
        raise MalformedResponseError(
            f"model list is not JSON: {describe_body(raw)}", endpoint=endpoint, code="malformed_model_list"
        ) from None
    entries = payload.get("data") if isinstance(payload, dict) else payload
    if not isinstance(entries, list):
        raise MalformedResponseError(
            f"model list is not a list: {describe_body(raw)}", endpoint=endpoint, code="malformed_model_list"
        )
    models: list[ModelInfo] = []
    skipped = 0
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("id"):
            skipped += 1
            continue
        try:
            models.append(ModelInfo.read(entry))
        except (ValidationError, ValueError, RecursionError):
            skipped += 1
    if skipped:
        logger.warning("%s model list: skipped %d entries that could not be read", endpoint or "model list", skipped)
    return models


def token_fields(raw: bytes, default_expires_in: float, max_expires_in: float = 86400.0) -> tuple[Optional[str], float]:
    """``(access_token, expires_in)`` of a token response, read leniently and never raising.

    The token is None when the body has no usable one: surrounding whitespace (a CRLF in a
    server's template) is stripped, and what remains must be printable ASCII without spaces,
    or it could not go into a header. ``expires_in`` (a number, or a numeric string) falls back
    to the default when absent or not a finite positive number, and is capped at ``max_expires_in``
    (a 400-digit value must neither overflow nor keep a token for ever).
    """
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError, OverflowError):
        return None, default_expires_in
    if not isinstance(data, dict):
        return None, default_expires_in
    return _usable_token(data.get("access_token")), _lifetime(
        data.get("expires_in"), default_expires_in, max_expires_in
    )


def _usable_token(value: Any) -> Optional[str]:
    if not isinstance(value, str):
        return None
    token = value.strip()
    if not token or not all("\x21" <= ch <= "\x7e" for ch in token):
        return None
    return token


def _lifetime(value: Any, default: float, cap: float) -> float:
    if isinstance(value, bool):
        return default
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except (ValueError, OverflowError):
            return default
    if isinstance(value, int):
        return float(min(value, int(cap))) if value > 0 else default  # min first: no overflow
    if isinstance(value, float) and math.isfinite(value) and value > 0:
        return min(value, cap)
    return default
