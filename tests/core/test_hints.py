"""The hints appended to errors whose server text does not say what to change (core/hints.py)."""

from __future__ import annotations

import pytest

from langchain_gloo_gravix.core import Client, NotFoundError
from langchain_gloo_gravix.core.hints import BASE_URL_HINTS, hint_for
from langchain_gloo_gravix.emulator import Emulator

MSGS = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    "body",
    [None, "Not Found", "404 page not found", {"detail": "Not Found"}, {"error": {"message": "404 page not found"}}],
)
@pytest.mark.parametrize("endpoint, service", [("gravix", "gravix"), ("gloo-v2", "gloo"), ("gloo-v1", "gloo")])
def test_a_404_for_a_missing_path_points_at_base_url(body, endpoint, service):
    assert hint_for(404, body, endpoint=endpoint) == BASE_URL_HINTS[service]


@pytest.mark.parametrize(
    "body",
    [
        # Gravix (Ollama) for a model it does not have: the server said what is wrong
        {"error": {"message": 'model "x" not found, try pulling it first', "type": "not_found_error"}},
        {"detail": "Unknown model x"},
        {"detail": "Grounded publisher not found"},
    ],
)
def test_a_404_that_names_its_cause_gets_no_hint(body):
    assert hint_for(404, body, endpoint="gravix") is None
    assert hint_for(404, body, endpoint="gloo-v2") is None


def test_the_base_url_hint_needs_an_endpoint():
    assert hint_for(404, None) is None


def test_a_gravix_base_url_without_its_prefix_is_named_in_the_error(emulator):
    # the Gloo-style host root given to Gravix: /chat/completions does not exist there
    client = Client("gravix", base_url=emulator.gloo_base_url, api_key=Emulator.GRAVIX_API_KEY, max_retries=0)
    with pytest.raises(NotFoundError) as caught:
        client.create(MSGS, model="meta-llama/llama-3.1-8b-instruct")
    assert "/v1/inference" in str(caught.value) and caught.value.status_code == 404
    client.close()


def test_a_gloo_base_url_with_a_path_is_named_in_the_error(emulator):
    # Gravix's prefix given to Gloo: /v1/inference/ai/v2/chat/completions does not exist
    client = Client("gloo-v2", base_url=emulator.gravix_base_url, api_key=Emulator.GLOO_API_KEY, max_retries=0)
    with pytest.raises(NotFoundError) as caught:
        client.create(MSGS, auto_routing=True)
    assert "host root" in str(caught.value)
    client.close()


def test_a_model_the_server_does_not_have_keeps_its_own_message(emulator):
    client = Client("gravix", base_url=emulator.gravix_base_url, api_key=Emulator.GRAVIX_API_KEY, max_retries=0)
    with pytest.raises(NotFoundError) as caught:
        client.create(MSGS, model="no-such-model")
    assert "try pulling it first" in str(caught.value) and "base_url" not in str(caught.value)
    client.close()
