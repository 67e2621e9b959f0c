"""Callable ``api_key`` (called per request), ``proxy`` (every request goes through it) and response headers
with credential values redacted, in the core and both frameworks, chat and embeddings, against the
emulator and loopback servers (issue 17 item 5, issue 20 finding 7)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest
from pydantic import ValidationError

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer, GravixLayerEmbeddings
from langchain_gloo_gravix.core import AsyncClient, Client, GlooGravixError
from langchain_gloo_gravix.core.errors import ConfigurationError, MissingCredentialsError
from langchain_gloo_gravix.emulator import Emulator
from llama_index_ext import Gloo, GravixLayer, GravixLayerEmbedding
from tests.support.loopback_proxy import RecordingProxy

MODEL = "meta-llama/llama-3.1-8b-instruct"
MSGS = [{"role": "user", "content": "Hi"}]
ENV = ("GLOO_API_KEY", "GRAVIXLAYER_API_KEY", "GLOO_CLIENT_ID", "GLOO_CLIENT_SECRET", "GRAVIXLAYER_MODEL")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ENV + ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu = Emulator(port=0).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture(scope="module")
def proxy() -> Iterator[RecordingProxy]:
    recording = RecordingProxy().start()
    try:
        yield recording
    finally:
        recording.stop()


def _li_message() -> list:
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role="user", content="Hi")]


# -- proxies ----------------------------------------------------------------------------------------------


def _paths(proxy: RecordingProxy) -> list[str]:
    return [p.path for p in proxy.passed]


def test_proxy_carries_chat_streams_and_token_requests_langchain(emulator, proxy, monkeypatch):
    # an environment proxy that would fail: the explicit one must win
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    proxy.clear()
    url = proxy.url("porter:proxy-pass-1234")
    gloo = ChatGloo(
        base_url=emulator.gloo_base_url,
        client_id=Emulator.CLIENT_ID,
        client_secret=Emulator.CLIENT_SECRET,
        openai_proxy=url,
        max_retries=0,
    )
    assert gloo.invoke("Hi").content
    assert "".join(c.text for c in gloo.stream("Hi"))
    assert asyncio.run(gloo.ainvoke("Hi")).content

    async def astream() -> str:
        return "".join([c.text async for c in gloo.astream("Hi")])

    assert asyncio.run(astream())
    paths = _paths(proxy)
    assert any(p.endswith("/oauth2/token") for p in paths), paths
    assert sum(p == "/ai/v2/chat/completions" for p in paths) == 4, paths
    assert all(p.headers.get("proxy-authorization", "").startswith("Basic ") for p in proxy.passed)
    assert "proxy-pass-1234" not in repr(gloo)
    gravix = ChatGravixLayer(
        model=MODEL, base_url=emulator.gravix_base_url, api_key=Emulator.GRAVIX_API_KEY, proxy=proxy.url()
    )
    proxy.clear()
    assert gravix.invoke("Hi").content and list(gravix.stream("Hi"))
    assert _paths(proxy) == ["/v1/inference/chat/completions"] * 2
    gloo.close()
    gravix.close()


def test_proxy_carries_llama_index_chat_and_streams(emulator, proxy):
    proxy.clear()
    llm = Gloo(
        base_url=emulator.gloo_base_url,
        client_id=Emulator.CLIENT_ID,
        client_secret=Emulator.CLIENT_SECRET,
        proxy=proxy.url(),
    )
    assert llm.chat(_li_message()).message.content
    assert list(llm.stream_chat(_li_message()))
    assert asyncio.run(llm.achat(_li_message())).message.content
    paths = _paths(proxy)
    assert any(p.endswith("/oauth2/token") for p in paths)
    assert sum(p == "/ai/v2/chat/completions" for p in paths) == 3, paths
    llm.close()


def test_proxy_carries_embeddings_in_both_frameworks(emulator, proxy):
    proxy.clear()
    lc = GravixLayerEmbeddings(
        base_url=emulator.gravix_base_url, api_key=Emulator.GRAVIX_API_KEY, openai_proxy=proxy.url()
    )
    assert len(lc.embed_documents(["a", "b"])) == 2
    assert len(asyncio.run(lc.aembed_documents(["a"]))) == 1
    li = GravixLayerEmbedding(base_url=emulator.gravix_base_url, api_key=Emulator.GRAVIX_API_KEY, proxy=proxy.url())
    assert len(li.get_text_embedding_batch(["a", "b"])) == 2
    assert len(asyncio.run(li.aget_text_embedding_batch(["c"]))) == 1
    assert _paths(proxy) == ["/v1/inference/embeddings"] * 4
    lc.close()
    li.close()


def test_proxy_on_the_core_clients(emulator, proxy):
    proxy.clear()
    with Client("gravix", base_url=emulator.gravix_base_url, api_key=Emulator.GRAVIX_API_KEY, proxy=proxy.url()) as c:
        assert c.create(MSGS, model=MODEL).message.text
        assert list(c.stream(MSGS, model=MODEL))
        assert c.embed(["x"], model="microsoft/multilingual-e5-large").vectors

    async def run() -> None:
        async with AsyncClient(
            "gravix", base_url=emulator.gravix_base_url, api_key=Emulator.GRAVIX_API_KEY, proxy=proxy.url()
        ) as ac:
            assert (await ac.create(MSGS, model=MODEL)).message.text

    asyncio.run(run())
    assert len(proxy.passed) == 4


BAD_PROXIES = [
    ("ftp://127.0.0.1:21", "must start with one of"),
    ("127.0.0.1:3128", "must start with one of"),
    ("http://", "has no host"),
    ("http://u:SECRET-PW-42@127.0.0.1:99999", "not a valid URL"),
    ("http://127.0.0.1:port", "not a valid URL"),
    ("http://127.0.0.1:80 ", "whitespace"),
    ("", "empty string"),
    (42, "must be a URL string"),
]


@pytest.mark.parametrize("value,message", BAD_PROXIES)
def test_bad_proxy_is_a_typed_error_at_construction(value, message):
    with pytest.raises(ConfigurationError, match=message) as caught:
        Client("gravix", api_key="k" * 20, proxy=value)
    assert "SECRET-PW-42" not in str(caught.value)
    for build in (
        lambda: ChatGravixLayer(model=MODEL, api_key="k" * 20, openai_proxy=value),
        lambda: GravixLayer(model=MODEL, api_key="k" * 20, proxy=value),
        lambda: GravixLayerEmbeddings(api_key="k" * 20, proxy=value),
        lambda: GravixLayerEmbedding(api_key="k" * 20, proxy=value),
    ):
        with pytest.raises(ValidationError, match=message) as caught:
            build()
        assert "SECRET-PW-42" not in str(caught.value) + repr(caught.value.errors())


def test_socks_proxy_without_socksio_says_what_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "socksio" else real(name, *a))
    with pytest.raises(ConfigurationError, match=r"httpx\[socks\]"):
        Client("gravix", api_key="k" * 20, proxy="socks5://127.0.0.1:1080")


def test_proxy_with_a_callers_http_client_is_refused():
    import httpx

    with httpx.Client() as mine, pytest.raises(ConfigurationError, match="proxy cannot be combined with http_client"):
        Client("gravix", api_key="k" * 20, proxy="http://127.0.0.1:3128", http_client=mine)


def test_proxy_is_never_shown_or_serialised():
    from langchain_core.load import dumpd, dumps

    url = "http://user:PROXY-PW-77@127.0.0.1:3128"
    lc = ChatGravixLayer(model=MODEL, api_key="k" * 20, proxy=url)
    li = GravixLayer(model=MODEL, api_key="k" * 20, proxy=url)
    shown = repr(lc) + dumps(lc) + json.dumps(dumpd(lc)) + repr(li) + li.to_json()
    assert "PROXY-PW-77" not in shown
    assert repr(Client("gravix", api_key="k" * 20, proxy=url)).count("PROXY-PW-77") == 0


# -- callable keys ----------------------------------------------------------------------------------------


class Rotating:
    """A key provider whose key the test rotates; counts its calls."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return self.key


