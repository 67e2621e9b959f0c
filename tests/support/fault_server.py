"""A hostile HTTP/1.1 server of our own: raw asyncio on 127.0.0.1, in a background thread, scriptable.

Each request is answered by ``script(kind, n)``, which returns an :class:`Action` for the ``n``-th request of
that ``kind`` (``"token"``, ``"chat"``, ``"models"``, ``"other"``; the path decides, also for proxy-form
request lines, so the server doubles as an HTTP proxy). Actions: answer, hang, trickle a body, trickle the
header block, stream events then stall / trickle / close / cut off, reset the connection, answer twice (bytes
after the response: a desynchronised server). Every ``{nonce}`` in an answer is replaced by the text of the
request's last message, so that a test can tell whose answer a caller got.

Every loop is bounded in count and time: a connection serves at most ``MAX_REQUESTS`` requests, every wait is
bounded by the server's ``lifetime`` (default 30 s), after which the server stops by itself; ``stop()`` (or
leaving the ``with`` block) stops it at once and joins the thread.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

MAX_REQUESTS = 1000
MAX_HEADER_BYTES = 65536


@dataclass
class Action:
    """What to do with one request. Build with the helpers below."""

    kind: str  # "reply", "hang", "trickle", "stream", "reset"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    interval: float = 0.05
    step: int = 1
    events: list[bytes] = field(default_factory=list)
    then: str = "close"  # for streams: "close", "stall", "ping", "trickle", "slow" (events spaced by interval)
    spaced: bool = False  # for streams: each event in its own write, ``interval`` apart (one network read each)
    hold: float = 0.0  # for "slow" streams: how long to keep sending
    extra: bytes = b""  # written after the response ("reply"): a second answer to the same request
    extra_delay: float = 0.0  # seconds between the response and ``extra`` (0: in the same write)


def reply(status: int = 200, body: Any = None, headers: Optional[dict[str, str]] = None) -> Action:
    raw = body if isinstance(body, bytes) else json.dumps(body if body is not None else {}).encode()
    return Action("reply", status=status, body=raw, headers={"content-type": "application/json", **(headers or {})})


def token(value: str = "tok-fault", expires_in: Any = 3600) -> Action:
    return reply(200, {"access_token": value, "token_type": "Bearer", "expires_in": expires_in})


def hang() -> Action:
    """Read the request, then never answer (until the server stops)."""
    return Action("hang")


def trickle(body: bytes, *, interval: float = 0.05, step: int = 1, status: int = 200) -> Action:
    """Headers at once (with the full Content-Length), then ``step`` bytes every ``interval`` seconds."""
    return Action(
        "trickle", status=status, body=body, interval=interval, step=step, headers={"content-type": "application/json"}
    )


def stream(
    *events: bytes,
    then: str = "close",
    interval: float = 0.05,
    hold: float = 0.0,
    spaced: bool = False,
    headers: Optional[dict[str, str]] = None,
) -> Action:
    """An SSE response (chunked): the events at once (or ``spaced``, ``interval`` apart), then ``then``."""
    return Action(
        "stream",
        events=list(events),
        then=then,
        interval=interval,
        hold=hold,
        spaced=spaced,
        headers={"content-type": "text/event-stream", **(headers or {})},
    )


def trickle_headers(body: bytes = b"{}", *, interval: float = 1.0, status: int = 200) -> Action:
    """The header block one byte every ``interval`` seconds (then the body at once): each byte arrives well
    within a read timeout, the whole block never does within a call budget."""
    return Action(
        "trickle-head", status=status, body=body, interval=interval, headers={"content-type": "application/json"}
    )


def twice(first: Action, second: bytes, *, delay: float = 0.0) -> Action:
    """``first`` (a reply), then the raw bytes ``second`` on the same connection (after ``delay`` seconds)."""
    first.extra = second
    first.extra_delay = delay
    return first


def raw_response(body: Any, status: int = 200) -> bytes:
    """A complete HTTP/1.1 response as bytes (for :func:`twice`)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {len(raw)}\r\n\r\n".encode() + raw


