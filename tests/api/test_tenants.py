"""/v1/tenants: create, read by id or uid, change, delete with everything it owns."""

from __future__ import annotations

import asyncio


async def test_create_list_get_and_patch_by_id_or_uid(hookline, problem):
    acme = await hookline.tenant("Acme Inc.", uid="acme", metadata={"plan": "pro"}, max_endpoints=3)
    assert acme["id"].startswith("ten_")
    assert len(acme["id"]) == 4 + 26
    assert acme["uid"] == "acme"
    assert acme["name"] == "Acme Inc."
    assert acme["metadata"] == {"plan": "pro"}
    assert acme["max_endpoints"] == 3
    globex = await hookline.tenant("Globex")
    assert globex["uid"] is None

    listed = await hookline.call("GET", "/v1/tenants", 200)
    assert [t["id"] for t in listed["data"]] == [acme["id"], globex["id"]]

    by_id = await hookline.call("GET", f"/v1/tenants/{acme['id']}", 200)
    by_uid = await hookline.call("GET", "/v1/tenants/acme", 200)
    assert by_id == by_uid == acme

    # PATCH by uid: only the fields sent change.
    patched = await hookline.call("PATCH", "/v1/tenants/acme", 200, json={"name": "Acme Corp"})
    assert patched["name"] == "Acme Corp"
    assert patched["metadata"] == {"plan": "pro"}
    assert patched["max_endpoints"] == 3
    assert patched["uid"] == "acme"

    # The uid itself can change; the old one then names nothing.
    patched = await hookline.call(
        "PATCH", f"/v1/tenants/{acme['id']}", 200, json={"uid": "acme-corp", "max_endpoints": None}
    )
    assert patched["uid"] == "acme-corp"
    assert patched["max_endpoints"] is None
    problem(await hookline.client.get("/v1/tenants/acme"), 404)
    assert (await hookline.call("GET", "/v1/tenants/acme-corp", 200))["id"] == acme["id"]

    problem(await hookline.client.patch("/v1/tenants/nobody", json={"name": "x"}), 404)


async def test_uids_are_unique_and_validated(hookline, problem):
    c = hookline.client
    await hookline.tenant("Acme", uid="acme")
    other = await hookline.tenant("Other", uid="other")

    problem(await c.post("/v1/tenants", json={"name": "Again", "uid": "acme"}), 409)
    problem(await c.patch(f"/v1/tenants/{other['id']}", json={"uid": "acme"}), 409)
    # Uids that could be mistaken for an id, or are not names at all, are refused.
    for bad in ("ten_01HZZZZZZZZZZZZZZZZZZZZZZZ", "has space", "-x", ""):
        problem(await c.post("/v1/tenants", json={"name": "Bad", "uid": bad}), 422, "body.uid")
    problem(await c.post("/v1/tenants", json={"name": ""}), 422, "body.name")
    problem(await c.post("/v1/tenants", json={"name": "x", "max_endpoints": -1}), 422)

    listed = await hookline.call("GET", "/v1/tenants", 200)
    assert sorted(t["uid"] for t in listed["data"]) == ["acme", "other"]
    assert (await hookline.call("GET", "/v1/tenants/other", 200))["uid"] == "other"


async def test_tenant_routes_take_the_uid_everywhere(hookline, receivers):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant(uid="acme")
    rx = await receivers()
    ep = await hookline.endpoint("acme", rx.url, ["invoice.paid"], uid="crm")
    assert ep["tenant_id"] == tenant["id"]
    msg = await hookline.publish("acme", "invoice.paid", {"n": 1})
    final = await hookline.wait_final("acme", msg["id"])
    (delivery,) = final["delivery_statuses"]
    assert delivery["status"] == "delivered"

    for path in (
        "/v1/tenants/acme/endpoints",
        "/v1/tenants/acme/endpoints/crm",
        "/v1/tenants/acme/endpoints/crm/deliveries",
        "/v1/tenants/acme/messages",
        f"/v1/tenants/acme/messages/{msg['id']}",
        f"/v1/tenants/acme/deliveries/{delivery['id']}",
        f"/v1/tenants/acme/deliveries/{delivery['id']}/attempts",
        f"/v1/tenants/acme/endpoints/crm/deliveries/{delivery['id']}",
    ):
        await hookline.call("GET", path, 200)


async def test_delete_removes_the_tenant_with_its_endpoints_and_messages(start, receivers, problem):
    hookline = await start(with_worker=False)  # deliveries stay pending: nothing in flight
    await hookline.event_type("invoice.paid")
    acme = await hookline.tenant(uid="acme")
    globex = await hookline.tenant(uid="globex")
    rx = await receivers()
    ep = await hookline.endpoint("acme", rx.url, ["invoice.paid"], uid="crm")
    msg = await hookline.publish("acme", "invoice.paid", {"n": 1})
    await hookline.endpoint("globex", rx.url, ["invoice.paid"])
    kept = await hookline.publish("globex", "invoice.paid", {"n": 2})

    resp = await hookline.client.delete("/v1/tenants/acme")
    assert resp.status_code == 204
    problem(await hookline.client.get(f"/v1/tenants/{acme['id']}"), 404)
    problem(await hookline.client.get("/v1/tenants/acme"), 404)
    problem(await hookline.client.get(f"/v1/tenants/{acme['id']}/endpoints/{ep['id']}"), 404)
    problem(await hookline.client.get(f"/v1/tenants/{acme['id']}/messages/{msg['id']}"), 404)
    problem(await hookline.client.delete("/v1/tenants/acme"), 404)
    listed = await hookline.call("GET", "/v1/tenants", 200)
    assert [t["id"] for t in listed["data"]] == [globex["id"]]

    # The uid is free again, and the new tenant starts empty.
    fresh = await hookline.tenant(uid="acme")
    assert fresh["id"] != acme["id"]
    assert (await hookline.call("GET", "/v1/tenants/acme/endpoints", 200))["data"] == []
    assert (await hookline.call("GET", "/v1/tenants/acme/messages", 200))["data"] == []

    # The other tenant is untouched.
    assert len((await hookline.call("GET", "/v1/tenants/globex/endpoints", 200))["data"]) == 1
    got = await hookline.message("globex", kept["id"])
    assert [d["status"] for d in got["delivery_statuses"]] == ["pending"]


async def test_deleting_a_tenant_mid_delivery_does_not_stall_other_tenants(start, receivers):
    hookline = await start(shutdown_grace=0.5)
    await hookline.event_type("invoice.paid")
    await hookline.tenant(uid="acme")
    await hookline.tenant(uid="globex")
    slow = await receivers(delay=0.5)
    fast = await receivers()
    await hookline.endpoint("acme", slow.url, ["invoice.paid"])
    await hookline.endpoint("globex", fast.url, ["invoice.paid"])

    await hookline.publish("acme", "invoice.paid", {"n": 1})
    await slow.wait_for(1)  # the attempt is in flight...
    resp = await hookline.client.delete("/v1/tenants/acme")  # ...when its tenant goes
    assert resp.status_code == 204
    await asyncio.sleep(0.6)  # the slow answer comes back and is recorded (or not)

    # The worker keeps delivering for everyone else, and records it.
    msg = await hookline.publish("globex", "invoice.paid", {"n": 2})
    final = await hookline.wait_final("globex", msg["id"], timeout=2)
    assert [d["status"] for d in final["delivery_statuses"]] == ["delivered"]
    assert len(fast.requests) == 1
