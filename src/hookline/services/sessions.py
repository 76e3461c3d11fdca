"""Dashboard sessions: signed, expiring tokens, re-checked on every request.

A session token names an API key (signed in with that key) or, for a portal link, the
key that issued the link and the one tenant it opens. Nothing is stored server-side:
the token is `<base64url JSON claims>.<base64url HMAC-SHA256>`, keyed with a key
derived from the master key (never the master key itself), and the HMAC covers a
purpose word so a token made for one use (a portal link) is worthless for another (a
session cookie). The key behind a session is looked up on every request, so revoking
it ends the session at once.

CSRF tokens are HMACs of a random nonce carried by the session (or, before sign-in, by
a short-lived cookie), so a form token is only good with the cookie it was made for.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hookline.domain.clock import utcnow
from hookline.domain.errors import Unauthorized
from hookline.domain.models import Principal, Role
from hookline.services import api_keys
from hookline.services.context import Context
from hookline.store import api_keys as key_store

SESSION_TTL = timedelta(hours=8)
SIGNING_KEY_INFO = b"hookline/dashboard-signing-key/v1"

SESSION = "session"
CSRF = "csrf"


class InvalidToken(Exception):
    """A token that was not made here, was altered, or has expired."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expired = expired


def derive_signing_key(master_key: bytes) -> bytes:
    """An HMAC key for sessions and links, derived from a master key (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SIGNING_KEY_INFO).derive(
        master_key
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _keys(ctx: Context) -> tuple[bytes, ...]:
    if not ctx.signing_keys:
        raise RuntimeError("no signing key is configured for dashboard sessions")
    return ctx.signing_keys


def _mac(key: bytes, purpose: str, body: str) -> bytes:
    return hmac.new(key, f"{purpose}.{body}".encode(), sha256).digest()


def sign(ctx: Context, purpose: str, claims: dict[str, Any]) -> str:
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(_mac(_keys(ctx)[0], purpose, body))}"


def verify(
    ctx: Context, purpose: str, token: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """The claims of a token made here for `purpose` that has not expired."""
    body, dot, mac = token.partition(".")
    if not dot or len(token) > 4096:
        raise InvalidToken("malformed token")
    try:
        given = _unb64(mac)
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken("malformed token") from exc
    if not any(hmac.compare_digest(given, _mac(k, purpose, body)) for k in _keys(ctx)):
        raise InvalidToken("the token's signature does not match")
    try:
        claims = json.loads(_unb64(body))
    except (binascii.Error, ValueError) as exc:  # signed by us, so never expected
        raise InvalidToken("malformed token") from exc
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
        raise InvalidToken("malformed token")
    if claims["exp"] <= (now or utcnow()).timestamp():
        raise InvalidToken("the token has expired", expired=True)
    return claims


class SessionKind(enum.StrEnum):
    KEY = "key"  # signed in with an API key
    PORTAL = "portal"  # opened from a portal link: one tenant alone


@dataclass(frozen=True, slots=True)
class Session:
    principal: Principal
    kind: SessionKind
    nonce: str  # CSRF tokens are bound to it
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Issued:
    session: Session
    token: str  # the cookie's value


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def issue(
    ctx: Context,
    principal: Principal,
    *,
    kind: SessionKind,
    ttl: timedelta = SESSION_TTL,
    now: datetime | None = None,
) -> Issued:
    expires_at = (now or utcnow()) + ttl
    claims: dict[str, Any] = {
        "v": kind.value,
        "k": principal.key_id,
        "n": new_nonce(),
        "exp": int(expires_at.timestamp()),
    }
    if kind is SessionKind.PORTAL:
        claims["t"] = principal.tenant_id
    session = Session(principal, kind, claims["n"], expires_at)
    return Issued(session, sign(ctx, SESSION, claims))


async def sign_in(ctx: Context, secret: str | None) -> Issued:
    """A session for the holder of an API key; Unauthorized for unknown or revoked keys."""
    principal = await api_keys.authenticate(ctx, secret.strip() if secret else None)
    return issue(ctx, principal, kind=SessionKind.KEY)


# What a portal session may do: a tenant managing its own endpoints (read, manage
# endpoints, test, retry, recover, rotate) and nothing operator-wide.
PORTAL_ROLE = Role.CI
PORTAL_ISSUERS = frozenset({Role.ADMIN, Role.CI})


async def resume(ctx: Context, token: str | None, *, now: datetime | None = None) -> Session:
    """The session behind a cookie, with its key checked again: Unauthorized otherwise."""
    if not token:
        raise Unauthorized("Sign in to continue.")
    try:
        claims = verify(ctx, SESSION, token, now=now)
    except InvalidToken as exc:
        raise Unauthorized(
            "Your session has expired; sign in again." if exc.expired else "Sign in to continue."
        ) from exc
    try:
        kind = SessionKind(str(claims.get("v")))
    except ValueError as exc:
        raise Unauthorized("Sign in to continue.") from exc
    async with ctx.db.read() as conn:
        key = await key_store.get_key(conn, str(claims.get("k")))
    if key is None or key.revoked_at is not None:
        raise Unauthorized("The API key behind this session has been revoked.")
    expires_at = datetime.fromtimestamp(claims["exp"], UTC)
    nonce = str(claims.get("n", ""))
    if kind is SessionKind.KEY:
        return Session(Principal(key.id, key.role, key.tenant_id), kind, nonce, expires_at)
    tenant_id = claims.get("t")
    if (
        not isinstance(tenant_id, str)
        or key.tenant_id not in (None, tenant_id)
        or key.role not in PORTAL_ISSUERS
    ):
        raise Unauthorized("This portal session is not valid any more.")
    return Session(Principal(key.id, PORTAL_ROLE, tenant_id), kind, nonce, expires_at)


def csrf_token(ctx: Context, nonce: str) -> str:
    return _b64(_mac(_keys(ctx)[0], CSRF, nonce))


def csrf_valid(ctx: Context, nonce: str, token: str | None) -> bool:
    if not nonce or not token:
        return False
    try:
        given = _unb64(token)
    except (binascii.Error, ValueError):
        return False
    return any(hmac.compare_digest(given, _mac(k, CSRF, nonce)) for k in _keys(ctx))
