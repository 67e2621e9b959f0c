"""Core results -> LlamaIndex ``ChatResponse`` / ``CompletionResponse``.

One message builder serves both a whole completion and every streamed chunk, so
the two paths cannot drift. What lands where:

- ``message.blocks``: a ``ThinkingBlock`` (reasoning), a ``TextBlock`` (answer)
  and one ``ToolCallBlock`` per call; ``message.additional_kwargs["tool_calls"]``
  repeats the calls in OpenAI shape for code written against that convention.
- ``raw``: the response (or chunk) as a dict whose ``usage`` is the token usage,
  which is where ``TokenCountingHandler`` and tracing integrations look.
- ``additional_kwargs``: ``prompt_tokens`` / ``completion_tokens`` /
  ``total_tokens`` (and ``cached_tokens`` when the server reports cache reads),
  ``finish_reason``, ``model``, ``service_tier``, Gloo v2 ``routing``, Gloo
  grounded ``grounding`` (``{"sources_returned", "citations"}``), the HTTP
  response ``headers`` when asked for (``include_response_headers``), ``cost``
  (``{"input", "output", "total", "currency"}``, decimal strings; Gloo models whose
  registry entry has prices; on a stream, its last chunk), and while
  streaming ``thinking_delta`` (read by ``FunctionAgent`` for ``AgentStream``).
- ``logprobs``: token log probabilities when requested, as LlamaIndex's
  ``LogProb`` lists (one list of alternatives per token). With ``n`` > 1 the
  response is the first choice; every choice is in ``raw["choices"]``.

A streamed chunk carries the cumulative message (agents read ``message`` on every
chunk) and its own ``delta``. Usage, routing and grounding are repeated on every chunk after
they arrive, so the last chunk always has them, whatever order the server used.

Tool-call arguments: while streaming they stay the raw (partial) JSON text; once
the answer is finished they are the parsed dict, or the raw text when it is not
a JSON object (``tools.get_tool_calls`` then raises rather than invent ``{}``).
The key ``finish_reason`` in ``additional_kwargs`` is present exactly when a
streamed chunk is final (the finishing chunk, and the one closing chunk with no new
text that carries ``cost`` after it, when the answer has a cost).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Optional, Sequence

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    LogProb,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

if TYPE_CHECKING:  # annotations only: the wire models load with the first call, not the import
    from langchain_gloo_gravix.core import ChatCompletion, StreamDelta, Usage

from langchain_gloo_gravix.core.readers import tool_arguments

from .messages import arguments_text

__all__ = ["assistant_message", "chat_response", "StreamAssembler", "completion_response", "final_arguments"]

Call = tuple[Optional[str], Optional[str], str]  # (id, name, arguments JSON text)


_CORE_MODULES: dict[str, Any] = {}


def _core(name: str) -> Any:
    """``langchain_gloo_gravix.core.<name>``, imported with the first answer (not at import) and then kept:
    an import statement in a function runs the import machinery on every call."""
    module = _CORE_MODULES.get(name)
    if module is None:
        module = _CORE_MODULES[name] = importlib.import_module(f"langchain_gloo_gravix.core.{name}")
    return module


def final_arguments(text: str) -> dict[str, Any] | str:
    """Parsed arguments of a finished call, or the raw text when they are not an object (the one reading:
    ``core.readers.tool_arguments``; ``""`` and ``"null"`` are a zero-argument tool's ``{}``)."""
    value, _ = tool_arguments(text)
    return text if value is None else value


def assistant_message(
    text: str, reasoning: str, calls: Sequence[Call], *, final: bool, reasoning_tokens: Optional[int] = None
) -> ChatMessage:
    blocks: list[Any] = []
    if reasoning or reasoning_tokens:
        blocks.append(ThinkingBlock(content=reasoning or None, num_tokens=reasoning_tokens))
    if text or not calls:
        blocks.append(TextBlock(text=text))
    wire_calls = []
    for i, (call_id, name, arguments) in enumerate(calls):
        # same synthetic id as messages._wire_call, so results still match the call
        call_id = call_id or f"call_{i}"
        blocks.append(
            ToolCallBlock(
                tool_call_id=call_id,
                tool_name=name or "",
                tool_kwargs=final_arguments(arguments) if final else arguments,
            )
        )
        wire_calls.append({"id": call_id, "type": "function", "function": {"name": name or "", "arguments": arguments}})
    extra = {"tool_calls": wire_calls} if wire_calls else {}
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def _usage_counts(usage: Optional[Usage]) -> dict[str, Any]:
    if usage is None:
        return {}
    counts: dict[str, Any] = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    # every cache / reasoning field the services send (core/usage_details.py), under OpenAI-style names
    details = _core("usage_details").token_details(usage)
    for key, value in (
        ("cached_tokens", details.cache_read),
        ("cache_creation_tokens", details.cache_creation),
        ("reasoning_tokens", details.reasoning),
        ("cache_hit_rate", details.cache_hit_rate),
    ):
        if value is not None:
            counts[key] = value
    return counts


def to_logprobs(logprobs: Any) -> Optional[list[list[LogProb]]]:
    """OpenAI ``choice.logprobs`` -> LlamaIndex's per-token lists (the alternatives
    when the server sent ``top_logprobs``, else the chosen token alone)."""
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not isinstance(content, list):
        return None
    out: list[list[LogProb]] = []
    for entry in content:
        if not isinstance(entry, dict):
            continue
        alternatives = entry.get("top_logprobs") or [entry]
        out.append(
            [
                LogProb(
                    token=str(alt.get("token", "")),
                    logprob=float(alt.get("logprob", 0.0)),
                    bytes=list(alt.get("bytes") or []),
                )
                for alt in alternatives
                if isinstance(alt, dict)
            ]
        )
    return out


def chat_response(
    completion: ChatCompletion, headers: Optional[dict[str, str]] = None, fallback_model: Optional[str] = None
) -> ChatResponse:
    """A whole (non-streamed) completion: its first choice (all are in ``raw``).

    ``additional_kwargs["model"]`` is the model that served the answer, or ``fallback_model`` (the
    requested model's display name) when the answer does not say, as LangChain's ``model_name``."""
    message = completion.message
    calls = [
        (call.id, call.function.name, arguments_text(call.function.arguments)) for call in (message.tool_calls or ())
    ]
    extra: dict[str, Any] = {**_usage_counts(completion.usage), "finish_reason": completion.finish_reason}
    model = completion.model or fallback_model
    if model:
        extra["model"] = model
    routing = completion.routing
    if routing is not None:
        extra["routing"] = routing.as_dict()
    grounding = completion.grounding
    if grounding is not None:  # Gloo grounded completions
        extra["grounding"] = grounding.as_dict()
    if message.refusal:
        extra["refusal"] = message.refusal
    if completion.service_tier:
        extra["service_tier"] = completion.service_tier
    if headers is not None:
        extra["headers"] = headers
    return ChatResponse(
        message=assistant_message(
            message.text, message.reasoning_text, calls, final=True, reasoning_tokens=extra.get("reasoning_tokens")
        ),
        raw=completion.model_dump(mode="json"),
        additional_kwargs=extra,
        logprobs=to_logprobs(completion.choices[0].logprobs) if completion.choices else None,
    )


class _PendingCall:
    __slots__ = ("id", "name", "arguments")

    def __init__(self) -> None:
        self.id: Optional[str] = None
        self.name: Optional[str] = None
        self.arguments = ""


class StreamAssembler:
    """Turns the core's deltas into cumulative ``ChatResponse`` chunks.

    The core already merges misbehaving tool-call deltas (repeated names, missing
    indexes); its fragments carry ``id``/``name`` once and only new argument text,
    so plain concatenation by ``index`` is correct here.

    Each chunk must carry the whole message so far (agents read it from every
    chunk), so the running text is kept as one string and extended: joining a
    growing list of fragments on every chunk made long streams quadratic in
    fragment count, not just in bytes.
    """

    def __init__(self, fallback_model: Optional[str] = None) -> None:
        #: reported on the final chunk when no chunk named the serving model (as LangChain's closing chunk)
        self.fallback_model = fallback_model
        self._text = ""
        self._reasoning = ""
        self._calls: dict[int, _PendingCall] = {}
        self.finish_reason: Optional[str] = None
        self.finished = False
        self.usage: Optional[Usage] = None
        self.routing: Optional[dict[str, Any]] = None
        self.grounding: Optional[dict[str, Any]] = None
        self.model: Optional[str] = None
        self.refusal: list[str] = []
        self.chunks = 0
        self.service_tier: Optional[str] = None
        #: what the answer cost (core/cost.py), set when the stream has ended
        self.cost: Optional[dict[str, str]] = None
        #: the response headers, set by the caller once the stream is open (when wanted)
        self.headers: Optional[dict[str, str]] = None

    def add(self, delta: StreamDelta) -> ChatResponse:
        self.chunks += 1
        if delta.content:
            self._text += delta.content
        if delta.reasoning:
            self._reasoning += delta.reasoning
        if delta.refusal:
            self.refusal.append(delta.refusal)
        for fragment in delta.tool_calls:
            call = self._calls.get(fragment.index)
            if call is None:
                call = self._calls[fragment.index] = _PendingCall()
            if fragment.id and call.id is None:
                call.id = fragment.id
            if fragment.name:
                call.name = (call.name or "") + fragment.name
            if fragment.arguments:
                call.arguments += fragment.arguments
        if delta.finish_reason:
            self.finish_reason = delta.finish_reason
            self.finished = True
        if delta.usage is not None:
            self.usage = delta.usage
        if delta.routing is not None:
            self.routing = delta.routing.as_dict()
        if delta.grounding is not None:
            self.grounding = delta.grounding.as_dict()
        if delta.model:
            self.model = delta.model
        tier = (delta.raw or {}).get("service_tier")
        if tier:
            self.service_tier = tier
        extra: dict[str, Any] = {}
        if delta.reasoning:
            extra["thinking_delta"] = delta.reasoning
        raw = dict(delta.raw or {})
        if self.usage is not None and not raw.get("usage"):
            raw["usage"] = self.usage.model_dump(mode="json")
        response = self._response(delta.content, raw, extra)
        response.logprobs = to_logprobs(delta.logprobs)  # this chunk's tokens
        return response

    def close(self) -> Optional[ChatResponse]:
        """A last chunk when the stream ended without a finish_reason (``[DONE]`` only).

        It carries the final message, so callers that keep the last chunk get
        parsed tool arguments and the usage; None when the last chunk was final.
        """
        if self.finished:
            return None
        self.finished = True
        raw: dict[str, Any] = {"usage": self.usage.model_dump(mode="json")} if self.usage else {}
        return self._response("", raw, {})

    def finish(self, cost: Optional[dict[str, str]]) -> Optional[ChatResponse]:
        """The chunk that ends the stream, if one is needed: :meth:`close`'s, or (when the answer
        has a ``cost``, known only once the stream has ended) one more chunk, with no new text,
        that carries it with everything else, so the last chunk always has it."""
        self.cost = cost
        if not self.finished:
            return self.close()
        if cost is None:
            return None
        raw: dict[str, Any] = {"usage": self.usage.model_dump(mode="json")} if self.usage else {}
        return self._response("", raw, {})

    def _response(self, delta_text: str, raw: dict[str, Any], extra: dict[str, Any]) -> ChatResponse:
        extra.update(_usage_counts(self.usage))
        if self.cost is not None:
            extra["cost"] = dict(self.cost)
        model = self.model or (self.fallback_model if self.finished else None)
        if model:
            extra["model"] = model
        if self.routing is not None:
            extra["routing"] = self.routing
        if self.grounding is not None:
            extra["grounding"] = self.grounding
        if self.refusal:
            extra["refusal"] = "".join(self.refusal)
        if self.service_tier:
            extra["service_tier"] = self.service_tier
        if self.headers is not None:
            extra["headers"] = self.headers
        if self.finished:
            extra["finish_reason"] = self.finish_reason
        calls = [(c.id, c.name, c.arguments) for _, c in sorted(self._calls.items())] if self._calls else []
        message = assistant_message(
            self._text, self._reasoning, calls, final=self.finished, reasoning_tokens=extra.get("reasoning_tokens")
        )
        return ChatResponse(message=message, delta=delta_text, raw=raw, additional_kwargs=extra)


def completion_response(response: ChatResponse) -> CompletionResponse:
    """The one chat -> completion conversion behind complete and its siblings."""
    return CompletionResponse(
        text=response.message.content or "",
        delta=response.delta,
        raw=response.raw,
        additional_kwargs=response.additional_kwargs,
        logprobs=response.logprobs,
    )


# -- cost (core/registry.py reads the prices; loaded with the first answer, not at import) ------


def answer_cost(client: Any, completion: Any, **keys: Any) -> Optional[dict[str, str]]:
    return _core("registry").answer_cost(client, completion, **keys)  # type: ignore[no-any-return]


async def aanswer_cost(client: Any, completion: Any, **keys: Any) -> Optional[dict[str, str]]:
    return await _core("registry").aanswer_cost(client, completion, **keys)  # type: ignore[no-any-return]


def with_cost(response: ChatResponse, cost: Optional[dict[str, str]]) -> ChatResponse:
    """``response`` with ``additional_kwargs["cost"]`` when the answer has one."""
    if cost is not None:
        response.additional_kwargs["cost"] = cost
    return response
