"""The incumbents' argument names (ChatOpenAI, OpenAIEmbeddings, OpenAILike, OpenAIEmbedding) mean here what
the table in ``core/incumbent_names.py`` says, the porting guide is that table, and a credential under a
name we do not declare is refused without ever being shown."""

from __future__ import annotations

import importlib
import inspect
import pickle
import traceback
import warnings
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer, GravixLayerEmbeddings
from langchain_gloo_gravix.core.incumbent_names import INCUMBENTS, METHODS, porting_markdown, with_generated_section
from llama_index_ext import Gloo, GravixLayer, GravixLayerEmbedding

ROOT = Path(__file__).resolve().parents[2]
GRAVIX_MODEL = "meta-llama/llama-3.1-8b-instruct"
KEY = "k" * 24
BASE = "http://127.0.0.1:9"
CLASSES = {
    "ChatGloo": ChatGloo,
    "ChatGravixLayer": ChatGravixLayer,
    "GravixLayerEmbeddings": GravixLayerEmbeddings,
    "Gloo": Gloo,
    "GravixLayer": GravixLayer,
    "GravixLayerEmbedding": GravixLayerEmbedding,
}
EXTRA_FIELD = {
    "ChatGloo": "model_kwargs",
    "ChatGravixLayer": "model_kwargs",
    "GravixLayerEmbeddings": "model_kwargs",
    "Gloo": "additional_kwargs",
    "GravixLayer": "additional_kwargs",
    "GravixLayerEmbedding": "additional_kwargs",
}
#: a sample value per alias target, accepted by every class that has the target
ALIAS_VALUES = {
    "api_key": KEY,
    "base_url": BASE + "/v1/inference",
    "timeout": 7.0,
    "proxy": "http://127.0.0.1:3128",
    "stream_idle_timeout": 9.0,
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("GLOO_API_KEY", "GRAVIXLAYER_API_KEY", "GLOO_CLIENT_ID", "GLOO_CLIENT_SECRET", "GRAVIXLAYER_MODEL"):
        monkeypatch.delenv(name, raising=False)


def _base_kwargs(cls_name: str) -> dict[str, Any]:
    kw: dict[str, Any] = {"api_key": KEY}
    if cls_name in ("ChatGravixLayer", "GravixLayer"):
        kw["model"] = GRAVIX_MODEL
    return kw


def _declared(cls: Any) -> set[str]:
    fields = cls.model_fields
    return set(fields) | {f.alias for f in fields.values() if f.alias}


def _cases(kind: str) -> list[tuple[str, str, Any]]:
    return [
        (incumbent.name, cls_name, row)
        for incumbent in INCUMBENTS.values()
        for row in incumbent.rows
        if row.kind == kind
        for cls_name in incumbent.ours
    ]


def _id(case: tuple[str, str, Any]) -> str:
    return f"{case[1]}-{case[2].name}"


# -- the guide is the table --------------------------------------------------------------------------------


def test_porting_guide_is_generated_from_the_table():
    doc = (ROOT / "docs" / "porting.md").read_text(encoding="utf-8")
    assert with_generated_section(doc) == doc, (
        "docs/porting.md is stale: python -m langchain_gloo_gravix.core.incumbent_names --write docs/porting.md"
    )
    for incumbent in INCUMBENTS.values():
        for row in incumbent.rows:
            assert f"| `{row.name}` |" in porting_markdown()


def test_every_row_is_named_once_per_incumbent():
    for incumbent in INCUMBENTS.values():
        names = [row.name for row in incumbent.rows]
        assert len(names) == len(set(names)), incumbent.name
        assert all(o in CLASSES for o in incumbent.ours)


@pytest.mark.parametrize("incumbent", list(INCUMBENTS))
def test_every_argument_of_the_installed_incumbent_has_a_row(incumbent):
    """Walks the incumbent's own fields and constructor parameters (skipped when it is not installed)."""
    table = INCUMBENTS[incumbent]
    module = pytest.importorskip(table.module)
    cls = getattr(module, incumbent)
    names = set(cls.model_fields) | {f.alias for f in cls.model_fields.values() if f.alias}
    names |= {
        p.name
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != "self"
    }
    rows = {row.name: row for row in table.rows}
    assert not sorted(names - set(rows)), f"{incumbent} arguments without a row"
    # a row for a name the incumbent does not have: only request fields (sent as they are)
    assert all(rows[n].kind == "body" for n in set(rows) - names), sorted(set(rows) - names)


def test_methods_rows_name_methods_we_have():
    for row in METHODS:
        for cls_name in INCUMBENTS[row.incumbent].ours:
            cls = CLASSES[cls_name]
            assert hasattr(cls, row.method) or row.method in cls.model_fields, (cls_name, row.method)


# -- each row does what it says ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", _cases("same"), ids=_id)
def test_same_rows_are_declared(case):
    _, cls_name, row = case
    if row.name == "rate_limiter" and cls_name in ("Gloo", "GravixLayer", "GravixLayerEmbedding"):
        # inherited from LlamaIndex's base classes, which declare it from llama-index-core 0.14.16 on
        # (the lowest-versions run has 0.14.5, where no LlamaIndex model has one)
        from llama_index.core.base.llms.base import BaseLLM

        if "rate_limiter" not in BaseLLM.model_fields:
            pytest.skip("this llama-index-core has no rate_limiter (added in 0.14.16)")
    assert row.name in _declared(CLASSES[cls_name]) or row.target in CLASSES[cls_name].model_fields


@pytest.mark.parametrize("case", _cases("alias"), ids=_id)
def test_alias_rows_set_our_field(case):
    incumbent, cls_name, row = case
    cls = CLASSES[cls_name]
    assert row.name not in _declared(cls)
    value = ALIAS_VALUES[row.target]
    kw = {k: v for k, v in _base_kwargs(cls_name).items() if k != row.target}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an alias is not an unknown option: no warning
        model = cls(**kw, **{row.name: value})
    got = getattr(model, row.target)
    got = got.get_secret_value() if hasattr(got, "get_secret_value") else got
    assert got == value, (row.name, got)
    assert row.name not in getattr(model, EXTRA_FIELD[cls_name])
    with pytest.raises(ValidationError, match=f"'{row.name}' is {incumbent}'s name for '{row.target}'"):
        cls(**{**_base_kwargs(cls_name), row.target: value, row.name: value})


@pytest.mark.parametrize("case", _cases("refused"), ids=_id)
def test_refused_rows_raise_with_the_pointer(case):
    incumbent, cls_name, row = case
    cls = CLASSES[cls_name]
    if row.name in _declared(cls):
        # declared by this class with its own meaning (api_version on the Gloo classes): the note says how
        assert row.name in row.note or "Gloo" in row.note
        return
    with pytest.raises(ValidationError) as caught:
        cls(**_base_kwargs(cls_name), **{row.name: "VALUE-NOT-SHOWN"})
    text = str(caught.value)
    assert f"{incumbent}'s {row.name!r} is not supported here" in text
    assert row.note.split(";")[0].split(":")[0][:40] in text
    assert "VALUE-NOT-SHOWN" not in text + repr(caught.value.errors())


@pytest.mark.parametrize("case", _cases("body"), ids=_id)
def test_body_rows_reach_the_request_fields_with_a_warning(case):
    _, cls_name, row = case
    cls = CLASSES[cls_name]
    assert row.name not in _declared(cls)
    with pytest.warns(UserWarning, match=f"'{row.name}' is not a declared option"):
        model = cls(**_base_kwargs(cls_name), **{row.name: 3})
    assert getattr(model, EXTRA_FIELD[cls_name])[row.name] == 3


@pytest.mark.parametrize("case", _cases("fixed"), ids=_id)
def test_fixed_rows_accept_their_value_only(case):
    _, cls_name, row = case
    cls = CLASSES[cls_name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = cls(**_base_kwargs(cls_name), **{row.name: row.value})
    assert row.name not in getattr(model, EXTRA_FIELD[cls_name])
    with pytest.raises(ValidationError, match=f"{row.name}=.* is not supported"):
        cls(**_base_kwargs(cls_name), **{row.name: not row.value})


def test_aliases_reach_the_client():
    """openai_api_key / openai_api_base / request_timeout / openai_proxy end up in the core client."""
    model = ChatGravixLayer(
        model=GRAVIX_MODEL,
        openai_api_key=KEY,
        openai_api_base=BASE + "/v1/inference",
        request_timeout=7,
        openai_proxy="http://127.0.0.1:3128",
    )
    client = model._sync_client()
    assert client.base_url == BASE + "/v1/inference"
    assert client.timeout.read == 7
    assert client.settings.proxy == "http://127.0.0.1:3128"
    assert model.model_kwargs == {}
    model.close()
    li = GravixLayer(model=GRAVIX_MODEL, api_key=KEY, api_base=BASE + "/v1/inference")
    assert li._sync_client().base_url == BASE + "/v1/inference"
    li.close()


# -- credentials under names we do not declare (issue 20, finding 6) ---------------------------------------

CANARY = "CANARY-CRED-9f3b2c1d"
CREDENTIAL_NAMES = ["gravixlayer_api_key", "client_key", "bearer_token", "GRAVIXLAYER_API_KEY", "secret", "apiKey"]


@pytest.mark.parametrize("cls_name", list(CLASSES))
@pytest.mark.parametrize("name", CREDENTIAL_NAMES)
def test_credential_named_arguments_are_refused_and_never_shown(cls_name, name):
    cls = CLASSES[cls_name]
    with pytest.raises(ValidationError) as caught:
        cls(**_base_kwargs(cls_name), **{name: CANARY})
    error = caught.value
    assert repr(name) in str(error) and "looks like a credential" in str(error)
    shown = (
        str(error)
        + repr(error)
        + repr(error.errors())
        + "".join(traceback.format_exception(type(error), error, error.__traceback__))
        + repr(pickle.dumps(error))
    )
    assert CANARY not in shown


@pytest.mark.parametrize("cls_name", list(CLASSES))
def test_credential_named_extra_fields_are_refused(cls_name):
    cls = CLASSES[cls_name]
    with pytest.raises(ValidationError, match="looks like a credential") as caught:
        cls(**_base_kwargs(cls_name), **{EXTRA_FIELD[cls_name]: {"x_api_key": CANARY}})
    assert CANARY not in str(caught.value) + repr(caught.value.errors())


@pytest.mark.parametrize("cls_name", list(CLASSES))
def test_openai_api_key_is_the_api_key_and_stays_hidden(cls_name):
    """Finding 6's first case: openai_api_key was a body field shown in repr, dumpd and to_dict."""
    cls = CLASSES[cls_name]
    kw = {k: v for k, v in _base_kwargs(cls_name).items() if k != "api_key"}
    name = "openai_api_key" if cls_name.startswith(("Chat", "GravixLayerEmbeddings")) else "api_key"
    model = cls(**kw, **{name: CANARY})
    shown = repr(model) + str(model) + repr(getattr(model, EXTRA_FIELD[cls_name]))
    if hasattr(model, "to_dict"):
        shown += repr(model.to_dict()) + model.to_json()
    else:
        from langchain_core.load import dumpd, dumps

        shown += dumps(model) + repr(dumpd(model))
    assert CANARY not in shown


def test_ordinary_unknown_options_still_go_to_the_body():
    with pytest.warns(UserWarning, match="'top_k' is not a declared option"):
        model = ChatGravixLayer(model=GRAVIX_MODEL, api_key=KEY, top_k=5)
    assert model.model_kwargs == {"top_k": 5}
    with pytest.raises(ValidationError, match="did you mean 'temperature'"):
        ChatGravixLayer(model=GRAVIX_MODEL, api_key=KEY, temprature=0.5)


def test_incumbent_modules_are_not_imported_by_the_table():
    # the table is data: importing it must not import langchain_openai or llama_index.llms
    module = importlib.import_module("langchain_gloo_gravix.core.incumbent_names")
    assert "langchain_openai" not in module.__dict__
