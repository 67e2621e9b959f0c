"""Server-sent events, decoded per the WHATWG spec on bytes.

Only CR, LF and CRLF end lines. ``str.splitlines`` (and so ``iter_lines``) would
also split on U+2028 and friends, which may legally appear inside JSON strings
(architecture.md). Splitting bytes is safe because no byte of a multi-byte UTF-8
sequence is ever ``\\r`` or ``\\n``.

The decoder is sans-I/O: feed it byte chunks of any size, it returns complete
events. :func:`iter_events` and :func:`aiter_events` are the two tiny drivers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncIterable, AsyncIterator, Iterable, Iterator, Optional

__all__ = ["SSEEvent", "SSEDecoder", "iter_events", "aiter_events"]

_BOM = b"\xef\xbb\xbf"


@dataclass(slots=True)
class SSEEvent:
    data: str
    event: Optional[str] = None
    id: Optional[str] = None
    retry: Optional[int] = None


class SSEDecoder:
    """Incremental decoder: ``feed(bytes) -> [SSEEvent]``, then ``flush()`` at EOF."""

    __slots__ = ("_tail", "_after_cr", "_started", "_data", "_event", "_id", "_retry", "comments")

    def __init__(self) -> None:
        self._tail = b""  # an unterminated line carried to the next feed
        self._after_cr = False  # last feed ended in CR: a leading LF is its CRLF partner
        self._started = False
        self._data: list[bytes] = []
        self._event: Optional[str] = None
        self._id: Optional[str] = None
        self._retry: Optional[int] = None
        #: count of comment lines seen (keep-alives such as ``: ping``).
        self.comments = 0

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if not chunk:
            return []
        if not self._started:
            # The BOM may itself arrive split over feeds (b"\xef" | b"\xbb\xbf..."):
            # hold back a partial BOM in _tail until it is complete or disproved.
            # Without this the BOM bytes were glued to the first field name.
            chunk, self._tail = self._tail + chunk, b""
            if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
                self._tail = chunk
                return []
            self._started = True
            if chunk.startswith(_BOM):
                chunk = chunk[3:]
        if self._after_cr:
            self._after_cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\r" in chunk:
            self._after_cr = chunk.endswith(b"\r")
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if self._tail:
            chunk = self._tail + chunk
        lines = chunk.split(b"\n")
        self._tail = lines.pop()
        events: list[SSEEvent] = []
        data = self._data
        for line in lines:
            # Fast path for the two lines nearly every event is made of.
            if line[:6] == b"data: ":
                data.append(line[6:])
                continue
            if not line and data and self._event is None:
                self._data = []
                events.append(SSEEvent((data[0] if len(data) == 1 else b"\n".join(data)).decode("utf-8", "replace"), None, self._id, self._retry))
                data = self._data
                continue
            event = self._line(line)
            data = self._data
            if event is not None:
                events.append(event)
        return events

    def flush(self) -> list[SSEEvent]:
        """End of input. Unlike the spec, a last event without its blank line is
        still delivered: some servers close the connection right after it."""
        events = []
        if self._tail:
            tail, self._tail = self._tail, b""
            event = self._line(tail)
            if event is not None:
                events.append(event)
        event = self._dispatch()
        if event is not None:
            events.append(event)
        return events

    def _line(self, line: bytes) -> Optional[SSEEvent]:
        if not line:
            return self._dispatch()
        if line[:1] == b":":
            self.comments += 1
            return None
        name, sep, value = line.partition(b":")
        if sep and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id":
            if b"\0" not in value:
                self._id = value.decode("utf-8", "replace")
        elif name == b"retry":
            if value.isdigit():
                self._retry = int(value)
        # any other field name is ignored, as the spec requires
        return None

    def _dispatch(self) -> Optional[SSEEvent]:
        data = self._data
        if not data:
            self._event = None
            return None
        self._data = []
        raw = data[0] if len(data) == 1 else b"\n".join(data)
        event = SSEEvent(raw.decode("utf-8", "replace"), self._event, self._id, self._retry)
        self._event = None
        return event


def iter_events(chunks: Iterable[bytes], decoder: Optional[SSEDecoder] = None) -> Iterator[SSEEvent]:
    decoder = decoder or SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.flush()


async def aiter_events(
    chunks: AsyncIterable[bytes], decoder: Optional[SSEDecoder] = None
) -> AsyncIterator[SSEEvent]:
    decoder = decoder or SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.flush():
        yield event
