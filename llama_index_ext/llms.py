"""``Gloo`` (Gloo AI Completions v2 and v1) and ``GravixLayer`` for LlamaIndex."""

from __future__ import annotations

from typing import Any, ClassVar, Dict, Literal, Optional

from pydantic import Field, model_validator

from langchain_gloo_gravix.core import (
    GLOO_V1,
    GLOO_V2,
    GLOO_V2_GROUNDED,
    GRAVIX,
    Endpoint,
    check_grounded_options,
    resolve_base_url,
)
from langchain_gloo_gravix.core.secret_input import SecretInput
from langchain_gloo_gravix.core.warnings import construction_warnings, json_schema_warning, warn_construction

from .base import GlooGravixLLM
from .models import ModelProfile, profile_for

__all__ = ["Gloo", "GravixLayer"]


class Gloo(GlooGravixLLM):
    """Gloo AI chat completions as a LlamaIndex function-calling LLM.

    ``api_version="v2"`` (default) routes each request by exactly one mechanism:
    ``auto_routing=True`` (the default when none is given), ``model="gloo-..."``
    or ``model_family=`` one of openai, anthropic, google, "open source";
    ``tradition=`` optionally steers the answer. ``api_version="v1"`` takes a
    ``model`` (default ``us.meta.llama3-3-70b-instruct-v1:0``) and rejects the v2
    routing options.

    Credentials: ``client_id`` + ``client_secret`` (OAuth2, tokens cached and
    refreshed by the core) or a static ``api_key``; when none is passed they are
    read from ``GLOO_CLIENT_ID`` / ``GLOO_CLIENT_SECRET`` (or ``GLOO_AI_*``) and
    ``GLOO_API_KEY`` at the first request. Missing credentials raise
    ``MissingCredentialsError`` then, never at construction.

    Grounded completions (v2 only): ``grounded=True`` answers from Gloo's corpus
    or ``rag_publisher=``'s content, with ``sources_limit`` (1-10) and
    ``include_citations``; responses (and the last streamed chunk) carry
    ``additional_kwargs["grounding"] = {"sources_returned": ..., "citations": [...]}``.

    Example::

        from llama_index_ext import Gloo
        llm = Gloo()                                    # v2, auto routing
        llm = Gloo(model="gloo-anthropic-claude-sonnet-4.5", tradition="catholic")
        print(llm.complete("Who wrote the Confessions?"))
    """

    _listing_endpoint: ClassVar[Endpoint] = GLOO_V2

    api_version: Literal["v2", "v1"] = Field(default="v2", description="Gloo Completions API version.")
    auto_routing: Optional[bool] = Field(default=None, description="v2: let Gloo pick the model (default).")
    model_family: Optional[str] = Field(
        default=None,
        description="v2: openai, anthropic, google or 'open source' (any case), or any family Gloo's registry lists.",
    )
    tradition: Optional[str] = Field(
        default=None, description="v2: evangelical, catholic, mainline or not_faith_specific."
    )
    client_id: Optional[str] = Field(default=None, description="OAuth2 client id; env GLOO_CLIENT_ID when None.")
    client_secret: Optional[SecretInput] = Field(
        default=None, exclude=True, repr=False, description="OAuth2 client secret; env GLOO_CLIENT_SECRET when None."
    )
    # -- grounded completions (POST /ai/v2/chat/completions/grounded) --
    grounded: bool = Field(default=False, description="v2: answer from a publisher's corpus, with sources.")
    rag_publisher: Optional[str] = Field(default=None, description="grounded: publisher; server default GlooGrounded.")
    sources_limit: Optional[int] = Field(default=None, description="grounded: sources to retrieve, 1 to 10.")
    include_citations: Optional[bool] = Field(default=None, description="grounded: ask for citations.")

    @model_validator(mode="before")
    @classmethod
    def _check_grounding_words(cls, data: Any) -> Any:
        # Before the shared validation, so the message names grounded=True.
        if isinstance(data, dict):
            check_grounded_options(bool(data.get("grounded")), data.get("api_version") or "v2", data)
        return data

    @model_validator(mode="after")
    def _say_surprises(self) -> "Gloo":
        """Gloo's known surprises, as one warning class (core/warnings.py), once, at construction."""
        endpoint = self._endpoint()
        params = self._base_params()
        found = construction_warnings(endpoint.name, endpoint.routing, params)
        if self.structured_output_method == "json_schema":
            message = json_schema_warning(endpoint.name, endpoint.routing, params)
            found += [message] if message else []
        if found:
            warn_construction(found, stacklevel=4)
        if endpoint.routing and self.model_family:
            from langchain_gloo_gravix.core.registry import warn_unlisted_family

            base_url = resolve_base_url(endpoint, self.base_url)
            warn_unlisted_family(f"{base_url}{endpoint.models_path}", self.model_family)
        return self

    @classmethod
    def class_name(cls) -> str:
        return "Gloo_LLM"

    def _endpoint(self) -> Endpoint:
        if self.grounded:
            return GLOO_V2_GROUNDED
        return GLOO_V2 if self.api_version == "v2" else GLOO_V1

    def _routing_params(self) -> Dict[str, Any]:
        return {
            "auto_routing": self.auto_routing,
            "model_family": self.model_family,
            "tradition": self.tradition,
            "rag_publisher": self.rag_publisher,
            "sources_limit": self.sources_limit,
            "include_citations": self.include_citations,
        }

    def _credentials(self) -> Dict[str, Any]:
        return {"api_key": self.api_key, "client_id": self.client_id, "client_secret": self.client_secret}

    def _profile(self) -> ModelProfile:
        if self.model:
            return profile_for(self.model)
        # no mechanism given: auto routing, implied (the core's Endpoint.with_default_routing), never stored
        return profile_for(
            model_family=self.model_family, auto_routing=not self.model_family or bool(self.auto_routing)
        )


class GravixLayer(GlooGravixLLM):
    """Gravix Layer chat completions as a LlamaIndex function-calling LLM.

    ``model`` is required (e.g. ``meta-llama/llama-3.1-8b-instruct``), or named
    by ``GRAVIXLAYER_MODEL`` (read at construction). The key
    comes from ``api_key`` or ``GRAVIXLAYER_API_KEY`` (read at the first request),
    the base URL from ``base_url`` or ``GRAVIXLAYER_BASE_URL``.

    Example::

        from llama_index.core.llms import ChatMessage
        from llama_index_ext import GravixLayer
        llm = GravixLayer(model="meta-llama/llama-3.1-8b-instruct")
        print(llm.chat([ChatMessage(role="user", content="Hi")]))
    """

    _listing_endpoint: ClassVar[Endpoint] = GRAVIX

    @classmethod
    def class_name(cls) -> str:
        return "GravixLayer_LLM"

    def _endpoint(self) -> Endpoint:
        return GRAVIX
