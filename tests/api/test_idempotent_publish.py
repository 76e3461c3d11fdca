"""An idempotency key names one request for 24 h (DESIGN §3): the same request again is
answered 200 with the first message; another request with the key (another event type,
payload or ordering key) is refused 409 and stores nothing, whichever way the publish
comes in (the fast path or the route), alone, concurrently in one process, or from two.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
from sqlalchemy import update

from hookline.store.database import Database
from hookline.store.schema import messages


async def fast(client: httpx.AsyncClient, url: str, body: Any, key: str) -> httpx.Response:
    """A JSON body of a declared length: the publish fast path answers it."""
    headers = {"content-type": "application/json", "Idempotency-Key": key}
    return await client.post(url, content=orjson.dumps(body), headers=headers)


async def routed(client: httpx.AsyncClient, url: str, body: Any, key: str) -> httpx.Response:
    """The same body chunked: FastAPI's route answers it."""

    async def chunks() -> AsyncIterator[bytes]:
        yield orjson.dumps(body)

    headers = {"content-type": "application/json", "Idempotency-Key": key}
    return await client.post(url, content=chunks(), headers=headers)


async def _setup(hl: Any, receivers: Any) -> tuple[str, Any]:
    await hl.event_type("invoice.paid")
    await hl.event_type("invoice.voided")
    tid = (await hl.tenant())["id"]
    rx = await receivers()
    await hl.endpoint(tid, rx.url, ["invoice.*"])
    return tid, rx


async def _stored(hl: Any, tid: str) -> list[dict[str, Any]]:
    page = await hl.call("GET", f"/v1/tenants/{tid}/messages", 200, params={"limit": 500})
    data: list[dict[str, Any]] = page["data"]
    return data


async def test_the_same_key_with_another_request_is_409_either_way(hookline, receivers, problem):
    tid, rx = await _setup(hookline, receivers)
    url = f"/v1/tenants/{tid}/messages"
    body = {"event_type": "invoice.paid", "payload": {"invoice": "in_1", "amount": 10}}
    for send in (fast, routed):
        key = f"order-{send.__name__}"
        first = await send(hookline.client, url, body, key)
        assert first.status_code == 202, first.text
        # The same request, its object's keys in another order: the first message.
        same = {"payload": {"amount": 10, "invoice": "in_1"}, "event_type": "invoice.paid"}
        for again in (
            await fast(hookline.client, url, same, key),
            await routed(hookline.client, url, same, key),
        ):
            assert again.status_code == 200, again.text
            assert again.json() == first.json()

        for other, location in (
            ({**body, "payload": {"invoice": "in_1", "amount": 11}}, "body.payload"),
            ({**body, "event_type": "invoice.voided"}, "body.event_type"),
            ({**body, "ordering_key": "in_1"}, "body.ordering_key"),
        ):
            for way in (fast, routed):
                refused = await way(hookline.client, url, other, key)
                found = problem(refused, 409, location)
                assert found["type"].endswith("/conflict")
                assert repr(key) in found["detail"]
                assert first.json()["id"] in found["detail"]
                assert "different request" in found["detail"]
        # The body's `id` is a key as well.
        by_id = await send(hookline.client, url, {**body, "id": f"evt-{key}"}, "")
        assert by_id.status_code == 202
        other_by_id = {**body, "id": f"evt-{key}", "payload": {}}
        problem(await send(hookline.client, url, other_by_id, ""), 409, "body.payload")

    stored = await _stored(hookline, tid)
    assert len(stored) == 4  # two keys and two ids, one message each: the 409s stored nothing
    for m in stored:
        await hookline.wait_final(tid, m["id"])
    await asyncio.sleep(0.1)
    assert len(rx.requests) == 4


async def test_concurrent_publishes_with_one_key_make_one_message(hookline, receivers):
    """Publishes share a transaction (group commit): a twin in the same batch is
    judged as one in the database would be."""
    tid, _ = await _setup(hookline, receivers)
    url = f"/v1/tenants/{tid}/messages"
    body = {"event_type": "invoice.paid", "payload": {"n": 1}}
    changed = {"event_type": "invoice.paid", "payload": {"n": 2}}
    for round_ in range(10):
        ways = (fast, routed) if round_ % 2 else (routed, fast)
        same_key, other_key = f"same-{round_}", f"other-{round_}"
        answers = await asyncio.gather(
            ways[0](hookline.client, url, body, same_key),
            ways[1](hookline.client, url, body, same_key),
            ways[0](hookline.client, url, body, other_key),
            ways[1](hookline.client, url, changed, other_key),
        )
        same, other = answers[:2], answers[2:]
        assert sorted(a.status_code for a in same) == [200, 202], [a.text for a in same]
        assert same[0].json()["id"] == same[1].json()["id"]
        assert sorted(a.status_code for a in other) == [202, 409], [a.text for a in other]
    assert len(await _stored(hookline, tid)) == 20


async def test_two_processes_publishing_one_key_make_one_message(start, receivers):
    """Two API processes (two runtimes, each its own group commit and pool) on one
    database: the loser of a race meets the unique index, looks again and answers as
    for any repeat."""
    admin = "operator-chosen-admin-key-0123456789"
    one = await start(admin_key=admin)
    two = await start(admin_key=admin, with_worker=False)
    tid, _ = await _setup(one, receivers)
    url = f"/v1/tenants/{tid}/messages"
    body = {"event_type": "invoice.paid", "payload": {"n": 1}}
    changed = {"event_type": "invoice.paid", "payload": {"n": 2}}
    for round_ in range(10):
        key = f"race-{round_}"
        second = changed if round_ % 2 else body
        answers = await asyncio.gather(
            fast(one.client, url, body, key), fast(two.client, url, second, key)
        )
        wanted = [202, 409] if round_ % 2 else [200, 202]
        assert sorted(a.status_code for a in answers) == wanted, [a.text for a in answers]
    assert len(await _stored(one, tid)) == 10


async def test_messages_stored_before_fingerprints_are_answered_as_before(hookline, receivers):
    tid, _ = await _setup(hookline, receivers)
    url = f"/v1/tenants/{tid}/messages"
    body = {"event_type": "invoice.paid", "payload": {"n": 1}}
    first = await fast(hookline.client, url, body, "old")
    assert first.status_code == 202
    db = Database(hookline.runtime.settings.database_url)
    try:  # as a message published before migration 0005 is stored
        async with db.engine.begin() as conn:
            await conn.execute(update(messages).values(request_fingerprint=None))
    finally:
        await db.dispose()
    other = {**body, "payload": {"n": 2}}
    again = await fast(hookline.client, url, other, "old")
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
