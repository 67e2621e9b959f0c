"""The core catalog and the emulator's registry agree on what both know.

Every model the core catalog (``core/catalog.py``) names must be one the emulator
serves, or one it knows as retired, with the same capabilities: a tool-rejecting,
reasoning or vision model in one is the same in the other. Either side may know more
models than the other; this test compares only the overlap and the catalog's ids,
so both can grow independently.
"""

from __future__ import annotations

import pytest

from langchain_gloo_gravix.core.catalog import CATALOG
from langchain_gloo_gravix.emulator import catalog as emulator_catalog
from langchain_gloo_gravix.emulator.registry_data import RETIRED_V1, RETIRED_V2, V1_MODELS

GLOO = {m["id"]: m for m in emulator_catalog.GLOO_MODELS}
GRAVIX = {m["id"]: m for m in emulator_catalog.GRAVIX_MODELS}
RETIRED = set(RETIRED_V1) | set(RETIRED_V2)


def _catalog_ids() -> list[str]:
    return sorted(CATALOG.entries())


def _served(model_id: str) -> bool:
    return model_id.lower() in {k.lower() for k in (*GLOO, *GRAVIX, *V1_MODELS, *RETIRED)}


@pytest.mark.parametrize("model_id", _catalog_ids())
def test_every_catalog_model_exists_in_the_emulator(model_id):
    assert _served(model_id), f"{model_id} is in core/catalog.py but the emulator neither serves nor retired it"


@pytest.mark.parametrize("model_id", sorted(set(GLOO) & set(_catalog_ids())))
def test_gloo_models_have_the_same_capabilities(model_id):
    entry, spec = GLOO[model_id], CATALOG.spec_for(model_id)
    assert (spec.tool_calling, spec.reasoning, spec.image_inputs) == (
        entry["supports_tools"],
        entry["supports_reasoning"],
        entry["supports_vision"],
    )


@pytest.mark.parametrize("model_id", sorted(set(GRAVIX) & set(_catalog_ids())))
def test_gravix_models_have_the_same_capabilities(model_id):
    entry, spec = GRAVIX[model_id], CATALOG.spec_for(model_id)
    assert entry["_chat"] and spec.image_inputs == entry["_vision"]


def test_image_only_models_stay_out_of_the_chat_catalog():
    for model_id, entry in GLOO.items():
        if "text" not in entry["output_modalities"]:
            assert model_id not in CATALOG, model_id


def test_the_emulators_reasoning_fields_follow_its_registry():
    for entry in GLOO.values():
        assert bool(entry["_reasoning_field"]) == entry["supports_reasoning"], entry["id"]
