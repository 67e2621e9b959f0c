"""The call traces of docs/maintainers.md, held: a call's parameters are worked out once.

Each public call of both frameworks (plain, streamed, with tools; sync and async) enters the core's request
module exactly once, through ``core.request.prepare_call`` (merge, routing default, checks, body, bytes), and
sends what it prepared; the adapters never merge or check parameters a second time. Entries are counted with a
profile hook: a call into ``request.py`` from any other file is one entry.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import pytest

import langchain_gloo_gravix.core
from tests.support.parity_server import Script, chunk, completion, sse

CORE = Path(langchain_gloo_gravix.core.__file__).parent


def _entries(run: Callable[[], Any]) -> Counter[str]:
    """How many times each core module was entered from another file while ``run()`` ran."""
    counts: Counter[str] = Counter()

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event != "call":
            return
        path = frame.f_code.co_filename
        if Path(path).parent != CORE:
            return
        back = frame.f_back
        if back is None or back.f_code.co_filename != path:
            counts[Path(path).name] += 1

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return counts


def _tool_answer() -> dict[str, Any]:
    call = {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Paris"}'}}
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    return completion(choices=[{"index": 0, "message": message, "finish_reason": "tool_calls"}])


CALLS = {
    "invoke": (lambda: completion(), lambda chat, llm: chat.invoke(llm)),
    "ainvoke": (lambda: completion(), lambda chat, llm: asyncio.run(chat.ainvoke(llm))),
    "stream": (
        lambda: sse(chunk({"content": "Hi"}), chunk(finish="stop")),
        lambda chat, llm: chat.stream(llm),
    ),
    "astream": (
        lambda: sse(chunk({"content": "Hi"}), chunk(finish="stop")),
        lambda chat, llm: asyncio.run(chat.astream(llm)),
    ),
    "tool call": (_tool_answer, lambda chat, llm: chat.with_tool(llm)),
}


@pytest.mark.parametrize("kind", ["gloo-v2", "gravix"])
@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_call_enters_the_request_module_once(chat, kind, call):
    answer, run = CALLS[call]
    llm = chat.make(kind, Script(answer()))
    run(chat, llm)  # the client is built and cached: the trace is of a call, as in docs/maintainers.md
    counts = _entries(lambda: run(chat, llm))
    assert counts["request.py"] == 1, counts
