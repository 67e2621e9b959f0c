"""Constructor options both frameworks' classes share: the declared request fields,
and what happens to an argument that is not one of them.

Pure and framework-free; the LangChain and LlamaIndex classes call
:func:`split_unknown_options` from a "before" validator so that the two halves of
the package treat a typo and an unknown body field exactly the same way:

- close to a declared name (``tradtion`` for ``tradition``): ``ValueError`` that
  suggests the declared name, because a misspelt option must not be sent;
- anything else: goes to the request body, with a warning that names it (as
  ChatOpenAI's ``build_extra`` does), because these servers take fields this
  package does not know (and Gloo silently ignores the ones it does not know).
"""

from __future__ import annotations

import difflib
import sys
import warnings
from typing import Any, Iterable, Mapping, Optional, Union

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

__all__ = [
    "OPENAI_REQUEST_FIELDS",
    "OpenAIRequestOptions",
    "ADAPTER_OPTIONS",
    "split_unknown_options",
    "unknown_option_warning",
    "move_unknown_options",
    "user_stacklevel",
    "closest_option",
]

#: OpenAI-style request fields both frameworks' classes declare; sent only when set.
#: Gloo documents few of them and ignores unknown fields (docs/providers.md#unknown-fields), so
#: they are forwarded as given rather than refused. The adapters take their lists
#: from this one, in this order (the order the request body gets them in).
OPENAI_REQUEST_FIELDS = (
    "temperature",
    "max_tokens",
    "top_p",
    "stop",
    "seed",
    "max_completion_tokens",
    "n",
    "frequency_penalty",
    "presence_penalty",
    "logprobs",
    "top_logprobs",
    "parallel_tool_calls",
    "user",
    "service_tier",
    "reasoning_effort",
)


class OpenAIRequestOptions(BaseModel):
    """The OpenAI-style request options, declared once for both frameworks' chat classes.

    Declared, so that none is silently dropped and each keeps ChatOpenAI's / OpenAILike's meaning;
    each is sent only when set. Gloo documents few of them and ignores body fields it does not
    know, so the server may not honour them all. Ranges are checked by the core's request rules
    (``core/request.py``) at construction and on every call, the same way in both frameworks.
    """

    # populate_by_name: ``stop`` is also accepted as ``stop_sequences`` (LangChain's word).
    model_config = ConfigDict(defer_build=True, populate_by_name=True)

    temperature: Optional[float] = Field(
        default=None,
        description="Sampling temperature; Gloo v1 accepts 0-1, Gloo v2 and Gravix 0-2. Server default if None.",
    )
    max_tokens: Optional[int] = Field(
        default=None,
        description="Answer token limit; server default if None. Leave None, or at least 2048, for reasoning models "
        "on Gloo (they answer 503 otherwise).",
    )
    top_p: Optional[float] = Field(default=None, description="Nucleus sampling, 0..1.")
    # validation_alias, not alias: a type checker (PEP 681) names the constructor's parameter after
    # `alias`, and `stop=` is the documented word (see secret_input.py)
    stop: Optional[Union[str, list[str]]] = Field(
        default=None,
        validation_alias=AliasChoices("stop", "stop_sequences"),
        serialization_alias="stop_sequences",
        description="Stop sequence(s); also accepted as stop_sequences.",
    )
    seed: Optional[int] = Field(default=None, description="Sampling seed, where the model honours one.")
    max_completion_tokens: Optional[int] = Field(
        default=None, description="OpenAI's newer name for max_tokens (reasoning models count their reasoning in it)."
    )
    n: Optional[int] = Field(
        default=None,
        description="Number of answers. LangChain: each is a generation of generate() (invoke returns the first) "
        "and it must be 1 with streaming=True; LlamaIndex: chat() returns the first, all are in raw.",
    )
    frequency_penalty: Optional[float] = Field(
        default=None, description="-2..2: penalise tokens by how often they appeared."
    )
    presence_penalty: Optional[float] = Field(default=None, description="-2..2: penalise tokens that appeared at all.")
    logprobs: Optional[bool] = Field(default=None, description="Ask for token log probabilities.")
    top_logprobs: Optional[int] = Field(default=None, description="0..20 alternatives per token (with logprobs=True).")
    parallel_tool_calls: Optional[bool] = Field(
        default=None,
        description="Sent with tools (and on Gloo's grounded route); a per-call value (bind_tools, "
        "chat_with_tools' allow_parallel_tool_calls) overrides it.",
    )
    user: Optional[str] = Field(default=None, description="An end-user id, for the provider's abuse monitoring.")
    service_tier: Optional[str] = Field(default=None, description="Service tier, where the provider has them.")
    reasoning_effort: Optional[str] = Field(
        default=None, description='Reasoning effort for reasoning models (e.g. "low", "medium", "high").'
    )

    def _request_options(self) -> dict[str, Any]:
        """The options that are set, in :data:`OPENAI_REQUEST_FIELDS` order (the body's order)."""
        fields = self.__dict__  # direct: this runs on every call
        return {name: fields[name] for name in OPENAI_REQUEST_FIELDS if fields[name] is not None}


