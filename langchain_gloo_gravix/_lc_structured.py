"""``with_structured_output`` for both chat models.

Three methods, as LangChain users expect:

- ``function_calling`` (default): the schema becomes a forced tool; works on every
  endpoint, since Gloo translates tools for each provider it routes to.
- ``json_mode``: ``response_format={"type": "json_object"}``; the prompt must ask for JSON.
- ``json_schema``: ``response_format`` with the JSON schema, for models that support it.

Every method binds ``ls_structured_output_format`` so tracing (and the standard
tests) see the schema. A refusal (Gloo's ``message.refusal`` with
``finish_reason: "content_filter"``) raises :class:`StructuredOutputRefusalError`
with the refusal text before any parser runs, for every method; with
``include_raw=True`` it is reported as the ``parsing_error``.

Streaming streams: ``.stream()`` / ``.astream()`` yield partial objects as the answer
arrives, as ChatOpenAI's parsers do. The refusal check is a pass-through generator
(a plain ``RunnableLambda`` would collect the whole stream before the parser saw any
of it). With ``include_raw=True`` the stream is ``{"raw": chunk}`` pieces as they
arrive, ``{"parsed": partial}`` whenever the partial object changes, and a last
``{"parsed": ..., "parsing_error": ...}``; the pieces are :class:`RawStreamPiece`s,
whose ``+`` adds ``raw`` and lets a later ``parsed`` replace an earlier one, so a
stream added up (as LangChain does for ``invoke`` and for non-streaming steps after
this one) is exactly what ``invoke`` returns.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Iterator, Optional, Union

from langchain_core.exceptions import OutputParserException
from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import (
    JsonOutputKeyToolsParser,
    JsonOutputParser,
    PydanticOutputParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGeneration
from langchain_core.runnables import Runnable, RunnableGenerator, RunnableMap
from langchain_core.runnables.utils import AddableDict
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from .core.refusal import RefusalError, refusal_reason

__all__ = ["structured_output_runnable", "StructuredOutputRefusalError", "RawStreamPiece"]

_METHODS = ("function_calling", "json_mode", "json_schema")


class StructuredOutputRefusalError(RefusalError, OutputParserException):
    """The model refused, so there is no structured output; ``refusal`` is its reason."""

    def __init__(self, message: str, *, refusal: Optional[str] = None, llm_output: Optional[str] = None) -> None:
        RefusalError.__init__(self, message, refusal=refusal)
        self.llm_output = llm_output
        self.observation = None
        self.send_to_llm = False


class _RefusalGate:
    """Watches one answer, whole or in chunks, for Gloo's typed refusal.

    The refusal text may arrive over several chunks and ``finish_reason`` only on the last
    one, so the verdict is taken at the end (:meth:`check`); from the first sign of a
    refusal on, nothing more is passed to a parser (which could only fail on it).
    """

    __slots__ = ("refusal", "finish_reason", "text")

    def __init__(self) -> None:
        self.refusal: list[str] = []
        self.finish_reason: Optional[str] = None
        self.text: list[str] = []

    def passes(self, message: BaseMessage) -> bool:
        """Record ``message``; False once the answer is known to be a refusal."""
        refusal = message.additional_kwargs.get("refusal")
        if refusal:
            self.refusal.append(str(refusal))
        finish = (getattr(message, "response_metadata", None) or {}).get("finish_reason")
        if finish:
            self.finish_reason = finish
        self.text.append(message.text)
        return not self.refusal and self.finish_reason != "content_filter"

    def check(self) -> None:
        reason = refusal_reason("".join(self.refusal) or None, self.finish_reason)
        if reason is not None:
            raise StructuredOutputRefusalError(
                f"the model refused to produce structured output: {reason}",
                refusal=reason,
                llm_output="".join(self.text),
            )


def _gate(messages: Iterator[BaseMessage]) -> Iterator[BaseMessage]:
    gate = _RefusalGate()
    for message in messages:
        if gate.passes(message):
            yield message
    gate.check()


async def _agate(messages: AsyncIterator[BaseMessage]) -> AsyncIterator[BaseMessage]:
    gate = _RefusalGate()
    async for message in messages:
        if gate.passes(message):
            yield message
    gate.check()


_REFUSAL_CHECK = RunnableGenerator(_gate, _agate, name="reject_refusal")


class RawStreamPiece(AddableDict):
    """One piece of an ``include_raw=True`` stream (see the module docstring): ``raw``
    pieces add up, a later ``parsed`` / ``parsing_error`` replaces an earlier one."""

    def __add__(self, other: AddableDict) -> RawStreamPiece:  # type: ignore[override]
        merged = RawStreamPiece(self)
        for key, value in other.items():
            if key == "raw" and merged.get("raw") is not None and value is not None:
                merged["raw"] = merged["raw"] + value
            else:
                merged[key] = value
        return merged


class _RawAndParsed:
    """The decisions of an ``include_raw=True`` stream, once for both drivers."""

    __slots__ = ("parser", "gate", "answer", "last")

    def __init__(self, parser: Any) -> None:
        self.parser = parser
        self.gate = _RefusalGate()
        self.answer: Optional[BaseMessage] = None
        self.last: Any = None

    def feed(self, piece: dict) -> Iterator[RawStreamPiece]:
        raw = piece.get("raw")
        if raw is None:
            return
        yield RawStreamPiece(raw=raw)
        self.answer = raw if self.answer is None else self.answer + raw  # type: ignore[operator]
        if not self.gate.passes(raw):
            return
        try:
            partial = self.parser.parse_result([ChatGeneration(message=self.answer)], partial=True)
        except Exception:  # noqa: BLE001 -- a partial answer that does not parse yet is no answer yet
            return
        if partial is not None and partial != self.last:
            self.last = partial
            yield RawStreamPiece(parsed=partial)

    def finish(self) -> RawStreamPiece:
        try:
            if self.answer is None:
                raise OutputParserException("the model returned no message to parse")
            self.gate.check()
            parsed = self.parser.parse_result([ChatGeneration(message=self.answer)])
        except Exception as exc:  # noqa: BLE001 -- include_raw reports every parse failure as data
            return RawStreamPiece(parsed=None, parsing_error=exc)
        return RawStreamPiece(parsed=parsed, parsing_error=None)


def _include_raw(parser: Any) -> Runnable:
    def stream(pieces: Iterator[dict]) -> Iterator[RawStreamPiece]:
        state = _RawAndParsed(parser)
        for piece in pieces:
            yield from state.feed(piece)
        yield state.finish()

    async def astream(pieces: AsyncIterator[dict]) -> AsyncIterator[RawStreamPiece]:
        state = _RawAndParsed(parser)
        async for piece in pieces:
            for out in state.feed(piece):
                yield out
        yield state.finish()

    return RunnableGenerator(stream, astream, name="parse_structured_output")


def _is_pydantic(schema: Any) -> bool:
    return isinstance(schema, type) and is_basemodel_subclass(schema)


def structured_output_runnable(
    model: Any,
    schema: Optional[Union[dict, type]],
    *,
    method: str,
    include_raw: bool,
    strict: Optional[bool],
    **kwargs: Any,
) -> Runnable:
    if kwargs:
        raise ValueError(f"with_structured_output got unexpected arguments: {', '.join(sorted(kwargs))}")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}, got {method!r}")
    if schema is None and method != "json_mode":
        raise ValueError(f"schema is required for method={method!r}")
    pydantic = _is_pydantic(schema)
    trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
    if method == "function_calling":
        tool = convert_to_openai_tool(schema, strict=strict)  # type: ignore[arg-type]  # None refused above
        name = tool["function"]["name"]
        llm = model.bind_tools([tool], tool_choice=name, ls_structured_output_format=trace)
        parser: Runnable = (
            PydanticToolsParser(tools=[schema], first_tool_only=True)
            if pydantic
            else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
        )
    elif method == "json_mode":
        llm = model.bind(response_format={"type": "json_object"}, ls_structured_output_format=trace)
        parser = PydanticOutputParser(pydantic_object=schema) if pydantic else JsonOutputParser()
    else:
        json_schema = convert_to_json_schema(schema)  # type: ignore[arg-type]  # None refused above
        response_format = {
            "type": "json_schema",
            "json_schema": {
                "name": json_schema.get("title", "output"),
                "schema": json_schema,
                **({"strict": strict} if strict is not None else {}),
            },
        }
        llm = model.bind(response_format=response_format, ls_structured_output_format=trace)
        parser = PydanticOutputParser(pydantic_object=schema) if pydantic else JsonOutputParser()
    if not include_raw:
        return llm | _REFUSAL_CHECK | parser
    return RunnableMap(raw=llm) | _include_raw(parser)
