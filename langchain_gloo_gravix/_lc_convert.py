"""LangChain messages <-> OpenAI-style dicts, and core results -> LangChain messages.

Pure functions; the chat model classes call these around the core client.
"""

from __future__ import annotations

import json
from typing import Any, Optional, Sequence

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
from langchain_core.messages.block_translators.openai import convert_to_openai_data_block
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.messages.ai import UsageMetadata

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only types: the wire models load with the first response
    from .core.wire import ChatCompletion, StreamDelta, Usage

__all__ = ["to_wire_messages", "completion_to_message", "delta_to_chunk", "final_chunk", "usage_metadata", "response_metadata"]

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


def _user_content(content: Any) -> Any:
    if isinstance(content, str):
        return content
    out = []
    for block in content:
        if isinstance(block, str):
            out.append({"type": "text", "text": block})
        elif isinstance(block, dict) and block.get("type") in _DATA_BLOCK_TYPES:
            out.append(convert_to_openai_data_block(block))
        elif isinstance(block, dict) and block.get("type") == "image" and "source" in block:
            source = block["source"]  # Anthropic-style image block
            out.append({"type": "image_url", "image_url": {"url": f"data:{source['media_type']};base64,{source['data']}"}})
        else:
            out.append(block)  # OpenAI-format blocks (text, image_url, input_audio) pass through
    return out


def _tool_call_dicts(message: AIMessage) -> list[dict[str, Any]]:
    calls = [
        {
            "id": call["id"],
            "type": "function",
            "function": {"name": call["name"], "arguments": json.dumps(call["args"], ensure_ascii=False)},
        }
        for call in message.tool_calls
    ]
    calls += [
        {"id": bad.get("id"), "type": "function", "function": {"name": bad.get("name"), "arguments": bad.get("args") or ""}}
        for bad in message.invalid_tool_calls
    ]
    return calls


def to_wire_message(message: BaseMessage) -> dict[str, Any]:
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
    elif isinstance(message, ToolMessage):
        content = message.content if isinstance(message.content, str) else _text_of(message.content)
        if not isinstance(message.content, str) and not content:
            content = json.dumps(message.content, ensure_ascii=False)
        if message.status == "error" and not content.lower().startswith("error"):
            # OpenAI-style tool messages have no error flag; say it in words.
            content = f"Error: {content}"
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": content}
    elif isinstance(message, ChatMessage):
        out = {"role": message.role, "content": _text_of(message.content)}
    elif isinstance(message, FunctionMessage):
        raise ValueError("FunctionMessage is the legacy function-calling format; use ToolMessage with a tool_call_id")
    else:
        raise ValueError(f"cannot send a {type(message).__name__} to a chat-completions endpoint")
    if name:
        out["name"] = name
    return out


def to_wire_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    return [to_wire_message(m) for m in messages]


def usage_metadata(usage: Optional[Usage]) -> Optional[UsageMetadata]:
    if usage is None:
        return None
    meta = UsageMetadata(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
    )
    if usage.cached_tokens is not None:
        meta["input_token_details"] = {"cache_read": usage.cached_tokens}
    if usage.reasoning_tokens is not None:
        meta["output_token_details"] = {"reasoning": usage.reasoning_tokens}
    return meta


def response_metadata(completion: ChatCompletion, *, provider: str, fallback_model: Optional[str]) -> dict[str, Any]:
    """model_name (the model that answered, e.g. the routed one), id, finish
    reason, fingerprint and v2 routing: the same keys on invoke and stream."""
    meta: dict[str, Any] = {"model_provider": provider, "model_name": completion.model or fallback_model}
    if completion.id:
        meta["id"] = completion.id
    meta["finish_reason"] = completion.finish_reason
    if completion.system_fingerprint:
        meta["system_fingerprint"] = completion.system_fingerprint
    routing = completion.routing
    if routing is not None:
        meta["routing"] = routing.as_dict()
    return meta


def _parse_args(raw: Any) -> tuple[Optional[dict[str, Any]], Optional[str]]:
    if isinstance(raw, dict):
        return raw, None
    if raw is not None and not isinstance(raw, str):
        # a JSON value other than an object sent in place of the arguments string
        return None, f"arguments must be a JSON object, got {type(raw).__name__}"
    text = (raw or "").strip()
    if text in ("", "null"):
        return {}, None
    try:
        value = json.loads(text)
    except ValueError as exc:
        return None, f"arguments are not valid JSON: {exc}"
    if not isinstance(value, dict):
        return None, f"arguments must be a JSON object, got {type(value).__name__}"
    return value, None


def completion_to_message(completion: ChatCompletion, *, provider: str, fallback_model: Optional[str]) -> AIMessage:
    message = completion.message
    tool_calls, invalid = [], []
    for call in message.tool_calls or ():
        args, error = _parse_args(call.function.arguments)
        if error is None:
            tool_calls.append(tool_call(name=call.function.name or "", args=args or {}, id=call.id))
        else:
            raw = call.function.arguments
            invalid.append(
                invalid_tool_call(name=call.function.name, args=raw if isinstance(raw, str) else json.dumps(raw), id=call.id, error=error)
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
        response_metadata=response_metadata(completion, provider=provider, fallback_model=fallback_model),
        id=completion.id,
    )


def delta_to_chunk(delta: StreamDelta, *, provider: str) -> AIMessageChunk:
    """One streamed chunk: text, reasoning and tool-call fragments only.

    Metadata that must appear once (usage, model name, id, routing) goes on the
    single :func:`final_chunk`, because LangChain concatenates repeated strings
    when it adds chunks together.
    """
    additional: dict[str, Any] = {}
    if delta.reasoning:
        additional["reasoning_content"] = delta.reasoning
    if delta.refusal:
        additional["refusal"] = delta.refusal
    chunks = [
        tool_call_chunk(name=t.name, args=t.arguments or None, id=t.id, index=t.index) for t in delta.tool_calls
    ]
    return AIMessageChunk(
        content=delta.content,
        additional_kwargs=additional,
        tool_call_chunks=chunks,
        response_metadata={"model_provider": provider},
    )


def final_chunk(accumulated: ChatCompletion, *, provider: str, fallback_model: Optional[str], with_usage: bool) -> AIMessageChunk:
    """The closing chunk: finish reason, model, id, routing and (once) usage.

    The core reads ``id`` and ``created`` leniently (an integer id becomes its text, a
    float ``created`` an int or nothing); the id is still checked here because a bad
    one would fail this chunk, and with it a streaming ``invoke()``'s whole answer.
    """
    message_id = accumulated.id if isinstance(accumulated.id, str) else None
    return AIMessageChunk(
        content="",
        usage_metadata=usage_metadata(accumulated.usage) if with_usage else None,
        response_metadata=response_metadata(accumulated, provider=provider, fallback_model=fallback_model),
        id=message_id,
    )
