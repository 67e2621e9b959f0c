"""Benchmark targets: one small adapter per library, all exposing the same verbs.

Every adapter offers ``call()`` / ``acall()`` (one non-streaming chat call),
``stream(n)`` / ``astream(n)`` (iterate an n-chunk stream, yielding each piece of
content text) and ``close()`` / ``aclose()``.  The harness in run.py does all the
timing, so adapters only translate "one call" into each library's idiom and
pull the text out the way a user would.

Our own modules are imported inside ``setup`` so that a missing or broken
module turns that target into "n/a (<reason>)" instead of failing the run.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Any, AsyncIterator, Callable, Iterator

MODEL = "m"
KEY = "bench-key"


def user_text(n: int | None = None) -> str:
    """The prompt; the stub reads the stream length from ``chunks:<n>``."""
    return "hi" if n is None else f"hi chunks:{n}"


def _messages(n: int | None = None) -> list[dict[str, str]]:
    return [{"role": "user", "content": user_text(n)}]


_CHUNKS_RE = re.compile(r"chunks:(\d+)")


def _chunks_in(text: str, default: int = 20) -> int:
    m = _CHUNKS_RE.search(text)
    return int(m.group(1)) if m else default


class Target:
    key = ""
    label = ""
    # raw | lc-floor | li-floor | lc-incumbent | li-incumbent | core | lc | li
    family = ""
    # which stub API the target talks to; "" for the no-HTTP floors
    route = "gravix"
    requests_per_call = 1
    ours = False

    def setup(self, url: str) -> None:  # sync half; may raise -> target is n/a
        pass

    async def asetup(self, url: str) -> None:  # async half, run inside the benchmark loop
        pass

    def call(self) -> Any:
        raise NotImplementedError

    async def acall(self) -> Any:
        raise NotImplementedError

    def stream(self, n: int) -> Iterator[str]:
        raise NotImplementedError

    def astream(self, n: int) -> AsyncIterator[str]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


def _close_quietly(obj: Any, *names: str) -> None:
    for name in names:
        fn = getattr(obj, name, None)
        if callable(fn):
            try:
                fn()
            except Exception:
                pass
            return


async def _aclose_quietly(obj: Any, *names: str) -> None:
    for name in names:
        fn = getattr(obj, name, None)
        if callable(fn):
            try:
                res = fn()
                if inspect.isawaitable(res):
                    await res
            except Exception:
                pass
            return


# --------------------------------------------------------------------------- floors

_RAW_PATHS = {
    "gravix": ("/v1/inference/chat/completions", KEY),
    "gloo-v1": ("/ai/v1/chat/completions", "bench-token"),
    "gloo-v2": ("/ai/v2/chat/completions", "bench-token"),
}


class RawHttpx(Target):
    """The floor: httpx plus hand-written JSON/SSE handling, nothing else."""

    family = "raw"

    def __init__(self, route: str) -> None:
        self.route = route
        self.key = f"raw-{route}"
        self.label = f"raw httpx ({route})"
        self._path, token = _RAW_PATHS[route]
        self._headers = {"Authorization": f"Bearer {token}"}
        extra: dict[str, Any] = {"model": MODEL}
        if route == "gloo-v2":
            extra = {"auto_routing": True}
        self._body = {**extra, "messages": _messages()}
        self._extra = extra

    def setup(self, url: str) -> None:
        import httpx

        # Same keep-alive pool size as the OpenAI SDK: httpx's default keeps only
        # 20 idle connections, which would make the floor reconnect at concurrency 64.
        self._limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
        self._c = httpx.Client(base_url=url, headers=self._headers, timeout=60, limits=self._limits)
        self._url = url

    async def asetup(self, url: str) -> None:
        import httpx

        self._ac = httpx.AsyncClient(base_url=url, headers=self._headers, timeout=60, limits=self._limits)

    def _stream_body(self, n: int) -> dict[str, Any]:
        return {**self._extra, "messages": _messages(n), "stream": True, "stream_options": {"include_usage": True}}

    def call(self) -> str:
        r = self._c.post(self._path, json=self._body)
        r.raise_for_status()
        return r.json()["choices"][0]["message"]["content"]

    async def acall(self) -> str:
        r = await self._ac.post(self._path, json=self._body)
        r.raise_for_status()
        return r.json()["choices"][0]["message"]["content"]

    def stream(self, n: int) -> Iterator[str]:
        loads = json.loads
        with self._c.stream("POST", self._path, json=self._stream_body(n)) as r:
            r.raise_for_status()
            for line in r.iter_lines():
                if not line.startswith("data: "):
                    continue
                payload = line[6:]
                if payload == "[DONE]":
                    break
                choices = loads(payload)["choices"]
                if choices:
                    yield choices[0]["delta"].get("content") or ""

    async def astream(self, n: int) -> AsyncIterator[str]:
        loads = json.loads
        async with self._ac.stream("POST", self._path, json=self._stream_body(n)) as r:
            r.raise_for_status()
            async for line in r.aiter_lines():
                if not line.startswith("data: "):
                    continue
                payload = line[6:]
                if payload == "[DONE]":
                    break
                choices = loads(payload)["choices"]
                if choices:
                    yield choices[0]["delta"].get("content") or ""

    def close(self) -> None:
        self._c.close()

    async def aclose(self) -> None:
        await self._ac.aclose()


def _floor_chat_model_cls() -> type:
    """A minimal BaseChatModel with no I/O: LangChain's own per-call overhead."""
    from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    usage = {"input_tokens": 8, "output_tokens": 6, "total_tokens": 14}

    class FloorChatModel(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "bench-floor"

        def _result(self) -> ChatResult:
            # Same shape a real integration returns: text, usage and metadata.
            msg = AIMessage(
                content="Hello from the stub.",
                usage_metadata=usage,
                response_metadata={"model_name": MODEL, "finish_reason": "stop"},
                id="chatcmpl-bench",
            )
            return ChatResult(generations=[ChatGeneration(message=msg)])

        def _generate(
            self,
            messages: list[BaseMessage],
            stop: Any = None,
            run_manager: CallbackManagerForLLMRun | None = None,
            **kw: Any,
        ) -> ChatResult:
            return self._result()

        # Native async: the default _agenerate hops to a thread pool, which
        # would charge the floor for overhead no real async client pays.
        async def _agenerate(
            self,
            messages: list[BaseMessage],
            stop: Any = None,
            run_manager: AsyncCallbackManagerForLLMRun | None = None,
            **kw: Any,
        ) -> ChatResult:
            return self._result()

        def _stream(
            self,
            messages: list[BaseMessage],
            stop: Any = None,
            run_manager: CallbackManagerForLLMRun | None = None,
            **kw: Any,
        ) -> Iterator[ChatGenerationChunk]:
            for _ in range(_chunks_in(str(messages[-1].content))):
                chunk = ChatGenerationChunk(message=AIMessageChunk(content="tok "))
                if run_manager:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

        async def _astream(
            self,
            messages: list[BaseMessage],
            stop: Any = None,
            run_manager: AsyncCallbackManagerForLLMRun | None = None,
            **kw: Any,
        ) -> AsyncIterator[ChatGenerationChunk]:
            for _ in range(_chunks_in(str(messages[-1].content))):
                chunk = ChatGenerationChunk(message=AIMessageChunk(content="tok "))
                if run_manager:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    return FloorChatModel


def _floor_llm_cls() -> type:
    """A minimal LlamaIndex chat LLM with no I/O: LlamaIndex's own per-call overhead."""
    from llama_index.core.base.llms.types import (
        ChatMessage,
        ChatResponse,
        CompletionResponse,
        LLMMetadata,
        MessageRole,
    )
    from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
    from llama_index.core.llms.llm import LLM

    class FloorLLM(LLM):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(is_chat_model=True, model_name=MODEL)

        def _resp(self) -> ChatResponse:
            return ChatResponse(
                message=ChatMessage(role=MessageRole.ASSISTANT, content="Hello from the stub."),
                raw={"usage": {"prompt_tokens": 8, "completion_tokens": 6, "total_tokens": 14}},
            )

        @llm_chat_callback()
        def chat(self, messages: Any, **kw: Any) -> ChatResponse:
            return self._resp()

        @llm_chat_callback()
        async def achat(self, messages: Any, **kw: Any) -> ChatResponse:
            return self._resp()

        @llm_chat_callback()
        def stream_chat(self, messages: Any, **kw: Any) -> Any:
            n = _chunks_in(str(messages[-1].content))

            def gen() -> Iterator[ChatResponse]:
                text = ""
                for _ in range(n):
                    text += "tok "  # LlamaIndex streams carry the running text too
                    yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta="tok ")

            return gen()

        @llm_chat_callback()
        async def astream_chat(self, messages: Any, **kw: Any) -> Any:
            n = _chunks_in(str(messages[-1].content))

            async def gen() -> AsyncIterator[ChatResponse]:
                text = ""
                for _ in range(n):
                    text += "tok "
                    yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta="tok ")

            return gen()

        # Completion verbs are unused by the benchmark but abstract on LLM.
        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
            return CompletionResponse(text="Hello from the stub.")

        @llm_completion_callback()
        async def acomplete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
            return CompletionResponse(text="Hello from the stub.")

        def stream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            raise NotImplementedError

        async def astream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            raise NotImplementedError

    return FloorLLM


