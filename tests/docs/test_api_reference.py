"""docs/api.md matches the code: every public class's fields, every public name, the emulator's
methods, and every flag of both command lines' ``--help``."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.chat_models import BaseChatModel
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms.function_calling import FunctionCallingLLM

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer, GravixLayerEmbeddings
from langchain_gloo_gravix.emulator import Emulator, Fault
from llama_index_ext import Gloo, GravixLayer, GravixLayerEmbedding

ROOT = Path(__file__).resolve().parents[2]
API = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
PUBLIC_MODULES = (
    "langchain_gloo_gravix",
    "langchain_gloo_gravix.core",
    "langchain_gloo_gravix.emulator",
    "llama_index_ext",
)


def _documented(word: str) -> bool:
    return re.search(rf"`[^`]*\b{re.escape(word)}\b[^`]*`", API) is not None


@pytest.mark.parametrize(
    "cls,base",
    [
        (ChatGloo, BaseChatModel),
        (ChatGravixLayer, BaseChatModel),
        (GravixLayerEmbeddings, Embeddings),
        (Gloo, FunctionCallingLLM),
        (GravixLayer, FunctionCallingLLM),
        (GravixLayerEmbedding, BaseEmbedding),
    ],
)
def test_every_field_of_every_public_class_is_documented(cls, base):
    inherited = getattr(base, "model_fields", {})
    missing = [name for name in cls.model_fields if name not in inherited and not _documented(name)]
    assert not missing, f"docs/api.md does not list {cls.__name__} fields {missing}"
    assert f"`{cls.__name__}`" in API


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_name_is_documented(module):
    names = importlib.import_module(module).__all__
    missing = [n for n in names if not _documented(n)]
    assert not missing, f"docs/api.md does not name {module} {missing}"


@pytest.mark.parametrize("cls", [Emulator, Fault])
def test_every_public_emulator_method_is_documented(cls):
    public = [n for n in vars(cls) if not n.startswith("_") and not n.isupper()]
    missing = [n for n in public if not _documented(n)]
    assert not missing, f"docs/api.md does not list {cls.__name__}.{missing}"


def _flags(*args: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-m", *args, "--help"], capture_output=True, text=True, timeout=120, cwd=ROOT, check=True
    ).stdout
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", out)) - {"--help"}


@pytest.mark.parametrize(
    "command",
    [
        ("langchain_gloo_gravix", "check"),
        ("langchain_gloo_gravix", "chat"),
        ("langchain_gloo_gravix.emulator",),
    ],
    ids=["check", "chat", "emulator"],
)
def test_every_command_line_flag_is_documented(command):
    flags = _flags(*command)
    assert flags, "no flags parsed from --help"
    section = API.split("## Command line", 1)[1]
    missing = sorted(f for f in flags if f"`{f}" not in section)
    assert not missing, f"docs/api.md's Command line section lacks {' '.join(command)} {missing}"


def test_the_chat_endpoints_listed_are_the_cli_choices():
    out = subprocess.run(
        [sys.executable, "-m", "langchain_gloo_gravix", "chat", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=True,
    ).stdout
    choices = re.search(r"--endpoint \{([^}]+)\}", out).group(1).split(",")
    row = next(line for line in API.splitlines() if line.startswith("| `--endpoint`"))
    assert sorted(re.findall(r"`([a-z0-9-]+)`", row.split("|")[2])) == sorted(choices)
