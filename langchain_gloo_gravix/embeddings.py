"""LangChain embeddings: ``GravixLayerEmbeddings`` on the core client's ``embed()``.

A thin adapter: batching, split-and-retry, base64 decoding, retries, timeouts and
errors all live in the core (``core/embeddings.py`` decides, ``Client.embed`` sends).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Optional

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator

from ._lc_errors import to_langchain_error
from .core import GRAVIX, GlooGravixError, env_credentials, resolve_base_url, resolve_embedding_model
from .core.embeddings import DEFAULT_EMBEDDING_BATCH_SIZE, DEFAULT_EMBEDDING_CONCURRENCY

if TYPE_CHECKING:
    from llama_index_ext._clients import ClientCache

    from .core import AsyncClient, Client

__all__ = ["GravixLayerEmbeddings"]


def _new_cache() -> "ClientCache":
    # The per-event-loop client cache of the LlamaIndex adapters, framework-free; to move
    # into the core (issue 9), after which this import changes and nothing else.
    from llama_index_ext._clients import ClientCache

    return ClientCache()


class GravixLayerEmbeddings(BaseModel, Embeddings):
    """Gravix Layer embeddings (OpenAI-compatible ``/embeddings``) for LangChain.

    Same words as ``ChatGravixLayer``: ``api_key`` (else env GRAVIXLAYER_API_KEY, read at the first
    request), ``base_url`` (else env GRAVIXLAYER_BASE_URL), ``timeout``, ``max_retries``,
    ``http_client`` / ``http_async_client``. ``model`` defaults to env GRAVIXLAYER_EMBEDDING_MODEL,
    else ``microsoft/multilingual-e5-large``.

    Inputs go out in batches of ``batch_size`` (async: ``max_concurrency`` batches at a time); a
    batch the server calls too large is split in halves and sent again. Vectors come back in input
    order, as base64 on the wire where the server supports it.

    Example::

        from langchain_core.vectorstores import InMemoryVectorStore
        from langchain_gloo_gravix import GravixLayerEmbeddings

        store = InMemoryVectorStore.from_texts(["Gloo tokens last an hour."], GravixLayerEmbeddings())
        store.similarity_search("How long do tokens last?", k=1)
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=(), extra="forbid")

    model: Optional[str] = Field(default=None, alias="model_name")
    """Embedding model id; env GRAVIXLAYER_EMBEDDING_MODEL or microsoft/multilingual-e5-large when None."""
    base_url: Optional[str] = None
    """The .../v1/inference prefix; env GRAVIXLAYER_BASE_URL or the public URL when None."""
    api_key: Optional[SecretStr] = None
    timeout: Any = None
    """Seconds or an ``httpx.Timeout``; finite by default (connect 10 s, read 120 s)."""
    max_retries: int = Field(default=2, ge=0)
    """Retries for 408/409/429/5xx and connection errors, in one layer (the core's)."""
    batch_size: int = Field(default=DEFAULT_EMBEDDING_BATCH_SIZE, ge=1, alias="chunk_size")
    """Inputs per request (``chunk_size`` as in OpenAIEmbeddings)."""
    max_concurrency: int = Field(default=DEFAULT_EMBEDDING_CONCURRENCY, ge=1)
    """Batches in flight at once in ``aembed_documents``."""
    encoding_format: Literal["base64", "float"] = "base64"
    """Wire encoding; base64 falls back to float by itself when a server ignores or refuses it."""
    user: Optional[str] = None
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra top-level request fields, sent on every call."""
    default_headers: Optional[dict[str, str]] = Field(default=None, repr=False)
    http_client: Any = Field(default=None, exclude=True, repr=False)
    """An ``httpx.Client`` for sync calls (yours to close)."""
    http_async_client: Any = Field(default=None, exclude=True, repr=False)
    """An ``httpx.AsyncClient`` for async calls (yours to close)."""

    _clients: "ClientCache" = PrivateAttr(default_factory=_new_cache)

    @model_validator(mode="after")
    def _fill_from_environment(self) -> "GravixLayerEmbeddings":
        if self.api_key is None:
            found = env_credentials(GRAVIX).get("api_key")
            if found:
                self.api_key = SecretStr(found)
        self.base_url = resolve_base_url(GRAVIX, self.base_url)
        self.model = resolve_embedding_model(GRAVIX, self.model)
        return self

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "GRAVIXLAYER_API_KEY"}

    # -- clients ------------------------------------------------------------------------------

    def _settings(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "api_key": self.api_key,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "default_headers": dict(self.default_headers or {}),
        }

    def _key(self, http_client: Any) -> Any:
        from llama_index_ext._clients import settings_key

        return (settings_key({**self._settings(), "api_key": self.api_key and self.api_key.get_secret_value()}), id(http_client))

    def _get_client(self) -> "Client":
        from .core import Client

        return self._clients.sync(self._key(self.http_client), lambda: Client(GRAVIX, http_client=self.http_client, **self._settings()))

    def _get_async_client(self) -> "AsyncClient":
        from .core import AsyncClient

        return self._clients.async_(
            self._key(self.http_async_client),
            lambda: AsyncClient(GRAVIX, http_client=self.http_async_client, **self._settings()),
        )

    def close(self) -> None:
        """Close the sync connection pool (async pools close with ``aclose``)."""
        self._clients.close()

    async def aclose(self) -> None:
        await self._clients.aclose()

    def _options(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "batch_size": self.batch_size,
            "encoding_format": self.encoding_format,
            "user": self.user,
            "extra_body": self.model_kwargs or None,
        }

    # -- Embeddings ---------------------------------------------------------------------------

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        try:
            return self._get_client().embed(texts, **self._options()).vectors
        except GlooGravixError as error:
            raise to_langchain_error(error) from error

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        try:
            result = await self._get_async_client().embed(texts, concurrency=self.max_concurrency, **self._options())
        except GlooGravixError as error:
            raise to_langchain_error(error) from error
        return result.vectors

    async def aembed_query(self, text: str) -> list[float]:
        return (await self.aembed_documents([text]))[0]
