"""Every Python example in the README and docs/ runs as written, against the emulator (the
environment points the models at it, as `make demo` does), and says what the text says it shows."""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

from langchain_gloo_gravix.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def _examples() -> list[Any]:
    params = []
    for path in DOCS:
        for i, code in enumerate(_BLOCK.findall(path.read_text(encoding="utf-8")), 1):
            params.append(pytest.param(code, id=f"{path.relative_to(ROOT).as_posix()}#{i}"))
    return params


def run_example(code: str, caught: list[warnings.WarningMessage] | None = None) -> list[Any]:
    """Execute ``code`` as a script; the values of its top-level expressions, in order (what
    the comments beside them describe)."""
    tree = ast.parse(code)
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.Expr):
            call = ast.parse("__values__.append(None)").body[0]
            call.value.args[0] = node.value  # type: ignore[attr-defined]
            tree.body[i] = ast.copy_location(call, node)
    ast.fix_missing_locations(tree)
    namespace: dict[str, Any] = {"__values__": [], "__name__": "__example__"}
    # an example may set warning filters (they end with it); what it warns is recorded, not leaked
    with warnings.catch_warnings(record=True) as recorded:
        warnings.simplefilter("always")
        exec(compile(tree, "<example>", "exec"), namespace)
    if caught is not None:
        caught.extend(recorded)
    return namespace["__values__"]


@pytest.fixture
def env(clean_env, emulator):
    """The environment a reader of the README has after following it, pointed at the emulator
    (the root conftest's, one per module); yields the emulator."""
    # docs/models.md's example refreshes the process-wide catalog from the emulator's registry:
    # put it back afterwards, so that no later test sees the emulator's numbers
    from langchain_gloo_gravix.core import CATALOG

    clean_env.setattr(CATALOG, "_known", CATALOG.entries())
    clean_env.setenv("GLOO_BASE_URL", emulator.gloo_base_url)
    clean_env.setenv("GLOO_CLIENT_ID", Emulator.CLIENT_ID)
    clean_env.setenv("GLOO_CLIENT_SECRET", Emulator.CLIENT_SECRET)
    clean_env.setenv("GRAVIXLAYER_BASE_URL", emulator.gravix_base_url)
    clean_env.setenv("GRAVIXLAYER_API_KEY", Emulator.GRAVIX_API_KEY)
    return emulator


def test_there_are_examples_to_run():
    assert len(_examples()) >= 7


@pytest.mark.parametrize("code", _examples())
def test_every_example_runs_against_the_emulator(code, env):
    run_example(code)


def _readme_block(containing: str) -> str:
    blocks = [b for b in _BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8")) if containing in b]
    assert len(blocks) == 1, containing
    return blocks[0]


def test_the_langchain_rag_example_retrieves_and_answers_from_the_document(env):
    question = "How long do Gloo tokens last?"
    retrieved, answer = run_example(_readme_block("InMemoryVectorStore"))[-2:]
    assert "expire after one hour" in retrieved  # retrieval found the token document among three
    assert answer.strip() and question not in answer  # not an echo of the question
    assert "one hour" in answer  # answered from the retrieved context
    embedded = [r for r in env.requests if r.path.endswith("/embeddings")]
    assert embedded, "the vector store was not built with GravixLayerEmbeddings"


def test_the_llama_index_rag_example_answers_from_the_document(env):
    (response,) = run_example(_readme_block("VectorStoreIndex"))[-1:]
    assert "one hour" in str(response)
    assert response.source_nodes and "one hour" in response.source_nodes[0].node.get_content()


def test_the_usage_example_shows_v2_routing_and_usage(env):
    values = run_example(_readme_block('ChatGloo(tradition="evangelical")'))
    routing, usage = values[0], values[1]
    assert routing["routing_mechanism"] == "auto_routing" and routing["tradition"] == "evangelical"
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0


def test_the_grounded_example_shows_grounding(env):
    grounding = run_example(_readme_block("ChatGloo(grounded=True, include_citations=True, sources_limit=3)"))[0]
    assert grounding["sources_returned"] is True and grounding["citations"]


def test_the_warnings_example_warns_as_it_says(env):
    from langchain_gloo_gravix.core.warnings import GlooGravixWarning

    caught: list[warnings.WarningMessage] = []
    run_example(_readme_block("GlooGravixWarning"), caught)
    assert [w for w in caught if issubclass(w.category, GlooGravixWarning) and "max_tokens=500" in str(w.message)]
