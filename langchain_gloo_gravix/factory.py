"""``init_chat_model``: our chat models from a string id, for config-driven apps.

LangChain's own ``init_chat_model`` / ``create_agent("provider:model")`` read a closed table of
built-in providers (``langchain.chat_models.base._BUILTIN_PROVIDERS``) and raise ``ValueError``
for any other prefix, so ``"gloo:..."`` cannot reach them without patching a private name
(docs/framework-notes.md). This factory takes the same ``"provider:model"`` form, builds our
classes for our prefixes and hands every other prefix to LangChain's factory, so one config
string field can name any model. The result is an ordinary model instance: pass it to
``create_agent``, ``configurable_alternatives``, chains and LangGraph like any other.

Ids::

    gloo:auto                   ChatGloo(auto_routing=True)           (Gloo v2)
    gloo:family/<family>        ChatGloo(model_family=<family>)       (Gloo v2)
    gloo:<model>                ChatGloo(model=<model>)               (Gloo v2; also "gloo-v2:")
    gloo-v1:<model>             ChatGloo(api_version="v1", model=<model>)
    gravixlayer:<model>         ChatGravixLayer(model=<model>)        (also "gravix:")
    <other>:<model>             langchain.chat_models.init_chat_model(...)

Keyword arguments go to the class as they would to its constructor (``temperature=``,
``tradition=``, ``grounded=``, ...); an argument that contradicts the id (``model=`` beside
``"gloo:<model>"``) is refused rather than one of the two silently winning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from .core.errors import ConfigurationError

if TYPE_CHECKING:  # pragma: no cover
    from langchain_core.language_models import BaseChatModel

__all__ = ["init_chat_model", "PROVIDERS"]

#: Our prefixes (lower case) -> (class name, Gloo api_version or None).
PROVIDERS: dict[str, tuple[str, Optional[str]]] = {
    "gloo": ("ChatGloo", "v2"),
    "gloo-v2": ("ChatGloo", "v2"),
    "gloo-v1": ("ChatGloo", "v1"),
    "gravixlayer": ("ChatGravixLayer", None),
    "gravix": ("ChatGravixLayer", None),
}

_ROUTING_WORDS = frozenset({"model", "model_name", "auto_routing", "model_family", "api_version"})

_FORMS = (
    '"gloo:auto", "gloo:family/<family>", "gloo:<model>", "gloo-v1:<model>", "gravixlayer:<model>", '
    'or "<langchain provider>:<model>"'
)


def _split(model: str, model_provider: Optional[str]) -> tuple[str, str]:
    if model_provider is not None:
        return model_provider.strip().lower(), model
    provider, sep, rest = model.partition(":")
    if not sep:
        raise ConfigurationError(
            f"init_chat_model: {model!r} names no provider; use one of {_FORMS}, or pass model_provider="
        )
    return provider.strip().lower(), rest


def _routing_kwargs(rest: str, api_version: Optional[str]) -> dict[str, Any]:
    """The constructor arguments an id's model part stands for."""
    name = rest.strip()
    if not name:
        raise ConfigurationError(f"init_chat_model: the id has no model after the provider; use one of {_FORMS}")
    if api_version == "v2":
        if name.lower() == "auto":
            return {"auto_routing": True}
        family_prefix, slash, family = name.partition("/")
        if slash and family_prefix.lower() == "family":
            if not family.strip():
                raise ConfigurationError(
                    'init_chat_model: "gloo:family/" names no family (e.g. "gloo:family/anthropic")'
                )
            return {"model_family": family.strip()}
    return {"model": name}


def init_chat_model(model: str, *, model_provider: Optional[str] = None, **kwargs: Any) -> BaseChatModel:
    """A configured chat model from a ``"provider:model"`` id (see the module docstring)."""
    if not isinstance(model, str):
        raise ConfigurationError(f"init_chat_model: model must be a string id, not {type(model).__name__}")
    provider, rest = _split(model, model_provider)
    if provider not in PROVIDERS:
        return _langchain_init(model, model_provider, kwargs)
    class_name, api_version = PROVIDERS[provider]
    implied = _routing_kwargs(rest, api_version)
    # the id already says which model (and route); ChatOpenAI's alias for model is model_name
    if api_version is not None and kwargs.get("api_version", api_version) == api_version:
        kwargs.pop("api_version", None)
    clashes = sorted(k for k in kwargs if k in _ROUTING_WORDS)
    if clashes:
        raise ConfigurationError(
            f"init_chat_model: {', '.join(clashes)} contradict(s) the id {model!r}; "
            "put the model in the id or pass the class's arguments directly, not both"
        )
    from . import chat_models

    cls = getattr(chat_models, class_name)
    if api_version is not None:
        implied["api_version"] = api_version
    return cls(**implied, **kwargs)  # type: ignore[no-any-return]


def _langchain_init(model: str, model_provider: Optional[str], kwargs: dict[str, Any]) -> BaseChatModel:
    try:
        from langchain.chat_models import init_chat_model as langchain_init
    except ImportError:
        raise ConfigurationError(
            f"init_chat_model: {model!r} is not one of ours ({_FORMS}); other providers are built by "
            "langchain's init_chat_model, and the 'langchain' package is not installed"
        ) from None
    return langchain_init(model, model_provider=model_provider, **kwargs)