def _keys_seen(emulator: Emulator, path: str) -> list[str]:
    return [r.headers.get("authorization", "") for r in emulator.requests if r.path.endswith(path)]


@pytest.fixture
def rotating_emulator(emulator) -> Iterator[Emulator]:
    emulator.clear()
    emulator.GRAVIX_API_KEY = "rotating-key-one"
    try:
        yield emulator
    finally:
        del emulator.GRAVIX_API_KEY  # back to the class's key
        emulator.clear()


def test_sync_callable_key_is_called_per_request_and_rotates_langchain(rotating_emulator):
    emu = rotating_emulator
    provider = Rotating("rotating-key-one")
    model = ChatGravixLayer(model=MODEL, base_url=emu.gravix_base_url, api_key=provider, max_retries=0)
    assert model.invoke("Hi").content
    emu.GRAVIX_API_KEY = provider.key = "rotating-key-two"
    assert "".join(c.text for c in model.stream("Hi"))
    assert asyncio.run(model.ainvoke("Hi")).content  # a sync provider on the async path (in an executor)
    assert provider.calls == 3
    assert _keys_seen(emu, "/chat/completions") == [
        "Bearer rotating-key-one",
        "Bearer rotating-key-two",
        "Bearer rotating-key-two",
    ]
    model.close()


