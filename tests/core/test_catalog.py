"""The one model catalog: lookups, routing profiles, and refresh from live model lists."""

from __future__ import annotations

from langchain_gloo_gravix.core import (
    CATALOG,
    AsyncClient,
    Client,
    ModelCatalog,
    ModelSpec,
    arefresh_catalog,
    refresh_catalog,
    spec_for,
)
from langchain_gloo_gravix.core.catalog import AUTO_ROUTING_SPEC, DEFAULT_SPEC, ROUTING_SPECS
from langchain_gloo_gravix.emulator import Emulator
from langchain_gloo_gravix.emulator import catalog as emulator_catalog


def test_known_ids_of_every_endpoint():
    assert spec_for("gloo-anthropic-claude-sonnet-4.5") == ModelSpec(200000, 64000, True, True, True, True)
    assert spec_for("GLOO-OpenAI-GPT-5-Mini ").context_window == 400000  # ids are case- and space-insensitive
    v1 = spec_for("us.meta.llama3-3-70b-instruct-v1:0")
    assert (v1.context_window, v1.max_output_tokens, v1.tool_calling) == (131072, 8192, True)
    gravix = spec_for("meta-llama/llama-3.1-8b-instruct")
    assert (gravix.context_window, gravix.tool_calling, gravix.structured_output) == (131072, True, True)
    assert spec_for("qwen/qwen-2.5-vl-7b-instruct").image_inputs is True


def test_models_that_reject_tools_say_so():
    for model in ("gloo-meta-llama-3.1-8b-instruct", "gloo-deepseek-r1", "gloo-meta-llama-4-maverick"):
        spec = spec_for(model)
        assert spec.tool_calling is False and spec.structured_output is False, model
    assert spec_for("gloo-deepseek-r1").reasoning is True


def test_unknown_ids_fall_back_to_family_patterns_then_conservative_defaults():
    assert spec_for("gloo-anthropic-claude-opus-9") == spec_for("gloo-anthropic-claude-sonnet-4.5")
    assert spec_for("llama3.2:3b-q4_K_M").context_window == 131072
    unknown = spec_for("some-new-model")
    assert unknown == DEFAULT_SPEC
    assert (unknown.context_window, unknown.max_output_tokens) == (32768, 4096)
    assert unknown.tool_calling is True and unknown.structured_output is False and unknown.reasoning is False
    assert spec_for(None) == DEFAULT_SPEC


def test_routing_profiles():
    assert spec_for(auto_routing=True) == AUTO_ROUTING_SPEC
    assert spec_for(model_family="Open Source") == ROUTING_SPECS["open source"]
    assert spec_for(model_family="unheard-of") == AUTO_ROUTING_SPEC
    for spec in (AUTO_ROUTING_SPEC, *ROUTING_SPECS.values()):
        # tools work in every routing mode; response_format may be silently ignored by the routed model
        assert spec.tool_calling and not spec.structured_output and spec.reasoning
        assert spec.max_output_tokens >= 2048  # Gloo's floor for reasoning models (docs/providers.md#reasoning-models)
    # the smallest window of the pool, never more than a member accepts
    assert AUTO_ROUTING_SPEC.context_window <= min(s.context_window for s in ROUTING_SPECS.values())
    # a model id wins over a family
    assert spec_for("gloo-openai-gpt-5-mini", model_family="google").context_window == 400000


def test_gloo_v1_carries_no_response_format():
    assert spec_for("us.anthropic.claude-sonnet-4-20250514-v1:0").structured_output is False
    assert spec_for("gloo-openai-gpt-5-mini").structured_output is True
    assert spec_for("gloo-openai-gpt-5-mini", endpoint="gloo-v1").structured_output is False
    assert spec_for("gloo-openai-gpt-5-mini", endpoint="gloo-v2").structured_output is True


def test_update_from_overrides_what_the_list_states_and_keeps_the_rest():
    catalog = ModelCatalog()
    changed = catalog.update_from(
        [
            {"id": "gloo-deepseek-v3.2", "context_window": 163840, "max_output_tokens": 65536, "supports_tools": True},
            {
                "id": "gloo-brand-new-model",
                "context_window": 50000,
                "max_output_tokens": 1000,
                "supports_tools": False,
                "supports_reasoning": True,
                "input_modalities": ["text", "image"],
            },
            {"id": "gloo-flux", "context_window": 4096, "output_modalities": ["image"]},  # image-only: not a chat model
            {"id": "llama3.1:8b"},  # id-only (OpenAI-style list): nothing to learn
            {"id": ""},
            {"name": "no id"},
        ]
    )
    assert changed == ["gloo-deepseek-v3.2", "gloo-brand-new-model"]
    deepseek = catalog.spec_for("gloo-deepseek-v3.2")
    assert (deepseek.context_window, deepseek.max_output_tokens) == (163840, 65536)
    assert deepseek.structured_output is True  # not in the list: the catalog's value stays
    new = catalog.spec_for("gloo-brand-new-model")
    assert new == ModelSpec(50000, 1000, tool_calling=False, structured_output=False, reasoning=True, image_inputs=True)
    assert "gloo-flux" not in catalog
    assert catalog.update_from([{"id": "gloo-brand-new-model", "context_window": 50000}]) == []  # idempotent
    # the process-wide catalog is untouched
    assert spec_for("gloo-deepseek-v3.2").context_window == 131072
    assert "gloo-brand-new-model" not in CATALOG


def test_update_from_ignores_bad_numbers():
    catalog = ModelCatalog({})
    catalog.update_from([{"id": "m", "context_window": -5, "max_output_tokens": True, "supports_tools": "yes"}])
    assert "m" not in catalog and catalog.spec_for("m") == DEFAULT_SPEC


def test_refresh_from_the_emulators_gloo_registry(emulator):
    catalog = ModelCatalog()
    with Client("gloo-v2", base_url=emulator.base_url, api_key=Emulator.GLOO_API_KEY) as client:
        changed = refresh_catalog(client, catalog)
    registry = {m["id"]: m for m in emulator_catalog.gloo_registry()["data"]}
    assert "gloo-deepseek-v3.2" in changed
    for model_id, entry in registry.items():
        if entry["output_modalities"] == ["image"]:
            assert model_id not in catalog
            continue
        spec = catalog.spec_for(model_id)
        assert (spec.context_window, spec.max_output_tokens) == (entry["context_window"], entry["max_output_tokens"])
        assert (spec.tool_calling, spec.reasoning, spec.image_inputs) == (
            entry["supports_tools"],
            entry["supports_reasoning"],
            entry["supports_vision"],
        )


async def test_async_refresh_from_the_emulators_gravix_list(emulator):
    catalog = ModelCatalog()
    before = catalog.entries()
    async with AsyncClient("gravix", base_url=emulator.gravix_base_url, api_key=Emulator.GRAVIX_API_KEY) as client:
        changed = await arefresh_catalog(client, catalog)
    # Gravix lists ids only (Ollama's /v1/models): the catalog's numbers stay
    assert changed == [] and catalog.entries() == before
