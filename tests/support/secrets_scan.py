"""What a crash reporter would capture from a traceback, searched for secrets.

Sentry-style reporters serialise every local of every frame of an exception and of its causes and contexts:
strings and bytes as they are, mappings and sequences item by item, anything else by ``repr``. A secret found
in any of those is a leak.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Iterable, Optional


def _chain(error: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    todo: list[Optional[BaseException]] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__]
        todo += list(getattr(current, "exceptions", ()))  # exception groups


def _texts(value: Any, depth: int = 0) -> Iterable[str]:
    if depth > 6:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, (bytes, bytearray)):
        yield bytes(value).decode("latin-1")
    elif isinstance(value, Mapping):
        for key, item in list(value.items())[:200]:
            yield from _texts(key, depth + 1)
            yield from _texts(item, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in list(value)[:200]:
            yield from _texts(item, depth + 1)
    else:
        try:
            yield repr(value)
        except Exception:  # a repr that fails shows nothing
            return


def secrets_in_traceback(error: BaseException, secrets: Iterable[str]) -> list[str]:
    """``"frame: local"`` for every local (in any frame of ``error``'s chain) that shows one of ``secrets``."""
    wanted = tuple(secrets)
    found: list[str] = []
    for exc in _chain(error):
        tb: Optional[TracebackType] = exc.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            if "/tests/" in frame.f_code.co_filename:  # the test's own frames hold what it scripted
                tb = tb.tb_next
                continue
            for name, value in frame.f_locals.items():
                if any(secret in text for text in _texts(value) for secret in wanted):
                    found.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}: {name}")
            tb = tb.tb_next
        for text in _texts(exc.args) if exc.args else ():
            if any(secret in text for secret in wanted):
                found.append(f"{type(exc).__name__}.args")
    return found
