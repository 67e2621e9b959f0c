"""The construction checks of the public models, written once.

``ChatGloo``/``ChatGravixLayer`` (LangChain), ``Gloo``/``GravixLayer`` (LlamaIndex) and both
embeddings classes inherit :class:`CheckedSettings`, put FIRST among their bases, so that its
``__init__`` wraps the framework's and its validators run after the framework's own (pydantic
collects decorators along the reversed MRO: framework bases, then this mixin, then the class).

What it does, on every subclass:

* a ``ValidationError`` is raised again without its input (constructor arguments can be secrets),
  from outside the ``except`` block so the original error is not its ``__context__``;
* ``timeout``, ``max_retries``, ``stream_idle_timeout`` and ``default_headers`` pass the same
  checks as the core clients (``core/config.py``); a class without one of these fields is fine;
* the argument names of the incumbent named by ``incumbent`` (``ChatOpenAI``, ``OpenAILike``, ...) mean
  what they mean there: aliases renamed, unsupported client settings refused with a pointer
  (``core/incumbent_names.py``, the table the porting guide is generated from);
* an unknown argument whose name looks like a credential is refused, naming it and never its value
  (``core/credentials.py``); so is a credential-named key of ``unknown_options_field``;
* any other unknown constructor argument moves to the field named by ``unknown_options_field`` with a
  warning, and one that looks like a misspelt option raises (``core/options.py``).

:class:`TimeoutAsData` adds the serializer that turns an ``httpx.Timeout`` into JSON data (for the
LlamaIndex ``to_dict``/``from_dict`` round trip); the LangChain classes do not use it.

The mixins' only ``model_config`` is ``defer_build``: a model's validators are built when its first
instance is made, not at import (import time is a benchmarked target); each model keeps the rest of its own
configuration (``hide_input_in_errors``, ...).
Framework-free: pydantic is a core dependency.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Optional

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from .config import check_headers, check_max_retries, check_stream_idle_timeout, check_timeout, timeout_as_data
from .incumbent_names import apply_incumbent_names
from .options import move_unknown_options, unknown_option_warning, user_stacklevel
from .proxy import check_proxy
from .redact import hide_validation_input

__all__ = ["CheckedSettings", "TimeoutAsData"]


class CheckedSettings(BaseModel):
    """Construction checks shared by the public models (see the module docstring)."""

    model_config = ConfigDict(defer_build=True)

    #: the dict field that receives unknown constructor arguments (``model_kwargs``, ``additional_kwargs``)
    unknown_options_field: ClassVar[str] = "model_kwargs"
    #: constructor arguments accepted besides the fields and their aliases (LlamaIndex's ``class_name``)
    extra_known_options: ClassVar[frozenset[str]] = frozenset()
    #: the class whose argument names this one honours (a key of ``incumbent_names.INCUMBENTS``)
    incumbent: ClassVar[Optional[str]] = None

    def __init__(self, **kwargs: Any) -> None:
        try:
            super().__init__(**kwargs)
            return
        except ValidationError as error:
            hidden = hide_validation_input(error)
        # raised outside the handler: the original error (which holds every argument) is not its context
        raise hidden

    # The same checks as the core clients (core/config.py), run at construction.
    @field_validator("timeout", check_fields=False)
    @classmethod
    def _check_timeout(cls, value: Any) -> Any:
        check_timeout(value)
        return value

    @field_validator("max_retries", mode="before", check_fields=False)
    @classmethod
    def _check_max_retries(cls, value: Any) -> int:
        return check_max_retries(value)

    @field_validator("stream_idle_timeout", mode="before", check_fields=False)
    @classmethod
    def _check_stream_idle_timeout(cls, value: Any) -> Optional[float]:
        return check_stream_idle_timeout(value)

    @field_validator("proxy", mode="before", check_fields=False)
    @classmethod
    def _check_proxy(cls, value: Any) -> Optional[str]:
        return check_proxy(value)

    @field_validator("default_headers", check_fields=False)
    @classmethod
    def _check_default_headers(cls, value: Optional[dict[str, str]]) -> Optional[dict[str, str]]:
        return None if value is None else check_headers(value)

    @model_validator(mode="before")
    @classmethod
    def _collect_unknown_options(cls, values: Any) -> Any:
        """Unknown arguments go to ``unknown_options_field`` with a warning, as in ChatOpenAI;
        one that looks like a misspelt option raises, suggesting the option."""
        if not isinstance(values, dict):
            return values
        fields = cls.model_fields
        declared = set(fields) | {f.alias for f in fields.values() if f.alias} | cls.extra_known_options
        # second names given as validation_alias=AliasChoices(name, other) (see secret_input.py: they
        # keep the field's own name as the constructor's parameter for type checkers)
        for f in fields.values():
            if isinstance(f.validation_alias, AliasChoices):
                declared.update(c for c in f.validation_alias.choices if isinstance(c, str))
        destination = cls.unknown_options_field
        values, body = apply_incumbent_names(values, cls.incumbent, declared, destination)
        values = move_unknown_options(values, declared, destination)
        if body:  # the incumbent's request fields we do not declare: to the body, as there, with a warning
            level = user_stacklevel()
            for name in body:
                warnings.warn(unknown_option_warning(name, destination), UserWarning, stacklevel=level)
            values[destination] = {**(values.get(destination) or {}), **body}
        return values


class TimeoutAsData(BaseModel):
    """Serialises ``timeout`` as data the constructor accepts back (an ``httpx.Timeout`` becomes its parts)."""

    model_config = ConfigDict(defer_build=True)

    @field_serializer("timeout", check_fields=False)
    def _timeout_as_data(self, value: Any) -> Any:
        return timeout_as_data(value)
