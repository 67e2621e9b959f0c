"""The shared rule for constructor options neither framework class declares."""

from __future__ import annotations

import pytest

from langchain_gloo_gravix.core.options import move_unknown_options, split_unknown_options

DECLARED = {"model", "temperature", "tradition", "top_p", "max_tokens", "model_kwargs"}


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("tradtion", "tradition"),  # a dropped letter
        ("temprature", "temperature"),
        ("modle", "model"),  # swapped letters: short names score low on similarity
        ("Temperature", "temperature"),  # case
        ("max_token", "max_tokens"),
    ],
)
def test_misspellings_raise_with_the_option(typo, meant):
    with pytest.raises(ValueError, match=f"unknown option '{typo}': did you mean '{meant}'"):
        split_unknown_options({typo: 1}, DECLARED)


@pytest.mark.parametrize("name", ["top_k", "logit_bias", "prompt_cache_key", "store"])
def test_real_fields_are_not_taken_for_typos(name):
    assert split_unknown_options({name: 1, "model": "m"}, DECLARED) == {name: 1}


def test_move_keeps_existing_destination_entries_and_warns_at_the_callers_line():
    with pytest.warns(UserWarning, match="'top_k' is not a declared option") as caught:
        out = move_unknown_options({"model": "m", "top_k": 4, "model_kwargs": {"seed_x": 1}}, DECLARED, "model_kwargs")
    assert out == {"model": "m", "model_kwargs": {"seed_x": 1, "top_k": 4}}
    assert caught[0].filename == __file__


def test_nothing_unknown_is_a_copy():
    values = {"model": "m"}
    out = move_unknown_options(values, DECLARED, "model_kwargs")
    assert out == values and out is not values
