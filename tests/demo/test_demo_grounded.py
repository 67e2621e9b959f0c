"""The grounded part of `make demo` shows an answer with its sources (offline)."""

from __future__ import annotations

import pytest

from langchain_gloo_gravix import demo
from langchain_gloo_gravix.emulator import Emulator

# the demo is what a newcomer copies: it must not trip the package's own warnings about risky settings
pytestmark = pytest.mark.filterwarnings("error::langchain_gloo_gravix.core.warnings.GlooGravixWarning")


def test_demo_grounded_step_prints_sources(capsys, monkeypatch):
    with demo._backends(offline=True) as backends:
        demo._grounded(backends["gloo"])
    out = capsys.readouterr().out
    assert "6. Grounded completion with sources" in out
    assert "sources_returned: True" in out
    assert "  [1] Matthew 6:14 (KJV)  https://corpus.emulator.invalid/GlooGrounded/kjv/matthew-6-14" in out
    assert 'answer: From GlooGrounded, Matthew 6:14 (KJV): "For if ye forgive men' in out
    assert Emulator.CLIENT_SECRET not in out
