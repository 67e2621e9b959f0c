"""OAuth2 client-credentials token endpoint and bearer checks.

Gloo: ``POST /oauth2/token`` with ``grant_type=client_credentials``, the client
authenticated by HTTP Basic or by ``client_id``/``client_secret`` in the form body,
an omitted scope meaning the client's default scopes (docs/emulator.md#tokens).
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
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote_plus

from . import errors

KNOWN_SCOPES = {"api/access"}
#: The scopes an app client gets when its token request names none (Cognito's rule).
DEFAULT_SCOPES: tuple[str, ...] = ("api/access",)
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

    def issue(self, client_id: str, scope: str, org_id: str) -> str:
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
                "org_id": org_id,
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


def _matches(creds: tuple[str, str], client_id: str, client_secret: str) -> bool:
    """The pair as sent, or each part percent-decoded: RFC 6749 2.3.1 form-encodes the id
    and secret before Basic (Gloo's TypeScript clients do; its docs and Python example
    send them raw). Compared in constant time."""
    for candidate in (creds, (unquote_plus(creds[0]), unquote_plus(creds[1]))):
        same_id = hmac.compare_digest(candidate[0].encode(), client_id.encode())
        if same_id and hmac.compare_digest(candidate[1].encode(), client_secret.encode()):
            return True
    return False


def org_id_for(client_id: str) -> str:
    """The organisation a client belongs to: a stable UUID (Gloo's JWT check reads ``org_id``)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "https://platform.ai.gloo.com/org/" + client_id))


def token_grant(
    store: TokenStore,
    headers: dict,
    body: bytes,
    client_id: str,
    client_secret: str,
    default_scopes: tuple[str, ...] = DEFAULT_SCOPES,
) -> tuple[int, dict, dict]:
    """Handle ``POST /oauth2/token``; returns ``(status, json body, headers)``.

    Client authentication (RFC 6749 2.3.1), as Cognito takes it: HTTP Basic
    (``client_secret_basic``, the documented way) or ``client_id`` and
    ``client_secret`` in the form body (``client_secret_post``, what Gloo's cookbook
    recipes send); using both in one request is refused (RFC 6749 2.3).
    """
    no_store = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 5.1
    unauthorized = {**no_store, "WWW-Authenticate": 'Basic realm="oauth2"'}
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    basic = _basic_credentials(headers.get("authorization"))
    posted_id = form["client_id"][0] if "client_id" in form else None
    posted_secret = form["client_secret"][0] if "client_secret" in form else None
    if basic is not None and posted_secret is not None:
        return 400, {"error": "invalid_request"}, no_store  # two authentication methods at once
    if basic is not None:
        creds = basic
        if posted_id is not None and posted_id != basic[0] and unquote_plus(basic[0]) != posted_id:
            return 401, {"error": "invalid_client"}, unauthorized  # a body client_id must be the same client
    elif posted_id is not None and posted_secret is not None:
        creds = (posted_id, posted_secret)  # parse_qs already percent-decoded them
    else:
        return 401, {"error": "invalid_client"}, unauthorized
    if not _matches(creds, client_id, client_secret):
        return 401, {"error": "invalid_client"}, unauthorized
    grant = (form.get("grant_type") or [""])[0]
    if not grant:
        return 400, {"error": "invalid_request"}, no_store
    if grant != "client_credentials":
        return 400, {"error": "unsupported_grant_type"}, no_store
    requested = (form.get("scope") or [""])[0].split()
    if any(s not in KNOWN_SCOPES or s not in default_scopes for s in requested):
        return 400, {"error": "invalid_scope"}, no_store
    # Cognito: a request naming no scope gets every scope the app client is allowed.
    scope = " ".join(requested or default_scopes)
    token = store.issue(client_id, scope, org_id_for(client_id))
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
    """None when allowed, else ``(status, body)`` in Gloo's gateway envelope (docs/providers.md#envelopes)."""
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
