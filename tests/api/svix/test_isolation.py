"""Tenant isolation through the Svix door: with tenant A's keys, every application-scoped
Svix route answers B's application, and B's objects under A's own application, exactly
as it answers ids that name nothing (404 in Svix's shape; a role refused outright may
answer 403 first), nothing of B shows, and nothing of B changes.

Routes are read from the Svix routers themselves, so a route added later is walked too.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute

from api.svix.conftest import eventually, key_for
from hookline.api.svix.router import ROUTERS

BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/api/v1/app/{app_id}"): {"name": "renamed by A"},
    ("PATCH", "/api/v1/app/{app_id}"): {"name": "renamed by A"},
    ("POST", "/api/v1/app/{app_id}/endpoint"): {"url": "https://hooks.a.example/in"},
    ("PUT", "/api/v1/app/{app_id}/endpoint/{endpoint_id}"): {"url": "https://a.example/in"},
    ("PATCH", "/api/v1/app/{app_id}/endpoint/{endpoint_id}"): {"description": "by A"},
    ("POST", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate"): {},
    ("PUT", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers"): {"headers": {"X-A": "1"}},
    ("PATCH", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers"): {"headers": {"X-A": "1"}},
    ("POST", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover"): {
        "since": "2020-01-01T00:00:00Z"
    },
    ("POST", "/api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example"): {
        "eventType": "invoice.paid"
    },
    ("POST", "/api/v1/app/{app_id}/msg"): {"eventType": "invoice.paid", "payload": {}},
    ("POST", "/api/v1/auth/app-portal-access/{app_id}"): {},
}
NONE = {
    "app_id": "ten_" + "0" * 26,
    "endpoint_id": "ep_" + "0" * 26,
    "msg_id": "msg_" + "0" * 26,
    "attempt_id": "att_" + "0" * 26,
}


def _routes() -> list[tuple[str, str]]:
    found = []
    for module in ROUTERS:
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            if "{app_id}" in route.path:
                found += [(method, route.path) for method in sorted(route.methods)]
    return found


async def _tenant_b(hookline, receivers) -> tuple[dict[str, str], list[str]]:
    b = await hookline.tenant("Tenant B", uid="tenant-b", metadata={"secret": "b-marker"})
    rx = await receivers()
    ep = await hookline.endpoint(b["id"], rx.url, ["invoice.paid"], uid="b-endpoint")
    msg = await hookline.publish(b["id"], "invoice.paid", {"b": "b-payload-marker"})
    final = await hookline.wait_final(b["id"], msg["id"])
    (delivery,) = final["delivery_statuses"]
    (attempt,) = await hookline.attempts(b["id"], delivery["id"])
    ids = {
        "app_id": b["id"],
        "endpoint_id": ep["id"],
        "msg_id": msg["id"],
        "attempt_id": attempt["id"],
    }
    return ids, ["b-marker", "b-payload-marker", rx.url]


async def _b_state(hookline, ids: dict[str, str]) -> list[Any]:
    b = ids["app_id"]
    return [
        await hookline.call("GET", f"/v1/tenants/{b}", 200),
        await hookline.call("GET", f"/v1/tenants/{b}/endpoints", 200),
        await hookline.call("GET", f"/v1/tenants/{b}/messages", 200),
    ]


async def test_tenant_a_keys_cannot_reach_tenant_b_through_the_svix_door(hookline, receivers):
    await hookline.event_type("invoice.paid")
    a = await hookline.tenant("Tenant A", uid="tenant-a")
    ids, markers = await _tenant_b(hookline, receivers)
    before = await _b_state(hookline, ids)
    routes = _routes()
    assert len(routes) > 25

    wrong = []
    for role in ("admin", "ci", "runtime"):
        key = await key_for(hookline, role, a["id"])
        async with hookline.as_key(key) as client:
            calls = []
            for method, template in routes:
                body = BODIES.get((method, template))
                calls.append((method, template.format(**ids), template.format(**NONE), body))
                if re.findall(r"{(\w+)}", template) != ["app_id"]:  # B's objects in A's app
                    mine = {"app_id": a["id"]}
                    calls.append(
                        (
                            method,
                            template.format(**{**ids, **mine}),
                            template.format(**{**NONE, **mine}),
                            body,
                        )
                    )
            calls.sort(key=lambda c: c[0] == "DELETE")  # a wrongful delete hides nothing
            for method, path, made_up, body in calls:
                kwargs = {"json": body} if body is not None else {}
                resp = await client.request(method, path, **kwargs)
                absent = await client.request(method, made_up, **kwargs)
                leaked = [m for m in markers if m in resp.text]
                # 403 only when refused before any look-up (the made-up ids get it too):
                # a role, or an operator-wide action. An upsert in A's own application
                # creates A's endpoint, whatever id it was given.
                allowed = {403, 404}
                if method == "PUT" and path.startswith(f"/api/v1/app/{a['id']}/endpoint/"):
                    allowed.add(201)
                # Svix answers another organisation's application as one that is not
                # there: a 404, never Hookline's native 403 "bound to another tenant".
                foreign = "another tenant" in resp.text or (
                    method == "GET" and role == "admin" and resp.status_code != 404
                )
                if (
                    foreign
                    or resp.status_code not in allowed
                    or (resp.status_code, resp.json().get("code"))
                    != (absent.status_code, absent.json().get("code"))
                    or leaked
                    or not resp.headers["content-type"].startswith("application/json")
                ):
                    wrong.append(
                        f"[{role}] {method} {path}: {resp.status_code} {resp.text[:160]} "
                        f"(made-up ids: {absent.status_code} {absent.text[:120]}) leaked={leaked}"
                    )
            listed = await client.get("/api/v1/app")
            if [x["id"] for x in listed.json()["data"]] != [a["id"]]:
                wrong.append(f"[{role}] GET /api/v1/app: {listed.text[:200]}")
    assert not wrong, "\n".join(wrong)
    assert await _b_state(hookline, ids) == before


async def test_roles_hold_through_the_svix_door(hookline, receivers, svix_http):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant("Acme", uid="acme")
    rx = await receivers()
    ep = await hookline.endpoint(tenant["id"], rx.url, ["*"])
    runtime = await key_for(hookline, "runtime")
    async with svix_http(runtime) as client:
        # A runtime key publishes and reads, but never changes an endpoint.
        published = await client.post(
            "/api/v1/app/acme/msg", json={"eventType": "invoice.paid", "payload": {}}
        )
        assert published.status_code == 202, published.text
        assert (await client.get(f"/api/v1/app/acme/endpoint/{ep['id']}")).status_code == 200
        for method, path, body in [
            ("POST", "/api/v1/app/acme/endpoint", {"url": rx.url}),
            ("PATCH", f"/api/v1/app/acme/endpoint/{ep['id']}", {"disabled": True}),
            ("DELETE", f"/api/v1/app/acme/endpoint/{ep['id']}", None),
            ("GET", f"/api/v1/app/acme/endpoint/{ep['id']}/secret", None),
            ("PUT", f"/api/v1/app/acme/endpoint/{ep['id']}/headers", {"headers": {}}),
            ("POST", "/api/v1/app", {"name": "Mine"}),
            ("POST", "/api/v1/event-type", {"name": "x.y", "description": ""}),
        ]:
            resp = await client.request(method, path, json=body)
            assert resp.status_code == 403, (method, path, resp.text)
            assert resp.json()["code"] == "insufficient access"
            assert resp.json()["detail"].startswith("A runtime key may not")
    after = await hookline.call("GET", f"/v1/tenants/{tenant['id']}/endpoints/{ep['id']}", 200)
    assert after["enabled"] is True
    await eventually(lambda: _delivered(rx))


async def _delivered(rx) -> bool:
    return bool(rx.requests)
