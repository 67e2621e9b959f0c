"""The ``proxy`` setting: one URL every request of a client goes through (chat calls, streams, the Gloo
token request, embeddings, the model list), as ``ChatOpenAI``'s ``openai_proxy`` does.

Checked at construction (:func:`check_proxy`), with a :class:`ConfigurationError` that names the setting
and never shows a password: a proxy URL may carry ``user:password@`` (HTTP proxies authenticate that way),
so the value is displayed with its userinfo masked, and the password is one of the client's secret forms
(scrubbed from any error text). Accepted schemes are those httpx can use: ``http``, ``https`` and, with
the ``socksio`` package installed (``pip install "httpx[socks]"``), ``socks5`` / ``socks5h``.

An explicit proxy wins over ``HTTP(S)_PROXY`` / ``ALL_PROXY`` in the environment (as httpx's own ``proxy=``
does) and cannot be combined with a caller's ``http_client`` (configure the proxy on that client instead).
Pure; no I/O.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Optional
from urllib.parse import unquote, urlsplit

from .config import display_url
from .errors import ConfigurationError

__all__ = ["check_proxy", "proxy_secrets", "PROXY_SCHEMES"]

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def check_proxy(value: Any, name: str = "proxy") -> Optional[str]:
    """``value`` as a checked proxy URL string, or None when not given."""
    if value is None:
        return None
    getter = getattr(value, "get_secret_value", None)  # a SecretStr (a URL with a password in it)
    if callable(getter):
        value = getter()
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a URL string (http://host:port), got a {type(value).__name__}")
    if value == "":
        raise ConfigurationError(f"{name} is an empty string; pass the proxy URL, or leave it unset (None)")
    shown = display_url(value)
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ConfigurationError(f"{name} must not contain whitespace or control characters")
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError on a port that is not a number or out of range
    except ValueError:
        raise ConfigurationError(f"{name} is not a valid URL (host and port?): {shown!r}") from None
    scheme = parts.scheme.lower()
    if scheme not in PROXY_SCHEMES:
        raise ConfigurationError(
            f"{name} must start with one of {', '.join(s + '://' for s in PROXY_SCHEMES)}, got {shown!r}"
        )
    if not parts.hostname:
        raise ConfigurationError(f"{name} has no host: {shown!r}")
    if port == 0:
        raise ConfigurationError(f"{name} has port 0: {shown!r}")
    if scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
        raise ConfigurationError(
            f"{name} is a SOCKS proxy, which needs the socksio package: pip install 'httpx[socks]'"
        )
    return value


def proxy_secrets(proxy: Optional[str]) -> tuple[str, ...]:
    """The password of a ``user:password@`` proxy URL, as given and percent-decoded (to scrub from errors)."""
    if not proxy:
        return ()
    password = urlsplit(proxy).password
    if not password:
        return ()
    return tuple({password, unquote(password)})
