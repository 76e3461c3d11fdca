"""The tenant list's "New tenant" form: admins of the whole server create a tenant from
the dashboard; what is wrong is said beside the field, as typed, and creates nothing."""

from __future__ import annotations

import re

from dashboard.world import csrf_of


async def _tenants(hl) -> list[dict]:
    return (await hl.call("GET", "/v1/tenants", 200))["data"]


async def test_an_admin_creates_a_tenant(hookline, sign_in):
    ui = await sign_in()
    listing = await ui.get("/ui/tenants")
    assert 'href="/ui/tenants/new"' in listing.text
    assert "New tenant" in listing.text
    form = await ui.get("/ui/tenants/new")
    assert form.status_code == 200
    assert 'name="name"' in form.text and 'name="uid"' in form.text

    created = await ui.post(
        "/ui/tenants", data={"name": "Acme Inc.", "uid": "acme", "csrf": csrf_of(form.text)}
    )
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    assert re.fullmatch(r"/ui/tenants/ten_\w+", location), location
    page = await ui.get(location)
    assert page.status_code == 200
    assert "Acme Inc." in page.text
    (tenant,) = await _tenants(hookline)
    assert (tenant["name"], tenant["uid"]) == ("Acme Inc.", "acme")
    assert location.endswith(tenant["id"])
    assert "Acme Inc." in (await ui.get("/ui/tenants")).text

    # Without a uid too.
    csrf = csrf_of(form.text)
    plain = await ui.post("/ui/tenants", data={"name": "Globex", "uid": "", "csrf": csrf})
    assert plain.status_code == 303
    assert {t["uid"] for t in await _tenants(hookline)} == {"acme", None}


async def test_errors_are_shown_on_the_page_and_create_nothing(hookline, sign_in):
    await hookline.tenant("Acme", uid="acme")
    ui = await sign_in()
    csrf = csrf_of((await ui.get("/ui/tenants/new")).text)
    for data, message in (
        ({"name": "  ", "uid": "fine"}, "a tenant needs a name"),
        ({"name": "x" * 201, "uid": ""}, "at most 200 characters"),
        ({"name": "Initech", "uid": "has space"}, "1–100 of letters, digits"),
        ({"name": "Initech", "uid": "ten_0123"}, "may not look like an id"),
        ({"name": "Initech", "uid": "acme"}, "already taken"),
    ):
        refused = await ui.post("/ui/tenants", data={**data, "csrf": csrf})
        assert refused.status_code == 422, (data, refused.status_code)
        assert "Please correct the fields below." in refused.text
        assert message in refused.text, (data, refused.text)
        assert 'aria-invalid="true"' in refused.text
        if data["uid"].strip():  # what was typed comes back
            assert f'value="{data["uid"]}"' in refused.text
    assert [t["uid"] for t in await _tenants(hookline)] == ["acme"]

    forged = await ui.post("/ui/tenants", data={"name": "Evil", "csrf": "nope"})
    assert forged.status_code == 403
    assert [t["uid"] for t in await _tenants(hookline)] == ["acme"]


async def test_only_operator_admins_may(hookline, sign_in):
    tenant = await hookline.tenant("Acme", uid="acme")

    async def key(role: str, tenant_id: str | None = None) -> str:
        body = {"name": role, "role": role, **({"tenant_id": tenant_id} if tenant_id else {})}
        made: str = (await hookline.call("POST", "/v1/api-keys", 201, json=body))["key"]
        return made

    ci = await sign_in(await key("ci"))
    assert "New tenant" not in (await ci.get("/ui/tenants")).text
    assert (await ci.get("/ui/tenants/new")).status_code == 403
    csrf = csrf_of((await ci.get("/ui/tenants")).text)
    assert (await ci.post("/ui/tenants", data={"name": "X", "csrf": csrf})).status_code == 403

    bound = await sign_in(await key("admin", tenant["id"]))
    assert (await bound.get("/ui/tenants/new")).status_code == 403
    csrf = csrf_of((await bound.get(f"/ui/tenants/{tenant['id']}")).text)
    assert (await bound.post("/ui/tenants", data={"name": "X", "csrf": csrf})).status_code == 403
    assert len(await _tenants(hookline)) == 1
