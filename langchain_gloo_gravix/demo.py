"""``make demo``: LangChain and LlamaIndex end to end on Gloo AI and Gravix Layer.

Offline by default, against the embedded emulator. Live for each service whose
credentials are in the environment (GLOO_CLIENT_ID + GLOO_CLIENT_SECRET, the
GLOO_AI_* pair or GLOO_API_KEY; GRAVIXLAYER_API_KEY, with GRAVIXLAYER_MODEL to
pick the Gravix chat model and GRAVIXLAYER_EMBEDDING_MODEL its embedding model).
The RAG parts embed with Gravix Layer; no mock embeddings anywhere. ``--offline`` forces the emulator for everything.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any, Iterator

from .core.endpoints import GLOO_V2, GRAVIX, env_credentials

_GRAVIX_DEFAULT_MODEL = GRAVIX.example_model or ""


def _title(text: str) -> None:
    print(f"\n=== {text} " + "=" * max(0, 66 - len(text)))


@contextlib.contextmanager
def _backends(offline: bool) -> Iterator[dict[str, Any]]:
    """Constructor arguments for Gloo and Gravix, live where credentials exist."""
    import os

    live_gloo = not offline and bool(env_credentials(GLOO_V2))
    live_gravix = not offline and bool(env_credentials(GRAVIX))
    gravix_model = os.environ.get("GRAVIXLAYER_MODEL", _GRAVIX_DEFAULT_MODEL)
    if live_gloo and live_gravix:
        yield {
            "gloo": {},
            "gravix": {"model": gravix_model},
            "label": "LIVE services (credentials found in the environment)",
        }
        return
    from .emulator import Emulator

    with Emulator(port=0) as emu:
        gloo = (
            {}
            if live_gloo
            else {
                "base_url": emu.gloo_base_url,
                "client_id": Emulator.CLIENT_ID,
                "client_secret": Emulator.CLIENT_SECRET,
            }
        )
        gravix = (
            {"model": gravix_model}
            if live_gravix
            else {
                "model": _GRAVIX_DEFAULT_MODEL,
                "base_url": emu.gravix_base_url,
                "api_key": Emulator.GRAVIX_API_KEY,
            }
        )
        parts = [
            f"Gloo: {'LIVE' if live_gloo else 'embedded emulator at ' + emu.gloo_base_url}",
            f"Gravix Layer: {'LIVE' if live_gravix else 'embedded emulator at ' + emu.gravix_base_url}",
        ]
        if not (live_gloo or live_gravix):
            parts.append("no credentials in the environment, so nothing leaves this machine")
        yield {"gloo": gloo, "gravix": gravix, "label": "; ".join(parts)}


def _lcel_chain(gloo: dict[str, Any]) -> None:
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    from . import ChatGloo

    _title("1. LangChain LCEL chain on Gloo v2 (auto routing, tradition=evangelical)")
    model = ChatGloo(auto_routing=True, tradition="evangelical", max_tokens=2048, **gloo)
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are a thoughtful assistant. Answer in two sentences."), ("human", "{question}")]
    )
    question = "What does the Bible say about forgiveness?"
    print(f"prompt | ChatGloo | StrOutputParser  <- {question!r}")
    message = (prompt | model).invoke({"question": question})
    print("answer:", StrOutputParser().invoke(message))
    routing = message.response_metadata.get("routing", {})
    print("routing metadata:")
    for key in (
        "model",
        "provider",
        "model_family",
        "routing_mechanism",
        "routing_tier",
        "routing_confidence",
        "tradition",
    ):
        if key in routing:
            print(f"  {key:<19}{routing[key]}")
    print("usage:", message.usage_metadata)


def _streaming(gloo: dict[str, Any]) -> None:
    from . import ChatGloo

    _title("2. Streaming token by token (Gloo v2)")
    model = ChatGloo(model_family="anthropic", max_tokens=2048, **gloo)
    total = None
    print("tokens: ", end="", flush=True)
    for chunk in model.stream("In one sentence, what is grace?"):
        if chunk.content:
            print(chunk.content, end="|", flush=True)
        total = chunk if total is None else total + chunk
    print()
    assert total is not None
    print(f"model: {total.response_metadata.get('model_name')}; usage from the stream: {total.usage_metadata}")


def _agent(gravix: dict[str, Any]) -> None:
    from langchain.agents import create_agent
    from langchain_core.messages import AIMessage, ToolMessage
    from langchain_core.tools import tool

    from . import ChatGravixLayer

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return f"It is 21 degrees and sunny in {city}."

    _title("3. Tool-calling agent (LangChain create_agent) on Gravix Layer")
    agent = create_agent(ChatGravixLayer(**gravix), tools=[get_weather], system_prompt="Use the tools when they help.")
    question = "What is the weather in Paris?"
    print(f"user: {question}")
    result = agent.invoke({"messages": [("user", question)]})
    for message in result["messages"][1:]:
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                print(f"model calls tool: {call['name']}({call['args']})")
        elif isinstance(message, ToolMessage):
            print(f"tool returns:     {message.content}")
        elif isinstance(message, AIMessage):
            print(f"final answer:     {message.content}")


_DOCUMENTS = [
    "Gloo AI offers Completions v1 and v2; v2 adds routing by model, family or auto routing.",
    "Gravix Layer serves OpenAI-compatible chat completions at /v1/inference/chat/completions.",
    "Gloo tokens come from the OAuth2 client-credentials grant and expire after one hour.",
    "Gravix Layer also serves embeddings at /v1/inference/embeddings, as base64 or float vectors.",
    "The tradition parameter of Gloo v2 steers answers toward an evangelical, catholic or mainline view.",
]


def _embedding_config(gravix: dict[str, Any]) -> dict[str, Any]:
    """The Gravix credentials and base URL, without the chat model (the embedding model has its own default)."""
    return {k: v for k, v in gravix.items() if k != "model"}


def _rag_chain(gloo: dict[str, Any], gravix: dict[str, Any]) -> None:
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnablePassthrough
    from langchain_core.vectorstores import InMemoryVectorStore

    from . import ChatGloo, GravixLayerEmbeddings

    _title("4. LangChain RAG chain: InMemoryVectorStore + GravixLayerEmbeddings + ChatGloo")
    embeddings = GravixLayerEmbeddings(**_embedding_config(gravix))
    store = InMemoryVectorStore.from_texts(_DOCUMENTS, embeddings)
    retriever = store.as_retriever(search_kwargs={"k": 2})
    # The usual RAG prompt layout (context between rules, then the query); the
    # emulator answers such prompts from the context, as a real model would.
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "Answer in one sentence from the context only."),
            (
                "human",
                "Context information is below.\n---------------------\n{context}\n---------------------\nQuery: {question}\nAnswer:",
            ),
        ]
    )
    chain = (
        {
            "context": retriever | (lambda docs: "\n".join(d.page_content for d in docs)),
            "question": RunnablePassthrough(),
        }
        | prompt
        | ChatGloo(max_tokens=2048, **gloo)
        | StrOutputParser()
    )
    question = "How long do Gloo tokens last?"
    print(f"embedding model: {embeddings.model}; {len(_DOCUMENTS)} documents in the vector store")
    print(f"query: {question}")
    print("retrieved first:", retriever.invoke(question)[0].page_content)
    print("answer:", chain.invoke(question).strip())


def _query_engine(gloo: dict[str, Any], gravix: dict[str, Any]) -> None:
    from llama_index.core import Document, VectorStoreIndex

    from llama_index_ext import Gloo, GravixLayerEmbedding

    _title("5. LlamaIndex query engine over documents (GravixLayerEmbedding + Gloo v1)")
    embed_model = GravixLayerEmbedding(**_embedding_config(gravix))
    llm = Gloo(api_version="v1", **gloo)
    index = VectorStoreIndex.from_documents([Document(text=t) for t in _DOCUMENTS], embed_model=embed_model)
    engine = index.as_query_engine(llm=llm, similarity_top_k=2)
    question = "Where does Gravix Layer serve embeddings?"
    print(f"embedding model: {embed_model.model_name}")
    print(f"query: {question}")
    response = engine.query(question)
    print("answer:", str(response).strip())
    print("top source:", response.source_nodes[0].node.get_content())
    print(
        f"sources: {len(response.source_nodes)} nodes; context window used by LlamaIndex: {llm.metadata.context_window}"
    )


def _grounded(gloo: dict[str, Any]) -> None:
    from . import ChatGloo

    _title("6. Grounded completion with sources (Gloo v2 grounded route, GlooGrounded corpus)")
    model = ChatGloo(grounded=True, include_citations=True, sources_limit=3, max_tokens=2048, **gloo)
    question = "What does the Bible say about forgiveness?"
    print(f"ChatGloo(grounded=True, include_citations=True, sources_limit=3)  <- {question!r}")
    message = model.invoke(question)
    print("answer:", message.text)
    grounding = message.response_metadata.get("grounding", {})
    print("sources_returned:", grounding.get("sources_returned"))
    citations = grounding.get("citations")
    # The citation shape is unpublished: print the usual fields when present, else the raw entry.
    for n, citation in enumerate(citations if isinstance(citations, list) else [citations], 1):
        if isinstance(citation, dict) and (citation.get("title") or citation.get("url")):
            print(f"  [{n}] {citation.get('title') or ''}  {citation.get('url') or ''}".rstrip())
        else:
            print(f"  [{n}] {citation!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m langchain_gloo_gravix.demo", description=__doc__)
    parser.add_argument("--offline", action="store_true", help="use the embedded emulator even if credentials are set")
    args = parser.parse_args(argv)
    with _backends(args.offline) as backends:
        print(f"Backend: {backends['label']}")
        steps = [
            (_lcel_chain, backends["gloo"]),
            (_streaming, backends["gloo"]),
            (_agent, backends["gravix"]),
            (lambda gloo: _rag_chain(gloo, backends["gravix"]), backends["gloo"]),
            (lambda gloo: _query_engine(gloo, backends["gravix"]), backends["gloo"]),
            (_grounded, backends["gloo"]),
        ]
        failed = 0
        for step, config in steps:
            try:
                step(config)
            except Exception as error:  # show every part even if one fails
                failed += 1
                print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr)
    print("\nDemo finished." if not failed else f"\nDemo finished with {failed} failed part(s).")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
