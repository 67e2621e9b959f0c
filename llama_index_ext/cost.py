"""Summing what a run cost, by served model, with LlamaIndex's instrumentation.

Each ``Gloo`` answer whose model has prices in Gloo's registry carries
``additional_kwargs["cost"]`` (``{"input", "output", "total", "currency"}``, decimal strings; on a
stream, its last chunk). :class:`CostEventHandler` is an instrumentation event handler that adds
them up per served model (``additional_kwargs["model"]``) from the end-of-call events every LLM
dispatches, so agents, query engines and workflows are covered without changes::

    from llama_index.core.instrumentation import get_dispatcher
    from llama_index_ext import CostEventHandler, Gloo

    costs = CostEventHandler()
    get_dispatcher().add_event_handler(costs)      # the root dispatcher sees every LLM event
    Gloo().complete("Hello")
    print(costs.cost_by_model, costs.total_cost, costs.unpriced_answers)
"""

from __future__ import annotations

from typing import Any, Optional

from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent, LLMCompletionEndEvent
from pydantic import PrivateAttr

from langchain_gloo_gravix.core.cost import CostTotals

__all__ = ["CostEventHandler"]


def _from_gloo(extra: dict[str, Any]) -> bool:
    model = extra.get("model")
    return "cost" in extra or "routing" in extra or (isinstance(model, str) and model.startswith("gloo"))


class CostEventHandler(BaseEventHandler):
    """Sums ``additional_kwargs["cost"]`` by served model across LLM calls (thread-safe).

    ``cost_by_model`` maps each model to its summed cost; ``total_cost`` sums them (None when
    nothing was priced or currencies differ); ``unpriced_answers`` counts Gloo answers that came
    without a cost (model without registry prices, registry unreachable, no usage).
    """

    _totals: CostTotals = PrivateAttr(default_factory=CostTotals)

    @classmethod
    def class_name(cls) -> str:
        return "GlooCostEventHandler"

    @property
    def totals(self) -> CostTotals:
        return self._totals

    @property
    def cost_by_model(self) -> dict[str, dict[str, str]]:
        return dict(self._totals.by_model)

    @property
    def total_cost(self) -> Optional[dict[str, str]]:
        return self._totals.total

    @property
    def unpriced_answers(self) -> int:
        return self._totals.unpriced

    def handle(self, event: Any, **kwargs: Any) -> None:
        if not isinstance(event, (LLMChatEndEvent, LLMCompletionEndEvent)) or event.response is None:
            return
        extra = event.response.additional_kwargs or {}
        if not _from_gloo(extra):
            return
        cost = extra.get("cost")
        self._totals.add(extra.get("model"), cost if isinstance(cost, dict) else None)
