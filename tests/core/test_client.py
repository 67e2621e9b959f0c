"""Client and AsyncClient over httpx.MockTransport: every test runs in both modes."""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
from urllib.parse import parse_qs

import httpx
import pytest

from langchain_gloo_gravix.core import (
    DEFAULT_TIMEOUT,
    GLOO_V2,
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    AuthenticationError,
    BadRequestError,
    Client,
    InvalidRequestError,
    MissingCredentialsError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    StreamError,
    StreamTimeoutError,
    prepare_call,
)
from langchain_gloo_gravix.core.token_cache import TokenCache

from .conftest import (
    MIN_PARAMS,
    MSGS,
    ChunkStream,
    Server,
    chunk,
    completion_json,
    raise_,
    reply_json,
    reply_raw,
    reply_sse,
    sse_body,
    token_reply,
    unique_id,
)

GLOO = "https://platform.ai.gloo.com"
GRAVIX_BASE = "https://api.gravixlayer.com/v1/inference"
FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02, jitter=lambda: 1.0)


def oauth_kw() -> dict:
    return {"client_id": unique_id(), "client_secret": "s3cret-" + unique_id("sec")}


def bearer(seen) -> str:
    return seen.headers.get("authorization", "")


# -- create ----------------------------------------------------------------------------------

ENDPOINT_TABLE = [
    ("gloo-v1", f"{GLOO}/ai/v1/chat/completions"),
    ("gloo-v2", f"{GLOO}/ai/v2/chat/completions"),
    ("gravix", f"{GRAVIX_BASE}/chat/completions"),
]


@pytest.mark.parametrize("endpoint,url", ENDPOINT_TABLE)
async def test_create_parses_completion_with_static_key(make, endpoint, url):
    server = Server(
        chat=[reply_json(completion_json("Hi there", id="chatcmpl-42", prompt_tokens=7, completion_tokens=5))]
    )
    drv = make(endpoint, server, api_key="sk-static-123")
    c = await drv.create(MSGS, temperature=0.5, **MIN_PARAMS[endpoint])
    assert c.id == "chatcmpl-42"
    assert c.message.content == "Hi there"
    assert c.finish_reason == "stop"
    assert (c.usage.prompt_tokens, c.usage.completion_tokens, c.usage.total_tokens) == (7, 5, 12)
    [seen] = server.seen
    assert seen.method == "POST" and seen.url == url
    assert bearer(seen) == "Bearer sk-static-123"
    assert seen.headers["content-type"] == "application/json"
    body = seen.json()
    assert body["messages"] == MSGS and body["temperature"] == 0.5
    assert "stream" not in body
    for key, value in MIN_PARAMS[endpoint].items():
        assert body[key] == value
    if endpoint == "gloo-v1":
        assert body["model"] == "us.meta.llama3-3-70b-instruct-v1:0"


async def test_api_key_wins_over_client_credentials(make):
    server = Server()
    drv = make("gloo-v2", server, api_key="sk-wins", **oauth_kw())
    await drv.create(MSGS, auto_routing=True)
    assert server.token_requests == []
    assert bearer(server.chat_requests[0]) == "Bearer sk-wins"


async def test_default_params_and_per_call_routing_switch(make):
    server = Server()
    drv = make(
        "gloo-v2",
        server,
        api_key="k",
        default_params={"auto_routing": True, "tradition": "Catholic", "extra_body": {"a": 1}},
    )
    await drv.create(MSGS)
    await drv.create(MSGS, model="gloo-openai-gpt-5-mini", extra_body={"b": 2})
    first, second = (s.json() for s in server.chat_requests)
    assert first["auto_routing"] is True and first["tradition"] == "catholic" and first["a"] == 1
    # the per-call model replaces the configured mechanism instead of adding a second one
    assert "auto_routing" not in second
    assert second["model"] == "gloo-openai-gpt-5-mini"
    assert (second["tradition"], second["a"], second["b"]) == ("catholic", 1, 2)


async def test_validation_error_raises_before_any_request(make):
    server = Server()
    drv = make("gloo-v2", server, api_key="k")
    with pytest.raises(ValueError, match="exactly one routing mechanism"):
        await drv.create(MSGS)
    with pytest.raises(ValueError, match="temperature"):
        drv.client.stream(MSGS, auto_routing=True, temperature=5)
    assert server.seen == []


async def test_a_prepared_call_is_sent_as_prepared(make):
    """``prepare_call`` decides a call once (the adapters' path); ``create_prepared`` / ``stream_prepared`` send
    exactly those bytes, without merging the client's ``default_params`` a second time."""
    server = Server()
    drv = make("gloo-v2", server, api_key="k", default_params={"tradition": "catholic"})
    configured = {"model_family": "openai", "temperature": 0.2, "extra_body": {"a": 1}}
    call = prepare_call(
        GLOO_V2, MSGS, configured, {"model": "gloo-openai-gpt-5-mini"}, stream=False, include_usage=True
    )
    assert call.requested_model == "gloo-openai-gpt-5-mini" and "model_family" not in call.params
    result = drv.client.create_prepared(call)
    if drv.is_async:
        await result
    assert server.chat_requests[-1].content == call.body
    sent = server.chat_requests[-1].json()
    assert "tradition" not in sent and sent["a"] == 1 and sent["temperature"] == 0.2
    streamed = prepare_call(GLOO_V2, MSGS, configured, {}, stream=True, include_usage=False)
    assert streamed.payload["stream"] is True and "stream_options" not in streamed.payload
    assert streamed.requested_model == "gloo-family:openai"
    # a call prepared for the other method is refused, naming what to do
    with pytest.raises(InvalidRequestError, match="prepared with stream=True"):
        result = drv.client.create_prepared(streamed)
        if drv.is_async:
            await result
    with pytest.raises(InvalidRequestError, match="prepared with stream=False"):
        drv.client.stream_prepared(call)
    assert len(server.chat_requests) == 1


# -- credentials from the environment ----------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint,env,expect",
    [
        ("gloo-v2", {"GLOO_CLIENT_ID": "primary", "GLOO_CLIENT_SECRET": "psec"}, ("basic", "primary:psec")),
        ("gloo-v2", {"GLOO_AI_CLIENT_ID": "fallback", "GLOO_AI_CLIENT_SECRET": "fsec"}, ("basic", "fallback:fsec")),
        (
            "gloo-v1",
            {
                "GLOO_CLIENT_ID": "primary",
                "GLOO_CLIENT_SECRET": "psec",
                "GLOO_AI_CLIENT_ID": "fb",
                "GLOO_AI_CLIENT_SECRET": "fs",
            },
            ("basic", "primary:psec"),
        ),
        ("gloo-v2", {"GLOO_API_KEY": "gk-1"}, ("bearer", "gk-1")),
        ("gloo-v2", {"GLOO_API_KEY": "gk-1", "GLOO_CLIENT_ID": "x", "GLOO_CLIENT_SECRET": "y"}, ("bearer", "gk-1")),
        ("gravix", {"GRAVIXLAYER_API_KEY": "gx-1"}, ("bearer", "gx-1")),
        # the other provider's key is not picked up
        ("gravix", {"GLOO_API_KEY": "gk-1", "GRAVIXLAYER_API_KEY": "gx-2"}, ("bearer", "gx-2")),
    ],
)
async def test_env_credentials(make, monkeypatch, endpoint, env, expect):
    for name, value in env.items():
        # unique ids: the token cache is process-wide
        monkeypatch.setenv(name, value + unique_id("-") if name.endswith("CLIENT_ID") else value)
    server = Server()
    drv = make(endpoint, server)
    await drv.create(MSGS, **MIN_PARAMS[endpoint])
    kind, value = expect
    if kind == "bearer":
        assert server.token_requests == []
        assert bearer(server.chat_requests[0]) == f"Bearer {value}"
    else:
        [token] = server.token_requests
        user, secret = base64.b64decode(bearer(token).removeprefix("Basic ")).decode().split(":")
        want_user, want_secret = value.split(":")
        assert user.startswith(want_user + "-") and secret == want_secret
        assert bearer(server.chat_requests[0]) == "Bearer tok-1"


