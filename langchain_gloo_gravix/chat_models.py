"""LangChain chat models: ``ChatGloo`` (Gloo AI v1 / v2) and ``ChatGravixLayer``.

Thin adapters: convert LangChain messages, call the core client, convert back.
No HTTP, SSE, retry or environment code lives here (see ``core``).
"""

from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    ClassVar,
    Iterator,
    Literal,
    Optional,
    Sequence,
    Union,
)

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel, LangSmithParams
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field, SecretStr, model_validator

from ._lc_convert import (
    StreamMetadata,
    completion_to_message,
    delta_to_chunk,
    final_chunk,
    is_text_only,
    text_chunks,
    to_wire_messages,
)
from ._lc_errors import mapped_errors
from ._lc_grounding import with_citation_annotations
from ._lc_profile import CatalogProfile, model_profile
from ._lc_retry import arelayed, relay_config, relayed, retry_hook
from ._lc_tokens import TokenCounting
from .core import (
    GLOO_V1,
    GLOO_V2,
    GLOO_V2_GROUNDED,
    GRAVIX,
    Endpoint,
    check_grounded_options,
    resolve_base_url,
)
from .core.checked_model import CheckedSettings
from .core.client_cache import ClientOwner, ClientSpec, headers_key
from .core.credentials import Credentials, resolve_credentials
from .core.endpoints import env_default_model
from .core.listing import alist_for, class_or_instance_method, list_for
from .core.options import OpenAIRequestOptions
from .core.request import PreparedCall, check_response_format, normalize_params, normalize_tool_choice, prepare_call
from .core.secret_input import SecretInput
from .core.warnings import construction_warnings, json_schema_warning, warn_construction

if TYPE_CHECKING:  # annotations only: langchain_core.tools loads a module tree the import need not pay for
    from langchain_core.tools import BaseTool

    from .core.model_list import ModelInfo
    from .core.wire import StreamDelta

__all__ = ["ChatGloo", "ChatGravixLayer"]

# kwargs LangChain (or users) pass per call that are not request-body fields.
_CALL_OPTIONS = ("stream_usage", "extra_headers", "include_response_headers")


def _has_payload(delta: StreamDelta) -> bool:
    return bool(delta.content or delta.reasoning or delta.tool_calls or delta.refusal)


_REGISTRY: Any = None


def _registry() -> Any:
    # core.registry is loaded with the first answer, not at import, and then kept: an import
    # statement in the function itself would run the import machinery on every call
    global _REGISTRY
    if _REGISTRY is None:
        from .core import registry

        _REGISTRY = registry
    return _REGISTRY


def _answer_cost(client: Any, completion: Any, **keys: Any) -> Optional[dict[str, str]]:
    return _registry().answer_cost(client, completion, **keys)  # type: ignore[no-any-return]


async def _aanswer_cost(client: Any, completion: Any, **keys: Any) -> Optional[dict[str, str]]:
    return await _registry().aanswer_cost(client, completion, **keys)  # type: ignore[no-any-return]


def _finished(stream: Any) -> Any:
    """The completion a finished stream assembled (its accumulator exists once it has opened)."""
    return stream.accumulator.completion()


