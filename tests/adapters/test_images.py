"""Images go where they were put: user messages, tool results (moved to a user message right
after the tool results, since tool messages take text only), Anthropic-style blocks; in both
frameworks, and through langchain-tests' own image tests against the emulator."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock

from langchain_gloo_gravix import ChatGravixLayer
from langchain_gloo_gravix._lc_convert import to_wire_messages as lc_wire
from langchain_gloo_gravix.core.tool_images import NOTE, has_images, lift_tool_images
from langchain_gloo_gravix.emulator import Emulator
from llama_index_ext import GravixLayer
from llama_index_ext.messages import to_wire_messages as li_wire

VISION_MODEL = "qwen/qwen-2.5-vl-7b-instruct"


def _png(width: int = 3, height: int = 2) -> bytes:
    """A real (tiny) PNG, made here: no image is fetched from the network."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG = _png()
B64 = base64.b64encode(PNG).decode()
DATA_URL = f"data:image/png;base64,{B64}"


def _tool_turn(tool_message: Any) -> list[Any]:
    return [
        HumanMessage("take a screenshot and describe it"),
        AIMessage("", tool_calls=[{"type": "tool_call", "id": "call_1", "name": "screenshot", "args": {}}]),
        tool_message,
    ]


# -- the rule ---------------------------------------------------------------------------


def test_a_tool_result_image_moves_to_a_user_message_after_the_tool_results():
    image = {"type": "image_url", "image_url": {"url": DATA_URL}}
    wire = lift_tool_images(
        [
            {"role": "assistant", "content": None, "tool_calls": [{"id": "a"}, {"id": "b"}]},
            {"role": "tool", "tool_call_id": "a", "content": [{"type": "text", "text": "shot"}, image]},
            {"role": "tool", "tool_call_id": "b", "content": "plain"},
            {"role": "user", "content": "thanks"},
        ]
    )
    assert [m["role"] for m in wire] == ["assistant", "tool", "tool", "user", "user"]
    assert wire[1]["content"] == f"shot\n{NOTE}" and wire[2]["content"] == "plain"
    assert wire[3]["content"] == [{"type": "text", "text": "Images from the result of tool call a:"}, image]


_part = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, st.text(max_size=5)),
    st.builds(lambda u: {"type": "image_url", "image_url": {"url": u}}, st.text(min_size=1, max_size=5)),
)
_message = st.one_of(
    st.builds(lambda c: {"role": "user", "content": c}, st.text(max_size=5)),
    st.builds(lambda c: {"role": "assistant", "content": c}, st.text(max_size=5)),
    st.builds(
        lambda i, c: {"role": "tool", "tool_call_id": str(i), "content": c},
        st.integers(0, 9),
        st.one_of(st.text(max_size=5), st.lists(_part, max_size=4)),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_message, max_size=12))
def test_lifting_keeps_every_image_once_and_every_tool_run_whole(messages):
    out = lift_tool_images(messages)
    # no tool message keeps an image; every image appears exactly once, in a user message
    assert not any(m["role"] == "tool" and has_images([m]) for m in out)
    sent = [
        p["image_url"]["url"]
        for m in out
        if isinstance(m["content"], list)
        for p in m["content"]
        if p.get("type") == "image_url"
    ]
    given_ = [
        p["image_url"]["url"]
        for m in messages
        if isinstance(m["content"], list)
        for p in m["content"]
        if p.get("type") == "image_url"
    ]
    assert sorted(sent) == sorted(given_)
    # the original messages keep their order; only user messages are added, never inside a run of tool results
    kept = [m for m in out if not (m["role"] == "user" and m not in messages)]
    assert [(m["role"], m.get("tool_call_id")) for m in kept] == [(m["role"], m.get("tool_call_id")) for m in messages]
    for before, after in zip(out, out[1:]):
        if before["role"] == "user" and before not in messages:
            assert after["role"] != "tool"


# -- LangChain -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image_url", "image_url": {"url": DATA_URL}},
        {"type": "image", "base64": B64, "mime_type": "image/png"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": B64}},
    ],
    ids=["openai", "standard", "anthropic"],
)
def test_langchain_tool_message_images_reach_the_server(block):
    wire = lc_wire(_tool_turn(ToolMessage([{"type": "text", "text": "done"}, block], tool_call_id="call_1")))
    assert wire[2] == {"role": "tool", "tool_call_id": "call_1", "content": f"done\n{NOTE}"}
    assert wire[3]["role"] == "user"
    assert wire[3]["content"][1] == {"type": "image_url", "image_url": {"url": DATA_URL}}


@pytest.mark.parametrize(
    "source, url",
    [
        ({"type": "base64", "media_type": "image/jpeg", "data": "QUJD"}, "data:image/jpeg;base64,QUJD"),
        ({"type": "url", "url": "https://example.com/cat.png"}, "https://example.com/cat.png"),
    ],
)
def test_langchain_anthropic_image_blocks_convert(source, url):
    wire = lc_wire([HumanMessage([{"type": "text", "text": "what is it"}, {"type": "image", "source": source}])])
    assert wire[0]["content"][1] == {"type": "image_url", "image_url": {"url": url}}


def test_langchain_anthropic_image_block_of_unknown_source_type_is_refused_by_name():
    with pytest.raises(ValueError, match="source type 'file'"):
        lc_wire([HumanMessage([{"type": "image", "source": {"type": "file", "file_id": "f"}}])])


def test_langchain_tool_message_file_block_is_refused_not_dropped():
    block = {"type": "file", "base64": "QUJD", "mime_type": "application/pdf"}
    with pytest.raises(ValueError, match="'file' block cannot be sent"):
        lc_wire(_tool_turn(ToolMessage([block], tool_call_id="call_1")))