# ------------------------------------------------------------- LangChain adapters


class LangChainTarget(Target):
    """Any BaseChatModel driven with a str input, the way users call it."""

    def __init__(
        self,
        key: str,
        label: str,
        family: str,
        route: str,
        factory: Callable[[str], Any],
        ours: bool = False,
        requests_per_call: int = 1,
    ) -> None:
        self.key, self.label, self.family, self.route = key, label, family, route
        self._factory, self.ours, self.requests_per_call = factory, ours, requests_per_call

    def setup(self, url: str) -> None:
        self.model = self._factory(url)

    def call(self) -> Any:
        return self.model.invoke("hi").content

    async def acall(self) -> Any:
        return (await self.model.ainvoke("hi")).content

    def stream(self, n: int) -> Iterator[str]:
        for chunk in self.model.stream(user_text(n)):
            yield chunk.content

    async def astream(self, n: int) -> AsyncIterator[str]:
        async for chunk in self.model.astream(user_text(n)):
            yield chunk.content

    def close(self) -> None:
        _close_quietly(self.model, "close")

    async def aclose(self) -> None:
        await _aclose_quietly(self.model, "aclose")


# ------------------------------------------------------------ LlamaIndex adapters


class LlamaIndexTarget(Target):
    def __init__(
        self,
        key: str,
        label: str,
        family: str,
        route: str,
        factory: Callable[[str], Any],
        ours: bool = False,
        requests_per_call: int = 1,
    ) -> None:
        self.key, self.label, self.family, self.route = key, label, family, route
        self._factory, self.ours, self.requests_per_call = factory, ours, requests_per_call

    def setup(self, url: str) -> None:
        from llama_index.core.llms import ChatMessage

        self.llm = self._factory(url)
        self._msgs = [ChatMessage(role="user", content="hi")]
        self._ChatMessage = ChatMessage

    def _stream_msgs(self, n: int) -> list:
        return [self._ChatMessage(role="user", content=user_text(n))]

    def call(self) -> Any:
        return self.llm.chat(self._msgs).message.content

    async def acall(self) -> Any:
        return (await self.llm.achat(self._msgs)).message.content

    def stream(self, n: int) -> Iterator[str]:
        for r in self.llm.stream_chat(self._stream_msgs(n)):
            yield r.delta or ""

    async def astream(self, n: int) -> AsyncIterator[str]:
        gen = self.llm.astream_chat(self._stream_msgs(n))
        if inspect.isawaitable(gen):  # LlamaIndex returns a coroutine of an async generator
            gen = await gen
        async for r in gen:
            yield r.delta or ""

    def close(self) -> None:
        _close_quietly(self.llm, "close")

    async def aclose(self) -> None:
        await _aclose_quietly(self.llm, "aclose")


