"""The published endpoint pages (../shared/api-docs) as data, and cassettes built from them.

The example requests and responses of the three pages are kept in the repo, in
``tests/data/published_examples.json``, so the tests that check them run from any
clone; where the pages are checked out (``../shared/api-docs``, or the directory
named by ``LGG_API_DOCS``), a test checks that the data still matches them.

``python -m tests.support.published`` (run by ``make record``) refreshes that data from the
pages when they are present, then writes ``cassettes/published/*.yaml``: each holds
the request our client sends for the documented example call and, as the response,
the documented example body verbatim.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOCS = Path(os.environ.get("LGG_API_DOCS") or ROOT.parent / "shared" / "api-docs")
DATA = ROOT / "tests" / "data" / "published_examples.json"
OUT = ROOT / "cassettes" / "published"
PAGES = ("gloo-completions-v1.txt", "gloo-completions-v2.txt", "gravixlayer-chat-completions.txt")

# name -> (docs file, index of the example on the page, endpoint, chat path, call kwargs, prompt)
EXAMPLES: dict[str, tuple[str, int, str, str, dict[str, Any], str]] = {
    "gloo_v1": (
        "gloo-completions-v1.txt",
        0,
        "gloo-v1",
        "/ai/v1/chat/completions",
        {"model": "us.meta.llama3-3-70b-instruct-v1:0", "max_tokens": 1024, "temperature": 0.7},
        "Hello!",
    ),
    "gloo_v2": (
        "gloo-completions-v2.txt",
        0,
        "gloo-v2",
        "/ai/v2/chat/completions",
        {"auto_routing": True, "tradition": "evangelical", "temperature": 0.7, "max_tokens": 1024},
        "What does the Bible say about forgiveness?",
    ),
    "gravix_curl": (
        "gravixlayer-chat-completions.txt",
        0,
        "gravix",
        "/v1/inference/chat/completions",
        {"model": "llama3.1:8b-instruct-fp16"},
        "Hello",
    ),
    "gravix_python": (
        "gravixlayer-chat-completions.txt",
        1,
        "gravix",
        "/v1/inference/chat/completions",
        {"model": "llama3.1:8b-instruct-fp16"},
        "Hello!",
    ),
    "gravix_js": (
        "gravixlayer-chat-completions.txt",
        2,
        "gravix",
        "/v1/inference/chat/completions",
        {"model": "llama3.1:8b-instruct-fp16"},
        "Hello",
    ),
}
HOST = "http://127.0.0.1:8787"


def json_objects(text: str) -> list[dict]:
    """Every top-level {...} in ``text`` that parses as JSON, in order, without repeats
    (the pages mix curl, Python and JavaScript around the JSON)."""
    decoder = json.JSONDecoder()
    found: list[dict] = []
    i = 0
    while (i := text.find("{", i)) >= 0:
        try:
            obj, end = decoder.raw_decode(text, i)
        except ValueError:
            i += 1
            continue
        if isinstance(obj, dict) and obj not in found:
            found.append(obj)
        i = end
    return found


def extract_from_pages(docs: Path = DOCS) -> dict[str, dict[str, list[dict]]]:
    """page -> its example responses (objects with ``choices``) and requests (with ``messages``)."""
    out = {}
    for page in PAGES:
        found = json_objects((docs / page).read_text())
        out[page] = {
            "responses": [o for o in found if "choices" in o],
            "requests": [o for o in found if "messages" in o],
        }
    return out


@lru_cache(maxsize=1)
def _stored() -> dict[str, dict[str, list[dict]]]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def documented_responses(doc: str) -> list[dict]:
    """The page's example responses, from the copy in the repo (fresh objects each call)."""
    return json.loads(json.dumps(_stored()[doc]["responses"]))


def documented_requests(doc: str) -> list[dict]:
    return json.loads(json.dumps(_stored()[doc]["requests"]))


def request_body(name: str) -> dict[str, Any]:
    from langchain_gloo_gravix.core import build_body, get_endpoint

    _, _, endpoint, _, kwargs, prompt = EXAMPLES[name]
    return build_body(get_endpoint(endpoint), [{"role": "user", "content": prompt}], kwargs, stream=False)


def cassette(name: str) -> dict[str, Any]:
    doc, index, _, path, _, _ = EXAMPLES[name]
    response = documented_responses(doc)[index]
    return {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": HOST + path,
                    "body": json.dumps(request_body(name)),
                    "headers": {"content-type": ["application/json"], "authorization": ["REDACTED"]},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"content-type": ["application/json"]},
                    "body": {"string": json.dumps(response)},
                },
            }
        ],
    }


def main() -> None:
    from tests.support.cassette_format import PrettyYAMLSerializer

    if DOCS.is_dir():
        DATA.parent.mkdir(parents=True, exist_ok=True)
        DATA.write_text(json.dumps(extract_from_pages(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _stored.cache_clear()
        print(f"wrote {DATA} from {DOCS}")
    else:
        print(f"{DOCS} not found: keeping {DATA}")
    OUT.mkdir(parents=True, exist_ok=True)
    for name in EXAMPLES:
        (OUT / f"{name}.yaml").write_text(PrettyYAMLSerializer.serialize(cassette(name)))
        print(f"wrote {OUT / name}.yaml")


if __name__ == "__main__":
    main()
