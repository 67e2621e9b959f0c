"""Lenient readers: the one definition of what a field of a server's JSON may hold.

Servers send nulls, floats, numeric strings and objects where the documents promise something else. A field
whose value has an unexpected type is dropped (logged at DEBUG) rather than failing an otherwise intact answer.
The pydantic models (wire.py, non-streaming) and the stream accumulator use these same readers, so both paths
read a shape the same way. Also here, once: the v2 routing field list and the reading of a tool call's
arguments (:func:`tool_arguments`), shared by the accumulator and both adapters.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any, Callable, Mapping, Optional

from pydantic import BaseModel

__all__ = [
    "DROP",
    "Reader",
    "ROUTING_FIELDS",
    "ROUTING_ONLY",
    "read_str",
    "read_id",
    "read_int",
    "read_count",
    "read_index",
    "read_refusal",
    "read_dict",
    "read_bool",
    "read_dicts",
    "read_str_list",
    "read_content",
    "content_text",
    "no_arguments",
    "tool_arguments",
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
def read_dict(value: Any, field: str) -> Any:
    return value if value is None or isinstance(value, (dict, BaseModel)) else _dropped(field, value)


def read_bool(value: Any, field: str) -> Any:
    return value if value is None or isinstance(value, bool) else _dropped(field, value)


def read_dicts(value: Any, field: str) -> Any:
    """A list of objects: null entries (and other non-objects) are left out."""
    if value is None:
        return value
    if not isinstance(value, list):
        return _dropped(field, value)
    if all(type(item) is dict for item in value):
        return value
    return [item for item in value if isinstance(item, (dict, BaseModel))]


def read_str_list(value: Any, field: str) -> Any:
    if value is None:
        return value
    if not isinstance(value, list):
        return _dropped(field, value)
    return [item for item in value if isinstance(item, str)]


def read_content(value: Any, field: str) -> Any:
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
#: the fields whose presence marks a payload as carrying routing metadata (``model`` alone does not)
ROUTING_ONLY = tuple(f for f in ROUTING_FIELDS if f != "model")


def no_arguments(text: str) -> bool:
    """A zero-argument tool call: servers stream ``""`` or ``"null"`` for it; both mean ``{}``."""
    return text.strip() in ("", "null")


def tool_arguments(raw: Any) -> tuple[Optional[dict[str, Any]], Optional[str]]:
    """A finished tool call's arguments: ``(object, None)``, or ``(None, problem)`` naming why they are unusable.

    Accepts the JSON text OpenAI specifies, an object sent in its place (Ollama), and ``""`` / ``"null"`` / None
    for a zero-argument tool. Anything else (invalid JSON, a JSON value that is not an object) is a problem the
    caller reports as an invalid tool call, never silently replaced.
    """
    if isinstance(raw, dict):
        return raw, None
    if raw is not None and not isinstance(raw, str):
        # a JSON value other than an object sent in place of the arguments string
        return None, f"arguments are not a JSON object (got {type(raw).__name__})"
    if raw is None or no_arguments(raw):
        return {}, None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return None, f"arguments are not valid JSON ({exc})"
    if not isinstance(value, dict):
        return None, f"arguments are JSON but not an object (got {type(value).__name__})"
    return value, None
