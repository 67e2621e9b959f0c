"""Instrumentation events of our own, dispatched on the LlamaIndex dispatcher.

:class:`GlooGravixRetryEvent` is sent each time the core is about to retry a
request (a 429, a 5xx, a dropped connection), so an event handler or a tracing
integration sees a rate-limit storm as retries instead of one slow call.
"""

from __future__ import annotations

from typing import Callable, Optional

from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.events.base import BaseEvent

from langchain_gloo_gravix.core.errors import GlooGravixError

__all__ = ["GlooGravixRetryEvent", "retry_event_hook"]


class GlooGravixRetryEvent(BaseEvent):
    """A request failed and is retried after ``wait_seconds``.

    ``attempt`` is the retry's number (1 for the first), ``status_code`` the HTTP
    status that caused it (None for a connection error or a timeout).
    """

    endpoint: Optional[str] = None
    attempt: int
    status_code: Optional[int] = None
    wait_seconds: float
    error_type: str
    error: str

    @classmethod
    def class_name(cls) -> str:
        return "GlooGravixRetryEvent"


def retry_event_hook(dispatcher_name: str) -> Callable[[int, GlooGravixError, float], None]:
    """A core ``on_retry`` hook that dispatches :class:`GlooGravixRetryEvent`.

    The core calls it inside the chat call, so the event belongs to that call's span.
    """
    dispatcher = get_dispatcher(dispatcher_name)

    def hook(attempt: int, error: GlooGravixError, delay: float) -> None:
        dispatcher.event(
            GlooGravixRetryEvent(
                endpoint=error.endpoint,
                attempt=attempt,
                status_code=error.status_code,
                wait_seconds=delay,
                error_type=type(error).__name__,
                error=str(error),
            )
        )

    return hook
