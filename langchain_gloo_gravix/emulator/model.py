"""The scripted "model": a deterministic reply derived from the request.

It honours what a client plugin must map correctly: ``stop`` and
``max_tokens`` (finish_reason ``stop`` / ``length``), tool calls
(finish_reason ``tool_calls``, ``content`` null, arguments as a JSON
*string*: docs/providers.md#tools), answers after ``role: "tool"`` results, and
``response_format`` ``json_schema`` / ``json_object`` (docs/providers.md#v2-request, docs/providers.md#gravix-request),
also after tool results, Gloo's typed refusal (``finish_reason:
"content_filter"`` with ``message.refusal``, docs/providers.md#v2-response) when the guardrail
rule of guardrail.py refuses the last user message, and reasoning text from
reasoning models (``reasoning_content`` or ``reasoning_text``, docs/providers.md#reasoning).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .guardrail import REFUSAL_MARKER, REFUSAL_TEXT, guardrail_refuses
from .prompt import Prompt, content_text, count_pieces, count_prompt_tokens, echo, mention_pattern
from .schema_fill import SchemaFiller

__all__ = ["REFUSAL_MARKER", "REFUSAL_TEXT", "Reply", "ScriptedModel", "ToolCall"]


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as on the wire

    def as_message_part(self) -> dict:
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}


@dataclass
class Reply:
    content: str | None
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    tool_calls: list[ToolCall] = field(default_factory=list)
    refusal: str | None = None
    reasoning: str | None = None
    #: the delta/message field the reasoning travels in (``reasoning_content`` or ``reasoning_text``)
    reasoning_field: str = "reasoning_content"
    #: ``max_tokens`` ran out while the model was still thinking: no answer at all
    spent_on_reasoning: bool = False

    @property
    def reasoning_tokens(self) -> int:
        return count_pieces(self.reasoning or "")

    @property
    def usage(self) -> dict:
        completion = self.completion_tokens + self.reasoning_tokens
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
        }


def tool_name(tool: Any) -> str | None:
    """Name of a tool in the nested (OpenAI) or flat (Responses) schema."""
    if not isinstance(tool, dict):
        return None
    fn = tool.get("function")
    name = fn.get("name") if isinstance(fn, dict) else tool.get("name")
    return name if isinstance(name, str) and name else None


def tool_parameters(tool: dict) -> dict:
    fn = tool["function"] if isinstance(tool.get("function"), dict) else tool
    params = fn.get("parameters")
    return params if isinstance(params, dict) else {"type": "object", "properties": {}}


class ScriptedModel:
    """Stateless apart from the id source used for tool-call ids."""

    def __init__(self, next_call_id: Callable[[], str]) -> None:
        self._next_call_id = next_call_id

    def respond(self, body: dict, *, reasoning_field: str | None = None, refusals: bool = True) -> Reply:
        """The reply to a validated request. ``reasoning_field``: the model shows its thinking
        in that field; ``refusals``: the service has Gloo's guardrail (Gravix/Ollama has none)."""
        messages = body["messages"]
        prompt = Prompt.from_messages(messages)
        prompt_tokens = count_prompt_tokens(messages)
        if refusals and guardrail_refuses(prompt.last_user):
            # Safety refusals win over tools and schemas (Signal B, docs/providers.md#stream-errors).
            return Reply(None, "content_filter", prompt_tokens, count_pieces(REFUSAL_TEXT), refusal=REFUSAL_TEXT)
        reasoning = reasoning_text(prompt) if reasoning_field else None
        field_name = reasoning_field or "reasoning_content"
        tools = [t for t in (body.get("tools") or []) if tool_name(t)]
        tool_choice = body.get("tool_choice")
        last_role = messages[-1].get("role") if messages else None

        if last_role != "tool" and tools and tool_choice != "none":
            call = self.call_tool(pick_tool(tools, tool_choice, prompt), prompt)
            pieces = count_pieces(call.name) + count_pieces(call.arguments)
            return Reply(
                None, "tool_calls", prompt_tokens, pieces, [call], reasoning=reasoning, reasoning_field=field_name
            )

        if last_role == "tool":
            # With a schema set, the answer after tool results is JSON too, built
            # from the question and what the tools returned.
            results = tool_result_text(messages)
            with_results = Prompt.from_messages(
                [*messages, {"role": "user", "content": f"{prompt.last_user}\n{results}"}]
            )
            text = structured_text(body.get("response_format"), with_results) or results
        else:
            structured = structured_text(body.get("response_format"), prompt)
            text = structured if structured is not None else plain_text(prompt)
        spent = count_pieces(reasoning or "")
        limit = token_limit(body)
        if reasoning and limit is not None and spent >= limit:
            # The thinking used the whole budget: the service turns the empty answer into
            # 503 service_unavailable_error code 2006 (routes.py).
            return Reply(None, "length", prompt_tokens, 0, spent_on_reasoning=True)
        text, finish = apply_limits(text, body, spent)
        return Reply(text, finish, prompt_tokens, count_pieces(text), reasoning=reasoning, reasoning_field=field_name)

    def call_tool(self, tool: dict, prompt: Prompt) -> ToolCall:
        name = tool_name(tool) or "tool"
        args = SchemaFiller(prompt, tool_parameters(tool), tool_name=name).build()
        if not isinstance(args, dict):
            args = {}
        # ensure_ascii=False keeps non-ASCII prompt text as is.
        return ToolCall(self._next_call_id(), name, json.dumps(args, ensure_ascii=False))


