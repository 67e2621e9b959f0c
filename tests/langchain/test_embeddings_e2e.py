"""GravixLayerEmbeddings end to end against the local emulator: RAG retrieval, a RAG chain on
ChatGloo, faults (sync and async), secrets, and client reuse across event loops."""

from __future__ import annotations

import asyncio
import pickle

import pytest
from langchain_core import exceptions as lc_exceptions
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_gloo_gravix import ChatGloo, GravixLayerEmbeddings
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


@pytest.mark.parametrize("mode", ["sync", "async"])
class TestFaults:
    def embed(self, model, mode, texts):
        if mode == "sync":
            return model.embed_documents(texts)
        return asyncio.run(model.aembed_documents(texts))

    def test_429_then_200(self, emulator, mode):
        emulator.inject(Fault.rate_limit(retry_after="0"), path=PATH)
        assert len(self.embed(embeddings(emulator), mode, ["a text"])) == 1
        assert len(embedding_requests(emulator)) == 2

    def test_500s_exhaust_retries_as_a_langchain_error(self, emulator, mode):
        emulator.inject(*[Fault.server_error(503)] * 2, path=PATH)
        with pytest.raises(ServerError) as info:
            self.embed(embeddings(emulator, max_retries=1), mode, ["a text"])
        assert isinstance(info.value, lc_exceptions.ModelAPIError) and info.value.status_code == 503
        assert len(embedding_requests(emulator)) == 2

    def test_malformed_body(self, emulator, mode):
        emulator.inject(Fault.malformed_json(), path=PATH)
        with pytest.raises(MalformedResponseError):
            self.embed(embeddings(emulator), mode, ["a text"])

    def test_wrong_count(self, emulator, mode):
        emulator.inject(Fault.embedding_quirk("drop_one"), path=PATH)
        with pytest.raises(MalformedResponseError, match="holds 1 embeddings for 2 inputs"):
            self.embed(embeddings(emulator), mode, ["a text", "another"])

    def test_wrong_dimensions(self, emulator, mode):
        emulator.inject(Fault.embedding_quirk("wrong_dims"), path=PATH)
        with pytest.raises(MalformedResponseError, match="dimensions"):
            self.embed(embeddings(emulator), mode, ["a text", "another"])

    def test_reversed_items_come_back_in_input_order(self, emulator, mode):
        model = embeddings(emulator)
        expected = self.embed(model, mode, ["first text", "second text"])
        emulator.inject(Fault.embedding_quirk("reversed"), path=PATH)
        assert self.embed(model, mode, ["first text", "second text"]) == expected

    def test_413_splits_end_to_end(self, emulator, mode):
        emulator.embedding_max_batch = 3
        model = embeddings(emulator, batch_size=8)
        vectors = self.embed(model, mode, DOCUMENTS)
        emulator.embedding_max_batch = 256
        assert vectors == self.embed(embeddings(emulator), mode, DOCUMENTS)
        sizes = [len(r.json["input"]) for r in embedding_requests(emulator)]
        # 8 -> 413 -> 4 + 4 -> 413 -> 2 + 2 + 2 + 2, then the last 2; then one request of 10 unsplit
        assert sorted(sizes) == [2] * 5 + [4] * 2 + [8, 10]

    def test_single_input_too_large(self, emulator, mode):
        emulator.embedding_max_batch = 0
        with pytest.raises(EmbeddingInputTooLargeError) as info:
            self.embed(embeddings(emulator), mode, ["one", "two"])
        # async sends both one-input batches at once: whichever is refused first is reported
        assert info.value.index in ({0} if mode == "sync" else {0, 1}) and info.value.status_code == 413
        assert f"input {info.value.index} " in str(info.value)
        assert isinstance(info.value, lc_exceptions.ModelInvalidRequestError)

    def test_base64_refused_then_float(self, emulator, mode):
        model = embeddings(emulator)
        expected = self.embed(model, mode, ["a text"])
        emulator.inject(Fault.embedding_quirk("refuse_base64"), path=PATH)
        got = self.embed(model, mode, ["a text"])
        assert [r.json["encoding_format"] for r in embedding_requests(emulator)[-2:]] == ["base64", "float"]
        assert all(abs(a - b) < 1e-6 for a, b in zip(got[0], expected[0]))

    def test_base64_ignored(self, emulator, mode):
        emulator.inject(Fault.embedding_quirk("ignore_base64"), path=PATH)
        assert len(self.embed(embeddings(emulator), mode, ["a text"])[0]) == 1024  # multilingual-e5-large

    def test_bad_input_makes_no_request(self, emulator, mode):
        with pytest.raises(InvalidEmbeddingInputError, match="input 1"):
            self.embed(embeddings(emulator), mode, ["ok", ""])
        assert embedding_requests(emulator) == []

    def test_empty_list_makes_no_request(self, emulator, mode):
        assert self.embed(embeddings(emulator), mode, []) == []
        assert embedding_requests(emulator) == []

    def test_wrong_key_and_missing_key(self, emulator, mode):
        with pytest.raises(AuthenticationError) as info:
            self.embed(embeddings(emulator, api_key="wrong-key-123"), mode, ["a"])
        assert isinstance(info.value, lc_exceptions.ModelAuthenticationError)
        assert "wrong-key-123" not in str(info.value) + repr(info.value)
        with pytest.raises(MissingCredentialsError, match="GRAVIXLAYER_API_KEY"):
            self.embed(GravixLayerEmbeddings(base_url=emulator.gravix_base_url), mode, ["a"])

    def test_rate_limit_without_retries_is_typed(self, emulator, mode):
        emulator.inject(Fault.rate_limit(retry_after="0"), path=PATH)
        with pytest.raises(RateLimitError) as info:
            self.embed(embeddings(emulator, max_retries=0), mode, ["a"])
        assert isinstance(info.value, lc_exceptions.ModelRateLimitError)


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
