"""One credential rule and one set of configuration checks, identical across the three
entry points: the core ``Client``, the LangChain models and the LlamaIndex models (chat
models and, for Gravix Layer, the embeddings classes too).

Each table row runs against all three. What a client will authenticate with is read
from the core client each entry point builds (``settings.credentials``, the resolved
:class:`~langchain_gloo_gravix.core.credentials.Credentials`), so the adapters are
held to the very function the core uses, not to a copy of its rule.
"""

from __future__ import annotations

import copy
import json
import math
import pickle
import uuid
from typing import Any, Callable

import httpx
import pytest
from pydantic import SecretStr

from langchain_gloo_gravix import ChatGloo, ChatGravixLayer, GravixLayerEmbeddings
from langchain_gloo_gravix.core import Client
from langchain_gloo_gravix.core.client_cache import ClientCache
from langchain_gloo_gravix.core.credentials import Credentials, resolve_credentials
from llama_index_ext import Gloo, GravixLayer, GravixLayerEmbedding

GRAVIX_MODEL = "meta-llama/llama-3.1-8b-instruct"
LOCAL = "http://127.0.0.1:9"


# the credentials environment is cleared for every test by tests/adapters/conftest.py


def canary(label: str = "SECRET") -> str:
    return f"CANARY-{label}-{uuid.uuid4().hex}"


# Each entry point: build from keyword arguments, return the core client it will call with.
def _core_gloo(**kw: Any) -> Client:
    return Client("gloo-v2", **kw)


def _langchain_gloo(**kw: Any) -> Client:
    return ChatGloo(**kw)._sync_client()


def _llama_gloo(**kw: Any) -> Client:
    return Gloo(**kw)._sync_client()


def _core_gravix(**kw: Any) -> Client:
    return Client("gravix", **kw)


def _langchain_gravix(**kw: Any) -> Client:
    return ChatGravixLayer(model=GRAVIX_MODEL, **kw)._sync_client()


def _llama_gravix(**kw: Any) -> Client:
    return GravixLayer(model=GRAVIX_MODEL, **kw)._sync_client()


def _langchain_gravix_embeddings(**kw: Any) -> Client:
    return GravixLayerEmbeddings(**kw)._sync_client()


def _llama_gravix_embedding(**kw: Any) -> Client:
    return GravixLayerEmbedding(**kw)._sync_client()


GLOO_ENTRY_POINTS = {"core": _core_gloo, "langchain": _langchain_gloo, "llama_index": _llama_gloo}
GRAVIX_ENTRY_POINTS = {
    "core": _core_gravix,
    "langchain": _langchain_gravix,
    "llama_index": _llama_gravix,
    "langchain-embeddings": _langchain_gravix_embeddings,
    "llama_index-embedding": _llama_gravix_embedding,
}
# entry points without streaming: stream_idle_timeout is not one of their options
NO_STREAM_ENTRY_POINTS = {"gravix-langchain-embeddings", "gravix-llama_index-embedding"}
ALL_ENTRY_POINTS = {
    **{f"gloo-{k}": v for k, v in GLOO_ENTRY_POINTS.items()},
    **{f"gravix-{k}": v for k, v in GRAVIX_ENTRY_POINTS.items()},
}


def _resolved(client: Client) -> tuple:
    creds = client.settings.credentials
    assert isinstance(creds, Credentials)
    return (creds.kind, creds.api_key, creds.client_id, creds.client_secret)


# -- precedence --------------------------------------------------------------------------------