async def test_explicit_credentials_beat_env(make, monkeypatch):
    monkeypatch.setenv("GRAVIXLAYER_API_KEY", "from-env")
    server = Server()
    await make("gravix", server, api_key="explicit").create(MSGS, **MIN_PARAMS["gravix"])
    assert bearer(server.chat_requests[0]) == "Bearer explicit"


@pytest.mark.parametrize(
    "endpoint,env,url",
    [
        ("gloo-v2", {"GLOO_BASE_URL": "http://localhost:8787/"}, "http://localhost:8787/ai/v2/chat/completions"),
        ("gloo-v1", {"GLOO_BASE_URL": "https://staging.gloo.test"}, "https://staging.gloo.test/ai/v1/chat/completions"),
        ("gravix", {"GRAVIXLAYER_BASE_URL": "http://127.0.0.1:9000/v1"}, "http://127.0.0.1:9000/v1/chat/completions"),
    ],
)
async def test_env_base_url(make, monkeypatch, endpoint, env, url):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    server = Server()
    await make(endpoint, server, api_key="k").create(MSGS, **MIN_PARAMS[endpoint])
    assert server.seen[0].url == url


async def test_env_base_url_also_moves_the_token_endpoint(make, monkeypatch):
    monkeypatch.setenv("GLOO_BASE_URL", "http://localhost:8787")
    server = Server()
    await make("gloo-v2", server, **oauth_kw()).create(MSGS, auto_routing=True)
    assert server.token_requests[0].url == "http://localhost:8787/oauth2/token"


# -- construction is offline; missing credentials surface at first use ----------------------


@pytest.mark.parametrize("cls", [Client, AsyncClient])
@pytest.mark.parametrize(
    "endpoint,kw",
    [
        ("gloo-v2", "oauth"),
        ("gloo-v1", {"api_key": "k"}),
        ("gravix", {"api_key": "k"}),
        ("gloo-v2", {}),
        ("gravix", {}),
    ],
)
def test_no_network_at_construction(cls, endpoint, kw):
    calls = []

    def fail(request):
        calls.append(request)
        raise AssertionError(f"network used at construction: {request.url}")

    http = (httpx.AsyncClient if cls is AsyncClient else httpx.Client)(transport=httpx.MockTransport(fail))
    client = cls(endpoint, http_client=http, **(oauth_kw() if kw == "oauth" else kw))
    repr(client)
    client.stream(MSGS, **MIN_PARAMS[endpoint])  # a stream is lazy too
    assert calls == []


@pytest.mark.parametrize(
    "endpoint,kw,names",
    [
        (
            "gloo-v2",
            {},
            [
                "client_id=",
                "client_secret=",
                "GLOO_CLIENT_ID",
                "GLOO_CLIENT_SECRET",
                "GLOO_AI_CLIENT_ID",
                "GLOO_AI_CLIENT_SECRET",
                "api_key=",
                "GLOO_API_KEY",
            ],
        ),
        ("gloo-v1", {"client_id": "only-id"}, ["no client_secret", "GLOO_CLIENT_SECRET"]),
        ("gloo-v2", {"client_secret": "only-secret"}, ["no client_id", "GLOO_CLIENT_ID"]),
        ("gravix", {}, ["api_key=", "GRAVIXLAYER_API_KEY"]),
        # client credentials mean nothing to Gravix
        ("gravix", {"client_id": "a", "client_secret": "b"}, ["api_key=", "GRAVIXLAYER_API_KEY"]),
    ],
)
async def test_missing_credentials_at_first_call(make, endpoint, kw, names):
    server = Server()
    drv = make(endpoint, server, **kw)
    assert "auth=missing" in repr(drv.client)
    with pytest.raises(MissingCredentialsError) as info:
        await drv.create(MSGS, **MIN_PARAMS[endpoint])
    for name in names:
        assert name in str(info.value)
    assert info.value.endpoint == endpoint
    result = await drv.stream(MSGS, **MIN_PARAMS[endpoint])
    assert isinstance(result.error, MissingCredentialsError)
    assert server.seen == []
    if "only-secret" in kw.values():
        assert "only-secret" not in str(info.value)


# -- OAuth ---------------------------------------------------------------------------------


async def test_oauth_token_request_shape(make):
    kw = oauth_kw()
    server = Server(token=[token_reply("tok-abc")])
    await make("gloo-v2", server, **kw).create(MSGS, auto_routing=True)
    [token] = server.token_requests
    assert token.method == "POST"
    assert token.url == f"{GLOO}/oauth2/token"
    assert token.headers["content-type"] == "application/x-www-form-urlencoded"
    assert token.content.decode() in (
        "grant_type=client_credentials&scope=api%2Faccess",
        "grant_type=client_credentials&scope=api/access",
    )
    assert parse_qs(token.content.decode()) == {"grant_type": ["client_credentials"], "scope": ["api/access"]}
    expected = base64.b64encode(f"{kw['client_id']}:{kw['client_secret']}".encode()).decode()
    assert token.headers["authorization"] == f"Basic {expected}"
    [chat] = server.chat_requests
    assert bearer(chat) == "Bearer tok-abc"
    assert server.seen.index(token) < server.seen.index(chat)


async def test_oauth_percent_encodes_special_characters_in_basic_auth(make):
    kw = {"client_id": unique_id("id:with"), "client_secret": "p+a=ss&w:rd"}
    server = Server()
    await make("gloo-v2", server, **kw).create(MSGS, auto_routing=True)
    user, secret = base64.b64decode(bearer(server.token_requests[0]).removeprefix("Basic ")).decode().split(":")
    assert user == kw["client_id"].replace(":", "%3A")
    assert secret == "p%2Ba%3Dss%26w%3Ard"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("expires_in,fresh_until", [(600, 540.0), (None, 3540.0), (7200, 7140.0)])
async def test_token_cached_until_expires_in_minus_60s(make, expires_in, fresh_until):
    tokens = iter(["tok-a", "tok-b", "tok-c"])
    server = Server(token=[lambda req: token_reply(next(tokens), expires_in)(req)])
    drv = make("gloo-v2", server, **oauth_kw())
    clock = FakeClock()
    drv.client.auth.cache = TokenCache(clock=clock)  # a cold cache with a fake clock

    await drv.create(MSGS, auto_routing=True)
    clock.now += fresh_until - 1
    await drv.create(MSGS, auto_routing=True)
    assert len(server.token_requests) == 1
    clock.now += 2  # now past expires_in - 60
    await drv.create(MSGS, auto_routing=True)
    assert len(server.token_requests) == 2
    assert [bearer(s) for s in server.chat_requests] == ["Bearer tok-a", "Bearer tok-a", "Bearer tok-b"]


