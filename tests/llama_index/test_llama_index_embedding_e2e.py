"""GravixLayerEmbedding end to end against the local emulator: retrieval, a query engine on
Gloo, secrets and settings. Faults, shared with LangChain, are in tests/adapters/test_embedding_faults.py."""

from __future__ import annotations

import pytest
from llama_index.core import Document, VectorStoreIndex

from langchain_gloo_gravix.emulator import Emulator
from llama_index_ext import Gloo, GravixLayerEmbedding
from tests.support.rag_corpus import DOCUMENTS, QUESTIONS

PATH = "/v1/inference/embeddings"


@pytest.fixture(autouse=True)
def _big_batches(emulator):
    emulator.embedding_max_batch = 256


def embedding(emu: Emulator, **kw) -> GravixLayerEmbedding:
    kw.setdefault("api_key", Emulator.GRAVIX_API_KEY)
    return GravixLayerEmbedding(base_url=emu.gravix_base_url, **kw)


def requests_to(emu: Emulator) -> list:
    return [r for r in emu.requests if r.path == PATH]


def _index(emu: Emulator, **kw) -> VectorStoreIndex:
    return VectorStoreIndex.from_documents([Document(text=d) for d in DOCUMENTS], embed_model=embedding(emu, **kw))


def test_every_question_retrieves_its_document_first(emulator):
    retriever = _index(emulator).as_retriever(similarity_top_k=1)
    for question, document in zip(QUESTIONS, DOCUMENTS):
        assert retriever.retrieve(question)[0].node.get_content() == document


async def test_every_question_retrieves_its_document_first_async(emulator):
    index = VectorStoreIndex([], embed_model=embedding(emulator, embed_batch_size=3, max_concurrency=2), use_async=True)
    for d in DOCUMENTS:
        await index.ainsert(Document(text=d))
    retriever = index.as_retriever(similarity_top_k=1)
    for question, document in zip(QUESTIONS, DOCUMENTS):
        assert (await retriever.aretrieve(question))[0].node.get_content() == document


def test_query_engine_on_gloo_gets_the_right_context(emulator):
    llm = Gloo(
        api_version="v1",
        base_url=emulator.gloo_base_url,
        client_id=Emulator.CLIENT_ID,
        client_secret=Emulator.CLIENT_SECRET,
    )
    engine = _index(emulator).as_query_engine(llm=llm, similarity_top_k=1)
    response = engine.query(QUESTIONS[0])
    assert str(response).strip()
    assert response.source_nodes[0].node.get_content() == DOCUMENTS[0]
    chat = [r for r in emulator.requests if r.path == "/ai/v1/chat/completions"][-1]
    assert DOCUMENTS[0] in str(chat.json["messages"])


def test_batches_follow_embed_batch_size(emulator):
    embedding(emulator, embed_batch_size=4).get_text_embedding_batch(DOCUMENTS)
    assert [len(r.json["input"]) for r in requests_to(emulator)] == [4, 4, 2]


def test_secrets_stay_out_of_serialisation(emulator):
    model = embedding(
        emulator, api_key="sk-li-secret-9", default_headers={"Authorization": "Bearer x", "X-Team": "team-77"}
    )
    dumped = model.to_json() + repr(model) + str(model.to_dict())
    # as the LLMs: no header value is serialised, secret-looking or not (gateways put credentials anywhere)
    assert "sk-li-secret-9" not in dumped and "Bearer x" not in dumped and "team-77" not in dumped
    assert model._sync_client().settings.headers["X-Team"] == "team-77"  # still sent
    assert model.model_name == "microsoft/multilingual-e5-large" and model.embed_batch_size == 128


def test_model_from_env_and_alias(emulator, monkeypatch):
    monkeypatch.setenv("GRAVIXLAYER_EMBEDDING_MODEL", "env-model")
    assert embedding(emulator).model_name == "env-model"
    assert embedding(emulator, model="arg-model").model_name == "arg-model"
    assert embedding(emulator, model_name="name-model").model_name == "name-model"
