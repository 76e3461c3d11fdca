"""Publishing wakes idle workers at once: LISTEN/NOTIFY across processes on
PostgreSQL, an in-process signal on SQLite. Polling is only the fallback."""

from __future__ import annotations

import asyncio
import time

from support.harness import settings_for, start_hookline
from support.process import Proc, hookline_env


async def test_notify_wakes_a_worker_in_another_process_at_once(pg_url, receivers, tmp_path):
    rx = await receivers()
    api = await start_hookline(settings_for(pg_url), with_worker=False)
    # The worker polls only every 30 s: anything faster is the notification.
    env = hookline_env(
        pg_url,
        HOOKLINE_ALLOW_HTTP="true",
        HOOKLINE_ALLOW_PRIVATE_TARGETS="true",
        HOOKLINE_POLL_INTERVAL="30",
    )
    worker = Proc(["worker"], env, tmp_path / "worker.log", tmp_path)
    try:
        await api.event_type("ping")
        tenant = (await api.tenant())["id"]
        await api.endpoint(tenant, rx.url, ["ping"])
        await asyncio.sleep(3)  # the worker is up, listening, and idle
        for _ in range(3):
            t0 = time.monotonic()
            await api.publish(tenant, "ping", {})
            (got,) = (await rx.wait_for(len(rx.requests) + 1, timeout=10))[-1:]
            assert got.at - t0 < 1.0, f"took {got.at - t0:.2f}s: the worker was not woken"
            await asyncio.sleep(0.5)
    finally:
        assert worker.terminate() == 0, worker.output()
        await api.stop()


async def test_publish_wakes_the_in_process_worker_at_once(start, receivers):
    hl = await start(poll_interval=30)
    rx = await receivers()
    await hl.event_type("ping")
    tenant = (await hl.tenant())["id"]
    await hl.endpoint(tenant, rx.url, ["ping"])
    await asyncio.sleep(0.5)
    t0 = time.monotonic()
    await hl.publish(tenant, "ping", {})
    (got,) = await rx.wait_for(1, timeout=10)
    assert got.at - t0 < 0.5