async def test_token_cache_is_shared_by_clients_with_the_same_credentials(make):
    kw = oauth_kw()
    server = Server()
    await make("gloo-v2", server, **kw).create(MSGS, auto_routing=True)
    await make("gloo-v1", server, **kw).create(MSGS)
    await make("gloo-v2", server, client_id=kw["client_id"], client_secret="other").create(MSGS, auto_routing=True)
    assert len(server.token_requests) == 2  # the third client has another secret
    assert [bearer(s) for s in server.chat_requests] == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]


async def test_401_on_cached_token_remints_once_and_resends_once(make):
    unauthorized = reply_json({"error": "token expired", "code": "unauthorized"}, 401)
    ok = reply_json(completion_json("after re-mint"))
    server = Server(chat=[reply_json(completion_json("first")), unauthorized, ok])
    drv = make("gloo-v2", server, **oauth_kw())
    await drv.create(MSGS, auto_routing=True)
    c = await drv.create(MSGS, auto_routing=True)
    assert c.message.content == "after re-mint"
    assert len(server.token_requests) == 2
    assert [bearer(s) for s in server.chat_requests] == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]
    # the re-minted token is cached for later calls
    await drv.create(MSGS, auto_routing=True)
    assert len(server.token_requests) == 2
    assert bearer(server.chat_requests[-1]) == "Bearer tok-2"


async def test_second_401_raises_authentication_error(make, sleeps):
    server = Server(
        chat=[reply_json({"error": "Missing Authorization", "code": "unauthorized_missing_authorization"}, 401)]
    )
    drv = make("gloo-v2", server, **oauth_kw())
    with pytest.raises(AuthenticationError) as info:
        await drv.create(MSGS, auto_routing=True)
    assert info.value.status_code == 401
    assert info.value.code == "unauthorized_missing_authorization"
    assert len(server.token_requests) == 2  # first mint + one re-mint
    assert len(server.chat_requests) == 2  # first send + one resend, never retried
    assert sleeps == []


async def test_static_key_401_is_not_retried(make, sleeps):
    server = Server(chat=[reply_json({"error": {"message": "Invalid API key"}}, 401)])
    with pytest.raises(AuthenticationError, match="Invalid API key"):
        await make("gravix", server, api_key="bad").create(MSGS, **MIN_PARAMS["gravix"])
    assert len(server.seen) == 1 and sleeps == []


async def test_token_endpoint_refusal_is_an_authentication_error(make):
    server = Server(token=[reply_json({"error": "invalid_client"}, 401)])
    with pytest.raises(AuthenticationError) as info:
        await make("gloo-v2", server, **oauth_kw()).create(MSGS, auto_routing=True)
    assert "GLOO_CLIENT_ID" in str(info.value)
    assert server.chat_requests == []


@pytest.mark.parametrize("owner", ["sync", "async"])
async def test_single_flight_token_across_200_tasks_and_8_threads(owner):
    """Cold cache, 200 concurrent async calls plus 8 threads: exactly one token request.

    The token endpoint is held open until every caller is waiting for it, so
    the callers really race for the refresh.
    """
    kw = oauth_kw()
    release = threading.Event()
    token_entered = threading.Event()
    seen_lock = threading.Lock()
    token_calls: list[str] = []
    chat_auth: list[str] = []

    def record(request):
        with seen_lock:
            if request.url.path.endswith("/oauth2/token"):
                token_calls.append(request.headers["authorization"])
                return True
            chat_auth.append(request.headers["authorization"])
            return False

    def sync_handler(request):
        if record(request):
            token_entered.set()
            assert release.wait(10), "token request never released"
            return httpx.Response(200, json={"access_token": "tok-shared", "expires_in": 3600})
        return httpx.Response(200, json=completion_json())

    async def async_handler(request):
        if record(request):
            token_entered.set()
            for _ in range(1000):
                if release.is_set():
                    break
                await asyncio.sleep(0.01)
            return httpx.Response(200, json={"access_token": "tok-shared", "expires_in": 3600})
        return httpx.Response(200, json=completion_json())

    sync_client = Client("gloo-v2", http_client=httpx.Client(transport=httpx.MockTransport(sync_handler)), **kw)
    async_client = AsyncClient(
        "gloo-v2", http_client=httpx.AsyncClient(transport=httpx.MockTransport(async_handler)), **kw
    )

    results: list = []
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait(5)
        results.append(sync_client.create(MSGS, auto_routing=True).message.content)

    threads = [threading.Thread(target=worker) for _ in range(8)]

    async def wait_for(event: threading.Event) -> None:
        for _ in range(500):
            if event.is_set():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the token request was never made")

    tasks: list = []
    try:
        if owner == "sync":
            for t in threads:
                t.start()
            await wait_for(token_entered)
            tasks = [asyncio.ensure_future(async_client.create(MSGS, auto_routing=True)) for _ in range(200)]
            await asyncio.sleep(0.1)  # let all 200 tasks reach the wait for the refresh
        else:
            tasks = [asyncio.ensure_future(async_client.create(MSGS, auto_routing=True)) for _ in range(200)]
            await wait_for(token_entered)
            for t in threads:
                t.start()
            await asyncio.sleep(0.1)  # let the threads reach the wait for the refresh
        assert len(token_calls) == 1
        assert chat_auth == []  # nobody got past the refresh yet: the race is real
    finally:
        release.set()  # never leave a thread or task hanging, even when failing
        done = await asyncio.gather(*tasks, return_exceptions=True)
        for t in threads:
            if t.is_alive() or t.ident is not None:
                t.join(10)
    assert all(not isinstance(d, BaseException) for d in done), done[:3]
    assert len(done) == 200 and len(results) == 8
    assert len(token_calls) == 1
    assert len(chat_auth) == 208
    assert set(chat_auth) == {"Bearer tok-shared"}
    assert async_client.auth.cache.mints == 1
    sync_client.close()
    await async_client.aclose()


# -- retries -------------------------------------------------------------------------------


async def test_retry_429_with_retry_after_then_success(make, sleeps):
    retries = []
    server = Server(
        chat=[
            reply_json({"error": "Rate limit exceeded", "code": "too_many_requests"}, 429, {"Retry-After": "3"}),
            reply_json(completion_json("ok")),
        ]
    )
    drv = make("gravix", server, api_key="k", on_retry=lambda n, err, delay: retries.append((n, type(err), delay)))
    c = await drv.create(MSGS, **MIN_PARAMS["gravix"])
    assert c.message.content == "ok"
    assert sleeps == [3.0]
    assert len(server.chat_requests) == 2
    assert retries == [(1, RateLimitError, 3.0)]
    # the same body is resent
    assert server.chat_requests[0].content == server.chat_requests[1].content


