"""Typed use: a script written from the README and docs/api.md passes ``mypy --strict`` with no
mypy plugin, as a user's project would check it (the package installed, the script outside it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "typed_script" / "readme_usage.py"


@pytest.mark.packaging
def test_a_script_written_from_the_readme_passes_mypy_strict_without_the_pydantic_plugin(tmp_path):
    shutil.copy(SCRIPT, tmp_path / "app.py")
    (tmp_path / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")  # no plugins, nothing else
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            "mypy.ini",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--python-executable",
            sys.executable,
            "app.py",
        ],
        cwd=tmp_path,  # outside the checkout: the package is read as installed, like a user's
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found in 1 source file" in proc.stdout


def test_the_typed_script_covers_the_documented_constructor_words():
    text = SCRIPT.read_text(encoding="utf-8")
    for needle in (
        'api_key="..."',
        'client_secret="my-secret"',
        'stop=["',
        "api_key=SecretStr(",
        "batch_size=",
        "GravixLayerEmbedding(",
        "Gloo(",
        "GravixLayer(",
        "Client(",
        "Emulator()",
    ):
        assert needle in text, needle
