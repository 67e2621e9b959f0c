"""HTTP/1.1 plumbing: read requests, write JSON and chunked SSE replies.

Stdlib only. Keep-alive is on (``protocol_version = "HTTP/1.1"``); JSON
replies carry ``Content-Length`` and streams use ``Transfer-Encoding:
chunked`` with one HTTP chunk per SSE event, like the real services.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .routes import JsonReply, SseReply, dispatch

if TYPE_CHECKING:
    from .emulator import Emulator


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # batch tests open many connections at once

    def __init__(self, emulator: "Emulator", port: int) -> None:
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), Handler)  # loopback only

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients dropping idle keep-alive connections is normal; only real
        # failures deserve a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Drop open keep-alive connections so ``stop()`` really stops."""
        with self.connections_lock:
            conns = list(self.connections)
            self.connections.clear()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GlooGravixEmulator/0.1"
    sys_version = ""
    # Headers and body go out in separate writes; without TCP_NODELAY each
    # small reply can stall ~40 ms on delayed ACKs.
    disable_nagle_algorithm = True
    server: EmulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if self.server.emulator.log_requests:
            sys.stderr.write(f"[emulator] {self.address_string()} {format % args}\n")

    # -- request ---------------------------------------------------------------

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        emu = self.server.emulator
        body = self._read_body()
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        request_id = f"emu-req-{emu._next('request'):06d}"
        record = emu._record(self.command, url.path, url.query, headers, body)
        try:
            reply = dispatch(emu, record, request_id)
        except Exception as exc:  # surface emulator bugs as a 500, not a hang
            traceback.print_exc(file=sys.stderr)
            reply = JsonReply(500, {"detail": f"emulator error: {exc!r}"})
        try:
            if isinstance(reply, SseReply):
                self._write_sse(reply, request_id)
            else:
                self._write_json(reply, request_id)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- responses -------------------------------------------------------------

    def _write_json(self, reply: JsonReply, request_id: str) -> None:
        if isinstance(reply.body, (bytes, bytearray)):
            data = bytes(reply.body)
        elif isinstance(reply.body, str):
            data = reply.body.encode("utf-8")
        else:
            data = json.dumps(reply.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", request_id)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _write_sse(self, reply: SseReply, request_id: str) -> None:
        eol = "\r\n" if reply.crlf else "\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", request_id)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        pings = reply.pings
        for i, event in enumerate(reply.events):
            payload = event if isinstance(event, str) else json.dumps(event, ensure_ascii=False, separators=(",", ":"))
            self._chunk(f"data: {payload}{eol}{eol}")
            if pings and i < len(reply.events) - 1:
                # SSE comment lines between events, as keep-alive proxies
                # send; clients must skip non-data lines (docs/providers.md#streaming).
                self._chunk(f": ping{eol}{eol}")
                pings -= 1
        while pings:
            self._chunk(f": ping{eol}{eol}")
            pings -= 1
        if reply.cut:
            # Transport disconnect without a structured error (docs/providers.md#stream-errors,
            # phase 3): no terminating zero-length chunk, just EOF.
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, text: str) -> None:
        data = text.encode("utf-8")
        self.wfile.write(f"{len(data):X}\r\n".encode("ascii") + data + b"\r\n")
        self.wfile.flush()
