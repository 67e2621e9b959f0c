from __future__ import annotations

import pytest

from langchain_gloo_gravix.emulator import Emulator


@pytest.fixture(scope="module")
def emulator():
    with Emulator(port=0) as emu:
        yield emu


@pytest.fixture(autouse=True)
def _clean_emulator(request):
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").clear()
    yield
