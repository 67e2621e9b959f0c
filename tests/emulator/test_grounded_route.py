"""The emulator's grounded route: ``POST /ai/v2/chat/completions/grounded`` (section 3.5)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from langchain_gloo_gravix.emulator import Fault
from langchain_gloo_gravix.emulator.corpus import DEFAULT_PUBLISHER, default_corpus
from langchain_gloo_gravix.emulator.grounding import Publishers, terms
from tests.emulator.test_emulator import GLOO, parse_sse, text_of

GROUNDED = "/ai/v2/chat/completions/grounded"
FORGIVENESS = [{"role": "user", "content": "What does the Bible say about forgiveness?"}]
NOTHING = [{"role": "user", "content": "Say hello to Ada Lovelace"}]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def client(emulator):
    with httpx.Client(base_url=emulator.base_url, timeout=10) as c:
        yield c


def grounded(client, **body):
    body.setdefault("auto_routing", True)
    body.setdefault("messages", FORGIVENESS)
    return client.post(GROUNDED, json=body, headers=GLOO)


def streamed(client, **body):
    body.setdefault("auto_routing", True)
    body.setdefault("messages", FORGIVENESS)
    with client.stream("POST", GROUNDED, json={**body, "stream": True}, headers=GLOO) as r:
        assert r.status_code == 200
        return parse_sse(b"".join(r.iter_raw()))


# -- corpus and retrieval ------------------------------------------------------------------


def test_default_corpus_is_a_few_dozen_verses_and_a_faq():
    docs = default_corpus()
    verses = [d for d in docs if d["id"].startswith("kjv-")]
    faq = [d for d in docs if d["id"].startswith("faq-")]
    assert len(verses) >= 36 and len(faq) >= 5
    assert len({d["id"] for d in docs}) == len(docs)
    john = next(d for d in verses if d["title"] == "John 3:16 (KJV)")
    assert john["text"].startswith("For God so loved the world, that he gave his only begotten Son")


def test_word_overlap_meets_word_forms():
    assert "forgiv" in terms("forgiveness") & terms("forgiving one another") & terms("forgive") & terms("forgiven")
    assert terms("What is the of and") == set()  # stop words only


def test_search_ranks_by_shared_words_and_respects_the_limit():
    pubs = Publishers()
    hits = pubs.search(DEFAULT_PUBLISHER, "forgive forgiveness", 10)
    assert hits and all("forgiv" in d["terms"] for d in hits)
    assert len(pubs.search(DEFAULT_PUBLISHER, "forgive", 2)) == 2
    assert pubs.search(DEFAULT_PUBLISHER, "Ada Lovelace xylophone", 5) == []


# -- the route -------------------------------------------------------------------------------


def test_grounded_answer_with_citations(client):
    r = grounded(client, include_citations=True, sources_limit=3, tradition="evangelical")
    assert r.status_code == 200
    body = r.json()
    assert body["sources_returned"] is True
    assert body["routing_mechanism"] == "auto_routing" and body["tradition"] == "evangelical"
    cites = body["citations"]
    assert 1 <= len(cites) <= 3
    assert set(cites[0]) == {"source_id", "title", "url", "snippet", "publisher"}
    assert cites[0]["publisher"] == DEFAULT_PUBLISHER
    assert "forgive" in body["choices"][0]["message"]["content"].lower()
    assert cites[0]["title"] in body["choices"][0]["message"]["content"]


def test_citations_only_when_asked(client):
    body = grounded(client).json()
    assert body["sources_returned"] is True and "citations" not in body


def test_no_match_still_answers_with_sources_returned_false(client):
    body = grounded(client, messages=NOTHING, include_citations=True).json()
    assert body["sources_returned"] is False and body["citations"] == []
    assert "Ada Lovelace" in body["choices"][0]["message"]["content"]
    assert body["choices"][0]["finish_reason"] == "stop"


def test_stream_puts_grounding_on_the_finish_chunk(client):
    events = streamed(client, include_citations=True, stream_options={"include_usage": True})
    carrying = [e for e in events if isinstance(e, dict) and "sources_returned" in e]
    assert len(carrying) == 1 and carrying[0]["choices"][0]["finish_reason"] == "stop"
    assert carrying[0]["citations"] and "[DONE]" not in events
    assert "forgive" in text_of(events).lower()


def test_messages_default_and_empty_list(client):
    r = client.post(GROUNDED, json={"auto_routing": True}, headers=GLOO)
    assert r.status_code == 200 and r.json()["sources_returned"] is True  # "Hello world!" meets John 3:16
    r = client.post(GROUNDED, json={"auto_routing": True, "messages": []}, headers=GLOO)
    assert r.status_code == 400 and r.json()["error"]["message"] == "messages must not be empty"


@pytest.mark.parametrize(
    ("extra", "loc"),
    [
        ({"sources_limit": 0}, "sources_limit"),
        ({"sources_limit": 11}, "sources_limit"),
        ({"sources_limit": "3"}, "sources_limit"),
        ({"rag_publisher": 5}, "rag_publisher"),
        ({"include_citations": "yes"}, "include_citations"),
        ({"parallel_tool_calls": "no"}, "parallel_tool_calls"),
    ],
)
def test_field_errors_are_422(client, extra, loc):
    r = grounded(client, **extra)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", loc]


def test_v2_rules_apply(client):
    r = grounded(client, model="gloo-openai-gpt-5-mini")  # two mechanisms
    assert r.status_code == 400
    assert client.post(GROUNDED, json={"messages": FORGIVENESS}, headers=GLOO).status_code == 422
    assert client.post(GROUNDED, json={"auto_routing": True, "messages": FORGIVENESS}).status_code in (401, 403)


def test_unknown_publisher_is_a_400(client):
    r = grounded(client, rag_publisher="NoSuchPublisher")
    assert r.status_code == 400 and "NoSuchPublisher" in r.json()["error"]["message"]


def test_registered_publisher(emulator, client, tmp_path):
    emulator.register_publisher(
        "Acme",
        [
            {"id": "acme-1", "title": "Returns policy", "text": "Acme accepts returns within thirty days of purchase."},
            "Acme ships parcels on weekdays only.",
        ],
    )
    assert "Acme" in emulator.publishers and DEFAULT_PUBLISHER in emulator.publishers
    body = grounded(
        client,
        rag_publisher="Acme",
        include_citations=True,
        messages=[{"role": "user", "content": "How many days do I have for returns?"}],
    ).json()
    assert body["sources_returned"] is True
    assert body["citations"][0] == {
        "source_id": "acme-1",
        "title": "Returns policy",
        "url": None,
        "snippet": "Acme accepts returns within thirty days of purchase.",
        "publisher": "Acme",
    }
    # a verse question finds nothing in this publisher's content
    body = grounded(client, rag_publisher="Acme").json()
    assert body["sources_returned"] is False


def test_publisher_from_a_jsonl_file(emulator, tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text(
        json.dumps({"text": "The parish picnic is on Saturday.", "title": "Picnic"})
        + "\n\n"
        + json.dumps("Choir practice is on Thursday.")
        + "\n"
    )
    assert emulator.register_publisher("Parish", path) == 2


@pytest.mark.parametrize("docs", [[], [{"title": "no text"}], [{"text": "  "}]])
def test_bad_publisher_documents_are_refused(emulator, docs):
    with pytest.raises(ValueError):
        emulator.register_publisher("Bad", docs)


# -- faults, as on the other routes -------------------------------------------------------------


def test_faults_apply_to_the_grounded_route(emulator, client):
    emulator.inject(Fault.rate_limit(retry_after="1"), path=GROUNDED)
    assert grounded(client).status_code == 429
    emulator.inject(Fault.server_error(500), path=GROUNDED)
    assert grounded(client).status_code == 500
    emulator.inject(Fault.malformed_json(), path=GROUNDED)
    r = grounded(client)
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    emulator.inject(Fault.stream_error(), path=GROUNDED)
    events = streamed(client)
    assert events[-1]["choices"][0]["finish_reason"] == "error" and events[-1]["error"]["code"] == 3001
    assert grounded(client).status_code == 200  # the queue is empty again


# -- command line -------------------------------------------------------------------------------


def test_cli_publisher_flag(tmp_path):
    path = tmp_path / "faq.jsonl"
    path.write_text(json.dumps({"id": "q1", "title": "Parking", "text": "Parking is free behind the hall."}) + "\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "langchain_gloo_gravix.emulator",
            "--port",
            "0",
            "--quiet",
            "--publisher",
            f"Hall={path}",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines = []
    try:
        for line in proc.stdout:  # ends at EOF if the process dies
            lines.append(line)
            if "Ctrl-C" in line:
                break
        out = "".join(lines)
        assert "Publisher 'Hall': 1 documents" in out
        base = out.split("export GLOO_BASE_URL=")[1].split()[0]
        r = httpx.post(
            base + GROUNDED,
            headers=GLOO,
            timeout=10,
            json={
                "auto_routing": True,
                "rag_publisher": "Hall",
                "include_citations": True,
                "messages": [{"role": "user", "content": "Is parking free?"}],
            },
        )
        assert r.status_code == 200 and r.json()["citations"][0]["source_id"] == "q1"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


@pytest.mark.parametrize("spec", ["NoEquals", "=path.jsonl", "Name=/nonexistent/file.jsonl"])
def test_cli_publisher_flag_errors(spec):
    proc = subprocess.run(
        [sys.executable, "-m", "langchain_gloo_gravix.emulator", "--port", "0", "--quiet", "--publisher", spec],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "--publisher" in proc.stderr
