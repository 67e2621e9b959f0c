"""LangChain chat models: ``ChatGloo`` (Gloo AI v1 / v2) and ``ChatGravixLayer``.

Thin adapters: convert LangChain messages, call the core client, convert back.
No HTTP, SSE, retry or environment code lives here (see ``core``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterator, Literal, Optional, Sequence, Union

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel, LangSmithParams
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, model_validator

from ._lc_convert import completion_to_message, delta_to_chunk, final_chunk, to_wire_messages
from ._lc_errors import to_langchain_error
from ._lc_structured import structured_output_runnable
from . import core
from .core.client_cache import ClientCache
from .core import (
    GLOO_V1,
    GLOO_V2,
    GRAVIX,
    Endpoint,
    GlooGravixError,
    env_credentials,
    merge_params,
    normalize_params,
    normalize_tool_choice,
    resolve_base_url,
)
if TYPE_CHECKING:
    from .core.wire import StreamDelta

__all__ = ["ChatGloo", "ChatGravixLayer"]

# kwargs LangChain (or users) pass per call that are not request-body fields.
_CALL_OPTIONS = ("stream_usage", "extra_headers")


def _has_payload(delta: StreamDelta) -> bool:
    return bool(delta.content or delta.reasoning or delta.tool_calls or delta.refusal)


class _ChatGlooGravixBase(BaseChatModel):
    """Shared behaviour of both chat models; subclasses name their endpoint."""

    # defer_build: the validators are built when the first instance is made, not
    # at import, which keeps ``import langchain_gloo_gravix`` close to the cost of
    # importing langchain_core alone.
    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=(), defer_build=True)

    model_name: Optional[str] = Field(default=None, alias="model")
    """Model id. On Gloo v2 giving it selects that model (routing mechanism "model")."""
    temperature: Optional[float] = None
    max_tokens: Optional[int] = None
    stop: Optional[Union[str, list[str]]] = Field(default=None, alias="stop_sequences")
    top_p: Optional[float] = None
    seed: Optional[int] = None
    base_url: Optional[str] = None
    """Gloo: the host root (https://platform.ai.gloo.com); Gravix: the .../v1/inference prefix."""
    api_key: Optional[SecretStr] = None
    timeout: Any = None
    """Seconds or an ``httpx.Timeout``; finite by default (connect 10 s, read 120 s)."""
    stream_idle_timeout: Optional[float] = 120.0
    """Longest wait between stream events; keep-alive comments do not count."""
    max_retries: int = 2
    """Retries for 408/409/429/5xx and connection errors, in one layer (the core's)."""
    streaming: bool = False
    stream_usage: bool = True
    """Ask for token usage when streaming (``stream_options.include_usage``)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra top-level request fields, sent on every call."""
    extra_body: Optional[dict[str, Any]] = None
    default_headers: Optional[dict[str, str]] = None
    http_client: Any = Field(default=None, exclude=True)
    """An ``httpx.Client`` to use for sync calls (yours to close)."""
    http_async_client: Any = Field(default=None, exclude=True)
    """An ``httpx.AsyncClient`` to use for async calls (yours to close)."""

    # core clients, built on first use: one sync, one per event loop (a copy or unpickle starts empty)
    _clients: ClientCache = PrivateAttr(default_factory=ClientCache)

    # -- configuration ----------------------------------------------------------------

    @property
    def _endpoint(self) -> Endpoint:
        raise NotImplementedError

    def _routing_defaults(self) -> dict[str, Any]:
        return {"model": self.model_name}

    @property
    def _default_params(self) -> dict[str, Any]:
        params = {
            **self._routing_defaults(),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stop": self.stop,
            "top_p": self.top_p,
            "seed": self.seed,
            **self.model_kwargs,
        }
        if self.extra_body:
            params["extra_body"] = dict(self.extra_body)
        return {k: v for k, v in params.items() if v is not None}

    def _fill_from_environment(self) -> None:
        """Credentials and base URL as the core resolves them (arguments, then env)."""
        endpoint = self._endpoint
        if self.api_key is None and not getattr(self, "client_id", None):
            found = env_credentials(endpoint)
            if "api_key" in found:
                self.api_key = SecretStr(found["api_key"])
            if "client_id" in found and hasattr(self, "client_id"):
                self.client_id = found["client_id"]
            if "client_secret" in found and hasattr(self, "client_secret") and getattr(self, "client_secret") is None:
                self.client_secret = SecretStr(found["client_secret"])
        self.base_url = resolve_base_url(endpoint, self.base_url)
        # Fail at construction, before any request, on impossible parameters.
        normalize_params(endpoint, {k: v for k, v in self._default_params.items() if k != "extra_body"})

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "api_key": self.api_key,
            "client_id": getattr(self, "client_id", None),
            "client_secret": getattr(self, "client_secret", None),
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "stream_idle_timeout": self.stream_idle_timeout,
            "default_headers": self.default_headers,
        }

    def _client_key(self, http_client: Any) -> tuple[Any, ...]:
        # What the client is built from, compared by value on every call, so that a changed setting
        # (model.base_url = ...) gets a fresh client. Read from __dict__: a getattr() of a field this class
        # lacks (client_id on Gravix) goes through pydantic's __getattr__ and costs microseconds per call.
        fields = self.__dict__
        return (
            fields["base_url"], fields["api_key"], fields.get("client_id"), fields.get("client_secret"),
            fields["timeout"], fields["max_retries"], fields["stream_idle_timeout"], fields["default_headers"],
            http_client,
        )  # fmt: skip

    @property
    def _cache(self) -> ClientCache:
        # direct, for the same reason: pydantic's private-attribute lookup is slow on the hot path
        return self.__pydantic_private__["_clients"]  # type: ignore[index,no-any-return]

    def _get_client(self) -> "core.Client":
        return self._cache.sync(
            self._client_key(self.http_client),
            lambda: core.Client(self._endpoint, http_client=self.http_client, **self._client_kwargs()),
        )

    def _get_async_client(self) -> "core.AsyncClient":
        # An httpx.AsyncClient belongs to the event loop it first ran on: one client per
        # loop, and the client of a loop that has closed is closed and dropped.
        return self._cache.async_(
            self._client_key(self.http_async_client),
            lambda: core.AsyncClient(self._endpoint, http_client=self.http_async_client, **self._client_kwargs()),
        )

    def close(self) -> None:
        """Close the sync connection pool (async pools close with ``aclose``)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the running event loop's async client (a later call opens a new one)."""
        await self._clients.aclose()

    # -- LangChain plumbing -------------------------------------------------------------

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"endpoint": self._endpoint.name, "base_url": self.base_url, **self._default_params}

    def _get_ls_params(self, stop: Optional[list[str]] = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider=self._endpoint.provider,
            ls_model_name=kwargs.get("model") or self._ls_model_name(),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        stop = stop or kwargs.get("stop") or self.stop
        if stop:
            params["ls_stop"] = [stop] if isinstance(stop, str) else list(stop)
        return params

    def _ls_model_name(self) -> str:
        return self.model_name or self._endpoint.default_model or self._endpoint.name

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_gloo_gravix", "chat_models"]

    # -- requests -------------------------------------------------------------------------

    def _prepare(self, messages: Sequence[BaseMessage], stop: Optional[list[str]], kwargs: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
        call = dict(kwargs)
        options = {name: call.pop(name, None) for name in _CALL_OPTIONS}
        if stop is not None:
            call["stop"] = stop
        params = merge_params(self._default_params, call)
        return to_wire_messages(messages), params, options

    def _include_usage(self, options: dict[str, Any]) -> bool:
        return self.stream_usage if options["stream_usage"] is None else bool(options["stream_usage"])

    def _result(self, completion: Any) -> ChatResult:
        message = completion_to_message(completion, provider=self._endpoint.provider, fallback_model=self._ls_model_name())
        info = {"finish_reason": completion.finish_reason, "model_name": message.response_metadata.get("model_name")}
        return ChatResult(
            generations=[ChatGeneration(message=message, generation_info=info)],
            llm_output={"model_name": info["model_name"], "token_usage": completion.usage.model_dump() if completion.usage else {}},
        )

    def _chunk(self, delta: StreamDelta) -> ChatGenerationChunk:
        return ChatGenerationChunk(message=delta_to_chunk(delta, provider=self._endpoint.provider))

    def _closing_chunk(self, stream: Any, include_usage: bool) -> ChatGenerationChunk:
        completion = stream.accumulator.completion()
        message = final_chunk(completion, provider=self._endpoint.provider, fallback_model=self._ls_model_name(), with_usage=include_usage)
        return ChatGenerationChunk(message=message, generation_info={"finish_reason": completion.finish_reason})

    def _generate(self, messages: list[BaseMessage], stop: Optional[list[str]] = None, run_manager: Optional[CallbackManagerForLLMRun] = None, **kwargs: Any) -> ChatResult:
        wire, params, options = self._prepare(messages, stop, kwargs)
        try:
            completion = self._get_client().create(wire, extra_headers=options["extra_headers"], **params)
        except GlooGravixError as error:
            raise to_langchain_error(error) from error
        return self._result(completion)

    async def _agenerate(self, messages: list[BaseMessage], stop: Optional[list[str]] = None, run_manager: Optional[AsyncCallbackManagerForLLMRun] = None, **kwargs: Any) -> ChatResult:
        wire, params, options = self._prepare(messages, stop, kwargs)
        try:
            completion = await self._get_async_client().create(wire, extra_headers=options["extra_headers"], **params)
        except GlooGravixError as error:
            raise to_langchain_error(error) from error
        return self._result(completion)

    def _stream(self, messages: list[BaseMessage], stop: Optional[list[str]] = None, run_manager: Optional[CallbackManagerForLLMRun] = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        wire, params, options = self._prepare(messages, stop, kwargs)
        include_usage = self._include_usage(options)
        try:
            stream = self._get_client().stream(wire, extra_headers=options["extra_headers"], include_usage=include_usage, **params)
            with stream:
                for delta in stream:
                    if _has_payload(delta):
                        chunk = self._chunk(delta)
                        if run_manager:
                            run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                        yield chunk
                yield self._closing_chunk(stream, include_usage)
        except GlooGravixError as error:
            raise to_langchain_error(error) from error

    async def _astream(self, messages: list[BaseMessage], stop: Optional[list[str]] = None, run_manager: Optional[AsyncCallbackManagerForLLMRun] = None, **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        wire, params, options = self._prepare(messages, stop, kwargs)
        include_usage = self._include_usage(options)
        try:
            stream = self._get_async_client().stream(wire, extra_headers=options["extra_headers"], include_usage=include_usage, **params)
            async with stream:
                async for delta in stream:
                    if _has_payload(delta):
                        chunk = self._chunk(delta)
                        if run_manager:
                            await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                        yield chunk
                yield self._closing_chunk(stream, include_usage)
        except GlooGravixError as error:
            raise to_langchain_error(error) from error

    # -- tools and structured output ------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[Union[dict[str, Any], type, Callable, BaseTool]],
        *,
        tool_choice: Optional[Union[dict, str, bool]] = None,
        strict: Optional[bool] = None,
        parallel_tool_calls: Optional[bool] = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (OpenAI format). ``tool_choice`` takes "auto", "none",
        "required", "any" (= required), True (= required), a tool name or an
        OpenAI dict; on Gloo v2 a named tool is forced by narrowing the tool list."""
        formatted = [convert_to_openai_tool(tool, strict=strict) for tool in tools]
        if tool_choice is not None and tool_choice is not False:
            normalize_tool_choice(self._endpoint, formatted, tool_choice)  # fail now, not at call time
            kwargs["tool_choice"] = tool_choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: Optional[Union[dict, type]] = None,
        *,
        method: Literal["function_calling", "json_mode", "json_schema"] = "function_calling",
        include_raw: bool = False,
        strict: Optional[bool] = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Union[dict, Any]]:
        """Structured output by tool calling (default), JSON mode or JSON schema."""
        return structured_output_runnable(self, schema, method=method, include_raw=include_raw, strict=strict, **kwargs)


class ChatGloo(_ChatGlooGravixBase):
    """Gloo AI chat completions, v2 (routing) by default or v1.

    v2 routing: give exactly one of ``auto_routing=True``, ``model=`` or
    ``model_family=`` (openai, anthropic, google, "open source"); with none,
    auto routing. ``tradition`` (evangelical, catholic, mainline,
    not_faith_specific) applies a theological perspective. Routing metadata of
    each answer is in ``response_metadata["routing"]``.

    Credentials: ``client_id``/``client_secret`` (OAuth2, refreshed automatically)
    or ``api_key``, else the env vars GLOO_CLIENT_ID/GLOO_CLIENT_SECRET (or
    GLOO_AI_CLIENT_ID/GLOO_AI_CLIENT_SECRET) or GLOO_API_KEY.
    """

    api_version: Literal["v1", "v2"] = "v2"
    auto_routing: Optional[bool] = None
    model_family: Optional[str] = None
    tradition: Optional[str] = None
    client_id: Optional[str] = None
    client_secret: Optional[SecretStr] = None

    @model_validator(mode="after")
    def _validate(self) -> "ChatGloo":
        if self.api_version == "v2" and not self.model_name and not self.model_family and self.auto_routing is not False:
            self.auto_routing = True  # no mechanism given: Gloo's recommended auto routing
        self._fill_from_environment()
        return self

    @property
    def _endpoint(self) -> Endpoint:
        return GLOO_V2 if self.api_version == "v2" else GLOO_V1

    def _routing_defaults(self) -> dict[str, Any]:
        return {
            "model": self.model_name,
            "auto_routing": self.auto_routing,
            "model_family": self.model_family,
            "tradition": self.tradition,
        }

    def _ls_model_name(self) -> str:
        if self.model_name:
            return self.model_name
        if self.api_version == "v2":
            return f"gloo-family:{self.model_family}" if self.model_family else "gloo-auto-routing"
        return GLOO_V1.default_model or "gloo-v1"

    @property
    def _llm_type(self) -> str:
        return f"gloo-chat-{self.api_version}"

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "GLOO_API_KEY", "client_secret": "GLOO_CLIENT_SECRET"}


class ChatGravixLayer(_ChatGlooGravixBase):
    """Gravix Layer chat completions (OpenAI-compatible, served by Ollama).

    ``model`` is required (e.g. "meta-llama/llama-3.1-8b-instruct"). Credentials:
    ``api_key`` or env GRAVIXLAYER_API_KEY; base URL env GRAVIXLAYER_BASE_URL.

    Streamed tool calls are merged even when Ollama sends them whole or repeats
    ids. Some Ollama versions have dropped tool calls from streams altogether
    (provider-apis 7.5); if your model does, pass ``disable_streaming="tool_calling"``
    so calls with tools bound are made without streaming.
    """

    @model_validator(mode="after")
    def _validate(self) -> "ChatGravixLayer":
        self._fill_from_environment()
        return self

    @property
    def _endpoint(self) -> Endpoint:
        return GRAVIX

    @property
    def _llm_type(self) -> str:
        return "gravixlayer-chat"

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "GRAVIXLAYER_API_KEY"}
