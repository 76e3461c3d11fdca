"""The publish fast path (api/publish_fast_path.py) answers exactly as the route would.

A body sent in chunks (no Content-Length) always goes through FastAPI's route, so every
request here is sent both ways and the answers compared; a spy on the fast path tells
which requests it answered itself.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import uvicorn

from hookline.api.publish_fast_path import PublishFastPath
from hookline.api.server_limits import BoundedHttpToolsProtocol
from hookline.api.svix.door import SvixDoor


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tenants of the publishes the fast path answered itself."""
    seen: list[str] = []
    original = PublishFastPath._publish

    async def spy(self: PublishFastPath, scope: Any, receive: Any, tenant: str, body: Any) -> Any:
        seen.append(tenant)
        return await original(self, scope, receive, tenant, body)

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


# -- the same Hookline served with and without the fast path ------------------------------


async def _serve(app: Any) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    """`app` on 127.0.0.1 as the harness serves `served(...)`, without a lifespan (the
    harness's server owns the runtime's)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="off",
        loop="none",
        http=BoundedHttpToolsProtocol,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    deadline = time.monotonic() + 15
    while not server.started:
        if task.done():
            task.result()
        assert time.monotonic() < deadline, "the route-only server did not start"
        await asyncio.sleep(0.01)
    return server, task, f"http://127.0.0.1:{sock.getsockname()[1]}"


_MESSAGE_ID = re.compile(rb"msg_[0-9A-Za-z]{26}")
_TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def _normalised(content: bytes) -> bytes:
    """The body with what two publishes cannot share (a new message's id and time)."""
    return _TIMESTAMP.sub(b"<time>", _MESSAGE_ID.sub(b"<msg>", content))


def _headers(resp: httpx.Response) -> list[tuple[str, str]]:
    """Every header but the server's clock, in order; the rate limit's reset (whole
    seconds until the bucket is full, which the time between the two requests may tip
    over a second) is compared apart."""
    return [(k, v) for k, v in resp.headers.multi_items() if k not in ("date", "ratelimit-reset")]


def _nested(depth: int) -> bytes:
    """A publish whose payload is `depth` arrays deep (orjson writes no such value)."""
    return b'{"event_type": "invoice.paid", "payload": ' + b"[" * depth + b"1" + b"]" * depth + b"}"


async def test_the_fast_path_and_the_route_answer_a_table_of_bodies_byte_for_byte(
    start, receivers, answered
):
    hl = await start(api_rate_limit=0.001, api_rate_burst=1000, max_payload_bytes=2048)
    server, task, route_url = await _serve(SvixDoor(hl.runtime.web_app(with_worker=False)))
    try:
        await _compare_table(hl, route_url, receivers, answered)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


async def _compare_table(hl: Any, route_url: str, receivers: Any, answered: list[str]) -> None:
    await hl.event_type("invoice.paid")
    await hl.event_type("order.placed", schema={"type": "object", "required": ["n"]})
    await hl.event_type("old.thing")
    await hl.call("DELETE", "/v1/event-types/old.thing", 204)
    tid = (await hl.tenant())["id"]
    other = (await hl.tenant("Other"))["id"]
    rx = await receivers()
    await hl.endpoint(tid, rx.url, ["invoice.*", "order.*"])
    await hl.endpoint(tid, rx.url, ["invoice.*"], channels=["eu"])
    runtime_key = (
        await hl.call(
            "POST", "/v1/api-keys", 201, json={"name": "rt", "role": "runtime", "tenant_id": tid}
        )
    )["key"]
    foreign_key = (
        await hl.call(
            "POST", "/v1/api-keys", 201, json={"name": "fk", "role": "runtime", "tenant_id": other}
        )
    )["key"]
    path = f"/v1/tenants/{tid}/messages"

    def body(**fields: Any) -> bytes:
        return orjson.dumps({"event_type": "invoice.paid", "payload": {"n": 1}, **fields})

    # Earlier messages for the idempotency cases (published once, asked again both ways).
    seed = body(payload={"n": "seed"})
    for key in ("seed-header", "seed-body"):
        headers = {"Idempotency-Key": key} if key == "seed-header" else {}
        sent = seed if key == "seed-header" else body(payload={"n": "seed"}, id=key)
        resp = await hl.client.post(path, content=sent, headers=headers)
        assert resp.status_code == 202, resp.text

    valid = body()
    # (name, key, path, body, headers, status, answered by the fast path itself)
    R, F = runtime_key, foreign_key
    cases: list[tuple[str, str | None, str, bytes, dict[str, str], int, bool]] = [
        ("valid", R, path, valid, {}, 202, True),
        ("valid, fanned out to both", R, path, body(channels=["eu"]), {}, 202, True),
        ("channels none listens to", R, path, body(channels=["us"]), {}, 202, True),
        ("ordering key", R, path, body(ordering_key="cust-1"), {}, 202, True),
        ("unicode", R, path, body(payload={"é": ["ü", None, 0.1, -0]}), {}, 202, True),
        ("a payload that is not an object", R, path, body(payload=[1, "a"]), {}, 202, True),
        ("a new idempotency key", R, path, valid, {"Idempotency-Key": "new-{side}"}, 202, True),
        ("a repeat (header)", R, path, seed, {"Idempotency-Key": "seed-header"}, 200, True),
        ("a repeat (body id)", R, path, body(payload={"n": "seed"}, id="seed-body"), {}, 200, True),
        (
            "another request, same key",
            R,
            path,
            valid,
            {"Idempotency-Key": "seed-header"},
            409,
            True,
        ),
        ("idempotency key too long", R, path, valid, {"Idempotency-Key": "k" * 256}, 422, True),
        ("ordering key too long", R, path, body(ordering_key="o" * 256), {}, 422, False),
        ("unknown event type", R, path, body(event_type="never.declared"), {}, 422, True),
        (
            "archived event type (subscriptions keep working)",
            R,
            path,
            body(event_type="old.thing"),
            {},
            202,
            True,
        ),
        (
            "payload against its schema",
            R,
            path,
            body(event_type="order.placed", payload={"m": 1}),
            {},
            422,
            True,
        ),
        ("too many channels", R, path, body(channels=[f"c{i}" for i in range(11)]), {}, 422, True),
        ("a bad channel name", R, path, body(channels=["no spaces"]), {}, 422, True),
        ("payload too deep for a message", R, path, _nested(300), {}, 422, True),
        ("payload over the limit", R, path, body(payload="x" * 3000), {}, 413, True),
        ("no key", None, path, valid, {}, 401, True),
        ("a wrong key", "hk_rt_wrong", path, valid, {}, 401, True),
        ("another tenant's key", F, path, valid, {}, 403, True),
        ("unknown tenant", R, "/v1/tenants/ten_nobody/messages", valid, {}, 403, True),
        ("not JSON", R, path, b"{not json", {}, 422, False),
        ("empty", R, path, b"", {}, 422, False),
        ("NaN", R, path, b'{"event_type": "invoice.paid", "payload": NaN}', {}, 422, False),
        (
            "a lone surrogate",
            R,
            path,
            b'{"event_type": "a.b", "payload": "\\ud800"}',
            {},
            422,
            False,
        ),
        ("an integer beyond 64 bits", R, path, body()[:-2] + b', "x": 2e999}}', {}, 422, False),
        ("an array", R, path, b"[]", {}, 422, False),
        ("no payload", R, path, b'{"event_type": "invoice.paid"}', {}, 422, False),
        ("no event type", R, path, b'{"payload": 1}', {}, 422, False),
        ("event type not a string", R, path, body(event_type=7), {}, 422, False),
        ("channels not a list", R, path, body(channels="eu"), {}, 422, False),
        ("ordering key not a string", R, path, body(ordering_key=5), {}, 422, False),
        ("an unknown field", R, path, body(extra=1), {}, 422, False),
        ("nested beyond the JSON limit", R, path, _nested(1100), {}, 422, False),
        ("body over the server's limit", R, path, body(payload="x" * 70_000), {}, 413, False),
        (
            "a form's content type",
            R,
            path,
            valid,
            {"content-type": "application/x-www-form-urlencoded"},
            202,
            True,
        ),
        ("no content type", R, path, valid, {"content-type": ""}, 202, True),
        ("text/plain", R, path, valid, {"content-type": "text/plain"}, 422, False),
    ]
    fast_base = httpx.AsyncClient(base_url=hl.url, timeout=30)
    route_base = httpx.AsyncClient(base_url=route_url, timeout=30)
    compared = 0
    async with fast_base, route_base:
        for name, key, url, content, headers, status, fast_itself in cases:
            answers = []
            for side, client in enumerate((fast_base, route_base)):
                sent = {"content-type": "application/json"}
                if key is not None:
                    sent["authorization"] = f"Bearer {key}"
                sent.update({k: v.format(side=side) for k, v in headers.items()})
                if sent["content-type"] == "":
                    del sent["content-type"]
                before = len(answered)
                resp = await client.post(url, content=content, headers=sent)
                # A key of each side's own is answered back: put the template back.
                marked = resp.content
                for template in headers.values():
                    if "{side}" in template:
                        marked = marked.replace(template.format(side=side).encode(), b"{side}")
                answers.append((resp, marked))
                if side == 0:
                    assert (len(answered) > before) == fast_itself, name
            (fast, fast_content), (routed, routed_content) = answers
            assert (fast.status_code, routed.status_code) == (status, status), (
                name,
                fast.text[:300],
                routed.text[:300],
            )
            assert _headers(fast) == _headers(routed), name
            resets = fast.headers.get("ratelimit-reset"), routed.headers.get("ratelimit-reset")
            assert (resets[0] is None) == (resets[1] is None), name
            if resets[0] is not None and resets[1] is not None:
                assert abs(int(resets[0]) - int(resets[1])) <= 1, name
            if key == R and fast_itself:  # the key was asked for, so it counts
                assert "ratelimit-remaining" in fast.headers, name
            assert _normalised(fast_content) == _normalised(routed_content), (
                name,
                fast.content[:300],
                routed.content[:300],
            )
            compared += 1
    assert compared == len(cases)