# ------------------------------------------------------------------ our core client


class CoreTarget(Target):
    family = "core"
    ours = True

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.route = "gravix" if provider == "gravix" else provider
        self.key = f"core-{provider}"
        self.label = f"ours: core Client ({provider})"
        self._kw: dict[str, Any] = {"model": MODEL} if provider == "gravix" else {"auto_routing": True}

    def _base(self, url: str) -> str:
        return url + "/v1/inference" if self.provider == "gravix" else url

    def setup(self, url: str) -> None:
        from langchain_gloo_gravix.core import Client

        self.c = Client(self.provider, base_url=self._base(url), api_key=KEY, max_retries=0)

    async def asetup(self, url: str) -> None:
        from langchain_gloo_gravix.core import AsyncClient

        self.ac = AsyncClient(self.provider, base_url=self._base(url), api_key=KEY, max_retries=0)

    def call(self) -> Any:
        return self.c.create(messages=_messages(), **self._kw)

    async def acall(self) -> Any:
        return await self.ac.create(messages=_messages(), **self._kw)

    def stream(self, n: int) -> Iterator[str]:
        for d in self.c.stream(messages=_messages(n), **self._kw):
            yield d.content or ""

    async def astream(self, n: int) -> AsyncIterator[str]:
        gen = self.ac.stream(messages=_messages(n), **self._kw)
        if inspect.isawaitable(gen):
            gen = await gen
        async for d in gen:
            yield d.content or ""

    def close(self) -> None:
        _close_quietly(getattr(self, "c", None), "close")

    async def aclose(self) -> None:
        await _aclose_quietly(getattr(self, "ac", None), "aclose")


# ------------------------------------------------------------------------ registry


