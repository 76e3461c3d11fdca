"""An event type's JSON Schema validates payloads at publish (422 with locations)."""

from __future__ import annotations

SCHEMA = {
    "type": "object",
    "required": ["invoice_id", "amount"],
    "properties": {
        "invoice_id": {"type": "string"},
        "amount": {"type": "integer", "minimum": 0},
        "lines": {"type": "array", "items": {"type": "object", "required": ["sku"]}},
    },
}


async def test_payloads_must_match_the_event_type_schema(hookline, receivers):
    rx = await receivers()
    await hookline.event_type("invoice.paid", schema=SCHEMA)
    tenant = (await hookline.tenant())["id"]
    await hookline.endpoint(tenant, rx.url, ["invoice.paid"])
    path = f"/v1/tenants/{tenant}/messages"

    bad = await hookline.client.post(
        path,
        json={
            "event_type": "invoice.paid",
            "payload": {"amount": -5, "lines": [{"sku": "a"}, {"qty": 1}]},
        },
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    locations = {e["location"] for e in bad.json()["errors"]}
    assert locations == {"body.payload", "body.payload.amount", "body.payload.lines.1"}
    listed = await hookline.call("GET", path, 200)
    assert listed["data"] == []  # nothing was stored

    ok = await hookline.publish(tenant, "invoice.paid", {"invoice_id": "inv_1", "amount": 10})
    assert ok["deliveries"] == 1


async def test_an_invalid_schema_is_refused(hookline):
    resp = await hookline.client.post(
        "/v1/event-types", json={"name": "x.y", "schema": {"type": "no-such-type"}}
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["location"] == "body.schema"
