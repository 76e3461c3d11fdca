"""Runtime keys publish and read; every other mutation in /openapi.json answers 403."""

from __future__ import annotations

import re

ALLOWED_MUTATIONS = {("POST", "/v1/tenants/{tenant}/messages")}


async def test_runtime_keys_get_403_on_every_mutation(hookline, receivers):
    rx = await receivers()
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant(uid="acme")
    ep = await hookline.endpoint(tenant["id"], rx.url, ["invoice.paid"])
    msg = await hookline.publish(tenant["id"], "invoice.paid", {})
    final = await hookline.wait_final(tenant["id"], msg["id"])
    delivery = final["delivery_statuses"][0]["id"]
    admin_key = (await hookline.call("GET", "/v1/api-keys", 200))["data"][0]["id"]
    created = await hookline.call(
        "POST",
        "/v1/api-keys",
        201,
        json={"name": "rt", "role": "runtime", "tenant_id": tenant["id"]},
    )
    values = {
        "tenant": tenant["id"],
        "endpoint": ep["id"],
        "uid": "crm",
        "message": msg["id"],
        "delivery": delivery,
        "name": "invoice.paid",
        "key": admin_key,
    }
    spec = (await hookline.client.get("/openapi.json")).json()
    before = await hookline.call("GET", f"/v1/tenants/{tenant['id']}/endpoints/{ep['id']}", 200)

    runtime = hookline.as_key(created["key"])
    checked = []
    async with runtime:
        for path, ops in spec["paths"].items():
            for method in ops:
                method = method.upper()
                if method not in {"POST", "PUT", "PATCH", "DELETE"}:
                    continue
                if (method, path) in ALLOWED_MUTATIONS:
                    continue
                url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
                resp = await runtime.request(method, url, json={})
                assert resp.status_code == 403, (method, path, resp.status_code, resp.text)
                assert resp.headers["content-type"] == "application/problem+json"
                checked.append((method, path))
        after = await hookline.call("GET", f"/v1/tenants/{tenant['id']}/endpoints/{ep['id']}", 200)
        assert after == before  # nothing changed
        # ...and it may still publish and read.
        ok = await runtime.post(
            f"/v1/tenants/{tenant['id']}/messages",
            json={"event_type": "invoice.paid", "payload": {}},
        )
        assert ok.status_code == 202
        assert (await runtime.get(f"/v1/tenants/{tenant['id']}/endpoints")).status_code == 200
    assert len(checked) >= 15
