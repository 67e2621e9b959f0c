"""Loopback stub of the Gloo AI (v1/v2) and Gravix Layer chat-completions APIs.

Used only by the benchmark.  It speaks just enough HTTP/1.1 (keep-alive,
Content-Length request bodies, chunked SSE responses) for httpx-based clients,
and every response is pre-encoded bytes so that the stub costs as little CPU
per request as possible: the point is to measure the clients, not the server.

Run standalone:  python benchmarks/stub_server.py [--port 8000] [--cpu 1]
It prints ``READY <port>`` on stdout once it accepts connections.

Routes (POST unless noted):
  /ai/v1/chat/completions, /ai/v2/chat/completions    Gloo style (SSE without [DONE])
  /v1/inference/chat/completions, any */chat/completions  OpenAI style (SSE ends with [DONE])
  any */completions                                    legacy text completion
  any */embeddings                                     OpenAI-style embeddings: one EMBED_DIMS vector per
                                                       input, base64 or float as asked (float by default)
  any */oauth2/token                                   client-credentials token
  GET /__stats                                         request counters + server CPU time
A streaming request (``"stream": true`` in the body) gets N content chunks,
where N comes from ``chunks:<N>`` in the request body (default 20).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"  # loopback only: the benchmark must never touch a real network
CREATED = 1_700_000_000
DEFAULT_CHUNKS = 20
MAX_CHUNKS = 2_000_000
# SSE events per HTTP chunk.  Real upstreams flush each event as its own chunk,
# and de-chunking is a real per-event cost for every client, so that is the
# default; the whole response is still pre-encoded and written in one go, so
# the stub's cost per chunk stays tiny.  (--events-per-chunk packs several.)
EVENTS_PER_HTTP_CHUNK = 1
# Drain only after big (streaming) responses: small ones fit the transport
# buffer, and awaiting drain on every response would double the stub's cost.
DRAIN_ABOVE = 64 * 1024

USAGE = {"prompt_tokens": 8, "completion_tokens": 6, "total_tokens": 14}
ROUTING_FIELDS = {
    "model": "gloo-openai-gpt-5-mini",
    "provider": "openai",
    "model_family": "OpenAI GPT",
    "auto_routing": True,
    "routing_mechanism": "tier_based",
    "routing_tier": "tier_2",
    "routing_confidence": 0.87,
}


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _http(status: str, body: bytes, ctype: bytes = b"application/json") -> bytes:
    return (
        b"HTTP/1.1 " + status.encode() + b"\r\n"
        b"Content-Type: " + ctype + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


def _model_for(kind: str) -> str:
    return ROUTING_FIELDS["model"] if kind == "gloo-v2" else "m"


def _completion(kind: str) -> bytes:
    body: dict = {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": CREATED,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello from the stub."},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": USAGE,
    }
    if kind == "gloo-v2":
        body.update(ROUTING_FIELDS)
    return _http("200 OK", _dumps(body))


def _text_completion() -> bytes:
    body = {
        "id": "cmpl-bench",
        "object": "text_completion",
        "created": CREATED,
        "model": "m",
        "choices": [{"index": 0, "text": "Hello from the stub.", "finish_reason": "stop", "logprobs": None}],
        "usage": USAGE,
    }
    return _http("200 OK", _dumps(body))


def _sse_events(kind: str, n: int, text_completion: bool = False) -> list[bytes]:
    model = _model_for(kind)
    head = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": CREATED, "model": model}
    if text_completion:
        head["object"] = "text_completion"

        def ev(choices: list, **extra: object) -> bytes:
            return b"data: " + _dumps({**head, "choices": choices, **extra}) + b"\n\n"

        content = ev([{"index": 0, "text": "tok ", "finish_reason": None}])
        events = [content] * n
        events.append(ev([{"index": 0, "text": "", "finish_reason": "stop"}]))
    else:

        def ev(choices: list, **extra: object) -> bytes:
            return b"data: " + _dumps({**head, "choices": choices, **extra}) + b"\n\n"

        # The first content chunk also carries the role, as OpenAI-style servers do,
        # so there are exactly N content-bearing chunks.
        first = ev([{"index": 0, "delta": {"role": "assistant", "content": "tok "}, "finish_reason": None}])
        content = ev([{"index": 0, "delta": {"content": "tok "}, "finish_reason": None}])
        events = ([first] + [content] * (n - 1)) if n > 0 else []
        events.append(ev([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    # The usage chunk always has an empty choices list (include_usage style).
    events.append(ev([], usage={"prompt_tokens": 8, "completion_tokens": n, "total_tokens": 8 + n}))
    if not kind.startswith("gloo"):
        events.append(b"data: [DONE]\n\n")  # Gloo's API ends the stream without [DONE]
    return events


def _stream_response(kind: str, n: int, text_completion: bool = False) -> bytes:
    events = _sse_events(kind, n, text_completion)
    parts = [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"
    ]
    step = max(1, EVENTS_PER_HTTP_CHUNK)
    for i in range(0, len(events), step):
        blob = b"".join(events[i : i + step])
        parts.append(b"%x\r\n" % len(blob) + blob + b"\r\n")
    parts.append(b"0\r\n\r\n")
    return b"".join(parts)


# Embeddings: a fixed unit-ish vector per input, pre-encoded once; answers are cached per
# (input count, encoding), so that a 10,000-text run costs the stub one join per request.
EMBED_DIMS = 384
_EMBED_VECTOR = [((i * 37) % 101 - 50) / 500.0 for i in range(EMBED_DIMS)]


def _embed_item(index: int, encoding: str) -> bytes:
    import array
    import base64

    if encoding == "base64":
        packed = array.array("f", _EMBED_VECTOR)
        if sys.byteorder == "big":
            packed.byteswap()
        value = _dumps(base64.b64encode(packed.tobytes()).decode())
    else:
        value = _dumps(_EMBED_VECTOR)
    return b'{"object":"embedding","index":%d,"embedding":%s}' % (index, value)


_embed_cache: dict[tuple[int, str], bytes] = {}


def _embeddings(body: bytes) -> bytes:
    try:
        request = json.loads(body)
        inputs = request["input"]
        count = 1 if isinstance(inputs, str) else len(inputs)
        encoding = request.get("encoding_format") or "float"
    except (ValueError, KeyError, TypeError):
        return BAD_REQUEST
    key = (count, encoding)
    resp = _embed_cache.get(key)
    if resp is None:
        if len(_embed_cache) > 64:
            _embed_cache.clear()
        item = _embed_item(0, encoding)
        head, tail = item.split(b'"index":0', 1)
        items = b",".join(head + b'"index":%d' % i + tail for i in range(count))
        usage = _dumps({"prompt_tokens": 4 * count, "total_tokens": 4 * count})
        resp = _embed_cache[key] = _http(
            "200 OK", b'{"object":"list","data":[' + items + b'],"model":"m","usage":' + usage + b"}"
        )
    return resp


TOKEN = _http("200 OK", _dumps({"access_token": "bench-token", "token_type": "Bearer", "expires_in": 3600}))
COMPLETIONS = {k: _completion(k) for k in ("gloo-v1", "gloo-v2", "generic")}
TEXT_COMPLETION = _text_completion()
NOT_FOUND = _http("404 Not Found", b'{"error":{"message":"no such route","type":"invalid_request_error"}}')
BAD_REQUEST = _http("400 Bad Request", b'{"error":{"message":"bad request","type":"invalid_request_error"}}')

_stream_cache: dict[tuple[str, int, bool], bytes] = {}
# Counters live in one dict so that /__stats is a single cheap snapshot.
STATS: dict[str, object] = {"chat": 0, "token": 0, "embeddings": 0, "other": 0, "paths": {}}


def _chunks_requested(body: bytes) -> int:
    i = body.rfind(b"chunks:")
    if i < 0:
        return DEFAULT_CHUNKS
    j = i + 7
    k = j
    while k < len(body) and 48 <= body[k] <= 57:
        k += 1
    if k == j:
        return DEFAULT_CHUNKS
    return min(int(body[j:k]), MAX_CHUNKS)


def _streamed(kind: str, body: bytes, text_completion: bool = False) -> bytes:
    key = (kind, _chunks_requested(body), text_completion)
    resp = _stream_cache.get(key)
    if resp is None:
        if len(_stream_cache) > 32:  # the benchmark uses a handful of sizes; stay bounded anyway
            _stream_cache.clear()
        resp = _stream_cache[key] = _stream_response(*key)
    return resp


def _stats() -> bytes:
    snap = dict(STATS)
    snap["cpu_s"] = time.process_time()
    snap["affinity"] = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    snap["wall_s"] = time.perf_counter()
    return _http("200 OK", _dumps(snap))


def _route(method: bytes, path: bytes, body: bytes) -> bytes:
    paths = STATS["paths"]
    if method == b"GET" and path == b"/__stats":
        return _stats()
    key = path.decode("latin-1")
    paths[key] = paths.get(key, 0) + 1  # type: ignore[union-attr,operator]
    if method != b"POST":
        STATS["other"] += 1  # type: ignore[operator]
        return NOT_FOUND
    is_stream = b'"stream":true' in body or b'"stream": true' in body
    if path.endswith(b"/chat/completions"):
        STATS["chat"] += 1  # type: ignore[operator]
        if path.startswith(b"/ai/v2/"):
            kind = "gloo-v2"
        elif path.startswith(b"/ai/"):
            kind = "gloo-v1"
        else:
            kind = "generic"
        return _streamed(kind, body) if is_stream else COMPLETIONS[kind]
    if path.endswith(b"/completions"):
        STATS["chat"] += 1  # type: ignore[operator]
        return _streamed("generic", body, True) if is_stream else TEXT_COMPLETION
    if path.endswith(b"/embeddings"):
        STATS["embeddings"] += 1  # type: ignore[operator]
        return _embeddings(body)
    if path.endswith(b"/oauth2/token") or path.endswith(b"/token"):
        STATS["token"] += 1  # type: ignore[operator]
        return TOKEN
    STATS["other"] += 1  # type: ignore[operator]
    return NOT_FOUND


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    out = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # trailer section is not used by httpx
            return b"".join(out)
        out.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            eol = head.find(b"\r\n")
            request_line = head[:eol].split(b" ")
            if len(request_line) < 3:
                writer.write(BAD_REQUEST)
                return
            method, target = request_line[0], request_line[1]
            lower = head.lower()
            body = b""
            i = lower.find(b"\r\ncontent-length:")
            if i >= 0:
                j = lower.find(b"\r\n", i + 2)
                length = int(lower[i + 17 : j])
                if length:
                    body = await reader.readexactly(length)
            elif b"\r\ntransfer-encoding: chunked" in lower:
                body = await _read_chunked(reader)
            q = target.find(b"?")
            path = target if q < 0 else target[:q]
            resp = _route(method, path, body)
            writer.write(resp)
            if len(resp) > DRAIN_ABOVE:
                await writer.drain()
            if b"\r\nconnection: close" in lower:
                return
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        writer.close()


async def serve(port: int = 0) -> None:
    server = await asyncio.start_server(_handle, HOST, port, backlog=4096, limit=1 << 20)
    bound = server.sockets[0].getsockname()[1]
    print(f"READY {bound}", flush=True)
    parent = os.getppid()
    async with server:
        # Exit on our own if the benchmark that started us dies without stopping us.
        while os.getppid() == parent:
            await asyncio.sleep(0.5)


def pin_to_cpu(cpu: int) -> bool:
    """Pin this process to one CPU when the machine has more than one.

    Checked against the machine's CPU count, not this process's current mask: a
    child of an already-pinned benchmark inherits the parent's single CPU.
    """
    try:
        if cpu >= 0 and (os.cpu_count() or 1) >= 2:
            os.sched_setaffinity(0, {cpu})
            return os.sched_getaffinity(0) == {cpu}
    except (AttributeError, OSError, ValueError):
        pass
    return False


class StubServer:
    """Runs the stub in a child process; use as a context manager.

    A separate process (on its own CPU when there are two) keeps the stub's work
    off the client's core, so client-side costs are not inflated by the server.
    """

    def __init__(self, cpu: int = 1, events_per_chunk: int = EVENTS_PER_HTTP_CHUNK) -> None:
        self.cpu = cpu
        self.events_per_chunk = events_per_chunk
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 15.0) -> "StubServer":
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--port",
                "0",
                "--cpu",
                str(self.cpu),
                "--events-per-chunk",
                str(self.events_per_chunk),
            ],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("READY "):
                self.port = int(line.split()[1])
                return self
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError("stub server did not start")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def __enter__(self) -> "StubServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    global EVENTS_PER_HTTP_CHUNK
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--cpu", type=int, default=-1, help="pin to this CPU if the machine has 2+ CPUs")
    ap.add_argument(
        "--events-per-chunk",
        type=int,
        default=EVENTS_PER_HTTP_CHUNK,
        help="SSE events per HTTP chunk (default 1, as real servers send)",
    )
    args = ap.parse_args(argv)
    EVENTS_PER_HTTP_CHUNK = max(1, args.events_per_chunk)
    pin_to_cpu(args.cpu)
    try:
        asyncio.run(serve(args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
