"""Endpoint slots on the real databases: taken within the limit beside the other
holders, never past it however many take at once, and back once their lease ends."""

from __future__ import annotations

import asyncio

from sqlalchemy import update

from hookline.store import slots
from hookline.store.schema import endpoints


async def _endpoint(hl, **body) -> str:
    await hl.event_type("job.done")
    tenant = await hl.tenant()
    ep = await hl.endpoint(tenant["id"], "http://127.0.0.1:9/never", ["job.done"], **body)
    return str(ep["id"])


async def _take(db, holder: str, endpoint_id: str, want: int, *, lease: float = 30.0):
    async with db.write() as conn:
        grants = await slots.take(
            conn, holder=holder, wants={endpoint_id: want}, default_limit=10, lease_seconds=lease
        )
    return grants[endpoint_id]


async def test_slots_are_taken_within_the_limit_beside_the_others(start):
    hl = await start(with_worker=False)
    ep = await _endpoint(hl, max_in_flight=5)
    db = hl.runtime.db
    first = await _take(db, "a" * 32, ep, 3)
    assert (first.held, first.others, first.limit) == (3, 0, 5)
    second = await _take(db, "b" * 32, ep, 4)
    assert (second.held, second.others) == (2, 3)
    third = await _take(db, "c" * 32, ep, 1)
    assert third.held == 0
    again = await _take(db, "a" * 32, ep, 1)  # asking for fewer gives the rest back
    assert again.held == 1
    assert (await _take(db, "c" * 32, ep, 5)).held == 2
    async with db.read() as conn:
        assert await slots.held_by(conn, ep) == {"a" * 32: 1, "b" * 32: 2, "c" * 32: 2}


async def test_many_takers_at_once_never_hold_more_than_the_limit(start):
    """Twenty transactions take slots of one endpoint at the same time; on PostgreSQL
    they really run at once (the endpoint's lock orders them)."""
    hl = await start(with_worker=False)
    ep = await _endpoint(hl, max_in_flight=7)
    db = hl.runtime.db
    grants = await asyncio.gather(*(_take(db, f"{i:032d}", ep, 2) for i in range(20)))
    assert sum(g.held for g in grants) == 7
    async with db.read() as conn:
        assert sum((await slots.held_by(conn, ep)).values()) == 7


async def test_the_limit_is_lowered_by_back_pressure_and_the_default_applies(start):
    hl = await start(with_worker=False)
    ep = await _endpoint(hl)  # no max_in_flight: the deployment's default
    db = hl.runtime.db
    assert (await _take(db, "a" * 32, ep, 50)).held == 10
    async with db.write() as conn:
        await conn.execute(
            update(endpoints).where(endpoints.c.id == ep).values(concurrency_limit=2.6)
        )
    grant = await _take(db, "a" * 32, ep, 50)
    assert (grant.held, grant.limit) == (2, 2)


async def test_slots_come_back_when_their_lease_runs_out_and_are_not_renewed_then(start):
    hl = await start(with_worker=False)
    ep = await _endpoint(hl, max_in_flight=4)
    db = hl.runtime.db
    assert (await _take(db, "a" * 32, ep, 4, lease=0.4)).held == 4
    assert (await _take(db, "b" * 32, ep, 4)).held == 0
    await asyncio.sleep(0.6)  # a's lease ran out (the database's clock)
    async with db.write() as conn:
        renewed = await slots.renew(conn, holder="a" * 32, lease_seconds=30, default_limit=10)
    assert renewed == {}  # not brought back: they may be someone else's now
    assert (await _take(db, "b" * 32, ep, 4)).held == 4


async def test_renewal_keeps_slots_and_release_lets_them_go(start):
    hl = await start(with_worker=False)
    ep = await _endpoint(hl, max_in_flight=4)
    db = hl.runtime.db
    await _take(db, "a" * 32, ep, 3, lease=0.5)
    async with db.write() as conn:
        renewed = await slots.renew(conn, holder="a" * 32, lease_seconds=30, default_limit=10)
    assert renewed[ep].held == 3
    await asyncio.sleep(0.7)
    assert (await _take(db, "b" * 32, ep, 4)).held == 1  # a's renewed slots still count
    async with db.write() as conn:
        await slots.release(conn, holder="a" * 32)
    assert (await _take(db, "b" * 32, ep, 4)).held == 4
