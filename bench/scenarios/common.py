"""What every scenario shares: the run's configuration and context, and the two flows
most of them are made of — *end to end* (publish while Hookline delivers) and *drain*
(publish a backlog through `hookline api` alone, then let a worker deliver it)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import measure
from bench.processes import (
    Child,
    Hookline,
    Receiver,
    hookline_env,
    run_hookline,
    start_hookline,
    stop_all,
)
from bench.publisher import BODY_BYTES, Api, Published, publish_many


@dataclass(frozen=True)
class Config:
    """Sizes and settings of one run (recorded in latest.json)."""

    quick: bool
    messages: int  # e2e, drain, noisy neighbour, PostgreSQL
    ceiling_seconds: float
    ceiling_warmup: float
    latency_seconds: float
    fanout_messages: int
    memory_messages: int
    postgres_url: str
    ceiling_concurrency: int = 200  # HOOKLINE_WORKER_CONCURRENCY's default
    publishers: int = 64  # concurrent publishing connections
    latency_rate: float = 1000.0
    latency_max_in_flight: int = 256
    endpoint_max_in_flight: int = 200  # the single endpoint's max_in_flight
    fanout_endpoints: int = 100  # each with the default max_in_flight (10)
    noisy_share: float = 0.1  # messages to the hanging endpoint per healthy message
    noisy_timeout: int = 5  # the hanging endpoint's timeout, seconds
    body_bytes: int = BODY_BYTES

    @classmethod
    def make(cls, *, quick: bool, messages: int | None, postgres_url: str) -> Config:
        if quick:
            return cls(
                quick=True,
                messages=messages or 1_000,
                ceiling_seconds=2.0,
                ceiling_warmup=0.3,
                latency_seconds=2.0,
                fanout_messages=10,
                memory_messages=3_000,
                postgres_url=postgres_url,
            )
        return cls(
            quick=False,
            messages=messages or 20_000,
            ceiling_seconds=5.0,
            ceiling_warmup=1.0,
            latency_seconds=10.0,
            fanout_messages=500,
            memory_messages=100_000,
            postgres_url=postgres_url,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Context:
    config: Config
    workdir: Path
    receiver: Receiver
    secret_key: str
    overrides: dict[str, str] = field(default_factory=dict)  # --set HOOKLINE_X=…
    t0: float = field(default_factory=time.monotonic)
    details: dict[str, Any] = field(default_factory=dict)
    ceiling: float | None = None  # requests/s, once the ceiling scenario ran
    e2e_rate: float | None = None  # messages/s of scenario 2, once it ran
    drain_rate: float | None = None  # messages/s of scenario 3, once it ran
    scenario: str = ""

    def log(self, message: str) -> None:
        elapsed = time.monotonic() - self.t0
        sys.stderr.write(f"[{elapsed:7.1f}s] {self.scenario}: {message}\n")
        sys.stderr.flush()

    def fresh_dir(self, name: str) -> Path:
        path = self.workdir / name
        n = 1
        while path.exists():
            n += 1
            path = self.workdir / f"{name}-{n}"
        path.mkdir(parents=True)
        return path

    def ratio(self, rate: float | None) -> float | None:
        if rate is None or not self.ceiling:
            return None
        return rate / self.ceiling

    def env(self, database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
        """The environment of a `hookline` here; `--set` overrides win over everything."""
        return hookline_env(
            database_url=database_url,
            data_dir=data_dir,
            secret_key=self.secret_key,
            **{**extra, **self.overrides},
        )


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'hookline.db'}"


def publish_summary(published: Published) -> dict[str, Any]:
    return {
        "published": published.count,
        "errors": published.errors,
        "retries": published.retries,
        "seconds": round(published.finished - published.started, 3),
        "rate_per_s": round(published.rate, 1),
        "request_p50_ms": _ms(measure.percentile(published.request_seconds, 50)),
        "request_p99_ms": _ms(measure.percentile(published.request_seconds, 99)),
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


DEFAULT_ENDPOINT = 0  # `max_in_flight=`: leave the endpoint at Hookline's default


async def single_endpoint(
    ctx: Context, api: Api, uid: str = "bench", *, max_in_flight: int | None = None
) -> str:
    """The event type, one tenant and its one endpoint on the receiver; the tenant id.
    The endpoint's `max_in_flight` is the run's (`endpoint_max_in_flight`) unless given;
    DEFAULT_ENDPOINT leaves it unset."""
    await api.event_type()
    tenant = await api.tenant(uid)
    cap = ctx.config.endpoint_max_in_flight if max_in_flight is None else max_in_flight
    await api.endpoint(
        tenant,
        ctx.receiver.url("/hook"),
        uid="receiver",
        max_in_flight=cap or None,
    )
    return tenant


def wait_bound(count: int) -> float:
    """How long to wait for `count` receipts before giving up (at ≥ 50/s, ≥ 60 s)."""
    return max(60.0, count / 50)


async def end_to_end(
    ctx: Context, *, database_url: str, data_dir: Path, workers: int | None, count: int
) -> dict[str, Any]:
    """Publish `count` messages through the API while Hookline delivers them: `hookline
    serve` (workers=None) or `hookline api` + `workers` × `hookline worker`. The rate is
    messages / (last receipt − first publish)."""
    env = ctx.env(database_url, data_dir)
    children: list[Child] = []
    rx = ctx.receiver
    try:
        if workers is None:
            web = await start_hookline("serve", name="serve", env=env, log_dir=data_dir)
            children.append(web)
        else:
            web = await start_hookline("api", name="api", env=env, log_dir=data_dir)
            children.append(web)
            for i in range(workers):
                children.append(
                    await start_hookline("worker", name=f"worker{i + 1}", env=env, log_dir=data_dir)
                )
        assert web.base is not None
        await rx.reset()
        async with Api(web.base, connections=ctx.config.publishers) as api:
            tenant = await single_endpoint(ctx, api)
            ctx.log(f"publishing {count:,} messages from {ctx.config.publishers} connections")
            cpu = measure.CpuMeter(_pids(children, rx)).start()
            published = await publish_many(
                api,
                lambda _seq: tenant,
                count,
                concurrency=ctx.config.publishers,
                progress=ctx.log,
                timeout=wait_bound(count),
            )
            ctx.log(f"published {published.count:,} at {published.rate:,.0f}/s; waiting")
            await rx.wait_for(
                published.count, timeout=wait_bound(count), progress=ctx.log, watch=children
            )
            cpu_percent = cpu.stop()
        receipts = await rx.receipts()
        stats = await rx.stats()
    finally:
        stop_all(children)
    last = measure.last_receipt(published.accepted, receipts)
    delivered = sum(1 for i in published.accepted if i in receipts)
    span = (last - published.started) if last else None
    rate = delivered / span if span else None
    lat = measure.latency(published.accepted, receipts)
    return {
        "rate_per_s": rate,
        "delivered": delivered,
        "seconds": span,
        "publish": publish_summary(published),
        "latency": lat.as_dict(),
        "receiver": stats,
        "cpu_percent_of_one_core": cpu_percent,
        "workers": workers,
    }


async def drain(
    ctx: Context,
    *,
    database_url: str,
    data_dir: Path,
    count: int,
    workers: int = 1,
    drainer: str = "worker",
    migrate: bool = False,
    max_in_flight: int | None = None,
) -> dict[str, Any]:
    """`hookline api` alone publishes a backlog of `count` (publish throughput), stops;
    then `workers` × `hookline <drainer>` alone deliver it. The drain rate is messages /
    (last receipt − first receipt); from the drainers' start it is also given. With
    drainer="serve" the RSS of that one process is sampled throughout."""
    env = ctx.env(database_url, data_dir)
    rx = ctx.receiver
    backlog = await publish_backlog(
        ctx,
        database_url=database_url,
        data_dir=data_dir,
        count=count,
        migrate=migrate,
        max_in_flight=max_in_flight,
    )
    drainers: list[Hookline] = []
    sampler: measure.RssSampler | None = None
    try:
        spawned = time.time()
        for i in range(workers):
            drainers.append(
                await start_hookline(drainer, name=f"{drainer}{i + 1}", env=env, log_dir=data_dir)
            )
        if drainer == "serve":
            sampler = measure.RssSampler(drainers[0].pid).start()
        ctx.log(f"draining with {workers} × hookline {drainer}")
        cpu = measure.CpuMeter(_pids(drainers, rx)).start()
        healthy = backlog.healthy
        await rx.wait_for(
            len(healthy), timeout=wait_bound(count), progress=ctx.log, watch=list(drainers)
        )
        drain_cpu = cpu.stop()
        receipts = await rx.receipts()
        stats = await rx.stats()
    finally:
        if sampler is not None:
            await sampler.stop()
        stop_all(list(drainers))
    delivered = sum(1 for i in healthy if i in receipts)
    first, last = stats["first"], measure.last_receipt(healthy, receipts)
    span = (last - first) if last and first else None
    out: dict[str, Any] = {
        "rate_per_s": delivered / span if span else None,
        "rate_from_start_per_s": delivered / (last - spawned) if last else None,
        "delivered": delivered,
        "healthy_published": len(healthy),
        "seconds": span,
        "startup_to_first_receipt_s": (first - spawned) if first else None,
        **backlog.summary(),
        "receiver": stats,
        "drain_cpu_percent_of_one_core": drain_cpu,
        "workers": workers,
        "drainer": drainer,
    }
    if sampler is not None:
        out["rss"] = {
            "vmhwm_kib": sampler.hwm_kib,
            "peak_sampled_rss_kib": sampler.peak_rss_kib,
            "samples": len(sampler.samples),
            "last_rss_kib": sampler.samples[-1][1] if sampler.samples else None,
        }
    return out


@dataclass
class Backlog:
    """A backlog `hookline api` published and left for a drainer."""

    published: Published
    healthy: list[str]  # the ids of the messages to the healthy endpoint
    cpu_percent: dict[str, float]
    api_memory_kib: dict[str, int]
    received_before_drain: float

    def summary(self) -> dict[str, Any]:
        return {
            "publish": publish_summary(self.published),
            "publish_cpu_percent_of_one_core": self.cpu_percent,
            "api_memory_kib": self.api_memory_kib,
            "received_before_drain": self.received_before_drain,
        }


async def publish_backlog(
    ctx: Context,
    *,
    database_url: str,
    data_dir: Path,
    count: int,
    migrate: bool = False,
    hanging: Receiver | None = None,
    max_in_flight: int | None = None,
) -> Backlog:
    """`hookline api` alone publishes `count` messages to the healthy endpoint, then
    stops. With `hanging`, another tenant's endpoint on that (never answering) receiver
    gets `noisy_share` as many, interleaved."""
    env = ctx.env(database_url, data_dir)
    rx = ctx.receiver
    if migrate:
        run_hookline(["migrate"], env=env, log_dir=data_dir, name="migrate")
    api_proc = await start_hookline("api", name="api", env=env, log_dir=data_dir)
    try:
        assert api_proc.base is not None
        await rx.reset()
        async with Api(api_proc.base, connections=ctx.config.publishers) as api:
            tenant = await single_endpoint(ctx, api, max_in_flight=max_in_flight)
            route, total = await _routing(ctx, api, tenant, count, hanging)
            ctx.log(f"publishing a backlog of {total:,} through `hookline api` alone")
            cpu = measure.CpuMeter({"api": api_proc.pid}).start()
            published = await publish_many(
                api,
                route,
                total,
                concurrency=ctx.config.publishers,
                progress=ctx.log,
                timeout=wait_bound(count),
            )
            publish_cpu = cpu.stop()
        api_mem = measure.memory_kib(api_proc.pid)
        ctx.log(f"published {published.count:,} at {published.rate:,.0f}/s")
        early = (await rx.stats())["requests"]
    finally:
        stop_all([api_proc])
    return Backlog(published, published.ids_of(tenant), publish_cpu, api_mem, early)


async def _routing(
    ctx: Context, api: Api, tenant: str, count: int, hanging: Receiver | None
) -> tuple[Callable[[int], str], int]:
    """Where message `seq` goes, and how many to publish: all to `tenant`, or with a
    hanging neighbour every k-th to it (k = 1 + 1/noisy_share)."""
    if hanging is None:
        return (lambda _seq: tenant), count
    noisy = await api.tenant("noisy-neighbour")
    await api.endpoint(noisy, hanging.url("/hang"), uid="hanging", timeout=ctx.config.noisy_timeout)
    k = 1 + round(1 / ctx.config.noisy_share)
    total = count + count // (k - 1)
    return (lambda seq: noisy if seq % k == k - 1 else tenant), total


def _pids(children: list[Child] | list[Hookline], rx: Receiver) -> dict[str, int]:
    pids = {c.name: c.pid for c in children}
    pids["receiver"] = rx.pid
    pids["bench"] = os.getpid()
    return pids
