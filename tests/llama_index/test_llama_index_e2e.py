"""End to end against the local emulator: what LlamaIndex users actually build.

Query engines (plain and streaming), a chat engine, FunctionAgent (streaming and
not), AgentWorkflow's agent choice, structured_predict (function calling and
json_schema), TokenCountingHandler, instrumentation events without secrets,
errors and retries, and client reuse across event loops.
"""

from __future__ import annotations

import asyncio
from typing import Any, List

import pytest
from llama_index.core import Document, MockEmbedding, VectorStoreIndex
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent, ReActAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager, LlamaDebugHandler, TokenCountingHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from langchain_gloo_gravix.core import AuthenticationError, MissingCredentialsError, ServerError
from langchain_gloo_gravix.emulator import Emulator, Fault
from llama_index_ext import Gloo, GravixLayer

# llama-index's workflow engine runs inspect.getmembers() over every (pydantic)
# agent it builds, which touches pydantic's deprecated attributes; not ours.
pytestmark = [
    pytest.mark.filterwarnings("ignore:The `__fields(_set)?__` attribute is deprecated"),
    pytest.mark.filterwarnings("ignore:Accessing the 'model_(computed_)?fields' attribute on the instance"),
]


def gloo(emu: Emulator, **kwargs: Any) -> Gloo:
    return Gloo(
        base_url=emu.gloo_base_url, client_id=Emulator.CLIENT_ID, client_secret=Emulator.CLIENT_SECRET, **kwargs
    )


def gravix(emu: Emulator, **kwargs: Any) -> GravixLayer:
    kwargs.setdefault("api_key", Emulator.GRAVIX_API_KEY)
    return GravixLayer(model="meta-llama/llama-3.1-8b-instruct", base_url=emu.gravix_base_url, **kwargs)


def make(which: str, emu: Emulator, **kwargs: Any):
    if which == "gravix":
        return gravix(emu, **kwargs)
    return gloo(emu, api_version="v2" if which == "gloo_v2" else "v1", **kwargs)


def chat_requests(emu: Emulator) -> list:
    return [r for r in emu.requests if r.path.endswith("/chat/completions")]


def magic_function(input: int) -> int:
    """Applies the magic function to an integer."""
    return input + 2


DOCS = [
    Document(text="Ada Lovelace wrote the first published algorithm for Babbage's Analytical Engine."),
    Document(text="Grace Hopper built the first compiler, the A-0 System, in 1952."),
    Document(text="Alan Turing described the universal machine in 1936."),
]


@pytest.fixture(scope="module")
def index():
    return VectorStoreIndex.from_documents(DOCS, embed_model=MockEmbedding(embed_dim=8))


# -- query and chat engines -------------------------------------------------------------------


def test_query_engine(emulator, index):
    emulator.clear()
    engine = index.as_query_engine(llm=gloo(emulator), similarity_top_k=3)
    response = engine.query("Who wrote the first published algorithm?")
    assert str(response).strip() and str(response) != "Empty Response"
    body = chat_requests(emulator)[-1].json
    # the chat endpoint, with the retrieved context and the question in the prompt
    assert body["auto_routing"] is True and "stream" not in body
    prompt = " ".join(m["content"] for m in body["messages"])
    assert "Ada Lovelace" in prompt and "Who wrote the first published algorithm?" in prompt


def test_query_engine_streaming(emulator, index):
    engine = index.as_query_engine(llm=gravix(emulator), streaming=True)
    response = engine.query("Who built the first compiler?")
    tokens = list(response.response_gen)
    assert len(tokens) > 2 and "".join(tokens).strip()
    body = chat_requests(emulator)[-1].json
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


async def test_query_engine_async(emulator, index):
    engine = index.as_query_engine(llm=gloo(emulator, api_version="v1"), similarity_top_k=3)
    response = await engine.aquery("Who described the universal machine?")
    assert str(response).strip() and str(response) != "Empty Response"
    prompt = " ".join(m["content"] for m in chat_requests(emulator)[-1].json["messages"])
    assert "Alan Turing" in prompt and "Who described the universal machine?" in prompt


def test_chat_engine(emulator, index):
    engine = index.as_chat_engine(chat_mode="condense_plus_context", llm=gloo(emulator))
    first = engine.chat("Tell me about Ada Lovelace")
    assert "Hello!" in str(first)
    streamed = engine.stream_chat("And Grace Hopper?")
    text = "".join(streamed.response_gen)
    assert text and text == streamed.response
    # the memory is sized from the real context window, not LlamaIndex's 3,900
    assert engine._memory.token_limit > 100000


# -- agents -------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["gloo_v2", "gloo_v1", "gravix"])
@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent(emulator, which, streaming):
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(magic_function)],
        llm=make(which, emulator),
        streaming=streaming,
        system_prompt="Use tools when asked.",
    )
    handler = agent.run("What is magic_function(3)?")
    results: List[ToolCallResult] = []
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            results.append(event)
    answer = await handler
    assert [(r.tool_name, r.tool_kwargs, r.tool_output.content) for r in results] == [
        ("magic_function", {"input": 3}, "5")
    ]
    assert "5" in str(answer)


