"""The construction checks written once (core/checked_model.py) run on every public model class."""

from __future__ import annotations

from typing import Any, ClassVar, Optional

import httpx
import pytest
from pydantic import ConfigDict, Field, SecretStr, ValidationError

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer, GravixLayerEmbeddings
from langchain_gloo_gravix.core.checked_model import CheckedSettings, TimeoutAsData
from llama_index_ext import Gloo, GravixLayer, GravixLayerEmbedding

PUBLIC = [ChatGloo, ChatGravixLayer, GravixLayerEmbeddings, Gloo, GravixLayer, GravixLayerEmbedding]


class _Small(CheckedSettings, TimeoutAsData):
    # no stream_idle_timeout and no default_headers: the mixin's checks of them are simply not applied
    model_config = ConfigDict(hide_input_in_errors=True)
    unknown_options_field: ClassVar[str] = "extra"
    extra_known_options: ClassVar[frozenset[str]] = frozenset({"class_name"})

    api_key: Optional[SecretStr] = None
    temperature: Optional[float] = None
    timeout: Any = None
    max_retries: int = 2
    extra: dict[str, Any] = Field(default_factory=dict)


def _defined_in(func: Any) -> str:
    return str(getattr(func, "__func__", func).__qualname__).split(".")[0]


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda c: c.__name__)
def test_every_public_class_inherits_the_checks_and_keeps_its_own_config(cls):
    assert issubclass(cls, CheckedSettings)
    decorators = cls.__pydantic_decorators__
    for name in ("_check_timeout", "_check_max_retries", "_check_default_headers"):
        assert _defined_in(decorators.field_validators[name].func) == "CheckedSettings"
    assert _defined_in(decorators.model_validators["_collect_unknown_options"].func) == "CheckedSettings"
    assert cls.model_config["hide_input_in_errors"] is True
    # the httpx.Timeout-as-data serializer belongs to the LlamaIndex classes only (to_dict/from_dict)
    assert ("_timeout_as_data" in cls.__pydantic_decorators__.field_serializers) == issubclass(cls, TimeoutAsData)


def test_a_subclass_without_some_fields_gets_the_checks_it_has_fields_for():
    with pytest.raises(ValidationError, match="timeout") as caught:
        _Small(api_key="sk-hidden-1234", timeout=-1)
    assert "sk-hidden-1234" not in str(caught.value)
    assert caught.value.__context__ is None  # raised outside the handler
    with pytest.raises(ValidationError, match="max_retries"):
        _Small(max_retries=True)


def test_unknown_options_go_to_the_named_field_and_misspellings_raise():
    with pytest.warns(UserWarning, match="'top_k' is not a declared option"):
        small = _Small(top_k=3, class_name="_Small")
    assert small.extra == {"top_k": 3}
    with pytest.raises(ValidationError, match="did you mean 'temperature'"):
        _Small(temprature=1)


def test_timeout_is_serialised_as_data_the_constructor_accepts_back():
    small = _Small(timeout=httpx.Timeout(5.0, connect=2.0))
    data = small.model_dump()
    assert data["timeout"] == {"connect": 2.0, "read": 5.0, "write": 5.0, "pool": 5.0}
    assert _Small(**data).model_dump() == data
