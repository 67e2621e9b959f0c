"""What goes over the wire: typed views of completions, usage, routing and models.

Response models keep unknown fields (``extra="allow"``), so nothing a server adds
is lost. Gloo v2 routing metadata is lifted into a typed :class:`Routing` object;
its values are free strings because Gloo's own documents disagree on them
(docs/providers.md#routing-metadata).

Stream chunks are deliberately *not* pydantic models: they are decoded once into
plain dicts and turned into small ``__slots__`` dataclasses by the accumulator,
which keeps per-chunk cost low (see accumulator.py).

Lenient reading, strict typing: the readers (readers.py) are the one definition of what a field may hold;
these models and the stream accumulator use the same ones.

The models validate strictly first (the fast path, pydantic in Rust alone) and
only when that fails are the readers applied and the cleaned data validated
again (:meth:`_Open.read`): model validators would cost every answer twice the
parse time, while odd payloads are rare.

Why a little over 400 lines: the response models are one family (each a few fields and its readers), read
together; the readers themselves are in readers.py and the model list in model_list.py.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Mapping, Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from .error_text import describe_body, request_id_from_headers
from .errors import MalformedResponseError, ResponseTooLargeError, error_from_envelope, error_from_response
from .grounding_result import Grounding
from .readers import (
    DROP,
    ROUTING_FIELDS,
    ROUTING_ONLY,
    Reader,
    content_text,
    read_content,
    read_count,
    read_dict,
    read_dicts,
    read_id,
    read_index,
    read_int,
    read_refusal,
    read_str,
)
from .redact import redact_headers

__all__ = [
    "FunctionCall",
    "ToolCall",
    "Message",
    "Choice",
    "Usage",
    "Routing",
    "ChatCompletion",
    "ToolCallDelta",
    "StreamDelta",
    "parse_completion",
    "check_body_size",
]

logger = logging.getLogger("langchain_gloo_gravix")


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
    _readers = {"id": read_id, "type": read_str, "function": read_dict}
    _children = {"function": FunctionCall}

    id: Optional[str] = None
    type: str = "function"
    function: FunctionCall = FunctionCall()


class Message(_Open):
    _readers = {
        "role": read_str,
        "content": read_content,
        "tool_calls": read_dicts,
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
        # ``reasoning_text`` (a field some Gloo samples read) stays in model_extra: this property has its name
        other = (self.model_extra or {}).get("reasoning_text")
        return self.reasoning_content or self.reasoning or (other if isinstance(other, str) else "")


class Choice(_Open):
    _readers = {
        "index": lambda value, field: read_index(value),
        "message": read_dict,
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
        "prompt_tokens_details": read_dict,
        "completion_tokens_details": read_dict,
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
        if not any(key in payload for key in ROUTING_ONLY):
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
    choices = read_dicts(value, field)
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
        "usage": read_dict,
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
    # our credentials' forms (set by the client), scrubbed from the headers above when they are read
    _secrets: tuple[str, ...] = PrivateAttr(default=())

    @property
    def response_headers(self) -> dict[str, str]:
        """The HTTP response headers of the call that returned this completion (lower-case names; empty when
        the completion was not received from a server), with any credential a server echoed redacted."""
        return redact_headers(self._headers.items(), self._secrets) if self._headers is not None else {}

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


@dataclass
class StreamDelta:
    """What one stream chunk added (to choice ``index``; choice 0 unless ``n > 1``).

    Not slotted, on purpose: every default is immutable and stays a class attribute, so the
    stream accumulator makes one per chunk with :func:`new_delta` (``object.__new__`` plus the
    fields the chunk sets), a third of the cost of the 17-argument ``__init__``.
    """

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


def new_delta(raw: dict[str, Any], _new: Any = object.__new__) -> StreamDelta:
    """``StreamDelta(raw=raw)``, the fast way (see :class:`StreamDelta`); equal to it in every respect."""
    delta: StreamDelta = _new(StreamDelta)
    delta.raw = raw
    return delta


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
    url: Any = None,
) -> ChatCompletion:
    """A read response -> :class:`ChatCompletion` (keeping ``headers``), or a typed error that says what came.

    A non-2xx status is mapped by :func:`~.errors.error_from_response` (``url``, the URL requested, is named in a
    404). An error envelope delivered with a 2xx status is classified by its content (``invalid_request_error``
    is a :class:`BadRequestError`, not a retried 502); HTML and empty bodies are named as such.
    """
    if status_code >= 300:
        raise error_from_response(status_code, headers, raw, endpoint=endpoint, url=url)
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
    completion._headers = headers
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
