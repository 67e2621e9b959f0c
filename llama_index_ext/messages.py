"""LlamaIndex ``ChatMessage`` -> OpenAI-style message dicts for the core client.

Both endpoints speak Chat Completions: ``system``/``user``/``assistant`` plus
``tool`` results carrying ``tool_call_id`` (docs/providers.md#tools). Content is
sent as one string unless a user message holds images, because compatible
servers (Ollama behind Gravix, several Gloo backends) handle strings best and
not every one accepts content-part lists for assistant, system or tool roles.
Images in a tool result go to a user message right after the tool results
(core/tool_images.py), since tool messages take text only.

Anything that cannot be expressed raises ``ValueError`` naming the message and
the block, instead of being silently dropped.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, Optional, Sequence

from llama_index.core.base.llms.types import (
    CachePoint,
    ChatMessage,
    CitableBlock,
    CitationBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from langchain_gloo_gravix.core.tool_images import lift_tool_images

__all__ = ["to_wire_messages", "to_wire_message", "legacy_tool_calls", "arguments_text"]

_ROLES = {
    MessageRole.SYSTEM: "system",
    # "developer" is an OpenAI-only role; Gloo and Gravix document system only.
    MessageRole.DEVELOPER: "system",
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.CHATBOT: "assistant",
    MessageRole.MODEL: "assistant",
    MessageRole.TOOL: "tool",
    # the legacy "function" role is a tool result as far as these servers go
    MessageRole.FUNCTION: "tool",
}


def arguments_text(arguments: Any) -> str:
    """Tool-call arguments as the JSON string the wire format wants."""
    if arguments is None:
        return "{}"
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False)


def _get(obj: Any, key: str) -> Any:
    # additional_kwargs["tool_calls"] may hold dicts or SDK objects (OpenAI's LLM stores those)
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


def legacy_tool_calls(message: ChatMessage) -> list[tuple[Optional[str], Optional[str], Any]]:
    """``(id, name, arguments)`` of the tool calls in ``additional_kwargs["tool_calls"]``."""
    calls = message.additional_kwargs.get("tool_calls") or []
    if not isinstance(calls, (list, tuple)):
        raise ValueError(f"additional_kwargs['tool_calls'] must be a list, got {type(calls).__name__}")
    out = []
    for call in calls:
        function = _get(call, "function") or {}
        out.append((_get(call, "id"), _get(function, "name"), _get(function, "arguments")))
    return out


def _image_part(block: ImageBlock) -> dict[str, Any]:
    url = str(block.url) if block.url is not None else None
    if url is None:  # a base64 data URI from bytes or a local path
        if hasattr(block, "inline_url"):
            url = block.inline_url()
        else:  # llama-index-core before 0.14.16 has no inline_url: the same URI, built here
            data = block.resolve_image(as_base64=True).read().decode("ascii")
            url = f"data:{block.image_mimetype or 'image/png'};base64,{data}"
    part: dict[str, Any] = {"type": "image_url", "image_url": {"url": url}}
    if block.detail:
        part["image_url"]["detail"] = block.detail
    return part


def _flatten(blocks: Iterable[Any]) -> Iterable[Any]:
    """Blocks with citation wrappers opened up, so their text is sent too."""
    for block in blocks:
        if isinstance(block, CitableBlock):
            yield from _flatten(block.content)
        elif isinstance(block, CitationBlock):
            yield block.cited_content
        else:
            yield block


def to_wire_message(message: ChatMessage, position: int = 0, *, replay_reasoning: bool = False) -> dict[str, Any]:
    """One message; ``position`` only makes error messages point at the culprit; ``replay_reasoning`` sends an
    assistant message's ``ThinkingBlock`` text back as ``reasoning_content``."""
    role = _ROLES.get(message.role)
    if role is None:  # pragma: no cover - MessageRole is a closed enum
        raise ValueError(f"messages[{position}]: role {message.role!r} is not supported")
    texts: list[str] = []
    images: list[dict[str, Any]] = []
    calls: list[tuple[Optional[str], Optional[str], Any]] = []
    thoughts: list[str] = []
    for block in _flatten(message.blocks):
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif isinstance(block, ImageBlock):
            images.append(_image_part(block))
        elif isinstance(block, ToolCallBlock):
            calls.append((block.tool_call_id, block.tool_name, block.tool_kwargs))
        elif isinstance(block, ThinkingBlock):
            # The model's own scratch work: replayed only when asked (replay_reasoning_content)
            if replay_reasoning and block.content:
                thoughts.append(block.content)
        elif isinstance(block, CachePoint):
            continue  # an Anthropic hint with no Chat Completions equivalent
        else:
            raise ValueError(
                f"messages[{position}] ({role}): {type(block).__name__} is not supported by "
                "Gloo / Gravix Layer chat completions; send text or images"
            )
    if role == "assistant" and not calls:
        calls = legacy_tool_calls(message)
    text = "\n".join(texts)
    wire: dict[str, Any] = {"role": role}
    if images:
        if role not in ("user", "tool"):
            raise ValueError(
                f"messages[{position}] ({role}): images can be sent in user messages and tool results only"
            )
        # a tool result's images are moved to a user message after it (core/tool_images.py)
        wire["content"] = ([{"type": "text", "text": text}] if text else []) + images
    elif role == "assistant" and calls and not text:
        wire["content"] = None  # OpenAI shape: no text next to tool calls
    else:
        wire["content"] = text
    if calls:
        if role != "assistant":
            raise ValueError(f"messages[{position}] ({role}): only assistant messages can carry tool calls")
        wire["tool_calls"] = [_wire_call(position, i, *call) for i, call in enumerate(calls)]
    if thoughts and role == "assistant":
        wire["reasoning_content"] = "".join(thoughts)
    if role == "tool":
        call_id = message.additional_kwargs.get("tool_call_id")
        if not call_id:
            raise ValueError(
                f"messages[{position}] (tool): a tool result needs additional_kwargs['tool_call_id'], "
                "the id of the assistant tool call it answers"
            )
        wire["tool_call_id"] = str(call_id)
    name = message.additional_kwargs.get("name")
    if name and role in ("user", "assistant", "system"):
        wire["name"] = name
    return wire


def _wire_call(
    position: int, index: int, call_id: Optional[str], name: Optional[str], arguments: Any
) -> dict[str, Any]:
    if not name:
        raise ValueError(f"messages[{position}]: tool call {index} has no name")
    return {
        # ids are synthesised the same way on the response side (responses.py),
        # so a call and its result still match when a server sent no id
        "id": call_id or f"call_{index}",
        "type": "function",
        "function": {"name": name, "arguments": arguments_text(arguments)},
    }


def to_wire_messages(messages: Sequence[ChatMessage], *, replay_reasoning: bool = False) -> list[dict[str, Any]]:
    """All messages, in order."""
    if not messages:
        raise ValueError("messages must not be empty")
    return lift_tool_images(
        [to_wire_message(message, i, replay_reasoning=replay_reasoning) for i, message in enumerate(messages)]
    )
