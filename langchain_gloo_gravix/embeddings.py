"""LangChain embeddings: ``GravixLayerEmbeddings`` on the core client's ``embed()``.

A thin adapter: batching, split-and-retry, base64 decoding, retries, timeouts and
errors all live in the core (``core/embeddings.py`` decides, ``Client.embed`` sends).
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, ClassVar, Literal, Optional, Union

from langchain_core.embeddings import Embeddings
from pydantic import AliasChoices, ConfigDict, Field, SecretStr, model_validator

from ._lc_errors import mapped_errors
from .core import GRAVIX, resolve_base_url, resolve_embedding_model
from .core.checked_model import CheckedSettings
from .core.client_cache import ClientOwner, ClientSpec, headers_key
from .core.credentials import resolve_credentials
from .core.embeddings import DEFAULT_EMBEDDING_BATCH_SIZE, DEFAULT_EMBEDDING_CONCURRENCY
from .core.secret_input import SecretInput

__all__ = ["GravixLayerEmbeddings"]


class GravixLayerEmbeddings(CheckedSettings, ClientOwner, Embeddings):
    """Gravix Layer embeddings (OpenAI-compatible ``/embeddings``) for LangChain.

    Same words and rules as ``ChatGravixLayer``: ``api_key`` (else env GRAVIXLAYER_API_KEY, read and
    checked at construction), ``base_url`` (else env GRAVIXLAYER_BASE_URL), ``timeout`` (seconds, a
    ``(connect, read)`` pair or an ``httpx.Timeout``), ``max_retries``, ``default_headers`` (never shown
    or serialised), ``http_client`` / ``http_async_client``; bad values fail at construction without
    showing them. An unknown constructor argument goes to ``model_kwargs`` (and the request body) with
    a warning; one that looks like a misspelt option raises, naming the option. ``model`` defaults to
    env GRAVIXLAYER_EMBEDDING_MODEL, else ``microsoft/multilingual-e5-large``.

    Inputs go out in batches of ``batch_size`` (async: ``max_concurrency`` batches at a time); a
    batch the server calls too large is split in halves and sent again. Vectors come back in input
    order, as base64 on the wire where the server supports it.

    Example::

        from langchain_core.vectorstores import InMemoryVectorStore
        from langchain_gloo_gravix import GravixLayerEmbeddings

        store = InMemoryVectorStore.from_texts(["Gloo tokens last an hour."], GravixLayerEmbeddings())
        store.similarity_search("How long do tokens last?", k=1)
    """

    # hide_input_in_errors: a ValidationError would otherwise print every constructor argument, secrets included.
    model_config = ConfigDict(
        populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=(), hide_input_in_errors=True
    )
    # OpenAIEmbeddings' argument names mean the same here, or are refused with a pointer (core/incumbent_names.py)
    incumbent: ClassVar[Optional[str]] = "OpenAIEmbeddings"

    # validation_alias, not alias: a type checker (PEP 681) names the constructor's parameter after
    # `alias`; `model=` and `batch_size=` are the documented words, the OpenAIEmbeddings names work too
    model: Optional[str] = Field(
        default=None, validation_alias=AliasChoices("model", "model_name"), serialization_alias="model_name"
    )
    """Embedding model id; env GRAVIXLAYER_EMBEDDING_MODEL or microsoft/multilingual-e5-large when None."""
    base_url: Optional[str] = None
    """The .../v1/inference prefix; env GRAVIXLAYER_BASE_URL or the public URL when None."""
    api_key: Optional[Union[SecretInput, Callable[[], str], Callable[[], Awaitable[str]]]] = None
    """Bearer key (also ``openai_api_key=``): a str/SecretStr, or a sync or async callable called per request;
    env GRAVIXLAYER_API_KEY when None. Never shown or serialised."""
    proxy: Optional[str] = Field(default=None, exclude=True, repr=False)
    """Proxy URL for every request (also ``openai_proxy=``); not with ``http_client``. Never shown or serialised."""
    timeout: Any = None
    """Seconds, a ``(connect, read)`` pair or an ``httpx.Timeout``; finite by default (connect 10 s, read 120 s)."""
    max_retries: int = 2
    """Retries for 408/409/429/5xx and connection errors, in one layer (the core's)."""
    batch_size: int = Field(
        default=DEFAULT_EMBEDDING_BATCH_SIZE,
        ge=1,
        validation_alias=AliasChoices("batch_size", "chunk_size"),
        serialization_alias="chunk_size",
    )
    """Inputs per request (``chunk_size`` as in OpenAIEmbeddings)."""
    max_concurrency: int = Field(default=DEFAULT_EMBEDDING_CONCURRENCY, ge=1)
    """Batches in flight at once in ``aembed_documents``."""
    encoding_format: Literal["base64", "float"] = "base64"
    """Wire encoding; base64 falls back to float by itself when a server ignores or refuses it."""
    user: Optional[str] = None
    dimensions: Optional[int] = Field(default=None, ge=1)
    """Vector length to ask for (OpenAI's ``dimensions``; for models that can shorten their vectors).
    A vector of another length is an error, not passed on."""
    check_embedding_ctx_length: bool = True
    """Split inputs longer than the model's window, embed the pieces and combine them into one
    length-weighted, unit-length vector (as OpenAIEmbeddings does); False sends every input whole."""
    embedding_ctx_length: Optional[int] = Field(default=None, ge=1)
    """The model's window in tokens; None: the window known for the model (multilingual-e5: 512), and no
    split for a model whose window is unknown."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra top-level request fields, sent on every call."""
    default_headers: Optional[dict[str, str]] = Field(default=None, exclude=True, repr=False)
    """Sent with every request. Never shown in repr or serialised (gateways put credentials here)."""
    http_client: Any = Field(default=None, exclude=True, repr=False)
    """An ``httpx.Client`` for sync calls (yours to close)."""
    http_async_client: Any = Field(default=None, exclude=True, repr=False)
    """An ``httpx.AsyncClient`` for async calls (yours to close)."""

    # -- configuration: the chat models' rules (see _ChatGlooGravixBase) -----------------------

    @model_validator(mode="after")
    def _fill_from_environment(self) -> "GravixLayerEmbeddings":
        # The core's one credential rule (core/credentials.py), checked now; a key taken from the
        # environment is stored, as ChatGravixLayer does, so that a copy uses what the calls would.
        creds = resolve_credentials(GRAVIX, api_key=self.api_key)
        if creds.kind == "static" and self.api_key is None:
            self.api_key = SecretStr(creds.api_key or "")
        self.base_url = resolve_base_url(GRAVIX, self.base_url)
        self.model = resolve_embedding_model(GRAVIX, self.model)
        return self

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "GRAVIXLAYER_API_KEY"}

    # -- clients ------------------------------------------------------------------------------

    def _client_spec(self, *, sync: bool) -> ClientSpec:
        return ClientSpec(
            GRAVIX,
            base_url=self.base_url,
            api_key=self.api_key,
            timeout=self.timeout,
            max_retries=self.max_retries,
            default_headers=headers_key(self.default_headers),
            http_client=self.http_client if sync else self.http_async_client,
            proxy=self.proxy,
        )

    def _options(self, chunk_size: Optional[int] = None) -> dict[str, Any]:
        if chunk_size is not None and (
            isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
        ):
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        return {
            "model": self.model,
            "batch_size": chunk_size or self.batch_size,
            "encoding_format": self.encoding_format,
            "user": self.user,
            "extra_body": self.model_kwargs or None,
            "dimensions": self.dimensions,
            "ctx_length": self.embedding_ctx_length,
            "split_long": self.check_embedding_ctx_length,
        }

    # -- Embeddings ---------------------------------------------------------------------------

    def embed_documents(self, texts: list[str], chunk_size: Optional[int] = None) -> list[list[float]]:
        """Vectors of ``texts`` in order; ``chunk_size`` overrides ``chunk_size``/``batch_size`` for this call."""
        with mapped_errors:
            return self._sync_client().embed(texts, **self._options(chunk_size)).vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str], chunk_size: Optional[int] = None) -> list[list[float]]:
        with mapped_errors:
            result = await self._async_client().embed(
                texts, concurrency=self.max_concurrency, **self._options(chunk_size)
            )
        return result.vectors

    async def aembed_query(self, text: str) -> list[float]:
        return (await self.aembed_documents([text]))[0]
