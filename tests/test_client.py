"""hookline.client against the real server (both databases); the retry policy alone
against httpx's MockTransport.

The server runs in the test's event loop, so the sync client runs in a thread."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import standardwebhooks
from aiohttp import ClientSession, web

from hookline.client import (
    AsyncClient,
    AuthenticationError,
    Client,
    ConflictError,
    HooklineConnectionError,
    HooklineError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from hookline.client.retry import QUIET_PERIOD, ThrottleNotice


async def in_thread(fn, *args):
    """The sync client blocks: run it beside the event loop that serves Hookline."""
    return await asyncio.to_thread(fn, *args)


async def test_the_whole_api_with_the_sync_client(hookline, receivers):
    await in_thread(_the_whole_api, hookline, await receivers())


def _the_whole_api(hl, rx):
    with Client(hl.url, hl.admin_key, retry_backoff=0.01) as c:
        assert c.event_types.create(name="invoice.paid", description="Paid").name == "invoice.paid"
        c.event_types.create(name="invoice.voided")
        c.event_types.update("invoice.voided", description="Voided")
        c.event_types.archive("invoice.voided")
        assert c.event_types.get("invoice.voided").archived
        names = {e.name for e in c.event_types.list(include_archived=True)}
        assert {"invoice.paid", "invoice.voided", "webhook.test"} <= names

        tenant = c.tenants.create(name="Acme", uid="acme", metadata={"plan": "pro"})
        assert c.tenants.update("acme", name="Acme Inc.").name == "Acme Inc."
        assert c.tenants.get("acme").id == tenant.id

        ep = c.endpoints.create(tenant="acme", url=rx.url, events=["invoice.paid"], uid="crm")
        assert ep.secret
        assert ep.secret.startswith("whsec_")
        assert ep.signature.scheme == "standard-webhooks"
        assert c.endpoints.update(tenant="acme", endpoint="crm", description="CRM").description
        assert c.endpoints.get(tenant="acme", endpoint=ep.id).description == "CRM"
        assert c.endpoints.get(tenant="acme", endpoint="crm").secret is None

        msg = c.messages.publish(tenant="acme", event_type="invoice.paid", payload={"n": 1})
        assert msg.deliveries == 1
        assert msg.idempotency_key
        final = _wait_final(c, "acme", msg.id)
        (status,) = final.delivery_statuses
        assert status.status == "delivered"
        delivery = c.deliveries.get(tenant="acme", delivery=status.id)
        assert delivery.message_id == msg.id
        (attempt,) = c.deliveries.attempts(tenant="acme", delivery=delivery.id)
        assert attempt.response_code == 200
        assert attempt.status == "succeeded"
        assert [d.id for d in c.endpoints.deliveries(tenant="acme", endpoint="crm")] == [
            delivery.id
        ]
        assert c.deliveries.retry(tenant="acme", delivery=delivery.id).id == delivery.id

        tested = c.endpoints.test(tenant="acme", endpoint="crm", wait=True)
        assert tested.outcome == "succeeded"
        assert tested.attempt is not None
        rotated = c.endpoints.rotate_secret(tenant="acme", endpoint="crm", grace_period=60)
        assert rotated.secret != ep.secret
        assert rotated.previous_secret_expires_at

        replaced = c.endpoints.put(
            tenant="acme",
            uid="crm",
            url=rx.url,
            events=["invoice.paid"],
            signature={"scheme": "standard-webhooks-ed25519"},
        )
        assert replaced.id == ep.id
        assert replaced.signature.public_key
        c.endpoints.delete(tenant="acme", endpoint="crm")
        assert list(c.endpoints.list(tenant="acme")) == []

        key = c.api_keys.create(name="deploy", role="ci", tenant_id=tenant.id)
        assert key.key
        assert key.key.startswith("hl_ci_")
        assert key.id in {k.id for k in c.api_keys.list()}
        c.api_keys.revoke(key.id)
        assert key.id not in {k.id for k in c.api_keys.list()}
        c.tenants.delete("acme")
        with pytest.raises(NotFoundError):
            c.tenants.get("acme")

    # The delivered request verifies with the secret the client was shown.
    standardwebhooks.Webhook(ep.secret).verify(rx.requests[0].body, rx.requests[0].headers)


def _wait_final(c: Client, tenant: str, message: str) -> Any:
    for _ in range(300):
        msg = c.messages.get(tenant=tenant, message=message)
        if msg.delivery_statuses and all(d.status != "pending" for d in msg.delivery_statuses):
            return msg
        time.sleep(0.05)
    raise AssertionError(f"not delivered: {msg}")


async def test_lists_iterate_every_page(hookline, receivers):
    await in_thread(_lists, hookline, await receivers())


def _lists(hl, rx):
    with Client(hl.url, hl.admin_key) as c:
        c.event_types.create(name="order.placed")
        tenants = [c.tenants.create(name=f"T{i}").id for i in range(5)]
        assert [t.id for t in c.tenants.list(page_size=2)] == tenants
        endpoints = [
            c.endpoints.create(tenant=tenants[0], url=rx.url, events=["order.placed"]).id
            for _ in range(5)
        ]
        assert [e.id for e in c.endpoints.list(tenant=tenants[0], page_size=2)] == endpoints
        published = {
            c.messages.publish(tenant=tenants[0], event_type="order.placed", payload={"i": i}).id
            for i in range(7)
        }
        listed = [m.id for m in c.messages.list(tenant=tenants[0], page_size=3)]
        assert len(listed) == 7
        assert set(listed) == published


async def test_errors_carry_the_problem_fields(hookline, receivers):
    await in_thread(_errors, hookline, await receivers())


def _errors(hl, rx):
    with Client(hl.url, hl.admin_key) as c:
        c.tenants.create(name="Acme", uid="acme")
        with pytest.raises(NotFoundError) as nf:
            c.endpoints.get(tenant="acme", endpoint="ep_nope")
        e = nf.value
        assert e.status == 404
        assert e.title
        assert "ep_nope" in e.detail
        assert e.type.endswith("not-found")
        assert e.instance

        with pytest.raises(ValidationError) as invalid:
            c.endpoints.create(tenant="acme", url=rx.url, events=[], timeout=1)
        locations = {f.location for f in invalid.value.errors}
        assert {"body.events", "body.timeout"} <= locations
        assert invalid.value.status == 422
        assert isinstance(invalid.value, HooklineError)

        with pytest.raises(ConflictError):
            c.tenants.create(name="Again", uid="acme")
        runtime_key = c.api_keys.create(name="rt", role="runtime").key
    assert runtime_key
    with Client(hl.url, runtime_key) as rt, pytest.raises(PermissionDeniedError) as denied:
        rt.endpoints.create(tenant="acme", url=rx.url, events=["*"])
    assert denied.value.status == 403
    with Client(hl.url, "hl_admin_not-a-real-key") as bad, pytest.raises(AuthenticationError):
        list(bad.tenants.list())


async def test_publish_is_retried_across_a_503_and_never_duplicated(hookline):
    """A proxy hands the publish to Hookline, then answers 503 as if the answer was
    lost; the client tries again with the same key and gets the same message."""
    await hookline.event_type("invoice.paid")
    tenant = (await hookline.tenant())["id"]
    seen: list[dict[str, str]] = []

    async def proxy(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        seen.append(dict(request.headers))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host",)}
        async with (
            ClientSession() as s,
            s.request(
                request.method, hookline.url + request.path_qs, data=body, headers=headers
            ) as upstream,
        ):
            answer = await upstream.read()
            if len(seen) == 1:
                return web.Response(status=503, headers={"Retry-After": "0"})
            return web.Response(status=upstream.status, body=answer, headers=upstream.headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with AsyncClient(f"http://127.0.0.1:{port}", hookline.admin_key) as c:
            msg = await c.messages.publish(tenant=tenant, event_type="invoice.paid", payload={})
    finally:
        await runner.cleanup()
    assert len(seen) == 2
    assert seen[0]["Idempotency-Key"] == seen[1]["Idempotency-Key"] == msg.idempotency_key
    listed = await hookline.call("GET", f"/v1/tenants/{tenant}/messages", 200)
    assert [m["id"] for m in listed["data"]] == [msg.id]


async def test_the_async_client(hookline, receivers):
    rx = await receivers(statuses=[500, 500, 500, 200])  # the schedule allows 3 attempts
    async with AsyncClient(hookline.url, hookline.admin_key) as c:
        await c.event_types.create(name="invoice.paid")
        tenant = await c.tenants.create(name="Acme", uid="acme")
        ep = await c.endpoints.create(tenant="acme", url=rx.url, events=["invoice.paid"])
        msg = await c.messages.publish(
            tenant="acme", event_type="invoice.paid", payload={"n": 1}, idempotency_key="k-1"
        )
        again = await c.messages.publish(
            tenant="acme", event_type="invoice.paid", payload={"n": 1}, idempotency_key="k-1"
        )
        assert again.id == msg.id
        assert [e.id async for e in c.endpoints.list(tenant=tenant.id, page_size=1)] == [ep.id]
        assert [m.id async for m in c.messages.list(tenant="acme")] == [msg.id]

        (delivery,) = (await _final(c, msg.id)).delivery_statuses
        assert delivery.status == "expired"
        since = datetime.now(UTC) - timedelta(hours=1)
        assert await c.endpoints.recover(tenant="acme", endpoint=ep.id, since=since) == 1
        (delivery,) = (await _final(c, msg.id)).delivery_statuses
        assert delivery.status == "delivered"
        attempts = c.deliveries.attempts(tenant="acme", delivery=delivery.id, page_size=2)
        assert [a.response_code async for a in attempts] == [500, 500, 500, 200]
        got = await c.messages.get(tenant="acme", message=msg.id)
        assert got.payload == {"n": 1}

        tested = await c.endpoints.test(tenant="acme", endpoint=ep.id, wait=True)
        assert tested.outcome == "succeeded"
        with pytest.raises(ValidationError) as invalid:
            await c.messages.publish(tenant="acme", event_type="nope", payload={})
        assert invalid.value.errors


async def test_channels_with_the_clients(hookline, receivers):
    rx = await receivers()
    async with AsyncClient(hookline.url, hookline.admin_key) as c:
        await c.event_types.create(name="invoice.paid")
        await c.tenants.create(name="Acme", uid="acme")
        listening = await c.endpoints.create(
            tenant="acme", url=rx.url, events=["*"], channels=["eu"]
        )
        everything = await c.endpoints.create(tenant="acme", url=rx.url, events=["*"])
        assert (listening.channels, everything.channels) == (["eu"], None)
        eu = await c.messages.publish(
            tenant="acme", event_type="invoice.paid", payload={}, channels=["eu"]
        )
        other = await c.messages.publish(tenant="acme", event_type="invoice.paid", payload={})
        assert (eu.channels, eu.deliveries, other.channels, other.deliveries) == (
            ["eu"],
            2,
            None,
            1,
        )
        assert [m.id async for m in c.messages.list(tenant="acme", channel="eu")] == [eu.id]
        patched = await c.endpoints.update(tenant="acme", endpoint=listening.id, channels=None)
        assert patched.channels is None

    def sync_side() -> list[str]:
        with Client(hookline.url, hookline.admin_key) as c:
            c.messages.publish(tenant="acme", event_type="invoice.paid", payload={}, channels=["x"])
            return [m.id for m in c.messages.list(tenant="acme", channel="x")]

    assert len(await in_thread(sync_side)) == 1


async def _final(c: AsyncClient, message: str) -> Any:
    for _ in range(300):
        msg = await c.messages.get(tenant="acme", message=message)
        if msg.delivery_statuses and all(d.status != "pending" for d in msg.delivery_statuses):
            return msg
        await asyncio.sleep(0.05)
    raise AssertionError(f"not final: {msg}")


async def test_being_throttled_is_logged_once(start, caplog):
    """A tenant key over its rate: the client retries every 429 (Retry-After: 1) and
    says so once, at WARNING on `hookline.client`, not once per retry."""
    hl = await start(api_rate_limit=2, api_rate_burst=3)
    await hl.event_type("invoice.paid")
    tid = (await hl.tenant(uid="acme"))["id"]
    body = {"name": "rt", "role": "runtime", "tenant_id": tid}
    key = (await hl.call("POST", "/v1/api-keys", 201, json=body))["key"]
    caplog.set_level(logging.WARNING, logger="hookline.client")
    published, refused = await in_thread(_publish_throttled, hl.url, key, 7)
    assert len(published) == 7
    assert refused >= 2, "the server refused more than once"
    warnings = [r for r in caplog.records if r.name == "hookline.client"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    (warning,) = warnings
    assert warning.levelno == logging.WARNING
    text = warning.getMessage()
    assert "throttling" in text
    assert "429" in text
    assert f"/v1/tenants/{tid}/messages" in text or "/v1/tenants/acme/messages" in text
    assert "retry in 1 second" in text  # the server's own detail


class _Counting(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        resp = super().handle_request(request)
        self.refused += resp.status_code == 429
        return resp


def _publish_throttled(url: str, key: str, count: int) -> tuple[list[str], int]:
    transport = _Counting()
    with Client(url, key, transport=transport, max_retries=5, retry_backoff=0.01) as c:
        ids = [
            c.messages.publish(tenant="acme", event_type="invoice.paid", payload={"n": n}).id
            for n in range(count)
        ]
    return ids, transport.refused


def test_a_new_throttling_episode_is_logged_again(caplog):
    now = [0.0]
    notice = ThrottleNotice(clock=lambda: now[0])
    resp = httpx.Response(429, json={"detail": "slow down"}, headers={"Retry-After": "1"})
    call: Any = type("C", (), {"method": "POST", "path": "/v1/x"})()
    caplog.set_level(logging.WARNING, logger="hookline.client")
    for step in (0, 1, 30, 30 + QUIET_PERIOD - 1):  # one episode: never a minute quiet
        now[0] = step
        notice.saw_429(call, resp, 1.0)
    assert len(caplog.records) == 1
    now[0] += QUIET_PERIOD  # a minute without a 429: the next one starts a new episode
    notice.saw_429(call, resp, None)
    assert len(caplog.records) == 2
    assert "slow down" in caplog.records[1].getMessage()
    assert "giving up" in caplog.records[1].getMessage()


# -- the retry policy alone ------------------------------------------------------------


def _mock(answers: list[Any]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        answer = answers[min(len(sent), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler), sent


MESSAGE = {
    "id": "msg_1",
    "tenant_id": "ten_1",
    "event_type": "x",
    "payload": {},
    "idempotency_key": None,
    "ordering_key": None,
    "created_at": "2026-11-23T10:00:00Z",
    "deliveries": 1,
}
PROBLEM = {"type": "about:blank", "title": "Service unavailable", "status": 503, "detail": "db"}


def test_retry_policy():
    transport, sent = _mock(
        [
            httpx.ConnectError("refused"),
            httpx.Response(503, json=PROBLEM, headers={"Retry-After": "0"}),
            httpx.Response(429, json={**PROBLEM, "status": 429}),
            httpx.Response(202, json=MESSAGE),
        ]
    )
    with Client("http://hookline.test", "k", transport=transport, retry_backoff=0.001) as c:
        assert c.messages.publish(tenant="t", event_type="x", payload={}).id == "msg_1"
    keys = {r.headers["Idempotency-Key"] for r in sent}
    assert len(sent) == 4
    assert len(keys) == 1
    assert keys.pop().startswith("hlc_")
    assert json.loads(sent[0].content) == {"event_type": "x", "payload": {}}

    # A POST that is not idempotent is not sent twice after a 500 (it may have been done)...
    transport, sent = _mock([httpx.Response(500, json={**PROBLEM, "status": 500})])
    c = Client("http://hookline.test", transport=transport, retry_backoff=0.001)
    with c, pytest.raises(ServerError) as failed:
        c.tenants.create(name="x")
    assert len(sent) == 1
    assert failed.value.status == 500
    # ...nor after a broken connection; a read is.
    transport, sent = _mock([httpx.ReadError("reset")])
    with Client("http://hookline.test", transport=transport, retry_backoff=0.001) as c:
        with pytest.raises(HooklineConnectionError):
            c.tenants.create(name="x")
        assert len(sent) == 1
        with pytest.raises(HooklineConnectionError):
            c.tenants.get("t")
        assert len(sent) == 1 + 4  # the first try and three retries

    # Giving up after max_retries answers with the last error.
    transport, sent = _mock([httpx.Response(429, json={**PROBLEM, "status": 429})])
    with (
        Client(
            "http://hookline.test", transport=transport, max_retries=2, retry_backoff=0.001
        ) as c,
        pytest.raises(RateLimitError),
    ):
        c.tenants.get("t")
    assert len(sent) == 3

    # A non-JSON error still maps to a typed error.
    transport, _ = _mock([httpx.Response(404, text="no such route")])
    c = Client("http://hookline.test", transport=transport)
    with c, pytest.raises(NotFoundError) as nf:
        c.tenants.get("t")
    assert nf.value.detail == "no such route"
