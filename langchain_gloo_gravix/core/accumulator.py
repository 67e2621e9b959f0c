"""Pure stream accumulation: decoded chunks in, typed deltas and a final completion out.

The accumulator tolerates what real OpenAI-compatible servers send for tool calls
(docs/framework-notes.md#tool-call-deltas, docs/providers.md#ollama-quirks):

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

from .errors import StreamError, StreamTooLargeError
from .grounding_result import Grounding, grounding_from_chunk
from .readers import DROP, ROUTING_ONLY, content_text, no_arguments, read_id, read_index, read_int, read_refusal
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

__all__ = ["StreamAccumulator"]

_ROUTING_ONLY = frozenset(ROUTING_ONLY)
_new = object.__new__
#: chunk keys read only when present (most chunks carry none of them)
_RARE_CHUNK_KEYS = frozenset(("system_fingerprint", "sources_returned", "citations", "usage", "error", *ROUTING_ONLY))
#: delta keys read only when present: reasoning (three spellings), refusal, tool calls
_RARE_BODY_KEYS = frozenset(("reasoning_content", "reasoning", "reasoning_text", "refusal", "tool_calls"))


class _Call:
    __slots__ = ("index", "id", "name", "parts", "upstream_index", "size")

    def __init__(self, index: int, upstream_index: Optional[int]) -> None:
        #: characters of arguments so far (checked against ``max_tool_call_chars``)
        self.size = 0
        self.index = index
        self.id: Optional[str] = None
        self.name: Optional[str] = None
        self.parts: list[str] = []
        self.upstream_index = upstream_index

    def arguments(self) -> str:
        text = "".join(self.parts).strip()
        return "{}" if no_arguments(text) else text  # a zero-argument tool streams "" or "null"


class _ChoiceState:
    """Everything one choice has received: text, reasoning, refusal, tool calls."""

    __slots__ = (
        "index",
        "text",
        "reasoning",
        "refusal",
        "calls",
        "by_id",
        "by_upstream",
        "finish_reason",
        "max_call_chars",
        "endpoint",
    )

    def __init__(self, index: int, max_call_chars: Optional[int] = None, endpoint: Optional[str] = None) -> None:
        self.max_call_chars = max_call_chars
        self.endpoint = endpoint
        self.index = index
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.refusal: list[str] = []
        self.calls: list[_Call] = []
        self.by_id: dict[str, _Call] = {}
        self.by_upstream: dict[int, _Call] = {}
        self.finish_reason: Optional[str] = None

    # -- tool calls --------------------------------------------------------------------

    def _new_call(self, upstream_index: Optional[int]) -> _Call:
        call = _Call(len(self.calls), upstream_index)
        self.calls.append(call)
        if upstream_index is not None:
            self.by_upstream[upstream_index] = call
        return call

    def _route(self, entry: dict[str, Any], call_id: Optional[str], name: Optional[str]) -> _Call:
        upstream = entry.get("index")
        if type(upstream) is not int:
            upstream = None
        if call_id:
            known = self.by_id.get(call_id)
            if known is not None:
                return known
            at_index = self.by_upstream.get(upstream) if upstream is not None else None
            if at_index is not None and at_index.id is None:
                return at_index  # the first delta of this call lacked its id
            return self._new_call(upstream)  # a new id, even at a reused index
        if upstream is not None:
            return self.by_upstream.get(upstream) or self._new_call(upstream)
        last = self.calls[-1] if self.calls else None
        if last is None or (name and last.name and name != last.name and not name.startswith(last.name)):
            return self._new_call(None)
        return last

    def add_tool_entry(self, entry: Any) -> Optional[ToolCallDelta]:
        if type(entry) is not dict:
            return None  # e.g. "tool_calls": [null]
        function = entry.get("function")
        if type(function) is not dict:
            function = {}
        call_id = entry.get("id") or None
        if call_id is not None and type(call_id) is not str:
            call_id = read_id(call_id, "tool call id")
            call_id = call_id if type(call_id) is str and call_id else None
        name = function.get("name") or None
        if name is not None and type(name) is not str:
            name = None
        call = self._route(entry, call_id, name)
        fragment = ToolCallDelta(index=call.index)
        if call_id and call.id is None:
            call.id = fragment.id = call_id
            self.by_id[call_id] = call
        if name:
            if call.name is None:
                call.name = fragment.name = name
            elif name.startswith(call.name) and name != call.name:
                # a server resending the cumulative name: emit only what is new
                fragment.name = name[len(call.name) :]
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
                    self._grow(call, arguments)
                    call.parts.append(arguments)
                    fragment.arguments = arguments
            elif not call.parts:
                # arguments sent as a JSON value rather than a string (Ollama sends an
                # object; anything else stays visible and becomes an invalid tool call)
                text = json.dumps(arguments, ensure_ascii=False)
                self._grow(call, text)
                call.parts.append(text)
                fragment.arguments = text
        if fragment.id is None and fragment.name is None and not fragment.arguments:
            return None
        return fragment

    def _grow(self, call: _Call, arguments: str) -> None:
        call.size += len(arguments)
        limit = self.max_call_chars
        if limit is not None and call.size > limit:
            # the accumulator's owner fills in what arrived (stream_state.stream_failure)
            raise StreamTooLargeError(
                f"tool call {call.name or call.index!r} sent more than {limit} characters of arguments "
                f"(max_tool_call_chars; {call.size} when it was stopped)",
                endpoint=self.endpoint,
                code="tool_call_too_large",
            )

    # -- results -------------------------------------------------------------------------

    def tool_calls(self) -> list[ToolCall]:
        return [
            ToolCall(
                id=call.id,
                type="function",
                function=FunctionCall(name=call.name or "", arguments=call.arguments()),
            )
            for call in self.calls
        ]

    def tool_call_dicts(self) -> list[dict[str, Any]]:
        """The calls so far in OpenAI shape, arguments as received (maybe partial JSON)."""
        return [
            {"id": call.id, "type": "function", "function": {"name": call.name or "", "arguments": "".join(call.parts)}}
            for call in self.calls
        ]

    def choice(self) -> Choice:
        calls = self.tool_calls()
        text = "".join(self.text)
        message = Message(
            role="assistant",
            content=text if text or not calls else None,
            tool_calls=calls or None,
            refusal="".join(self.refusal) or None,
            reasoning_content="".join(self.reasoning) or None,
        )
        return Choice(index=self.index, message=message, finish_reason=self.finish_reason)


class StreamAccumulator:
    """Feed decoded chunks with :meth:`add`; read :meth:`completion` at the end.

    Every choice is kept by its index (``n > 1``); ``text``, ``tool_calls`` and
    ``finish_reason`` are choice 0's. Values of unexpected types are read with the
    same lenient readers as the non-streaming models (wire.py).
    """

    def __init__(self, *, endpoint: Optional[str] = None, max_tool_call_chars: Optional[int] = None) -> None:
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
        self.max_tool_call_chars = max_tool_call_chars
        self._first = _ChoiceState(0, max_tool_call_chars, endpoint)
        self._choices: dict[int, _ChoiceState] = {0: self._first}

    # -- per chunk -------------------------------------------------------------------

    def add(self, chunk: dict[str, Any]) -> StreamDelta:
        """Account for one chunk and return what it added.

        Raises :class:`StreamError` for an in-stream error event (Gloo sends
        ``finish_reason: "error"`` plus an ``error`` object; docs/providers.md#stream-errors).
        """
        self.chunks += 1
        delta: StreamDelta = _new(StreamDelta)  # new_delta(chunk), without a call per chunk
        delta.raw = chunk
        if self.id is None:
            self._identify(chunk)
        model = chunk.get("model")
        if model:
            if type(model) is str:
                self.model = delta.model = model
        delta.id = self.id
        # the keys most chunks lack, looked for in one C-level pass over the chunk's keys
        rare = not _RARE_CHUNK_KEYS.isdisjoint(chunk)
        if rare:
            fingerprint = chunk.get("system_fingerprint")
            if fingerprint and type(fingerprint) is str:
                self.system_fingerprint = delta.system_fingerprint = fingerprint
            if not _ROUTING_ONLY.isdisjoint(chunk):
                routing = Routing.from_payload(chunk)
                self.routing = delta.routing = routing.merged(self.routing) if routing else self.routing
            if "sources_returned" in chunk or "citations" in chunk:  # grounded answers only
                grounding = grounding_from_chunk(chunk, self._grounding_fields)
                if grounding is not None:
                    self.grounding = delta.grounding = grounding
            usage = chunk.get("usage")
            if usage and type(usage) is dict:
                self.usage = delta.usage = Usage.read(usage)
        choices = chunk.get("choices")
        if choices and type(choices) is list:
            for choice in choices:
                if type(choice) is not dict:
                    continue  # "choices": [null]
                index = choice.get("index", 0)
                if type(index) is int and index == 0:
                    self._add_choice(choice, delta, self._first, chunk)
                else:
                    self._add_other(choice, delta, chunk)
        if rare and chunk.get("error") is not None and self.finish_reason != "error":
            self._raise_stream_error(chunk)
        return delta

    def _identify(self, chunk: dict[str, Any]) -> None:
        chunk_id = chunk.get("id")
        if chunk_id is not None and type(chunk_id) is not str:
            chunk_id = read_id(chunk_id)
        self.id = None if chunk_id is DROP else chunk_id
        created = chunk.get("created")
        if created is not None and type(created) is not int:
            created = read_int(created, "created")
        self.created = None if created is DROP else created

    def _add_other(self, choice: dict[str, Any], delta: StreamDelta, chunk: dict[str, Any]) -> None:
        index = read_index(choice.get("index"))
        if index == 0:  # null, "0", 0.0 or junk: choice 0 after all
            self._add_choice(choice, delta, self._first, chunk)
            return
        state = self._choices.get(index)
        if state is None:
            state = self._choices[index] = _ChoiceState(index, self.max_tool_call_chars, self.endpoint)
        other = StreamDelta(index=index, id=self.id, model=delta.model)
        self._add_choice(choice, other, state, chunk)
        delta.other_choices = (*delta.other_choices, other)

    def _add_choice(
        self, choice: dict[str, Any], delta: StreamDelta, state: _ChoiceState, chunk: dict[str, Any]
    ) -> None:
        # ``message`` instead of ``delta`` appears when a server answers a stream
        # request with whole messages; treat it the same.
        body = choice.get("delta") or choice.get("message")
        if body and type(body) is dict:
            content = body.get("content")
            if content:
                text = content if type(content) is str else content_text(content)
                if text:
                    # a second entry for the same choice in one chunk adds to the first
                    delta.content = delta.content + text if delta.content else text
                    state.text.append(text)
            role = body.get("role")
            if role and type(role) is str:
                delta.role = role
            if not _RARE_BODY_KEYS.isdisjoint(body):
                self._add_rare(body, delta, state)
        if choice.get("logprobs") is not None:
            delta.logprobs = choice["logprobs"]
        finish = choice.get("finish_reason")
        if finish and type(finish) is str:
            state.finish_reason = delta.finish_reason = finish
            if state is self._first:
                self.finish_reason = finish
            if finish == "error":
                self._raise_stream_error(chunk)

    @staticmethod
    def _add_rare(body: dict[str, Any], delta: StreamDelta, state: _ChoiceState) -> None:
        """Reasoning, refusal and tool-call fragments of one delta body."""
        # reasoning_text: the stream field some Gloo samples read
        reasoning = body.get("reasoning_content") or body.get("reasoning") or body.get("reasoning_text")
        if reasoning and isinstance(reasoning, str):
            delta.reasoning = delta.reasoning + reasoning if delta.reasoning else reasoning
            state.reasoning.append(reasoning)
        refusal = body.get("refusal")
        if refusal:
            if type(refusal) is not str:
                refusal = read_refusal(refusal)
            if refusal and type(refusal) is str:
                delta.refusal = delta.refusal + refusal if delta.refusal else refusal
                state.refusal.append(refusal)
        calls = body.get("tool_calls")
        if calls and type(calls) is list:
            fragments = [f for f in map(state.add_tool_entry, calls) if f is not None]
            if fragments:
                delta.tool_calls = [*delta.tool_calls, *fragments] if delta.tool_calls else fragments

    def partial(self) -> dict[str, Any]:
        """What arrived so far, as :class:`StreamError` keywords (``partial_text`` and friends)."""
        return {
            "partial_text": self.text,
            "partial_tool_calls": self._first.tool_call_dicts(),
            "usage": self.usage,
        }

    def _raise_stream_error(self, chunk: dict[str, Any]) -> None:
        error = chunk.get("error")
        info = error if isinstance(error, dict) else {"message": error}
        code = info.get("name") or info.get("code") or info.get("type")
        retryable = info.get("retryable")
        message = info.get("message")
        if message is not None and not isinstance(message, str):
            message = json.dumps(message, ensure_ascii=False, default=str)[:500]
        request_id = info.get("request_id") or info.get("trace_id")
        fault = info.get("fault")
        raise StreamError(
            f"stream failed: {message or 'error event without a message'}",
            endpoint=self.endpoint,
            code=code if isinstance(code, (str, int)) and not isinstance(code, bool) else None,
            server_message=message,
            request_id=request_id if isinstance(request_id, str) else None,
            body=chunk,
            retryable=retryable if isinstance(retryable, bool) else None,
            fault=fault if isinstance(fault, str) else None,
            **self.partial(),
        )

    # -- results -------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return "".join(self._first.text)

    @property
    def reasoning(self) -> str:
        return "".join(self._first.reasoning)

    @property
    def tool_calls(self) -> list[ToolCall]:
        return self._first.tool_calls()

    def completion(self) -> ChatCompletion:
        """The whole response as if it had not been streamed (every choice, by index)."""
        extra: dict[str, Any] = self.routing.as_dict() if self.routing else {}
        extra.pop("model", None)
        for key in ("id", "object", "created", "choices", "usage", "system_fingerprint"):
            extra.pop(key, None)
        extra.update(self._grounding_fields)  # as received: citations keep their shape
        choices = [self._choices[index].choice() for index in sorted(self._choices)]
        return ChatCompletion(
            id=self.id,
            object="chat.completion",
            created=self.created,
            model=self.model,
            choices=choices,
            usage=self.usage,
            system_fingerprint=self.system_fingerprint,
            **extra,
        )
