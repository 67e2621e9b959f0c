"""Every decision about one stream, pure: the drivers (stream_drivers.py) only move bytes.

- **Opening** (:func:`opening`): a response carries events, or a whole answer (a server that ignored
  ``stream: true`` and sent JSON), or an error body (a non-2xx status, a 204, an HTML page) that must be read
  whole so that the error names what came.
- **Events** (:meth:`StreamState.feed`): bytes -> SSE events -> deltas; ``[DONE]``; in-band error events; the
  idle timeout (keep-alive comments and trickled partial lines are not progress).
- **The end** (:meth:`StreamState.finish`): a stream is complete only with a finish reason or ``[DONE]``
  (Gloo sends no ``[DONE]``; a finish reason is its only proof); anything else keeps the partial text in a
  typed error, and a body with no event at all says so.
- **Failures** (:meth:`StreamState.failure`): any exception while a started stream is read becomes one typed
  error carrying what arrived (:func:`stream_failure`), with the idle-timeout wording for a silent connection.
- **The request** (:class:`StreamRequest`): what is sent, and the once-only fallback without
  ``stream_options`` for servers that refuse it (a pure transform).

``done`` is the one "finished" flag: set by ``[DONE]``, by :meth:`finish`, by :meth:`whole` and by an error
held back so that earlier deltas could be delivered.
"""

from __future__ import annotations

import enum
import json
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from .accumulator import StreamAccumulator
from .bodies import request_url
from .error_text import request_id_from_headers
from .errors import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    GlooGravixError,
    MalformedResponseError,
    StreamError,
    StreamTimeoutError,
    StreamTooLargeError,
)
from .request import encode_body
from .sse import SSEDecoder
from .translate import translate_exception
from .wire import ChatCompletion, StreamDelta, ToolCallDelta, parse_completion

if TYPE_CHECKING:  # pragma: no cover
    import httpx

    from .settings import ClientSettings

__all__ = [
    "Opening",
    "opening",
    "StreamRequest",
    "StreamState",
    "stream_failure",
    "completion_to_delta",
]

#: the scanner ``json.loads`` ends in (a default ``JSONDecoder``'s own): ``(value, end)`` for the value at an index
_scan_once: Callable[[str, int], tuple[Any, int]] = vars(json.JSONDecoder())["scan_once"]


class Opening(enum.Enum):
    """What the first response of a stream attempt turned out to be."""

    EVENTS = "events"
    #: the server ignored ``stream: true`` and sent a whole JSON answer
    WHOLE_ANSWER = "whole answer"
    #: a non-2xx status, a 204 or an HTML page: read whole, so that the error names what came
    ERROR_BODY = "error body"


def opening(response: "httpx.Response") -> Opening:
    if response.status_code >= 300 or response.status_code == 204:
        return Opening.ERROR_BODY
    ctype = response.headers.get("content-type", "").lower()
    if "html" in ctype:
        return Opening.ERROR_BODY
    if "json" in ctype and "event-stream" not in ctype:
        return Opening.WHOLE_ANSWER
    return Opening.EVENTS


@dataclass(frozen=True)
class StreamRequest:
    """What one stream sends: URL, headers, the JSON payload and its encoded body."""

    url: "httpx.URL"
    #: never shown: they hold the credentials
    headers: Mapping[str, str] = field(repr=False)
    payload: Mapping[str, Any] = field(repr=False)
    body: bytes = field(repr=False)
    #: True once the ``stream_options`` fallback was taken (it is taken once per stream)
    fell_back: bool = False

    def without_stream_options(self, error: GlooGravixError) -> Optional["StreamRequest"]:
        """Some servers reject ``stream_options``: the same request without it, once; else None."""
        if self.fell_back or "stream_options" not in self.payload or not isinstance(error, BadRequestError):
            return None
        if "stream_options" not in (error.server_message or str(error.body) or "").lower():
            return None
        payload = {k: v for k, v in self.payload.items() if k != "stream_options"}
        return replace(self, payload=payload, body=encode_body(payload), fell_back=True)


