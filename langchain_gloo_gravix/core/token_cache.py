"""The process-wide Gloo token cache: one bearer token per credentials, its expiry, and one refresh at a time.

Rules (the flows that use it are in auth.py):

- The token is cached until ``expires_in`` (3600 when absent or unusable, at most one day) minus a 60 s skew.
- Concurrent callers share one refresh (a *round*), across threads and event loops: the cache is per
  ``(token URL, client id, secret)`` for the whole process.
- The owner's failure of a round (including a timeout) reaches every waiter of that round, each as its own
  exception object (:func:`~.errors.clone_error`).
- A round carries the owner's deadline. A waiter whose own deadline passes first fails with a timeout; a
  waiter still waiting a grace period after the owner's deadline takes the refresh over.
- In a forked child, the in-flight rounds and the locks are reset (``os.register_at_fork``).
- A token response is read leniently (:func:`token_fields`): the token must be visible ASCII, ``expires_in`` a
  finite positive number (else the default; capped at one day).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import math
import os
import threading
import time
import weakref
from concurrent.futures import Future
from typing import Any, Callable, Optional

from .errors import APITimeoutError, GlooGravixError, clone_error

__all__ = [
    "TokenCache",
    "Wait",
    "token_cache_for",
    "token_fields",
    "DEFAULT_EXPIRES_IN",
    "MAX_EXPIRES_IN",
    "REFRESH_SKEW",
    "TAKEOVER_GRACE",
]

DEFAULT_EXPIRES_IN = 3600.0
MAX_EXPIRES_IN = 86400.0
REFRESH_SKEW = 60.0
#: how long a waiter waits past the owner's deadline before it takes the refresh over
TAKEOVER_GRACE = 1.0
#: the owner's deadline when it has none (timeouts disabled): waiters take over after this
_UNBOUNDED_ROUND = 60.0


class _Abandoned(Exception):
    """The caller that was refreshing went away (cancelled, closed): waiters claim again."""


class _Round:
    """One refresh in flight: its outcome and the owner's deadline (monotonic seconds)."""

    __slots__ = ("future", "deadline")

    def __init__(self, deadline: float) -> None:
        self.future: Future[str] = Future()
        self.deadline = deadline


class Wait:
    """Wait for another caller's refresh; then the flow claims again."""

    __slots__ = ("round", "deadline", "clock")

    def __init__(self, round_: _Round, deadline: Optional[float], clock: Callable[[], float]) -> None:
        self.round = round_
        self.deadline = deadline
        self.clock = clock

    def _limit(self) -> tuple[float, bool]:
        """Seconds to wait, and whether that limit is the caller's own deadline (else the takeover time)."""
        takeover = self.round.deadline + TAKEOVER_GRACE - self.clock()
        if self.deadline is not None:
            own = self.deadline - self.clock()
            if own <= takeover:
                return max(0.0, own), True
        return max(0.0, takeover), False

    def _outcome(self, finished: bool, own_limit: bool, waited: float) -> None:
        if not finished:
            if own_limit:
                raise APITimeoutError(
                    f"gave up after {waited:.2f} s waiting for another caller's token refresh (timeout)",
                    endpoint="gloo token",
                )
            return  # the owner is past its deadline: claim again and take over
        error = self.round.future.exception()
        if isinstance(error, GlooGravixError):
            raise clone_error(error)
        # a token, or _Abandoned: claim again

    def block(self) -> None:
        """Sync: wait for the round; raise its failure (as this caller's own), or return to claim again."""
        limit, own = self._limit()
        done, _ = concurrent.futures.wait([self.round.future], timeout=limit)
        self._outcome(bool(done), own, limit)

    async def wait(self) -> None:
        """Async twin of :meth:`block`. The caller's task awaits a future of its own, which is only ever given
        ``None``: a cancelled caller leaves nothing unretrieved and never cancels the shared refresh."""
        limit, own = self._limit()
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()

        def wake(_: Future[str]) -> None:
            try:
                loop.call_soon_threadsafe(_release, woken)
            except RuntimeError:  # that caller's loop has closed: nobody is waiting any more
                pass

        self.round.future.add_done_callback(wake)
        try:
            await asyncio.wait_for(woken, limit)
            finished = True
        except asyncio.TimeoutError:
            finished = self.round.future.done()
        self._outcome(finished, own, limit)


def _release(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)


# -- the cache ------------------------------------------------------------------------------------------------


