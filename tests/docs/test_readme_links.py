"""The README is also the package's page on the index, where a relative link is dead: every link
is absolute, and those into this repository name a file that exists here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
LINKS = re.findall(r"\]\(([^)\s]+)\)", README)


def test_every_readme_link_is_absolute():
    relative = [link for link in LINKS if not link.startswith(("https://", "http://", "#"))]
    assert not relative, f"relative links break on the package index: {relative}"


def test_links_into_the_repository_name_files_that_exist():
    repository = re.search(r'^Repository = "([^"]+)"', PYPROJECT, re.M).group(1)
    prefix = f"{repository}/blob/main/"
    ours = [link for link in LINKS if link.startswith(prefix)]
    assert ours, "the README links no repository file"
    for link in ours:
        path = link[len(prefix) :].split("#", 1)[0]
        assert (ROOT / path).is_file(), link
