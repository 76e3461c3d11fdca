"""services.deliveries: an endpoint's deliveries, one delivery's attempts, retry and resend."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest

from hookline.domain.errors import Forbidden, ForeignTenant, NotFound
from hookline.domain.models import AttemptStatus, DeliveryStatus, Role
from hookline.services import deliveries
from support.receiver import Receiver
from support.services import ADMIN, RUNTIME, World, bound

Receivers = Callable[..., Awaitable[Receiver]]


async def test_an_expired_delivery_shows_its_attempts_and_retry_sends_it_again(
    world: World, receivers: Receivers
) -> None:
    receiver = await receivers(statuses=[500, 500, 500, 200])
    tenant = await world.tenant()
    ep = await world.endpoint(tenant, url=receiver.url)
    published = await world.publish(tenant, payload={"order": 7})
    [expired] = await world.delivered(tenant, published.delivery_ids)
    assert (expired.status, expired.attempt_count, expired.last_response_code) == (
        DeliveryStatus.EXPIRED,  # its retries ran out
        3,
        500,
    )
    page, body = await deliveries.attempts(
        world.ctx, RUNTIME, tenant=tenant.id, delivery=expired.id
    )
    assert [a.attempt_number for a in page.items] == [1, 2, 3]  # oldest first
    assert {a.status for a in page.items} == {AttemptStatus.FAILED}
    assert body is not None and json.loads(body)["data"] == {"order": 7}
    assert {r.body for r in receiver.requests} == {body}  # what every attempt sent
    for status, wanted in ((DeliveryStatus.EXPIRED, [expired.id]), (DeliveryStatus.FAILED, [])):
        listed = await deliveries.list_for_endpoint(
            world.ctx, RUNTIME, tenant=tenant.id, endpoint=ep.id, status=status
        )
        assert [d.id for d in listed.items] == wanted

    with pytest.raises(Forbidden):
        await deliveries.retry(world.ctx, RUNTIME, tenant=tenant.id, delivery=expired.id)
    again = await deliveries.retry(
        world.ctx, bound(tenant, Role.CI), tenant=tenant.id, delivery=expired.id
    )
    assert (again.id, again.status) == (expired.id, DeliveryStatus.PENDING)
    [delivered] = await world.delivered(tenant, [expired.id])
    assert (delivered.status, delivered.attempt_count) == (DeliveryStatus.DELIVERED, 4)
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert ids == {published.message.id}  # the same webhook-id every time


async def test_deliveries_are_seen_only_within_their_tenant(world: World) -> None:
    a = await world.tenant("A")
    b = await world.tenant("B")
    ep = await world.endpoint(a)
    [delivery_id] = (await world.publish(a)).delivery_ids
    assert (
        await deliveries.get(world.ctx, bound(a, Role.RUNTIME), tenant=a.id, delivery=delivery_id)
    ).endpoint_id == ep.id
    with pytest.raises(NotFound):
        await deliveries.get(world.ctx, ADMIN, tenant=b.id, delivery=delivery_id)
    with pytest.raises(ForeignTenant):
        await deliveries.get(world.ctx, bound(b), tenant=a.id, delivery=delivery_id)
    with pytest.raises(NotFound):
        await deliveries.list_for_endpoint(world.ctx, ADMIN, tenant=b.id, endpoint=ep.id)
    with pytest.raises(NotFound):
        await deliveries.retry(world.ctx, ADMIN, tenant=b.id, delivery=delivery_id)


async def test_resend_finds_the_delivery_by_message_id_or_idempotency_key(world: World) -> None:
    tenant = await world.tenant()
    ep = await world.endpoint(tenant, uid="orders")
    await world.event_type("order.created")
    other = await world.endpoint(tenant, events=["order.created"])
    published = await world.publish(tenant, idempotency_key="order-7")
    for ref in (published.message.id, "order-7"):
        resent = await deliveries.resend(
            world.ctx, ADMIN, tenant=tenant.id, message=ref, endpoint="orders"
        )
        assert resent.id == published.delivery_ids[0] and resent.endpoint_id == ep.id
    for message, endpoint in ((published.message.id, other.id), ("msg_nope", ep.id)):
        with pytest.raises(NotFound, match="never bound"):
            await deliveries.resend(
                world.ctx, ADMIN, tenant=tenant.id, message=message, endpoint=endpoint
            )
    with pytest.raises(Forbidden):
        await deliveries.resend(
            world.ctx, RUNTIME, tenant=tenant.id, message="order-7", endpoint=ep.id
        )
