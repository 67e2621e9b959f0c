"""Images a tool returned, sent where chat completions can take them.

Chat Completions gives a ``tool`` message text only: its ``content`` is a string or a list
of *text* parts (OpenAI's API reference, "Tool message"; Ollama, behind Gravix Layer,
reads tool content as a string; docs/providers.md#tools). A tool that returns a
screenshot or a chart would lose it, so both adapters write a tool result's images as
``image_url`` parts of the tool message, and this rule moves them: the tool message
keeps its text plus a note, and one ``user`` message right after the run of tool
messages carries every image of that run, each introduced by the call it came from.
The run stays unbroken because an assistant message with tool calls must be followed by
all of its tool results before anything else.

Pure: wire dicts in, wire dicts out.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from .catalog import spec_for

__all__ = ["lift_tool_images", "has_images", "is_image_part", "unsupported_images_note"]

NOTE = "[the images this tool returned follow in the next user message]"


def is_image_part(part: Any) -> bool:
    return isinstance(part, dict) and part.get("type") == "image_url"


def has_images(messages: Sequence[dict[str, Any]]) -> bool:
    """True when any message content carries an image part."""
    return any(isinstance(m.get("content"), list) and any(is_image_part(p) for p in m["content"]) for m in messages)


def _split_tool(message: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    content = message.get("content")
    if not isinstance(content, list) or not any(is_image_part(p) for p in content):
        return message, []
    texts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
    images = [p for p in content if is_image_part(p)]
    text = "".join(texts)
    return {**message, "content": f"{text}\n{NOTE}" if text else NOTE}, images


def lift_tool_images(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` with tool-result images moved to a user message after each run of tool results."""
    if not any(m.get("role") == "tool" and isinstance(m.get("content"), list) for m in messages):
        return list(messages)  # the common case: nothing to move, no copy of each message
    out: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for message in messages:
        if message.get("role") != "tool" and pending:
            out.append({"role": "user", "content": pending})
            pending = []
        if message.get("role") == "tool":
            message, images = _split_tool(message)
            if images:
                pending.append(
                    {"type": "text", "text": f"Images from the result of tool call {message.get('tool_call_id')}:"}
                )
                pending.extend(images)
        out.append(message)
    if pending:
        out.append({"role": "user", "content": pending})
    return out


def unsupported_images_note(
    messages: Sequence[dict[str, Any]], params: Mapping[str, Any], *, endpoint: str, routing: bool
) -> Optional[str]:
    """A warning's text when ``messages`` carry images and the route's profile (the model catalog) says it
    takes none; None otherwise. The images are sent all the same: the catalog may be behind the service."""
    if not has_images(messages):
        return None
    model = params.get("model") if isinstance(params.get("model"), str) else None
    family = params.get("model_family") if routing and isinstance(params.get("model_family"), str) else None
    auto = routing and (params.get("auto_routing") is True or not (model or family))
    if spec_for(model, model_family=family, auto_routing=auto, endpoint=endpoint).image_inputs:
        return None
    route = "auto routing" if auto else (f"model_family={family!r}" if family and not model else f"model {model!r}")
    return (
        f"images are sent to {route}, whose profile says it takes no image input; they go out as given, and the "
        "server may refuse or ignore them. Choose a vision model (docs/models.md), or if this one does see images, "
        "filter GlooGravixWarning"
    )
