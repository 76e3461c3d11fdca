"""Svix messages and message attempts: a repeated `eventId` is a 409 behind this door
only, channels and the other filters, `with_content`, lookups by eventId, and Svix's
status numbers for attempts and for messages at an endpoint."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from api.svix.conftest import eventually


async def _setup(hookline, client, url: str) -> tuple[str, str]:
    await hookline.event_type("invoice.paid")
    await hookline.event_type("user.signup")
    tid = (await client.post("/api/v1/app", json={"name": "Acme", "uid": "acme"})).json()["id"]
    ep = await client.post("/api/v1/app/acme/endpoint", json={"url": url, "uid": "main"})
    return tid, ep.json()["id"]


async def test_a_repeated_event_id_is_a_conflict_behind_this_door_only(
    hookline, svix_http, receivers
):
    rx = await receivers()
    async with svix_http() as client:
        tid, _ = await _setup(hookline, client, rx.url)
        body = {"eventType": "invoice.paid", "payload": {"n": 1}, "eventId": "inv-1"}
        first = await client.post("/api/v1/app/acme/msg", json=body)
        assert first.status_code == 202
        again = await client.post("/api/v1/app/acme/msg", json=body)
        assert (again.status_code, again.json()["code"]) == (409, "conflict")
        assert first.json()["id"] in again.json()["detail"]
        # The native API keeps its own rule for the same key: the first message, 200.
        native = await hookline.client.post(
            f"/v1/tenants/{tid}/messages",
            json={"event_type": "invoice.paid", "payload": {"n": 1}},
            headers={"Idempotency-Key": "inv-1"},
        )
        assert (native.status_code, native.json()["id"]) == (200, first.json()["id"])
        # A key published natively is an eventId here, and taken.
        await hookline.publish(tid, "invoice.paid", {}, headers={"Idempotency-Key": "native-7"})
        taken = await client.post("/api/v1/app/acme/msg", json={**body, "eventId": "native-7"})
        assert taken.status_code == 409
        # Without an eventId, an SDK's retry (the same idempotency-key header) gets the
        # first message again, as Svix replays the first answer.
        headers = {"idempotency-key": "auto_3c9f1c0e-retry"}
        plain = {"eventType": "invoice.paid", "payload": {"n": 2}}
        sent = await client.post("/api/v1/app/acme/msg", json=plain, headers=headers)
        retried = await client.post("/api/v1/app/acme/msg", json=plain, headers=headers)
        assert (sent.status_code, retried.status_code) == (202, 202)
        assert retried.json()["id"] == sent.json()["id"]
        assert sent.json()["eventId"] is None  # an SDK's key is no eventId
        await rx.wait_for(3)
        assert len(rx.message_ids()) == 3  # inv-1, native-7 and the retried one, once each


async def test_what_hookline_cannot_do_is_refused(hookline, svix_http, receivers):
    rx = await receivers()
    async with svix_http() as client:
        await _setup(hookline, client, rx.url)
        later = {
            "eventType": "invoice.paid",
            "payload": {},
            "deliverAt": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        }
        refused = await client.post("/api/v1/app/acme/msg", json=later)
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "deliverAt"]
        tagged = await client.get("/api/v1/app/acme/msg", params={"tag": "x"})
        assert tagged.status_code == 422
        assert (await client.get("/api/v1/app/acme/msg")).json()["data"] == []


async def test_listing_messages(hookline, svix_http, receivers):
    rx = await receivers()
    async with svix_http() as client:
        tid, _ = await _setup(hookline, client, rx.url)
        sent = []
        for n, (event_type, channels) in enumerate(
            [("invoice.paid", ["eu"]), ("user.signup", None), ("invoice.paid", ["us", "eu"])]
        ):
            body = {"eventType": event_type, "payload": {"n": n}}
            if channels:
                body["channels"] = channels
            sent.append((await client.post("/api/v1/app/acme/msg", json=body)).json())
            await asyncio.sleep(0.002)  # distinct creation times for before/after
        ids = [m["id"] for m in sent]

        async def listed(**params) -> list[str]:
            page = (await client.get("/api/v1/app/acme/msg", params=params)).json()
            return [m["id"] for m in page["data"]]

        assert await listed() == ids[::-1]
        assert await listed(channel="eu") == [ids[2], ids[0]]
        assert await listed(event_types="user.signup") == [ids[1]]
        assert await listed(event_types="user.signup,invoice.paid") == ids[::-1]
        resp = await client.get(
            "/api/v1/app/acme/msg", params=[("event_types", "user.signup"), ("event_types", "x")]
        )
        assert [m["id"] for m in resp.json()["data"]] == [ids[1]]
        second = (await client.get(f"/api/v1/app/acme/msg/{ids[1]}")).json()["timestamp"]
        assert await listed(before=second) == [ids[0]]
        assert await listed(after=second) == [ids[2], ids[1]]

        # Payloads are there unless with_content=false (the 2.x SDKs' default).
        page = (await client.get("/api/v1/app/acme/msg", params={"with_content": "false"})).json()
        assert [m["payload"] for m in page["data"]] == [{}, {}, {}]
        one = (await client.get(f"/api/v1/app/acme/msg/{ids[0]}")).json()
        assert (one["payload"], one["channels"], one["eventType"]) == (
            {"n": 0},
            ["eu"],
            "invoice.paid",
        )
        # A native message whose payload is no JSON object reads as one here.
        native = await hookline.publish(tid, "invoice.paid", [1, 2])
        wrapped = (await client.get(f"/api/v1/app/acme/msg/{native['id']}")).json()
        assert wrapped["payload"] == {"data": [1, 2]}


async def test_the_application_may_come_along(hookline, svix_http):
    await hookline.event_type("invoice.paid")
    async with svix_http() as client:
        body = {
            "eventType": "invoice.paid",
            "payload": {},
            "application": {"name": "New", "uid": "new"},
        }
        sent = await client.post("/api/v1/app/new/msg", json=body)
        assert sent.status_code == 202, sent.text
        assert (await client.get("/api/v1/app/new")).json()["name"] == "New"
        again = await client.post("/api/v1/app/new/msg", json=body)  # found, not made twice
        assert again.status_code == 202
        mismatch = {**body, "application": {"name": "New", "uid": "other"}}
        assert (await client.post("/api/v1/app/new/msg", json=mismatch)).status_code == 422


async def test_attempts_and_their_status_numbers(start, receivers):
    # A long second step: a failed first attempt leaves the delivery "sending" (3).
    hl = await start(retry_schedule="60s")
    ok, flaky = await receivers(), await receivers(statuses=[503, 200])
    async with hl.as_key(hl.admin_key) as client:
        await _setup(hl, client, ok.url)
        other = (
            await client.post("/api/v1/app/acme/endpoint", json={"url": flaky.url, "uid": "flaky"})
        ).json()["id"]
        msg = (
            await client.post(
                "/api/v1/app/acme/msg",
                json={"eventType": "invoice.paid", "payload": {}, "eventId": "e-1"},
            )
        ).json()
        await ok.wait_for(1)
        await flaky.wait_for(1)

        async def attempts(path, **params):
            page = (await client.get(path, params=params)).json()
            return page["data"]

        (done,) = await eventually(lambda: attempts("/api/v1/app/acme/attempt/endpoint/main"))
        (failed,) = await eventually(lambda: attempts("/api/v1/app/acme/attempt/endpoint/flaky"))
        assert (done["status"], done["statusText"], done["responseStatusCode"]) == (
            0,
            "success",
            200,
        )
        assert (failed["status"], failed["statusText"], failed["responseStatusCode"]) == (
            2,
            "fail",
            503,
        )
        assert failed["response"] == "ok"  # the receiver's body
        assert (await attempts("/api/v1/app/acme/attempt/endpoint/flaky", with_content="false"))[0][
            "response"
        ] == ""
        with_msg = await attempts("/api/v1/app/acme/attempt/endpoint/main", with_msg="true")
        assert with_msg[0]["msg"]["id"] == msg["id"]
        for status, wanted in ((0, [done["id"]]), (2, []), (1, []), (3, []), (4, [])):
            got = await attempts("/api/v1/app/acme/attempt/endpoint/main", status=status)
            assert [a["id"] for a in got] == wanted, status
        by_class = await attempts("/api/v1/app/acme/attempt/endpoint/flaky", status_code_class=500)
        assert [a["id"] for a in by_class] == [failed["id"]]
        assert (
            await attempts("/api/v1/app/acme/attempt/endpoint/flaky", status_code_class=200) == []
        )
        bad = await client.get(
            "/api/v1/app/acme/attempt/endpoint/flaky", params={"status_code_class": 250}
        )
        assert bad.status_code == 422

        # By message (its id or its eventId), optionally to one endpoint; one attempt.
        both = await attempts("/api/v1/app/acme/attempt/msg/e-1")
        assert {a["id"] for a in both} == {done["id"], failed["id"]}
        only = await attempts(f"/api/v1/app/acme/attempt/msg/{msg['id']}", endpoint_id="flaky")
        assert [a["id"] for a in only] == [failed["id"]]
        one = (await client.get(f"/api/v1/app/acme/msg/e-1/attempt/{done['id']}")).json()
        assert (one["id"], one["msgId"], one["endpointId"]) == (
            done["id"],
            msg["id"],
            done["endpointId"],
        )
        assert (
            await client.get(f"/api/v1/app/acme/msg/e-1/attempt/{failed['id']}x")
        ).status_code == 404

        # The message at each endpoint: delivered (0) here, sending (3) there.
        def states(page):
            return [(m["id"], m["status"], m["statusText"]) for m in page["data"]]

        assert states((await client.get("/api/v1/app/acme/endpoint/main/msg")).json()) == [
            (msg["id"], 0, "success")
        ]
        sending = (await client.get(f"/api/v1/app/acme/endpoint/{other}/msg")).json()
        assert states(sending) == [(msg["id"], 3, "sending")]
        assert sending["data"][0]["nextAttempt"] is not None
        filtered = await client.get(f"/api/v1/app/acme/endpoint/{other}/msg", params={"status": 1})
        assert filtered.json()["data"] == []
        destinations = (await client.get("/api/v1/app/acme/msg/e-1/endpoint")).json()
        assert sorted((d["uid"], d["status"]) for d in destinations["data"]) == [
            ("flaky", 3),
            ("main", 0),
        ]
        # Resend now, instead of in a minute: the second answer is a 200.
        resent = await client.post("/api/v1/app/acme/msg/e-1/endpoint/flaky/resend")
        assert (resent.status_code, resent.json()) == (202, {})
        await flaky.wait_for(2)

        async def delivered():
            page = (await client.get("/api/v1/app/acme/endpoint/flaky/msg")).json()
            return page["data"][0]["status"] == 0

        await eventually(delivered)
        never = await client.post(f"/api/v1/app/acme/msg/msg_{'0' * 26}/endpoint/flaky/resend")
        assert never.status_code == 404
