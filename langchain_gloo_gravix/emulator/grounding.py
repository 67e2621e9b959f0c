"""Grounded completions (``POST /ai/v2/chat/completions/grounded``, docs/providers.md#grounded).

Publishers are named document collections; ``GlooGrounded`` (the server's
default ``rag_publisher``) holds the built-in corpus (corpus.py). Retrieval is
by word overlap between the last user message and each document, so results
are deterministic and easy to reason about in tests.

What the real service sends as ``citations`` is unpublished. The emulator sends
a plausible shape, ``[{"source_id", "title", "url", "snippet", "publisher"}]``,
only when ``include_citations`` is true (docs/providers.md#grounded); clients must keep whatever
arrives verbatim. ``sources_returned`` is false when nothing matches, and the
answer is still generated (docs/providers.md#grounded).
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any, Iterable

from . import errors
from .corpus import DEFAULT_PUBLISHER, default_corpus
from .model import Reply, apply_limits
from .prompt import Prompt, count_pieces

__all__ = [
    "DEFAULT_PUBLISHER",
    "DEFAULT_SOURCES_LIMIT",
    "Publishers",
    "load_jsonl",
    "validate_grounded",
    "grounded_answer",
    "citations",
    "prepare_body",
    "ground",
]

DEFAULT_SOURCES_LIMIT = 5  # the real default is unpublished [Inf]
DEFAULT_MESSAGES = [{"role": "user", "content": "Hello world!"}]  # messages omitted (docs/providers.md#grounded)
_SNIPPET_CHARS = 200

_WORD = re.compile(r"[a-z0-9']+")
_SUFFIXES = ("ness", "eth", "ing", "ed", "en", "es", "s")
_STOPWORDS = frozenset(
    "a an and are as at be but by can do does did for from had has hath have he her him his how i if in into is it "
    "its me my no not of on or our say says said shall should so than that the thee their them then there these they "
    "thine this those thou thy to unto up us was we were what when where which who whom why will with ye yea you "
    "your about tell bible verse verses".split()
)


def _stem(word: str) -> str:
    # Crude on purpose: "forgiveness", "forgive", "forgiving" and "forgiven" meet at "forgiv".
    word = word.strip("'")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def terms(text: str) -> set[str]:
    """The content-word stems of ``text``."""
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and len(w) > 1}


def _document(raw: Any, publisher: str, n: int) -> dict:
    if isinstance(raw, str):
        raw = {"text": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or not raw["text"].strip():
        raise ValueError(f"document {n} of publisher {publisher!r} needs a non-empty 'text' string, got {raw!r}")
    doc_id = str(raw.get("id") or f"{publisher.lower()}-{n}")
    return {
        "id": doc_id,
        "title": str(raw.get("title") or doc_id),
        "text": raw["text"].strip(),
        "url": raw.get("url"),
        "terms": terms(f"{raw.get('title') or ''} {raw['text']}"),
    }


class Publishers:
    """Thread-safe registry of publisher name -> documents."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._docs: dict[str, list[dict]] = {}
        self.register(DEFAULT_PUBLISHER, default_corpus())

    def register(self, name: str, documents: Iterable[Any]) -> int:
        """Add (or replace) a publisher; documents are strings or dicts with ``text``
        and optional ``id``, ``title``, ``url``. Returns the number of documents."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"publisher name must be a non-empty string, got {name!r}")
        docs = [_document(raw, name, n) for n, raw in enumerate(documents, 1)]
        if not docs:
            raise ValueError(f"publisher {name!r} needs at least one document")
        with self._lock:
            self._docs[name.strip()] = docs
        return len(docs)

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._docs)

    def get(self, name: str) -> list[dict] | None:
        with self._lock:
            return self._docs.get(name)

    def search(self, name: str, query: str, limit: int) -> list[dict]:
        """Up to ``limit`` documents sharing the most words with ``query`` (ties: corpus order)."""
        wanted = terms(query)
        scored = [(len(wanted & doc["terms"]), i, doc) for i, doc in enumerate(self.get(name) or ())]
        hits = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))
        return [doc for _, _, doc in hits[:limit]]


def load_jsonl(path: str | Path) -> list[Any]:
    """Documents from a JSON-lines file: one object (``{"text": ...}``) or string per line."""
    docs = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                docs.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: not JSON: {exc}") from None
    return docs


def validate_grounded(body: dict, publishers: Publishers, request_id: str) -> tuple[int, dict] | None:
    """The grounded route's own fields (the v2 rules are checked separately).

    Field errors are FastAPI 422s like the other v2 fields (docs/providers.md#errors); an
    unknown publisher is a 400 AI Error Object [Inf: the real answer is unknown].
    """
    found = []
    limit = body.get("sources_limit")
    if limit is not None:
        if not isinstance(limit, int) or isinstance(limit, bool):
            found.append(errors.type_error(["body", "sources_limit"], "int_type", limit))
        elif limit < 1:
            found.append(errors.bound_error(["body", "sources_limit"], "ge", 1, limit))
        elif limit > 10:
            found.append(errors.bound_error(["body", "sources_limit"], "le", 10, limit))
    publisher = body.get("rag_publisher")
    if publisher is not None and not isinstance(publisher, str):
        found.append(errors.type_error(["body", "rag_publisher"], "string_type", publisher))
    for key in ("include_citations", "parallel_tool_calls"):
        value = body.get(key)
        if value is not None and not isinstance(value, bool):
            found.append(errors.type_error(["body", key], "bool_type", value))
    if found:
        return 422, errors.fastapi_detail(found)
    name = publisher or DEFAULT_PUBLISHER
    if publishers.get(name) is None:
        return 400, errors.gloo_ai_error(400, f"Unknown rag_publisher '{name}'", request_id)
    return None


def citations(sources: list[dict], publisher: str) -> list[dict]:
    """The emulator's citation shape (the real one is unpublished)."""
    out = []
    for doc in sources:
        snippet = doc["text"] if len(doc["text"]) <= _SNIPPET_CHARS else doc["text"][: _SNIPPET_CHARS - 3] + "..."
        out.append(
            {
                "source_id": doc["id"],
                "title": doc["title"],
                "url": doc["url"],
                "snippet": snippet,
                "publisher": publisher,
            }
        )
    return out


def grounded_answer(sources: list[dict], publisher: str, ungrounded: str) -> str:
    """The answer text: built from the best source, or the ordinary reply plus a note."""
    if not sources:
        return f"{ungrounded} (No sources matched in {publisher}; this answer is not grounded.)"
    best = sources[0]
    more = f" See also: {', '.join(d['title'] for d in sources[1:3])}." if len(sources) > 1 else ""
    return f'From {publisher}, {best["title"]}: "{best["text"]}"{more}'


def prepare_body(body: Any, request_id: str) -> tuple[int, dict] | None:
    """Omitted ``messages`` default to "Hello world!", ``[]`` is a 400 (docs/providers.md#grounded)."""
    if isinstance(body, dict) and "messages" not in body:
        body["messages"] = [dict(m) for m in DEFAULT_MESSAGES]
    elif isinstance(body, dict) and body.get("messages") == []:
        return 400, errors.gloo_ai_error(400, "messages must not be empty", request_id)
    return None


def ground(body: dict, reply: Reply, publishers: Publishers) -> dict:
    """Retrieve for the last user message, rewrite ``reply`` from the sources, and
    return the top-level fields the answer carries (``sources_returned``, ``citations``)."""
    publisher = body.get("rag_publisher") or DEFAULT_PUBLISHER
    limit = body.get("sources_limit") or DEFAULT_SOURCES_LIMIT
    sources = publishers.search(publisher, Prompt.from_messages(body["messages"]).last_user, limit)
    if reply.content is not None and not reply.tool_calls:
        text, finish = apply_limits(grounded_answer(sources, publisher, reply.content), body)
        reply.content, reply.finish_reason, reply.completion_tokens = text, finish, count_pieces(text)
    fields: dict = {"sources_returned": bool(sources)}
    if body.get("include_citations") is True:
        fields["citations"] = citations(sources, publisher)
    return fields
