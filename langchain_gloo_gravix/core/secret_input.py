"""``SecretInput``: the annotation of every secret field of the public models (``api_key``, ``client_secret``).

Pydantic turns a plain ``str`` into a ``SecretStr`` when a model is built, but a type checker
without pydantic's mypy plugin takes a field's annotation as the constructor's parameter type
(PEP 681), so ``ChatGloo(api_key="...")`` -- what the README shows -- would fail ``mypy --strict``.
For type checkers the field therefore reads ``SecretStr | str``; at run time it is ``SecretStr``,
so a given ``str`` is validated into a ``SecretStr`` and the stored value is always one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

from pydantic import SecretStr

if TYPE_CHECKING:
    from typing_extensions import TypeAlias

    SecretInput: TypeAlias = Union[SecretStr, str]
else:
    SecretInput = SecretStr

__all__ = ["SecretInput"]
