"""Signing in: the session cookie's flags, CSRF on every form, sign-out, revocation.

HTTP-level, on both databases.
"""

from __future__ import annotations

import httpx

from dashboard.world import World, assert_no_way_into_tenant_a, csrf_of


def _session_cookie(resp: httpx.Response) -> str:
    found = [v for v in resp.headers.get_list("set-cookie") if v.startswith("hookline_session=")]
    assert len(found) == 1, resp.headers
    return found[0]


def _flags(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


async def _login(client: httpx.AsyncClient, key: str) -> httpx.Response:
    form = await client.get("/ui/login")
    return await client.post("/ui/login", data={"key": key, "csrf": csrf_of(form.text)})


async def test_the_session_cookie_is_httponly_strict_and_scoped(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.hl.url) as client:
        form = await client.get("/ui/login")
        assert form.status_code == 200
        assert '<label for="key">API key</label>' in form.text
        login_cookie = form.headers["set-cookie"].lower()
        assert "httponly" in login_cookie
        assert "samesite=strict" in login_cookie

        resp = await _login(client, world.hl.admin_key)
        assert resp.status_code == 303
        assert resp.headers["location"] == "/ui/tenants"
        cookie = _session_cookie(resp)
        flags = _flags(cookie)
        assert "httponly" in flags
        assert "samesite=strict" in flags
        assert "path=/ui" in flags
        assert "secure" not in flags, "served over plain http here"
        assert world.hl.admin_key not in cookie, "the cookie names the key, never holds it"
        assert (await client.get("/ui/tenants")).status_code == 200


async def test_the_cookie_is_secure_when_served_over_https(world: World) -> None:
    # uvicorn trusts X-Forwarded-Proto from 127.0.0.1, as behind a TLS-terminating proxy.
    https = {"X-Forwarded-Proto": "https"}
    async with httpx.AsyncClient(base_url=world.hl.url, headers=https) as client:
        form = await client.get("/ui/login")
        assert "secure" in _flags(form.headers["set-cookie"])
        token = csrf_of(form.text)
        # A Secure cookie is not sent back over plain http: hand it back as the browser
        # behind the proxy would.
        nonce = form.headers["set-cookie"].split(";")[0]
        resp = await client.post(
            "/ui/login",
            data={"key": world.hl.admin_key, "csrf": token},
            headers={"Cookie": nonce},
        )
        assert resp.status_code == 303
        assert "secure" in _flags(_session_cookie(resp))


async def test_unknown_keys_are_refused(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.hl.url) as client:
        resp = await _login(client, "hl_admin_not-a-real-key")
        assert resp.status_code == 401
        assert 'role="alert"' in resp.text
        assert "hookline_session" not in resp.headers.get("set-cookie", "")
        page = await client.get("/ui/tenants")
        assert page.status_code == 303
        assert page.headers["location"].startswith("/ui/login?next=%2Fui%2Ftenants")


async def test_pages_need_a_session_and_come_back_after_sign_in(world: World) -> None:
    a = world.tenant_a["id"]
    async with httpx.AsyncClient(base_url=world.hl.url) as client:
        resp = await client.get(f"/ui/tenants/{a}")
        assert resp.status_code == 303
        form = await client.get(resp.headers["location"])
        assert f'name="next" value="/ui/tenants/{a}"' in form.text
        done = await client.post(
            "/ui/login",
            data={
                "key": world.hl.admin_key,
                "csrf": csrf_of(form.text),
                "next": f"/ui/tenants/{a}",
            },
        )
        assert done.headers["location"] == f"/ui/tenants/{a}"
        # Only paths inside the dashboard are followed.
        form = await client.get("/ui/login")
        away = await client.post(
            "/ui/login",
            data={"key": world.hl.admin_key, "csrf": csrf_of(form.text), "next": "//evil.example/"},
        )
        assert away.headers["location"] == "/ui/tenants"


async def test_a_tampered_cookie_is_no_session(world: World, sign_in) -> None:
    ui = await sign_in()
    token = ui.cookies["hookline_session"]
    body, _, mac = token.partition(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    async with httpx.AsyncClient(base_url=world.hl.url) as client:
        for forged in (f"{flipped}.{mac}", f"{body}.{mac[:-1]}", body, "garbage"):
            resp = await client.get("/ui/tenants", headers={"Cookie": f"hookline_session={forged}"})
            assert resp.status_code == 303, forged
            assert resp.headers["location"].startswith("/ui/login")


async def test_revoking_the_key_ends_its_session_at_once(world: World, sign_in) -> None:
    key = await world.key("ci")
    ui = await sign_in(key["key"])
    assert (await ui.get("/ui/tenants")).status_code == 200
    await world.hl.call("DELETE", f"/v1/api-keys/{key['id']}", 204)
    resp = await ui.get("/ui/tenants")
    assert resp.status_code == 303
    assert "reason=ended" in resp.headers["location"]
    ended = await ui.get(resp.headers["location"])
    assert "Your session has ended" in ended.text


async def test_forms_without_a_valid_csrf_token_are_refused(world: World, sign_in) -> None:
    ui = await sign_in()
    a, ep = world.tenant_a["id"], world.endpoint_a["id"]
    base = f"/ui/tenants/{a}/endpoints/{ep}"
    before = await world.hl.call("GET", f"/v1/tenants/{a}/messages", 200)
    other = await sign_in()  # another session: its token is no good for this one
    foreign = csrf_of((await other.get(base)).text)
    posts = [
        (f"{base}/test", {}),
        (f"{base}/rotate-secret", {"grace_period": "0"}),
        (f"{base}/disable", {}),
        (f"{base}/recover", {"since": "2000-01-01T00:00"}),
        (f"{base}/edit", {"url": "https://elsewhere.example/", "timeout": "30"}),
        (f"/ui/tenants/{a}/endpoints", {"url": "https://x.example/", "timeout": "30"}),
        (f"/ui/tenants/{a}/deliveries/{world.deliveries_a[0]}/retry", {}),
        ("/ui/logout", {}),
    ]
    for url, data in posts:
        for token in (None, "", "bogus", foreign):
            body = dict(data) if token is None else {**data, "csrf": token}
            resp = await ui.post(url, data=body)
            assert resp.status_code == 403, (url, token, resp.status_code)
            assert "Form refused" in resp.text
    after = await world.hl.call("GET", f"/v1/tenants/{a}/messages", 200)
    assert len(after["data"]) == len(before["data"]), "no test event was sent"
    endpoint = await world.hl.call("GET", f"/v1/tenants/{a}/endpoints/{ep}", 200)
    assert endpoint["enabled"] is True
    assert endpoint["url"] == world.endpoint_a["url"]
    assert (await ui.get("/ui/tenants")).status_code == 200, "still signed in"

    # The sign-in form too: its token is bound to the browser's own sign-in cookie.
    async with httpx.AsyncClient(base_url=world.hl.url) as client:
        assert (await client.post("/ui/login", data={"key": world.hl.admin_key})).status_code == 403
        stolen = csrf_of((await client.get("/ui/login")).text)
    async with httpx.AsyncClient(base_url=world.hl.url) as client:
        await client.get("/ui/login")
        resp = await client.post("/ui/login", data={"key": world.hl.admin_key, "csrf": stolen})
        assert resp.status_code == 403


async def test_signing_out_clears_the_cookie(world: World, sign_in) -> None:
    ui = await sign_in()
    csrf = csrf_of((await ui.get("/ui/tenants")).text)
    resp = await ui.post("/ui/logout", data={"csrf": csrf})
    assert resp.status_code == 303
    assert "reason=signed-out" in resp.headers["location"]
    cookie = _session_cookie(resp)
    assert "max-age=0" in cookie.lower() or "expires=thu, 01 jan 1970" in cookie.lower()
    assert "hookline_session" not in ui.cookies
    assert (await ui.get("/ui/tenants")).status_code == 303


async def test_a_tenant_bound_key_sees_its_tenant_alone(world: World, sign_in) -> None:
    b = world.tenant_b["id"]
    key = await world.key("ci", b)
    ui = await sign_in(key["key"])
    home = await ui.get("/ui")
    assert home.headers["location"] == f"/ui/tenants/{b}"
    assert (await ui.get("/ui/tenants")).headers["location"] == f"/ui/tenants/{b}"
    own = await ui.get(f"/ui/tenants/{b}")
    assert own.status_code == 200
    assert world.endpoint_b["url"] in own.text
    assert "Acme" not in own.text
    await assert_no_way_into_tenant_a(world, ui)
