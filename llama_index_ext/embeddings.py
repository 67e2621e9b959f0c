"""``GravixLayerEmbedding``: Gravix Layer embeddings as a LlamaIndex ``BaseEmbedding``.

A thin adapter on the core client's ``embed()``, which batches, splits batches the server calls
too large, decodes base64, retries and maps errors. Core errors reach the caller unchanged.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, ClassVar, Dict, List, Literal, Optional, Union

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import ConfigDict, Field, model_validator

from langchain_gloo_gravix.core import GRAVIX, resolve_base_url, resolve_embedding_model
from langchain_gloo_gravix.core.checked_model import CheckedSettings, TimeoutAsData
from langchain_gloo_gravix.core.client_cache import ClientOwner, ClientSpec, headers_key
from langchain_gloo_gravix.core.credentials import resolve_credentials
from langchain_gloo_gravix.core.embeddings import DEFAULT_EMBEDDING_BATCH_SIZE, DEFAULT_EMBEDDING_CONCURRENCY
from langchain_gloo_gravix.core.secret_input import SecretInput

__all__ = ["GravixLayerEmbedding"]


class GravixLayerEmbedding(CheckedSettings, ClientOwner, TimeoutAsData, BaseEmbedding):
    """Gravix Layer embeddings (OpenAI-compatible ``/embeddings``) for LlamaIndex.

    Same words and rules as the ``GravixLayer`` LLM: ``api_key`` (else env GRAVIXLAYER_API_KEY, checked
    at construction, read again at the first request), ``base_url`` (else env GRAVIXLAYER_BASE_URL),
    ``timeout`` (seconds, a ``(connect, read)`` pair or an ``httpx.Timeout``), ``max_retries``,
    ``default_headers`` (never shown or serialised: pass them again after ``from_dict``); bad values
    fail at construction without showing them. An unknown constructor argument goes to
    ``additional_kwargs`` (the request body) with a warning; a misspelt option raises. ``model_name``
    (or ``model``) defaults to env GRAVIXLAYER_EMBEDDING_MODEL, else ``microsoft/multilingual-e5-large``. ``embed_batch_size`` inputs go in one request
    (128 by default); async batches run ``max_concurrency`` at a time.

    Example::

        from llama_index.core import Settings, VectorStoreIndex
        from llama_index_ext import GravixLayerEmbedding
        Settings.embed_model = GravixLayerEmbedding()
        index = VectorStoreIndex.from_documents(documents)
    """

    # hide_input_in_errors: a ValidationError would otherwise print every argument, secrets included.
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, hide_input_in_errors=True)
    unknown_options_field: ClassVar[str] = "additional_kwargs"
    extra_known_options: ClassVar[frozenset[str]] = frozenset({"class_name"})  # to_dict() output fed back in
    # OpenAIEmbedding's argument names mean the same here, or are refused with a pointer (core/incumbent_names.py)
    incumbent: ClassVar[Optional[str]] = "OpenAIEmbedding"

    model_name: str = Field(default="", alias="model", description="Embedding model id; env or the default when empty.")
    embed_batch_size: int = Field(
        default=DEFAULT_EMBEDDING_BATCH_SIZE, gt=0, le=2048, description="Inputs per request."
    )
    max_concurrency: int = Field(default=DEFAULT_EMBEDDING_CONCURRENCY, ge=1, description="Async requests in flight.")
    encoding_format: Literal["base64", "float"] = Field(
        default="base64", description="Wire encoding; base64 falls back to float when a server ignores or refuses it."
    )
    timeout: Any = Field(
        default=None,
        description="Seconds, a (connect, read) pair or an httpx.Timeout; None keeps the core's finite default.",
    )
    max_retries: int = Field(default=2, description="Retries of 408/409/429/5xx/connection errors (one layer).")
    # exclude + repr=False: gateways put credentials in headers, so no header value is ever shown or
    # serialised (to_dict/to_json, the model_dict of instrumentation events)
    default_headers: Optional[Dict[str, str]] = Field(
        default=None, exclude=True, repr=False, description="Sent with every request; never serialised."
    )
    additional_kwargs: Dict[str, Any] = Field(default_factory=dict, description="Extra request fields (e.g. user).")
    dimensions: Optional[int] = Field(
        default=None, ge=1, description="Vector length to ask for (models that shorten vectors); checked on answers."
    )
    check_embedding_ctx_length: bool = Field(
        default=True,
        description="Split inputs longer than the model's window and combine the pieces' vectors (as OpenAIEmbeddings).",
    )
    embedding_ctx_length: Optional[int] = Field(
        default=None, ge=1, description="The model's window in tokens; None: the known window, no split if unknown."
    )
    api_key: Optional[Union[SecretInput, Callable[[], str], Callable[[], Awaitable[str]]]] = Field(
        default=None,
        exclude=True,
        repr=False,
        description="Bearer key: a str, or a sync/async callable called per request; env if None. Never shown.",
    )
    proxy: Optional[str] = Field(
        default=None, exclude=True, repr=False, description="Proxy URL for every request. Never serialised."
    )
    base_url: Optional[str] = Field(default=None, description="The .../v1/inference prefix; env or the public URL.")

    # -- construction: the GravixLayer LLM's rules (see base.GlooGravixLLM) -----------------------

    @model_validator(mode="after")
    def _resolve(self) -> "GravixLayerEmbedding":
        self.model_name = resolve_embedding_model(GRAVIX, self.model_name or None)
        resolve_base_url(GRAVIX, self.base_url)  # pure: checks the URL, no I/O
        # the core's one credential rule, run now only to check the values it would use (empty
        # strings, whitespace); the client resolves them again at the first request, as GravixLayer's does
        resolve_credentials(GRAVIX, api_key=self.api_key)
        return self

    @classmethod
    def class_name(cls) -> str:
        return "GravixLayerEmbedding"

    # -- clients -------------------------------------------------------------------------------

    def _client_spec(self, *, sync: bool) -> ClientSpec:
        # no http_client fields here (BaseEmbedding has none): the core's own transport
        return ClientSpec(
            GRAVIX,
            base_url=self.base_url,
            api_key=self.api_key,
            timeout=self.timeout,
            max_retries=self.max_retries,
            default_headers=headers_key(self.default_headers),
            proxy=self.proxy,
        )

    def _options(self) -> Dict[str, Any]:
        extra = dict(self.additional_kwargs)
        user = extra.pop("user", None)
        return {
            "model": self.model_name,
            "batch_size": self.embed_batch_size,
            "encoding_format": self.encoding_format,
            "user": user,
            "extra_body": extra or None,
            "dimensions": self.dimensions,
            "ctx_length": self.embedding_ctx_length,
            "split_long": self.check_embedding_ctx_length,
        }

    # -- BaseEmbedding ---------------------------------------------------------------------------

    def _get_text_embeddings(self, texts: List[str]) -> List[List[float]]:
        return self._sync_client().embed(texts, **self._options()).vectors

    async def _aget_text_embeddings(self, texts: List[str]) -> List[List[float]]:
        result = await self._async_client().embed(texts, concurrency=self.max_concurrency, **self._options())
        return result.vectors

    def _get_text_embedding(self, text: str) -> List[float]:
        return self._get_text_embeddings([text])[0]

    async def _aget_text_embedding(self, text: str) -> List[float]:
        return (await self._aget_text_embeddings([text]))[0]

    def _get_query_embedding(self, query: str) -> List[float]:
        return self._get_text_embedding(query)

    async def _aget_query_embedding(self, query: str) -> List[float]:
        return await self._aget_text_embedding(query)