def test_langchain_tool_image_end_to_end(emulator):
    model = ChatGravixLayer(model=VISION_MODEL, base_url=emulator.gravix_base_url, api_key=Emulator.GRAVIX_API_KEY)
    image = {"type": "image", "base64": B64, "mime_type": "image/png"}
    answer = model.invoke(_tool_turn(ToolMessage([image], tool_call_id="call_1")))
    assert f"I see 1 image: image/png, {len(PNG)} bytes" in answer.content
    sent = [r.json for r in emulator.requests if r.path.endswith("/chat/completions")][-1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "user"]


# -- LlamaIndex ------------------------------------------------------------------------


def test_llama_index_tool_result_images_reach_the_server():
    messages = [
        ChatMessage(role="user", content="take a screenshot"),
        ChatMessage(
            role="assistant",
            content="",
            additional_kwargs={"tool_calls": [{"id": "call_1", "function": {"name": "shot", "arguments": "{}"}}]},
        ),
        ChatMessage(
            role="tool",
            blocks=[TextBlock(text="done"), ImageBlock(image=PNG, image_mimetype="image/png")],
            additional_kwargs={"tool_call_id": "call_1"},
        ),
    ]
    wire = li_wire(messages)
    assert wire[2] == {"role": "tool", "tool_call_id": "call_1", "content": f"done\n{NOTE}"}
    assert wire[3]["content"][1] == {"type": "image_url", "image_url": {"url": DATA_URL}}


def test_llama_index_tool_image_end_to_end(emulator):
    llm = GravixLayer(model=VISION_MODEL, base_url=emulator.gravix_base_url, api_key=Emulator.GRAVIX_API_KEY)
    messages = [
        ChatMessage(role="user", content="take a screenshot"),
        ChatMessage(
            role="assistant",
            content="",
            additional_kwargs={"tool_calls": [{"id": "call_1", "function": {"name": "shot", "arguments": "{}"}}]},
        ),
        ChatMessage(
            role="tool",
            blocks=[ImageBlock(image=PNG, image_mimetype="image/png")],
            additional_kwargs={"tool_call_id": "call_1"},
        ),
    ]
    answer = llm.chat(messages)
    assert f"I see 1 image: image/png, {len(PNG)} bytes" in answer.message.content


def test_llama_index_images_in_system_or_assistant_messages_are_refused_by_name():
    with pytest.raises(ValueError, match=r"messages\[0\] \(system\).*user messages and tool results only"):
        li_wire([ChatMessage(role="system", blocks=[ImageBlock(url="https://example.com/a.png")])])


# -- langchain-tests' own image tests, on a vision model of the catalog ------------------


class _VisionStandardTests(ChatModelIntegrationTests):
    """Not collected (leading underscore): the image tests below call its methods."""

    @property
    def chat_model_class(self) -> type:
        return ChatGravixLayer

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return False


@pytest.fixture
def no_network_image(monkeypatch):
    """langchain-tests fetches its sample picture with httpx.get; give it a local PNG instead."""
    real_get = httpx.get

    def fake_get(url: Any, *args: Any, **kwargs: Any) -> httpx.Response:
        if "raw.githubusercontent.com" in str(url):
            return httpx.Response(200, content=PNG, request=httpx.Request("GET", str(url)))
        return real_get(url, *args, **kwargs)

    monkeypatch.setattr(httpx, "get", fake_get)


@pytest.mark.parametrize("name", ["test_image_inputs", "test_image_tool_message"])
def test_langchain_tests_image_suite_on_a_vision_model(emulator, no_network_image, name):
    model = ChatGravixLayer(model=VISION_MODEL, base_url=emulator.gravix_base_url, api_key=Emulator.GRAVIX_API_KEY)
    before = len(emulator.requests)
    getattr(_VisionStandardTests(), name)(model)
    sent = [r.json for r in emulator.requests[before:] if r.path.endswith("/chat/completions")]
    assert sent and all(has_images(body["messages"]) for body in sent)


# -- an image sent to a route whose profile has no image input --------------------------


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_images_to_a_route_without_image_input_warn_and_are_still_sent(emulator, framework):
    from langchain_gloo_gravix import ChatGloo
    from langchain_gloo_gravix.core.warnings import GlooGravixWarning
    from llama_index_ext import Gloo

    creds = {
        "base_url": emulator.gloo_base_url,
        "client_id": Emulator.CLIENT_ID,
        "client_secret": Emulator.CLIENT_SECRET,
    }
    if framework == "langchain":
        model = ChatGloo(**creds)  # v2 auto routing: the pool's profile has no image input

        def send() -> Any:
            return model.invoke(
                [
                    HumanMessage(
                        [{"type": "text", "text": "what is it"}, {"type": "image_url", "image_url": {"url": DATA_URL}}]
                    )
                ]
            )
    else:
        model = Gloo(**creds)

        def send() -> Any:
            return model.chat(
                [
                    ChatMessage(
                        role="user",
                        blocks=[TextBlock(text="what is it"), ImageBlock(image=PNG, image_mimetype="image/png")],
                    )
                ]
            )

    with pytest.warns(GlooGravixWarning, match="auto routing, whose profile says it takes no image input"):
        send()
    sent = [r.json for r in emulator.requests if r.path.endswith("/chat/completions")][-1]
    assert has_images(sent["messages"])


def test_no_warning_for_a_vision_model(emulator, recwarn):
    from langchain_gloo_gravix.core.warnings import GlooGravixWarning

    model = ChatGravixLayer(model=VISION_MODEL, base_url=emulator.gravix_base_url, api_key=Emulator.GRAVIX_API_KEY)
    model.invoke([HumanMessage([{"type": "image_url", "image_url": {"url": DATA_URL}}])])
    assert not [w for w in recwarn if issubclass(w.category, GlooGravixWarning)]
