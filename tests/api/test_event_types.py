"""/v1/event-types: the catalogue, archiving, and the built-in webhook.test."""

from __future__ import annotations

SCHEMA = {"type": "object", "properties": {"amount": {"type": "integer"}}}


async def test_create_list_get_and_patch(hookline, problem):
    created = await hookline.event_type("invoice.paid", description="Paid", schema=SCHEMA)
    assert created["name"] == "invoice.paid"
    assert created["description"] == "Paid"
    assert created["schema"] == SCHEMA
    assert created["archived"] is False
    await hookline.event_type("contact.created")

    listed = await hookline.call("GET", "/v1/event-types", 200)
    names = [e["name"] for e in listed["data"]]
    assert {"invoice.paid", "contact.created", "webhook.test"} <= set(names)
    assert listed["next_cursor"] is None

    got = await hookline.call("GET", "/v1/event-types/invoice.paid", 200)
    assert got == created

    # Only the fields sent change.
    patched = await hookline.call(
        "PATCH", "/v1/event-types/invoice.paid", 200, json={"description": "An invoice was paid"}
    )
    assert patched["description"] == "An invoice was paid"
    assert patched["schema"] == SCHEMA
    patched = await hookline.call(
        "PATCH", "/v1/event-types/invoice.paid", 200, json={"schema": None}
    )
    assert patched["schema"] is None
    assert patched["description"] == "An invoice was paid"

    problem(await hookline.client.get("/v1/event-types/nope"), 404)
    problem(await hookline.client.patch("/v1/event-types/nope", json={"description": "x"}), 404)
    problem(await hookline.client.delete("/v1/event-types/nope"), 404)


async def test_names_are_validated_and_unique(hookline, problem):
    c = hookline.client
    for bad in ("has space", ".starts-with-dot", "-dash", "x" * 101, "", "emoji🙂", "a/b"):
        resp = await c.post("/v1/event-types", json={"name": bad})
        problem(resp, 422, "body.name")

    await hookline.event_type("Invoice_Paid-2.v1")
    await hookline.event_type("x" * 100)  # 100 characters is the limit, not over it
    await hookline.event_type("new_contact")

    body = problem(await c.post("/v1/event-types", json={"name": "new_contact"}), 409)
    assert "new_contact" in body["detail"]
    problem(await c.post("/v1/event-types", json={"name": "webhook.test"}), 409)

    names = {e["name"] for e in (await hookline.call("GET", "/v1/event-types", 200))["data"]}
    assert names == {"Invoice_Paid-2.v1", "x" * 100, "new_contact", "webhook.test"}


async def test_archive_keeps_existing_subscriptions_and_refuses_new_ones(
    hookline, receivers, problem
):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    tid = tenant["id"]
    rx = await receivers()
    ep = await hookline.endpoint(tid, rx.url, ["invoice.paid"])

    resp = await hookline.client.delete("/v1/event-types/invoice.paid")
    assert resp.status_code == 204
    got = await hookline.call("GET", "/v1/event-types/invoice.paid", 200)
    assert got["archived"] is True

    # Hidden from the default list, shown on request.
    listed = await hookline.call("GET", "/v1/event-types", 200)
    assert "invoice.paid" not in [e["name"] for e in listed["data"]]
    listed = await hookline.call("GET", "/v1/event-types?include_archived=true", 200)
    assert "invoice.paid" in [e["name"] for e in listed["data"]]

    # The existing subscription keeps working.
    msg = await hookline.publish(tid, "invoice.paid", {"n": 1})
    assert msg["deliveries"] == 1
    final = await hookline.wait_final(tid, msg["id"])
    assert [d["status"] for d in final["delivery_statuses"]] == ["delivered"]
    assert len(rx.requests) == 1
    # ...and the endpoint that has it may still be changed without dropping it.
    await hookline.call(
        "PATCH", f"/v1/tenants/{tid}/endpoints/{ep['id']}", 200, json={"description": "kept"}
    )

    # A new subscription is refused, with the offending entry named.
    resp = await hookline.client.post(
        f"/v1/tenants/{tid}/endpoints",
        json={"url": rx.url, "events": ["invoice.paid"]},
    )
    problem(resp, 422, "body.events.0")

    # Unarchiving accepts new subscriptions again.
    patched = await hookline.call(
        "PATCH", "/v1/event-types/invoice.paid", 200, json={"archived": False}
    )
    assert patched["archived"] is False
    await hookline.endpoint(tid, rx.url, ["invoice.paid"])


async def test_webhook_test_always_exists_and_cannot_be_archived(hookline):
    got = await hookline.call("GET", "/v1/event-types/webhook.test", 200)
    assert got["archived"] is False

    resp = await hookline.client.delete("/v1/event-types/webhook.test")
    assert resp.status_code in (409, 422), resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    resp = await hookline.client.patch("/v1/event-types/webhook.test", json={"archived": True})
    assert resp.status_code in (409, 422), resp.text

    got = await hookline.call("GET", "/v1/event-types/webhook.test", 200)
    assert got["archived"] is False
    # Its description may still be edited.
    await hookline.call(
        "PATCH", "/v1/event-types/webhook.test", 200, json={"description": "Try me"}
    )
