"""Summing what a run cost, by served model: a LangChain callback handler and context manager.

Each Gloo answer whose model has prices in Gloo's registry carries
``response_metadata["cost"]`` (``{"input", "output", "total", "currency"}``, decimal strings;
core/cost.py). :class:`CostCallbackHandler` adds them up per served model (under auto routing,
the model that answered), as LangChain's ``UsageMetadataCallbackHandler`` does for tokens;
:func:`get_cost_callback` collects every chat-model call made inside a ``with`` block, as
``get_usage_metadata_callback`` / ``get_openai_callback`` do::

    from langchain_gloo_gravix import ChatGloo, get_cost_callback

    with get_cost_callback() as cb:
        ChatGloo().invoke("Hello")
        ChatGloo(model_family="anthropic").invoke("Hello")
    print(cb.cost_by_model, cb.total_cost, cb.unpriced_answers)

Streams count too: the last chunk carries the cost, and LangChain's end-of-run result merges it.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator, Optional

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.tracers.context import register_configure_hook

from .core.cost import CostTotals

__all__ = ["CostCallbackHandler", "get_cost_callback"]


class CostCallbackHandler(BaseCallbackHandler):
    """Sums ``response_metadata["cost"]`` by ``response_metadata["model_name"]`` across calls.

    Thread-safe (batches and parallel branches share one handler). ``cost_by_model`` maps each
    served model to its summed cost; ``total_cost`` sums them (None when nothing was priced, or
    when currencies differ); ``unpriced_answers`` counts answers without a cost.
    """

    def __init__(self) -> None:
        super().__init__()
        self.totals = CostTotals()

    @property
    def cost_by_model(self) -> dict[str, dict[str, str]]:
        return dict(self.totals.by_model)

    @property
    def total_cost(self) -> Optional[dict[str, str]]:
        return self.totals.total

    @property
    def unpriced_answers(self) -> int:
        return self.totals.unpriced

    def __repr__(self) -> str:
        return repr(self.totals)

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        for generations in response.generations:
            # n choices of one call share its usage, hence its cost: the first one speaks for them
            generation = generations[0] if generations else None
            if not isinstance(generation, ChatGeneration) or not isinstance(generation.message, AIMessage):
                continue
            metadata = generation.message.response_metadata
            if metadata.get("model_provider") != "gloo":
                continue  # other providers' answers carry no cost; not "unpriced" Gloo answers
            cost = metadata.get("cost")
            self.totals.add(metadata.get("model_name"), cost if isinstance(cost, dict) else None)


_COST_CALLBACK: ContextVar[Optional[CostCallbackHandler]] = ContextVar("gloo_cost_callback", default=None)
register_configure_hook(_COST_CALLBACK, inheritable=True)


@contextmanager
def get_cost_callback() -> Iterator[CostCallbackHandler]:
    """A :class:`CostCallbackHandler` attached to every chat-model call made inside the block."""
    handler = CostCallbackHandler()
    token = _COST_CALLBACK.set(handler)
    try:
        yield handler
    finally:
        _COST_CALLBACK.reset(token)
