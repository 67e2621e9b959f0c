"""Gravix ``POST /v1/inference/embeddings`` (docs/providers.md#embeddings): OpenAI-style embedding lists.

Vectors are deterministic and meaningful enough for retrieval: each text is a bag of hashed
features (its words, lightly stemmed and without stop words, weighted most; word pairs; character
trigrams of the words, so that "token" and "tokens" stay close), folded into as many signed
buckets as the model has dimensions (``microsoft/multilingual-e5-large``: 1,024; chat models:
their hidden size) and L2-normalised; ``dimensions`` keeps the leading values, renormalised. Texts that share words therefore have a high cosine
similarity, and a question retrieves the document that shares its words.

The service publishes no per-request input limit; the emulator documents one,
``Emulator.embedding_max_batch`` (default ``MAX_BATCH``), and answers 413 beyond it, like a
gateway with a body limit, so that clients' split-and-retry is exercised end to end.
"""

from __future__ import annotations

import base64
import math
import re
import sys
import zlib
from array import array
from typing import TYPE_CHECKING, Any

from . import auth, catalog, errors, validation

if TYPE_CHECKING:
    from .emulator import Emulator, RecordedRequest
    from .faults import Fault

#: Vector size of :func:`vector` when no model says otherwise (each served model has its own).
DIMENSIONS = 384
MAX_BATCH = 256
EMBEDDING_QUIRKS = frozenset({"ignore_base64", "refuse_base64", "drop_one", "reversed", "wrong_dims"})

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOP = frozenset(
    "a an and are as at be by can do does did for from has have how i in is it its me my of on or our so that the "
    "their them they this to was we what when where which who why will with you your".split()
)
_WEIGHTS = {"w": 1.0, "p": 0.5, "c": 0.25}


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def features(text: str) -> list[tuple[str, float]]:
    words = [_stem(w) for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w not in _STOP]
    out = [("w:" + w, _WEIGHTS["w"]) for w in words]
    out += [(f"p:{a} {b}", _WEIGHTS["p"]) for a, b in zip(words, words[1:])]
    for word in words:
        padded = f"<{word}>"
        out += [("c:" + padded[i : i + 3], _WEIGHTS["c"]) for i in range(len(padded) - 2)]
    return out


def vector(text: str, dimensions: int = DIMENSIONS) -> list[float]:
    """The deterministic embedding of ``text`` (unit length; a fixed vector for featureless text)."""
    values = [0.0] * dimensions
    for feature, weight in features(text) or [("empty:", 1.0)]:
        h = zlib.crc32(feature.encode("utf-8"))
        values[h % dimensions] += weight if (h >> 16) & 1 else -weight
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def to_base64(values: list[float]) -> str:
    """Little-endian float32, as the OpenAI API encodes ``encoding_format: base64``."""
    packed = array("f", values)
    if sys.byteorder == "big":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def _bad(message: str, field: str, rid: str, status: int = 400) -> tuple[int, dict]:
    return status, errors.gravix_envelope("validation_error", message, rid, details={"field": field, "reason": message})


def validate(body: Any, max_batch: int, rid: str) -> tuple[int, dict] | None:
    if not isinstance(body, dict):
        return _bad("body is not a JSON object", "body", rid)
    if not isinstance(body.get("model"), str) or not body["model"].strip():
        return _bad("model is required", "model", rid)
    entry = catalog.gravix_lookup(body["model"])
    if entry is None:  # Ollama's answer for a model it does not have
        return 404, errors.gravix_backend_error(
            f'model "{body["model"]}" not found, try pulling it first', "not_found_error"
        )
    inputs = body.get("input")
    items = [inputs] if isinstance(inputs, str) else inputs
    if not isinstance(items, list) or not items:
        return _bad("input must be a string or a non-empty list of strings", "input", rid)
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item:
            return _bad(f"input[{i}] must be a non-empty string", "input", rid)
    if len(items) > max_batch:
        return 413, errors.gravix_envelope(
            "payload_too_large", f"too many inputs: {len(items)} (at most {max_batch} per request)", rid
        )
    if body.get("encoding_format", "float") not in ("float", "base64"):
        return _bad("encoding_format must be 'float' or 'base64'", "encoding_format", rid)
    dims = body.get("dimensions")
    native = entry["_embedding_dimensions"]
    if dims is not None and (isinstance(dims, bool) or not isinstance(dims, int) or not 1 <= dims <= native):
        return _bad(f"dimensions must be an integer from 1 to {native} for {body['model']}", "dimensions", rid)
    return None


def model_vector(text: str, native: int, dimensions: int | None) -> list[float]:
    """The model's vector, shortened to ``dimensions`` the way OpenAI's ``dimensions`` does:
    the leading values, scaled back to unit length."""
    values = vector(text, native)
    if dimensions is None or dimensions == native:
        return values
    head = values[:dimensions]
    norm = math.sqrt(sum(v * v for v in head))
    if norm == 0.0:  # every feature hashed past the cut: a fixed unit vector
        return [1.0] + [0.0] * (dimensions - 1)
    return [v / norm for v in head]


def handle(emu: "Emulator", req: "RecordedRequest", rid: str, fault: "Fault | None") -> tuple[int, Any]:
    """(status, body) for one embeddings request; immediate faults were applied by the router."""
    denied = auth.check_gravix(req.headers, emu.GRAVIX_API_KEY, rid)
    if denied:
        return denied
    try:
        body = validation.parse_json(req.body)
    except ValueError:
        return _bad("Invalid JSON body", "body", rid)
    problem = validate(body, emu.embedding_max_batch, rid)
    if problem:
        return problem
    quirk = fault.params["kind"] if fault is not None and fault.kind == "embedding_quirk" else None
    encoding = body.get("encoding_format", "float")
    if quirk == "refuse_base64" and encoding == "base64":
        return 400, errors.gravix_backend_error(
            "encoding_format 'base64' is not supported; use 'float'", "invalid_request_error"
        )
    if quirk == "ignore_base64":
        encoding = "float"
    texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
    data = []
    native = catalog.gravix_lookup(body["model"])["_embedding_dimensions"]  # type: ignore[index]
    for index, text in enumerate(texts):
        values = model_vector(text, native, body.get("dimensions"))
        if quirk == "wrong_dims" and index == len(texts) - 1:
            values = values[:-1]
        data.append(
            {"object": "embedding", "index": index, "embedding": to_base64(values) if encoding == "base64" else values}
        )
    if quirk == "drop_one":
        data = data[:-1]
    if quirk == "reversed":
        data.reverse()  # indexes stay right: clients must order by them
    tokens = sum(max(1, len(t) // 4) for t in texts)
    return 200, {
        "object": "list",
        "data": data,
        "model": body["model"],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
