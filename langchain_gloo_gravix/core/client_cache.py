"""Lazily built core clients, reused across calls: the one cache both adapters use.

The sync client is built on first use and shared by every thread. Async clients are kept per event loop: an
``httpx.AsyncClient`` is bound to the loop its connections were opened on, and framework code regularly runs
one model under several loops (``asyncio.run`` per call, workflows run from sync code), which breaks a single
shared client with "Event loop is closed" (httpx#2473). A client whose loop has closed is closed (its sockets,
synchronously: there is no loop left to run ``aclose``) and dropped, so nothing grows across ``asyncio.run()``.
Loops are held weakly, and nothing here refers to a loop strongly.

Each client remembers the settings it was built from (``key``); when the owner's settings change
(``llm.base_url = ...``, ``model_copy(update=...)`` sharing this cache), the next call builds a fresh client
instead of using a stale one. A copy (``copy``, ``deepcopy``, ``pickle``) starts empty.

A forked child starts empty too (``os.register_at_fork``): the clients belong to the process that built them,
and their pooled connections would otherwise carry both processes' requests on one socket (answers swapped
between a gunicorn master and its workers). The dropped clients are not closed (the parent still uses their
connections); their pools forget those connections in the child (transport.py).
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, Hashable, Mapping, Optional

if TYPE_CHECKING:  # the clients (and httpx) load with the first call, not the import
    from .client import AsyncClient, Client

__all__ = ["ClientCache", "settings_key"]


def settings_key(settings: Mapping[str, Any]) -> Hashable:
    """A comparable fingerprint of client settings (secrets included, never displayed)."""
    return tuple((k, tuple(sorted(v.items())) if isinstance(v, dict) else v) for k, v in sorted(settings.items()))


class ClientCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sync: Optional[tuple[Hashable, Client]] = None
        self._async: list[tuple[weakref.ReferenceType[asyncio.AbstractEventLoop], Hashable, AsyncClient]] = []
        _caches.add(self)

    def _forget_after_fork(self) -> None:
        """In a forked child: no client, and a fresh lock (a parent's thread may have held this one)."""
        self._lock = threading.Lock()
        self._sync = None
        self._async = []

    def sync(self, key: Hashable, factory: Callable[[], "Client"]) -> "Client":
        entry = self._sync
        if entry is not None and entry[0] == key:
            return entry[1]
        with self._lock:
            if self._sync is None or self._sync[0] != key:
                # a replaced client is left to the garbage collector: another
                # thread may still be reading a stream from it
                self._sync = (key, factory())
            return self._sync[1]

    def async_(self, key: Hashable, factory: Callable[[], "AsyncClient"]) -> "AsyncClient":
        loop = asyncio.get_running_loop()
        entries = self._async
        if len(entries) == 1:  # the common case: one loop, settings unchanged
            ref, entry_key, client = entries[0]
            if ref() is loop and entry_key == key:
                return client
        dead: list[AsyncClient] = []
        with self._lock:
            alive = []
            found = None
            for ref, entry_key, client in self._async:
                owner = ref()
                if owner is None or owner.is_closed():
                    dead.append(client)  # its connections died with the loop
                    continue
                if owner is loop and entry_key != key:
                    continue  # built from settings that have since changed; may still be streaming
                alive.append((ref, entry_key, client))
                if owner is loop:
                    found = client
            if found is None:
                found = factory()
                alive.append((weakref.ref(loop), key, found))
            self._async = alive
        for client in dead:
            client.close_abandoned()
        return found

    def __len__(self) -> int:
        return (self._sync is not None) + len(self._async)

    def close(self) -> None:
        with self._lock:
            entry, self._sync = self._sync, None
        if entry is not None:
            entry[1].close()

    async def aclose(self) -> None:
        """Close the async client of the running loop (others belong to other loops)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            mine = [c for ref, _, c in self._async if ref() is loop]
            self._async = [e for e in self._async if e[0]() is not loop]
        for client in mine:
            await client.aclose()

    # A copy (model_copy(deep=True), deepcopy, pickle) starts without clients.
    def __deepcopy__(self, memo: dict[int, Any]) -> "ClientCache":
        return ClientCache()

    def __copy__(self) -> "ClientCache":
        return ClientCache()

    def __reduce__(self) -> tuple[Any, ...]:
        return (ClientCache, ())


_caches: "weakref.WeakSet[ClientCache]" = weakref.WeakSet()


def _reset_after_fork() -> None:
    for cache in list(_caches):
        cache._forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
