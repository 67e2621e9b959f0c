"""LangChain messages <-> OpenAI-style dicts, and core results -> LangChain messages.

Pure functions; the chat model classes call these around the core client.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional, Sequence

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.block_translators.openai import convert_to_openai_data_block
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk

from .core.readers import tool_arguments as _parse_args  # the one reading of a finished call's arguments
from .core.tool_images import lift_tool_images

if TYPE_CHECKING:  # only types: the wire models load with the first response
    from .core.wire import ChatCompletion, Choice, StreamDelta, Usage

__all__ = [
    "to_wire_messages",
    "completion_to_message",
    "delta_to_chunk",
    "final_chunk",
    "usage_metadata",
    "response_metadata",
    "StreamMetadata",
    "is_text_only",
    "text_chunks",
]

#: the :class:`~.core.wire.StreamDelta` fields no chunk but the closing one shows. A delta keeps in its instance
#: dict only the fields set for it (the others stay class defaults: see ``new_delta``), so one whose dict holds
#: no other key is text alone.
TEXT_ONLY_FIELDS = frozenset(("content", "raw", "id", "model", "role", "finish_reason", "system_fingerprint"))

# Standard (v1) data blocks LangChain users put in HumanMessage content.
_DATA_BLOCK_TYPES = {"image", "file", "audio"}


def _text_of(content: Any) -> str:
    """Flatten list content to its text; assistant, tool and system messages are
    sent as plain strings, which every OpenAI-compatible server accepts."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content or ():
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(block.get("text", ""))
        elif isinstance(block, dict) and block.get("type") in ("json", "tool_result") and "json" in block:
            parts.append(json.dumps(block["json"], ensure_ascii=False))
    return "".join(parts)


def _anthropic_image(source: Any) -> dict[str, Any]:
    """An Anthropic-style ``{"type": "image", "source": {...}}`` block as an ``image_url`` part."""
    kind = source.get("type") if isinstance(source, dict) else None
    if kind == "base64" and source.get("data"):
        url = f"data:{source.get('media_type') or 'image/png'};base64,{source['data']}"
    elif kind == "url" and source.get("url"):
        url = source["url"]
    else:
        raise ValueError(
            f"an Anthropic-style image block with source type {kind!r} cannot be sent; "
            "chat completions take base64 data or a URL (source type 'base64' or 'url')"
        )
    return {"type": "image_url", "image_url": {"url": url}}


def _image_part(block: Any) -> Optional[dict[str, Any]]:
    """``block`` as an OpenAI ``image_url`` part when it is an image in any form LangChain users write
    (OpenAI ``image_url``, LangChain's standard ``image`` block, Anthropic's ``source`` form), else None."""
    if not isinstance(block, dict):
        return None
    kind = block.get("type")
    if kind == "image_url":
        return block
    if kind == "image":
        # Anthropic's shape first: LangChain's converter refuses its "source" key
        return _anthropic_image(block["source"]) if "source" in block else convert_to_openai_data_block(block)
    return None


def _user_content(content: Any) -> Any:
    if isinstance(content, str):
        return content
    out: list[Any] = []
    for block in content:
        image = _image_part(block)
        if image is not None:
            out.append(image)
        elif isinstance(block, str):
            out.append({"type": "text", "text": block})
        elif isinstance(block, dict) and block.get("type") in _DATA_BLOCK_TYPES:
            out.append(convert_to_openai_data_block(block))
        else:
            out.append(block)  # OpenAI-format blocks (text, input_audio) pass through
    return out