def test_async_callable_key_langchain_and_llama_index(rotating_emulator):
    emu = rotating_emulator
    calls = []

    async def provider() -> str:
        calls.append(1)
        return emu.GRAVIX_API_KEY

    lc = ChatGravixLayer(model=MODEL, base_url=emu.gravix_base_url, openai_api_key=provider, max_retries=0)
    li = GravixLayer(model=MODEL, base_url=emu.gravix_base_url, api_key=provider, max_retries=0)

    async def run() -> None:
        assert (await lc.ainvoke("Hi")).content
        assert "".join([c.text async for c in lc.astream("Hi")])
        assert (await li.achat(_li_message())).message.content
        assert [r async for r in await li.astream_chat(_li_message())]

    asyncio.run(run())
    assert len(calls) == 4
    # a sync call cannot await it: a typed error that says what to do, before anything is sent
    before = len(emu.requests)
    with pytest.raises(GlooGravixError, match="async callable"):
        lc.invoke("Hi")
    with pytest.raises(GlooGravixError, match="async callable"):
        li.chat(_li_message())
    assert len(emu.requests) == before


def test_callable_key_on_embeddings_both_frameworks(rotating_emulator):
    emu = rotating_emulator
    provider = Rotating("rotating-key-one")
    lc = GravixLayerEmbeddings(base_url=emu.gravix_base_url, openai_api_key=provider)
    li = GravixLayerEmbedding(base_url=emu.gravix_base_url, api_key=provider)
    assert lc.embed_query("a") and li.get_query_embedding("a")
    emu.GRAVIX_API_KEY = provider.key = "rotating-key-two"
    assert asyncio.run(lc.aembed_query("b")) and asyncio.run(li.aget_query_embedding("b"))
    assert _keys_seen(emu, "/embeddings") == ["Bearer rotating-key-one"] * 2 + ["Bearer rotating-key-two"] * 2
    assert provider.calls == 4


def test_callable_key_on_llama_index_chat_and_gloo(emulator):
    emulator.clear()
    provider = Rotating(Emulator.GLOO_API_KEY)
    llm = Gloo(base_url=emulator.gloo_base_url, api_key=provider)
    assert llm.chat(_li_message()).message.content
    assert list(llm.stream_chat(_li_message()))
    chat = ChatGloo(base_url=emulator.gloo_base_url, api_key=provider)
    assert chat.invoke("Hi").content
    assert provider.calls == 3
    assert not any(r.path.endswith("/oauth2/token") for r in emulator.requests)
    assert _keys_seen(emulator, "/chat/completions") == [f"Bearer {Emulator.GLOO_API_KEY}"] * 3


