"""services.recovery: every failed or expired delivery of an endpoint in a window, again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from hookline.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from hookline.domain.models import DeliveryStatus, Role
from hookline.services import deliveries, recovery
from support.receiver import Receiver
from support.services import ADMIN, RUNTIME, World, bound

Receivers = Callable[..., Awaitable[Receiver]]


async def test_recover_makes_the_windows_expired_deliveries_pending_again(
    world: World, receivers: Receivers
) -> None:
    failing = await receivers(statuses=[500])
    fine = await receivers(statuses=[200])
    tenant = await world.tenant()
    ep = await world.endpoint(tenant, url=failing.url, retry_schedule=())  # one attempt each
    ok = await world.endpoint(tenant, url=fine.url)  # nothing to recover there
    published = [await world.publish(tenant), await world.publish(tenant)]
    mine = [d for p in published for d in p.delivery_ids]
    await world.delivered(tenant, mine)
    expired = [
        d.id
        for d in [
            await deliveries.get(world.ctx, ADMIN, tenant=tenant.id, delivery=i) for i in mine
        ]
        if d.endpoint_id == ep.id
    ]
    assert len(expired) == 2
    since = datetime.now(UTC) - timedelta(minutes=5)

    with pytest.raises(Forbidden):
        await recovery.recover(world.ctx, RUNTIME, tenant=tenant.id, endpoint=ep.id, since=since)
    progress: list[tuple[int, int]] = []
    n = await recovery.recover(
        world.ctx,
        bound(tenant, Role.CI),
        tenant=tenant.id,
        endpoint=ep.id,
        since=since,
        progress=lambda done, total: progress.append((done, total)),
    )
    assert (n, progress) == (2, [(2, 2)])
    again = [await deliveries.get(world.ctx, ADMIN, tenant=tenant.id, delivery=i) for i in expired]
    assert {d.status for d in again} == {DeliveryStatus.PENDING}
    # Nothing failed there; nothing was made in a window that ends before they were.
    assert (
        await recovery.recover(world.ctx, ADMIN, tenant=tenant.id, endpoint=ok.id, since=since) == 0
    )
    assert (
        await recovery.recover(
            world.ctx,
            ADMIN,
            tenant=tenant.id,
            endpoint=ep.id,
            since=since - timedelta(hours=1),
            until=since,
        )
        == 0
    )


async def test_recover_refuses_a_bad_window_a_disabled_endpoint_and_other_tenants(
    world: World,
) -> None:
    tenant = await world.tenant()
    other = await world.tenant("Other")
    ep = await world.endpoint(tenant)
    off = await world.endpoint(tenant, enabled=False)
    now = datetime.now(UTC)
    with pytest.raises(InvalidInput) as caught:
        await recovery.recover(
            world.ctx, ADMIN, tenant=tenant.id, endpoint=ep.id, since=now, until=now
        )
    assert [e.location for e in caught.value.errors] == ["body.since"]
    with pytest.raises(Conflict, match="disabled"):
        await recovery.recover(
            world.ctx, ADMIN, tenant=tenant.id, endpoint=off.id, since=now - timedelta(hours=1)
        )
    with pytest.raises(NotFound):
        await recovery.recover(
            world.ctx, ADMIN, tenant=other.id, endpoint=ep.id, since=now - timedelta(hours=1)
        )
