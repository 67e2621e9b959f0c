"""Reading a whole response body within a size cap (``max_body_bytes``).

The cap applies to the decoded bytes, so a small gzip body that inflates to
gigabytes stops at the cap instead of filling memory. Sync and async drivers share
one decision, :func:`_grow`.
"""

from __future__ import annotations

import asyncio
from typing import Any, Coroutine, Optional

import httpx

from .error_text import request_id_from_headers
from .errors import ResponseTooLargeError

__all__ = [
    "read_capped",
    "aread_capped",
    "aclose_shielded",
    "run_shielded",
    "request_url",
    "DEFAULT_MAX_BODY_BYTES",
]


def _too_large(response: httpx.Response, size: int, limit: int, endpoint: Optional[str]) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"{endpoint or 'server'} sent a response body of more than {limit} bytes (max_body_bytes; "
        f"{size} bytes read when it was stopped)",
        endpoint=endpoint,
        status_code=response.status_code,
        request_id=request_id_from_headers(response.headers),
        code="body_too_large",
    )


def _grow(
    response: httpx.Response, chunks: list[bytes], size: int, chunk: bytes, limit: int, endpoint: Optional[str]
) -> int:
    size += len(chunk)
    if size > limit:
        raise _too_large(response, size, limit, endpoint)
    chunks.append(chunk)
    return size


def _store(response: httpx.Response, chunks: list[bytes]) -> bytes:
    content = b"".join(chunks)
    # What Response.read() does, so that response.content works afterwards.
    response._content = content
    return content


def read_capped(response: httpx.Response, limit: Optional[int], *, endpoint: Optional[str] = None) -> bytes:
    """``response.read()``, but raising :class:`ResponseTooLargeError` past ``limit`` bytes."""
    if limit is None or hasattr(response, "_content"):
        return response.read()
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size = _grow(response, chunks, size, chunk, limit, endpoint)
    return _store(response, chunks)


async def aread_capped(response: httpx.Response, limit: Optional[int], *, endpoint: Optional[str] = None) -> bytes:
    if limit is None or hasattr(response, "_content"):
        return await response.aread()
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size = _grow(response, chunks, size, chunk, limit, endpoint)
    return _store(response, chunks)


def request_url(response: Any) -> Optional[httpx.URL]:
    """The URL a response answered, when the response knows its request."""
    try:
        url: httpx.URL = response.request.url
        return url
    except (RuntimeError, AttributeError):
        return None


#: the default cap on a whole (non-streamed) response body.
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024


def _retrieve(task: "asyncio.Future[None]") -> None:
    if not task.cancelled():
        task.exception()  # a close that failed on its own: nothing left to tell


# The attributes that lead from a response's stream to its HTTP/1.1 connection, through our transport's
# counting wrapper, httpx's client and transport streams and httpcore's pool stream.
_WRAPPERS = ("_inner", "_stream", "_httpcore_stream")

#: a response's HTTP/1.1 connection and the number of the request it was serving for that response
Claim = Optional[tuple[Any, int]]


def connection_claim(response: httpx.Response) -> Claim:
    """Which connection serves ``response``, and as its how-manyth request: taken when the response arrives,
    so that a later close can tell "still ours, stuck" from "given back and serving someone else".

    httpcore's private attributes are followed step by step, each optional: another transport, HTTP/2 or a
    test double give None (and nothing is ever discarded for them)."""
    stream: Any = response.stream
    for _ in range(6):  # bounded: a few wrappers at most
        pool_request = getattr(stream, "_pool_request", None)
        if pool_request is not None:
            connection = getattr(getattr(pool_request, "connection", None), "_connection", None)
            count = getattr(connection, "_request_count", None)
            return (connection, count) if type(count) is int and hasattr(connection, "_state") else None
        stream = next((getattr(stream, name) for name in _WRAPPERS if hasattr(stream, name)), None)
        if stream is None:
            return None
    return None


def _stuck(claim: Claim) -> bool:
    """The claimed connection is still checked out for the same request: nobody will give it back now."""
    if claim is None:
        return False
    connection, count = claim
    return getattr(connection._state, "name", "") == "ACTIVE" and connection._request_count == count


async def _close_releasing(response: httpx.Response, claim: Claim) -> None:
    """Close ``response``; then discard its connection if it is still checked out for it.

    httpcore closes a stream's connection itself when a read is cancelled, but a second cancellation landing in
    that close (its shield guards against anyio cancel scopes, not ``Task.cancel()``) leaves the connection
    ACTIVE with the stream marked closed, so no later close can free it: the pool has lost a slot for good."""
    try:
        await response.aclose()
    finally:
        if _stuck(claim):
            assert claim is not None
            await claim[0].aclose()


async def aclose_shielded(response: httpx.Response, claim: Claim = None) -> None:
    """``await response.aclose()``, carried to its end even when the caller is cancelled meanwhile, and the
    connection given back (or discarded) whatever a cancellation interrupted before (``claim``: from
    :func:`connection_claim`, taken when the response arrived).

    A cancellation that lands inside a close (a second ``cancel()``, ``asyncio.wait_for`` timing out while a
    stream is being closed) would otherwise stop the close half-way and leave its connection checked out of the
    pool for good. The close runs as its own task; the caller still sees its cancellation at once. A response
    already closed with its connection given back costs nothing (no task).
    """
    if response.is_closed and not _stuck(claim):
        return
    await run_shielded(_close_releasing(response, claim))


async def run_shielded(close: Coroutine[Any, Any, None]) -> None:
    """Run ``close`` as its own task, to its end even if the caller is cancelled meanwhile; the caller waits
    for it (and still sees a cancellation of its own at once)."""
    task = asyncio.ensure_future(close)
    task.add_done_callback(_retrieve)
    await asyncio.shield(task)
