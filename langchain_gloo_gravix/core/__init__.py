"""Framework-free core: one httpx client for Gloo AI v1, Gloo AI v2 and Gravix Layer.

Importing this package never imports LangChain or LlamaIndex.
"""

from .client import DEFAULT_STREAM_IDLE_TIMEOUT, DEFAULT_TIMEOUT, AsyncChatStream, AsyncClient, ChatStream, Client
from .endpoints import ENDPOINTS, GLOO_V1, GLOO_V2, GRAVIX, Endpoint, env_credentials, get_endpoint, resolve_base_url
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
from .request import ROUTING_KEYS, build_body, merge_params, normalize_params, normalize_tool_choice
from .retry import RetryPolicy
from .streaming import StreamAccumulator
from .wire import ChatCompletion, Choice, Message, ModelInfo, Routing, StreamDelta, ToolCall, ToolCallDelta, Usage

__all__ = [
    "Client", "AsyncClient", "ChatStream", "AsyncChatStream", "DEFAULT_TIMEOUT", "DEFAULT_STREAM_IDLE_TIMEOUT",
    "Endpoint", "ENDPOINTS", "GLOO_V1", "GLOO_V2", "GRAVIX", "get_endpoint", "resolve_base_url", "env_credentials",
    "GlooGravixError", "MissingCredentialsError", "APIConnectionError", "APITimeoutError", "APIStatusError",
    "BadRequestError", "ContextOverflowError", "AuthenticationError", "PermissionDeniedError", "NotFoundError",
    "ConflictError", "RequestTimeoutError", "RateLimitError", "ServerError", "StreamError", "StreamTimeoutError",
    "MalformedResponseError",
    "ROUTING_KEYS", "build_body", "merge_params", "normalize_params", "normalize_tool_choice", "RetryPolicy", "StreamAccumulator",
    "ChatCompletion", "Choice", "Message", "ModelInfo", "Routing", "StreamDelta", "ToolCall", "ToolCallDelta", "Usage",
]
