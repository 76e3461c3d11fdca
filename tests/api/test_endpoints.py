"""/v1/tenants/{tenant}/endpoints: register, read, change, replace by uid, delete, and
every rule an endpoint's settings must follow."""

from __future__ import annotations

import base64
import secrets

import orjson
import standardwebhooks

HOOK = "https://hooks.acme.example/in"


def whsec(size: int) -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(size)).decode()


async def test_create_shows_the_secret_once_then_get_and_list(hookline, problem):
    await hookline.event_type("invoice.paid")
    await hookline.event_type("contact.created")
    tenant = await hookline.tenant(uid="acme")
    tid = tenant["id"]

    created = await hookline.endpoint(
        tid,
        HOOK,
        ["invoice.paid", "contact.*"],
        uid="crm-sync",
        description="CRM sync",
        headers={"X-Team": "ops"},
    )
    assert created["id"].startswith("ep_")
    assert created["tenant_id"] == tid
    assert created["uid"] == "crm-sync"
    assert created["url"] == HOOK
    assert created["events"] == ["invoice.paid", "contact.*"]
    assert created["description"] == "CRM sync"
    assert created["headers"] == {"X-Team": "ops"}
    assert created["enabled"] is True
    assert created["disabled_reason"] is None
    assert created["timeout"] == 30
    assert created["ordering"] == "unordered"
    assert created["rate_limit"] is None
    assert created["auth"] == {"type": "none"}
    assert created["signature"] == {"scheme": "standard-webhooks"}
    assert created["failure_count"] == 0
    assert created["last_failure_at"] is None
    assert created["last_success_at"] is None
    # The secret: whsec_ + base64 of 32 random bytes, in the create response only.
    assert created["has_secret"] is True
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"][len("whsec_") :], validate=True)) == 32

    by_id = await hookline.call("GET", f"/v1/tenants/{tid}/endpoints/{created['id']}", 200)
    by_uid = await hookline.call("GET", "/v1/tenants/acme/endpoints/crm-sync", 200)
    assert by_id == by_uid
    assert "secret" not in by_id
    assert created["secret"] not in orjson.dumps(by_id).decode()
    assert {k: v for k, v in created.items() if k != "secret"} == by_id

    second = await hookline.endpoint(tid, HOOK, ["*"])
    assert second["secret"] != created["secret"]
    listed = await hookline.call("GET", f"/v1/tenants/{tid}/endpoints", 200)
    assert [e["id"] for e in listed["data"]] == [created["id"], second["id"]]
    assert all("secret" not in e for e in listed["data"])
    assert listed["next_cursor"] is None

    page = await hookline.call("GET", f"/v1/tenants/{tid}/endpoints?limit=1", 200)
    assert [e["id"] for e in page["data"]] == [created["id"]]
    page = await hookline.call(
        "GET", f"/v1/tenants/{tid}/endpoints?limit=1&cursor={page['next_cursor']}", 200
    )
    assert [e["id"] for e in page["data"]] == [second["id"]]
    assert page["next_cursor"] is None

    # A uid is unique within its tenant.
    resp = await hookline.client.post(
        f"/v1/tenants/{tid}/endpoints",
        json={"url": HOOK, "events": ["*"], "uid": "crm-sync"},
    )
    problem(resp, 409)
    problem(await hookline.client.get(f"/v1/tenants/{tid}/endpoints/nope"), 404)


