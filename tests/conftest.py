"""Shared test configuration: cassette replay (CI) and recording (``make record``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backend import RECORD
from tests.cassette_format import PrettyYAMLSerializer, json_body_matcher, scrub_request, scrub_response

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
        # answered by an in-process httpx.MockTransport (tests/parity_server.py), never recorded
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
def _fresh_registry_cache():
    """Gloo's model registry is cached process-wide for five minutes (core/registry.py); each
    test starts cold, so that whether an answer carries a ``cost`` never depends on test order."""
    from langchain_gloo_gravix.core.registry import REGISTRY

    REGISTRY.clear()
    yield
    REGISTRY.clear()
