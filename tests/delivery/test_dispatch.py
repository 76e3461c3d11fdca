"""Dispatch: whatever fails while a delivery is prepared or sent ends in a recorded
attempt or in the delivery handed back, never held (DESIGN §3, nothing stranded).
Database errors are real ones, raised by triggers in the real database."""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from hookline.delivery import attempt as attempt_module
from hookline.store.schema import endpoints
from support.faults import allow, refuse
from support.waiting import final, logged, statuses, until

ADMIN = "worker-faults-test-admin-key-0123456789"


async def test_a_rate_slot_that_cannot_be_reserved_hands_the_delivery_back(
    start, receivers, caplog
):
    caplog.set_level(logging.WARNING, logger="hookline")
    hl = await start(admin_key=ADMIN)
    rx = await receivers()
    await hl.event_type("tick")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, rx.url, ["tick"], rate_limit=5)
    await refuse(hl.runtime.db, "rate_slots", "1 = 1", name="no_rate_slots")
    message = await hl.publish(tenant, "tick", {"n": 1})
    await logged(caplog, "reserving a rate-limit slot")
    assert rx.requests == []  # no attempt was made...
    await allow(hl.runtime.db, "rate_slots", name="no_rate_slots")
    (delivery,) = await final(hl, tenant, message["id"])  # ...and it was not left held
    assert delivery["status"] == "delivered"
    assert len(rx.requests) == 1
    attempts = await hl.attempts(tenant, delivery["id"])
    assert [a["status"] for a in attempts] == ["succeeded"]


async def test_an_endpoint_whose_secret_cannot_be_opened_fails_its_attempt_and_retries(
    start, receivers
):
    hl = await start(admin_key=ADMIN, retry_schedule="500ms,500ms")
    rx = await receivers()
    await hl.event_type("tick")
    tenant = (await hl.tenant())["id"]
    ep = await hl.endpoint(tenant, rx.url, ["tick"])
    db = hl.runtime.db
    async with db.read() as conn:
        sealed = (
            await conn.execute(select(endpoints.c.secret_sealed).where(endpoints.c.id == ep["id"]))
        ).scalar_one()
    async with db.write() as conn:  # damaged at rest (a wrong key, a bad restore)
        await conn.execute(
            update(endpoints).where(endpoints.c.id == ep["id"]).values(secret_sealed="v1.bad")
        )
    message = await hl.publish(tenant, "tick", {"n": 1})

    async def failed_once() -> bool:
        (d,) = await statuses(hl, tenant, message["id"])
        return d["attempt_count"] >= 1

    await until("attempted", failed_once)
    async with db.write() as conn:
        await conn.execute(
            update(endpoints).where(endpoints.c.id == ep["id"]).values(secret_sealed=sealed)
        )
    (delivery,) = await final(hl, tenant, message["id"])
    assert delivery["status"] == "delivered"
    attempts = await hl.attempts(tenant, delivery["id"])
    first = attempts[-1] if attempts[0]["attempt_number"] > 1 else attempts[0]
    assert first["status"] == "failed"
    assert "secrets cannot be opened" in first["error_message"]
    assert len(rx.requests) >= 1


async def test_a_failure_of_hookline_while_sending_is_a_failed_attempt_not_a_lost_one(
    start, receivers, monkeypatch
):
    hl = await start(admin_key=ADMIN, retry_schedule="300ms,300ms")
    rx = await receivers()
    await hl.event_type("tick")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, rx.url, ["tick"])
    real = attempt_module.request_headers
    calls = 0

    def fails_once(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a bug in signing")
        return real(*args, **kwargs)

    monkeypatch.setattr(attempt_module, "request_headers", fails_once)
    message = await hl.publish(tenant, "tick", {"n": 1})
    (delivery,) = await final(hl, tenant, message["id"])
    assert delivery["status"] == "delivered"
    attempts = sorted(await hl.attempts(tenant, delivery["id"]), key=lambda a: a["attempt_number"])
    assert [a["status"] for a in attempts] == ["failed", "succeeded"]
    assert "a bug in signing" in attempts[0]["error_message"]
