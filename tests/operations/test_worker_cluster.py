"""Several `hookline worker` processes on one database, as an operator runs them on
several machines: one clock (the database's) even when theirs disagree, an endpoint's
cap held by all of them together, and the slots of a worker that dies coming back.

Clocks are moved with Debian's `faketime` (libfaketime, preloaded into that worker
process alone: its wall clock runs ahead, its monotonic clock is left true). Only
PostgreSQL has a clock of its own: a SQLite file is opened on one machine, whose clock
it is.
"""

from __future__ import annotations

import asyncio
import glob
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web

from support.harness import Hookline, settings_for, start_hookline
from support.process import Proc, hookline_env

# Debian's faketime package; preloaded by hand rather than through its `faketime`
# command, which would stand between the test and the worker (a SIGTERM to it would
# leave the worker running).
FAKETIME = next(iter(sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))), None)
# `make test` installs it (scripts/ensure-test-tools.sh); in CI its absence fails.
needs_faketime = pytest.mark.skipif(
    FAKETIME is None and not os.environ.get("CI"),
    reason="Debian's faketime is not installed (make test installs it)",
)


def _max_per_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while t - times[j] >= window:
            j += 1
        best = max(best, i - j + 1)
    return best


class Counting:
    """A receiver's handler: holds each request `hold` seconds, counts how many are in
    at once, and notes each webhook-id's arrivals."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.now = 0
        self.peak = 0
        self.arrivals: dict[str, list[float]] = {}

    async def __call__(self, got) -> web.StreamResponse:
        self.arrivals.setdefault(got.headers["webhook-id"], []).append(got.at)
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(self.hold)
        finally:
            self.now -= 1
        return web.Response(status=200)


@contextmanager
def workers(
    db_url: str, tmp_path: Path, count: int, *, ahead: list[float] | None = None, **settings: str
) -> Iterator[list[Proc]]:
    """`count` × `hookline worker`, the i-th `ahead[i]` seconds ahead by its wall clock."""
    procs: list[Proc] = []
    tmp_path.mkdir(parents=True, exist_ok=True)
    try:
        for i in range(count):
            env = hookline_env(
                db_url,
                HOOKLINE_ALLOW_HTTP="true",
                HOOKLINE_ALLOW_PRIVATE_TARGETS="true",
                HOOKLINE_POLL_INTERVAL="0.2",
                HOOKLINE_SHUTDOWN_GRACE="2",
                HOOKLINE_LOG_LEVEL="WARNING",
                **settings,
            )
            skew = ahead[i] if ahead else 0.0
            if skew:
                assert FAKETIME is not None, "Debian's faketime is not installed"
                env.update(
                    LD_PRELOAD=FAKETIME, FAKETIME=f"+{skew}s", FAKETIME_DONT_FAKE_MONOTONIC="1"
                )
            procs.append(Proc(["worker"], env, tmp_path / f"worker{i}.log", tmp_path))
        yield procs
    finally:
        for p in procs:
            p.terminate(timeout=30)


async def _api(db_url: str) -> Hookline:
    return await start_hookline(settings_for(db_url, retry_schedule="1s,1s"), with_worker=False)


async def _undelivered(db_url: str) -> int:
    conn = await asyncpg.connect(db_url)
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM deliveries WHERE status <> 'delivered'")
        )
    finally:
        await conn.close()


async def _publish_paced(api: Hookline, tenant: str, event: str, n: int, gap: float) -> set[str]:
    """Publish `n` messages `gap` seconds apart, while the workers run: each worker's
    claims take what came since their last, so that every worker gets some."""
    ids: set[str] = set()
    for i in range(n):
        ids.add((await api.publish(tenant, event, {"i": i}))["id"])
        await asyncio.sleep(gap)
    return ids


@needs_faketime
@pytest.mark.timeout(120)
async def test_a_worker_whose_clock_runs_90s_ahead_takes_over_no_lease(pg_url, receivers, tmp_path):
    """With each worker's own clock, one 90 s ahead saw every lease of another (60 s)
    as run out and sent 62–68 of 120 deliveries a second time. Leases end by the
    database's clock: each delivery is sent once."""
    handler = Counting(hold=3.0)
    rx = await receivers(handler=handler)
    api = await _api(pg_url)
    try:
        await api.event_type("job.done")
        tenant = (await api.tenant())["id"]
        await api.endpoint(tenant, rx.url, ["job.done"], max_in_flight=200, timeout=30)
        with workers(pg_url, tmp_path / "true", 1):
            ids = {(await api.publish(tenant, "job.done", {"i": i}))["id"] for i in range(120)}
            await rx.wait_for(100, timeout=30)  # the true clock's worker holds them
            with workers(pg_url, tmp_path / "ahead", 1, ahead=[90.0]):
                await rx.wait_for_messages(ids, timeout=60)
                deadline = time.monotonic() + 30
                while await _undelivered(pg_url) and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                await asyncio.sleep(1.0)  # long enough for a second send to show
    finally:
        await api.stop()
    twice = {mid: at for mid, at in handler.arrivals.items() if len(at) > 1}
    assert twice == {}
    assert set(handler.arrivals) == ids


