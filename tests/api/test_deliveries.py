"""The Deliveries tab, one delivery and its attempts, retry, the test button, and
rotating the secret."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import orjson
import pytest
import standardwebhooks
from aiohttp import web
from standardwebhooks.webhooks import WebhookVerificationError


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        standardwebhooks.Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


async def test_endpoint_deliveries_filter_by_status_event_type_and_time(hookline, receivers):
    await hookline.event_type("invoice.paid")
    await hookline.event_type("invoice.failed")
    tenant = await hookline.tenant()
    tid = tenant["id"]

    async def answer(req):
        kind = orjson.loads(req.body)["type"]
        return web.Response(status=500 if kind == "invoice.failed" else 200)

    rx = await receivers(handler=answer)
    ep = await hookline.endpoint(tid, rx.url, ["invoice.*"])
    url = f"/v1/tenants/{tid}/endpoints/{ep['id']}/deliveries"

    early = [await hookline.publish(tid, "invoice.paid", {"i": i}) for i in range(2)]
    await asyncio.sleep(0.01)
    between = datetime.now(UTC)
    await asyncio.sleep(0.01)
    late = [
        await hookline.publish(tid, "invoice.paid", {"i": 2}),
        await hookline.publish(tid, "invoice.failed", {"i": 3}),
        await hookline.publish(tid, "invoice.failed", {"i": 4}),
    ]
    for m in early + late:
        await hookline.wait_final(tid, m["id"])

    async def ids(**params):
        page = await hookline.call("GET", url, 200, params=params)
        assert page["next_cursor"] is None
        return [d["message_id"] for d in page["data"]]

    everything = await ids()
    assert everything == [m["id"] for m in reversed(early + late)]  # newest first
    assert set(await ids(status="delivered")) == {m["id"] for m in early + late[:1]}
    assert set(await ids(status="expired")) == {m["id"] for m in late[1:]}
    assert await ids(status="pending") == []
    assert set(await ids(event_type="invoice.failed")) == {m["id"] for m in late[1:]}
    assert set(await ids(since=between.isoformat())) == {m["id"] for m in late}
    assert set(await ids(until=between.isoformat())) == {m["id"] for m in early}
    assert set(await ids(since=between.isoformat(), status="delivered")) == {late[0]["id"]}

    page = await hookline.call("GET", url, 200, params={"status": "expired"})
    for d in page["data"]:
        assert d["endpoint_id"] == ep["id"]
        assert d["tenant_id"] == tid
        assert d["event_type"] == "invoice.failed"
        assert d["attempt_count"] == 3
        assert d["last_response_code"] == 500
        assert d["next_attempt_at"] is None


async def test_limits_cursor_and_offset(hookline, problem):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    tid = tenant["id"]
    ep = await hookline.endpoint(
        tid, "https://hooks.acme.example/in", ["invoice.paid"], enabled=False
    )  # disabled: deliveries are recorded (failed), nothing is sent
    for i in range(7):
        await hookline.publish(tid, "invoice.paid", {"i": i})
    url = f"/v1/tenants/{tid}/endpoints/{ep['id']}/deliveries"

    full = await hookline.call("GET", url, 200, params={"limit": 500})
    all_ids = [d["id"] for d in full["data"]]
    assert len(all_ids) == 7
    assert {d["status"] for d in full["data"]} == {"failed"}
    assert {d["failure_reason"] for d in full["data"]} == {"endpoint disabled"}

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = await hookline.call("GET", url, 200, params=params)
        assert 1 <= len(page["data"]) <= 3
        seen += [d["id"] for d in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == all_ids  # every item exactly once, in order

    page = await hookline.call("GET", url, 200, params={"limit": 3, "offset": 2})
    assert [d["id"] for d in page["data"]] == all_ids[2:5]
    assert (await hookline.call("GET", url, 200, params={"limit": 1}))["data"][0]["id"] == all_ids[
        0
    ]

    for limit in (0, 501, -1):
        problem(await hookline.client.get(url, params={"limit": limit}), 422, "query.limit")
    problem(await hookline.client.get(url, params={"offset": -1}), 422, "query.offset")
    for bad in ("not-a-cursor!!", "%%%", "!!!!"):
        problem(await hookline.client.get(url, params={"cursor": bad}), 422, "query.cursor")
    problem(await hookline.client.get(url, params={"status": "lost"}), 422, "query.status")
    problem(await hookline.client.get(url, params={"since": "yesterday"}), 422, "query.since")
    problem(await hookline.client.get(f"/v1/tenants/{tid}/endpoints/nope/deliveries"), 404)


async def test_a_delivery_and_its_attempts(hookline, receivers, problem):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    tid = tenant["id"]
    rx = await receivers(statuses=[503, 200], body=b"busy")
    ep = await hookline.endpoint(
        tid, rx.url, ["invoice.paid"], auth={"type": "bearer", "token": "tok-secret"}
    )
    msg = await hookline.publish(tid, "invoice.paid", {"amount": 7})
    final = await hookline.wait_final(tid, msg["id"])
    (status,) = final["delivery_statuses"]

    delivery = await hookline.call("GET", f"/v1/tenants/{tid}/deliveries/{status['id']}", 200)
    assert delivery["id"] == status["id"]
    assert delivery["message_id"] == msg["id"]
    assert delivery["endpoint_id"] == ep["id"]
    assert delivery["status"] == "delivered"
    assert delivery["attempt_count"] == 2
    assert delivery["last_response_code"] == 200
    same = await hookline.call(
        "GET", f"/v1/tenants/{tid}/endpoints/{ep['id']}/deliveries/{status['id']}", 200
    )
    assert same == delivery

    attempts = await hookline.attempts(tid, status["id"])
    assert [a["attempt_number"] for a in attempts] == [1, 2]
    assert [a["status"] for a in attempts] == ["failed", "succeeded"]
    assert [a["response_code"] for a in attempts] == [503, 200]
    for a, req in zip(attempts, rx.requests, strict=True):
        assert a["id"].startswith("att_")
        assert a["delivery_id"] == status["id"]
        assert a["endpoint_id"] == ep["id"]
        assert a["message_id"] == msg["id"]
        assert a["event_type"] == "invoice.paid"
        assert a["url"] == rx.url
        assert datetime.fromisoformat(a["started_at"]).tzinfo is not None
        assert a["duration_ms"] >= 0
        assert a["response_body"] == "busy"
        assert a["request_body"] == req.body.decode()
        headers = {k.lower(): v for k, v in a["request_headers"].items()}
        assert headers["webhook-id"] == msg["id"]
        assert headers["webhook-timestamp"] == req.headers["webhook-timestamp"]
        assert headers["content-type"] == "application/json"
        assert headers["authorization"] == "Bearer ***"
        assert "tok-secret" not in orjson.dumps(a).decode()
    assert attempts[0]["error_message"]
    assert attempts[1]["error_message"] is None
    assert orjson.loads(attempts[0]["request_body"])["data"] == {"amount": 7}

    via_endpoint = await hookline.call(
        "GET",
        f"/v1/tenants/{tid}/endpoints/{ep['id']}/deliveries/{status['id']}/attempts",
        200,
    )
    assert via_endpoint["data"] == attempts
    page = await hookline.call(
        "GET", f"/v1/tenants/{tid}/deliveries/{status['id']}/attempts", 200, params={"limit": 1}
    )
    assert [a["id"] for a in page["data"]] == [attempts[0]["id"]]
    assert page["next_cursor"]

    problem(await hookline.client.get(f"/v1/tenants/{tid}/deliveries/dlv_nope"), 404)
    problem(await hookline.client.get(f"/v1/tenants/{tid}/deliveries/dlv_nope/attempts"), 404)


async def test_retry_an_expired_delivery_adds_an_attempt_to_it(hookline, receivers, problem):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    tid = tenant["id"]
    rx = await receivers(statuses=[500, 500, 500, 200])
    await hookline.endpoint(tid, rx.url, ["invoice.paid"])
    msg = await hookline.publish(tid, "invoice.paid", {"n": 1})
    final = await hookline.wait_final(tid, msg["id"])
    (status,) = final["delivery_statuses"]
    assert status["status"] == "expired"
    assert status["attempt_count"] == 3

    retried = await hookline.call("POST", f"/v1/tenants/{tid}/deliveries/{status['id']}/retry", 202)
    assert retried["id"] == status["id"]
    assert retried["status"] == "pending"

    final = await hookline.wait_final(tid, msg["id"])
    (after,) = final["delivery_statuses"]
    assert after["id"] == status["id"]
    assert after["status"] == "delivered"
    assert after["attempt_count"] == 4
    attempts = await hookline.attempts(tid, status["id"])
    assert [a["attempt_number"] for a in attempts] == [1, 2, 3, 4]
    assert [a["status"] for a in attempts] == ["failed"] * 3 + ["succeeded"]
    assert len(rx.requests) == 4
    assert {r.headers["webhook-id"] for r in rx.requests} == {msg["id"]}
    assert len({r.body for r in rx.requests}) == 1
    # Still one delivery for the message.
    assert len((await hookline.message(tid, msg["id"]))["delivery_statuses"]) == 1

    problem(await hookline.client.post(f"/v1/tenants/{tid}/deliveries/dlv_nope/retry"), 404)


async def test_send_a_test_event(hookline, receivers, problem):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    tid = tenant["id"]
    rx = await receivers()
    bystander = await receivers()
    ep = await hookline.endpoint(tid, rx.url, ["invoice.paid"])
    await hookline.endpoint(tid, bystander.url, ["*"])
    url = f"/v1/tenants/{tid}/endpoints/{ep['id']}/test"

    sent = await hookline.call("POST", url, 202)
    assert sent["message_id"].startswith("msg_")
    assert sent["delivery_id"].startswith("dlv_")
    (req,) = await rx.wait_for(1)
    body = orjson.loads(req.body)
    assert body["type"] == "webhook.test"
    assert body["id"] == sent["message_id"]
    assert _verifies(ep["secret"], req.body, req.headers)

    sent = await hookline.call(
        "POST", url, 202, json={"event_type": "invoice.paid", "payload": {"amount": 1}}
    )
    reqs = await rx.wait_for(2)
    body = orjson.loads(reqs[1].body)
    assert (body["type"], body["data"]) == ("invoice.paid", {"amount": 1})
    await hookline.wait_final(tid, sent["message_id"])
    assert bystander.requests == []  # to this endpoint alone

    problem(await hookline.client.post(url, json={"event_type": "nope"}), 422)
    problem(await hookline.client.post(f"/v1/tenants/{tid}/endpoints/nope/test"), 404)


@pytest.mark.parametrize(("answer", "outcome"), [(200, "succeeded"), (500, "failed")])
async def test_send_a_test_event_and_wait_for_the_outcome(hookline, receivers, answer, outcome):
    tenant = await hookline.tenant()
    tid = tenant["id"]
    rx = await receivers(statuses=[answer])
    ep = await hookline.endpoint(tid, rx.url, ["webhook.test"])

    result = await hookline.call(
        "POST", f"/v1/tenants/{tid}/endpoints/{ep['id']}/test?wait=true", 200
    )
    assert result["outcome"] == outcome
    attempt = result["attempt"]
    assert attempt["attempt_number"] == 1
    assert attempt["status"] == outcome
    assert attempt["response_code"] == answer
    assert attempt["delivery_id"] == result["delivery_id"]
    assert len(rx.requests) >= 1


async def test_rotate_secret_signs_with_both_during_the_grace(hookline, receivers, problem):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    tid = tenant["id"]
    rx = await receivers()
    ep = await hookline.endpoint(tid, rx.url, ["invoice.paid"])
    old = ep["secret"]
    url = f"/v1/tenants/{tid}/endpoints/{ep['id']}/rotate-secret"

    rotated = await hookline.call("POST", url, 200)
    new = rotated["secret"]
    assert new.startswith("whsec_")
    assert new != old
    assert rotated["endpoint_id"] == ep["id"]
    assert rotated["previous_secret_expires_at"]
    got = await hookline.call("GET", f"/v1/tenants/{tid}/endpoints/{ep['id']}", 200)
    assert "secret" not in got
    assert new not in orjson.dumps(got).decode()

    msg = await hookline.publish(tid, "invoice.paid", {"n": 1})
    (req,) = await rx.wait_for(1)
    signatures = req.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(s.startswith("v1,") for s in signatures)
    verifying = []
    for sig in signatures:
        headers = {**req.headers, "webhook-signature": sig}
        verifying.append({s for s in (old, new) if _verifies(s, req.body, headers)})
    assert sorted(map(sorted, verifying)) == sorted([[old], [new]])
    assert _verifies(old, req.body, req.headers)
    assert _verifies(new, req.body, req.headers)
    await hookline.wait_final(tid, msg["id"])

    # With no grace, only the newest secret signs.
    rotated = await hookline.call("POST", url, 200, json={"grace_period": 0})
    newest = rotated["secret"]
    await hookline.publish(tid, "invoice.paid", {"n": 2})
    reqs = await rx.wait_for(2)
    assert len(reqs[1].headers["webhook-signature"].split(" ")) == 1
    assert _verifies(newest, reqs[1].body, reqs[1].headers)
    assert not _verifies(new, reqs[1].body, reqs[1].headers)
    assert not _verifies(old, reqs[1].body, reqs[1].headers)

    for grace in (-1, 10**30):
        resp = await hookline.client.post(url, json={"grace_period": grace})
        problem(resp, 422, "body.grace_period")
    problem(await hookline.client.post(url, json={"secret": "whsec_short"}), 422, "body.secret")


async def test_rotate_gives_an_unsigned_endpoint_a_secret(hookline, receivers):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    tid = tenant["id"]
    rx = await receivers()
    ep = await hookline.endpoint(tid, rx.url, ["invoice.paid"], generate_secret=False)
    rotated = await hookline.call(
        "POST", f"/v1/tenants/{tid}/endpoints/{ep['id']}/rotate-secret", 200
    )
    got = await hookline.call("GET", f"/v1/tenants/{tid}/endpoints/{ep['id']}", 200)
    assert got["has_secret"] is True
    await hookline.publish(tid, "invoice.paid", {"n": 1})
    (req,) = await rx.wait_for(1)
    assert len(req.headers["webhook-signature"].split(" ")) == 1
    assert _verifies(rotated["secret"], req.body, req.headers)
