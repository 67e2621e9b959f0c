"""Framework-free core: one httpx client for Gloo AI v1, Gloo AI v2 and Gravix Layer.

Importing this package never imports LangChain or LlamaIndex. The clients (and
with them httpx) load on first use of their names, so that importing the chat
model classes stays as cheap as importing the framework itself.
"""

from typing import TYPE_CHECKING, Any

# The public API, listed once: name -> the submodule that defines it. ``__all__`` is its keys; every name loads
# on first access (PEP 562), so importing the core stays cheap. The TYPE_CHECKING imports below are the same
# names for type checkers (tests/core/test_package_shape.py keeps the two equal).
_PUBLIC: dict[str, str] = {
    **dict.fromkeys(("Client", "AsyncClient", "ChatStream", "AsyncChatStream"), "client"),
    "DEFAULT_TIMEOUT": "deadlines",
    "DEFAULT_STREAM_IDLE_TIMEOUT": "config",
    **dict.fromkeys(
        (
            "Endpoint",
            "ENDPOINTS",
            "GLOO_V1",
            "GLOO_V2",
            "GLOO_V2_GROUNDED",
            "GRAVIX",
            "get_endpoint",
            "resolve_base_url",
            "env_credentials",
            "resolve_embedding_model",
            "ROUTING_KEYS",
        ),
        "endpoints",
    ),
    **dict.fromkeys(
        (
            "GlooGravixError",
            "MissingCredentialsError",
            "APIConnectionError",
            "APITimeoutError",
            "APIStatusError",
            "BadRequestError",
            "ContextOverflowError",
            "AuthenticationError",
            "PermissionDeniedError",
            "NotFoundError",
            "ConflictError",
            "RequestTimeoutError",
            "RateLimitError",
            "ServerError",
            "StreamError",
            "StreamTimeoutError",
            "MalformedResponseError",
            "ResponseTooLargeError",
            "StreamTooLargeError",
            "ConfigurationError",
            "InvalidRequestError",
        ),
        "errors",
    ),
    **dict.fromkeys(
        (
            "EmbeddingResult",
            "EmbeddingUsage",
            "InvalidEmbeddingInputError",
            "EmbeddingInputTooLargeError",
            "DEFAULT_EMBEDDING_BATCH_SIZE",
            "DEFAULT_EMBEDDING_CONCURRENCY",
        ),
        "embeddings",
    ),
    **dict.fromkeys(
        ("build_body", "merge_params", "normalize_params", "normalize_tool_choice", "PreparedCall", "prepare_call"),
        "request",
    ),
    "RetryPolicy": "retry",
    **dict.fromkeys(
        ("ChatCompletion", "Choice", "Message", "Routing", "StreamDelta", "ToolCall", "ToolCallDelta", "Usage"), "wire"
    ),
    "ModelInfo": "model_list",
    "Grounding": "grounding_result",
    **dict.fromkeys(("GROUNDING_OPTIONS", "check_grounded_options"), "grounding"),
    **dict.fromkeys(
        ("CATALOG", "ModelCatalog", "ModelSpec", "spec_for", "refresh_catalog", "arefresh_catalog"), "catalog"
    ),
}

# Documented in docs/api.md before the public list was narrowed: still importable from here, not in __all__.
_KEPT = {"StreamAccumulator": "accumulator"}

__all__ = list(_PUBLIC)

if TYPE_CHECKING:  # pragma: no cover
    # ``X as X``: an explicit re-export, which is how a type checker reads a public name
    # isort: off
    from .accumulator import (
        StreamAccumulator as StreamAccumulator,
    )
    from .catalog import (
        CATALOG as CATALOG,
        ModelCatalog as ModelCatalog,
        ModelSpec as ModelSpec,
        arefresh_catalog as arefresh_catalog,
        refresh_catalog as refresh_catalog,
        spec_for as spec_for,
    )
    from .client import (
        AsyncChatStream as AsyncChatStream,
        AsyncClient as AsyncClient,
        ChatStream as ChatStream,
        Client as Client,
    )
    from .config import (
        DEFAULT_STREAM_IDLE_TIMEOUT as DEFAULT_STREAM_IDLE_TIMEOUT,
    )
    from .deadlines import (
        DEFAULT_TIMEOUT as DEFAULT_TIMEOUT,
    )
    from .embeddings import (
        DEFAULT_EMBEDDING_BATCH_SIZE as DEFAULT_EMBEDDING_BATCH_SIZE,
        DEFAULT_EMBEDDING_CONCURRENCY as DEFAULT_EMBEDDING_CONCURRENCY,
        EmbeddingInputTooLargeError as EmbeddingInputTooLargeError,
        EmbeddingResult as EmbeddingResult,
        EmbeddingUsage as EmbeddingUsage,
        InvalidEmbeddingInputError as InvalidEmbeddingInputError,
    )
    from .endpoints import (
        ENDPOINTS as ENDPOINTS,
        GLOO_V1 as GLOO_V1,
        GLOO_V2 as GLOO_V2,
        GLOO_V2_GROUNDED as GLOO_V2_GROUNDED,
        GRAVIX as GRAVIX,
        ROUTING_KEYS as ROUTING_KEYS,
        Endpoint as Endpoint,
        env_credentials as env_credentials,
        get_endpoint as get_endpoint,
        resolve_base_url as resolve_base_url,
        resolve_embedding_model as resolve_embedding_model,
    )
    from .errors import (
        APIConnectionError as APIConnectionError,
        APIStatusError as APIStatusError,
        APITimeoutError as APITimeoutError,
        AuthenticationError as AuthenticationError,
        BadRequestError as BadRequestError,
        ConfigurationError as ConfigurationError,
        InvalidRequestError as InvalidRequestError,
        ConflictError as ConflictError,
        ContextOverflowError as ContextOverflowError,
        GlooGravixError as GlooGravixError,
        MalformedResponseError as MalformedResponseError,
        MissingCredentialsError as MissingCredentialsError,
        NotFoundError as NotFoundError,
        PermissionDeniedError as PermissionDeniedError,
        RateLimitError as RateLimitError,
        RequestTimeoutError as RequestTimeoutError,
        ResponseTooLargeError as ResponseTooLargeError,
        StreamTooLargeError as StreamTooLargeError,
        ServerError as ServerError,
        StreamError as StreamError,
        StreamTimeoutError as StreamTimeoutError,
    )
    from .grounding import (
        GROUNDING_OPTIONS as GROUNDING_OPTIONS,
        check_grounded_options as check_grounded_options,
    )
    from .grounding_result import (
        Grounding as Grounding,
    )
    from .model_list import (
        ModelInfo as ModelInfo,
    )
    from .request import (
        PreparedCall as PreparedCall,
        build_body as build_body,
        merge_params as merge_params,
        normalize_params as normalize_params,
        normalize_tool_choice as normalize_tool_choice,
        prepare_call as prepare_call,
    )
    from .retry import (
        RetryPolicy as RetryPolicy,
    )
    from .wire import (
        ChatCompletion as ChatCompletion,
        Choice as Choice,
        Message as Message,
        Routing as Routing,
        StreamDelta as StreamDelta,
        ToolCall as ToolCall,
        ToolCallDelta as ToolCallDelta,
        Usage as Usage,
    )

    # isort: on


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name) or _KEPT.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # the next access is a plain attribute read
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
