"""The door itself: paths with and without a trailing slash (no redirect), Svix's error
bodies for every error whoever makes it, the limits and the network policy in Svix's
shape, the catch-all that names the Svix feature Hookline lacks, and health.

What only the door does runs on SQLite alone (`door_only`); the limits, which the store
keeps, on both databases."""

from __future__ import annotations

from api.svix.conftest import key_for


def _http_error(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/json", resp.headers
    body = resp.json()
    assert set(body) == {"code", "detail"}, body
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


def _validation_error(resp, *locations: tuple[str, ...]) -> list[dict]:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/json"
    items = resp.json()["detail"]
    for item in items:
        assert set(item) == {"loc", "msg", "type"}, item
    found = {tuple(i["loc"]) for i in items}
    assert set(locations) <= found, found
    return list(items)


async def test_both_slashes_are_answered_without_a_redirect(door_only):
    await door_only.event_type("invoice.paid")
    async with door_only.as_key(door_only.admin_key) as client:
        for path in ("/api/v1/app", "/api/v1/app/", "/api/v1/event-type/"):
            resp = await client.get(path)
            assert resp.status_code == 200, (path, resp.text)
            assert set(resp.json()) == {"data", "iterator", "prevIterator", "done"}
        made = await client.post("/api/v1/app/", json={"name": "Acme", "uid": "acme"})
        assert made.status_code == 201, made.text
        sent = await client.post(
            "/api/v1/app/acme/msg/", json={"eventType": "invoice.paid", "payload": {}}
        )
        assert sent.status_code == 202, sent.text
        assert (await client.get(f"/api/v1/app/acme/msg/{sent.json()['id']}/")).status_code == 200
        assert (await client.get("/api/v1/health/")).status_code == 204
    # The native API is as it was: its router still redirects.
    native = await door_only.client.get("/v1/tenants/")
    assert native.status_code == 307


async def test_a_body_sent_as_a_form_is_read_as_json(door_only):
    async with door_only.as_key(door_only.admin_key) as client:  # what `curl -d '{...}'` sends
        resp = await client.post(
            "/api/v1/app",
            content=b'{"name": "Acme"}',
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert resp.status_code == 201, resp.text


async def test_errors_have_svix_shapes(door_only):
    async with door_only.as_key(None) as anonymous:
        body = _http_error(await anonymous.get("/api/v1/app"), 401, "authentication_failed")
        assert "key" in body["detail"].lower()
    async with door_only.as_key("hl_admin_not_a_real_key") as wrong:
        _http_error(await wrong.get("/api/v1/app"), 401, "authentication_failed")
    async with door_only.as_key(door_only.admin_key) as client:
        _http_error(await client.get("/api/v1/app/nobody"), 404, "not_found")
        # Request validation keeps pydantic's types, in Svix's field names.
        items = _validation_error(
            await client.post("/api/v1/app", json={"uid": "no name"}),
            ("body", "name"),
            ("body", "uid"),
        )
        assert {i["type"] for i in items} >= {"missing"}
        _validation_error(await client.post("/api/v1/app", content=b"{not json"), ("body", "1"))
        _validation_error(await client.get("/api/v1/app?limit=251"), ("query", "limit"))
        _validation_error(await client.get("/api/v1/app?iterator=no%20way"), ("query", "iterator"))
        # A service's refusal (an unknown event type) names the field as Svix does.
        await client.post("/api/v1/app", json={"name": "Acme", "uid": "acme"})
        items = _validation_error(
            await client.post("/api/v1/app/acme/msg", json={"eventType": "nope", "payload": {}}),
            ("body", "eventType"),
        )
        assert items[0]["msg"] == "unknown event type"
        # Svix's payload is a JSON object.
        _validation_error(
            await client.post("/api/v1/app/acme/msg", json={"eventType": "x", "payload": [1]}),
            ("body", "payload"),
        )


async def test_limits_and_policy_in_svix_shape(start, receivers):
    hl = await start(
        allow_private_targets=False,
        max_endpoints_per_tenant=1,
        max_payload_bytes=1024,
        api_rate_limit=0.001,
        api_rate_burst=12,
    )
    await hl.event_type("invoice.paid")
    rx = await receivers()
    async with hl.as_key(hl.admin_key) as client:
        assert (await client.post("/api/v1/app", json={"name": "A", "uid": "a"})).status_code == 201
        # The network policy: a loopback URL is refused, in Svix's shape.
        refused = await client.post("/api/v1/app/a/endpoint", json={"url": rx.url})
        body = _http_error(refused, 400, "endpoint_url_refused")
        assert "loopback" in body["detail"]
        public = {"url": "https://93.184.215.14/in"}  # a literal address: no DNS needed
        assert (await client.post("/api/v1/app/a/endpoint", json=public)).status_code == 201
        # The endpoint quota.
        _http_error(await client.post("/api/v1/app/a/endpoint", json=public), 409, "conflict")
        # The payload limit: the service's, and the body limit's in front of everything.
        big = {"eventType": "invoice.paid", "payload": {"x": "y" * 2000}}
        _http_error(await client.post("/api/v1/app/a/msg", json=big), 413, "payload_too_large")
        huge = {"eventType": "invoice.paid", "payload": {"x": "y" * 200_000}}
        _http_error(await client.post("/api/v1/app/a/msg", json=huge), 413, "payload_too_large")
        assert (await client.get("/api/v1/app/a/msg")).json()["data"] == []
    # The API rate limit of a tenant-bound key, with Retry-After.
    key = await key_for(hl, "ci", (await hl.call("GET", "/v1/tenants/a", 200))["id"])
    async with hl.as_key(key) as bound:
        statuses = [(await bound.get("/api/v1/app/a")).status_code for _ in range(13)]
        assert statuses[-1] == 429, statuses
        limited = await bound.get("/api/v1/app/a")
        _http_error(limited, 429, "rate_limited")
        assert int(limited.headers["retry-after"]) >= 1


UNSUPPORTED = [
    ("GET", "/api/v1/app/acme/integration", "integrations"),
    ("POST", "/api/v1/operational-webhook/endpoint", "operational webhook endpoints"),
    ("GET", "/api/v1/background-task", "background tasks"),
    ("GET", "/api/v1/app/acme/stats/attempts", "statistics"),
    ("GET", "/api/v1/stats/usage/app", "statistics"),
    ("GET", "/api/v1/environment/export", "environments"),
    ("POST", "/api/v1/app/acme/endpoint/ep_x/replay-missing", "replays"),
    ("POST", "/api/v1/msg/broadcast", "broadcast messages"),
    ("DELETE", "/api/v1/app/acme/msg/msg_x/content", "expunging"),
    ("GET", "/api/v1/app/acme/endpoint/ep_x/transformation", "transformations"),
    ("POST", "/api/v1/auth/logout", "authentication tokens"),
    ("GET", "/api/v1/no/such/thing", "not part of Hookline's Svix-compatible API"),
    ("GET", "/api/v1/", "not part of Hookline's Svix-compatible API"),
]


async def test_what_hookline_does_not_have_is_a_clear_404(door_only):
    async with door_only.as_key(door_only.admin_key) as client:
        for method, path, feature in UNSUPPORTED:
            body = _http_error(await client.request(method, path), 404, "not_found")
            assert feature in body["detail"], (path, body)
            assert method in body["detail"]


async def test_health_needs_no_key(door_only):
    async with door_only.as_key(None) as anonymous:
        resp = await anonymous.get("/api/v1/health")
    assert resp.status_code == 204
    assert resp.content == b""
