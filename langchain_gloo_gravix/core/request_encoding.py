"""A request body as the bytes we send, or an :class:`InvalidRequestError` that says where the body cannot be
encoded: a lone surrogate in some text (a surrogate pair split apart, or bytes decoded with
``errors="surrogateescape"``), which UTF-8 cannot carry, or a structure nested too deeply for ``json`` (a tool
schema nested a thousand levels deep). Before, both escaped as ``UnicodeEncodeError`` / ``RecursionError``.

The normal path is one ``json.dumps`` and one ``encode``; the search for the culprit runs only on failure.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Mapping, Optional

from .errors import InvalidRequestError

__all__ = ["encode_json", "lone_surrogate", "where_unencodable"]

#: deeper than this is reported as "nested too deeply" (json's own limit is the interpreter's recursion limit)
_REPORT_DEPTH = 200


def encode_json(body: Mapping[str, Any], *, endpoint: Optional[str] = None) -> bytes:
    """``body`` as compact UTF-8 JSON (non-ASCII kept as is)."""
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:
        problem = "surrogate"
    except RecursionError:
        problem = "deep"
    # raised outside the except blocks: no chained traceback full of the body's text
    if problem == "surrogate":
        raise InvalidRequestError(where_unencodable(body) or "the request has text that is not valid Unicode",
                                  endpoint=endpoint)  # fmt: skip
    raise InvalidRequestError(_too_deep(body), endpoint=endpoint)


def lone_surrogate(text: str) -> Optional[int]:
    """The position of the first character UTF-8 cannot encode (a lone surrogate), or None."""
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any, int]]:
    """(path, value, depth) of every node, depth first, without recursion."""
    stack = [(path, value, 0)]
    while stack:
        where, node, depth = stack.pop()
        yield where, node, depth
        if isinstance(node, Mapping):
            items = [(f"{where}.{k}" if where else str(k), v) for k, v in node.items()]
            keys = [k for k in node if isinstance(k, str)]
            yield from ((f"{where} key", k, depth + 1) for k in keys)
        elif isinstance(node, (list, tuple)):
            items = [(f"{where}[{i}]", v) for i, v in enumerate(node)]
        else:
            continue
        stack.extend((p, v, depth + 1) for p, v in reversed(items))


def _message_label(body: Mapping[str, Any], path: str) -> str:
    """``messages[1].content`` -> ``messages[1] (user) content``: the message named by index and role."""
    if not path.startswith("messages["):
        return path
    index, _, rest = path[len("messages[") :].partition("]")
    try:
        role = body["messages"][int(index)].get("role")
    except (KeyError, ValueError, IndexError, TypeError, AttributeError):
        return path
    field = rest.lstrip(".") or "text"
    return f"messages[{index}] ({role}) {field}" if isinstance(role, str) else path


def where_unencodable(body: Mapping[str, Any], root: str = "") -> Optional[str]:
    """A message naming the first text in ``body`` that holds a lone surrogate, or None."""
    for path, node, _ in _walk(body, root):
        if isinstance(node, str):
            at = lone_surrogate(node)
            if at is not None:
                return (
                    f"{_message_label(body, path)} has a lone surrogate (U+{ord(node[at]):04X} at character {at}), "
                    "which cannot be sent as UTF-8: the text was likely cut inside a surrogate pair or decoded "
                    "with errors='surrogateescape'; repair it (e.g. .encode('utf-8', 'replace').decode())"
                )
    return None


def _too_deep(body: Mapping[str, Any]) -> str:
    deepest, depth = "", 0
    for path, _node, level in _walk(body, ""):
        if level > depth:
            deepest, depth = path, level
        if level > _REPORT_DEPTH:
            break
    head = ".".join(deepest.split(".")[:2])  # e.g. tools[0].function: not the whole thousand-step path
    return (
        f"the request is nested too deeply to encode as JSON (more than {min(depth, _REPORT_DEPTH)} levels under "
        f"{head or 'the body'}); flatten that structure (a tool's parameters schema?)"
    )
