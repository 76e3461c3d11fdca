"""services.insights: how much waits in the queue, and for how long (what /metrics shows)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hookline.services import deliveries, insights
from support.receiver import Receiver
from support.services import ADMIN, World

Receivers = Callable[..., Awaitable[Receiver]]


async def test_the_queue_counts_pending_and_due_deliveries(
    world: World, receivers: Receivers
) -> None:
    empty = await insights.queue_stats(world.ctx)
    assert (empty.pending, empty.due, empty.oldest_due_at, empty.oldest_due_age) == (0, 0, None, 0)

    receiver = await receivers(statuses=[500])
    tenant = await world.tenant()
    await world.endpoint(tenant, url=receiver.url, retry_schedule=(3600.0,))
    published = [await world.publish(tenant) for _ in range(2)]
    waiting = await insights.queue_stats(world.ctx)
    assert (waiting.pending, waiting.due) == (2, 2)
    assert waiting.oldest_due_at is not None and waiting.oldest_due_age >= 0

    async def both_attempted() -> bool | None:
        found = [
            await deliveries.get(world.ctx, ADMIN, tenant=tenant.id, delivery=p.delivery_ids[0])
            for p in published
        ]
        return True if all(d.attempt_count for d in found) else None

    await world.run_worker_until(both_attempted)
    retrying = await insights.queue_stats(world.ctx)  # due again in an hour
    assert (retrying.pending, retrying.due, retrying.oldest_due_at) == (2, 0, None)