@pytest.mark.parametrize(
    "returned,message",
    [
        ("", "empty string"),
        ("KEY-WITH-NEWLINE-123\n", "whitespace"),
        (None, "returned None"),
        (12345, "must be a string"),
        ("KEY-NON-ASCII-é", "non-ASCII"),
    ],
)
def test_a_bad_key_from_the_callable_is_a_typed_error_that_hides_it(returned, message):
    sent = []

    def handler(request: Any) -> Any:
        import httpx

        sent.append(request)
        return httpx.Response(500)

    import httpx

    client = Client("gravix", api_key=lambda: returned, transport=httpx.MockTransport(handler), max_retries=2)
    with pytest.raises(ConfigurationError, match=message) as caught:
        client.create(MSGS, model=MODEL)
    assert not sent  # nothing sent, not retried
    assert "KEY-WITH-NEWLINE-123" not in str(caught.value) and "KEY-NON-ASCII" not in str(caught.value)


def test_a_failing_callable_is_a_typed_error_not_retried():
    import httpx

    calls = []

    def provider() -> str:
        calls.append(1)
        raise KeyError("vault said no to SECRET-PATH")

    client = Client("gravix", api_key=provider, transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    with pytest.raises(MissingCredentialsError, match="api_key callable raised KeyError") as caught:
        client.create(MSGS, model=MODEL)
    assert "SECRET-PATH" not in str(caught.value)
    assert calls == [1]


def test_callable_key_is_never_shown_serialised_or_kept():
    from langchain_core.load import dumpd, dumps

    def provider() -> str:
        return "CALLABLE-KEY-VALUE-1"

    lc = ChatGravixLayer(model=MODEL, api_key=provider)
    li = GravixLayer(model=MODEL, api_key=provider)
    shown = repr(lc) + dumps(lc) + json.dumps(dumpd(lc)) + repr(li) + li.to_json() + repr(lc._sync_client())
    assert "CALLABLE-KEY-VALUE-1" not in shown
    assert dumpd(lc)["kwargs"].get("api_key", {}).get("type") == "secret"


# -- response headers (issue 20, finding 7) ----------------------------------------------------------------

ECHO_KEY = "ECHOED-KEY-5d1c0e7a9b"
ECHO_HEADER = "ECHOED-GATEWAY-3a2f9c"
ECHO_COOKIE = "session=ECHOED-COOKIE-77e1"
NEEDLES = (ECHO_KEY, ECHO_HEADER, "ECHOED-COOKIE-77e1")


class _EchoHandler(BaseHTTPRequestHandler):
    """Answers every chat call, echoing the request's credentials in its RESPONSE headers."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        echoed = {
            "X-Echo-Authorization": self.headers.get("Authorization", ""),
            "X-Echo-Gateway": self.headers.get("X-Gateway", ""),
            "Authorization": self.headers.get("Authorization", ""),
            "Set-Cookie": ECHO_COOKIE,
            "X-Request-Id": "req-1",
            "X-Ratelimit-Remaining-Tokens": "99",
        }
        if body.get("stream"):
            chunk = {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}],
            }
            data = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
            ctype = "text/event-stream"
        else:
            data = json.dumps(
                {
                    "id": "c",
                    "object": "chat.completion",
                    "created": 1,
                    "model": "m",
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
                    ],
                }
            ).encode()
            ctype = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for name, value in echoed.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def echo_server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1/inference"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(record.getMessage())


@pytest.fixture
def debug_logs() -> Iterator[_Capture]:
    capture = _Capture()
    root = logging.getLogger()
    old = root.level
    # httpcore at DEBUG whatever an imported library set it to: the case the redaction is for
    httpcore = logging.getLogger("httpcore")
    old_httpcore = httpcore.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    httpcore.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(old)
        httpcore.setLevel(old_httpcore)


def _check_headers(headers: Any) -> None:
    assert headers, "no headers passed on"
    text = repr(headers)
    assert not [n for n in NEEDLES if n in text], text
    lowered = {k.lower(): v for k, v in headers.items()}
    assert lowered["authorization"] == "***" and lowered["set-cookie"] == "***"
    assert lowered["x-request-id"] == "req-1" and lowered["x-ratelimit-remaining-tokens"] == "99"


def _echo_kwargs(echo_server: str) -> dict[str, Any]:
    return {"base_url": echo_server, "api_key": ECHO_KEY, "default_headers": {"X-Gateway": ECHO_HEADER}}


def test_core_response_headers_are_redacted(echo_server, debug_logs):
    with Client("gravix", **_echo_kwargs(echo_server)) as client:
        _check_headers(client.create(MSGS, model=MODEL).response_headers)
        with client.stream(MSGS, model=MODEL) as stream:
            list(stream)
            _check_headers(stream.response_headers)
    assert any("receive_response_headers" in t for t in debug_logs.texts)  # httpcore did log them
    assert not [t for t in debug_logs.texts for n in NEEDLES if n in t]


def test_langchain_response_metadata_and_run_tree_are_redacted(echo_server, debug_logs):
    from langchain_core.callbacks import BaseCallbackHandler

    seen: list[str] = []

    class Tracing(BaseCallbackHandler):
        def on_llm_end(self, response: Any, **kwargs: Any) -> None:
            seen.append(repr(response))

        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            seen.append(repr(kwargs))

    model = ChatGravixLayer(model=MODEL, include_response_headers=True, **_echo_kwargs(echo_server))
    config = {"callbacks": [Tracing()]}
    _check_headers(model.invoke("Hi", config=config).response_metadata["headers"])
    chunks = list(model.stream("Hi", config=config))
    _check_headers(next(c.response_metadata["headers"] for c in chunks if "headers" in c.response_metadata))
    _check_headers(asyncio.run(model.ainvoke("Hi", config=config)).response_metadata["headers"])
    assert seen and not [s for s in seen for n in NEEDLES if n in s]
    assert not [t for t in debug_logs.texts for n in NEEDLES if n in t]
    model.close()


def test_llama_index_events_carry_redacted_headers(echo_server, debug_logs):
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler

    events: list[str] = []

    class Events(BaseEventHandler):
        @classmethod
        def class_name(cls) -> str:
            return "HeaderEvents"

        def handle(self, event: Any, **kwargs: Any) -> None:
            events.append(type(event).__name__ + event.model_dump_json())

    handler = Events()
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(handler)
    try:
        llm = GravixLayer(model=MODEL, include_response_headers=True, **_echo_kwargs(echo_server))
        _check_headers(llm.chat(_li_message()).additional_kwargs["headers"])
        for response in llm.stream_chat(_li_message()):
            _check_headers(response.additional_kwargs["headers"])
        _check_headers(asyncio.run(llm.achat(_li_message())).additional_kwargs["headers"])
        llm.close()
    finally:
        dispatcher.event_handlers.remove(handler)
    in_progress = [e for e in events if e.startswith("LLMChatInProgressEvent")]
    assert in_progress and all("x-request-id" in e for e in in_progress)
    assert not [e for e in events for n in NEEDLES if n in e]
    assert not [t for t in debug_logs.texts for n in NEEDLES if n in t]


def test_error_headers_are_redacted():
    import httpx

    def handler(request: Any) -> Any:
        return httpx.Response(
            401,
            json={"error": {"message": "no"}},
            headers={"Authorization": request.headers["authorization"], "X-Api-Key": "ECHOED-OTHER-KEY-1"},
        )

    client = Client("gravix", api_key=ECHO_KEY, transport=httpx.MockTransport(handler), max_retries=0)
    with pytest.raises(GlooGravixError) as caught:
        client.create(MSGS, model=MODEL)
    assert caught.value.headers["authorization"] == "***" and caught.value.headers["x-api-key"] == "***"