class _ChatGlooGravixBase(CheckedSettings, ClientOwner, OpenAIRequestOptions, TokenCounting, BaseChatModel):
    """Shared behaviour of both chat models; subclasses name their endpoint.

    Drop-in for ``ChatOpenAI`` users: the OpenAI-style request options are declared
    fields (``core.options.OpenAIRequestOptions``, shared with LlamaIndex), sent only when set; any other constructor argument goes to
    ``model_kwargs`` (and the body) with a warning, while one that looks like a
    misspelt option (``temprature``) raises and names the option. Every retry of
    the core reaches the callbacks (and tracing) as ``on_retry``, streamed or not.
    ``get_num_tokens*`` count exactly with ``custom_get_token_ids`` or tiktoken (its
    encoding already on disk) and otherwise **estimate** (~4 UTF-8 bytes a token).
    """

    # defer_build: the validators are built when the first instance is made, not
    # at import, which keeps ``import langchain_gloo_gravix`` close to the cost of
    # importing langchain_core alone.
    # hide_input_in_errors: a ValidationError (temperature=5, say) would otherwise print every
    # constructor argument, secrets included.
    model_config = ConfigDict(
        populate_by_name=True,
        arbitrary_types_allowed=True,
        protected_namespaces=(),
        defer_build=True,
        hide_input_in_errors=True,
    )
    # ChatOpenAI's argument names mean the same here, or are refused with a pointer (core/incumbent_names.py)
    incumbent: ClassVar[Optional[str]] = "ChatOpenAI"

    model_name: Optional[str] = Field(default=None, alias="model")
    """Model id. On Gloo v2 giving it selects that model (routing mechanism "model")."""
    base_url: Optional[str] = None
    """Gloo: the host root (https://platform.ai.gloo.com); Gravix: the .../v1/inference prefix."""
    api_key: Optional[Union[SecretInput, Callable[[], str], Callable[[], Awaitable[str]]]] = None
    """Bearer key (also ``openai_api_key=``): a str/SecretStr, or a sync or async callable returning one, called
    per request (rotating keys, gateways); env GLOO_API_KEY / GRAVIXLAYER_API_KEY when None. Never shown or
    serialised."""
    proxy: Optional[str] = Field(default=None, exclude=True, repr=False)
    """Proxy URL for every request (also ``openai_proxy=``): chat, streams, Gloo token requests; wins over the
    environment's proxies; not with ``http_client``. May carry a password: never shown or serialised."""
    timeout: Any = None
    """Seconds, a ``(connect, read)`` pair or an ``httpx.Timeout``; finite by default (connect 10 s, read 120 s)."""
    stream_idle_timeout: Optional[float] = 120.0
    """Longest wait between stream events; keep-alive comments do not count."""
    max_retries: int = 2
    """Retries for 408/409/429/5xx and connection errors, in one layer (the core's)."""
    streaming: bool = False
    """Make ``invoke`` stream under the hood, so callbacks see each token."""
    stream_usage: bool = True
    """Ask for token usage when streaming (``stream_options.include_usage``)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra top-level request fields, sent on every call."""
    extra_body: Optional[dict[str, Any]] = None
    """Raw JSON merged into every request body, unvalidated."""
    default_headers: Optional[dict[str, str]] = Field(default=None, exclude=True, repr=False)
    """Sent with every request. Never shown in repr, ``dumpd`` or tracing payloads (gateways put
    credentials here), so a serialised model does not carry them: pass them again after ``load``."""
    http_client: Any = Field(default=None, exclude=True)
    """An ``httpx.Client`` to use for sync calls (yours to close)."""
    http_async_client: Any = Field(default=None, exclude=True)
    """An ``httpx.AsyncClient`` to use for async calls (yours to close)."""

    include_response_headers: bool = False
    """Put the HTTP response headers (request id, rate limits) in ``response_metadata["headers"]``."""
    replay_reasoning_content: bool = False
    """Send each assistant turn's reasoning back as ``reasoning_content`` (off by default, as in ChatOpenAI:
    most providers ignore or refuse it; turn it on for reasoning models that need their own thinking back
    inside tool loops, as ChatFireworks does for its own)."""

    # -- configuration ----------------------------------------------------------------

    @model_validator(mode="after")
    def _one_answer_when_streaming(self) -> "_ChatGlooGravixBase":
        # as ChatOpenAI: a stream is one message, so it cannot carry n answers
        if self.streaming and self.n is not None and self.n > 1:
            raise ValueError("n must be 1 when streaming=True; call generate() without streaming for n answers")
        return self

    @property
    def _endpoint(self) -> Endpoint:
        raise NotImplementedError

    def _routing_defaults(self) -> dict[str, Any]:
        return {"model": self.model_name}

    def _warn_json_schema(self) -> None:
        """ChatGloo warns when its route may ignore ``response_format``."""

    # -- the model list (Gloo: its public registry, the one answers are priced from) -------------

    _listing_endpoint: ClassVar[Endpoint]

    @class_or_instance_method
    def list_models(self_or_cls: Any, *, refresh: bool = False) -> list["ModelInfo"]:
        """The endpoint's models (``ModelInfo``: id, family, context window, capabilities; Gloo's
        entries keep ``pricing`` in ``model_extra``). On the class: the default host (env
        ``GLOO_BASE_URL`` / ``GRAVIXLAYER_BASE_URL``); on an instance: its host and settings.
        Gloo's list is cached for five minutes (``refresh=True`` reads it now)."""
        own = None if isinstance(self_or_cls, type) else self_or_cls._sync_client
        with mapped_errors:
            return list_for(self_or_cls._listing_endpoint, own, refresh)

    @class_or_instance_method
    async def alist_models(self_or_cls: Any, *, refresh: bool = False) -> list["ModelInfo"]:
        """Async :meth:`list_models`."""
        own = None if isinstance(self_or_cls, type) else self_or_cls._async_client
        with mapped_errors:
            return await alist_for(self_or_cls._listing_endpoint, own, refresh)

    @property
    def _default_params(self) -> dict[str, Any]:
        params = {**self._routing_defaults(), **self._request_options(), **self.model_kwargs}
        if self.extra_body:
            params["extra_body"] = dict(self.extra_body)
        # the core's v2 default (auto routing), implied here and never written to a field
        return self._endpoint.with_default_routing({k: v for k, v in params.items() if v is not None})

    def _fill_from_environment(self) -> None:
        """Credentials and base URL as the core resolves them (core/credentials.py: arguments
        win, a half-given pair is completed from the env, a static key wins over client
        credentials). Values taken from the environment are stored on the model, so that
        ``init_from_env`` and a copy see what the calls will use."""
        endpoint = self._endpoint
        creds = resolve_credentials(
            endpoint,
            api_key=self.api_key,
            client_id=getattr(self, "client_id", None),
            client_secret=getattr(self, "client_secret", None),
        )
        self._keep_credentials(creds)
        self.base_url = resolve_base_url(endpoint, self.base_url)
        # Fail at construction, before any request, on impossible parameters.
        normalize_params(endpoint, {k: v for k, v in self._default_params.items() if k != "extra_body"})

    def _keep_credentials(self, creds: Credentials) -> None:
        if creds.kind == "static" and self.api_key is None:
            self.api_key = SecretStr(creds.api_key or "")

    def _client_spec(self, *, sync: bool) -> ClientSpec:
        # Read from __dict__: a getattr() of a field this class lacks (client_id on Gravix) goes
        # through pydantic's __getattr__ and costs microseconds per call.
        fields = self.__dict__
        return ClientSpec(
            self._endpoint,
            base_url=fields["base_url"],
            api_key=fields["api_key"],
            client_id=fields.get("client_id"),
            client_secret=fields.get("client_secret"),
            timeout=fields["timeout"],
            max_retries=fields["max_retries"],
            stream_idle_timeout=fields["stream_idle_timeout"],
            default_headers=headers_key(fields["default_headers"]),
            http_client=fields["http_client"] if sync else fields["http_async_client"],
            proxy=fields["proxy"],
        )

    # -- LangChain plumbing -------------------------------------------------------------

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"endpoint": self._endpoint.name, "base_url": self.base_url, **self._default_params}

    def _get_invocation_params(self, stop: Optional[list[str]] = None, **kwargs: Any) -> dict[str, Any]:
        # What tracing records: per-call extra_headers (credentials, often) keep their names only.
        params = super()._get_invocation_params(stop=stop, **kwargs)
        if params.get("extra_headers"):
            params["extra_headers"] = dict.fromkeys(params["extra_headers"], "**********")
        return params

    def _get_ls_params(self, stop: Optional[list[str]] = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider=self._endpoint.provider,
            ls_model_name=kwargs.get("model") or self._ls_model_name(),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens) or kwargs.get(
            "max_completion_tokens", self.max_completion_tokens
        )
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        given: Any = stop or kwargs.get("stop") or self.stop
        if given:
            params["ls_stop"] = [given] if isinstance(given, str) else list(given)
        return params

    def _ls_model_name(self) -> str:
        # the core's one display name (auto-routed Gloo v2: "gloo-auto-routing")
        return self._endpoint.display_model(self._routing_defaults())

    @model_validator(mode="before")
    @classmethod
    def _drop_catalog_profile(cls, values: Any) -> Any:
        # A profile copied from another instance (configurable_fields) is re-resolved for this one.
        if isinstance(values, dict) and isinstance(values.get("profile"), CatalogProfile):
            values = {k: v for k, v in values.items() if k != "profile"}
        return values

    def _resolve_model_profile(self) -> Any:
        """Capabilities from the core model catalog (``core.catalog``); ``profile=`` overrides."""
        endpoint = self._endpoint
        model = self.model_name or endpoint.default_model
        return model_profile(
            endpoint.name, model, model_family=getattr(self, "model_family", None), routing=endpoint.routing
        )

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_gloo_gravix", "chat_models"]

    # -- requests -------------------------------------------------------------------------

    def _prepare(
        self, messages: Sequence[BaseMessage], stop: Optional[list[str]], kwargs: dict[str, Any], *, stream: bool
    ) -> tuple[PreparedCall, dict[str, Any]]:
        """The call, decided once by the core (``core.request.prepare_call``: the call's options over the
        configured ones, checked and encoded), and the options only LangChain reads (``_CALL_OPTIONS``)."""
        call = dict(kwargs)
        options = {name: call.pop(name, None) for name in _CALL_OPTIONS}
        if stop is not None:
            call["stop"] = stop
        wire = to_wire_messages(messages, replay_reasoning=self.replay_reasoning_content)
        options["include_usage"] = stream and self._include_usage(options)
        prepared = prepare_call(
            self._endpoint,
            wire,
            self._default_params,
            call,
            stream=stream,
            include_usage=options["include_usage"],
            note_images=True,
        )
        # the model name reported when the answer does not name the model that served it
        options["requested_model"] = prepared.requested_model
        return prepared, options

    def _include_usage(self, options: dict[str, Any]) -> bool:
        return self.stream_usage if options["stream_usage"] is None else bool(options["stream_usage"])

    def _want_headers(self, options: dict[str, Any]) -> bool:
        wanted = options["include_response_headers"]
        return self.include_response_headers if wanted is None else bool(wanted)

    def _result(self, completion: Any, options: dict[str, Any], cost: Optional[dict[str, str]] = None) -> ChatResult:
        """One generation per choice (``n``); every message carries the usage (and ``cost``), as in ChatOpenAI."""
        headers = completion.response_headers if self._want_headers(options) else None
        generations = []
        for choice in completion.choices or [None]:
            message = completion_to_message(
                completion,
                provider=self._endpoint.provider,
                fallback_model=options["requested_model"],
                choice=choice,
                headers=headers,
            )
            if cost is not None:
                message.response_metadata["cost"] = dict(cost)
            if self.output_version == "v1":
                message = with_citation_annotations(message)  # grounded answers: citations on the text block
            info: dict[str, Any] = {
                "finish_reason": message.response_metadata["finish_reason"],
                "model_name": message.response_metadata.get("model_name"),
            }
            if choice is not None and choice.logprobs is not None:
                info["logprobs"] = choice.logprobs
            generations.append(ChatGeneration(message=message, generation_info=info))
        model_name = generations[0].message.response_metadata.get("model_name")
        return ChatResult(
            generations=generations,
            llm_output={
                "model_name": model_name,
                "token_usage": completion.usage.model_dump() if completion.usage else {},
            },
        )

    def _chunk(
        self, delta: StreamDelta, said: StreamMetadata, stream: Any, provider: str
    ) -> Optional[ChatGenerationChunk]:
        """The chunk for ``delta``, or None when it adds nothing (or belongs to another choice).

        Runs per chunk: ``provider`` is the endpoint's, read once per stream by the caller.
        """
        if delta.index:
            return None  # a LangChain stream is one message: choice 0 (ChatOpenAI requires n=1 to stream)
        metadata = said.take(delta, stream)
        if not (delta.content or metadata or _has_payload(delta)):
            return None
        blocks = said.v1_blocks(delta) if self.output_version == "v1" else None
        message = delta_to_chunk(delta, provider=provider, metadata=metadata, v1_blocks=blocks)
        if delta.logprobs is not None:
            return ChatGenerationChunk(message=message, generation_info={"logprobs": delta.logprobs})
        return ChatGenerationChunk(message=message)  # no generation_info passed: one field less to validate

    def _closing_chunk(
        self,
        completion: Any,
        include_usage: bool,
        said: StreamMetadata,
        requested_model: str,
        cost: Optional[dict[str, str]],
    ) -> ChatGenerationChunk:
        message = final_chunk(
            completion,
            provider=self._endpoint.provider,
            fallback_model=requested_model,
            with_usage=include_usage,
            said=said,
        )
        if cost is not None:
            message.response_metadata["cost"] = cost
        if self.output_version == "v1":
            message = with_citation_annotations(message, index=said.text_index)
        return ChatGenerationChunk(message=message, generation_info={"finish_reason": completion.finish_reason})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: Optional[list[str]] = None,
        run_manager: Optional[CallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> ChatResult:
        with mapped_errors:
            call, options = self._prepare(messages, stop, kwargs, stream=False)
            client = self._sync_client()
            completion = client.create_prepared(call, options["extra_headers"], retry_hook(run_manager))
        return self._result(completion, options, _answer_cost(client, completion, **call.cost_keys))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: Optional[list[str]] = None,
        run_manager: Optional[AsyncCallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> ChatResult:
        with mapped_errors:
            call, options = self._prepare(messages, stop, kwargs, stream=False)
            client = self._async_client()
            completion = await client.create_prepared(call, options["extra_headers"], retry_hook(run_manager))
        return self._result(completion, options, await _aanswer_cost(client, completion, **call.cost_keys))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: Optional[list[str]] = None,
        run_manager: Optional[CallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with mapped_errors:
            call, options = self._prepare(messages, stop, kwargs, stream=True)
            said = StreamMetadata(want_headers=self._want_headers(options))
            client = self._sync_client()
            stream = client.stream_prepared(call, options["extra_headers"], retry_hook(run_manager))
            with stream:
                provider = self._endpoint.provider
                plain = self.output_version != "v1"
                text_chunk = text_chunks(provider)
                for delta in stream:
                    if plain and delta.content and said.quiet and is_text_only(delta):
                        chunk = text_chunk(delta.content)  # nearly every delta: text only (_chunk does the rest)
                    else:
                        slow = self._chunk(delta, said, stream, provider)
                        if slow is None:
                            continue
                        chunk = slow
                    if run_manager:
                        run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
                completion = _finished(stream)
                cost = _answer_cost(client, completion, **call.cost_keys)
                yield self._closing_chunk(completion, options["include_usage"], said, options["requested_model"], cost)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: Optional[list[str]] = None,
        run_manager: Optional[AsyncCallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        with mapped_errors:
            call, options = self._prepare(messages, stop, kwargs, stream=True)
            said = StreamMetadata(want_headers=self._want_headers(options))
            client = self._async_client()
            stream = client.stream_prepared(call, options["extra_headers"], retry_hook(run_manager))
            async with stream:
                provider = self._endpoint.provider
                plain = self.output_version != "v1"
                text_chunk = text_chunks(provider)
                async for delta in stream:
                    if plain and delta.content and said.quiet and is_text_only(delta):
                        chunk = text_chunk(delta.content)  # nearly every delta: text only (_chunk does the rest)
                    else:
                        slow = self._chunk(delta, said, stream, provider)
                        if slow is None:
                            continue
                        chunk = slow
                    if run_manager:
                        await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
                completion = _finished(stream)
                cost = await _aanswer_cost(client, completion, **call.cost_keys)
                yield self._closing_chunk(completion, options["include_usage"], said, options["requested_model"], cost)

    # langchain-core calls _stream/_astream without the run manager, from .stream()
    # and from invoke() when streaming; these wrappers relay the run's callbacks so
    # retries reach on_retry there too (see _lc_retry). Plain invoke() needs none.

    def invoke(
        self,
        input: LanguageModelInput,
        config: Optional[RunnableConfig] = None,
        *,
        stop: Optional[list[str]] = None,
        **kwargs: Any,
    ) -> AIMessage:
        if not (self.streaming or kwargs.get("stream")):
            return super().invoke(input, config, stop=stop, **kwargs)
        config, relay = relay_config(config, self.callbacks, is_async=False, local_tags=self.tags)
        with relay.current():
            return super().invoke(input, config, stop=stop, **kwargs)

    async def ainvoke(
        self,
        input: LanguageModelInput,
        config: Optional[RunnableConfig] = None,
        *,
        stop: Optional[list[str]] = None,
        **kwargs: Any,
    ) -> AIMessage:
        if not (self.streaming or kwargs.get("stream")):
            return await super().ainvoke(input, config, stop=stop, **kwargs)
        config, relay = relay_config(config, self.callbacks, is_async=True, local_tags=self.tags)
        with relay.current():
            return await super().ainvoke(input, config, stop=stop, **kwargs)

    def stream(
        self,
        input: LanguageModelInput,
        config: Optional[RunnableConfig] = None,
        *,
        stop: Optional[list[str]] = None,
        **kwargs: Any,
    ) -> Iterator[AIMessageChunk]:
        """As ``BaseChatModel.stream``; retries also reach the callbacks (see ``_lc_retry``)."""
        config, relay = relay_config(config, self.callbacks, is_async=False, local_tags=self.tags)
        return relayed(super().stream(input, config, stop=stop, **kwargs), relay)

    def astream(
        self,
        input: LanguageModelInput,
        config: Optional[RunnableConfig] = None,
        *,
        stop: Optional[list[str]] = None,
        **kwargs: Any,
    ) -> AsyncIterator[AIMessageChunk]:
        config, relay = relay_config(config, self.callbacks, is_async=True, local_tags=self.tags)
        return arelayed(super().astream(input, config, stop=stop, **kwargs), relay)

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
        """Structured output by tool calling (default), JSON mode or JSON schema.

        JSON mode and JSON schema send ``response_format``; where the endpoint does not document it
        (Gloo v1) they are refused here, pointing at ``method="function_calling"``."""
        if method in ("json_mode", "json_schema"):
            check_response_format(self._endpoint)
        if method == "json_schema":
            self._warn_json_schema()
        # output parsers load with the first structured model, not with the package (import time)
        from ._lc_structured import structured_output_runnable

        return structured_output_runnable(self, schema, method=method, include_raw=include_raw, strict=strict, **kwargs)


class ChatGloo(_ChatGlooGravixBase):
    """Gloo AI chat completions, v2 (routing) by default or v1.

    v2 routing: give exactly one of ``auto_routing=True``, ``model=`` or
    ``model_family=`` (openai, anthropic, google, "open source", or any family
    Gloo's registry lists); with none, auto routing. ``tradition`` (evangelical, catholic, mainline,
    not_faith_specific) applies a theological perspective. Routing metadata of
    each answer is in ``response_metadata["routing"]``.

    Grounded completions (v2 only): ``grounded=True`` answers from Gloo's corpus
    (or ``rag_publisher=``'s uploaded content), with ``sources_limit`` (1-10) and
    ``include_citations``; ``response_metadata["grounding"]`` is
    ``{"sources_returned": bool, "citations": [...]}``, citations as received.

    Credentials: ``client_id``/``client_secret`` (OAuth2, refreshed automatically)
    or ``api_key``, else the env vars GLOO_CLIENT_ID/GLOO_CLIENT_SECRET (or
    GLOO_AI_CLIENT_ID/GLOO_AI_CLIENT_SECRET) or GLOO_API_KEY.
    """

    _listing_endpoint: ClassVar[Endpoint] = GLOO_V2

    api_version: Literal["v1", "v2"] = "v2"
    """Gloo Completions API version; v1 is deprecated by Gloo."""
    auto_routing: Optional[bool] = None
    """v2: let Gloo pick the model (the default when neither ``model`` nor ``model_family`` is given)."""
    model_family: Optional[str] = None
    """v2: openai, anthropic, google or "open source" (any case; sent lower case), or any other family
    Gloo's registry lists (sent as given; a warning when the registry, once read, does not list it)."""
    tradition: Optional[str] = None
    """v2: evangelical, catholic, mainline or not_faith_specific; omit for Gloo's general Christian perspective."""
    client_id: Optional[str] = None
    """OAuth2 client id; env GLOO_CLIENT_ID (or GLOO_AI_CLIENT_ID) when None."""
    client_secret: Optional[SecretInput] = None
    """OAuth2 client secret; env GLOO_CLIENT_SECRET (or GLOO_AI_CLIENT_SECRET) when None. Never shown or serialised."""
    # -- grounded completions (POST /ai/v2/chat/completions/grounded) --
    grounded: bool = False
    """Answer from a publisher's corpus, with sources in ``response_metadata["grounding"]``."""
    rag_publisher: Optional[str] = None
    """Publisher whose content grounds the answer; the server's default is ``GlooGrounded``."""
    sources_limit: Optional[int] = None
    """How many sources to retrieve, 1 to 10."""
    include_citations: Optional[bool] = None
    """Ask for ``citations`` (off by default on the server)."""

    @model_validator(mode="after")
    def _validate(self) -> "ChatGloo":
        check_grounded_options(self.grounded, self.api_version, self._grounding_params())
        self._fill_from_environment()
        self._say_surprises()
        return self

    def _say_surprises(self) -> None:
        """Gloo's known surprises, as one warning class (core/warnings.py), once, at construction."""
        endpoint = self._endpoint
        found = construction_warnings(endpoint.name, endpoint.routing, self._default_params)
        if found:
            warn_construction(found)
        if endpoint.routing and self.model_family:
            from .core.registry import warn_unlisted_family  # only with a family: no import cost otherwise

            warn_unlisted_family(f"{self.base_url}{endpoint.models_path}", self.model_family)

    def _warn_json_schema(self) -> None:
        endpoint = self._endpoint
        message = json_schema_warning(endpoint.name, endpoint.routing, self._default_params)
        if message is not None:
            warn_construction([message])

    @property
    def _endpoint(self) -> Endpoint:
        if self.grounded:
            return GLOO_V2_GROUNDED
        return GLOO_V2 if self.api_version == "v2" else GLOO_V1

    def _grounding_params(self) -> dict[str, Any]:
        return {
            "rag_publisher": self.rag_publisher,
            "sources_limit": self.sources_limit,
            "include_citations": self.include_citations,
        }

    def _keep_credentials(self, creds: Credentials) -> None:
        super()._keep_credentials(creds)
        if creds.kind == "oauth":  # the pair as completed from the environment
            self.client_id = creds.client_id
            if self.client_secret is None:
                self.client_secret = SecretStr(creds.client_secret or "")

    def _routing_defaults(self) -> dict[str, Any]:
        # no mechanism given: the core's Endpoint.with_default_routing implies auto routing per call (_default_params)
        return {
            "model": self.model_name,
            "auto_routing": self.auto_routing,
            "model_family": self.model_family,
            "tradition": self.tradition,
            **self._grounding_params(),
        }

    @property
    def _llm_type(self) -> str:
        return f"gloo-chat-{self.api_version}{'-grounded' if self.grounded else ''}"

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "GLOO_API_KEY", "client_secret": "GLOO_CLIENT_SECRET"}


class ChatGravixLayer(_ChatGlooGravixBase):
    """Gravix Layer chat completions (OpenAI-compatible, served by Ollama).

    ``model`` is required (e.g. "meta-llama/llama-3.1-8b-instruct"), or env
    GRAVIXLAYER_MODEL. Credentials:
    ``api_key`` or env GRAVIXLAYER_API_KEY; base URL env GRAVIXLAYER_BASE_URL.

    Streamed tool calls are merged even when Ollama sends them whole or repeats
    ids. Some Ollama versions have dropped tool calls from streams altogether
    (docs/providers.md#ollama-quirks); if your model does, pass ``disable_streaming="tool_calling"``
    so calls with tools bound are made without streaming.
    """

    _listing_endpoint: ClassVar[Endpoint] = GRAVIX

    @model_validator(mode="after")
    def _validate(self) -> "ChatGravixLayer":
        if self.model_name is None:
            self.model_name = env_default_model(GRAVIX)
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
