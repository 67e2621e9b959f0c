"""The published endpoint pages (../shared/api-docs) as data, and cassettes built from them.

``python -m tests.published`` (run by ``make record``) writes
``cassettes/published/*.yaml``: each holds the request our client sends for the
documented example call and, as the response, the documented example body
verbatim. The cassettes are committed, so the documented shapes stay under test
even where the pages themselves are not checked out; where they are, a test
checks that the cassettes still match them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT.parent / "shared" / "api-docs"
OUT = ROOT / "cassettes" / "published"

# name -> (docs file, index of the example on the page, endpoint, chat path, call kwargs, prompt)
EXAMPLES: dict[str, tuple[str, int, str, str, dict[str, Any], str]] = {
    "gloo_v1": ("gloo-completions-v1.txt", 0, "gloo-v1", "/ai/v1/chat/completions",
                {"model": "us.meta.llama3-3-70b-instruct-v1:0", "max_tokens": 1024, "temperature": 0.7}, "Hello!"),
    "gloo_v2": ("gloo-completions-v2.txt", 0, "gloo-v2", "/ai/v2/chat/completions",
                {"auto_routing": True, "tradition": "evangelical", "temperature": 0.7, "max_tokens": 1024},
                "What does the Bible say about forgiveness?"),
    "gravix_curl": ("gravixlayer-chat-completions.txt", 0, "gravix", "/v1/inference/chat/completions",
                    {"model": "llama3.1:8b-instruct-fp16"}, "Hello"),
    "gravix_python": ("gravixlayer-chat-completions.txt", 1, "gravix", "/v1/inference/chat/completions",
                      {"model": "llama3.1:8b-instruct-fp16"}, "Hello!"),
    "gravix_js": ("gravixlayer-chat-completions.txt", 2, "gravix", "/v1/inference/chat/completions",
                  {"model": "llama3.1:8b-instruct-fp16"}, "Hello"),
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


def documented_responses(doc: str) -> list[dict]:
    return [o for o in json_objects((DOCS / doc).read_text()) if "choices" in o]


def request_body(name: str) -> dict[str, Any]:
    from langchain_gloo_gravix.core import build_body, get_endpoint

    _, _, endpoint, _, kwargs, prompt = EXAMPLES[name]
    return build_body(get_endpoint(endpoint), [{"role": "user", "content": prompt}], kwargs, stream=False)


def cassette(name: str) -> dict[str, Any]:
    doc, index, _, path, _, _ = EXAMPLES[name]
    response = documented_responses(doc)[index]
    return {
        "version": 1,
        "interactions": [{
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
        }],
    }


def main() -> None:
    from tests.cassette_format import PrettyYAMLSerializer

    OUT.mkdir(parents=True, exist_ok=True)
    for name in EXAMPLES:
        (OUT / f"{name}.yaml").write_text(PrettyYAMLSerializer.serialize(cassette(name)))
        print(f"wrote {OUT / name}.yaml")


if __name__ == "__main__":
    main()
