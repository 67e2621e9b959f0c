"""Inputs longer than an embedding model's window: split, embedded, combined (OpenAIEmbeddings' habit).

An embedding model reads a fixed number of tokens (``microsoft/multilingual-e5-large``: 512, its model
card; docs/providers.md#embeddings); a longer text is truncated by the server, or refused, so its tail
never counts. ``OpenAIEmbeddings`` (``check_embedding_ctx_length=True``) instead splits such a text into
window-sized pieces, embeds each, and averages them weighted by length, re-normalised; ours does the
same, without a tokenizer:

- **the bound never overshoots**: a token covers at least one UTF-8 byte in every tokenizer family these
  models use (WordPiece and SentencePiece pieces are whole characters, byte-level BPE pieces whole bytes),
  so a piece of ``window - RESERVED`` bytes is at most ``window`` tokens with the special tokens the
  tokenizer adds (``[CLS]``/``[SEP]``, ``<s>``/``</s>``, SentencePiece's leading ``▁``). ASCII text is
  cut at about the true limit; CJK text (3 bytes a character) into smaller pieces than needed, which
  costs requests, never content;
- pieces end at whitespace where a word fits, inside a word (at a character boundary) only when one
  word is longer than a piece;
- the combined vector is the byte-length-weighted mean of the pieces' vectors, scaled to unit length.

Pure; used by :class:`~langchain_gloo_gravix.core.embeddings.EmbeddingCall`.
"""

from __future__ import annotations

import math
import re
from typing import Optional, Sequence

__all__ = ["RESERVED", "WINDOWS", "window_for", "split_text", "combine"]

#: token slots a tokenizer adds around a text (two special tokens, a prefix marker) and a margin
RESERVED = 4

#: input windows in tokens, from the models' cards (lower-case ids; a provider prefix is ignored)
WINDOWS: dict[str, int] = {
    "multilingual-e5-large": 512,
    "multilingual-e5-large-instruct": 512,
    "multilingual-e5-base": 512,
    "multilingual-e5-small": 512,
    "all-minilm-l6-v2": 256,
    "bge-large-en-v1.5": 512,
    "bge-m3": 8192,
    "nomic-embed-text": 8192,
    "nomic-embed-text-v1.5": 8192,
    "mxbai-embed-large": 512,
}

_WORD = re.compile(r"\s*\S+\s*|\s+")


def window_for(model: str) -> Optional[int]:
    """The model's window in tokens, or None when unknown (then nothing is split)."""
    name = model.strip().lower()
    return WINDOWS.get(name) or WINDOWS.get(name.rsplit("/", 1)[-1].split(":", 1)[0])


def _cut(word: str, limit: int) -> list[str]:
    """``word`` in slices of at most ``limit`` UTF-8 bytes, at character boundaries."""
    slices, start, size = [], 0, 0
    for i, char in enumerate(word):
        width = len(char.encode("utf-8"))
        if size + width > limit:
            slices.append(word[start:i])
            start, size = i, 0
        size += width
    slices.append(word[start:])
    return slices


def split_text(text: str, window: int) -> list[str]:
    """``text`` as pieces that each fit ``window`` tokens (see the module docstring); ``[text]`` when it fits."""
    limit = max(window - RESERVED, 1)
    if len(text) * 4 <= limit or len(text.encode("utf-8")) <= limit:  # the common case, without a split
        return [text]
    pieces: list[str] = []
    current, size = "", 0
    for match in _WORD.finditer(text):
        word = match.group()
        width = len(word.encode("utf-8"))
        if size + width <= limit:
            current, size = current + word, size + width
            continue
        if current.strip():
            pieces.append(current)
        current, size = "", 0
        if width <= limit:
            current, size = word, width
        else:
            *whole, rest = _cut(word, limit)
            pieces.extend(whole)
            current, size = rest, len(rest.encode("utf-8"))
    if current.strip() or not pieces:
        pieces.append(current)
    return pieces


def combine(vectors: Sequence[Sequence[float]], weights: Sequence[int]) -> list[float]:
    """The weighted mean of ``vectors``, scaled to unit length (unscaled when it is the zero vector)."""
    total = float(sum(weights))
    mean = [sum(w * v[i] for v, w in zip(vectors, weights)) / total for i in range(len(vectors[0]))]
    norm = math.sqrt(sum(x * x for x in mean))
    return [x / norm for x in mean] if norm > 0 else mean
