from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime

from hookline.domain.models import (
    AuthType,
    Endpoint,
    EndpointAuth,
    Ordering,
    SignatureConfig,
)
from hookline.domain.outgoing import masked, request_headers
from hookline.domain.signing import generate_secret

NOW = datetime(2026, 11, 24, tzinfo=UTC)
ENDPOINT = Endpoint(
    id="ep_1",
    tenant_id="ten_1",
    uid=None,
    url="https://example.com/in",
    description="",
    events=("*",),
    enabled=True,
    disabled_reason=None,
    timeout=30,
    rate_limit=None,
    max_in_flight=None,
    ordering=Ordering.UNORDERED,
    retry_schedule=None,
    auth=EndpointAuth(AuthType.NONE),
    headers={"X-Team": "ops"},
    signature=SignatureConfig(),
    has_secret=True,
    failure_count=0,
    last_failure_at=None,
    last_success_at=None,
    created_at=NOW,
    updated_at=NOW,
)


def _headers(endpoint, secrets=None):
    return request_headers(
        endpoint,
        secrets=secrets if secrets is not None else [generate_secret()],
        message_id="msg_1",
        event_type="invoice.paid",
        timestamp=1700000000,
        body=b"{}",
    )


def test_standard_headers_and_custom_ones():
    h = _headers(ENDPOINT)
    assert h["content-type"] == "application/json"
    assert h["webhook-id"] == "msg_1"
    assert h["webhook-timestamp"] == "1700000000"
    assert h["webhook-signature"].startswith("v1,")
    assert h["X-Team"] == "ops"


def test_no_secret_no_signature():
    assert "webhook-signature" not in _headers(ENDPOINT, secrets=[])


def test_auth_headers_and_their_masked_copy():
    cases = {
        AuthType.BEARER: ({"token": "t0k"}, "Authorization", "Bearer t0k", "Bearer ***"),
        AuthType.BASIC: (
            {"username": "u", "password": "p"},
            "Authorization",
            "Basic " + base64.b64encode(b"u:p").decode(),
            "Basic ***",
        ),
        AuthType.API_KEY: ({"header": "X-Api-Key", "value": "v"}, "X-Api-Key", "v", "***"),
        AuthType.CUSTOM_HEADER: ({"header": "X-Custom", "value": "c"}, "X-Custom", "c", "***"),
    }
    for auth_type, (fields, name, sent, stored) in cases.items():
        ep = replace(ENDPOINT, auth=EndpointAuth(auth_type, fields))
        h = _headers(ep)
        assert h[name] == sent
        assert masked(ep, h)[name] == stored
        assert masked(ep, h)["webhook-id"] == "msg_1"


def test_hex_scheme_uses_its_header_prefix_and_event_header():
    ep = replace(
        ENDPOINT,
        signature=SignatureConfig(
            "hmac-sha256-hex", header="X-Webhook-Signature", prefix="sha256=", event_header="X-Ev"
        ),
    )
    h = _headers(ep, secrets=["It's a Secret to Everybody"])
    assert h["X-Webhook-Signature"].startswith("sha256=")
    assert h["X-Ev"] == "invoice.paid"
    assert "webhook-signature" not in h


def test_custom_headers_never_duplicate_one_hookline_sets_whatever_their_case():
    # An endpoint stored before the API refused such headers still sends each one once.
    stored = replace(
        ENDPOINT,
        auth=EndpointAuth(AuthType.BEARER, {"token": "t"}),
        signature=SignatureConfig(scheme="hmac-sha256-hex", header="X-Sig", event_header="X-Ev"),
        headers={
            "x-sig": "forged",
            "AUTHORIZATION": "Bearer forged",
            "x-ev": "forged",
            "Content-Type": "text/plain",
            "WEBHOOK-ID": "forged",
            "X-Team": "ops",
            "x-team": "again",
        },
    )
    h = _headers(stored)
    lower = [name.lower() for name in h]
    assert len(lower) == len(set(lower)), h
    assert "forged" not in str(h)
    assert h["Authorization"] == "Bearer t"
    assert h["X-Ev"] == "invoice.paid"
    assert h["content-type"] == "application/json"
    assert h["X-Team"] == "ops"
