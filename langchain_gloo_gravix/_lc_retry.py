"""Core retries as LangChain ``on_retry`` callbacks, so tracing sees each one.

The core calls ``hook(attempt, error, delay)`` just before it waits to retry;
this turns that into the ``tenacity.RetryCallState`` LangChain's callback API
carries (the tracer records ``attempt``, ``slept`` and the failed outcome). The
status and the wait are also passed as keyword arguments (``status_code``,
``wait_seconds``) for handlers of our own.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Union

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from tenacity import RetryAction, RetryCallState

from .core.errors import GlooGravixError

__all__ = ["retry_hook", "retry_state"]

RetryHook = Callable[[int, GlooGravixError, float], None]


def retry_state(attempt: int, error: BaseException, delay: float) -> RetryCallState:
    """The state of retry number ``attempt`` (1 for the first), about to wait ``delay`` s."""
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = attempt
    state.set_exception((type(error), error, error.__traceback__))
    state.next_action = RetryAction(delay)
    state.upcoming_sleep = delay
    state.idle_for = delay  # "slept" in traces: the wait before this retry
    return state


def retry_hook(run_manager: Optional[Union[CallbackManagerForLLMRun, AsyncCallbackManagerForLLMRun]]) -> Optional[RetryHook]:
    """A core ``on_retry`` hook reporting to ``run_manager``, or None without one.

    The core calls the hook synchronously, from inside its retry loop, also on
    the async path; an async run manager is reached through its sync twin
    (LangChain runs async handlers of a sync manager to completion).
    """
    if run_manager is None:
        return None
    manager: Any = run_manager.get_sync() if isinstance(run_manager, AsyncCallbackManagerForLLMRun) else run_manager

    def hook(attempt: int, error: GlooGravixError, delay: float) -> None:
        manager.on_retry(retry_state(attempt, error, delay), status_code=error.status_code, wait_seconds=delay)

    return hook
