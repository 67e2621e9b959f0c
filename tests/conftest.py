"""Shared test configuration, for every layer.

- ``clean_env`` (autouse): no test inherits credentials, base URLs, model defaults or proxies from the
  developer's shell (the list: tests/support/env.py).
- ``sleeps`` (autouse): the retry loop's default sleeps are recorded instead of slept, so no test waits
  for a backoff; a test that asserts on the delays asks for the fixture by name.
- ``emulator``: one embedded emulator per test module, on 127.0.0.1, cleared before each test that uses it.
- Cassettes: replay in CI, recording with ``make record`` (tests/support/record.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.backend import RECORD
from tests.support.cassette_format import PrettyYAMLSerializer, json_body_matcher, scrub_request, scrub_response
from tests.support.env import ENV_VARS, PACKAGE_ENV_VARS
from tests.support.sleeps import Sleeps

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"


def pytest_recording_configure(config, vcr):
    # Registered under the name "yaml": pytest-recording derives the cassette file
    # suffix from the serializer name (and "rewrite" deletes by that name).
    vcr.register_serializer("yaml", PrettyYAMLSerializer)
    vcr.register_matcher("json_body", json_body_matcher)


SCRIPTED_HOST = "scripted.test"


@pytest.fixture(scope="module")
def vcr_config():
    return {
        # CI replays only: an interaction missing from a cassette is an error.
        "record_mode": "rewrite" if RECORD else "none",
        "serializer": "yaml",
        "match_on": ["method", "path", "query", "json_body"],
        "filter_headers": [("authorization", "REDACTED"), ("x-api-key", "REDACTED"), ("api-key", "REDACTED")],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
        "allow_playback_repeats": False,
        # answered by an in-process httpx.MockTransport (tests/support/parity_server.py), never recorded
        "ignore_hosts": [SCRIPTED_HOST],
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request):
    return str(CASSETTES / request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture(autouse=True)
def _fresh_token_cache():
    """Gloo tokens are cached process-wide; each test starts cold so that its
    cassette always holds (and replays) its own token request."""
    from langchain_gloo_gravix.core import token_cache as auth

    auth._caches.clear()
    yield
    auth._caches.clear()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """A developer's real credentials, base URLs or proxies must never leak into (or change) a test.

    Returns ``monkeypatch``, so a test that needs a variable sets it with ``clean_env.setenv``."""
    # A live recording (``make record`` with credentials) goes through the developer's proxy, if any.
    for name in PACKAGE_ENV_VARS if RECORD == "live" else ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture(autouse=True)
def sleeps(monkeypatch) -> Sleeps:
    """The sender's default sleeps (clients built without ``sleep=``), recorded: no test sleeps for real.

    Narrow on purpose: only the retry loop's sleep lookup is replaced, never ``time.sleep`` process-wide."""
    from langchain_gloo_gravix.core import sender

    recorded = Sleeps()
    monkeypatch.setattr(sender, "_sleep", recorded)
    monkeypatch.setattr(sender, "_async_sleep", recorded.async_)
    return recorded


@pytest.fixture(scope="module")
def emulator():
    """The embedded emulator of the three services, one per test module, on an ephemeral loopback port."""
    from langchain_gloo_gravix.emulator import Emulator

    with Emulator(port=0) as emu:
        yield emu


@pytest.fixture(autouse=True)
def _fresh_emulator(request):
    """Recorded requests and pending faults never leak from one test into the next."""
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").clear()


@pytest.fixture(autouse=True)
def _fresh_registry_cache():
    """Gloo's model registry is cached process-wide for five minutes (core/registry.py); each
    test starts cold, so that whether an answer carries a ``cost`` never depends on test order."""
    from langchain_gloo_gravix.core.registry import REGISTRY

    REGISTRY.clear()
    yield
    REGISTRY.clear()
