"""Encryption at rest for endpoint secrets and credentials: AES-256-GCM with key ids.

A sealed value reads `enc:v1:<key id>:<base64(nonce + ciphertext)>`. The key id names
which master key sealed it, so a new master key can be introduced and old values
re-encrypted (`hookline rotate-master-key`) without a flag day.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PREFIX = "enc:v1:"


class DecryptionError(Exception):
    pass


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"hookline-key-id:" + key).hexdigest()[:8]


def parse_master_key(text: str) -> bytes:
    """A master key is 32 bytes written as base64 (urlsafe or standard) or 64 hex digits."""
    text = text.strip()
    if len(text) == 64:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as exc:
        raise ValueError("HOOKLINE_SECRET_KEY must be 32 bytes in base64 or hex") from exc
    if len(raw) != 32:
        raise ValueError("HOOKLINE_SECRET_KEY must be 32 bytes in base64 or hex")
    return raw


def new_master_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


class Cipher:
    """Seals with the first key; opens with any key it knows by id."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one master key is needed")
        self._primary = keys[0]
        self._primary_id = key_id(keys[0])
        self._by_id = {key_id(k): AESGCM(k) for k in keys}

    @property
    def primary_key_id(self) -> str:
        return self._primary_id

    def seal(self, plaintext: str, *, context: str) -> str:
        """Encrypt; `context` (e.g. the endpoint id) is bound as associated data."""
        nonce = os.urandom(12)
        ct = self._by_id[self._primary_id].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{_PREFIX}{self._primary_id}:{base64.b64encode(nonce + ct).decode()}"

    def open(self, sealed: str, *, context: str) -> str:
        if not sealed.startswith(_PREFIX):
            raise DecryptionError("value is not sealed")
        kid, _, data = sealed[len(_PREFIX) :].partition(":")
        aead = self._by_id.get(kid)
        if aead is None:
            raise DecryptionError(f"no master key with id {kid} is configured")
        raw = base64.b64decode(data)
        try:
            return aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except InvalidTag as exc:
            raise DecryptionError("sealed value does not open with its key") from exc

    def sealed_with_primary(self, sealed: str) -> bool:
        return sealed.startswith(f"{_PREFIX}{self._primary_id}:")