async def test_patch_changes_only_the_fields_sent(hookline, receivers, problem):
    await hookline.event_type("invoice.paid")
    await hookline.event_type("invoice.voided")
    tenant = await hookline.tenant()
    tid = tenant["id"]
    rx = await receivers()
    ep = await hookline.endpoint(
        tid,
        rx.url,
        ["invoice.paid"],
        uid="billing",
        description="before",
        timeout=10,
        headers={"X-Team": "ops"},
        auth={"type": "bearer", "token": "tok-1"},
    )
    path = f"/v1/tenants/{tid}/endpoints/{ep['id']}"

    patched = await hookline.call("PATCH", path, 200, json={"description": "after"})
    assert patched["description"] == "after"
    unchanged = ("url", "events", "uid", "timeout", "headers", "auth", "signature", "enabled")
    for name in unchanged:
        assert patched[name] == ep[name], name
    assert patched["has_secret"] is True

    patched = await hookline.call(
        "PATCH", path, 200, json={"events": ["invoice.paid", "invoice.voided"], "timeout": 60}
    )
    assert patched["events"] == ["invoice.paid", "invoice.voided"]
    assert patched["timeout"] == 60
    assert patched["description"] == "after"

    # Echoing the masked credential back keeps the stored one.
    assert patched["auth"] == {"type": "bearer", "token": "***"}
    patched = await hookline.call(
        "PATCH",
        path,
        200,
        json={"auth": {"type": "bearer", "token": "***"}, "headers": {"X-Team": "billing"}},
    )
    assert patched["auth"] == {"type": "bearer", "token": "***"}
    msg = await hookline.publish(tid, "invoice.voided", {"n": 1})
    await hookline.wait_final(tid, msg["id"])
    (req,) = rx.requests
    assert req.headers["authorization"] == "Bearer tok-1"
    assert req.headers["x-team"] == "billing"
    # A secret still signs after all that patching.
    standardwebhooks.Webhook(ep["secret"]).verify(req.body, req.headers)

    # A mask with no credential behind it is refused, not stored as the password.
    resp = await hookline.client.patch(
        path, json={"auth": {"type": "basic", "username": "u", "password": "***"}}
    )
    problem(resp, 422, "body.auth.password")

    # A refused change changes nothing.
    problem(await hookline.client.patch(path, json={"timeout": 1}), 422, "body.timeout")
    problem(await hookline.client.patch(path, json={"events": []}), 422, "body.events")
    problem(await hookline.client.patch(path, json={"url": None}), 422, "body.url")
    problem(await hookline.client.patch(path, json={"secret": "x"}), 422, "body.secret")
    after = await hookline.call("GET", path, 200)
    assert after["auth"] == {"type": "bearer", "token": "***"}
    assert after["timeout"] == 60
    assert after["events"] == ["invoice.paid", "invoice.voided"]

    # Disable and enable again.
    patched = await hookline.call("PATCH", path, 200, json={"enabled": False})
    assert patched["enabled"] is False
    assert patched["disabled_reason"]
    patched = await hookline.call("PATCH", path, 200, json={"enabled": True})
    assert patched["enabled"] is True
    assert patched["disabled_reason"] is None
    assert (await hookline.call("GET", path, 200))["disabled_reason"] is None

    problem(
        await hookline.client.patch(f"/v1/tenants/{tid}/endpoints/nope", json={"timeout": 9}),
        404,
    )


async def test_put_by_uid_creates_then_replaces_the_same_endpoint(hookline, problem):
    await hookline.event_type("invoice.paid")
    await hookline.tenant(uid="acme")
    path = "/v1/tenants/acme/endpoints/crm-sync"

    resp = await hookline.client.put(
        path, json={"url": HOOK, "events": ["invoice.paid"], "description": "first"}
    )
    assert resp.status_code == 201, resp.text
    first = resp.json()
    assert first["uid"] == "crm-sync"
    assert first["secret"].startswith("whsec_")

    resp = await hookline.client.put(path, json={"url": HOOK + "/v2", "events": ["*"]})
    assert resp.status_code == 200, resp.text
    second = resp.json()
    assert second["id"] == first["id"]
    assert second["url"] == HOOK + "/v2"
    assert second["events"] == ["*"]
    assert second["description"] == ""  # replaced, not merged
    assert second["has_secret"] is True
    assert not second.get("secret")  # the secret is not shown again

    got = await hookline.call("GET", f"/v1/tenants/acme/endpoints/{first['id']}", 200)
    assert got["url"] == HOOK + "/v2"
    listed = await hookline.call("GET", "/v1/tenants/acme/endpoints", 200)
    assert [e["id"] for e in listed["data"]] == [first["id"]]

    resp = await hookline.client.put(
        path, json={"url": HOOK, "events": ["*"], "uid": "something-else"}
    )
    problem(resp, 422, "body.uid")


