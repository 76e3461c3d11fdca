"""Keys and roles (DESIGN §5): who may do what, and in which tenant."""

from __future__ import annotations

import httpx

from hookline.domain import api_keys
from hookline.domain.models import Role

HOOK = "https://hooks.acme.example/in"


async def make_key(hookline, role: str, tenant_id: str | None = None) -> dict:
    body = {"name": f"{role} key", "role": role}
    if tenant_id is not None:
        body["tenant_id"] = tenant_id
    key: dict = await hookline.call("POST", "/v1/api-keys", 201, json=body)
    return key


async def test_keys_are_shown_once_with_a_role_prefix(hookline, problem):
    tenant = await hookline.tenant(uid="acme")
    made = {}
    for role, prefix in (("admin", "hl_admin_"), ("ci", "hl_ci_"), ("runtime", "hl_rt_")):
        key = await make_key(hookline, role)
        assert key["key"].startswith(prefix)
        assert key["id"].startswith("key_")
        assert key["role"] == role
        assert key["tenant_id"] is None
        assert key["prefix"].startswith(prefix)
        assert key["key"] not in key["prefix"]
        made[role] = key
    bound = await make_key(hookline, "ci", "acme")  # a uid names the tenant too
    assert bound["tenant_id"] == tenant["id"]

    listed = await hookline.call("GET", "/v1/api-keys", 200)
    by_id = {k["id"]: k for k in listed["data"]}
    for key in [*made.values(), bound]:
        shown = by_id[key["id"]]
        assert "key" not in shown
        assert shown["prefix"] == key["prefix"]
        assert key["key"] not in str(listed)

    # Every new key works.
    for key in [*made.values(), bound]:
        async with hookline.as_key(key["key"]) as c:
            assert (await c.get("/v1/tenants/acme")).status_code == 200

    problem(await hookline.client.post("/v1/api-keys", json={"name": "x", "role": "root"}), 422)
    problem(
        await hookline.client.post(
            "/v1/api-keys", json={"name": "x", "role": "ci", "tenant_id": "nobody"}
        ),
        404,
    )


async def test_runtime_key_publishes_and_reads_but_never_mutates_endpoints(hookline, problem):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    tid = tenant["id"]
    ep = await hookline.endpoint(tid, HOOK, ["invoice.paid"], enabled=False)
    key = await make_key(hookline, "runtime")
    base = f"/v1/tenants/{tid}/endpoints"

    async with hookline.as_key(key["key"]) as rt:
        problem(await rt.post(base, json={"url": HOOK, "events": ["invoice.paid"]}), 403)
        problem(await rt.patch(f"{base}/{ep['id']}", json={"description": "x"}), 403)
        problem(await rt.put(f"{base}/crm", json={"url": HOOK, "events": ["*"]}), 403)
        problem(await rt.delete(f"{base}/{ep['id']}"), 403)
        problem(await rt.post(f"{base}/{ep['id']}/rotate-secret"), 403)
        problem(await rt.post(f"{base}/{ep['id']}/test"), 403)
        problem(await rt.post("/v1/tenants", json={"name": "x"}), 403)
        problem(await rt.post("/v1/event-types", json={"name": "x"}), 403)
        problem(await rt.get("/v1/api-keys"), 403)

        resp = await rt.post(
            f"/v1/tenants/{tid}/messages", json={"event_type": "invoice.paid", "payload": {}}
        )
        assert resp.status_code == 202, resp.text
        msg = resp.json()
        assert (await rt.get(f"/v1/tenants/{tid}/messages/{msg['id']}")).status_code == 200
        assert (await rt.get(f"/v1/tenants/{tid}/messages")).status_code == 200
        assert (await rt.get(base)).status_code == 200
        assert (await rt.get(f"{base}/{ep['id']}")).status_code == 200
        assert (await rt.get(f"{base}/{ep['id']}/deliveries")).status_code == 200
        assert (await rt.get("/v1/event-types")).status_code == 200
        delivery = (await rt.get(f"/v1/tenants/{tid}/messages/{msg['id']}")).json()
        dlv = delivery["delivery_statuses"][0]["id"]
        problem(await rt.post(f"/v1/tenants/{tid}/deliveries/{dlv}/retry"), 403)

    # Nothing was changed by the refused calls.
    got = await hookline.call("GET", f"{base}/{ep['id']}", 200)
    assert got["description"] == ep["description"]
    assert len((await hookline.call("GET", base, 200))["data"]) == 1


