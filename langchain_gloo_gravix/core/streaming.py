"""Pure stream accumulation: decoded chunks in, typed deltas and a final completion out.

The accumulator tolerates what real OpenAI-compatible servers send for tool calls
(frameworks.md section 4, provider-apis 7.5):

- ``id`` and ``function.name`` repeated in every delta (not concatenated again);
- a missing ``index`` (routed by ``id``, else continues the latest call);
- several calls in one delta, or parallel calls that all claim ``index: 0``
  (a new ``id`` at a known index starts a new call);
- a whole call in one delta, and ``arguments`` sent as an object, not a string;
- empty or ``null`` arguments for a zero-argument tool (become ``{}``).

Text and argument fragments are kept as lists and joined once, so the cost per
chunk does not grow with the length of the stream.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from .errors import StreamError
from .grounding_result import Grounding, grounding_from_chunk
from .wire import (
    ChatCompletion,
    Choice,
    FunctionCall,
    Message,
    Routing,
    StreamDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)

__all__ = ["StreamAccumulator", "completion_to_delta"]

_ROUTING_KEYS = ("provider", "model_family", "auto_routing", "routing_mechanism",
                 "routing_tier", "routing_confidence", "tradition")


class _Call:
    __slots__ = ("index", "id", "name", "parts", "upstream_index")

    def __init__(self, index: int, upstream_index: Optional[int]) -> None:
        self.index = index
        self.id: Optional[str] = None
        self.name: Optional[str] = None
        self.parts: list[str] = []
        self.upstream_index = upstream_index

    def arguments(self) -> str:
        text = "".join(self.parts).strip()
        # A zero-argument tool may stream "" or "null"; both mean no arguments.
        return "{}" if text in ("", "null") else text


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


class StreamAccumulator:
    """Feed decoded chunks with :meth:`add`; read :meth:`completion` at the end."""

    def __init__(self, *, endpoint: Optional[str] = None) -> None:
        self.endpoint = endpoint
        self.id: Optional[str] = None
        self.model: Optional[str] = None
        self.created: Optional[int] = None
        self.system_fingerprint: Optional[str] = None
        self.finish_reason: Optional[str] = None
        self.usage: Optional[Usage] = None
        self.routing: Optional[Routing] = None
        self.grounding: Optional[Grounding] = None
        self._grounding_fields: dict[str, Any] = {}
        self.chunks = 0
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._refusal: list[str] = []
        self._calls: list[_Call] = []
        self._by_id: dict[str, _Call] = {}
        self._by_upstream: dict[int, _Call] = {}

    # -- per chunk -------------------------------------------------------------------

    def add(self, chunk: dict[str, Any]) -> StreamDelta:
        """Account for one chunk and return what it added.

        Raises :class:`StreamError` for an in-stream error event (Gloo sends
        ``finish_reason: "error"`` plus an ``error`` object; provider-apis 3.4).
        """
        self.chunks += 1
        delta = StreamDelta(raw=chunk)
        if self.id is None:
            self.id = chunk.get("id")
            self.created = chunk.get("created")
        model = chunk.get("model")
        if model:
            self.model = delta.model = model
        delta.id = self.id
        fingerprint = chunk.get("system_fingerprint")
        if fingerprint:
            self.system_fingerprint = delta.system_fingerprint = fingerprint
        for key in _ROUTING_KEYS:
            if key in chunk:
                routing = Routing.from_payload(chunk)
                self.routing = delta.routing = routing.merged(self.routing) if routing else self.routing
                break
        grounding = grounding_from_chunk(chunk, self._grounding_fields)
        if grounding is not None:
            self.grounding = delta.grounding = grounding
        usage = chunk.get("usage")
        if usage:
            self.usage = delta.usage = Usage.model_validate(usage)
        choices = chunk.get("choices")
        if choices:
            for choice in choices:
                if choice.get("index", 0) == 0:
                    self._add_choice(choice, delta, chunk)
        if chunk.get("error") is not None and self.finish_reason != "error":
            self._raise_stream_error(chunk)
        return delta

    def _add_choice(self, choice: dict[str, Any], delta: StreamDelta, chunk: dict[str, Any]) -> None:
        # ``message`` instead of ``delta`` appears when a server answers a stream
        # request with whole messages; treat it the same.
        body = choice.get("delta") or choice.get("message") or {}
        if body:
            content = body.get("content")
            if content:
                text = content if type(content) is str else _content_text(content)
                if text:
                    delta.content = text
                    self._text.append(text)
            reasoning = body.get("reasoning_content") or body.get("reasoning")
            if reasoning and isinstance(reasoning, str):
                delta.reasoning = reasoning
                self._reasoning.append(reasoning)
            role = body.get("role")
            if role:
                delta.role = role
            refusal = body.get("refusal")
            if refusal:
                delta.refusal = refusal
                self._refusal.append(refusal)
            calls = body.get("tool_calls")
            if calls:
                fragments = [f for f in map(self._add_tool_entry, calls) if f is not None]
                if fragments:
                    delta.tool_calls = fragments
        if choice.get("logprobs") is not None:
            delta.logprobs = choice["logprobs"]
        finish = choice.get("finish_reason")
        if finish:
            self.finish_reason = delta.finish_reason = finish
            if finish == "error":
                self._raise_stream_error(chunk)

    def _raise_stream_error(self, chunk: dict[str, Any]) -> None:
        error = chunk.get("error")
        info = error if isinstance(error, dict) else {"message": error}
        code = info.get("name") or info.get("code") or info.get("type")
        retryable = info.get("retryable")
        raise StreamError(
            f"stream failed: {info.get('message') or 'error event without a message'}",
            endpoint=self.endpoint,
            code=code,
            server_message=info.get("message"),
            request_id=info.get("request_id") or info.get("trace_id"),
            body=chunk,
            retryable=retryable if isinstance(retryable, bool) else None,
            partial_text=self.text,
            fault=info.get("fault"),
        )

    # -- tool calls --------------------------------------------------------------------

    def _new_call(self, upstream_index: Optional[int]) -> _Call:
        call = _Call(len(self._calls), upstream_index)
        self._calls.append(call)
        if upstream_index is not None:
            self._by_upstream[upstream_index] = call
        return call

    def _route(self, entry: dict[str, Any], call_id: Optional[str], name: Optional[str]) -> _Call:
        upstream = entry.get("index")
        if not isinstance(upstream, int):
            upstream = None
        if call_id:
            known = self._by_id.get(call_id)
            if known is not None:
                return known
            at_index = self._by_upstream.get(upstream) if upstream is not None else None
            if at_index is not None and at_index.id is None:
                return at_index  # the first delta of this call lacked its id
            return self._new_call(upstream)  # a new id, even at a reused index
        if upstream is not None:
            return self._by_upstream.get(upstream) or self._new_call(upstream)
        last = self._calls[-1] if self._calls else None
        if last is None or (name and last.name and name != last.name and not name.startswith(last.name)):
            return self._new_call(None)
        return last

    def _add_tool_entry(self, entry: dict[str, Any]) -> Optional[ToolCallDelta]:
        function = entry.get("function") or {}
        call_id = entry.get("id") or None
        name = function.get("name") or None
        call = self._route(entry, call_id, name)
        fragment = ToolCallDelta(index=call.index)
        if call_id and call.id is None:
            call.id = fragment.id = call_id
            self._by_id[call_id] = call
        if name:
            if call.name is None:
                call.name = fragment.name = name
            elif name.startswith(call.name) and name != call.name:
                # a server resending the cumulative name: emit only what is new
                fragment.name = name[len(call.name):]
                call.name = name
            elif not call.name.endswith(name) and not call.name.startswith(name):
                call.name += name  # a genuine name fragment
                fragment.name = name
        arguments = function.get("arguments")
        if arguments is not None:
            if isinstance(arguments, str):
                if arguments.strip() == "null" and not call.parts:
                    # A zero-argument tool sent as "null": completion() already
                    # reports "{}", and emitting the "null" fragment would make
                    # LangChain's by-index concatenation parse to None (an
                    # invalid tool call). Emit nothing; "" means {} downstream.
                    pass
                elif arguments:
                    call.parts.append(arguments)
                    fragment.arguments = arguments
            elif not call.parts:
                # arguments sent as a JSON object rather than a string (Ollama)
                text = json.dumps(arguments, ensure_ascii=False)
                call.parts.append(text)
                fragment.arguments = text
        if fragment.id is None and fragment.name is None and not fragment.arguments:
            return None
        return fragment

    # -- results -------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return "".join(self._text)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [
            ToolCall(
                id=call.id,
                type="function",
                function=FunctionCall(name=call.name or "", arguments=call.arguments()),
            )
            for call in self._calls
        ]

    def completion(self) -> ChatCompletion:
        """The whole response as if it had not been streamed."""
        calls = self.tool_calls
        text = self.text
        message = Message(
            role="assistant",
            content=text if text or not calls else None,
            tool_calls=calls or None,
            refusal="".join(self._refusal) or None,
            reasoning_content=self.reasoning or None,
        )
        extra: dict[str, Any] = self.routing.as_dict() if self.routing else {}
        extra.pop("model", None)
        extra.update(self._grounding_fields)  # as received: citations keep their shape
        return ChatCompletion(
            id=self.id,
            object="chat.completion",
            created=self.created,
            model=self.model,
            choices=[Choice(index=0, message=message, finish_reason=self.finish_reason)],
            usage=self.usage,
            system_fingerprint=self.system_fingerprint,
            **extra,
        )


def completion_to_delta(completion: ChatCompletion) -> StreamDelta:
    """One delta holding a whole completion: for servers that ignore ``stream: true``."""
    message = completion.message
    delta = StreamDelta(
        content=message.text,
        reasoning=message.reasoning_text,
        role=message.role,
        finish_reason=completion.finish_reason,
        usage=completion.usage,
        routing=completion.routing,
        grounding=completion.grounding,
        refusal=message.refusal,
        id=completion.id,
        model=completion.model,
        system_fingerprint=completion.system_fingerprint,
        raw=completion.model_dump(),
    )
    fragments = []
    for i, call in enumerate(message.tool_calls or ()):
        args = call.function.arguments
        text = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
        fragments.append(ToolCallDelta(index=i, id=call.id, name=call.function.name, arguments=text or "{}"))
    if fragments:
        delta.tool_calls = fragments
    return delta
