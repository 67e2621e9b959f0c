"""Wire shapes of completions and stream chunks, per service flavour.

- ``gloo_v1``: the published v1 example (docs/providers.md#v1): an
  OpenAI-SDK dump with ``logprobs``, ``refusal``, ``annotations``, ``audio``,
  ``function_call``, ``service_tier: null`` and ``system_fingerprint: "fp"``.
- ``gloo_v2``: the published v2 example (docs/providers.md#v2-response) plus routing metadata
  at top level (``provider``, ``model_family``, ``auto_routing`` ...).
- ``gravix``: the raw cURL example (docs/providers.md#gravix-response): Ollama's OpenAI layer,
  ``system_fingerprint: "fp_ollama"``, usage ordered prompt-first.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

from .model import Reply, ToolCall
from .usage import gloo_usage

GLOO_V1, GLOO_V2, GRAVIX = "gloo_v1", "gloo_v2", "gravix"


@dataclass
class StreamPlan:
    """Ordered SSE payloads; ``head`` + ``body`` precede the finish chunk."""

    head: list[dict]
    body: list[dict]
    finish: dict
    usage: dict | None
    done: bool  # send ``data: [DONE]`` at the end (Gravix only, docs/providers.md#end-of-stream)

    def events(self) -> list:
        out: list = [*self.head, *self.body, self.finish]
        if self.usage is not None:
            out.append(self.usage)
        if self.done:
            out.append("[DONE]")
        return out


@dataclass
class Shaper:
    flavour: str
    completion_id: str
    created: int
    model: str
    meta: dict = field(default_factory=dict)  # v2 routing metadata (+ tradition)
    #: grounded route: sources_returned / citations, on the completion and the finish chunk.
    grounding: dict = field(default_factory=dict)
    #: v2 usage with the cache fields (usage.py); None elsewhere
    v2_usage: dict | None = None

    # -- non-streaming ---------------------------------------------------------

    def completion(self, reply: Reply) -> dict:
        calls = [c.as_message_part() for c in reply.tool_calls] or None
        if self.flavour == GLOO_V1:
            message = {
                "content": reply.content,
                "refusal": reply.refusal,
                "role": "assistant",
                "annotations": None,
                "audio": None,
                "function_call": None,
                "tool_calls": calls,
            }
            return {
                "id": self.completion_id,
                "choices": [{"finish_reason": reply.finish_reason, "index": 0, "logprobs": None, "message": message}],
                "created": self.created,
                "model": self.model,
                "object": "chat.completion",
                "service_tier": None,
                "system_fingerprint": "fp",
                "usage": {**gloo_usage(reply), "completion_tokens_details": None, "prompt_tokens_details": None},
            }
        if self.flavour == GLOO_V2:
            message = {"content": reply.content, "role": "assistant", "refusal": reply.refusal}
            if reply.reasoning:
                message[reply.reasoning_field] = reply.reasoning
            if calls:
                message["tool_calls"] = calls
            return {
                **self._top("chat.completion", with_meta=True),
                "choices": [{"finish_reason": reply.finish_reason, "index": 0, "message": message}],
                "usage": self._usage(reply),
                **self.grounding,
            }
        message = {"role": "assistant", "content": reply.content}
        if calls:
            message["tool_calls"] = calls
        return {
            **self._top("chat.completion"),
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}],
            "usage": reply.usage,
        }

    # -- streaming -------------------------------------------------------------

    def stream(self, reply: Reply, include_usage: bool, quirk: str | None = None) -> StreamPlan:
        head = [self.chunk({"role": "assistant", "content": ""}, with_meta=True)]
        # Reasoning streams first, in the model's reasoning field (docs/providers.md#reasoning).
        body = [self.chunk({reply.reasoning_field: piece}) for piece in content_pieces(reply.reasoning or "")]
        body += [self.chunk({"content": piece}) for piece in content_pieces(reply.content or "")]
        body += [self.chunk({"refusal": piece}) for piece in content_pieces(reply.refusal or "")]
        if reply.tool_calls:
            # Ollama (Gravix) sends each call whole in one delta (docs/providers.md#ollama-quirks).
            style = quirk or ("whole_call" if self.flavour == GRAVIX else "standard")
            body += [self.chunk(d) for d in tool_deltas(reply.tool_calls, style)]
        finish = self.chunk({}, finish_reason=reply.finish_reason, with_meta=True)
        finish.update(self.grounding)  # [Inf] which chunk carries them is unpublished
        usage = None
        if include_usage:
            # Usage arrives on a final chunk with an empty ``choices`` list
            # (docs/providers.md#stream-usage: include_usage).
            usage = self._envelope([], usage=self._usage(reply))
        # Gloo never sends [DONE] (G5), Ollama does (docs/providers.md#end-of-stream).
        return StreamPlan(head, body, finish, usage, done=self.flavour == GRAVIX)

    def chunk(self, delta: dict, finish_reason: str | None = None, with_meta: bool = False) -> dict:
        if self.flavour == GLOO_V1:
            choice = {"delta": delta, "finish_reason": finish_reason, "index": 0, "logprobs": None}
        else:
            choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
        return self._envelope([choice], with_meta=with_meta)

    def error_chunk(self, error: dict) -> dict:
        """Gloo's structured in-stream error, "Signal A" (docs/providers.md#stream-errors, D5)."""
        out = self.chunk({}, finish_reason="error")
        out["error"] = error
        return out

    def _envelope(self, choices: list, usage: dict | None = None, with_meta: bool = False) -> dict:
        if self.flavour == GLOO_V1:
            # Field order and nulls of an OpenAI-SDK ChatCompletionChunk dump,
            # matching the v1 non-stream example [Inf: v1 streaming is
            # undocumented, docs/providers.md#v1].
            return {
                "id": self.completion_id,
                "choices": choices,
                "created": self.created,
                "model": self.model,
                "object": "chat.completion.chunk",
                "service_tier": None,
                "system_fingerprint": "fp",
                "usage": usage,
            }
        out = {**self._top("chat.completion.chunk", with_meta=with_meta), "choices": choices}
        if usage is not None:
            out["usage"] = usage
        return out

    def _usage(self, reply: Reply) -> dict:
        if self.flavour == GRAVIX:
            return reply.usage
        if self.flavour == GLOO_V2 and self.v2_usage is not None:
            return self.v2_usage
        return gloo_usage(reply)

    def _top(self, obj: str, with_meta: bool = False) -> dict:
        top = {"id": self.completion_id, "object": obj, "created": self.created, "model": self.model}
        if self.flavour == GRAVIX:
            top["system_fingerprint"] = "fp_ollama"
        elif self.flavour == GLOO_V2 and with_meta:
            top.update({k: v for k, v in self.meta.items() if k != "model"})
        return top


