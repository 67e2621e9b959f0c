"""ChatStream and AsyncChatStream: a streamed answer, delta by delta.

The request is sent, and its first event read, inside the retry scope on first
iteration; once an event has reached the caller nothing is retried.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator, Mapping, Optional

import httpx

from ._stream_state import StreamState
from .wire import ChatCompletion, StreamDelta

if TYPE_CHECKING:
    from .client import AsyncClient, Client

__all__ = ["ChatStream", "AsyncChatStream"]


class ChatStream:
    """Iterate for :class:`StreamDelta`; ``completion()`` for the whole answer.

    The request is sent, and its first event read, inside the retry scope on
    first iteration; once an event reached the caller nothing is retried.
    """

    def __init__(self, client: Client, body: bytes, headers: Mapping[str, str]) -> None:
        self._client = client
        self._body = body
        self._headers = headers
        self._state: Optional[StreamState] = None
        self._iterator: Optional[Iterator[StreamDelta]] = None
        self._chunks: Iterator[bytes] = iter(())
        self._finished = False
        self.response: Optional[httpx.Response] = None

    def _open(self) -> list[StreamDelta]:
        client, attempt = self._client, 0
        while True:
            response = None
            try:
                request = client._chat_request(self._body, self._headers)
                response = client._send(request, stream=True)
                if response.status_code >= 300:
                    response.read()
                    raise client._status_error(response)
                self.response = response
                if client._is_json(response):  # a server that ignored stream=true
                    response.read()
                    self._state = client._new_state(response)
                    self._finished = True
                    return [client._whole_answer(response, self._state)]
                self._state = state = client._new_state(response)
                # one iterator for the whole stream: httpx refuses a second iter_bytes()
                self._chunks = client._byte_source(response, True)
                for chunk in self._chunks:
                    first = state.feed(chunk)
                    if first or state.done:
                        return first
                self._finished = True
                return state.finish()
            except Exception as exc:
                if response is not None:
                    response.close()
                resend = client._without_stream_options(exc, self._body)
                if resend is not None:
                    self._body = resend
                    continue
                delay = client._retry_delay(attempt, exc)
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
                error = self._client._mid_stream_error(exc, state)
                if error is exc:
                    raise
                raise error from exc
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

    @property
    def accumulator(self):
        return self._state.accumulator if self._state else None

    def close(self) -> None:
        if self._iterator is not None:
            self._iterator.close()
        elif self.response is not None:
            self.response.close()

    def __enter__(self) -> "ChatStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncChatStream:
    """``async for`` for :class:`StreamDelta`; ``await completion()`` for the whole answer."""

    def __init__(self, client: AsyncClient, body: bytes, headers: Mapping[str, str]) -> None:
        self._client = client
        self._body = body
        self._headers = headers
        self._state: Optional[StreamState] = None
        self._iterator: Optional[AsyncIterator[StreamDelta]] = None
        self._chunks: Any = None
        self._finished = False
        self.response: Optional[httpx.Response] = None

    async def _open(self) -> list[StreamDelta]:
        client, attempt = self._client, 0
        while True:
            response = None
            try:
                request = client._chat_request(self._body, self._headers)
                response = await client._send(request, stream=True)
                if response.status_code >= 300:
                    await response.aread()
                    raise client._status_error(response)
                self.response = response
                if client._is_json(response):
                    await response.aread()
                    self._state = client._new_state(response)
                    self._finished = True
                    return [client._whole_answer(response, self._state)]
                self._state = state = client._new_state(response)
                self._chunks = client._byte_source(response, False)
                async for chunk in self._chunks:
                    first = state.feed(chunk)
                    if first or state.done:
                        return first
                self._finished = True
                return state.finish()
            except Exception as exc:
                if response is not None:
                    await response.aclose()
                resend = client._without_stream_options(exc, self._body)
                if resend is not None:
                    self._body = resend
                    continue
                delay = client._retry_delay(attempt, exc)
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
                error = self._client._mid_stream_error(exc, state)
                if error is exc:
                    raise
                raise error from exc
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

    @property
    def accumulator(self):
        return self._state.accumulator if self._state else None

    async def aclose(self) -> None:
        if self._iterator is not None:
            await self._iterator.aclose()  # type: ignore[attr-defined]
        elif self.response is not None:
            await self.response.aclose()

    async def __aenter__(self) -> "AsyncChatStream":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
