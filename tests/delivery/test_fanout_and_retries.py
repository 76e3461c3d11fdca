"""End to end through the real API, worker, database and receivers."""

from __future__ import annotations

import orjson
import standardwebhooks


async def test_publish_reaches_exactly_the_subscribed_endpoints(hookline, receivers):
    for name in ("invoice.paid", "invoice.voided", "contact.created"):
        await hookline.event_type(name)
    tenant = await hookline.tenant()
    paid, invoices, everything = [await receivers() for _ in range(3)]
    await hookline.endpoint(tenant["id"], paid.url, ["invoice.paid"])
    await hookline.endpoint(tenant["id"], invoices.url, ["invoice.*"])
    await hookline.endpoint(tenant["id"], everything.url, ["*"])

    m1 = await hookline.publish(tenant["id"], "invoice.paid", {"n": 1})
    m2 = await hookline.publish(tenant["id"], "invoice.voided", {"n": 2})
    m3 = await hookline.publish(tenant["id"], "contact.created", {"n": 3})
    assert [m1["deliveries"], m2["deliveries"], m3["deliveries"]] == [3, 2, 1]
    for m in (m1, m2, m3):
        await hookline.wait_final(tenant["id"], m["id"])

    def ids(r):
        return sorted(orjson.loads(x.body)["id"] for x in r.requests)

    assert ids(paid) == [m1["id"]]
    assert ids(invoices) == sorted([m1["id"], m2["id"]])
    assert ids(everything) == sorted([m1["id"], m2["id"], m3["id"]])


async def test_body_and_headers_follow_the_contract(hookline, receivers):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    rx = await receivers()
    ep = await hookline.endpoint(tenant["id"], rx.url, ["invoice.paid"])
    msg = await hookline.publish(tenant["id"], "invoice.paid", {"amount": 1200})
    (req,) = await rx.wait_for(1)

    body = orjson.loads(req.body)
    assert set(body) == {"id", "type", "timestamp", "data"}
    assert body["id"] == msg["id"] == req.headers["webhook-id"]
    assert body["type"] == "invoice.paid"
    assert body["data"] == {"amount": 1200}
    assert body["timestamp"].endswith("Z")
    assert req.headers["content-type"] == "application/json"
    assert req.headers["user-agent"].startswith("Hookline/")
    # Any Standard Webhooks library verifies it.
    wh = standardwebhooks.Webhook(ep["secret"])
    assert wh.verify(req.body, req.headers) == body


async def test_500_twice_then_200_is_delivered_on_the_third_attempt(hookline, receivers):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    rx = await receivers(statuses=[500, 500, 200])
    ep = await hookline.endpoint(tenant["id"], rx.url, ["invoice.paid"])
    msg = await hookline.publish(tenant["id"], "invoice.paid", {"x": 1})

    final = await hookline.wait_final(tenant["id"], msg["id"])
    (delivery,) = final["delivery_statuses"]
    assert delivery["status"] == "delivered"
    assert delivery["attempt_count"] == 3
    attempts = await hookline.attempts(tenant["id"], delivery["id"])
    assert [a["response_code"] for a in attempts] == [500, 500, 200]
    assert [a["status"] for a in attempts] == ["failed", "failed", "succeeded"]
    assert [a["attempt_number"] for a in attempts] == [1, 2, 3]
    # Every retry carries the same webhook-id and the same body bytes.
    assert len({r.headers["webhook-id"] for r in rx.requests}) == 1
    assert len({r.body for r in rx.requests}) == 1
    # The success counts the endpoint healthy again: consecutive failures back to 0.
    endpoint = await hookline.call("GET", f"/v1/tenants/{tenant['id']}/endpoints/{ep['id']}", 200)
    assert endpoint["failure_count"] == 0
    assert endpoint["last_success_at"] is not None
    assert endpoint["last_failure_at"] is not None
    assert endpoint["last_failure_at"] < endpoint["last_success_at"]


async def test_always_failing_receiver_expires_with_every_attempt_recorded(hookline, receivers):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    rx = await receivers(statuses=[503], body=b"x" * 5000)
    ep = await hookline.endpoint(tenant["id"], rx.url, ["invoice.paid"])
    msg = await hookline.publish(tenant["id"], "invoice.paid", {"x": 1})

    final = await hookline.wait_final(tenant["id"], msg["id"])
    (delivery,) = final["delivery_statuses"]
    assert delivery["status"] == "expired"
    # Schedule "200ms,200ms": the first attempt and two retries.
    assert delivery["attempt_count"] == 3
    attempts = await hookline.attempts(tenant["id"], delivery["id"])
    assert len(attempts) == 3 == len(rx.requests)
    for a in attempts:
        assert a["response_code"] == 503
        assert len(a["response_body"]) == 2048  # first 2 KiB only
        assert a["duration_ms"] >= 0
        assert a["error_message"]
        assert a["request_body"] == rx.requests[0].body.decode()

    endpoint = await hookline.call("GET", f"/v1/tenants/{tenant['id']}/endpoints/{ep['id']}", 200)
    assert endpoint["failure_count"] == 3
    assert endpoint["last_failure_at"] is not None
    assert endpoint["last_success_at"] is None