def reset() -> Action:
    """Read the request, then close the connection with a TCP reset."""
    return Action("reset")


def sse(payload: Any) -> bytes:
    return b"data: " + (payload if isinstance(payload, bytes) else json.dumps(payload).encode()) + b"\n\n"


def chunk_event(content: str, finish: Optional[str] = None) -> bytes:
    delta = {"content": content} if content else {}
    return sse(
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def completion(text: str = "ok") -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "chat.completion",
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


#: a self-signed certificate for 127.0.0.1 / localhost (valid until 2126), and its key: test data only
LOOPBACK_CERT = os.path.join(os.path.dirname(__file__), "..", "data", "tls", "loopback.crt")
LOOPBACK_KEY = os.path.join(os.path.dirname(__file__), "..", "data", "tls", "loopback.key")


def loopback_tls() -> ssl.SSLContext:
    """A server context with the self-signed loopback certificate (clients refuse it unless told to trust it)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(LOOPBACK_CERT, LOOPBACK_KEY)
    return context


def _kind(target: str) -> str:
    path = target.split("?", 1)[0]
    if "://" in path:  # proxy form: http://host/path
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    if path.endswith("/oauth2/token"):
        return "token"
    if path.endswith("/chat/completions"):
        return "chat"
    if path.endswith("/models"):
        return "models"
    return "other"


@dataclass
class Seen:
    kind: str
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def nonce(self) -> str:
        """The text of the request's last message ("" when there is none)."""
        try:
            messages = self.json().get("messages") or [{}]
            content = messages[-1].get("content", "")
            return content if isinstance(content, str) else json.dumps(content)
        except (ValueError, AttributeError):
            return ""


Script = Callable[[str, int], Action]


class FaultServer:
    def __init__(
        self,
        script: Script,
        *,
        lifetime: float = 30.0,
        tls: Optional[ssl.SSLContext] = None,
        on_request: Optional[Callable[["Seen", int], Action]] = None,
        record: bool = True,
    ) -> None:
        self.script = script
        #: when given, answers every request instead of ``script``, from the request itself and its number
        self.on_request = on_request
        #: keep every request in ``seen`` (a soak of many thousand requests counts them only)
        self.record = record
        self.lifetime = lifetime
        self.tls = tls  # serve HTTPS with this context (see loopback_tls())
        self.seen: list[Seen] = []
        self.connections = 0
        self.open_connections = 0
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._stopping: Optional[asyncio.Event] = None
        self._server: Optional[asyncio.base_events.Server] = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._run, name="fault-server", daemon=True)
        self._ready = threading.Event()
        self.port = 0

    # -- lifecycle ------------------------------------------------------------------------------------------

    def __enter__(self) -> "FaultServer":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fault server did not start")

    def stop(self) -> None:
        if self._thread.is_alive() and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=256, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await asyncio.wait_for(self._stopping.wait(), self.lifetime)
        except asyncio.TimeoutError:
            pass  # stops by itself
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    # -- counting -----------------------------------------------------------------------------------------

    def of(self, kind: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.kind == kind]

    def count(self, kind: str) -> int:
        return len(self.of(kind))

    # -- serving ------------------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        with self._lock:
            self.connections += 1
            self.open_connections += 1
        try:
            for _ in range(MAX_REQUESTS):
                request = await self._read_request(reader)
                if request is None:
                    return
                with self._lock:
                    if self.record:
                        self.seen.append(request)
                    n = self._counts.get(request.kind, 0)
                    self._counts[request.kind] = n + 1
                action = self.on_request(request, n) if self.on_request else self.script(request.kind, n)
                if not await self._act(action, writer, request.nonce().encode()):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            with self._lock:
                self.open_connections -= 1
            self._tasks.discard(task)
            if not writer.is_closing():
                writer.close()

    async def _read_request(self, reader: asyncio.StreamReader) -> Optional[Seen]:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return None
        if len(head) > MAX_HEADER_BYTES:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = (lines[0].split(" ") + ["", ""])[:3]
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        body = await reader.readexactly(length) if length else b""
        return Seen(_kind(target), method, target, headers, body)

    async def _act(self, action: Action, writer: asyncio.StreamWriter, nonce: bytes = b"") -> bool:
        """Carry out ``action``; True to keep the connection for another request."""
        if nonce and (b"{nonce}" in action.body or any(b"{nonce}" in e for e in action.events)):
            safe = json.dumps(nonce.decode("utf-8", "replace"))[1:-1].encode()  # inside a JSON string
            action = Action(**{**action.__dict__, "body": action.body.replace(b"{nonce}", safe),
                               "events": [e.replace(b"{nonce}", safe) for e in action.events]})  # fmt: skip
        if action.kind == "hang":
            await asyncio.sleep(self.lifetime)
            return False
        if action.kind == "reset":
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        status_line = f"HTTP/1.1 {action.status} X\r\n"
        if action.kind == "trickle-head":
            head = status_line + "".join(f"{k}: {v}\r\n" for k, v in action.headers.items())
            head += f"content-length: {len(action.body)}\r\n\r\n"
            for i in range(len(head)):  # bounded by the head's length (and the server's lifetime)
                writer.write(head[i].encode())
                await writer.drain()
                await asyncio.sleep(action.interval)
            writer.write(action.body)
            await writer.drain()
            return True
        if action.kind in ("reply", "trickle"):
            head = status_line + "".join(f"{k}: {v}\r\n" for k, v in action.headers.items())
            # then="cut": a body shorter than its declared length, then the connection closes
            declared = len(action.body) + (100 if action.then == "cut" else 0)
            head += f"content-length: {declared}\r\n\r\n"
            writer.write(head.encode())
            if action.kind == "reply" and action.then == "cut":
                writer.write(action.body)
                await writer.drain()
                return False
            if action.kind == "reply":
                # one write, so that both answers arrive together (as from a server that sent them as one)
                writer.write(action.body + (action.extra if not action.extra_delay else b""))
                await writer.drain()
                if action.extra and action.extra_delay:
                    await asyncio.sleep(action.extra_delay)
                    writer.write(action.extra)
                    await writer.drain()
                return True
            await writer.drain()
            body = action.body
            for i in range(0, len(body), action.step):  # bounded by the body's length
                writer.write(body[i : i + action.step])
                await writer.drain()
                await asyncio.sleep(action.interval)
            return True
        # an SSE stream, chunked
        head = (
            status_line
            + "".join(f"{k}: {v}\r\n" for k, v in action.headers.items())
            + "transfer-encoding: chunked\r\n\r\n"
        )
        writer.write(head.encode())

        def chunk(data: bytes) -> bytes:
            return f"{len(data):x}\r\n".encode() + data + b"\r\n"

        for event in action.events:  # bounded by the script's list
            writer.write(chunk(event))
            if action.spaced:
                await writer.drain()
                await asyncio.sleep(action.interval)
        await writer.drain()
        if action.then == "close":
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            return True
        if action.then == "cut":  # the connection ends mid-body: no terminating chunk
            return False
        if action.then == "stall":
            await asyncio.sleep(self.lifetime)
            return False
        started = time.monotonic()
        pieces = {"ping": b": ping\n\n", "trickle": b"d"}.get(action.then)
        limit = action.hold if action.then == "slow" else self.lifetime
        for i in range(int(limit / action.interval) + 1):  # bounded in count and in time
            if time.monotonic() - started > limit:
                break
            await asyncio.sleep(action.interval)
            writer.write(chunk(pieces if pieces is not None else chunk_event(f"[{i}]")))
            await writer.drain()
        if action.then == "slow":
            writer.write(chunk(chunk_event("", "stop")) + b"0\r\n\r\n")
            await writer.drain()
            return True
        return False
