"""Draining a backlog past the deliveries a worker may not take yet: an endpoint at its
share, a FIFO successor behind its head. The worker's claims start where the last one
left off instead of walking past those again; these tests check that such deliveries
are taken as soon as they may be, not after the backlog or after a delay."""

from __future__ import annotations

import asyncio
import itertools

import orjson

ADMIN = "backlog-claims-test-admin-key-0123456789"
HEALTHY = 600  # a backlog that takes the worker about three seconds (0.05 s answers)


async def _publish_many(api, tenant: str, event_type: str, count: int) -> set[str]:
    ids: set[str] = set()
    for start in range(0, count, 20):
        batch = [
            api.publish(tenant, event_type, {"i": i}) for i in range(start, min(count, start + 20))
        ]
        ids.update(m["id"] for m in await asyncio.gather(*batch))
    return ids


async def _slow_and_healthy(start, receivers, **slow_endpoint):
    """An API with no worker; one tenant with a slow endpoint (0.3 s answers) for
    "slow" and a healthy one (0.05 s) for "tick"."""
    api = await start(with_worker=False, admin_key=ADMIN)
    slow = await receivers(delay=0.3)
    healthy = await receivers(delay=0.05)
    await api.event_type("slow")
    await api.event_type("tick")
    tenant = (await api.tenant())["id"]
    await api.endpoint(tenant, slow.url, ["slow"], **slow_endpoint)
    await api.endpoint(tenant, healthy.url, ["tick"])
    return api, tenant, slow, healthy


async def _worker(start, **settings):
    return await start(
        admin_key=ADMIN, shutdown_grace=1, worker_concurrency=10, claim_batch_size=5, **settings
    )


async def _each_went_out_at_once(slow, count: int, healthy, backlog: set[str]) -> None:
    """`slow` (0.3 s answers) got its `count` messages in order, each right after the
    answer to the one before, and not after the healthy backlog was done."""
    await slow.wait_for(count, timeout=30)
    await healthy.wait_for_messages(backlog, timeout=30)
    assert [orjson.loads(r.body)["data"]["n"] for r in slow.requests] == list(range(count))
    arrived = [r.at for r in slow.requests]
    gaps = [b - a for a, b in itertools.pairwise(arrived)]
    assert max(gaps) < 0.3 + 0.45, gaps  # its answer, then at once the next
    assert arrived[-1] < healthy.requests[-1].at  # not left until the backlog was done


async def test_an_endpoint_at_its_share_gets_each_free_slot_at_once_while_a_backlog_drains(
    start, receivers
):
    """Its deliveries sit at the head of the queue, older than the backlog behind them.
    Each time its one slot frees up, the next of them goes out at once: given back in
    their place by a claim that took too many, and not passed over by the claims that
    go on from where the last one ended."""
    api, tenant, slow, healthy = await _slow_and_healthy(start, receivers, max_in_flight=1)
    await api.publish(tenant, "slow", {"n": 0})  # the first claim learns its share
    ids = await _publish_many(api, tenant, "tick", 20)
    for n in range(1, 6):
        await api.publish(tenant, "slow", {"n": n})
    ids |= await _publish_many(api, tenant, "tick", HEALTHY - 20)

    await _worker(start)
    await _each_went_out_at_once(slow, 6, healthy, ids)


async def test_a_fifo_successor_goes_out_as_soon_as_its_head_is_delivered_during_a_backlog(
    start, receivers
):
    """The FIFO endpoint answers each in 0.3 s; while its head is in flight, the claims
    pass its successors over. Each goes out as soon as the one before it is delivered,
    not after the backlog behind them or after a delay."""
    api, tenant, fifo, healthy = await _slow_and_healthy(start, receivers, ordering="fifo")
    for n in range(5):
        await api.publish(tenant, "slow", {"n": n}, ordering_key="doc")
    ids = await _publish_many(api, tenant, "tick", HEALTHY)

    await _worker(start)
    await _each_went_out_at_once(fifo, 5, healthy, ids)
