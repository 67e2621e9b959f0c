"""A server's model list: Gloo's public registry or an OpenAI-style ``{"data": [...]}``, read leniently."""

from __future__ import annotations

import json
import logging
from typing import Any, Optional

from pydantic import ValidationError

from .error_text import describe_body
from .errors import MalformedResponseError
from .readers import read_bool, read_id, read_int, read_str, read_str_list
from .wire import _Open

__all__ = ["ModelInfo", "parse_models"]

logger = logging.getLogger("langchain_gloo_gravix")


class ModelInfo(_Open):
    """One entry of a model list (Gloo's registry or an OpenAI-style list)."""

    _readers = {
        "id": read_id,
        "name": read_str,
        "family": read_str,
        "context_window": read_int,
        "max_output_tokens": read_int,
        "supports_tools": read_bool,
        "supports_streaming": read_bool,
        "supports_reasoning": read_bool,
        "supports_vision": read_bool,
        "input_modalities": read_str_list,
        "output_modalities": read_str_list,
        "owned_by": read_str,
    }

    id: str
    name: Optional[str] = None
    family: Optional[str] = None
    context_window: Optional[int] = None
    max_output_tokens: Optional[int] = None
    supports_tools: Optional[bool] = None
    supports_streaming: Optional[bool] = None
    supports_reasoning: Optional[bool] = None
    supports_vision: Optional[bool] = None
    input_modalities: Optional[list[str]] = None
    output_modalities: Optional[list[str]] = None
    owned_by: Optional[str] = None

    @property
    def supports_chat(self) -> bool:
        """False for image-only models, which reject chat completions."""
        return not self.output_modalities or "text" in self.output_modalities


def parse_models(raw: bytes, *, endpoint: Optional[str] = None) -> list[ModelInfo]:
    """A model list (Gloo's registry or OpenAI's ``{"data": [...]}``); an entry that
    cannot be read is skipped with a warning instead of failing the whole list."""
    try:
        payload: Any = json.loads(raw)
    except (ValueError, RecursionError, OverflowError):
        raise MalformedResponseError(
            f"model list is not JSON: {describe_body(raw)}", endpoint=endpoint, code="malformed_model_list"
        ) from None
    entries = payload.get("data") if isinstance(payload, dict) else payload
    if not isinstance(entries, list):
        raise MalformedResponseError(
            f"model list is not a list: {describe_body(raw)}", endpoint=endpoint, code="malformed_model_list"
        )
    models: list[ModelInfo] = []
    skipped = 0
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("id"):
            skipped += 1
            continue
        try:
            models.append(ModelInfo.read(entry))
        except (ValidationError, ValueError, RecursionError):
            skipped += 1
    if skipped:
        logger.warning("%s model list: skipped %d entries that could not be read", endpoint or "model list", skipped)
    return models
