"""Portal links: POST /v1/tenants/{tenant}/portal-links, and the session a link opens.

HTTP-level, on both databases (the browser's view is in test_browser.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx

from dashboard.world import World, assert_no_way_into_tenant_a, csrf_of
from hookline.domain.models import Principal, Role
from hookline.services import portal


def _browser(world: World) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=world.hl.url, timeout=30)


def _path(url: str) -> str:
    return urlsplit(url).path


async def test_a_portal_link_opens_one_tenant_alone(world: World) -> None:
    b = world.tenant_b["id"]
    before = datetime.now(UTC)
    link = await world.portal_link("globex", expires_in=600)  # a uid names the tenant too
    assert link["tenant_id"] == b
    assert link["url"].startswith(f"{world.hl.url}/ui/portal/")
    expires_at = datetime.fromisoformat(link["expires_at"])
    assert before + timedelta(seconds=590) < expires_at < before + timedelta(seconds=610)

    async with _browser(world) as client:
        landing = await client.get(_path(link["url"]))
        assert landing.status_code == 200
        assert f'url=/ui/tenants/{b}"' in landing.text  # moves on by itself
        assert landing.headers["referrer-policy"] == "no-referrer"
        cookie = landing.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        page = await client.get(f"/ui/tenants/{b}")
        assert page.status_code == 200
        assert world.endpoint_b["url"] in page.text
        assert "Tenant portal" in page.text
        assert ">Tenants<" not in page.text
        assert (await client.get("/ui/tenants")).headers["location"] == f"/ui/tenants/{b}"
        await assert_no_way_into_tenant_a(world, client)

        # A tenant manages its own endpoints: test, rotate, but nothing operator-wide.
        ep = world.endpoint_b["id"]
        overview = await client.get(f"/ui/tenants/{b}/endpoints/{ep}")
        assert "Send test" in overview.text
        assert "Rotate secret" in overview.text
        csrf = csrf_of(overview.text)
        tested = await client.post(f"/ui/tenants/{b}/endpoints/{ep}/test", data={"csrf": csrf})
        assert "Test succeeded" in tested.text
        catalogue = await client.get("/ui/event-types")
        assert catalogue.status_code == 200


async def test_links_are_made_by_admin_and_ci_keys_for_their_tenants(world: World) -> None:
    a, b = world.tenant_a["id"], world.tenant_b["id"]
    runtime = await world.key("runtime")
    ci_of_a = await world.key("ci", a)
    async with world.hl.as_key(runtime["key"]) as c:
        assert (await c.post(f"/v1/tenants/{b}/portal-links", json={})).status_code == 403
    async with world.hl.as_key(ci_of_a["key"]) as c:
        assert (await c.post(f"/v1/tenants/{b}/portal-links", json={})).status_code == 403
        made = await c.post(f"/v1/tenants/{a}/portal-links")  # no body: the default hour
        assert made.status_code == 201
        expires_at = datetime.fromisoformat(made.json()["expires_at"])
        assert timedelta(minutes=59) < expires_at - datetime.now(UTC) <= timedelta(minutes=60)
    async with world.hl.as_key(None) as c:
        assert (await c.post(f"/v1/tenants/{b}/portal-links", json={})).status_code == 401
    for bad in (0, 59, 8 * 86400, "soon"):
        resp = await world.hl.client.post(f"/v1/tenants/{b}/portal-links", json={"expires_in": bad})
        assert resp.status_code == 422, bad
    resp = await world.hl.client.post("/v1/tenants/ten_nope/portal-links", json={})
    assert resp.status_code == 404
    resp = await world.hl.client.post(
        f"/v1/tenants/{b}/portal-links", json={"expires_in": 60, "tenant": a}
    )
    assert resp.status_code == 422, "unknown fields are refused"


async def test_expired_and_tampered_links_are_refused(world: World) -> None:
    b = world.tenant_b["id"]
    admin_key_id = (await world.hl.call("GET", "/v1/api-keys", 200))["data"][0]["id"]
    ctx = world.hl.runtime.ctx
    issuer = Principal(admin_key_id, Role.ADMIN, None)
    old = await portal.create_link(
        ctx, issuer, tenant=b, expires_in=60, now=datetime.now(UTC) - timedelta(minutes=5)
    )
    async with _browser(world) as client:
        resp = await client.get(_path(old.url(world.hl.url)))
        assert resp.status_code == 403
        assert "expired" in resp.text
        assert "hookline_session" not in resp.headers.get("set-cookie", "")

    link = await world.portal_link(b)
    token = urlsplit(link["url"]).path.rsplit("/", 1)[1]
    body, _, mac = token.partition(".")
    other_tenant = await world.portal_link(world.tenant_a["id"])
    other_body = urlsplit(other_tenant["url"]).path.rsplit("/", 1)[1].partition(".")[0]
    forged = [
        body[:-1] + ("A" if body[-1] != "A" else "B") + "." + mac,  # claims changed
        body + "." + mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB"),  # signature changed
        other_body + "." + mac,  # another link's claims under this signature
        body,
        "not-a-link",
    ]
    for bad in forged:
        async with _browser(world) as client:
            resp = await client.get(_path(f"/ui/portal/{bad}"))
            assert resp.status_code == 403, bad
            assert "not valid" in resp.text
            assert "hookline_session" not in resp.headers.get("set-cookie", "")

    # A session cookie is signed for another purpose: it does not work as a link.
    async with _browser(world) as client:
        await client.get(_path(link["url"]))
        session_token = client.cookies["hookline_session"]
        async with _browser(world) as other:
            resp = await other.get(f"/ui/portal/{session_token}")
            assert resp.status_code == 403


async def test_revoking_the_key_that_made_a_link_ends_it(world: World) -> None:
    b = world.tenant_b["id"]
    ci = await world.key("ci")
    async with world.hl.as_key(ci["key"]) as c:
        made = await c.post(f"/v1/tenants/{b}/portal-links", json={"expires_in": 3600})
    link = made.json()["url"]
    async with _browser(world) as client:
        landing = await client.get(_path(link))
        assert landing.status_code == 200
        assert (await client.get(f"/ui/tenants/{b}")).status_code == 200
        await world.hl.call("DELETE", f"/v1/api-keys/{ci['id']}", 204)
        ended = await client.get(f"/ui/tenants/{b}")
        assert ended.status_code == 303
        assert ended.headers["location"].startswith("/ui/login")
    async with _browser(world) as client:
        again = await client.get(_path(link))
        assert again.status_code == 403


async def test_deleting_the_tenant_refuses_its_links(world: World) -> None:
    b = world.tenant_b["id"]
    link = await world.portal_link(b)
    await world.hl.call("DELETE", f"/v1/tenants/{b}", 204)
    async with _browser(world) as client:
        resp = await client.get(_path(link["url"]))
        assert resp.status_code == 403
