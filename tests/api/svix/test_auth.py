"""App-portal access: a Hookline portal link, whose URL opens the tenant's portal; a
request for a narrower portal than Hookline has is refused rather than given more."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from api.svix.conftest import key_for


async def test_app_portal_access_opens_the_tenants_portal(hookline, svix_http, receivers):
    rx = await receivers()
    await hookline.tenant("Acme", uid="acme")
    other = await hookline.tenant("Globex", uid="globex")
    async with svix_http() as client:
        await client.post("/api/v1/app/acme/endpoint", json={"url": rx.url})
        access = await client.post("/api/v1/auth/app-portal-access/acme", json={"expiry": 3600})
        assert access.status_code == 200, access.text
        out = access.json()
        assert set(out) == {"url", "token"}
        assert out["url"] == f"{hookline.url}/ui/portal/{out['token']}"
        # Svix's older route answers the same way.
        older = await client.post("/api/v1/auth/dashboard-access/acme")
        assert older.status_code == 200
        for body in ({"readOnly": True}, {"capabilities": ["ViewBase"]}):
            narrower = await client.post("/api/v1/auth/app-portal-access/acme", json=body)
            assert narrower.status_code == 422, body
        too_short = await client.post("/api/v1/auth/app-portal-access/acme", json={"expiry": 60})
        assert too_short.status_code == 422
    async with httpx.AsyncClient(base_url=hookline.url, timeout=30) as browser:
        assert (await browser.get(urlsplit(out["url"]).path)).status_code == 200
        tenant = (await hookline.call("GET", "/v1/tenants/acme", 200))["id"]
        page = await browser.get(f"/ui/tenants/{tenant}")
        assert "Tenant portal" in page.text
        assert rx.url in page.text
        assert (await browser.get(f"/ui/tenants/{other['id']}")).status_code in (403, 404)
    # A key bound to another tenant gets no link to this one.
    key = await key_for(hookline, "ci", other["id"])
    async with svix_http(key) as bound:
        refused = await bound.post("/api/v1/auth/app-portal-access/acme", json={})
        assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
