"""Crash test: three worker processes on PostgreSQL, one SIGKILLed about every second,
while 3,000 messages are published through the API. Every accepted message must reach
the receiver; only attempts in flight at a kill may repeat."""

from __future__ import annotations

import asyncio
import random
import time

import asyncpg
import httpx
import pytest

from support.harness import settings_for, start_hookline
from support.process import Proc, hookline_env

MESSAGES = 3000
WORKERS = 3


async def _count(url: str, where: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM deliveries WHERE {where}"))
    finally:
        await conn.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_sigkilled_workers_lose_nothing(pg_url, receivers, tmp_path):
    rx = await receivers()
    hl = await start_hookline(settings_for(pg_url), with_worker=False)
    env = hookline_env(
        pg_url,
        HOOKLINE_ALLOW_HTTP="true",
        HOOKLINE_ALLOW_PRIVATE_TARGETS="true",
        HOOKLINE_LEASE_SECONDS="3",
        HOOKLINE_POLL_INTERVAL="0.5",
        HOOKLINE_LOG_LEVEL="WARNING",
    )
    logs = tmp_path / "workers.log"
    workers = [Proc(["worker"], env, logs, tmp_path) for _ in range(WORKERS)]
    kills: list[float] = []
    stop_killing = asyncio.Event()
    rng = random.Random(42)

    async def killer() -> None:
        while not stop_killing.is_set():
            await asyncio.sleep(rng.uniform(0.7, 1.3))
            i = rng.randrange(WORKERS)
            workers[i].kill()
            kills.append(time.monotonic())
            workers[i] = Proc(["worker"], env, logs, tmp_path)

    try:
        await hl.event_type("order.placed")
        tenant = (await hl.tenant())["id"]
        await hl.endpoint(tenant, rx.url, ["order.placed"], max_in_flight=50)
        killing = asyncio.create_task(killer())
        accepted: set[str] = set()
        sem = asyncio.Semaphore(8)

        async def publish(client: httpx.AsyncClient, i: int) -> None:
            async with sem:
                r = await client.post(
                    f"/v1/tenants/{tenant}/messages",
                    json={"event_type": "order.placed", "payload": {"i": i}},
                )
                assert r.status_code == 202, r.text
                accepted.add(r.json()["id"])

        t0 = time.monotonic()
        await asyncio.gather(*(publish(hl.client, i) for i in range(MESSAGES)))
        print(f"\npublished in {time.monotonic() - t0:.1f}s, received {len(rx.message_ids())}")
        # Keep killing until most of the backlog is through, then let the rest drain.
        await rx.wait_until(lambda _: len(rx.message_ids()) >= MESSAGES * 0.9, 120, "90 %")
        stop_killing.set()
        await killing
        await rx.wait_for_messages(accepted, timeout=120)
        # Results of attempts made just before a kill are written when their lease runs
        # out and the delivery is sent again: wait for the database to agree.
        deadline = time.monotonic() + 60
        while await _count(pg_url, "status <> 'delivered'") and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
    finally:
        stop_killing.set()
        for w in workers:
            w.terminate(timeout=40)
        await hl.stop()

    assert len(accepted) == MESSAGES
    assert len(kills) >= 3, "the run should have seen several kills"

    # Only attempts in flight at a kill may repeat: each duplicate's first receipt came
    # before some kill (or just after it: a request already on the wire when its worker
    # died) and its repeat after that kill.
    first_seen: dict[str, float] = {}
    duplicates = 0
    for req in rx.requests:
        mid = req.headers["webhook-id"]
        if mid in first_seen:
            duplicates += 1
            assert any(first_seen[mid] - 1.0 <= k <= req.at for k in kills), mid
        else:
            first_seen[mid] = req.at
    print(
        f"\ncrash test: {MESSAGES} messages, {len(kills)} kills, "
        f"{len(rx.requests)} requests, {duplicates} duplicates"
    )

    conn = await asyncpg.connect(pg_url)
    try:
        statuses = dict(await conn.fetch("SELECT status, count(*) FROM deliveries GROUP BY 1"))
        stale = await conn.fetchval(
            "SELECT count(*) FROM deliveries WHERE lease_token IS NOT NULL AND status = 'pending'"
            " AND next_attempt_at < now()"
        )
    finally:
        await conn.close()
    assert statuses == {"delivered": MESSAGES}
    assert stale == 0
