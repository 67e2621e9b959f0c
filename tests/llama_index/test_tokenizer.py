"""LlamaIndex ``tokenizer`` (as OpenAILike): with max_tokens unset, each call asks for the room left."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage

from langchain_gloo_gravix.core.errors import ConfigurationError, ContextOverflowError, GlooGravixError
from langchain_gloo_gravix.emulator import Emulator
from llama_index_ext import Gloo, GravixLayer


class Words:
    """A tokenizer whose tokens are words (any object with encode(text) will do)."""

    def encode(self, text: str) -> list[str]:
        return text.split()


def _gravix(emu, **kw):
    return GravixLayer(
        model="meta-llama/llama-3.1-8b-instruct", base_url=emu.gravix_base_url, api_key=Emulator.GRAVIX_API_KEY, **kw
    )


def _sent(emu) -> dict:
    return [r.json for r in emu.requests if r.path.endswith("/chat/completions")][-1]


def test_max_tokens_is_the_room_left_by_the_prompt(emulator):
    llm = _gravix(emulator, tokenizer=Words(), context_window=100, num_output=50)
    llm.chat([ChatMessage(role="system", content="be brief"), ChatMessage(role="user", content="one two three four")])
    # 100 - 6 words = 94, capped at the largest answer (50)
    assert _sent(emulator)["max_tokens"] == 50
    llm = _gravix(emulator, tokenizer=Words(), context_window=60, num_output=50)
    llm.complete("one two three four five six seven eight nine ten " * 2)
    assert _sent(emulator)["max_tokens"] == 40


def test_an_explicit_max_tokens_wins(emulator):
    _gravix(emulator, tokenizer=Words(), max_tokens=7).chat([ChatMessage(role="user", content="hi")])
    assert _sent(emulator)["max_tokens"] == 7
    _gravix(emulator, tokenizer=Words()).chat([ChatMessage(role="user", content="hi")], max_tokens=9)
    assert _sent(emulator)["max_tokens"] == 9


def test_without_a_tokenizer_no_max_tokens_is_sent(emulator):
    _gravix(emulator).chat([ChatMessage(role="user", content="hi")])
    assert "max_tokens" not in _sent(emulator)


def test_a_prompt_that_leaves_no_room_is_refused_before_sending(emulator):
    before = len(emulator.requests)
    with pytest.raises(ContextOverflowError, match="leaves no room") as caught:
        _gravix(emulator, tokenizer=Words(), context_window=5).chat(
            [ChatMessage(role="user", content="one two three four five six")]
        )
    assert isinstance(caught.value, GlooGravixError)
    assert len(emulator.requests) == before


@pytest.mark.parametrize("bad", [42, object(), ""])
def test_a_tokenizer_that_cannot_encode_fails_at_construction(bad):
    with pytest.raises(ValueError, match="tokenizer must be"):
        Gloo(api_key="k", tokenizer=bad)


def test_a_tokenizer_name_without_transformers_says_what_is_missing(emulator, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_transformers(name, *args, **kwargs):
        if name == "transformers":
            raise ImportError("no transformers here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_transformers)
    llm = _gravix(emulator, tokenizer="bert-base-uncased")
    with pytest.raises(ConfigurationError, match="needs the 'transformers' package"):
        llm.chat([ChatMessage(role="user", content="hi")])


def test_the_tokenizer_is_never_serialised():
    assert "tokenizer" not in Gloo(api_key="k", tokenizer=Words()).to_dict()
