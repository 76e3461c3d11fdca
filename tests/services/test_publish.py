"""services.publish: publishing's rules, called directly (no HTTP), on SQLite and
PostgreSQL: who may publish to which tenant, which event types, idempotency, ordering
keys, the test button's one endpoint, channels, the payload's limits, and publishing
inside a caller's transaction (Hookline's own events)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hookline.delivery.resolver import SystemResolver
from hookline.domain.encryption import Cipher, parse_master_key
from hookline.domain.errors import (
    Conflict,
    ForeignTenant,
    HooklineError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
)
from hookline.domain.models import DeliveryStatus, Ordering, Principal, Role, Tenant
from hookline.services import endpoints, event_types, messages, publish, tenants
from hookline.services.context import Context, Policy
from hookline.services.endpoint_rules import EndpointSpec
from hookline.store.database import Database
from hookline.store.wakeup import Wakeup
from support.harness import TEST_MASTER_KEY

ADMIN = Principal(key_id="key_admin", role=Role.ADMIN, tenant_id=None)
LIMIT = 1000  # max_payload_bytes in these tests


@pytest.fixture
async def ctx(db_url: str) -> AsyncIterator[Context]:
    db = Database(db_url)
    yield Context(
        db=db,
        cipher=Cipher([parse_master_key(TEST_MASTER_KEY)]),
        wakeup=Wakeup(),
        policy=Policy(
            resolver=SystemResolver(),
            allow_http=True,
            allow_private_targets=True,
            max_payload_bytes=LIMIT,
        ),
    )
    await db.dispose()


@pytest.fixture
async def tenant(ctx: Context) -> Tenant:
    for name in ("invoice.paid", "invoice.voided", "order.placed"):
        await event_types.create(ctx, ADMIN, name=name)
    return await tenants.create(ctx, ADMIN, name="Acme", uid="acme")


async def _endpoint(ctx: Context, tenant: Tenant, events: list[str], **spec: Any) -> str:
    made = await endpoints.create(
        ctx,
        ADMIN,
        tenant=tenant.id,
        spec=EndpointSpec(url="http://127.0.0.1:9/hook", events=events, **spec),
    )
    return made.endpoint.id


async def _stored(ctx: Context, tenant: Tenant) -> list[str]:
    page, _ = await messages.list_(ctx, ADMIN, tenant=tenant.id, limit=100)
    return [m.id for m in page.items]


async def _deliveries(ctx: Context, tenant: Tenant, message_id: str) -> dict[str, Any]:
    found = await messages.get(ctx, ADMIN, tenant=tenant.id, message=message_id)
    return {d.endpoint_id: d for d in found.deliveries}


async def test_a_message_goes_to_every_subscribed_endpoint_and_no_other(ctx, tenant):
    paid = await _endpoint(ctx, tenant, ["invoice.paid"])
    invoices = await _endpoint(ctx, tenant, ["invoice.*"])
    await _endpoint(ctx, tenant, ["order.*"])
    off = await _endpoint(ctx, tenant, ["invoice.*"], enabled=False)

    out = await publish.publish(
        ctx, ADMIN, tenant="acme", event_type="invoice.paid", payload={"n": 1}
    )
    assert out.created and out.deliveries == 3
    assert out.message.tenant_id == tenant.id  # named by its uid, stored under its id
    rows = await _deliveries(ctx, tenant, out.message.id)
    assert set(rows) == {paid, invoices, off}
    assert set(out.delivery_ids) == {d.id for d in rows.values()}
    assert rows[paid].status is DeliveryStatus.PENDING
    # A disabled endpoint's delivery is kept, failed, for `recover` once re-enabled.
    assert rows[off].status is DeliveryStatus.FAILED
    assert rows[off].failure_reason == publish.ENDPOINT_DISABLED


async def test_a_tenant_bound_key_publishes_to_its_own_tenant_only(ctx, tenant):
    other = await tenants.create(ctx, ADMIN, name="Other")
    own_key = Principal(key_id="key_own", role=Role.RUNTIME, tenant_id=tenant.id)
    other_key = Principal(key_id="key_other", role=Role.RUNTIME, tenant_id=other.id)

    mine = await publish.publish(
        ctx, own_key, tenant=tenant.id, event_type="invoice.paid", payload={}
    )
    assert mine.created
    for who, ref in ((other_key, tenant.id), (other_key, "acme"), (other_key, "ten_nobody")):
        # 403 whether the tenant exists or not: the answer reveals nothing.
        with pytest.raises(ForeignTenant):
            await publish.publish(ctx, who, tenant=ref, event_type="invoice.paid", payload={})
    with pytest.raises(NotFound, match="ten_nobody"):
        await publish.publish(
            ctx, ADMIN, tenant="ten_nobody", event_type="invoice.paid", payload={}
        )
    assert await _stored(ctx, tenant) == [mine.message.id]
    assert await _stored(ctx, other) == []


async def test_unknown_event_types_are_refused_and_archived_ones_still_delivered(ctx, tenant):
    subscribed = await _endpoint(ctx, tenant, ["order.placed"])
    with pytest.raises(InvalidInput) as refused:
        await publish.publish(ctx, ADMIN, tenant=tenant.id, event_type="never.declared", payload={})
    assert [(e.location, e.value) for e in refused.value.errors] == [
        ("body.event_type", "never.declared")
    ]
    assert await _stored(ctx, tenant) == []

    # DESIGN: archiving refuses new subscriptions; existing ones keep working.
    await event_types.archive(ctx, ADMIN, "order.placed")
    out = await publish.publish(ctx, ADMIN, tenant=tenant.id, event_type="order.placed", payload={})
    assert out.created
    assert set(await _deliveries(ctx, tenant, out.message.id)) == {subscribed}


async def test_a_payload_against_its_event_types_schema(ctx, tenant):
    await event_types.create(
        ctx, ADMIN, name="user.created", schema={"type": "object", "required": ["email"]}
    )
    with pytest.raises(InvalidInput, match="schema"):
        await publish.publish(ctx, ADMIN, tenant=tenant.id, event_type="user.created", payload={})
    ok = await publish.publish(
        ctx, ADMIN, tenant=tenant.id, event_type="user.created", payload={"email": "a@b.c"}
    )
    assert await _stored(ctx, tenant) == [ok.message.id]


async def test_an_idempotency_key_repeats_the_first_message_and_refuses_another(ctx, tenant):
    await _endpoint(ctx, tenant, ["invoice.*"])

    async def send(payload: Any, **kw: Any) -> publish.Published:
        return await publish.publish(
            ctx, ADMIN, tenant=tenant.id, event_type="invoice.paid", payload=payload, **kw
        )

    first = await send({"n": 1}, idempotency_key="evt-1", ordering_key="cust-1")
    again = await send({"n": 1}, idempotency_key="evt-1", ordering_key="cust-1")
    assert (first.created, again.created) == (True, False)
    assert again.message == first.message and again.deliveries == 1

    with pytest.raises(Conflict) as differs:
        await send({"n": 2}, idempotency_key="evt-1", ordering_key="cust-2")
    assert [e.location for e in differs.value.errors] == ["body.ordering_key", "body.payload"]
    assert first.message.id in str(differs.value)
    # The same key in another tenant names another request.
    other = await tenants.create(ctx, ADMIN, name="Other")
    elsewhere = await publish.publish(
        ctx, ADMIN, tenant=other.id, event_type="invoice.paid", payload={}, idempotency_key="evt-1"
    )
    assert elsewhere.created
    assert await _stored(ctx, tenant) == [first.message.id]

    # Published at once (one group commit): one message, the twin answered with it.
    twins = await asyncio.gather(*(send({"n": 3}, idempotency_key="evt-2") for _ in range(5)))
    assert sorted(t.created for t in twins) == [False, False, False, False, True]
    assert len({t.message.id for t in twins}) == 1
    assert all(t.deliveries == 1 for t in twins)

    with pytest.raises(InvalidInput) as too_long:
        await send({}, idempotency_key="k" * 256)
    assert [e.location for e in too_long.value.errors] == ["header.Idempotency-Key"]


async def test_an_idempotency_key_names_a_new_message_once_its_window_is_over(ctx, tenant):
    short = dataclasses.replace(
        ctx, policy=dataclasses.replace(ctx.policy, idempotency_window_s=0.3)
    )
    first = await publish.publish(
        short,
        ADMIN,
        tenant=tenant.id,
        event_type="invoice.paid",
        payload={"n": 1},
        idempotency_key="k",
    )
    await asyncio.sleep(0.5)
    later = await publish.publish(
        short,
        ADMIN,
        tenant=tenant.id,
        event_type="invoice.voided",
        payload={"n": 2},
        idempotency_key="k",
    )
    assert later.created and later.message.id != first.message.id  # no 409: the key is free
    assert set(await _stored(ctx, tenant)) == {first.message.id, later.message.id}


async def test_the_ordering_key_is_kept_and_bounded(ctx, tenant):
    fifo = await _endpoint(ctx, tenant, ["invoice.*"], ordering=Ordering.FIFO)
    out = await publish.publish(
        ctx, ADMIN, tenant=tenant.id, event_type="invoice.paid", payload={}, ordering_key="cust-7"
    )
    assert out.message.ordering_key == "cust-7"
    stored = await messages.get(ctx, ADMIN, tenant=tenant.id, message=out.message.id)
    assert stored.message.ordering_key == "cust-7"
    assert [d.endpoint_id for d in stored.deliveries] == [fifo]
    for bad in ("", "o" * 256):
        with pytest.raises(InvalidInput) as refused:
            await publish.publish(
                ctx,
                ADMIN,
                tenant=tenant.id,
                event_type="invoice.paid",
                payload={},
                ordering_key=bad,
            )
        assert [e.location for e in refused.value.errors] == ["body.ordering_key"]
    assert await _stored(ctx, tenant) == [out.message.id]


async def test_only_endpoint_sends_to_that_one_whatever_it_subscribes_to(ctx, tenant):
    await _endpoint(ctx, tenant, ["invoice.*"])
    orders = await _endpoint(ctx, tenant, ["order.*"])
    out = await publish.publish(
        ctx, ADMIN, tenant=tenant.id, event_type="invoice.paid", payload={}, only_endpoint=orders
    )
    assert set(await _deliveries(ctx, tenant, out.message.id)) == {orders}

    other = await tenants.create(ctx, ADMIN, name="Other")
    theirs = await _endpoint(ctx, other, ["invoice.*"])
    for missing in (theirs, "ep_nobody"):
        with pytest.raises(NotFound):
            await publish.publish(
                ctx,
                ADMIN,
                tenant=tenant.id,
                event_type="invoice.paid",
                payload={},
                only_endpoint=missing,
            )
    assert await _stored(ctx, tenant) == [out.message.id]


async def test_channels_narrow_a_message_to_the_endpoints_that_listen(ctx, tenant):
    everything = await _endpoint(ctx, tenant, ["invoice.*"])
    eu = await _endpoint(ctx, tenant, ["invoice.*"], channels=["eu"])
    us = await _endpoint(ctx, tenant, ["invoice.*"], channels=["us", "ca"])

    async def reached(channels: list[str] | None) -> set[str]:
        out = await publish.publish(
            ctx, ADMIN, tenant=tenant.id, event_type="invoice.paid", payload={}, channels=channels
        )
        return set(await _deliveries(ctx, tenant, out.message.id))

    assert await reached(None) == {everything}
    assert await reached([]) == {everything}
    assert await reached(["eu"]) == {everything, eu}
    assert await reached(["ca", "eu"]) == {everything, eu, us}
    assert await reached(["mx"]) == {everything}
    stored = len(await _stored(ctx, tenant))
    for bad in ([f"c{i}" for i in range(11)], ["no spaces"]):
        with pytest.raises(InvalidInput) as refused:
            await reached(bad)
        assert all(e.location.startswith("body.channels") for e in refused.value.errors)
    assert len(await _stored(ctx, tenant)) == stored


async def test_the_payload_limits(ctx, tenant):
    async def send(payload: Any) -> publish.Published:
        return await publish.publish(
            ctx, ADMIN, tenant=tenant.id, event_type="invoice.paid", payload=payload
        )

    at_limit = "x" * (LIMIT - 2)  # its quotes make it LIMIT bytes
    assert (await send(at_limit)).created
    with pytest.raises(PayloadTooLarge, match=f"{LIMIT + 1} bytes; the limit is {LIMIT}"):
        await send(at_limit + "x")
    deep: Any = 1
    for _ in range(300):
        deep = [deep]
    with pytest.raises(InvalidInput, match="nested more than 253 levels"):
        await send(deep)
    with pytest.raises(InvalidInput, match="not JSON"):
        await send({"n": {1, 2}})  # a set: nothing JSON can say
    assert len(await _stored(ctx, tenant)) == 1


async def test_publish_within_writes_with_the_callers_transaction_or_not_at_all(ctx, tenant):
    target = await _endpoint(ctx, tenant, ["order.*"])
    events = [("invoice.paid", {"n": 1}), ("never.declared", {}), ("invoice.voided", {"n": 2})]

    class RolledBack(Exception):
        pass

    async def rolled_back() -> None:
        async with ctx.db.write() as conn:
            await publish.publish_within(
                ctx, conn, ADMIN, tenant=tenant.id, events=events, only_endpoint=target
            )
            raise RolledBack

    with pytest.raises(RolledBack):
        await rolled_back()
    assert await _stored(ctx, tenant) == []  # gone with the caller's transaction

    async with ctx.db.write() as conn:
        outcomes = await publish.publish_within(
            ctx, conn, ADMIN, tenant=tenant.id, events=events, only_endpoint=target
        )
    assert [type(o).__name__ for o in outcomes] == ["Published", "InvalidInput", "Published"]
    published = [o for o in outcomes if isinstance(o, publish.Published)]
    assert not any(isinstance(o, HooklineError) for o in published)
    assert sorted(await _stored(ctx, tenant)) == sorted(p.message.id for p in published)
    for p in published:  # the same fan-out as `publish`: here, to the one endpoint
        assert set(await _deliveries(ctx, tenant, p.message.id)) == {target}
        assert p.deliveries == 1
    assert [p.message.event_type for p in published] == ["invoice.paid", "invoice.voided"]
