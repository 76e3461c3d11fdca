"""Tenant isolation (DESIGN §4, §5): with tenant A's keys, every tenant-scoped route of
`/openapi.json` refuses tenant B's objects (403 for B's tenant, 404 for B's objects under
A's own tenant), nothing of B shows in any answer, and nothing of B changes.

Routes are read from the live OpenAPI document, so a route added later is walked too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/tenants/{tenant}/endpoints"): {
        "url": "https://hooks.a.example/in",
        "events": ["invoice.paid"],
    },
    ("PUT", "/v1/tenants/{tenant}/endpoints/{uid}"): {
        "url": "https://hooks.a.example/in",
        "events": ["invoice.paid"],
    },
    ("PATCH", "/v1/tenants/{tenant}/endpoints/{endpoint}"): {"description": "changed by A"},
    ("POST", "/v1/tenants/{tenant}/endpoints/{endpoint}/test"): {},
    ("POST", "/v1/tenants/{tenant}/endpoints/{endpoint}/rotate-secret"): {},
    ("POST", "/v1/tenants/{tenant}/endpoints/{endpoint}/recover"): {
        "since": "2020-01-01T00:00:00Z"
    },
    ("POST", "/v1/tenants/{tenant}/messages"): {"event_type": "invoice.paid", "payload": {}},
    ("PATCH", "/v1/tenants/{tenant}"): {"name": "renamed by A"},
    ("POST", "/v1/tenants/{tenant}/portal-links"): {},
}


UNKNOWN_BODY: dict[str, Any] = {}  # for a route BODIES does not know yet
NONE = {  # ids of the right shape that name nothing
    "tenant": "ten_" + "0" * 26,
    "endpoint": "ep_" + "0" * 26,
    "uid": "no-such-uid",
    "message": "msg_" + "0" * 26,
    "delivery": "dlv_" + "0" * 26,
    "key": "key_" + "0" * 26,
}


@dataclass
class TenantB:
    ids: dict[str, str]  # path parameter → B's object
    markers: list[str]  # what only B's data contains: must never reach A
    key: str


async def _tenant_b(hl, receivers) -> TenantB:
    rx = await receivers()
    b = await hl.tenant("B-only-tenant-name", uid="tenant-b")
    ep = await hl.endpoint(
        b["id"],
        rx.url + "/b-only-path",
        ["invoice.paid"],
        uid="b-endpoint",
        description="b-only-description",
    )
    msg = await hl.publish(b["id"], "invoice.paid", {"marker": "b-only-payload"})
    (delivery,) = (await hl.wait_final(b["id"], msg["id"]))["delivery_statuses"]
    attempts = await hl.attempts(b["id"], delivery["id"])
    key = await hl.call(
        "POST",
        "/v1/api-keys",
        201,
        json={"name": "b-only-key", "role": "admin", "tenant_id": b["id"]},
    )
    return TenantB(
        ids={
            "tenant": b["id"],
            "endpoint": ep["id"],
            "uid": "b-endpoint",
            "message": msg["id"],
            "delivery": delivery["id"],
            "key": key["id"],
        },
        markers=[
            "B-only-tenant-name",
            "b-only-path",
            "b-only-description",
            "b-only-payload",
            "b-only-key",
            ep["secret"],
            *(a["id"] for a in attempts),
        ],
        key=key["key"],
    )


def _params(template: str) -> list[str]:
    return re.findall(r"{(\w+)}", template)


async def _walk(hl, client, b: TenantB, a_tenant: str, own: set[int]) -> list[str]:
    """Call every tenant-scoped route against B; return what went wrong.

    `own` is what B's objects may answer under A's own tenant: 404, or also 403 for a
    key whose role may not do this at all (refused before any lookup).
    """
    spec = (await hl.client.get("/openapi.json")).json()
    calls: list[tuple[str, str, str, Any]] = []  # method, B's path, a made-up path, body
    for template, operations in spec["paths"].items():
        params = _params(template)
        if "tenant" not in params and not template.startswith("/v1/api-keys/"):
            continue
        unknown = [p for p in params if p not in b.ids]
        assert not unknown, f"{template}: teach the walker {unknown}"
        for method, operation in operations.items():
            body = BODIES.get((method.upper(), template))
            if body is None and "requestBody" in operation:
                body = UNKNOWN_BODY
            # B's tenant in the path, then A's own tenant with B's objects in it.
            calls.append((method.upper(), template.format(**b.ids), template.format(**NONE), body))
            if "tenant" in params and [p for p in params if p not in ("tenant", "uid")]:
                mine = {"tenant": a_tenant}
                calls.append(
                    (
                        method.upper(),
                        template.format(**{**b.ids, **mine}),
                        template.format(**{**NONE, **mine}),
                        body,
                    )
                )
    # Deletions last, so a wrongful one cannot hide another finding.
    calls.sort(key=lambda c: c[0] == "DELETE")
    wrong = []
    for method, path, made_up, body in calls:
        kwargs = {"json": body} if body is not None else {}
        resp = await client.request(method, path, **kwargs)
        # B's objects must look exactly like objects that do not exist at all.
        absent = await client.request(method, made_up, **kwargs)
        leaked = [m for m in b.markers if m in resp.text and m not in path]
        allowed = {403, 404} if path.startswith(f"/v1/tenants/{b.ids['tenant']}") else own
        if body is UNKNOWN_BODY:
            allowed = allowed | {422}  # a route the walker has no body for yet
        if (
            resp.status_code not in allowed
            or resp.status_code != absent.status_code
            or resp.json().get("type") != absent.json().get("type")
            or leaked
        ):
            wrong.append(
                f"{method} {path}: {resp.status_code} (made-up ids: {absent.status_code}) "
                f"leaked={leaked} {resp.text[:200]}"
            )
    return wrong


async def test_tenant_a_keys_cannot_reach_tenant_b(hookline, receivers):
    await hookline.event_type("invoice.paid")
    a = await hookline.tenant("Tenant A", uid="tenant-a")
    rx_a = await receivers()
    await hookline.endpoint(a["id"], rx_a.url, ["invoice.paid"], uid="a-endpoint")
    b = await _tenant_b(hookline, receivers)
    b_before = {
        "tenant": await hookline.call("GET", f"/v1/tenants/{b.ids['tenant']}", 200),
        "endpoint": await hookline.call(
            "GET", f"/v1/tenants/{b.ids['tenant']}/endpoints/{b.ids['endpoint']}", 200
        ),
        "messages": await hookline.call("GET", f"/v1/tenants/{b.ids['tenant']}/messages", 200),
        "attempts": await hookline.call(
            "GET", f"/v1/tenants/{b.ids['tenant']}/deliveries/{b.ids['delivery']}/attempts", 200
        ),
    }

    wrong = []
    for role in ("admin", "ci", "runtime"):
        key = await hookline.call(
            "POST",
            "/v1/api-keys",
            201,
            json={"name": f"A {role}", "role": role, "tenant_id": a["id"]},
        )
        async with hookline.as_key(key["key"]) as client:
            own = {404} if role == "admin" else {403, 404}
            wrong += [f"[{role}] {w}" for w in await _walk(hookline, client, b, a["id"], own)]
            # A's own lists show nothing of B.
            for path in (
                "/v1/tenants",
                "/v1/api-keys",
                f"/v1/tenants/{a['id']}",
                f"/v1/tenants/{a['id']}/endpoints",
                f"/v1/tenants/{a['id']}/messages",
            ):
                resp = await client.get(path)
                leaked = [m for m in [*b.markers, *b.ids.values()] if m in resp.text]
                if resp.status_code not in (200, 403) or leaked:
                    wrong.append(f"[{role}] GET {path}: {resp.status_code} leaked={leaked}")
    assert not wrong, "\n".join(wrong)

    # Nothing of B changed, and B's own key still works.
    assert b_before == {
        "tenant": await hookline.call("GET", f"/v1/tenants/{b.ids['tenant']}", 200),
        "endpoint": await hookline.call(
            "GET", f"/v1/tenants/{b.ids['tenant']}/endpoints/{b.ids['endpoint']}", 200
        ),
        "messages": await hookline.call("GET", f"/v1/tenants/{b.ids['tenant']}/messages", 200),
        "attempts": await hookline.call(
            "GET", f"/v1/tenants/{b.ids['tenant']}/deliveries/{b.ids['delivery']}/attempts", 200
        ),
    }
    async with hookline.as_key(b.key) as client:
        assert (await client.get(f"/v1/tenants/{b.ids['tenant']}")).status_code == 200
