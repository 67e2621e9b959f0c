"""Deadlines: the finite default timeout, the whole-call budget, and the two objects that enforce it.

A non-streaming attempt (token request, connect, send, headers, the whole body) must end within the *call
budget*, the largest of the phase limits (sender.py documents every timeout). Two pieces enforce it without a
timer or an extra task, in both modes:

- :class:`DeadlineTimeouts` gives each phase the smaller of its own limit and the time left;
- :class:`DeadlineBody` fails a body that keeps trickling bytes past the deadline.
"""

from __future__ import annotations

import time
from typing import Any, AsyncIterator, Iterator, Mapping, Optional

import httpx

from .errors import APITimeoutError

__all__ = ["DEFAULT_TIMEOUT", "call_budget", "late", "DeadlineTimeouts", "DeadlineBody"]

#: finite by default (ChatOpenAI's default is no timeout at all; docs/framework-notes.md#timeouts).
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=120.0, write=30.0, pool=30.0)

_monotonic = time.monotonic


def call_budget(timeout: httpx.Timeout) -> Optional[float]:
    """Seconds a whole non-streaming attempt may take: the largest phase limit, or None without a read limit."""
    if timeout.read is None:
        return None
    return max(v for v in (timeout.connect, timeout.read, timeout.write, timeout.pool) if v is not None)


def late(endpoint: str, budget: Optional[float], what: str = "call did not finish") -> APITimeoutError:
    """The error of an attempt whose call budget ran out."""
    return APITimeoutError(
        f"{endpoint} {what} within the call timeout ({budget or 0:g} s)", endpoint=endpoint, code="call_timeout"
    )


class DeadlineTimeouts(dict):  # type: ignore[type-arg]
    """Per-phase timeouts that never reach past a deadline.

    httpcore reads each phase's limit with ``timeouts.get(phase)`` as that phase starts (pool wait, connect,
    write, read of the headers, read of the body), so each phase gets the smaller of its own limit and the
    time left: the whole attempt ends by the deadline, in both modes, with no timer and no extra task.
    """

    __slots__ = ("deadline",)

    def __init__(self, limits: Mapping[str, Optional[float]], deadline: float) -> None:
        super().__init__(limits)
        self.deadline = deadline

    def get(self, key: str, default: Optional[float] = None) -> Optional[float]:  # type: ignore[override]
        limit = dict.get(self, key, default)
        left = self.deadline - _monotonic()
        if left < 1e-3:
            left = 1e-3  # never 0: a zero socket timeout means non-blocking, not "expired"
        return left if limit is None or limit > left else limit


class DeadlineBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that fails once the call's deadline passed, even while bytes keep trickling in (each
    read is bounded by the read timeout; this bounds their sum)."""

    __slots__ = ("_inner", "_deadline", "_endpoint", "_budget")

    def __init__(self, inner: Any, deadline: float, endpoint: str, budget: Optional[float]) -> None:
        self._inner = inner
        self._deadline = deadline
        self._endpoint = endpoint
        self._budget = budget

    def _late(self) -> APITimeoutError:
        return late(self._endpoint, self._budget, "did not finish its answer")

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            if _monotonic() > self._deadline:
                raise self._late()
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            if _monotonic() > self._deadline:
                raise self._late()
            yield chunk

    def close(self) -> None:
        self._inner.close()

    async def aclose(self) -> None:
        await self._inner.aclose()
