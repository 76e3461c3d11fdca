"""What the dashboard tests share: the seeded world and reading a form's CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from support.harness import Hookline
from support.receiver import Receiver

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')

INVOICE_SCHEMA = {
    "type": "object",
    "properties": {"invoice_id": {"type": "string"}, "amount": {"type": "integer"}},
    "required": ["invoice_id"],
}


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class World:
    hl: Hookline
    tenant_a: dict[str, Any]
    tenant_b: dict[str, Any]
    endpoint_a: dict[str, Any]  # answers 500
    endpoint_b: dict[str, Any]  # answers 200
    failing: Receiver
    healthy: Receiver
    deliveries_a: list[str]  # expired, three attempts each
    deliveries_b: list[str]  # delivered

    def page(self, *parts: str) -> str:
        return "/ui/" + "/".join(parts)

    async def key(self, role: str, tenant_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": f"{role} key", "role": role}
        if tenant_id is not None:
            body["tenant_id"] = tenant_id
        key: dict[str, Any] = await self.hl.call("POST", "/v1/api-keys", 201, json=body)
        return key

    async def portal_link(self, tenant_id: str, **body: Any) -> dict[str, Any]:
        link: dict[str, Any] = await self.hl.call(
            "POST", f"/v1/tenants/{tenant_id}/portal-links", 201, json=body
        )
        return link


async def assert_no_way_into_tenant_a(world: World, ui: httpx.AsyncClient) -> None:
    """Every page and action of tenant A answers 403 or 404 and shows nothing of it."""
    a, b = world.tenant_a["id"], world.tenant_b["id"]
    ep_a, dl_a = world.endpoint_a["id"], world.deliveries_a[0]
    for url in (
        f"/ui/tenants/{a}",
        "/ui/tenants/acme",
        f"/ui/tenants/{a}/messages",
        f"/ui/tenants/{a}/endpoints/{ep_a}",
        f"/ui/tenants/{a}/endpoints/{ep_a}/deliveries",
        f"/ui/tenants/{a}/deliveries/{dl_a}",
        f"/ui/tenants/{b}/endpoints/{ep_a}",  # A's objects under B's path
        f"/ui/tenants/{b}/endpoints/{ep_a}/deliveries",
        f"/ui/tenants/{b}/deliveries/{dl_a}",
    ):
        resp = await ui.get(url)
        assert resp.status_code in (403, 404), (url, resp.status_code)
        assert world.endpoint_a["url"] not in resp.text
        assert "Acme" not in resp.text
    csrf = csrf_of((await ui.get(f"/ui/tenants/{b}")).text)
    for url in (
        f"/ui/tenants/{a}/endpoints/{ep_a}/test",
        f"/ui/tenants/{b}/endpoints/{ep_a}/test",
        f"/ui/tenants/{a}/deliveries/{dl_a}/retry",
        f"/ui/tenants/{b}/deliveries/{dl_a}/retry",
    ):
        resp = await ui.post(url, data={"csrf": csrf})
        assert resp.status_code in (403, 404), (url, resp.status_code)
