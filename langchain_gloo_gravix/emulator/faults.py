"""Scripted failures that the next matching request will suffer.

Each ``Fault`` describes one misbehaviour that clients of the real services
have to survive (docs/providers.md#stream-errors, docs/providers.md#errors,
docs/providers.md#rate-limits, docs/providers.md#ollama-quirks). Faults are
queued with ``Emulator.inject`` and consumed one per request, in order.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

TOOL_QUIRKS = frozenset({"repeat_id_name", "no_index", "whole_call", "args_object", "parallel_same_index"})

# Kinds that answer on their own, before auth or validation (a gateway or
# proxy failing in front of the service).
IMMEDIATE_KINDS = frozenset({"status", "rate_limit", "server_error", "malformed_json"})


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour. Build it with the class methods."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def status(cls, code: int, body: Any = None, headers: dict | None = None) -> "Fault":
        """Answer ``code`` with ``body`` (default: the provider's documented envelope)."""
        return cls("status", {"code": int(code), "body": body, "headers": dict(headers or {})})

    @classmethod
    def rate_limit(cls, retry_after: str | int | None = "1", reset: int | None = None) -> "Fault":
        """429 with ``Retry-After`` (and ``X-RateLimit-Reset`` when ``reset`` is given).

        Gloo points clients at ``X-RateLimit-Reset`` (docs/providers.md#rate-limits, D4) and Gravix
        at ``Retry-After`` (docs/providers.md#rate-limits, V4); both are supported here.
        """
        return cls("rate_limit", {"retry_after": retry_after, "reset": reset})

    @classmethod
    def server_error(cls, status: int = 503) -> "Fault":
        """A retryable 5xx in the provider's envelope (docs/providers.md#errors, docs/providers.md#gravix-errors)."""
        return cls("server_error", {"code": int(status)})

    @classmethod
    def slow(cls, seconds: float) -> "Fault":
        """Sleep ``seconds`` before answering normally (timeouts: the 408 of docs/providers.md#status-codes)."""
        return cls("slow", {"seconds": float(seconds)})

    @classmethod
    def cut_stream(cls, after_chunks: int = 2) -> "Fault":
        """Drop the connection mid-stream: transport disconnect (docs/providers.md#stream-errors, case 3)."""
        return cls("cut_stream", {"after_chunks": max(0, int(after_chunks))})

    @classmethod
    def malformed_json(cls) -> "Fault":
        """200 whose body is truncated JSON."""
        return cls("malformed_json", {})

    @classmethod
    def stream_error(
        cls,
        code: int = 3001,
        message: str = "Streaming error occurred",
        fault: str = "internal",
        retryable: bool = True,
    ) -> "Fault":
        """Gloo's structured in-stream error, "Signal A" (docs/providers.md#stream-errors)."""
        return cls(
            "stream_error",
            {"code": code, "message": message, "fault": fault, "retryable": retryable},
        )

    @classmethod
    def keepalive(cls, lines: int = 3) -> "Fault":
        """Interleave ``: ping`` SSE comments; clients must skip non-data lines (docs/providers.md#streaming)."""
        return cls("keepalive", {"lines": max(0, int(lines))})

    @classmethod
    def crlf(cls) -> "Fault":
        """Frame the SSE stream with CRLF line endings (legal per the SSE spec)."""
        return cls("crlf", {})

    @classmethod
    def from_spec(cls, spec: str) -> "Fault":
        """A failure from its command-line / control-endpoint spelling.

        ``"429"`` (``Retry-After: 1``), ``"429:5"`` (``Retry-After: 5``), ``"500"``,
        ``"502"``, ``"503"``, ``"504"`` (retryable 5xx in the provider's envelope),
        any other ``4xx``/``5xx`` as is, ``"slow:2.5"`` (answer after 2.5 s), and
        for streamed requests ``"cut"`` (drop the connection mid-stream) and
        ``"stream_error"`` (Gloo's in-stream error); a non-streamed request
        consumes those two without failing.
        """
        text = str(spec).strip().lower()
        head, _, arg = text.partition(":")
        if head == "slow":
            return cls.slow(float(arg or 1))
        if head == "cut":
            return cls.cut_stream(int(arg or 2))
        if head == "stream_error":
            return cls.stream_error()
        if not head.isdigit() or not 400 <= int(head) <= 599:
            raise ValueError(
                f"unknown fault {spec!r}: expected a 4xx/5xx status (429, 429:5, 503...), "
                "slow:SECONDS, cut or stream_error"
            )
        code = int(head)
        if code == 429:
            return cls.rate_limit(retry_after=arg or "1")
        if code >= 500:
            return cls.server_error(code)
        return cls.status(code)

    @classmethod
    def tool_quirk(cls, kind: str) -> "Fault":
        """Stream tool-call deltas in a non-OpenAI shape seen on real servers (docs/providers.md#ollama-quirks)."""
        if kind not in TOOL_QUIRKS:
            raise ValueError(f"unknown tool quirk {kind!r}; expected one of {sorted(TOOL_QUIRKS)}")
        return cls("tool_quirk", {"kind": kind})

    @classmethod
    def embedding_quirk(cls, kind: str) -> "Fault":
        """Answer an embeddings request oddly: ``ignore_base64`` (floats anyway), ``refuse_base64``
        (400), ``drop_one`` (one vector short), ``reversed`` (items in reverse order, indexes
        right) or ``wrong_dims`` (the last vector one dimension short)."""
        from .embeddings import EMBEDDING_QUIRKS

        if kind not in EMBEDDING_QUIRKS:
            raise ValueError(f"unknown embedding quirk {kind!r}; expected one of {sorted(EMBEDDING_QUIRKS)}")
        return cls("embedding_quirk", {"kind": kind})


class FaultQueue:
    """Thread-safe FIFO of ``(target, Fault)``; a target is a path, a tuple of paths or None (any)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[tuple[str | tuple[str, ...] | None, Fault]] = []

    def push(self, faults: tuple[Fault, ...], path: str | tuple[str, ...] | None) -> None:
        for fault in faults:
            if not isinstance(fault, Fault):
                raise TypeError(f"expected Fault, got {type(fault).__name__}")
        with self._lock:
            self._items.extend((path, fault) for fault in faults)

    def take(self, path: str) -> Fault | None:
        """Remove and return the first fault aimed at ``path`` (or at any path)."""
        with self._lock:
            for i, (target, fault) in enumerate(self._items):
                if target is None or target == path or (isinstance(target, tuple) and path in target):
                    del self._items[i]
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
