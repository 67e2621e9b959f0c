"""Structured output: ``response_format: json_schema``, and streaming for both methods.

The default path needs nothing here: with ``is_function_calling_model`` True,
LlamaIndex's ``FunctionCallingProgram`` forces a tool call and validates its
arguments. This module is the opt-in alternative (``structured_output_method=
"json_schema"``) for endpoints that honour ``response_format`` (Gloo v2, and
Gravix Layer for "certain models": docs/providers.md#v2-request,
docs/providers.md#gravix-request): the schema goes in
the request and the answer text is validated against the pydantic class.

Streaming (``stream_structured_predict``, ``as_structured_llm(...).stream_chat``) is
ours for both methods: partial objects as the answer arrives, through the method the
user chose (LlamaIndex's own streaming program always forces a tool call), and a
refusal raises :class:`RefusalError` while streaming, where LlamaIndex's program
would yield empty partial objects and end without a word.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, AsyncIterator, Dict, Iterator, Optional, Type

from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from pydantic import BaseModel, ValidationError

from langchain_gloo_gravix.core.refusal import RefusalError, refusal_reason

if TYPE_CHECKING:  # pragma: no cover
    from llama_index.core.llms.function_calling import FunctionCallingLLM

__all__ = [
    "response_format_for",
    "parse_structured",
    "raise_if_refused",
    "StructuredStream",
    "stream_structured",
    "astream_structured",
]

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


class StructuredStream:
    """The decisions of one streamed structured prediction, shared by both drivers.

    ``json_schema``: the schema goes in ``response_format`` and partial objects are read
    from the growing answer text; otherwise the schema is a required tool and partial
    objects are read from its growing arguments. Responses are cumulative, so the last
    one seen tells whether the answer is a refusal; from the first sign of one nothing
    more is parsed, and :meth:`finish` raises.
    """

    def __init__(self, llm: "FunctionCallingLLM", output_cls: Type[BaseModel], json_schema: bool) -> None:
        self.llm = llm
        self.output_cls = output_cls
        self.json_schema = json_schema
        self.refusal: Optional[str] = None
        self.current: Any = None

    def request(self, messages: list[ChatMessage], llm_kwargs: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        """Keyword arguments for ``stream_chat`` (json_schema) or ``stream_chat_with_tools``."""
        kwargs = dict(llm_kwargs or {})
        if self.json_schema:
            return {"messages": messages, **kwargs, "response_format": response_format_for(self.output_cls)}
        from llama_index.core.program.function_program import get_function_tool

        kwargs.pop("tool_required", None)
        return {
            "tools": [get_function_tool(self.output_cls)],
            "chat_history": messages,
            "tool_required": True,
            "allow_parallel_tool_calls": False,
            **kwargs,
        }

    def partial(self, response: ChatResponse) -> Any:
        """The partial object after ``response``, or None when there is nothing new."""
        extra = response.additional_kwargs
        reason = refusal_reason(extra.get("refusal"), extra.get("finish_reason"))
        if reason is not None or self.refusal is not None:
            self.refusal = reason or self.refusal
            return None
        if self.json_schema:
            from llama_index.core.program.streaming_utils import process_streaming_content_incremental

            found = process_streaming_content_incremental(response, self.output_cls, self.current)
        else:
            from llama_index.core.program.utils import process_streaming_objects

            try:
                found = process_streaming_objects(
                    response, self.output_cls, cur_objects=self._current_list(), flexible_mode=True, llm=self.llm
                )
            except (ValueError, ValidationError):  # arguments that do not parse yet are no object yet
                return None
        if found is None or _same(found, self.current):
            return None
        self.current = found
        return found

    def _current_list(self) -> Optional[list[Any]]:
        return None if self.current is None else [self.current]

    def finish(self) -> None:
        if self.refusal is not None:
            raise RefusalError(
                f"the model refused to produce a {self.output_cls.__name__}: {self.refusal}", refusal=self.refusal
            )


def _same(a: Any, b: Any) -> bool:
    """Equal partial objects (LlamaIndex builds a new "Flexible" class per call, so ``==``
    between two empty partials is False)."""
    if a is None or b is None:
        return a is b
    dump = getattr(a, "model_dump", None)
    return type(a).__name__ == type(b).__name__ and dump is not None and dump() == b.model_dump()


def stream_structured(state: StructuredStream, messages: list[ChatMessage], llm_kwargs: Any) -> Iterator[Any]:
    kwargs = state.request(messages, llm_kwargs)
    llm = state.llm
    responses = llm.stream_chat(**kwargs) if state.json_schema else llm.stream_chat_with_tools(**kwargs)
    for response in responses:
        found = state.partial(response)
        if found is not None:
            yield found
    state.finish()


async def astream_structured(
    state: StructuredStream, messages: list[ChatMessage], llm_kwargs: Any
) -> AsyncIterator[Any]:
    kwargs = state.request(messages, llm_kwargs)
    llm = state.llm
    responses = await (llm.astream_chat(**kwargs) if state.json_schema else llm.astream_chat_with_tools(**kwargs))
    async for response in responses:
        found = state.partial(response)
        if found is not None:
            yield found
    state.finish()
