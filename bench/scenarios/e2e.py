"""Scenario 2, end to end: `hookline serve` on a fresh SQLite file; messages published
through the API by concurrent clients while it delivers; throughput from the first
publish to the last receipt, as a ratio to the ceiling."""

from __future__ import annotations

from bench.report import Row, Target
from bench.scenarios.common import Context, end_to_end, sqlite_url

NAME = "e2e"
TARGET = Target(">=", 0.25, on="ratio", aim=0.5)


async def run(ctx: Context) -> list[Row]:
    data_dir = ctx.fresh_dir(NAME)
    out = await end_to_end(
        ctx,
        database_url=sqlite_url(data_dir),
        data_dir=data_dir,
        workers=None,
        count=ctx.config.messages,
    )
    ctx.details[NAME] = out
    rate = out["rate_per_s"]
    ctx.e2e_rate = rate
    ctx.log(f"{out['delivered']:,} delivered at {rate or 0:,.0f}/s")
    lat = out["latency"]
    return [
        Row(
            NAME,
            "serve, SQLite: publish → last receipt",
            rate,
            "msg/s",
            ctx.ratio(rate),
            TARGET,
            note=f"{out['delivered']:,} messages, {ctx.config.publishers} publishing "
            f"connections, endpoint max_in_flight {ctx.config.endpoint_max_in_flight}; "
            f"under this load accepted→receipt p50 {lat['p50_ms'] or 0:.0f} ms, "
            f"p99 {lat['p99_ms'] or 0:.0f} ms",
        ),
        Row(NAME, "publish rate while delivering", out["publish"]["rate_per_s"], "msg/s"),
    ]
