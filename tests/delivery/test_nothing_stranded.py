"""Nothing stranded: whatever fails inside the worker while it prepares, sends or
records an attempt ends in a recorded attempt or in the delivery handed back, and the
worker goes on. Database errors are real ones, raised by triggers in the real database.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import select, text, update

from hookline.delivery import attempt as attempt_module
from hookline.store.schema import endpoints

ADMIN = "nothing-stranded-test-admin-key-0123456"


async def _refuse(db, table: str, when: str, *, name: str, event: str = "INSERT") -> None:
    """A trigger that makes the database refuse rows of `table` matching `when`."""
    async with db.write() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(
                text(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    f"BEGIN IF {when} THEN RAISE EXCEPTION 'refused by the test ({name})'; "
                    "END IF; RETURN NEW; END $$"
                )
            )
            await conn.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION {name}()"
                )
            )
        else:
            await conn.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN {when} "
                    f"BEGIN SELECT RAISE(ABORT, 'refused by the test ({name})'); END"
                )
            )


async def _allow(db, table: str, *, name: str) -> None:
    async with db.write() as conn:
        await conn.execute(text(f"DROP TRIGGER {name}" + (f" ON {table}" if _pg(conn) else "")))
        if _pg(conn):
            await conn.execute(text(f"DROP FUNCTION {name}()"))


def _pg(conn) -> bool:
    return conn.dialect.name == "postgresql"


async def _delivery_of(hl, tenant: str, message_id: str) -> dict:
    message = await hl.call("GET", f"/v1/tenants/{tenant}/messages/{message_id}", 200)
    (delivery,) = message["delivery_statuses"]
    return delivery


async def _until(what: str, check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} within {timeout}s")
        await asyncio.sleep(0.05)


async def _final(hl, tenant: str, message_id: str, timeout: float = 20.0) -> dict:
    found: dict = {}

    async def done() -> bool:
        found.update(await _delivery_of(hl, tenant, message_id))
        return found["status"] in ("delivered", "failed", "expired")

    await _until("final", done, timeout)
    return found


async def _logged(caplog, fragment: str, timeout: float = 20.0) -> None:
    async def seen() -> bool:
        return any(fragment in r.getMessage() for r in caplog.records)

    await _until(f"logged {fragment!r}", seen, timeout)


async def test_a_rate_slot_that_cannot_be_reserved_hands_the_delivery_back(
    start, receivers, caplog
):
    caplog.set_level(logging.WARNING, logger="hookline")
    hl = await start(admin_key=ADMIN)
    rx = await receivers()
    await hl.event_type("tick")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, rx.url, ["tick"], rate_limit=5)
    await _refuse(hl.runtime.db, "rate_slots", "1 = 1", name="no_rate_slots")
    message = await hl.publish(tenant, "tick", {"n": 1})
    await _logged(caplog, "reserving a rate-limit slot")
    assert rx.requests == []  # no attempt was made...
    await _allow(hl.runtime.db, "rate_slots", name="no_rate_slots")
    delivery = await _final(hl, tenant, message["id"])  # ...and it was not left held
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
        d = await _delivery_of(hl, tenant, message["id"])
        return d["attempt_count"] >= 1

    await _until("attempted", failed_once)
    async with db.write() as conn:
        await conn.execute(
            update(endpoints).where(endpoints.c.id == ep["id"]).values(secret_sealed=sealed)
        )
    delivery = await _final(hl, tenant, message["id"])
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
    delivery = await _final(hl, tenant, message["id"])
    assert delivery["status"] == "delivered"
    attempts = sorted(await hl.attempts(tenant, delivery["id"]), key=lambda a: a["attempt_number"])
    assert [a["status"] for a in attempts] == ["failed", "succeeded"]
    assert "a bug in signing" in attempts[0]["error_message"]


async def _all_final(hl, tenant: str, message_id: str) -> list[dict]:
    found: list[dict] = []

    async def done() -> bool:
        message = await hl.call("GET", f"/v1/tenants/{tenant}/messages/{message_id}", 200)
        found[:] = message["delivery_statuses"]
        return all(d["status"] in ("delivered", "failed", "expired") for d in found)

    await _until("final", done)
    return found


async def test_a_result_the_database_refuses_is_stored_without_the_answer_and_work_goes_on(
    start, receivers, caplog
):
    caplog.set_level(logging.WARNING, logger="hookline")
    hl = await start(admin_key=ADMIN)
    poison = await receivers(body=b"poison")
    fine = await receivers()
    await hl.event_type("tick")
    tenant = (await hl.tenant())["id"]
    poisoned = (await hl.endpoint(tenant, poison.url, ["tick"]))["id"]
    await hl.endpoint(tenant, fine.url, ["tick"])
    await _refuse(hl.runtime.db, "attempts", "NEW.response_body = 'poison'", name="no_poison")
    first = await hl.publish(tenant, "tick", {"n": 1})
    deliveries = await _all_final(hl, tenant, first["id"])
    assert {d["status"] for d in deliveries} == {"delivered"}
    await _logged(caplog, "storing it without the receiver's answer")
    for d in deliveries:
        (attempt,) = await hl.attempts(tenant, d["id"])
        if d["endpoint_id"] == poisoned:
            assert attempt["response_body"] is None
            assert "could not be stored" in attempt["error_message"]
            assert attempt["response_code"] == 200
        else:
            assert attempt["response_body"] == "ok"
    # The recorder goes on: the next results are written as usual.
    second = await hl.publish(tenant, "tick", {"n": 2})
    assert {d["status"] for d in await _all_final(hl, tenant, second["id"])} == {"delivered"}


async def test_a_result_that_cannot_be_stored_at_all_hands_the_delivery_back(
    start, receivers, caplog
):
    caplog.set_level(logging.WARNING, logger="hookline")
    hl = await start(admin_key=ADMIN)
    rx = await receivers()
    await hl.event_type("tick")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, rx.url, ["tick"])
    await _refuse(hl.runtime.db, "attempts", "NEW.status = 'succeeded'", name="no_results")
    message = await hl.publish(tenant, "tick", {"n": 1})
    await _logged(caplog, "handing it back")
    await rx.wait_for(1)
    await _allow(hl.runtime.db, "attempts", name="no_results")
    delivery = await _final(hl, tenant, message["id"])
    assert delivery["status"] == "delivered"
    # It could not be recorded, so it was sent again: never lost, at most repeated.
    assert len(rx.requests) >= 2
    assert rx.message_ids() == {message["id"]}


async def test_readyz_says_503_once_the_worker_has_stopped(start):
    hl = await start(admin_key=ADMIN)
    ready = await hl.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["worker"] == "running"
    hl.runtime.stop_server = None  # an embedding that does not stop its server
    (recorder,) = [t for t in asyncio.all_tasks() if t.get_name() == "hookline-recorder"]
    recorder.cancel()  # one of the worker's own tasks ends

    async def stopped() -> bool:
        return (await hl.client.get("/readyz")).status_code == 503

    await _until("503", stopped, timeout=15)
    body = (await hl.client.get("/readyz")).json()
    assert body == {"status": "unavailable", "database": "ok", "worker": "stopped"}

    async def failed() -> bool:
        return hl.runtime.worker_failure is not None

    await _until("the failure noted", failed, timeout=15)
    assert "recorder" in str(hl.runtime.worker_failure)