def _chat_openai(url: str) -> Any:
    from langchain_openai import ChatOpenAI

    # stream_usage=True: our models report usage on streams, so ask the incumbent
    # to do the same work (the stub sends the usage chunk either way).
    return ChatOpenAI(model=MODEL, base_url=url + "/v1/inference", api_key="x", max_retries=0, stream_usage=True)


def _openai_like(url: str) -> Any:
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(model=MODEL, api_base=url + "/v1/inference", api_key="x", is_chat_model=True, max_retries=0)


def _chat_gloo(version: str) -> Callable[[str], Any]:
    def make(url: str) -> Any:
        from langchain_gloo_gravix import ChatGloo

        return ChatGloo(api_version=version, base_url=url, api_key=KEY, max_retries=0)

    return make


def _chat_gravix(url: str) -> Any:
    from langchain_gloo_gravix import ChatGravixLayer

    return ChatGravixLayer(model=MODEL, base_url=url + "/v1/inference", api_key=KEY, max_retries=0)


def _li_gloo(version: str) -> Callable[[str], Any]:
    def make(url: str) -> Any:
        from llama_index_ext import Gloo

        return Gloo(api_version=version, base_url=url, api_key=KEY, max_retries=0)

    return make


def _li_gravix(url: str) -> Any:
    from llama_index_ext import GravixLayer

    return GravixLayer(model=MODEL, base_url=url + "/v1/inference", api_key=KEY, max_retries=0)


def build_targets() -> list[Target]:
    """All targets, in the order they are run and printed."""
    return [
        RawHttpx("gravix"),
        RawHttpx("gloo-v1"),
        RawHttpx("gloo-v2"),
        LangChainTarget(
            "lc-floor",
            "LangChain floor (fake model, no HTTP)",
            "lc-floor",
            "",
            lambda url: _floor_chat_model_cls()(),
            requests_per_call=0,
        ),
        LlamaIndexTarget(
            "li-floor",
            "LlamaIndex floor (fake LLM, no HTTP)",
            "li-floor",
            "",
            lambda url: _floor_llm_cls()(),
            requests_per_call=0,
        ),
        LangChainTarget("chatopenai", "ChatOpenAI (langchain-openai)", "lc-incumbent", "gravix", _chat_openai),
        LlamaIndexTarget("openailike", "OpenAILike (llama-index)", "li-incumbent", "gravix", _openai_like),
        CoreTarget("gravix"),
        CoreTarget("gloo-v2"),
        LangChainTarget(
            "chatgloo-v2", "ours: ChatGloo v2 (auto routing)", "lc", "gloo-v2", _chat_gloo("v2"), ours=True
        ),
        LangChainTarget("chatgloo-v1", "ours: ChatGloo v1", "lc", "gloo-v1", _chat_gloo("v1"), ours=True),
        LangChainTarget("chatgravix", "ours: ChatGravixLayer", "lc", "gravix", _chat_gravix, ours=True),
        LlamaIndexTarget("li-gloo-v2", "ours: LlamaIndex Gloo v2", "li", "gloo-v2", _li_gloo("v2"), ours=True),
        LlamaIndexTarget("li-gravix", "ours: LlamaIndex GravixLayer", "li", "gravix", _li_gravix, ours=True),
    ]


def get_target(key: str) -> Target:
    for t in build_targets():
        if t.key == key:
            return t
    raise KeyError(key)


# Import-cost rows: (key, label, statement, framework reference key, incumbent key).
IMPORTS = [
    ("python", "python (bare interpreter)", "pass", None, None),
    ("httpx", "httpx", "import httpx", None, None),
    (
        "lc-core",
        "langchain_core chat_models (framework alone)",
        "import langchain_core.language_models.chat_models",
        None,
        None,
    ),
    ("li-core", "llama_index.core (framework alone)", "import llama_index.core", None, None),
    ("chatopenai", "langchain_openai.ChatOpenAI", "from langchain_openai import ChatOpenAI", "lc-core", None),
    (
        "openailike",
        "llama_index.llms.openai_like.OpenAILike",
        "from llama_index.llms.openai_like import OpenAILike",
        "li-core",
        None,
    ),
    (
        "core",
        "ours: langchain_gloo_gravix.core",
        "from langchain_gloo_gravix.core import Client, AsyncClient",
        "httpx",
        None,
    ),
    (
        "lc",
        "ours: langchain_gloo_gravix (ChatGloo, ChatGravixLayer)",
        "from langchain_gloo_gravix import ChatGloo, ChatGravixLayer",
        "lc-core",
        "chatopenai",
    ),
    (
        "li",
        "ours: llama_index_ext (Gloo, GravixLayer)",
        "from llama_index_ext import Gloo, GravixLayer",
        "li-core",
        "openailike",
    ),
]


