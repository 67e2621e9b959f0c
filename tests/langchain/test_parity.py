"""Drop-in parity with ChatOpenAI (issue 11) for ChatGloo v1/v2 and ChatGravixLayer.

Offline: every request goes to a scripted ``httpx.MockTransport`` (tests/support/parity_server.py).
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage, trim_messages
from langchain_core.runnables import ConfigurableField
from langchain_core.tracers.context import collect_runs
from pydantic import BaseModel

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer
from langchain_gloo_gravix._lc_structured import StructuredOutputRefusalError
from langchain_gloo_gravix._lc_tokens import estimate_tokens, tiktoken_encoder
from langchain_gloo_gravix.core import GlooGravixError
from langchain_gloo_gravix.core.refusal import RefusalError
from tests.support.parity_server import Script, chunk, completion, error, no_retry_sleep, sse

KINDS = ("gloo-v2", "gloo-v1", "gravix")


def make(kind: str, script: Script | None = None, **kw: Any) -> Any:
    if script is not None:
        kw.update(http_client=script.sync_client(), http_async_client=script.async_client())
    if kind == "gravix":
        kw.setdefault("model", "llama-test")
        return ChatGravixLayer(api_key="k", base_url="http://gravix.test/v1/inference", **kw)
    return ChatGloo(api_version=kind[-2:], api_key="k", base_url="http://gloo.test", **kw)


def aggregate(chunks):
    total = None
    for c in chunks:
        total = c if total is None else total + c
    return total


# -- 1. nothing silently dropped -------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_parallel_tool_calls_field_is_sent_with_tools_only(kind):
    script = Script(completion())
    model = make(kind, script, parallel_tool_calls=False)
    model.invoke("hi")
    assert "parallel_tool_calls" not in script.body
    tool = {"type": "function", "function": {"name": "get", "parameters": {"type": "object", "properties": {}}}}
    model.bind_tools([tool]).invoke("hi")
    assert script.body["parallel_tool_calls"] is False
    model.bind_tools([tool], parallel_tool_calls=True).invoke("hi")
    assert script.body["parallel_tool_calls"] is True


# -- 3. refusals are errors in structured output ----------------------------------------


class Answer(BaseModel):
    answer: str


REFUSAL = completion(
    choices=[
        {
            "index": 0,
            "finish_reason": "content_filter",
            "message": {"role": "assistant", "content": None, "refusal": "I can't help with that."},
        }
    ]
)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["function_calling", "json_schema", "json_mode"])
@pytest.mark.parametrize("schema", [Answer, Answer.model_json_schema()])
def test_refusal_raises_in_structured_output(kind, method, schema):
    script = Script(REFUSAL)
    if method != "function_calling" and kind == "gloo-v1":
        # response_format is not documented on Gloo v1: refused when asked for, never sent to be ignored
        with pytest.raises(ValueError, match="function_calling"):
            make(kind, script).with_structured_output(schema, method=method)
        assert script.bodies == []
        return
    structured = make(kind, script).with_structured_output(schema, method=method)
    with pytest.raises(StructuredOutputRefusalError, match="I can't help with that") as caught:
        structured.invoke("how do I pick a lock?")
    assert caught.value.refusal == "I can't help with that."
    assert isinstance(caught.value, RefusalError) and isinstance(caught.value, GlooGravixError)


@pytest.mark.parametrize("kind", KINDS)
def test_refusal_is_the_parsing_error_with_include_raw(kind):
    script = Script(REFUSAL)
    method = "function_calling" if kind == "gloo-v1" else "json_schema"  # v1 refuses response_format
    out = make(kind, script).with_structured_output(Answer, method=method, include_raw=True).invoke("x")
    assert out["parsed"] is None
    assert isinstance(out["parsing_error"], StructuredOutputRefusalError)
    assert out["raw"].additional_kwargs["refusal"] == "I can't help with that."


def test_content_filter_without_refusal_text_is_a_refusal_too():
    body = completion(
        choices=[{"index": 0, "finish_reason": "content_filter", "message": {"role": "assistant", "content": ""}}]
    )
    with pytest.raises(StructuredOutputRefusalError, match="content_filter"):
        make("gloo-v2", Script(body)).with_structured_output(Answer, method="json_mode").invoke("x")


def test_structured_output_still_parses_normal_answers():
    script = Script(completion('{"answer": "42"}'))
    assert make("gloo-v2", script).with_structured_output(Answer, method="json_schema").invoke("x") == Answer(
        answer="42"
    )


# -- 4. retries reach callbacks and tracing ----------------------------------------------


class RetryRecorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.retries: list[dict[str, Any]] = []

    def on_retry(self, retry_state: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        self.retries.append(
            {
                "attempt": retry_state.attempt_number,
                "error": retry_state.outcome.exception(),
                "sleep": retry_state.upcoming_sleep,
                **kwargs,
            }
        )


def _check_retry(recorder: RetryRecorder, slept: list[float]) -> None:
    assert len(recorder.retries) == 1
    retry = recorder.retries[0]
    assert retry["attempt"] == 1 and retry["status_code"] == 429 and retry["wait_seconds"] == 0.0
    assert retry["error"].status_code == 429 and retry["sleep"] == 0.0
    assert slept == [0.0]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("how", ["invoke", "ainvoke", "batch"])
def test_retries_reach_on_retry_callbacks(kind, how, monkeypatch):
    slept = no_retry_sleep(monkeypatch)
    script = Script(error(429, {"Retry-After": "0"}), completion("ok"))
    recorder = RetryRecorder()
    model = make(kind, script)
    config = {"callbacks": [recorder]}
    if how == "invoke":
        result = model.invoke("hi", config=config)
    elif how == "batch":
        (result,) = model.batch(["hi"], config=config)
    else:
        result = asyncio.run(model.ainvoke("hi", config=config))
    assert result.text == "ok" and len(script.bodies) == 2
    _check_retry(recorder, slept)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("how", ["stream", "astream", "streaming-invoke", "streaming-ainvoke"])
def test_stream_retries_reach_on_retry_callbacks(kind, how, monkeypatch):
    # langchain-core hands _stream no run manager; the chat model relays the run's callbacks
    slept = no_retry_sleep(monkeypatch)
    script = Script(
        error(429, {"Retry-After": "0"}), sse(chunk({"role": "assistant", "content": "ok"}), chunk(finish="stop"))
    )
    recorder = RetryRecorder()
    config = {"callbacks": [recorder]}
    # an explicit streaming=False turns .stream() into invoke(), so only pass True
    model = make(kind, script, **({"streaming": True} if how.startswith("streaming") else {}))
    if how == "stream":
        result = aggregate(model.stream("hi", config=config))
    elif how == "astream":

        async def run():
            return aggregate([c async for c in model.astream("hi", config=config)])

        result = asyncio.run(run())
    elif how == "streaming-invoke":
        result = model.invoke("hi", config=config)
    else:
        result = asyncio.run(model.ainvoke("hi", config=config))
    assert result.text == "ok" and len(script.bodies) == 2
    _check_retry(recorder, slept)


class RunRecorder(BaseCallbackHandler):
    """The model run's id, parent and tags as on_chat_model_start saw them, and each retry's."""

    def __init__(self) -> None:
        self.started: list[tuple[Any, Any, list[str]]] = []
        self.retried: list[tuple[Any, Any, list[str]]] = []
        self.tokens = 0

    def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.started.append((run_id, kwargs.get("parent_run_id"), list(kwargs.get("tags") or [])))

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens += 1

    def on_retry(self, retry_state: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        self.retried.append((run_id, parent_run_id, list(kwargs.get("tags") or [])))


@pytest.mark.parametrize("how", ["stream", "astream", "streaming-invoke", "chain-stream"])
def test_stream_retries_are_reported_under_the_model_run(how, monkeypatch):
    # the relay names the run itself (run_id in the config): the retry must carry the very run id,
    # parent and tags LangChain gave the model run, with the config's and the model's tags
    no_retry_sleep(monkeypatch)
    script = Script(
        error(429, {"Retry-After": "0"}), sse(chunk({"role": "assistant", "content": "ok"}), chunk(finish="stop"))
    )
    rec = RunRecorder()
    model = make("gloo-v2", script, tags=["model-tag"], **({"streaming": True} if how == "streaming-invoke" else {}))
    config: Any = {"callbacks": [rec], "tags": ["config-tag"]}
    if how == "stream":
        text = aggregate(model.stream("hi", config=config)).text
    elif how == "astream":

        async def run():
            return aggregate([c async for c in model.astream("hi", config=config)]).text

        text = asyncio.run(run())
    elif how == "streaming-invoke":
        text = model.invoke("hi", config=config).text
    else:
        from langchain_core.runnables import RunnableLambda

        chain = RunnableLambda(lambda x: x) | model
        text = aggregate(chain.stream("hi", config=config)).text
    assert text == "ok"
    (start,) = rec.started
    assert rec.retried == [start]
    assert "model-tag" in start[2] and "config-tag" in start[2]
    assert (start[1] is not None) == (how == "chain-stream")
    assert rec.tokens >= 1


def test_a_callers_run_id_names_the_streamed_run(monkeypatch):
    from uuid import uuid4

    no_retry_sleep(monkeypatch)
    script = Script(
        error(429, {"Retry-After": "0"}), sse(chunk({"role": "assistant", "content": "ok"}), chunk(finish="stop"))
    )
    rec, mine = RunRecorder(), uuid4()
    assert aggregate(make("gravix", script).stream("hi", config={"callbacks": [rec], "run_id": mine})).text == "ok"
    assert [r[0] for r in rec.started] == [mine] and [r[0] for r in rec.retried] == [mine]


def test_stream_retries_appear_in_the_trace_and_callbacks_of_the_model(monkeypatch):
    no_retry_sleep(monkeypatch)
    script = Script(
        error(429, {"Retry-After": "0"}), sse(chunk({"role": "assistant", "content": "ok"}), chunk(finish="stop"))
    )
    own = RetryRecorder()
    model = make("gloo-v2", script, callbacks=[own])
    with collect_runs() as runs:
        assert aggregate(model.stream("hi")).text == "ok"
    (run,) = runs.traced_runs
    assert [e["kwargs"]["attempt"] for e in run.events if e["name"] == "retry"] == [1]
    assert len(own.retries) == 1


def test_interleaved_streams_report_to_their_own_callbacks(monkeypatch):
    no_retry_sleep(monkeypatch)
    first, second = RetryRecorder(), RetryRecorder()
    failing = Script(
        error(429, {"Retry-After": "0"}), sse(chunk({"role": "assistant", "content": "a"}), chunk(finish="stop"))
    )
    fine = Script(sse(chunk({"role": "assistant", "content": "b"}), chunk(finish="stop")))
    one = make("gloo-v2", fine).stream("hi", config={"callbacks": [first]})
    two = make("gloo-v2", failing).stream("hi", config={"callbacks": [second]})
    next(one)
    assert aggregate(two).text == "a"
    list(one)
    assert first.retries == [] and len(second.retries) == 1


def test_retries_appear_in_the_trace(monkeypatch):
    no_retry_sleep(monkeypatch)
    script = Script(error(429, {"Retry-After": "0"}), completion("ok"))
    with collect_runs() as runs:
        make("gloo-v2", script).invoke("hi")
    events = [e for e in runs.traced_runs[0].events if e["name"] == "retry"]
    assert len(events) == 1
    assert events[0]["kwargs"]["attempt"] == 1 and events[0]["kwargs"]["slept"] == 0.0
    assert "status=429" in events[0]["kwargs"]["exception"]


# -- 5. content blocks with output_version="v1" ----------------------------------------

REASONING = {"role": "assistant", "reasoning_content": "Let me think."}
TEXT = {"content": "Checking."}
CALL = {
    "tool_calls": [
        {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":'}}
    ]
}
CALL_REST = {"tool_calls": [{"index": 0, "function": {"arguments": ' "Paris"}'}}]}
CALL_2 = {
    "tool_calls": [
        {"index": 1, "id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
    ]
}


@pytest.mark.parametrize(
    ("deltas", "expected"),
    [
        ([REASONING, CALL, CALL_REST], ["reasoning", "tool_call"]),
        ([TEXT, CALL, CALL_REST], ["text", "tool_call"]),
        ([REASONING, TEXT, CALL, CALL_REST], ["reasoning", "text", "tool_call"]),
        ([REASONING, TEXT, CALL, CALL_REST, CALL_2], ["reasoning", "text", "tool_call", "tool_call"]),
        ([REASONING, TEXT], ["reasoning", "text"]),
        ([CALL, CALL_REST], ["tool_call"]),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_v1_content_blocks_streamed_and_not(kind, deltas, expected):
    chunks = [chunk(d) for d in deltas] + [chunk(finish="tool_calls" if "tool_call" in expected else "stop")]
    script = Script(sse(*chunks))
    model = make(kind, script, output_version="v1")
    streamed = aggregate(model.stream("weather?"))
    whole = {"reasoning_content": "", "content": "", "tool_calls": {}}
    for d in deltas:
        whole["reasoning_content"] += d.get("reasoning_content", "")
        whole["content"] += d.get("content", "")
        for call in d.get("tool_calls", []):
            entry = whole["tool_calls"].setdefault(
                call["index"], {"id": None, "type": "function", "function": {"name": "", "arguments": ""}}
            )
            entry["id"] = entry["id"] or call.get("id")
            entry["function"]["name"] += call.get("function", {}).get("name", "")
            entry["function"]["arguments"] += call["function"]["arguments"]
    message = {
        "role": "assistant",
        "content": whole["content"] or None,
        "reasoning_content": whole["reasoning_content"] or None,
    }
    if whole["tool_calls"]:
        message["tool_calls"] = list(whole["tool_calls"].values())
    script.answers = [completion(choices=[{"index": 0, "message": message, "finish_reason": "stop"}])]
    invoked = model.invoke("weather?")
    for message in (streamed, invoked):
        blocks = message.content_blocks
        assert [b["type"] for b in blocks] == expected, blocks
        by_type = {b["type"]: b for b in blocks}
        if "reasoning" in by_type:
            assert by_type["reasoning"]["reasoning"] == "Let me think."
            assert "id" not in by_type["reasoning"] or by_type["reasoning"]["id"] != "call_1"
            assert "name" not in by_type["reasoning"]
        if "text" in by_type:
            assert by_type["text"]["text"] == "Checking." and "name" not in by_type["text"]
        calls = [b for b in blocks if b["type"] == "tool_call"]
        if calls:
            assert (
                calls[0]["id"] == "call_1"
                and calls[0]["name"] == "get_weather"
                and calls[0]["args"] == {"city": "Paris"}
            )
            assert message.tool_calls[0]["args"] == {"city": "Paris"}
        if len(calls) > 1:
            assert calls[1]["id"] == "call_2" and calls[1]["name"] == "get_time"


# -- 6. token counting without extra installs ---------------------------------------------


@pytest.fixture
def no_tiktoken(monkeypatch, tmp_path):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))  # empty: no encoding on disk
    tiktoken_encoder.cache_clear()
    yield
    tiktoken_encoder.cache_clear()


@pytest.mark.parametrize("kind", KINDS)
def test_token_counts_are_estimated_without_a_tokenizer(kind, no_tiktoken):
    model = make(kind)
    assert model.get_num_tokens("abcdefgh") == 2 == estimate_tokens("abcdefgh")
    assert model.get_num_tokens("") == 0
    messages = [SystemMessage("You are terse."), HumanMessage("What is the capital of France?")]
    count = model.get_num_tokens_from_messages(messages)
    assert 10 < count < 40
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather",
            "parameters": {"type": "object", "properties": {}},
        },
    }
    assert model.get_num_tokens_from_messages(messages, tools=[tool]) > count


def test_trim_messages_uses_the_model_as_counter(no_tiktoken):
    model = make("gloo-v2")
    history = [SystemMessage("sys")] + [
        HumanMessage("word " * 40) if i % 2 == 0 else AIMessage("reply " * 40) for i in range(10)
    ]
    trimmed = trim_messages(history, token_counter=model, max_tokens=200, strategy="last", include_system=True)
    assert trimmed[0] == history[0] and 2 < len(trimmed) < len(history)
    assert model.get_num_tokens_from_messages(trimmed) <= 200


def test_custom_tokenizer_is_the_precise_path(no_tiktoken):
    model = make("gravix", custom_get_token_ids=lambda text: list(range(len(text.split()))))
    assert model.get_num_tokens("one two three four five") == 5
    assert model.get_token_ids("a b") == [0, 1]


def test_tiktoken_is_used_when_its_encoding_is_on_disk(monkeypatch):
    import langchain_gloo_gravix._lc_tokens as tokens

    monkeypatch.setattr(tokens, "tiktoken_encoder", lambda: lambda text: [1] * len(text))
    model = make("gloo-v2")
    assert model.get_num_tokens("abcdefgh") == 8
    assert model.get_token_ids("abc") == [1, 1, 1]


def test_counting_never_downloads_an_encoding(no_tiktoken):
    assert tiktoken_encoder() is None  # tiktoken is installed here, its encoding is not


def test_tool_calls_count_towards_message_tokens(no_tiktoken):
    model = make("gloo-v2")
    plain = AIMessage("")
    calling = AIMessage("", tool_calls=[{"name": "lookup", "args": {"query": "x" * 80}, "id": "c1"}])
    assert model.get_num_tokens_from_messages([calling]) > model.get_num_tokens_from_messages([plain]) + 20
    reply = ToolMessage("result " * 10, tool_call_id="c1")
    assert model.get_num_tokens_from_messages([reply]) > 10


# -- 7. everything the server sends is reachable ------------------------------------------

LOGPROBS = {"content": [{"token": "Hi", "logprob": -0.1, "top_logprobs": []}]}


@pytest.mark.parametrize("kind", KINDS)
def test_all_n_choices_are_generations(kind):
    choices = [
        {
            "index": i,
            "message": {"role": "assistant", "content": f"answer {i}"},
            "finish_reason": "stop",
            "logprobs": LOGPROBS,
        }
        for i in range(3)
    ]
    script = Script(completion(choices=choices))
    model = make(kind, script, n=3)
    result = model.generate([[HumanMessage("hi")]])
    assert [g.text for g in result.generations[0]] == ["answer 0", "answer 1", "answer 2"]
    assert script.body["n"] == 3
    for generation in result.generations[0]:
        assert generation.message.response_metadata["logprobs"] == LOGPROBS
        assert generation.generation_info["logprobs"] == LOGPROBS
        assert generation.message.usage_metadata["total_tokens"] == 7
    assert model.invoke("hi").text == "answer 0"


def test_n_above_one_cannot_stream():
    with pytest.raises(ValueError, match="n must be 1 when streaming=True"):
        make("gloo-v2", n=2, streaming=True)
    assert make("gloo-v2", n=1, streaming=True).n == 1


@pytest.mark.parametrize("kind", KINDS)
def test_logprobs_service_tier_and_cache_usage_on_invoke(kind):
    usage = {
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "total_tokens": 120,
        "prompt_tokens_details": {"cached_tokens": 64, "cache_creation_tokens": 8},
        "completion_tokens_details": {"reasoning_tokens": 12},
        "cache_hit_rate": 0.64,
    }
    body = completion(
        choices=[
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hi"},
                "finish_reason": "stop",
                "logprobs": LOGPROBS,
            }
        ],
        usage=usage,
        service_tier="default",
    )
    message = make(kind, Script(body), logprobs=True).invoke("hi")
    assert message.response_metadata["logprobs"] == LOGPROBS
    assert message.response_metadata["service_tier"] == "default"
    assert message.usage_metadata["input_token_details"] == {"cache_read": 64, "cache_creation": 8}
    assert message.usage_metadata["output_token_details"] == {"reasoning": 12}
    assert message.response_metadata["token_usage"]["cache_hit_rate"] == 0.64


def test_gloo_cache_tokens_field_is_a_cache_read():
    usage = {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55, "cache_tokens": 40, "cache_hit_rate": 0.8}
    message = make("gloo-v2", Script(completion(usage=usage))).invoke("hi")
    assert message.usage_metadata["input_token_details"] == {"cache_read": 40}


@pytest.mark.parametrize("kind", KINDS)
def test_response_headers_on_the_first_stream_chunk(kind):
    script = Script(
        sse(
            chunk({"role": "assistant", "content": "Hel"}),
            chunk({"content": "lo"}),
            chunk(finish="stop"),
            headers={"x-request-id": "req-9"},
        )
    )
    chunks = list(make(kind, script, include_response_headers=True).stream("hi"))
    assert chunks[0].response_metadata["headers"]["x-request-id"] == "req-9"
    assert all("headers" not in c.response_metadata for c in chunks[1:])
    assert aggregate(chunks).response_metadata["headers"]["x-request-id"] == "req-9"
    assert "headers" not in aggregate(make(kind, script).stream("hi")).response_metadata


@pytest.mark.parametrize("kind", KINDS)
def test_stream_logprobs_and_service_tier(kind):
    lp = lambda t: {"content": [{"token": t, "logprob": -0.5, "top_logprobs": []}]}  # noqa: E731
    script = Script(
        sse(
            chunk({"role": "assistant", "content": "Hel"}, logprobs=lp("Hel"), service_tier="default"),
            chunk({"content": "lo"}, logprobs=lp("lo"), service_tier="default"),
            chunk(finish="stop"),
        )
    )
    message = aggregate(make(kind, script, logprobs=True).stream("hi"))
    assert [t["token"] for t in message.response_metadata["logprobs"]["content"]] == ["Hel", "lo"]
    assert message.response_metadata["service_tier"] == "default"


ROUTING = {
    "provider": "openai",
    "model_family": "OpenAI",
    "auto_routing": True,
    "routing_mechanism": "auto_routing",
    "routing_tier": "tier_2",
    "routing_confidence": 0.9,
}


def test_routing_metadata_on_the_first_chunk_that_carries_it():
    script = Script(
        sse(
            chunk({"role": "assistant"}, **ROUTING),
            chunk({"content": "Hello"}),
            chunk({"content": " there"}),
            chunk(finish="stop"),
        )
    )
    chunks = list(make("gloo-v2", script).stream("hi"))
    first = [c for c in chunks if "routing" in c.response_metadata]
    assert first and first[0] is chunks[0]
    assert chunks[0].response_metadata["routing"]["routing_mechanism"] == "auto_routing"
    assert chunks[0].text == ""
    total = aggregate(chunks)
    assert total.response_metadata["routing"] == {"model": "m-1", **ROUTING}
    assert total.text == "Hello there"


def test_routing_fields_spread_over_chunks_are_said_once_each():
    script = Script(
        sse(
            chunk({"role": "assistant", "content": "A"}, provider="openai", routing_mechanism="auto_routing"),
            chunk({"content": "B"}, routing_tier="tier_1", provider="openai"),
            chunk(finish="stop"),
        )
    )
    total = aggregate(make("gloo-v2", script).stream("hi"))
    assert total.response_metadata["routing"] == {
        "model": "m-1",
        "provider": "openai",
        "routing_mechanism": "auto_routing",
        "routing_tier": "tier_1",
    }


# -- 8. routing switchable at run time -----------------------------------------------------


def test_configurable_model_family_from_a_default_chatgloo():
    script = Script(completion("Hi"))
    model = make("gloo-v2", script).configurable_fields(model_family=ConfigurableField(id="family"))
    model.invoke("hi")
    assert script.body["auto_routing"] is True and "model_family" not in script.body
    model.invoke("hi", config={"configurable": {"family": "anthropic"}})
    assert script.body["model_family"] == "anthropic" and "auto_routing" not in script.body


def test_configurable_model_and_alternatives_from_a_default_chatgloo():
    script = Script(completion("Hi"))
    base = make("gloo-v2", script)
    by_model = base.configurable_fields(model_name=ConfigurableField(id="model"))
    by_model.invoke("hi", config={"configurable": {"model": "gloo-openai-gpt-5-mini"}})
    assert script.body["model"] == "gloo-openai-gpt-5-mini" and "auto_routing" not in script.body
    alternatives = base.configurable_alternatives(
        ConfigurableField(id="routing"), default_key="auto", google=make("gloo-v2", script, model_family="google")
    )
    alternatives.invoke("hi", config={"configurable": {"routing": "google"}})
    assert script.body["model_family"] == "google" and "auto_routing" not in script.body
    alternatives.invoke("hi")
    assert script.body["auto_routing"] is True


# -- 10. GRAVIXLAYER_MODEL ---------------------------------------------------------------------


def test_stream_retry_inside_a_chain_lands_on_the_model_run(monkeypatch):
    from langchain_core.prompts import ChatPromptTemplate

    no_retry_sleep(monkeypatch)
    script = Script(
        error(429, {"Retry-After": "0"}), sse(chunk({"role": "assistant", "content": "ok"}), chunk(finish="stop"))
    )
    chain = ChatPromptTemplate.from_messages([("user", "{q}")]) | make("gloo-v2", script)
    with collect_runs() as runs:
        assert aggregate(chain.stream({"q": "hi"}, config={"tags": ["t1"]})).text == "ok"
    (root,) = runs.traced_runs
    model_run = next(c for c in root.child_runs if c.name == "ChatGloo")
    assert [e["name"] for e in model_run.events].count("retry") == 1
    assert model_run.tags.count("t1") == 1 and model_run.parent_run_id == root.id
