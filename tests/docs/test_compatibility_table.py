"""The README's compatibility tables say what pyproject.toml declares and what the matrix run saw."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
SECTION = README.split("## Compatibility", 1)[1].split("\n## ", 1)[0]
START, END = "<!-- compatibility-table:start (written by `make matrix`) -->", "<!-- compatibility-table:end -->"
PACKAGES = ("langchain-core", "langchain", "langgraph", "llama-index-core", "httpx", "pydantic")


def _declared(name: str) -> tuple[str, str]:
    """(floor, ceiling) of ``name`` as pyproject.toml declares it (the same in every extra)."""
    found = set(re.findall(rf'"{re.escape(name)}>=([\d.]+),<([\d.]+)"', PYPROJECT))
    assert len(found) == 1, (name, found)
    return found.pop()


def _supported_row(name: str) -> str:
    rows = [line for line in SECTION.splitlines() if line.startswith(f"| {name} ")]
    assert len(rows) == 1, name
    return rows[0]


def test_the_supported_ranges_are_the_declared_ones():
    for name in PACKAGES:
        floor, ceiling = _declared(name)
        assert f">= {floor}, < {ceiling}" in _supported_row(name), name
    assert 'requires-python = ">=3.10"' in PYPROJECT
    minors = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', PYPROJECT)
    assert f"| {minors[0]} – {minors[-1]} |" in _supported_row("Python")