async def test_ci_key_manages_endpoints_but_not_tenants_event_types_or_keys(hookline, problem):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    tid = tenant["id"]
    key = await make_key(hookline, "ci")
    base = f"/v1/tenants/{tid}/endpoints"

    async with hookline.as_key(key["key"]) as ci:
        resp = await ci.post(base, json={"url": HOOK, "events": ["invoice.paid"]})
        assert resp.status_code == 201, resp.text
        ep = resp.json()
        assert (await ci.patch(f"{base}/{ep['id']}", json={"timeout": 9})).status_code == 200
        assert (await ci.post(f"{base}/{ep['id']}/rotate-secret")).status_code == 200
        assert (await ci.delete(f"{base}/{ep['id']}")).status_code == 204
        resp = await ci.post(
            f"/v1/tenants/{tid}/messages", json={"event_type": "invoice.paid", "payload": {}}
        )
        assert resp.status_code == 202

        problem(await ci.post("/v1/tenants", json={"name": "x"}), 403)
        problem(await ci.patch(f"/v1/tenants/{tid}", json={"name": "x"}), 403)
        problem(await ci.delete(f"/v1/tenants/{tid}"), 403)
        problem(await ci.post("/v1/event-types", json={"name": "x"}), 403)
        problem(await ci.patch("/v1/event-types/invoice.paid", json={"description": "x"}), 403)
        problem(await ci.delete("/v1/event-types/invoice.paid"), 403)
        problem(await ci.post("/v1/api-keys", json={"name": "x", "role": "admin"}), 403)
        problem(await ci.get("/v1/api-keys"), 403)
        problem(await ci.delete(f"/v1/api-keys/{key['id']}"), 403)

    assert (await hookline.call("GET", f"/v1/tenants/{tid}", 200))["name"] == tenant["name"]
    assert not (await hookline.call("GET", "/v1/event-types/invoice.paid", 200))["archived"]


async def test_missing_unknown_malformed_and_revoked_keys_are_401(hookline, problem):
    async with hookline.as_key(None) as none:
        body = problem(await none.get("/v1/tenants"), 401)
        assert (await none.get("/v1/tenants")).headers["www-authenticate"].startswith("Bearer")
        problem(await none.post("/v1/tenants", json={"name": "x"}), 401)
    async with hookline.as_key("not-a-key-at-all") as unknown:
        problem(await unknown.get("/v1/tenants"), 401)
    # Well-formed (prefix, length, checksum) but never issued.
    async with hookline.as_key(api_keys.generate(Role.ADMIN)) as unknown:
        body = problem(await unknown.get("/v1/tenants"), 401)
        assert "unknown" in body["detail"].lower()

    key = await make_key(hookline, "admin")
    secret = key["key"]
    # Another key, revoked before it was ever used.
    unused = await make_key(hookline, "runtime")
    await hookline.call("DELETE", f"/v1/api-keys/{unused['id']}", 204)
    # A typo: the checksum no longer matches.
    last = secret[-1]
    typo = secret[:-1] + ("A" if last != "A" else "B")
    async with hookline.as_key(typo) as c:
        body = problem(await c.get("/v1/tenants"), 401)
        assert "malformed" in body["detail"].lower() or "checksum" in body["detail"].lower()

    async with hookline.as_key(secret) as c:
        assert (await c.get("/v1/tenants")).status_code == 200
        await hookline.call("DELETE", f"/v1/api-keys/{key['id']}", 204)
        problem(await c.get("/v1/tenants"), 401)  # its very next request
        problem(await c.post("/v1/tenants", json={"name": "x"}), 401)
    async with hookline.as_key(unused["key"]) as c:
        problem(await c.get("/v1/tenants"), 401)

    # Revoked keys are hidden from the list unless asked for.
    listed = await hookline.call("GET", "/v1/api-keys", 200)
    assert key["id"] not in [k["id"] for k in listed["data"]]
    listed = await hookline.call("GET", "/v1/api-keys?include_revoked=true", 200)
    revoked = {k["id"]: k for k in listed["data"]}
    assert revoked[key["id"]]["revoked_at"] is not None
    problem(await hookline.client.delete("/v1/api-keys/key_nope"), 404)
    # The bootstrap key still works: nothing above broke it.
    assert (await hookline.client.get("/v1/tenants")).status_code == 200


async def test_x_api_key_header_works_as_well_as_bearer(hookline):
    tenant = await hookline.tenant(uid="acme")
    key = await make_key(hookline, "runtime")
    async with httpx.AsyncClient(base_url=hookline.url, headers={"X-API-Key": key["key"]}) as c:
        resp = await c.get("/v1/tenants/acme")
        assert resp.status_code == 200
        assert resp.json()["id"] == tenant["id"]
    async with httpx.AsyncClient(
        base_url=hookline.url, headers={"Authorization": f"bearer {key['key']}"}
    ) as c:
        assert (await c.get("/v1/tenants/acme")).status_code == 200


