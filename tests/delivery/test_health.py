"""Endpoint health: 410, failing for too long, and the operator's own webhooks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import orjson
import standardwebhooks

from hookline.domain.signing import generate_secret

ADMIN = "health-test-admin-key-0123456789abcdef"


async def test_410_disables_the_endpoint_at_once(hookline, receivers):
    rx = await receivers(statuses=[410])
    await hookline.event_type("job.done")
    tenant = (await hookline.tenant())["id"]
    ep = await hookline.endpoint(tenant, rx.url, ["job.done"])
    msg = await hookline.publish(tenant, "job.done", {})
    final = await hookline.wait_final(tenant, msg["id"])
    (d,) = final["delivery_statuses"]
    assert d["status"] == "failed"
    assert d["attempt_count"] == 1
    got = await hookline.call("GET", f"/v1/tenants/{tenant}/endpoints/{ep['id']}", 200)
    assert got["enabled"] is False
    assert "410" in got["disabled_reason"]
    # Messages published while disabled are kept, as failed deliveries; nothing is sent.
    since = datetime.now(UTC)
    later = [(await hookline.publish(tenant, "job.done", {"n": n}))["id"] for n in range(5)]
    for mid in later:
        final = await hookline.wait_final(tenant, mid)
        assert final["delivery_statuses"][0]["failure_reason"] == "endpoint disabled"
    assert len(rx.requests) == 1
    # Re-enabled and recovered, all five arrive.
    rx.statuses = [200]
    path = f"/v1/tenants/{tenant}/endpoints/{ep['id']}"
    await hookline.call("PATCH", path, 200, json={"enabled": True})
    body = {"since": since.isoformat()}
    assert (await hookline.call("POST", f"{path}/recover", 202, json=body))["recovered"] == 5
    await rx.wait_for_messages(set(later))
    for mid in later:
        final = await hookline.wait_final(tenant, mid)
        assert final["delivery_statuses"][0]["status"] == "delivered"


async def test_an_endpoint_failing_for_too_long_is_disabled_with_a_reason(start, receivers):
    hl = await start(disable_after="1s", retry_schedule=",".join(["300ms"] * 10))
    rx = await receivers(statuses=[500])
    await hl.event_type("job.done")
    tenant = (await hl.tenant())["id"]
    ep = await hl.endpoint(tenant, rx.url, ["job.done"])
    for _ in range(3):
        await hl.publish(tenant, "job.done", {})
    path = f"/v1/tenants/{tenant}/endpoints/{ep['id']}"
    for _ in range(100):
        got = await hl.call("GET", path, 200)
        if not got["enabled"]:
            break
        await asyncio.sleep(0.1)
    assert got["enabled"] is False
    assert got["disabled_reason"] == "every attempt failed for 1 second"
    # Re-enabling starts the clock again: one more failure does not disable it at once.
    await hl.call("PATCH", path, 200, json={"enabled": True})
    await hl.publish(tenant, "job.done", {})
    await asyncio.sleep(0.8)
    assert (await hl.call("GET", path, 200))["enabled"] is True


async def test_operational_webhooks_report_failing_expired_and_disabled(start, receivers):
    ops = await receivers()
    secret = generate_secret()
    hl = await start(
        admin_key=ADMIN,
        operational_webhook_url=ops.url,
        operational_webhook_secret=secret,
        failing_alert_after=3,
        retry_schedule="100ms,100ms,100ms",
    )
    failing = await receivers(statuses=[500])
    gone = await receivers(statuses=[410])
    await hl.event_type("job.done")
    tenant = (await hl.tenant())["id"]
    f_ep = await hl.endpoint(tenant, failing.url, ["job.done"])
    g_ep = await hl.endpoint(tenant, gone.url, ["job.done"])
    msg = await hl.publish(tenant, "job.done", {"n": 1})
    await hl.wait_final(tenant, msg["id"])

    def events():
        out = {}
        for r in ops.requests:
            body = standardwebhooks.Webhook(secret).verify(r.body, r.headers)
            out.setdefault(body["type"], []).append(body["data"])
        return out

    await ops.wait_until(
        lambda _: {"endpoint.failing", "delivery.expired", "endpoint.disabled"} <= set(events()),
        15,
        "the three operational events",
    )
    got = events()
    (failing_event,) = got["endpoint.failing"]
    assert failing_event["endpoint_id"] == f_ep["id"]
    assert failing_event["failure_count"] == 3
    (expired,) = got["delivery.expired"]
    assert expired["endpoint_id"] == f_ep["id"] and expired["message_id"] == msg["id"]
    assert expired["attempts"] == 4
    (disabled,) = got["endpoint.disabled"]
    assert disabled["endpoint_id"] == g_ep["id"]
    assert "410" in disabled["reason"]
    assert all(orjson.loads(r.body)["id"] == r.headers["webhook-id"] for r in ops.requests)
    # The operational tenant's own deliveries are inspectable like any other.
    listed = await hl.call("GET", "/v1/tenants/hookline-operational/messages", 200)
    assert len(listed["data"]) == 3
