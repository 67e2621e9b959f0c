"""Pure checks of client configuration, shared by the core and both adapters.

Every setting is checked when a client or model is built, so that a bad value
fails at construction with a message naming the setting, instead of at the
first call with a bare ``TypeError`` (or never, as with ``timeout=nan``). The
same functions run in ``Client``/``AsyncClient``, the LangChain models and the
LlamaIndex models, so the three accept and refuse exactly the same values.

Messages name the setting (argument, env var or header name) and never quote a
value that could be a credential: header values and URL userinfo are not shown.

This module does no I/O and imports httpx only when a timeout is normalised (the
core package stays cheap to import).
"""

from __future__ import annotations

import ipaddress
import math
import numbers
import os
import re
import sys
import warnings
from types import FrameType
from typing import TYPE_CHECKING, Any, Mapping, Optional
from urllib.parse import urlsplit

from .errors import ConfigurationError  # the one class, re-exported here for the checks below

if TYPE_CHECKING:  # pragma: no cover
    import httpx

__all__ = [
    "ConfigurationError",
    "CleartextBaseURLWarning",
    "DEFAULT_STREAM_IDLE_TIMEOUT",
    "check_timeout",
    "to_httpx_timeout",
    "timeout_as_data",
    "check_max_retries",
    "check_stream_idle_timeout",
    "check_base_url",
    "check_headers",
    "check_proxy_environment",
    "display_url",
]

#: the longest a stream may go without an event; keep-alive comments do not count. Here, in the light
#: module of settings, so that adapters can name it without loading the stream machinery.
DEFAULT_STREAM_IDLE_TIMEOUT = 120.0

#: what httpx.Timeout holds, in the order of ``httpx.Timeout.as_dict()``.
TIMEOUT_PARTS = ("connect", "read", "write", "pool")
# RFC 9110 token characters: what a header name may be made of.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Userinfo in an authority (``scheme://user:pass@host``), also without a scheme.
_USERINFO = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://)?(?P<userinfo>[^/?#@]*)@")


class CleartextBaseURLWarning(UserWarning):
    """Credentials would travel unencrypted: ``http://`` to a host that is not loopback."""


def _package_root(module: str) -> Optional[str]:
    found = sys.modules.get(module)
    path = getattr(found, "__file__", None)
    return os.path.dirname(path) if path else None


def _user_stacklevel() -> int:
    """The ``warnings.warn`` stacklevel of the first frame outside this package, its
    adapters, pydantic and the frameworks (the user's constructor call)."""
    internal = tuple(
        root + os.sep
        for root in map(
            _package_root,
            ("langchain_gloo_gravix", "llama_index_ext", "pydantic", "langchain_core", "llama_index.core"),
        )
        if root
    )
    frame: Optional[FrameType] = sys._getframe(2)  # 1: warnings.warn's caller (check_base_url); 2: its caller
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(internal) and level < 50:
        frame, level = frame.f_back, level + 1
    return level


# -- numbers ---------------------------------------------------------------------------------


def _positive_seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigurationError(f"{name} must be a number of seconds, got a {type(value).__name__}")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigurationError(f"{name} must be a positive, finite number of seconds, got {seconds!r}")
    return seconds


def check_timeout(value: Any, name: str = "timeout") -> Optional[dict[str, Optional[float]]]:
    """The four httpx timeout parts for ``value``, or None for "the default".

    Accepted: None; a positive finite number (``connect`` is capped at 10 s, the
    other parts take the number); a ``(connect, read)`` pair (``write`` and
    ``pool`` take the read value, as a single number does); an ``httpx.Timeout``
    or a mapping with its keys (each part positive finite, or None for no limit).
    Refused with a clear error: strings, booleans, 0, negatives, nan, inf.
    """
    if value is None:
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        seconds = _positive_seconds(value, name)
        return {"connect": min(10.0, seconds), "read": seconds, "write": seconds, "pool": seconds}
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ConfigurationError(f"{name} as a sequence must be (connect, read), got {len(value)} items")
        connect = _positive_seconds(value[0], f"{name}[0] (connect)")
        read = _positive_seconds(value[1], f"{name}[1] (read)")
        return {"connect": connect, "read": read, "write": read, "pool": read}
    parts = _timeout_parts(value)
    if parts is None:
        raise ConfigurationError(
            f"{name} must be seconds, a (connect, read) pair or an httpx.Timeout, got a {type(value).__name__}"
        )
    unknown = set(parts) - set(TIMEOUT_PARTS)
    if unknown:
        raise ConfigurationError(f"{name} has unknown parts {sorted(unknown)}; expected {', '.join(TIMEOUT_PARTS)}")
    return {
        part: None if parts.get(part) is None else _positive_seconds(parts[part], f"{name}.{part}")
        for part in TIMEOUT_PARTS
    }


