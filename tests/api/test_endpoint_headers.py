"""Headers an endpoint configures never duplicate or override a header Hookline sets,
compared without regard to case (DESIGN §6): 422 naming the header at create, PATCH
and PUT, and nothing changed. Hookline's own: `webhook-*`, the scheme's signature and
event headers, the auth header, content-type, content-length, host,
transfer-encoding, connection, user-agent."""

from __future__ import annotations

import pytest

HOOK = "https://hooks.acme.example/in"
HEX = {"scheme": "hmac-sha256-hex", "header": "X-Sig", "event_header": "X-Zyra-Event"}
FIXED = (
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "webhook-anything",
    "content-type",
    "content-length",
    "host",
    "transfer-encoding",
    "connection",
    "user-agent",
)


def spellings(name: str) -> list[str]:
    """lower, UPPER, Title-Case and aLtErNaTiNg: every way a client may write it."""
    alternating = "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(name))
    title = "-".join(part.capitalize() for part in name.split("-"))
    return list(dict.fromkeys([name.lower(), name.upper(), title, alternating]))


@pytest.fixture
async def tenant(hookline):  # type: ignore[no-untyped-def]
    await hookline.event_type("invoice.paid")
    return (await hookline.tenant(uid="acme"))["id"]


async def test_every_spelling_of_a_header_hookline_always_sets_is_refused(
    hookline, tenant, problem
):
    url = f"/v1/tenants/{tenant}/endpoints"
    for name in FIXED:
        for spelled in spellings(name):
            resp = await hookline.client.post(
                url, json={"url": HOOK, "events": ["*"], "headers": {spelled: "x"}}
            )
            body = problem(resp, 422, f"body.headers.{spelled}")
            assert any(e["value"] == spelled for e in body["errors"]), body
    assert (await hookline.call("GET", url, 200))["data"] == []


@pytest.mark.parametrize(
    ("settings", "header"),
    [
        ({"signature": HEX}, "X-Sig"),  # the hex scheme's signature header
        ({"signature": HEX}, "X-Zyra-Event"),  # its event-type header
        ({"signature": {"scheme": "hmac-sha256-hex"}}, "X-Webhook-Signature"),  # default
        ({"auth": {"type": "bearer", "token": "t"}}, "Authorization"),
        ({"auth": {"type": "basic", "username": "u", "password": "p"}}, "Authorization"),
        ({"auth": {"type": "api_key", "header": "X-Api-Key", "value": "k"}}, "X-Api-Key"),
        ({"auth": {"type": "custom_header", "header": "X-Auth", "value": "k"}}, "X-Auth"),
    ],
)
async def test_every_spelling_of_a_header_this_endpoint_gets_is_refused(
    hookline, tenant, problem, settings, header
):
    url = f"/v1/tenants/{tenant}/endpoints"
    for spelled in spellings(header):
        resp = await hookline.client.post(
            url, json={"url": HOOK, "events": ["*"], "headers": {spelled: "x"}, **settings}
        )
        body = problem(resp, 422, f"body.headers.{spelled}")
        (error,) = [e for e in body["errors"] if e["location"] == f"body.headers.{spelled}"]
        assert "Hookline sets this header itself" in error["message"]
        assert header in error["message"]  # as the endpoint's settings name it
    assert (await hookline.call("GET", url, 200))["data"] == []


async def test_the_same_names_are_free_where_hookline_does_not_set_them(hookline, tenant):
    # No auth: the endpoint may send its own Authorization; the Standard Webhooks
    # scheme sends no X-Webhook-Signature, so that name is the endpoint's too.
    ep = await hookline.endpoint(
        tenant,
        HOOK,
        ["*"],
        headers={"Authorization": "Token abc", "X-Webhook-Signature": "mine", "X-Sig": "1"},
    )
    assert set(ep["headers"]) == {"Authorization", "X-Webhook-Signature", "X-Sig"}


async def test_settings_of_hookline_colliding_with_each_other_are_refused(
    hookline, tenant, problem
):
    url = f"/v1/tenants/{tenant}/endpoints"
    api_key_as_signature = {
        "url": HOOK,
        "events": ["*"],
        "signature": HEX,
        "auth": {"type": "api_key", "header": "x-sig", "value": "k"},
    }
    body = problem(await hookline.client.post(url, json=api_key_as_signature), 422)
    (error,) = body["errors"]
    assert error["location"] == "body.signature.header"
    assert "the auth header (x-sig)" in error["message"]
    event_as_signature = {
        "url": HOOK,
        "events": ["*"],
        "signature": {**HEX, "event_header": "x-SIG"},
    }
    problem(
        await hookline.client.post(url, json=event_as_signature), 422, "body.signature.event_header"
    )
    bearer_as_signature = {
        "url": HOOK,
        "events": ["*"],
        "signature": {"scheme": "hmac-sha256-hex", "header": "AUTHORIZATION"},
        "auth": {"type": "bearer", "token": "t"},
    }
    problem(await hookline.client.post(url, json=bearer_as_signature), 422, "body.signature.header")
    twice = {"url": HOOK, "events": ["*"], "headers": {"X-Team": "a", "x-team": "b"}}
    body = problem(await hookline.client.post(url, json=twice), 422, "body.headers.x-team")
    assert "the same header as X-Team" in body["errors"][0]["message"]
    assert (await hookline.call("GET", url, 200))["data"] == []


async def test_patch_and_put_are_held_to_the_same_rule(hookline, tenant, problem):
    ep = await hookline.endpoint(
        tenant, HOOK, ["*"], uid="crm", signature=HEX, headers={"X-Team": "ops"}
    )
    path = f"/v1/tenants/{tenant}/endpoints/{ep['id']}"
    for spelled in spellings("X-Sig"):
        resp = await hookline.client.patch(path, json={"headers": {spelled: "1"}})
        problem(resp, 422, f"body.headers.{spelled}")
    # A change of the signature onto an existing custom header collides too.
    resp = await hookline.client.patch(
        path, json={"signature": {"scheme": "hmac-sha256-hex", "header": "x-team"}}
    )
    problem(resp, 422, "body.headers.X-Team")
    resp = await hookline.client.patch(
        path, json={"auth": {"type": "api_key", "header": "X-TEAM", "value": "k"}}
    )
    problem(resp, 422, "body.headers.X-Team")
    for spelled in spellings("X-Zyra-Event"):
        resp = await hookline.client.put(
            f"/v1/tenants/{tenant}/endpoints/crm",
            json={"url": HOOK, "events": ["*"], "signature": HEX, "headers": {spelled: "1"}},
        )
        problem(resp, 422, f"body.headers.{spelled}")
    after = await hookline.call("GET", path, 200)
    assert after["headers"] == {"X-Team": "ops"}
    assert after["signature"]["header"] == "X-Sig"
    assert after["auth"] == {"type": "none"}
