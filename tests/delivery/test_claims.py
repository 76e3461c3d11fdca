"""Claim-along (SQLite, `hookline serve`): the transaction that publishes also claims
for the worker of its process, which takes the claims over once it commits.

A SQLite feature: on PostgreSQL workers are woken by NOTIFY and claim for themselves
(tests/operations/test_wakeups.py); every delivery test runs on both.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event

from hookline.domain.clock import utcnow
from hookline.domain.ids import new_id
from hookline.domain.models import DeliveryStatus, Message
from hookline.store import deliveries as delivery_store
from hookline.store import messages as message_store
from support.databases import sqlite_url
from support.harness import settings_for, start_hookline


@pytest.fixture
async def serve(tmp_path):
    # The worker polls every 30 s: whatever is sent sooner was claimed by a publish
    # or after a wake-up.
    hl = await start_hookline(settings_for(sqlite_url(tmp_path), poll_interval=30))
    try:
        yield hl
    finally:
        await hl.stop()


def _transactions(hl) -> list[list[str]]:
    """Every transaction from now on, as the statements it ran, kept apart per
    connection (reads on other connections may run while a write transaction does)."""
    done: list[list[str]] = []
    open_: dict[int, list[str]] = {}

    @event.listens_for(hl.runtime.db.engine.sync_engine, "before_cursor_execute")
    def _record(conn, cursor, statement, parameters, context, executemany):
        key = id(conn.connection.dbapi_connection)
        if statement.startswith("BEGIN"):
            open_[key] = []
            done.append(open_[key])
        if key in open_:
            open_[key].append(statement.split("(")[0].strip())

    return done


async def _setup(hl, rx_url: str) -> tuple[str, str]:
    await hl.event_type("ping")
    tenant = (await hl.tenant())["id"]
    endpoint = await hl.endpoint(tenant, rx_url, ["ping"])
    return tenant, endpoint["id"]


async def test_each_publish_claims_its_deliveries_in_its_own_transaction(serve, receivers):
    rx = await receivers()
    tenant, _ = await _setup(serve, rx.url)
    await asyncio.sleep(0.3)  # the worker has claimed once at start and is idle
    transactions = _transactions(serve)
    ids = []
    for i in range(5):
        ids.append((await serve.publish(tenant, "ping", {"i": i}))["id"])
        await rx.wait_for(i + 1, timeout=5)
    # What sending needs (endpoint, secrets) was read in the publishing transaction too:
    # no read transaction of the worker's own. (The API key is looked up again when its
    # 1 s cache runs out, as it may on a loaded machine: that read is the API's.)
    reads = [t for t in transactions if t[0] == "BEGIN"]
    assert all("FROM api_keys" in " ".join(t) for t in reads), reads
    for mid in ids:
        await serve.wait_final(tenant, mid, timeout=5)
    claiming = [t for t in transactions if any(s.startswith("WITH due AS") for s in t)]
    assert len(claiming) == 5  # one per publish, none of the worker's own
    for t in claiming:  # each in the transaction that inserted the deliveries
        claim = next(i for i, s in enumerate(t) if s.startswith("WITH due AS"))
        assert "INSERT INTO deliveries" in t[:claim]
    assert [r.headers["webhook-id"] for r in rx.requests] == ids


async def _write_pending(hl, tenant: str, endpoint_id: str, *, announce: bool) -> str:
    """A message and its pending delivery, written as publish would; with `announce`
    the transaction then fails after the claim-along ran."""
    now = utcnow()
    message = Message(
        id=new_id("msg"),
        tenant_id=tenant,
        event_type="ping",
        body=b'{"type":"ping"}',
        idempotency_key=None,
        ordering_key=None,
        created_at=now,
    )
    delivery = delivery_store.NewDelivery(
        id=new_id("dlv"),
        message_id=message.id,
        endpoint_id=endpoint_id,
        tenant_id=tenant,
        event_type="ping",
        ordering_key=None,
        status=DeliveryStatus.PENDING,
        failure_reason=None,
        created_at=now,
    )
    async with hl.runtime.db.write() as conn:
        await message_store.insert_messages(conn, [message])
        await delivery_store.insert_deliveries(conn, [delivery])
        if announce:
            await hl.runtime.ctx.wakeup.announce(conn, bodies={message.id: message.body})
            raise RuntimeError("the publishing transaction fails after claiming")
    return message.id


async def test_a_claim_in_a_transaction_that_rolls_back_sends_nothing(serve, receivers):
    rx = await receivers()
    tenant, endpoint = await _setup(serve, rx.url)
    with pytest.raises(RuntimeError):
        await _write_pending(serve, tenant, endpoint, announce=True)
    await asyncio.sleep(0.5)
    assert rx.requests == []  # the message was never stored: nothing to send
    # The worker holds nothing for it: the next publish is delivered at once.
    mid = (await serve.publish(tenant, "ping", {}))["id"]
    await rx.wait_for(1, timeout=5)
    assert [r.headers["webhook-id"] for r in rx.requests] == [mid]


async def test_what_a_rolled_back_claim_had_taken_is_claimed_again_at_once(serve, receivers):
    rx = await receivers()
    tenant, endpoint = await _setup(serve, rx.url)
    await asyncio.sleep(0.3)
    # Due, but nobody was told (no announce): the idle worker would find it at its poll.
    waiting = await _write_pending(serve, tenant, endpoint, announce=False)
    # A failing transaction claims it along, then rolls the claim back.
    with pytest.raises(RuntimeError):
        await _write_pending(serve, tenant, endpoint, announce=True)
    await rx.wait_for(1, timeout=5)  # long before the 30 s poll
    assert [r.headers["webhook-id"] for r in rx.requests] == [waiting]


async def test_an_endpoint_at_its_cap_costs_no_claims_and_is_not_walked_past(serve, receivers):
    """An endpoint holding its whole share (max_in_flight 1, a slow receiver) with more
    due behind it: wake-ups do not claim, and each publish's claim looks only at its own
    messages' deliveries (by message id), not at the due queue in front of them."""
    slow = await receivers(delay=3.0)
    rx = await receivers()
    await serve.event_type("ping")
    await serve.event_type("slow")
    tenant = (await serve.tenant())["id"]
    await serve.endpoint(tenant, slow.url, ["slow"], max_in_flight=1, timeout=5)
    await serve.endpoint(tenant, rx.url, ["ping"])
    for i in range(3):
        await serve.publish(tenant, "slow", {"i": i})
    await slow.wait_for(1, timeout=5)  # one in flight, two due behind it
    await asyncio.sleep(0.2)
    claims: list[str] = []

    @event.listens_for(serve.runtime.db.engine.sync_engine, "before_cursor_execute")
    def _record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("WITH due AS"):
            claims.append(statement)

    ids = []
    for i in range(4):
        ids.append((await serve.publish(tenant, "ping", {"i": i}))["id"])
        await rx.wait_for(i + 1, timeout=2)  # long before the 30 s poll
    assert len(claims) == 4  # one per publish: the wake-ups in between claimed nothing
    assert all("message_id IN" in s for s in claims)
    assert [r.headers["webhook-id"] for r in rx.requests] == ids
    assert len(slow.requests) == 1  # still only the one its share allows
