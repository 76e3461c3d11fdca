"""A subscription pattern that matches no event type of the catalogue (`invoce.*`) is a
422 naming it, at create, PATCH and PUT (DESIGN §4), and changes nothing; patterns an
endpoint already has keep working."""

from __future__ import annotations

from sqlalchemy import update

from hookline.store.database import Database
from hookline.store.schema import endpoints

HOOK = "https://hooks.example.com/in"


async def _catalogue(hl) -> str:
    await hl.event_type("invoice.paid")
    await hl.event_type("invoice.refund.issued")
    await hl.event_type("contact.created")
    return str((await hl.tenant(uid="acme"))["id"])


async def test_a_pattern_matching_nothing_is_refused_at_create(hookline, problem):
    tid = await _catalogue(hookline)
    url = f"/v1/tenants/{tid}/endpoints"
    resp = await hookline.client.post(
        url, json={"url": HOOK, "events": ["invoice.paid", "invoce.*"]}
    )
    body = problem(resp, 422, "body.events.1")
    (error,) = body["errors"]
    assert error["value"] == "invoce.*"
    assert error["message"] == "'invoce.*' matches no event type in the catalogue"
    # Every pattern is judged: two wrong ones, two errors.
    resp = await hookline.client.post(url, json={"url": HOOK, "events": ["nope.*", "*.nope"]})
    problem(resp, 422, "body.events.0", "body.events.1")
    assert (await hookline.call("GET", url, 200))["data"] == []

    # What matches something is accepted: a trailing wildcard, one in the middle, "*".
    for events in (["invoice.*"], ["*.created"], ["invoice.*.issued"], ["*"]):
        created = await hookline.endpoint(tid, HOOK, events)
        assert created["events"] == events


async def test_archived_event_types_take_no_new_pattern(hookline, problem):
    tid = await _catalogue(hookline)
    await hookline.event_type("legacy.thing")
    kept = await hookline.endpoint(tid, HOOK, ["legacy.*"], uid="kept")
    await hookline.call("DELETE", "/v1/event-types/legacy.thing", (200, 204))
    resp = await hookline.client.post(
        f"/v1/tenants/{tid}/endpoints", json={"url": HOOK, "events": ["legacy.*"]}
    )
    problem(resp, 422, "body.events.0")
    # The endpoint that had it keeps it through a PATCH and a PUT of its own events.
    patched = await hookline.call(
        "PATCH", f"/v1/tenants/{tid}/endpoints/{kept['id']}", 200, json={"description": "x"}
    )
    assert patched["events"] == ["legacy.*"]
    put = await hookline.client.put(
        f"/v1/tenants/{tid}/endpoints/kept", json={"url": HOOK, "events": ["legacy.*"]}
    )
    assert put.status_code == 200, put.text


async def test_patch_and_put_refuse_it_and_change_nothing(hookline, problem):
    tid = await _catalogue(hookline)
    ep = await hookline.endpoint(tid, HOOK, ["invoice.*"], uid="billing")
    path = f"/v1/tenants/{tid}/endpoints/{ep['id']}"
    resp = await hookline.client.patch(path, json={"events": ["invoice.*", "invoce.*"]})
    body = problem(resp, 422, "body.events.1")
    assert "'invoce.*'" in body["errors"][0]["message"]
    resp = await hookline.client.put(
        f"/v1/tenants/{tid}/endpoints/billing", json={"url": HOOK, "events": ["invoce.*"]}
    )
    problem(resp, 422, "body.events.0")
    resp = await hookline.client.put(  # PUT that would create: refused as well
        f"/v1/tenants/{tid}/endpoints/new-one", json={"url": HOOK, "events": ["invoce.*"]}
    )
    problem(resp, 422, "body.events.0")
    assert (await hookline.call("GET", path, 200))["events"] == ["invoice.*"]
    listed = await hookline.call("GET", f"/v1/tenants/{tid}/endpoints", 200)
    assert [e["id"] for e in listed["data"]] == [ep["id"]]


async def test_an_endpoint_stored_before_the_rule_keeps_working(hookline, receivers):
    tid = await _catalogue(hookline)
    rx = await receivers()
    ep = await hookline.endpoint(tid, rx.url, ["invoice.paid"])
    db = Database(hookline.runtime.settings.database_url)
    try:  # as written by a Hookline that accepted any pattern
        async with db.engine.begin() as conn:
            await conn.execute(
                update(endpoints)
                .where(endpoints.c.id == ep["id"])
                .values(events=["invoice.paid", "invoce.*"])
            )
    finally:
        await db.dispose()
    path = f"/v1/tenants/{tid}/endpoints/{ep['id']}"
    patched = await hookline.call("PATCH", path, 200, json={"description": "billing"})
    assert patched["events"] == ["invoice.paid", "invoce.*"]
    msg = await hookline.publish(tid, "invoice.paid", {"n": 1})
    final = await hookline.wait_final(tid, msg["id"])
    assert [d["status"] for d in final["delivery_statuses"]] == ["delivered"]
    # Once the catalogue has a type it matches, it receives it like any pattern.
    await hookline.event_type("invoce.typo")
    typo = await hookline.publish(tid, "invoce.typo", {"n": 2})
    assert typo["deliveries"] == 1