async def test_retry_429_with_x_ratelimit_reset_seconds(make, sleeps):
    server = Server(
        chat=[
            reply_json({"error": "Rate limit exceeded"}, 429, {"X-RateLimit-Reset": "7"}),
            reply_json(completion_json()),
        ]
    )
    await make("gloo-v2", server, api_key="k").create(MSGS, auto_routing=True)
    assert sleeps == [7.0]


async def test_spending_limit_429_is_not_retried(make, sleeps):
    body = {
        "error": {"name": "SPENDING_LIMIT_EXCEEDED", "message": "Weekly spending limit reached", "retryable": False}
    }
    server = Server(chat=[reply_json(body, 429, {"Retry-After": "1"})])
    with pytest.raises(RateLimitError) as info:
        await make("gloo-v2", server, api_key="k").create(MSGS, auto_routing=True)
    assert info.value.retryable is False
    assert len(server.seen) == 1 and sleeps == []


async def test_no_retry_on_422(make, sleeps):
    body = {"detail": [{"type": "missing", "loc": ["body", "messages"], "msg": "Field required", "input": None}]}
    server = Server(chat=[reply_json(body, 422)])
    with pytest.raises(BadRequestError) as info:
        await make("gloo-v2", server, api_key="k", max_retries=5).create(MSGS, auto_routing=True)
    assert "body.messages: Field required" in str(info.value)
    assert len(server.seen) == 1
    assert sleeps == []


@pytest.mark.parametrize("max_retries", [0, 1, 3])
async def test_503_retried_max_retries_times_then_server_error(make, sleeps, max_retries):
    server = Server(
        chat=[
            reply_json(
                {"error": {"code": 2002, "name": "PROVIDER_UNAVAILABLE", "retryable": True, "message": "down"}}, 503
            )
        ]
    )
    drv = make("gloo-v2", server, api_key="k", max_retries=max_retries)
    with pytest.raises(ServerError) as info:
        await drv.create(MSGS, auto_routing=True)
    assert info.value.code == "PROVIDER_UNAVAILABLE"
    assert len(server.seen) == max_retries + 1
    assert len(sleeps) == max_retries
    # default policy: 0.5 * 2**n, with jitter between half and all of it
    for n, slept in enumerate(sleeps):
        assert 0.25 * 2**n <= slept <= 0.5 * 2**n


async def test_backoff_follows_the_given_policy(make, sleeps):
    server = Server(chat=[reply_json({}, 500)])
    policy = RetryPolicy(max_retries=3, initial_delay=0.1, max_delay=0.3, jitter=lambda: 1.0)
    with pytest.raises(ServerError):
        await make("gravix", server, api_key="k", retry_policy=policy).create(MSGS, **MIN_PARAMS["gravix"])
    assert sleeps == pytest.approx([0.1, 0.2, 0.3])


async def test_connection_error_is_retried(make, sleeps):
    server = Server(
        chat=[
            raise_(lambda req: httpx.ConnectError("connection refused", request=req)),
            reply_json(completion_json("back")),
        ]
    )
    c = await make("gravix", server, api_key="k", retry_policy=FAST).create(MSGS, **MIN_PARAMS["gravix"])
    assert c.message.content == "back"
    assert len(server.seen) == 2 and len(sleeps) == 1


async def test_connection_error_exhausted(make, sleeps):
    server = Server(chat=[raise_(lambda req: httpx.ConnectError("connection refused", request=req))])
    with pytest.raises(APIConnectionError) as info:
        await make("gravix", server, api_key="k", retry_policy=FAST).create(MSGS, **MIN_PARAMS["gravix"])
    assert type(info.value) is APIConnectionError
    assert GRAVIX_BASE in str(info.value)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert len(server.seen) == 3


@pytest.mark.parametrize("exc", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.WriteTimeout, httpx.PoolTimeout])
async def test_timeouts_become_api_timeout_error(make, sleeps, exc):
    server = Server(chat=[raise_(lambda req: exc("timed out", request=req))])
    with pytest.raises(APITimeoutError) as info:
        await make("gloo-v2", server, api_key="k", max_retries=1).create(MSGS, auto_routing=True)
    assert exc.__name__ in str(info.value)
    assert len(server.seen) == 2  # timeouts are retried


def test_timeout_configuration():
    assert Client("gravix", api_key="k").timeout == DEFAULT_TIMEOUT
    t = Client("gravix", api_key="k", timeout=5).timeout
    assert (t.connect, t.read) == (5.0, 5.0)
    with pytest.raises(ValueError, match="timeout must be a positive, finite number"):
        Client("gravix", api_key="k", timeout=0)


async def test_malformed_2xx_body(make):
    server = Server(chat=[reply_raw(b"<html>ok</html>", headers={"content-type": "text/html"})])
    from langchain_gloo_gravix.core import MalformedResponseError

    with pytest.raises(MalformedResponseError, match="<html>ok</html>"):
        await make("gravix", server, api_key="k").create(MSGS, **MIN_PARAMS["gravix"])


async def test_error_envelope_with_200_status(make, sleeps):
    server = Server(chat=[reply_json({"error": {"message": "upstream failed", "retryable": False}})])
    with pytest.raises(ServerError, match="upstream failed"):
        await make("gloo-v2", server, api_key="k").create(MSGS, auto_routing=True)
    assert len(server.seen) == 1


# -- streaming --------------------------------------------------------------------------------

ROUTED = {
    "model": "gloo-anthropic-claude-sonnet-4.5",
    "provider": "anthropic",
    "routing_mechanism": "auto_routing",
    "routing_tier": "standard",
    "routing_confidence": 0.92,
    "tradition": "evangelical",
}


def gloo_stream_chunks() -> list[bytes]:
    raw = sse_body(
        {
            **chunk(None),
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": "The "}, "finish_reason": None}],
            **ROUTED,
        },
        chunk("Bible "),
        chunk("says…"),
        chunk(None, "stop"),
        {"id": "chunk-1", "choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": 3, "total_tokens": 23}},
    )
    # delivered in awkward network chunks (inside an event, inside a UTF-8 character)
    cuts = [5, 17, 90, raw.index("…".encode()) + 1, len(raw) - 3]
    return [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)])]


async def test_stream_deltas_completion_usage_routing(make):
    server = Server(chat=[reply_sse(*gloo_stream_chunks())])
    drv = make("gloo-v2", server, api_key="k")
    result = await drv.stream(MSGS, auto_routing=True, tradition="evangelical")
    assert result.error is None
    assert [d.content for d in result.deltas if d.content] == ["The ", "Bible ", "says…"]
    assert result.text == "The Bible says…"
    c = result.completion
    assert c.message.content == "The Bible says…"
    assert c.finish_reason == "stop"
    assert (c.usage.prompt_tokens, c.usage.completion_tokens, c.usage.total_tokens) == (20, 3, 23)
    assert c.model == ROUTED["model"]
    assert c.routing.as_dict() == ROUTED
    assert result.deltas[0].routing.routing_tier == "standard"
    body = server.chat_requests[0].json()
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["tradition"] == "evangelical"
    assert server.chat_requests[0].headers["accept"] == "application/json"


async def test_stream_include_usage_off(make):
    server = Server(chat=[reply_sse(sse_body(chunk("x", "stop")))])
    await make("gravix", server, api_key="k").stream(MSGS, include_usage=False, **MIN_PARAMS["gravix"])
    assert "stream_options" not in server.chat_requests[0].json()


