"""Typed use, written from the README and docs/api.md as a user would: `mypy --strict` must pass on
this file with no mypy plugin (tests/packaging/test_typed_use.py). It is type-checked, never run."""

from __future__ import annotations

import httpx
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore
from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from pydantic import BaseModel, SecretStr

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer, GravixLayerEmbeddings
from langchain_gloo_gravix.core import AsyncClient, ChatCompletion, Client, GlooGravixError
from langchain_gloo_gravix.emulator import Emulator
from llama_index_ext import Gloo, GravixLayer, GravixLayerEmbedding


class Answer(BaseModel):
    text: str
    confidence: float


def langchain_models() -> list[BaseMessage]:
    gloo = ChatGloo(tradition="evangelical")
    v1 = ChatGloo(api_version="v1", client_id="my-id", client_secret="my-secret")
    family = ChatGloo(model_family="anthropic", max_tokens=2048, temperature=0.2, stop=["\n\n"])
    keyed = ChatGloo(api_key="...", model="gloo-openai-gpt-5-mini", timeout=30, max_retries=3)
    secret = ChatGloo(api_key=SecretStr("..."), base_url="http://127.0.0.1:8787")
    gravix = ChatGravixLayer(
        model="meta-llama/llama-3.1-8b-instruct",
        api_key="...",
        stop=["END"],
        top_p=0.9,
        seed=7,
        timeout=httpx.Timeout(10.0),
        default_headers={"X-Team": "search"},
    )
    grounded = ChatGloo(grounded=True, include_citations=True, sources_limit=3, rag_publisher="MyPublisher")
    msg = gloo.invoke("What does the Bible say about forgiveness?")
    assert isinstance(msg, AIMessage)
    routing = msg.response_metadata.get("routing")
    print(routing, msg.usage_metadata, grounded.invoke("hi").response_metadata.get("grounding"))
    structured = family.with_structured_output(Answer)
    print(structured.invoke("Why?"))
    tools = gravix.bind_tools([Answer], tool_choice="auto")
    return [msg, tools.invoke("hi"), v1.invoke("hi"), keyed.invoke("hi"), secret.invoke("hi")]


def langchain_rag() -> str:
    store = InMemoryVectorStore.from_texts(
        ["Gloo tokens expire after one hour."], GravixLayerEmbeddings(api_key="...", batch_size=64)
    )
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from this context:\n{context}"), ("human", "{question}")]
    )
    chain = (
        {
            "context": store.as_retriever() | (lambda docs: "\n".join(d.page_content for d in docs)),
            "question": RunnablePassthrough(),
        }
        | prompt
        | ChatGloo()
        | StrOutputParser()
    )
    answer: str = chain.invoke("How long do Gloo tokens last?")
    return answer


def llama_index_models() -> ChatResponse:
    llm = Gloo(api_version="v2", model_family="open source", client_id="my-id", client_secret="my-secret")
    gravix = GravixLayer(model="meta-llama/llama-3.1-8b-instruct", api_key="...", stop=["END"], temperature=0.1)
    embed = GravixLayerEmbedding(api_key="...", embed_batch_size=32)
    vector: list[float] = embed.get_text_embedding("hello")
    print(vector[:3], gravix.complete("hi").text)
    response: ChatResponse = llm.chat([ChatMessage(role="user", content="Hello")])
    return response


def core_clients() -> ChatCompletion:
    with Client("gloo-v2", client_id="my-id", client_secret="my-secret", timeout=30) as client:
        completion = client.create([{"role": "user", "content": "Hi"}], auto_routing=True)
        for delta in client.stream([{"role": "user", "content": "Hi"}], model="gloo-openai-gpt-5-mini"):
            print(delta)
    try:
        Client("gravix", api_key="...").list_models()
    except GlooGravixError as exc:
        print(exc.status_code, exc.request_id)
    print(AsyncClient("gloo-v1"))
    return completion


def emulator() -> None:
    with Emulator() as emu:
        emu.fail_next("429", "503")
        emu.register_publisher("MyPublisher", [{"title": "T", "text": "Text", "url": "https://example.com"}])
        print(ChatGloo(base_url=emu.base_url, client_id=Emulator.CLIENT_ID, client_secret=Emulator.CLIENT_SECRET))