def content_pieces(text: str) -> list[str]:
    """Split ``text`` into chunks of two words; they concatenate back exactly."""
    words = re.findall(r"\s*\S+\s*", text)
    if not words:
        return [text] if text else []
    return ["".join(words[i : i + 2]) for i in range(0, len(words), 2)]


def argument_fragments(arguments: str) -> list[str]:
    """About four fragments, so clients must concatenate (docs/providers.md#tools)."""
    if len(arguments) <= 2:
        return [arguments]
    size = max(2, math.ceil(len(arguments) / 4))
    return [arguments[i : i + size] for i in range(0, len(arguments), size)]


def tool_deltas(calls: list[ToolCall], style: str) -> list[dict]:
    """Deltas carrying ``calls`` in OpenAI ``standard`` form or a server quirk."""
    deltas: list[dict] = []
    for i, call in enumerate(calls):
        head = {"id": call.id, "type": "function"}
        if style in ("whole_call", "parallel_same_index"):
            index = 0 if style == "parallel_same_index" else i
            deltas.append(
                {"tool_calls": [{"index": index, **head, "function": {"name": call.name, "arguments": call.arguments}}]}
            )
        elif style == "args_object":
            deltas.append(
                {
                    "tool_calls": [
                        {"index": i, **head, "function": {"name": call.name, "arguments": json.loads(call.arguments)}}
                    ]
                }
            )
        else:
            first = {"index": i, **head, "function": {"name": call.name, "arguments": ""}}
            if style == "no_index":
                del first["index"]
            deltas.append({"tool_calls": [first]})
            for frag in argument_fragments(call.arguments):
                if style == "repeat_id_name":
                    part = {"index": i, **head, "function": {"name": call.name, "arguments": frag}}
                elif style == "no_index":
                    part = {"function": {"arguments": frag}}
                else:
                    part = {"index": i, "function": {"arguments": frag}}
                deltas.append({"tool_calls": [part]})
    return deltas