def pick_tool(tools: list[dict], tool_choice: Any, prompt: Prompt) -> dict:
    """Forced tool, else a tool named in the conversation, else the tool most
    relevant to the last user message, else the first."""
    by_name = {tool_name(t): t for t in tools}
    if isinstance(tool_choice, dict):
        fn = tool_choice.get("function")
        forced = fn.get("name") if isinstance(fn, dict) else tool_choice.get("name")
        if forced in by_name:
            return by_name[forced]
    if tool_choice in ("required", "any") and len(tools) == 1:
        return tools[0]
    for text in (prompt.last_user, prompt.conversation):
        hits = []
        for tool in tools:
            m = mention_pattern(tool_name(tool) or "").search(text)
            if m:
                hits.append((m.start(), tools.index(tool)))
        if hits:
            return tools[min(hits)[1]]
    wanted = _stems(prompt.last_user)
    scores = [len(wanted & tool_words(tool)) for tool in tools]
    return tools[scores.index(max(scores))]  # ties (and no overlap at all): the first


# Words too common in prompts and tool names to say which tool is meant.
_NOT_RELEVANT = {
    "get",
    "set",
    "use",
    "call",
    "tool",
    "function",
    "please",
    "me",
    "my",
    "i",
    "you",
    "your",
    "it",
    "this",
    "that",
    "with",
    "be",
    "can",
    "will",
    "tell",
    "give",
    "find",
    "about",
    "from",
    "by",
}


def _stems(text: str) -> set[str]:
    """Content words, with crude plural folding ("cities"/"city", "forecasts"/"forecast")."""
    words = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOPWORDS or word in _NOT_RELEVANT:
            continue
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return words


def tool_words(tool: dict) -> set[str]:
    """Words of a tool's name, description and parameter names and descriptions."""
    fn = tool["function"] if isinstance(tool.get("function"), dict) else tool
    parts = [str(tool_name(tool) or "").replace("_", " "), str(fn.get("description") or "")]
    props = tool_parameters(tool).get("properties")
    if isinstance(props, dict):
        for key, schema in props.items():
            parts.append(str(key).replace("_", " "))
            if isinstance(schema, dict):
                parts.append(str(schema.get("description") or ""))
    return _stems(" ".join(parts))


def tool_result_text(messages: list[dict]) -> str:
    """Answer using the trailing ``role: "tool"`` message(s)."""
    trailing = []
    for msg in reversed(messages):
        if msg.get("role") != "tool":
            break
        trailing.append(msg)
    trailing.reverse()
    names: dict[str, str] = {}
    for msg in messages:
        for call in msg.get("tool_calls") or []:
            if isinstance(call, dict) and isinstance(call.get("function"), dict):
                names[str(call.get("id"))] = call["function"].get("name") or "the tool"
    parts = []
    for msg in trailing:
        name = msg.get("name") or names.get(msg.get("tool_call_id")) or "the tool"
        result = content_text(msg.get("content")).strip().rstrip(".") or "empty"
        parts.append(f"the result of {name} is {result}")
    sentence = ", and ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."


