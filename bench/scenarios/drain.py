"""Scenario 3, drain: `hookline api` alone publishes a backlog (no worker running), stops;
then `hookline worker` alone delivers it. Ratio to the ceiling."""

from __future__ import annotations

from bench.report import Row, Target
from bench.scenarios.common import Context, drain, sqlite_url

NAME = "drain"
TARGET = Target(">=", 0.5, on="ratio", aim=0.7)


async def run(ctx: Context) -> list[Row]:
    data_dir = ctx.fresh_dir(NAME)
    out = await drain(
        ctx, database_url=sqlite_url(data_dir), data_dir=data_dir, count=ctx.config.messages
    )
    ctx.details[NAME] = out
    rate = out["rate_per_s"]
    ctx.drain_rate = rate
    ctx.log(f"{out['delivered']:,} drained at {rate or 0:,.0f}/s")
    return [
        Row(
            NAME,
            "worker alone, SQLite backlog",
            rate,
            "msg/s",
            ctx.ratio(rate),
            TARGET,
            note=f"{out['delivered']:,} messages, first → last receipt; "
            f"{out['rate_from_start_per_s'] or 0:,.0f}/s counting the worker's "
            f"{out['startup_to_first_receipt_s'] or 0:.1f}s start-up",
        ),
        Row(NAME, "publish rate, api alone (SQLite)", out["publish"]["rate_per_s"], "msg/s"),
    ]
