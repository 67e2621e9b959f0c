"""Cassettes never hold a live credential, and every one of them parses."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
import yaml

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
FILES = sorted(CASSETTES.rglob("*.yaml"))

# Values the emulator and tests use openly; anything else that looks like a
# credential is treated as live.
_ALLOWED = {"REDACTED", "PLACEHOLDER", "replay-gloo-key"}
_BEARER = re.compile(r"^(bearer|basic)\s+(\S+)$", re.IGNORECASE)
_JSON_SECRET = re.compile(r'"(access_token|refresh_token|client_secret|api_key|id_token)"\s*:\s*"([^"]*)"')
_FORM_SECRET = re.compile(r"(client_secret|client_id|api_key)=([^&\s]+)")
_KEY_SHAPES = re.compile(
    r"\b(sk-[A-Za-z0-9]{16,}|tg_api_key_[A-Za-z0-9]{8,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"
)


def test_there_are_cassettes():
    assert len(FILES) > 50, "the cassette set looks truncated"


def problems_in(text: str) -> list[str]:
    """Everything in a cassette's text that looks like a live credential."""
    data = yaml.safe_load(text)
    problems = [] if data.get("interactions") else ["empty cassette"]
    for interaction in data.get("interactions") or ():
        for side in ("request", "response"):
            headers = interaction[side].get("headers") or {}
            for name, values in headers.items():
                if name.lower() in ("authorization", "x-api-key", "api-key", "cookie", "set-cookie"):
                    for value in values:
                        match = _BEARER.match(value)
                        token = match.group(2) if match else value
                        if token not in _ALLOWED:
                            problems.append(f"{side} header {name}: {value[:12]}...")
    for match in _JSON_SECRET.finditer(text):
        if match.group(2) not in _ALLOWED:
            problems.append(f"JSON field {match.group(1)} holds a value")
    for match in _FORM_SECRET.finditer(text):
        if match.group(2) not in _ALLOWED:
            problems.append(f"form field {match.group(1)} holds a value")
    for match in _KEY_SHAPES.finditer(text):
        problems.append(f"key-shaped string {match.group(0)[:8]}...")
    return problems


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CASSETTES)))
def test_cassette_has_no_live_secret(path: Path):
    assert not problems_in(path.read_text())


def test_the_scan_finds_each_kind_of_leak():
    """The scan must be able to fail: a clean cassette passes, each leak is caught."""
    clean = (CASSETTES / "published" / "gloo_v2.yaml").read_text()
    assert problems_in(clean) == []
    token = base64.b64encode(b"x" * 30).decode()
    leaks = {
        "header": clean.replace("- REDACTED", f"- Bearer {token}", 1),
        "json": clean.replace('"id": "chatcmpl-abc123"', f'"access_token": "{token}"', 1),
        "form": clean.replace('"auto_routing": true', f'"note": "client_secret={token}"', 1),
        "key shape": clean.replace("forgiveness?", "sk-" + "a" * 24, 1),
    }
    for kind, text in leaks.items():
        assert text != clean, kind
        assert problems_in(text), f"the scan missed a {kind} leak"
