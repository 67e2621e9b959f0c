"""Ready to publish: the wheel and sdist build, pass ``twine check``, hold what they should, and the
wheel installed into a fresh virtualenv imports every public name and runs.

The sdist carries the package and its docs and none of the test suite (MANIFEST.in): the suite
needs the checkout (cassettes, emulator fixtures, recorded examples), and a partial copy could not
run. Slow (a build, an install): marked ``packaging``, run by ``make test-packaging`` and CI.
"""

from __future__ import annotations

import email
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("langchain_gloo_gravix", "llama_index_ext")
# Every module whose __all__ is public API (README, docs/api.md).
PUBLIC_MODULES = (
    "langchain_gloo_gravix",
    "langchain_gloo_gravix.core",
    "langchain_gloo_gravix.emulator",
    "llama_index_ext",
)


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc


def _uv() -> str:
    here = Path(sys.executable).parent / "uv"
    found = str(here) if here.is_file() else shutil.which("uv")
    assert found, "uv is needed (the `release` dependency group)"
    return found


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    # the same build as `make dist`
    _run([sys.executable, "-m", "build", "--installer", "uv", "--outdir", str(out), str(ROOT)])
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


def _package_files() -> set[str]:
    return {
        p.relative_to(ROOT).as_posix()
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def test_twine_check_passes(dist):
    proc = _run([sys.executable, "-m", "twine", "check", "--strict", str(dist["wheel"]), str(dist["sdist"])])
    assert proc.stdout.count("PASSED") == 2, proc.stdout


def test_the_wheel_holds_every_module_and_the_type_markers(dist):
    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    assert _package_files() <= names, sorted(_package_files() - names)
    assert {"langchain_gloo_gravix/py.typed", "llama_index_ext/py.typed"} <= names
    assert not [n for n in names if n.startswith(("tests/", "cassettes/", "benchmarks/", "scripts/"))]


def test_the_sdist_holds_the_package_and_docs_and_none_of_the_test_suite(dist):
    with tarfile.open(dist["sdist"]) as tar:
        top = tar.getnames()[0].split("/")[0]
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert _package_files() <= names, sorted(_package_files() - names)
    for required in ("README.md", "LICENSE", "CHANGELOG.md", "pyproject.toml", "docs/api.md"):
        assert required in names, required
    assert not [n for n in names if n.split("/")[0] in ("tests", "cassettes", "benchmarks", "scripts", ".ci")]
    assert top.startswith("langchain_gloo_gravix-")


def test_the_metadata_is_ready_for_the_index(dist):
    with zipfile.ZipFile(dist["wheel"]) as whl:
        meta_name = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.message_from_string(whl.read(meta_name).decode())
    classifiers = meta.get_all("Classifier")
    assert "Typing :: Typed" in classifiers
    for minor in ("3.10", "3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {minor}" in classifiers
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert {"Homepage", "Repository", "Documentation", "Changelog", "Issues"} <= set(urls)
    # dev tools are dependency groups, never published: only the framework extras are
    assert set(meta.get_all("Provides-Extra")) == {"langchain", "llama-index", "all"}
    requires = meta.get_all("Requires-Dist")
    assert not [r for r in requires if "==" in r.split(";")[0]], requires  # no exact pins published
    assert not [r for r in requires if r.split()[0] in ("pytest", "ruff", "mypy", "vcrpy", "langchain-tests")]
    # the README on the index has no relative links (they would be dead there)
    description = meta.get_payload()
    assert "](docs/" not in description and "](CHANGELOG" not in description


def test_the_wheel_installs_in_a_fresh_venv_and_every_public_name_imports(dist, tmp_path):
    uv = _uv()
    venv = tmp_path / "venv"
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], env=env)
    py = str(venv / "bin" / "python")
    _run([uv, "pip", "install", "--quiet", "--python", py, f"{dist['wheel']}[all]"], env=env)
    script = f"""
import importlib, json
out = {{}}
for name in {list(PUBLIC_MODULES)!r}:
    module = importlib.import_module(name)
    out[name] = {{"file": module.__file__, "names": [n for n in module.__all__ if getattr(module, n) is not None]}}
print(json.dumps(out))
"""
    # run outside the checkout, so that nothing can be imported from it
    proc = _run([py, "-c", script], cwd=tmp_path, env=env)
    found = json.loads(proc.stdout)
    import importlib

    for name in PUBLIC_MODULES:
        assert found[name]["file"].startswith(str(venv)), found[name]["file"]
        assert found[name]["names"] == list(importlib.import_module(name).__all__)
    # and the installed package works: the CLI against the embedded emulator
    chat = _run(
        [py, "-m", "langchain_gloo_gravix", "chat", "Hello", "--endpoint", "gravix", "--emulator"],
        cwd=tmp_path,
        env=env,
    )
    assert chat.stdout.strip(), chat