def _tool_message(message: ToolMessage) -> dict[str, Any]:
    """A tool result: text, plus its images as parts (core/tool_images.py moves them where they can go)."""
    content = message.content
    images: list[dict[str, Any]] = []
    if isinstance(content, str):
        text = content
    else:
        for block in content:
            image = _image_part(block)
            if image is not None:
                images.append(image)
            elif isinstance(block, dict) and block.get("type") in _DATA_BLOCK_TYPES:
                raise ValueError(
                    f"ToolMessage {message.tool_call_id!r}: a {block.get('type')!r} block cannot be sent; tool "
                    "results carry text and images only"
                )
        text = _text_of(content)
        if not text and not images:
            text = json.dumps(content, ensure_ascii=False)
    if message.status == "error" and not text.lower().startswith("error"):
        # OpenAI-style tool messages have no error flag; say it in words.
        text = f"Error: {text}"
    wire: dict[str, Any] = {"role": "tool", "tool_call_id": message.tool_call_id, "content": text}
    if images:
        wire["content"] = ([{"type": "text", "text": text}] if text else []) + images
    return wire


def _tool_call_dicts(message: AIMessage) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = [
        {
            "id": call["id"],
            "type": "function",
            "function": {"name": call["name"], "arguments": json.dumps(call["args"], ensure_ascii=False)},
        }
        for call in message.tool_calls
    ]
    calls += [
        {
            "id": bad.get("id"),
            "type": "function",
            "function": {"name": bad.get("name"), "arguments": bad.get("args") or ""},
        }
        for bad in message.invalid_tool_calls
    ]
    return calls


def _reasoning_of(message: AIMessage) -> str:
    """The reasoning an assistant message carries: ``additional_kwargs["reasoning_content"]`` (as we and
    ChatDeepSeek put it there), else the text of its ``reasoning`` / ``thinking`` content blocks."""
    kept = message.additional_kwargs.get("reasoning_content")
    if isinstance(kept, str) and kept:
        return kept
    parts = []
    for block in message.content if isinstance(message.content, list) else ():
        if isinstance(block, dict) and block.get("type") == "reasoning" and isinstance(block.get("reasoning"), str):
            parts.append(block["reasoning"])
        elif isinstance(block, dict) and block.get("type") == "thinking" and isinstance(block.get("thinking"), str):
            parts.append(block["thinking"])
    return "".join(parts)


def to_wire_message(message: BaseMessage, *, replay_reasoning: bool = False) -> dict[str, Any]:
    name = getattr(message, "name", None)
    if isinstance(message, HumanMessage):
        out: dict[str, Any] = {"role": "user", "content": _user_content(message.content)}
    elif isinstance(message, SystemMessage):
        out = {"role": "system", "content": _text_of(message.content)}
    elif isinstance(message, AIMessage):
        out = {"role": "assistant", "content": _text_of(message.content)}
        calls = _tool_call_dicts(message)
        if calls:
            out["tool_calls"] = calls
            out["content"] = out["content"] or None
        if replay_reasoning:
            reasoning = _reasoning_of(message)
            if reasoning:
                out["reasoning_content"] = reasoning
    elif isinstance(message, ToolMessage):
        return _tool_message(message)
    elif isinstance(message, ChatMessage):
        out = {"role": message.role, "content": _text_of(message.content)}
    elif isinstance(message, FunctionMessage):
        raise ValueError("FunctionMessage is the legacy function-calling format; use ToolMessage with a tool_call_id")
    else:
        raise ValueError(f"cannot send a {type(message).__name__} to a chat-completions endpoint")
    if name:
        out["name"] = name
    return out


def to_wire_messages(messages: Sequence[BaseMessage], *, replay_reasoning: bool = False) -> list[dict[str, Any]]:
    """``replay_reasoning``: send each assistant turn's reasoning back as ``reasoning_content`` (the chat
    models' ``replay_reasoning_content`` option)."""
    return lift_tool_images([to_wire_message(m, replay_reasoning=replay_reasoning) for m in messages])


_TOKEN_DETAILS: Any = None


def _token_details() -> Any:
    # loaded with the first answer, not at import, then kept (no import statement per call)
    global _TOKEN_DETAILS
    if _TOKEN_DETAILS is None:
        from .core.usage_details import token_details

        _TOKEN_DETAILS = token_details
    return _TOKEN_DETAILS


