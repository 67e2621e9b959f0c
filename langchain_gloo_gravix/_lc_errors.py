"""Core errors re-raised as classes that are also LangChain model errors.

Each class inherits the core error *and* the matching ``langchain_core.exceptions``
class, so ``except RateLimitError`` (ours) and LangChain's retry and
summarisation middleware (``ModelRateLimitError``, ``ContextOverflowError``,
``ModelError.is_retryable``) both recognise it.

The LangChain classes translate at one boundary: ``with mapped_errors:`` around each call of the
core (sync, async, streamed), as httpx's ``map_httpcore_exceptions`` does for its transport.
"""

from __future__ import annotations

from types import TracebackType
from typing import Optional

from langchain_core import exceptions as lc

from .core import errors as core
from .core.errors import EmbeddingInputTooLargeError

__all__ = ["to_langchain_error", "mapped_errors"]


class GlooGravixAuthenticationError(core.AuthenticationError, lc.ModelAuthenticationError):
    pass


class GlooGravixMissingCredentialsError(core.MissingCredentialsError, lc.ModelAuthenticationError):
    pass


class GlooGravixPermissionDeniedError(core.PermissionDeniedError, lc.ModelPermissionDeniedError):
    pass


class GlooGravixBadRequestError(core.BadRequestError, lc.ModelInvalidRequestError):
    pass


class GlooGravixEmbeddingInputTooLargeError(EmbeddingInputTooLargeError, lc.ModelInvalidRequestError):
    pass


class GlooGravixContextOverflowError(core.ContextOverflowError, lc.ContextOverflowError):
    pass


class GlooGravixNotFoundError(core.NotFoundError, lc.ModelNotFoundError):
    pass


class GlooGravixRateLimitError(core.RateLimitError, lc.ModelRateLimitError):
    pass


class GlooGravixServerError(core.ServerError, lc.ModelAPIError):
    pass


class GlooGravixRequestTimeoutError(core.RequestTimeoutError, lc.ModelTimeoutError):
    pass


class GlooGravixConflictError(core.ConflictError, lc.ModelAPIError):
    pass


class GlooGravixStatusError(core.APIStatusError, lc.ModelAPIError):
    pass


class GlooGravixTimeoutError(core.APITimeoutError, lc.ModelTimeoutError):
    pass


class GlooGravixConnectionError(core.APIConnectionError, lc.ModelConnectionError):
    pass


class GlooGravixStreamTimeoutError(core.StreamTimeoutError, lc.ModelTimeoutError):
    pass


class GlooGravixStreamError(core.StreamError, lc.ModelAPIError):
    pass


class GlooGravixStreamTooLargeError(core.StreamTooLargeError, lc.ModelAPIError):
    pass


class GlooGravixMalformedResponseError(core.MalformedResponseError, lc.ModelAPIError):
    pass


class GlooGravixResponseTooLargeError(core.ResponseTooLargeError, lc.ModelAPIError):
    pass


class GlooGravixConfigurationError(core.ConfigurationError, lc.ModelInvalidRequestError):
    pass


class GlooGravixInvalidRequestError(core.InvalidRequestError, lc.ModelInvalidRequestError):
    pass


# Most specific first: the first core class an error is an instance of wins.
_MAP: tuple[tuple[type[core.GlooGravixError], type[core.GlooGravixError]], ...] = (
    (core.MissingCredentialsError, GlooGravixMissingCredentialsError),
    (core.ConfigurationError, GlooGravixConfigurationError),
    (core.InvalidRequestError, GlooGravixInvalidRequestError),
    (core.ContextOverflowError, GlooGravixContextOverflowError),
    (EmbeddingInputTooLargeError, GlooGravixEmbeddingInputTooLargeError),
    (core.BadRequestError, GlooGravixBadRequestError),
    (core.AuthenticationError, GlooGravixAuthenticationError),
    (core.PermissionDeniedError, GlooGravixPermissionDeniedError),
    (core.NotFoundError, GlooGravixNotFoundError),
    (core.RateLimitError, GlooGravixRateLimitError),
    (core.RequestTimeoutError, GlooGravixRequestTimeoutError),
    (core.ConflictError, GlooGravixConflictError),
    (core.ServerError, GlooGravixServerError),
    (core.APIStatusError, GlooGravixStatusError),
    (core.StreamTimeoutError, GlooGravixStreamTimeoutError),
    (core.StreamTooLargeError, GlooGravixStreamTooLargeError),
    (core.StreamError, GlooGravixStreamError),
    (core.APITimeoutError, GlooGravixTimeoutError),
    (core.APIConnectionError, GlooGravixConnectionError),
    (core.ResponseTooLargeError, GlooGravixResponseTooLargeError),
    (core.MalformedResponseError, GlooGravixMalformedResponseError),
)


def to_langchain_error(error: BaseException) -> BaseException:
    """The LangChain-aware twin of a core error (other exceptions unchanged)."""
    if not isinstance(error, core.GlooGravixError) or isinstance(error, lc.ModelError):
        return error
    for core_cls, lc_cls in _MAP:
        if isinstance(error, core_cls):
            twin = core.clone_error(error, lc_cls)
            # LangChain's retry middleware reads ``is_retryable``; keep it truthful.
            twin.is_retryable = bool(error.retryable)  # type: ignore[attr-defined]  # the langchain_core attribute
            return twin
    return error


class _MappedErrors:
    """``with mapped_errors:`` re-raises a core error as its LangChain-aware twin (``raise ... from``).

    A class, not ``@contextmanager``: it is stateless and reused, so no generator is made per call on
    the hot path. It works around the body of a generator too (a stream's errors are mapped when they
    are raised, chunk by chunk); ``GeneratorExit`` and other exceptions pass through untouched.
    """

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        if exc is not None and isinstance(exc, core.GlooGravixError):
            twin = to_langchain_error(exc)
            if twin is not exc:
                raise twin from exc


#: the one error boundary of the LangChain classes (see :class:`_MappedErrors`).
mapped_errors = _MappedErrors()
