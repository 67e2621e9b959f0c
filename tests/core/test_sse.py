"""SSEDecoder: line endings, fields, comments, BOM, flush, and a split-anywhere property."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from langchain_gloo_gravix.core.sse import SSEDecoder, SSEEvent, aiter_events, iter_events


def decode(*feeds: bytes) -> tuple[list[SSEEvent], SSEDecoder]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for feed in feeds:
        events.extend(decoder.feed(feed))
    events.extend(decoder.flush())
    return events, decoder


def datas(events: list[SSEEvent]) -> list[str]:
    return [e.data for e in events]


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_each_line_ending_separates_lines_and_events(eol):
    raw = b"data: one" + eol + eol + b"event: e2" + eol + b"data: two" + eol + eol
    events, _ = decode(raw)
    assert datas(events) == ["one", "two"]
    assert [e.event for e in events] == [None, "e2"]


def test_crlf_split_across_two_feeds_is_one_line_break():
    # "\r" ends feed 1, its "\n" starts feed 2: that is ONE line break, not two
    # (two would make an empty line and dispatch early / split the event).
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\ndata: b\r") == []
    events = decoder.feed(b"\n\r\n")
    assert [e.data for e in events] == ["a\nb"]
    assert decoder.flush() == []


def test_cr_then_lf_in_next_feed_only_swallows_one_lf():
    # "\r" | "\n\n": the first LF pairs with the CR, the second is a blank line.
    events, _ = decode(b"data: x\r", b"\n\n")
    assert datas(events) == ["x"]


def test_lone_cr_followed_by_text_in_next_feed():
    events, _ = decode(b"data: a\r", b"data: b\r\r")
    assert datas(events) == ["a\nb"]


def test_comment_lines_are_counted_and_skipped():
    events, decoder = decode(b": ping\n\n:\n: keep-alive\ndata: x\n\n: ping\n\n")
    assert datas(events) == ["x"]
    assert decoder.comments == 4


def test_multi_line_data_is_joined_with_newline():
    events, _ = decode(b"data: first\ndata: second\ndata:third\ndata\n\n")
    # "data:third" has no space to strip; a bare "data" line adds an empty line
    assert datas(events) == ["first\nsecond\nthird\n"]


def test_event_id_and_retry_fields():
    events, _ = decode(b"event: update\nid: 42\nretry: 1500\ndata: {}\n\nretry: soon\ndata: 2\n\n")
    assert events[0] == SSEEvent(data="{}", event="update", id="42", retry=1500)
    # event name does not carry over; id and retry persist (last seen), a
    # non-numeric retry is ignored
    assert events[1] == SSEEvent(data="2", event=None, id="42", retry=1500)


def test_event_name_without_data_is_not_dispatched_and_does_not_leak():
    events, _ = decode(b"event: orphan\n\ndata: x\n\n")
    assert events == [SSEEvent(data="x")]


def test_id_with_nul_is_ignored_and_unknown_fields_are_ignored():
    events, _ = decode(b"id: ok\n\ndata: a\n\nid: bad\x00\nfoo: bar\ndata: b\n\n")
    assert [(e.data, e.id) for e in events] == [("a", "ok"), ("b", "ok")]


def test_leading_bom_is_stripped_once():
    events, _ = decode(b"\xef\xbb\xbfdata: x\n\n")
    assert datas(events) == ["x"]


def test_bom_split_across_feeds_is_stripped():
    events, _ = decode(b"\xef", b"\xbb", b"\xbfdata: x\n\n")
    assert datas(events) == ["x"]


def test_u2028_u2029_and_nel_inside_json_data_are_not_line_breaks():
    payload = {"content": "a\u2028b\u2029c\x85d\x0be\x0cf"}
    raw = b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"
    events, _ = decode(raw)
    assert len(events) == 1
    assert json.loads(events[0].data) == payload


def test_last_event_without_trailing_blank_line_is_delivered_at_flush():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: 1\n\ndata: last") == [SSEEvent("1")]
    assert decoder.flush() == [SSEEvent("last")]

    decoder = SSEDecoder()
    assert decoder.feed(b"data: last\n") == []
    assert decoder.flush() == [SSEEvent("last")]


def test_multibyte_utf8_split_inside_a_character():
    raw = "data: héllo 😀\n\n".encode()
    cut = raw.index("😀".encode()) + 2  # inside the 4-byte emoji
    events, _ = decode(raw[:cut], raw[cut:])
    assert datas(events) == ["héllo 😀"]


def test_empty_feeds_are_harmless():
    events, _ = decode(b"", b"data: a\n", b"", b"\n", b"")
    assert datas(events) == ["a"]


def test_drivers_sync_and_async():
    chunks = [b"data: a\n", b"\ndata: b", b"\n\n", b"data: c"]
    assert datas(list(iter_events(chunks))) == ["a", "b", "c"]

    async def agen():
        for c in chunks:
            yield c

    async def collect():
        return [e async for e in aiter_events(agen())]

    assert datas(asyncio.run(collect())) == ["a", "b", "c"]


# -- property: decoding does not depend on how the bytes were chunked ----------------------

_text = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
        # multi-byte UTF-8 (2, 3 and 4 bytes), JSON-legal line separators, SSE syntax
        st.sampled_from(["é", "…", "\u2028", "\u2029", "\x85", "😀", "\ufeff", ":", " ", "{", '"']),
    ),
    max_size=12,
)
_event = st.fixed_dictionaries(
    {
        "data": st.lists(_text, min_size=1, max_size=3),
        "event": st.none() | _text.filter(bool),
        "id": st.none() | _text,
        "comment": st.booleans(),
    }
)


@st.composite
def encoded_streams(draw):
    events = draw(st.lists(_event, max_size=6))
    style = draw(st.sampled_from(["\n", "\r", "\r\n", "mixed"]))
    bom = draw(st.booleans())
    terminated = draw(st.booleans())
    lines: list[str] = []
    expected: list[tuple[str, str | None, str | None]] = []
    last_id = None
    for i, ev in enumerate(events):
        if ev["comment"]:
            lines.append(": ping")
        if ev["event"] is not None:
            lines.append("event: " + ev["event"])
        if ev["id"] is not None:
            lines.append("id: " + ev["id"])
            last_id = ev["id"]
        lines.extend("data: " + d for d in ev["data"])
        expected.append(("\n".join(ev["data"]), ev["event"], last_id))
        if i < len(events) - 1 or terminated:
            lines.append("")
    if style == "mixed":
        endings = draw(st.lists(st.sampled_from(["\n", "\r", "\r\n"]), min_size=len(lines), max_size=len(lines)))
        for i in range(1, len(lines)):
            # "\r" then an empty line ended by "\n" is, by the spec, ONE CRLF break;
            # keep the encoding unambiguous so the expected events stay right
            if lines[i] == "" and endings[i - 1] == "\r" and endings[i] == "\n":
                endings[i] = "\r\n"
    else:
        endings = [style] * len(lines)
    raw = "".join(line + eol for line, eol in zip(lines, endings)).encode()
    if bom:
        raw = b"\xef\xbb\xbf" + raw
    cuts = sorted(set(draw(st.lists(st.integers(0, len(raw)), max_size=8))))
    pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)])]
    return raw, pieces, expected


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(encoded_streams())
def test_any_chunking_decodes_like_one_feed(case):
    raw, pieces, expected = case
    whole, _ = decode(raw)
    split, _ = decode(*pieces)
    assert split == whole
    assert [(e.data, e.event, e.id) for e in whole] == expected
