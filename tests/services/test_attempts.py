"""services.attempts: attempts across deliveries, by endpoint, by message, and one by id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from hookline.domain.errors import ForeignTenant, NotFound
from hookline.domain.models import AttemptStatus, Role
from hookline.services import attempts
from support.receiver import Receiver
from support.services import ADMIN, World, bound

Receivers = Callable[..., Awaitable[Receiver]]


async def test_attempts_are_read_by_endpoint_by_message_and_one_by_one(
    world: World, receivers: Receivers
) -> None:
    ok = await receivers(statuses=[200])
    flaky = await receivers(statuses=[503, 200])
    tenant = await world.tenant()
    good = await world.endpoint(tenant, url=ok.url)
    bad = await world.endpoint(tenant, url=flaky.url)
    first = await world.publish(tenant, idempotency_key="evt-1")
    second = await world.publish(tenant)
    await world.delivered(tenant, first.delivery_ids + second.delivery_ids)
    reader = bound(tenant, Role.RUNTIME)

    of_bad = await attempts.list_for_endpoint(
        world.ctx, reader, tenant=tenant.id, endpoint=bad.id, with_messages=True
    )
    assert len(of_bad.page.items) == 3  # 503 then 200 for one message, 200 for the other
    assert {a.endpoint_id for a in of_bad.page.items} == {bad.id}
    assert set(of_bad.messages) == {first.message.id, second.message.id}
    started = [a.started_at for a in of_bad.page.items]
    assert started == sorted(started, reverse=True)  # newest first
    failed_only = await attempts.list_for_endpoint(
        world.ctx, reader, tenant=tenant.id, endpoint=bad.id, status=AttemptStatus.FAILED
    )
    assert [a.response_code for a in failed_only.page.items] == [503]
    assert failed_only.messages == {}

    page, message = await attempts.list_for_message(
        world.ctx, reader, tenant=tenant.id, message="evt-1"
    )
    assert message.id == first.message.id
    assert {a.message_id for a in page.items} == {first.message.id}
    assert {a.endpoint_id for a in page.items} == {good.id, bad.id}
    to_good, _ = await attempts.list_for_message(
        world.ctx, reader, tenant=tenant.id, message="evt-1", endpoint=good.id
    )
    assert [a.endpoint_id for a in to_good.items] == [good.id]

    one, of = await attempts.get(
        world.ctx, reader, tenant=tenant.id, message="evt-1", attempt=to_good.items[0].id
    )
    assert (one, of.id) == (to_good.items[0], first.message.id)
    with pytest.raises(NotFound):  # an attempt of another message
        await attempts.get(
            world.ctx, reader, tenant=tenant.id, message=second.message.id, attempt=one.id
        )


async def test_attempts_stay_within_their_tenant(world: World) -> None:
    a = await world.tenant("A")
    b = await world.tenant("B")
    ep = await world.endpoint(a)
    published = await world.publish(a)
    with pytest.raises(NotFound):
        await attempts.list_for_endpoint(world.ctx, ADMIN, tenant=b.id, endpoint=ep.id)
    with pytest.raises(NotFound):
        await attempts.list_for_message(world.ctx, ADMIN, tenant=b.id, message=published.message.id)
    with pytest.raises(ForeignTenant):
        await attempts.list_for_message(
            world.ctx, bound(b), tenant=a.id, message=published.message.id
        )
    with pytest.raises(NotFound):
        await attempts.list_for_message(
            world.ctx, ADMIN, tenant=a.id, message="msg_unknown", endpoint=ep.id
        )
