"""Core retries as LangChain ``on_retry`` callbacks, so tracing sees each one.

For ``invoke``/``batch`` the run manager LangChain hands ``_generate`` is used;
``.stream()``/``.astream()`` hand ``_stream`` none, so the chat model wraps them
(:func:`relay_config`, :func:`relayed`) to learn the run and its handlers.

The core calls ``hook(attempt, error, delay)`` just before it waits to retry;
this turns that into the ``tenacity.RetryCallState`` LangChain's callback API
carries (the tracer records ``attempt``, ``slept`` and the failed outcome). The
status and the wait are also passed as keyword arguments (``status_code``,
``wait_seconds``) for handlers of our own.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterator, Optional, Union
from uuid import UUID

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    BaseCallbackHandler,
    CallbackManager,
    CallbackManagerForLLMRun,
    Callbacks,
)
from langchain_core.runnables import RunnableConfig, ensure_config
from langchain_core.utils.uuid import uuid7

from .core.errors import GlooGravixError

if TYPE_CHECKING:
    from tenacity import RetryCallState

__all__ = [
    "retry_hook",
    "retry_state",
    "StreamRunRelay",
    "relay_config",
    "relayed",
    "arelayed",
    "current_relay_manager",
]

RetryHook = Callable[[int, GlooGravixError, float], None]


def retry_state(attempt: int, error: BaseException, delay: float) -> "RetryCallState":
    """The state of retry number ``attempt`` (1 for the first), about to wait ``delay`` s."""
    # loaded on the first retry, not with the chat models (tenacity costs milliseconds at import)
    from tenacity import RetryAction, RetryCallState

    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = attempt
    state.set_exception((type(error), error, error.__traceback__))
    state.next_action = RetryAction(delay)
    state.upcoming_sleep = delay
    state.idle_for = delay  # "slept" in traces: the wait before this retry
    return state


def retry_hook(
    run_manager: Optional[Union[CallbackManagerForLLMRun, AsyncCallbackManagerForLLMRun]],
) -> Optional[RetryHook]:
    """A core ``on_retry`` hook reporting to ``run_manager``, or None without one.

    The core calls the hook synchronously, from inside its retry loop, also on
    the async path; an async run manager is reached through its sync twin
    (LangChain runs async handlers of a sync manager to completion).
    """
    if run_manager is None:
        run_manager = current_relay_manager()  # a .stream() call: see StreamRunRelay
    if run_manager is None:
        return None
    manager: Any = run_manager.get_sync() if isinstance(run_manager, AsyncCallbackManagerForLLMRun) else run_manager

    def hook(attempt: int, error: GlooGravixError, delay: float) -> None:
        manager.on_retry(retry_state(attempt, error, delay), status_code=error.status_code, wait_seconds=delay)

    return hook


# -- .stream() / .astream(): langchain-core calls _stream without a run manager ----------

_RELAY: ContextVar[Optional["StreamRunRelay"]] = ContextVar("gloo_gravix_stream_relay", default=None)


class StreamRunRelay:
    """Stands in for the run manager ``BaseChatModel.stream`` does not pass to ``_stream``.

    The chat model configures the call's callbacks itself (so it holds the very
    handler instances LangChain will use; a LangSmith tracer copy shares its run
    map) and names the run: it puts a ``run_id`` in the config, which
    ``BaseChatModel`` uses for the model run (a caller's own ``run_id`` is kept). A
    retry is then reported to those handlers under that run id, as ``on_retry``
    from a real run manager would be.

    Not a callback handler: one in the run's handler list would make LangChain
    dispatch every streamed token to it (``on_llm_new_token`` returns at once only
    when the run has no handlers), a cost per chunk for a relay used only on a retry.
    The run's tags are worked out on that retry, the way LangChain configured them.
    """

    def __init__(
        self,
        handlers: list[BaseCallbackHandler],
        run_id: UUID,
        parent_run_id: Optional[UUID],
        run_tags: Callable[[], list[str]],
    ) -> None:
        self.handlers = handlers
        self.run_id = run_id
        self.parent_run_id = parent_run_id
        self._run_tags = run_tags

    @contextmanager
    def current(self) -> Iterator[None]:
        """Make this the relay of the call driven inside the ``with`` block."""
        token = _RELAY.set(self)
        try:
            yield
        finally:
            _RELAY.reset(token)

    def run_manager(self) -> Optional[CallbackManagerForLLMRun]:
        if not self.handlers:
            return None
        return CallbackManagerForLLMRun(
            run_id=self.run_id,
            handlers=self.handlers,
            inheritable_handlers=[],
            parent_run_id=self.parent_run_id,
            tags=self._run_tags(),
        )


def relay_config(
    config: Optional[RunnableConfig], local_callbacks: Callbacks, *, is_async: bool, local_tags: Optional[list[str]]
) -> tuple[RunnableConfig, StreamRunRelay]:
    """``config`` with its callbacks configured into a manager and the run named, and the relay of that run."""
    config = ensure_config(config)
    manager_class: Any = AsyncCallbackManager if is_async else CallbackManager
    manager = manager_class.configure(
        inheritable_callbacks=config.get("callbacks"),
        inheritable_tags=config.get("tags"),
        inheritable_metadata=config.get("metadata"),
    )
    local = (
        local_callbacks if isinstance(local_callbacks, list) else list(getattr(local_callbacks, "handlers", None) or [])
    )
    run_id = config.get("run_id") or uuid7()  # as LangChain names a run it is not given an id for

    def run_tags() -> list[str]:
        # the tags BaseChatModel gives the run: its callbacks configured from this manager with the
        # config's and the model's tags (LangChain's own rule, re-run; only reached on a retry)
        run = manager_class.configure(manager, local_callbacks, False, config.get("tags"), local_tags)
        return list(run.tags)

    relay = StreamRunRelay([*manager.handlers, *local], run_id, manager.parent_run_id, run_tags)
    return {**config, "callbacks": manager, "run_id": run_id}, relay


def current_relay_manager() -> Optional[CallbackManagerForLLMRun]:
    """The run manager of the ``stream()`` call being driven now, if any."""
    relay = _RELAY.get()
    return relay.run_manager() if relay is not None else None


def relayed(chunks: Iterator[Any], relay: StreamRunRelay) -> Iterator[Any]:
    """Drive ``chunks`` with ``relay`` current until its first chunk, and only while
    it runs (never while the consumer holds a chunk, so streams interleaved by one
    consumer cannot see each other's relay).

    The first chunk is enough: ``_stream`` resolves its retry hook when it starts,
    and the request and its retries run before that chunk. The rest is delegated
    with ``yield from``: nothing of ours runs per chunk.
    """
    try:
        token = _RELAY.set(relay)
        try:
            first = next(chunks)
        except StopIteration:
            return
        finally:
            _RELAY.reset(token)
        yield first
        yield from chunks
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


async def arelayed(chunks: AsyncIterator[Any], relay: StreamRunRelay) -> AsyncIterator[Any]:
    """:func:`relayed` for async iterators."""
    try:
        token = _RELAY.set(relay)
        try:
            first = await chunks.__anext__()
        except StopAsyncIteration:
            return
        finally:
            _RELAY.reset(token)
        yield first
        async for chunk in chunks:
            yield chunk
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
