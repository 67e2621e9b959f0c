"""Gloo's model registry, read lazily and at most once per five minutes per host.

``GET /platform/v2/models`` (public, no credentials; docs/providers.md#registry) lists
every model with its ``family`` and ``pricing``. Gloo's own clients cache it for about five
minutes; so does this module, process-wide, keyed by the registry URL (one host, one read).

The read is **off the failure path**: it happens only when an answer with usage needs a price
(:func:`answer_cost` / :func:`aanswer_cost`), as one attempt with the calling client's timeouts,
credentials rules and transport, no retries. A registry that fails, is slow (bounded by those
timeouts), answers something that is not a model list, or lacks the served model gives no
``cost`` and never an error; a failed read also counts as the read of its five minutes, so a
registry that is down is not asked again on every call. Concurrent callers wait for the one
read in flight (sync callers in threads and async callers in any event loop alike), each at
most its own call budget.

:func:`list_models` / :func:`alist_models` are the raising reads behind the framework classes'
``list_models()``: the same cache, filled (or refreshed) by a normal call with retries.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Optional

from .cost import Prices, prices_of
from .cost import answer_cost as _answer_cost
from .warnings import unlisted_family_warning, warn

if TYPE_CHECKING:  # pragma: no cover
    from .client import AsyncClient, Client
    from .model_list import ModelInfo
    from .wire import ChatCompletion

__all__ = [
    "REGISTRY_PATH",
    "REGISTRY_TTL",
    "Snapshot",
    "RegistryCache",
    "REGISTRY",
    "has_registry",
    "answer_cost",
    "aanswer_cost",
    "list_models",
    "alist_models",
    "warn_unlisted_family",
]

#: the path of Gloo's public model registry (the only model list that carries prices).
REGISTRY_PATH = "/platform/v2/models"
#: seconds a read (successful or not) serves before the next one.
REGISTRY_TTL = 300.0
_DEFAULT_WAIT = 30.0  # a waiter's bound when its client has no call budget


@dataclass(frozen=True)
class Snapshot:
    """One read of a registry: entries by lower-case id, and the families it lists."""

    models: tuple[Any, ...]
    by_id: Mapping[str, Any] = field(default_factory=dict)
    families: frozenset[str] = frozenset()
    #: prices read once per model (an answer's hot path then costs a dict lookup)
    _prices: dict[str, Optional[Prices]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, models: Iterable[Any]) -> "Snapshot":
        entries = tuple(models)
        by_id: dict[str, Any] = {}
        families: set[str] = set()
        for entry in entries:
            model_id = _field(entry, "id")
            if isinstance(model_id, str) and model_id.strip():
                by_id.setdefault(model_id.strip().lower(), entry)
            family = _field(entry, "family")
            if isinstance(family, str) and family.strip():
                families.add(family.strip())
        return cls(entries, by_id, frozenset(families))

    def prices(self, model: Optional[str]) -> Optional[Prices]:
        if not isinstance(model, str) or not model.strip():
            return None
        key = model.strip().lower()
        if key not in self._prices:
            entry = self.by_id.get(key)
            self._prices[key] = prices_of(entry) if entry is not None else None  # a race writes the same value
        return self._prices[key]

    def lists_family(self, family: str) -> bool:
        wanted = family.strip().lower()
        return any(known.lower() == wanted for known in self.families)


def _field(entry: Any, name: str) -> Any:
    if isinstance(entry, Mapping):
        return entry.get(name)
    return getattr(entry, name, None)


class _Slot:
    __slots__ = ("snapshot", "read_at", "pending")

    def __init__(self) -> None:
        self.snapshot: Optional[Snapshot] = None
        self.read_at: Optional[float] = None
        self.pending: Optional[Future[Optional[Snapshot]]] = None


class RegistryCache:
    """Registry reads per URL: at most one per ``ttl`` seconds, one in flight at a time."""

    def __init__(self, ttl: float = REGISTRY_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._slots: dict[str, _Slot] = {}
        self._warned: set[tuple[str, str]] = set()

    def clear(self) -> None:
        with self._lock:
            self._slots.clear()
            self._warned.clear()

    def cached(self, url: str) -> Optional[Snapshot]:
        """The snapshot read for ``url`` within ``ttl`` (None: none, failed, or stale)."""
        with self._lock:
            slot = self._slots.get(url)
            if slot is None or slot.read_at is None or self.clock() - slot.read_at >= self.ttl:
                return None
            return slot.snapshot

    def claim(self, url: str, force: bool = False) -> tuple[str, Any]:
        """``("fresh", snapshot)``, ``("wait", future)`` or ``("read", future)`` (the caller must settle it)."""
        with self._lock:
            slot = self._slots.setdefault(url, _Slot())
            if slot.pending is not None:
                return "wait", slot.pending
            if not force and slot.read_at is not None and self.clock() - slot.read_at < self.ttl:
                return "fresh", slot.snapshot
            slot.pending = Future()
            return "read", slot.pending

    def settle(self, url: str, future: "Future[Optional[Snapshot]]", snapshot: Optional[Snapshot]) -> None:
        """Record a finished read (``None``: it failed) and wake its waiters."""
        with self._lock:
            slot = self._slots.setdefault(url, _Slot())
            if slot.pending is future:
                slot.pending = None
                slot.snapshot = snapshot
                slot.read_at = self.clock()
        future.set_result(snapshot)

    def abandon(self, url: str, future: "Future[Optional[Snapshot]]") -> None:
        """A read that was cancelled: its waiters get nothing, and the next caller reads again."""
        with self._lock:
            slot = self._slots.get(url)
            if slot is not None and slot.pending is future:
                slot.pending = None
        if not future.done():
            future.set_result(None)

    def first_warning(self, url: str, family: str) -> bool:
        key = (url, family.strip().lower())
        with self._lock:
            if key in self._warned:
                return False
            self._warned.add(key)
            return True


#: the process-wide cache every client and adapter shares.
REGISTRY = RegistryCache()


def has_registry(client: "Client | AsyncClient") -> bool:
    """Whether ``client``'s endpoint has Gloo's priced registry as its model list."""
    return client.endpoint.models_path == REGISTRY_PATH


def _wait_bound(client: "Client | AsyncClient") -> float:
    """How long a caller waits for another caller's read: its own call budget (never raises)."""
    try:
        from .deadlines import call_budget  # loaded with the clients already

        budget = call_budget(client.timeout)
    except Exception:  # off the failure path, whatever the client's shape
        budget = None
    return _DEFAULT_WAIT if budget is None else budget


