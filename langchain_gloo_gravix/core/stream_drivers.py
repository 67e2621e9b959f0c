"""The stream drivers: :class:`ChatStream` and :class:`AsyncChatStream`, a streamed answer delta by delta.

Every decision is in stream_state.py; these drivers only move bytes, through a narrow typed port to the sender
(:class:`StreamPort` / :class:`AsyncStreamPort`: send once, run with retries, byte chunks, redact).

The request is sent, and its first event read, inside the sender's retry loop on first iteration; once an
event has reached the caller nothing is retried. Each attempt starts from nothing (its own response and
state); only the attempt that reaches the caller becomes the stream's. A server that refuses
``stream_options`` gets the request without it, once per stream, counted as an attempt.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, Mapping, NoReturn, Optional, Protocol, TypeVar

import httpx

from .accumulator import StreamAccumulator
from .bodies import Claim, aclose_shielded, aread_capped, connection_claim, read_capped
from .errors import GlooGravixError
from .redact import forget_locals, redact_headers
from .retry import Recover, RetryHook
from .sender import PostRequest
from .settings import ClientSettings
from .stream_state import Opening, StreamRequest, StreamState
from .wire import ChatCompletion, StreamDelta

__all__ = ["ChatStream", "AsyncChatStream", "StreamPort", "AsyncStreamPort"]

T = TypeVar("T")

_NO_DELTA = StreamDelta()


class StreamPort(Protocol):
    """What a sync stream needs from the sender (sender.SyncSender)."""

    def send_stream(self, request: PostRequest) -> httpx.Response: ...

    def run(
        self, attempt: Callable[[], T], *, on_retry: Optional[RetryHook] = ..., recover: Optional[Recover] = ...
    ) -> T: ...

    def byte_chunks(self, response: httpx.Response) -> Iterator[bytes]: ...

    def redacted(self, error: GlooGravixError) -> GlooGravixError: ...


class AsyncStreamPort(Protocol):
    """What an async stream needs from the sender (sender.AsyncSender)."""

    async def send_stream(self, request: PostRequest) -> httpx.Response: ...

    async def run(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        on_retry: Optional[RetryHook] = ...,
        recover: Optional[Recover] = ...,
    ) -> T: ...

    def byte_chunks(self, response: httpx.Response) -> AsyncIterator[bytes]: ...

    def redacted(self, error: GlooGravixError) -> GlooGravixError: ...


class _StreamBase:
    """What both drivers hold: the request, the settings, and the attempt that reached the caller."""

    def __init__(
        self,
        settings: ClientSettings,
        url: httpx.URL,
        headers: Mapping[str, str],
        payload: Mapping[str, Any],
        body: bytes,
        on_retry: Optional[RetryHook],
    ) -> None:
        self._settings = settings
        #: what is sent; dropped (headers and all) once the stream is over, so that nothing a stream leaves
        #: behind, in a traceback or a frame a crash reporter captures, holds a credential
        self._request: Optional[StreamRequest] = StreamRequest(url, headers, payload, body)
        self._on_retry = on_retry
        self._state: Optional[StreamState] = None
        self._iterator: Any = None
        self._chunks: Any = None
        #: the open (then closed) HTTP response, once the stream started
        self.response: Optional[httpx.Response] = None
        self._claim: Claim = None

    @property
    def accumulator(self) -> Optional[StreamAccumulator]:
        return self._state.accumulator if self._state else None

    @property
    def response_headers(self) -> Optional[dict[str, str]]:
        """The HTTP response headers, once the stream is open (None before), with any credential a server
        echoed redacted."""
        if self.response is None:
            return None
        return redact_headers(self.response.headers.items(), self._settings.secrets())

    def _recover(self, error: GlooGravixError) -> bool:
        assert self._request is not None
        request = self._request.without_stream_options(error)
        if request is None:
            return False
        self._request = request
        return True

    def _adopt(self, response: httpx.Response, chunks: Any, state: StreamState, claim: Claim = None) -> None:
        """This attempt reaches the caller: from now on its response, bytes and state are the stream's."""
        self.response, self._chunks, self._state, self._claim = response, chunks, state, claim

    @staticmethod
    def _fail(state: StreamState, exc: Exception) -> NoReturn:
        error = state.failure(exc)
        if error is exc:
            raise exc
        raise error from exc


