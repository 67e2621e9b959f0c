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

Why one module of over 500 lines: everything here wraps httpcore's connection pool at the same seam (the
sub-pools, the per-exchange deadline on socket reads, closing a desynchronised connection, reclaiming the
connections a cancelled request orphaned, forgetting connections in a forked child); each piece relies on the
same private attributes, read in one place.

This module also holds what our connection pools need beyond httpx's defaults (each explained where it is
defined): the call deadline enforced at the socket (a trickled header block cannot outlive it), connections
closed when a server sends more than one response per request, connections a cancelled request left behind
reclaimed, and pools that a forked child does not share.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import time
import weakref
from contextvars import ContextVar, Token
from typing import Any, AsyncIterator, Callable, Optional

import h11
import httpcore
import httpx

from .bodies import run_shielded

__all__ = [
    "SplitPoolTransport",
    "direct_transport",
    "proxy_client",
    "CallBudget",
    "enter_budget",
    "exit_budget",
    "bound_by_deadlines",
    "close_if_desynchronised",
    "owned_by_this_process",
    "on_fork_in_child",
    "close_sockets_now",
    "take_orphans",
    "close_orphans",
    "aclose_orphans",
]


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
        bound_by_deadlines(self)
        owned_by_this_process(self)

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


def direct_transport(**transport_kwargs: Any) -> httpx.HTTPTransport:
    """The sync transport of the default path: httpx's, bounded by the call deadline and reset in a fork."""
    transport = httpx.HTTPTransport(**transport_kwargs)
    bound_by_deadlines(transport)
    owned_by_this_process(transport)
    return transport


def proxy_client(cls: Callable[..., Any], **client_kwargs: Any) -> Any:
    """An httpx client (``cls``) that applies the proxies of the environment, each one checked first (a
    malformed value or a SOCKS proxy without ``socksio`` is a :class:`ConfigurationError` naming the variable),
    bounded by the call deadline and reset in a fork."""
    from .config import check_proxy_environment

    check_proxy_environment()
    client = cls(**client_kwargs)
    bound_by_deadlines(client)
    owned_by_this_process(client)
    return client


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


# -- the call deadline, at the socket ------------------------------------------------------------------------
#
# httpcore reads a phase's timeout once, when the phase starts, and applies it to each socket read: a server that
# trickles its response headers a byte at a time (each byte inside the read timeout) would hold a call for ever.
# The deadline is therefore enforced where the bytes are read: our pools get a network backend whose streams
# bound every read and write by the deadline of the exchange in progress. The sender opens a scope around each
# exchange (a context variable: per thread, per task); outside a scope the streams behave as httpcore's own.


class CallBudget:
    """The deadline of the exchange in progress: fixed (a call budget), or started by the first read (a stream's
    wait for its header block: ``header_limit`` seconds from the moment the request was sent)."""

    __slots__ = ("deadline", "header_limit", "late")

    def __init__(
        self, deadline: Optional[float], late: Callable[[], BaseException], header_limit: Optional[float] = None
    ) -> None:
        self.deadline = deadline
        self.header_limit = header_limit
        self.late = late

    def left(self, timeout: Optional[float], reading: bool) -> Optional[float]:
        deadline = self.deadline
        if deadline is None:
            if not reading or self.header_limit is None:
                return timeout
            deadline = self.deadline = time.monotonic() + self.header_limit
        left = deadline - time.monotonic()
        if left <= 0:
            raise self.late()
        return left if timeout is None or timeout > left else timeout


_budget: ContextVar[Optional[CallBudget]] = ContextVar("langchain_gloo_gravix_call_budget", default=None)


def enter_budget(budget: Optional[CallBudget]) -> Token[Optional[CallBudget]]:
    """Bound the socket reads and writes of this thread / task by ``budget`` until :func:`exit_budget`."""
    return _budget.set(budget)


def exit_budget(token: Token[Optional[CallBudget]]) -> None:
    _budget.reset(token)


