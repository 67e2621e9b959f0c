"""GravixLayerEmbeddings end to end against the local emulator: RAG retrieval, a RAG chain on
ChatGloo, secrets, and client reuse across event loops. Faults, shared with LlamaIndex, are in
tests/adapters/test_embedding_faults.py."""

from __future__ import annotations

import asyncio
import pickle

import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_gloo_gravix import ChatGloo, GravixLayerEmbeddings
from langchain_gloo_gravix.core import (
    AuthenticationError,
)
from langchain_gloo_gravix.emulator import Emulator
from tests.support.rag_corpus import DOCUMENTS, QUESTIONS

PATH = "/v1/inference/embeddings"


@pytest.fixture(autouse=True)
def _big_batches(emulator):
    emulator.embedding_max_batch = 256


def embeddings(emu: Emulator, **kw) -> GravixLayerEmbeddings:
    kw.setdefault("api_key", Emulator.GRAVIX_API_KEY)
    return GravixLayerEmbeddings(base_url=emu.gravix_base_url, **kw)


def embedding_requests(emu: Emulator) -> list:
    return [r for r in emu.requests if r.path == PATH]


def test_every_question_retrieves_its_document_first(emulator):
    store = InMemoryVectorStore.from_texts(DOCUMENTS, embeddings(emulator))
    for question, document in zip(QUESTIONS, DOCUMENTS):
        assert store.similarity_search(question, k=1)[0].page_content == document
    # 10 documents in one batch, then one request per question
    assert len(embedding_requests(emulator)) == 1 + len(QUESTIONS)


async def test_every_question_retrieves_its_document_first_async(emulator):
    store = await InMemoryVectorStore.afrom_texts(DOCUMENTS, embeddings(emulator, batch_size=3, max_concurrency=2))
    for question, document in zip(QUESTIONS, DOCUMENTS):
        assert (await store.asimilarity_search(question, k=1))[0].page_content == document


def test_rag_chain_on_chat_gloo_gets_the_right_context(emulator):
    retriever = InMemoryVectorStore.from_texts(DOCUMENTS, embeddings(emulator)).as_retriever(search_kwargs={"k": 1})
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from this context only:\n{context}"), ("human", "{question}")]
    )
    model = ChatGloo(
        base_url=emulator.gloo_base_url, client_id=Emulator.CLIENT_ID, client_secret=Emulator.CLIENT_SECRET
    )
    chain = (
        {
            "context": retriever | (lambda docs: "\n".join(d.page_content for d in docs)),
            "question": RunnablePassthrough(),
        }
        | prompt
        | model
        | StrOutputParser()
    )
    answer = chain.invoke(QUESTIONS[0])
    assert answer
    chat = [r for r in emulator.requests if r.path == "/ai/v2/chat/completions"][-1]
    assert DOCUMENTS[0] in chat.json["messages"][0]["content"]


def test_secret_never_in_repr_dump_or_pickle(emulator):
    model = embeddings(emulator, api_key="sk-very-secret-42")
    with pytest.raises(AuthenticationError):  # the emulator knows another key; the client is built all the same
        model.embed_query("warm the client cache")
    assert "sk-very-secret-42" not in repr(model) + str(model.model_dump()) + model.model_dump_json()
    copy = pickle.loads(pickle.dumps(model))  # the client cache starts empty in a copy
    assert copy.api_key.get_secret_value() == "sk-very-secret-42" and copy._clients is not model._clients
    assert model.lc_secrets == {"api_key": "GRAVIXLAYER_API_KEY"}


def test_one_async_client_per_event_loop(emulator):
    model = embeddings(emulator)

    async def run():
        await model.aembed_query("hello")
        return model._async_client()

    first, second = asyncio.run(run()), asyncio.run(run())
    assert first is not second  # the first loop closed: its client is not reused
    assert model._sync_client() is model._sync_client()


def test_env_configuration(emulator, monkeypatch):
    monkeypatch.setenv("GRAVIXLAYER_API_KEY", Emulator.GRAVIX_API_KEY)
    monkeypatch.setenv("GRAVIXLAYER_BASE_URL", emulator.gravix_base_url)
    monkeypatch.setenv("GRAVIXLAYER_EMBEDDING_MODEL", "meta-llama/llama-3.2-1b-instruct")
    model = GravixLayerEmbeddings()
    model.embed_query("hello")
    assert embedding_requests(emulator)[-1].json["model"] == "meta-llama/llama-3.2-1b-instruct"