class ChatStream(_StreamBase):
    """Iterate for :class:`StreamDelta`; ``completion()`` for the whole answer; ``close()`` or ``with``."""

    def __init__(
        self,
        port: StreamPort,
        settings: ClientSettings,
        url: httpx.URL,
        headers: Mapping[str, str],
        payload: Mapping[str, Any],
        body: bytes,
        on_retry: Optional[RetryHook] = None,
    ) -> None:
        super().__init__(settings, url, headers, payload, body, on_retry)
        self._port = port

    def _attempt(self) -> list[StreamDelta]:
        """One attempt: send, and read up to the first event (or the whole answer)."""
        assert self._request is not None
        response = self._port.send_stream(self._request)
        try:
            state = StreamState.for_response(self._settings, response)
            chunks = None
            if state.opening is not Opening.EVENTS:
                read_capped(response, self._settings.max_body_bytes, endpoint=state.endpoint)
                first = state.whole(response)
            else:
                chunks = self._port.byte_chunks(response)
                first = []
                for chunk in chunks:
                    first = state.feed(chunk)
                    if first or state.done:
                        break
                else:
                    first = state.finish()
        except BaseException:
            response.close()
            raise
        self._adopt(response, chunks, state)
        return first

    def _iterate(self) -> Iterator[StreamDelta]:
        try:
            yield from self._port.run(self._attempt, on_retry=self._on_retry, recover=self._recover)
            state = self._state
            assert state is not None
            if not state.done:
                try:
                    for chunk in self._chunks:
                        yield from state.feed(chunk)
                        if state.done:
                            break
                    else:
                        yield from state.finish()
                except Exception as exc:
                    self._fail(state, exc)
            state.raise_pending()
        except GlooGravixError as error:
            # in-band error events are server text, which may quote our credentials
            forget_locals(self._port.redacted(error))
            chunk = b""  # nothing the server sent stays in this frame either
            raise
        finally:
            self._request = None
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

    def __init__(
        self,
        port: AsyncStreamPort,
        settings: ClientSettings,
        url: httpx.URL,
        headers: Mapping[str, str],
        payload: Mapping[str, Any],
        body: bytes,
        on_retry: Optional[RetryHook] = None,
    ) -> None:
        super().__init__(settings, url, headers, payload, body, on_retry)
        self._port = port

    async def _attempt(self) -> list[StreamDelta]:
        assert self._request is not None
        response = await self._port.send_stream(self._request)
        claim = connection_claim(response)
        try:
            state = StreamState.for_response(self._settings, response)
            chunks = None
            if state.opening is not Opening.EVENTS:
                await aread_capped(response, self._settings.max_body_bytes, endpoint=state.endpoint)
                first = state.whole(response)
            else:
                chunks = self._port.byte_chunks(response)
                first = []
                async for chunk in chunks:
                    first = state.feed(chunk)
                    if first or state.done:
                        break
                else:
                    first = state.finish()
        except BaseException:
            await aclose_shielded(response, claim)
            raise
        self._adopt(response, chunks, state, claim)
        return first

    async def _iterate(self) -> AsyncIterator[StreamDelta]:
        try:
            for delta in await self._port.run(self._attempt, on_retry=self._on_retry, recover=self._recover):
                yield delta
            state = self._state
            assert state is not None
            if not state.done:
                try:
                    async for chunk in self._chunks:
                        for delta in state.feed(chunk):
                            yield delta
                        if state.done:
                            break
                    else:
                        for delta in state.finish():
                            yield delta
                except Exception as exc:
                    self._fail(state, exc)
            state.raise_pending()
        except GlooGravixError as error:
            # in-band error events are server text, which may quote our credentials
            forget_locals(self._port.redacted(error))
            chunk, delta = b"", _NO_DELTA  # nothing the server sent stays in this frame either
            raise
        finally:
            self._request = None
            if self.response is not None:
                await aclose_shielded(self.response, self._claim)

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
            await aclose_shielded(self.response, self._claim)

    async def __aenter__(self) -> "AsyncChatStream":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