@needs_faketime
@pytest.mark.timeout(120)
async def test_a_rate_limit_holds_across_workers_whose_clocks_disagree(pg_url, receivers, tmp_path):
    """Rate-limit slots are the database's time: a worker half a second ahead still
    keeps to 10 a second together with the other (it got 13 in a second before)."""
    rx = await receivers()
    api = await _api(pg_url)
    try:
        await api.event_type("tick")
        tenant = (await api.tenant())["id"]
        await api.endpoint(tenant, rx.url, ["tick"], rate_limit=10)
        with workers(pg_url, tmp_path, 2, ahead=[0.0, 0.5], HOOKLINE_CLAIM_BATCH_SIZE="2"):
            await asyncio.sleep(1.5)  # both are up
            ids = await _publish_paced(api, tenant, "tick", 50, 0.01)
            await rx.wait_for_messages(ids, timeout=60)
    finally:
        await api.stop()
    arrivals = [r.at for r in rx.requests]
    assert _max_per_window(arrivals) <= 11
    assert arrivals[-1] - arrivals[0] > 3.9  # and not simply slow: 50 at 10/s


@pytest.mark.timeout(120)
async def test_three_workers_together_keep_an_endpoint_to_its_cap(db_url, receivers, tmp_path):
    """max_in_flight 5 holds for all workers: a receiver that holds each request 1 s
    never has more than 5 at once (each worker counting its own allowed 15)."""
    handler = Counting(hold=1.0)
    rx = await receivers(handler=handler)
    api = await _api(db_url)
    try:
        await api.event_type("job.done")
        tenant = (await api.tenant())["id"]
        await api.endpoint(tenant, rx.url, ["job.done"], max_in_flight=5)
        with workers(db_url, tmp_path, 3):
            await asyncio.sleep(1.5)  # all three are up
            ids = await _publish_paced(api, tenant, "job.done", 24, 0.02)
            await rx.wait_for_messages(ids, timeout=60)
    finally:
        await api.stop()
    assert handler.peak == 5  # reached, never passed


@pytest.mark.timeout(120)
async def test_the_slots_of_a_killed_worker_come_back_within_its_lease(db_url, receivers, tmp_path):
    """A worker SIGKILLed while it holds every slot of an endpoint (its requests hang):
    until then a second worker sends nothing more to it; afterwards its slots, and its
    deliveries, are the second's once the lease (3 s) is over."""
    hanging = False

    async def handler(got) -> web.StreamResponse:
        if hanging:
            await asyncio.sleep(60)
        return web.Response(status=200)

    rx = await receivers(handler=handler)
    api = await _api(db_url)
    try:
        await api.event_type("job.done")
        tenant = (await api.tenant())["id"]
        await api.endpoint(tenant, rx.url, ["job.done"], max_in_flight=4, timeout=60)
        with workers(db_url, tmp_path / "first", 1, HOOKLINE_LEASE_SECONDS="3") as (first,):
            warm = (await api.publish(tenant, "job.done", {"warm": True}))["id"]
            await rx.wait_for_messages({warm}, timeout=20)  # it knows the endpoint now
            hanging = True
            ids = {(await api.publish(tenant, "job.done", {"i": i}))["id"] for i in range(12)}
            await rx.wait_for(1 + 4, timeout=20)  # it holds all four slots; each hangs
            with workers(db_url, tmp_path / "second", 1, HOOKLINE_LEASE_SECONDS="3"):
                await asyncio.sleep(1.5)  # the second is up and finds no slot
                assert len(rx.requests) == 1 + 4
                hanging = False
                first.popen.send_signal(signal.SIGKILL)
                killed = time.monotonic()
                await rx.wait_for(1 + 5, timeout=20)
                back = rx.requests[5].at - killed
                await rx.wait_for_messages(ids, timeout=30)
    finally:
        await api.stop()
    assert back < 3.0 + 1.5  # the lease, then the next claim