class _DeadlineStream(httpcore.NetworkStream):
    __slots__ = ("_inner",)

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: Optional[float] = None) -> bytes:
        budget = _budget.get()
        if budget is not None:
            timeout = budget.left(timeout, True)
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: Optional[float] = None) -> None:
        budget = _budget.get()
        if budget is not None:
            timeout = budget.left(timeout, False)
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: Optional[str] = None, timeout: Optional[float] = None
    ) -> httpcore.NetworkStream:
        budget = _budget.get()
        if budget is not None:
            timeout = budget.left(timeout, False)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _AsyncDeadlineStream(httpcore.AsyncNetworkStream):
    __slots__ = ("_inner",)

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: Optional[float] = None) -> bytes:
        budget = _budget.get()
        if budget is not None:
            timeout = budget.left(timeout, True)
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: Optional[float] = None) -> None:
        budget = _budget.get()
        if budget is not None:
            timeout = budget.left(timeout, False)
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: Optional[str] = None, timeout: Optional[float] = None
    ) -> httpcore.AsyncNetworkStream:
        budget = _budget.get()
        if budget is not None:
            timeout = budget.left(timeout, False)
        return _AsyncDeadlineStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: Optional[float] = None,
        local_address: Optional[str] = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        budget = _budget.get()
        if budget is not None:
            timeout = budget.left(timeout, False)
        return _DeadlineStream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: Optional[float] = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncDeadlineBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: Optional[float] = None,
        local_address: Optional[str] = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        budget = _budget.get()
        if budget is not None:
            timeout = budget.left(timeout, False)
        return _AsyncDeadlineStream(await self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(
        self, path: str, timeout: Optional[float] = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        return _AsyncDeadlineStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _pools_of(transport: Any) -> list[Any]:
    """The httpcore connection pools behind an httpx client or transport (ours, httpx's, a proxy's mounts)."""
    found: list[Any] = []
    transports = [transport]
    if isinstance(transport, (httpx.Client, httpx.AsyncClient)):
        transports = [transport._transport, *transport._mounts.values()]
    for item in transports:
        for sub in getattr(item, "_pools", None) or [item]:
            pool = getattr(sub, "_pool", None)
            if isinstance(pool, (httpcore.ConnectionPool, httpcore.AsyncConnectionPool)):
                found.append(pool)
    return found


def bound_by_deadlines(transport: Any) -> None:
    """Give the pools of ``transport`` (an httpx client or transport) a network backend that honours the call
    deadline (connections opened from now on). Inert outside the sender's scopes: a caller's client keeps
    behaving as before for everything else it sends."""
    for pool in _pools_of(transport):
        backend = pool._network_backend
        if isinstance(backend, (_DeadlineBackend, _AsyncDeadlineBackend)):
            continue
        wrapper = _AsyncDeadlineBackend if isinstance(pool, httpcore.AsyncConnectionPool) else _DeadlineBackend
        pool._network_backend = wrapper(backend)


# -- a desynchronised server: bytes after a complete response ---------------------------------------------------
#
# HTTP/1.1 without pipelining has exactly one response per request. Bytes that came with a response but lie past
# its end (a second response: a broken proxy, a desynchronised server) would be read by the NEXT request on the
# connection as its own answer. httpcore returns such a connection to the pool; we close it instead. (A response
# that arrives while the connection sits idle makes its socket readable, and httpcore then discards it when the
# pool next looks at it.)


def _h11_connection(response: httpx.Response) -> Any:
    """The httpcore HTTP/1.1 connection a streaming response is read from, or None (mock transports, HTTP/2)."""
    item: Any = response.stream
    for _ in range(8):  # httpx and httpcore wrap the body a few times; each wrapper names the next
        connection = getattr(item, "_connection", None)
        if connection is not None and hasattr(connection, "_h11_state"):
            return connection
        item = (
            getattr(item, "_inner", None) or getattr(item, "_stream", None) or getattr(item, "_httpcore_stream", None)
        )
        if item is None:
            return None
    return None


def _leftover(connection: Any) -> bool:
    state = connection._h11_state
    return bool(state.their_state is h11.DONE and state.trailing_data[0])


def close_if_desynchronised(response: httpx.Response) -> None:
    """Make the connection of ``response`` close, rather than return to the pool, if bytes beyond the end of the
    response were received with it. Once per connection; best effort over httpcore internals."""
    connection = _h11_connection(response)
    if connection is None or "_response_closed" in connection.__dict__:
        return
    original = connection._response_closed
    if asyncio.iscoroutinefunction(original):

        async def aclosed() -> None:
            if _leftover(connection):
                await connection.aclose()
            else:
                await original()

        connection._response_closed = aclosed
    else:

        def closed() -> None:
            if _leftover(connection):
                connection.close()
            else:
                original()

        connection._response_closed = closed


# -- connections a cancelled request orphaned --------------------------------------------------------------------
#
# httpcore 1.0.x leaks a pool slot when a request is cancelled at one of two instants (encode/httpcore#1093, fixes
# proposed in encode/httpcore#1094 and #1099, unreleased): after the pool created a connection for it but before
# the request reached that connection (a queued request cancelled as a slot frees up), or right after the socket
# connected, at the lock the HTTP/1.1 connection takes before it marks itself ACTIVE (outside both of httpcore's
# ``try`` blocks, and an anyio lock yields to the loop even when free). The connection stays in the pool CONNECTING
# or NEW: not idle, not closed, not available, never expiring, owned by no request; it holds a slot (and a socket)
# for good (ten ``asyncio.wait_for`` calls timing out at 1-80 ms left one behind in about one run in seven, on
# loopback). A second cancellation landing in httpcore's own close of a failed exchange leaves an ACTIVE one alike.
#
# The rule is the one proposed upstream: a connection that no request of its pool owns and that is neither idle,
# closed nor available can never be used or given back, so it is closed. The senders apply it whenever an exchange
# fails, which is where such a connection is born; the pool's state is read and changed in one step (no await).


def _orphans(pool: Any) -> list[Any]:
    owned = {id(pool_request.connection) for pool_request in pool._requests}
    return [
        connection
        for connection in pool._connections
        if id(connection) not in owned
        and not (connection.is_idle() or connection.is_closed() or connection.is_available())
    ]


def take_orphans(transport: Any) -> list[Any]:
    """Remove the orphaned connections from the pools of ``transport`` (an httpx client or transport) and return
    them, to be closed. Best effort over httpcore internals: a pool that cannot be read is left alone."""
    found: list[Any] = []
    for pool in _pools_of(transport):
        try:
            with pool._optional_thread_lock:
                orphans = _orphans(pool)
                for connection in orphans:
                    pool._connections.remove(connection)
        except Exception:  # noqa: BLE001 - another httpcore's internals: nothing reclaimed
            continue
        found.extend(orphans)
    return found


def close_orphans(transport: Any) -> None:
    """Close the connections a failed exchange orphaned in the (sync) pools of ``transport``."""
    for connection in take_orphans(transport):
        connection.close()


async def aclose_orphans(transport: Any) -> None:
    """Close the connections a failed exchange orphaned in the (async) pools of ``transport``; the close runs to
    its end even when the caller (typically being cancelled) is cancelled again."""
    orphans = take_orphans(transport)
    if orphans:
        await run_shielded(_aclose_all(orphans))


async def _aclose_all(connections: list[Any]) -> None:
    for connection in connections:
        await connection.aclose()


# -- fork safety ---------------------------------------------------------------------------------------------
#
# A forked child inherits the parent's pooled keep-alive connections: both processes would then write requests
# to the same socket and read each other's answers. Every pool we own is registered here; in a child, each one
# forgets its connections (closing only the child's copies of the descriptors: the parent's connections stay
# open and unread) and gets fresh locks, so the child opens its own connections.

_owned_pools: "weakref.WeakSet[Any]" = weakref.WeakSet()
_after_fork_hooks: list[Callable[[], None]] = []


def owned_by_this_process(transport: Any) -> None:
    """Register the pools of ``transport`` (an httpx client or transport we built) for the reset in a child."""
    for pool in _pools_of(transport):
        _owned_pools.add(pool)


def on_fork_in_child(hook: Callable[[], None]) -> None:
    """Run ``hook`` in a forked child (client caches use it to start empty)."""
    _after_fork_hooks.append(hook)


def _raw_socket(connection: Any) -> Optional[socket.socket]:
    item = connection
    for _ in range(4):  # pool connection -> (proxy connection ->) HTTP/1.1 connection -> network stream
        stream = getattr(item, "_network_stream", None)
        if stream is not None:
            try:
                raw = stream.get_extra_info("socket")
            except Exception:  # noqa: BLE001 - an internal we could not read
                return None
            sock = getattr(raw, "_sock", raw)  # asyncio hands out a TransportSocket around the socket
            return sock if isinstance(sock, socket.socket) else None
        item = getattr(item, "_connection", None)
        if item is None:
            return None
    return None


def _forget_connections(pool: Any) -> None:
    for connection in list(getattr(pool, "_connections", None) or []):
        sock = _raw_socket(connection)
        if sock is not None and sock.fileno() != -1:
            sock.close()  # this process's descriptor only: no shutdown, nothing sent, the parent unaffected
    pool._connections = []
    pool._requests = []
    if isinstance(pool, httpcore.ConnectionPool):
        pool._optional_thread_lock = type(pool._optional_thread_lock)()  # a lock held by a parent's thread


def _reset_after_fork() -> None:
    for pool in list(_owned_pools):
        try:
            _forget_connections(pool)
        except Exception:  # noqa: BLE001 - a child must start even if one pool could not be read
            pass
    for hook in _after_fork_hooks:
        hook()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
