"""The stream drivers: :class:`ChatStream` and :class:`AsyncChatStream`, a streamed answer delta by delta.

Roles of the streaming pieces: sse.py (the decoder) decodes events, accumulator.py accumulates deltas, stream_state.py holds
one stream's state (idle check, in-band errors, end-of-stream rules); this module only moves bytes, through a
narrow interface to the sender (:class:`StreamSender` / :class:`AsyncStreamSender`).

The request is sent, and its first event read, inside the sender's retry loop on first iteration; once an
event has reached the caller nothing is retried. A server that refuses ``stream_options`` gets the request
rebuilt without it, once per stream, counted as an attempt.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, Mapping, Optional, Protocol, TypeVar, Union

import httpx

from .accumulator import StreamAccumulator
from .bodies import aread_capped, not_an_event_stream, read_capped
from .errors import BadRequestError, GlooGravixError
from .redact import redact_headers
from .sender import Recover, RetryHook
from .stream_state import StreamState, whole_answer
from .wire import ChatCompletion, StreamDelta

__all__ = ["ChatStream", "AsyncChatStream", "StreamSender", "AsyncStreamSender"]

T = TypeVar("T")


class _SenderCommon(Protocol):
    endpoint: str
    stream_idle_timeout: Optional[float]

    def build(
        self, method: str, url: Union[str, httpx.URL], headers: Mapping[str, str], content: Optional[bytes]
    ) -> httpx.Request: ...

    def status_error(self, response: httpx.Response) -> GlooGravixError: ...

    max_body_bytes: Optional[int]
    max_event_bytes: Optional[int]

    def mid_stream_error(
        self, exc: BaseException, accumulator: StreamAccumulator, request_id: Optional[str]
    ) -> GlooGravixError: ...

    def redacted(self, error: GlooGravixError) -> GlooGravixError: ...

    def secrets(self) -> tuple[str, ...]: ...


class StreamSender(_SenderCommon, Protocol):
    """What a sync stream needs from the sender (sender.SyncSender)."""

    def send_once(self, request: httpx.Request, *, stream: bool = ...) -> httpx.Response: ...

    def run(
        self, attempt: Callable[[], T], *, on_retry: Optional[RetryHook] = ..., recover: Optional[Recover] = ...
    ) -> T: ...

    def byte_chunks(self, response: httpx.Response) -> Iterator[bytes]: ...


class AsyncStreamSender(_SenderCommon, Protocol):
    """What an async stream needs from the sender (sender.AsyncSender)."""

    async def send_once(self, request: httpx.Request, *, stream: bool = ...) -> httpx.Response: ...

    async def run(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        on_retry: Optional[RetryHook] = ...,
        recover: Optional[Recover] = ...,
    ) -> T: ...

    def byte_chunks(self, response: httpx.Response) -> AsyncIterator[bytes]: ...


def _is_json(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "")
    return "json" in ctype and "event-stream" not in ctype


class _StreamBase:
    """State and decisions shared by both drivers; subclasses only do the I/O."""

    def __init__(
        self,
        sender: Any,
        url: httpx.URL,
        payload: dict[str, Any],
        body: bytes,
        headers: Mapping[str, str],
        on_retry: Optional[RetryHook] = None,
    ) -> None:
        self._sender = sender
        self._url = url
        self._payload = payload
        self._body = body
        self._headers = headers
        self._on_retry = on_retry
        self._fell_back = False
        self._state: Optional[StreamState] = None
        self._iterator: Any = None
        self._chunks: Any = iter(())
        self._finished = False
        #: the open (then closed) HTTP response, once the stream started
        self.response: Optional[httpx.Response] = None

    @property
    def accumulator(self) -> Optional[StreamAccumulator]:
        return self._state.accumulator if self._state else None

    @property
    def response_headers(self) -> Optional[dict[str, str]]:
        """The HTTP response headers, once the stream is open (None before); credential values redacted."""
        if self.response is None:
            return None
        return redact_headers(self.response.headers, self._sender.secrets())

    def _request(self) -> httpx.Request:
        return self._sender.build("POST", self._url, self._headers, self._body)  # type: ignore[no-any-return]

    def _needs_whole_body(self, response: httpx.Response) -> bool:
        """An error status, or a server that ignored ``stream: true`` and sent JSON."""
        return response.status_code >= 300 or _is_json(response) or not_an_event_stream(response)

    def _new_state(self, response: httpx.Response) -> StreamState:
        sender = self._sender
        return StreamState(
            endpoint=sender.endpoint,
            idle_timeout=sender.stream_idle_timeout,
            response=response,
            max_event_bytes=sender.max_event_bytes,
        )

    def _whole(self, response: httpx.Response) -> list[StreamDelta]:
        """After the body of such a response was read: raise, or one delta for it all."""
        if response.status_code >= 300:
            raise self._sender.status_error(response)
        self.response = response
        self._state = self._new_state(response)
        self._finished = True
        return [whole_answer(response, self._state, self._sender.endpoint)]

    def _begin(self, response: httpx.Response, chunks: Any) -> StreamState:
        # one byte iterator for the whole stream: httpx refuses a second one
        self.response, self._chunks = response, chunks
        self._state = self._new_state(response)
        return self._state

    def _drop_stream_options(self, error: GlooGravixError) -> bool:
        """Some servers reject ``stream_options``: rebuild the body without it, once."""
        if self._fell_back or "stream_options" not in self._payload or not isinstance(error, BadRequestError):
            return False
        if "stream_options" not in (error.server_message or str(error.body) or "").lower():
            return False
        from ._base import encode_body

        self._fell_back = True
        self._payload = {k: v for k, v in self._payload.items() if k != "stream_options"}
        self._body = encode_body(self._payload)
        return True

    def _raise_mid_stream(self, exc: Exception, state: StreamState) -> None:
        error = self._sender.mid_stream_error(exc, state.accumulator, state.request_id)
        if error is exc:
            raise exc
        raise error from exc


class ChatStream(_StreamBase):
    """Iterate for :class:`StreamDelta`; ``completion()`` for the whole answer; ``close()`` or ``with``."""

    _sender: StreamSender

    def _attempt(self) -> list[StreamDelta]:
        """One attempt: send, and read up to the first event (or the whole answer)."""
        response = self._sender.send_once(self._request(), stream=True)
        try:
            if self._needs_whole_body(response):
                read_capped(response, self._sender.max_body_bytes, endpoint=self._sender.endpoint)
                return self._whole(response)
            state = self._begin(response, self._sender.byte_chunks(response))
            for chunk in self._chunks:
                first = state.feed(chunk)
                if first or state.done:
                    return first
            self._finished = True
            return state.finish()
        except BaseException:
            response.close()
            raise

    def _iterate(self) -> Iterator[StreamDelta]:
        try:
            yield from self._sender.run(self._attempt, on_retry=self._on_retry, recover=self._drop_stream_options)
            state = self._state
            assert state is not None
            if state.done or self._finished:
                state.raise_pending()
                return
            try:
                for chunk in self._chunks:
                    yield from state.feed(chunk)
                    if state.done:
                        state.raise_pending()
                        return
                yield from state.finish()
            except Exception as exc:
                self._raise_mid_stream(exc, state)
        except GlooGravixError as error:
            # in-band error events are server text, which may quote our credentials
            self._sender.redacted(error)
            raise
        finally:
            if self.response is not None:
                self.response.close()

    def __iter__(self) -> Iterator[StreamDelta]:
        if self._iterator is None:
            self._iterator = self._iterate()
        return self._iterator  # type: ignore[no-any-return]

    def completion(self) -> ChatCompletion:
        """Read whatever is left and return the whole answer as a completion."""
        for _ in self:
            pass
        assert self._state is not None
        return self._state.accumulator.completion()

    def close(self) -> None:
        if self._iterator is not None:
            self._iterator.close()
        elif self.response is not None:
            self.response.close()

    def __enter__(self) -> "ChatStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncChatStream(_StreamBase):
    """``async for`` for :class:`StreamDelta`; ``await completion()`` for the whole answer."""

    _sender: AsyncStreamSender

    async def _attempt(self) -> list[StreamDelta]:
        response = await self._sender.send_once(self._request(), stream=True)
        try:
            if self._needs_whole_body(response):
                await aread_capped(response, self._sender.max_body_bytes, endpoint=self._sender.endpoint)
                return self._whole(response)
            state = self._begin(response, self._sender.byte_chunks(response))
            async for chunk in self._chunks:
                first = state.feed(chunk)
                if first or state.done:
                    return first
            self._finished = True
            return state.finish()
        except BaseException:
            await response.aclose()
            raise

    async def _iterate(self) -> AsyncIterator[StreamDelta]:
        try:
            for delta in await self._sender.run(
                self._attempt, on_retry=self._on_retry, recover=self._drop_stream_options
            ):
                yield delta
            state = self._state
            assert state is not None
            if state.done or self._finished:
                state.raise_pending()
                return
            try:
                async for chunk in self._chunks:
                    for delta in state.feed(chunk):
                        yield delta
                    if state.done:
                        state.raise_pending()
                        return
                for delta in state.finish():
                    yield delta
            except Exception as exc:
                self._raise_mid_stream(exc, state)
        except GlooGravixError as error:
            # in-band error events are server text, which may quote our credentials
            self._sender.redacted(error)
            raise
        finally:
            if self.response is not None:
                await self.response.aclose()

    def __aiter__(self) -> AsyncIterator[StreamDelta]:
        if self._iterator is None:
            self._iterator = self._iterate()
        return self._iterator  # type: ignore[no-any-return]

    async def completion(self) -> ChatCompletion:
        async for _ in self:
            pass
        assert self._state is not None
        return self._state.accumulator.completion()

    async def aclose(self) -> None:
        if self._iterator is not None:
            await self._iterator.aclose()
        elif self.response is not None:
            await self.response.aclose()

    async def __aenter__(self) -> "AsyncChatStream":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
