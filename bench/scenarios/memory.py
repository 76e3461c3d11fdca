"""Scenario 8, memory: peak RSS (VmHWM, and VmRSS sampled every 0.2 s) of `hookline
serve` while it drains a 100,000 backlog on SQLite. The backlog is published through
`hookline api` alone, concurrently — which also measures publish throughput."""

from __future__ import annotations

from bench.report import Row, Target
from bench.scenarios.common import Context, drain, sqlite_url

NAME = "memory"


async def run(ctx: Context) -> list[Row]:
    count = ctx.config.memory_messages
    data_dir = ctx.fresh_dir(NAME)
    out = await drain(
        ctx, database_url=sqlite_url(data_dir), data_dir=data_dir, count=count, drainer="serve"
    )
    ctx.details[NAME] = out
    rss = out["rss"]
    peak_mb = max(rss["vmhwm_kib"], rss["peak_sampled_rss_kib"]) / 1024
    ctx.log(f"peak RSS {peak_mb:.0f} MB while draining {out['delivered']:,}")
    return [
        Row(
            NAME,
            f"serve peak RSS, draining {out['delivered']:,}",
            peak_mb,
            "MiB",
            None,
            Target("<=", 150),
            note=f"VmHWM {rss['vmhwm_kib'] / 1024:.0f} MiB; RSS at the end "
            f"{(rss['last_rss_kib'] or 0) / 1024:.0f} MiB",
        ),
        Row(
            NAME,
            f"publish rate, api alone, {count:,} backlog",
            out["publish"]["rate_per_s"],
            "msg/s",
        ),
        Row(
            NAME,
            "serve drain rate (100k backlog)" if count == 100_000 else "serve drain rate",
            out["rate_per_s"],
            "msg/s",
            ctx.ratio(out["rate_per_s"]),
        ),
    ]