async def test_gloo_stream_without_done_ends_after_finish_chunk(make):
    server = Server(chat=[reply_sse(sse_body(chunk("a"), chunk("b", "length")))])
    result = await make("gloo-v2", server, api_key="k").stream(MSGS, auto_routing=True)
    assert result.error is None
    assert result.completion.message.content == "ab"
    assert result.completion.finish_reason == "length"
    assert result.completion.usage is None


async def test_done_ends_the_stream_and_later_bytes_are_ignored(make):
    raw = sse_body(chunk("x"), chunk("y", "stop"), done=True) + b"data: this is not json\n\n"
    server = Server(chat=[reply_sse(raw)])
    result = await make("gravix", server, api_key="k").stream(MSGS, **MIN_PARAMS["gravix"])
    assert result.error is None
    assert result.text == "xy"


async def test_done_without_finish_reason_is_a_complete_stream(make):
    server = Server(chat=[reply_sse(sse_body(chunk("x")), b"data: [DONE]\n\n")])
    result = await make("gravix", server, api_key="k").stream(MSGS, **MIN_PARAMS["gravix"])
    assert result.error is None and result.text == "x"


async def test_stream_broken_midway_by_eof_is_not_retried(make, sleeps):
    server = Server(
        chat=[
            reply_sse(sse_body(chunk("Partial ")), sse_body(chunk("answer"))),
            reply_sse(sse_body(chunk("never", "stop"))),
        ]
    )
    result = await make("gloo-v2", server, api_key="k").stream(MSGS, auto_routing=True)
    assert isinstance(result.error, StreamError)
    assert result.error.partial_text == "Partial answer"
    assert result.error.code == "incomplete_stream"
    assert result.text == "Partial answer"  # what the caller saw
    assert len(server.chat_requests) == 1
    assert sleeps == []


async def test_stream_broken_midway_by_transport_error(make, sleeps):
    server = Server(chat=[reply_sse(sse_body(chunk("Half")), error=httpx.ReadError("connection reset"))])
    result = await make("gravix", server, api_key="k").stream(MSGS, **MIN_PARAMS["gravix"])
    assert type(result.error) is StreamError
    assert result.error.partial_text == "Half"
    assert result.error.code == "transport"
    assert len(server.chat_requests) == 1 and sleeps == []


async def test_stream_single_body_eof_without_finish(make):
    # all events in one network chunk: they reach the caller, then EOF is an error
    server = Server(chat=[reply_sse(sse_body(chunk("one "), chunk("two")))])
    result = await make("gravix", server, api_key="k").stream(MSGS, **MIN_PARAMS["gravix"])
    assert result.text == "one two"
    assert isinstance(result.error, StreamError) and result.error.partial_text == "one two"
    assert len(server.chat_requests) == 1


@pytest.mark.parametrize(
    "first",
    [
        reply_json({"error": {"message": "overloaded", "retryable": True}}, 503),
        reply_sse(b""),  # EOF with no events at all
        reply_sse(b": ping\n\n", b": ping\n\n"),  # only keep-alives, then EOF
        reply_sse(error=httpx.ReadError("reset before the first event")),
        raise_(lambda req: httpx.ConnectError("refused", request=req)),
    ],
    ids=["503", "empty-eof", "pings-eof", "reset-before-first-event", "connect-error"],
)
async def test_stream_failing_before_first_event_is_retried(make, sleeps, first):
    server = Server(chat=[first, reply_sse(sse_body(chunk("fine", "stop")))])
    result = await make("gloo-v2", server, api_key="k", retry_policy=FAST).stream(MSGS, auto_routing=True)
    assert result.error is None
    assert result.text == "fine"
    assert len(server.chat_requests) == 2
    assert len(sleeps) == 1


async def test_stream_503_exhausts_retries(make, sleeps):
    server = Server(chat=[reply_json({"detail": "busy"}, 503)])
    result = await make("gloo-v2", server, api_key="k", max_retries=2).stream(MSGS, auto_routing=True)
    assert isinstance(result.error, ServerError)
    assert len(server.chat_requests) == 3


async def test_stream_400_not_retried(make, sleeps):
    server = Server(chat=[reply_json({"detail": "model does not support function calling"}, 400)])
    result = await make("gloo-v2", server, api_key="k").stream(MSGS, model="gloo-deepseek-r1")
    assert isinstance(result.error, BadRequestError)
    assert len(server.chat_requests) == 1 and sleeps == []


async def test_stream_options_refused_is_resent_without_them(make, sleeps):
    server = Server(
        chat=[
            reply_json({"error": {"message": "Unrecognized request argument: stream_options"}}, 400),
            reply_sse(sse_body(chunk("ok", "stop"))),
        ]
    )
    result = await make("gravix", server, api_key="k").stream(MSGS, **MIN_PARAMS["gravix"])
    assert result.text == "ok"
    first, second = (s.json() for s in server.chat_requests)
    assert "stream_options" in first and "stream_options" not in second
    assert second["stream"] is True


GLOO_STREAM_ERROR = {
    "id": "chunk-1",
    "choices": [{"index": 0, "delta": {}, "finish_reason": "error"}],
    "error": {"code": 3001, "type": "internal_error", "message": "Streaming error occurred", "fault": "internal"},
}


async def test_in_stream_gloo_error(make, sleeps):
    server = Server(chat=[reply_sse(sse_body(chunk("Grace is ")), sse_body(GLOO_STREAM_ERROR))])
    result = await make("gloo-v2", server, api_key="k").stream(MSGS, auto_routing=True)
    err = result.error
    assert type(err) is StreamError
    assert (err.code, err.fault, err.retryable) == (3001, "internal", False)
    assert err.partial_text == "Grace is "
    assert "Streaming error occurred" in str(err)
    assert len(server.chat_requests) == 1 and sleeps == []


async def test_in_stream_retryable_error_after_first_event_is_still_not_retried(make, sleeps):
    error = {**GLOO_STREAM_ERROR, "error": {**GLOO_STREAM_ERROR["error"], "retryable": True}}
    server = Server(chat=[reply_sse(sse_body(chunk("shown")), sse_body(error))])
    result = await make("gloo-v2", server, api_key="k").stream(MSGS, auto_routing=True)
    assert result.error.retryable is True
    assert result.error.partial_text == "shown"
    assert len(server.chat_requests) == 1 and sleeps == []


async def test_sse_error_event_name(make):
    server = Server(chat=[reply_sse(sse_body(chunk("x")), b'event: error\ndata: {"message": "overloaded"}\n\n')])
    result = await make("gravix", server, api_key="k").stream(MSGS, **MIN_PARAMS["gravix"])
    assert isinstance(result.error, StreamError)
    assert "overloaded" in str(result.error)