async def test_a_tenant_bound_key_sees_only_its_tenant(hookline, problem):
    await hookline.event_type("invoice.paid")
    a = await hookline.tenant("A", uid="tenant-a")
    b = await hookline.tenant("B", uid="tenant-b")
    ep_b = await hookline.endpoint(b["id"], HOOK, ["invoice.paid"])
    msg_b = await hookline.publish(b["id"], "invoice.paid", {})
    key = await make_key(hookline, "ci", a["id"])

    async with hookline.as_key(key["key"]) as c:
        listed = (await c.get("/v1/tenants")).json()
        assert [t["id"] for t in listed["data"]] == [a["id"]]
        assert (await c.get("/v1/tenants/tenant-a")).status_code == 200
        assert (await c.get(f"/v1/tenants/{a['id']}/endpoints")).status_code == 200
        resp = await c.post(
            "/v1/tenants/tenant-a/endpoints", json={"url": HOOK, "events": ["invoice.paid"]}
        )
        assert resp.status_code == 201

        for ref in (b["id"], "tenant-b"):
            problem(await c.get(f"/v1/tenants/{ref}"), 403)
            problem(await c.get(f"/v1/tenants/{ref}/endpoints"), 403)
            problem(await c.get(f"/v1/tenants/{ref}/endpoints/{ep_b['id']}"), 403)
            problem(await c.get(f"/v1/tenants/{ref}/messages/{msg_b['id']}"), 403)
            problem(
                await c.post(
                    f"/v1/tenants/{ref}/endpoints",
                    json={"url": HOOK, "events": ["invoice.paid"]},
                ),
                403,
            )
            problem(
                await c.post(
                    f"/v1/tenants/{ref}/messages",
                    json={"event_type": "invoice.paid", "payload": {}},
                ),
                403,
            )
        # A tenant that does not exist answers the same: nothing is revealed.
        problem(await c.get("/v1/tenants/no-such-tenant"), 403)
        # B's objects requested under A's path are simply not there.
        problem(await c.get(f"/v1/tenants/{a['id']}/endpoints/{ep_b['id']}"), 404)
        problem(await c.get(f"/v1/tenants/{a['id']}/messages/{msg_b['id']}"), 404)

    # B is untouched.
    assert len((await hookline.call("GET", f"/v1/tenants/{b['id']}/endpoints", 200))["data"]) == 1
    assert (await hookline.message(b["id"], msg_b["id"]))["id"] == msg_b["id"]


async def test_objects_of_another_tenant_answer_404(hookline, problem):
    await hookline.event_type("invoice.paid")
    a = await hookline.tenant("A")
    b = await hookline.tenant("B")
    ep_b = await hookline.endpoint(b["id"], HOOK, ["invoice.paid"], uid="shared-uid", enabled=False)
    await hookline.endpoint(a["id"], HOOK, ["invoice.paid"])
    msg_b = await hookline.publish(b["id"], "invoice.paid", {})
    dlv_b = (await hookline.message(b["id"], msg_b["id"]))["delivery_statuses"][0]["id"]
    c = hookline.client
    under_a = f"/v1/tenants/{a['id']}"

    for method, path in (
        ("GET", f"{under_a}/endpoints/{ep_b['id']}"),
        ("GET", f"{under_a}/endpoints/shared-uid"),
        ("PATCH", f"{under_a}/endpoints/{ep_b['id']}"),
        ("DELETE", f"{under_a}/endpoints/{ep_b['id']}"),
        ("POST", f"{under_a}/endpoints/{ep_b['id']}/rotate-secret"),
        ("POST", f"{under_a}/endpoints/{ep_b['id']}/test"),
        ("GET", f"{under_a}/endpoints/{ep_b['id']}/deliveries"),
        ("GET", f"{under_a}/messages/{msg_b['id']}"),
        ("GET", f"{under_a}/deliveries/{dlv_b}"),
        ("GET", f"{under_a}/deliveries/{dlv_b}/attempts"),
        ("POST", f"{under_a}/deliveries/{dlv_b}/retry"),
    ):
        kw = {"json": {"description": "x"}} if method == "PATCH" else {}
        problem(await c.request(method, path, **kw), 404)

    # Still there, unchanged, under its own tenant.
    got = await hookline.call("GET", f"/v1/tenants/{b['id']}/endpoints/{ep_b['id']}", 200)
    assert got["description"] == ""
    status = (await hookline.message(b["id"], msg_b["id"]))["delivery_statuses"][0]
    assert status["status"] == "failed"
