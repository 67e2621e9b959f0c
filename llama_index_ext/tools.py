"""Tool calling glue: LlamaIndex tools and tool_choice in, ``ToolSelection`` out.

The core maps every tool_choice form to what an endpoint accepts (``"any"`` and
``True`` become ``"required"``; a tool name is forced, on Gloo v2 by narrowing
``tools`` to that one tool; no choice with tools sends ``"auto"``), so this module
only translates LlamaIndex's own knobs into those forms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Union

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole, ToolCallBlock
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json

from langchain_gloo_gravix.core.readers import tool_arguments

from .messages import legacy_tool_calls
from .structured import raise_if_refused

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

__all__ = ["tool_specs", "resolve_tool_choice", "prepare_tool_request", "get_tool_calls", "keep_first_tool_call"]


def tool_specs(tools: Sequence["BaseTool"], strict: bool = False) -> list[dict[str, Any]]:
    """OpenAI tool dicts; with ``strict``, ``strict: true`` goes *inside* each
    function (where OpenAI-style servers read it; Gloo's own client sends it
    there too, docs/providers.md#v2-request) and the parameters close to extra keys, as
    strict mode requires."""
    # skip_length_check: the 1,024-character description limit is OpenAI's, not Gloo's or Gravix's
    specs = [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools]
    if strict:
        for spec in specs:
            function = spec["function"]
            function["strict"] = True
            parameters = function.get("parameters")
            if isinstance(parameters, dict):
                function["parameters"] = {**parameters, "additionalProperties": False}
    return specs


def resolve_tool_choice(tool_choice: Any, tool_required: bool) -> Any:
    """LlamaIndex's ``tool_required`` / ``tool_choice`` -> the core's tool_choice.

    None leaves the choice to the core ("auto" when tools are sent).
    """
    if tool_choice is None:
        return "required" if tool_required else None
    if tool_required and tool_choice == "none":
        raise ValueError("tool_required=True contradicts tool_choice='none'")
    if tool_required and tool_choice == "auto":
        return "required"
    return tool_choice


def prepare_tool_request(
    tools: Sequence["BaseTool"],
    *,
    user_msg: Optional[Union[str, ChatMessage]] = None,
    chat_history: Optional[List[ChatMessage]] = None,
    allow_parallel_tool_calls: bool = False,
    tool_required: bool = False,
    tool_choice: Any = None,
    strict: bool = False,
    parallel_tool_calls: Optional[bool] = None,
    **kwargs: Any,
) -> Dict[str, Any]:
    """The ``chat()`` keyword arguments of a ``chat_with_tools`` call.

    ``parallel_tool_calls`` is the class setting: when set it is sent as is (by
    the request params); when not, ``allow_parallel_tool_calls=False`` sends
    ``false`` and ``True`` sends nothing. Why not always send it: no endpoint
    documents it on plain chat completions (Gloo v2 documents it on /grounded
    only, Gravix not at all: docs/providers.md#tools), parallel calls are
    every server's default, and some servers reject the field outright
    (llama_index#20865). ``false`` is worth sending because Gloo ignores unknown
    fields rather than failing, and extra calls are dropped client-side anyway
    (``keep_first_tool_call``).
    """
    # a copy: appending user_msg must not grow the caller's history list
    messages = list(chat_history or [])
    if isinstance(user_msg, str):
        user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
    if user_msg is not None:
        messages.append(user_msg)
    specs = tool_specs(tools, strict)
    prepared: Dict[str, Any] = {"messages": messages, **kwargs}
    if not specs:
        if tool_required or tool_choice not in (None, "auto", "none"):
            raise ValueError(
                f"tool_required={tool_required} / tool_choice={tool_choice!r} need at least one tool, got none"
            )
        return prepared  # no tools: send no tool_choice either (servers 400 on it)
    prepared["tools"] = specs
    choice = resolve_tool_choice(tool_choice, tool_required)
    if choice is not None:
        prepared["tool_choice"] = choice
    if not allow_parallel_tool_calls and parallel_tool_calls is None:
        prepared["parallel_tool_calls"] = False
    return prepared


def _is_final(response: ChatResponse) -> bool:
    # A non-streamed response has no delta; a streamed chunk is final once the
    # answer finished (responses.py sets the finish_reason key exactly then).
    return response.delta is None or "finish_reason" in response.additional_kwargs


def _calls(response: ChatResponse) -> list[tuple[Optional[str], Optional[str], Any]]:
    message = response.message
    blocks = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    if blocks:
        return [(b.tool_call_id, b.tool_name, b.tool_kwargs) for b in blocks]
    return legacy_tool_calls(message)  # messages built by hand or by other integrations


def _partial_arguments(arguments: Any) -> Optional[dict[str, Any]]:
    """What parses of arguments still streaming in; None when nothing usable yet."""
    if isinstance(arguments, dict):
        return arguments
    if not isinstance(arguments, str):
        return None
    if not arguments.strip():
        return {}
    try:
        value = parse_partial_json(arguments)
    except (ValueError, TypeError):
        return None
    return value if isinstance(value, dict) else None


def _final_arguments(name: str, call_id: Optional[str], arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, dict) or arguments is None:
        return arguments or {}
    text = arguments if isinstance(arguments, str) else str(arguments)
    value, problem = tool_arguments(text)  # the one reading (core.readers)
    if value is not None:
        return value
    raise ValueError(f"the model called tool {name!r} (id {call_id!r}) and its {problem}: {text!r}")


def get_tool_calls(response: ChatResponse, error_on_no_tool_call: bool = True) -> List[ToolSelection]:
    """Tool calls of a response or streamed chunk.

    On a chunk still streaming, calls whose arguments do not parse yet are left
    out and nothing raises. On a finished answer, arguments that are not a JSON
    object raise ``ValueError`` naming the tool and the raw text: an agent must
    not run a tool with ``{}`` the model never asked for.
    """
    final = _is_final(response)
    selections: list[ToolSelection] = []
    for call_id, name, arguments in _calls(response):
        if not name:
            if final:
                raise ValueError(
                    f"the model sent a tool call without a tool name (id {call_id!r}, arguments {arguments!r})"
                )
            continue
        kwargs: Optional[dict[str, Any]]
        if final:
            kwargs = _final_arguments(name, call_id, arguments)
        else:
            kwargs = _partial_arguments(arguments)
            if kwargs is None:
                continue
        selections.append(ToolSelection(tool_id=call_id or "", tool_name=name, tool_kwargs=kwargs))
    if not selections and error_on_no_tool_call:
        if final:
            raise_if_refused(response, "a tool call")
        text = response.message.content or ""
        raise ValueError(f"expected at least one tool call, but the model answered with text: {text[:200]!r}")
    return selections


def keep_first_tool_call(response: ChatResponse) -> ChatResponse:
    """Drop every tool call but the first (``allow_parallel_tool_calls=False``)."""
    message = response.message
    seen = False
    blocks = []
    for block in message.blocks:
        if isinstance(block, ToolCallBlock):
            if seen:
                continue
            seen = True
        blocks.append(block)
    message.blocks = blocks
    calls = message.additional_kwargs.get("tool_calls")
    if isinstance(calls, list) and len(calls) > 1:
        message.additional_kwargs["tool_calls"] = calls[:1]
    return response
