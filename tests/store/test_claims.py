"""The queue's claim, lease and fencing rules, on the real databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from hookline.domain.clock import utcnow
from hookline.domain.models import DeliveryStatus
from hookline.store import deliveries, schema
from hookline.store import queue as store


async def _backlog(hl, n: int) -> None:
    """n pending deliveries, published through the API with no worker running."""
    await hl.event_type("job.done")
    tenant = await hl.tenant()
    await hl.endpoint(tenant["id"], "http://127.0.0.1:9/never", ["job.done"])
    for i in range(n):
        await hl.publish(tenant["id"], "job.done", {"i": i})


async def _claim(db, token: str, limit: int, *, now=None, lease=30.0, **kw):
    now = now or utcnow()
    async with db.write() as conn:
        return await store.claim_due(
            conn,
            now=now,
            lease_until=now + timedelta(seconds=lease),
            token=token,
            limit=limit,
            **kw,
        )


async def test_a_claimed_delivery_is_not_due_again_until_its_lease_runs_out(start):
    hl = await start(with_worker=False)
    await _backlog(hl, 3)
    db = hl.runtime.db
    first = await _claim(db, "a" * 32, 10, lease=5)
    assert len(first) == 3
    assert await _claim(db, "b" * 32, 10) == []
    later = utcnow() + timedelta(seconds=6)
    again = await _claim(db, "c" * 32, 10, now=later)
    assert sorted(c.id for c in again) == sorted(c.id for c in first)


async def test_fencing_a_stale_worker_cannot_overwrite_a_newer_claim(start):
    hl = await start(with_worker=False)
    await _backlog(hl, 1)
    db = hl.runtime.db
    (stale,) = await _claim(db, "a" * 32, 1, lease=1)
    (fresh,) = await _claim(db, "b" * 32, 1, now=utcnow() + timedelta(seconds=2))
    assert stale.id == fresh.id

    def outcome(claim, status):
        return store.Outcome(
            delivery_id=claim.id,
            lease_token=claim.lease_token,
            status=status,
            next_attempt_at=None,
            attempted_at=utcnow(),
            response_code=500 if status is DeliveryStatus.EXPIRED else 200,
            failure_reason=None,
        )

    async with db.write() as conn:
        await store.record_outcomes(conn, [outcome(stale, DeliveryStatus.EXPIRED)], now=utcnow())
        row = await deliveries.get_delivery_by_id(conn, stale.id)
    assert row.status is DeliveryStatus.PENDING  # the stale result was refused
    async with db.write() as conn:
        await store.record_outcomes(conn, [outcome(fresh, DeliveryStatus.DELIVERED)], now=utcnow())
        row = await deliveries.get_delivery_by_id(conn, fresh.id)
    assert row.status is DeliveryStatus.DELIVERED
    assert row.attempt_count == 1


async def test_renewal_keeps_a_lease_and_release_gives_it_back(start):
    hl = await start(with_worker=False)
    await _backlog(hl, 2)
    db = hl.runtime.db
    claimed = await _claim(db, "a" * 32, 2, lease=1)
    async with db.write() as conn:
        renewed = await store.renew_leases(
            conn, tokens=["a" * 32], until=utcnow() + timedelta(seconds=60)
        )
    assert renewed == 2
    assert await _claim(db, "b" * 32, 2, now=utcnow() + timedelta(seconds=5)) == []
    async with db.write() as conn:
        await store.release(conn, [(claimed[0].id, claimed[0].lease_token)])
    (back,) = await _claim(db, "c" * 32, 2)
    assert back.id == claimed[0].id


async def test_a_delivery_given_back_goes_back_in_its_place_in_the_queue(start):
    """Not behind everything that became due while it was held: a claim that gave back
    an endpoint's surplus must not send that endpoint to the end of a backlog."""
    hl = await start(with_worker=False)
    await _backlog(hl, 3)
    db = hl.runtime.db
    first, second = sorted(await _claim(db, "a" * 32, 2), key=lambda c: c.created_at)
    async with db.write() as conn:
        await store.release(conn, [(second.id, second.lease_token)])
        row = await deliveries.get_delivery_by_id(conn, second.id)
    assert row.next_attempt_at == second.created_at  # due when it was created, as before
    (back,) = await _claim(db, "b" * 32, 1)
    assert back.id == second.id  # ahead of the third, published after it


async def test_a_claim_from_a_floor_takes_only_what_is_due_from_then_on(start):
    hl = await start(with_worker=False)
    await _backlog(hl, 4)
    db = hl.runtime.db
    async with db.read() as conn:
        backlog = (
            await conn.execute(
                select(schema.deliveries.c.id, schema.deliveries.c.next_attempt_at).order_by(
                    schema.deliveries.c.next_attempt_at
                )
            )
        ).all()
    claimed = await _claim(db, "a" * 32, 10, floor=backlog[2].next_attempt_at)
    assert {c.id for c in claimed} == {row.id for row in backlog[2:]}
    assert len(await _claim(db, "b" * 32, 10)) == 2  # the two before it, from the head


async def test_concurrent_claims_never_share_a_delivery(start):
    hl = await start(with_worker=False)
    await _backlog(hl, 60)
    db = hl.runtime.db
    results = await asyncio.gather(*(_claim(db, f"{i:032d}", 7) for i in range(12)))
    ids = [c.id for batch in results for c in batch]
    assert len(ids) == len(set(ids)) == 60


async def test_a_claim_among_messages_takes_only_their_due_deliveries(start):
    hl = await start(with_worker=False)
    await _backlog(hl, 5)  # 5 due deliveries of another tenant, older than these
    tenant = (await hl.tenant("Other"))["id"]
    for path in ("a", "b"):
        await hl.endpoint(tenant, f"http://127.0.0.1:9/{path}", ["job.done"])
    published = [await hl.publish(tenant, "job.done", {"i": i}) for i in range(2)]
    wanted = [m["id"] for m in published]
    db = hl.runtime.db
    claimed = await _claim(db, "a" * 32, 100, among_messages=[*wanted, "msg_unknown"])
    assert sorted(c.message_id for c in claimed) == sorted(wanted * 2)  # two endpoints each
    # The backlog before them is still due, for a claim that looks at the whole queue.
    rest = await _claim(db, "b" * 32, 100)
    assert len(rest) == 5
    assert {c.message_id for c in rest}.isdisjoint(wanted)
