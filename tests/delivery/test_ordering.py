"""FIFO endpoints: one message at a time per ordering key, in publish order."""

from __future__ import annotations

import asyncio

import orjson
from aiohttp import web


async def test_fifo_keys_go_in_order_and_a_failing_head_blocks_only_its_key(start, receivers):
    hl = await start(retry_schedule="1s,1s")
    in_flight: dict[str, int] = {}
    overlap = []
    failed_once: set[str] = set()

    async def handler(req):
        data = orjson.loads(req.body)["data"]
        key = data["key"]
        in_flight[key] = in_flight.get(key, 0) + 1
        if in_flight[key] > 1:
            overlap.append(key)
        await asyncio.sleep(0.02)
        in_flight[key] -= 1
        if data["n"] == 2 and key == "a" and key not in failed_once:
            failed_once.add(key)
            return web.Response(status=500)
        return web.Response(status=200)

    rx = await receivers(handler=handler)
    await hl.event_type("doc.changed")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, rx.url, ["doc.changed"], ordering="fifo", max_in_flight=10)
    published = []
    for n in range(1, 6):
        for key in ("a", "b", "c"):
            m = await hl.publish(tenant, "doc.changed", {"key": key, "n": n}, ordering_key=key)
            published.append(m["id"])
    for mid in published:
        await hl.wait_final(tenant, mid, timeout=20)

    seen: dict[str, list[int]] = {}
    order = []
    for r in rx.requests:
        data = orjson.loads(r.body)["data"]
        seen.setdefault(data["key"], []).append(data["n"])
        order.append((data["key"], data["n"]))
    assert seen["a"] == [1, 2, 2, 3, 4, 5]  # a2 failed once and was retried before a3
    assert seen["b"] == [1, 2, 3, 4, 5]
    assert seen["c"] == [1, 2, 3, 4, 5]
    assert overlap == []  # never two of one key at once
    # While a2 waited a second for its retry, the other keys were not held back.
    first_a2, retry_a2 = [i for i, kn in enumerate(order) if kn == ("a", 2)]
    assert order.index(("b", 5)) < retry_a2
    assert order.index(("c", 5)) < retry_a2


async def test_fifo_without_a_key_is_one_queue_for_the_endpoint(start, receivers):
    hl = await start()
    rx = await receivers(delay=0.01)
    await hl.event_type("doc.changed")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, rx.url, ["doc.changed"], ordering="fifo")
    ids = [(await hl.publish(tenant, "doc.changed", {"n": n}))["id"] for n in range(20)]
    await rx.wait_for(20)
    assert [orjson.loads(r.body)["data"]["n"] for r in rx.requests] == list(range(20))
    assert [r.headers["webhook-id"] for r in rx.requests] == ids


async def test_unordered_endpoints_deliver_concurrently(start, receivers):
    hl = await start()
    peak = 0
    current = 0

    async def handler(_req):
        nonlocal peak, current
        current += 1
        peak = max(peak, current)
        await asyncio.sleep(0.1)
        current -= 1
        return web.Response(status=200)

    rx = await receivers(handler=handler)
    await hl.event_type("doc.changed")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, rx.url, ["doc.changed"])
    for n in range(10):
        await hl.publish(tenant, "doc.changed", {"n": n}, ordering_key="same")
    await rx.wait_for(10)
    assert peak > 1


async def test_fifo_with_every_first_attempt_failing_keeps_publish_order(start, receivers):
    hl = await start(retry_schedule="200ms,200ms,200ms")
    attempts: dict[str, int] = {}
    successes: list[tuple[str, int]] = []

    async def handler(req):
        data = orjson.loads(req.body)["data"]
        mid = req.headers["webhook-id"]
        attempts[mid] = attempts.get(mid, 0) + 1
        if attempts[mid] == 1:
            return web.Response(status=500)
        successes.append((data["key"], data["n"]))
        return web.Response(status=200)

    rx = await receivers(handler=handler)
    await hl.event_type("doc.changed")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, rx.url, ["doc.changed"], ordering="fifo")
    ids = []
    for n in range(1, 5):
        for key in ("x", "y"):
            m = await hl.publish(tenant, "doc.changed", {"key": key, "n": n}, ordering_key=key)
            ids.append(m["id"])
    for mid in ids:
        await hl.wait_final(tenant, mid, timeout=20)

    arrivals: dict[str, list[int]] = {}
    for r in rx.requests:
        data = orjson.loads(r.body)["data"]
        arrivals.setdefault(data["key"], []).append(data["n"])
    # Each key: every message twice (failed, then delivered), strictly in publish order.
    assert arrivals["x"] == [1, 1, 2, 2, 3, 3, 4, 4]
    assert arrivals["y"] == [1, 1, 2, 2, 3, 3, 4, 4]
    assert [n for k, n in successes if k == "x"] == [1, 2, 3, 4]
    assert [n for k, n in successes if k == "y"] == [1, 2, 3, 4]
    # The two keys interleave: neither waited for the other to finish.
    keys = [k for k, _ in successes]
    assert keys.index("y") < len(keys) - keys[::-1].index("x") - 1
