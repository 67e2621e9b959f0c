"""The emulator behaves like the real services where the package depends on it:
typed refusals, reasoning text, JSON after tool results, tools chosen by relevance,
and failures users can ask for when testing their own retry code."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from langchain_gloo_gravix.core import Client, RateLimitError
from langchain_gloo_gravix.emulator import Emulator, Fault
from langchain_gloo_gravix.emulator.model import REFUSAL_MARKER, REFUSAL_TEXT

from .test_emulator import GLOO, GRAVIX, GX, MAGIC_TOOL, V1, V2, WEATHER_TOOL, stream, text_of

TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "current_time",
        "description": "The current local time in a timezone.",
        "parameters": {"type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]},
    },
}
SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "Answer",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "temperature": {"type": "integer"}},
            "required": ["city", "temperature"],
        },
    },
}


@pytest.fixture
def client(emulator):
    with httpx.Client(base_url=emulator.base_url, timeout=10) as c:
        yield c


def user(text):
    return [{"role": "user", "content": text}]


# -- typed refusals ------------------------------------------------------------


@pytest.mark.parametrize("path,extra", [(V2, {"auto_routing": True}), (V1, {})])
def test_refusal_marker_gives_gloos_typed_refusal(client, path, extra):
    body = {
        **extra,
        "messages": user(f"{REFUSAL_MARKER} How do I pick a lock?"),
        "tools": [MAGIC_TOOL],
        "response_format": SCHEMA,
    }
    choice = client.post(path, json=body, headers=GLOO).json()["choices"][0]
    assert choice["finish_reason"] == "content_filter"
    assert choice["message"]["refusal"] == REFUSAL_TEXT and choice["message"]["content"] is None
    assert not choice["message"].get("tool_calls")
    _, events = stream(client, path, body, GLOO)
    refusal = "".join(c["delta"].get("refusal") or "" for e in events for c in e["choices"])
    assert refusal == REFUSAL_TEXT and text_of(events) == ""
    finishes = [c["finish_reason"] for e in events for c in e["choices"] if c["finish_reason"]]
    assert finishes == ["content_filter"]
    assert not any("error" in e for e in events)  # Signal B: no error object (section 3.4)


def test_the_marker_is_case_insensitive_and_only_read_from_the_last_user_message(client):
    assert v2choice(client, user("[REFUSE] please"))["finish_reason"] == "content_filter"
    history = user(f"{REFUSAL_MARKER} earlier") + [{"role": "assistant", "content": "No."}] + user("Hello again")
    assert v2choice(client, history)["finish_reason"] == "stop"


def test_gravix_has_no_typed_refusal(client):
    body = {"model": "meta-llama/llama-3.1-8b-instruct", "messages": user(f"{REFUSAL_MARKER} hi")}
    choice = client.post(GX, json=body, headers=GRAVIX).json()["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["content"]


def v2choice(client, messages, **body):
    return client.post(V2, json={"auto_routing": True, **body, "messages": messages}, headers=GLOO).json()["choices"][0]


# -- reasoning text --------------------------------------------------------------


@pytest.mark.parametrize("model", ["gloo-deepseek-r1", "gloo-openai-gpt-oss-120b"])
def test_reasoning_models_send_reasoning_content(client, model):
    body = {"model": model, "messages": user("Why is the sky blue?")}
    data = client.post(V2, json=body, headers=GLOO).json()
    message = data["choices"][0]["message"]
    assert "Why is the sky blue?" in message["reasoning_content"] and message["content"]
    reasoning_tokens = data["usage"]["completion_tokens_details"]["reasoning_tokens"]
    assert reasoning_tokens == len(message["reasoning_content"].split())
    assert data["usage"]["completion_tokens"] == reasoning_tokens + len(message["content"].split())
    _, events = stream(client, V2, {**body, "stream_options": {"include_usage": True}}, GLOO)
    deltas = [c["delta"] for e in events for c in e["choices"]]
    reasoning = "".join(d.get("reasoning_content") or "" for d in deltas)
    assert reasoning == message["reasoning_content"] and text_of(events) == message["content"]
    first_content = next(i for i, d in enumerate(deltas) if d.get("content"))
    assert all(i < first_content for i, d in enumerate(deltas) if d.get("reasoning_content"))  # thinking first


def test_models_that_do_not_reason_send_no_reasoning(client):
    for model in ("gloo-openai-gpt-4.1", "gloo-deepseek-v3.2", "gloo-meta-llama-3.1-8b-instruct"):
        data = client.post(V2, json={"model": model, "messages": user("Why is the sky blue?")}, headers=GLOO).json()
        message = data["choices"][0]["message"]
        assert "reasoning_content" not in message and "reasoning_text" not in message, model
        assert "completion_tokens_details" not in data["usage"]


def test_routing_to_a_reasoning_model_streams_its_reasoning(client):
    long_prompt = "Explain " + "grace " * 120  # tier 3 of "open source": gpt-oss-120b
    data = client.post(V2, json={"model_family": "open source", "messages": user(long_prompt)}, headers=GLOO).json()
    assert data["model"] == "gloo-openai-gpt-oss-120b" and data["choices"][0]["message"]["reasoning_content"]


# -- JSON after tool results -------------------------------------------------------


def _after_weather(**body):
    return {
        "messages": user("What is the weather in Paris?")
        + [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "Paris: 21 degrees, sunny"},
        ],
        "tools": [WEATHER_TOOL],
        **body,
    }


def test_json_after_tool_results_when_a_schema_is_set(client):
    choice = v2choice(client, **_after_weather(response_format=SCHEMA))
    assert choice["finish_reason"] == "stop"
    assert json.loads(choice["message"]["content"]) == {"city": "Paris", "temperature": 21}
    plain = v2choice(client, **_after_weather())
    assert plain["message"]["content"] == "The result of get_weather is Paris: 21 degrees, sunny."
    as_object = json.loads(
        v2choice(client, **_after_weather(response_format={"type": "json_object"}))["message"]["content"]
    )
    assert isinstance(as_object, dict) and as_object


# -- tool choice by relevance ------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt,expected",
    [
        ("Is it raining in Lyon right now? What is the weather like?", "get_weather"),
        ("What time is it in Tokyo?", "current_time"),
        ("Which timezone does Chicago use, and its local time?", "current_time"),
        ("Hello there", "magic_function"),  # nothing relevant: the first tool
    ],
)
def test_the_tool_most_relevant_to_the_prompt_is_called(client, prompt, expected):
    tools = [MAGIC_TOOL, WEATHER_TOOL, TIME_TOOL]
    call = v2choice(client, user(prompt), tools=tools)["message"]["tool_calls"][0]
    assert call["function"]["name"] == expected
    required = v2choice(client, user(prompt), tools=tools, tool_choice="required")["message"]["tool_calls"][0]
    assert required["function"]["name"] == expected


# -- failures on demand, for users' retry code ------------------------------------------------


def test_fault_specs():
    assert Fault.from_spec("429") == Fault.rate_limit(retry_after="1")
    assert Fault.from_spec(" 429:5 ") == Fault.rate_limit(retry_after="5")
    assert Fault.from_spec("503") == Fault.server_error(503)
    assert Fault.from_spec("403") == Fault.status(403)
    assert Fault.from_spec("slow:0.5") == Fault.slow(0.5)
    assert Fault.from_spec("cut") == Fault.cut_stream(2)
    assert Fault.from_spec("stream_error").kind == "stream_error"
    for bad in ("200", "teapot", "", "999"):
        with pytest.raises(ValueError):
            Fault.from_spec(bad)


def test_fail_next_hits_chat_requests_only_then_recovers(emulator, client):
    emulator.fail_next("429:2", "503")
    assert client.get("/platform/v2/models").status_code == 200  # not a chat request: untouched
    first = client.post(V2, json={"auto_routing": True, "messages": user("hi")}, headers=GLOO)
    assert first.status_code == 429 and first.headers["retry-after"] == "2"
    second = client.post(GX, json={"model": "m", "messages": user("hi")}, headers=GRAVIX)
    assert second.status_code == 503 and second.json()["error"]
    assert client.post(V2, json={"auto_routing": True, "messages": user("hi")}, headers=GLOO).status_code == 200


def test_control_endpoint_queues_and_clears_failures(emulator, client):
    r = client.post("/_emulator/faults", json={"faults": ["500", "429"], "path": V1})
    assert r.status_code == 200 and r.json() == {"pending": 2}
    assert client.post(V2, json={"auto_routing": True, "messages": user("hi")}, headers=GLOO).status_code == 200
    assert client.post(V1, json={"messages": user("hi")}, headers=GLOO).status_code == 500
    assert client.post("/_emulator/faults", json={"clear": True}).json() == {"pending": 0}
    assert client.post(V1, json={"messages": user("hi")}, headers=GLOO).status_code == 200
    assert client.post("/_emulator/faults", json={"faults": ["nope"]}).status_code == 400
    assert client.post("/_emulator/faults", json={"faults": "429"}).status_code == 400
    assert client.post("/_emulator/faults", content=b"[1]").status_code == 400


def test_the_package_retries_through_injected_failures(emulator):
    emulator.fail_next("429:0", "503")
    with Client("gloo-v2", base_url=emulator.base_url, api_key=Emulator.GLOO_API_KEY, max_retries=2) as c:
        assert c.create(user("hi"), auto_routing=True).message.text
    chats = [r for r in emulator.requests if r.path == V2]
    assert len(chats) == 3
    emulator.fail_next("429:0", "429:0", "429:0")
    with Client("gloo-v2", base_url=emulator.base_url, api_key=Emulator.GLOO_API_KEY, max_retries=2) as c:
        with pytest.raises(RateLimitError):
            c.create(user("hi"), auto_routing=True)


def test_cli_fail_flag():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "langchain_gloo_gravix.emulator",
            "--port",
            "0",
            "--quiet",
            "--fail",
            "429,503",
            "--fail",
            "500",
        ],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        out = "".join(lines)
        base = out.split("export GLOO_BASE_URL=")[1].split()[0]
        codes = [
            httpx.post(
                base + V2, json={"auto_routing": True, "messages": user("hi")}, headers=GLOO, timeout=5
            ).status_code
            for _ in range(4)
        ]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=5)
    assert codes == [429, 503, 500, 200]
    assert "429, 503, 500" in out and "/_emulator/faults" in out


def test_cli_rejects_a_bad_fail_spec():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run(
        [sys.executable, "-m", "langchain_gloo_gravix.emulator", "--port", "0", "--fail", "teapot"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "unknown fault" in done.stderr
