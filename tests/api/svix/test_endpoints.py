"""Svix endpoints on Hookline's: both of Svix's vocabularies, `filterTypes: null` is
every event type, `disabled`, uids, upsert and patch, the secret, the headers, stats and
send-example."""

from __future__ import annotations

from api.svix.conftest import eventually


async def _app(hookline, client) -> str:
    await hookline.event_type("invoice.paid")
    await hookline.event_type(
        "user.signup",
        schema={"type": "object", "examples": [{"user": "ada"}, {"user": "grace"}]},
    )
    made = await client.post("/api/v1/app", json={"name": "Acme", "uid": "acme"})
    return str(made.json()["id"])


async def test_both_vocabularies_and_what_null_means(hookline, svix_http, receivers):
    rx = await receivers()
    async with svix_http() as client:
        tid = await _app(hookline, client)
        old = await client.post(  # Svix SDKs before 2.0
            "/api/v1/app/acme/endpoint",
            json={"url": rx.url, "filterTypes": ["invoice.paid"], "rateLimit": 7, "version": 1},
        )
        new = await client.post(  # 2.0 on
            "/api/v1/app/acme/endpoint",
            json={"url": rx.url, "eventTypes": ["user.signup"], "throttleRate": 9, "uid": "new"},
        )
        every = await client.post("/api/v1/app/acme/endpoint", json={"url": rx.url})
        for resp in (old, new, every):
            assert resp.status_code == 201, resp.text
        old, new, every = old.json(), new.json(), every.json()
        assert (old["filterTypes"], old["eventTypes"], old["rateLimit"], old["throttleRate"]) == (
            ["invoice.paid"],
            ["invoice.paid"],
            7,
            7,
        )
        assert (new["eventTypes"], new["throttleRate"], new["version"]) == (["user.signup"], 9, 1)
        assert (every["eventTypes"], every["filterTypes"], every["channels"]) == (None, None, None)
        natively = {
            e["id"]: (e["events"], e["rate_limit"])
            for e in (await hookline.call("GET", f"/v1/tenants/{tid}/endpoints", 200))["data"]
        }
        assert natively == {
            old["id"]: (["invoice.paid"], 7),
            new["id"]: (["user.signup"], 9),
            every["id"]: (["*"], None),  # null: every event type
        }
        # An empty list is null too, and an unknown type is refused in Svix's names.
        empty = await client.patch(
            f"/api/v1/app/acme/endpoint/{old['id']}", json={"eventTypes": []}
        )
        assert empty.json()["eventTypes"] is None
        unknown = await client.post(
            "/api/v1/app/acme/endpoint", json={"url": rx.url, "eventTypes": ["nope"]}
        )
        assert unknown.status_code == 422
        assert unknown.json()["detail"][0]["loc"] == ["body", "eventTypes", "0"]


async def test_disabled_uids_upsert_patch_and_delete(hookline, svix_http, receivers):
    rx = await receivers()
    async with svix_http() as client:
        tid = await _app(hookline, client)
        ep = (
            await client.post(
                "/api/v1/app/acme/endpoint",
                json={"url": rx.url, "uid": "crm", "disabled": True, "description": "CRM"},
            )
        ).json()
        assert ep["disabled"] is True
        native = await hookline.call("GET", f"/v1/tenants/{tid}/endpoints/crm", 200)
        assert native["enabled"] is False
        # A disabled endpoint receives nothing; the message is kept as failed (2).
        msg = (
            await client.post(
                "/api/v1/app/acme/msg", json={"eventType": "invoice.paid", "payload": {}}
            )
        ).json()
        page = (await client.get("/api/v1/app/acme/endpoint/crm/msg")).json()
        assert [(m["id"], m["status"], m["statusText"]) for m in page["data"]] == [
            (msg["id"], 2, "fail")
        ]

        enabled = await client.patch("/api/v1/app/acme/endpoint/crm", json={"disabled": False})
        assert (enabled.status_code, enabled.json()["disabled"]) == (200, False)
        assert enabled.json()["description"] == "CRM"  # what was not sent stays
        refused = await client.patch("/api/v1/app/acme/endpoint/crm", json={"url": None})
        assert refused.status_code == 422

        # PUT by uid replaces what Svix's replacement names, keeping headers and secret.
        await client.put("/api/v1/app/acme/endpoint/crm/headers", json={"headers": {"X-Team": "a"}})
        secret = (await client.get("/api/v1/app/acme/endpoint/crm/secret")).json()["key"]
        replaced = await client.put(
            "/api/v1/app/acme/endpoint/crm",
            json={"url": rx.url + "/v2", "eventTypes": ["user.signup"], "channels": ["eu"]},
        )
        assert replaced.status_code == 200, replaced.text
        body = replaced.json()
        assert (body["id"], body["uid"], body["url"], body["description"]) == (
            ep["id"],
            "crm",
            rx.url + "/v2",
            "",
        )
        assert (body["eventTypes"], body["channels"]) == (["user.signup"], ["eu"])
        headers = (await client.get("/api/v1/app/acme/endpoint/crm/headers")).json()
        assert headers == {"headers": {"X-Team": "a"}, "sensitive": []}
        assert (await client.get("/api/v1/app/acme/endpoint/crm/secret")).json()["key"] == secret
        created = await client.put(
            "/api/v1/app/acme/endpoint/billing", json={"url": rx.url, "uid": "billing"}
        )
        assert (created.status_code, created.json()["uid"]) == (201, "billing")

        # A new secret by PATCH replaces the old one at once (Svix has no grace there).
        mine = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3OA=="
        await client.patch("/api/v1/app/acme/endpoint/billing", json={"secret": mine[6:]})
        assert (await client.get("/api/v1/app/acme/endpoint/billing/secret")).json()["key"] == mine

        assert (await client.delete("/api/v1/app/acme/endpoint/billing")).status_code == 204
        assert (await client.get("/api/v1/app/acme/endpoint/billing")).status_code == 404
        listed = (await client.get("/api/v1/app/acme/endpoint")).json()
        assert [e["uid"] for e in listed["data"]] == ["crm"]


