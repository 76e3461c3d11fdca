"""services.endpoint_tests: the test button sends one event to one endpoint."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest

from hookline.domain.errors import Forbidden, NotFound
from hookline.domain.models import TEST_EVENT_TYPE, AttemptStatus, DeliveryStatus, Role
from hookline.services import endpoint_tests, messages
from support.receiver import Receiver
from support.services import ADMIN, RUNTIME, World, bound

Receivers = Callable[..., Awaitable[Receiver]]


async def test_a_test_event_goes_to_that_endpoint_alone(world: World, receivers: Receivers) -> None:
    receiver = await receivers(statuses=[200])
    tenant = await world.tenant()
    await world.event_type("order.created")
    ep = await world.endpoint(tenant, url=receiver.url, events=["order.created"])
    bystander = await world.endpoint(tenant)  # subscribes to everything, gets nothing
    outcome = await world.run_worker_until(
        lambda: endpoint_tests.send_test(
            world.ctx, bound(tenant, Role.CI), tenant=tenant.id, endpoint=ep.id, wait=True
        )
    )
    assert outcome.message.event_type == TEST_EVENT_TYPE  # though the endpoint does not subscribe
    assert outcome.delivery.endpoint_id == ep.id
    assert outcome.attempt is not None and outcome.attempt.status is AttemptStatus.SUCCEEDED
    [request] = receiver.requests
    sent = json.loads(request.body)
    assert sent["data"]["endpoint_id"] == ep.id
    found = await messages.get(world.ctx, ADMIN, tenant=tenant.id, message=outcome.message.id)
    assert [d.endpoint_id for d in found.deliveries] == [ep.id]
    assert bystander.id not in {d.endpoint_id for d in found.deliveries}


async def test_without_waiting_the_outcome_is_the_pending_delivery(world: World) -> None:
    tenant = await world.tenant()
    await world.event_type("order.created")
    ep = await world.endpoint(tenant)
    outcome = await endpoint_tests.send_test(
        world.ctx,
        ADMIN,
        tenant=tenant.id,
        endpoint=ep.id,
        event_type="order.created",
        payload={"custom": True},
    )
    assert (outcome.delivery.status, outcome.attempt) == (DeliveryStatus.PENDING, None)
    assert outcome.message.event_type == "order.created"
    assert json.loads(outcome.message.body)["data"] == {"custom": True}
    with pytest.raises(Forbidden):
        await endpoint_tests.send_test(world.ctx, RUNTIME, tenant=tenant.id, endpoint=ep.id)
    other = await world.tenant("Other")
    with pytest.raises(NotFound):
        await endpoint_tests.send_test(world.ctx, ADMIN, tenant=other.id, endpoint=ep.id)
