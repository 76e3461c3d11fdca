"""Errors are RFC 9457 problem+json, and the service's own routes answer."""

from __future__ import annotations

import re


async def test_every_kind_of_error_is_problem_json(hookline, problem):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant(uid="acme")
    c = hookline.client

    # 401: no key at all.
    async with hookline.as_key(None) as anonymous:
        body = problem(await anonymous.get("/v1/tenants"), 401)
    assert body["type"] != "about:blank"

    # 404: an unknown object, and an unknown route.
    problem(await c.get("/v1/tenants/nobody"), 404)
    problem(await c.get("/v1/tenants/acme/endpoints/ep_01JXXXXXXXXXXXXXXXXXXXXXXX"), 404)
    problem(await c.get("/v1/no-such-route"), 404)
    problem(await c.get("/nothing/here"), 404)

    # 405: a route that exists, with a method it does not have.
    problem(await c.put("/v1/tenants"), 405)

    # 409: a uid already taken.
    problem(await c.post("/v1/tenants", json={"name": "Other", "uid": "acme"}), 409)

    # 400: an endpoint URL the policy refuses.
    resp = await c.post(
        "/v1/tenants/acme/endpoints",
        json={"url": "https://u:p@hooks.example.com/in", "events": ["invoice.paid"]},
    )
    problem(resp, 400)

    # 422 from the service: unknown event type at publish.
    resp = await c.post(
        f"/v1/tenants/{tenant['id']}/messages", json={"event_type": "nope", "payload": {}}
    )
    problem(resp, 422, "body.event_type")


async def test_bad_json_and_unknown_fields_are_422_with_locations(hookline, problem):
    c = hookline.client
    # A body that is not JSON at all.
    resp = await c.post(
        "/v1/tenants", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    body = problem(resp, 422)
    assert body["errors"], body
    assert all(e["location"].startswith("body") for e in body["errors"])
    assert body["errors"][0]["message"].startswith("JSON decode error: "), body  # and why

    # NaN and Infinity are not JSON (RFC 8259), though Python's json module reads them.
    for bad in (b'{"name": NaN}', b'{"name": "x", "max_endpoints": Infinity}'):
        resp = await c.post(
            "/v1/tenants", content=bad, headers={"content-type": "application/json"}
        )
        problem(resp, 422)

    # A JSON array where an object belongs.
    body = problem(await c.post("/v1/tenants", json=["Acme"]), 422)
    assert body["errors"][0]["location"].startswith("body")

    # A field this resource does not have: a typo is an error, not a silent no-op.
    problem(await c.post("/v1/tenants", json={"name": "Acme", "colour": "red"}), 422, "body.colour")

    # A field of the wrong type, and a missing required field.
    problem(await c.post("/v1/tenants", json={"name": 12}), 422, "body.name")
    problem(await c.post("/v1/event-types", json={"description": "x"}), 422, "body.name")

    # A bad query parameter.
    problem(await c.get("/v1/tenants", params={"limit": "many"}), 422, "query.limit")

    # Numbers too large for any column are refused, not a 500.
    huge = 10**30
    problem(await c.get("/v1/tenants", params={"offset": huge}), 422, "query.offset")
    problem(await c.post("/v1/tenants", json={"name": "x", "max_endpoints": huge}), 422)
    await hookline.tenant(uid="acme")
    problem(await c.patch("/v1/tenants/acme", json={"max_endpoints": huge}), 422)
    endpoint = {"url": "https://hooks.acme.example/in", "events": ["webhook.test"]}
    for name in ("timeout", "rate_limit", "max_in_flight"):
        resp = await c.post("/v1/tenants/acme/endpoints", json={**endpoint, name: huge})
        problem(resp, 422, f"body.{name}")

    # None of that created anything.
    assert [t["uid"] for t in (await hookline.call("GET", "/v1/tenants", 200))["data"]] == ["acme"]
    assert (await hookline.call("GET", "/v1/tenants/acme/endpoints", 200))["data"] == []


async def test_health_readiness_and_docs_answer(hookline):
    async with hookline.as_key(None) as anonymous:
        health = await anonymous.get("/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "ok"

        ready = await anonymous.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["database"] == "ok"

        spec = await anonymous.get("/openapi.json")
        assert spec.status_code == 200
        paths = spec.json()["paths"]
        for route in (
            "/v1/event-types",
            "/v1/tenants",
            "/v1/tenants/{tenant}/endpoints",
            "/v1/tenants/{tenant}/messages",
            "/v1/tenants/{tenant}/endpoints/{endpoint}/deliveries",
            "/v1/api-keys",
        ):
            assert route in paths, route

        docs = await anonymous.get("/docs")
        assert docs.status_code == 200
        assert "text/html" in docs.headers["content-type"]


async def test_text_a_database_cannot_store_is_a_client_error(hookline, problem):
    """Found by fuzzing on PostgreSQL (which stores no NUL character): such text is
    refused with a 4xx problem, never a 500, and nothing changes."""
    await hookline.event_type("invoice.paid")
    await hookline.tenant(uid="acme")
    c = hookline.client
    created = await c.post(
        "/v1/tenants/acme/endpoints",
        json={"url": "https://hooks.example.com/in", "events": ["invoice.paid"]},
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()["id"]

    # Written out by hand: a JSON encoder refuses to send a lone surrogate.
    resp = await c.patch(
        f"/v1/tenants/acme/endpoints/{endpoint}",
        content=rb'{"events": ["invoice.paid", "\u0000x", "\ud85c\udc03"]}',
        headers={"content-type": "application/json"},
    )
    problem(resp, 422, "body.events.1", "body.events.2")

    # SQLite stores a NUL, PostgreSQL cannot: a 400 there, never a 500.
    resp = await c.post("/v1/tenants", json={"name": "Nul\u0000Corp", "uid": "nul"})
    assert resp.status_code == (201 if hookline.runtime.db.is_sqlite else 400), resp.text
    # Neither takes an unpaired surrogate, which is not JSON text (RFC 8259 §8.2): the
    # body is refused as it is read, before any storing.
    resp = await c.post(
        "/v1/tenants",
        content=rb'{"name": "Lone \udc03 surrogate", "uid": "lone"}',
        headers={"content-type": "application/json"},
    )
    [error] = problem(resp, 422)["errors"]
    assert error["message"].startswith("JSON decode error: ")
    assert "surrogate" in error["message"]
    problem(await c.get("/v1/tenants/lone"), 404)

    after = await c.get(f"/v1/tenants/acme/endpoints/{endpoint}")
    assert after.json()["events"] == ["invoice.paid"]


async def test_every_route_with_a_body_reads_it_as_strict_json(hookline, problem):
    """NaN and Infinity are not JSON: on every route that takes a body (read from
    /openapi.json, so a new route is covered too) they are a 422, never stored."""
    spec = (await hookline.client.get("/openapi.json")).json()
    checked = []
    for template, operations in spec["paths"].items():
        path = re.sub(r"\{[^}]+\}", "x", template)
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            resp = await hookline.client.request(
                method.upper(),
                path,
                content=b'{"name": NaN, "url": Infinity}',
                headers={"content-type": "application/json"},
            )
            [error] = problem(resp, 422)["errors"]
            assert error["message"].startswith("JSON decode error: "), (method, template)
            checked.append((method, template))
    assert len(checked) >= 10  # tenants, endpoints, messages, keys, …
