"""The emulator's Gravix ``/embeddings`` route over real HTTP (httpx, sync)."""

from __future__ import annotations

import math

import httpx
import pytest

from langchain_gloo_gravix.core.embeddings import decode_base64_vector
from langchain_gloo_gravix.emulator import Emulator, Fault
from langchain_gloo_gravix.emulator.embeddings import MAX_BATCH, vector
from tests.support.rag_corpus import DOCUMENTS, QUESTIONS

PATH = "/v1/inference/embeddings"
AUTH = {"Authorization": f"Bearer {Emulator.GRAVIX_API_KEY}"}
MODEL = "microsoft/multilingual-e5-large"
DIMENSIONS = 1024  # multilingual-e5-large's vector size


@pytest.fixture
def client(emulator):
    emulator.clear()
    emulator.embedding_max_batch = MAX_BATCH
    with httpx.Client(base_url=emulator.base_url, timeout=10) as c:
        yield c


def post(client, body, headers=AUTH):
    return client.post(PATH, json=body, headers=headers)


def cosine(a, b):
    return sum(x * y for x, y in zip(a, b))


def test_float_answer_shape(client):
    r = post(client, {"model": MODEL, "input": ["hello world", "second text"], "encoding_format": "float"})
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "list" and body["model"] == MODEL
    assert [d["index"] for d in body["data"]] == [0, 1]
    assert all(d["object"] == "embedding" and len(d["embedding"]) == DIMENSIONS for d in body["data"])
    assert math.isclose(sum(x * x for x in body["data"][0]["embedding"]), 1.0, rel_tol=1e-9)
    assert body["usage"]["prompt_tokens"] > 0 and body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"]


def test_default_encoding_is_float_and_a_single_string_is_accepted(client):
    body = post(client, {"model": MODEL, "input": "one text"}).json()
    assert len(body["data"]) == 1 and isinstance(body["data"][0]["embedding"], list)


def test_base64_answer_decodes_to_the_float_answer(client):
    floats = post(client, {"model": MODEL, "input": ["same text"], "encoding_format": "float"}).json()
    packed = post(client, {"model": MODEL, "input": ["same text"], "encoding_format": "base64"}).json()
    decoded = decode_base64_vector(packed["data"][0]["embedding"])
    assert all(math.isclose(a, b, abs_tol=1e-6) for a, b in zip(decoded, floats["data"][0]["embedding"]))


def test_vectors_are_deterministic_and_shared_words_are_close():
    assert vector("Gloo tokens expire") == vector("Gloo tokens expire")
    near = cosine(vector("how long do gloo tokens last"), vector("Gloo tokens last one hour"))
    far = cosine(vector("how long do gloo tokens last"), vector("benchmarks on a loopback stub server"))
    assert near > 0.3 and far < near / 2


def test_every_question_finds_its_document_first():
    docs = [vector(d) for d in DOCUMENTS]
    for i, question in enumerate(QUESTIONS):
        q = vector(question)
        assert max(range(len(docs)), key=lambda j: cosine(q, docs[j])) == i, question


@pytest.mark.parametrize(
    "body,field",
    [
        ({"input": ["a"]}, "model"),
        ({"model": MODEL}, "input"),
        ({"model": MODEL, "input": []}, "input"),
        ({"model": MODEL, "input": ["ok", ""]}, "input"),
        ({"model": MODEL, "input": [1, 2]}, "input"),
        ({"model": MODEL, "input": ["a"], "encoding_format": "binary"}, "encoding_format"),
    ],
)
def test_validation_errors(client, body, field):
    r = post(client, body)
    assert r.status_code == 400
    assert r.json()["error"]["details"]["field"] == field


def test_wrong_key_is_401(client):
    assert post(client, {"model": MODEL, "input": ["a"]}, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_batch_above_the_documented_limit_is_413(emulator, client):
    emulator.embedding_max_batch = 3
    r = post(client, {"model": MODEL, "input": ["a", "b", "c", "d"]})
    assert r.status_code == 413 and "too many inputs" in r.json()["error"]["message"]
    assert post(client, {"model": MODEL, "input": ["a", "b", "c"]}).status_code == 200


def test_listed_in_the_gravix_models(client):
    ids = [m["id"] for m in client.get("/v1/inference/models", headers=AUTH).json()["data"]]
    assert MODEL in ids


def test_chat_faults_apply_to_embeddings(emulator, client):
    emulator.inject(Fault.rate_limit(retry_after="0"), Fault.server_error(503), Fault.malformed_json(), path=PATH)
    assert post(client, {"model": MODEL, "input": ["a"]}).status_code == 429
    assert post(client, {"model": MODEL, "input": ["a"]}).status_code == 503
    r = post(client, {"model": MODEL, "input": ["a"]})
    assert r.status_code == 200 and r.content.startswith(b'{"id"') and not r.content.endswith(b"}")
    assert post(client, {"model": MODEL, "input": ["a"]}).status_code == 200


@pytest.mark.parametrize(
    "quirk,check",
    [
        ("ignore_base64", lambda r: r.status_code == 200 and isinstance(r.json()["data"][0]["embedding"], list)),
        ("refuse_base64", lambda r: r.status_code == 400 and "encoding_format" in r.json()["error"]["message"]),
        ("drop_one", lambda r: len(r.json()["data"]) == 1),
        ("reversed", lambda r: [d["index"] for d in r.json()["data"]] == [1, 0]),
        ("wrong_dims", lambda r: len(decode_base64_vector(r.json()["data"][1]["embedding"])) == DIMENSIONS - 1),
    ],
)
def test_embedding_quirks(emulator, client, quirk, check):
    emulator.inject(Fault.embedding_quirk(quirk), path=PATH)
    assert check(post(client, {"model": MODEL, "input": ["a b", "c d"], "encoding_format": "base64"}))


def test_unknown_quirk_is_refused():
    with pytest.raises(ValueError, match="unknown embedding quirk"):
        Fault.embedding_quirk("nope")
