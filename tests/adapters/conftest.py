"""Fixtures of the adapter contract suite: each test runs once per framework (and per path, chat or
embeddings), with the credentials environment cleared (``clean_env``) and the core's retry sleeps recorded, not
slept (``sleeps``), both from ``tests/conftest.py``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adapters.frameworks import (
    LangChainChat,
    LangChainEmbeddings,
    LlamaIndexChat,
    LlamaIndexEmbeddings,
)
from tests.support.sleeps import Sleeps


@pytest.fixture
def slept(sleeps: Sleeps) -> list[float]:
    """The retry sleeps the core asked for (none is slept): ``tests/conftest.py``'s ``sleeps``."""
    return sleeps


@pytest.fixture(params=["langchain", "llama_index"])
def chat(request: pytest.FixtureRequest) -> Any:
    """The chat side of one framework (see ``tests/adapters/frameworks.py``)."""
    return LangChainChat() if request.param == "langchain" else LlamaIndexChat()


@pytest.fixture(params=["langchain", "llama_index"])
def embeddings(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The embeddings side of one framework."""
    return LangChainEmbeddings() if request.param == "langchain" else LlamaIndexEmbeddings(monkeypatch)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def emulator() -> Any:
    """The in-process emulator of the three services, one per module, cleared before each test."""
    from langchain_gloo_gravix.emulator import Emulator

    with Emulator(port=0) as emu:
        yield emu


@pytest.fixture(autouse=True)
def _clean_emulator(request: pytest.FixtureRequest) -> None:
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").clear()
