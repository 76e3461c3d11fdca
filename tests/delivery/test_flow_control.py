"""Flow control: isolation, rate limits across workers, back-pressure, Retry-After."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web
from sqlalchemy import text

ADMIN = "flow-control-test-admin-key-0123456789"


def _max_per_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while t - times[j] >= window:
            j += 1
        best = max(best, i - j + 1)
    return best


async def test_rate_limit_holds_across_two_workers(start, receivers):
    first = await start(admin_key=ADMIN)
    await start(admin_key=ADMIN)  # a second API + worker on the same database
    rx = await receivers()
    await first.event_type("tick")
    tenant = (await first.tenant())["id"]
    await first.endpoint(tenant, rx.url, ["tick"], rate_limit=20)
    for i in range(70):
        await first.publish(tenant, "tick", {"i": i})
    await rx.wait_for(70, timeout=30)
    assert _max_per_window([r.at for r in rx.requests]) <= 22  # 20/s + 10 %
    # ...and it was not simply slow: 70 messages at 20/s take about 3.5 s.
    span = rx.requests[-1].at - rx.requests[0].at
    assert 2.8 < span < 8


async def test_a_hanging_endpoint_does_not_hold_back_a_healthy_one(start, receivers):
    hl = await start(shutdown_grace=1)
    hanging = await receivers(delay=60)  # answers long after its 20 s timeout
    healthy = await receivers()
    await hl.event_type("order.placed")
    tenant = (await hl.tenant())["id"]
    stuck = await hl.endpoint(tenant, hanging.url, ["order.placed"], timeout=20)
    await hl.endpoint(tenant, healthy.url, ["order.placed"])
    for i in range(300):
        await hl.publish(tenant, "order.placed", {"i": i})
    published = time.monotonic()
    await healthy.wait_for(300, timeout=30)
    # Delivered as fast as they were published, not held back...
    assert healthy.requests[-1].at - published < 3
    # ...while every attempt at the hanging endpoint is still waiting for its answer,
    assert 1 <= len(hanging.requests) <= 10  # and it holds only its own share (the cap).
    page = await hl.call(
        "GET", f"/v1/tenants/{tenant}/endpoints/{stuck['id']}/deliveries?limit=500", 200
    )
    assert {d["status"] for d in page["data"]} == {"pending"}
    assert all(d["attempt_count"] == 0 for d in page["data"])


async def test_slow_endpoints_holding_most_slots_leave_the_rest_to_the_others(start, receivers):
    """When a slow endpoint holds all but one of the worker's slots, the worker keeps
    claiming with the one that is left: the healthy endpoint's deliveries all go out."""
    hl = await start(shutdown_grace=1, worker_concurrency=8)
    hanging = await receivers(delay=60)
    healthy = await receivers()
    await hl.event_type("order.placed")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, hanging.url, ["order.placed"], timeout=20, max_in_flight=7)
    await hl.endpoint(tenant, healthy.url, ["order.placed"])
    for i in range(20):
        await hl.publish(tenant, "order.placed", {"i": i})
    await hanging.wait_for(7, timeout=10)  # 7 of the worker's 8 slots are stuck
    await healthy.wait_for(20, timeout=15)  # the 8th carries every healthy delivery
    assert len(hanging.requests) == 7


async def _leased(hl, endpoint_id: str) -> int:
    """How many of this endpoint's deliveries some worker holds a lease on right now."""
    async with hl.runtime.db.read() as conn:
        held = await conn.execute(
            text(
                "SELECT count(*) FROM deliveries WHERE endpoint_id = :ep"
                " AND status = 'pending' AND lease_token IS NOT NULL"
            ),
            {"ep": endpoint_id},
        )
        return int(held.scalar_one())


async def test_a_claim_from_a_backlog_takes_no_more_of_an_endpoint_than_its_share(start, receivers):
    """A backlog where a slow endpoint's deliveries sit among a healthy one's: the
    worker's claim gives the slow endpoint's surplus back to the queue instead of
    holding it (and the room it takes from everyone else) while that endpoint is busy."""
    api = await start(with_worker=False, admin_key=ADMIN)
    slow = await receivers(delay=30)
    healthy = await receivers()
    await api.event_type("slow")
    await api.event_type("tick")
    tenant = (await api.tenant())["id"]
    stuck = await api.endpoint(tenant, slow.url, ["slow"], timeout=20, max_in_flight=2)
    await api.endpoint(tenant, healthy.url, ["tick"])
    await api.publish(tenant, "slow", {"first": True})
    await start(admin_key=ADMIN, shutdown_grace=1, poll_interval=0.2)
    await slow.wait_for(1, timeout=10)  # the worker knows the slow endpoint's share now
    ids = []
    for i in range(20):  # the slow endpoint's deliveries in between the healthy ones
        await api.publish(tenant, "slow", {"i": i})
        ids.append((await api.publish(tenant, "tick", {"i": i}))["id"])
    await healthy.wait_for_messages(set(ids), timeout=15)
    await asyncio.sleep(0.3)  # a few more polls
    assert await _leased(api, stuck["id"]) == 2  # its share, no more
    assert len(slow.requests) == 2


async def test_429_answers_shrink_concurrency_and_success_grows_it_back(start, receivers):
    schedule = "100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms"
    hl = await start(with_worker=False, admin_key=ADMIN, retry_schedule=schedule)
    in_flight = 0
    samples: list[tuple[int, int]] = []  # (request index, in flight when it arrived)

    async def handler(_req):
        nonlocal in_flight
        index = len(samples)
        in_flight += 1
        samples.append((index, in_flight))
        await asyncio.sleep(0.05)
        in_flight -= 1
        return web.Response(status=429 if index < 40 else 200)

    rx = await receivers(handler=handler)
    await hl.event_type("tick")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, rx.url, ["tick"], max_in_flight=10)
    ids = [(await hl.publish(tenant, "tick", {"i": i}))["id"] for i in range(40)]
    await start(admin_key=ADMIN, retry_schedule=schedule)  # a worker finds the backlog
    await rx.wait_for_messages(set(ids), timeout=30)
    await rx.wait_until(lambda reqs: len(reqs) >= 80, 30, "80 requests")
    early = max(n for i, n in samples if i < 10)
    squeezed = max(n for i, n in samples if 25 <= i < 40)
    assert early >= 5  # starts at the cap
    assert squeezed <= 2  # 429s halved it down to 1
    # Successes grow it again.
    later = [n for i, n in samples if i >= 60]
    assert max(later) > squeezed or len(later) < 5


async def test_retry_after_is_honoured_up_to_the_last_step(start, receivers):
    hl = await start(retry_schedule="200ms,5s")
    rx = await receivers(statuses=[429, 200], headers={"Retry-After": "2"})
    await hl.event_type("tick")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, rx.url, ["tick"])
    await hl.publish(tenant, "tick", {})
    first, second = await rx.wait_for(2, timeout=15)
    assert 1.5 <= second.at - first.at <= 4.5  # not the 200 ms of the schedule