async def test_delete_then_404_and_pending_deliveries_fail(start, problem):
    hookline = await start(with_worker=False)  # keep the delivery pending
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant(uid="acme")
    ep = await hookline.endpoint(tenant["id"], HOOK, ["invoice.paid"], uid="crm")
    other = await hookline.endpoint(tenant["id"], HOOK + "/other", ["invoice.paid"])
    msg = await hookline.publish("acme", "invoice.paid", {"n": 1})
    assert msg["deliveries"] == 2

    resp = await hookline.client.delete(f"/v1/tenants/acme/endpoints/{ep['id']}")
    assert resp.status_code == 204
    problem(await hookline.client.get(f"/v1/tenants/acme/endpoints/{ep['id']}"), 404)
    problem(await hookline.client.get("/v1/tenants/acme/endpoints/crm"), 404)
    problem(await hookline.client.delete(f"/v1/tenants/acme/endpoints/{ep['id']}"), 404)
    listed = await hookline.call("GET", "/v1/tenants/acme/endpoints", 200)
    assert [e["id"] for e in listed["data"]] == [other["id"]]

    got = await hookline.message("acme", msg["id"])
    statuses = {d["endpoint_id"]: d for d in got["delivery_statuses"]}
    assert statuses[ep["id"]]["status"] == "failed"
    assert statuses[ep["id"]]["failure_reason"] == "endpoint deleted"
    assert statuses[other["id"]]["status"] == "pending"

    # The uid is free again.
    again = await hookline.endpoint(tenant["id"], HOOK, ["invoice.paid"], uid="crm")
    assert again["id"] != ep["id"]


async def test_validation_refuses_bad_settings_and_changes_nothing(hookline, problem):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    url = f"/v1/tenants/{tenant['id']}/endpoints"
    c = hookline.client

    async def refused(location: str, **body):
        resp = await c.post(url, json={"url": HOOK, "events": ["invoice.paid"], **body})
        return problem(resp, 422, location)

    await refused("body.events", events=[])
    body = await refused("body.events.0", events=["invoice.unknown"])
    assert body["errors"][0]["value"] == "invoice.unknown"
    await refused("body.events.1", events=["invoice.paid", "nope"])
    await refused("body.events.0", events=["bad name"])
    for timeout in (0, 4, 121, 3600):
        await refused("body.timeout", timeout=timeout)
    await refused("body.timeout", timeout="soon")
    for header in (
        "webhook-id",
        "Webhook-Signature",
        "webhook-timestamp",
        "Content-Type",
        "host",
        "Content-Length",
        "User-Agent",
        "Transfer-Encoding",
        "connection",
        "Upgrade",
    ):
        await refused(f"body.headers.{header}", headers={header: "x"})
    await refused("body.headers.X-Bad", headers={"X-Bad": "a\r\nInjected: yes"})
    await refused("body.description", description="x" * 101)
    await refused("body.uid", uid="has space")
    await refused("body.auth.token", auth={"type": "bearer"})
    await refused("body.auth.password", auth={"type": "basic", "username": "u"})
    await refused("body.auth.type", auth={"type": "kerberos"})
    await refused("body.ordering", ordering="sorted")
    await refused("body.retry_schedule", retry_schedule="soon")

    assert (await hookline.call("GET", url, 200))["data"] == []

    # The edges are accepted.
    for timeout in (5, 120):
        ep = await hookline.endpoint(tenant["id"], HOOK, ["invoice.paid"], timeout=timeout)
        assert ep["timeout"] == timeout
    ep = await hookline.endpoint(tenant["id"], HOOK, ["webhook.test", "invoice.*", "*"])
    assert ep["events"] == ["webhook.test", "invoice.*", "*"]