#: options read by the adapters, never sent.
ADAPTER_OPTIONS = ("include_response_headers",)

# 0.85: "tradtion"/"tradition" (0.94) and "temprature"/"temperature" (0.95) are
# typos, while real fields one letter from a declared one ("top_k" vs "top_p",
# 0.8) still reach the body.
_CLOSENESS = 0.85


def split_unknown_options(given: Mapping[str, Any], declared: Iterable[str]) -> dict[str, Any]:
    """The arguments in ``given`` that are not ``declared``, to be sent in the body.

    Raises ``ValueError`` naming the declared option when an unknown one looks
    like a misspelling of it.
    """
    names = sorted(set(declared))
    unknown = {k: v for k, v in given.items() if k not in names}
    for name in unknown:
        close = closest_option(name, names)
        if close is not None:
            raise ValueError(f"unknown option {name!r}: did you mean {close!r}?")
    return unknown


def closest_option(name: str, names: list[str]) -> str | None:
    lowered = name.lower()
    for candidate in names:
        # a different case, or swapped letters ("modle"), which short names score low on
        if candidate.lower() == lowered or (len(candidate) == len(name) and sorted(candidate) == sorted(name)):
            return candidate
    close = difflib.get_close_matches(name, names, n=1, cutoff=_CLOSENESS)
    return close[0] if close else None


def unknown_option_warning(name: str, destination: str) -> str:
    return (
        f"{name!r} is not a declared option; it was moved to {destination} and will be sent in the request body "
        f"as is. Check that {name!r} is what you intended."
    )


def move_unknown_options(values: Mapping[str, Any], declared: Iterable[str], destination: str) -> dict[str, Any]:
    """Constructor ``values`` with every unknown option moved into the dict field
    ``destination`` (``model_kwargs`` / ``additional_kwargs``), each with a
    ``UserWarning`` naming it; a misspelt option raises (see :func:`split_unknown_options`)."""
    extra = split_unknown_options(values, declared)
    out = dict(values)
    if not extra:
        return out
    target = dict(out.get(destination) or {})
    level = user_stacklevel()
    for name, value in extra.items():
        del out[name]
        warnings.warn(unknown_option_warning(name, destination), UserWarning, stacklevel=level)
        target[name] = value
    out[destination] = target
    return out


# Packages between the user's constructor call and this module (the depth differs per framework).
_FRAMEWORK_PACKAGES = frozenset(
    {"langchain_gloo_gravix", "llama_index_ext", "langchain_core", "llama_index", "pydantic"}
)


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the user's line."""
    frame = sys._getframe(1)  # the caller, whose warn() call is stacklevel 1
    level = 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").partition(".")[0] in _FRAMEWORK_PACKAGES:
        frame = frame.f_back
        level += 1
    return level
