"""The ``Emulator``: lifecycle, shared state and the public test hooks."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .auth import DEFAULT_SCOPES, TokenStore, org_id_for
from .embeddings import MAX_BATCH as EMBEDDING_MAX_BATCH
from .faults import Fault, FaultQueue
from .grounding import Publishers, load_jsonl
from .model import ScriptedModel
from .server import EmulatorHTTPServer


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received. ``headers`` keys are lower case; ``json`` is
    the parsed body or None; ``path`` excludes the query string."""

    method: str
    path: str
    headers: dict
    body: bytes
    json: Any
    query: str = ""


class Emulator:
    """Local stand-in for Gloo AI (OAuth, v1, v2, grounded v2, model registry) and Gravix.

    ``Emulator(port=0)`` picks a free port; use ``start()``/``stop()`` or a
    ``with`` block. Binds 127.0.0.1 only. Deterministic: ids come from
    counters and replies from the request text.
    """

    CLIENT_ID = "emulator-client-id"
    CLIENT_SECRET = "emulator-client-secret"
    GLOO_API_KEY = "emulator-gloo-key"
    GRAVIX_API_KEY = "emulator-gravix-key"

    def __init__(self, port: int = 0, token_lifetime: int = 3600) -> None:
        self._requested_port = int(port)
        self._tokens = TokenStore(token_lifetime)
        self._faults = FaultQueue()
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._counters: dict[str, int] = {}
        self._model = ScriptedModel(lambda: f"call_emu{self._next('call'):06d}")
        self._publishers = Publishers()
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = self._requested_port
        self.log_requests = False  # the CLI turns this on
        #: inputs per embeddings request; more are answered 413 (tests lower it to exercise splitting).
        self.embedding_max_batch = EMBEDDING_MAX_BATCH
        #: scopes the OAuth client is granted when its token request names none; a client
        #: without ``api/access`` gets tokens that completions refuse with 403.
        self.client_scopes: tuple[str, ...] = DEFAULT_SCOPES

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> "Emulator":
        if self._server is not None:
            return self
        self._server = EmulatorHTTPServer(self, self._requested_port)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"emulator-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Gloo host root (``GLOO_BASE_URL``)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def gloo_base_url(self) -> str:
        return self.base_url

    @property
    def gravix_base_url(self) -> str:
        """OpenAI-SDK style base for Gravix (docs/providers.md#gravix-base-url): ``/v1/inference``."""
        return self.base_url + "/v1/inference"

    # -- test hooks ----------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of recorded requests, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def org_id(self) -> str:
        """The ``org_id`` claim of the tokens minted for :attr:`CLIENT_ID`."""
        return org_id_for(self.CLIENT_ID)

    @property
    def tokens_issued(self) -> int:
        return self._tokens.issued

    def clear(self) -> None:
        """Forget recorded requests and pending faults (tokens stay valid)."""
        with self._lock:
            self._requests.clear()
        self._faults.clear()

    def inject(self, *faults: Fault, path: str | None = None) -> None:
        """Queue faults; each next request (to ``path`` if given) takes one."""
        self._faults.push(faults, path)

    def register_publisher(self, name: str, documents: "Iterable[Any] | str | Path") -> int:
        """Make ``name`` a ``rag_publisher`` of the grounded route.

        ``documents`` are strings or dicts with ``text`` (and optional ``id``,
        ``title``, ``url``), or the path of a JSON-lines file of them. Replaces a
        publisher of the same name (``GlooGrounded`` included). Returns the count.
        """
        if isinstance(documents, (str, Path)):
            documents = load_jsonl(documents)
        return self._publishers.register(name, documents)

    @property
    def publishers(self) -> list[str]:
        """Names the grounded route accepts as ``rag_publisher``."""
        return self._publishers.names()

    def inject_for_chat(self, *faults: Fault, path: str | None = None) -> None:
        """Queue faults for the next chat-completions requests only (token, model-list
        and control requests pass untouched); ``path`` narrows it to one endpoint."""
        from .routes import CHAT_PATHS

        self._faults.push(faults, path or CHAT_PATHS)

    def fail_next(self, *specs: str, path: str | None = None) -> None:
        """``fail_next("429", "503")``: the next chat requests fail that way, in order
        (spellings in :meth:`Fault.from_spec`); then requests succeed again."""
        self.inject_for_chat(*(Fault.from_spec(spec) for spec in specs), path=path)

    def expire_tokens(self) -> None:
        """Every token issued so far is now expired (next use -> 401)."""
        self._tokens.expire_all()

    # -- internals used by server/routes -------------------------------------

    def _next(self, name: str) -> int:
        with self._lock:
            self._counters[name] = self._counters.get(name, 0) + 1
            return self._counters[name]

    def _record(self, method: str, path: str, query: str, headers: dict, body: bytes) -> RecordedRequest:
        try:
            parsed = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            parsed = None
        record = RecordedRequest(method, path, headers, body, parsed, query)
        with self._lock:
            self._requests.append(record)
        return record

    def __repr__(self) -> str:
        state = "running" if self._server is not None else "stopped"
        return f"<Emulator {self.base_url} {state}>"