class Jumping:
    """A stream clock (``Client(clock=)``) that jumps 50 s on every reading."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 50.0
        return self.now


@pytest.fixture
def stream_clock() -> Jumping:
    return Jumping()


async def test_keepalives_do_not_count_as_progress_idle_timeout(make, sleeps, stream_clock):
    pings = [b": ping\n\n"] * 10
    server = Server(chat=[reply_sse(sse_body(chunk("So far")), *pings, sse_body(chunk("never", "stop")))])
    client = make("gloo-v2", server, api_key="k", stream_idle_timeout=120, clock=stream_clock)
    result = await client.stream(MSGS, auto_routing=True)
    err = result.error
    assert isinstance(err, StreamTimeoutError)
    assert isinstance(err, APITimeoutError)
    assert err.partial_text == "So far"
    assert "120" in str(err)
    assert result.text == "So far"
    assert len(server.chat_requests) == 1 and sleeps == []


async def test_idle_timeout_before_first_event_is_retried(make, sleeps, stream_clock):
    server = Server(chat=[reply_sse(*[b": ping\n\n"] * 10)])
    result = await make(
        "gloo-v2", server, api_key="k", stream_idle_timeout=120, retry_policy=FAST, clock=stream_clock
    ).stream(MSGS, auto_routing=True)
    assert isinstance(result.error, StreamTimeoutError)
    assert result.error.partial_text == ""
    assert len(server.chat_requests) == 3


async def test_idle_timeout_none_disables_it(make, stream_clock):
    server = Server(chat=[reply_sse(*[b": ping\n\n"] * 10, sse_body(chunk("late", "stop")))])
    client = make("gloo-v2", server, api_key="k", stream_idle_timeout=None, clock=stream_clock)
    result = await client.stream(MSGS, auto_routing=True)
    assert result.error is None and result.text == "late"


async def test_stream_answered_with_plain_json(make):
    server = Server(
        chat=[
            reply_json(
                completion_json(
                    "Whole answer",
                    prompt_tokens=4,
                    completion_tokens=2,
                    **{"provider": "openai", "routing_mechanism": "model_family"},
                )
            )
        ]
    )
    result = await make("gloo-v2", server, api_key="k").stream(MSGS, model_family="openai")
    assert result.error is None
    [delta] = result.deltas
    assert delta.content == "Whole answer"
    assert delta.finish_reason == "stop"
    assert delta.usage.total_tokens == 6
    assert delta.routing.provider == "openai"
    c = result.completion
    assert c.message.content == "Whole answer"
    assert c.finish_reason == "stop"
    assert c.usage.total_tokens == 6
    assert c.routing.routing_mechanism == "model_family"


async def test_stream_malformed_event(make):
    # After the first delta a bad event is a StreamError that keeps the text (issue 10).
    server = Server(chat=[reply_sse(sse_body(chunk("ok")), b"data: {not json\n\n")])
    result = await make("gravix", server, api_key="k").stream(MSGS, **MIN_PARAMS["gravix"])
    assert isinstance(result.error, StreamError)
    assert result.error.partial_text == "ok" and "not JSON" in str(result.error)


async def test_stream_over_oauth(make):
    server = Server(chat=[reply_sse(sse_body(chunk("ok", "stop")))])
    result = await make("gloo-v2", server, **oauth_kw()).stream(MSGS, auto_routing=True)
    assert result.text == "ok"
    assert bearer(server.chat_requests[0]) == "Bearer tok-1"


def test_sync_stream_close_and_context_manager():
    server = Server(chat=[reply_sse(sse_body(chunk("a")), sse_body(chunk("b", "stop")))])
    client = Client("gravix", api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(server)))
    with client.stream(MSGS, **MIN_PARAMS["gravix"]) as stream:
        first = next(iter(stream))
        assert first.content == "a"
    assert stream.response.is_closed
    assert stream.accumulator.text == "a"


async def test_async_stream_close_and_context_manager():
    server = Server(chat=[reply_sse(sse_body(chunk("a")), sse_body(chunk("b", "stop")))])
    client = AsyncClient("gravix", api_key="k", http_client=httpx.AsyncClient(transport=httpx.MockTransport(server)))
    async with client.stream(MSGS, **MIN_PARAMS["gravix"]) as stream:
        async for delta in stream:
            assert delta.content == "a"
            break
    assert stream.response.is_closed


# -- list_models -----------------------------------------------------------------------------

MODELS = {
    "object": "list",
    "data": [
        {
            "id": "gloo-anthropic-claude-haiku-4.5",
            "name": "Claude Haiku 4.5",
            "family": "Anthropic",
            "supports_tools": True,
            "output_modalities": ["text"],
        },
        {"id": "gloo-flux-image", "family": "Open Source", "output_modalities": ["image"]},
        {"name": "no id, skipped"},
    ],
}


@pytest.mark.parametrize("auth", ["oauth", "api_key"])
async def test_list_models_gloo_sends_no_authorization(make, auth):
    server = Server(models=[reply_json(MODELS)])
    drv = make("gloo-v2", server, **(oauth_kw() if auth == "oauth" else {"api_key": "gk-secret"}))
    models = await drv.list_models()
    assert [m.id for m in models] == ["gloo-anthropic-claude-haiku-4.5", "gloo-flux-image"]
    assert models[0].supports_tools is True and models[0].supports_chat is True
    assert models[1].supports_chat is False
    [seen] = server.seen  # no token request either
    assert seen.method == "GET" and seen.url == f"{GLOO}/platform/v2/models"
    assert "authorization" not in seen.headers


async def test_list_models_gravix_sends_bearer(make):
    server = Server(
        models=[
            reply_json({"object": "list", "data": [{"id": "meta-llama/llama-3.1-8b-instruct", "owned_by": "meta"}]})
        ]
    )
    models = await make("gravix", server, api_key="gx-key").list_models()
    assert [(m.id, m.owned_by) for m in models] == [("meta-llama/llama-3.1-8b-instruct", "meta")]
    [seen] = server.seen
    assert seen.url == f"{GRAVIX_BASE}/models"
    assert bearer(seen) == "Bearer gx-key"


async def test_list_models_errors(make):
    from langchain_gloo_gravix.core import MalformedResponseError, NotFoundError

    server = Server(models=[reply_json({"detail": "Not Found"}, 404)])
    with pytest.raises(NotFoundError):
        await make("gravix", server, api_key="k").list_models()
    server = Server(models=[reply_raw(b"nope")])
    with pytest.raises(MalformedResponseError):
        await make("gravix", server, api_key="k").list_models()


# -- secrets ---------------------------------------------------------------------------------


async def test_secrets_never_leak(make, caplog):
    caplog.set_level(logging.DEBUG)
    api_key = "sk-LEAK-api-key-" + unique_id()
    secret = "LEAK-client-secret-" + unique_id()
    token = "LEAK-access-token-" + unique_id()
    texts: list[str] = []

    # static key: a retried 429 and a final 401
    server = Server(
        chat=[
            reply_json({"error": "Rate limit exceeded"}, 429, {"Retry-After": "1"}),
            reply_json({"error": "invalid key"}, 401),
        ]
    )
    drv = make("gravix", server, api_key=api_key)
    texts.append(repr(drv.client))
    with pytest.raises(AuthenticationError) as info:
        await drv.create(MSGS, **MIN_PARAMS["gravix"])
    texts += [str(info.value), repr(info.value), repr(info.value.__dict__)]
    assert bearer(server.chat_requests[0]) == f"Bearer {api_key}"  # it was used

    # OAuth: a stream broken mid-way, then two 401s
    server = Server(
        token=[token_reply(token)],
        chat=[reply_sse(sse_body(chunk("partial"))), reply_json({"error": "expired"}, 401)],
    )
    drv = make("gloo-v2", server, client_id=unique_id(), client_secret=secret)
    texts += [repr(drv.client), repr(drv.client.auth)]
    result = await drv.stream(MSGS, auto_routing=True)
    texts += [str(result.error), repr(result.error)]
    with pytest.raises(AuthenticationError) as info:
        await drv.create(MSGS, auto_routing=True)
    texts += [str(info.value), repr(info.value), repr(info.value.__dict__)]
    assert bearer(server.chat_requests[0]) == f"Bearer {token}"

    # OAuth with refused credentials
    server = Server(token=[reply_json({"error": "invalid_client"}, 401)])
    drv = make("gloo-v2", server, client_id=unique_id(), client_secret=secret)
    with pytest.raises(AuthenticationError) as info:
        await drv.create(MSGS, auto_routing=True)
    texts += [str(info.value), repr(info.value), repr(info.value.__dict__)]

    texts.append(caplog.text)
    texts += [r.getMessage() for r in caplog.records]
    assert any("retrying" in r.getMessage() for r in caplog.records)  # logs were captured
    for text in texts:
        for value in (api_key, secret, token):
            assert value not in text


# -- base_url, headers, body ------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint,base_url,chat_url",
    [
        ("gloo-v2", "http://localhost:8787", "http://localhost:8787/ai/v2/chat/completions"),
        ("gloo-v2", "https://platform.ai.gloo.com/", f"{GLOO}/ai/v2/chat/completions"),
        ("gloo-v2", "https://platform.ai.gloo.com/ai/v2", f"{GLOO}/ai/v2/chat/completions"),
        ("gloo-v2", "https://platform.ai.gloo.com/ai/v2/", f"{GLOO}/ai/v2/chat/completions"),
        ("gloo-v1", "https://platform.ai.gloo.com/ai/v1/", f"{GLOO}/ai/v1/chat/completions"),
        ("gravix", "http://127.0.0.1:11434/v1/", "http://127.0.0.1:11434/v1/chat/completions"),
        ("gravix", " https://api.gravixlayer.com/v1/inference ", f"{GRAVIX_BASE}/chat/completions"),
    ],
)
async def test_base_url_forms(make, endpoint, base_url, chat_url):
    server = Server()
    drv = make(endpoint, server, api_key="k", base_url=base_url)
    assert drv.client.chat_url == chat_url
    await drv.create(MSGS, **MIN_PARAMS[endpoint])
    assert server.seen[0].url == chat_url


@pytest.mark.parametrize(
    "endpoint,base_url,match",
    [
        ("gloo-v2", "platform.ai.gloo.com", "must start with http:// or https://"),
        ("gravix", "ftp://x", "must start with http:// or https://"),
        ("gloo-v1", "https://platform.ai.gloo.com/ai/v2", "another Gloo API version"),
        ("gloo-v2", "https://platform.ai.gloo.com/ai/v1", "another Gloo API version"),
    ],
)
def test_bad_base_url(endpoint, base_url, match):
    with pytest.raises(ValueError, match=match):
        Client(endpoint, api_key="k", base_url=base_url)


async def test_extra_headers_and_extra_body_per_call(make):
    server = Server()
    drv = make("gloo-v2", server, api_key="k", default_headers={"X-App": "tests"})
    await drv.create(
        MSGS,
        auto_routing=True,
        extra_headers={"X-Cache-TTL": "5m", "X-App": "override"},
        extra_body={"prompt_cache_key": "pk", "temperature": 0.1},
    )
    await drv.create(MSGS, auto_routing=True)
    first, second = server.chat_requests
    assert first.headers["x-cache-ttl"] == "5m" and first.headers["x-app"] == "override"
    assert first.json()["prompt_cache_key"] == "pk" and first.json()["temperature"] == 0.1
    # nothing sticks to the client
    assert "x-cache-ttl" not in second.headers and second.headers["x-app"] == "tests"
    assert "prompt_cache_key" not in second.json() and "temperature" not in second.json()
    assert bearer(first) == bearer(second) == "Bearer k"


async def test_extra_headers_and_body_on_streams(make):
    server = Server(chat=[reply_sse(sse_body(chunk("x", "stop")))])
    await make("gravix", server, api_key="k").stream(
        MSGS, extra_headers={"X-Trace": "t1"}, extra_body={"seed": 3}, **MIN_PARAMS["gravix"]
    )
    seen = server.chat_requests[0]
    assert seen.headers["x-trace"] == "t1" and seen.json()["seed"] == 3


async def test_context_managers_close_owned_clients():
    with Client("gravix", api_key="k") as client:
        assert "api_key" in repr(client)
    assert client.is_closed
    async with AsyncClient("gravix", api_key="k") as aclient:
        pass
    assert aclient.is_closed
    # a client passed in is the caller's to close
    http = httpx.Client()
    Client("gravix", api_key="k", http_client=http).close()
    assert not http.is_closed
    http.close()


# -- behaviours added after review --------------------------------------------------------


def test_create_refuses_stream_true():
    from langchain_gloo_gravix.core import Client

    client = Client("gravix", api_key="k", base_url="http://test/v1/inference")
    with pytest.raises(ValueError, match="call stream"):
        client.create([{"role": "user", "content": "hi"}], model="m", stream=True)


def test_explicit_client_id_is_completed_by_env_secret(monkeypatch):
    from langchain_gloo_gravix.core import Client
    from langchain_gloo_gravix.core.auth import GlooOAuth

    monkeypatch.setenv("GLOO_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("GLOO_API_KEY", "env-key")
    client = Client("gloo-v2", client_id="explicit-id", base_url="http://test")
    assert isinstance(client.auth, GlooOAuth) and client.auth.client_id == "explicit-id"
    assert "Authorization" not in client.settings.headers  # explicit client credentials beat the env key


def test_deltas_before_an_in_band_error_are_delivered_first():
    import httpx

    from langchain_gloo_gravix.core import Client, StreamError

    body = (
        b'data: {"id":"s","choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'
        b'data: {"id":"s","choices":[{"index":0,"delta":{},"finish_reason":"error"}],'
        b'"error":{"code":3001,"message":"Streaming error occurred","fault":"internal","retryable":true}}\n\n'
    )
    transport = httpx.MockTransport(
        lambda r: httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
    )
    client = Client(
        "gloo-v2", api_key="k", base_url="http://test", max_retries=0, http_client=httpx.Client(transport=transport)
    )
    seen = []
    with pytest.raises(StreamError) as info:
        for delta in client.stream([{"role": "user", "content": "hi"}], auto_routing=True):
            seen.append(delta.content)
    assert seen == ["Hel"]
    assert info.value.partial_text == "Hel" and info.value.fault == "internal" and info.value.retryable is True


# -- issue 9: stream_options fallback, token responses, per-call hooks, response headers ------------------

REFUSED = reply_json({"error": {"message": "Unrecognized request argument: stream_options"}}, 400)


@pytest.mark.parametrize(
    "params",
    [
        {},  # the default {"include_usage": true}
        {"include_usage": True},
        {"extra_body": {"stream_options": {"include_usage": True, "x": 1}}},
        {"extra_body": {"stream_options": {"include_usage": False}}},
    ],
)
@pytest.mark.parametrize("always", [False, True])
async def test_refused_stream_options_at_most_two_requests(make, sleeps, params, always):
    def chat(request):
        if always or b"stream_options" in request.content:
            return REFUSED(request)
        return reply_sse(sse_body(chunk("fine", "stop")))(request)

    server = Server(chat=[chat])
    result = await make("gravix", server, api_key="k", max_retries=5).stream(MSGS, **MIN_PARAMS["gravix"], **params)
    first, *rest = server.chat_requests
    assert "stream_options" in first.json()
    assert len(rest) == 1  # resent once, without stream_options; never again
    resent = rest[0].json()
    assert "stream_options" not in resent
    assert {k: v for k, v in first.json().items() if k != "stream_options"} == resent
    if always:
        assert isinstance(result.error, BadRequestError)
    else:
        assert result.error is None and result.text == "fine"
    assert sleeps == []


async def test_stream_options_fallback_counts_as_an_attempt(make, sleeps):
    """With max_retries=1, a fallback then a 503 ends the call: the fallback used the one retry."""
    server = Server(chat=[REFUSED, reply_json({"error": "down"}, 503)])
    result = await make("gravix", server, api_key="k", max_retries=1).stream(MSGS, **MIN_PARAMS["gravix"])
    assert isinstance(result.error, ServerError)
    assert len(server.chat_requests) == 2 and sleeps == []


@pytest.mark.parametrize(
    "token,expires_in,outcome",
    [
        ("  tok-spaced \r\n", 3600, "Bearer tok-spaced"),
        ("tok\x00bad", 3600, "malformed"),
        ("tok bad", 3600, "malformed"),
        ("", 3600, "malformed"),
        (123, 3600, "malformed"),
        ("tok-a", "not a number", "Bearer tok-a"),
        pytest.param("tok-b", 10**400, "Bearer tok-b", id="400-digit-expires_in"),  # was OverflowError
        ("tok-c", 1e308, "Bearer tok-c"),
        ("tok-d", -5, "Bearer tok-d"),
        ("tok-e", "600", "Bearer tok-e"),
        ("tok-f", True, "Bearer tok-f"),
    ],
)
async def test_hostile_token_responses(make, token, expires_in, outcome):
    from langchain_gloo_gravix.core import MalformedResponseError

    server = Server(token=[token_reply(token, expires_in)])
    drv = make("gloo-v2", server, **oauth_kw())
    if outcome == "malformed":
        with pytest.raises(MalformedResponseError) as info:
            await drv.create(MSGS, auto_routing=True)
        if isinstance(token, str) and token:
            assert token not in str(info.value)
        assert server.chat_requests == []
        # nothing was cached: the next call asks again
        with pytest.raises(MalformedResponseError):
            await drv.create(MSGS, auto_routing=True)
        assert len(server.token_requests) == 2
        return
    await drv.create(MSGS, auto_routing=True)
    assert bearer(server.chat_requests[0]) == outcome
    cache = drv.client.auth.cache
    assert 0 < cache._expires_at - cache.clock() <= 86400  # a finite lifetime, at most a day


async def test_per_call_on_retry_is_called_with_the_client_hook(make, sleeps):
    client_calls, call_calls = [], []
    server = Server(chat=[reply_json({"error": "busy"}, 503), reply_json(completion_json("ok"))])
    drv = make("gravix", server, api_key="k", retry_policy=FAST, on_retry=lambda *a: client_calls.append(a))
    hook = lambda n, err, delay: call_calls.append((n, type(err), delay))  # noqa: E731
    if drv.is_async:
        await drv.client.create(MSGS, on_retry=hook, **MIN_PARAMS["gravix"])
    else:
        drv.client.create(MSGS, on_retry=hook, **MIN_PARAMS["gravix"])
    assert call_calls == [(1, ServerError, pytest.approx(0.01))]
    assert len(client_calls) == 1
    # streams take it too
    server = Server(chat=[reply_json({"error": "busy"}, 503), reply_sse(sse_body(chunk("s", "stop")))])
    drv = make("gravix", server, api_key="k", retry_policy=FAST)
    call_calls.clear()
    stream = drv.client.stream(MSGS, on_retry=hook, **MIN_PARAMS["gravix"])
    if drv.is_async:
        assert [d.content async for d in stream] == ["s"]
    else:
        assert [d.content for d in stream] == ["s"]
    assert [c[0] for c in call_calls] == [1]


async def test_response_headers_on_completions_and_streams(make):
    server = Server(chat=[reply_json(completion_json("x"), headers={"X-Request-Id": "req-9", "X-RateLimit-Remaining": "41"}),
                          lambda r: httpx.Response(200, headers={"content-type": "text/event-stream", "x-request-id": "req-10"},
                                                   stream=ChunkStream([sse_body(chunk("s", "stop"))]))])  # fmt: skip
    drv = make("gravix", server, api_key="k")
    c = await drv.create(MSGS, **MIN_PARAMS["gravix"])
    assert c.response_headers["x-request-id"] == "req-9"
    assert c.response_headers["x-ratelimit-remaining"] == "41"
    assert "response_headers" not in c.model_dump() and "_headers" not in c.model_dump_json()
    stream = drv.client.stream(MSGS, **MIN_PARAMS["gravix"])
    assert stream.response_headers is None  # not open yet
    if drv.is_async:
        [d async for d in stream]
    else:
        list(stream)
    assert stream.response_headers["x-request-id"] == "req-10"


async def test_generic_request_uses_credentials_timeouts_and_retries(make, sleeps):
    def handler(request):
        return reply_json({"data": [{"embedding": [0.1]}]})(request)

    server = Server(chat=[handler])
    drv = make("gravix", server, api_key="gx", retry_policy=FAST)
    if drv.is_async:
        response = await drv.client.request("POST", "embeddings", body={"input": "hi", "model": "e"})
    else:
        response = drv.client.request("POST", "embeddings", body={"input": "hi", "model": "e"})
    assert response.json()["data"][0]["embedding"] == [0.1]
    [seen] = server.seen
    assert seen.url == f"{GRAVIX_BASE}/embeddings" and bearer(seen) == "Bearer gx"
    assert seen.json() == {"input": "hi", "model": "e"}


def test_token_round_past_its_owners_deadline_is_taken_over():
    clock = FakeClock()
    cache = TokenCache(clock=clock)
    token, first, owner = cache.claim(clock.now + 1.0)
    assert token is None and owner
    _, same, owner2 = cache.claim(clock.now + 1.0)
    assert same is first and not owner2  # waits while the owner is within its deadline
    clock.now += 1.0 + 1.5  # past the owner's deadline and the grace period
    _, taken, owner3 = cache.claim(clock.now + 1.0)
    assert owner3 and taken is not first
    assert cache.mints == 2
    cache.settle(taken, "tok", 3600)
    cache.settle(first, "late", 3600)  # the stuck owner finishing late is harmless
    assert cache.claim(None)[0] == "late"


def test_fork_resets_in_flight_rounds():
    from langchain_gloo_gravix.core import token_cache as auth_mod

    cache = TokenCache()
    cache.claim(None)
    assert cache._inflight is not None
    auth_mod._reset_after_fork()  # what os.register_at_fork runs in a child
    assert cache._inflight is None
    assert cache.claim(None)[2] is True
