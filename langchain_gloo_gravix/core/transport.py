"""An async transport that keeps httpx's per-request pool scan short.

httpcore checks every idle connection of a pool on every request (a
``has_expired`` probe that polls each socket for readability), so with many
connections open the cost of one request grows with the pool: at 64 requests in
flight, measured on loopback, throughput halves. Splitting the connections over
a few sub-pools keeps each scan short. Requests go to the sub-pool with the
fewest requests in flight (the first on a tie), so sequential callers keep
reusing one connection and concurrent ones spread out. A request stays "in
flight" until its response is closed, not merely until its headers arrived:
long streams opened one after another spread over the sub-pools instead of
piling into the first one.

It is still one transport, owned and closed by one client.
"""

from __future__ import annotations

from typing import Any, AsyncIterator

import httpx

__all__ = ["SplitPoolTransport"]


class _Counted(httpx.AsyncByteStream):
    """A response body that gives its sub-pool's slot back once, when closed."""

    __slots__ = ("_inner", "_counts", "_index")

    def __init__(self, inner: httpx.AsyncByteStream, counts: list[int], index: int) -> None:
        self._inner = inner
        self._counts: list[int] | None = counts
        self._index = index

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._inner.__aiter__()  # no extra hop per chunk

    async def aclose(self) -> None:
        counts, self._counts = self._counts, None
        if counts is not None:
            counts[self._index] -= 1
        await self._inner.aclose()


class SplitPoolTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, pools: int = 8, limits: httpx.Limits, **transport_kwargs: Any) -> None:
        if pools < 1:
            raise ValueError(f"pools must be >= 1, got {pools}")
        per_pool = httpx.Limits(
            max_connections=None if limits.max_connections is None else max(1, -(-limits.max_connections // pools)),
            max_keepalive_connections=(
                None
                if limits.max_keepalive_connections is None
                else max(1, -(-limits.max_keepalive_connections // pools))
            ),
            keepalive_expiry=limits.keepalive_expiry,
        )
        self._pools = [httpx.AsyncHTTPTransport(limits=per_pool, **transport_kwargs) for _ in range(pools)]
        self._in_flight = [0] * pools

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        counts = self._in_flight
        index = counts.index(min(counts))
        counts[index] += 1
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            counts[index] -= 1
            raise
        if response.is_closed:  # a body already read in full (in-memory responses)
            counts[index] -= 1
        else:
            response.stream = _Counted(response.stream, counts, index)  # type: ignore[arg-type]
        return response

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


def close_sockets_now(transport: Any) -> int:
    """Close the sockets of an async transport whose event loop has closed; returns how many were closed.

    ``aclose()`` needs the loop the connections were opened on; once that loop is closed the sockets would
    stay open until the garbage collector finds them (one descriptor per finished ``asyncio.run()``). The
    socket *objects* the loop's transports hold are closed here, so those transports' own later close is a
    no-op (never a close of a reused descriptor number). Best effort over httpx/httpcore internals: what
    cannot be found is left to the garbage collector, as before.
    """
    import socket

    pools = getattr(transport, "_pools", None) or [transport]
    closed = 0
    for pool in pools:
        core_pool = getattr(pool, "_pool", None)
        connections = list(getattr(core_pool, "_connections", None) or [])
        for connection in connections:
            inner = getattr(connection, "_connection", None) or connection
            stream = getattr(inner, "_network_stream", None)
            try:
                raw = stream.get_extra_info("socket") if stream is not None else None
            except Exception:  # noqa: BLE001 - an internal we could not read
                raw = None
            sock = getattr(raw, "_sock", raw)  # asyncio hands out a TransportSocket around the socket
            if isinstance(sock, socket.socket) and sock.fileno() != -1:
                sock.close()
                closed += 1
        if connections and core_pool is not None:
            core_pool._connections = []
    return closed
