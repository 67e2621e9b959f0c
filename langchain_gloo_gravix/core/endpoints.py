"""Where and who: the endpoints this package speaks to.

This is the only module that knows URLs, paths and environment-variable names.
Everything that differs between Gloo v1, Gloo v2 (plain and grounded) and Gravix Layer is a field of
:class:`Endpoint`; mapping code reads flags, it never compares endpoint names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal, Mapping

__all__ = [
    "Endpoint",
    "ROUTING_KEYS",
    "GLOO_V1",
    "GLOO_V2",
    "GLOO_V2_GROUNDED",
    "GRAVIX",
    "ENDPOINTS",
    "get_endpoint",
    "resolve_base_url",
    "env_credentials",
    "resolve_embedding_model",
    "env_default_model",
]

#: the v2 routing mechanisms; exactly one may be sent (docs/providers.md#exclusivity).
ROUTING_KEYS = ("auto_routing", "model", "model_family")
GLOO_MODEL_FAMILIES = ("openai", "anthropic", "google", "open source")
GLOO_TRADITIONS = ("evangelical", "catholic", "mainline", "not_faith_specific")
# Gloo v2 documents tool_choice as none | auto | required only (docs/providers.md#v2-request).
GLOO_V2_TOOL_CHOICES = ("none", "auto", "required")


@dataclass(frozen=True)
class Endpoint:
    """A chat-completions service: its address, credentials and capabilities."""

    name: str
    #: provider name used for tracing (LangSmith ``ls_provider``) and metadata.
    provider: str
    default_base_url: str
    base_url_env: str
    #: path appended to the base URL for chat completions.
    chat_path: str
    #: path of the model list, relative to the base URL.
    models_path: str
    models_need_auth: bool
    auth: Literal["gloo", "static"]
    #: env vars holding a static bearer key, first match wins.
    api_key_envs: tuple[str, ...]
    default_model: str | None = None
    #: v2 routing: exactly one of auto_routing / model / model_family, plus tradition.
    routing: bool = False
    #: allowed tool_choice strings; None means the OpenAI forms incl. a named function.
    tool_choices: tuple[str, ...] | None = None
    temperature_max: float = 2.0
    #: path suffixes users paste from OpenAI-SDK examples; stripped from base URLs.
    base_url_suffixes: tuple[str, ...] = ()
    #: Gloo grounded (RAG) completions: rag_publisher / sources_limit / include_citations
    #: accepted, sources_returned / citations returned (docs/providers.md#grounded).
    grounding: bool = False
    #: path of the OpenAI-style embeddings endpoint, relative to the base URL; None: no embeddings.
    embeddings_path: str | None = None
    default_embedding_model: str | None = None
    #: env var naming the embedding model (optional; the argument wins, the default is last).
    embedding_model_env: str | None = None
    #: env var naming the model used when none is passed (None: no such variable).
    model_env: str | None = None
    #: streams end with ``data: [DONE]`` (OpenAI-compatible servers); where they do not (Gloo), only a finish
    #: reason proves a stream whole (docs/providers.md#end-of-stream).
    stream_done_marker: bool = False
    #: ``response_format`` (JSON mode, JSON schema) is documented for this endpoint. The Gloo v1
    #: reference does not list it and Gloo ignores body fields it does not know (docs/providers.md#v1,
    #: docs/providers.md#unknown-fields), so there it is refused rather than sent to be ignored.
    supports_response_format: bool = True
    #: ``parallel_tool_calls`` is a documented field even without ``tools`` (Gloo's grounded route,
    #: docs/providers.md#grounded);
    #: elsewhere OpenAI-style servers refuse it without tools, so the body builder leaves it out then.
    parallel_tool_calls_without_tools: bool = False
    #: a model id for examples and smoke checks (the CLI, the demo) where the endpoint has no default.
    example_model: str | None = None

    def display_model(self, params: Mapping[str, Any]) -> str:
        """The one name of the model a request with ``params`` asks for, before the answer says which
        model served it: the model id when one is given; on a routing endpoint the routing mechanism
        (``gloo-family:openai``, ``gloo-auto-routing``, the implied default); else the default model."""
        model = params.get("model")
        if model:
            return str(model)
        if self.routing:
            family = params.get("model_family")
            if isinstance(family, str) and family.strip():
                return f"{self.provider}-family:{family.strip().lower()}"
            return f"{self.provider}-auto-routing"
        return self.default_model or self.name

    def with_default_routing(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` with Gloo's recommended auto routing when this is a routing endpoint and they name no
        mechanism; a copy, ``params`` as they are otherwise.

        Both adapters and the CLI take their default from here, implied per call and never written back into a
        model's field: a copy that sets ``model_family=`` or ``model=`` (``model_copy``,
        ``configurable_fields``) must not be left holding two mechanisms."""
        out = dict(params)
        # None only: an explicit auto_routing=False with no other mechanism stays an error (request.py)
        if self.routing and all(out.get(key) is None for key in ROUTING_KEYS):
            out["auto_routing"] = True
        return out

    @property
    def requires_model(self) -> bool:
        return self.default_model is None and not self.routing

    def __repr__(self) -> str:  # short: endpoints appear in every error message
        return f"Endpoint({self.name!r})"


