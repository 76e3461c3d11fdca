"""Svix event types are Hookline's catalogue: one schema (Svix's version "1"), which
validates payloads; delete archives; Hookline's name pattern is stricter than Svix's."""

from __future__ import annotations

SCHEMA = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}


async def test_the_catalogue_through_the_svix_door(hookline, svix_http):
    async with svix_http() as client:
        made = await client.post(
            "/api/v1/event-type",
            json={"name": "invoice.paid", "description": "Paid", "schemas": {"1": SCHEMA}},
        )
        assert made.status_code == 201, made.text
        body = made.json()
        assert (body["name"], body["archived"], body["deprecated"]) == (
            "invoice.paid",
            False,
            False,
        )
        assert body["schemas"] == {"1": SCHEMA}
        assert (await hookline.call("GET", "/v1/event-types/invoice.paid", 200))["schema"] == SCHEMA

        # The schema validates payloads (Svix's does not: documented).
        await client.post("/api/v1/app", json={"name": "A", "uid": "a"})
        refused = await client.post(
            "/api/v1/app/a/msg", json={"eventType": "invoice.paid", "payload": {"no": "id"}}
        )
        assert refused.status_code == 422
        ok = await client.post(
            "/api/v1/app/a/msg", json={"eventType": "invoice.paid", "payload": {"id": "in_1"}}
        )
        assert ok.status_code == 202

        listed = (await client.get("/api/v1/event-type")).json()
        assert [e["name"] for e in listed["data"]] == ["invoice.paid", "webhook.test"]
        assert listed["data"][0]["schemas"] is None  # with_content is false by default
        full = (await client.get("/api/v1/event-type", params={"with_content": "true"})).json()
        assert full["data"][0]["schemas"] == {"1": SCHEMA}

        patched = await client.patch(
            "/api/v1/event-type/invoice.paid", json={"description": "An invoice was paid"}
        )
        assert (patched.json()["description"], patched.json()["schemas"]) == (
            "An invoice was paid",
            {"1": SCHEMA},
        )
        cleared = await client.patch("/api/v1/event-type/invoice.paid", json={"schemas": None})
        assert cleared.json()["schemas"] is None
        upserted = await client.put(
            "/api/v1/event-type/user.signup", json={"description": "Signed up"}
        )
        assert upserted.status_code == 201
        replaced = await client.put(
            "/api/v1/event-type/user.signup", json={"description": "A user signed up"}
        )
        assert (replaced.status_code, replaced.json()["description"]) == (200, "A user signed up")

        # Delete archives; archived ones are listed only when asked for.
        assert (await client.delete("/api/v1/event-type/user.signup")).status_code == 204
        assert (await client.get("/api/v1/event-type/user.signup")).json()["archived"] is True
        names = [e["name"] for e in (await client.get("/api/v1/event-type")).json()["data"]]
        assert "user.signup" not in names
        everything = await client.get("/api/v1/event-type", params={"include_archived": "true"})
        assert "user.signup" in [e["name"] for e in everything.json()["data"]]
        expunged = await client.delete("/api/v1/event-type/invoice.paid?expunge=true")
        assert expunged.status_code == 422
        assert expunged.json()["detail"][0]["loc"] == ["query", "expunge"]

        # Two schema versions: Hookline keeps one.
        two = await client.post(
            "/api/v1/event-type",
            json={"name": "a.b", "description": "", "schemas": {"1": SCHEMA, "2": SCHEMA}},
        )
        assert two.status_code == 422
        # Svix allows names Hookline's pattern does not: a leading '_', or over 100.
        for name in ("_internal", "x" * 101):
            odd = await client.post("/api/v1/event-type", json={"name": name, "description": ""})
            assert odd.status_code == 422, name
            assert odd.json()["detail"][0]["loc"] == ["body", "name"]
        assert (await client.get("/api/v1/event-type/nope")).status_code == 404
