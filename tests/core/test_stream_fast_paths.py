"""The per-chunk fast paths of a stream decide exactly as the general paths do.

A stream is read through shortcuts for the chunk nearly every server sends (one ``data:`` event per chunk, a JSON
object with nothing around it, a delta of text alone); each falls back to the general reading for anything else.
These tests hold the shortcut and the general path to the same result.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_gloo_gravix.core.errors import MalformedResponseError
from langchain_gloo_gravix.core.sse import SSEDecoder
from langchain_gloo_gravix.core.stream_state import StreamState


def events_of(*feeds: bytes) -> list[tuple[str, str | None, str | None]]:
    decoder = SSEDecoder()
    out = []
    for feed in feeds:
        out.extend(decoder.feed(feed))
    out.extend(decoder.flush())
    return [(e.data, e.event, e.id) for e in out]


_data = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=10)


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.tuples(_data, st.booleans(), st.booleans()), max_size=6))
def test_one_event_per_feed_decodes_like_one_feed(specs):
    # as servers send: each chunk one whole event (sometimes preceded by an id or name line, which the
    # fast path must leave to the general one)
    chunks = []
    for data, with_id, named in specs:
        head = (b"id: 7\n" if with_id else b"") + (b"event: e\n" if named else b"")
        chunks.append(head + b"data: " + data.encode() + b"\n\n")
    assert events_of(*chunks) == events_of(b"".join(chunks))


@pytest.mark.parametrize(
    "feeds, expected",
    [
        # a data line left open by the previous feed joins the next event
        ((b"data: a\n", b"data: b\n\n"), [("a\nb", None, None)]),
        # an event name given in the previous feed names the next event
        ((b"event: x\n", b"data: y\n\n"), [("y", "x", None)]),
        # an id given earlier is carried by every later event
        ((b"id: 3\n\n", b"data: y\n\n", b"data: z\n\n"), [("y", None, "3"), ("z", None, "3")]),
        # an unterminated line from the previous feed
        ((b"da", b"ta: q\n\n"), [("q", None, None)]),
        # a CR ending the previous feed: a leading LF is its partner, not a blank line
        ((b"data: a\r", b"\n\n", b"data: b\n\n"), [("a", None, None), ("b", None, None)]),
        # a byte-order mark split over the first feeds
        ((b"\xef\xbb", b"\xbfdata: a\n\n", b"data: b\n\n"), [("a", None, None), ("b", None, None)]),
        # an empty data value is still an event
        ((b"data: \n\n",), [("", None, None)]),
    ],
)
def test_pending_state_is_honoured(feeds, expected):
    assert events_of(*feeds) == expected


def test_event_size_cap_applies_to_a_one_event_chunk():
    decoder = SSEDecoder(max_event_bytes=4)
    assert [e.data for e in decoder.feed(b"data: 1234\n\n")] == ["1234"]
    with pytest.raises(Exception, match="max_event_bytes=4"):
        decoder.feed(b"data: 12345\n\n")


def _state() -> StreamState:
    return StreamState(endpoint="gravix", idle_timeout=None)


def _chunk(text: str) -> dict:
    return {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}


@pytest.mark.parametrize(
    "data",
    [
        json.dumps(_chunk("hi")),
        "  " + json.dumps(_chunk("hi")),  # whitespace around the value: json.loads accepts it
        json.dumps(_chunk("hi")) + " \t",
        json.dumps(_chunk("hi"), indent=2),  # over several data lines, joined with newlines
    ],
)
def test_json_events_read_as_json_loads_reads_them(data):
    deltas = _state().feed(b"".join(b"data: " + line.encode() + b"\n" for line in data.split("\n")) + b"\n")
    assert [d.content for d in deltas] == ["hi"]
    assert deltas[0].raw == json.loads(data)


@pytest.mark.parametrize(
    "data, message",
    [
        (json.dumps(_chunk("hi")) + "x", "not JSON"),  # trailing data after the value
        ("\ufeff" + json.dumps(_chunk("hi")), "not JSON"),  # a BOM json.loads refuses
        ("{bad", "not JSON"),
        ("", "not JSON"),
        ("1", "not a JSON object"),
        ('"text"', "not a JSON object"),
    ],
)
def test_events_that_are_not_json_objects_are_refused_as_before(data, message):
    with pytest.raises(MalformedResponseError, match=message):
        _state().feed(b"data: " + data.encode() + b"\n\n")


def test_rare_chunk_keys_are_still_read():
    state = _state()
    chunk = {
        **_chunk("a"),
        "system_fingerprint": "fp",
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        "provider": "p",
    }
    chunk["choices"][0]["delta"].update(reasoning_content="r", refusal="no")
    (delta,) = state.feed(b"data: " + json.dumps(chunk).encode() + b"\n\n")
    assert (delta.content, delta.reasoning, delta.refusal, delta.system_fingerprint) == ("a", "r", "no", "fp")
    assert delta.usage is not None and delta.usage.total_tokens == 3
    assert delta.routing is not None and delta.routing.provider == "p"
    plain = state.feed(b"data: " + json.dumps(_chunk("b")).encode() + b"\n\n")[0]
    assert (plain.reasoning, plain.refusal, plain.usage, plain.routing) == ("", None, None, None)