# ----------------------------------------------------------------------- embeddings
#
# One figure: texts/s for embedding EMBED_TEXTS short texts, sync and async, each library with
# its own default batch size (what its users get), all against the stub's /v1/inference/embeddings.

EMBED_TEXTS = 10_000


def embed_texts(n: int = EMBED_TEXTS) -> list[str]:
    return [f"short text number {i} about retrieval" for i in range(n)]


class EmbedTarget:
    """``embed(texts)`` / ``aembed(texts)`` -> list of vectors, the way each library's users call it."""

    def __init__(
        self,
        key: str,
        label: str,
        family: str,
        factory: Callable[[str], Any],
        sync: str,
        async_: str,
        ours: bool = False,
    ) -> None:
        self.key, self.label, self.family, self.ours = key, label, family, ours
        self._factory, self._sync, self._async = factory, sync, async_

    def setup(self, url: str) -> None:
        self.model = self._factory(url)

    def embed(self, texts: list[str]) -> list[list[float]]:
        return getattr(self.model, self._sync)(texts)

    async def aembed(self, texts: list[str]) -> list[list[float]]:
        return await getattr(self.model, self._async)(texts)

    def close(self) -> None:
        _close_quietly(self.model, "close")

    async def aclose(self) -> None:
        await _aclose_quietly(self.model, "aclose")


def _openai_embeddings(url: str) -> Any:
    from langchain_openai import OpenAIEmbeddings

    # check_embedding_ctx_length=False: send the strings (the default tokenizes with tiktoken first).
    return OpenAIEmbeddings(
        model=MODEL, base_url=url + "/v1/inference", api_key="x", max_retries=0, check_embedding_ctx_length=False
    )


def _openai_embedding(url: str) -> Any:
    from llama_index.embeddings.openai import OpenAIEmbedding

    return OpenAIEmbedding(model_name=MODEL, api_base=url + "/v1/inference", api_key="x", max_retries=0)


def _gravix_embeddings(url: str) -> Any:
    from langchain_gloo_gravix import GravixLayerEmbeddings

    return GravixLayerEmbeddings(model=MODEL, base_url=url + "/v1/inference", api_key=KEY, max_retries=0)


def _gravix_embedding(url: str) -> Any:
    from llama_index_ext import GravixLayerEmbedding

    return GravixLayerEmbedding(model=MODEL, base_url=url + "/v1/inference", api_key=KEY, max_retries=0)


def build_embedding_targets() -> list[EmbedTarget]:
    return [
        EmbedTarget(
            "openaiembeddings",
            "OpenAIEmbeddings (langchain-openai)",
            "lc-incumbent",
            _openai_embeddings,
            "embed_documents",
            "aembed_documents",
        ),
        EmbedTarget(
            "openaiembedding",
            "OpenAIEmbedding (llama-index)",
            "li-incumbent",
            _openai_embedding,
            "get_text_embedding_batch",
            "aget_text_embedding_batch",
        ),
        EmbedTarget(
            "lc-embeddings",
            "ours: GravixLayerEmbeddings",
            "lc",
            _gravix_embeddings,
            "embed_documents",
            "aembed_documents",
            ours=True,
        ),
        EmbedTarget(
            "li-embedding",
            "ours: LlamaIndex GravixLayerEmbedding",
            "li",
            _gravix_embedding,
            "get_text_embedding_batch",
            "aget_text_embedding_batch",
            ours=True,
        ),
    ]


EMBED_INCUMBENT = {"lc": "openaiembeddings", "li": "openaiembedding"}

IMPORTS += [
    (
        "openaiembeddings",
        "langchain_openai.OpenAIEmbeddings",
        "from langchain_openai import OpenAIEmbeddings",
        "lc-core",
        None,
    ),
    (
        "openaiembedding",
        "llama_index.embeddings.openai.OpenAIEmbedding",
        "from llama_index.embeddings.openai import OpenAIEmbedding",
        "li-core",
        None,
    ),
    # Compared with our chat models' rows: the embeddings must import no heavier.
    (
        "lc-emb",
        "ours: langchain_gloo_gravix (GravixLayerEmbeddings)",
        "from langchain_gloo_gravix import GravixLayerEmbeddings",
        "lc",
        "openaiembeddings",
    ),
    (
        "li-emb",
        "ours: llama_index_ext (GravixLayerEmbedding)",
        "from llama_index_ext import GravixLayerEmbedding",
        "li",
        "openaiembedding",
    ),
]