_GLOO_HOST = "https://platform.ai.gloo.com"

GLOO_V1 = Endpoint(
    name="gloo-v1",
    provider="gloo",
    default_base_url=_GLOO_HOST,
    base_url_env="GLOO_BASE_URL",
    chat_path="/ai/v1/chat/completions",
    models_path="/platform/v2/models",
    models_need_auth=False,
    auth="gloo",
    api_key_envs=("GLOO_API_KEY",),
    default_model="us.meta.llama3-3-70b-instruct-v1:0",
    # The v1 reference documents temperature 0..1 (docs/providers.md#v1).
    temperature_max=1.0,
    base_url_suffixes=("/ai/v1",),
    supports_response_format=False,
)

GLOO_V2 = Endpoint(
    name="gloo-v2",
    provider="gloo",
    default_base_url=_GLOO_HOST,
    base_url_env="GLOO_BASE_URL",
    chat_path="/ai/v2/chat/completions",
    models_path="/platform/v2/models",
    models_need_auth=False,
    auth="gloo",
    api_key_envs=("GLOO_API_KEY",),
    routing=True,
    tool_choices=GLOO_V2_TOOL_CHOICES,
    base_url_suffixes=("/ai/v2",),
)

# Grounded completions: the v2 routing and tradition rules on another path (docs/providers.md#grounded).
GLOO_V2_GROUNDED = Endpoint(
    name="gloo-v2-grounded",
    provider="gloo",
    default_base_url=_GLOO_HOST,
    base_url_env="GLOO_BASE_URL",
    chat_path="/ai/v2/chat/completions/grounded",
    models_path="/platform/v2/models",
    models_need_auth=False,
    auth="gloo",
    api_key_envs=("GLOO_API_KEY",),
    routing=True,
    tool_choices=GLOO_V2_TOOL_CHOICES,
    base_url_suffixes=("/ai/v2",),
    grounding=True,
    parallel_tool_calls_without_tools=True,
)

GRAVIX = Endpoint(
    name="gravix",
    provider="gravixlayer",
    default_base_url="https://api.gravixlayer.com/v1/inference",
    base_url_env="GRAVIXLAYER_BASE_URL",
    chat_path="/chat/completions",
    models_path="/models",
    models_need_auth=True,
    auth="static",
    api_key_envs=("GRAVIXLAYER_API_KEY",),
    # docs/providers.md#embeddings: POST {base}/embeddings, {model, input, encoding_format, user};
    # the docs' embedding model is microsoft/multilingual-e5-large (docs/providers.md#gravix-models).
    embeddings_path="/embeddings",
    default_embedding_model="microsoft/multilingual-e5-large",
    embedding_model_env="GRAVIXLAYER_EMBEDDING_MODEL",
    # Gravix has no default model; the README and demo name this variable.
    # Gloo has none on purpose: on v2 a model in the environment would silently
    # switch every default client from auto routing to that one model.
    model_env="GRAVIXLAYER_MODEL",
    # the model of Gravix Layer's own chat examples (docs/providers.md#gravix-models)
    example_model="meta-llama/llama-3.1-8b-instruct",
    stream_done_marker=True,
)

ENDPOINTS: Mapping[str, Endpoint] = {e.name: e for e in (GLOO_V1, GLOO_V2, GRAVIX, GLOO_V2_GROUNDED)}
_ALIASES = {"v1": GLOO_V1, "v2": GLOO_V2, "grounded": GLOO_V2_GROUNDED, "gravixlayer": GRAVIX, "gravix-layer": GRAVIX}

