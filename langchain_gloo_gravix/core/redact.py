"""Scrub our own credentials out of server text before it reaches an error.

Servers quote requests back: a token endpoint that echoes the Basic header in
its error body, a gateway that repeats the bearer it refused. Our errors quote
server text (messages, bodies), so each error built from it is passed through
:func:`redact_error` with the client's :func:`secret_forms` first. Pure, no I/O.
"""

from __future__ import annotations

import base64
import re
from typing import Any, Iterable, Optional
from urllib.parse import quote

__all__ = [
    "REDACTED",
    "secret_forms",
    "redact",
    "redact_error",
    "redact_headers",
    "is_credential_header",
    "forget_locals",
    "hide_validation_input",
]

REDACTED = "***"
# Shorter values are not scrubbed by value: replacing "a" everywhere would wreck
# every message, and a credential that short is not a secret worth the name.
_MIN_SECRET = 6
# Any bearer or basic credential a server quotes, ours or not (long enough to be one).
_AUTH_VALUE = re.compile(r"(?i)\b(bearer|basic)(\s+|%20|\+)[A-Za-z0-9._~+/=\-]{12,}")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret_forms(
    *,
    api_key: Optional[str] = None,
    client_id: Optional[str] = None,
    client_secret: Optional[str] = None,
    extra: Iterable[Optional[str]] = (),
) -> tuple[str, ...]:
    """Every form in which a credential of ours can travel and come back.

    The values, their percent-encodings, and the Basic header's base64 of
    ``id:secret`` in both forms :mod:`auth` sends (encoded and raw). ``extra``:
    tokens and header values to scrub as they are.
    """
    forms: list[Optional[str]] = [api_key, client_secret, *extra]
    if client_secret:
        forms.append(quote(client_secret, safe=""))
        if client_id is not None:
            forms.append(_b64(f"{client_id}:{client_secret}"))
            forms.append(_b64(f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"))
    unique = {f for f in forms if f and len(f) >= _MIN_SECRET}
    return tuple(sorted(unique, key=len, reverse=True))  # longest first: no partial leftovers


# Response headers that carry credentials by their name (a proxy or server echoing the request's): a fragment
# anywhere in the name, or one of these whole words of it (split at "-", "_", "."): "x-auth-token" and
# "x-session-id" are caught, while rate-limit headers, which count "tokens" (plural), are not.
_CREDENTIAL_HEADER = re.compile(r"(?i)authorization|api[-_]?key|secret|password|cookie|x-amz-security-token")
_CREDENTIAL_HEADER_WORDS = frozenset(
    {"auth", "key", "apikey", "token", "credential", "credentials", "session", "signature", "jwt", "bearer"}
)
_HEADER_WORD = re.compile(r"[-_.]+")


def is_credential_header(name: str) -> bool:
    """Whether a header called ``name`` carries a credential (``Authorization``, ``Cookie``, ``X-Api-Key``...)."""
    return bool(_CREDENTIAL_HEADER.search(name)) or not _CREDENTIAL_HEADER_WORDS.isdisjoint(
        _HEADER_WORD.split(name.lower())
    )


def redact_headers(headers: Iterable[tuple[str, str]], secrets: Iterable[str] = ()) -> dict[str, str]:
    """Response headers fit to pass on (``include_response_headers``, callbacks, events): a header named like a
    credential (``authorization``, ``x-api-key``, ``set-cookie`` ...) is ``***``; elsewhere any of ``secrets``
    and any long Bearer/Basic value is scrubbed (a server that echoes the request under another name)."""
    secrets = tuple(secrets)
    return {name: REDACTED if is_credential_header(name) else redact(value, secrets) for name, value in headers}


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with each secret (and any long Bearer/Basic value) replaced by ``***``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _AUTH_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)


def _redact_value(value: Any, secrets: tuple[str, ...], depth: int = 0) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if depth > 20:  # bounded: a body is data, not a structure to recurse into forever
        return value
    if isinstance(value, dict):
        return {_redact_value(k, secrets, depth + 1): _redact_value(v, secrets, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v, secrets, depth + 1) for v in value]
    return value


def redact_error(error: BaseException, secrets: Iterable[str] = ()) -> BaseException:
    """Scrub an error's text in place (message, args, server message, body, headers); returns it.

    Works on any package error (the attributes it knows are optional), so it can
    be applied wherever an error built from server text leaves the core.
    """
    forms = tuple(secrets)
    error.args = tuple(_redact_value(a, forms) for a in error.args)
    for name in ("message", "server_message", "body"):
        if name in error.__dict__:
            setattr(error, name, _redact_value(error.__dict__[name], forms))
    headers = error.__dict__.get("headers")
    if isinstance(headers, dict):
        error.headers = {  # type: ignore[attr-defined]
            k: (REDACTED if is_credential_header(k) else redact(v, forms)) if isinstance(v, str) else v
            for k, v in headers.items()
        }
    return error


# Generator and coroutine code (CO_GENERATOR | CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR):
# clearing a suspended one's frame would finalise it, so such frames are never cleared.
_SUSPENDABLE = 0x20 | 0x80 | 0x100 | 0x200
# The libraries whose frames a stream unwinds through: this package and the HTTP stack under it.
_LIBRARIES = ("langchain_gloo_gravix", "httpx", "httpcore", "h11")


def _library_dirs() -> tuple[str, ...]:
    import os
    import sys

    dirs = []
    for name in _LIBRARIES:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if file:
            dirs.append(os.path.dirname(os.path.abspath(file)) + os.sep)
    return tuple(dirs)


def forget_locals(error: BaseException) -> None:
    """Clear the locals of the finished frames of this package and its HTTP stack in the tracebacks of
    ``error`` and of its causes and contexts.

    Crash reporters capture the locals of every frame of an exception and of its chain; the frames a failed
    stream unwound through hold what the server sent (which may echo a credential) and the request's headers.
    The error itself keeps what it needs (redacted). Frames still running, generator and coroutine frames (which
    may be suspended) and the caller's own frames are left alone.
    """
    dirs = _library_dirs()
    seen: set[int] = set()
    todo: list[Optional[BaseException]] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        tb = current.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            if not code.co_flags & _SUSPENDABLE and code.co_filename.startswith(dirs):
                try:
                    tb.tb_frame.clear()
                except RuntimeError:
                    pass  # a frame still running (the one raising, its callers)
            tb = tb.tb_next
        todo += [current.__cause__, current.__context__]


_HIDDEN_INPUT = "[hidden]"


def hide_validation_input(error: Any) -> Any:
    """A copy of a pydantic ``ValidationError`` whose line errors no longer hold the input.

    ``hide_input_in_errors`` keeps the input out of ``str()``, but ``errors()``, ``pickle``
    and debuggers still see it, and for a model validator the input is every constructor
    argument, secrets included. The copy keeps each line's location, type and message
    (as a custom error of the same type name, so no context object is carried along).
    """
    from pydantic_core import PydanticCustomError, ValidationError

    if not isinstance(error, ValidationError):
        return error
    line_errors: list[Any] = [
        {
            "type": PydanticCustomError(line["type"], line["msg"]),
            "loc": line["loc"],
            "input": _HIDDEN_INPUT,
        }
        for line in error.errors(include_url=False)
    ]
    return ValidationError.from_exception_data(error.title, line_errors, hide_input=True)
