"""services.messages: a tenant's messages, each with where it went."""

from __future__ import annotations

import pytest

from hookline.domain.errors import ForeignTenant, NotFound
from hookline.domain.models import DeliveryStatus, Role
from hookline.services import messages
from support.services import ADMIN, World, bound


async def test_a_message_is_found_by_id_or_key_with_its_deliveries_in_its_tenant_alone(
    world: World,
) -> None:
    tenant = await world.tenant()
    one = await world.endpoint(tenant)
    two = await world.endpoint(tenant)
    published = await world.publish(tenant, payload={"a": 1}, idempotency_key="evt-1")
    reader = bound(tenant, Role.RUNTIME)
    for ref in (published.message.id, "evt-1"):
        found = await messages.get(world.ctx, reader, tenant=tenant.id, message=ref)
        assert found.message.id == published.message.id
        assert found.message.body == published.message.body
        assert {d.endpoint_id for d in found.deliveries} == {one.id, two.id}
        assert {d.status for d in found.deliveries} == {DeliveryStatus.PENDING}
    with pytest.raises(NotFound, match="No message"):
        await messages.get(world.ctx, reader, tenant=tenant.id, message="evt-2")
    # Other tenants see none of it.
    b = await world.tenant("B")
    with pytest.raises(NotFound):
        await messages.get(world.ctx, ADMIN, tenant=b.id, message=published.message.id)
    with pytest.raises(ForeignTenant):
        await messages.get(world.ctx, bound(b), tenant=tenant.id, message=published.message.id)
    page, _ = await messages.list_(world.ctx, bound(b), tenant=b.id)
    assert page.items == []


async def test_the_list_is_newest_first_with_delivery_counts_and_filters(world: World) -> None:
    tenant = await world.tenant()
    await world.event_type("order.created")
    await world.endpoint(tenant)
    await world.endpoint(tenant, events=["order.created"])
    first = await world.publish(tenant, channels=["eu"])
    second = await world.publish(tenant, "order.created")
    page, counts = await messages.list_(world.ctx, ADMIN, tenant=tenant.id)
    assert [m.id for m in page.items] == [second.message.id, first.message.id]
    assert counts == {first.message.id: 1, second.message.id: 2}
    oldest, _ = await messages.list_(world.ctx, ADMIN, tenant=tenant.id, descending=False)
    assert [m.id for m in oldest.items] == [first.message.id, second.message.id]
    by_type, _ = await messages.list_(
        world.ctx, ADMIN, tenant=tenant.id, event_type="order.created"
    )
    assert [m.id for m in by_type.items] == [second.message.id]
    by_channel, _ = await messages.list_(world.ctx, ADMIN, tenant=tenant.id, channel="eu")
    assert [m.id for m in by_channel.items] == [first.message.id]
    paged, _ = await messages.list_(world.ctx, ADMIN, tenant=tenant.id, limit=1)
    rest, _ = await messages.list_(
        world.ctx, ADMIN, tenant=tenant.id, limit=1, cursor=paged.next_cursor
    )
    assert [m.id for m in paged.items + rest.items] == [second.message.id, first.message.id]
