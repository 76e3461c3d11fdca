"""Leases: a long attempt keeps its delivery; a worker's caps hold."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web


async def test_a_long_attempt_renews_its_lease_and_is_not_sent_twice(start, receivers):
    hl = await start(lease_seconds=2, poll_interval=0.2)
    rx = await receivers(delay=4.5)
    await hl.event_type("report.ready")
    tenant = await hl.tenant()
    await hl.endpoint(tenant["id"], rx.url, ["report.ready"], timeout=15)
    msg = await hl.publish(tenant["id"], "report.ready", {})
    final = await hl.wait_final(tenant["id"], msg["id"], timeout=20)
    assert final["delivery_statuses"][0]["status"] == "delivered"
    assert final["delivery_statuses"][0]["attempt_count"] == 1
    assert len(rx.requests) == 1


async def test_per_endpoint_cap_bounds_attempts_in_flight(start, receivers):
    hl = await start(endpoint_max_in_flight=3)
    in_flight = 0
    peak = 0

    async def slow(_req):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.1)
        in_flight -= 1
        return web.Response(status=200)

    rx = await receivers(handler=slow)
    fast = await receivers()
    await hl.event_type("tick")
    tenant = await hl.tenant()
    await hl.endpoint(tenant["id"], rx.url, ["tick"])
    await hl.endpoint(tenant["id"], fast.url, ["tick"], max_in_flight=20)
    t0 = time.monotonic()
    for i in range(24):
        await hl.publish(tenant["id"], "tick", {"i": i})
    await rx.wait_for(24, timeout=30)
    await fast.wait_for(24, timeout=30)
    assert peak == 3
    assert time.monotonic() - t0 >= 0.1 * 24 / 3 * 0.8


async def test_two_workers_never_send_the_same_delivery(start, receivers):
    admin = "two-workers-test-admin-key-0123456789"
    first = await start(admin_key=admin, with_worker=False)
    rx = await receivers(delay=0.01)
    await first.event_type("tick")
    tenant = (await first.tenant())["id"]
    await first.endpoint(tenant, rx.url, ["tick"], max_in_flight=50)
    await first.endpoint(tenant, rx.url + "/second", ["tick"], max_in_flight=50)
    ids = [(await first.publish(tenant, "tick", {"i": i}))["id"] for i in range(250)]
    # Two workers start on the same backlog at once and race for it.
    await asyncio.gather(start(admin_key=admin), start(admin_key=admin))
    await rx.wait_until(lambda reqs: len(reqs) >= 500, 60, "500 requests")
    await asyncio.sleep(0.5)  # anything extra would show up now
    sent = [(r.path, r.headers["webhook-id"]) for r in rx.requests]
    assert len(sent) == 500
    assert len(set(sent)) == 500  # no (endpoint, message) twice
    assert {mid for _, mid in sent} == set(ids)
