"""services.operational_events: Hookline's own events published through
services.publish into the caller's transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from hookline.delivery.resolver import SystemResolver
from hookline.domain.encryption import Cipher, parse_master_key
from hookline.domain.models import DeliveryStatus
from hookline.domain.operational_events import (
    DELIVERY_EXPIRED,
    ENDPOINT_DISABLED,
    TENANT_UID,
    OperationalEvent,
    OperationalTarget,
)
from hookline.domain.payload import body_data
from hookline.services import endpoints, messages, operational_events, operational_target
from hookline.services.context import Context, Policy
from hookline.services.operational_target import SYSTEM
from hookline.store.database import Database
from hookline.store.wakeup import Wakeup
from support.harness import TEST_MASTER_KEY


@pytest.fixture
async def ctx(db_url: str) -> AsyncIterator[Context]:
    db = Database(db_url)
    yield Context(
        db=db,
        cipher=Cipher([parse_master_key(TEST_MASTER_KEY)]),
        wakeup=Wakeup(),
        policy=Policy(resolver=SystemResolver(), allow_http=True, allow_private_targets=True),
    )
    await db.dispose()


@pytest.fixture
async def target(ctx: Context) -> OperationalTarget:
    return await operational_target.ensure_target(
        ctx, url="http://127.0.0.1:9/ops", secret="whsec_" + "A" * 32
    )


async def _messages(ctx: Context) -> list[messages.MessageWithDeliveries]:
    page, _ = await messages.list_(ctx, SYSTEM, tenant=TENANT_UID, limit=100, descending=False)
    return [await messages.get(ctx, SYSTEM, tenant=TENANT_UID, message=m.id) for m in page.items]


async def test_events_become_messages_of_the_internal_tenant_for_its_endpoint(ctx, target):
    events = [
        OperationalEvent(ENDPOINT_DISABLED, {"endpoint_id": "ep_1", "reason": "410 Gone"}),
        OperationalEvent(DELIVERY_EXPIRED, {"delivery_id": "dlv_1", "attempts": 5}),
    ]
    async with ctx.db.write() as conn:
        await operational_events.publish(ctx, conn, target, events)

    stored = await _messages(ctx)
    assert [(m.message.event_type, body_data(m.message.body)) for m in stored] == [
        (e.event_type, e.payload) for e in events
    ]
    for m in stored:
        assert m.message.tenant_id == target.tenant_id
        assert [(d.endpoint_id, d.status) for d in m.deliveries] == [
            (target.endpoint_id, DeliveryStatus.PENDING)
        ]


async def test_nothing_is_published_when_the_callers_transaction_rolls_back(ctx, target):
    class RolledBack(Exception):
        pass

    async def rolled_back() -> None:
        async with ctx.db.write() as conn:
            await operational_events.publish(
                ctx, conn, target, [OperationalEvent(DELIVERY_EXPIRED, {"delivery_id": "d"})]
            )
            raise RolledBack

    with pytest.raises(RolledBack):
        await rolled_back()
    assert await _messages(ctx) == []


async def test_an_event_that_cannot_be_published_is_logged_and_the_rest_goes_on(
    ctx, target, caplog
):
    await endpoints.delete(ctx, SYSTEM, tenant=target.tenant_id, endpoint=target.endpoint_id)
    with caplog.at_level(logging.ERROR, logger="hookline.services.operational_events"):
        async with ctx.db.write() as conn:
            await operational_events.publish(
                ctx, conn, target, [OperationalEvent(DELIVERY_EXPIRED, {"delivery_id": "d"})]
            )
    assert await _messages(ctx) == []
    assert [r.getMessage() for r in caplog.records] == [
        f"the operational event {DELIVERY_EXPIRED} was not published: "
        f"No endpoint {target.endpoint_id!r} in this tenant."
    ]
