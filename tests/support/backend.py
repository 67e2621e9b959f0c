"""Where tests that use cassettes point, and with which credentials.

Replay (the default, and always in CI): placeholder URLs and the emulator's
public test credentials; nothing leaves the process, vcrpy answers.
Recording (``make record``): ``LGG_RECORD=emulator`` starts the local emulator
once per session; ``LGG_RECORD=live`` uses the real services and the
credentials in the environment. Cassettes match on method, path and body, so
the host and port of a recording do not matter on replay.
"""

from __future__ import annotations

import atexit
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

RECORD = os.environ.get("LGG_RECORD", "").strip().lower()  # "", "emulator" or "live"
if RECORD not in ("", "emulator", "live"):
    raise RuntimeError(f"LGG_RECORD must be 'emulator' or 'live', got {RECORD!r}")

#: the environment as the session started: tests run with credentials removed (tests/conftest.py's
#: ``clean_env``), so a live recording reads its credentials from this snapshot.
_ENV = dict(os.environ)

REPLAY_HOST = "http://127.0.0.1:8787"
#: how the cassettes' Gloo traffic was authenticated, written by tests/support/record.py:
#: replay must use the same flow (OAuth cassettes hold token requests, key ones do not).
RECORDED_WITH = Path(__file__).resolve().parents[2] / "cassettes" / "recorded-with.json"


@dataclass(frozen=True)
class Backend:
    gloo_base_url: str
    gravix_base_url: str
    client_id: str
    client_secret: str
    gravix_api_key: str
    gravix_model: str
    gloo_api_key: Optional[str] = None
    gravix_embedding_model: str = "microsoft/multilingual-e5-large"

    def gloo_credentials(self) -> dict[str, Any]:
        """Constructor arguments for Gloo: a static key if recorded with one, else OAuth."""
        if self.gloo_api_key:
            return {"api_key": self.gloo_api_key}
        return {"client_id": self.client_id, "client_secret": self.client_secret}


_backend: Optional[Backend] = None


def backend() -> Backend:
    """The backend for this session (started on first use when recording from the emulator)."""
    global _backend
    if _backend is not None:
        return _backend
    if RECORD == "live":
        _backend = Backend(
            gloo_base_url=_ENV.get("GLOO_BASE_URL", "https://platform.ai.gloo.com"),
            gravix_base_url=_ENV.get("GRAVIXLAYER_BASE_URL", "https://api.gravixlayer.com/v1/inference"),
            client_id=_ENV.get("GLOO_CLIENT_ID") or _ENV.get("GLOO_AI_CLIENT_ID", ""),
            client_secret=_ENV.get("GLOO_CLIENT_SECRET") or _ENV.get("GLOO_AI_CLIENT_SECRET", ""),
            gloo_api_key=_ENV.get("GLOO_API_KEY") or None,
            gravix_api_key=_ENV["GRAVIXLAYER_API_KEY"],
            gravix_model=_ENV.get("GRAVIXLAYER_MODEL", "meta-llama/llama-3.1-8b-instruct"),
            gravix_embedding_model=_ENV.get("GRAVIXLAYER_EMBEDDING_MODEL", "microsoft/multilingual-e5-large"),
        )
    elif RECORD == "emulator":
        from langchain_gloo_gravix.emulator import Emulator

        emulator = Emulator(port=0)
        emulator.start()
        atexit.register(emulator.stop)
        _backend = Backend(
            gloo_base_url=emulator.gloo_base_url,
            gravix_base_url=emulator.gravix_base_url,
            client_id=Emulator.CLIENT_ID,
            client_secret=Emulator.CLIENT_SECRET,
            gravix_api_key=Emulator.GRAVIX_API_KEY,
            gravix_model="meta-llama/llama-3.1-8b-instruct",
        )
    else:
        recorded = json.loads(RECORDED_WITH.read_text()) if RECORDED_WITH.exists() else {}
        _backend = Backend(
            gloo_api_key="replay-gloo-key" if recorded.get("gloo_auth") == "api_key" else None,
            gloo_base_url=REPLAY_HOST,
            gravix_base_url=REPLAY_HOST + "/v1/inference",
            client_id="emulator-client-id",
            client_secret="emulator-client-secret",
            gravix_api_key="emulator-gravix-key",
            gravix_model="meta-llama/llama-3.1-8b-instruct",
        )
    return _backend
