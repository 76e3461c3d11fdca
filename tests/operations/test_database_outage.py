"""PostgreSQL goes away and comes back: 503s meanwhile, nothing lost, no restart needed.

The outage is made by a TCP proxy between Hookline and the machine's PostgreSQL that
drops every connection and refuses new ones, the same thing clients see when the
cluster is stopped, without disturbing other tests that share the server."""

from __future__ import annotations

import asyncio
import time

from support.harness import settings_for, start_hookline
from support.tcp_proxy import TcpProxy


async def _until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        await asyncio.sleep(0.2)


async def test_outage_during_a_publish_loop_answers_503_and_loses_nothing(pg_url, receivers):
    proxy = await TcpProxy("127.0.0.1", 5432).start()
    proxied = pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    hl = await start_hookline(settings_for(proxied, retry_schedule="1s,1s,1s,1s,1s"))
    try:
        rx = await receivers(statuses=[500, 200])  # the first attempt of all fails
        await hl.event_type("order.placed")
        tenant = (await hl.tenant())["id"]
        await hl.endpoint(tenant, rx.url, ["order.placed"])
        accepted: set[str] = set()
        answers: list[int] = []
        stop = asyncio.Event()

        async def publish_loop() -> None:
            i = 0
            while not stop.is_set():
                resp = await hl.client.post(
                    f"/v1/tenants/{tenant}/messages",
                    json={"event_type": "order.placed", "payload": {"i": i}},
                )
                answers.append(resp.status_code)
                if resp.status_code == 202:
                    accepted.add(resp.json()["id"])
                else:
                    assert resp.status_code == 503, resp.text
                    assert resp.headers["content-type"] == "application/problem+json"
                    assert "Traceback" not in resp.text
                i += 1
                await asyncio.sleep(0.02)

        loop = asyncio.create_task(publish_loop())
        await asyncio.sleep(1.0)
        proxy.cut()
        await asyncio.sleep(0.3)
        assert (await hl.client.get("/readyz")).status_code == 503
        listing = await hl.client.get("/v1/tenants")
        assert listing.status_code == 503
        assert listing.json()["status"] == 503
        await asyncio.sleep(2.0)  # API and worker keep failing to reach the database
        proxy.restore()

        async def ready() -> bool:
            return (await hl.client.get("/readyz")).status_code == 200

        await _until(ready, 15, "readiness after the outage")
        await asyncio.sleep(1.0)
        stop.set()
        await loop

        assert 503 in answers  # the outage was seen, with publishes accepted around it
        first_503 = answers.index(503)
        last_503 = len(answers) - 1 - answers[::-1].index(503)
        assert 202 in answers[:first_503]
        assert 202 in answers[last_503:]
        assert answers.count(202) == len(accepted)
        await rx.wait_for_messages(accepted, timeout=60)
        for mid in list(accepted)[:5]:
            final = await hl.wait_final(tenant, mid, timeout=30)
            assert final["delivery_statuses"][0]["status"] == "delivered"
    finally:
        await hl.stop()
        await proxy.stop()