async def test_agent_workflow_picks_function_agent(emulator):
    workflow = AgentWorkflow.from_tools_or_functions([magic_function], llm=gloo(emulator))
    assert all(isinstance(agent, FunctionAgent) for agent in workflow.agents.values())
    answer = await workflow.run(user_msg="What is magic_function(3)?")
    assert "5" in str(answer)
    # a model known to reject tools gets the text-only ReAct agent instead of a 400
    no_tools = AgentWorkflow.from_tools_or_functions(
        [magic_function], llm=gloo(emulator, model="gloo-meta-llama-3.1-8b-instruct")
    )
    assert all(isinstance(agent, ReActAgent) for agent in no_tools.agents.values())


def test_agent_forced_tool_on_gloo_v2_narrows_tools(emulator):
    def other_function(text: str) -> str:
        """Echoes text."""
        return text

    llm = gloo(emulator)
    tools = [FunctionTool.from_defaults(other_function), FunctionTool.from_defaults(magic_function)]
    emulator.clear()
    response = llm.chat_with_tools(tools, user_msg="Use magic_function on 3", tool_choice="magic_function")
    body = chat_requests(emulator)[-1].json
    # Gloo v2 has no named tool_choice: the core sends "required" with only that tool
    assert body["tool_choice"] == "required"
    assert [t["function"]["name"] for t in body["tools"]] == ["magic_function"]
    assert body["parallel_tool_calls"] is False  # allow_parallel_tool_calls defaults to False
    assert llm.get_tool_calls_from_response(response)[0].tool_name == "magic_function"


# -- structured output --------------------------------------------------------------------------


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str
    age: int


PERSON_PROMPT = PromptTemplate('Extract the person: name "{name}", age {age}.')


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_structured_predict(emulator, method):
    llm = gloo(emulator, structured_output_method=method)
    emulator.clear()
    person = llm.structured_predict(Person, PERSON_PROMPT, name="Ada Lovelace", age=36)
    assert person == Person(name="Ada Lovelace", age=36)
    body = chat_requests(emulator)[-1].json
    if method == "json_schema":
        assert body["response_format"]["type"] == "json_schema" and "tools" not in body
    else:
        assert body["tool_choice"] == "required" and body["tools"][0]["function"]["name"] == "Person"


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
async def test_astructured_predict(emulator, method):
    llm = gravix(emulator, structured_output_method=method)
    person = await llm.astructured_predict(Person, PERSON_PROMPT, name="Grace Hopper", age=85)
    assert person == Person(name="Grace Hopper", age=85)


def test_stream_structured_predict(emulator):
    partials = list(gloo(emulator).stream_structured_predict(Person, PERSON_PROMPT, name="Alan Turing", age=41))
    assert partials[-1] == Person(name="Alan Turing", age=41)


def test_as_structured_llm(emulator):
    structured = gloo(emulator).as_structured_llm(Person)
    response = structured.chat([ChatMessage(role="user", content='The person is "Ada Lovelace", age 36.')])
    assert response.raw == Person(name="Ada Lovelace", age=36)


# -- token counting and observability ------------------------------------------------------------


def _counter():
    # a tokenizer that is obviously wrong: any fallback to it shows up as 1000s
    return TokenCountingHandler(tokenizer=lambda text: [0] * 1000)


@pytest.mark.parametrize("which", ["gloo_v2", "gravix"])
def test_token_counting_handler(emulator, which):
    counter = _counter()
    llm = make(which, emulator, callback_manager=CallbackManager([counter]))
    response = llm.chat([ChatMessage(role="user", content="Count my tokens please")])
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="Count my streamed tokens please")]))
    completion = llm.complete("Count completion tokens")
    expected = [response.raw["usage"], chunks[-1].raw["usage"], completion.raw["usage"]]
    events = counter.llm_token_counts
    assert [(e.prompt_token_count, e.completion_token_count) for e in events] == [
        (u["prompt_tokens"], u["completion_tokens"]) for u in expected
    ]
    assert counter.total_llm_token_count == sum(u["total_tokens"] for u in expected)


async def test_token_counting_handler_async_stream(emulator):
    counter = _counter()
    llm = gloo(emulator, callback_manager=CallbackManager([counter]))
    gen = await llm.astream_chat([ChatMessage(role="user", content="Count async streamed tokens")])
    chunks = [c async for c in gen]
    usage = chunks[-1].raw["usage"]
    assert counter.prompt_llm_token_count == usage["prompt_tokens"]
    assert counter.completion_llm_token_count == usage["completion_tokens"]


class _Collect(BaseEventHandler):
    events: list = []

    @classmethod
    def class_name(cls) -> str:
        return "Collect"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


