"""Svix applications are Hookline tenants: create, get-or-create, list, get (id or uid),
upsert, patch, delete; what Svix has and Hookline does not is refused, not dropped."""

from __future__ import annotations

from api.svix.conftest import key_for


async def test_applications_are_tenants(hookline, svix_http):
    async with svix_http() as client:
        made = await client.post(
            "/api/v1/app", json={"name": "Acme", "uid": "acme", "metadata": {"plan": "pro"}}
        )
        assert made.status_code == 201, made.text
        app = made.json()
        assert app["id"].startswith("ten_")
        assert (app["name"], app["uid"], app["metadata"]) == ("Acme", "acme", {"plan": "pro"})
        assert {"createdAt", "updatedAt", "throttleRate"} <= set(app)
        native = await hookline.call("GET", "/v1/tenants/acme", 200)
        assert (native["id"], native["metadata"]) == (app["id"], {"plan": "pro"})

        # get_if_exists: the same one (200), or a new one (201).
        again = await client.post(
            "/api/v1/app?get_if_exists=true", json={"name": "x", "uid": "acme"}
        )
        assert (again.status_code, again.json()["id"]) == (200, app["id"])
        new = await client.post("/api/v1/app?get_if_exists=true", json={"name": "B", "uid": "b"})
        assert new.status_code == 201
        taken = await client.post("/api/v1/app", json={"name": "Acme 2", "uid": "acme"})
        assert (taken.status_code, taken.json()["code"]) == (409, "conflict")

        for ref in (app["id"], "acme"):
            assert (await client.get(f"/api/v1/app/{ref}")).json()["id"] == app["id"]

        # PUT replaces (200), or creates with the body's uid (201).
        put = await client.put("/api/v1/app/acme", json={"name": "Acme Inc.", "uid": "acme"})
        assert (put.status_code, put.json()["name"], put.json()["metadata"]) == (
            200,
            "Acme Inc.",
            {},
        )
        created = await client.put("/api/v1/app/globex", json={"name": "Globex", "uid": "globex"})
        assert (created.status_code, created.json()["uid"]) == (201, "globex")

        patched = await client.patch(f"/api/v1/app/{app['id']}", json={"metadata": {"a": "1"}})
        assert (patched.json()["name"], patched.json()["metadata"]) == ("Acme Inc.", {"a": "1"})
        unset = await client.patch("/api/v1/app/acme", json={"uid": None})
        assert unset.json()["uid"] is None

        # Hookline has no per-tenant rate: refused, not silently dropped.
        for body in ({"name": "R", "throttleRate": 5}, {"name": "R", "rateLimit": 5}):
            refused = await client.post("/api/v1/app", json=body)
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"][0]["loc"] == ["body", "throttleRate"]

        # A filter Hookline cannot apply is refused rather than ignored.
        filtered = await client.get(
            "/api/v1/app", params={"exclude_apps_with_no_endpoints": "true"}
        )
        assert filtered.status_code == 422
        assert filtered.json()["detail"][0]["loc"] == ["query", "exclude_apps_with_no_endpoints"]
        assert (await client.delete("/api/v1/app/globex")).status_code == 204
        assert (await client.get("/api/v1/app/globex")).status_code == 404
        assert (await hookline.client.get("/v1/tenants/globex")).status_code == 404


async def test_native_metadata_of_any_json_reads_as_strings(hookline, svix_http):
    await hookline.tenant("Acme", uid="acme", metadata={"seats": 5, "tags": ["a"], "plan": "pro"})
    async with svix_http() as client:
        app = (await client.get("/api/v1/app/acme")).json()
    assert app["metadata"] == {"seats": "5", "tags": '["a"]', "plan": "pro"}


async def test_a_tenant_bound_key_lists_and_finds_its_own(hookline, svix_http):
    a = await hookline.tenant("A", uid="a")
    await hookline.tenant("B", uid="b")
    key = await key_for(hookline, "ci", a["id"])
    async with svix_http(key) as client:
        listed = (await client.get("/api/v1/app")).json()
        assert [x["uid"] for x in listed["data"]] == ["a"]
        found = await client.post("/api/v1/app?get_if_exists=true", json={"name": "A", "uid": "a"})
        assert (found.status_code, found.json()["id"]) == (200, a["id"])
        for path in ("/api/v1/app/b", "/api/v1/app/nobody"):
            resp = await client.get(path)
            assert (resp.status_code, resp.json()["code"]) == (404, "not_found")
        # Making applications is for an operator's admin key.
        made = await client.post("/api/v1/app", json={"name": "C"})
        assert made.status_code == 403
