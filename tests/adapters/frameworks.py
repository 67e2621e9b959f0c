"""One face for both frameworks, so that a shared behaviour is written as one test.

Each adapter contract test takes a ``chat`` (or ``embeddings``) fixture parametrised over LangChain and
LlamaIndex and talks to it through the small interface below: build a model of a kind, call it (sync,
async, streamed), call it with a tool, ask for structured output, read what it reports. Everything that
is framework vocabulary (``invoke`` / ``chat``, ``response_metadata`` / ``additional_kwargs``,
``bind_tools`` / ``chat_with_tools``) stays in this module; the tests state the behaviour once.

Requests go to a scripted ``httpx.MockTransport`` (``tests/parity_server.py``) through the classes'
own ``http_client`` fields, or, for LlamaIndex's embeddings (which have none), through the one client
hook every class implements (``_client_spec``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

import httpx
import pytest

from langchain_gloo_gravix.core.client_cache import ClientSpec
from tests.support.parity_server import Script

#: the kinds of chat model each framework offers, by endpoint
CHAT_KINDS = ("gloo-v2", "gloo-v1", "gravix")
GLOO_URL = "http://gloo.test"
GRAVIX_URL = "http://gravix.test/v1/inference"
GRAVIX_MODEL = "llama-test"


class Served:
    """A request handler (``tests/core/conftest.py``'s ``Server``) in the shape the ``make`` methods take:
    an httpx client of each mode over one ``MockTransport``."""

    def __init__(self, handler: Any) -> None:
        self.transport = httpx.MockTransport(handler)

    def sync_client(self) -> httpx.Client:
        return httpx.Client(transport=self.transport)

    def async_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport)


@dataclasses.dataclass
class Reply:
    """What a user reads back from one call, in framework-neutral words."""

    text: str
    #: the reported model name (LangChain ``response_metadata["model_name"]``, LlamaIndex
    #: ``additional_kwargs["model"]``)
    model: Optional[str]
    #: Gloo v2 routing / grounding metadata, as reported
    routing: Optional[dict[str, Any]] = None
    grounding: Optional[dict[str, Any]] = None
    #: (name, arguments) of each tool call
    tool_calls: list[tuple[str, Any]] = dataclasses.field(default_factory=list)
    finish_reason: Optional[str] = None
    raw: Any = None


def weather(city: str) -> str:
    """Weather in a city."""
    return f"sunny in {city}"


class LangChainChat:
    name = "langchain"
    #: the dict field unknown constructor arguments go to (and the request body with them)
    extra_field = "model_kwargs"

    def make(self, kind: str, script: Optional[Script] = None, **kw: Any) -> Any:
        from langchain_gloo_gravix import ChatGloo, ChatGravixLayer

        if script is not None:
            kw.update(http_client=script.sync_client(), http_async_client=script.async_client())
        if kind == "gravix":
            kw.setdefault("model", GRAVIX_MODEL)
            return ChatGravixLayer(api_key="k", base_url=GRAVIX_URL, **kw)
        if kind == "grounded":
            return ChatGloo(grounded=True, **{"api_key": "k", "base_url": GLOO_URL, **kw})
        return ChatGloo(api_version=kind[-2:], **{"api_key": "k", "base_url": GLOO_URL, **kw})

    @staticmethod
    def _reply(message: Any) -> Reply:
        meta = message.response_metadata
        return Reply(
            text=message.text,
            model=meta.get("model_name"),
            routing=meta.get("routing"),
            grounding=meta.get("grounding"),
            tool_calls=[(c["name"], c["args"]) for c in message.tool_calls],
            finish_reason=meta.get("finish_reason"),
            raw=message,
        )

    def invoke(self, llm: Any, text: str = "hi", **call: Any) -> Reply:
        return self._reply(llm.invoke(text, **call))

    async def ainvoke(self, llm: Any, text: str = "hi", **call: Any) -> Reply:
        return self._reply(await llm.ainvoke(text, **call))

    def stream(self, llm: Any, text: str = "hi", **call: Any) -> Reply:
        total = None
        for piece in llm.stream(text, **call):
            total = piece if total is None else total + piece
        return self._reply(total)

    async def astream(self, llm: Any, text: str = "hi", **call: Any) -> Reply:
        total = None
        async for piece in llm.astream(text, **call):
            total = piece if total is None else total + piece
        return self._reply(total)

    def with_tool(self, llm: Any, text: str = "weather in Paris?", **call: Any) -> Reply:
        return self._reply(llm.bind_tools([weather]).invoke(text, **call))

    #: constructor words that make the plain call stream under the hood (LangChain's ``streaming=True``)
    streaming_settings: dict[str, Any] = {"streaming": True}

    async def whole_from_stream(self, llm: Any, mode: str) -> Reply:
        """The answer built from a stream as a user of the framework gets it whole: LangChain's
        ``invoke`` with ``streaming=True`` (closing chunk included); ``make`` it with ``streaming_settings``."""
        return await self.ainvoke(llm) if mode == "async" else self.invoke(llm)

    async def chunks(self, llm: Any, mode: str, seen: list[str], **call: Any) -> None:
        """Stream, appending each chunk's new text to ``seen`` as it arrives (a failure keeps what came)."""
        if mode == "async":
            async for piece in llm.astream("hi", **call):
                seen.append(piece.text)
        else:
            for piece in llm.stream("hi", **call):
                seen.append(piece.text)

    def structured(self, kind: str, script: Script, schema: type, method: str) -> Any:
        """Ask for structured output by ``method`` (raises here when refused); returns the call."""
        runnable = self.make(kind, script).with_structured_output(schema, method=method)
        return lambda text: runnable.invoke(text)

    def copy(self, llm: Any, **update: Any) -> Any:
        # model_copy takes field names; the LangChain field behind ``model=`` is ``model_name`` (as ChatOpenAI's)
        if "model" in update:
            update["model_name"] = update.pop("model")
        return llm.model_copy(update=update)

    def requested_model_name(self, llm: Any) -> str:
        """The model name reported before any answer (tracing)."""
        return llm._get_ls_params()["ls_model_name"]

    def configured_model(self, llm: Any) -> Any:
        return llm.model_name


class LlamaIndexChat:
    name = "llama_index"
    extra_field = "additional_kwargs"

    def make(self, kind: str, script: Optional[Script] = None, **kw: Any) -> Any:
        from llama_index_ext import Gloo, GravixLayer

        if script is not None:
            kw.update(http_client=script.sync_client(), async_http_client=script.async_client())
        if kind == "gravix":
            kw.setdefault("model", GRAVIX_MODEL)
            return GravixLayer(api_key="k", base_url=GRAVIX_URL, **kw)
        if kind == "grounded":
            return Gloo(grounded=True, **{"api_key": "k", "base_url": GLOO_URL, **kw})
        return Gloo(api_version=kind[-2:], **{"api_key": "k", "base_url": GLOO_URL, **kw})

    @staticmethod
    def _messages(text: str) -> list[Any]:
        from llama_index.core.base.llms.types import ChatMessage

        return [ChatMessage(role="user", content=text)]

    @staticmethod
    def _reply(response: Any, llm: Any = None) -> Reply:
        extra = response.additional_kwargs
        calls = []
        if llm is not None:
            calls = [
                (s.tool_name, s.tool_kwargs)
                for s in llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
            ]
        return Reply(
            text=response.message.content or "",
            model=extra.get("model"),
            routing=extra.get("routing"),
            grounding=extra.get("grounding"),
            tool_calls=calls,
            finish_reason=extra.get("finish_reason"),
            raw=response,
        )

    def invoke(self, llm: Any, text: str = "hi", **call: Any) -> Reply:
        return self._reply(llm.chat(self._messages(text), **call))

    async def ainvoke(self, llm: Any, text: str = "hi", **call: Any) -> Reply:
        return self._reply(await llm.achat(self._messages(text), **call))

    def stream(self, llm: Any, text: str = "hi", **call: Any) -> Reply:
        chunks = list(llm.stream_chat(self._messages(text), **call))
        return self._reply(chunks[-1])  # each LlamaIndex chunk carries the whole message so far

    async def astream(self, llm: Any, text: str = "hi", **call: Any) -> Reply:
        chunks = [piece async for piece in await llm.astream_chat(self._messages(text), **call)]
        return self._reply(chunks[-1])

    def with_tool(self, llm: Any, text: str = "weather in Paris?", **call: Any) -> Reply:
        from llama_index.core.tools import FunctionTool

        tool = FunctionTool.from_defaults(fn=weather)
        return self._reply(llm.chat_with_tools([tool], user_msg=text, **call), llm)

    streaming_settings: dict[str, Any] = {}

    async def whole_from_stream(self, llm: Any, mode: str) -> Reply:
        """LlamaIndex's stream: each chunk carries the message so far; the last one is the whole answer."""
        return await self.astream(llm) if mode == "async" else self.stream(llm)

    async def chunks(self, llm: Any, mode: str, seen: list[str], **call: Any) -> None:
        if mode == "async":
            async for piece in await llm.astream_chat(self._messages("hi"), **call):
                seen.append(piece.delta or "")
        else:
            for piece in llm.stream_chat(self._messages("hi"), **call):
                seen.append(piece.delta or "")

    def structured(self, kind: str, script: Script, schema: type, method: str) -> Any:
        from llama_index.core.prompts import PromptTemplate

        llm = self.make(kind, script, structured_output_method=method)
        return lambda text: llm.structured_predict(schema, PromptTemplate("{q}"), q=text)

    def copy(self, llm: Any, **update: Any) -> Any:
        return llm.model_copy(update=update)

    def requested_model_name(self, llm: Any) -> str:
        return llm.metadata.model_name

    def configured_model(self, llm: Any) -> Any:
        return llm.model


class LangChainEmbeddings:
    name = "langchain"
    #: the constructor word for inputs per request (OpenAIEmbeddings' ``chunk_size`` is its alias)
    batch_word = "batch_size"

    def make(self, script: Optional[Script] = None, **kw: Any) -> Any:
        from langchain_gloo_gravix import GravixLayerEmbeddings

        if script is not None:
            kw.update(http_client=script.sync_client(), http_async_client=script.async_client())
        return GravixLayerEmbeddings(**{"api_key": "k", "base_url": GRAVIX_URL, **kw})

    def embed(self, llm: Any, texts: list[str]) -> list[list[float]]:
        return llm.embed_documents(texts)

    async def aembed(self, llm: Any, texts: list[str]) -> list[list[float]]:
        return await llm.aembed_documents(texts)


class LlamaIndexEmbeddings:
    name = "llama_index"
    batch_word = "embed_batch_size"

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch

    def make(self, script: Optional[Script] = None, **kw: Any) -> Any:
        from llama_index_ext import GravixLayerEmbedding

        model = GravixLayerEmbedding(**{"api_key": "k", "base_url": GRAVIX_URL, **kw})
        if script is not None:
            # no http_client field on a LlamaIndex BaseEmbedding: the scripted client goes in through the
            # one hook every class implements, on the spec it would build anyway
            built = GravixLayerEmbedding._client_spec
            sync_client, async_client = script.sync_client(), script.async_client()

            def scripted(self: Any, *, sync: bool) -> ClientSpec:
                spec = built(self, sync=sync)
                return dataclasses.replace(spec, http_client=sync_client if sync else async_client)

            self._monkeypatch.setattr(GravixLayerEmbedding, "_client_spec", scripted)
        return model

    def embed(self, llm: Any, texts: list[str]) -> list[list[float]]:
        return llm.get_text_embedding_batch(texts)

    async def aembed(self, llm: Any, texts: list[str]) -> list[list[float]]:
        return await llm.aget_text_embedding_batch(texts)


#: every declared OpenAI request option with a value that is not its default (the parity suites' table)
DECLARED = {
    "frequency_penalty": 0.5,
    "presence_penalty": -0.5,
    "n": 1,
    "logprobs": True,
    "top_logprobs": 3,
    "max_completion_tokens": 50,
    "stop": ["END"],
    "seed": 7,
    "top_p": 0.9,
    "user": "u-1",
    "service_tier": "default",
    "reasoning_effort": "low",
}
