"""The ``tokenizer`` option, as OpenAILike has it: with no ``max_tokens``, let the answer take the room left.

OpenAILike's ``tokenizer`` (an object with ``encode(text)``, or a Hugging Face tokenizer name) makes each
call send ``max_tokens = context_window - prompt tokens``, and refuses a prompt that leaves no room
(docs/framework-notes.md). Ours does the same on chat and completion calls: the prompt is every message's
text (images and tool calls are not counted: the estimate is the user's tokenizer's, as in OpenAILike).
"""

from __future__ import annotations

from typing import Any, Sequence

from langchain_gloo_gravix.core.errors import ConfigurationError, ContextOverflowError

__all__ = ["check_tokenizer", "resolve_tokenizer", "answer_room"]


def check_tokenizer(tokenizer: Any) -> None:
    """Refuse, at construction, a value that can never encode."""
    if tokenizer is None or isinstance(tokenizer, str) and tokenizer.strip():
        return
    if isinstance(tokenizer, str) or not callable(getattr(tokenizer, "encode", None)):
        raise ConfigurationError(
            f"tokenizer must be an object with an encode(text) method or a Hugging Face tokenizer name, "
            f"got {type(tokenizer).__name__}"
        )


def resolve_tokenizer(tokenizer: Any) -> Any:
    """The encoder for ``tokenizer``: the object itself, or the named Hugging Face tokenizer."""
    if not isinstance(tokenizer, str):
        return tokenizer
    try:
        from transformers import AutoTokenizer  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ConfigurationError(
            f"tokenizer={tokenizer!r} names a Hugging Face tokenizer, which needs the 'transformers' package; "
            "install it or pass an object with an encode(text) method"
        ) from None
    return AutoTokenizer.from_pretrained(tokenizer)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def answer_room(encoder: Any, messages: Sequence[dict[str, Any]], context_window: int, largest_answer: int) -> int:
    """``context_window`` minus the prompt's tokens, at most ``largest_answer`` (OpenAILike has no such cap, so
    a short prompt asked for more than the model can write); a prompt that leaves no room is a
    ContextOverflowError."""
    used = sum(len(encoder.encode(_text(m.get("content")))) for m in messages)
    room = min(context_window - used, largest_answer)
    if room <= 0:
        raise ContextOverflowError(
            f"the prompt has {used} tokens (by the tokenizer given), which leaves no room for an answer in the "
            f"model's {context_window}-token context window; shorten the prompt"
        )
    return room