async def test_auth_types_send_credentials_and_mask_them(hookline, receivers):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    tid = tenant["id"]
    rx = await receivers()
    base = rx.url.rsplit("/", 1)[0]
    cases = {
        "none": ({"type": "none"}, {"type": "none"}),
        "bearer": (
            {"type": "bearer", "token": "tok-secret"},
            {"type": "bearer", "token": "***"},
        ),
        "basic": (
            {"type": "basic", "username": "acme", "password": "pw-secret"},
            {"type": "basic", "username": "acme", "password": "***"},
        ),
        "api_key": (
            {"type": "api_key", "header": "X-Api-Key", "value": "key-secret"},
            {"type": "api_key", "header": "X-Api-Key", "value": "***"},
        ),
        "custom_header": (
            {"type": "custom_header", "header": "X-Shared", "value": "shared-secret"},
            {"type": "custom_header", "header": "X-Shared", "value": "***"},
        ),
    }
    endpoints = {}
    for name, (auth, shown) in cases.items():
        ep = await hookline.endpoint(tid, f"{base}/{name}", ["invoice.paid"], auth=auth)
        assert ep["auth"] == shown
        got = await hookline.call("GET", f"/v1/tenants/{tid}/endpoints/{ep['id']}", 200)
        assert got["auth"] == shown
        endpoints[name] = ep
    listed = await hookline.call("GET", f"/v1/tenants/{tid}/endpoints", 200)
    assert "secret" not in orjson.dumps(listed).decode().replace("has_secret", "")

    msg = await hookline.publish(tid, "invoice.paid", {"n": 1})
    final = await hookline.wait_final(tid, msg["id"])
    assert {d["status"] for d in final["delivery_statuses"]} == {"delivered"}
    got = {r.path.rsplit("/", 1)[1]: r.headers for r in rx.requests}
    assert "authorization" not in got["none"]
    assert got["bearer"]["authorization"] == "Bearer tok-secret"
    assert got["basic"]["authorization"] == "Basic " + base64.b64encode(b"acme:pw-secret").decode()
    assert got["api_key"]["x-api-key"] == "key-secret"
    assert got["custom_header"]["x-shared"] == "shared-secret"

    # The stored copy of the request headers never holds the credential.
    for d in final["delivery_statuses"]:
        (attempt,) = await hookline.attempts(tid, d["id"])
        stored = orjson.dumps(attempt["request_headers"]).decode()
        for secret in ("tok-secret", "pw-secret", "key-secret", "shared-secret"):
            assert secret not in stored


async def test_http_and_userinfo_urls_are_refused(start, problem):
    hookline = await start(allow_http=False)
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    url = f"/v1/tenants/{tenant['id']}/endpoints"
    c = hookline.client

    for bad in (
        "http://hooks.acme.example/in",
        "https://user:pw@hooks.acme.example/in",
        "https://user@hooks.acme.example/in",
        "ftp://hooks.acme.example/in",
        "not a url",
    ):
        body = problem(await c.post(url, json={"url": bad, "events": ["invoice.paid"]}), 400)
        assert body["errors"][0]["location"] == "body.url"
    ep = await hookline.endpoint(tenant["id"], HOOK, ["invoice.paid"])
    path = f"{url}/{ep['id']}"
    problem(await c.patch(path, json={"url": "http://hooks.acme.example/in"}), 400)
    assert (await hookline.call("GET", path, 200))["url"] == HOOK
    assert len((await hookline.call("GET", url, 200))["data"]) == 1


async def test_endpoint_quota_per_tenant(hookline, problem):
    await hookline.event_type("invoice.paid")
    acme = await hookline.tenant("Acme")
    small = await hookline.tenant("Small", max_endpoints=2)
    big = await hookline.tenant("Big", max_endpoints=12)

    made = [await hookline.endpoint(acme["id"], HOOK, ["*"]) for _ in range(10)]
    resp = await hookline.client.post(
        f"/v1/tenants/{acme['id']}/endpoints", json={"url": HOOK, "events": ["*"]}
    )
    problem(resp, 409)
    # Deleting one frees a place.
    await hookline.call("DELETE", f"/v1/tenants/{acme['id']}/endpoints/{made[0]['id']}", 204)
    await hookline.endpoint(acme["id"], HOOK, ["*"])

    for _ in range(2):
        await hookline.endpoint(small["id"], HOOK, ["*"])
    resp = await hookline.client.post(
        f"/v1/tenants/{small['id']}/endpoints", json={"url": HOOK, "events": ["*"]}
    )
    problem(resp, 409)
    resp = await hookline.client.put(
        f"/v1/tenants/{small['id']}/endpoints/third", json={"url": HOOK, "events": ["*"]}
    )
    problem(resp, 409)

    for _ in range(11):
        await hookline.endpoint(big["id"], HOOK, ["*"])  # beyond the deployment default
    assert (
        len((await hookline.call("GET", f"/v1/tenants/{big['id']}/endpoints", 200))["data"]) == 11
    )


