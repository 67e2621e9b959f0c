"""ChatStream and AsyncChatStream: a streamed answer, delta by delta.

The request is sent, and its first event read, inside the retry scope on first
iteration; once an event has reached the caller nothing is retried.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator, Iterator, Mapping, Optional

import httpx

from ._stream_state import StreamState
from .bodies import aread_capped, read_capped, not_an_event_stream
from .wire import ChatCompletion, StreamDelta

__all__ = ["ChatStream", "AsyncChatStream"]


class _StreamBase:
    """State and decisions shared by both streams; subclasses only do the I/O."""

    def __init__(self, client: Any, body: bytes, headers: Mapping[str, str]) -> None:
        self._client = client
        self._body = body
        self._headers = headers
        self._state: Optional[StreamState] = None
        self._iterator: Any = None
        self._chunks: Any = iter(())
        self._finished = False
        self.response: Optional[httpx.Response] = None

    @property
    def accumulator(self):
        return self._state.accumulator if self._state else None

    def _needs_whole_body(self, response: httpx.Response) -> bool:
        """An error status, or a server that ignored ``stream: true`` and sent JSON."""
        return response.status_code >= 300 or self._client._is_json(response) or not_an_event_stream(response)

    def _whole(self, response: httpx.Response) -> list[StreamDelta]:
        """After the body of such a response was read: raise, or one delta for it all."""
        client = self._client
        if response.status_code >= 300:
            raise client._status_error(response)
        self.response = response
        self._state = client._new_state(response)
        self._finished = True
        return [client._whole_answer(response, self._state)]

    def _begin(self, response: httpx.Response, chunks: Any) -> StreamState:
        # one byte iterator for the whole stream: httpx refuses a second one
        self.response, self._chunks = response, chunks
        self._state = self._client._new_state(response)
        return self._state

    def _after_failure(self, exc: Exception, attempt: int) -> Optional[float]:
        """None to resend at once (without ``stream_options``), else the retry delay;
        raises when the failure must reach the caller."""
        resend = self._client._without_stream_options(exc, self._body)
        if resend is not None:
            self._body = resend
            return None
        return self._client._retry_delay(attempt, exc)

    def _raise_mid_stream(self, exc: Exception, state: StreamState) -> None:
        error = self._client._mid_stream_error(exc, state)
        if error is exc:
            raise exc
        raise error from exc


class ChatStream(_StreamBase):
    """Iterate for :class:`StreamDelta`; ``completion()`` for the whole answer.

    The request is sent, and its first event read, inside the retry scope on
    first iteration; once an event reached the caller nothing is retried.
    """

    def _open(self) -> list[StreamDelta]:
        client, attempt = self._client, 0
        while True:
            response = None
            try:
                response = client._send(client._chat_request(self._body, self._headers), stream=True)
                if self._needs_whole_body(response):
                    read_capped(response, client.max_body_bytes, endpoint=client.endpoint.name)
                    return self._whole(response)
                state = self._begin(response, client._byte_source(response, True))
                for chunk in self._chunks:
                    first = state.feed(chunk)
                    if first or state.done:
                        return first
                self._finished = True
                return state.finish()
            except Exception as exc:
                if response is not None:
                    response.close()
                delay = self._after_failure(exc, attempt)
            if delay is not None:
                attempt += 1
                time.sleep(delay)

    def _iterate(self) -> Iterator[StreamDelta]:
        try:
            yield from self._open()
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
        finally:
            if self.response is not None:
                self.response.close()

    def __iter__(self) -> Iterator[StreamDelta]:
        if self._iterator is None:
            self._iterator = self._iterate()
        return self._iterator

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

    async def _open(self) -> list[StreamDelta]:
        client, attempt = self._client, 0
        while True:
            response = None
            try:
                response = await client._send(client._chat_request(self._body, self._headers), stream=True)
                if self._needs_whole_body(response):
                    await aread_capped(response, client.max_body_bytes, endpoint=client.endpoint.name)
                    return self._whole(response)
                state = self._begin(response, client._byte_source(response, False))
                async for chunk in self._chunks:
                    first = state.feed(chunk)
                    if first or state.done:
                        return first
                self._finished = True
                return state.finish()
            except Exception as exc:
                if response is not None:
                    await response.aclose()
                delay = self._after_failure(exc, attempt)
            if delay is not None:
                attempt += 1
                await asyncio.sleep(delay)

    async def _iterate(self) -> AsyncIterator[StreamDelta]:
        try:
            for delta in await self._open():
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
        finally:
            if self.response is not None:
                await self.response.aclose()

    def __aiter__(self) -> AsyncIterator[StreamDelta]:
        if self._iterator is None:
            self._iterator = self._iterate()
        return self._iterator

    async def completion(self) -> ChatCompletion:
        async for _ in self:
            pass
        assert self._state is not None
        return self._state.accumulator.completion()

    async def aclose(self) -> None:
        if self._iterator is not None:
            await self._iterator.aclose()  # type: ignore[attr-defined]
        elif self.response is not None:
            await self.response.aclose()

    async def __aenter__(self) -> "AsyncChatStream":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