def usage_metadata(usage: Optional[Usage]) -> Optional[UsageMetadata]:
    """Token counts, with the details LangChain has keys for (``core/usage_details.py`` reads
    every cache and reasoning field the services send: OpenAI's details, Gloo's ``cache_tokens``,
    DeepSeek's ``prompt_cache_hit_tokens``, Anthropic's ``cache_*_input_tokens``). Everything
    else the server sent (e.g. Gloo's ``cache_hit_rate``) is in ``response_metadata["token_usage"]``.
    """
    if usage is None:
        return None
    meta = UsageMetadata(  # type: ignore[typeddict-item]  # the details are added below when the server sent them
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
    )
    details = _token_details()(usage)
    inputs = {
        key: value
        for key, value in (
            ("cache_read", details.cache_read),
            ("cache_creation", details.cache_creation),
            ("audio", details.input_audio),
        )
        if value is not None
    }
    outputs = {
        key: value
        for key, value in (("reasoning", details.reasoning), ("audio", details.output_audio))
        if value is not None
    }
    if inputs:
        meta["input_token_details"] = inputs  # type: ignore[typeddict-item]
    if outputs:
        meta["output_token_details"] = outputs  # type: ignore[typeddict-item]
    return meta


def response_metadata(
    completion: ChatCompletion,
    *,
    provider: str,
    fallback_model: Optional[str],
    choice: Optional[Choice] = None,
    headers: Optional[dict[str, str]] = None,
    routing: bool = True,
    usage: bool = True,
) -> dict[str, Any]:
    """model_name (the model that answered, e.g. the routed one), id, finish
    reason, fingerprint, service tier, logprobs, token usage, v2 routing, grounding and
    (when asked for) the response headers: the same keys on invoke and stream."""
    meta: dict[str, Any] = {"model_provider": provider, "model_name": completion.model or fallback_model}
    if completion.id:
        meta["id"] = completion.id
    meta["finish_reason"] = choice.finish_reason if choice is not None else completion.finish_reason
    if choice is not None and choice.logprobs is not None:
        meta["logprobs"] = choice.logprobs
    if completion.system_fingerprint:
        meta["system_fingerprint"] = completion.system_fingerprint
    if completion.service_tier:
        meta["service_tier"] = completion.service_tier
    if usage and completion.usage is not None:
        meta["token_usage"] = completion.usage.model_dump(exclude_none=True)
    found = completion.routing if routing else None  # built on each access: read once
    if found is not None:
        meta["routing"] = found.as_dict()
    grounding = completion.grounding
    if grounding is not None:  # Gloo grounded completions (docs/providers.md#grounded)
        meta["grounding"] = grounding.as_dict()
    if headers is not None:
        meta["headers"] = headers
    return meta


def completion_to_message(
    completion: ChatCompletion,
    *,
    provider: str,
    fallback_model: Optional[str],
    choice: Optional[Choice] = None,
    headers: Optional[dict[str, str]] = None,
) -> AIMessage:
    """One choice of a completion (the first by default) as an ``AIMessage``."""
    if choice is None and completion.choices:
        choice = completion.choices[0]
    message = choice.message if choice is not None else completion.message
    tool_calls, invalid = [], []
    for call in message.tool_calls or ():
        args, error = _parse_args(call.function.arguments)
        if error is None:
            tool_calls.append(tool_call(name=call.function.name or "", args=args or {}, id=call.id))
        else:
            raw = call.function.arguments
            invalid.append(
                invalid_tool_call(
                    name=call.function.name,
                    args=raw if isinstance(raw, str) else json.dumps(raw),
                    id=call.id,
                    error=error,
                )
            )
    additional: dict[str, Any] = {}
    if message.reasoning_text:
        additional["reasoning_content"] = message.reasoning_text
    if message.refusal:
        additional["refusal"] = message.refusal
    return AIMessage(
        content=message.text,
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
        additional_kwargs=additional,
        usage_metadata=usage_metadata(completion.usage),
        response_metadata=response_metadata(
            completion, provider=provider, fallback_model=fallback_model, choice=choice, headers=headers
        ),
        id=completion.id,
    )