_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = {"the", "a", "an", "is", "are", "do", "does", "how", "what", "of", "to", "in", "and", "for", "on", "at"}


def grounded_text(prompt: Prompt) -> str | None:
    """RAG prompts ("Context information is below ... Query: ..."): answer with the
    context sentence that shares the most words with the query, so retrieval
    demos and tests show the context being used."""
    text = prompt.last_user
    if "Query:" not in text or "---" not in text:
        return None
    context = text.split("---", 1)[1].rsplit("---", 1)[0]
    query = text.rsplit("Query:", 1)[1].split("Answer:", 1)[0]
    wanted = set(_WORD.findall(query.lower())) - _STOPWORDS
    sentences = [s.strip(" -\n") for s in re.split(r"(?<=[.!?])\s+|\n+", context) if len(s.strip(" -\n")) > 3]
    if not sentences or not wanted:
        return None
    best = max(sentences, key=lambda s: len(wanted & set(_WORD.findall(s.lower()))))
    if not wanted & set(_WORD.findall(best.lower())):
        return None
    return f"According to the context: {best}"


def reasoning_text(prompt: Prompt) -> str:
    """What a reasoning model "thinks" before answering (deterministic)."""
    said = echo(prompt.last_user.strip(), 8) or "nothing"
    return f'The user wrote "{said}". I should answer briefly and directly.'


def plain_text(prompt: Prompt) -> str:
    grounded = grounded_text(prompt)
    if grounded:
        return grounded
    said = echo(prompt.last_user.strip())
    if said:
        opening = f'Hello! You said: "{said}".'
    elif prompt.last_user_has_image:
        opening = "Hello! You sent an image."
    else:
        opening = "Hello! You sent an empty message."
    if prompt.images:
        count = len(prompt.images)
        opening += f" I see {count} image{'s' if count > 1 else ''}: {'; '.join(prompt.images)}."
    return opening + " This is a scripted reply from the local emulator."


def structured_text(response_format: Any, prompt: Prompt) -> str | None:
    """JSON content for ``response_format``, or None when not requested."""
    if not isinstance(response_format, dict):
        return None
    kind = response_format.get("type")
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {}
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if isinstance(schema, dict):
            value = SchemaFiller(prompt, schema).build()
            return json.dumps(value, ensure_ascii=False)
        kind = "json_object"
    if kind == "json_object":
        keys = []
        for _, quoted in prompt.quoted:
            if len(quoted) <= 40 and quoted not in keys:
                keys.append(quoted)
        said = echo(prompt.last_user.strip(), 8)
        obj = {k: f"{k}: {said}" for k in keys} if keys else {"answer": plain_text(prompt)}
        return json.dumps(obj, ensure_ascii=False)
    return None


def token_limit(body: dict) -> int | None:
    """``max_tokens`` (or ``max_completion_tokens``) when it is a usable count."""
    limit = body.get("max_tokens")
    if limit is None:
        limit = body.get("max_completion_tokens")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
        return limit
    return None


def apply_limits(text: str, body: dict, spent: int = 0) -> tuple[str, str]:
    """Cut at the first ``stop`` sequence, then at what ``max_tokens`` leaves after the
    ``spent`` reasoning pieces."""
    stops = body.get("stop")
    if isinstance(stops, str):
        stops = [stops]
    finish = "stop"
    if isinstance(stops, list):
        cuts = [text.find(s) for s in stops if isinstance(s, str) and s and s in text]
        if cuts:
            text = text[: min(cuts)]
    limit = token_limit(body)
    if limit is not None:
        limit = max(0, limit - spent)
        pieces = list(re.finditer(r"\S+", text))
        if len(pieces) > limit:
            text = text[: pieces[limit - 1].end()] if limit > 0 else ""
            finish = "length"
    return text, finish
