"""Serialisation round trip without secrets (what the standard test_serdes checks,
with the class explicitly allowed, as langchain-core 1.7 requires for partner classes)."""

from __future__ import annotations

import json

import pytest
from langchain_core.load import dumpd, dumps, load

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer

SECRET = "sk-live-should-never-appear-0123456789"


@pytest.mark.parametrize(
    ("cls", "kwargs", "env_name"),
    [
        (
            ChatGloo,
            {"api_version": "v2", "tradition": "catholic", "client_id": "cid", "client_secret": SECRET},
            "GLOO_CLIENT_SECRET",
        ),
        (ChatGloo, {"api_version": "v1", "api_key": SECRET, "temperature": 0.5}, "GLOO_API_KEY"),
        (ChatGravixLayer, {"model": "meta-llama/llama-3.1-8b-instruct", "api_key": SECRET}, "GRAVIXLAYER_API_KEY"),
    ],
)
def test_round_trip_without_secrets(cls, kwargs, env_name):
    model = cls(base_url="http://127.0.0.1:9", **kwargs)
    text = dumps(model)
    assert SECRET not in text
    assert SECRET not in repr(model) and SECRET not in str(model)
    serialized = dumpd(model)
    secret_fields = [v for v in serialized["kwargs"].values() if isinstance(v, dict) and v.get("type") == "secret"]
    assert secret_fields == [{"lc": 1, "type": "secret", "id": [env_name]}]
    restored = load(
        serialized, valid_namespaces=["langchain_gloo_gravix"], allowed_objects=[cls], secrets_map={env_name: SECRET}
    )
    assert type(restored) is cls
    assert restored.model_dump() == model.model_dump()
    assert json.loads(text)["id"] == ["langchain_gloo_gravix", "chat_models", cls.__name__]
