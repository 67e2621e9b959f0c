"""Issue 20.10: the smaller findings, each reproduced before the fix. Every failure is one of our typed errors
(LangChain's conventions through the LangChain models) and carries the fact that matters: which message cannot
be encoded, what was wrong with the certificate (and that it is not retried), where a redirect pointed, that a
token endpoint answered HTML, whether the connection was never made or was lost. Loopback servers only."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from langchain_gloo_gravix.core import (
    APIConnectionError,
    APIStatusError,
    AsyncClient,
    Client,
    GlooGravixError,
    InvalidEmbeddingInputError,
    InvalidRequestError,
    MalformedResponseError,
)
from tests.support import fault_server as fs

from .conftest import echo_script, gravix_kwargs

LONE = "broken \ud83d pair"  # the first half of an emoji's surrogate pair, alone
MSGS_LONE = [{"role": "system", "content": "be brief"}, {"role": "user", "content": LONE}]


def deep_schema(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


# 5,000 levels: Python 3.13's json encoder takes 1,000 (its C recursion limit is separate), every supported
# Python's refuses 5,000 -- so the typed error is tested on each interpreter, not only on those before 3.13.
DEEP_TOOL = {"type": "function", "function": {"name": "f", "description": "d", "parameters": deep_schema(5000)}}


def core_call(mode: str, server: fs.FaultServer, what: str, messages: Any, **params: Any) -> Any:
    kw = {**gravix_kwargs(server), "max_retries": 0, "timeout": 5}

    async def run_async() -> Any:
        async with AsyncClient("gravix", **kw) as aclient:
            if what == "create":
                return await aclient.create(messages, model="m", **params)
            if what == "stream":
                return [d async for d in aclient.stream(messages, model="m", **params)]
            return await aclient.embed(messages, model="e")

    if mode == "async":
        return asyncio.run(run_async())
    with Client("gravix", **kw) as client:
        if what == "create":
            return client.create(messages, model="m", **params)
        if what == "stream":
            return list(client.stream(messages, model="m", **params))
        return client.embed(messages, model="e")


# -- a lone surrogate in message text ---------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["create", "stream"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_lone_surrogate_names_the_message_core(mode, what):
    with fs.FaultServer(echo_script()) as server:
        with pytest.raises(InvalidRequestError) as info:
            core_call(mode, server, what, MSGS_LONE)
        assert server.count("chat") == 0  # refused before sending
    assert "messages[1] (user) content" in str(info.value) and "surrogate" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_lone_surrogate_names_the_embedding_input(mode):
    with fs.FaultServer(echo_script()) as server:
        with pytest.raises(InvalidEmbeddingInputError) as info:
            core_call(mode, server, "embed", ["fine", LONE])
        assert server.count("other") == 0
    assert info.value.index == 1 and "input 1" in str(info.value) and "surrogate" in str(info.value)


def test_lone_surrogate_through_langchain():
    from langchain_core.exceptions import ModelInvalidRequestError
    from langchain_core.messages import HumanMessage, SystemMessage

    from langchain_gloo_gravix import ChatGravixLayer, GravixLayerEmbeddings

    with fs.FaultServer(echo_script()) as server:
        model = ChatGravixLayer(model="m", max_retries=0, **gravix_kwargs(server))
        for call in (model.invoke, lambda m: list(model.stream(m))):
            with pytest.raises(InvalidRequestError) as info:
                call([SystemMessage("be brief"), HumanMessage(LONE)])
            assert isinstance(info.value, ModelInvalidRequestError)
            assert "messages[1] (user)" in str(info.value)
        embeddings = GravixLayerEmbeddings(model="e", max_retries=0, **gravix_kwargs(server))
        with pytest.raises(ValueError, match="input 1"):
            embeddings.embed_documents(["fine", LONE])
        assert server.count("chat") == 0


def test_lone_surrogate_through_llama_index():
    from llama_index.core.llms import ChatMessage

    from llama_index_ext import GravixLayer

    with fs.FaultServer(echo_script()) as server:
        llm = GravixLayer(model="m", max_retries=0, **gravix_kwargs(server))
        messages = [ChatMessage(role="system", content="be brief"), ChatMessage(role="user", content=LONE)]
        for call in (llm.chat, lambda m: list(llm.stream_chat(m))):
            with pytest.raises(InvalidRequestError, match=r"messages\[1\] \(user\)"):
                call(messages)
        from llama_index_ext import GravixLayerEmbedding

        embedding = GravixLayerEmbedding(model_name="e", max_retries=0, **gravix_kwargs(server))
        with pytest.raises(ValueError, match="input 1"):
            embedding.get_text_embedding_batch(["fine", LONE])
        assert server.count("chat") == 0 and server.count("other") == 0


# -- per-call validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [{"temperature": 5}, {"tool_choice": "no_such_tool"}, {"tool_choice": 3}, {"top_p": -1}, {"max_tokens": 0}],
    ids=["temperature", "unknown-tool-choice", "tool-choice-type", "top_p", "max_tokens"],
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_per_call_validation_is_ours_core(mode, params):
    tools = [{"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}]
    with fs.FaultServer(echo_script()) as server:
        with pytest.raises(InvalidRequestError) as info:
            core_call(mode, server, "create", [{"role": "user", "content": "hi"}], tools=tools, **params)
        assert server.count("chat") == 0
    assert isinstance(info.value, ValueError) and info.value.retryable is False
    assert next(iter(params)) in str(info.value)


def test_per_call_validation_through_the_frameworks():
    from langchain_core.exceptions import ModelInvalidRequestError

    from langchain_gloo_gravix import ChatGravixLayer
    from llama_index_ext import GravixLayer

    with fs.FaultServer(echo_script()) as server:
        model = ChatGravixLayer(model="m", max_retries=0, **gravix_kwargs(server))
        with pytest.raises(ModelInvalidRequestError, match="temperature"):
            model.invoke("hi", temperature=5)
        with pytest.raises(ModelInvalidRequestError, match="tool_choice"):
            model.bind_tools([{"type": "function", "function": {"name": "get_time", "parameters": {}}}]).invoke(
                "hi", tool_choice="no_such_tool"
            )
        llm = GravixLayer(model="m", max_retries=0, **gravix_kwargs(server))
        with pytest.raises(InvalidRequestError, match="temperature"):
            llm.complete("hi", temperature=5)
        assert server.count("chat") == 0


# -- a tool schema nested 1,000 deep ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_deeply_nested_tool_schema_is_a_typed_error_core(mode):
    with fs.FaultServer(echo_script()) as server:
        with pytest.raises(InvalidRequestError, match=r"nested too deeply.*tools\[0\]"):
            core_call(mode, server, "create", [{"role": "user", "content": "hi"}], tools=[DEEP_TOOL])
        assert server.count("chat") == 0


def test_deeply_nested_tool_schema_through_the_frameworks():
    from llama_index.core.llms import ChatMessage

    from langchain_gloo_gravix import ChatGravixLayer
    from llama_index_ext import GravixLayer

    with fs.FaultServer(echo_script()) as server:
        model = ChatGravixLayer(model="m", max_retries=0, **gravix_kwargs(server))
        with pytest.raises(GlooGravixError, match="nested too deeply"):
            model.bind_tools([DEEP_TOOL]).invoke("hi")
        llm = GravixLayer(model="m", max_retries=0, **gravix_kwargs(server))
        with pytest.raises(GlooGravixError, match="nested too deeply"):
            llm.chat([ChatMessage(role="user", content="hi")], tools=[DEEP_TOOL])
        assert server.count("chat") == 0


# -- what a failure says ---------------------------------------------------------------------------------------


HTML = b"<!DOCTYPE html><html><body>Sign in to continue</body></html>"


@pytest.mark.parametrize("status", [200, 401, 403])
def test_token_endpoint_answering_html_says_html(status):
    def token(n: int) -> fs.Action:
        return fs.Action("reply", status=status, body=HTML, headers={"content-type": "text/html"})

    with fs.FaultServer(echo_script(token=token)) as server:
        client = Client("gloo-v2", base_url=server.url, client_id="cid-html", client_secret="s", max_retries=0)
        with pytest.raises(GlooGravixError) as info:
            client.create([{"role": "user", "content": "hi"}], auto_routing=True)
        client.close()
    assert "HTML" in str(info.value), info.value


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_shows_its_location(status):
    def moved(n: int) -> fs.Action:
        return fs.reply(status, {}, headers={"location": "https://api.example.com/v2/chat/completions?sig=SECRET"})

    with fs.FaultServer(echo_script(chat=moved)) as server:
        with pytest.raises(APIStatusError) as info:
            core_call("sync", server, "create", [{"role": "user", "content": "hi"}])
    text = str(info.value)
    assert "https://api.example.com/v2/chat/completions" in text and "SECRET" not in text
    assert info.value.status_code == status


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_could_not_reach_only_before_the_connection(mode):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(APIConnectionError) as refused:
        core_call(mode, _At(f"http://127.0.0.1:{port}"), "create", [{"role": "user", "content": "hi"}])
    assert "could not reach" in str(refused.value)
    with fs.FaultServer(echo_script(chat=lambda n: fs.reset())) as server:
        with pytest.raises(APIConnectionError) as lost:
            core_call(mode, server, "create", [{"role": "user", "content": "hi"}])
    assert "lost" in str(lost.value) and "could not reach" not in str(lost.value), lost.value


class _At:
    """Stands in for a server at ``url`` (nothing listening)."""

    def __init__(self, url: str) -> None:
        self.url = url


# -- TLS -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_tls_certificate_failure_is_named_and_not_retried(mode):
    attempts: list[Any] = []
    with fs.FaultServer(echo_script(), tls=fs.loopback_tls()) as server:
        kw = {**gravix_kwargs(server), "max_retries": 3, "timeout": 5, "on_retry": lambda *a: attempts.append(a)}
        with pytest.raises(APIConnectionError) as info:
            if mode == "sync":
                with Client("gravix", **kw) as client:
                    client.create([{"role": "user", "content": "hi"}], model="m")
            else:

                async def run() -> None:
                    async with AsyncClient("gravix", **kw) as aclient:
                        await aclient.create([{"role": "user", "content": "hi"}], model="m")

                asyncio.run(run())
    assert "certificate" in str(info.value) and "self-signed" in str(info.value), info.value
    assert info.value.code == "tls_certificate" and info.value.retryable is False
    assert attempts == []  # not retried


def test_ssl_cert_file_set_after_the_first_client_takes_effect(monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with fs.FaultServer(echo_script(), tls=fs.loopback_tls()) as server:
        kw = {**gravix_kwargs(server), "max_retries": 0, "timeout": 5}
        with Client("gravix", **kw) as client, pytest.raises(APIConnectionError, match="certificate"):
            client.create([{"role": "user", "content": "hi"}], model="m")
        monkeypatch.setenv("SSL_CERT_FILE", fs.LOOPBACK_CERT)  # now trust the loopback certificate
        with Client("gravix", **kw) as client:
            assert client.create([{"role": "user", "content": "x"}], model="m").message.content == "x"


def test_malformed_response_error_is_still_ours():
    """(A guard for the messages above: a body that is not a completion stays a MalformedResponseError.)"""
    with fs.FaultServer(echo_script(chat=lambda n: fs.reply(200, b"<html>proxy</html>"))) as server:
        with pytest.raises(MalformedResponseError):
            core_call("sync", server, "create", [{"role": "user", "content": "hi"}])


# -- include_response_headers copies no echoed credential ------------------------------------------------------

KEY = "gx-echoed-key-0123456789"


def echoing(request: fs.Seen, n: int) -> fs.Action:
    """A server (or proxy) that echoes the request's credentials in its response headers, under several names."""
    echoed = {
        "authorization": request.headers.get("authorization", ""),
        "x-echo-auth": request.headers.get("authorization", ""),
        "x-debug": "caller key " + request.headers.get("authorization", "").removeprefix("Bearer "),
        "x-request-id": "req-42",
    }
    if request.json().get("stream"):
        action = fs.stream(fs.chunk_event("{nonce}"), fs.chunk_event("", "stop"))
    else:
        action = fs.reply(200, fs.completion("{nonce}"))
    action.headers.update(echoed)
    return action


