"""Server-sent events, decoded per the WHATWG spec on bytes.

Only CR, LF and CRLF end lines. ``str.splitlines`` (and so ``iter_lines``) would
also split on U+2028 and friends, which may legally appear inside JSON strings
(docs/maintainers.md#sse-on-bytes). Splitting bytes is safe because no byte of a multi-byte UTF-8
sequence is ever ``\\r`` or ``\\n``.

The decoder is sans-I/O: feed it byte chunks of any size, it returns complete
events. :func:`iter_events` and :func:`aiter_events` are the two tiny drivers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncIterable, AsyncIterator, Iterable, Iterator, Optional

from .errors import ResponseTooLargeError

__all__ = ["SSEEvent", "SSEDecoder", "iter_events", "aiter_events", "DEFAULT_MAX_EVENT_BYTES"]

_BOM = b"\xef\xbb\xbf"

#: the default cap on one event (``max_event_bytes``): far above any real chunk.
DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024


@dataclass(slots=True)
class SSEEvent:
    data: str
    event: Optional[str] = None
    id: Optional[str] = None
    retry: Optional[int] = None


class SSEDecoder:
    """Incremental decoder: ``feed(bytes) -> [SSEEvent]``, then ``flush()`` at EOF.

    Cost is linear in the input: a line that arrives over many feeds is kept as a
    list of pieces and joined once, when its end arrives (joining the tail on every
    feed made a 64 MiB line take half a minute). ``max_event_bytes`` caps one
    event (its data lines plus an unterminated line); past it ``feed`` raises
    :class:`ResponseTooLargeError`.
    """

    __slots__ = (
        "_tail",
        "_tail_len",
        "_bom",
        "_after_cr",
        "_started",
        "_data",
        "_event",
        "_id",
        "_retry",
        "comments",
        "max_event_bytes",
    )

    def __init__(self, max_event_bytes: Optional[int] = None) -> None:
        self._tail: list[bytes] = []  # pieces of an unterminated line carried to the next feed
        self._tail_len = 0
        self._bom = b""  # a partial byte-order mark at the very start
        self._after_cr = False  # last feed ended in CR: a leading LF is its CRLF partner
        self._started = False
        self._data: list[bytes] = []
        self._event: Optional[str] = None
        self._id: Optional[str] = None
        self._retry: Optional[int] = None
        #: count of comment lines seen (keep-alives such as ``: ping``).
        self.comments = 0
        self.max_event_bytes = max_event_bytes

    def _too_large(self, size: int) -> ResponseTooLargeError:
        self._tail, self._tail_len, self._data = [], 0, []
        return ResponseTooLargeError(
            f"a stream event is larger than max_event_bytes={self.max_event_bytes} ({size} bytes so far)",
            code="event_too_large",
        )

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if (
            chunk[:6] == b"data: "
            and chunk[-2:] == b"\n\n"
            and chunk.count(b"\n") == 2
            and self._started
            and not (self._tail or self._data or self._after_cr)
            and self._event is None
            and b"\r" not in chunk
        ):
            # Fast path for the chunk most streams are made of: exactly one ``data:`` line and its blank line,
            # with nothing pending from earlier feeds; the same event the general path below builds.
            raw = chunk[6:-2]
            if self.max_event_bytes is not None and len(raw) > self.max_event_bytes:
                raise self._too_large(len(raw))
            return [SSEEvent(raw.decode("utf-8", "replace"), None, self._id, self._retry)]
        if not chunk:
            return []
        if not self._started:
            # The BOM may itself arrive split over feeds (b"\xef" | b"\xbb\xbf..."):
            # hold back a partial BOM until it is complete or disproved.
            # Without this the BOM bytes were glued to the first field name.
            chunk, self._bom = self._bom + chunk, b""
            if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
                self._bom = chunk
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
        if b"\n" not in chunk:
            if chunk:  # more of an unterminated line: keep the piece, join once at its end
                self._tail.append(chunk)
                self._tail_len += len(chunk)
                limit = self.max_event_bytes
                if limit is not None and self._tail_len > limit - (self._data_size() if self._data else 0):
                    raise self._too_large(self._tail_len)
            return []
        if self._tail:
            self._tail.append(chunk)
            chunk = b"".join(self._tail)
            self._tail, self._tail_len = [], 0
        lines = chunk.split(b"\n")
        last = lines.pop()
        if last:
            self._tail, self._tail_len = [last], len(last)
        events: list[SSEEvent] = []
        data = self._data
        limit = self.max_event_bytes
        for line in lines:
            # Fast path for the two lines nearly every event is made of.
            if line[:6] == b"data: ":
                data.append(line[6:])
                continue
            if not line and data and self._event is None:
                self._data = []
                raw = data[0] if len(data) == 1 else b"\n".join(data)
                if limit is not None and len(raw) > limit:
                    raise self._too_large(len(raw))
                events.append(SSEEvent(raw.decode("utf-8", "replace"), None, self._id, self._retry))
                data = self._data
                continue
            event = self._line(line)
            data = self._data
            if event is not None:
                events.append(event)
        if limit is not None and (data or self._tail_len):
            size = self._data_size() + self._tail_len
            if size > limit:
                raise self._too_large(size)
        return events

    def _data_size(self) -> int:
        return sum(map(len, self._data)) + len(self._data)

    def flush(self) -> list[SSEEvent]:
        """End of input. Unlike the spec, a last event without its blank line is
        still delivered: some servers close the connection right after it."""
        events = []
        if self._tail:
            tail = b"".join(self._tail)
            self._tail, self._tail_len = [], 0
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
        if self.max_event_bytes is not None and len(raw) > self.max_event_bytes:
            raise self._too_large(len(raw))
        event = SSEEvent(raw.decode("utf-8", "replace"), self._event, self._id, self._retry)
        self._event = None
        return event


def iter_events(chunks: Iterable[bytes], decoder: Optional[SSEDecoder] = None) -> Iterator[SSEEvent]:
    decoder = decoder or SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.flush()


async def aiter_events(chunks: AsyncIterable[bytes], decoder: Optional[SSEDecoder] = None) -> AsyncIterator[SSEEvent]:
    decoder = decoder or SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.flush():
        yield event
