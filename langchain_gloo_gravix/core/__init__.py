"""Framework-free core: one httpx client for Gloo AI v1, Gloo AI v2 and Gravix Layer.

Importing this package never imports LangChain or LlamaIndex. The clients (and
with them httpx) load on first use of their names, so that importing the chat
model classes stays as cheap as importing the framework itself.
"""

from typing import TYPE_CHECKING, Any

from .catalog import CATALOG, ModelCatalog, ModelSpec, arefresh_catalog, refresh_catalog, spec_for
from .endpoints import (
    ENDPOINTS,
    GLOO_V1,
    GLOO_V2,
    GLOO_V2_GROUNDED,
    GRAVIX,
    Endpoint,
    env_credentials,
    get_endpoint,
    resolve_base_url,
    resolve_embedding_model,
)
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ContextOverflowError,
    GlooGravixError,
    MalformedResponseError,
    MissingCredentialsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ResponseTooLargeError,
    ServerError,
    StreamError,
    StreamTimeoutError,
)
from .grounding import GROUNDING_OPTIONS, check_grounded_options
from .request import ROUTING_KEYS, build_body, merge_params, normalize_params, normalize_tool_choice

__all__ = [
    "Client",
    "AsyncClient",
    "ChatStream",
    "AsyncChatStream",
    "DEFAULT_TIMEOUT",
    "DEFAULT_STREAM_IDLE_TIMEOUT",
    "Endpoint",
    "ENDPOINTS",
    "GLOO_V1",
    "GLOO_V2",
    "GLOO_V2_GROUNDED",
    "GRAVIX",
    "get_endpoint",
    "resolve_base_url",
    "env_credentials",
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
    "ConfigurationError",
    "EmbeddingResult",
    "EmbeddingUsage",
    "InvalidEmbeddingInputError",
    "EmbeddingInputTooLargeError",
    "DEFAULT_EMBEDDING_BATCH_SIZE",
    "DEFAULT_EMBEDDING_CONCURRENCY",
    "resolve_embedding_model",
    "ROUTING_KEYS",
    "build_body",
    "merge_params",
    "normalize_params",
    "normalize_tool_choice",
    "RetryPolicy",
    "StreamAccumulator",
    "ChatCompletion",
    "Choice",
    "Message",
    "ModelInfo",
    "Routing",
    "StreamDelta",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
    "Grounding",
    "GROUNDING_OPTIONS",
    "check_grounded_options",
    "CATALOG",
    "ModelCatalog",
    "ModelSpec",
    "spec_for",
    "refresh_catalog",
    "arefresh_catalog",
    "SyncSender",
    "AsyncSender",
    "ClientCache",
]

# name -> submodule; loaded on first access (PEP 562).
_LAZY = {
    **dict.fromkeys(("Client", "AsyncClient", "ChatStream", "AsyncChatStream", "DEFAULT_TIMEOUT"), "client"),
    "DEFAULT_STREAM_IDLE_TIMEOUT": "config",
    **dict.fromkeys(
        (
            "ChatCompletion",
            "Choice",
            "Message",
            "ModelInfo",
            "Routing",
            "StreamDelta",
            "ToolCall",
            "ToolCallDelta",
            "Usage",
        ),
        "wire",
    ),
    "StreamAccumulator": "accumulator",
    "RetryPolicy": "retry",
    "Grounding": "grounding_result",
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
    "SyncSender": "sender",
    "AsyncSender": "sender",
    "ClientCache": "client_cache",
}

if TYPE_CHECKING:  # pragma: no cover
    from .accumulator import StreamAccumulator
    from .client import DEFAULT_STREAM_IDLE_TIMEOUT, DEFAULT_TIMEOUT, AsyncChatStream, AsyncClient, ChatStream, Client
    from .client_cache import ClientCache
    from .embeddings import (
        DEFAULT_EMBEDDING_BATCH_SIZE,
        DEFAULT_EMBEDDING_CONCURRENCY,
        EmbeddingInputTooLargeError,
        EmbeddingResult,
        EmbeddingUsage,
        InvalidEmbeddingInputError,
    )
    from .grounding_result import Grounding
    from .retry import RetryPolicy
    from .sender import AsyncSender, SyncSender
    from .wire import ChatCompletion, Choice, Message, ModelInfo, Routing, StreamDelta, ToolCall, ToolCallDelta, Usage


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