def assert_no_credential(headers: Any) -> None:
    assert headers and headers.get("x-request-id") == "req-42", headers
    assert KEY not in repr(headers), headers


def test_response_headers_never_carry_an_echoed_credential_core():
    with fs.FaultServer(echo_script(), on_request=echoing) as server:
        with Client("gravix", base_url=server.url, api_key=KEY, max_retries=0) as client:
            assert_no_credential(client.create([{"role": "user", "content": "x"}], model="m").response_headers)
            stream = client.stream([{"role": "user", "content": "x"}], model="m")
            list(stream)
            assert_no_credential(stream.response_headers)


def test_include_response_headers_copies_no_echoed_credential_frameworks():
    from llama_index.core.llms import ChatMessage

    from langchain_gloo_gravix import ChatGravixLayer
    from llama_index_ext import GravixLayer

    with fs.FaultServer(echo_script(), on_request=echoing) as server:
        model = ChatGravixLayer(model="m", api_key=KEY, base_url=server.url, include_response_headers=True)
        assert_no_credential(model.invoke("x").response_metadata["headers"])
        chunks = list(model.stream("x"))
        assert_no_credential(next(c.response_metadata["headers"] for c in chunks if "headers" in c.response_metadata))
        llm = GravixLayer(model="m", api_key=KEY, base_url=server.url, include_response_headers=True)
        assert_no_credential(llm.chat([ChatMessage(role="user", content="x")]).additional_kwargs["headers"])
        streamed = list(llm.stream_chat([ChatMessage(role="user", content="x")]))
        assert_no_credential(next(r.additional_kwargs["headers"] for r in streamed if "headers" in r.additional_kwargs))
