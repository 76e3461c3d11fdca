"""The queue's claim, lease and fencing rules, on the real databases."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from hookline.domain.clock import utcnow
from hookline.domain.models import DeliveryStatus
from hookline.store import deliveries, schema
from hookline.store import queue as store
from hookline.store.clock import read_now


async def _backlog(hl, n: int) -> None:
    """n pending deliveries, published through the API with no worker running."""
    await hl.event_type("job.done")
    tenant = await hl.tenant()
    await hl.endpoint(tenant["id"], "http://127.0.0.1:9/never", ["job.done"])
    for i in range(n):
        await hl.publish(tenant["id"], "job.done", {"i": i})


async def _claim(db, token: str, limit: int, *, lease=30.0, **kw):
    async with db.write() as conn:
        return await store.claim_due(conn, lease_seconds=lease, token=token, limit=limit, **kw)


async def test_a_claimed_delivery_is_not_due_again_until_its_lease_runs_out(start):
    hl = await start(with_worker=False)
    await _backlog(hl, 3)
    db = hl.runtime.db
    first = await _claim(db, "a" * 32, 10, lease=0.6)
    assert len(first) == 3
    assert await _claim(db, "b" * 32, 10) == []
    await asyncio.sleep(0.8)  # the lease runs out by the database's clock
    again = await _claim(db, "c" * 32, 10)
    assert sorted(c.id for c in again) == sorted(c.id for c in first)


async def test_a_lease_ends_by_the_database_clock(start):
    """The claim sets and compares lease ends with the database's now, not with a time
    the process passes in: the end of a lease is the database's now + its length."""
    hl = await start(with_worker=False)
    await _backlog(hl, 1)
    db = hl.runtime.db
    async with db.read() as conn:
        before = await read_now(conn)
    (claimed,) = await _claim(db, "a" * 32, 1, lease=45)
    async with db.read() as conn:
        row = await deliveries.get_delivery_by_id(conn, claimed.id)
        after = await read_now(conn)
    assert before <= claimed.claimed_at <= after
    lease = (row.next_attempt_at - claimed.claimed_at).total_seconds()
    assert abs(lease - 45) < 0.01


async def test_fencing_a_stale_worker_cannot_overwrite_a_newer_claim(start):
    hl = await start(with_worker=False)
    await _backlog(hl, 1)
    db = hl.runtime.db
    (stale,) = await _claim(db, "a" * 32, 1, lease=0.3)
    await asyncio.sleep(0.5)
    (fresh,) = await _claim(db, "b" * 32, 1)
    assert stale.id == fresh.id

    def outcome(claim, status):
        return store.Outcome(
            delivery_id=claim.id,
            lease_token=claim.lease_token,
            status=status,
            retry_in=None,
            attempted_at=utcnow(),
            response_code=500 if status is DeliveryStatus.EXPIRED else 200,
            failure_reason=None,
        )

    async with db.write() as conn:
        await store.record_outcomes(conn, [outcome(stale, DeliveryStatus.EXPIRED)])
        row = await deliveries.get_delivery_by_id(conn, stale.id)
    assert row.status is DeliveryStatus.PENDING  # the stale result was refused
    async with db.write() as conn:
        await store.record_outcomes(conn, [outcome(fresh, DeliveryStatus.DELIVERED)])
        row = await deliveries.get_delivery_by_id(conn, fresh.id)
    assert row.status is DeliveryStatus.DELIVERED
    assert row.attempt_count == 1


async def test_a_retry_is_due_its_delay_after_the_database_now(start):
    hl = await start(with_worker=False)
    await _backlog(hl, 1)
    db = hl.runtime.db
    (claimed,) = await _claim(db, "a" * 32, 1)
    async with db.write() as conn:
        now = await read_now(conn)
        await store.record_outcomes(
            conn,
            [
                store.Outcome(
                    delivery_id=claimed.id,
                    lease_token=claimed.lease_token,
                    status=DeliveryStatus.PENDING,
                    retry_in=300.0,
                    attempted_at=utcnow(),
                    response_code=500,
                    failure_reason="HTTP 500",
                )
            ],
        )
        row = await deliveries.get_delivery_by_id(conn, claimed.id)
    assert abs((row.next_attempt_at - now).total_seconds() - 300) < 1


async def test_renewal_keeps_a_lease_and_release_gives_it_back(start):
    hl = await start(with_worker=False)
    await _backlog(hl, 2)
    db = hl.runtime.db
    claimed = await _claim(db, "a" * 32, 2, lease=0.5)
    async with db.write() as conn:
        renewed = await store.renew_leases(conn, tokens=["a" * 32], lease_seconds=60)
    assert renewed == 2
    await asyncio.sleep(0.7)  # the first lease would have run out
    assert await _claim(db, "b" * 32, 2) == []
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
