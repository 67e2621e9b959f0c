"""The cited sources of a Gloo grounded answer as LlamaIndex objects.

A ``Gloo(grounded=True, include_citations=True)`` answer (and the last chunk of its stream) carries
``additional_kwargs["grounding"]``; these helpers turn its citations (read leniently by
``langchain_gloo_gravix.core.sources``) into what RAG code renders:

- :func:`source_nodes`: ``NodeWithScore`` s wrapping ``TextNode`` s (text = the cited text, metadata =
  title, url, publisher and the citation's other keys), as a query engine's ``Response.source_nodes``;
- :func:`citation_blocks`: ``CitationBlock`` s (cited text, ``source`` = url or publisher, ``title``, the
  cited span's offsets), where the installed llama-index-core has that block (0.14 does; else ``[]``).

Example::

    from llama_index_ext import Gloo
    from llama_index_ext.sources import source_nodes

    answer = Gloo(grounded=True, include_citations=True).complete("What is grace?")
    for node in source_nodes(answer):
        print(node.node.metadata.get("title"), node.node.metadata.get("url"))
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Mapping

from llama_index.core.schema import NodeWithScore, TextNode

from langchain_gloo_gravix.core.sources import Source, cited_sources, grounding_of

__all__ = ["source_nodes", "citation_blocks"]


def _sources(response: Any) -> list[Source]:
    extra = response if isinstance(response, Mapping) else getattr(response, "additional_kwargs", None)
    return cited_sources(grounding_of(extra))


def _stable_id(source: Source) -> str:
    digest = hashlib.sha256("\x1f".join((source.url or "", source.title or "", source.text)).encode()).hexdigest()
    return str(uuid.UUID(digest[:32]))


def source_nodes(response: Any) -> list[NodeWithScore]:
    """Source nodes of a ``ChatResponse`` / ``CompletionResponse`` (or its ``additional_kwargs``); ``[]`` when ungrounded."""
    nodes = []
    for source in _sources(response):
        # the citation's own id, else one derived from what it cites: the same source gets the same node id
        # on every answer, so LlamaIndex's de-duplication by id works across calls
        node = TextNode(id_=source.id or _stable_id(source), text=source.text, metadata=source.metadata())
        nodes.append(NodeWithScore(node=node, score=source.score))
    return nodes


def citation_blocks(response: Any) -> list[Any]:
    """``CitationBlock`` s of a response's citations (``[]`` when llama-index-core has no such block)."""
    try:
        from llama_index.core.base.llms.types import CitationBlock
    except ImportError:  # llama-index-core before citation blocks
        return []
    return [
        CitationBlock(
            cited_content=source.text,
            source=source.url or source.publisher or source.id or "",
            title=source.title or "",
            additional_location_info=dict(source.location),
        )
        for source in _sources(response)
    ]
