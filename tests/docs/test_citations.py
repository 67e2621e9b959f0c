"""Every citation in the repository resolves inside the repository.

Code and docs cite ``docs/<file>.md#<anchor>``; the anchor must be a heading of that file (GitHub's
slug rules). Notes that live outside the repository (the shared research notes the project started
from) must not be cited at all: someone who clones the repo cannot read them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SCANNED_DIRS = ("langchain_gloo_gravix", "llama_index_ext", "tests", "benchmarks", "docs")
SCANNED_FILES = ("README.md", "Makefile", "pyproject.toml")
SUFFIXES = {".py", ".md", ".toml", ".txt", ".cfg", ".ini"}
# Written split so that this file does not cite them itself.
OUT_OF_REPO = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (r"provider" r"-apis", r"\bframe" r"works\.md", r"\barchi" r"tecture\.md", r"structure" r"-review")
)
# `docs/providers.md#streaming` in code, `](providers.md#streaming)` or `](#streaming)` in a doc page.
CODE_CITATION = re.compile(r"\bdocs/([\w.-]+\.md)#([\w-]+)")
MD_LINK = re.compile(r"\]\((?!https?:|/)([\w./-]*?\.md)?#([\w-]+)\)")
FENCE = re.compile(r"^(```|~~~)")


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = unicodedata.normalize("NFC", heading.strip().lower())
    kept = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


@lru_cache(maxsize=None)
def anchors_of(path: Path) -> frozenset[str]:
    """Every heading anchor of a Markdown file, duplicates numbered as GitHub does (``x``, ``x-1``)."""
    seen: dict[str, int] = {}
    found = set()
    in_fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.lstrip()):
            in_fence = not in_fence
            continue
        match = None if in_fence else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        slug = github_slug(match.group(1))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return frozenset(found)


def scanned_files() -> list[Path]:
    files = [ROOT / name for name in SCANNED_FILES if (ROOT / name).is_file()]
    for name in SCANNED_DIRS:
        for path in sorted((ROOT / name).rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts:
                files.append(path)
    return files


def _citations(path: Path, text: str) -> list[tuple[int, Path, str]]:
    """(line, target file, anchor) of every citation in ``text``."""
    found = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for doc, anchor in CODE_CITATION.findall(line):
            found.append((lineno, DOCS / doc, anchor))
        if path.suffix == ".md":
            for target, anchor in MD_LINK.findall(line):
                found.append((lineno, (path.parent / target) if target else path, anchor))
    return found


def test_github_slug_rules():
    assert github_slug("House style") == "house-style"
    assert github_slug("LangChain: `ChatGloo`, `ChatGravixLayer`") == "langchain-chatgloo-chatgravixlayer"
    assert github_slug("403") == "403"
    assert github_slug("V2 request") == "v2-request"
    assert github_slug("init_chat_model") == "init_chat_model"


def test_anchors_number_duplicates_and_skip_code_fences(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n## Errors\n```sh\n# not a heading\n```\n## Errors\n", encoding="utf-8")
    assert anchors_of(page) == {"title", "errors", "errors-1"}


def test_the_scan_finds_citations_in_code_and_in_pages():
    code = "x = 1  # see docs/providers.md#streaming and " + "docs/" + "nope.md#a-b\n"
    assert [(doc.name, anchor) for _, doc, anchor in _citations(ROOT / "x.py", code)] == [
        ("providers.md", "streaming"),
        ("nope.md", "a-b"),
    ]
    page = "See [here](providers.md#token), [there](#top) and [web](https://example.com/a.md#b).\n"
    got = [(doc.name, anchor) for _, doc, anchor in _citations(DOCS / "maintainers.md", page)]
    assert got == [("providers.md", "token"), ("maintainers.md", "top")]


@pytest.mark.parametrize("pattern", OUT_OF_REPO, ids=lambda p: p.pattern)
def test_no_citation_of_notes_outside_the_repository(pattern):
    offenders = [
        f"{path.relative_to(ROOT)}:{lineno}"
        for path in scanned_files()
        for lineno, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, f"cite docs/<file>.md#<anchor> or an upstream URL instead: {offenders}"


def test_every_docs_citation_resolves_to_a_heading():
    broken = []
    count = 0
    for path in scanned_files():
        for lineno, target, anchor in _citations(path, path.read_text(encoding="utf-8", errors="replace")):
            count += 1
            where = f"{path.relative_to(ROOT)}:{lineno}"
            if not target.is_file():
                broken.append(f"{where}: no file {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
            elif anchor not in anchors_of(target):
                broken.append(f"{where}: {target.name} has no heading #{anchor}")
    assert not broken, "\n".join(broken)
    assert count >= 50, f"only {count} citations found: is the scan still looking in the right places?"


@pytest.mark.parametrize("page", ["providers.md", "framework-notes.md", "maintainers.md"])
def test_cited_pages_exist_with_headings(page):
    assert len(anchors_of(DOCS / page)) >= 3


# `core/sender.py`, `langchain_gloo_gravix/emulator/routes.py`, `tests/support/backend.py` named in a doc page.
OWN_PATH = re.compile(
    r"`((?:core|langchain_gloo_gravix|llama_index_ext|tests/(?:support|adapters|core|docs))/[\w/.-]+\.py)`"
)


def test_source_files_named_in_the_docs_exist():
    missing = []
    for page in sorted(DOCS.glob("*.md")) + [ROOT / "README.md"]:
        for lineno, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            for name in OWN_PATH.findall(line):
                path = ROOT / "langchain_gloo_gravix" / name if name.startswith("core/") else ROOT / name
                if not path.is_file():
                    missing.append(f"{page.relative_to(ROOT)}:{lineno}: {name}")
    assert not missing, "\n".join(missing)
