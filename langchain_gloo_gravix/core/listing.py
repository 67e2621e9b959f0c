"""``list_models()`` on the framework classes: callable on the class and on an instance.

``ChatGloo.list_models()`` reads the default host's registry (``GLOO_BASE_URL`` or Gloo's public
URL; no credentials needed, it is public); ``llm.list_models()`` reads the host, credentials,
timeouts and transport that instance is configured with. Both go through core/registry.py, so
the list is the same five-minute snapshot the answers' ``cost`` is priced from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from .endpoints import Endpoint

if TYPE_CHECKING:  # pragma: no cover
    from .model_list import ModelInfo

__all__ = ["class_or_instance_method", "list_for", "alist_for"]


class class_or_instance_method(classmethod):  # type: ignore[type-arg]
    """Like ``classmethod``, but bound to the instance when called on one (the function tells which
    by ``isinstance(first, type)``). A ``classmethod`` subclass, so pydantic leaves it alone."""

    def __get__(self, instance: Any, owner: Optional[type] = None) -> Any:
        if instance is None:
            return super().__get__(None, owner)
        return self.__func__.__get__(instance, owner)


def list_for(endpoint: Endpoint, instance_client: Optional[Callable[[], Any]], refresh: bool) -> list["ModelInfo"]:
    """The model list through ``instance_client()`` (an instance's core client), or through a
    short-lived client of ``endpoint`` configured from the environment (a call on the class)."""
    from .client import Client
    from .registry import list_models

    if instance_client is not None:
        return list_models(instance_client(), refresh=refresh)
    with Client(endpoint) as client:
        return list_models(client, refresh=refresh)


async def alist_for(
    endpoint: Endpoint, instance_client: Optional[Callable[[], Any]], refresh: bool
) -> list["ModelInfo"]:
    """Async :func:`list_for`."""
    from .client import AsyncClient
    from .registry import alist_models

    if instance_client is not None:
        return await alist_models(instance_client(), refresh=refresh)
    async with AsyncClient(endpoint) as client:
        return await alist_models(client, refresh=refresh)
