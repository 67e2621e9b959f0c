"""A soak: thousands of calls through the core (sync and async, streamed and not) against a loopback server that
injects faults (resets, stalls, trickles, 5xx, truncated bodies and streams, a smuggled second answer), every
answer checked against its own nonce, and the process's open descriptors and memory back to their baseline.

Sized for CI (``SOAK_CALLS``, default 3,000: seconds alone, well under a minute under load); ``make soak`` runs it with a large count
and prints its figures. Each call ends with its own answer, or with one of our typed errors (a call whose retries
all met faults; a stream cut after its first event, whose partial text must then be a prefix of its answer).
Never another call's answer, never a truncated answer passed off as whole, never a foreign exception."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import threading
import time
from collections import Counter
from typing import Any, Optional

from langchain_gloo_gravix.core import AsyncClient, Client, GlooGravixError, RetryPolicy, StreamError
from tests.support import fault_server as fs

from .conftest import gravix_kwargs

CALLS = int(os.environ.get("SOAK_CALLS", "3000"))
SEED = int(os.environ.get("SOAK_SEED", "20"))
THREADS = 8  # sync callers at once
CONCURRENCY = 16  # async calls in flight
TAIL = " and the rest of the answer"

#: fault -> requests per thousand; the others are answered normally
FAULTS = {"503": 60, "reset": 40, "stall": 3, "trickle": 20, "cut-before": 30, "cut-after": 30, "empty": 20,
          "smuggle": 20}  # fmt: skip


def fault_for(n: int) -> str:
    draw = random.Random(SEED * 1_000_003 + n).randrange(1000)
    for name, weight in FAULTS.items():
        if draw < weight:
            return name
        draw -= weight
    return "ok"


def answer_for(request: fs.Seen, n: int, tally: Counter) -> fs.Action:
    """The server's side: a fault or the answer (the nonce and a tail), streamed if the request asked."""
    fault = fault_for(n)
    tally[fault] += 1
    if fault == "503":
        return fs.reply(503, {"error": {"message": "overloaded", "type": "server_error"}})
    if fault == "reset":
        return fs.reset()
    if fault == "stall":
        return fs.hang()
    if request.json().get("stream"):
        events = [fs.chunk_event("{nonce}"), fs.chunk_event(TAIL), fs.chunk_event("", "stop")]
        if fault == "cut-before":
            return fs.stream(then="cut")
        if fault == "empty":  # a whole, well-framed stream without one event
            return fs.stream()
        if fault == "cut-after":
            return fs.stream(events[0], then="cut")
        return fs.stream(*events)
    body = json.dumps(fs.completion("{nonce}" + TAIL)).encode()
    if fault == "trickle":
        return fs.trickle(body, interval=0.002, step=max(1, len(body) // 6))
    if fault == "empty":
        return fs.Action("reply", body=b"", headers={"content-type": "application/json"})
    if fault in ("cut-before", "cut-after"):
        return fs.Action("reply", body=body[: len(body) // 2], headers={"content-type": "application/json"},
                         then="cut")  # fmt: skip
    if fault == "smuggle":
        return fs.twice(fs.reply(200, json.loads(body)), fs.raw_response(fs.completion("SMUGGLED")))
    return fs.reply(200, json.loads(body))


class Outcomes:
    """Every call's outcome, checked as it comes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count: Counter = Counter()
        self.wrong: list[str] = []

    def answered(self, nonce: str, text: str) -> None:
        with self.lock:
            self.count["answered"] += 1
            if text != nonce + TAIL:
                self.wrong.append(f"{nonce!r} got {text!r}")

    def failed(self, nonce: str, error: BaseException) -> None:
        with self.lock:
            if not isinstance(error, GlooGravixError):
                self.wrong.append(f"{nonce!r} raised a foreign {type(error).__name__}: {error}")
                return
            self.count[f"error:{type(error).__name__}"] += 1
            partial = getattr(error, "partial_text", None) if isinstance(error, StreamError) else None
            if partial and not (nonce + TAIL).startswith(partial):
                self.wrong.append(f"{nonce!r} failed with someone else's partial text {partial!r}")


def client_kwargs(server: fs.FaultServer) -> dict[str, Any]:
    policy = RetryPolicy(max_retries=4, initial_delay=0.001, max_delay=0.005, jitter=lambda: 0.0)
    return {**gravix_kwargs(server), "timeout": 0.5, "stream_idle_timeout": 0.5, "retry_policy": policy}


def run_sync(server: fs.FaultServer, calls: int, outcomes: Outcomes) -> None:
    client = Client("gravix", **client_kwargs(server))
    jobs = list(range(calls))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not jobs:
                    return
                i = jobs.pop()
            nonce = f"sync-{i}"
            messages = [{"role": "user", "content": nonce}]
            try:
                if i % 2:
                    text = "".join(d.content or "" for d in client.stream(messages, model="m"))
                else:
                    text = client.create(messages, model="m").message.content or ""
            except BaseException as error:  # noqa: BLE001 - every outcome is checked
                outcomes.failed(nonce, error)
            else:
                outcomes.answered(nonce, text)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    client.close()


async def run_async(server: fs.FaultServer, calls: int, outcomes: Outcomes) -> None:
    jobs = iter(range(calls))
    async with AsyncClient("gravix", **client_kwargs(server)) as aclient:

        async def worker() -> None:  # CONCURRENCY workers, not one task per call: memory stays flat
            for i in jobs:
                nonce = f"async-{i}"
                messages = [{"role": "user", "content": nonce}]
                try:
                    if i % 2:
                        text = "".join([d.content or "" async for d in aclient.stream(messages, model="m")])
                    else:
                        text = (await aclient.create(messages, model="m")).message.content or ""
                except BaseException as error:  # noqa: BLE001 - every outcome is checked
                    outcomes.failed(nonce, error)
                else:
                    outcomes.answered(nonce, text)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


def open_descriptors() -> Optional[int]:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def rss_bytes() -> Optional[int]:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def soak(calls: int) -> dict[str, Any]:
    """One round of ``calls`` calls (half sync, half async); its figures."""
    tally: Counter = Counter()
    outcomes = Outcomes()
    started = time.monotonic()
    with fs.FaultServer(lambda kind, n: fs.reply(404), on_request=lambda r, n: answer_for(r, n, tally),
                        lifetime=3600, record=False) as server:  # fmt: skip
        run_sync(server, calls // 2, outcomes)
        asyncio.run(run_async(server, calls - calls // 2, outcomes))
        connections = server.connections
    gc.collect()
    return {
        "calls": calls,
        "seconds": round(time.monotonic() - started, 1),
        "answered": outcomes.count["answered"],
        "errors": {k[6:]: v for k, v in sorted(outcomes.count.items()) if k.startswith("error:")},
        "wrong": outcomes.wrong,
        "faults injected": dict(sorted(tally.items())),
        "connections": connections,
    }


def test_soak_every_answer_is_its_own_and_resources_return_to_baseline():
    soak(max(50, CALLS // 10))  # warm-up: imports, caches, the allocator's arenas
    fds_before, rss_before = open_descriptors(), rss_bytes()
    figures = soak(CALLS)
    fds_after, rss_after = open_descriptors(), rss_bytes()
    figures["open descriptors before/after"] = (fds_before, fds_after)
    figures["RSS MiB before/after"] = tuple(None if v is None else round(v / 2**20, 1) for v in (rss_before, rss_after))
    print("\nsoak:", json.dumps(figures, indent=1))
    assert figures["wrong"] == []
    assert figures["answered"] + sum(figures["errors"].values()) == CALLS
    assert figures["answered"] >= CALLS * 0.9  # faults are retried: most calls end with their answer
    if fds_before is not None:
        assert fds_after <= fds_before, (fds_before, fds_after)
    if rss_before is not None:
        assert rss_after - rss_before < 48 * 2**20, (rss_before, rss_after)  # flat, not growing per call
