"""Every signature scheme, end to end, checked by an implementation that is not ours:
`standardwebhooks` and `svix` for v1, `cryptography` with the published public key for
v1a, the standard library's `hmac` for the hex scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import orjson
import pytest
import standardwebhooks
import svix.webhooks
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ED25519 = {"scheme": "standard-webhooks-ed25519"}


async def _setup(hookline, receivers, **endpoint):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    rx = await receivers()
    ep = await hookline.endpoint(tenant["id"], rx.url, ["invoice.paid"], **endpoint)
    return tenant["id"], rx, ep


async def _deliver(hookline, rx, tenant, payload):
    """Publish, and return the request the receiver got for it."""
    msg = await hookline.publish(tenant, "invoice.paid", payload)
    await rx.wait_until(
        lambda reqs: any(r.headers.get("webhook-id") == msg["id"] for r in reqs), 15, msg["id"]
    )
    return next(r for r in rx.requests if r.headers["webhook-id"] == msg["id"])


def _signatures(req, version):
    parts = [p.split(",", 1) for p in req.headers["webhook-signature"].split(" ")]
    return [base64.b64decode(sig) for v, sig in parts if v == version]


def _ed25519_verifies(public_key: str, req) -> bool:
    """Whether one v1a signature of `req` verifies with `public_key` (whpk_...)."""
    assert public_key.startswith("whpk_")
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key[5:]))
    content = f"{req.headers['webhook-id']}.{req.headers['webhook-timestamp']}.".encode()
    for signature in _signatures(req, "v1a"):
        try:
            key.verify(signature, content + req.body)
        except InvalidSignature:
            continue
        return True
    return False


def _svix_headers(req):
    return {
        "svix-id": req.headers["webhook-id"],
        "svix-timestamp": req.headers["webhook-timestamp"],
        "svix-signature": req.headers["webhook-signature"],
    }


async def test_v1_verifies_with_standardwebhooks_and_svix(hookline, receivers):
    tenant, rx, ep = await _setup(hookline, receivers)
    assert ep["signature"] == {"scheme": "standard-webhooks"}
    req = await _deliver(hookline, rx, tenant, {"amount": 1200})

    assert standardwebhooks.Webhook(ep["secret"]).verify(req.body, req.headers)["data"] == {
        "amount": 1200
    }
    svix.webhooks.Webhook(ep["secret"]).verify(req.body, req.headers)
    svix.webhooks.Webhook(ep["secret"]).verify(req.body, _svix_headers(req))
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(ep["secret"]).verify(req.body + b" ", req.headers)


async def test_v1_rotation_grace_signs_with_both_secrets(hookline, receivers):
    tenant, rx, ep = await _setup(hookline, receivers)
    path = f"/v1/tenants/{tenant}/endpoints/{ep['id']}/rotate-secret"
    rotated = await hookline.call("POST", path, 200, json={"grace_period": 3600})
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != ep["secret"]
    req = await _deliver(hookline, rx, tenant, {"n": 1})

    assert len(_signatures(req, "v1")) == 2
    for secret in (ep["secret"], rotated["secret"]):
        standardwebhooks.Webhook(secret).verify(req.body, req.headers)
        svix.webhooks.Webhook(secret).verify(req.body, _svix_headers(req))

    # Without a grace period the old secret stops signing at once.
    await hookline.call("POST", path, 200, json={"grace_period": 0})
    req = await _deliver(hookline, rx, tenant, {"n": 2})
    assert len(_signatures(req, "v1")) == 1
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(rotated["secret"]).verify(req.body, req.headers)


async def test_ed25519_verifies_with_the_published_public_key(hookline, receivers):
    tenant, rx, ep = await _setup(hookline, receivers, signature=ED25519)
    public_key = ep["signature"]["public_key"]
    assert ep["secret"].startswith("whsk_")  # the private key, shown this once
    assert len(base64.b64decode(public_key[5:])) == 32
    shown = await hookline.call("GET", f"/v1/tenants/{tenant}/endpoints/{ep['id']}", 200)
    assert shown["signature"] == {"scheme": "standard-webhooks-ed25519", "public_key": public_key}
    assert "secret" not in shown
    listed = await hookline.call("GET", f"/v1/tenants/{tenant}/endpoints", 200)
    assert listed["data"][0]["signature"]["public_key"] == public_key

    req = await _deliver(hookline, rx, tenant, {"amount": 7})
    assert req.headers["webhook-signature"].startswith("v1a,")
    assert abs(int(req.headers["webhook-timestamp"]) - time.time()) < 60
    assert _ed25519_verifies(public_key, req)
    tampered = type(req)(req.method, req.path, req.headers, req.body + b" ", req.at)
    assert not _ed25519_verifies(public_key, tampered)


async def test_ed25519_rotation_grace_signs_with_both_keys(hookline, receivers):
    tenant, rx, ep = await _setup(hookline, receivers, signature=ED25519)
    old_key = ep["signature"]["public_key"]
    path = f"/v1/tenants/{tenant}/endpoints/{ep['id']}"
    rotated = await hookline.call("POST", f"{path}/rotate-secret", 200, json={})
    assert rotated["secret"].startswith("whsk_")
    new_key = (await hookline.call("GET", path, 200))["signature"]["public_key"]
    assert new_key != old_key

    req = await _deliver(hookline, rx, tenant, {"n": 1})
    assert len(_signatures(req, "v1a")) == 2
    assert _ed25519_verifies(old_key, req)
    assert _ed25519_verifies(new_key, req)


async def test_hex_scheme_verifies_with_stdlib_hmac(hookline, receivers):
    secret = "It's a Secret to Everybody"
    signature = {
        "scheme": "hmac-sha256-hex",
        "header": "X-Zyra-Signature",
        "prefix": "sha256=",
        "event_header": "X-Zyra-Event",
    }
    tenant, rx, ep = await _setup(hookline, receivers, signature=signature, secret=secret)
    assert ep["signature"] == signature
    req = await _deliver(hookline, rx, tenant, {"amount": 3})

    expected = hmac.new(secret.encode(), req.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(req.headers["x-zyra-signature"], "sha256=" + expected)
    assert req.headers["x-zyra-event"] == "invoice.paid"
    assert "webhook-signature" not in req.headers
    assert orjson.loads(req.body)["data"] == {"amount": 3}

    # Rotation: one value fits the header, so the newest secret signs alone.
    path = f"/v1/tenants/{tenant}/endpoints/{ep['id']}/rotate-secret"
    rotated = await hookline.call("POST", path, 200, json={"secret": "a-new-shared-secret"})
    req = await _deliver(hookline, rx, tenant, {"amount": 4})
    expected = hmac.new(rotated["secret"].encode(), req.body, hashlib.sha256).hexdigest()
    assert req.headers["x-zyra-signature"] == "sha256=" + expected


async def test_moving_from_v1_to_ed25519_keeps_old_receivers_verifying(hookline, receivers):
    tenant, rx, ep = await _setup(hookline, receivers)
    path = f"/v1/tenants/{tenant}/endpoints/{ep['id']}"
    changed = await hookline.call("PATCH", path, 200, json={"signature": ED25519})
    public_key = changed["signature"]["public_key"]
    assert (await hookline.call("GET", path, 200))["signature"]["public_key"] == public_key

    # During the grace period the old secret signs v1 beside the new key's v1a.
    req = await _deliver(hookline, rx, tenant, {"n": 1})
    standardwebhooks.Webhook(ep["secret"]).verify(req.body, req.headers)
    assert _ed25519_verifies(public_key, req)


def _refused(resp, location):
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert location in {e["location"] for e in resp.json()["errors"]}, resp.text


async def test_refused_secrets_and_scheme_changes(hookline, receivers):
    tenant, rx, ep = await _setup(
        hookline, receivers, signature={"scheme": "hmac-sha256-hex"}, secret="custom-secret-1"
    )
    base = f"/v1/tenants/{tenant}/endpoints"
    # A custom hex secret cannot sign v1: the change is refused until a rotation.
    resp = await hookline.client.patch(
        f"{base}/{ep['id']}", json={"signature": {"scheme": "standard-webhooks"}}
    )
    _refused(resp, "body.signature.scheme")
    await hookline.call("POST", f"{base}/{ep['id']}/rotate-secret", 200, json={})
    await hookline.call(
        "PATCH", f"{base}/{ep['id']}", 200, json={"signature": {"scheme": "standard-webhooks"}}
    )

    for body, location in [
        ({"signature": ED25519, "secret": "whsec_" + "A" * 43 + "="}, "body.secret"),
        ({"signature": {"scheme": "hmac-sha256-hex"}, "secret": "short"}, "body.secret"),
        ({"signature": {"scheme": "rsa"}}, "body.signature.scheme"),
        ({"signature": {**ED25519, "prefix": "sha256="}}, "body.signature"),
    ]:
        resp = await hookline.client.post(
            base, json={"url": rx.url, "events": ["invoice.paid"], **body}
        )
        _refused(resp, location)
