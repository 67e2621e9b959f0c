"""The documentation says what the code does: catalog table, API reference, field docs, README."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from langchain_core.language_models.chat_models import BaseChatModel
from llama_index.core.llms.function_calling import FunctionCallingLLM

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer
from langchain_gloo_gravix.core.catalog import AUTO_ROUTING_SPEC, CATALOG, DEFAULT_SPEC, ROUTING_SPECS
from llama_index_ext import Gloo, GravixLayer

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
API = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
MODELS = (ROOT / "docs" / "models.md").read_text(encoding="utf-8")


def _cells(spec) -> str:
    yes = lambda b: "yes" if b else "no"  # noqa: E731
    return (
        f"{spec.context_window:,} | {spec.max_output_tokens:,} | {yes(spec.tool_calling)} | "
        f"{yes(spec.structured_output)} | {yes(spec.reasoning)} | {yes(spec.image_inputs)} |"
    )


def test_models_page_lists_every_catalog_entry_with_its_numbers():
    for model_id, spec in CATALOG.entries().items():
        assert re.search(rf"\| `{re.escape(model_id)}` \| [^|]+ \| {re.escape(_cells(spec))}", MODELS), model_id
    assert f"| `ChatGloo()` / `Gloo()` (auto routing) | {_cells(AUTO_ROUTING_SPEC)}" in MODELS
    for family, spec in ROUTING_SPECS.items():
        assert f'| `model_family="{family}"` | {_cells(spec)}' in MODELS
    assert f"`{DEFAULT_SPEC.context_window:,}` tokens of context" in MODELS


@pytest.mark.parametrize(
    "cls,base",
    [
        (ChatGloo, BaseChatModel),
        (ChatGravixLayer, BaseChatModel),
        (Gloo, FunctionCallingLLM),
        (GravixLayer, FunctionCallingLLM),
    ],
)
def test_api_reference_lists_every_public_field(cls, base):
    missing = [
        name
        for name, field in cls.model_fields.items()
        if name not in base.model_fields and f"`{field.alias or name}`" not in API
    ]
    assert not missing, f"docs/api.md does not list {cls.__name__} fields {missing}"


def _undocumented_fields(path: Path, classes: set[str]) -> list[str]:
    """Class-level annotated fields without an attribute docstring right after them."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    missing = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or node.name not in classes:
            continue
        body = node.body
        for i, stmt in enumerate(body):
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                name = stmt.target.id
                if name.startswith("_") or "ClassVar" in ast.unparse(stmt.annotation):
                    continue
                after = body[i + 1] if i + 1 < len(body) else None
                documented = (
                    isinstance(after, ast.Expr)
                    and isinstance(getattr(after, "value", None), ast.Constant)
                    and isinstance(after.value.value, str)
                )
                if not documented:
                    missing.append(f"{node.name}.{name}")
    return missing


def test_every_langchain_field_has_an_attribute_docstring():
    path = ROOT / "langchain_gloo_gravix" / "chat_models.py"
    assert not _undocumented_fields(path, {"_ChatGlooGravixBase", "ChatGloo", "ChatGravixLayer"})


@pytest.mark.parametrize("cls", [Gloo, GravixLayer])
def test_every_llama_index_field_has_a_description(cls):
    missing = [n for n, f in cls.model_fields.items() if n not in FunctionCallingLLM.model_fields and not f.description]
    assert not missing


def test_readme_keeps_two_commands_for_a_newcomer():
    section = README.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    first_block = section.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make demo", "make test"]


def test_readme_covers_install_catalog_troubleshooting_and_compatibility():
    for needle in (
        'pip install "langchain-gloo-gravix[langchain]"',
        '"langchain-gloo-gravix[llama-index]"',
        '"langchain-gloo-gravix[all]"',
        "create_agent",
        "## Compatibility",
        "llama-index-core",
        "langchain-core",
        "| Python |",
        "403",
        "503",
        "not_faith_specific",
        "--fail",
        "tool_choice",
    ):
        assert needle in README, needle
    for link in re.findall(r"\]\(((?:docs/|CHANGELOG)[^)#]+)", README):
        assert (ROOT / link).is_file(), link
    assert (ROOT / "CHANGELOG.md").read_text(encoding="utf-8").startswith("# Changelog")


def test_make_record_runs_a_module_that_exists():
    import importlib.util

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    modules = re.findall(r"python -m (tests\.[\w.]+)", makefile)
    assert modules, "the Makefile's record target no longer runs a tests module"
    for module in modules:
        assert importlib.util.find_spec(module) is not None, module
