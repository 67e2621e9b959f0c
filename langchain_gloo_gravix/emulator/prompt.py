"""Plain-text views of a chat request, for deriving deterministic replies.

Content may be a string or a list of OpenAI content parts; image parts are
accepted and ignored (docs/providers.md#gravix-models lists a vision model; docs/providers.md#v2-request says
messages are ``role``/``content``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")
_DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?Z?)?|\d{1,2}:\d{2}(?::\d{2})?")
_QUOTED = re.compile(r"\"([^\"\n]+)\"|(?<!\w)'([^'\n]+?)'(?!\w)|\u201c([^\u201d\n]+)\u201d|\u2018([^\u2019\n]+)\u2019")
_CAPITALISED = re.compile(r"\b[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*")
# Capitalised words that are almost never the value a user means.
_CAPS_STOP = {"I", "JSON", "API", "URL", "HTTP", "XML", "SQL", "OK"}


def content_text(content: object) -> str:
    """Text of a message ``content`` (string, content-part list, or other)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return " ".join(parts)
    if isinstance(content, dict) and isinstance(content.get("text"), str):
        return content["text"]
    return json.dumps(content, ensure_ascii=False)


def has_image(content: object) -> bool:
    return bool(image_notes(content))


def image_notes(content: object) -> list[str]:
    """A deterministic word on each image part: its media type and decoded size for a data
    URL, its address otherwise (so a test can see which images reached the model)."""
    if not isinstance(content, list):
        return []
    notes = []
    for part in content:
        if not (isinstance(part, dict) and str(part.get("type", "")).startswith(("image", "input_image"))):
            continue
        ref = part.get("image_url")
        url = ref.get("url") if isinstance(ref, dict) else ref
        url = url if isinstance(url, str) else ""
        if url.startswith("data:"):
            head, _, data = url.partition(",")
            media = head[5:].split(";")[0] or "an unknown type"
            try:
                size = len(base64.b64decode(data, validate=True))
            except (ValueError, binascii.Error):
                notes.append(f"{media}, not valid base64")
                continue
            notes.append(f"{media}, {size} bytes")
        else:
            notes.append(url or "an image without a URL")
    return notes


def count_prompt_tokens(messages: list[dict]) -> int:
    """Deterministic prompt size: words of every message + 4 per message."""
    return sum(len(content_text(m.get("content")).split()) + 4 for m in messages)


def count_pieces(text: str) -> int:
    """A "token" is a whitespace-separated piece (the brief's definition)."""
    return len(text.split())


def echo(text: str, limit: int = 12) -> str:
    """The first ``limit`` words of ``text``, marked when shortened."""
    words = text.split()
    return " ".join(words[:limit]) + (" ..." if len(words) > limit else "")


@dataclass
class Prompt:
    """What a scripted reply may be derived from."""

    last_user: str
    last_user_has_image: bool
    conversation: str
    images: list[str] = field(default_factory=list)
    numbers: list[tuple[int, float | int]] = field(default_factory=list)
    quoted: list[tuple[int, str]] = field(default_factory=list)
    capitalised: list[tuple[int, str]] = field(default_factory=list)

    @classmethod
    def from_messages(cls, messages: list[dict]) -> "Prompt":
        last = next((m for m in reversed(messages) if m.get("role") == "user"), None)
        if last is None and messages:
            last = messages[-1]
        content = last.get("content") if last else None
        text = content_text(content)
        conversation = "\n".join(content_text(m.get("content")) for m in messages)
        return cls(
            last_user=text,
            last_user_has_image=has_image(content),
            images=image_notes(content),
            conversation=conversation,
            numbers=find_numbers(text),
            quoted=find_quoted(text),
            capitalised=find_capitalised(text),
        )


def find_numbers(text: str) -> list[tuple[int, float | int]]:
    """Numbers in order, skipping the digits of dates and times."""
    skip = [m.span() for m in _DATE_LIKE.finditer(text)]
    found = []
    for m in _NUMBER.finditer(text):
        if any(a <= m.start() < b for a, b in skip):
            continue
        raw = m.group(0)
        found.append((m.start(), float(raw) if "." in raw else int(raw)))
    return found


def find_quoted(text: str) -> list[tuple[int, str]]:
    found = []
    for m in _QUOTED.finditer(text):
        value = next(g for g in m.groups() if g is not None)
        if value.strip():
            found.append((m.start(), value.strip()))
    return found


def find_capitalised(text: str) -> list[tuple[int, str]]:
    """Capitalised words/phrases that do not merely start a sentence."""
    quoted_spans = [m.span() for m in _QUOTED.finditer(text)]
    found = []
    for m in _CAPITALISED.finditer(text):
        start = m.start()
        before = text[:start].rstrip()
        if not before or before[-1] in ".?!:\n":
            # First word of a sentence: drop it, keep a following capitalised run.
            words = m.group(0).split()
            if len(words) == 1:
                continue
            value = " ".join(words[1:])
            start = start + m.group(0).index(words[1])
        else:
            value = m.group(0)
        if value in _CAPS_STOP or any(a <= start < b for a, b in quoted_spans):
            continue
        found.append((start, value))
    return found


def mention_pattern(name: str) -> re.Pattern:
    """Regex finding a tool/enum name as a standalone token, case-insensitive.

    ``magic_function`` also matches "magic function".
    """
    body = re.escape(name).replace("_", "[_ ]")
    return re.compile(rf"(?<![A-Za-z0-9_]){body}(?![A-Za-z0-9_])", re.IGNORECASE)


def text_after(text: str, name: str) -> str | None:
    """The clause after a mention of ``name`` ("get_weather for Paris" -> "Paris")."""
    m = mention_pattern(name).search(text)
    if not m:
        return None
    rest = text[m.end() :]
    rest = re.split(r"[.?!;\n]|\)", rest.lstrip(" (:,\"'"), maxsplit=1)[0]
    rest = rest.strip(" ()\"',:")
    rest = re.sub(r"^(?:for|with|on|about|to|of|in|at|from|using)\s+", "", rest, flags=re.I)
    return rest or None
