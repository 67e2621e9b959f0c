"""Embeddings faults end to end against the emulator, once for both frameworks (LangChain
``GravixLayerEmbeddings``, LlamaIndex ``GravixLayerEmbedding``), sync and async.

Batching, split-and-retry, base64 decoding, retries and error classes are the core's
(``core/embeddings.py``), so a fault reads the same through either framework; the LangChain classes
also raise the ``langchain_core.exceptions`` twin. Retrieval and RAG pipelines, which are framework
vocabulary, stay in the framework folders.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core import exceptions as lc_exceptions

from langchain_gloo_gravix.core import (
    AuthenticationError,
    EmbeddingInputTooLargeError,
    InvalidEmbeddingInputError,
    MalformedResponseError,
    MissingCredentialsError,
    RateLimitError,
    ServerError,
)
from langchain_gloo_gravix.emulator import Emulator, Fault
from tests.support.rag_corpus import DOCUMENTS

PATH = "/v1/inference/embeddings"


@pytest.fixture(autouse=True)
def _big_batches(emulator):
    emulator.embedding_max_batch = 256


def model_on(embeddings: Any, emu: Emulator, **kw: Any) -> Any:
    kw.setdefault("api_key", Emulator.GRAVIX_API_KEY)
    return embeddings.make(base_url=emu.gravix_base_url, **kw)


async def embed(embeddings: Any, model: Any, mode: str, texts: list[str]) -> list[list[float]]:
    return await embeddings.aembed(model, texts) if mode == "async" else embeddings.embed(model, texts)


def embedding_requests(emu: Emulator) -> list:
    # A request whose body is not JSON is one an earlier test's cancelled batch cut off mid-send (the async
    # too-large test stops its other in-flight batch), arriving after the emulator was cleared: not ours.
    return [r for r in emu.requests if r.path == PATH and r.json is not None]


async def test_429_then_200(embeddings, emulator, mode):
    emulator.inject(Fault.rate_limit(retry_after="0"), path=PATH)
    assert len(await embed(embeddings, model_on(embeddings, emulator), mode, ["a text"])) == 1
    assert len(embedding_requests(emulator)) == 2


@pytest.mark.parametrize(("status", "retries"), [(503, 1), (500, 2)])
async def test_5xx_exhaust_the_retries_as_a_server_error(embeddings, emulator, mode, status, retries):
    emulator.inject(*[Fault.server_error(status)] * (retries + 1), path=PATH)
    with pytest.raises(ServerError) as info:
        await embed(embeddings, model_on(embeddings, emulator, max_retries=retries), mode, ["a text"])
    assert info.value.status_code == status
    assert len(embedding_requests(emulator)) == retries + 1  # one retry layer, nothing stacked on top
    if embeddings.name == "langchain":
        assert isinstance(info.value, lc_exceptions.ModelAPIError)


async def test_malformed_body(embeddings, emulator, mode):
    emulator.inject(Fault.malformed_json(), path=PATH)
    with pytest.raises(MalformedResponseError, match="not JSON"):
        await embed(embeddings, model_on(embeddings, emulator), mode, ["a text"])


async def test_wrong_count(embeddings, emulator, mode):
    emulator.inject(Fault.embedding_quirk("drop_one"), path=PATH)
    with pytest.raises(MalformedResponseError, match="holds 1 embeddings for 2 inputs"):
        await embed(embeddings, model_on(embeddings, emulator), mode, ["a text", "another"])


async def test_wrong_dimensions(embeddings, emulator, mode):
    emulator.inject(Fault.embedding_quirk("wrong_dims"), path=PATH)
    with pytest.raises(MalformedResponseError, match="dimensions"):
        await embed(embeddings, model_on(embeddings, emulator), mode, ["a text", "another"])


async def test_reversed_items_come_back_in_input_order(embeddings, emulator, mode):
    model = model_on(embeddings, emulator)
    expected = await embed(embeddings, model, mode, ["first text", "second text"])
    emulator.inject(Fault.embedding_quirk("reversed"), path=PATH)
    assert await embed(embeddings, model, mode, ["first text", "second text"]) == expected


async def test_413_splits_end_to_end(embeddings, emulator, mode):
    emulator.embedding_max_batch = 3
    vectors = await embed(embeddings, model_on(embeddings, emulator, **{embeddings.batch_word: 8}), mode, DOCUMENTS)
    assert len(vectors) == len(DOCUMENTS) == 10
    emulator.embedding_max_batch = 256
    assert vectors == await embed(embeddings, model_on(embeddings, emulator), mode, DOCUMENTS)
    sizes = [len(r.json["input"]) for r in embedding_requests(emulator)]
    # 8 -> 413 -> 4 + 4 -> 413 -> 2 + 2 + 2 + 2, then the last 2; then one request of 10 unsplit
    assert sorted(sizes) == [2] * 5 + [4] * 2 + [8, 10]


async def test_single_input_too_large(embeddings, emulator, mode):
    emulator.embedding_max_batch = 0
    with pytest.raises(EmbeddingInputTooLargeError) as info:
        await embed(embeddings, model_on(embeddings, emulator), mode, ["one", "two"])
    # async sends both one-input batches at once: whichever is refused first is reported
    assert info.value.index in ({0} if mode == "sync" else {0, 1}) and info.value.status_code == 413
    assert f"input {info.value.index} " in str(info.value)
    if embeddings.name == "langchain":
        assert isinstance(info.value, lc_exceptions.ModelInvalidRequestError)


async def test_base64_refused_then_float(embeddings, emulator, mode):
    model = model_on(embeddings, emulator)
    expected = await embed(embeddings, model, mode, ["a text"])
    emulator.inject(Fault.embedding_quirk("refuse_base64"), path=PATH)
    got = await embed(embeddings, model, mode, ["a text"])
    assert [r.json["encoding_format"] for r in embedding_requests(emulator)[-2:]] == ["base64", "float"]
    assert all(abs(a - b) < 1e-6 for a, b in zip(got[0], expected[0]))


async def test_base64_ignored(embeddings, emulator, mode):
    emulator.inject(Fault.embedding_quirk("ignore_base64"), path=PATH)
    assert (
        len((await embed(embeddings, model_on(embeddings, emulator), mode, ["a text"]))[0]) == 1024
    )  # multilingual-e5-large


@pytest.mark.parametrize(("texts", "which"), [(["ok", ""], "input 1"), ([""], "input 0")])
async def test_bad_input_makes_no_request(embeddings, emulator, mode, texts, which):
    with pytest.raises(InvalidEmbeddingInputError, match=which):
        await embed(embeddings, model_on(embeddings, emulator), mode, texts)
    assert embedding_requests(emulator) == []


async def test_empty_list_makes_no_request(embeddings, emulator, mode):
    assert await embed(embeddings, model_on(embeddings, emulator), mode, []) == []
    assert embedding_requests(emulator) == []


@pytest.mark.parametrize("wrong", ["wrong-key-123", "wrong-key-77"])
async def test_wrong_key_and_missing_key(embeddings, emulator, mode, wrong):
    with pytest.raises(AuthenticationError) as info:
        await embed(embeddings, model_on(embeddings, emulator, api_key=wrong), mode, ["a"])
    assert wrong not in str(info.value) + repr(info.value)
    if embeddings.name == "langchain":
        assert isinstance(info.value, lc_exceptions.ModelAuthenticationError)
    with pytest.raises(MissingCredentialsError, match="GRAVIXLAYER_API_KEY"):
        await embed(embeddings, model_on(embeddings, emulator, api_key=None), mode, ["a"])


async def test_rate_limit_without_retries_is_typed(embeddings, emulator, mode):
    emulator.inject(Fault.rate_limit(retry_after="0"), path=PATH)
    with pytest.raises(RateLimitError) as info:
        await embed(embeddings, model_on(embeddings, emulator, max_retries=0), mode, ["a"])
    if embeddings.name == "langchain":
        assert isinstance(info.value, lc_exceptions.ModelRateLimitError)
