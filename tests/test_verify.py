"""hookline.verify: the receiver's side, against the spec's vector, signatures made by
other libraries, and real deliveries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import standardwebhooks
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hookline.verify import (
    InvalidSecretError,
    InvalidSignatureError,
    MalformedHeaderError,
    MissingHeaderError,
    TimestampOutOfToleranceError,
    Webhook,
    WebhookVerificationError,
    verify_hex,
)

# The Standard Webhooks specification's test vector.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TS = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
HEADERS = {"webhook-id": MSG_ID, "webhook-timestamp": str(TS), "webhook-signature": SIGNATURE}


def test_the_spec_vector_verifies_and_returns_the_payload():
    assert Webhook(SECRET).verify(BODY, HEADERS, now=TS) == {"test": 2432232314}
    assert Webhook(SECRET).verify(BODY.decode(), HEADERS, now=TS + 299) == {"test": 2432232314}


def test_header_names_of_any_case_and_pairs():
    mixed = {"Webhook-Id": MSG_ID, "WEBHOOK-TIMESTAMP": str(TS), "webhook-Signature": SIGNATURE}
    assert Webhook(SECRET).verify(BODY, mixed, now=TS)
    assert Webhook(SECRET).verify(BODY, list(mixed.items()), now=TS)


def test_tampered_body_and_wrong_secret_are_refused():
    with pytest.raises(InvalidSignatureError):
        Webhook(SECRET).verify(b'{"test": 2432232315}', HEADERS, now=TS)
    other = "whsec_" + base64.b64encode(b"k" * 32).decode()
    with pytest.raises(InvalidSignatureError):
        Webhook(other).verify(BODY, HEADERS, now=TS)
    with pytest.raises(InvalidSignatureError):
        Webhook(SECRET).verify(BODY, {**HEADERS, "webhook-id": "msg_other"}, now=TS)


@pytest.mark.parametrize("offset", [-301, 301, 86400])
def test_stale_and_future_timestamps_are_refused(offset):
    with pytest.raises(TimestampOutOfToleranceError):
        Webhook(SECRET).verify(BODY, HEADERS, now=TS + offset)


def test_the_tolerance_is_five_minutes_by_default_and_adjustable():
    Webhook(SECRET).verify(BODY, HEADERS, now=TS - 300)
    with pytest.raises(TimestampOutOfToleranceError):
        Webhook(SECRET, tolerance=10).verify(BODY, HEADERS, now=TS + 11)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers_are_named(missing):
    headers = {k: v for k, v in HEADERS.items() if k != missing}
    with pytest.raises(MissingHeaderError) as caught:
        Webhook(SECRET).verify(BODY, headers, now=TS)
    assert caught.value.header == missing
    with pytest.raises(MissingHeaderError):
        Webhook(SECRET).verify(BODY, {**headers, missing: "  "}, now=TS)


def test_malformed_headers_are_refused():
    with pytest.raises(MalformedHeaderError):
        Webhook(SECRET).verify(BODY, {**HEADERS, "webhook-timestamp": "soon"}, now=TS)
    for junk in ("v1", "v1,", "v1,!!!", "v2," + SIGNATURE[3:], "nonsense"):
        with pytest.raises(InvalidSignatureError):
            Webhook(SECRET).verify(BODY, {**HEADERS, "webhook-signature": junk}, now=TS)


def test_every_error_is_a_webhook_verification_error():
    for cls in (
        MissingHeaderError,
        MalformedHeaderError,
        TimestampOutOfToleranceError,
        InvalidSignatureError,
    ):
        assert issubclass(cls, WebhookVerificationError)


def test_both_signatures_verify_during_a_rotation():
    """Signed by another library with two secrets, as Hookline does during a grace."""
    old, new = ("whsec_" + base64.b64encode(bytes([i]) * 32).decode() for i in (1, 2))
    stamp = datetime.fromtimestamp(TS, tz=UTC)
    sigs = [standardwebhooks.Webhook(s).sign(MSG_ID, stamp, BODY.decode()) for s in (new, old)]
    headers = {**HEADERS, "webhook-signature": " ".join(sigs)}
    for secret in (old, new):
        assert Webhook(secret).verify(BODY, headers, now=TS) == {"test": 2432232314}
    third = "whsec_" + base64.b64encode(b"\x03" * 32).decode()
    with pytest.raises(InvalidSignatureError):
        Webhook(third).verify(BODY, headers, now=TS)


def _whpk(key: Ed25519PrivateKey) -> str:
    return "whpk_" + base64.b64encode(key.public_key().public_bytes_raw()).decode()


def _v1a(key: Ed25519PrivateKey, body: bytes = BODY) -> str:
    return "v1a," + base64.b64encode(key.sign(f"{MSG_ID}.{TS}.".encode() + body)).decode()


def test_ed25519_with_a_public_key_and_mixed_versions():
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    # A move from v1 to v1a: both versions in one header, each verifier takes its own.
    headers = {**HEADERS, "webhook-signature": f"{SIGNATURE} {_v1a(new)} {_v1a(old)}"}
    for key in (old, new):
        assert Webhook(_whpk(key)).verify(BODY, headers, now=TS) == {"test": 2432232314}
    assert Webhook(SECRET).verify(BODY, headers, now=TS)
    with pytest.raises(InvalidSignatureError):
        Webhook(_whpk(Ed25519PrivateKey.generate())).verify(BODY, headers, now=TS)
    with pytest.raises(InvalidSignatureError):
        Webhook(_whpk(new)).verify(BODY + b" ", headers, now=TS)
    assert Webhook(_whpk(new)).version == "v1a"


@pytest.mark.parametrize(
    "secret", ["It's a Secret to Everybody", "whsk_" + "A" * 43 + "=", "whpk_AAAA", "whsec_"]
)
def test_unusable_secrets_are_refused_up_front(secret):
    with pytest.raises(InvalidSecretError):
        Webhook(secret)


def test_verify_hex_with_githubs_vector():
    body = b"Hello, World!"
    good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    verify_hex(body, good, "It's a Secret to Everybody")
    verify_hex(body, good.upper().replace("SHA256=", "sha256="), "It's a Secret to Everybody")
    verify_hex(body, good[7:], "It's a Secret to Everybody", prefix="")
    with pytest.raises(InvalidSignatureError):
        verify_hex(body + b"!", good, "It's a Secret to Everybody")
    with pytest.raises(InvalidSignatureError):
        verify_hex(body, good, "another secret")
    with pytest.raises(InvalidSignatureError):
        verify_hex(body, good[7:], "It's a Secret to Everybody")
    with pytest.raises(InvalidSignatureError):
        verify_hex(body, "sha256=\u00e9\u00e9", "It's a Secret to Everybody")
    with pytest.raises(MissingHeaderError):
        verify_hex(body, None, "It's a Secret to Everybody")


def test_it_imports_nothing_else_of_hookline():
    code = "import sys, hookline.verify; print(sorted(m for m in sys.modules if 'hookline' in m))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "['hookline', 'hookline.verify']", result.stderr


async def test_real_deliveries_of_every_scheme_verify(hookline, receivers):
    await hookline.event_type("invoice.paid")
    tenant = (await hookline.tenant())["id"]
    rx = {name: await receivers() for name in ("v1", "v1a", "hex")}
    v1 = await hookline.endpoint(tenant, rx["v1"].url, ["invoice.paid"])
    v1a = await hookline.endpoint(
        tenant, rx["v1a"].url, ["invoice.paid"], signature={"scheme": "standard-webhooks-ed25519"}
    )
    await hookline.endpoint(
        tenant,
        rx["hex"].url,
        ["invoice.paid"],
        signature={"scheme": "hmac-sha256-hex", "prefix": "sha256="},
        secret="shared-secret-of-a-migrated-customer",
    )
    msg = await hookline.publish(tenant, "invoice.paid", {"amount": 9})
    got = {name: (await r.wait_for(1))[0] for name, r in rx.items()}

    payload = Webhook(v1["secret"]).verify(got["v1"].body, got["v1"].headers)
    assert payload["id"] == msg["id"]
    assert payload["data"] == {"amount": 9}
    public_key = v1a["signature"]["public_key"]
    assert Webhook(public_key).verify(got["v1a"].body, got["v1a"].headers) == payload
    with pytest.raises(InvalidSignatureError):
        Webhook(public_key).verify(got["v1"].body, got["v1"].headers)
    hex_req = got["hex"]
    verify_hex(
        hex_req.body,
        hex_req.headers["x-webhook-signature"],
        "shared-secret-of-a-migrated-customer",
    )
    expected = hmac.new(b"shared-secret-of-a-migrated-customer", hex_req.body, hashlib.sha256)
    assert hex_req.headers["x-webhook-signature"] == "sha256=" + expected.hexdigest()
