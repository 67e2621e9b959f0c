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
