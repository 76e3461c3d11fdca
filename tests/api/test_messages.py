"""/v1/tenants/{tenant}/messages: publish (idempotent), list, and one message with the
status of each of its deliveries."""

from __future__ import annotations

import asyncio


async def test_publish_answers_202_with_the_delivery_count(hookline, receivers, problem):
    await hookline.event_type("invoice.paid")
    await hookline.event_type("contact.created")
    tenant = await hookline.tenant()
    tid = tenant["id"]
    a, b, c = [await receivers() for _ in range(3)]
    ep_a = await hookline.endpoint(tid, a.url, ["invoice.paid"])
    ep_b = await hookline.endpoint(tid, b.url, ["invoice.*"])
    await hookline.endpoint(tid, c.url, ["contact.created"])

    resp = await hookline.client.post(
        f"/v1/tenants/{tid}/messages",
        json={"event_type": "invoice.paid", "payload": {"amount": 1200}},
    )
    assert resp.status_code == 202, resp.text
    msg = resp.json()
    assert msg["id"].startswith("msg_")
    assert msg["deliveries"] == 2
    assert msg["tenant_id"] == tid
    assert msg["event_type"] == "invoice.paid"
    assert msg["payload"] == {"amount": 1200}

    final = await hookline.wait_final(tid, msg["id"])
    assert final["payload"] == {"amount": 1200}
    by_endpoint = {d["endpoint_id"]: d for d in final["delivery_statuses"]}
    assert set(by_endpoint) == {ep_a["id"], ep_b["id"]}
    for d in by_endpoint.values():
        assert d["id"].startswith("dlv_")
        assert d["status"] == "delivered"
        assert d["attempt_count"] == 1
        assert d["last_response_code"] == 200
        assert d["next_attempt_at"] is None
    assert (len(a.requests), len(b.requests), len(c.requests)) == (1, 1, 0)

    # No subscriber: still accepted, bound for nobody.
    await hookline.event_type("nobody.cares")
    lonely = await hookline.publish(tid, "nobody.cares", [1, 2, 3])
    assert lonely["deliveries"] == 0
    assert (await hookline.message(tid, lonely["id"]))["delivery_statuses"] == []

    # Any JSON value is a payload.
    for payload in ("text", 42, None, [], {"nested": {"deep": [True]}}):
        m = await hookline.publish(tid, "nobody.cares", payload)
        assert (await hookline.message(tid, m["id"]))["payload"] == payload

    problem(await hookline.client.get(f"/v1/tenants/{tid}/messages/msg_nope"), 404)


async def test_idempotency_key_returns_the_first_message(hookline, receivers, problem):
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    other = await hookline.tenant("Other")
    tid = tenant["id"]
    rx1, rx2 = await receivers(), await receivers()
    await hookline.endpoint(tid, rx1.url, ["invoice.paid"])
    await hookline.endpoint(tid, rx2.url, ["invoice.paid"])
    url = f"/v1/tenants/{tid}/messages"
    body = {"event_type": "invoice.paid", "payload": {"n": 1}}

    first = await hookline.client.post(url, json=body, headers={"Idempotency-Key": "order-42"})
    assert first.status_code == 202
    again = await hookline.client.post(url, json=body, headers={"Idempotency-Key": "order-42"})
    assert again.status_code == 200, again.text
    assert again.json() == first.json()  # the first message, as it was
    assert again.json()["deliveries"] == 2
    # (The same key with another request is a 409: tests/api/test_idempotent_publish.py.)

    # The body `id` is an idempotency key too.
    by_id = await hookline.client.post(url, json={**body, "id": "evt-7"})
    assert by_id.status_code == 202
    by_id_again = await hookline.client.post(url, json={**body, "id": "evt-7"})
    assert by_id_again.status_code == 200
    assert by_id_again.json()["id"] == by_id.json()["id"]

    for m in (first.json(), by_id.json()):
        final = await hookline.wait_final(tid, m["id"])
        assert len(final["delivery_statuses"]) == 2  # one per endpoint, no more
    await asyncio.sleep(0.1)  # nothing else is on its way
    assert len(rx1.requests) == len(rx2.requests) == 2
    assert sorted(r.headers["webhook-id"] for r in rx1.requests) == sorted(
        [first.json()["id"], by_id.json()["id"]]
    )
    listed = await hookline.call("GET", url, 200)
    assert len(listed["data"]) == 2

    # A client retrying in a hurry: concurrent requests with one key make one message.
    burst = await asyncio.gather(
        *(
            hookline.client.post(url, json=body, headers={"Idempotency-Key": "burst"})
            for _ in range(6)
        )
    )
    assert sorted(r.status_code for r in burst) == [200] * 5 + [202]
    assert len({r.json()["id"] for r in burst}) == 1
    final = await hookline.wait_final(tid, burst[0].json()["id"])
    assert len(final["delivery_statuses"]) == 2
    listed = await hookline.call("GET", url, 200)
    assert len(listed["data"]) == 3

    # Keys are per tenant: the same key elsewhere is a new message.
    elsewhere = await hookline.client.post(
        f"/v1/tenants/{other['id']}/messages", json=body, headers={"Idempotency-Key": "order-42"}
    )
    assert elsewhere.status_code == 202
    assert elsewhere.json()["id"] != first.json()["id"]

    # An empty or oversized key is refused, wherever it was given.
    resp = await hookline.client.post(url, json=body, headers={"Idempotency-Key": "k" * 256})
    problem(resp, 422, "header.Idempotency-Key")
    problem(await hookline.client.post(url, json={**body, "id": ""}), 422, "body.id")
    problem(await hookline.client.post(url, json={**body, "id": "k" * 256}), 422, "body.id")