class StreamState:
    """One attempt's stream: its decoder, accumulator, idle clock and end-of-stream rules."""

    __slots__ = (
        "accumulator",
        "decoder",
        "done",
        "idle_timeout",
        "_last_event",
        "_clock",
        "endpoint",
        "request_id",
        "_error",
        "_saw_done",
        "_events",
        "_bytes",
        "opening",
        "_max_bytes",
        "_done_is_proof",
    )

    def __init__(
        self,
        *,
        endpoint: str,
        idle_timeout: Optional[float],
        request_id: Optional[str] = None,
        response: Optional["httpx.Response"] = None,
        clock: Callable[[], float] = time.monotonic,
        max_event_bytes: Optional[int] = None,
        max_stream_bytes: Optional[int] = None,
        max_tool_call_chars: Optional[int] = None,
        done_is_proof: bool = True,
    ) -> None:
        if response is not None and request_id is None:
            request_id = request_id_from_headers(response.headers)
        self.accumulator = StreamAccumulator(endpoint=endpoint, max_tool_call_chars=max_tool_call_chars)
        self.decoder = SSEDecoder(max_event_bytes=max_event_bytes)
        #: True once the stream is over: nothing more is read (the one "finished" flag)
        self.done = False
        self.idle_timeout = idle_timeout
        self._clock = clock
        self._last_event = clock()
        self.endpoint = endpoint
        self.request_id = request_id
        self._error: Optional[GlooGravixError] = None
        self._saw_done = False
        self._events = 0
        self._bytes = 0
        self._max_bytes = max_stream_bytes
        #: whether ``[DONE]`` proves a stream whole: only where the endpoint always sends it (Gravix); Gloo sends
        #: none, so there only a finish reason does
        self._done_is_proof = done_is_proof
        #: what the response turned out to be (:func:`opening`); EVENTS without a response
        self.opening = Opening.EVENTS if response is None else opening(response)

    @classmethod
    def for_response(cls, settings: "ClientSettings", response: "httpx.Response") -> "StreamState":
        return cls(
            endpoint=settings.name,
            idle_timeout=settings.stream_idle_timeout,
            response=response,
            clock=settings.clock,
            max_event_bytes=settings.max_event_bytes,
            max_stream_bytes=settings.max_stream_bytes,
            max_tool_call_chars=settings.max_tool_call_chars,
            done_is_proof=settings.endpoint.stream_done_marker,
        )

    # -- events -------------------------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> list[StreamDelta]:
        self._bytes += len(chunk)
        if self._max_bytes is not None and self._bytes > self._max_bytes:
            raise self._too_large()
        try:
            events = self.decoder.feed(chunk)
        except Exception as exc:  # an event over max_event_bytes
            raise stream_failure(
                exc, self.accumulator, endpoint=self.endpoint, request_id=self.request_id, started=False
            ) from None
        if not events:
            # Only keep-alive comments or a partial line: these do not count as
            # progress, or ": ping" lines would keep a stalled stream open forever.
            if self.idle_timeout is not None and self._clock() - self._last_event > self.idle_timeout:
                raise StreamTimeoutError(
                    f"stream sent no data for more than {self.idle_timeout:g} s (stream_idle_timeout)",
                    endpoint=self.endpoint,
                    request_id=self.request_id,
                    retryable=True,
                    **self.accumulator.partial(),
                )
            return []
        self._last_event = self._clock()
        deltas: list[StreamDelta] = []
        for event in events:
            try:
                delta = self._event(event.data, event.event)
            except Exception as exc:
                # Typed here; after delivered deltas also a StreamError carrying them.
                error = stream_failure(
                    exc, self.accumulator, endpoint=self.endpoint, request_id=self.request_id, started=bool(deltas)
                )
                if not deltas:
                    if error is exc:
                        raise
                    raise error from exc
                # Deliver what arrived before the error (same network read), then
                # raise it: the caller has seen that text, so nothing is retried.
                self._error, self.done = error, True
                break
            if delta is not None:
                deltas.append(delta)
            if self.done:
                break
        return deltas

    def raise_pending(self) -> None:
        """Raise an error held back by :meth:`feed` so earlier deltas could be delivered."""
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _event(self, data: str, name: Optional[str]) -> Optional[StreamDelta]:
        self._events += 1
        if data == "[DONE]":
            self._saw_done = self.done = True
            if not self._done_is_proof and self.accumulator.finish_reason is None:
                raise self._incomplete()  # a [DONE] where none is sent proves nothing
            return None
        chunk: Any
        try:
            # the C scanner json.loads ends in, called directly (json.loads adds three Python calls and two
            # regex matches per event); anything it does not read whole, such as whitespace around the
            # value, goes to json.loads, which accepts or refuses it exactly as before
            try:
                chunk, end = _scan_once(data, 0)
            except StopIteration:
                end = -1
            if end != len(data):
                chunk = json.loads(data)
        except ValueError:
            raise MalformedResponseError(
                f"stream event is not JSON: {data[:120]!r}",
                endpoint=self.endpoint,
                request_id=self.request_id,
            ) from None
        if not isinstance(chunk, dict):
            raise MalformedResponseError(
                f"stream event is not a JSON object: {data[:120]!r}", endpoint=self.endpoint, request_id=self.request_id
            )
        if name == "error" and "error" not in chunk:
            chunk = {"error": chunk}
        return self.accumulator.add(chunk)

    # -- the end ------------------------------------------------------------------------------------------

    def finish(self) -> list[StreamDelta]:
        """EOF: deliver a last unterminated event, then insist the stream was complete."""
        if self.done:
            return []
        deltas: list[StreamDelta] = []
        for event in self.decoder.flush():
            delta = self._event(event.data, event.event)
            if delta is not None:
                deltas.append(delta)
        self.done = True
        acc = self.accumulator
        if acc.finish_reason is None and not (self._saw_done and self._done_is_proof):
            raise self._incomplete()
        return deltas

    def _incomplete(self) -> StreamError:
        acc = self.accumulator
        if self._events == 0:
            # nothing decoded at all: say so, not "after 0 chunks" (an empty body, or a gzip body with no event)
            what = f"{self._bytes} bytes, none of them an event" if self._bytes else "an empty body"
            message, code = f"stream ended before its first event ({what})", "no_event"
        else:
            # Gloo sends no [DONE]: a finish_reason is the only proof the answer is whole.
            message = (
                f"stream ended before the answer was finished (after {acc.chunks} chunks, "
                f"{len(acc.text)} characters of text)"
            )
            code = "incomplete_stream"
        return StreamError(
            message,
            endpoint=self.endpoint,
            request_id=self.request_id,
            retryable=True,
            code=code,
            **acc.partial(),
        )

    def _too_large(self) -> StreamTooLargeError:
        return StreamTooLargeError(
            f"stream sent more than {self._max_bytes} bytes (max_stream_bytes; {self._bytes} when it was stopped)",
            endpoint=self.endpoint,
            request_id=self.request_id,
            code="stream_too_large",
            **self.accumulator.partial(),
        )

    def whole(self, response: "httpx.Response") -> list[StreamDelta]:
        """After the whole body of a non-event response was read: raise its error, or one delta for it all.

        The accumulator is fed the same answer, so that the stream's ``completion()`` and ``accumulator``
        report it too.
        """
        self.done = True
        completion = parse_completion(
            response.content, response.status_code, response.headers, endpoint=self.endpoint, url=request_url(response)
        )
        payload = json.loads(response.content)
        payload.pop("error", None)  # parse_completion() already judged any error envelope
        self.accumulator.add(payload)
        return [completion_to_delta(completion)]

    def failure(self, exc: BaseException) -> GlooGravixError:
        """A failure after the first event reached the caller, whatever its cause: a :class:`StreamError`
        carrying the text, tool calls and usage received so far; a timeout stays recognisable as one."""
        error = stream_failure(exc, self.accumulator, endpoint=self.endpoint, request_id=self.request_id)
        if isinstance(error, StreamTimeoutError) and error.code == "read_timeout" and self.idle_timeout is not None:
            # the read timeout of a stream is its idle timeout (sender.py, "Timeouts, all in one place")
            error.message = f"stream sent nothing for {self.idle_timeout:g} s (stream_idle_timeout): {error.message}"
            error.args = (error.message,)
        return error


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


