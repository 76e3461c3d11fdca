"""The publish fast path (api/publish_fast_path.py) answers exactly as the route would.

A body sent in chunks (no Content-Length) always goes through FastAPI's route, so every
request here is sent both ways and the answers compared; a spy on the fast path tells
which requests it answered itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from hookline.api.publish_fast_path import PublishFastPath


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tenants of the publishes the fast path answered itself."""
    seen: list[str] = []
    original = PublishFastPath._publish

    async def spy(self: PublishFastPath, scope: Any, tenant: str, body: Any) -> Any:
        seen.append(tenant)
        return await original(self, scope, tenant, body)

    monkeypatch.setattr(PublishFastPath, "_publish", spy)
    return seen


async def via_route(
    client: httpx.AsyncClient, path: str, content: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    """The same request, its body chunked: the fast path leaves it to the route."""

    async def chunks() -> AsyncIterator[bytes]:
        yield content

    return await client.post(
        path, content=chunks(), headers={"content-type": "application/json", **(headers or {})}
    )


async def via_fast_path(
    client: httpx.AsyncClient, path: str, content: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(
        path, content=content, headers={"content-type": "application/json", **(headers or {})}
    )


async def test_a_publish_gets_the_same_answer_either_way(hookline, receivers, answered):
    await hookline.event_type("invoice.paid")
    tid = (await hookline.tenant())["id"]
    rx = await receivers()
    await hookline.endpoint(tid, rx.url, ["invoice.*"])
    path = f"/v1/tenants/{tid}/messages"
    body = orjson.dumps(
        {"event_type": "invoice.paid", "payload": {"n": 1, "x": 0.1, "é": ["ü", None]}}
    )

    fast = await via_fast_path(hookline.client, path, body)
    assert answered == [tid]
    routed = await via_route(hookline.client, path, body)
    assert answered == [tid]  # the chunked one went to the route
    for resp in (fast, routed):
        assert resp.status_code == 202, resp.text
        assert resp.headers["content-type"] == "application/json"
    a, b = fast.json(), routed.json()
    assert list(a) == list(b)  # same fields, same order
    assert {k: v for k, v in a.items() if k not in ("id", "created_at")} == {
        k: v for k, v in b.items() if k not in ("id", "created_at")
    }
    assert len(a["created_at"]) == len(b["created_at"])
    assert a["deliveries"] == 1
    for msg in (a, b):
        final = await hookline.wait_final(tid, msg["id"])
        assert [d["status"] for d in final["delivery_statuses"]] == ["delivered"]

    # A replay of each message, asked the other way: the very same bytes.
    for first, again in ((via_fast_path, via_route), (via_route, via_fast_path)):
        headers = {"Idempotency-Key": f"evt-{first.__name__}"}
        created = await first(hookline.client, path, body, headers)
        replayed = await again(hookline.client, path, body, headers)
        assert (created.status_code, replayed.status_code) == (202, 200)
        assert replayed.content == created.content
    assert len(answered) == 3


async def test_errors_after_a_valid_body_are_the_application_handlers_own(
    hookline, receivers, answered
):
    await hookline.event_type("invoice.paid")
    tid = (await hookline.tenant())["id"]
    other = (await hookline.tenant("Other"))["id"]
    bound = await hookline.call(
        "POST", "/v1/api-keys", 201, json={"name": "bound", "role": "runtime", "tenant_id": other}
    )
    valid = orjson.dumps({"event_type": "invoice.paid", "payload": {}})
    cases: list[tuple[str | None, str, bytes, dict[str, str], int]] = [
        (None, f"/v1/tenants/{tid}/messages", valid, {}, 401),
        ("hk_adm_wrong", f"/v1/tenants/{tid}/messages", valid, {}, 401),
        (bound["key"], f"/v1/tenants/{tid}/messages", valid, {}, 403),
        (hookline.admin_key, "/v1/tenants/ten_nobody/messages", valid, {}, 404),
        (
            hookline.admin_key,
            f"/v1/tenants/{tid}/messages",
            orjson.dumps({"event_type": "never.declared", "payload": {}}),
            {},
            422,
        ),
        (
            hookline.admin_key,
            f"/v1/tenants/{tid}/messages",
            valid,
            {"Idempotency-Key": "k" * 300},
            422,
        ),
    ]
    for key, path, body, headers, status in cases:
        async with hookline.as_key(key) as client:
            fast = await via_fast_path(client, path, body, headers)
            routed = await via_route(client, path, body, headers)
        assert (fast.status_code, routed.status_code) == (status, status), (path, fast.text)
        assert fast.headers["content-type"] == routed.headers["content-type"]
        assert fast.headers["content-type"].startswith("application/problem+json")
        assert fast.json() == routed.json()
        assert fast.headers.get("www-authenticate") == routed.headers.get("www-authenticate")
    assert len(answered) == len(cases)


async def test_anything_unusual_is_left_to_the_route(hookline, answered):
    await hookline.event_type("invoice.paid")
    tid = (await hookline.tenant())["id"]
    path = f"/v1/tenants/{tid}/messages"
    huge = orjson.dumps({"event_type": "invoice.paid", "payload": "x" * (2 * 1024 * 1024)})
    cases: list[tuple[bytes, dict[str, str], int]] = [
        (b"{not json", {}, 422),
        (b'{"event_type": "invoice.paid", "payload": NaN}', {}, 422),  # orjson refuses it
        (b'{"event_type": "invoice.paid"}', {}, 422),  # no payload
        (b'{"event_type": "invoice.paid", "payload": 1, "extra": 1}', {}, 422),
        (b"[]", {}, 422),
        (huge, {}, 413),
        (b'{"event_type": "invoice.paid", "payload": 1}', {"content-type": "text/plain"}, 0),
    ]
    for body, headers, status in cases:
        fast = await via_fast_path(hookline.client, path, body, headers)
        routed = await via_route(hookline.client, path, body, headers)
        if status:
            assert fast.status_code == status, (body[:40], fast.text)
        assert fast.status_code == routed.status_code, (body[:40], fast.text, routed.text)
        assert fast.headers["content-type"] == routed.headers["content-type"]
        fast_body, routed_body = fast.json(), routed.json()
        if fast.status_code == 202:  # a new message each time
            fast_body.pop("id"), routed_body.pop("id")
            fast_body.pop("created_at"), routed_body.pop("created_at")
        assert fast_body == routed_body
    assert answered == []
    # Other methods and paths on the same prefix are the router's as ever.
    assert (await hookline.client.get(path)).status_code == 200
    slashed = await hookline.client.post(path + "/", content=b"{}")
    assert slashed.status_code == 307  # the router's redirect to the route, as before
    assert slashed.headers["location"].endswith(path)
    assert answered == []


async def test_the_rate_limit_applies_either_way(start, answered):
    hl = await start(api_rate_limit=0.001, api_rate_burst=3)
    await hl.event_type("invoice.paid")
    tid = (await hl.tenant())["id"]
    key = await hl.call(
        "POST", "/v1/api-keys", 201, json={"name": "rt", "role": "runtime", "tenant_id": tid}
    )
    path = f"/v1/tenants/{tid}/messages"
    body = orjson.dumps({"event_type": "invoice.paid", "payload": {}})
    limits = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")
    async with hl.as_key(key["key"]) as client:
        first = await via_fast_path(client, path, body)  # the first of the burst of 3
        second = await via_route(client, path, body)
        assert (first.status_code, second.status_code) == (202, 202)
        assert [first.headers[h] for h in limits][:2] == ["3", "2"]
        assert [second.headers[h] for h in limits][:2] == ["3", "1"]
        assert (await via_fast_path(client, path, body)).status_code == 202  # the third
        fast = await via_fast_path(client, path, body)
        routed = await via_route(client, path, body)
    assert (fast.status_code, routed.status_code) == (429, 429)
    assert answered == [tid, tid, tid]
    for h in ("retry-after", *limits):
        assert fast.headers[h] == routed.headers[h], h
    assert fast.headers["ratelimit-remaining"] == "0"
    assert fast.json() == routed.json()
    assert fast.headers["retry-after"] == "1000"  # a token every 1,000 s
    assert "retry in 1000 seconds" in fast.json()["detail"]