def delta_to_chunk(
    delta: StreamDelta,
    *,
    provider: str,
    metadata: Optional[dict[str, Any]] = None,
    v1_blocks: Optional[list[dict[str, Any]]] = None,
) -> AIMessageChunk:
    """One streamed chunk: text, reasoning and tool-call fragments, plus the
    ``metadata`` this chunk is the first to carry (see :class:`StreamMetadata`).

    Metadata that must appear once (usage, model name, id) goes on the single
    :func:`final_chunk`, because LangChain concatenates repeated strings when it
    adds chunks together.
    """
    # Runs per chunk: fields left at their defaults are not passed, because pydantic validates
    # every field given (an explicit empty ``additional_kwargs`` and ``tool_call_chunks``, or a
    # ``response_metadata``, cost more than the rest of the chunk); the message is the same either way.
    fields: dict[str, Any] = {}
    if v1_blocks is not None:
        # LangChain then keeps these blocks as the content; its validators read output_version,
        # so this (opt-in) form is built with its metadata in the constructor
        fields["response_metadata"] = {"model_provider": provider, **(metadata or {}), "output_version": "v1"}
    if delta.reasoning or delta.refusal:
        additional: dict[str, Any] = {}
        if delta.reasoning:
            additional["reasoning_content"] = delta.reasoning
        if delta.refusal:
            additional["refusal"] = delta.refusal
        fields["additional_kwargs"] = additional
    if delta.tool_calls:
        fields["tool_call_chunks"] = [
            tool_call_chunk(name=t.name, args=t.arguments or None, id=t.id, index=t.index) for t in delta.tool_calls
        ]
    if v1_blocks is not None:
        return AIMessageChunk(content=v1_blocks, **fields)  # type: ignore[arg-type]
    message = AIMessageChunk(content=delta.content, **fields)
    # filled in place: the metadata dict is the message's own (a fresh default), no validator reads
    # it for a chunk that is not the last, and setting it here skips pydantic's pass over it
    meta = message.response_metadata
    meta["model_provider"] = provider
    if metadata:
        meta.update(metadata)
    return message


def is_text_only(delta: StreamDelta) -> bool:
    """Whether ``delta`` carries text for choice 0 and nothing else a chunk shows (no reasoning, refusal,
    tool call, routing, grounding, usage, logprobs, service tier): the chunk is then its text alone.

    Runs per chunk, so it reads which fields the delta set (see ``TEXT_ONLY_FIELDS``), not each field.
    """
    raw = delta.raw
    return delta.__dict__.keys() <= TEXT_ONLY_FIELDS and raw is not None and "service_tier" not in raw


