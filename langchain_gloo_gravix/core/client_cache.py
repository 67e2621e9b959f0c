"""A model's core clients: what they are built from (:class:`ClientSpec`), and the cache that holds them.

Every public class (``ChatGloo``, ``ChatGravixLayer``, ``GravixLayerEmbeddings``; ``Gloo``, ``GravixLayer``,
``GravixLayerEmbedding``) inherits :class:`ClientOwner` and implements its one hook, ``_client_spec``: the
settings its clients are built from, as a frozen :class:`ClientSpec`. The spec is also the cache key: it is
compared by value on every call, so a changed setting (``llm.base_url = ...``, ``model_copy(update=...)``
sharing this cache) gets a fresh client instead of a stale one; the ``http_client`` is compared by identity.

The sync client is built on first use and shared by every thread. Async clients are kept per event loop: an
``httpx.AsyncClient`` is bound to the loop its connections were opened on, and framework code regularly runs
one model under several loops (``asyncio.run`` per call, workflows run from sync code), which breaks a single
shared client with "Event loop is closed" (httpx#2473). A client whose loop has closed is closed (its sockets,
synchronously: there is no loop left to run ``aclose``) and dropped, so nothing grows across ``asyncio.run()``.
Loops are held weakly, and nothing here refers to a loop strongly. A copy (``copy``, ``deepcopy``, ``pickle``)
starts empty.

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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Optional

from pydantic import BaseModel, ConfigDict, PrivateAttr

from .config import DEFAULT_STREAM_IDLE_TIMEOUT
from .endpoints import Endpoint

if TYPE_CHECKING:  # the clients (and httpx) load with the first call, not the import
    from .client import AsyncClient, Client

__all__ = ["ClientSpec", "ClientCache", "ClientOwner", "headers_key"]


def headers_key(headers: Optional[Mapping[str, str]]) -> Optional[tuple[tuple[str, str], ...]]:
    """``default_headers`` as an immutable value for a :class:`ClientSpec`."""
    return tuple(headers.items()) if headers else None


@dataclass(frozen=True)
class ClientSpec:
    """Everything a core client is built from; equal specs share one client.

    Secrets are held as given (``SecretStr`` compares by value and never shows it). ``http_client``
    (the caller's httpx client, or None) compares by identity: httpx clients define no equality.
    """

    endpoint: Endpoint
    base_url: Optional[str] = None
    api_key: Any = None
    client_id: Optional[str] = None
    client_secret: Any = None
    timeout: Any = None
    max_retries: int = 2
    stream_idle_timeout: Optional[float] = DEFAULT_STREAM_IDLE_TIMEOUT
    default_headers: Optional[tuple[tuple[str, str], ...]] = None
    http_client: Any = None
    proxy: Optional[str] = None

    def _kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "api_key": self.api_key,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "stream_idle_timeout": self.stream_idle_timeout,
            "default_headers": dict(self.default_headers) if self.default_headers else None,
            "http_client": self.http_client,
            "proxy": self.proxy,
        }

    def build_sync(self) -> "Client":
        from .client import Client

        return Client(self.endpoint, **self._kwargs())

    def build_async(self) -> "AsyncClient":
        from .client import AsyncClient

        return AsyncClient(self.endpoint, **self._kwargs())


class ClientCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sync: Optional[tuple[ClientSpec, Client]] = None
        self._async: list[tuple[weakref.ReferenceType[asyncio.AbstractEventLoop], ClientSpec, AsyncClient]] = []
        _caches.add(self)

    def _forget_after_fork(self) -> None:
        """In a forked child: no client, and a fresh lock (a parent's thread may have held this one)."""
        self._lock = threading.Lock()
        self._sync = None
        self._async = []

    def sync(self, spec: ClientSpec) -> "Client":
        """The sync client built from ``spec`` (built now if the settings changed or none exists)."""
        entry = self._sync
        if entry is not None and entry[0] == spec:
            return entry[1]
        with self._lock:
            if self._sync is None or self._sync[0] != spec:
                # a replaced client is left to the garbage collector: another
                # thread may still be reading a stream from it
                self._sync = (spec, spec.build_sync())
            return self._sync[1]

    def for_loop(self, spec: ClientSpec) -> "AsyncClient":
        """The running event loop's async client built from ``spec``."""
        loop = asyncio.get_running_loop()
        entries = self._async
        if len(entries) == 1:  # the common case: one loop, settings unchanged
            ref, entry_key, client = entries[0]
            if ref() is loop and entry_key == spec:
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
                if owner is loop and entry_key != spec:
                    continue  # built from settings that have since changed; may still be streaming
                alive.append((ref, entry_key, client))
                if owner is loop:
                    found = client
            if found is None:
                found = spec.build_async()
                alive.append((weakref.ref(loop), spec, found))
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

    def __del__(self) -> None:
        # The model that owned this cache is gone, and nothing can reach its clients any more: release
        # their sockets now, as close() would, instead of leaving each to the socket's own finaliser (a
        # ResourceWarning per pooled connection for every model dropped without close()). A caller's
        # http_client is left open.
        # An async client is closed synchronously only when its loop has closed. While its loop lives, its
        # sockets are still registered with that loop's transports: closing them under the loop frees their
        # file descriptors for reuse while the loop still watches them ("File descriptor N is used by
        # transport" on the next connection). There the close is handed to the loop itself.
        try:
            entry, self._sync = self._sync, None
            if entry is not None:
                entry[1].close()
            entries, self._async = self._async, []
            for ref, _, client in entries:
                loop = ref()
                if loop is None or loop.is_closed():
                    client.close_abandoned()
                else:
                    loop.call_soon_threadsafe(_close_on_loop, loop, client)
        except Exception:  # noqa: BLE001 -- a finaliser must not raise (e.g. at interpreter shutdown)
            pass

    # A copy (model_copy(deep=True), deepcopy, pickle) starts without clients.
    def __deepcopy__(self, memo: dict[int, Any]) -> "ClientCache":
        return ClientCache()

    def __copy__(self) -> "ClientCache":
        return ClientCache()

    def __reduce__(self) -> tuple[Any, ...]:
        return (ClientCache, ())


# the closes handed to a live loop by ClientCache.__del__, held until done (a loop keeps tasks weakly)
_CLOSING: set["asyncio.Task[None]"] = set()


def _close_on_loop(loop: asyncio.AbstractEventLoop, client: "AsyncClient") -> None:
    task = loop.create_task(client.aclose())
    _CLOSING.add(task)
    task.add_done_callback(_CLOSING.discard)


class ClientOwner(BaseModel):
    """The client plumbing of every public model, written once.

    A subclass implements one hook, :meth:`_client_spec`; this mixin builds, caches and closes the clients.
    Put it among the bases like ``CheckedSettings`` (a pydantic mixin works in both frameworks).
    """

    model_config = ConfigDict(defer_build=True)

    # built on first use: one sync, one per event loop (a copy or unpickle starts empty)
    _clients: ClientCache = PrivateAttr(default_factory=ClientCache)

    def _client_spec(self, *, sync: bool) -> ClientSpec:
        """Hook: the settings the sync (``sync=True``) or async client is built from."""
        raise NotImplementedError

    def _sync_client(self) -> "Client":
        # the private-attribute dict directly: pydantic's __getattr__ costs microseconds per call
        cache: ClientCache = self.__pydantic_private__["_clients"]  # type: ignore[index]
        return cache.sync(self._client_spec(sync=True))

    def _async_client(self) -> "AsyncClient":
        # An httpx.AsyncClient belongs to the event loop it first ran on: one client per loop.
        cache: ClientCache = self.__pydantic_private__["_clients"]  # type: ignore[index]
        return cache.for_loop(self._client_spec(sync=False))

    def close(self) -> None:
        """Close the sync client's connections (a later call opens new ones; async pools close with ``aclose``)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the running event loop's async client (a later call opens a new one)."""
        await self._clients.aclose()


_caches: "weakref.WeakSet[ClientCache]" = weakref.WeakSet()


def _reset_after_fork() -> None:
    for cache in list(_caches):
        cache._forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
