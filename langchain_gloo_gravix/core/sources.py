"""The cited sources of a Gloo grounded answer, as plain records both frameworks turn into their objects.

The citation shape of Gloo's grounded route is unpublished (docs/providers.md#grounded),
so it is read leniently: each citation that is an object with some text, a title or a url becomes a
:class:`Source`; field names are looked up among the plausible spellings below (first present wins);
every other key of the entry is kept in ``extra``. Anything else (strings, nested lists) is left out
here and stays, verbatim, in the answer's ``grounding`` metadata.

LangChain turns these into ``Document`` objects (``sources_as_documents``), LlamaIndex into
``NodeWithScore`` source nodes and ``CitationBlock`` s (``llama_index_ext.sources``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

__all__ = ["Source", "FIELD_KEYS", "cited_sources", "grounding_of"]

#: Source field <- the citation keys that plausibly carry it, first present wins.
FIELD_KEYS: Mapping[str, tuple[str, ...]] = {
    "text": ("cited_text", "snippet", "quote", "text", "content"),
    "title": ("title", "source_title", "name"),
    "url": ("url", "source_url", "link", "uri"),
    "publisher": ("publisher", "rag_publisher", "source"),
    "id": ("source_id", "id", "document_id"),
}
_INDEX_KEYS = ("start_index", "end_index")


@dataclass(frozen=True)
class Source:
    """One cited source: what it says, where it is, who published it."""

    text: str = ""
    title: Optional[str] = None
    url: Optional[str] = None
    publisher: Optional[str] = None
    id: Optional[str] = None
    score: Optional[float] = None
    #: character offsets of the cited span in the answer, when the server gives them
    location: Mapping[str, int] = field(default_factory=dict)
    #: every other key of the citation, as received
    extra: Mapping[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        """The non-empty fields (and extras) as one flat dict; ``source`` repeats the url (LangChain's key)."""
        out: dict[str, Any] = dict(self.extra)
        for key in ("title", "url", "publisher", "id"):
            value = getattr(self, key)
            if value:
                out[key] = value
        if self.url:
            out["source"] = self.url
        out.update(self.location)
        return out


def _source(entry: Mapping[str, Any]) -> Optional[Source]:
    found: dict[str, Any] = {}
    used: set[str] = set()
    for name, keys in FIELD_KEYS.items():
        for key in keys:
            value = entry.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                found[name] = str(value)
                used.add(key)
                break
    if not any(found.get(name) for name in ("text", "title", "url")):
        return None
    location = {}
    for key in _INDEX_KEYS:
        value = entry.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            location[key] = value
            used.add(key)
    score = entry.get("score", entry.get("relevance"))
    if isinstance(score, (int, float)) and not isinstance(score, bool):
        used.update(k for k in ("score", "relevance") if k in entry)
    else:
        score = None
    extra = {k: v for k, v in entry.items() if k not in used}
    return Source(
        text=found.get("text", ""),
        title=found.get("title"),
        url=found.get("url"),
        publisher=found.get("publisher"),
        id=found.get("id"),
        score=float(score) if score is not None else None,
        location=location,
        extra=extra,
    )


def cited_sources(grounding: Any) -> list[Source]:
    """The usable citations of a grounding dict (``{"sources_returned", "citations"}``), in order."""
    citations = grounding.get("citations") if isinstance(grounding, Mapping) else None
    if not isinstance(citations, list):
        return []
    found = (_source(entry) for entry in citations if isinstance(entry, Mapping))
    return [source for source in found if source is not None]


def grounding_of(metadata: Any) -> Optional[Mapping[str, Any]]:
    """The ``grounding`` entry of an answer's metadata dict, if it has one."""
    grounding = metadata.get("grounding") if isinstance(metadata, Mapping) else None
    return grounding if isinstance(grounding, Mapping) else None
