"""Verify webhooks from Hookline on the receiving side, with the standard library alone.

    from hookline.verify import Webhook, WebhookVerificationError

    payload = Webhook("whsec_...").verify(raw_body, request.headers)

`Webhook` checks the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
`webhook-signature`): the timestamp must be within 5 minutes of now (replays are
refused) and one of the signatures must match. A `whsec_` secret checks `v1`
(HMAC-SHA256) signatures; a `whpk_` public key checks `v1a` (Ed25519) ones, which needs
the `cryptography` package. `verify_hex` checks the GitHub-style `hmac-sha256-hex`
scheme. Always verify the raw body bytes as received: JSON parsed and dumped again is
not the same bytes.

This module imports nothing else from Hookline, so receivers may vendor it as one file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

__all__ = [
    "DEFAULT_TOLERANCE",
    "InvalidSecretError",
    "InvalidSignatureError",
    "MalformedHeaderError",
    "MissingHeaderError",
    "TimestampOutOfToleranceError",
    "Webhook",
    "WebhookVerificationError",
    "verify_hex",
]

DEFAULT_TOLERANCE = 5 * 60  # seconds either side of now
SECRET_PREFIX = "whsec_"
PUBLIC_KEY_PREFIX = "whpk_"
SIGNING_KEY_PREFIX = "whsk_"

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


class WebhookVerificationError(Exception):
    """The request is not a genuine, fresh webhook: refuse it (answer 400 or 401)."""


class MissingHeaderError(WebhookVerificationError):
    def __init__(self, header: str) -> None:
        super().__init__(f"missing header: {header}")
        self.header = header


class MalformedHeaderError(WebhookVerificationError):
    pass


class TimestampOutOfToleranceError(WebhookVerificationError):
    """The timestamp is further than the tolerance from now: a replay, or a wrong clock."""


class InvalidSignatureError(WebhookVerificationError):
    """No signature in the request matches the secret or key: forged or tampered."""


class InvalidSecretError(ValueError):
    """The secret given to the verifier is unusable (a configuration mistake)."""


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _lower(headers: Headers) -> dict[str, str]:
    # Mappings (Starlette, Django, aiohttp) and Werkzeug's headers have items();
    # anything else is taken for (name, value) pairs.
    items = getattr(headers, "items", None)
    pairs = items() if callable(items) else cast(Iterable[tuple[str, str]], headers)
    out: dict[str, str] = {}
    for name, value in pairs:
        out.setdefault(name.lower(), value)
    return out


def _ed25519_checker(raw: bytes) -> Callable[[bytes, bytes], bool]:
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError as exc:  # pragma: no cover - cryptography is usually there
        raise InvalidSecretError(
            "verifying v1a (Ed25519) signatures needs the cryptography package"
        ) from exc
    try:
        key = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise InvalidSecretError("a whpk_ public key holds 32 bytes") from exc

    def check(signature: bytes, content: bytes) -> bool:
        try:
            key.verify(signature, content)
        except InvalidSignature:
            return False
        return True

    return check


class Webhook:
    """A verifier for one secret (`whsec_...`) or public key (`whpk_...`)."""

    def __init__(self, secret: str | bytes, *, tolerance: int = DEFAULT_TOLERANCE) -> None:
        self.tolerance = tolerance
        self._hmac_key: bytes | None = None
        self._ed25519: Callable[[bytes, bytes], bool] | None = None
        if isinstance(secret, bytes):
            self._hmac_key = secret
        elif secret.startswith(PUBLIC_KEY_PREFIX):
            self._ed25519 = _ed25519_checker(self._decode(secret[len(PUBLIC_KEY_PREFIX) :]))
        elif secret.startswith(SIGNING_KEY_PREFIX):
            raise InvalidSecretError(
                "whsk_ is the sender's private key: verify with its whpk_ public key"
            )
        else:
            # Standard Webhooks libraries accept the base64 part without its prefix too.
            body = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
            self._hmac_key = self._decode(body)
        if self._hmac_key is not None and not self._hmac_key:
            raise InvalidSecretError("the secret is empty")

    @staticmethod
    def _decode(text: str) -> bytes:
        try:
            return _b64decode(text)
        except (binascii.Error, ValueError) as exc:
            raise InvalidSecretError(
                "expected a whsec_ secret or a whpk_ public key (base64 after the prefix); "
                "for the hmac-sha256-hex scheme use verify_hex()"
            ) from exc

    @property
    def version(self) -> str:
        """The signature version this verifier checks: `v1` or `v1a`."""
        return "v1a" if self._ed25519 is not None else "v1"

    def verify(self, body: bytes | str, headers: Headers, *, now: float | None = None) -> Any:
        """Return the parsed JSON payload, or raise a WebhookVerificationError.

        `headers` may be any mapping (names of any case) or a list of pairs; `now` (Unix
        seconds) is for tests.
        """
        raw = body.encode() if isinstance(body, str) else bytes(body)
        self.verify_signature(raw, headers, now=now)
        return json.loads(raw)

    def verify_signature(self, body: bytes, headers: Headers, *, now: float | None = None) -> None:
        """Like `verify`, without parsing the body."""
        h = _lower(headers)
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
            if not h.get(name, "").strip():
                raise MissingHeaderError(name)
        msg_id = h["webhook-id"].strip()
        stamp = h["webhook-timestamp"].strip()
        signatures = h["webhook-signature"]
        try:
            timestamp = int(stamp)
        except ValueError as exc:
            raise MalformedHeaderError(f"webhook-timestamp is not a number: {stamp!r}") from exc
        current = time.time() if now is None else now
        if timestamp < current - self.tolerance:
            raise TimestampOutOfToleranceError("the webhook timestamp is too old")
        if timestamp > current + self.tolerance:
            raise TimestampOutOfToleranceError("the webhook timestamp is too far in the future")
        content = f"{msg_id}.{timestamp}.".encode() + body
        for candidate in self._signatures(signatures):
            if self._matches(candidate, content):
                return
        raise InvalidSignatureError(f"no {self.version} signature matches")

    def _signatures(self, header: str) -> Iterable[bytes]:
        for part in header.split():
            version, _, encoded = part.partition(",")
            if version != self.version:
                continue
            try:
                yield _b64decode(encoded)
            except (binascii.Error, ValueError):
                continue

    def _matches(self, signature: bytes, content: bytes) -> bool:
        if self._ed25519 is not None:
            return self._ed25519(signature, content)
        assert self._hmac_key is not None
        expected = hmac.new(self._hmac_key, content, hashlib.sha256).digest()
        return hmac.compare_digest(expected, signature)


def verify_hex(
    body: bytes | str,
    signature_header_value: str | None,
    secret: str,
    prefix: str = "sha256=",
) -> None:
    """Check an `hmac-sha256-hex` signature (GitHub style): the hex HMAC-SHA256 of the
    raw body, keyed by the secret string's UTF-8 bytes, after `prefix`. Raises a
    WebhookVerificationError unless it matches.

    This scheme signs no timestamp, so it cannot refuse a replayed request: deduplicate
    on the event id if that matters.
    """
    if not signature_header_value:
        raise MissingHeaderError("signature")
    raw = body.encode() if isinstance(body, str) else bytes(body)
    value = signature_header_value.strip()
    if not value.startswith(prefix):
        raise InvalidSignatureError(f"the signature does not start with {prefix!r}")
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    given = value[len(prefix) :].lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode(), given):
        raise InvalidSignatureError("the signature does not match")
