"""Cassette replay of GravixLayerEmbedding: text, batch and query embeddings, sync and async.

Recorded from the emulator (``LGG_RECORD=emulator``) or the live service; CI replays offline.
"""

from __future__ import annotations

import pytest

from llama_index_ext import GravixLayerEmbedding
from tests.support.backend import backend

pytestmark = pytest.mark.vcr

TEXTS = [
    "Gloo AI tokens expire after one hour.",
    "Gravix Layer serves chat completions under /v1/inference.",
    "Embeddings turn text into vectors.",
]


def make(**kwargs) -> GravixLayerEmbedding:
    b = backend()
    return GravixLayerEmbedding(
        model=b.gravix_embedding_model, base_url=b.gravix_base_url, api_key=b.gravix_api_key, **kwargs
    )


def _check(vectors: list[list[float]], count: int) -> None:
    assert len(vectors) == count
    assert all(isinstance(x, float) for v in vectors for x in v)
    assert len({len(v) for v in vectors}) == 1 and len(vectors[0]) > 0


def test_text_embedding():
    _check([make().get_text_embedding(TEXTS[0])], 1)


def test_text_embedding_batch_in_two_requests():
    vectors = make(embed_batch_size=2).get_text_embedding_batch(TEXTS)
    _check(vectors, 3)


def test_query_embedding_is_closest_to_its_document():
    model = make()
    docs = model.get_text_embedding_batch(TEXTS)
    query = model.get_query_embedding("How long until Gloo tokens expire?")
    scores = [model.similarity(query, d) for d in docs]
    assert scores.index(max(scores)) == 0


async def test_atext_embedding_batch():
    vectors = await make(embed_batch_size=2).aget_text_embedding_batch(TEXTS)
    _check(vectors, 3)


async def test_aquery_embedding():
    _check([await make().aget_query_embedding("What do embeddings turn text into?")], 1)
