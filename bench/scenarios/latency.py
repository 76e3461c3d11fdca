"""Scenario 4, latency: `hookline serve` on SQLite, publishing paced at 1,000 msg/s for
10 s (open loop); publish-accepted → receipt p50 and p99. A short run at a light rate
(100 msg/s) first gives the latency without queueing, for comparison."""

from __future__ import annotations

from typing import Any

from bench import measure
from bench.processes import start_hookline, stop_all
from bench.publisher import Api, publish_paced
from bench.report import Row, Target
from bench.scenarios.common import Context, publish_summary, single_endpoint, sqlite_url

NAME = "latency"
LIGHT_RATE = 100.0


async def _paced(
    ctx: Context, api: Api, tenant: str, rate: float, seconds: float
) -> dict[str, Any]:
    rx = ctx.receiver
    await rx.reset()
    ctx.log(f"publishing {rate:,.0f} msg/s for {seconds:g}s")
    published = await publish_paced(
        api,
        tenant,
        rate=rate,
        duration=seconds,
        max_in_flight=ctx.config.latency_max_in_flight,
        progress=ctx.log,
    )
    await rx.wait_for(published.count, timeout=60, progress=ctx.log)
    receipts = await rx.receipts()
    lat = measure.latency(published.accepted, receipts)
    from_sent = measure.latency(published.sent, receipts)
    ctx.log(f"at {published.rate:,.0f}/s: p50 {lat.p50 or 0:.1f} ms, p99 {lat.p99 or 0:.1f} ms")
    return {
        "asked_rate_per_s": rate,
        "latency": lat.as_dict(),
        "latency_from_request_sent": from_sent.as_dict(),
        "publish": publish_summary(published),
    }


async def run(ctx: Context) -> list[Row]:
    cfg = ctx.config
    data_dir = ctx.fresh_dir(NAME)
    env = ctx.env(sqlite_url(data_dir), data_dir)
    web = await start_hookline("serve", name="serve", env=env, log_dir=data_dir)
    try:
        assert web.base is not None
        async with Api(web.base, connections=cfg.latency_max_in_flight) as api:
            tenant = await single_endpoint(ctx, api)
            light = await _paced(ctx, api, tenant, LIGHT_RATE, min(5.0, cfg.latency_seconds))
            cpu = measure.CpuMeter({"serve": web.pid, "receiver": ctx.receiver.pid}).start()
            full = await _paced(ctx, api, tenant, cfg.latency_rate, cfg.latency_seconds)
            full["cpu_percent_of_one_core"] = cpu.stop()
    finally:
        stop_all([web])
    ctx.details[NAME] = {"full": full, "light": light}
    lat, pub = full["latency"], full["publish"]
    note = (
        f"{pub['published']:,} messages; {pub['rate_per_s']:,.0f}/s achieved "
        f"(asked {cfg.latency_rate:,.0f}/s, ≤ {cfg.latency_max_in_flight} publishes in "
        f"flight); {lat['missing']} never arrived"
    )
    light_lat = light["latency"]
    rate = f"{cfg.latency_rate:,.0f}/s"
    return [
        Row(
            NAME,
            f"accepted → receipt p50, {rate}",
            lat["p50_ms"],
            "ms",
            None,
            Target("<=", 5),
            note=note,
        ),
        Row(NAME, f"accepted → receipt p99, {rate}", lat["p99_ms"], "ms", None, Target("<=", 20)),
        Row(
            NAME,
            f"request sent → receipt p50 / p99, {rate}",
            full["latency_from_request_sent"]["p50_ms"],
            "ms",
            note=(
                f"p99 {full['latency_from_request_sent']['p99_ms'] or 0:.1f} ms. "
                "Accepted is when the publisher read its 202; `hookline serve` on SQLite "
                "hands a delivery over as the publish commits, so it often reaches the "
                "receiver before the 202 reaches the publisher: accepted → receipt can be "
                "negative, and request sent → receipt bounds it from above"
            ),
        ),
        Row(NAME, "publish request p99 at this rate", pub["request_p99_ms"], "ms"),
        Row(
            NAME,
            f"accepted → receipt p50, {LIGHT_RATE:,.0f}/s",
            light_lat["p50_ms"],
            "ms",
            note=f"p99 {light_lat['p99_ms'] or 0:.1f} ms; "
            f"{light['publish']['published']:,} messages",
        ),
    ]
