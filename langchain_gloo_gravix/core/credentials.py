"""The one credential resolution rule, used by the core clients and both adapters.

Precedence (documented in the README, tested identically across the core,
LangChain and LlamaIndex):

1. Arguments win over the environment.
2. An explicit static key wins over client credentials: ``api_key=`` is used
   even when ``client_id=``/``client_secret=`` are given too.
3. Client credentials given as arguments (one or both) mean OAuth; a half-given
   pair is completed from the environment (``GLOO_CLIENT_ID`` then
   ``GLOO_AI_CLIENT_ID``; ``GLOO_CLIENT_SECRET`` then ``GLOO_AI_CLIENT_SECRET``).
   The environment's ``GLOO_API_KEY`` is then not used.
4. With no credential argument, the environment decides, with the same rule: a
   static key (``GLOO_API_KEY`` / ``GRAVIXLAYER_API_KEY``) wins over a client pair.
5. Nothing usable: construction still succeeds, and the first request raises
   ``MissingCredentialsError`` naming what to set. (Gravix takes ``api_key`` only;
   client credentials given to it count as arguments, so its env key is then not used.)

Every value used is checked here, at construction: an explicit empty string
(``api_key=""``) is an error, never a silent fall back to the environment's key;
surrounding whitespace (a pasted line break, a CRLF ``.env``) and control
characters are errors. Messages name the argument or env var, never the value.
An environment variable set to the empty string counts as unset.

``api_key`` may also be a callable, sync or async, as ``ChatOpenAI`` takes it (for gateways
and rotating keys): it counts as an explicit static key (rule 2), is called once per request
(auth.py ``CallableKeyAuth``), and what it returns is checked like any key before it is sent.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping, Optional

from .config import ConfigurationError
from .endpoints import GLOO_CLIENT_ID_ENVS, GLOO_CLIENT_SECRET_ENVS, Endpoint, credentials_help

__all__ = ["Credentials", "resolve_credentials", "check_credential", "is_key_provider", "looks_like_credential"]


@dataclass(frozen=True)
class Credentials:
    """What a client authenticates with. ``repr`` never shows a secret."""

    kind: Literal["static", "oauth", "missing", "callable"]
    api_key: Optional[str] = field(default=None, repr=False)
    #: for ``kind == "callable"``: the caller's key provider (sync or async), called per request
    key_provider: Optional[Callable[[], Any]] = field(default=None, repr=False)
    client_id: Optional[str] = None
    client_secret: Optional[str] = field(default=None, repr=False)
    #: for ``kind == "missing"``: the message the first request raises.
    missing: Optional[str] = None

    def secrets(self) -> tuple[str, ...]:
        """The secret values themselves (see ``redact.secret_forms`` for their encodings)."""
        return tuple(v for v in (self.api_key, self.client_secret) if v)


def _reveal(value: Any) -> Any:
    # pydantic.SecretStr and similar, without importing pydantic here
    getter = getattr(value, "get_secret_value", None)
    return getter() if callable(getter) else value


# Words that make an argument's name a credential's: whole words of the name (split at "_", "-", ".",
# spaces and camelCase), so that "max_tokens" or "top_k" are not caught while "bearer_token",
# "client_key", "GRAVIXLAYER_API_KEY" and "secret" are; and fragments that mean one even when glued
# into one word ("apikey", "accesstoken", "passwd").
_CREDENTIAL_WORDS = frozenset(
    {"key", "secret", "token", "password", "passwd", "pwd", "passphrase", "credential", "credentials",
     "auth", "authorization", "bearer", "cookie", "jwt", "pat"}
)  # fmt: skip
_CREDENTIAL_FRAGMENTS = ("apikey", "secret", "password", "passwd", "credential", "accesstoken", "authtoken", "bearer")
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def looks_like_credential(name: str) -> bool:
    """Whether an argument called ``name`` probably holds a credential (its value is then never kept,
    sent as a body field or shown: the constructors refuse it, naming the argument only)."""
    words = {w.lower() for w in _WORD_SPLIT.split(name) if w}
    if words & _CREDENTIAL_WORDS:
        return True
    glued = "".join(words)
    return any(fragment in glued for fragment in _CREDENTIAL_FRAGMENTS)


def is_key_provider(value: Any) -> bool:
    """True for an ``api_key`` given as a callable (sync or async) rather than a string or SecretStr."""
    return callable(value) and not isinstance(value, (str, bytes)) and not hasattr(value, "get_secret_value")


def check_credential(value: Any, name: str, *, header: bool = False, unset_hint: str = "") -> Optional[str]:
    """``value`` (str or SecretStr) as a plain string, or None when not given.

    ``name`` is what the user set ("api_key", "env GLOO_API_KEY"); it is the only
    thing an error shows. ``header=True`` for values sent as a header as is (a
    bearer key): they must also be ASCII.
    """
    if value is None:
        return None
    value = _reveal(value)
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a string, got a {type(value).__name__}")
    if value == "":
        raise ConfigurationError(
            f"{name} is an empty string; pass the real value, or leave it unset (None){unset_hint}"
        )
    if value != value.strip():
        raise ConfigurationError(
            f"{name} has leading or trailing whitespace (a pasted line break or a CRLF .env file?); "
            "remove it (the value is not shown)"
        )
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ConfigurationError(f"{name} contains a control character (the value is not shown)")
    if header and not value.isascii():
        raise ConfigurationError(
            f"{name} contains a non-ASCII character and cannot be sent in a header (value not shown)"
        )
    return value


def _from_env(names: tuple[str, ...], environ: Mapping[str, str], *, header: bool = False) -> Optional[str]:
    for name in names:
        raw = environ.get(name)
        if raw:  # set to "" counts as unset
            return check_credential(raw, f"env {name}", header=header)
    return None


def resolve_credentials(
    endpoint: Endpoint,
    *,
    api_key: Any = None,
    client_id: Any = None,
    client_secret: Any = None,
    environ: Optional[Mapping[str, str]] = None,
) -> Credentials:
    """Apply the precedence above; pure apart from reading ``environ`` (``os.environ`` by default)."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    if is_key_provider(api_key):
        # an explicit key, resolved per request: nothing to check until it is called
        check_credential(client_secret, "client_secret")
        return Credentials("callable", key_provider=api_key)
    key_envs = " or ".join(endpoint.api_key_envs)
    key = check_credential(api_key, "api_key", header=True, unset_hint=f" to use {key_envs}")
    gloo = endpoint.auth == "gloo"
    cid = check_credential(client_id, "client_id", unset_hint=" to use GLOO_CLIENT_ID")
    secret = check_credential(client_secret, "client_secret", unset_hint=" to use GLOO_CLIENT_SECRET")

    if key is not None:
        return Credentials("static", api_key=key)
    if cid is None and secret is None:
        key = _from_env(endpoint.api_key_envs, env, header=True)
        if key is not None:
            return Credentials("static", api_key=key)
    if gloo:
        cid = cid if cid is not None else _from_env(GLOO_CLIENT_ID_ENVS, env)
        secret = secret if secret is not None else _from_env(GLOO_CLIENT_SECRET_ENVS, env)
        if cid is not None and secret is not None:
            return Credentials("oauth", client_id=cid, client_secret=secret)
    what = "client_secret" if cid is not None else "client_id" if secret is not None else "credentials"
    return Credentials(
        "missing",
        client_id=cid,
        client_secret=secret,
        missing=f"no {what} for {endpoint.name}: {credentials_help(endpoint)}",
    )
