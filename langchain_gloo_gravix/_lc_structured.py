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
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any, Optional, Union

from langchain_core.exceptions import OutputParserException
from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import (
    JsonOutputKeyToolsParser,
    JsonOutputParser,
    PydanticOutputParser,
    PydanticToolsParser,
)
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from .core.refusal import RefusalError, refusal_reason

__all__ = ["structured_output_runnable", "StructuredOutputRefusalError"]

_METHODS = ("function_calling", "json_mode", "json_schema")


class StructuredOutputRefusalError(RefusalError, OutputParserException):
    """The model refused, so there is no structured output; ``refusal`` is its reason."""

    def __init__(self, message: str, *, refusal: Optional[str] = None, llm_output: Optional[str] = None) -> None:
        RefusalError.__init__(self, message, refusal=refusal)
        self.llm_output = llm_output
        self.observation = None
        self.send_to_llm = False


def _reject_refusal(message: BaseMessage) -> BaseMessage:
    """Pass ``message`` on, or raise when it is a refusal."""
    metadata = getattr(message, "response_metadata", None) or {}
    reason = refusal_reason(message.additional_kwargs.get("refusal"), metadata.get("finish_reason"))
    if reason is not None:
        raise StructuredOutputRefusalError(
            f"the model refused to produce structured output: {reason}", refusal=reason, llm_output=message.text
        )
    return message


_REFUSAL_CHECK = RunnableLambda(_reject_refusal, name="reject_refusal")


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
    parser = _REFUSAL_CHECK | parser
    if not include_raw:
        return llm | parser
    parse = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
    on_error = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parse.with_fallbacks([on_error], exception_key="parsing_error")
