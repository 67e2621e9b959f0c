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
from typing import Any, Iterable, Mapping

__all__ = [
    "OPENAI_REQUEST_FIELDS",
    "ADAPTER_OPTIONS",
    "split_unknown_options",
    "unknown_option_warning",
    "move_unknown_options",
    "user_stacklevel",
    "closest_option",
]

#: OpenAI-style request fields both frameworks' classes declare; sent only when set.
#: Gloo documents few of them and ignores unknown fields (provider-apis 3.1), so
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