# (env, arguments, expected (kind, api_key, client_id, client_secret))
GLOO_PRECEDENCE = [
    pytest.param(
        {"GLOO_API_KEY": "env-key", "GLOO_CLIENT_ID": "env-id"},
        {"client_secret": "arg-secret"},
        ("oauth", None, "env-id", "arg-secret"),
        id="half-pair-completed-from-env-beats-env-key",
    ),
    pytest.param(
        {"GLOO_API_KEY": "env-key", "GLOO_CLIENT_ID": "env-id", "GLOO_CLIENT_SECRET": "env-secret"},
        {},
        ("static", "env-key", None, None),
        id="env-static-key-beats-env-pair",
    ),
    pytest.param(
        {"GLOO_CLIENT_ID": "env-id", "GLOO_CLIENT_SECRET": "env-secret"},
        {"api_key": "arg-key"},
        ("static", "arg-key", None, None),
        id="arg-key-beats-env-pair",
    ),
    pytest.param(
        {"GLOO_API_KEY": "env-key"},
        {"client_id": "arg-id", "client_secret": "arg-secret"},
        ("oauth", None, "arg-id", "arg-secret"),
        id="arg-pair-beats-env-key",
    ),
    pytest.param(
        {},
        {"api_key": "arg-key", "client_id": "arg-id", "client_secret": "arg-secret"},
        ("static", "arg-key", None, None),
        id="arg-key-beats-arg-pair",
    ),
    pytest.param(
        {"GLOO_CLIENT_SECRET": "env-secret"},
        {"client_id": "arg-id"},
        ("oauth", None, "arg-id", "env-secret"),
        id="arg-id-completed-by-env-secret",
    ),
    pytest.param(
        {"GLOO_AI_CLIENT_ID": "ai-id", "GLOO_AI_CLIENT_SECRET": "ai-secret"},
        {},
        ("oauth", None, "ai-id", "ai-secret"),
        id="GLOO_AI-fallback-names",
    ),
    pytest.param(
        {
            "GLOO_CLIENT_ID": "id",
            "GLOO_AI_CLIENT_ID": "ai-id",
            "GLOO_CLIENT_SECRET": "s",
            "GLOO_AI_CLIENT_SECRET": "ai-s",
        },
        {},
        ("oauth", None, "id", "s"),
        id="GLOO_CLIENT-names-first",
    ),
    pytest.param(
        {"GLOO_API_KEY": ""},
        {"client_id": "arg-id", "client_secret": SecretStr("arg-secret")},
        ("oauth", None, "arg-id", "arg-secret"),
        id="secretstr-arguments",
    ),
    pytest.param(
        {"GLOO_API_KEY": "env-key"},
        {"client_id": "arg-id"},
        ("missing", None, "arg-id", None),
        id="half-pair-without-env-is-missing",
    ),
    pytest.param({"GLOO_API_KEY": ""}, {}, ("missing", None, None, None), id="empty-env-var-counts-as-unset"),
    pytest.param({}, {}, ("missing", None, None, None), id="nothing"),
    pytest.param(
        {"GLOO_API_KEY": "env-key\n"},
        {"api_key": "arg-key"},
        ("static", "arg-key", None, None),
        id="unused-env-value-is-not-checked",
    ),
]


