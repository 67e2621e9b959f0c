"""Structured output through ``response_format: json_schema``.

The default path needs nothing here: with ``is_function_calling_model`` True,
LlamaIndex's ``FunctionCallingProgram`` forces a tool call and validates its
arguments. This module is the opt-in alternative (``structured_output_method=
"json_schema"``) for endpoints that honour ``response_format`` (Gloo v2, and
Gravix Layer for "certain models": docs/providers.md#v2-request,
docs/providers.md#gravix-request): the schema goes in
the request and the answer text is validated against the pydantic class.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Type

from llama_index.core.base.llms.types import ChatResponse
from pydantic import BaseModel, ValidationError

from langchain_gloo_gravix.core.refusal import RefusalError, refusal_reason

__all__ = ["response_format_for", "parse_structured", "raise_if_refused"]

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n?(.*?)\n?```\s*$", re.DOTALL)
_NAME = re.compile(r"[^a-zA-Z0-9_-]")


def response_format_for(output_cls: Type[BaseModel]) -> Dict[str, Any]:
    """The ``response_format`` asking for a JSON object of ``output_cls``'s schema."""
    return {
        "type": "json_schema",
        "json_schema": {
            # OpenAI-style names allow [a-zA-Z0-9_-] only (generic models have brackets)
            "name": _NAME.sub("_", output_cls.__name__)[:64] or "output",
            "schema": output_cls.model_json_schema(),
        },
    }


def raise_if_refused(response: ChatResponse, wanted: str) -> None:
    """Raise :class:`RefusalError` (a ``ValueError``) with the refusal text when
    ``response`` is Gloo's typed refusal."""
    extra = response.additional_kwargs
    reason = refusal_reason(extra.get("refusal"), extra.get("finish_reason"))
    if reason is not None:
        raise RefusalError(f"the model refused to produce {wanted}: {reason}", refusal=reason)


def parse_structured(output_cls: Type[BaseModel], response: ChatResponse) -> BaseModel:
    """Validate the answer text as ``output_cls``; a clear ValueError otherwise."""
    raise_if_refused(response, f"a {output_cls.__name__}")
    text = response.message.content or ""
    fenced = _FENCE.match(text)
    if fenced:  # some models wrap JSON in a markdown fence despite response_format
        text = fenced.group(1)
    try:
        return output_cls.model_validate_json(text)
    except ValidationError as exc:
        raise ValueError(
            f"the model's answer is not a valid {output_cls.__name__}: {exc.errors(include_url=False)!r}; "
            f"answer was {text[:500]!r}"
        ) from exc
