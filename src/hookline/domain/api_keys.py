"""API keys: `hl_<role>_` + 32 random bytes (base62) + a 6-character checksum.

The checksum lets a mistyped key fail before any database lookup. Only a SHA-256 of the
whole key is stored; the key itself is shown once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib

from hookline.domain.models import Role

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ROLE_PREFIX = {Role.ADMIN: "hl_admin_", Role.CI: "hl_ci_", Role.RUNTIME: "hl_rt_"}
_BODY_LEN = 43  # 32 bytes in base62
_CHECK_LEN = 6


def _b62(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        value, rem = divmod(value, 62)
        out.append(_BASE62[rem])
    return "".join(reversed(out))


def _checksum(body: str) -> str:
    return _b62(zlib.crc32(body.encode()), _CHECK_LEN)


def generate(role: Role) -> str:
    body = _b62(int.from_bytes(secrets.token_bytes(32), "big"), _BODY_LEN)
    return ROLE_PREFIX[role] + body + _checksum(body)


def role_of(key: str) -> Role | None:
    for role, prefix in ROLE_PREFIX.items():
        if key.startswith(prefix):
            return role
    return None


def is_well_formed(key: str) -> bool:
    """Prefix, length and checksum are right (says nothing of whether the key exists)."""
    role = role_of(key)
    if role is None:
        return False
    rest = key[len(ROLE_PREFIX[role]) :]
    if len(rest) != _BODY_LEN + _CHECK_LEN or any(c not in _BASE62 for c in rest):
        return False
    body, check = rest[:_BODY_LEN], rest[_BODY_LEN:]
    return hmac.compare_digest(_checksum(body), check)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    """What lists show to recognise a key: its role prefix and four characters."""
    role = role_of(key)
    head = ROLE_PREFIX[role] if role else ""
    return key[: len(head) + 4] + "…"