async def test_unknown_event_type_is_422_and_stores_nothing(hookline, problem):
    tenant = await hookline.tenant()
    url = f"/v1/tenants/{tenant['id']}/messages"
    resp = await hookline.client.post(url, json={"event_type": "invoice.nope", "payload": {}})
    body = problem(resp, 422, "body.event_type")
    assert "invoice.nope" in body["detail"]
    problem(await hookline.client.post(url, json={"payload": {}}), 422, "body.event_type")
    problem(await hookline.client.post(url, json={"event_type": "webhook.test"}), 422)
    assert (await hookline.call("GET", url, 200))["data"] == []
    problem(
        await hookline.client.post(
            "/v1/tenants/nobody/messages", json={"event_type": "webhook.test", "payload": {}}
        ),
        404,
    )


async def test_payload_over_the_limit_is_413(start, problem):
    hookline = await start(max_payload_bytes=1024)
    await hookline.event_type("invoice.paid")
    tenant = await hookline.tenant()
    url = f"/v1/tenants/{tenant['id']}/messages"

    ok = await hookline.publish(tenant["id"], "invoice.paid", {"blob": "x" * 900})
    assert ok["deliveries"] == 0

    resp = await hookline.client.post(
        url, json={"event_type": "invoice.paid", "payload": {"blob": "x" * 2000}}
    )
    problem(resp, 413)
    # Far beyond: refused before the body is even read.
    resp = await hookline.client.post(
        url, json={"event_type": "invoice.paid", "payload": {"blob": "x" * 200_000}}
    )
    problem(resp, 413)

    listed = await hookline.call("GET", url, 200)
    assert [m["id"] for m in listed["data"]] == [ok["id"]]


async def test_list_messages_newest_first_with_paging_and_filters(hookline, problem):
    await hookline.event_type("invoice.paid")
    await hookline.event_type("contact.created")
    tenant = await hookline.tenant()
    tid = tenant["id"]
    published = []
    for i in range(5):
        published.append(await hookline.publish(tid, "invoice.paid", {"i": i}))
    published.append(await hookline.publish(tid, "contact.created", {"i": 5}))
    newest_first = [m["id"] for m in reversed(published)]

    listed = await hookline.call("GET", f"/v1/tenants/{tid}/messages", 200)
    assert [m["id"] for m in listed["data"]] == newest_first
    assert listed["next_cursor"] is None
    assert listed["data"][0]["payload"] == {"i": 5}
    assert all(m["deliveries"] == 0 for m in listed["data"])

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await hookline.call("GET", f"/v1/tenants/{tid}/messages", 200, params=params)
        assert len(page["data"]) <= 2
        seen += [m["id"] for m in page["data"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == newest_first
    assert pages == 3

    page = await hookline.call(
        "GET", f"/v1/tenants/{tid}/messages", 200, params={"limit": 2, "offset": 4}
    )
    assert [m["id"] for m in page["data"]] == newest_first[4:]

    page = await hookline.call(
        "GET", f"/v1/tenants/{tid}/messages", 200, params={"event_type": "contact.created"}
    )
    assert [m["id"] for m in page["data"]] == [published[5]["id"]]

    for limit in (0, 501):
        problem(
            await hookline.client.get(f"/v1/tenants/{tid}/messages", params={"limit": limit}),
            422,
            "query.limit",
        )