def _snapshot(client: "Client") -> Optional[Snapshot]:
    url = client.models_url
    state, value = REGISTRY.claim(url)
    if state == "fresh":
        return value  # type: ignore[no-any-return]
    if state == "wait":
        try:
            return value.result(timeout=_wait_bound(client))  # type: ignore[no-any-return]
        except FutureTimeout:
            return None
    snapshot: Optional[Snapshot] = None
    try:
        snapshot = Snapshot.of(client.list_models(retry=False))
    except Exception:  # off the failure path: no registry, no cost
        snapshot = None
    except BaseException:
        REGISTRY.abandon(url, value)
        raise
    REGISTRY.settle(url, value, snapshot)
    return snapshot


async def _asnapshot(client: "AsyncClient") -> Optional[Snapshot]:
    url = client.models_url
    state, value = REGISTRY.claim(url)
    if state == "fresh":
        return value  # type: ignore[no-any-return]
    if state == "wait":
        try:
            return await asyncio.wait_for(asyncio.wrap_future(value), _wait_bound(client))
        except asyncio.TimeoutError:
            return None
    snapshot: Optional[Snapshot] = None
    try:
        snapshot = Snapshot.of(await client.list_models(retry=False))
    except Exception:
        snapshot = None
    except BaseException:  # cancelled: let the next caller read
        REGISTRY.abandon(url, value)
        raise
    REGISTRY.settle(url, value, snapshot)
    return snapshot