@pytest.mark.parametrize("entry", GLOO_ENTRY_POINTS)
@pytest.mark.parametrize("env,args,expected", GLOO_PRECEDENCE)
def test_gloo_credential_precedence_is_identical_everywhere(monkeypatch, entry, env, args, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    client = GLOO_ENTRY_POINTS[entry](base_url=LOCAL, **args)
    assert _resolved(client) == expected
    # and it is what the one function says
    assert _resolved_from(resolve_credentials(client.endpoint, **args)) == expected


def _resolved_from(creds: Credentials) -> tuple:
    return (creds.kind, creds.api_key, creds.client_id, creds.client_secret)


GRAVIX_PRECEDENCE = [
    pytest.param({"GRAVIXLAYER_API_KEY": "env-key"}, {}, ("static", "env-key", None, None), id="env-key"),
    pytest.param(
        {"GRAVIXLAYER_API_KEY": "env-key"},
        {"api_key": "arg-key"},
        ("static", "arg-key", None, None),
        id="arg-beats-env",
    ),
    pytest.param({"GLOO_API_KEY": "gloo-key"}, {}, ("missing", None, None, None), id="other-providers-key-ignored"),
    pytest.param({"GRAVIXLAYER_API_KEY": ""}, {}, ("missing", None, None, None), id="empty-env-var-counts-as-unset"),
]


@pytest.mark.parametrize("entry", GRAVIX_ENTRY_POINTS)
@pytest.mark.parametrize("env,args,expected", GRAVIX_PRECEDENCE)
def test_gravix_credential_precedence_is_identical_everywhere(monkeypatch, entry, env, args, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert _resolved(GRAVIX_ENTRY_POINTS[entry](base_url=LOCAL, **args)) == expected


# -- bad credential values: clear errors naming the argument or env var, never the value -------------

BAD_CREDENTIALS = [
    pytest.param({}, {"api_key": ""}, "api_key is an empty string", id="empty-api-key"),
    pytest.param(
        {"GLOO_API_KEY": "{canary}"}, {"api_key": ""}, "api_key is an empty string", id="empty-api-key-never-env"
    ),
    pytest.param(
        {"GLOO_CLIENT_SECRET": "{canary}"},
        {"client_id": "id", "client_secret": ""},
        "client_secret is an empty string",
        id="empty-secret",
    ),
    pytest.param({}, {"client_id": "", "client_secret": "{canary}"}, "client_id is an empty string", id="empty-id"),
    pytest.param(
        {}, {"api_key": "{canary}\n"}, "api_key has leading or trailing whitespace", id="key-trailing-newline"
    ),
    pytest.param({}, {"api_key": " {canary}"}, "api_key has leading or trailing whitespace", id="key-leading-space"),
    pytest.param({}, {"api_key": "{canary}\x00x"}, "api_key contains a control character", id="key-control-char"),
    pytest.param({}, {"api_key": "{canary}\u00e9"}, "api_key contains a non-ASCII character", id="key-non-ascii"),
    pytest.param(
        {},
        {"client_id": "id", "client_secret": "{canary}\r\n"},
        "client_secret has leading or trailing whitespace",
        id="secret-crlf",
    ),
    pytest.param(
        {"GLOO_API_KEY": "{canary}\r\n"}, {}, "env GLOO_API_KEY has leading or trailing whitespace", id="env-key-crlf"
    ),
    pytest.param(
        {"GLOO_CLIENT_ID": "id", "GLOO_AI_CLIENT_SECRET": "{canary}\n"},
        {},
        "env GLOO_AI_CLIENT_SECRET has leading or trailing whitespace",
        id="env-fallback-secret-newline",
    ),
    pytest.param({}, {"api_key": 12345}, "api_key must be a string", id="key-not-a-string"),
]


@pytest.mark.parametrize("entry", GLOO_ENTRY_POINTS)
@pytest.mark.parametrize("env,args,message", BAD_CREDENTIALS)
def test_bad_credentials_fail_at_construction_without_the_value(monkeypatch, entry, env, args, message):
    secret = canary()
    for name, value in env.items():
        monkeypatch.setenv(name, value.replace("{canary}", secret))
    args = {k: v.replace("{canary}", secret) if isinstance(v, str) else v for k, v in args.items()}
    if entry != "core" and args.get("api_key") == 12345:
        pytest.skip(
            "the adapters' SecretStr field refuses a non-string before the core sees it (pydantic's own clear error)"
        )
    with pytest.raises(ValueError, match=message) as info:
        GLOO_ENTRY_POINTS[entry](base_url=LOCAL, **args)
    assert secret not in str(info.value) and secret not in repr(info.value)
    assert secret.encode() not in pickle.dumps(info.value)


GRAVIX_BAD_CREDENTIALS = [
    pytest.param({}, {"api_key": ""}, "api_key is an empty string", id="empty-api-key"),
    pytest.param(
        {"GRAVIXLAYER_API_KEY": "{canary}"}, {"api_key": ""}, "api_key is an empty string", id="empty-api-key-never-env"
    ),
    pytest.param(
        {}, {"api_key": "{canary}\n"}, "api_key has leading or trailing whitespace", id="key-trailing-newline"
    ),
    pytest.param({}, {"api_key": " {canary}"}, "api_key has leading or trailing whitespace", id="key-leading-space"),
    pytest.param({}, {"api_key": "{canary}\x00x"}, "api_key contains a control character", id="key-control-char"),
    pytest.param({}, {"api_key": "{canary}\u00e9"}, "api_key contains a non-ASCII character", id="key-non-ascii"),
    pytest.param(
        {"GRAVIXLAYER_API_KEY": "{canary}\r\n"},
        {},
        "env GRAVIXLAYER_API_KEY has leading or trailing whitespace",
        id="env-key-crlf",
    ),
    pytest.param(
        {"GRAVIXLAYER_API_KEY": "\t{canary}"},
        {},
        "env GRAVIXLAYER_API_KEY has leading or trailing whitespace",
        id="env-key-tab",
    ),
]


@pytest.mark.parametrize("entry", GRAVIX_ENTRY_POINTS)
@pytest.mark.parametrize("env,args,message", GRAVIX_BAD_CREDENTIALS)
def test_gravix_bad_credentials_fail_at_construction_without_the_value(monkeypatch, entry, env, args, message):
    secret = canary()
    for name, value in env.items():
        monkeypatch.setenv(name, value.replace("{canary}", secret))
    args = {k: v.replace("{canary}", secret) for k, v in args.items()}
    with pytest.raises(ValueError, match=message) as info:
        GRAVIX_ENTRY_POINTS[entry](base_url=LOCAL, **args)
    assert secret not in str(info.value) and secret not in repr(info.value)
    assert secret.encode() not in pickle.dumps(info.value)
    errors = getattr(info.value, "errors", None)
    assert not callable(errors) or secret not in repr(errors())


@pytest.mark.parametrize("entry", GRAVIX_ENTRY_POINTS)
def test_gravix_env_key_with_newline_fails_at_construction(monkeypatch, entry):
    secret = canary()
    monkeypatch.setenv("GRAVIXLAYER_API_KEY", secret + "\n")
    with pytest.raises(ValueError, match="env GRAVIXLAYER_API_KEY has leading or trailing whitespace") as info:
        GRAVIX_ENTRY_POINTS[entry](base_url=LOCAL)
    assert secret not in str(info.value)


# -- configuration: the same values accepted and refused everywhere --------------------------------

BAD_CONFIG = [
    pytest.param({"timeout": "30"}, "timeout must be seconds", id="timeout-str"),
    pytest.param({"timeout": 0}, "timeout must be a positive, finite", id="timeout-0"),
    pytest.param({"timeout": -1}, "timeout must be a positive, finite", id="timeout-negative"),
    pytest.param({"timeout": math.nan}, "timeout must be a positive, finite", id="timeout-nan"),
    pytest.param({"timeout": math.inf}, "timeout must be a positive, finite", id="timeout-inf"),
    pytest.param({"timeout": (1, 2, 3)}, "got 3 items", id="timeout-triple"),
    pytest.param({"max_retries": -1}, "max_retries must be an integer >= 0", id="max-retries-negative"),
    pytest.param({"max_retries": "2"}, "max_retries must be an integer >= 0", id="max-retries-str"),
    pytest.param({"stream_idle_timeout": 0}, "stream_idle_timeout must be a positive", id="idle-0"),
    pytest.param({"stream_idle_timeout": math.nan}, "stream_idle_timeout must be a positive", id="idle-nan"),
    pytest.param({"base_url": "https://user:{canary}@h.example"}, "must not contain user:password@", id="url-userinfo"),
    pytest.param({"base_url": "https://h.example/v1?key={canary}"}, "must not have a", id="url-query"),
    pytest.param({"base_url": "https://h.example/v1#x"}, "must not have a", id="url-fragment"),
    pytest.param({"base_url": "ftp://h.example"}, "must start with http", id="url-scheme"),
    pytest.param(
        {"default_headers": {"X-Gateway-Key": "{canary}\n"}}, "X-Gateway-Key.*whitespace", id="header-newline"
    ),
    pytest.param(
        {"default_headers": {"X-Gateway-Key": "{canary}\r\nX-Evil: 1"}}, "X-Gateway-Key.*control", id="header-crlf"
    ),
]


@pytest.mark.parametrize("entry", ALL_ENTRY_POINTS)
@pytest.mark.parametrize("kw,message", BAD_CONFIG)
def test_bad_configuration_fails_at_construction_the_same_everywhere(entry, kw, message):
    if entry in NO_STREAM_ENTRY_POINTS and "stream_idle_timeout" in kw:
        pytest.skip("embeddings do not stream: stream_idle_timeout is not one of their options")
    secret = canary()
    kw = json.loads(json.dumps(kw).replace("{canary}", secret)) if "nan" not in str(kw) and "inf" not in str(kw) else kw
    if isinstance(kw.get("timeout"), list):
        kw["timeout"] = tuple(kw["timeout"])
    kw.setdefault("base_url", LOCAL)
    with pytest.raises(ValueError, match=message) as info:
        ALL_ENTRY_POINTS[entry](api_key="k-123", **kw)
    assert secret not in str(info.value) and secret.encode() not in pickle.dumps(info.value)


@pytest.mark.parametrize("entry", ALL_ENTRY_POINTS)
@pytest.mark.parametrize(
    "timeout,expected",
    [
        ((3, 60), {"connect": 3.0, "read": 60.0, "write": 60.0, "pool": 60.0}),
        (httpx.Timeout(7.0, connect=1.0), {"connect": 1.0, "read": 7.0, "write": 7.0, "pool": 7.0}),
        (30, {"connect": 10.0, "read": 30.0, "write": 30.0, "pool": 30.0}),
    ],
)
def test_timeout_forms_accepted_the_same_everywhere(entry, timeout, expected):
    client = ALL_ENTRY_POINTS[entry](api_key="k-123", base_url=LOCAL, timeout=timeout)
    assert client.timeout.as_dict() == expected


@pytest.mark.parametrize("entry", ALL_ENTRY_POINTS)
def test_scheme_is_case_insensitive_everywhere(entry):
    client = ALL_ENTRY_POINTS[entry](api_key="k-123", base_url="HTTP://127.0.0.1:9")
    assert client.base_url.startswith("http://127.0.0.1:9")


def test_llama_index_timeout_round_trips_through_to_dict():
    llm = GravixLayer(model=GRAVIX_MODEL, api_key="k-123", timeout=httpx.Timeout(7.0, connect=1.0))
    data = json.loads(llm.to_json())
    assert data["timeout"] == {"connect": 1.0, "read": 7.0, "write": 7.0, "pool": 7.0}
    clone = GravixLayer.from_dict({**data, "api_key": "k-123"})
    assert clone._sync_client().timeout == httpx.Timeout(7.0, connect=1.0)


# -- secrets never shown ------------------------------------------------------------------------------

PUBLIC_MODELS: list[tuple[Callable[..., Any], dict[str, Any]]] = [
    (ChatGloo, {}),
    (ChatGravixLayer, {"model": GRAVIX_MODEL}),
    (Gloo, {}),
    (GravixLayer, {"model": GRAVIX_MODEL}),
]
EMBEDDING_MODELS: list[tuple[Callable[..., Any], dict[str, Any]]] = [
    (GravixLayerEmbeddings, {}),
    (GravixLayerEmbedding, {}),
]
API_KEY_ONLY = (ChatGravixLayer, GravixLayer, GravixLayerEmbeddings, GravixLayerEmbedding)


def _secret_kwargs(cls: Any, secret: str) -> dict[str, Any]:
    return {"api_key": secret} if cls in API_KEY_ONLY else {"client_id": "a", "client_secret": secret}


@pytest.mark.parametrize("cls,base", PUBLIC_MODELS, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize(
    "bad", [{"temperature": 5}, {"max_tokens": "many"}, {"stream_idle_timeout": "soon"}, {"timeout": "30"}], ids=str
)
def test_validation_errors_of_public_models_hide_their_input(cls, base, bad):
    secret = canary()
    secrets = (
        {"api_key": secret} if cls in (ChatGravixLayer, GravixLayer) else {"client_id": "a", "client_secret": secret}
    )
    headers = {"X-Gateway": canary("HEADER")}
    with pytest.raises(ValueError) as info:
        cls(**base, **secrets, default_headers=headers, **bad)
    error = info.value
    for text in (str(error), repr(error), str(getattr(error, "errors", lambda: "")())):
        assert secret not in text and headers["X-Gateway"] not in text
    assert secret.encode() not in pickle.dumps(error)
    assert error.__context__ is None  # the original error (holding every argument) is not chained


def test_langchain_default_headers_never_in_repr_serialisation_or_tracing():
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.load import dumpd, dumps

    header_secret, call_secret, key = canary("HEADER"), canary("CALL"), canary("KEY")
    seen: list[str] = []

    class Recorder(BaseCallbackHandler):
        def on_chat_model_start(self, serialized, messages, **kwargs):
            seen.append(repr(serialized) + repr(kwargs))

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["x-gateway-key"] == header_secret  # still sent
        return httpx.Response(
            200,
            json={
                "id": "c",
                "object": "chat.completion",
                "created": 1,
                "model": "m",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
            },
        )

    model = ChatGravixLayer(
        model=GRAVIX_MODEL,
        api_key=key,
        base_url=LOCAL,
        default_headers={"X-Gateway-Key": header_secret},
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    model.invoke("hi", config={"callbacks": [Recorder()]}, extra_headers={"X-Call-Key": call_secret})
    texts = [
        repr(model),
        str(model),
        dumps(model),
        json.dumps(dumpd(model)),
        repr(model.model_dump()),
        repr(model._identifying_params),
        repr(model._get_invocation_params(extra_headers={"X-Call-Key": call_secret})),
        *seen,
    ]
    assert len(seen) == 1 and "X-Call-Key" in seen[0]
    for text in texts:
        assert header_secret not in text and call_secret not in text and key not in text


def test_llama_index_header_values_never_serialised():
    header = canary("HEADER")
    llm = Gloo(client_id="a", client_secret=canary(), default_headers={"X-Team": header, "Authorization": header})
    for text in (repr(llm), str(llm), json.dumps(llm.to_dict()), llm.to_json(), llm.model_dump_json()):
        assert header not in text
    assert llm._sync_client().settings.headers["X-Team"] == header  # still sent


@pytest.mark.parametrize("cls,base", PUBLIC_MODELS + EMBEDDING_MODELS, ids=lambda v: getattr(v, "__name__", ""))
def test_copied_and_unpickled_models_show_no_secret(cls, base):
    secret, header = canary(), canary("HEADER")
    model = cls(**base, **_secret_kwargs(cls, secret), base_url=LOCAL, default_headers={"X-Gateway": header})
    original = _client_of(model)  # a built client is not carried into a copy
    clones = [copy.deepcopy(model), pickle.loads(pickle.dumps(model))]
    for clone in clones:
        assert secret not in repr(clone) and header not in repr(clone) and secret not in str(clone)
        assert len(clone._clients) == 0
        # settings and secrets as they were: the copy works without the environment
        assert _client_of(clone) is not original
        assert _resolved(_client_of(clone)) == _resolved(original)
        assert _client_of(clone).settings.headers["X-Gateway"] == header


def _client_of(model: Any) -> Client:
    return model._sync_client()


def test_langchain_per_call_bad_header_is_a_langchain_error_twin():
    from langchain_core.exceptions import ModelInvalidRequestError

    from langchain_gloo_gravix.core.config import ConfigurationError

    secret = canary("CALL")
    model = ChatGravixLayer(model=GRAVIX_MODEL, api_key="k-123", base_url=LOCAL)
    with pytest.raises(
        ConfigurationError, match=r"extra_headers\['X-Call'\] has leading or trailing whitespace"
    ) as info:
        model.invoke("hi", extra_headers={"X-Call": secret + "\n"})
    assert isinstance(info.value, ModelInvalidRequestError) and info.value.retryable is False
    assert secret not in str(info.value)


# -- the embeddings classes: the chat models' rules ---------------------------------------------------

EMBEDDING_BAD_FIELDS = [
    {"timeout": "30"},
    {"max_retries": "x"},
    {"max_retries": -1},
    {"encoding_format": "hex"},
    {"max_concurrency": 0},
    {"modle": "x"},  # a misspelt option: raised by a model validator, whose input is every argument
]


@pytest.mark.parametrize("cls,base", EMBEDDING_MODELS, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("bad", EMBEDDING_BAD_FIELDS, ids=str)
def test_validation_errors_of_embeddings_hide_their_input(cls, base, bad):
    secret = canary()
    headers = {"X-Gateway": canary("HEADER")}
    with pytest.raises(ValueError) as info:
        cls(**base, **_secret_kwargs(cls, secret), base_url=LOCAL, default_headers=headers, **bad)
    error = info.value
    for text in (str(error), repr(error), str(getattr(error, "errors", lambda: "")())):
        assert secret not in text and headers["X-Gateway"] not in text
    assert secret.encode() not in pickle.dumps(error)
    assert error.__context__ is None  # the original error (holding every argument) is not chained


@pytest.mark.parametrize(
    "cls,destination",
    [(GravixLayerEmbeddings, "model_kwargs"), (GravixLayerEmbedding, "additional_kwargs")],
    ids=["langchain", "llama_index"],
)
def test_embeddings_unknown_options_go_to_the_body_with_a_warning(cls, destination):
    with pytest.warns(UserWarning, match=f"'truncate' is not a declared option; it was moved to {destination}"):
        model = cls(api_key="k-123", base_url=LOCAL, truncate=True)
    assert getattr(model, destination) == {"truncate": True}
    assert model._options()["extra_body"] == {"truncate": True}
    with pytest.raises(ValueError, match="unknown option 'modle': did you mean 'model'"):
        cls(api_key="k-123", base_url=LOCAL, modle="x")
    with pytest.raises(ValueError, match="did you mean 'max_retries'"):
        cls(api_key="k-123", base_url=LOCAL, max_retires=3)


def test_langchain_embeddings_default_headers_never_in_repr_or_serialisation():
    from langchain_core.load import dumpd, dumps

    header, key = canary("HEADER"), canary("KEY")
    model = GravixLayerEmbeddings(api_key=key, base_url=LOCAL, default_headers={"X-Gateway-Key": header})
    texts = [
        repr(model),
        str(model),
        dumps(model),
        json.dumps(dumpd(model)),
        repr(model.model_dump()),
        model.model_dump_json(),
    ]
    for text in texts:
        assert header not in text and key not in text
    assert model._sync_client().settings.headers["X-Gateway-Key"] == header  # still sent


def test_llama_index_embedding_header_values_never_serialised():
    header, key = canary("HEADER"), canary("KEY")
    model = GravixLayerEmbedding(
        api_key=key, base_url=LOCAL, default_headers={"X-Team": header, "Authorization": header}
    )
    for text in (repr(model), str(model), json.dumps(model.to_dict()), model.to_json(), model.model_dump_json()):
        assert header not in text and key not in text
    assert model._sync_client().settings.headers["X-Team"] == header  # still sent


def test_llama_index_embedding_timeout_round_trips_through_to_dict():
    model = GravixLayerEmbedding(api_key="k-123", base_url=LOCAL, timeout=httpx.Timeout(7.0, connect=1.0))
    data = json.loads(model.to_json())
    assert data["timeout"] == {"connect": 1.0, "read": 7.0, "write": 7.0, "pool": 7.0}
    clone = GravixLayerEmbedding.from_dict({**data, "api_key": "k-123"})
    assert clone._sync_client().timeout == httpx.Timeout(7.0, connect=1.0)
    pair = GravixLayerEmbedding(api_key="k-123", base_url=LOCAL, timeout=(2, 30))
    assert GravixLayerEmbedding.from_dict(pair.to_dict())._sync_client().timeout == httpx.Timeout(30.0, connect=2.0)


@pytest.mark.parametrize("cls", [GravixLayerEmbeddings, GravixLayerEmbedding], ids=["langchain", "llama_index"])
def test_embeddings_use_the_core_client_cache(cls):
    import asyncio

    model = cls(api_key="k-123", base_url=LOCAL)
    assert type(model._clients) is ClientCache
    first = _client_of(model)
    assert _client_of(model) is first  # reused
    model.base_url = "http://127.0.0.1:10/v1/inference"
    changed = _client_of(model)
    assert changed is not first and changed.base_url.startswith(
        "http://127.0.0.1:10"
    )  # a changed setting: a fresh client
    async_client = model._async_client if hasattr(model, "_async_client") else model._async_client

    async def build() -> Any:
        return async_client(), async_client()

    one, same = asyncio.run(build())
    assert one is same
    other, _ = asyncio.run(build())
    assert other is not one  # one client per event loop; the closed loop's client is not reused
    model.close()
