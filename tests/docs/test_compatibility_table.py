"""The README's compatibility tables say what pyproject.toml declares and what the matrix run saw."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
    supported = SECTION.split(START, 1)[0]  # the first table; the matrix's comes after its marker
    rows = [line for line in supported.splitlines() if line.startswith(f"| {name} ")]
    assert len(rows) == 1, name
    return rows[0]


def test_the_supported_ranges_are_the_declared_ones():
    for name in PACKAGES:
        floor, ceiling = _declared(name)
        assert f">= {floor}, < {ceiling}" in _supported_row(name), name
    assert 'requires-python = ">=3.10"' in PYPROJECT
    minors = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', PYPROJECT)
    assert f"| {minors[0]} – {minors[-1]} |" in _supported_row("Python")


def _matrix_rows() -> list[dict[str, str]]:
    table = SECTION.split(START, 1)[1].split(END, 1)[0].strip().splitlines()
    header = [c.strip() for c in table[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in line.strip("|").split("|")))) for line in table[2:]]


@pytest.mark.matrix_table
def test_the_tested_table_covers_every_supported_python_at_both_ends():
    rows = _matrix_rows()
    minors = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', PYPROJECT)
    seen = {(r["Python"].rsplit(".", 1)[0], r["deps"]) for r in rows}
    assert {(m, d) for m in minors for d in ("lowest", "newest")} <= seen, seen
    for row in rows:
        assert re.match(r"\d+ passed", row["result"]) and not re.search(r"\b\d+ (failed|errors?)\b", row["result"]), row


@pytest.mark.matrix_table
def test_the_lowest_runs_used_exactly_the_declared_floors():
    for row in _matrix_rows():
        if row["deps"] == "lowest":
            for name in PACKAGES:
                assert row[name] == _declared(name)[0], (row["Python"], name, row[name])