class TextChunks:
    """Text-only stream chunks for one provider: the ``ChatGenerationChunk(message=AIMessageChunk(content=text))``
    (with ``response_metadata["model_provider"]``) that the validated constructors build, made without running
    pydantic's validation for each chunk.

    Why: nearly every chunk of a stream is text alone, and validating its two models is about 3.4 µs of the
    ~21 µs a LangChain chunk costs end to end (issue 16's streaming target). The text is a ``str`` from the core
    and the other fields are their defaults, so validation has nothing to decide: the objects are built from
    templates that the validated constructors made, each mutable value (dicts, lists, pydantic's field set and
    extras) fresh per chunk.

    Safe across langchain-core and pydantic versions by construction: the templates come from the installed
    versions, and at first use a chunk built this way is compared, attribute by attribute, with a validated
    one; if anything differs (a new field, a validator that computes something from the text) every chunk is
    built the validated way (``fast`` is False).
    """

    __slots__ = ("_message", "_generation", "_provider", "_extra_dict", "fast")

    _MESSAGE_MUTABLE = ("additional_kwargs", "tool_calls", "invalid_tool_calls", "tool_call_chunks")
    _PROBE = "probe text \u00e9"

    def __init__(self, provider: str) -> None:
        self._provider = provider
        message = self._validated_message("")
        generation = ChatGenerationChunk(message=message)
        self._message = dict(message.__dict__)
        self._generation = dict(generation.__dict__)
        self._extra_dict = message.__pydantic_extra__ is not None  # a model that allows extra keys: {} each
        self.fast = self._mutable_fields_known(message, generation) and self._same(
            self._built(self._PROBE), ChatGenerationChunk(message=self._validated_message(self._PROBE))
        )

    def _validated_message(self, text: str) -> AIMessageChunk:
        message = AIMessageChunk(content=text)
        message.response_metadata["model_provider"] = self._provider
        return message

    def _mutable_fields_known(self, message: AIMessageChunk, generation: ChatGenerationChunk) -> bool:
        mutable = {k for k, v in message.__dict__.items() if isinstance(v, (dict, list, set))}
        return (
            mutable == {*self._MESSAGE_MUTABLE, "response_metadata"}
            and not any(isinstance(v, (dict, list, set)) for k, v in generation.__dict__.items() if k != "message")
            and message.__pydantic_private__ is None
            and generation.__pydantic_private__ is None
            and generation.__pydantic_extra__ is None
            and message.__pydantic_extra__ in (None, {})
        )

    @staticmethod
    def _same(built: ChatGenerationChunk, validated: ChatGenerationChunk) -> bool:
        def state(model: Any) -> tuple[Any, ...]:
            return (
                type(model),
                {k: v for k, v in model.__dict__.items() if k != "message"},
                model.__pydantic_fields_set__,
                model.__pydantic_extra__,
                model.__pydantic_private__,
            )

        return state(built) == state(validated) and state(built.message) == state(validated.message)

    def _built(self, text: str) -> ChatGenerationChunk:
        message = _new(AIMessageChunk)
        fields = self._message.copy()
        fields["content"] = text
        fields["additional_kwargs"] = {}
        fields["response_metadata"] = {"model_provider": self._provider}
        fields["tool_calls"] = []
        fields["invalid_tool_calls"] = []
        fields["tool_call_chunks"] = []
        _set(message, "__dict__", fields)
        _set(message, "__pydantic_fields_set__", {"content"})
        _set(message, "__pydantic_extra__", {} if self._extra_dict else None)
        _set(message, "__pydantic_private__", None)
        generation = _new(ChatGenerationChunk)
        outer = self._generation.copy()
        outer["text"] = text
        outer["message"] = message
        _set(generation, "__dict__", outer)
        _set(generation, "__pydantic_fields_set__", {"message", "text"})
        _set(generation, "__pydantic_extra__", None)
        _set(generation, "__pydantic_private__", None)
        return generation

    def __call__(self, text: str) -> ChatGenerationChunk:
        if self.fast:
            return self._built(text)
        return ChatGenerationChunk(message=self._validated_message(text))


_new = object.__new__
_set = object.__setattr__
_TEXT_CHUNKS: dict[str, TextChunks] = {}


def text_chunks(provider: str) -> TextChunks:
    """The :class:`TextChunks` of ``provider``, made once per process."""
    chunks = _TEXT_CHUNKS.get(provider)
    if chunks is None:
        chunks = _TEXT_CHUNKS[provider] = TextChunks(provider)
    return chunks


