"""Build a JSON value valid for a JSON schema from words of the prompt.

Used for tool-call arguments (``function.parameters``) and for
``response_format`` ``json_schema`` output. Values are taken, in order, from
``name: value`` mentions, numbers, quoted text, capitalised words and the
clause after the tool's name; required fields are always filled, optional
ones only when something was found. Deterministic: no randomness.
"""

from __future__ import annotations

import re
from typing import Any

from .prompt import Prompt, echo, mention_pattern, text_after

_FORMAT_DEFAULTS = {
    "date": "2025-01-01",
    "date-time": "2025-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-0000-0000-000000000000",
}
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?Z?)?\b")
_TRUE = re.compile(r"\b(?:true|yes)\b", re.IGNORECASE)
_FALSE = re.compile(r"\b(?:false|no)\b", re.IGNORECASE)


class SchemaFiller:
    """Stateful: each found number/string is used once, in prompt order."""

    def __init__(self, prompt: Prompt, root: dict, tool_name: str | None = None) -> None:
        self.prompt = prompt
        self.root = root if isinstance(root, dict) else {}
        self.numbers = list(prompt.numbers)
        self.quoted = list(prompt.quoted)
        self.caps = list(prompt.capitalised)
        self.after = text_after(prompt.last_user, tool_name) if tool_name else None

    def build(self) -> Any:
        value, _ = self.fill(self.root)
        return value

    # -- dispatch ------------------------------------------------------------

    def fill(self, schema: Any, name: str | None = None, depth: int = 0) -> tuple[Any, bool]:
        """Return ``(value, found)``; ``found`` is False for pure defaults."""
        if not isinstance(schema, dict) or depth > 12:
            return self._string({}, name)
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"], True
        if "enum" in schema and schema["enum"]:
            return self._enum(schema["enum"])
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                return self._union(schema[key], name, depth)
        if isinstance(schema.get("allOf"), list) and schema["allOf"]:
            merged = dict(schema)
            merged.pop("allOf")
            for part in schema["allOf"]:
                part = self._resolve(part) if isinstance(part, dict) else {}
                merged.setdefault("properties", {}).update(part.get("properties", {}))
                merged["required"] = list(merged.get("required", [])) + list(part.get("required", []))
                for k, v in part.items():
                    merged.setdefault(k, v)
            return self.fill(merged, name, depth + 1)
        type_ = schema.get("type")
        if isinstance(type_, list):
            non_null = [t for t in type_ if t != "null"]
            if not non_null:
                return None, True
            value, found = self.fill({**schema, "type": non_null[0]}, name, depth + 1)
            if not found and "null" in type_:
                return None, False
            return value, found
        if type_ is None:
            type_ = "object" if "properties" in schema else "array" if "items" in schema else "string"
        if type_ == "object":
            return self._object(schema, depth)
        if type_ == "array":
            return self._array(schema, name, depth)
        if type_ in ("integer", "number"):
            return self._number(schema, name, integer=type_ == "integer")
        if type_ == "boolean":
            return self._boolean(name)
        if type_ == "null":
            return None, True
        return self._string(schema, name)

    def _resolve(self, schema: dict) -> dict:
        seen = 0
        while isinstance(schema.get("$ref"), str) and seen < 20:
            target: Any = self.root
            for part in schema["$ref"].lstrip("#").strip("/").split("/"):
                if not part:
                    continue
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part, {}) if isinstance(target, dict) else {}
            extra = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **extra} if isinstance(target, dict) else extra
            seen += 1
        return schema

    # -- composite types -----------------------------------------------------

    def _object(self, schema: dict, depth: int) -> tuple[dict, bool]:
        props = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out: dict[str, Any] = {}
        any_found = False
        for prop, sub in props.items():
            value, found = self.fill(sub, prop, depth + 1)
            if prop in required or found:
                out[prop] = value
            any_found = any_found or found
        return out, any_found

    def _array(self, schema: dict, name: str | None, depth: int) -> tuple[list, bool]:
        items = self._resolve(schema.get("items") or {}) if isinstance(schema.get("items"), dict) else {}
        low = int(schema.get("minItems", 0) or 0)
        high = schema.get("maxItems")
        item_type = items.get("type")
        values: list[Any] = []
        found = False
        if item_type in ("integer", "number") and "enum" not in items:
            while self.numbers:
                values.append(self._number(items, None, integer=item_type == "integer")[0])
            found = bool(values)
        elif item_type == "string" and "enum" not in items and self.quoted:
            values = [v for _, v in self.quoted]
            self.quoted.clear()
            found = True
        elif "enum" in items:
            pattern_hits = [v for v in items["enum"] if mention_pattern(str(v)).search(self.prompt.last_user)]
            values, found = (pattern_hits, True) if pattern_hits else ([], False)
        if not values:
            value, found = self.fill(items, name, depth + 1)
            values = [value]
        while len(values) < low:
            values.append(self.fill(items, name, depth + 1)[0])
        if isinstance(high, int):
            values = values[:high]
        return values, found

    def _union(self, options: list, name: str | None, depth: int) -> tuple[Any, bool]:
        resolved = [self._resolve(o) if isinstance(o, dict) else {} for o in options]
        nullable = any(o.get("type") == "null" for o in resolved)
        non_null = [o for o in resolved if o.get("type") != "null"]
        if not non_null:
            return None, True
        # Prefer the branch for which the prompt offers a value, without
        # consuming values for the branches that are not taken.
        for option in non_null:
            if self._has_value_for(option, name):
                return self.fill(option, name, depth + 1)
        if nullable:
            return None, False
        return self.fill(non_null[0], name, depth + 1)

    def _has_value_for(self, schema: dict, name: str | None) -> bool:
        t = schema.get("type")
        if name and self._kv(name) is not None:
            return True
        if t in ("integer", "number"):
            return bool(self.numbers)
        if t == "string":
            return bool(self.quoted or self.caps or (self.after and self.after.strip()))
        if t in ("object", "array") or "properties" in schema:
            return True
        if t == "boolean":
            return bool(_TRUE.search(self.prompt.last_user) or _FALSE.search(self.prompt.last_user))
        return False

    # -- scalars -------------------------------------------------------------

    def _kv(self, name: str) -> tuple[int, str] | None:
        """``name: value`` / ``name = value`` / ``name is value`` in the prompt."""
        body = re.escape(name).replace("_", "[_ ]")
        m = re.search(
            rf"(?<![A-Za-z0-9_]){body}\s*(?:=|:|\bis\b)\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s,;?!)]+))",
            self.prompt.last_user,
            re.IGNORECASE,
        )
        if not m:
            return None
        for group in (1, 2, 3):
            if m.group(group) is not None:
                value = m.group(group)
                start = m.start(group) - (1 if group in (1, 2) else 0)
                return start, value.rstrip(".") if group == 3 else value
        return None

    def _drop(self, pool: list, start: int) -> None:
        pool[:] = [item for item in pool if item[0] != start]

    def _number(self, schema: dict, name: str | None, integer: bool) -> tuple[float | int, bool]:
        value: float | int | None = None
        if name and (kv := self._kv(name)) is not None:
            try:
                value = float(kv[1]) if "." in kv[1] else int(kv[1])
                self._drop(self.numbers, kv[0])
            except ValueError:
                value = None
        found = value is not None
        if value is None and self.numbers:
            value = self.numbers.pop(0)[1]
            found = True
        if value is None:
            value = 0
        if integer and isinstance(value, float):
            value = int(round(value))
        for bound, clamp in (("minimum", max), ("maximum", min)):
            if isinstance(schema.get(bound), (int, float)):
                value = clamp(value, schema[bound])
        if isinstance(schema.get("exclusiveMinimum"), (int, float)) and value <= schema["exclusiveMinimum"]:
            value = schema["exclusiveMinimum"] + 1
        if isinstance(schema.get("exclusiveMaximum"), (int, float)) and value >= schema["exclusiveMaximum"]:
            value = schema["exclusiveMaximum"] - 1
        return value, found

    def _boolean(self, name: str | None) -> tuple[bool, bool]:
        if name and (kv := self._kv(name)) is not None:
            if kv[1].lower() in ("true", "yes"):
                return True, True
            if kv[1].lower() in ("false", "no"):
                return False, True
        if _TRUE.search(self.prompt.last_user):
            return True, True
        if _FALSE.search(self.prompt.last_user):
            return False, True
        return False, False

    def _enum(self, options: list) -> tuple[Any, bool]:
        for source in (self.prompt.last_user, self.prompt.conversation):
            for option in options:
                if option is not None and mention_pattern(str(option)).search(source):
                    return option, True
        return options[0], False

    def _string(self, schema: dict, name: str | None) -> tuple[str, bool]:
        fmt = schema.get("format")
        value: str | None = None
        found = True
        if fmt in _FORMAT_DEFAULTS:
            m = _DATE.search(self.prompt.last_user) if fmt.startswith("date") else None
            value, found = (m.group(0), True) if m else (_FORMAT_DEFAULTS[fmt], False)
        elif name and (kv := self._kv(name)) is not None:
            value = kv[1]
            self._drop(self.quoted, kv[0])
        elif self.quoted:
            value = self.quoted.pop(0)[1]
        elif self.caps:
            value = self.caps.pop(0)[1]
        elif self.after:
            value, self.after = self.after, None
        else:
            value, found = echo(self.prompt.last_user) or "emulator", False
        max_len, min_len = schema.get("maxLength"), schema.get("minLength")
        if isinstance(max_len, int):
            value = value[:max_len]
        if isinstance(min_len, int) and len(value) < min_len:
            value = value + "x" * (min_len - len(value))
        return value, found
