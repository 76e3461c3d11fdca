"""Scenario 5, fan-out: one event type subscribed by 100 endpoints (each with the
default max_in_flight), 500 messages → 50,000 deliveries, on `hookline serve` + SQLite."""

from __future__ import annotations

from bench import measure
from bench.processes import start_hookline, stop_all
from bench.publisher import Api, publish_many
from bench.report import Row
from bench.scenarios.common import Context, publish_summary, sqlite_url, wait_bound

NAME = "fanout"


async def run(ctx: Context) -> list[Row]:
    cfg = ctx.config
    data_dir = ctx.fresh_dir(NAME)
    # A tenant may have 10 endpoints by default; this one needs 100.
    env = ctx.env(sqlite_url(data_dir), data_dir, HOOKLINE_MAX_ENDPOINTS_PER_TENANT="0")
    rx = ctx.receiver
    expected = cfg.fanout_messages * cfg.fanout_endpoints
    web = await start_hookline("serve", name="serve", env=env, log_dir=data_dir)
    try:
        assert web.base is not None
        await rx.reset()
        async with Api(web.base, connections=cfg.publishers) as api:
            await api.event_type()
            tenant = await api.tenant("fanout")
            for i in range(cfg.fanout_endpoints):
                await api.endpoint(tenant, rx.url(f"/ep/{i}"), uid=f"ep{i}")
            ctx.log(
                f"publishing {cfg.fanout_messages:,} messages to {cfg.fanout_endpoints} "
                f"endpoints ({expected:,} deliveries)"
            )
            cpu = measure.CpuMeter({"serve": web.pid, "receiver": rx.pid}).start()
            published = await publish_many(
                api,
                lambda _seq: tenant,
                cfg.fanout_messages,
                concurrency=cfg.publishers,
                progress=ctx.log,
                timeout=wait_bound(expected),
            )
            want = published.count * cfg.fanout_endpoints
            stats = await rx.wait_for(
                want, field="deliveries", timeout=wait_bound(want), progress=ctx.log, watch=[web]
            )
            cpu_percent = cpu.stop()
    finally:
        stop_all([web])
    span = stats["last"] - published.started if stats["last"] else None
    rate = stats["deliveries"] / span if span else None
    ctx.details[NAME] = {
        "rate_per_s": rate,
        "deliveries": stats["deliveries"],
        "expected": want,
        "seconds": span,
        "endpoints": cfg.fanout_endpoints,
        "publish": publish_summary(published),
        "receiver": stats,
        "cpu_percent_of_one_core": cpu_percent,
    }
    ctx.log(f"{stats['deliveries']:,.0f} deliveries at {rate or 0:,.0f}/s")
    return [
        Row(
            NAME,
            f"{cfg.fanout_endpoints} endpoints × {published.count:,} messages",
            rate,
            "deliv/s",
            ctx.ratio(rate),
            note=f"{stats['deliveries']:,.0f}/{want:,} deliveries, publish → last receipt; "
            "endpoints at the default max_in_flight (10)",
        )
    ]
