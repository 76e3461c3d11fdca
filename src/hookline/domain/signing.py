"""Signing outgoing requests, and the secrets and keys that sign them.

Three schemes (DESIGN §2):

- `standard-webhooks`: `v1,<base64 HMAC-SHA256>` of `{webhook-id}.{webhook-timestamp}.{body}`,
  keyed by the base64 part of a `whsec_` secret.
- `standard-webhooks-ed25519`: `v1a,<base64 Ed25519 signature>` of the same content,
  with a `whsk_` signing key; receivers verify with its `whpk_` public key.
- `hmac-sha256-hex`: GitHub style, the hex HMAC-SHA256 of the raw body alone, keyed by
  the secret string's UTF-8 bytes.

In the two Standard Webhooks schemes every active key signs with its own kind (`whsec_`
→ `v1`, `whsk_` → `v1a`) and the signatures are space-separated in one
`webhook-signature` header, so a rotation grace — or a move between `v1` and `v1a` —
keeps old receivers verifying. The hex scheme has room for one value: the newest key
signs alone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _secrets
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SECRET_PREFIX = "whsec_"
SIGNING_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"
SECRET_BYTES = 32
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64
SEED_BYTES = 32

STANDARD_WEBHOOKS = "standard-webhooks"
STANDARD_WEBHOOKS_ED25519 = "standard-webhooks-ed25519"
HMAC_SHA256_HEX = "hmac-sha256-hex"
SCHEMES = frozenset({STANDARD_WEBHOOKS, STANDARD_WEBHOOKS_ED25519, HMAC_SHA256_HEX})
STANDARD_SCHEMES = frozenset({STANDARD_WEBHOOKS, STANDARD_WEBHOOKS_ED25519})
HEX_SECRET_LENGTH = (8, 128)


class InvalidSecret(ValueError):
    pass


# -- secrets and keys ------------------------------------------------------------------


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(SECRET_BYTES)).decode()


def generate_signing_key() -> str:
    """A `whsk_` Ed25519 key: base64 of seed + public key (64 bytes, libsodium's layout)."""
    seed = _secrets.token_bytes(SEED_BYTES)
    return SIGNING_KEY_PREFIX + base64.b64encode(seed + _public_bytes(seed)).decode()


def generate_for(scheme: str) -> str:
    """A new secret of the kind `scheme` signs with (a `whsec_` secret suits the hex scheme)."""
    return generate_signing_key() if scheme == STANDARD_WEBHOOKS_ED25519 else generate_secret()


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSecret(f"the part after {what} must be base64") from exc


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_` secret; raises InvalidSecret when it is malformed."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret("a secret starts with whsec_")
    key = _b64(secret[len(SECRET_PREFIX) :], SECRET_PREFIX)
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise InvalidSecret(
            f"a secret holds {MIN_SECRET_BYTES}–{MAX_SECRET_BYTES} bytes, this one {len(key)}"
        )
    return key


def signing_seed(key: str) -> bytes:
    """The 32-byte Ed25519 seed of a `whsk_` key (32 bytes of seed, or seed + public key)."""
    if not key.startswith(SIGNING_KEY_PREFIX):
        raise InvalidSecret("an Ed25519 signing key starts with whsk_")
    raw = _b64(key[len(SIGNING_KEY_PREFIX) :], SIGNING_KEY_PREFIX)
    if len(raw) not in (SEED_BYTES, 2 * SEED_BYTES):
        raise InvalidSecret(f"a whsk_ key holds 32 or 64 bytes, this one {len(raw)}")
    seed = raw[:SEED_BYTES]
    if len(raw) == 2 * SEED_BYTES and not hmac.compare_digest(
        raw[SEED_BYTES:], _public_bytes(seed)
    ):
        raise InvalidSecret("the public half of this whsk_ key does not match its seed")
    return seed


def _public_bytes(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


def public_key_of(key: str) -> str:
    """The `whpk_` public key of a `whsk_` signing key: safe to publish."""
    return PUBLIC_KEY_PREFIX + base64.b64encode(_public_bytes(signing_seed(key))).decode()


def check_secret(scheme: str, secret: str) -> None:
    """Raise InvalidSecret unless `secret` can sign with `scheme` (a supplied secret)."""
    if scheme == HMAC_SHA256_HEX:
        lo, hi = HEX_SECRET_LENGTH
        if not lo <= len(secret) <= hi or not secret.isprintable():
            raise InvalidSecret(f"a secret for this scheme is {lo}–{hi} printable characters")
        if secret.startswith(SIGNING_KEY_PREFIX):
            raise InvalidSecret("a whsk_ key is private: it cannot be a shared secret")
        return
    if scheme == STANDARD_WEBHOOKS_ED25519:
        signing_seed(secret)
        return
    secret_key(secret)


def can_sign(scheme: str, secret: str) -> bool:
    """Whether a stored secret still signs after the endpoint moves to `scheme`.

    In the Standard Webhooks schemes each key signs with its own kind, so both `whsec_`
    and `whsk_` keys sign under either; the hex scheme needs a shareable string.
    """
    if scheme in STANDARD_SCHEMES:
        return _standard_signer(secret) is not None
    try:
        check_secret(HMAC_SHA256_HEX, secret)
    except InvalidSecret:
        return False
    return True


# -- signatures ------------------------------------------------------------------------


def _signed_content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    return b"%s.%d.%s" % (msg_id.encode(), timestamp, body)


def sign_v1(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key, _signed_content(msg_id, timestamp, body), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign_v1a(seed: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(
        _signed_content(msg_id, timestamp, body)
    )
    return "v1a," + base64.b64encode(signature).decode()


def signature_header(keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: one `v1,...` per HMAC key, space-separated."""
    return " ".join(sign_v1(k, msg_id, timestamp, body) for k in keys)


def _standard_signer(secret: str) -> tuple[str, bytes] | None:
    try:
        if secret.startswith(SIGNING_KEY_PREFIX):
            return "v1a", signing_seed(secret)
        return "v1", secret_key(secret)
    except InvalidSecret:
        return None


def standard_signature_header(
    secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes
) -> str | None:
    """The `webhook-signature` value for the active secrets, newest first: each signs
    with its own kind. A secret that cannot sign here is skipped (None when none can)."""
    parts = []
    for secret in secrets:
        signer = _standard_signer(secret)
        if signer is None:
            continue
        version, key = signer
        sign = sign_v1a if version == "v1a" else sign_v1
        parts.append(sign(key, msg_id, timestamp, body))
    return " ".join(parts) or None


def sign_hex(secret: str, body: bytes) -> str:
    """GitHub-style: HMAC-SHA256 of the raw body, keyed by the secret string's UTF-8 bytes."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def hex_signature(secrets: Sequence[str], body: bytes) -> str | None:
    """The hex scheme's digest with the newest secret that can sign it (one value fits)."""
    for secret in secrets:
        if can_sign(HMAC_SHA256_HEX, secret):
            return sign_hex(secret, body)
    return None
