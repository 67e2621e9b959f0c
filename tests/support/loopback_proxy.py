"""A forwarding HTTP proxy on 127.0.0.1 that records what passes through it (tests only).

It takes absolute-form requests (``POST http://127.0.0.1:PORT/path HTTP/1.1``), as httpx sends them to an
``http://`` proxy for ``http://`` targets, forwards each to its target with ``http.client``, reads the whole
answer (a finite stream included) and sends it back with a ``Content-Length``. Bounded: one target read per
request, with a socket timeout; the server threads are daemons and :meth:`RecordingProxy.stop` joins them.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import urlsplit

_HOP_BY_HOP = {
    "connection",
    "proxy-connection",
    "keep-alive",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
}


@dataclass(frozen=True)
class Passed:
    """One request that went through the proxy."""

    method: str
    url: str
    path: str
    headers: dict[str, str]
    status: int


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = urlsplit(self.path)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        status, reason, answer_headers, answer = 502, "Bad Gateway", [], b""
        try:
            conn = http.client.HTTPConnection(target.hostname or "", target.port or 80, timeout=30)
            try:
                path = target.path + (f"?{target.query}" if target.query else "")
                conn.request(self.command, path or "/", body=body or None, headers=headers)
                response = conn.getresponse()
                status, reason = response.status, response.reason
                answer_headers = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
                answer = response.read()
            finally:
                conn.close()
        except OSError:
            pass
        self.server.record(
            Passed(
                self.command,
                self.path,
                target.path,
                {k.lower(): v for k, v in self.headers.items()},
                status,
            )
        )
        self.send_response(status, reason)
        for name, value in answer_headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST = _forward


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.passed: list[Passed] = []

    def record(self, passed: Passed) -> None:
        with self.lock:
            self.passed.append(passed)


class RecordingProxy:
    def __init__(self) -> None:
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    def start(self) -> "RecordingProxy":
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def url(self, userinfo: str = "") -> str:
        assert self._server is not None
        return f"http://{userinfo + '@' if userinfo else ''}127.0.0.1:{self._server.server_address[1]}"

    @property
    def passed(self) -> list[Passed]:
        assert self._server is not None
        with self._server.lock:
            return list(self._server.passed)

    def clear(self) -> None:
        assert self._server is not None
        with self._server.lock:
            self._server.passed.clear()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
