"""Importing the core (or the package root) must not pull in any framework."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
{imports}
frameworks = sorted(m for m in sys.modules if m.split('.')[0] in ('langchain_core', 'langchain', 'llama_index'))
print(json.dumps({{"frameworks": frameworks, "loaded": sorted(m for m in sys.modules if m.startswith('langchain_gloo_gravix'))}}))
"""


def probe(*modules: str) -> dict:
    code = PROBE.format(imports="\n".join(f"import {m}" for m in modules))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "modules",
    [
        ("langchain_gloo_gravix.core",),
        ("langchain_gloo_gravix",),
        ("langchain_gloo_gravix", "langchain_gloo_gravix.core"),
    ],
)
def test_no_framework_modules_after_import(modules):
    result = probe(*modules)
    assert result["frameworks"] == []
    assert set(modules) <= set(result["loaded"])


def test_core_public_names_are_usable_without_frameworks():
    result = probe(
        "langchain_gloo_gravix.core.client", "langchain_gloo_gravix.core.accumulator", "langchain_gloo_gravix.core.sse"
    )
    assert result["frameworks"] == []


def test_probe_detects_frameworks():
    # the check itself works: importing langchain_core is seen
    pytest.importorskip("langchain_core")
    assert "langchain_core" in probe("langchain_core")["frameworks"]


def test_every_exported_core_name_resolves_and_clients_load_lazily():
    code = (
        "import sys, langchain_gloo_gravix.core as core\n"
        "assert 'httpx' not in sys.modules, 'httpx imported before a client was asked for'\n"
        "missing = [n for n in core.__all__ if not hasattr(core, n)]\n"
        "assert not missing, missing\n"
        "assert 'httpx' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "statement",
    [
        "from langchain_gloo_gravix import ChatGloo, ChatGravixLayer",
        "from llama_index_ext import Gloo, GravixLayer",
        "from langchain_gloo_gravix import GravixLayerEmbeddings",
        "from llama_index_ext import GravixLayerEmbedding",
    ],
)
def test_importing_the_models_loads_no_client_machinery(statement):
    # Import time is a benchmarked target: httpx, the wire models, the stream machinery and
    # tenacity (for retry callbacks) load with the first call, not with the classes.
    heavy = (
        "httpx",
        "langchain_gloo_gravix.core.wire",
        "langchain_gloo_gravix.core.accumulator",
        "langchain_gloo_gravix.core.sse",
        "langchain_gloo_gravix.core.sender",
    )
    if "langchain_gloo_gravix" in statement:
        heavy += ("tenacity",)  # llama_index.core imports tenacity itself; langchain_core does not
    # What the framework loads by itself is not ours to defer: llama-index-core before 0.14.20
    # imports httpx at import time, for instance (the lowest-versions run has 0.14.5).
    framework = (
        "import llama_index.core.llms.function_calling, llama_index.core.base.embeddings.base"
        if "llama_index_ext" in statement
        else "import langchain_core.language_models.chat_models, langchain_core.embeddings"
    )
    baseline = f"import sys\n{framework}\nprint([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", baseline], capture_output=True, text=True, timeout=120, check=True)
    heavy = tuple(m for m in heavy if m not in ast.literal_eval(out.stdout.strip().splitlines()[-1]))
    code = f"import sys\n{statement}\nprint([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
