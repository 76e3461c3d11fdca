"""services.destinations: an endpoint's messages, a message's endpoints, and how they stand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from hookline.domain.errors import NotFound
from hookline.domain.models import DeliveryStatus
from hookline.services import deliveries, destinations, endpoints
from hookline.services.destinations import StatusCounts
from support.receiver import Receiver
from support.services import ADMIN, World

Receivers = Callable[..., Awaitable[Receiver]]


async def test_an_endpoints_messages_and_their_counts_by_state(
    world: World, receivers: Receivers
) -> None:
    receiver = await receivers(statuses=[200, 500])
    tenant = await world.tenant()
    ep = await world.endpoint(tenant, url=receiver.url, retry_schedule=(3600.0,))
    delivered = await world.publish(tenant)
    await world.delivered(tenant, delivered.delivery_ids)
    retrying = await world.publish(tenant)
    [retrying_id] = retrying.delivery_ids

    async def attempted() -> bool | None:
        found = await deliveries.get(world.ctx, ADMIN, tenant=tenant.id, delivery=retrying_id)
        return True if found.attempt_count else None

    await world.run_worker_until(attempted)
    waiting = await world.publish(tenant)  # no worker runs now

    counts = await destinations.status_counts(world.ctx, ADMIN, tenant=tenant.id, endpoint=ep.id)
    assert counts == StatusCounts(delivered=1, waiting=1, retrying=1, failed=0)
    page = await destinations.messages_of_endpoint(
        world.ctx, ADMIN, tenant=tenant.id, endpoint=ep.id
    )
    assert [m.id for _, m in page.items] == [
        waiting.message.id,
        retrying.message.id,
        delivered.message.id,
    ]
    assert [d.status for d, _ in page.items] == [
        DeliveryStatus.PENDING,
        DeliveryStatus.PENDING,
        DeliveryStatus.DELIVERED,
    ]
    pending_tried = await destinations.messages_of_endpoint(
        world.ctx,
        ADMIN,
        tenant=tenant.id,
        endpoint=ep.id,
        statuses=[DeliveryStatus.PENDING],
        attempted=True,
    )
    assert [m.id for _, m in pending_tried.items] == [retrying.message.id]


async def test_a_messages_endpoints_leave_out_deleted_ones(world: World) -> None:
    tenant = await world.tenant()
    kept = await world.endpoint(tenant)
    gone = await world.endpoint(tenant)
    published = await world.publish(tenant, idempotency_key="evt-1")
    page = await destinations.endpoints_of_message(
        world.ctx, ADMIN, tenant=tenant.id, message="evt-1"
    )
    assert sorted(e.id for _, e in page.items) == sorted([kept.id, gone.id])
    assert all(d.message_id == published.message.id for d, _ in page.items)
    await endpoints.delete(world.ctx, ADMIN, tenant=tenant.id, endpoint=gone.id)
    page = await destinations.endpoints_of_message(
        world.ctx, ADMIN, tenant=tenant.id, message=published.message.id
    )
    assert [e.id for _, e in page.items] == [kept.id]
    other = await world.tenant("Other")
    with pytest.raises(NotFound):
        await destinations.endpoints_of_message(
            world.ctx, ADMIN, tenant=other.id, message=published.message.id
        )
    with pytest.raises(NotFound):
        await destinations.status_counts(world.ctx, ADMIN, tenant=other.id, endpoint=kept.id)
