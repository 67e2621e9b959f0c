"""Embeddings, pure: input checks, batching, bodies, response parsing and the split-and-retry decisions.

Gravix Layer serves OpenAI-style embeddings (docs/providers.md#embeddings): ``POST {base}/embeddings`` with
``{model, input, encoding_format, user}``. One :class:`EmbeddingCall` holds everything one
``embed()`` decides; the drivers (``Client.embed`` / ``AsyncClient.embed`` in client.py) only send
the batches it hands out, on the client's send-and-retry steps, and give the answers back to it.

Decisions, made here once for both drivers:

- inputs: an empty string or a non-string is an :class:`InvalidEmbeddingInputError` naming its
  index, before any request; an empty list makes no request at all;
- batches of at most ``batch_size`` inputs (128 by default: the service publishes no limit);
- "batch too large" (413, or a 400/422 whose message says too many inputs / too large / batch)
  splits that batch in halves and sends each again; a single input refused so is an
  :class:`EmbeddingInputTooLargeError`. Halving bounds the depth at log2(batch_size);
- ``encoding_format="base64"`` by default (smaller, and decoded without parsing a float per
  number); a server that ignores it answers lists of floats, which are read as such; a server
  that refuses it (a 400 naming ``encoding_format``/``base64``) gets the batch again as float,
  and so does the rest of the call;
- order by each item's ``index`` (validated: in range, no duplicates), one dimension for all
  vectors, the count equal to the inputs sent; any mismatch is a :class:`MalformedResponseError`;
- usage summed over the batches;
- ``dimensions`` (OpenAI's field, for models that can shorten their vectors) is sent when given, and a
  vector of another length is a :class:`MalformedResponseError` (a server that ignores the field would
  otherwise hand a vector store vectors of the wrong size);
- an input longer than the model's window (``ctx_length``, else the window known for the model) is split,
  its pieces embedded, and their vectors combined into one (embedding_windows.py); ``split_long=False``
  sends every input whole.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from array import array
from dataclasses import dataclass
from typing import Any, Literal, Mapping, Optional, Sequence, cast

from .embedding_windows import combine, split_text, window_for
from .endpoints import Endpoint, resolve_embedding_model
from .error_text import body_preview, request_id_from_headers
from .errors import (  # the two embedding errors live with the others; importable from here too
    APIStatusError,
    BadRequestError,
    EmbeddingInputTooLargeError,
    GlooGravixError,
    InvalidEmbeddingInputError,
    MalformedResponseError,
    error_from_envelope,
    error_from_response,
)
from .request_encoding import encode_json, lone_surrogate

__all__ = [
    "DEFAULT_EMBEDDING_BATCH_SIZE",
    "DEFAULT_EMBEDDING_CONCURRENCY",
    "EncodingFormat",
    "InvalidEmbeddingInputError",
    "EmbeddingInputTooLargeError",
    "EmbeddingUsage",
    "EmbeddingResult",
    "EmbeddingBatch",
    "EmbeddingCall",
    "validate_inputs",
    "make_batches",
    "decode_base64_vector",
    "encode_base64_vector",
    "batch_too_large",
    "base64_refused",
]

#: the service publishes no per-request input limit: a conservative default, configurable.
DEFAULT_EMBEDDING_BATCH_SIZE = 128
#: batches in flight at once per async ``embed()`` call.
DEFAULT_EMBEDDING_CONCURRENCY = 4

EncodingFormat = Literal["base64", "float"]
_ENCODINGS = ("base64", "float")
# Wording servers use when a request carries too many or too large inputs (OpenAI, vLLM, TEI, Ollama).
_TOO_LARGE_HINTS = ("too many inputs", "too large", "batch", "too many items", "payload too large", "too long")
_ENCODING_HINTS = ("encoding_format", "base64")
_BIG_ENDIAN = sys.byteorder == "big"


@dataclass(frozen=True)
class EmbeddingUsage:
    prompt_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: "EmbeddingUsage") -> "EmbeddingUsage":
        return EmbeddingUsage(self.prompt_tokens + other.prompt_tokens, self.total_tokens + other.total_tokens)

    @classmethod
    def from_payload(cls, usage: Any) -> "EmbeddingUsage":
        if not isinstance(usage, Mapping):
            return cls()
        prompt = usage.get("prompt_tokens", usage.get("input_tokens"))
        total = usage.get("total_tokens", prompt)
        return cls(prompt if _is_int(prompt) else 0, total if _is_int(total) else 0)


@dataclass(frozen=True)
class EmbeddingResult:
    """The vectors in input order, the summed usage, and the model the server named."""

    vectors: list[list[float]]
    usage: EmbeddingUsage
    model: Optional[str]
    #: HTTP answers that contributed vectors (more than the batch count after splits).
    requests: int = 0


@dataclass(frozen=True)
class EmbeddingBatch:
    """Inputs ``texts`` that start at position ``start`` of the call's input list."""

    start: int
    texts: tuple[str, ...]

    def halves(self) -> tuple["EmbeddingBatch", "EmbeddingBatch"]:
        middle = len(self.texts) // 2
        return (
            EmbeddingBatch(self.start, self.texts[:middle]),
            EmbeddingBatch(self.start + middle, self.texts[middle:]),
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_inputs(texts: Any) -> list[str]:
    """The inputs as a list of non-empty strings, or an error naming the first bad one."""
    if isinstance(texts, (str, bytes)):
        raise InvalidEmbeddingInputError(
            f"embed() takes a list of strings, got a single {type(texts).__name__}; wrap it in a list"
        )
    try:
        items = list(texts)
    except TypeError:
        raise InvalidEmbeddingInputError(f"embed() takes a list of strings, got {type(texts).__name__}") from None
    for index, text in enumerate(items):
        if not isinstance(text, str):
            raise InvalidEmbeddingInputError(
                f"input {index} is a {type(text).__name__}, not a string; embeddings take text only", index=index
            )
        if not text:
            raise InvalidEmbeddingInputError(
                f"input {index} is an empty string; the service rejects empty inputs", index=index
            )
    return items


def make_batches(texts: Sequence[str], size: int) -> list[EmbeddingBatch]:
    if not _is_int(size) or size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {size!r}")
    return [EmbeddingBatch(start, tuple(texts[start : start + size])) for start in range(0, len(texts), size)]


# strict a2b_base64 (3.11+) refuses what b64decode(validate=True) refuses, without its regex and copy.
if sys.version_info >= (3, 11):

    def _a2b(text: str) -> bytes:
        return binascii.a2b_base64(text, strict_mode=True)

else:  # pragma: no cover - 3.10

    def _a2b(text: str) -> bytes:
        return base64.b64decode(text, validate=True)


def decode_base64_vector(text: str) -> list[float]:
    """OpenAI's base64 embedding: little-endian float32 values, back to Python floats.

    One C call per step (decode, reinterpret, convert): with 10,000 vectors per call this loop is
    most of the client's work, so it allocates nothing it does not return.
    """
    try:
        raw = _a2b(text)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64") from None
    if not raw or len(raw) % 4:
        raise ValueError(f"{len(raw)} bytes is not a whole number of float32 values")
    if _BIG_ENDIAN:
        values = array("f")
        values.frombytes(raw)
        values.byteswap()
        return values.tolist()
    # typeshed types memoryview.tolist() as list[int]; for format "f" it is floats
    return cast("list[float]", memoryview(raw).cast("f").tolist())


def encode_base64_vector(vector: Sequence[float]) -> str:
    """The inverse of :func:`decode_base64_vector` (used by the emulator, the stub and tests)."""
    values = array("f", vector)
    if _BIG_ENDIAN:
        values.byteswap()
    return base64.b64encode(values.tobytes()).decode("ascii")


def _server_words(error: APIStatusError) -> str:
    body = error.body if isinstance(error.body, str) else json.dumps(error.body) if error.body is not None else ""
    return f"{error.server_message or ''} {body}".lower()


def batch_too_large(error: BaseException) -> bool:
    """True when the server said the request carried too many or too large inputs."""
    if not isinstance(error, APIStatusError):
        return False
    if error.status_code == 413:
        return True
    return error.status_code in (400, 422) and any(hint in _server_words(error) for hint in _TOO_LARGE_HINTS)


def base64_refused(error: BaseException) -> bool:
    """True when a 400 says the server does not take ``encoding_format: base64``."""
    return isinstance(error, BadRequestError) and any(hint in _server_words(error) for hint in _ENCODING_HINTS)


def _details(error: GlooGravixError) -> dict[str, Any]:
    keys = ("endpoint", "status_code", "request_id", "code", "server_message", "body", "headers", "fault")
    return {key: getattr(error, key) for key in keys}


class EmbeddingCall:
    """What one ``embed()`` call decides, for the drivers to carry out.

    The drivers send each batch of :attr:`batches` with :meth:`body`, hand each answer to
    :meth:`accept`, hand a failed batch's error to :meth:`recover` (which returns the batches to
    send instead, or raises), and finally take :meth:`result`.
    """

    def __init__(
        self,
        texts: Any,
        *,
        endpoint: str,
        model: str,
        batch_size: int = DEFAULT_EMBEDDING_BATCH_SIZE,
        concurrency: int = DEFAULT_EMBEDDING_CONCURRENCY,
        encoding_format: EncodingFormat = "base64",
        user: Optional[str] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
        dimensions: Optional[int] = None,
        ctx_length: Optional[int] = None,
        split_long: bool = True,
    ) -> None:
        if encoding_format not in _ENCODINGS:
            raise ValueError(f"encoding_format must be 'base64' or 'float', got {encoding_format!r}")
        if not _is_int(concurrency) or concurrency < 1:
            raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")
        for name, value in (("dimensions", dimensions), ("ctx_length", ctx_length)):
            if value is not None and (not _is_int(value) or value < 1):
                raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
        self.inputs = validate_inputs(texts)
        self.endpoint = endpoint
        self.model = model
        self.concurrency = concurrency
        self.encoding: EncodingFormat = encoding_format
        window = (ctx_length or window_for(model)) if split_long else None
        #: what is sent: the inputs, or with long ones split, their pieces (``_owners[i]`` is the input of piece i)
        self.texts, self._owners = _pieces(self.inputs, window)
        self.batches = make_batches(self.texts, batch_size)
        self._fields: dict[str, Any] = {"model": model}
        if user is not None:
            self._fields["user"] = user
        self.dimensions = dimensions
        if dimensions is not None:
            self._fields["dimensions"] = dimensions
        self._extra = dict(extra_body or {})
        self._vectors: list[Optional[list[float]]] = [None] * len(self.texts)
        self._usage = EmbeddingUsage()
        self._model_seen: Optional[str] = None
        self._dimensions: Optional[int] = None
        self._requests = 0
        #: where the batches go (set by :meth:`for_endpoint`).
        self.url = ""

    @classmethod
    def for_endpoint(
        cls, endpoint: Endpoint, base_url: str, texts: Any, *, model: Optional[str] = None, **options: Any
    ) -> "EmbeddingCall":
        """A call to ``endpoint``'s embeddings path under ``base_url``; ``model`` from the argument,
        the endpoint's env var or its default. ``options``: see the constructor."""
        model = resolve_embedding_model(endpoint, model)
        call = cls(texts, endpoint=endpoint.name, model=model, **options)
        call.url = base_url + (endpoint.embeddings_path or "")
        return call

    # -- requests ----------------------------------------------------------------------------

    def body(self, batch: EmbeddingBatch) -> bytes:
        payload = {**self._fields, "input": list(batch.texts), "encoding_format": self.encoding, **self._extra}
        try:
            return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        except UnicodeEncodeError:
            pass
        for offset, text in enumerate(batch.texts):  # the culprit, looked for only on failure
            at = lone_surrogate(text)
            if at is not None:
                index = batch.start + offset
                raise InvalidEmbeddingInputError(
                    f"input {index} has a lone surrogate (U+{ord(text[at]):04X} at character {at}), which cannot be "
                    "sent as UTF-8; repair the text (e.g. .encode('utf-8', 'replace').decode())",
                    index=index,
                )
        return encode_json(payload, endpoint=self.endpoint)  # elsewhere in the body: named there

    def recover(self, batch: EmbeddingBatch, error: BaseException) -> list[EmbeddingBatch]:
        """The batches to send instead of ``batch`` after ``error``, or raise ``error``."""
        if self.encoding == "base64" and base64_refused(error):
            self.encoding = "float"  # for this batch and the rest of the call
            return [batch]
        if batch_too_large(error):
            assert isinstance(error, APIStatusError)
            if len(batch.texts) > 1:
                return list(batch.halves())
            index = batch.start if self._owners is None else self._owners[batch.start]
            what = "input" if self._owners is None else f"a {len(batch.texts[0])}-character piece of input"
            raise EmbeddingInputTooLargeError(
                f"{self.endpoint} refused {what} {index} as too large on its own "
                f"({len(batch.texts[0])} characters): shorten or split that text, or set the model's window "
                f"(embedding_ctx_length); server said: "
                f"{error.server_message or body_preview(str(error.body).encode())}",
                index=index,
                **_details(error),
            ) from error
        raise error

    # -- answers ------------------------------------------------------------------------------

    def _malformed(self, why: str, status: int, headers: Mapping[str, str], raw: bytes) -> MalformedResponseError:
        return MalformedResponseError(
            f"{self.endpoint} embeddings answer {why}: {body_preview(raw)!r}",
            endpoint=self.endpoint,
            status_code=status,
            request_id=request_id_from_headers(headers),
            body=body_preview(raw),
        )

    def accept(self, batch: EmbeddingBatch, status: int, headers: Mapping[str, str], raw: bytes) -> None:
        """Check one answer against ``batch`` and keep its vectors; raises a typed error otherwise."""
        if status >= 300:
            raise error_from_response(status, headers, raw, endpoint=self.endpoint)
        try:
            payload = json.loads(raw)
        except ValueError:
            raise self._malformed("is not JSON", status, headers, raw) from None
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            if isinstance(payload, dict) and payload.get("error") is not None:
                # an error envelope delivered with a 2xx status: classified by its content, as for chat
                raise error_from_envelope(headers, raw, payload, endpoint=self.endpoint, status_code=status)
            raise self._malformed("has no 'data' list", status, headers, raw)
        count = len(batch.texts)
        if len(data) != count:
            raise self._malformed(f"holds {len(data)} embeddings for {count} inputs", status, headers, raw)
        placed: list[Optional[list[float]]] = [None] * count
        for position, item in enumerate(data):
            if not isinstance(item, dict):
                raise self._malformed(f"item {position} is not an object", status, headers, raw)
            index = item.get("index", position)
            if not _is_int(index) or not 0 <= index < count:
                raise self._malformed(
                    f"item {position} has index {index!r}, outside 0..{count - 1}", status, headers, raw
                )
            if placed[index] is not None:
                raise self._malformed(f"index {index} appears twice", status, headers, raw)
            placed[index] = self._vector(item.get("embedding"), position, status, headers, raw)
        for offset, vector in enumerate(placed):
            self._vectors[batch.start + offset] = vector
        self._usage = self._usage + EmbeddingUsage.from_payload(payload.get("usage"))
        if self._model_seen is None and isinstance(payload.get("model"), str):
            self._model_seen = payload["model"]
        self._requests += 1

    def _vector(self, value: Any, position: int, status: int, headers: Mapping[str, str], raw: bytes) -> list[float]:
        # The shape decides, not what was asked: a server may ignore encoding_format.
        try:
            if isinstance(value, str):
                vector = decode_base64_vector(value)
            elif isinstance(value, list) and not any(isinstance(x, bool) for x in value):
                vector = array("d", value).tolist()
            else:
                raise ValueError(f"is a {type(value).__name__}, not a list of numbers or a base64 string")
        except (TypeError, ValueError, OverflowError) as exc:
            raise self._malformed(f"item {position}'s embedding {exc}", status, headers, raw) from None
        if not vector:
            raise self._malformed(f"item {position}'s embedding is empty", status, headers, raw)
        if self.dimensions is not None and len(vector) != self.dimensions:
            raise self._malformed(
                f"item {position} has {len(vector)} dimensions where dimensions={self.dimensions} was asked for "
                "(does this model support shortened vectors?)",
                status,
                headers,
                raw,
            )
        if self._dimensions is None:
            self._dimensions = len(vector)
        elif len(vector) != self._dimensions:
            raise self._malformed(
                f"item {position} has {len(vector)} dimensions, other vectors {self._dimensions}", status, headers, raw
            )
        return vector

    def result(self) -> EmbeddingResult:
        missing = [i for i, vector in enumerate(self._vectors) if vector is None]
        if missing:  # a driver bug, not a server one: every batch must be accepted or raise
            raise RuntimeError(f"no embedding for inputs {missing[:5]}")
        vectors: list[list[float]] = self._vectors  # type: ignore[assignment]
        if self._owners is not None:
            vectors = _combined(vectors, self.texts, self._owners, len(self.inputs))
        return EmbeddingResult(vectors, self._usage, self._model_seen or self.model, self._requests)


def _pieces(inputs: list[str], window: Optional[int]) -> tuple[list[str], Optional[list[int]]]:
    """The texts to send and, when any input was split, the input each piece belongs to."""
    if window is None:
        return inputs, None
    split = [split_text(text, window) for text in inputs]
    if all(len(pieces) == 1 for pieces in split):
        return inputs, None
    texts = [piece for pieces in split for piece in pieces]
    owners = [i for i, pieces in enumerate(split) for _ in pieces]
    return texts, owners


def _combined(vectors: list[list[float]], texts: list[str], owners: list[int], count: int) -> list[list[float]]:
    groups: list[list[int]] = [[] for _ in range(count)]
    for piece, owner in enumerate(owners):
        groups[owner].append(piece)
    out = []
    for pieces in groups:
        if len(pieces) == 1:
            out.append(vectors[pieces[0]])
        else:
            out.append(combine([vectors[p] for p in pieces], [len(texts[p].encode("utf-8")) for p in pieces]))
    return out
