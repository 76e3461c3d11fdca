"""Signing against published vectors and an independent implementation."""

from __future__ import annotations

import base64

import pytest
import standardwebhooks

from hookline.domain.signing import (
    InvalidSecret,
    check_secret,
    generate_secret,
    secret_key,
    sign_hex,
    sign_v1,
    signature_header,
)

# The Standard Webhooks specification's test vector.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_standard_webhooks_vector():
    # The vector's secret is 24 bytes, the smallest accepted.
    assert sign_v1(secret_key(VECTOR_SECRET), VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIG


def test_github_vector_for_the_hex_scheme():
    assert (
        sign_hex("It's a Secret to Everybody", b"Hello, World!")
        == "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


def test_generated_secrets_are_32_random_bytes():
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
    assert generate_secret() != secret


def test_both_signatures_verify_with_the_reference_library():
    import time

    old, new = generate_secret(), generate_secret()
    ts = int(time.time())
    body = b'{"id":"msg_1","type":"x","timestamp":"t","data":{}}'
    header = signature_header([secret_key(new), secret_key(old)], "msg_1", ts, body)
    assert len(header.split(" ")) == 2
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(ts), "webhook-signature": header}
    for secret in (old, new):
        standardwebhooks.Webhook(secret).verify(body, headers)


@pytest.mark.parametrize(
    "secret",
    ["nope", "whsec_!!!", "whsec_" + base64.b64encode(b"x" * 10).decode(), "whsec_" + "A" * 200],
)
def test_bad_secrets_are_refused(secret):
    with pytest.raises(InvalidSecret):
        secret_key(secret)


def test_hex_scheme_takes_any_printable_secret_of_8_to_128_characters():
    check_secret("hmac-sha256-hex", "It's a Secret to Everybody")
    with pytest.raises(InvalidSecret):
        check_secret("hmac-sha256-hex", "short")
    with pytest.raises(InvalidSecret):
        check_secret("hmac-sha256-hex", "tab\there-is-not-printable")