async def test_headers_secret_and_rotation(hookline, svix_http, receivers):
    rx = await receivers()
    async with svix_http() as client:
        await _app(hookline, client)
        given = "whsec_" + "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI="
        ep = (
            await client.post(
                "/api/v1/app/acme/endpoint",
                json={"url": rx.url, "secret": given, "headers": {"X-One": "1", "X-Two": "2"}},
            )
        ).json()
        base = f"/api/v1/app/acme/endpoint/{ep['id']}"
        assert (await client.get(f"{base}/secret")).json() == {"key": given}
        patched = await client.patch(
            f"{base}/headers",
            json={"headers": {"x-one": "uno", "X-Three": "3"}, "deleteHeaders": ["X-TWO"]},
        )
        assert patched.status_code == 204
        assert (await client.get(f"{base}/headers")).json()["headers"] == {
            "x-one": "uno",
            "X-Three": "3",
        }
        reserved = await client.put(f"{base}/headers", json={"headers": {"Webhook-Id": "x"}})
        assert reserved.status_code == 422
        assert reserved.json()["detail"][0]["loc"] == ["body", "headers", "Webhook-Id"]

        rotated = await client.post(f"{base}/secret/rotate", json={"gracePeriodSeconds": 0})
        assert rotated.status_code == 200
        new = rotated.json()["key"]
        assert new != given
        assert (await client.get(f"{base}/secret")).json()["key"] == new
        await client.post("/api/v1/app/acme/msg", json={"eventType": "invoice.paid", "payload": {}})
        (got,) = await rx.wait_for(1)
        # No grace: one signature, the new secret's.
        assert len(got.headers["webhook-signature"].split()) == 1
        chosen = "whsec_" + "OTg3NjU0MzIxMDk4NzY1NDMyMTA5ODc2NTQzMjEwOTg="
        assert (await client.post(f"{base}/secret/rotate", json={"key": chosen})).json() == {
            "key": chosen
        }
        bad = await client.post(f"{base}/secret/rotate", json={"key": "whsec_tooshort"})
        assert bad.status_code == 422


async def test_stats_and_send_example(hookline, svix_http, receivers):
    ok = await receivers()
    async with svix_http() as client:
        await _app(hookline, client)
        ep = (await client.post("/api/v1/app/acme/endpoint", json={"url": ok.url})).json()
        base = f"/api/v1/app/acme/endpoint/{ep['id']}"
        example = await client.post(
            f"{base}/send-example", json={"eventType": "user.signup", "exampleIndex": 1}
        )
        assert example.status_code == 202, example.text
        assert example.json()["payload"] == {"user": "grace"}
        (got,) = await ok.wait_for(1)
        assert b'"user":"grace"' in got.body
        plain = await client.post(f"{base}/send-example", json={"eventType": "invoice.paid"})
        assert "test event" in plain.json()["payload"]["message"]  # no example: the test one

        async def counted():
            stats = (await client.get(f"{base}/stats")).json()
            return stats if stats["success"] == 2 else None

        stats = await eventually(counted)
        assert stats == {"success": 2, "pending": 0, "sending": 0, "fail": 0, "canceled": 0}
        later = (await client.get(f"{base}/stats", params={"since": "2999-01-01T00:00:00Z"})).json()
        assert later["success"] == 0
