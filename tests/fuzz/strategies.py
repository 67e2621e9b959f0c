"""Hypothesis strategies for hostile payloads: plausible shapes with any value anywhere.

Shapes follow the wire format (chunks, completions, error bodies, token bodies,
model lists, retry headers) so that the generated cases reach deep into the
parsers, while every field may also hold any JSON value, including deep nesting,
huge numbers, nulls and strings where numbers belong.
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# ``make test`` runs a small budget; ``make fuzz`` (HYPOTHESIS_PROFILE=fuzz) runs 10,000 cases per parser.
settings.register_profile(
    "payloads",
    max_examples=int(os.environ.get("PAYLOAD_EXAMPLES", "60")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("PAYLOAD_EXAMPLES", "10000")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
PROFILE = settings.get_profile("fuzz" if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else "payloads")

VOCAB = [
    "id",
    "object",
    "created",
    "model",
    "choices",
    "index",
    "delta",
    "message",
    "content",
    "role",
    "refusal",
    "reasoning_content",
    "reasoning",
    "tool_calls",
    "function",
    "name",
    "arguments",
    "type",
    "finish_reason",
    "usage",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "error",
    "code",
    "detail",
    "retryable",
    "routing_tier",
    "routing_confidence",
    "provider",
    "text",
    "data",
    "access_token",
    "expires_in",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**20, max_value=10**400)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["", "0", "1", "-1", "1.5", "null", "stop", "error", "[DONE]", "{", "\u2028", "é"])
)
keys = st.sampled_from(VOCAB) | st.text(max_size=6)
anything = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4), max_leaves=12
)


def _maybe(shape: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually the plausible shape, sometimes any value at all."""
    return st.one_of(shape, shape, anything)


function = _maybe(
    st.fixed_dictionaries(
        {},
        optional={
            "name": _maybe(st.sampled_from(["get", "get_weather", "g"])),
            "arguments": _maybe(st.sampled_from(['{"a": 1}', '{"a"', ": 1}", "", "null", "[1]"])),
        },
    )
)
tool_call = _maybe(
    st.fixed_dictionaries(
        {},
        optional={
            "index": _maybe(st.integers(0, 3)),
            "id": _maybe(st.sampled_from(["call_1", "call_2", ""])),
            "type": _maybe(st.just("function")),
            "function": function,
        },
    )
)
body = _maybe(
    st.fixed_dictionaries(
        {},
        optional={
            "content": _maybe(st.text(max_size=8)),
            "role": _maybe(st.just("assistant")),
            "reasoning_content": _maybe(st.text(max_size=5)),
            "refusal": anything,
            "tool_calls": _maybe(st.lists(tool_call, max_size=3)),
        },
    )
)
choice = _maybe(
    st.fixed_dictionaries(
        {},
        optional={
            "index": _maybe(st.integers(0, 2)),
            "delta": body,
            "message": body,
            "logprobs": anything,
            "finish_reason": _maybe(st.sampled_from(["stop", "length", "tool_calls", "error"])),
        },
    )
)
usage = _maybe(
    st.fixed_dictionaries(
        {},
        optional={
            k: anything | st.integers(0, 100)
            for k in ("prompt_tokens", "completion_tokens", "total_tokens", "input_tokens", "output_tokens")
        },
    )
)
chunk = st.fixed_dictionaries(
    {},
    optional={
        "id": anything,
        "created": anything,
        "model": anything,
        "system_fingerprint": anything,
        "choices": _maybe(st.lists(choice, max_size=3)),
        "usage": usage,
        "error": anything,
        "routing_tier": anything,
        "routing_confidence": anything,
        "provider": anything,
        "auto_routing": anything,
    },
)
completion = chunk  # same shape; "message" is among the choice keys


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def encoded(values: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """JSON text of the values, or raw bytes, or pathologically nested JSON."""
    return st.one_of(
        values.map(lambda v: json.dumps(v).encode()),
        values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=64),
        st.integers(900, 20_000).map(deep),
    )


error_body = _maybe(
    st.fixed_dictionaries(
        {},
        optional={
            "error": _maybe(
                st.fixed_dictionaries(
                    {},
                    optional={
                        k: anything for k in ("message", "type", "code", "name", "retryable", "fault", "request_id")
                    },
                )
            ),
            "detail": anything,
            "message": anything,
            "code": anything,
            "meta": anything,
        },
    )
)
token_body = _maybe(
    st.fixed_dictionaries(
        {}, optional={"access_token": _maybe(st.text(max_size=8)), "expires_in": anything, "token_type": anything}
    )
)
model_entry = _maybe(
    st.fixed_dictionaries(
        {},
        optional={
            "id": _maybe(st.text(max_size=6)),
            "context_window": anything,
            "input_modalities": anything,
            "supports_tools": anything,
            "name": anything,
        },
    )
)
model_list = _maybe(st.fixed_dictionaries({"data": _maybe(st.lists(model_entry, max_size=4))})) | st.lists(
    model_entry, max_size=3
)
header_value = st.one_of(
    st.text(max_size=12),
    st.integers(-(10**30), 10**30).map(str),
    st.floats().map(str),
    st.sampled_from(
        [
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "1e400",
            "nan",
            "-inf",
            "Mon, 99 Foo 0 00:00:00",
        ]
    ),
)
retry_headers = st.dictionaries(
    st.sampled_from(["retry-after", "Retry-After", "retry-after-ms", "x-ratelimit-reset", "x-other"]),
    header_value,
    max_size=3,
)
