"""The shared LlamaIndex ``FunctionCallingLLM`` behind ``Gloo`` and ``GravixLayer``.

Everything that decides is written once and shared by the sync and async paths:
``_request`` (messages and params), ``responses`` (results), ``tools``
(tool_choice and tool calls). Only the four I/O methods differ, and the
completion family is derived from them through ``completion_response``.

No HTTP, SSE, retry or environment handling lives here: the core client does all
of it, with its one retry layer (``max_retries``). Core errors
(``langchain_gloo_gravix.core.errors``) reach the caller unchanged.

Hooks meant for subclasses: ``_endpoint`` (which service), ``_routing_params``
(routing fields sent with every request), ``_credentials`` (what the core gets
for auth), ``_profile`` (context window and tool support). The rules both
frameworks share are the core's: the client spec and cache (``ClientOwner``),
the v2 default routing and the body rules (``core/request.py``), the display
name and capabilities (``Endpoint``), the OpenAI option fields
(``OpenAIRequestOptions``).
"""

from __future__ import annotations

import json
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    ClassVar,
    Dict,
    List,
    Literal,
    Optional,
    Sequence,
    Type,
    Union,
)

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.events.llm import (
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.types import Model, PydanticProgramMode
from pydantic import ConfigDict, Field, model_validator

from langchain_gloo_gravix.core import DEFAULT_STREAM_IDLE_TIMEOUT, Endpoint, resolve_base_url
from langchain_gloo_gravix.core.checked_model import CheckedSettings, TimeoutAsData
from langchain_gloo_gravix.core.client_cache import ClientOwner, ClientSpec, headers_key
from langchain_gloo_gravix.core.credentials import resolve_credentials
from langchain_gloo_gravix.core.endpoints import env_default_model
from langchain_gloo_gravix.core.listing import alist_for, class_or_instance_method, list_for
from langchain_gloo_gravix.core.options import OpenAIRequestOptions
from langchain_gloo_gravix.core.request import PreparedCall, check_response_format, normalize_params, prepare_call
from langchain_gloo_gravix.core.secret_input import SecretInput

from .events import retry_event_hook
from .messages import to_wire_messages
from .models import ModelProfile, profile_for
from .responses import (
    StreamAssembler,
    aanswer_cost,
    answer_cost,
    chat_response,
    completion_response,
    with_cost,
)
from .structured import StructuredStream, astream_structured, parse_structured, response_format_for, stream_structured
from .tokens import answer_room, check_tokenizer, resolve_tokenizer
from .tools import get_tool_calls, keep_first_tool_call, prepare_tool_request

if TYPE_CHECKING:
    from llama_index.core.prompts import PromptTemplate
    from llama_index.core.tools.types import BaseTool

    from langchain_gloo_gravix.core.model_list import ModelInfo

__all__ = ["GlooGravixLLM"]

dispatcher = get_dispatcher(__name__)
# stateless: dispatches a GlooGravixRetryEvent on this module's dispatcher for each core retry
_RETRY_EVENTS = retry_event_hook(__name__)


def _finished(stream: Any) -> Any:
    """The completion a finished stream assembled (its accumulator exists once it has opened)."""
    return stream.accumulator.completion()


# Keyword arguments LlamaIndex threads through chat() that are not request fields.
_FRAMEWORK_ONLY = frozenset(
    {
        "verbose",
        "tool_required",
        "allow_parallel_tool_calls",
        "formatted",
        "error_on_no_tool_call",
        "include_response_headers",
    }
)
# Request fields the adapter owns; in additional_kwargs they would corrupt every call.
_RESERVED = frozenset({"messages", "stream"})


class GlooGravixLLM(CheckedSettings, ClientOwner, OpenAIRequestOptions, TimeoutAsData, FunctionCallingLLM):
    """Shared fields and behaviour; use :class:`Gloo` or :class:`GravixLayer`."""

    # Unknown constructor arguments never vanish: a misspelt option raises (with the
    # option it resembles), any other goes to additional_kwargs with a warning, as
    # in the LangChain classes (core/checked_model.py); a Gloo-only option on
    # GravixLayer then fails in the core's checks. protected_namespaces=():
    # model_family starts with the reserved "model_". hide_input_in_errors: a
    # ValidationError would otherwise print every argument, secrets included.
    model_config = ConfigDict(protected_namespaces=(), hide_input_in_errors=True)
    unknown_options_field: ClassVar[str] = "additional_kwargs"
    extra_known_options: ClassVar[frozenset[str]] = frozenset({"class_name"})  # to_dict() output fed back in
    # OpenAILike's argument names mean the same here, or are refused with a pointer (core/incumbent_names.py)
    incumbent: ClassVar[Optional[str]] = "OpenAILike"

    model: Optional[str] = Field(default=None, description="Model id.")
    timeout: Any = Field(
        default=None,
        description="Seconds, a (connect, read) pair or an httpx.Timeout; None keeps the core's finite default.",
    )
    max_retries: int = Field(default=2, description="Retries of 408/409/429/5xx/connection errors (one layer).")
    stream_idle_timeout: Optional[float] = Field(
        default=DEFAULT_STREAM_IDLE_TIMEOUT, description="Longest silence allowed inside a stream, in seconds."
    )
    # exclude + repr=False: gateways put credentials in headers, so no header value is ever
    # shown or serialised (to_dict/to_json/instrumentation events); pass them again after from_dict.
    default_headers: Optional[Dict[str, str]] = Field(
        default=None, exclude=True, repr=False, description="Sent with every request; never serialised."
    )
    additional_kwargs: Dict[str, Any] = Field(
        default_factory=dict,
        description="Request fields for every call (top_p, stop, seed, ...), validated by the core.",
    )
    extra_body: Dict[str, Any] = Field(
        default_factory=dict, description="Raw JSON merged into every body, unvalidated."
    )
    api_key: Optional[Union[SecretInput, Callable[[], str], Callable[[], Awaitable[str]]]] = Field(
        default=None,
        exclude=True,
        repr=False,
        description="Bearer key: a str, or a sync/async callable called per request; env if None. Never shown.",
    )
    proxy: Optional[str] = Field(
        default=None,
        exclude=True,
        repr=False,
        description="Proxy URL for every request (token requests too); not with http_client. Never serialised.",
    )
    base_url: Optional[str] = Field(default=None, description="Service root; the env var or the public URL when None.")
    context_window: Optional[int] = Field(default=None, gt=0, description="Overrides the known-model table.")
    num_output: Optional[int] = Field(default=None, gt=0, description="Overrides the known-model table.")
    is_function_calling_model: Optional[bool] = Field(default=None, description="Overrides the known-model table.")
    structured_output_method: Literal["function_calling", "json_schema"] = Field(
        default="function_calling",
        description="structured_predict via a forced tool call or response_format json_schema.",
    )

    include_response_headers: bool = Field(
        default=False, description="Put the HTTP response headers in additional_kwargs['headers'] (invoke and stream)."
    )
    strict: bool = Field(default=False, description="chat_with_tools: strict JSON-schema tools (per call: strict=).")
    tokenizer: Any = Field(
        default=None,
        exclude=True,
        repr=False,
        description="As OpenAILike: an object with encode(text), or a Hugging Face tokenizer name (needs "
        "transformers). With max_tokens unset, each call's max_tokens is the context window minus the prompt's tokens.",
    )
    replay_reasoning_content: bool = Field(
        default=False,
        description="Send each assistant ThinkingBlock back as reasoning_content (for reasoning models that need "
        "their own thinking inside tool loops); off by default.",
    )
    http_client: Any = Field(
        default=None, exclude=True, repr=False, description="An httpx.Client for sync calls (yours to close)."
    )
    async_http_client: Any = Field(
        default=None, exclude=True, repr=False, description="An httpx.AsyncClient for async calls (yours to close)."
    )

    # -- hooks for subclasses ------------------------------------------------------------

    def _endpoint(self) -> Endpoint:
        raise NotImplementedError

    def _routing_params(self) -> Dict[str, Any]:
        return {}

    def _credentials(self) -> Dict[str, Any]:
        return {"api_key": self.api_key}

    def _profile(self) -> ModelProfile:
        return profile_for(self.model)

    # -- construction ----------------------------------------------------------------------

    @model_validator(mode="after")
    def _validate_settings(self) -> "GlooGravixLLM":
        # Every request-field rule lives in the core; running it here makes bad
        # settings fail at construction instead of at the first call.
        endpoint = self._endpoint()
        if self.model is None:
            self.model = env_default_model(endpoint)  # e.g. GRAVIXLAYER_MODEL
        check_tokenizer(self.tokenizer)
        reserved = _RESERVED & set(self.additional_kwargs)
        if reserved:
            raise ValueError(
                f"additional_kwargs must not set {', '.join(sorted(reserved))}; pass them to chat() instead"
            )
        for name in ("additional_kwargs", "extra_body"):
            try:
                json.dumps(getattr(self, name))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name} must be JSON-serialisable: {exc}") from None
        params = self._base_params()
        params.pop("extra_body", None)
        normalized = normalize_params(endpoint, params)
        if self.model is None and normalized.get("model"):
            self.model = normalized["model"]  # the endpoint's default model (Gloo v1)
        resolve_base_url(endpoint, self.base_url)  # pure: checks the URL, no I/O
        # the core's one credential rule, run now only to check the values it would use
        # (empty strings, whitespace); the client resolves them again at the first request
        resolve_credentials(endpoint, **self._credentials())
        if self.structured_output_method == "json_schema":
            check_response_format(endpoint)  # the core's one rule: refused where not documented (Gloo v1)
        return self

    # -- request params --------------------------------------------------------------------

    def _base_params(self) -> Dict[str, Any]:
        params: Dict[str, Any] = dict(self.additional_kwargs)
        if self.model is not None:
            params["model"] = self.model
        params.update(self._request_options())
        params.update({k: v for k, v in self._routing_params().items() if v is not None})
        if self.extra_body:
            params["extra_body"] = dict(self.extra_body)
        # the core's v2 default (auto routing), implied per call and never written to a field
        return self._endpoint().with_default_routing(params)

    def _request(
        self, messages: Sequence[ChatMessage], kwargs: Dict[str, Any], *, stream: bool
    ) -> tuple[PreparedCall, Optional[Dict[str, str]]]:
        """The call, decided once by the core (``core.request.prepare_call``: the call's keyword arguments
        over the configured request fields, checked and encoded), and the call's ``extra_headers``."""
        wire = to_wire_messages(messages, replay_reasoning=self.replay_reasoning_content)
        call = {k: v for k, v in kwargs.items() if k not in _FRAMEWORK_ONLY}
        headers = call.pop("extra_headers", None)
        include_usage = call.pop("include_usage", None)
        configured = self._base_params()
        if self.tokenizer is not None and call.get("max_tokens") is None and configured.get("max_tokens") is None:
            meta = self.metadata
            call["max_tokens"] = answer_room(self._encoder(), wire, meta.context_window, meta.num_output)
        prepared = prepare_call(
            self._endpoint(),
            wire,
            configured,
            call,
            stream=stream,
            include_usage=stream and (include_usage is None or bool(include_usage)),
            note_images=True,
        )
        return prepared, headers

    def _encoder(self) -> Any:
        # resolved per call from the field, so an assignment (llm.tokenizer = ...) takes effect
        return resolve_tokenizer(self.tokenizer)

    # -- clients -----------------------------------------------------------------------------

    def _client_spec(self, *, sync: bool) -> ClientSpec:
        credentials = self._credentials()
        return ClientSpec(
            self._endpoint(),
            base_url=self.base_url,
            api_key=credentials.get("api_key"),
            client_id=credentials.get("client_id"),
            client_secret=credentials.get("client_secret"),
            timeout=self.timeout,
            max_retries=self.max_retries,
            stream_idle_timeout=self.stream_idle_timeout,
            default_headers=headers_key(self.default_headers),
            http_client=self.http_client if sync else self.async_http_client,
            proxy=self.proxy,
        )

    # -- metadata ------------------------------------------------------------------------------

    def _model_name(self) -> str:
        """The core's one display name (an auto-routed Gloo v2 model: ``gloo-auto-routing``)."""
        return self._endpoint().display_model({"model": self.model, **self._routing_params()})

    @property
    def metadata(self) -> LLMMetadata:
        profile = self._profile()
        fc = profile.function_calling if self.is_function_calling_model is None else self.is_function_calling_model
        # an explicit max_tokens is exactly the room an answer can take
        num_output = self.num_output or self.max_tokens or profile.num_output
        return LLMMetadata(
            context_window=self.context_window or profile.window_for(num_output),
            num_output=num_output,
            is_chat_model=True,
            is_function_calling_model=fc,
            model_name=self._model_name(),
            system_role=MessageRole.SYSTEM,
        )

    # -- chat: the only four methods that do I/O --------------------------------------------

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream_chat(messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        return await self._astream_chat(messages, **kwargs)

    # Undecorated bodies: the completion family calls these, so one complete()
    # emits one LLM event, not a completion event wrapping a chat event.

    def _want_headers(self, kwargs: Dict[str, Any]) -> bool:
        wanted = kwargs.get("include_response_headers")
        return self.include_response_headers if wanted is None else bool(wanted)

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        call, extra_headers = self._request(messages, kwargs, stream=False)
        client = self._sync_client()
        completion = client.create_prepared(call, extra_headers, _RETRY_EVENTS)
        headers = completion.response_headers if self._want_headers(kwargs) else None
        response = chat_response(completion, headers, call.requested_model)
        return with_cost(response, answer_cost(client, completion, **call.cost_keys))

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        call, extra_headers = self._request(messages, kwargs, stream=False)
        client = self._async_client()
        completion = await client.create_prepared(call, extra_headers, _RETRY_EVENTS)
        headers = completion.response_headers if self._want_headers(kwargs) else None
        response = chat_response(completion, headers, call.requested_model)
        return with_cost(response, await aanswer_cost(client, completion, **call.cost_keys))

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        # built (and validated) now, so bad input raises here and not at first next()
        call, extra_headers = self._request(messages, kwargs, stream=True)
        client = self._sync_client()
        stream = client.stream_prepared(call, extra_headers, _RETRY_EVENTS)
        want_headers = self._want_headers(kwargs)
        requested = call.requested_model

        def gen() -> ChatResponseGen:
            assembler = StreamAssembler(requested)
            with stream:  # closes the connection if the consumer stops early
                for delta in stream:
                    if getattr(delta, "index", 0):
                        continue  # another of n choices: a ChatResponse is choice 0 (all are in raw)
                    if want_headers and assembler.headers is None:
                        assembler.headers = stream.response_headers
                    yield assembler.add(delta)
            last = assembler.finish(answer_cost(client, _finished(stream), **call.cost_keys))
            if last is not None:
                yield last

        return gen()

    async def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        call, extra_headers = self._request(messages, kwargs, stream=True)
        client = self._async_client()
        stream = client.stream_prepared(call, extra_headers, _RETRY_EVENTS)
        want_headers = self._want_headers(kwargs)
        requested = call.requested_model

        async def gen() -> ChatResponseAsyncGen:
            assembler = StreamAssembler(requested)
            async with stream:
                async for delta in stream:
                    if getattr(delta, "index", 0):
                        continue  # another of n choices: a ChatResponse is choice 0 (all are in raw)
                    if want_headers and assembler.headers is None:
                        assembler.headers = stream.response_headers
                    yield assembler.add(delta)
            cost = await aanswer_cost(client, _finished(stream), **call.cost_keys)
            last = assembler.finish(cost)
            if last is not None:
                yield last

        return gen()

    # -- the model list (Gloo: its public registry, the one answers are priced from) -------------

    _listing_endpoint: ClassVar[Endpoint]

    @class_or_instance_method
    def list_models(self_or_cls: Any, *, refresh: bool = False) -> List["ModelInfo"]:
        """The endpoint's models (``ModelInfo``: id, family, context window, capabilities; Gloo's
        entries keep ``pricing`` in ``model_extra``). On the class: the default host (env
        ``GLOO_BASE_URL`` / ``GRAVIXLAYER_BASE_URL``); on an instance: its host and settings.
        Gloo's list is cached for five minutes (``refresh=True`` reads it now)."""
        own = None if isinstance(self_or_cls, type) else self_or_cls._sync_client
        return list_for(self_or_cls._listing_endpoint, own, refresh)

    @class_or_instance_method
    async def alist_models(self_or_cls: Any, *, refresh: bool = False) -> List["ModelInfo"]:
        """Async :meth:`list_models`."""
        own = None if isinstance(self_or_cls, type) else self_or_cls._async_client
        return await alist_for(self_or_cls._listing_endpoint, own, refresh)

    # -- completion family, derived from chat ------------------------------------------------

    @staticmethod
    def _prompt_messages(prompt: str) -> List[ChatMessage]:
        return [ChatMessage(role=MessageRole.USER, content=prompt)]

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return completion_response(self._chat(self._prompt_messages(prompt), **kwargs))

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return completion_response(await self._achat(self._prompt_messages(prompt), **kwargs))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        chunks = self._stream_chat(self._prompt_messages(prompt), **kwargs)
        return (completion_response(chunk) for chunk in chunks)

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        chunks = await self._astream_chat(self._prompt_messages(prompt), **kwargs)

        async def gen() -> CompletionResponseAsyncGen:
            async for chunk in chunks:
                yield completion_response(chunk)

        return gen()

    # -- tools ---------------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence["BaseTool"],
        user_msg: Optional[Union[str, ChatMessage]] = None,
        chat_history: Optional[List[ChatMessage]] = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: Optional[Union[str, dict]] = None,
        strict: Optional[bool] = None,
        **kwargs: Any,
    ) -> Dict[str, Any]:
        return prepare_tool_request(
            tools,
            user_msg=user_msg,
            chat_history=chat_history,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            tool_required=tool_required,
            tool_choice=tool_choice,
            strict=self.strict if strict is None else strict,
            parallel_tool_calls=self.parallel_tool_calls,
            **kwargs,
        )

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence["BaseTool"],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        if not allow_parallel_tool_calls:
            return keep_first_tool_call(response)
        return response

    def get_tool_calls_from_response(
        self,
        response: ChatResponse,
        error_on_no_tool_call: bool = True,
        **kwargs: Any,
    ) -> List[ToolSelection]:
        """Tool calls of a response or of any streamed chunk (see ``tools.get_tool_calls``)."""
        return get_tool_calls(response, error_on_no_tool_call=error_on_no_tool_call)

    # -- structured output ---------------------------------------------------------------------
    # Only with structured_output_method="json_schema"; otherwise LlamaIndex's own
    # FunctionCallingProgram runs (a forced tool call). Streaming structured prediction
    # is ours for both methods (structured.py: the chosen method, and refusals raise).

    def _structured_stream_call(
        self,
        output_cls: Type[Model],
        prompt: "PromptTemplate",
        llm_kwargs: Optional[Dict[str, Any]] = None,
        **prompt_args: Any,
    ) -> Any:
        if self.pydantic_program_mode != PydanticProgramMode.DEFAULT:
            return super()._structured_stream_call(output_cls, prompt, llm_kwargs, **prompt_args)
        messages = self._extend_messages(prompt.format_messages(llm=self, **prompt_args))
        return stream_structured(StructuredStream(self, output_cls, self._use_json_schema()), messages, llm_kwargs)

    async def _structured_astream_call(
        self,
        output_cls: Type[Model],
        prompt: "PromptTemplate",
        llm_kwargs: Optional[Dict[str, Any]] = None,
        **prompt_args: Any,
    ) -> Any:
        if self.pydantic_program_mode != PydanticProgramMode.DEFAULT:
            return await super()._structured_astream_call(output_cls, prompt, llm_kwargs, **prompt_args)
        messages = self._extend_messages(prompt.format_messages(llm=self, **prompt_args))
        return astream_structured(StructuredStream(self, output_cls, self._use_json_schema()), messages, llm_kwargs)

    def _use_json_schema(self) -> bool:
        return (
            self.structured_output_method == "json_schema" and self.pydantic_program_mode == PydanticProgramMode.DEFAULT
        )

    def _json_schema_request(
        self,
        output_cls: Type[Model],
        prompt: "PromptTemplate",
        llm_kwargs: Optional[Dict[str, Any]],
        prompt_args: Dict[str, Any],
    ) -> tuple[List[ChatMessage], Dict[str, Any]]:
        start = LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt, template_args=prompt_args)
        dispatcher.event(start)
        messages = self._extend_messages(prompt.format_messages(llm=self, **prompt_args))
        return messages, {**(llm_kwargs or {}), "response_format": response_format_for(output_cls)}

    @staticmethod
    def _json_schema_result(output_cls: Type[Model], response: ChatResponse) -> Model:
        result = parse_structured(output_cls, response)
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result  # type: ignore[return-value]

    def structured_predict(
        self,
        output_cls: Type[Model],
        prompt: "PromptTemplate",
        llm_kwargs: Optional[Dict[str, Any]] = None,
        **prompt_args: Any,
    ) -> Model:
        if not self._use_json_schema():
            return super().structured_predict(output_cls, prompt, llm_kwargs, **prompt_args)
        messages, kwargs = self._json_schema_request(output_cls, prompt, llm_kwargs, prompt_args)
        return self._json_schema_result(output_cls, self.chat(messages, **kwargs))

    async def astructured_predict(
        self,
        output_cls: Type[Model],
        prompt: "PromptTemplate",
        llm_kwargs: Optional[Dict[str, Any]] = None,
        **prompt_args: Any,
    ) -> Model:
        if not self._use_json_schema():
            return await super().astructured_predict(output_cls, prompt, llm_kwargs, **prompt_args)
        messages, kwargs = self._json_schema_request(output_cls, prompt, llm_kwargs, prompt_args)
        return self._json_schema_result(output_cls, await self.achat(messages, **kwargs))