class TokenCache:
    """One bearer token, its expiry, and the refresh round in flight (if any)."""

    def __init__(self, *, skew: float = REFRESH_SKEW, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self.clock = clock
        self._skew = skew
        self._token: Optional[str] = None
        self._expires_at = 0.0
        self._inflight: Optional[_Round] = None
        #: how many token requests were started (for tests and diagnostics).
        self.mints = 0
        _all_caches.add(self)

    @property
    def token(self) -> Optional[str]:
        """The cached token, fresh or not (for scrubbing it from server text), or None."""
        return self._token

    def claim(self, deadline: Optional[float]) -> tuple[Optional[str], Optional[_Round], bool]:
        """``(token, None, False)`` if fresh; ``(None, round, False)`` to wait for ``round``;
        ``(None, round, True)`` when the caller must refresh and settle ``round`` (a round whose owner is past
        its deadline plus the grace period is taken over)."""
        with self._lock:
            now = self.clock()
            if self._token is not None and now < self._expires_at:
                return self._token, None, False
            current = self._inflight
            if current is not None and now <= current.deadline + TAKEOVER_GRACE:
                return None, current, False
            owner_deadline = deadline if deadline is not None else now + _UNBOUNDED_ROUND
            self._inflight = round_ = _Round(owner_deadline)
            self.mints += 1
            return None, round_, True

    def settle(self, round_: _Round, token: str, expires_in: float) -> None:
        # Never keep a token past half its life when the lifetime is shorter than the skew.
        margin = min(self._skew, expires_in / 2)
        with self._lock:
            self._token = token
            self._expires_at = self.clock() + expires_in - margin
            if self._inflight is round_:
                self._inflight = None
        if not round_.future.done():
            round_.future.set_result(token)

    def fail(self, round_: _Round, error: BaseException) -> None:
        with self._lock:
            if self._inflight is round_:
                self._inflight = None
        if not round_.future.done():
            round_.future.set_exception(error)

    def invalidate(self, token: str) -> None:
        """Drop ``token`` if it is still the cached one (another caller may have re-minted)."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _after_fork(self) -> None:
        # The refreshing thread does not exist in the child, and a lock it held would stay held forever.
        self._lock = threading.Lock()
        self._inflight = None


_all_caches: "weakref.WeakSet[TokenCache]" = weakref.WeakSet()
_caches: dict[tuple[str, str, str], TokenCache] = {}
_caches_lock = threading.Lock()


def _reset_after_fork() -> None:
    global _caches_lock
    _caches_lock = threading.Lock()
    for cache in list(_all_caches):
        cache._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def token_cache_for(token_url: str, client_id: str, client_secret: str) -> TokenCache:
    """The process-wide cache for these credentials (the secret is keyed by its hash)."""
    key = (token_url, client_id, hashlib.sha256(client_secret.encode()).hexdigest())
    with _caches_lock:
        cache = _caches.get(key)
        if cache is None:
            cache = _caches[key] = TokenCache()
        return cache


def token_fields(
    raw: bytes, default_expires_in: float = DEFAULT_EXPIRES_IN, max_expires_in: float = MAX_EXPIRES_IN
) -> tuple[Optional[str], float]:
    """``(access_token, expires_in)`` of a token response, read leniently and never raising.

    The token is None when the body has no usable one: surrounding whitespace (a CRLF in a
    server's template) is stripped, and what remains must be printable ASCII without spaces,
    or it could not go into a header. ``expires_in`` (a number, or a numeric string) falls back
    to the default when absent or not a finite positive number, and is capped at ``max_expires_in``
    (a 400-digit value must neither overflow nor keep a token for ever).
    """
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError, OverflowError):
        return None, default_expires_in
    if not isinstance(data, dict):
        return None, default_expires_in
    return _usable_token(data.get("access_token")), _lifetime(
        data.get("expires_in"), default_expires_in, max_expires_in
    )


def _usable_token(value: Any) -> Optional[str]:
    if not isinstance(value, str):
        return None
    token = value.strip()
    if not token or not all("\x21" <= ch <= "\x7e" for ch in token):
        return None
    return token


def _lifetime(value: Any, default: float, cap: float) -> float:
    if isinstance(value, bool):
        return default
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except (ValueError, OverflowError):
            return default
    if isinstance(value, int):
        return float(min(value, int(cap))) if value > 0 else default  # min first: no overflow
    if isinstance(value, float) and math.isfinite(value) and value > 0:
        return min(value, cap)
    return default
