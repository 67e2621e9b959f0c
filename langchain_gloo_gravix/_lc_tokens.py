"""Token counting that needs no extra install.

By default the count is an **estimate**: about four bytes of UTF-8 per token,
which is what BPE tokenizers average on English text and errs on the high side
for other scripts (safe for trimming a history to fit). The precise path is
taken when a tokenizer is at hand: the user's ``custom_get_token_ids``, else
``tiktoken`` when it is installed *and* its encoding is already on disk.
Counting never starts a download: tiktoken fetches encodings over HTTP without a
timeout, and a token count must not hang on the network.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from typing import Any, Callable, Optional, Sequence

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.utils.function_calling import convert_to_openai_tool

__all__ = ["estimate_tokens", "tiktoken_encoder", "count_message_tokens", "TokenCounting"]

_BYTES_PER_TOKEN = 4
# OpenAI's accounting for chat formatting: tokens per message and for the reply priming.
_PER_MESSAGE = 4
_REPLY_PRIMING = 3
_ENCODING = "o200k_base"
_ENCODING_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"


def estimate_tokens(text: str) -> int:
    """An estimate of the tokens in ``text``: ceil(UTF-8 bytes / 4)."""
    if not text:
        return 0
    return -(-len(text.encode("utf-8")) // _BYTES_PER_TOKEN)


def _tiktoken_cache_path() -> Optional[str]:
    # tiktoken's own cache layout (tiktoken/load.py read_file_cached)
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        directory = os.environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in os.environ:
        directory = os.environ["DATA_GYM_CACHE_DIR"]
    else:
        directory = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if not directory:
        return None
    return os.path.join(directory, hashlib.sha1(_ENCODING_URL.encode()).hexdigest())


@functools.lru_cache(maxsize=1)
def tiktoken_encoder() -> Optional[Callable[[str], list[int]]]:
    """tiktoken's ``encode`` when tiktoken and its encoding are available offline, else None."""
    try:
        import tiktoken
    except ImportError:
        return None
    path = _tiktoken_cache_path()
    if path is None or not os.path.exists(path):
        return None
    try:
        encoding = tiktoken.get_encoding(_ENCODING)
    except Exception:  # a corrupt cache file or a changed tiktoken layout: estimate instead
        return None
    return encoding.encode


def _message_text(message: BaseMessage) -> str:
    parts = [message.type, message.text]
    name = getattr(message, "name", None)
    if name:
        parts.append(name)
    if isinstance(message, AIMessage) and message.tool_calls:
        parts.append(
            json.dumps([{"name": c["name"], "args": c["args"]} for c in message.tool_calls], ensure_ascii=False)
        )
    return "\n".join(parts)


def count_message_tokens(
    count: Callable[[str], int], messages: Sequence[BaseMessage], tools: Optional[Sequence[dict[str, Any]]] = None
) -> int:
    """Tokens of a chat request: each message's role, text, name and tool calls,
    OpenAI's per-message overhead, and the JSON of the tool schemas."""
    total = sum(_PER_MESSAGE + count(_message_text(m)) for m in messages) + _REPLY_PRIMING
    if tools:
        total += count(json.dumps(list(tools), ensure_ascii=False))
    return total


class TokenCounting:
    """``BaseLanguageModel``'s token methods, without the ``transformers`` requirement.

    A mixin for the chat models (listed before ``BaseChatModel``); it reads the
    framework's ``custom_get_token_ids`` field.
    """

    custom_get_token_ids: Optional[Callable[[str], list[int]]]

    def _token_counter(self) -> Callable[[str], int]:
        """Precise when a tokenizer is at hand (``custom_get_token_ids``, or tiktoken
        with its encoding on disk), else the dependency-free estimate."""
        ids = self.custom_get_token_ids
        if ids is not None:
            return lambda text: len(ids(text))
        encode = tiktoken_encoder()
        if encode is not None:
            return lambda text: len(encode(text))
        return estimate_tokens

    def get_token_ids(self, text: str) -> list[int]:
        """Token ids from ``custom_get_token_ids`` or tiktoken; without either there
        are no ids to give (counts still work: ``get_num_tokens`` estimates)."""
        if self.custom_get_token_ids is None:
            encode = tiktoken_encoder()
            if encode is not None:
                return encode(text)
        return super().get_token_ids(text)  # type: ignore[misc]

    def get_num_tokens(self, text: str) -> int:
        """Tokens in ``text``: exact with a tokenizer, otherwise an estimate (~4 bytes a token)."""
        return self._token_counter()(text)

    def get_num_tokens_from_messages(self, messages: list[BaseMessage], tools: Optional[Sequence[Any]] = None) -> int:
        """Tokens of a request (messages, their tool calls, and ``tools``' schemas); an
        estimate unless a tokenizer is at hand. Works as ``trim_messages(token_counter=llm)``."""
        schemas = [convert_to_openai_tool(tool) for tool in tools] if tools else None
        return count_message_tokens(self._token_counter(), messages, schemas)
