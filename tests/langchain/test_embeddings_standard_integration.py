"""langchain-tests EmbeddingsIntegrationTests for GravixLayerEmbeddings, replayed from cassettes.

Recorded against the local emulator (``make record``) or the live service (``make record`` with
credentials); CI only replays (a missing interaction fails).
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests

from langchain_gloo_gravix import GravixLayerEmbeddings
from tests.support.backend import backend

pytestmark = pytest.mark.vcr


class TestGravixLayerEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[GravixLayerEmbeddings]:
        return GravixLayerEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        b = backend()
        return {"model": b.gravix_embedding_model, "base_url": b.gravix_base_url, "api_key": b.gravix_api_key}
