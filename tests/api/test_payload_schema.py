"""An event type's JSON Schema validates payloads at publish (422 with locations)."""

from __future__ import annotations

from hookline.domain.clock import utcnow
from hookline.domain.models import EventType
from hookline.store import event_types as store

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


DANGLING = [
    {"$ref": "#/$defs/missing"},
    {"type": "object", "properties": {"a": {"$ref": "#/nope"}}},
    {"$ref": "https://schemas.example/order.json"},  # nothing is fetched from elsewhere
    {"$id": "https://x.example/root", "$ref": "other.json"},
    {"$dynamicRef": "#meta"},
]


async def test_a_schema_referring_to_nothing_is_refused(hookline, problem):
    for i, schema in enumerate(DANGLING):
        resp = await hookline.client.post(
            "/v1/event-types", json={"name": f"d{i}", "schema": schema}
        )
        body = problem(resp, 422, "body.schema")
        assert "refers to nothing in this schema" in body["errors"][0]["message"]
    whole = [
        {"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"},
        {"$defs": {"x": {"$anchor": "foo", "type": "integer"}}, "$ref": "#foo"},
        {"$ref": "https://json-schema.org/draft/2020-12/schema"},  # a published metaschema
        {"$id": "https://x.example/a", "$defs": {"b": {"$id": "b", "type": "string"}}, "$ref": "b"},
    ]
    for i, schema in enumerate(whole):
        await hookline.event_type(f"w{i}", schema=schema)


async def test_a_schema_stored_before_the_check_still_answers_422(hookline, problem):
    # As a database upgraded from a version that took such schemas would hold it.
    now = utcnow()
    async with hookline.runtime.db.write() as conn:
        await store.insert_event_type(
            conn, EventType("old.type", "", {"$ref": "#/$defs/gone"}, False, now, now)
        )
    tenant = (await hookline.tenant())["id"]
    resp = await hookline.client.post(
        f"/v1/tenants/{tenant}/messages", json={"event_type": "old.type", "payload": {"a": 1}}
    )
    body = problem(resp, 422, "body.payload")
    assert "schema refers to nothing" in body["errors"][0]["message"]


async def test_a_remote_reference_is_never_fetched(hookline, receivers, problem):
    rx = await receivers()  # where the $ref points: it must never be asked
    remote = rx.url.replace("/hook", "/schema.json")
    resp = await hookline.client.post(
        "/v1/event-types", json={"name": "remote.ref", "schema": {"$ref": remote}}
    )
    problem(resp, 422, "body.schema")
    now = utcnow()
    async with hookline.runtime.db.write() as conn:  # as an older version would have taken it
        await store.insert_event_type(
            conn, EventType("remote.old", "", {"$ref": remote}, False, now, now)
        )
    tenant = (await hookline.tenant())["id"]
    resp = await hookline.client.post(
        f"/v1/tenants/{tenant}/messages", json={"event_type": "remote.old", "payload": {}}
    )
    problem(resp, 422, "body.payload")
    assert rx.requests == []
