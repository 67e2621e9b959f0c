"""The result side of Gloo grounded completions: ``Grounding`` and stream collection.

Answers of the grounded route add ``sources_returned`` (bool) and ``citations``
(docs/providers.md#grounded). The shape of ``citations`` is not published, so it is kept
exactly as received and read only where it is there. ``ChatCompletion.grounding``
(wire.py) and the stream accumulator (accumulator.py) use this module.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from pydantic import BaseModel, ConfigDict

from .grounding import GROUNDING_FIELDS

__all__ = ["Grounding", "grounding_from_chunk"]


class Grounding(BaseModel):
    """What a grounded answer says about its sources; unknown fields are kept.

    ``citations`` is whatever the server sent (a list of objects, of strings, an
    object, ...), untouched; ``None`` when it sent none (citations are off unless
    ``include_citations=True``).
    """

    model_config = ConfigDict(extra="allow", defer_build=True)

    sources_returned: Optional[bool] = None
    citations: Any = None

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Optional["Grounding"]:
        """The grounding fields of a response or chunk, or None when it has none."""
        found = {key: payload[key] for key in GROUNDING_FIELDS if key in payload}
        if not found:
            return None
        sources = found.get("sources_returned")
        if sources is not None and not isinstance(sources, bool):
            # kept verbatim as an extra field: a typed bool must not lie about it
            found["sources_returned_raw"] = found.pop("sources_returned")
        return cls.model_validate(found)

    def as_dict(self) -> dict[str, Any]:
        """``{"sources_returned": ..., "citations": [...]}`` plus any unknown fields.

        Absent citations become ``[]``; any other value is returned as received.
        """
        out: dict[str, Any] = {
            "sources_returned": self.sources_returned,
            "citations": [] if self.citations is None else self.citations,
        }
        out.update(self.model_extra or {})
        return out


def grounding_from_chunk(chunk: Mapping[str, Any], collected: dict[str, Any]) -> Optional[Grounding]:
    """Collect one stream chunk's grounding fields into ``collected`` (raw, as received).

    Returns the grounding so far when this chunk carried any, else None. A later
    ``null`` does not erase a value an earlier chunk sent. Called for every chunk,
    so the common case (no grounding fields) costs two dict lookups.
    """
    if "sources_returned" not in chunk and "citations" not in chunk:
        return None
    for key in GROUNDING_FIELDS:
        if key in chunk and (chunk[key] is not None or key not in collected):
            collected[key] = chunk[key]
    return Grounding.from_payload(collected)
