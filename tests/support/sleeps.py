"""Retry sleeps recorded instead of slept."""

from __future__ import annotations


class Sleeps(list):
    """The delays a retry loop asked for. Pass ``sleep=sleeps`` (sync) or ``sleep=sleeps.async_`` (async)
    to a core client; ``tests/conftest.py``'s ``sleeps`` fixture also installs it as the sender's default."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)

    async def async_(self, seconds: float) -> None:
        self.append(seconds)
