"""LangChain ``ModelProfile`` from the core model catalog.

``create_agent`` reads ``profile["structured_output"]`` to choose native structured
output (``ProviderStrategy``) over a forced tool call, and ``SummarizationMiddleware``
reads ``profile["max_input_tokens"]`` for fraction triggers; without a profile the
first silently falls back and the second raises.
"""

from __future__ import annotations

from typing import Optional, cast

from langchain_core.language_models.model_profile import ModelProfile

from .core.catalog import ModelSpec, spec_for

__all__ = ["CatalogProfile", "model_profile", "profile_from_spec"]


class CatalogProfile(dict):  # type: ignore[type-arg]
    """A profile resolved from the catalog, as opposed to one the user passed.

    ``configurable_fields`` rebuilds a model from its current field values, profile
    included; the chat models drop a ``CatalogProfile`` there so that the rebuilt
    model resolves the profile of its new ``model`` / ``model_family``.
    """


def profile_from_spec(spec: ModelSpec) -> ModelProfile:
    """The catalog entry in LangChain's ``ModelProfile`` keys."""
    return cast(
        ModelProfile,
        CatalogProfile(
            ModelProfile(
                max_input_tokens=spec.max_input_tokens,
                max_output_tokens=spec.max_output_tokens,
                text_inputs=True,
                text_outputs=True,
                image_inputs=spec.image_inputs,
                image_url_inputs=spec.image_inputs,
                tool_calling=spec.tool_calling,
                tool_choice=spec.tool_calling,
                # the core merges streamed tool-call fragments, whatever shape the server uses
                tool_call_streaming=spec.tool_calling,
                structured_output=spec.structured_output,
                reasoning_output=spec.reasoning,
            )
        ),
    )


def model_profile(
    endpoint: str, model: Optional[str], *, model_family: Optional[str] = None, routing: bool = False
) -> ModelProfile:
    """Profile of a configured chat model; ``routing`` marks a Gloo v2 endpoint.

    On Gloo v2 with neither ``model`` nor ``model_family`` the request is auto-routed
    (the class default), so the auto-routing profile applies.
    """
    auto = routing and not model and not model_family
    return profile_from_spec(
        spec_for(model, model_family=model_family if routing else None, auto_routing=auto, endpoint=endpoint)
    )
