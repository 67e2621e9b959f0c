"""The package's shape, checked statically: no import cycle, one public list in the core.

Every import counts, at module level and inside functions (a lazy import that reaches back up is still a
cycle: the old ``_base.py`` <-> ``stream_state.py`` was one), except those under ``if TYPE_CHECKING:``, which
never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import langchain_gloo_gravix
import langchain_gloo_gravix.core as core

ROOT = Path(langchain_gloo_gravix.__file__).parent.parent
PACKAGES = ("langchain_gloo_gravix", "llama_index_ext")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module) -> list[ast.stmt]:
    """Every import statement that can run: anywhere in the module, except under ``if TYPE_CHECKING:``."""
    found: list[ast.stmt] = []

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if _is_type_checking(node):
                for stmt in node.orelse:
                    self.visit(stmt)
            else:
                self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.append(node)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            found.append(node)

    Visitor().visit(tree)
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        for node in _imports(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                submodules = [f"{stem}.{alias.name}" for alias in node.names if f"{stem}.{alias.name}" in files]
                # ``from . import submodule`` needs only the submodule (its package is always imported first);
                # any other name needs the module that defines it
                targets = submodules if len(submodules) == len(node.names) else [stem, *submodules]
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle (as a path that returns to its start), or []."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def test_no_import_cycle_in_the_package():
    graph = _graph()
    assert "langchain_gloo_gravix.core.client" in graph  # the scan sees the package
    assert "langchain_gloo_gravix.core.sender" in graph["langchain_gloo_gravix.core.client"]
    cycle = _cycle(graph)
    assert cycle == [], "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_sender_knows_nothing_about_streams():
    sender = _graph()["langchain_gloo_gravix.core.sender"]
    stream_modules = {"accumulator", "stream_state", "stream_drivers", "sse"}
    assert not {m.rpartition(".")[2] for m in sender} & stream_modules


def _type_checking_names() -> set[str]:
    tree = ast.parse(Path(core.__file__).read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom):
                    names.update(alias.asname or alias.name for alias in stmt.names)
    return names


def test_core_public_names_are_listed_once_and_resolve():
    assert len(core.__all__) == len(set(core.__all__))
    internals = {"SyncSender", "AsyncSender", "ClientCache", "StreamAccumulator", "ClientSettings"}
    assert not internals & set(core.__all__)
    # the type checkers' view names exactly the public list (plus the one name kept for compatibility)
    assert _type_checking_names() == set(core.__all__) | set(core._KEPT)
    for name in core.__all__:
        assert getattr(core, name) is not None
