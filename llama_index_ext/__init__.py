"""LlamaIndex LLMs for Gloo AI (Completions v1, v2) and Gravix Layer, and Gravix Layer embeddings.

``Gloo`` and ``GravixLayer`` are ``FunctionCallingLLM`` subclasses and ``GravixLayerEmbedding`` a
``BaseEmbedding``, all built on the framework-free core client in ``langchain_gloo_gravix.core``:
chat endpoint, tools, streaming usage, known context windows, batched embeddings and secret-safe
serialisation work without tuning. Each name loads its module on first use (PEP 562), so that
importing one does not import the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Gloo", "GravixLayer", "GravixLayerEmbedding", "CostEventHandler", "source_nodes", "citation_blocks"]

_LAZY = {
    "Gloo": "llms",
    "GravixLayer": "llms",
    "GravixLayerEmbedding": "embeddings",
    "CostEventHandler": "cost",
    "source_nodes": "sources",
    "citation_blocks": "sources",
}

if TYPE_CHECKING:  # pragma: no cover
    from .cost import CostEventHandler
    from .embeddings import GravixLayerEmbedding
    from .llms import Gloo, GravixLayer
    from .sources import citation_blocks, source_nodes


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