def _served_model(completion: "ChatCompletion", requested_model: Optional[str]) -> Optional[str]:
    # the model that answered (the routed one under auto routing); the requested id only when
    # the answer does not say (direct selection answers with the model it was asked for)
    return completion.model or requested_model


def _warn_family(url: str, snapshot: Optional[Snapshot], family: Optional[str]) -> None:
    if snapshot is None or not family or not snapshot.families or snapshot.lists_family(family):
        return
    if REGISTRY.first_warning(url, family):
        warn(unlisted_family_warning(family, snapshot.families))


def answer_cost(
    client: "Client",
    completion: "ChatCompletion",
    *,
    requested_model: Optional[str] = None,
    model_family: Optional[str] = None,
) -> Optional[dict[str, str]]:
    """The ``cost`` of ``completion`` (see cost.py), or None; never raises for registry trouble."""
    if completion.usage is None or not has_registry(client):
        return None
    snapshot = _snapshot(client)
    _warn_family(client.models_url, snapshot, model_family)
    if snapshot is None:
        return None
    return _answer_cost(completion.usage, snapshot.prices(_served_model(completion, requested_model)))


async def aanswer_cost(
    client: "AsyncClient",
    completion: "ChatCompletion",
    *,
    requested_model: Optional[str] = None,
    model_family: Optional[str] = None,
) -> Optional[dict[str, str]]:
    """Async :func:`answer_cost`."""
    if completion.usage is None or not has_registry(client):
        return None
    snapshot = await _asnapshot(client)
    _warn_family(client.models_url, snapshot, model_family)
    if snapshot is None:
        return None
    return _answer_cost(completion.usage, snapshot.prices(_served_model(completion, requested_model)))


def warn_unlisted_family(models_url: str, model_family: Optional[str]) -> None:
    """At construction: warn when the registry, already read for this host, does not list ``model_family``."""
    if model_family:
        _warn_family(models_url, REGISTRY.cached(models_url), model_family)


def _claim_listing(client: "Client | AsyncClient", refresh: bool) -> tuple[Optional[Snapshot], Any]:
    """``(cached snapshot, None)``, or ``(None, the future this caller's read settles, or None)``."""
    if not has_registry(client):
        return None, None
    url = client.models_url
    cached = None if refresh else REGISTRY.cached(url)
    if cached is not None:
        return cached, None
    state, future = REGISTRY.claim(url, force=True)
    return None, (future if state == "read" else None)  # "wait": another read is in flight; read anyway


def list_models(client: "Client", *, refresh: bool = False) -> list["ModelInfo"]:
    """The model list, from the five-minute cache when it holds one (``refresh=True``: read now).

    Raises the typed error of a failed read (with the client's retries); the list read here
    fills the cache :func:`answer_cost` reads.
    """
    cached, future = _claim_listing(client, refresh)
    if cached is not None:
        return list(cached.models)
    try:
        models = client.list_models()
    except BaseException:
        if future is not None:
            REGISTRY.abandon(client.models_url, future)
        raise
    if future is not None:
        REGISTRY.settle(client.models_url, future, Snapshot.of(models))
    return models


async def alist_models(client: "AsyncClient", *, refresh: bool = False) -> list["ModelInfo"]:
    """Async :func:`list_models`."""
    cached, future = _claim_listing(client, refresh)
    if cached is not None:
        return list(cached.models)
    try:
        models = await client.list_models()
    except BaseException:
        if future is not None:
            REGISTRY.abandon(client.models_url, future)
        raise
    if future is not None:
        REGISTRY.settle(client.models_url, future, Snapshot.of(models))
    return models
