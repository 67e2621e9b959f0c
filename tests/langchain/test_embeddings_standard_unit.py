"""langchain-tests EmbeddingsUnitTests for GravixLayerEmbeddings."""

from __future__ import annotations

from typing import Any

from langchain_tests.unit_tests import EmbeddingsUnitTests

from langchain_gloo_gravix import GravixLayerEmbeddings


class TestGravixLayerEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[GravixLayerEmbeddings]:
        return GravixLayerEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "microsoft/multilingual-e5-large", "base_url": "http://127.0.0.1:8787/v1/inference"}

    @property
    def init_from_env_params(self) -> tuple[dict, dict, dict]:
        return (
            {
                "GRAVIXLAYER_API_KEY": "env-gravix-key",
                "GRAVIXLAYER_BASE_URL": "http://gravix.local/v1/inference",
                "GRAVIXLAYER_EMBEDDING_MODEL": "env-embedding-model",
            },
            {},
            {
                "api_key": "env-gravix-key",
                "base_url": "http://gravix.local/v1/inference",
                "model": "env-embedding-model",
            },
        )
