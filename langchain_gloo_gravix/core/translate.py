"""Foreign exceptions -> ours: the one boundary where they are mapped (as httpx maps httpcore's).

:func:`translate_exception` turns httpx timeouts and transport errors, undecodable bodies and pathological
JSON into package errors; :func:`header_error` names a request header httpx cannot encode. Messages never
quote transport text or header values (either may echo a credential).
"""

from __future__ import annotations

from typing import Mapping

from .error_text import safe_url
from .errors import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    GlooGravixError,
    MalformedResponseError,
)

__all__ = ["translate_exception", "header_error"]


def header_error(headers: Mapping[str, str], *, endpoint: str | None = None) -> ConfigurationError:
    """The error for request headers httpx cannot encode; names the header, never its value."""
    names = []
    for name, value in headers.items():
        try:
            str(name).encode("ascii")
            bad = isinstance(value, str) and not value.isascii()
            shown = str(name)
        except UnicodeEncodeError:
            bad, shown = True, "(a header whose name is not ASCII)"
        if bad:
            names.append(shown)
    which = ", ".join(names) if names else "a request header"
    hint = " (check api_key / the access token)" if any(n.lower() == "authorization" for n in names) else ""
    return ConfigurationError(
        f"request header {which} has a value that is not ASCII{hint}; HTTP header values must be ASCII "
        "(default_headers, extra_headers, api_key)",
        endpoint=endpoint,
        retryable=False,
    )


def _certificate_problem(exc: BaseException) -> str | None:
    """What OpenSSL said about a refused certificate (``certificate has expired``, ``self-signed certificate``,
    a host-name mismatch), if ``exc`` was caused by one."""
    import ssl

    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            return str(cause.verify_message or cause.reason or "certificate verify failed")
        cause = cause.__cause__ or cause.__context__
    return None


def translate_exception(
    exc: BaseException, *, endpoint: str | None = None, base_url: str | None = None
) -> BaseException:
    """Foreign exceptions -> package errors: the one mapping (returns others unchanged).

    httpx timeouts and transport errors, undecodable gzip/deflate bodies, pathological
    JSON (too deep: ``RecursionError``; too large a number: ``OverflowError``) and
    header values that are not ASCII. Messages never quote request headers.
    """
    if isinstance(exc, GlooGravixError):
        return exc
    import httpx  # loaded with the clients, not with this module

    name = endpoint or "server"
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"{name} request timed out: {type(exc).__name__}", endpoint=endpoint)
    if isinstance(exc, httpx.DecodingError):
        return MalformedResponseError(
            f"{name} sent a body that could not be decoded (corrupt gzip/deflate or bad encoding): {type(exc).__name__}",
            endpoint=endpoint,
            code="decoding_error",
            retryable=False,
        )
    if isinstance(exc, httpx.TransportError):
        # Only the class name: some transport messages echo request lines or headers.
        where = f" at {safe_url(base_url)}" if base_url else ""
        certificate = _certificate_problem(exc)
        if certificate is not None:
            return APIConnectionError(
                f"the TLS certificate of {name}{where} was refused: {certificate} (not retried: check the host, "
                "SSL_CERT_FILE / SSL_CERT_DIR, or the proxy that presents it)",
                endpoint=endpoint,
                code="tls_certificate",
                retryable=False,
            )
        if isinstance(exc, (httpx.ConnectError, httpx.ProxyError, httpx.UnsupportedProtocol)):
            return APIConnectionError(f"could not reach {name}{where}: {type(exc).__name__}", endpoint=endpoint)
        # the connection was made, then failed (reset, closed early, broken framing)
        return APIConnectionError(f"connection to {name}{where} lost: {type(exc).__name__}", endpoint=endpoint)
    if isinstance(exc, UnicodeEncodeError):
        return ConfigurationError(
            "a request header value is not ASCII (check api_key, default_headers and extra_headers); "
            "HTTP header values must be ASCII",
            endpoint=endpoint,
            retryable=False,
        )
    if isinstance(exc, RecursionError):
        return MalformedResponseError(
            f"{name} sent JSON nested too deeply to parse", endpoint=endpoint, code="too_deep"
        )
    if isinstance(exc, OverflowError):
        return MalformedResponseError(f"{name} sent a number too large to read", endpoint=endpoint, code="overflow")
    if isinstance(exc, UnicodeDecodeError):
        return MalformedResponseError(
            f"{name} sent text that is not valid UTF-8", endpoint=endpoint, code="decoding_error"
        )
    return exc
