"""Cassette scrubbing and a review-friendly YAML format for vcrpy.

Secrets never reach a cassette: Authorization headers are replaced, the token
request's form body is reduced to its non-secret fields, and ``access_token``
in token responses is replaced. JSON bodies are stored pretty-printed and SSE
bodies as literal blocks, so a cassette diff reads like the traffic.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

import yaml

REDACTED = "REDACTED"
_SECRET_FORM_FIELDS = {"client_id", "client_secret", "api_key", "password"}
_SECRET_JSON_FIELDS = {"access_token", "refresh_token", "id_token", "api_key", "client_secret"}
_DROP_RESPONSE_HEADERS = {"set-cookie", "x-sentry-trace-id", "cf-ray"}


def scrub_request(request: Any) -> Any:
    if request.path.endswith("/platform/v2/models"):
        # Gloo's registry (100+ models) would be stored in every Gloo cassette, since each test
        # starts with a cold registry cache; not recording it keeps cassettes to the calls
        # under test. On replay the read finds no interaction and fails, and a failed registry
        # read only means no ``cost`` (core/registry.py); cost is tested against the emulator.
        return None
    if request.path.endswith("/oauth2/token") and request.body:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        fields = [(k, REDACTED if k in _SECRET_FORM_FIELDS else v) for k, v in parse_qsl(body)]
        request.body = urlencode(fields).encode()
    return request


def _scrub_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (REDACTED if k in _SECRET_JSON_FIELDS and isinstance(v, str) else _scrub_json(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub_json(v) for v in value]
    return value


def scrub_response(response: dict) -> dict:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in _DROP_RESPONSE_HEADERS:
            del headers[name]
    body = response.get("body", {}).get("string")
    if body:
        text = body.decode() if isinstance(body, bytes) else body
        if "access_token" in text or "api_key" in text:
            try:
                text = json.dumps(_scrub_json(json.loads(text)))
            except ValueError:
                pass
            response["body"]["string"] = text.encode() if isinstance(body, bytes) else text
    return response


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _clean_descriptions(value: Any) -> Any:
    """Every ``"description"`` string in its ``inspect.cleandoc`` form.

    Tool and schema descriptions come from docstrings, and Python 3.13 strips their
    common indentation at compile time (3.10-3.12 keep it): the same tool is described
    ``"Add.\n\n    Args: ..."`` on 3.12 and ``"Add.\n\nArgs: ..."`` on 3.13. ``cleandoc``
    maps both to one text and changes nothing else, so a description whose words
    differ still fails to match.
    """
    if isinstance(value, dict):
        return {
            k: inspect.cleandoc(v) if k == "description" and isinstance(v, str) else _clean_descriptions(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_clean_descriptions(v) for v in value]
    return value


def _normalized(body: Any) -> Any:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str):
        return body
    try:
        value = json.loads(body)
    except ValueError:
        return body
    # LangChain mints random uuid4 tool-call ids in few-shot examples; they
    # carry no meaning for the server, so they must not break replay.
    return json.loads(_UUID.sub("<uuid>", json.dumps(_clean_descriptions(value), sort_keys=True)))


def json_body_matcher(r1: Any, r2: Any) -> None:
    """vcrpy matcher: request bodies equal as JSON, ignoring random uuid4 ids and
    the interpreter's docstring indentation in descriptions (see ``_clean_descriptions``)."""
    if _normalized(r1.body) != _normalized(r2.body):
        raise AssertionError("request bodies differ")


class _Literal(str):
    pass


def _literal(dumper: yaml.SafeDumper, data: _Literal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal)


def _pretty(body: Any) -> Any:
    """Pretty JSON or a literal block for SSE; anything else unchanged."""
    if isinstance(body, bytes):
        try:
            body = body.decode()
        except UnicodeDecodeError:
            return body
    if not isinstance(body, str) or not body:
        return body
    if body.lstrip().startswith(("{", "[")):
        try:
            return _Literal(json.dumps(json.loads(body), indent=2, ensure_ascii=False) + "\n")
        except ValueError:
            return body
    if "\n" in body and not body.startswith((" ", "\t")) and "\r" not in body:
        return _Literal(body)
    return body


class PrettyYAMLSerializer:
    """vcrpy serializer (``serialize``/``deserialize``) storing readable YAML."""

    @staticmethod
    def serialize(cassette: dict) -> str:
        for interaction in cassette.get("interactions", []):
            request, response = interaction["request"], interaction["response"]
            request["body"] = _pretty(request.get("body"))
            response["body"]["string"] = _pretty(response["body"].get("string"))
            # the stored body is re-encoded on replay; a stale length would lie
            response["headers"] = {
                k: v for k, v in response.get("headers", {}).items() if k.lower() != "content-length"
            }
        return yaml.dump(cassette, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)

    @staticmethod
    def deserialize(text: str) -> dict:
        return yaml.safe_load(text)
