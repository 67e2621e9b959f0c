"""Gloo grounded citations as LangChain ``Citation`` annotations (``output_version="v1"``).

The citation shape of Gloo's grounded route is unpublished (docs/providers.md#grounded),
so ``response_metadata["grounding"]["citations"]`` always holds them verbatim;
this module only *adds* standard annotations on the text block, for the entries
that are objects with at least a url, a title or a cited text, using only the
fields actually present. Anything else (strings, nested lists, unknown keys)
stays in the metadata alone; unknown keys of a usable entry go to ``extras``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional, TypeVar

from langchain_core.messages import AIMessage

if TYPE_CHECKING:  # loaded by sources_as_documents, not by the package import
    from langchain_core.documents import Document

__all__ = ["citation_annotations", "with_citation_annotations", "sources_as_documents"]

M = TypeVar("M", bound=AIMessage)

# Citation field <- the keys that plausibly carry it, first present wins.
_STRING_FIELDS = {
    "url": ("url", "source_url", "link"),
    "title": ("title", "source_title"),
    "cited_text": ("cited_text", "snippet", "quote", "text"),
}
_INDEX_FIELDS = ("start_index", "end_index")


def _annotation(entry: Mapping[str, Any]) -> Optional[dict[str, Any]]:
    annotation: dict[str, Any] = {"type": "citation"}
    used: set[str] = set()
    for field, keys in _STRING_FIELDS.items():
        for key in keys:
            value = entry.get(key)
            if isinstance(value, str) and value:
                annotation[field] = value
                used.add(key)
                break
    if len(annotation) == 1:
        return None  # nothing a Citation can say
    for key in _INDEX_FIELDS:
        value = entry.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            annotation[key] = value
            used.add(key)
    extras = {k: v for k, v in entry.items() if k not in used}
    if extras:
        annotation["extras"] = extras
    return annotation


def citation_annotations(citations: Any) -> list[dict[str, Any]]:
    """``Citation`` annotations for the usable entries of ``citations`` (any shape)."""
    if not isinstance(citations, list):
        return []
    found = (_annotation(entry) for entry in citations if isinstance(entry, Mapping))
    return [annotation for annotation in found if annotation is not None]


def with_citation_annotations(message: M, *, index: Optional[str] = None) -> M:
    """``message`` with its text as one text block carrying the citations, when it
    has grounding citations a ``Citation`` can express; else ``message`` itself.

    Used only with ``output_version="v1"``; LangChain then converts the content
    to standard blocks and keeps this block (annotations included) as it is.
    """
    grounding = message.response_metadata.get("grounding")
    if not isinstance(grounding, Mapping) or not isinstance(message.content, str):
        return message
    annotations = citation_annotations(grounding.get("citations"))
    if not annotations:
        return message
    block: dict[str, Any] = {"type": "text", "text": message.content, "annotations": annotations}
    if index is not None:
        # a stream's closing chunk: annotate the streamed text block (merged by index), not a new one
        block["index"] = index
    return message.model_copy(update={"content": [block]})


def sources_as_documents(message: Any) -> list[Document]:
    """The cited sources of a Gloo grounded answer as LangChain ``Document`` s.

    ``message``: the ``AIMessage`` (or the merged stream's ``AIMessageChunk``) of a ``ChatGloo(grounded=True,
    include_citations=True)`` call, or its ``response_metadata``. Each citation that has some text, a title
    or a url becomes one document: ``page_content`` is the cited text, ``metadata`` holds ``title``, ``url``
    (also as ``source``, LangChain's usual key), ``publisher`` and every other key the citation carried.
    An answer without grounding or citations gives ``[]``.
    """
    from langchain_core.documents import Document

    from .core.sources import cited_sources, grounding_of

    metadata = message if isinstance(message, Mapping) else getattr(message, "response_metadata", None)
    return [
        Document(page_content=source.text, metadata=source.metadata())
        for source in cited_sources(grounding_of(metadata))
    ]
