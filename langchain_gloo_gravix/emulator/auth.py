"""OAuth2 client-credentials token endpoint and bearer checks.

Gloo: ``POST /oauth2/token`` with HTTP Basic client auth and
``grant_type=client_credentials&scope=api/access`` (docs/providers.md#token).
Gravix: a static API key as bearer, no token exchange (docs/providers.md#api-keys).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote_plus

from . import errors

KNOWN_SCOPES = {"api/access"}
_OK, _INVALID, _FORBIDDEN = "ok", "invalid", "forbidden"


@dataclass
class _Token:
    full_scope: bool
    expires_at: float
    revoked: bool = False


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _json_b64url(data: dict) -> str:
    return _b64url(json.dumps(data, separators=(",", ":")).encode())


# Signs the emulator's tokens (HS256). Not a secret: it only makes the signature
# segment a real one, so JWT libraries that decode without verifying (Gloo's
# Python sample reads ``exp`` that way, docs/providers.md#token) accept the token.
SIGNING_KEY = b"gloo-gravix-emulator-signing-key"
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_emulator"


def encode_jwt(claims: dict) -> str:
    """A compact JWS (header.payload.signature, base64url without padding)."""
    signing_input = _json_b64url({"alg": "HS256", "typ": "JWT", "kid": "emulator"}) + "." + _json_b64url(claims)
    signature = hmac.new(SIGNING_KEY, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + _b64url(signature)


class TokenStore:
    """Issued access tokens; thread-safe."""

    def __init__(self, lifetime: int) -> None:
        self.lifetime = int(lifetime)
        self._lock = threading.Lock()
        self._tokens: dict[str, _Token] = {}
        self.issued = 0

    def issue(self, client_id: str, scope: str) -> str:
        with self._lock:
            self.issued += 1
            n = self.issued
            now = time.time()
            # A JWT with the claims of Gloo's Cognito access tokens (docs/providers.md#token);
            # the issuer and ``jti`` say it comes from the emulator.
            claims = {
                "sub": client_id,
                "token_use": "access",
                "scope": scope,
                "auth_time": int(now),
                "iss": ISSUER,
                "exp": int(now) + self.lifetime,
                "iat": int(now),
                "version": 2,
                "jti": f"emulator-{n:06d}",
                "client_id": client_id,
            }
            token = encode_jwt(claims)
            self._tokens[token] = _Token("api/access" in scope.split(), time.monotonic() + self.lifetime)
            return token

    def check(self, token: str) -> str:
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None or entry.revoked or time.monotonic() >= entry.expires_at:
                return _INVALID
            return _OK if entry.full_scope else _FORBIDDEN

    def expire_all(self) -> None:
        with self._lock:
            for entry in self._tokens.values():
                entry.revoked = True


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header[:6].lower() == "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=False).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if ":" not in decoded:
        return None
    client_id, secret = decoded.split(":", 1)
    return client_id, secret


def token_grant(
    store: TokenStore, headers: dict, body: bytes, client_id: str, client_secret: str
) -> tuple[int, dict, dict]:
    """Handle ``POST /oauth2/token``; returns ``(status, json body, headers)``."""
    no_store = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 5.1
    creds = _basic_credentials(headers.get("authorization"))
    # Accept the id/secret raw (Gloo docs, Python example) or percent-encoded
    # per RFC 6749 2.3.1 (Gloo's TypeScript clients) -- docs/providers.md#token.
    # client_secret_post is unconfirmed upstream (docs/providers.md#token), so only Basic
    # is accepted: a plugin that works here uses the documented method.
    if creds is None or (
        creds != (client_id, client_secret) and tuple(unquote_plus(c) for c in creds) != (client_id, client_secret)
    ):
        return 401, {"error": "invalid_client"}, {**no_store, "WWW-Authenticate": 'Basic realm="oauth2"'}
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    grant = (form.get("grant_type") or [""])[0]
    if not grant:
        return 400, {"error": "invalid_request"}, no_store
    if grant != "client_credentials":
        return 400, {"error": "unsupported_grant_type"}, no_store
    scope = (form.get("scope") or [""])[0].strip()
    if any(s not in KNOWN_SCOPES for s in scope.split()):
        return 400, {"error": "invalid_scope"}, no_store
    # A missing scope still yields a token, but one that completions refuse
    # with 403 (docs/providers.md#403, the documented 403 gotcha).
    token = store.issue(creds[0], scope)
    return 200, {"access_token": token, "token_type": "Bearer", "expires_in": store.lifetime}, no_store


def bearer(headers: dict) -> str | None:
    """The bearer token, "" for a non-Bearer header, None when absent."""
    value = headers.get("authorization")
    if value is None:
        return None
    if value[:7].lower() != "bearer ":
        return ""
    return value[7:].strip()


def check_gloo(store: TokenStore, headers: dict, api_key: str) -> tuple[int, dict] | None:
    """None when allowed, else ``(status, body)`` in Gloo's gateway envelope (4)."""
    token = bearer(headers)
    if token is None:
        return 401, dict(errors.GLOO_MISSING_AUTH)
    # Static keys are accepted as well as OAuth tokens (docs/providers.md#token [Conflict]).
    if token and token == api_key:
        return None
    state = store.check(token) if token else _INVALID
    if state == _OK:
        return None
    if state == _FORBIDDEN:
        return 403, dict(errors.GLOO_FORBIDDEN)
    return 401, dict(errors.GLOO_INVALID_TOKEN)


def check_gravix(headers: dict, api_key: str, request_id: str) -> tuple[int, dict] | None:
    """None when the static key matches (docs/providers.md#api-keys), else 401 in the V3 envelope."""
    if bearer(headers) == api_key:
        return None
    return 401, errors.gravix_envelope("unauthorized", "Invalid API key", request_id)
