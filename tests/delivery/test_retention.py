"""Retention: old history is deleted in small batches, never a pending delivery."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy import func, select, update

from hookline.delivery import retention
from hookline.domain.clock import utcnow
from hookline.store.schema import attempts as attempts_table
from hookline.store.schema import deliveries, messages


async def _backdate(db, message_ids: list[str], days: int) -> None:
    when = utcnow() - timedelta(days=days)
    async with db.write() as conn:
        await conn.execute(
            update(messages).where(messages.c.id.in_(message_ids)).values(created_at=when)
        )
        await conn.execute(
            update(deliveries)
            .where(deliveries.c.message_id.in_(message_ids))
            .values(created_at=when)
        )


async def _recorded(db, *, delivered: int, attempts: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        async with db.read() as conn:
            done = await conn.scalar(
                select(func.count())
                .select_from(deliveries)
                .where(deliveries.c.status == "delivered")
            )
            tried = await conn.scalar(select(func.count()).select_from(attempts_table))
        if done == delivered and tried == attempts:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"results not recorded: {done} delivered, {tried} attempts")


async def test_retention_deletes_old_final_history_and_keeps_pending(start, receivers):
    hl = await start(retry_schedule="1h")
    ok = await receivers()
    down = await receivers(statuses=[500])
    await hl.event_type("job.done")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, ok.url, ["job.done"])
    await hl.endpoint(tenant, down.url, ["job.done"])
    old = [(await hl.publish(tenant, "job.done", {"i": i}))["id"] for i in range(7)]
    recent = (await hl.publish(tenant, "job.done", {"recent": True}))["id"]
    await ok.wait_for(8)
    await down.wait_for(8)  # each failed once and waits an hour for its retry: pending
    await _recorded(hl.runtime.db, delivered=8, attempts=16)  # a receipt is not yet a record
    await _backdate(hl.runtime.db, old, days=40)

    report = await retention.run_once(hl.runtime.db, days=30, batch=3)
    assert report.deliveries == 7  # the delivered halves of the old messages, 3 at a time
    assert report.messages == 0  # every old message still has a pending delivery
    for mid in old:
        msg = await hl.message(tenant, mid)
        (d,) = msg["delivery_statuses"]
        assert d["status"] == "pending"
        assert len(await hl.attempts(tenant, d["id"])) == 1  # kept with its delivery
    assert len((await hl.message(tenant, recent))["delivery_statuses"]) == 2

    # Once final, old deliveries go (their attempts with them), and then their messages.
    async with hl.runtime.db.write() as conn:
        await conn.execute(
            update(deliveries)
            .where(deliveries.c.status == "pending")
            .values(status="expired", next_attempt_at=None)
        )
    report = await retention.run_once(hl.runtime.db, days=30)
    assert report == retention.RetentionReport(deliveries=7, messages=7)
    assert (await hl.client.get(f"/v1/tenants/{tenant}/messages/{old[0]}")).status_code == 404
    assert len((await hl.message(tenant, recent))["delivery_statuses"]) == 2
