"""End-to-end tests of the local emulator over real HTTP (httpx, sync)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from urllib.parse import quote

import httpx
import pytest

from langchain_gloo_gravix.emulator import Emulator, Fault
from langchain_gloo_gravix.emulator import auth as emulator_auth

V1 = "/ai/v1/chat/completions"
V2 = "/ai/v2/chat/completions"
GX = "/v1/inference/chat/completions"
GLOO = {"Authorization": f"Bearer {Emulator.GLOO_API_KEY}"}
GRAVIX = {"Authorization": f"Bearer {Emulator.GRAVIX_API_KEY}"}
HELLO = [{"role": "user", "content": "Hello!"}]
GX_MODEL = "meta-llama/llama-3.1-8b-instruct"  # a model Gravix serves
MAGIC_TOOL = {
    "type": "function",
    "function": {
        "name": "magic_function",
        "description": "Applies a magic function to an input.",
        "parameters": {
            "type": "object",
            "properties": {"input": {"type": "integer"}},
            "required": ["input"],
        },
    },
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
        },
    },
}
MAGIC_PROMPT = [{"role": "user", "content": "What is the value of magic_function(3)? Use the tool."}]


@pytest.fixture
def client(emulator):
    with httpx.Client(base_url=emulator.base_url, timeout=10) as c:
        yield c


def mint(client, scope="api/access", auth=(Emulator.CLIENT_ID, Emulator.CLIENT_SECRET)):
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    return client.post("/oauth2/token", data=data, auth=auth)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def v2(client, **body):
    body.setdefault("messages", HELLO)
    return client.post(V2, json=body, headers=GLOO)


def stream(client, path, body, headers):
    """Return (raw bytes, parsed data payloads) of a streamed completion."""
    with client.stream("POST", path, json={**body, "stream": True}, headers=headers) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        raw = b"".join(r.iter_raw())
    return raw, parse_sse(raw)


def parse_sse(raw: bytes) -> list:
    events = []
    for line in raw.decode("utf-8").splitlines():
        if line.startswith("data: "):
            payload = line[len("data: ") :]
            events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events


def text_of(events) -> str:
    return "".join(c["delta"].get("content") or "" for e in events if isinstance(e, dict) for c in e["choices"])


def tool_deltas(events) -> list[dict]:
    return [
        tc for e in events if isinstance(e, dict) for c in e["choices"] for tc in c["delta"].get("tool_calls") or []
    ]


# -- OAuth token endpoint ----------------------------------------------------


def test_token_grant(emulator, client):
    before = emulator.tokens_issued
    r = mint(client)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    claims = decode_jwt_without_verifying(body["access_token"])
    assert claims["scope"] == "api/access" and claims["token_use"] == "access"
    assert claims["client_id"] == claims["sub"] == Emulator.CLIENT_ID
    assert "emulator" in claims["iss"] and claims["jti"].startswith("emulator-")
    assert claims["exp"] - claims["iat"] == 3600 and abs(claims["iat"] - time.time()) < 600
    assert emulator.tokens_issued == before + 1
    assert r.headers["x-request-id"]
    assert (
        client.post(
            V2, json={"auto_routing": True, "messages": HELLO}, headers=bearer(body["access_token"])
        ).status_code
        == 200
    )


def _b64url_decode(segment: str) -> bytes:
    # What PyJWT does: restore the padding, then decode; a malformed segment raises.
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def decode_jwt_without_verifying(token: str) -> dict:
    """``jwt.decode(token, options={"verify_signature": False})`` as Gloo's Python sample
    reads ``exp`` (docs/providers.md#token), without PyJWT: every segment must decode."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(_b64url_decode(header_b64))
    assert header["typ"] == "JWT" and header["alg"] == "HS256"
    signature = _b64url_decode(signature_b64)
    expected = hmac.new(emulator_auth.SIGNING_KEY, f"{header_b64}.{payload_b64}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(signature, expected)
    return json.loads(_b64url_decode(payload_b64))


@pytest.mark.parametrize("scope", [None, "", "api/access"])
def test_an_omitted_scope_means_the_clients_default_scopes(client, scope):
    # Cognito grants every scope the app client is allowed when the request names none.
    r = mint(client, scope=scope)
    assert r.status_code == 200
    token = r.json()["access_token"]
    assert decode_jwt_without_verifying(token)["scope"] == "api/access"
    assert client.post(V2, json={"auto_routing": True, "messages": HELLO}, headers=bearer(token)).status_code == 200


def test_tokens_carry_the_clients_org_id(emulator, client):
    claims = decode_jwt_without_verifying(mint(client).json()["access_token"])
    assert claims["org_id"] == emulator.org_id
    assert str(uuid.UUID(claims["org_id"])) == claims["org_id"]  # a UUID, stable per client
    assert Emulator().org_id == emulator.org_id


def test_form_body_client_authentication(client):
    """client_secret_post, as the cookbook's grounded and streaming recipes send it: no
    Authorization header, no scope."""
    form = {"grant_type": "client_credentials", "client_id": Emulator.CLIENT_ID}
    r = client.post("/oauth2/token", data={**form, "client_secret": Emulator.CLIENT_SECRET})
    assert r.status_code == 200
    token = r.json()["access_token"]
    assert decode_jwt_without_verifying(token)["scope"] == "api/access"
    body = {"model": "gloo-anthropic-claude-haiku-4.5", "messages": HELLO}
    assert client.post(V2, json=body, headers=bearer(token)).status_code == 200
    wrong = client.post("/oauth2/token", data={**form, "client_secret": "nope"})
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_client"})
    half = client.post("/oauth2/token", data=form)  # an id without its secret authenticates nothing
    assert half.status_code == 401
    both = client.post(
        "/oauth2/token",
        data={**form, "client_secret": Emulator.CLIENT_SECRET},
        auth=(Emulator.CLIENT_ID, Emulator.CLIENT_SECRET),
    )
    assert (both.status_code, both.json()) == (400, {"error": "invalid_request"})  # RFC 6749 2.3: one method
    other_id = client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": "someone-else"},
        auth=(Emulator.CLIENT_ID, Emulator.CLIENT_SECRET),
    )
    assert other_id.status_code == 401


def test_form_body_credentials_may_be_percent_encoded():
    with Emulator() as special:
        special.CLIENT_SECRET = "s3cr:t+/=&x %"
        with httpx.Client(base_url=special.base_url) as c:
            raw = (
                f"grant_type=client_credentials&client_id={quote(special.CLIENT_ID, safe='')}"
                f"&client_secret={quote(special.CLIENT_SECRET, safe='')}"
            )
            r = c.post("/oauth2/token", content=raw, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200


def test_token_accepts_percent_encoded_basic_credentials():
    with Emulator() as special:
        special.CLIENT_SECRET = "s3cr:t+/=&x"
        with httpx.Client(base_url=special.base_url) as c:
            raw = mint(c, auth=(special.CLIENT_ID, special.CLIENT_SECRET))
            pair = f"{quote(special.CLIENT_ID, safe='')}:{quote(special.CLIENT_SECRET, safe='')}"
            encoded = c.post(
                "/oauth2/token",
                content="grant_type=client_credentials&scope=api%2Faccess",
                headers={
                    "Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
    assert raw.status_code == 200 and encoded.status_code == 200
    assert special.tokens_issued == 2


def test_token_errors(client):
    assert mint(client, auth=("nobody", "wrong")).json() == {"error": "invalid_client"}
    assert mint(client, auth=("nobody", "wrong")).status_code == 401
    no_auth = client.post("/oauth2/token", data={"grant_type": "client_credentials"})
    assert no_auth.status_code == 401
    wrong_grant = client.post(
        "/oauth2/token",
        data={"grant_type": "password", "scope": "api/access"},
        auth=(Emulator.CLIENT_ID, Emulator.CLIENT_SECRET),
    )
    assert (wrong_grant.status_code, wrong_grant.json()) == (400, {"error": "unsupported_grant_type"})
    bad_scope = mint(client, scope="admin")
    assert (bad_scope.status_code, bad_scope.json()) == (400, {"error": "invalid_scope"})


def test_a_token_without_api_access_is_forbidden_on_use(emulator, client):
    emulator.client_scopes = ()  # an app client that was never granted api/access
    try:
        r = mint(client, scope=None)
        assert r.status_code == 200
        token = r.json()["access_token"]
        assert decode_jwt_without_verifying(token)["scope"] == ""
        use = client.post(V2, json={"auto_routing": True, "messages": HELLO}, headers=bearer(token))
        assert use.status_code == 403
        assert use.json() == {"error": "Forbidden - insufficient permissions", "code": "forbidden"}
        assert mint(client, scope="api/access").json() == {"error": "invalid_scope"}  # not the client's to ask
    finally:
        emulator.client_scopes = ("api/access",)


def test_expire_tokens_forces_remint(emulator, client):
    token = mint(client).json()["access_token"]
    body = {"model": "gloo-openai-gpt-5-mini", "messages": HELLO}
    assert client.post(V2, json=body, headers=bearer(token)).status_code == 200
    emulator.expire_tokens()
    r = client.post(V2, json=body, headers=bearer(token))
    assert (r.status_code, r.json()["code"]) == (401, "unauthorized_invalid_token")
    fresh = mint(client).json()["access_token"]
    assert client.post(V2, json=body, headers=bearer(fresh)).status_code == 200


def test_short_token_lifetime_expires():
    with Emulator(token_lifetime=0) as short, httpx.Client(base_url=short.base_url) as c:
        token = mint(c).json()["access_token"]
        assert mint(c).json()["expires_in"] == 0
        r = c.post(V1, json={"messages": HELLO}, headers=bearer(token))
    assert r.status_code == 401


# -- bearer checks per route -------------------------------------------------


@pytest.mark.parametrize("path", [V1, V2])
def test_gloo_bearer_checks(client, path):
    body = {"messages": HELLO, "model": "gloo-openai-gpt-5-mini"}
    missing = client.post(path, json=body)
    assert missing.status_code == 401
    assert missing.json() == {"error": "Missing Authorization", "code": "unauthorized_missing_authorization"}
    invalid = client.post(path, json=body, headers=bearer("not-a-token"))
    assert invalid.status_code == 401
    assert invalid.json() == {"error": "Invalid or expired token", "code": "unauthorized_invalid_token"}
    assert client.post(path, json=body, headers=GRAVIX).status_code == 401
    assert client.post(path, json=body, headers=GLOO).status_code == 200


def test_gravix_bearer_checks(client):
    body = {"model": "llama3.1:8b-instruct-fp16", "messages": HELLO}
    for headers in ({}, GLOO, bearer("wrong")):
        r = client.post(GX, json=body, headers=headers)
        assert r.status_code == 401
        err = r.json()
        assert err["error"] == {"code": "unauthorized", "message": "Invalid API key"}
        assert err["meta"]["request_id"] == r.headers["x-request-id"] and err["meta"]["timestamp"]
    assert client.post(GX, json=body, headers=GRAVIX).status_code == 200
    assert client.get("/v1/inference/models").status_code == 401


# -- v2 validation -----------------------------------------------------------


def test_v2_two_mechanisms_is_400(client):
    r = v2(client, model="gloo-openai-gpt-5-mini", auto_routing=True)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["message"] == "only one routing mechanism allowed"
    assert {"code", "name", "type", "category", "fault", "retryable"} <= err.keys()
    assert err["fault"] == "client" and err["retryable"] is False
    assert v2(client, model="gloo-openai-gpt-5-mini", model_family="openai").status_code == 400
    assert v2(client, model="gloo-openai-gpt-5-mini", auto_routing=False).status_code == 200


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        ({}, ["body"], "value_error"),
        ({"auto_routing": False}, ["body"], "value_error"),
        ({"model_family": 7}, ["body", "model_family"], "string_type"),
        ({"auto_routing": True, "temperature": 3}, ["body", "temperature"], "less_than_equal"),
        ({"auto_routing": True, "temperature": -1}, ["body", "temperature"], "greater_than_equal"),
        ({"auto_routing": True, "max_tokens": 0}, ["body", "max_tokens"], "greater_than_equal"),
    ],
)
def test_v2_field_validation_is_422(client, body, loc, kind):
    r = v2(client, **body)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail[0]["loc"] == loc and detail[0]["type"] == kind
    assert {"msg", "input"} <= detail[0].keys()


def test_messages_validation(client):
    missing = client.post(V2, json={"auto_routing": True}, headers=GLOO)
    assert missing.status_code == 422
    assert missing.json() == {
        "detail": [{"type": "missing", "loc": ["body", "messages"], "msg": "Field required", "input": None}]
    }
    empty = client.post(V1, json={"messages": []}, headers=GLOO)
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body", "messages"]
    not_json = client.post(V2, content=b"{not json", headers={**GLOO, "Content-Type": "application/json"})
    assert not_json.status_code == 400 and "error" in not_json.json()
    gx = client.post(GX, json={"messages": HELLO}, headers=GRAVIX)
    assert gx.status_code == 400 and gx.json()["error"]["details"]["field"] == "model"


def test_tradition_handling(client):
    unknown = v2(client, auto_routing=True, tradition="reformed")
    assert unknown.status_code == 200 and "tradition" not in unknown.json()
    known = v2(client, auto_routing=True, tradition="Evangelical")
    assert known.json()["tradition"] == "evangelical"
    assert "tradition" not in v2(client, auto_routing=True).json()


def test_unknown_fields_accepted_and_tool_support_enforced(client):
    assert v2(client, auto_routing=True, frobnicate={"x": 1}, seed=7).status_code == 200
    r = v2(client, model="gloo-meta-llama-3.1-8b-instruct", tools=[MAGIC_TOOL])
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "model does not support function calling"
    assert v2(client, model="gloo-meta-llama-3.1-8b-instruct").status_code == 200
    image = v2(client, model="gloo-black-forest-labs-flux-1.1-pro")
    assert image.status_code == 400 and "does not support text output" in image.json()["error"]["message"]


# -- routing metadata and shapes ---------------------------------------------


def test_routing_metadata_auto(client):
    body = v2(client, auto_routing=True).json()
    assert body["routing_mechanism"] == "auto_routing" and body["auto_routing"] is True
    assert body["routing_tier"] in {"tier_1", "tier_2", "tier_3"}
    assert 0.0 <= body["routing_confidence"] <= 1.0
    assert body["model_family"] in {"OpenAI", "Anthropic", "Google", "Open Source"}
    assert body["provider"] and body["model"].startswith("gloo-")
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")


def test_routing_metadata_family_and_direct(client):
    fam = v2(client, model_family="OPEN SOURCE").json()
    assert fam["routing_mechanism"] == "model_family" and fam["model_family"] == "Open Source"
    assert "routing_tier" in fam and "routing_confidence" in fam and fam["auto_routing"] is False
    direct = v2(client, model="gloo-anthropic-claude-haiku-4.5").json()
    assert direct["routing_mechanism"] == "direct_model_selection"
    assert direct["model"] == "gloo-anthropic-claude-haiku-4.5"
    assert direct["provider"] == "Anthropic" and direct["model_family"] == "Anthropic"
    assert "routing_tier" not in direct and "routing_confidence" not in direct


def test_v1_default_model_and_shape(client):
    body = client.post(V1, json={"messages": HELLO}, headers=GLOO).json()
    assert body["model"] == "us.meta.llama3-3-70b-instruct-v1:0"
    assert body["system_fingerprint"] == "fp" and body["service_tier"] is None
    choice = body["choices"][0]
    assert choice["logprobs"] is None and choice["finish_reason"] == "stop"
    assert choice["message"]["refusal"] is None and choice["message"]["tool_calls"] is None
    content = choice["message"]["content"]
    assert "Hello!" in content and len(content.split()) >= 8
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens"] == 1 + 4


def test_gravix_shape_and_determinism(client):
    req = {"model": "llama3.1:8b-instruct-fp16", "messages": HELLO}
    a = client.post(GX, json=req, headers=GRAVIX).json()
    b = client.post(GX, json=req, headers=GRAVIX).json()
    assert a["system_fingerprint"] == "fp_ollama" and a["model"] == req["model"]
    assert a["choices"][0]["message"]["content"] == b["choices"][0]["message"]["content"]
    assert a["id"] != b["id"]
    assert set(a["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}


# -- the scripted model ------------------------------------------------------


def test_stop_and_max_tokens(client):
    full = v2(client, auto_routing=True).json()["choices"][0]["message"]["content"]
    stopped = v2(client, auto_routing=True, stop=["scripted", "zzz"]).json()["choices"][0]
    assert stopped["finish_reason"] == "stop"
    assert stopped["message"]["content"] == full[: full.index("scripted")]
    single = v2(client, auto_routing=True, stop="scripted").json()["choices"][0]
    assert single["message"]["content"] == stopped["message"]["content"]
    # a model that does not reason: its whole budget goes to the answer
    plain = v2(client, model="gloo-openai-gpt-4.1").json()["choices"][0]["message"]["content"]
    cut = v2(client, model="gloo-openai-gpt-4.1", max_tokens=3).json()
    assert cut["choices"][0]["finish_reason"] == "length"
    assert cut["choices"][0]["message"]["content"] == " ".join(plain.split()[:3])
    assert cut["usage"]["completion_tokens"] == 3


def test_magic_function_tool_call(client):
    body = v2(client, auto_routing=True, messages=MAGIC_PROMPT, tools=[MAGIC_TOOL]).json()
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert call["id"].startswith("call_") and call["type"] == "function"
    assert call["function"]["name"] == "magic_function"
    assert json.loads(call["function"]["arguments"]) == {"input": 3}


def test_tool_selection_and_arguments(client):
    prompt = [{"role": "user", "content": "Use get_weather for Paris in fahrenheit, please."}]
    call = v2(client, auto_routing=True, messages=prompt, tools=[MAGIC_TOOL, WEATHER_TOOL]).json()
    fn = call["choices"][0]["message"]["tool_calls"][0]["function"]
    assert fn["name"] == "get_weather"
    assert json.loads(fn["arguments"]) == {"city": "Paris", "unit": "fahrenheit"}
    forced = v2(
        client,
        auto_routing=True,
        messages=prompt,
        tools=[MAGIC_TOOL, WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "magic_function"}},
    ).json()
    assert forced["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "magic_function"
    none = v2(client, auto_routing=True, messages=prompt, tools=[MAGIC_TOOL], tool_choice="none").json()
    assert none["choices"][0]["finish_reason"] == "stop" and none["choices"][0]["message"]["content"]


def test_non_ascii_arguments_kept(client):
    prompt = [{"role": "user", "content": 'Call get_weather for "Zürich" in celsius.'}]
    r = client.post(
        GX,
        json={"model": "meta-llama/llama-3.1-8b-instruct", "messages": prompt, "tools": [WEATHER_TOOL]},
        headers=GRAVIX,
    )
    args = r.json()["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    assert "Zürich" in args and json.loads(args)["city"] == "Zürich"


def test_answer_after_tool_result(client):
    messages = MAGIC_PROMPT + [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "magic_function", "arguments": '{"input": 3}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "5"},
    ]
    body = client.post(V1, json={"messages": messages, "tools": [MAGIC_TOOL]}, headers=GLOO).json()
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["content"] == "The result of magic_function is 5."


def test_json_schema_output(client):
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "year": {"type": "integer"},
            "rating": {"anyOf": [{"type": "number"}, {"type": "null"}]},
            "genre": {"type": "string", "enum": ["drama", "comedy", "horror"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "director": {"$ref": "#/$defs/Person"},
            "note": {"type": "string"},
        },
        "required": ["title", "year", "rating", "genre", "tags", "director"],
        "$defs": {"Person": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}},
    }
    prompt = [
        {"role": "system", "content": "You extract data."},
        {"role": "user", "content": 'Describe the comedy "Up" from 2009 by Pete Docter.'},
    ]
    body = v2(
        client,
        auto_routing=True,
        messages=prompt,
        response_format={"type": "json_schema", "json_schema": {"name": "Movie", "strict": True, "schema": schema}},
    ).json()
    data = json.loads(body["choices"][0]["message"]["content"])
    assert set(schema["required"]) <= data.keys()
    assert isinstance(data["title"], str) and data["title"] == "Up"
    assert data["year"] == 2009 and data["genre"] == "comedy"
    assert data["rating"] is None or isinstance(data["rating"], (int, float))
    assert isinstance(data["tags"], list) and all(isinstance(t, str) for t in data["tags"])
    assert isinstance(data["director"], dict) and isinstance(data["director"]["name"], str)


def test_json_object_output(client):
    prompt = [{"role": "user", "content": "Tell a joke. Return JSON with 'setup' and 'punchline' keys."}]
    body = v2(client, auto_routing=True, messages=prompt, response_format={"type": "json_object"}).json()
    data = json.loads(body["choices"][0]["message"]["content"])
    assert set(data) == {"setup", "punchline"} and all(isinstance(v, str) for v in data.values())
    plain = v2(client, auto_routing=True, response_format={"type": "json_object"}).json()
    assert set(json.loads(plain["choices"][0]["message"]["content"])) == {"answer"}


def test_content_parts_and_images_accepted(client):
    parts = [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "name": "ann",
            "content": [
                {"type": "text", "text": "Describe this picture"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            ],
        },
        {"role": "user", "content": "please"},
    ]
    r = client.post(GX, json={"model": "qwen/qwen-2.5-vl-7b-instruct", "messages": parts}, headers=GRAVIX)
    assert r.status_code == 200 and "please" in r.json()["choices"][0]["message"]["content"]


# -- streaming ---------------------------------------------------------------


def test_gloo_stream_no_done_and_metadata(client):
    body = {"auto_routing": True, "tradition": "catholic", "messages": HELLO, "stream_options": {"include_usage": True}}
    raw, events = stream(client, V2, body, GLOO)
    assert "[DONE]" not in events and b"[DONE]" not in raw
    chunks = [e for e in events if e["choices"]]
    assert len({(e["id"], e["model"], e["created"]) for e in events}) == 1
    assert all(e["object"] == "chat.completion.chunk" for e in events)
    first, finish, usage = chunks[0], chunks[-1], events[-1]
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    for chunk in (first, finish):
        assert chunk["routing_mechanism"] == "auto_routing" and chunk["tradition"] == "catholic"
        assert "routing_tier" in chunk and "provider" in chunk
    assert finish["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    assert usage["choices"] == [] and usage["usage"]["total_tokens"] > 0
    nonstream = v2(client, auto_routing=True, messages=HELLO).json()
    assert text_of(events) == nonstream["choices"][0]["message"]["content"]
    assert len([c for c in chunks if c["choices"][0]["delta"].get("content")]) >= 4


def test_v1_stream_without_usage(client):
    raw, events = stream(client, V1, {"messages": HELLO}, GLOO)
    assert "[DONE]" not in events
    assert all(e["choices"] for e in events)
    assert events[-1]["choices"][0]["finish_reason"] == "stop"
    assert events[0]["system_fingerprint"] == "fp"


def test_gravix_stream_done_and_usage(client):
    body = {"model": "llama3.1:8b-instruct-fp16", "messages": HELLO, "stream_options": {"include_usage": True}}
    _, events = stream(client, GX, body, GRAVIX)
    assert events[-1] == "[DONE]"
    usage = events[-2]
    assert usage["choices"] == [] and set(usage["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    assert all(e["system_fingerprint"] == "fp_ollama" for e in events[:-1])


def test_stream_tool_args_reassemble(client):
    body = {"model": "gloo-openai-gpt-5-mini", "messages": MAGIC_PROMPT, "tools": [MAGIC_TOOL]}
    _, events = stream(client, V2, body, GLOO)
    deltas = tool_deltas(events)
    assert deltas[0]["id"].startswith("call_") and deltas[0]["function"] == {"name": "magic_function", "arguments": ""}
    fragments = deltas[1:]
    assert len(fragments) >= 2 and all(set(d) == {"index", "function"} for d in fragments)
    args = "".join(d["function"]["arguments"] for d in deltas)
    assert json.loads(args) == {"input": 3}
    assert events[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_gravix_stream_tool_call_whole(client):
    body = {"model": "llama3.1:8b-instruct-fp16", "messages": MAGIC_PROMPT, "tools": [MAGIC_TOOL]}
    _, events = stream(client, GX, body, GRAVIX)
    (delta,) = tool_deltas(events)
    assert json.loads(delta["function"]["arguments"]) == {"input": 3}
    assert events[-2]["choices"][0]["finish_reason"] == "tool_calls" and events[-1] == "[DONE]"


# -- faults ------------------------------------------------------------------


def test_rate_limit_fault(emulator, client):
    emulator.inject(Fault.rate_limit(retry_after="2", reset=1900000000), path=V2)
    r = v2(client, auto_routing=True)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "2" and r.headers["x-ratelimit-reset"] == "1900000000"
    assert r.json() == {"error": "Rate limit exceeded", "code": "too_many_requests"}
    assert v2(client, auto_routing=True).status_code == 200  # consumed
    emulator.inject(Fault.rate_limit())
    gx = client.post(GX, json={"model": GX_MODEL, "messages": HELLO}, headers=GRAVIX)
    assert gx.status_code == 429 and gx.headers["retry-after"] == "1"
    assert gx.json()["error"]["code"] == "rate_limit_exceeded"


def test_server_error_fault(emulator, client):
    emulator.inject(Fault.server_error(), Fault.server_error(502))
    r = v2(client, auto_routing=True)
    err = r.json()["error"]
    assert r.status_code == 503 and err["retryable"] is True
    assert {"code", "name", "type", "message", "category", "fault"} <= err.keys()
    assert err["type"] == "service_unavailable_error"
    gx = client.post(GX, json={"model": GX_MODEL, "messages": HELLO}, headers=GRAVIX)
    assert gx.status_code == 502 and set(gx.json()["error"]) == {"message", "type", "param", "code"}


def test_status_fault_and_path_targeting(emulator, client):
    emulator.inject(Fault.status(418, body={"teapot": True}, headers={"X-Extra": "1"}), path="/oauth2/token")
    emulator.inject(Fault.status(403))
    assert v2(client, auto_routing=True).json() == {
        "error": "Forbidden - insufficient permissions",
        "code": "forbidden",
    }
    r = mint(client)
    assert (r.status_code, r.json(), r.headers["x-extra"]) == (418, {"teapot": True}, "1")
    assert mint(client).status_code == 200


def test_slow_fault(emulator, client):
    emulator.inject(Fault.slow(0.2))
    start = time.monotonic()
    assert v2(client, auto_routing=True).status_code == 200
    assert time.monotonic() - start >= 0.2


def test_cut_stream_fault(emulator, client):
    emulator.inject(Fault.cut_stream(after_chunks=2))
    received = []
    with pytest.raises(httpx.HTTPError):
        with client.stream(
            "POST", V2, json={"auto_routing": True, "messages": HELLO, "stream": True}, headers=GLOO
        ) as r:
            for line in r.iter_lines():
                if line.startswith("data: "):
                    received.append(json.loads(line[6:]))
    assert len(received) == 2
    assert all(c["choices"][0]["finish_reason"] is None for c in received)
    assert v2(client, auto_routing=True).status_code == 200  # the server survives


def test_malformed_json_fault(emulator, client):
    emulator.inject(Fault.malformed_json(), Fault.malformed_json())
    r = v2(client, auto_routing=True)
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    with client.stream("POST", V2, json={"auto_routing": True, "messages": HELLO, "stream": True}, headers=GLOO) as s:
        raw = b"".join(s.iter_raw()).decode()
    payload = raw.strip().removeprefix("data: ")
    with pytest.raises(ValueError):
        json.loads(payload)


def test_stream_error_fault(emulator, client):
    emulator.inject(Fault.stream_error())
    body = {"model": "gloo-openai-gpt-4.1", "messages": HELLO, "stream": True}  # answers without reasoning first
    with client.stream("POST", V2, json=body, headers=GLOO) as r:
        assert r.status_code == 200 and r.headers["x-sentry-trace-id"]
        events = parse_sse(b"".join(r.iter_raw()))
    last = events[-1]
    assert last["choices"][0]["finish_reason"] == "error"
    assert last["error"] == {
        "code": 3001,
        "type": "internal_error",
        "message": "Streaming error occurred",
        "fault": "internal",
        "retryable": True,
    }
    content_chunks = [e for e in events[:-1] if e["choices"][0]["delta"].get("content")]
    assert 1 <= len(content_chunks) <= 2 and "[DONE]" not in events


def test_keepalive_and_crlf_faults(emulator, client):
    emulator.inject(Fault.keepalive(lines=3))
    raw, events = stream(client, V2, {"auto_routing": True, "messages": HELLO}, GLOO)
    assert raw.decode().count(": ping") == 3
    assert events[-1]["choices"][0]["finish_reason"] == "stop"
    emulator.inject(Fault.crlf())
    raw, events = stream(client, GX, {"model": GX_MODEL, "messages": HELLO}, GRAVIX)
    assert raw.count(b"\r\n\r\n") == len(events) and b"data: [DONE]\r\n\r\n" in raw
    assert events[-1] == "[DONE]"


@pytest.mark.parametrize("kind", ["repeat_id_name", "no_index", "whole_call", "args_object", "parallel_same_index"])
def test_tool_quirks(emulator, client, kind):
    emulator.inject(Fault.tool_quirk(kind))
    body = {"model": "gloo-openai-gpt-5-mini", "messages": MAGIC_PROMPT, "tools": [MAGIC_TOOL, WEATHER_TOOL]}
    _, events = stream(client, V2, body, GLOO)
    deltas = tool_deltas(events)
    if kind == "repeat_id_name":
        assert len(deltas) >= 3
        assert all(d["id"] == deltas[0]["id"] and d["function"]["name"] == "magic_function" for d in deltas)
        assert json.loads("".join(d["function"]["arguments"] for d in deltas)) == {"input": 3}
    elif kind == "no_index":
        assert len(deltas) >= 3 and all("index" not in d for d in deltas)
        assert json.loads("".join(d["function"]["arguments"] for d in deltas)) == {"input": 3}
    elif kind == "whole_call":
        (d,) = deltas
        assert json.loads(d["function"]["arguments"]) == {"input": 3}
    elif kind == "args_object":
        (d,) = deltas
        assert d["function"]["arguments"] == {"input": 3}
    else:
        assert len(deltas) == 2 and {d["index"] for d in deltas} == {0}
        assert deltas[0]["id"] != deltas[1]["id"]
        assert [d["function"]["name"] for d in deltas] == ["magic_function", "get_weather"]
    assert events[-1]["choices"][0]["finish_reason"] == "tool_calls"
    with pytest.raises(ValueError):
        Fault.tool_quirk("bogus")


# -- models, recording, misc -------------------------------------------------


def test_gloo_model_registry(client):
    r = client.get("/platform/v2/models")  # no auth
    assert r.status_code == 200 and r.json()["object"] == "list"
    models = {m["id"]: m for m in r.json()["data"]}
    fields = {
        "id",
        "name",
        "family",
        "provider_id",
        "context_window",
        "max_output_tokens",
        "input_modalities",
        "output_modalities",
        "supports_tools",
        "supports_streaming",
        "supports_reasoning",
        "supports_vision",
        "pricing",
    }
    assert all(fields <= m.keys() for m in models.values())
    assert len(models) >= 100  # Gloo's own clients read over 100 entries
    assert {m["family"] for m in models.values()} >= {
        "OpenAI",
        "Anthropic",
        "Google",
        "Open Source",
        "xAI",
        "Mistral",
        "Black Forest Labs",
        "ByteDance",
    }
    assert models["gloo-meta-llama-3.1-8b-instruct"]["supports_tools"] is False
    image_only = [m for m in models.values() if "text" not in m["output_modalities"]]
    assert len(image_only) >= 10 and "gloo-black-forest-labs-flux-1.1-pro" in {m["id"] for m in image_only}
    assert all(m["supports_tools"] is False and m["supports_streaming"] is False for m in image_only)
    for m in models.values():
        for tier in m["pricing"].values():
            per_1k, per_1m = tier["rate_per_1k_tokens"], tier["rate_per_1m_tokens"]
            assert isinstance(per_1k, str) and isinstance(per_1m, str)
            assert Decimal(per_1k) * 1000 == Decimal(per_1m)  # exact, both as decimal strings
        assert {"input", "output"} <= m["pricing"].keys() <= {"input", "output", "cache_read"}
    haiku = models["gloo-anthropic-claude-haiku-4.5"]["pricing"]
    assert haiku["input"] == {"rate_per_1k_tokens": "0.001", "rate_per_1m_tokens": "1.00"}
    assert haiku["cache_read"]["rate_per_1m_tokens"] == "0.10"
    assert "gloo-google-gemini-3-pro-preview" not in models  # retired


def test_gravix_models(client):
    r = client.get("/v1/inference/models", headers=GRAVIX)
    assert r.status_code == 200 and r.json()["object"] == "list"
    ids = {m["id"] for m in r.json()["data"]}
    assert {
        "llama3.1:8b-instruct-fp16",
        "meta-llama/llama-3.1-8b-instruct",
        "qwen/qwen-2.5-vl-7b-instruct",
        "mistralai/mistral-nemo-instruct-2407",
    } <= ids
    assert all({"id", "object", "created", "owned_by"} <= m.keys() for m in r.json()["data"])


def test_requests_recorded_and_cleared(emulator, client):
    v2(client, auto_routing=True, extra_field="kept")
    mint(client)
    reqs = emulator.requests
    assert [(r.method, r.path) for r in reqs] == [("POST", V2), ("POST", "/oauth2/token")]
    assert reqs[0].json["extra_field"] == "kept" and reqs[0].headers["authorization"] == GLOO["Authorization"]
    assert reqs[1].json is None and b"grant_type=client_credentials" in reqs[1].body
    assert all(k == k.lower() for k in reqs[0].headers)
    emulator.inject(Fault.server_error())
    emulator.clear()
    assert emulator.requests == []
    assert v2(client, auto_routing=True).status_code == 200  # the fault was forgotten


def test_concurrent_requests(emulator, client):
    def call(i):
        prompt = [{"role": "user", "content": f"Question number {i}"}]
        return client.post(GX, json={"model": GX_MODEL, "messages": prompt}, headers=GRAVIX).json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(16)))
    assert all(f"Question number {i}" in r["choices"][0]["message"]["content"] for i, r in enumerate(results))
    assert len({r["id"] for r in results}) == 16 and len(emulator.requests) == 16


def test_unknown_path_and_method(client):
    r = client.get("/ai/v2/models")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"} and r.headers["x-request-id"]
    assert client.get(V2, headers=GLOO).status_code == 405


def test_cli_prints_urls_and_credentials():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.Popen(
        [sys.executable, "-m", "langchain_gloo_gravix.emulator", "--port", "0", "--quiet"],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        out = "".join(lines)
        base = out.split("export GLOO_BASE_URL=")[1].split()[0]
        assert httpx.get(base + "/platform/v2/models", timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=5)
    for name in ("GLOO_CLIENT_ID", "GLOO_CLIENT_SECRET", "GRAVIXLAYER_BASE_URL", "GRAVIXLAYER_API_KEY"):
        assert f"export {name}=" in out
    assert Emulator.CLIENT_SECRET in out and Emulator.GRAVIX_API_KEY in out
    assert proc.returncode == 0
