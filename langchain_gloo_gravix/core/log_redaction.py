"""Keep credentials a server echoes in its response headers out of httpcore's DEBUG log.

With DEBUG logging on, httpcore logs every response's header list as received
(``receive_response_headers.complete return_value=(b'HTTP/1.1', 200, b'OK', [(b'Authorization', ...)])``):
a server or proxy that echoes the request's ``Authorization`` or a gateway header would put our
credential in the application's log. Our own logger (``langchain_gloo_gravix``) never logs headers.

:class:`HeaderLogFilter` rewrites such records: the value of every credential-named header
(``redact.is_credential_header``) and, anywhere in the message, the secrets of every live client (its key,
client secret, default header values, proxy password, current token) and any long Bearer/Basic value
become ``***``. The first client built installs it on httpcore's loggers (:func:`install`); it costs
nothing unless those loggers are at DEBUG. To keep httpcore quiet instead, set
``logging.getLogger("httpcore").setLevel(logging.INFO)``; to filter a handler of your own (records from
other libraries), ``handler.addFilter(HeaderLogFilter())``.
"""

from __future__ import annotations

import logging
import re
import weakref
from typing import Any

from .redact import REDACTED, is_credential_header, redact

__all__ = ["HeaderLogFilter", "install", "register_secrets"]

HTTPCORE_LOGGERS = ("httpcore.http11", "httpcore.http2", "httpcore.proxy", "httpcore.connection", "httpcore.socks")

# one (name, value) pair of httpcore's header lists, as bytes reprs: (b'Name', b'value')
_PAIR = re.compile(r"\((b'|b\")(?P<name>[^'\"]*)('|\"), (b'|b\")(?P<value>(?:\\.|[^'\"\\])*)('|\")\)")

# the live senders, held weakly: each one's ``secrets()`` is scrubbed while it lives
_sources: "weakref.WeakSet[Any]" = weakref.WeakSet()
_installed = False


def register_secrets(owner: Any) -> None:
    """Scrub ``owner.secrets()`` (an iterable of strings) from httpcore's records while ``owner`` lives."""
    _sources.add(owner)


def _live_secrets() -> tuple[str, ...]:
    found: set[str] = set()
    for source in list(_sources):
        try:
            found.update(s for s in source.secrets() if s)
        except Exception:  # noqa: BLE001 - a filter must never break logging
            continue
    return tuple(sorted(found, key=len, reverse=True))


def _scrub(message: str) -> str:
    def pair(match: re.Match[str]) -> str:
        if is_credential_header(match.group("name")):
            return match.group(0).replace(match.group("value"), REDACTED) if match.group("value") else match.group(0)
        return match.group(0)

    return redact(_PAIR.sub(pair, message), _live_secrets())


class HeaderLogFilter(logging.Filter):
    """Redacts credentials in log records (see the module docstring); never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is left to the logging machinery
            return True
        scrubbed = _scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def install() -> None:
    """Attach :class:`HeaderLogFilter` to httpcore's loggers, once per process."""
    global _installed
    if _installed:
        return
    _installed = True
    log_filter = HeaderLogFilter()
    for name in HTTPCORE_LOGGERS:
        logging.getLogger(name).addFilter(log_filter)
