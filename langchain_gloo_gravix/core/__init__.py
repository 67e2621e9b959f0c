"""Framework-free core: one httpx client for Gloo AI v1, Gloo AI v2 and Gravix Layer.

Importing this package never imports LangChain or LlamaIndex.
"""

from .client import DEFAULT_STREAM_IDLE_TIMEOUT, DEFAULT_TIMEOUT, AsyncChatStream, AsyncClient, ChatStream, Client
from .endpoints import ENDPOINTS, GLOO_V1, GLOO_V2, GRAVIX, Endpoint, get_endpoint
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContextOverflowError,
    GlooGravixError,
    MalformedResponseError,
    MissingCredentialsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    StreamError,
    StreamTimeoutError,
)
from .request import build_body, merge_params, normalize_params
from .retry import RetryPolicy
from .streaming import StreamAccumulator
from .wire import ChatCompletion, Choice, Message, ModelInfo, Routing, StreamDelta, ToolCall, ToolCallDelta, Usage

__all__ = [
    "Client", "AsyncClient", "ChatStream", "AsyncChatStream", "DEFAULT_TIMEOUT", "DEFAULT_STREAM_IDLE_TIMEOUT",
    "Endpoint", "ENDPOINTS", "GLOO_V1", "GLOO_V2", "GRAVIX", "get_endpoint",
    "GlooGravixError", "MissingCredentialsError", "APIConnectionError", "APITimeoutError", "APIStatusError",
    "BadRequestError", "ContextOverflowError", "AuthenticationError", "PermissionDeniedError", "NotFoundError",
    "ConflictError", "RequestTimeoutError", "RateLimitError", "ServerError", "StreamError", "StreamTimeoutError",
    "MalformedResponseError",
    "build_body", "merge_params", "normalize_params", "RetryPolicy", "StreamAccumulator",
    "ChatCompletion", "Choice", "Message", "ModelInfo", "Routing", "StreamDelta", "ToolCall", "ToolCallDelta", "Usage",
]
