"""Turning response bytes into deltas: the per-stream state both drivers share.

The drivers only move bytes: ``for chunk in response.iter_bytes(): state.feed(chunk)``
and ``state.finish()`` at EOF. Everything that decides (event parsing, ``[DONE]``,
in-band errors, the idle timeout, end-of-stream checks) is here, written once.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, Callable, Optional

from .accumulator import StreamAccumulator, completion_to_delta, stream_failure
from .errors import MalformedResponseError, StreamError, StreamTimeoutError, request_id_from_headers
from .sse import SSEDecoder
from .wire import StreamDelta

if TYPE_CHECKING:  # pragma: no cover
    import httpx

__all__ = ["StreamState", "DEFAULT_STREAM_IDLE_TIMEOUT", "whole_answer"]

from .config import DEFAULT_STREAM_IDLE_TIMEOUT  # re-exported: it used to live here

_loads = json.loads


class StreamState:
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
    ) -> None:
        if response is not None and request_id is None:
            request_id = request_id_from_headers(response.headers)
        self.accumulator = StreamAccumulator(endpoint=endpoint)
        self.decoder = SSEDecoder(max_event_bytes=max_event_bytes)
        #: True once ``[DONE]`` arrived: the driver stops reading and closes.
        self.done = False
        self.idle_timeout = idle_timeout
        self._clock = clock
        self._last_event = clock()
        self.endpoint = endpoint
        self.request_id = request_id
        self._error: Optional[Exception] = None

    def feed(self, chunk: bytes) -> list[StreamDelta]:
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
                # Typed here; after delivered deltas also a StreamError carrying them (issue 10).
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
        if data == "[DONE]":
            self.done = True
            return None
        try:
            chunk: Any = _loads(data)
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

    def finish(self) -> list[StreamDelta]:
        """EOF: deliver a last unterminated event, then insist the stream was complete."""
        deltas: list[StreamDelta] = []
        if not self.done:
            for event in self.decoder.flush():
                delta = self._event(event.data, event.event)
                if delta is not None:
                    deltas.append(delta)
        acc = self.accumulator
        if not self.done and acc.finish_reason is None:
            # Gloo sends no [DONE]: a finish_reason is the only proof the answer is whole.
            raise StreamError(
                f"stream ended before the answer was finished (after {acc.chunks} chunks, "
                f"{len(acc.text)} characters of text)",
                endpoint=self.endpoint,
                request_id=self.request_id,
                retryable=True,
                code="incomplete_stream",
                **acc.partial(),
            )
        return deltas


def whole_answer(response: "httpx.Response", state: StreamState, endpoint: str) -> StreamDelta:
    """A server that ignored ``stream: true``: one delta for the whole (read) answer.

    The accumulator is fed the same answer, so that the stream's ``completion()``
    and ``accumulator`` report it too.
    """
    from ._base import parse_completion

    completion = parse_completion(response, endpoint)
    payload = json.loads(response.content)
    payload.pop("error", None)  # parse_completion() already judged any error envelope
    state.accumulator.add(payload)
    return completion_to_delta(completion)