# Gloo OAuth2 client credentials: GLOO_CLIENT_* first (official docs), then the
# GLOO_AI_CLIENT_* names used by Gloo's example repos (docs/providers.md#env-vars).
GLOO_CLIENT_ID_ENVS = ("GLOO_CLIENT_ID", "GLOO_AI_CLIENT_ID")
GLOO_CLIENT_SECRET_ENVS = ("GLOO_CLIENT_SECRET", "GLOO_AI_CLIENT_SECRET")
GLOO_TOKEN_PATH = "/oauth2/token"
GLOO_TOKEN_SCOPE = "api/access"


def get_endpoint(endpoint: Endpoint | str) -> Endpoint:
    """Accept an :class:`Endpoint` or one of ``gloo-v1``, ``gloo-v2``, ``gloo-v2-grounded``, ``gravix``."""
    if isinstance(endpoint, Endpoint):
        return endpoint
    found = ENDPOINTS.get(endpoint) or _ALIASES.get(endpoint)
    if found is None:
        raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {', '.join(ENDPOINTS)}")
    return found


def _first_env(names: tuple[str, ...]) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def resolve_base_url(endpoint: Endpoint, base_url: str | None = None) -> str:
    """The base URL from the argument, else the env var, else the default.

    Checked by :func:`config.check_base_url` (scheme http/https in any case, no
    ``user:password@``, no query or fragment; a warning for cleartext ``http://``
    to a host that is not loopback). A trailing slash, and for Gloo a pasted
    OpenAI-SDK suffix such as ``/ai/v2``, are removed.
    """
    from .config import ConfigurationError, check_base_url

    if base_url:
        source, url = "base_url", base_url
    elif os.environ.get(endpoint.base_url_env):
        source, url = f"env {endpoint.base_url_env}", os.environ[endpoint.base_url_env]
    else:
        source, url = "base_url", endpoint.default_base_url
    url = check_base_url(url.strip() if isinstance(url, str) else url, source).rstrip("/")
    for suffix in endpoint.base_url_suffixes:
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    other = {"/ai/v1", "/ai/v2"} - set(endpoint.base_url_suffixes)
    if endpoint.auth == "gloo" and any(url.endswith(s) for s in other):
        raise ConfigurationError(
            f"{source} {url!r} points at another Gloo API version than {endpoint.name}; "
            "pass the host root, e.g. https://platform.ai.gloo.com"
        )
    return url


def env_credentials(endpoint: Endpoint) -> dict[str, str]:
    """Credentials found in the environment for this endpoint (may be empty)."""
    found: dict[str, str] = {}
    api_key = _first_env(endpoint.api_key_envs)
    if api_key:
        found["api_key"] = api_key
    if endpoint.auth == "gloo":
        client_id = _first_env(GLOO_CLIENT_ID_ENVS)
        client_secret = _first_env(GLOO_CLIENT_SECRET_ENVS)
        if client_id:
            found["client_id"] = client_id
        if client_secret:
            found["client_secret"] = client_secret
    return found


def env_default_model(endpoint: Endpoint) -> str | None:
    """The model named by the endpoint's model env var, when it has one and it is set."""
    if endpoint.model_env is None:
        return None
    value = os.environ.get(endpoint.model_env, "").strip()
    return value or None


def credentials_help(endpoint: Endpoint) -> str:
    """The sentence every missing-credentials error ends with."""
    if endpoint.auth == "gloo":
        return (
            "pass client_id= and client_secret= (or set GLOO_CLIENT_ID and GLOO_CLIENT_SECRET, "
            "or GLOO_AI_CLIENT_ID and GLOO_AI_CLIENT_SECRET), or pass api_key= (or set GLOO_API_KEY)"
        )
    return f"pass api_key= (or set {' or '.join(endpoint.api_key_envs)})"


def resolve_embedding_model(endpoint: Endpoint, model: str | None = None) -> str:
    """The embedding model from the argument, else the env var, else the endpoint's default."""
    if endpoint.embeddings_path is None:
        raise ValueError(f"{endpoint.name} has no embeddings endpoint; use the Gravix Layer endpoint")
    found = model or (os.environ.get(endpoint.embedding_model_env) if endpoint.embedding_model_env else None)
    found = found or endpoint.default_embedding_model
    if not found or not found.strip():
        raise ValueError(f"an embedding model is required for {endpoint.name} (argument model=)")
    return found.strip()