def _timeout_parts(value: Any) -> Optional[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        return value
    as_dict = getattr(value, "as_dict", None)
    if type(value).__name__ == "Timeout" and callable(as_dict):  # httpx.Timeout, without importing httpx
        parts = as_dict()
        return parts if isinstance(parts, Mapping) else None
    return None


def to_httpx_timeout(value: Any, default: "httpx.Timeout", name: str = "timeout") -> "httpx.Timeout":
    """:func:`check_timeout`, as the ``httpx.Timeout`` the clients use."""
    parts = check_timeout(value, name)
    if parts is None:
        return default
    import httpx

    return httpx.Timeout(**parts)


def timeout_as_data(value: Any) -> Any:
    """``value`` (any form :func:`check_timeout` accepts) as JSON data that it accepts back.

    Numbers, None and mappings stay as they are; a ``(connect, read)`` pair becomes a list; an
    ``httpx.Timeout`` becomes its four parts (for ``to_dict``/``from_dict`` round trips).
    """
    parts = check_timeout(value)
    if parts is None or isinstance(value, (int, float, list, tuple, dict)):
        return list(value) if isinstance(value, tuple) else value
    return {part: parts[part] for part in TIMEOUT_PARTS}


def check_max_retries(value: Any, name: str = "max_retries") -> int:
    """An integer >= 0 (booleans and strings refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigurationError(f"{name} must be an integer >= 0, got a {type(value).__name__}")
    if value < 0:
        raise ConfigurationError(f"{name} must be an integer >= 0, got {int(value)}")
    return int(value)


def check_stream_idle_timeout(value: Any, name: str = "stream_idle_timeout") -> Optional[float]:
    """Positive finite seconds, or None for no idle limit."""
    return None if value is None else _positive_seconds(value, name)


# -- proxies from the environment ---------------------------------------------------------------

#: the proxy variables httpx reads (through urllib's ``getproxies``: a lower-case name wins over upper case)
_PROXY_SCHEMES = ("http", "https", "all")
_PROXY_URL_SCHEMES = ("http", "https", "socks5", "socks5h")


def _effective_proxy_variables() -> list[tuple[str, str]]:
    found = []
    for scheme in _PROXY_SCHEMES:
        lower, upper = f"{scheme}_proxy", f"{scheme.upper()}_PROXY"
        if lower in os.environ:
            name, value = lower, os.environ[lower]
        else:
            name, value = upper, os.environ.get(upper, "")
        if value:
            found.append((name, value))
    return found


def check_proxy_environment() -> None:
    """Refuse, naming the variable (never its value: proxy URLs carry passwords), an ``HTTP_PROXY`` /
    ``HTTPS_PROXY`` / ``ALL_PROXY`` that httpx could not use: not a URL, an unknown scheme, no host, a bad
    port, or a SOCKS proxy without the ``socksio`` package (``pip install 'httpx[socks]'``)."""
    for name, value in _effective_proxy_variables():
        url = value if "://" in value else "http://" + value  # as httpx reads a bare host:port
        problem = None
        if any(ch.isspace() or not ch.isprintable() for ch in value):
            problem = "it contains whitespace or control characters"
        try:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if problem is not None:
                pass
            elif scheme not in _PROXY_URL_SCHEMES:
                problem = f"its scheme {scheme!r} is not one of {', '.join(_PROXY_URL_SCHEMES)}"
            elif not parts.hostname:
                problem = "it has no host"
            elif not 0 < (parts.port or 80) < 65536:  # parts.port raises ValueError past 65535
                problem = "its port is not a number from 1 to 65535"
        except ValueError:
            problem = "it is not a valid URL"
        if problem is None:
            try:
                import httpx

                httpx.Proxy(url=url)
            except Exception:  # noqa: BLE001 - httpx's message may quote the value
                problem = "httpx cannot read it as a proxy URL"
        if problem is not None:
            raise ConfigurationError(
                f"the environment variable {name} is not a usable proxy ({problem}; value not shown)"
            )
        if scheme.startswith("socks"):
            import importlib.util

            if importlib.util.find_spec("socksio") is None:
                raise ConfigurationError(
                    f"the environment variable {name} names a SOCKS proxy, which needs the socksio package: "
                    "pip install 'httpx[socks]' (or unset it / set NO_PROXY)"
                )


# -- base URL ----------------------------------------------------------------------------------


def display_url(url: str) -> str:
    """``url`` as safe to show: any ``user:password@`` replaced by ``***@``."""
    return _USERINFO.sub(lambda m: (m.group("head") or "") + "***@", url, count=1)


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, source: str = "base_url") -> str:
    """A checked base URL with its scheme in lower case.

    ``source`` names where the value came from (the argument or an env var) for
    the messages. Refused: a scheme other than http/https (in any case), no
    host, ``user:password@`` (never shown), a query or fragment. Warned
    (:class:`CleartextBaseURLWarning`): ``http://`` to a host that is not loopback.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"{source} must be a string, got a {type(url).__name__}")
    if _USERINFO.match(url):
        raise ConfigurationError(
            f"{source} must not contain user:password@ (got {display_url(url)!r}); credentials in a URL end up "
            "in logs and error messages: pass api_key / client_id / client_secret, or default_headers"
        )
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise ConfigurationError(f"{source} must not contain whitespace or control characters")
    # never shown whole: a query is where people put keys
    shown = url.split("?", 1)[0].split("#", 1)[0]
    more = "..." if len(shown) < len(url) else ""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ConfigurationError(f"{source} is not a valid URL ({exc}): {shown!r}{more}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigurationError(f"{source} must start with http:// or https://, got {shown!r}{more}")
    if not parts.hostname:
        raise ConfigurationError(f"{source} has no host: {shown!r}{more}")
    try:
        port = parts.port  # raises ValueError on a port that is not a number in 0-65535
    except ValueError:
        port = -1
    if port is not None and not 0 < port < 65536:
        raise ConfigurationError(f"{source} has a port that is not a number from 1 to 65535: {shown!r}{more}")
    if more:
        raise ConfigurationError(
            f"{source} must not have a ?query or #fragment (paths are appended to it): {shown!r}..."
        )
    if scheme == "http" and not _is_loopback(parts.hostname):
        warnings.warn(
            f"{source} {url!r} sends credentials unencrypted (http:// to a host that is not loopback); "
            "use https:// unless this is a trusted local network",
            CleartextBaseURLWarning,
            stacklevel=_user_stacklevel(),
        )
    return scheme + url[len(parts.scheme) :]


# -- headers -------------------------------------------------------------------------------------


def _bad_header_value(value: str) -> Optional[str]:
    if value != value.strip():
        return "leading or trailing whitespace"
    if any(ord(ch) < 0x20 and ch != "\t" or ord(ch) == 0x7F for ch in value):
        return "a control character (a line break?)"
    if not value.isascii():
        return "a non-ASCII character"
    return None


def check_headers(headers: Optional[Mapping[Any, Any]], name: str = "default_headers") -> dict[str, str]:
    """Header names and values that httpx and h11 will send as given.

    A value h11 refuses makes it raise an error that quotes the value (often a
    credential); refusing it here names only the header.
    """
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise ConfigurationError(f"{name} must be a mapping of header names to strings, got a {type(headers).__name__}")
    checked: dict[str, str] = {}
    for key, value in headers.items():
        if not isinstance(key, str) or not _HEADER_NAME.match(key):
            shown = repr(key) if isinstance(key, str) and key.isprintable() and len(key) <= 64 else "a header"
            raise ConfigurationError(f"{name}: {shown} is not a valid header name")
        if not isinstance(value, str):
            raise ConfigurationError(f"{name}[{key!r}] must be a string, got a {type(value).__name__}")
        problem = _bad_header_value(value)
        if problem is not None:
            raise ConfigurationError(f"{name}[{key!r}] has {problem} in its value (value not shown)")
        checked[key] = value
    return checked