async def test_generate_secret_false_sends_no_signature(hookline, receivers):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    rx = await receivers()
    ep = await hookline.endpoint(tenant["id"], rx.url, ["invoice.paid"], generate_secret=False)
    assert ep["has_secret"] is False
    assert ep["secret"] is None
    got = await hookline.call("GET", f"/v1/tenants/{tenant['id']}/endpoints/{ep['id']}", 200)
    assert got["has_secret"] is False

    msg = await hookline.publish(tenant["id"], "invoice.paid", {"n": 1})
    await hookline.wait_final(tenant["id"], msg["id"])
    (req,) = rx.requests
    assert "webhook-signature" not in req.headers
    assert req.headers["webhook-id"] == msg["id"]


async def test_a_supplied_secret_is_accepted_within_24_to_64_bytes(hookline, receivers, problem):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    url = f"/v1/tenants/{tenant['id']}/endpoints"
    rx = await receivers()

    for size in (23, 65):
        resp = await hookline.client.post(
            url, json={"url": rx.url, "events": ["invoice.paid"], "secret": whsec(size)}
        )
        problem(resp, 422, "body.secret")
    for bad in ("not-a-secret", "whsec_***not base64***", ""):
        resp = await hookline.client.post(
            url, json={"url": rx.url, "events": ["invoice.paid"], "secret": bad}
        )
        problem(resp, 422, "body.secret")
    assert (await hookline.call("GET", url, 200))["data"] == []

    short, long_ = whsec(24), whsec(64)
    ep_short = await hookline.endpoint(tenant["id"], rx.url, ["invoice.paid"], secret=short)
    ep_long = await hookline.endpoint(tenant["id"], rx.url, ["invoice.paid"], secret=long_)
    assert ep_short["has_secret"]
    assert ep_long["has_secret"]

    msg = await hookline.publish(tenant["id"], "invoice.paid", {"n": 1})
    await hookline.wait_final(tenant["id"], msg["id"])
    assert len(rx.requests) == 2
    verified = 0
    for req in rx.requests:
        for secret in (short, long_):
            try:
                standardwebhooks.Webhook(secret).verify(req.body, req.headers)
                verified += 1
            except standardwebhooks.webhooks.WebhookVerificationError:
                pass
    assert verified == 2  # each request verifies with its own endpoint's secret


async def test_trace_context_is_off_until_the_endpoint_opts_in(hookline, problem):
    await hookline.event_type("invoice.paid")
    tid = (await hookline.tenant())["id"]
    created = await hookline.endpoint(tid, HOOK, ["invoice.paid"])
    assert created["send_trace_context"] is False
    path = f"/v1/tenants/{tid}/endpoints/{created['id']}"
    changed = await hookline.call("PATCH", path, 200, json={"send_trace_context": True})
    assert changed["send_trace_context"] is True
    assert (await hookline.call("GET", path, 200))["send_trace_context"] is True

    # Then Hookline sets traceparent and tracestate itself: an endpoint may not.
    before = await hookline.call("GET", path, 200)
    resp = await hookline.client.patch(path, json={"headers": {"Traceparent": "00-abc"}})
    problem(resp, 422, "body.headers.Traceparent")
    assert await hookline.call("GET", path, 200) == before
    resp = await hookline.client.post(
        f"/v1/tenants/{tid}/endpoints",
        json={
            "url": HOOK,
            "events": ["invoice.paid"],
            "send_trace_context": True,
            "headers": {"tracestate": "x=1"},
        },
    )
    problem(resp, 422, "body.headers.tracestate")
    # Without it, they are the endpoint's own headers like any other.
    plain = await hookline.endpoint(tid, HOOK, ["invoice.paid"], headers={"traceparent": "mine"})
    assert plain["headers"] == {"traceparent": "mine"}