def stream_failure(
    exc: BaseException,
    accumulator: StreamAccumulator,
    *,
    endpoint: Optional[str],
    request_id: Optional[str] = None,
    base_url: Optional[str] = None,
    started: bool = True,
) -> GlooGravixError:
    """Any exception raised while a stream is read -> a package error (nothing lost).

    Before the first delta reached the caller (``started=False``) the error is only
    typed (the retry policy then decides). After it, whatever the cause (a transport
    failure, an event that is not JSON, a corrupt gzip body, a bug while
    accumulating) it is a :class:`StreamError` carrying the text, tool calls and
    usage received so far; a timeout stays a :class:`StreamTimeoutError`.
    """
    error = translate_exception(exc, endpoint=endpoint, base_url=base_url)
    if not isinstance(error, GlooGravixError):
        # Only the class name: the text of an arbitrary exception may quote anything.
        error = MalformedResponseError(
            f"{endpoint or 'server'} stream could not be read ({type(exc).__name__})",
            endpoint=endpoint,
            request_id=request_id,
            code="unreadable_stream",
        )
    if isinstance(error, StreamError):
        if not error.partial_text and not error.partial_tool_calls and error.usage is None:
            partial = accumulator.partial()
            error.partial_text = partial["partial_text"]
            error.partial_tool_calls = partial["partial_tool_calls"]
            error.usage = partial["usage"]
        if error.request_id is None:
            error.request_id = request_id
        return error
    if not started:
        return error
    partial = accumulator.partial()
    timed_out = isinstance(error, APITimeoutError)
    connection = isinstance(error, APIConnectionError)
    cls = StreamTimeoutError if timed_out else StreamError
    what = "timed out" if timed_out else "broke"
    return cls(
        f"stream {what} after it started: {error.message}",
        endpoint=endpoint,
        status_code=error.status_code,
        request_id=error.request_id or request_id,
        code="read_timeout" if timed_out else "transport" if connection else (error.code or "malformed_stream"),
        retryable=connection,
        **partial,
    )
