"""LlamaIndex ``metadata`` is a view of the same core catalog as LangChain's ``profile``."""

from __future__ import annotations

import pytest

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer
from langchain_gloo_gravix.core import catalog as core_catalog
from langchain_gloo_gravix.core import spec_for
from llama_index_ext import Gloo, GravixLayer


@pytest.mark.parametrize(
    "kwargs,spec",
    [
        ({}, spec_for(auto_routing=True)),
        ({"model_family": "anthropic"}, spec_for(model_family="anthropic")),
        ({"model": "gloo-deepseek-r1"}, spec_for("gloo-deepseek-r1")),
        ({"api_version": "v1"}, spec_for("us.meta.llama3-3-70b-instruct-v1:0")),
    ],
)
def test_gloo_metadata_and_profile_agree(kwargs, spec):
    meta = Gloo(api_key="k", **kwargs).metadata
    profile = ChatGloo(api_key="k", **kwargs).profile
    assert (meta.context_window, meta.num_output, meta.is_function_calling_model) == (
        spec.context_window,
        spec.max_output_tokens,
        spec.tool_calling,
    )
    # LangChain's max_input_tokens is exactly the room LlamaIndex packs prompts into
    assert (profile["max_input_tokens"], profile["max_output_tokens"], profile["tool_calling"]) == (
        meta.context_window - meta.num_output,
        meta.num_output,
        meta.is_function_calling_model,
    )


def test_gravix_metadata_and_profile_agree():
    model = "mistralai/mistral-nemo-instruct-2407"
    meta = GravixLayer(api_key="k", model=model).metadata
    profile = ChatGravixLayer(api_key="k", model=model).profile
    assert (meta.context_window, meta.num_output) == (131072, 4096)
    assert (profile["max_input_tokens"], profile["max_output_tokens"]) == (131072 - 4096, 4096)


def test_metadata_follows_a_catalog_refresh(monkeypatch):
    catalog = core_catalog.ModelCatalog()
    monkeypatch.setattr(core_catalog, "CATALOG", catalog)
    llm = Gloo(api_key="k", model="gloo-brand-new")
    assert llm.metadata.context_window == core_catalog.DEFAULT_SPEC.context_window
    catalog.update_from(
        [{"id": "gloo-brand-new", "context_window": 77777, "max_output_tokens": 777, "supports_tools": False}]
    )
    meta = llm.metadata
    assert (meta.context_window, meta.num_output, meta.is_function_calling_model) == (77777, 777, False)
    assert ChatGloo(api_key="k", model="gloo-brand-new").profile["max_input_tokens"] == 77777 - 777


@pytest.mark.parametrize("model", ["gloo-openai-gpt-5-mini", "gloo-openai-gpt-5.2"])
def test_gpt5_input_limit_is_what_fits_beside_the_largest_answer(model):
    # OpenAI: a 400,000-token window of which 128,000 are the largest answer; ChatOpenAI's
    # profile data says max_input_tokens 272,000 for these ids.
    assert ChatGloo(api_key="k", model=model).profile["max_input_tokens"] == 272000
    meta = Gloo(api_key="k", model=model).metadata
    assert meta.context_window - meta.num_output == 272000


def test_a_smaller_max_tokens_does_not_let_prompts_grow_past_the_input_limit():
    meta = Gloo(api_key="k", model="gloo-openai-gpt-5-mini", max_tokens=1000).metadata
    assert meta.num_output == 1000
    assert meta.context_window - meta.num_output == 272000
    # a user's own context_window is taken as given
    assert Gloo(api_key="k", model="gloo-openai-gpt-5-mini", context_window=5000).metadata.context_window == 5000
