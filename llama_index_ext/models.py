"""LlamaIndex's view of the core model catalog (``langchain_gloo_gravix.core.catalog``).

LlamaIndex sizes everything from ``LLM.metadata``: ``PromptHelper`` packs retrieved
chunks into ``context_window - num_output`` tokens, chat memories keep
``context_window - 256`` tokens, and ``FunctionAgent`` / ``structured_predict`` /
``AgentWorkflow`` check ``is_function_calling_model``. OpenAILike's defaults
(3,900 tokens, no tools) cripple all of that, so the numbers come from the one
catalog LangChain's ``profile`` also reads.

``num_output`` is the room LlamaIndex reserves for the answer (the catalog's
``max_output_tokens``), not a limit sent to the server (``max_tokens`` is only
sent when the user sets it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from langchain_gloo_gravix.core.catalog import AUTO_ROUTING_SPEC, DEFAULT_SPEC, ModelSpec, spec_for

__all__ = ["ModelProfile", "profile_for", "from_spec", "DEFAULT_PROFILE", "AUTO_ROUTING_PROFILE"]


@dataclass(frozen=True)
class ModelProfile:
    context_window: int
    num_output: int
    #: False only for models known to reject ``tools`` (HTTP 400).
    function_calling: bool = True
    #: Prompt tokens that leave room for the largest answer (the catalog's rule, shared with
    #: LangChain's ``profile["max_input_tokens"]``).
    max_input_tokens: int = 0

    def window_for(self, num_output: int) -> int:
        """``context_window`` for an answer of ``num_output`` tokens: what LlamaIndex packs
        (``context_window - num_output``) never exceeds ``max_input_tokens``, so a smaller
        ``max_tokens`` does not let a prompt grow past what the model accepts."""
        return min(self.context_window, self.max_input_tokens + num_output)


def from_spec(spec: ModelSpec) -> ModelProfile:
    return ModelProfile(spec.context_window, spec.max_output_tokens, spec.tool_calling, spec.max_input_tokens)


DEFAULT_PROFILE = from_spec(DEFAULT_SPEC)
AUTO_ROUTING_PROFILE = from_spec(AUTO_ROUTING_SPEC)


def profile_for(
    model: Optional[str] = None,
    *,
    model_family: Optional[str] = None,
    auto_routing: bool = False,
) -> ModelProfile:
    """The profile of a model id, a Gloo v2 model family, or auto routing."""
    return from_spec(spec_for(model, model_family=model_family, auto_routing=auto_routing))
