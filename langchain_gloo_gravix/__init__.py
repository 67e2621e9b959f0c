"""LangChain chat models for Gloo AI (v1, v2) and Gravix Layer, and Gravix Layer embeddings.

``ChatGloo``, ``ChatGravixLayer`` and ``GravixLayerEmbeddings`` are imported lazily, so that
``import langchain_gloo_gravix.core`` never pulls in langchain_core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "ChatGloo",
    "ChatGravixLayer",
    "GravixLayerEmbeddings",
    "init_chat_model",
    "CostCallbackHandler",
    "get_cost_callback",
    "sources_as_documents",
    "__version__",
]
__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from ._lc_grounding import sources_as_documents
    from .callbacks import CostCallbackHandler, get_cost_callback
    from .chat_models import ChatGloo, ChatGravixLayer
    from .embeddings import GravixLayerEmbeddings
    from .factory import init_chat_model


def __getattr__(name: str) -> Any:
    if name in ("ChatGloo", "ChatGravixLayer"):
        from . import chat_models

        return getattr(chat_models, name)
    if name == "GravixLayerEmbeddings":
        from .embeddings import GravixLayerEmbeddings

        return GravixLayerEmbeddings
    if name in ("CostCallbackHandler", "get_cost_callback"):
        from . import callbacks

        return getattr(callbacks, name)
    if name == "sources_as_documents":
        from ._lc_grounding import sources_as_documents

        return sources_as_documents
    if name == "init_chat_model":
        from .factory import init_chat_model

        return init_chat_model
    raise AttributeError(f"module 'langchain_gloo_gravix' has no attribute {name!r}")