class StreamMetadata:
    """Stream metadata said once, on the first chunk that carries it.

    Routing (Gloo v2 sends it early), the service tier, logprobs (per chunk;
    LangChain concatenates their lists) and the response headers reach the
    caller as soon as they arrive, not only on the closing chunk; keys already
    said are not repeated, because LangChain concatenates repeated strings.
    """

    def __init__(self, *, want_headers: bool) -> None:
        self._routing_said: set[str] = set()
        #: True once nothing is left to say whatever the delta (the response headers are said): the
        #: text-only fast path of ``_stream`` (:func:`is_text_only`) may then skip :meth:`take`
        self.quiet = not want_headers
        self._tier_said = False
        self._segment = 0
        self._last_kind = ""
        #: index of the latest v1 text block (grounding citations annotate it on the closing chunk).
        self.text_index: Optional[str] = None

    def v1_blocks(self, delta: StreamDelta) -> list[dict[str, Any]]:
        """Standard (``output_version="v1"``) content blocks of one delta.

        Each block gets a string index of its own: ``lc_reasoning_N`` / ``lc_text_N``
        (N counts kind changes, so reasoning resumed after text is a new block) and
        ``lc_tool_I`` for tool call I. LangChain merges streamed blocks with equal
        indexes; left to itself it numbers blocks 0, 1, ... while tool-call chunks
        carry the server's index (0 for the first call), so a reasoning or text
        block and the first tool call shared index 0 and were merged into one.
        Indexes starting ``lc_`` are compared, never concatenated, by LangChain.
        """
        blocks: list[dict[str, Any]] = []
        for kind, value in (("reasoning", delta.reasoning), ("text", delta.content)):
            if value:
                if kind != self._last_kind:
                    self._segment += 1
                    self._last_kind = kind
                blocks.append({"type": kind, kind: value, "index": f"lc_{kind}_{self._segment}"})
                if kind == "text":
                    self.text_index = f"lc_text_{self._segment}"
        for t in delta.tool_calls:
            self._last_kind = "tool"
            blocks.append(
                {
                    "type": "tool_call_chunk",
                    "id": t.id,
                    "name": t.name,
                    "args": t.arguments or None,
                    "index": f"lc_tool_{t.index}",
                }
            )
        return blocks

    def take(self, delta: StreamDelta, stream: Any) -> dict[str, Any]:
        """What ``delta`` is the first to carry; ``stream`` gives the response headers.

        Runs per chunk, so the common case (nothing new) costs a few attribute reads.
        """
        meta: dict[str, Any] = {}
        if not self.quiet:
            headers = stream.response_headers
            if headers is not None:
                meta["headers"] = headers
                self.quiet = True
        if delta.routing is not None:
            routing = self.new_routing(delta.routing.as_dict())
            if routing:
                meta["routing"] = routing
        if not self._tier_said and delta.raw:
            tier = delta.raw.get("service_tier")
            if tier:
                meta["service_tier"] = tier
                self._tier_said = True
        if delta.logprobs is not None:
            meta["logprobs"] = delta.logprobs
        return meta

    def new_routing(self, routing: Optional[dict[str, Any]]) -> dict[str, Any]:
        """The routing keys not said yet (all of them on first sight)."""
        fresh = {k: v for k, v in (routing or {}).items() if k not in self._routing_said}
        self._routing_said.update(fresh)
        return fresh

    @property
    def tier_said(self) -> bool:
        return self._tier_said


def final_chunk(
    accumulated: ChatCompletion,
    *,
    provider: str,
    fallback_model: Optional[str],
    with_usage: bool,
    said: Optional[StreamMetadata] = None,
) -> AIMessageChunk:
    """The closing chunk: finish reason, model, id, (once) usage, and the routing
    keys no earlier chunk carried.

    The core reads ``id`` and ``created`` leniently (an integer id becomes its text, a
    float ``created`` an int or nothing); the id is still checked here because a bad
    one would fail this chunk, and with it a streaming ``invoke()``'s whole answer.
    """
    meta = response_metadata(
        accumulated, provider=provider, fallback_model=fallback_model, routing=said is None, usage=with_usage
    )
    if said is not None:
        found = accumulated.routing
        routing = said.new_routing(found.as_dict() if found is not None else None)
        if routing:
            meta["routing"] = routing
        if said.tier_said:
            meta.pop("service_tier", None)
    return AIMessageChunk(
        content="",
        usage_metadata=usage_metadata(accumulated.usage) if with_usage else None,
        response_metadata=meta,
        id=accumulated.id if isinstance(accumulated.id, str) else None,
    )
