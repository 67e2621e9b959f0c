"""The retry policy: pure, so one table of tests covers the sync and async drivers.

Retried: 408, 409, 429, 5xx, connection errors and timeouts, and a stream that
failed before its first event reached the caller. Never retried: 400, 401, 403,
404, 422, and anything the server marks ``retryable: false`` (e.g. Gloo's
``SPENDING_LIMIT_EXCEEDED`` 429). A server-given wait (``Retry-After`` in seconds
or as an HTTP date, or ``X-RateLimit-Reset`` as a Unix time or seconds) is
honoured up to ``max_wait``; otherwise exponential backoff with equal jitter
(between half and all of ``initial_delay * 2**attempt``, capped at ``max_delay``).

The policy only decides; the sender (sender.py) runs the one retry loop per mode
and sleeps with the client's injectable ``sleep``.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Callable, Mapping, Optional

from .errors import GlooGravixError

__all__ = ["RetryPolicy", "RetryHook", "Recover", "server_wait"]

#: ``on_retry(attempt, error, delay)``: called before each retry's sleep (attempt counts from 1).
RetryHook = Callable[[int, GlooGravixError, float], None]
#: ``recover(error)`` -> True when the caller changed its request so that it can be resent at once (counted as
#: an attempt, no sleep); used for the ``stream_options`` fallback.
Recover = Callable[[GlooGravixError], bool]

# X-RateLimit-Reset values above this are Unix timestamps, below it seconds.
_EPOCH_THRESHOLD = 1_000_000_000


def server_wait(headers: Optional[Mapping[str, str]], now: Optional[float] = None) -> Optional[float]:
    """Seconds the server asked us to wait, or None when it did not say."""
    if not headers:
        return None
    # Header names are case-insensitive: a plain dict such as {"Retry-After": "5"}
    # (errors built by hand, or by other code) must be read like httpx.Headers,
    # whose keys are already lower case. Without this such hints were ignored.
    headers = {str(k).lower(): v for k, v in headers.items()}
    now = time.time() if now is None else now
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - now)
            except (TypeError, ValueError, IndexError):
                pass
    value = headers.get("x-ratelimit-reset")
    if value:
        try:
            reset = float(value)
        except ValueError:
            return None
        return max(0.0, reset - now) if reset > _EPOCH_THRESHOLD else max(0.0, reset)
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """``delay(attempt, error)`` -> seconds to wait before retrying, or None to give up.

    ``attempt`` counts retries already made (0 for the first failure).
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    #: the longest server-requested wait honoured; longer requests are capped.
    max_wait: float = 60.0
    jitter: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")

    def delay(self, attempt: int, error: BaseException, headers: Optional[Mapping[str, str]] = None) -> Optional[float]:
        if attempt >= self.max_retries:
            return None
        if not isinstance(error, GlooGravixError) or not error.retryable:
            return None
        wait = server_wait(headers if headers is not None else getattr(error, "headers", None))
        if wait is not None:
            return min(wait, self.max_wait)
        backoff: float = min(self.max_delay, self.initial_delay * 2.0**attempt)
        # "equal jitter": at least half the backoff, so retries never hammer
        return backoff / 2 + backoff / 2 * self.jitter()
