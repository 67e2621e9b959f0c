"""Routing: path -> handler, fault application, replies as plain data.

Handlers never touch sockets; they return ``JsonReply`` or ``SseReply`` and
``server.py`` writes them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from . import auth, catalog, embeddings, errors, grounding, usage, validation
from .faults import IMMEDIATE_KINDS, Fault
from .prompt import Prompt
from .shapes import GLOO_V1, GLOO_V2, GRAVIX, Shaper, StreamPlan

if TYPE_CHECKING:
    from .emulator import Emulator, RecordedRequest

MALFORMED = '{"id": "chatcmpl-x", "choices": ['


@dataclass
class JsonReply:
    status: int
    body: Any  # dict/list is JSON-encoded; bytes/str sent as is
    headers: dict = field(default_factory=dict)


@dataclass
class SseReply:
    events: list  # dict -> ``data: <json>``; str -> ``data: <str>``
    crlf: bool = False
    pings: int = 0
    cut: bool = False  # close the socket without the terminating chunk
    headers: dict = field(default_factory=dict)


def dispatch(emu: "Emulator", req: "RecordedRequest", request_id: str) -> JsonReply | SseReply:
    fault = None if req.path == CONTROL_PATH else emu._faults.take(req.path)
    gravix = req.path.startswith("/v1/")
    if fault is not None and fault.kind in IMMEDIATE_KINDS:
        return _immediate(fault, gravix, req, request_id)
    if fault is not None and fault.kind == "slow":
        time.sleep(fault.params["seconds"])
        fault = None
    route = ROUTES.get(req.path)
    if route is None:
        body = errors.gravix_envelope("not_found", "Not found", request_id) if gravix else errors.NOT_FOUND
        return JsonReply(404, body)
    method, handler = route
    if req.method != method:
        return JsonReply(405, dict(errors.METHOD_NOT_ALLOWED), {"Allow": method})
    return handler(emu, req, request_id, fault)


def _immediate(fault: Fault, gravix: bool, req: "RecordedRequest", rid: str) -> JsonReply | SseReply:
    p = fault.params
    if fault.kind == "status":
        body = p["body"]
        if body is None:
            body = errors.gravix_default_body(p["code"], rid) if gravix else errors.gloo_default_body(p["code"], rid)
        return JsonReply(p["code"], body, dict(p["headers"]))
    if fault.kind == "rate_limit":
        headers = {}
        if p["retry_after"] is not None:
            headers["Retry-After"] = str(p["retry_after"])  # Gravix V4 (docs/providers.md#rate-limits); Gloo per T2
        if p["reset"] is not None:
            headers["X-RateLimit-Reset"] = str(int(p["reset"]))  # Gloo D4 (docs/providers.md#rate-limits)
        if gravix:
            headers.update({"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0"})  # V3
            return JsonReply(429, errors.gravix_default_body(429, rid), headers)
        return JsonReply(429, dict(errors.GLOO_RATE_LIMITED), headers)
    if fault.kind == "server_error":
        code = p["code"]
        body = errors.gravix_default_body(code, rid) if gravix else errors.gloo_ai_error(code, request_id=rid)
        return JsonReply(code, body)
    # malformed_json: truncated JSON, as an SSE payload when a stream was asked.
    if isinstance(req.json, dict) and req.json.get("stream") is True:
        return SseReply([MALFORMED])
    return JsonReply(200, MALFORMED.encode())


# -- simple routes -------------------------------------------------------------


def _token(emu: "Emulator", req: "RecordedRequest", rid: str, fault: Fault | None) -> JsonReply:
    status, body, headers = auth.token_grant(
        emu._tokens, req.headers, req.body, emu.CLIENT_ID, emu.CLIENT_SECRET, emu.client_scopes
    )
    return JsonReply(status, body, headers)


def _gloo_models(emu: "Emulator", req: "RecordedRequest", rid: str, fault: Fault | None) -> JsonReply:
    return JsonReply(200, catalog.gloo_registry())  # public, no auth (docs/providers.md#registry)


def _gravix_models(emu: "Emulator", req: "RecordedRequest", rid: str, fault: Fault | None) -> JsonReply:
    denied = auth.check_gravix(req.headers, emu.GRAVIX_API_KEY, rid)
    if denied:
        return JsonReply(*denied)
    return JsonReply(200, catalog.gravix_list())  # Ollama /v1/models shape (docs/providers.md#gravix-models [Inf])


def _embeddings(emu: "Emulator", req: "RecordedRequest", rid: str, fault: Fault | None) -> JsonReply:
    return JsonReply(*embeddings.handle(emu, req, rid, fault))


#: Path of the control endpoint users post faults to (README: "Testing your retry code").
CONTROL_PATH = "/_emulator/faults"
CHAT_PATHS = (
    "/ai/v1/chat/completions",
    "/ai/v2/chat/completions",
    "/ai/v2/chat/completions/grounded",
    "/v1/inference/chat/completions",
)


def _control_faults(emu: "Emulator", req: "RecordedRequest", rid: str, fault: Fault | None) -> JsonReply:
    """``POST /_emulator/faults {"faults": ["429", "503"], "path": ...}``: queue failures
    for the next chat requests (all three chat paths unless ``path`` is given);
    ``{"clear": true}`` drops pending ones. Loopback only, like the whole emulator."""
    body = req.json if isinstance(req.json, dict) else None
    if body is None:
        return JsonReply(400, {"detail": "expected a JSON object"})
    if body.get("clear") is True:
        emu._faults.clear()
    specs = body.get("faults") or []
    path = body.get("path")
    if not isinstance(specs, list) or (path is not None and not isinstance(path, str)):
        return JsonReply(400, {"detail": "faults must be a list of strings, path a string"})
    try:
        faults = tuple(Fault.from_spec(spec) for spec in specs)
    except (ValueError, TypeError) as exc:
        return JsonReply(400, {"detail": str(exc)})
    emu.inject_for_chat(*faults, path=path)
    return JsonReply(200, {"pending": len(emu._faults)})


# -- chat completions ----------------------------------------------------------


def _chat(flavour: str, grounded: bool = False) -> Callable:
    def handler(emu: "Emulator", req: "RecordedRequest", rid: str, fault: Fault | None):
        return chat(emu, req, rid, fault, flavour, grounded)

    return handler


def chat(
    emu: "Emulator", req: "RecordedRequest", rid: str, fault: Fault | None, flavour: str, grounded: bool = False
) -> JsonReply | SseReply:
    if flavour == GRAVIX:
        denied = auth.check_gravix(req.headers, emu.GRAVIX_API_KEY, rid)
    else:
        denied = auth.check_gloo(emu._tokens, req.headers, emu.GLOO_API_KEY)
    if denied:
        return JsonReply(*denied)
    try:
        body = validation.parse_json(req.body)
    except ValueError:
        if flavour == GRAVIX:
            return JsonReply(
                400,
                errors.gravix_envelope(
                    "validation_error", "Invalid JSON body", rid, details={"field": "body", "reason": "invalid JSON"}
                ),
            )
        return JsonReply(400, errors.gloo_ai_error(400, "Invalid JSON body", rid))
    if grounded:  # the v2 rules plus the grounded fields (docs/providers.md#grounded)
        problem = (
            grounding.prepare_body(body, rid)
            or validation.validate_gloo_v2(body, rid)
            or grounding.validate_grounded(body, emu._publishers, rid)
        )
    elif flavour == GLOO_V1:
        problem = validation.validate_gloo_v1(body)
    elif flavour == GLOO_V2:
        problem = validation.validate_gloo_v2(body, rid)
    else:
        problem = validation.validate_gravix(body, rid)
    if problem:
        return JsonReply(*problem)

    meta: dict = {}
    if flavour == GLOO_V1:
        model = body.get("model") or catalog.V1_DEFAULT_MODEL  # docs/providers.md#v1, D2
    elif flavour == GLOO_V2:
        prompt_text = Prompt.from_messages(body["messages"]).last_user
        meta = _with_tradition(catalog.routing_metadata(body, prompt_text), validation.known_tradition(body))
        model = meta["model"]
    else:
        model = body["model"]

    entry = catalog.lookup(model) if flavour != GRAVIX else None
    reply = emu._model.respond(
        body, reasoning_field=entry["_reasoning_field"] if entry else None, refusals=flavour != GRAVIX
    )
    if reply.spent_on_reasoning:
        return JsonReply(503, errors.empty_completion(rid))
    extra = grounding.ground(body, reply, emu._publishers) if grounded else {}
    quirk = fault.params["kind"] if fault is not None and fault.kind == "tool_quirk" else None
    stream = body.get("stream") is True
    if stream and quirk == "parallel_same_index" and reply.tool_calls:
        tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
        prompt = Prompt.from_messages(body["messages"])
        pair = (tools + tools)[:2] if len(tools) < 2 else tools[:2]
        reply.tool_calls = [emu._model.call_tool(t, prompt) for t in pair]

    n = emu._next("completion")
    # Ollama numbers its ids ("chatcmpl-638", docs/providers.md#gravix-request); Gloo shows 8 hex digits
    # ("chatcmpl-d7007d2f", docs/providers.md#v1).
    completion_id = f"chatcmpl-{n}" if flavour == GRAVIX else f"chatcmpl-{n:08x}"
    v2_usage = usage.gloo_v2_usage(reply, body["messages"], entry) if flavour == GLOO_V2 else None
    shaper = Shaper(flavour, completion_id, int(time.time()), model, meta, grounding=extra, v2_usage=v2_usage)
    if not stream:
        return JsonReply(200, shaper.completion(reply))
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    return _stream_reply(shaper, shaper.stream(reply, include_usage, quirk), fault, n)


def _stream_reply(shaper: Shaper, plan: StreamPlan, fault: Fault | None, n: int) -> SseReply:
    """The SSE reply for ``plan``, bent by a stream fault if one is pending."""
    kind = fault.kind if fault is not None else None
    params = fault.params if fault is not None else {}
    if kind == "cut_stream":
        sent = plan.head + plan.body  # never the finish chunk
        return SseReply(sent[: params["after_chunks"]], cut=True)
    if kind == "stream_error":
        p = params
        error = {
            "code": p["code"],
            "type": "internal_error",
            "message": p["message"],
            "fault": p["fault"],
            "retryable": p["retryable"],
        }
        # After one or two content chunks, then EOF: no [DONE]. The trace id
        # travels in ``x-sentry-trace-id`` (docs/providers.md#stream-errors, observed payload).
        # Reasoning chunks (if any) go out first, then the error after two answer chunks.
        answers = [i for i, c in enumerate(plan.body) if c["choices"] and "content" in c["choices"][0]["delta"]]
        cut = answers[1] + 1 if len(answers) >= 2 else answers[0] + 1 if answers else 2
        return SseReply(
            plan.head + plan.body[:cut] + [shaper.error_chunk(error)],
            headers={"x-sentry-trace-id": f"emulator-trace-{n:06d}"},
        )
    if kind == "keepalive":
        return SseReply(plan.events(), pings=params["lines"])
    if kind == "crlf":
        return SseReply(plan.events(), crlf=True)
    return SseReply(plan.events())


def _with_tradition(meta: dict, tradition: str | None) -> dict:
    """Insert ``tradition`` where the v2 example has it (after the routing
    fields); it is echoed only when set and known (docs/providers.md#v2-response, docs/providers.md#traditions)."""
    if tradition is None:
        return meta
    out = {}
    for key, value in meta.items():
        if key in ("provider", "model_family", "auto_routing") and "tradition" not in out:
            out["tradition"] = tradition
        out[key] = value
    out.setdefault("tradition", tradition)
    return out


ROUTES: dict[str, tuple[str, Callable]] = {
    "/oauth2/token": ("POST", _token),
    "/platform/v2/models": ("GET", _gloo_models),
    "/ai/v1/chat/completions": ("POST", _chat(GLOO_V1)),
    "/ai/v2/chat/completions": ("POST", _chat(GLOO_V2)),
    "/ai/v2/chat/completions/grounded": ("POST", _chat(GLOO_V2, grounded=True)),
    "/v1/inference/chat/completions": ("POST", _chat(GRAVIX)),
    "/v1/inference/models": ("GET", _gravix_models),
    "/v1/inference/embeddings": ("POST", _embeddings),
    CONTROL_PATH: ("POST", _control_faults),
}
