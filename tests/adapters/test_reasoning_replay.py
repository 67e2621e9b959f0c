"""``replay_reasoning_content``: an opt-in to send an assistant turn's reasoning back (both frameworks)."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from llama_index.core.base.llms.types import ChatMessage, TextBlock, ThinkingBlock

from langchain_gloo_gravix import ChatGloo
from langchain_gloo_gravix._lc_convert import to_wire_messages as lc_wire
from langchain_gloo_gravix.emulator import Emulator
from llama_index_ext import Gloo
from llama_index_ext.messages import to_wire_messages as li_wire

THOUGHT = "First find the city, then call the tool."


def _lc_history(ai: AIMessage) -> list:
    return [HumanMessage("weather in Paris?"), ai, ToolMessage("21 degrees", tool_call_id="call_1")]


CALL = {"type": "tool_call", "id": "call_1", "name": "weather", "args": {"city": "Paris"}}


@pytest.mark.parametrize(
    "ai",
    [
        AIMessage("", tool_calls=[CALL], additional_kwargs={"reasoning_content": THOUGHT}),
        AIMessage([{"type": "reasoning", "reasoning": THOUGHT}], tool_calls=[CALL]),
        AIMessage([{"type": "thinking", "thinking": THOUGHT}], tool_calls=[CALL]),
    ],
    ids=["additional_kwargs", "reasoning-block", "thinking-block"],
)
def test_langchain_replays_reasoning_only_when_asked(ai):
    assert "reasoning_content" not in lc_wire(_lc_history(ai))[1]
    assert lc_wire(_lc_history(ai), replay_reasoning=True)[1]["reasoning_content"] == THOUGHT


def test_llama_index_replays_thinking_blocks_only_when_asked():
    assistant = ChatMessage(
        role="assistant",
        blocks=[ThinkingBlock(content=THOUGHT), TextBlock(text="Checking.")],
    )
    history = [ChatMessage(role="user", content="weather?"), assistant]
    assert "reasoning_content" not in li_wire(history)[1]
    replayed = li_wire(history, replay_reasoning=True)[1]
    assert replayed["reasoning_content"] == THOUGHT and replayed["content"] == "Checking."


def _creds(emu):
    return {
        "base_url": emu.gloo_base_url,
        "client_id": Emulator.CLIENT_ID,
        "client_secret": Emulator.CLIENT_SECRET,
        "model": "gloo-deepseek-r1",
    }


def _last_chat(emu) -> dict:
    return [r.json for r in emu.requests if r.path.endswith("/chat/completions")][-1]


@pytest.mark.parametrize("replay", [False, True])
def test_langchain_reasoning_of_a_real_answer_goes_back_when_asked(emulator, replay):
    model = ChatGloo(**_creds(emulator), replay_reasoning_content=replay)
    first = model.invoke("Think about 17 times 3, then answer.")
    assert first.additional_kwargs.get("reasoning_content")
    model.invoke([HumanMessage("Think about 17 times 3, then answer."), first, HumanMessage("and times 4?")])
    sent = _last_chat(emulator)["messages"][1]
    assert ("reasoning_content" in sent) is replay
    if replay:
        assert sent["reasoning_content"] == first.additional_kwargs["reasoning_content"]


@pytest.mark.parametrize("replay", [False, True])
def test_llama_index_reasoning_of_a_real_answer_goes_back_when_asked(emulator, replay):
    llm = Gloo(**_creds(emulator), replay_reasoning_content=replay)
    first = llm.chat([ChatMessage(role="user", content="Think about 17 times 3, then answer.")]).message
    assert any(isinstance(b, ThinkingBlock) and b.content for b in first.blocks)
    llm.chat(
        [ChatMessage(role="user", content="Think about 17 times 3."), first, ChatMessage(role="user", content="and 4?")]
    )
    assert ("reasoning_content" in _last_chat(emulator)["messages"][1]) is replay
