"""Request building and validation, pure and shared by every driver and adapter.

Every check raises ``ValueError`` before any request is sent, with a message that
names the field and the allowed values. Fields this module does not know pass
through untouched (top_p, seed, response_format, parallel_tool_calls, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from .endpoints import GLOO_MODEL_FAMILIES, GLOO_TRADITIONS, ROUTING_KEYS, Endpoint
from .errors import InvalidRequestError
from .grounding import normalize_grounding_params, reject_grounding_params
from .request_encoding import encode_json
from .tool_images import unsupported_images_note
from .warnings import warn

__all__ = [
    "ROUTING_KEYS",
    "merge_params",
    "check_response_format",
    "normalize_params",
    "build_body",
    "normalize_tool_choice",
    "encode_body",
    "PreparedCall",
    "prepare_call",
]

_V2_ONLY = ("auto_routing", "model_family", "tradition")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def merge_params(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Per-call ``overrides`` over configured ``base`` params (``None`` means unset).

    A call that picks a routing mechanism (say ``model=`` on a client configured
    for auto routing) switches that call to it: the configured mechanism is dropped
    instead of becoming a second one.
    """
    picked = {k: v for k, v in overrides.items() if v is not None}
    merged = {k: v for k, v in base.items() if v is not None}
    if any(picked.get(k) not in (None, False) for k in ROUTING_KEYS):
        for key in ROUTING_KEYS:
            if key not in picked:
                merged.pop(key, None)
    extra = {**(merged.pop("extra_body", None) or {}), **(picked.pop("extra_body", None) or {})}
    merged.update(picked)
    if extra:
        merged["extra_body"] = extra
    return merged


def check_response_format(endpoint: Endpoint) -> None:
    """Refuse ``response_format`` (JSON mode / JSON schema) where the endpoint does not document it:
    Gloo ignores fields it does not know, so it would be sent and silently not followed."""
    if not endpoint.supports_response_format:
        raise InvalidRequestError(
            f"response_format (JSON mode / JSON schema) is not supported by {endpoint.name}: it is not documented "
            "there and the server ignores it. Use structured output by tool calling instead "
            "(LangChain: with_structured_output(method='function_calling'); LlamaIndex: "
            "structured_output_method='function_calling'), or api_version='v2'"
        )


def _tool_name(tool: Any) -> Optional[str]:
    if isinstance(tool, Mapping):
        function = tool.get("function")
        if isinstance(function, Mapping):
            return function.get("name")
        return tool.get("name")
    return None


def normalize_tool_choice(
    endpoint: Endpoint, tools: Optional[Sequence[Any]], tool_choice: Any
) -> tuple[Optional[list[Any]], Any]:
    """Map every tool_choice form users pass to what ``endpoint`` understands.

    ``"any"`` and ``True`` mean "some tool must be called" (``"required"``); a tool
    name or ``{"type": "function", "function": {"name": ...}}`` forces that tool.
    With tools and no choice, ``"auto"`` is sent, because Gloo v2 defaults to
    ``"none"`` (docs/providers.md#v2-request). Gloo v2 has no named form, so a forced tool is
    sent as ``"required"`` with the tool list narrowed to that one tool.
    """
    tools = list(tools) if tools is not None else None
    if tool_choice is None or tool_choice is False:
        return tools, ("auto" if tools else None)
    if tool_choice is True or tool_choice == "any":
        tool_choice = "required"
    named: Optional[str] = None
    if isinstance(tool_choice, str):
        if tool_choice not in ("none", "auto", "required"):
            named = tool_choice
    elif isinstance(tool_choice, Mapping):
        function = tool_choice.get("function")
        if tool_choice.get("type") == "function" and isinstance(function, Mapping) and function.get("name"):
            named = function["name"]
        elif endpoint.tool_choices is not None:
            raise InvalidRequestError(
                f"tool_choice {dict(tool_choice)!r} is not supported by {endpoint.name}; "
                f"use one of {', '.join(endpoint.tool_choices)} or a tool name"
            )
    else:
        raise InvalidRequestError(f"tool_choice must be a string, a dict or a bool, got {type(tool_choice).__name__}")
    if named is None:
        if tool_choice in ("required",) and not tools:
            raise InvalidRequestError("tool_choice='required' needs at least one tool in tools")
        return tools, tool_choice
    if tools is not None:
        matching = [t for t in tools if _tool_name(t) == named]
        if not matching:
            names = ", ".join(str(_tool_name(t)) for t in tools)
            raise InvalidRequestError(f"tool_choice names {named!r}, which is not among the tools: {names}")
        if endpoint.tool_choices is not None:
            return matching, "required"
    elif endpoint.tool_choices is not None:
        raise InvalidRequestError(
            f"tool_choice {named!r} needs tools; {endpoint.name} forces a tool by narrowing tools"
        )
    return tools, {"type": "function", "function": {"name": named}}


