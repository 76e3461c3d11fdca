"""Signing outgoing requests (Standard Webhooks `v1`) and the secrets that sign them.

Signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the key is the base64
part of a `whsec_` secret. During a rotation grace every active secret signs and the
signatures are space-separated in one `webhook-signature` header.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64

STANDARD_WEBHOOKS = "standard-webhooks"
HMAC_SHA256_HEX = "hmac-sha256-hex"
SCHEMES = frozenset({STANDARD_WEBHOOKS, HMAC_SHA256_HEX})


class InvalidSecret(ValueError):
    pass


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_` secret; raises InvalidSecret when it is malformed."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret("a secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSecret("the part after whsec_ must be base64") from exc
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise InvalidSecret(
            f"a secret holds {MIN_SECRET_BYTES}–{MAX_SECRET_BYTES} bytes, this one {len(key)}"
        )
    return key


def sign_v1(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    to_sign = b"%s.%d.%s" % (msg_id.encode(), timestamp, body)
    digest = hmac.new(key, to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: one `v1,...` per active key, space-separated."""
    return " ".join(sign_v1(k, msg_id, timestamp, body) for k in keys)


def check_secret(scheme: str, secret: str) -> None:
    """Raise InvalidSecret unless `secret` can sign with `scheme`."""
    if scheme == HMAC_SHA256_HEX:
        if not 8 <= len(secret) <= 128 or not secret.isprintable():
            raise InvalidSecret("a secret for this scheme is 8–128 printable characters")
        return
    secret_key(secret)


def sign_hex(secret: str, body: bytes) -> str:
    """GitHub-style: HMAC-SHA256 of the raw body, keyed by the secret string's UTF-8 bytes."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