@pytest.mark.parametrize("which", ["gloo_v2", "gravix"])
def test_events_and_callbacks_never_carry_secrets(emulator, which):
    secrets = (Emulator.GRAVIX_API_KEY, Emulator.CLIENT_SECRET)
    collector = _Collect(events=[])
    debug = LlamaDebugHandler()
    root = get_dispatcher()
    root.add_event_handler(collector)
    try:
        llm = make(which, emulator, callback_manager=CallbackManager([debug]))
        llm.chat([ChatMessage(role="user", content="hello")])
        list(llm.stream_chat([ChatMessage(role="user", content="hello")]))
        llm.complete("hello")
    finally:
        root.event_handlers.remove(collector)
    assert len(collector.events) > 4
    for event in collector.events:
        dumped = repr(event) + event.model_dump_json()
        assert not any(secret in dumped for secret in secrets)
    payloads = repr(debug.get_llm_inputs_outputs()) + repr(debug.get_event_pairs())
    assert "Hello" in payloads and not any(secret in payloads for secret in secrets)


# -- errors, retries, credentials, clients --------------------------------------------------------


def test_core_errors_pass_through_with_one_retry_layer(emulator, sleeps):
    llm = gravix(emulator, max_retries=1)
    emulator.clear()
    emulator.inject(
        Fault.server_error(503), Fault.server_error(503), Fault.server_error(503), path="/v1/inference/chat/completions"
    )
    with pytest.raises(ServerError) as info:
        llm.chat([ChatMessage(role="user", content="hello")])
    assert type(info.value) is ServerError and info.value.status_code == 503
    assert len(chat_requests(emulator)) == 2  # one try + max_retries=1, nothing stacked on top
    assert len(sleeps) == 1  # one backoff, recorded rather than slept
    emulator.clear()


def test_auth_error_is_not_retried(emulator):
    llm = gravix(emulator, api_key="wrong-key", max_retries=3)
    emulator.clear()
    with pytest.raises(AuthenticationError):
        llm.chat([ChatMessage(role="user", content="hello")])
    assert len(chat_requests(emulator)) == 1


async def test_stream_errors_pass_through(emulator):
    llm = gloo(emulator, max_retries=0)
    emulator.inject(Fault.server_error(500), path="/ai/v2/chat/completions")
    gen = await llm.astream_chat([ChatMessage(role="user", content="hello")])
    with pytest.raises(ServerError):
        async for _ in gen:
            pass


def test_missing_credentials_fail_at_first_use(emulator):
    llm = Gloo(base_url=emulator.gloo_base_url)  # construction never needs credentials
    with pytest.raises(MissingCredentialsError, match="client_id"):
        llm.chat([ChatMessage(role="user", content="hello")])
    gx = GravixLayer(model="meta-llama/llama-3.1-8b-instruct", base_url=emulator.gravix_base_url)
    with pytest.raises(MissingCredentialsError, match="GRAVIXLAYER_API_KEY"):
        gx.complete("hello")


def test_credentials_from_environment(emulator, monkeypatch):
    monkeypatch.setenv("GRAVIXLAYER_API_KEY", Emulator.GRAVIX_API_KEY)
    monkeypatch.setenv("GRAVIXLAYER_BASE_URL", emulator.gravix_base_url)
    assert "Hello" in GravixLayer(model="meta-llama/llama-3.1-8b-instruct").complete("hi").text
    monkeypatch.setenv("GLOO_CLIENT_ID", Emulator.CLIENT_ID)
    monkeypatch.setenv("GLOO_CLIENT_SECRET", Emulator.CLIENT_SECRET)
    monkeypatch.setenv("GLOO_BASE_URL", emulator.gloo_base_url)
    assert "Hello" in Gloo().complete("hi").text


def test_static_gloo_api_key_skips_the_token_exchange(emulator):
    emulator.clear()
    llm = Gloo(base_url=emulator.gloo_base_url, api_key=Emulator.GLOO_API_KEY)
    assert "Hello" in llm.complete("hi").text
    # the answer's cost reads Gloo's public registry, without credentials (core/registry.py)
    assert [r.path for r in emulator.requests] == ["/ai/v2/chat/completions", "/platform/v2/models"]
    assert "authorization" not in emulator.requests[1].headers


def test_one_llm_event_per_call(emulator):
    from llama_index.core.callbacks import CBEventType

    debug = LlamaDebugHandler()
    llm = gravix(emulator, callback_manager=CallbackManager([debug]))
    llm.complete("hello")
    list(llm.stream_complete("hello"))
    llm.chat([ChatMessage(role="user", content="hello")])
    # complete() is derived from chat without a second, nested LLM event
    assert len(debug.get_event_pairs(CBEventType.LLM)) == 3


def test_clients_are_built_lazily_and_reused(emulator):
    llm = gloo(emulator)
    assert llm._clients._sync is None  # nothing built (and nothing sent) by __init__
    llm.complete("one")
    client = llm._sync_client()
    llm.complete("two")
    assert llm._sync_client() is client
    # changed settings get a fresh client instead of a stale one
    llm.max_retries = 0
    assert llm._sync_client() is not client
    llm.close()


def test_async_client_survives_successive_event_loops(emulator):
    llm = gravix(emulator)
    for _ in range(3):  # each asyncio.run has its own loop; a shared httpx client would break
        response = asyncio.run(llm.achat([ChatMessage(role="user", content="hello")]))
        assert "Hello" in response.message.content