def normalize_params(endpoint: Endpoint, params: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and normalise request params (everything but messages and stream)."""
    out = {k: v for k, v in params.items() if v is not None}
    if endpoint.routing:
        if out.get("auto_routing") is False:
            del out["auto_routing"]  # auto_routing=false is not a mechanism (docs/providers.md#exclusivity)
        chosen = [k for k in ROUTING_KEYS if k in out]
        if len(chosen) != 1:
            what = "none was given" if not chosen else f"got {' and '.join(chosen)}"
            raise InvalidRequestError(
                f"{endpoint.name} needs exactly one routing mechanism: auto_routing=True, "
                f"model=<gloo model id> or model_family=<{' | '.join(GLOO_MODEL_FAMILIES)}>; {what}"
            )
        if "auto_routing" in out and out["auto_routing"] is not True:
            raise InvalidRequestError(f"auto_routing must be True or False, got {out['auto_routing']!r}")
        if "model_family" in out:
            family = out["model_family"]
            if not isinstance(family, str) or not family.strip():
                raise InvalidRequestError(
                    f"model_family must be a non-empty string such as "
                    f"{', '.join(repr(f) for f in GLOO_MODEL_FAMILIES)}, got {family!r}"
                )
            # Open: Gloo's registry adds families (xAI, ...) before any release of ours; the documented
            # four are sent in the request enum's lower case, any other as given (registry.py warns when
            # the registry, once read, does not list it).
            documented = family.strip().lower()
            out["model_family"] = documented if documented in GLOO_MODEL_FAMILIES else family
        if "tradition" in out:
            tradition = out["tradition"]
            # The server silently ignores unknown traditions (docs/providers.md#traditions), so check here.
            if not isinstance(tradition, str) or tradition.strip().lower() not in GLOO_TRADITIONS:
                raise InvalidRequestError(
                    f"tradition must be one of {', '.join(GLOO_TRADITIONS)} (any case), got {tradition!r}"
                )
            out["tradition"] = tradition.strip().lower()
    else:
        for key in _V2_ONLY:
            if key in out and not (key == "auto_routing" and out[key] is False):
                raise InvalidRequestError(f"{key} is a Gloo v2 routing option; {endpoint.name} does not accept it")
        out.pop("auto_routing", None)
        if "model" not in out:
            if endpoint.default_model is None:
                example = f" (e.g. model={endpoint.example_model!r})" if endpoint.example_model else ""
                raise InvalidRequestError(f"model is required for {endpoint.name}{example}")
            out["model"] = endpoint.default_model
    # Grounded completions (docs/providers.md#grounded): their own fields, refused elsewhere.
    if endpoint.grounding:
        normalize_grounding_params(out)
    else:
        reject_grounding_params(endpoint.name, out)
    if "response_format" in out:
        check_response_format(endpoint)
    if "model" in out and (not isinstance(out["model"], str) or not out["model"].strip()):
        raise InvalidRequestError(f"model must be a non-empty string, got {out['model']!r}")
    if "temperature" in out:
        t = out["temperature"]
        if not _is_number(t) or not 0 <= t <= endpoint.temperature_max:
            raise InvalidRequestError(
                f"temperature must be a number from 0 to {endpoint.temperature_max:g} for {endpoint.name}, got {t!r}"
            )
    if "max_tokens" in out:
        m = out["max_tokens"]
        if not isinstance(m, int) or isinstance(m, bool) or m < 1:
            raise InvalidRequestError(f"max_tokens must be an integer >= 1, got {m!r}")
    if "top_p" in out and (not _is_number(out["top_p"]) or not 0 <= out["top_p"] <= 1):
        raise InvalidRequestError(f"top_p must be a number from 0 to 1, got {out['top_p']!r}")
    _check_openai_fields(out)
    if "stop" in out:
        stop = out["stop"]
        if isinstance(stop, str):
            pass
        elif isinstance(stop, (list, tuple)) and all(isinstance(s, str) for s in stop):
            out["stop"] = list(stop)
            if not stop:
                del out["stop"]
        else:
            raise InvalidRequestError(f"stop must be a string or a list of strings, got {stop!r}")
    if "tools" in out or "tool_choice" in out:
        tools, choice = normalize_tool_choice(endpoint, out.get("tools"), out.get("tool_choice"))
        if tools is None:
            out.pop("tools", None)
        else:
            out["tools"] = tools
        if choice is None:
            out.pop("tool_choice", None)
        else:
            if endpoint.tool_choices is not None and isinstance(choice, str) and choice not in endpoint.tool_choices:
                raise InvalidRequestError(
                    f"tool_choice must be one of {', '.join(endpoint.tool_choices)} for {endpoint.name}, got {choice!r}"
                )
            out["tool_choice"] = choice
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_openai_fields(out: Mapping[str, Any]) -> None:
    """OpenAI's documented ranges for the optional fields (the servers accept or ignore them)."""
    for key in ("n", "max_completion_tokens"):
        if key in out and (not _is_int(out[key]) or out[key] < 1):
            raise InvalidRequestError(f"{key} must be an integer >= 1, got {out[key]!r}")
    for key in ("frequency_penalty", "presence_penalty"):
        if key in out and (not _is_number(out[key]) or not -2 <= out[key] <= 2):
            raise InvalidRequestError(f"{key} must be a number from -2 to 2, got {out[key]!r}")
    if "top_logprobs" in out and (not _is_int(out["top_logprobs"]) or not 0 <= out["top_logprobs"] <= 20):
        raise InvalidRequestError(f"top_logprobs must be an integer from 0 to 20, got {out['top_logprobs']!r}")
    for key in ("logprobs", "parallel_tool_calls"):
        if key in out and not isinstance(out[key], bool):
            raise InvalidRequestError(f"{key} must be True or False, got {out[key]!r}")


def _check_messages(messages: Any) -> list[Any]:
    if not isinstance(messages, (list, tuple)) or not messages:
        raise InvalidRequestError("messages must be a non-empty list of {'role': ..., 'content': ...} dicts")
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping) or not isinstance(message.get("role"), str):
            raise InvalidRequestError(f"messages[{i}] must be a dict with a 'role' string, got {message!r}")
    return list(messages)


