"""The recorder never drops a result and never stops: a result the database refuses is
stored without the receiver's answer, one it refuses even so hands its delivery back,
and the results after it are written as usual. The refusals are real ones, raised by
triggers in the real database."""

from __future__ import annotations

import logging

import orjson

from support.faults import allow, refuse
from support.waiting import final, logged

ADMIN = "worker-faults-test-admin-key-0123456789"


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
    await refuse(hl.runtime.db, "attempts", "NEW.response_body = 'poison'", name="no_poison")
    first = await hl.publish(tenant, "tick", {"n": 1})
    deliveries = await final(hl, tenant, first["id"])
    assert {d["status"] for d in deliveries} == {"delivered"}
    await logged(caplog, "storing it without the receiver's answer")
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
    assert {d["status"] for d in await final(hl, tenant, second["id"])} == {"delivered"}


async def test_a_result_that_cannot_be_stored_at_all_hands_the_delivery_back(
    start, receivers, caplog
):
    caplog.set_level(logging.WARNING, logger="hookline")
    hl = await start(admin_key=ADMIN)
    rx = await receivers()
    await hl.event_type("tick")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, rx.url, ["tick"])
    await refuse(hl.runtime.db, "attempts", "NEW.status = 'succeeded'", name="no_results")
    message = await hl.publish(tenant, "tick", {"n": 1})
    await logged(caplog, "handing it back")
    await rx.wait_for(1)
    await allow(hl.runtime.db, "attempts", name="no_results")
    (delivery,) = await final(hl, tenant, message["id"])
    assert delivery["status"] == "delivered"
    # It could not be recorded, so it was sent again: never lost, at most repeated.
    assert len(rx.requests) >= 2
    assert rx.message_ids() == {message["id"]}


async def test_operational_events_are_written_with_the_results_they_report_or_not_at_all(
    start, receivers, caplog
):
    """`endpoint.disabled` goes through services.publish inside the recorder's own
    transaction: while the result behind it cannot be stored, there is no event either
    (none sent for nothing); once it is stored, exactly one (none lost)."""
    caplog.set_level(logging.WARNING, logger="hookline")
    ops = await receivers()
    hl = await start(admin_key=ADMIN, operational_webhook_url=ops.url)
    gone = await receivers(statuses=[410])
    await hl.event_type("tick")
    tenant = (await hl.tenant())["id"]
    endpoint = (await hl.endpoint(tenant, gone.url, ["tick"]))["id"]
    await refuse(hl.runtime.db, "attempts", "NEW.response_code = 410", name="no_gone")
    message = await hl.publish(tenant, "tick", {"n": 1})
    await logged(caplog, "handing it back")
    await gone.wait_for(1)
    path = "/v1/tenants/hookline-operational/messages"
    assert (await hl.call("GET", path, 200))["data"] == []
    assert (await hl.call("GET", f"/v1/tenants/{tenant}/endpoints/{endpoint}", 200))["enabled"]

    await allow(hl.runtime.db, "attempts", name="no_gone")
    (delivery,) = await final(hl, tenant, message["id"])
    assert delivery["status"] == "failed"
    await ops.wait_for(1)
    (event,) = (await hl.call("GET", path, 200))["data"]
    assert event["event_type"] == "endpoint.disabled"
    assert event["deliveries"] == 1
    assert [orjson.loads(r.body)["data"]["endpoint_id"] for r in ops.requests] == [endpoint]
