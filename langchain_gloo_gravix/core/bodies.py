"""Reading a whole response body within a size cap (``max_body_bytes``).

The cap applies to the decoded bytes, so a small gzip body that inflates to
gigabytes stops at the cap instead of filling memory. Sync and async drivers share
one decision, :func:`_grow`.
"""

from __future__ import annotations

from typing import Any, Optional

import httpx

from .error_text import request_id_from_headers
from .errors import ResponseTooLargeError

__all__ = ["read_capped", "aread_capped", "request_url", "not_an_event_stream", "DEFAULT_MAX_BODY_BYTES"]


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


def not_an_event_stream(response: httpx.Response) -> bool:
    """A stream request answered with no body (204) or an HTML page: read it whole
    so that the error names what came, instead of "stream ended after 0 chunks"
    (which was also retried)."""
    if response.status_code == 204:
        return True
    return "html" in response.headers.get("content-type", "").lower()