def build_body(
    endpoint: Endpoint,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    *,
    stream: bool,
    include_usage: bool = True,
) -> dict[str, Any]:
    """The JSON body: validated params, messages, stream flags, then ``extra_body``."""
    params = dict(params)
    if params.get("stream"):
        raise InvalidRequestError("stream=True is not a request option here: call stream() for a streamed answer")
    extra = params.pop("extra_body", None) or {}
    body = normalize_params(endpoint, params)
    if "tools" not in body and not endpoint.parallel_tool_calls_without_tools:
        # a model-level option, meant for calls with tools; OpenAI-style servers refuse it without them
        body.pop("parallel_tool_calls", None)
    body["messages"] = _check_messages(messages)
    if stream:
        body["stream"] = True
        if include_usage and "stream_options" not in body:
            body["stream_options"] = {"include_usage": True}
    else:
        body.pop("stream_options", None)
    if extra:
        body.update(extra)
    return body


def encode_body(body: Mapping[str, Any]) -> bytes:
    """The JSON bytes of a request body: compact, UTF-8 as is (``ensure_ascii=False``); a lone surrogate or a
    structure too deep for json is an :class:`InvalidRequestError` naming where (request_encoding.py)."""
    return encode_json(body)


@dataclass(frozen=True)
class PreparedCall:
    """One chat call, decided once: what it asks for and the body that says so.

    Built by :func:`prepare_call`, for ``Client.create`` / ``stream`` and for the adapters alike (which then
    send it with ``create_prepared`` / ``stream_prepared``), so that a call's parameters are merged, checked
    and encoded in one pass and read back from here, never worked out a second time.
    """

    #: the call's params over the configured ones (:func:`merge_params`): what the call asks for
    params: Mapping[str, Any]
    #: the JSON body as a dict, and as the bytes sent
    payload: dict[str, Any]
    body: bytes
    stream: bool
    #: the name reported for the model until an answer names the one that served it (Endpoint.display_model)
    requested_model: str
    #: what pricing the answer needs besides the answer (``registry.answer_cost`` keywords): the requested model
    #: id (used when the answer names none) and the family (warned about when the registry does not list it)
    cost_keys: Mapping[str, Any]


def prepare_call(
    endpoint: Endpoint,
    messages: Any,
    configured: Mapping[str, Any],
    call: Mapping[str, Any],
    *,
    stream: bool,
    include_usage: bool,
    note_images: bool = False,
) -> PreparedCall:
    """A call's ``params`` (``call`` merged over ``configured``, :func:`merge_params`), checked and built
    (:func:`build_body`) and encoded (:func:`encode_body`).

    ``note_images``: warn (:class:`~.warnings.GlooGravixWarning`) when the messages carry images and the
    route's catalog profile says it takes none; the adapters ask for it, the images are sent all the same."""
    params = merge_params(configured, call) if configured else call
    if note_images:
        note = unsupported_images_note(messages, params, endpoint=endpoint.name, routing=endpoint.routing)
        if note is not None:
            warn(note)
    payload = build_body(endpoint, messages, params, stream=stream, include_usage=include_usage)
    cost_keys = {"requested_model": params.get("model"), "model_family": params.get("model_family")}
    return PreparedCall(params, payload, encode_body(payload), stream, endpoint.display_model(params), cost_keys)
