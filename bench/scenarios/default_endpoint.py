"""Scenario 9, default endpoint: one endpoint at Hookline's default settings
(`max_in_flight` 10), a backlog drained by `hookline worker` alone, against the bare
client with the same 10 requests in flight, measured in the same run (issue 18). What
it shows: how soon a freed slot starts the endpoint's next delivery."""

from __future__ import annotations

from bench.report import Row, Target
from bench.scenarios.ceiling import bare_rate
from bench.scenarios.common import DEFAULT_ENDPOINT, Context, drain, sqlite_url

NAME = "default_endpoint"
TARGET = Target(">=", 0.5, on="ratio")
CONCURRENCY = 10  # HOOKLINE_ENDPOINT_MAX_IN_FLIGHT's default


async def run(ctx: Context) -> list[Row]:
    bare = await bare_rate(ctx, CONCURRENCY)
    data_dir = ctx.fresh_dir(NAME)
    out = await drain(
        ctx,
        database_url=sqlite_url(data_dir),
        data_dir=data_dir,
        count=ctx.config.messages,
        max_in_flight=DEFAULT_ENDPOINT,
    )
    out["ceiling_at_same_concurrency"] = bare
    ctx.details[NAME] = out
    rate = out["rate_per_s"]
    ceiling = bare["rate_per_s"]
    ratio = rate / ceiling if rate and ceiling else None
    ctx.log(f"{out['delivered']:,} drained at {rate or 0:,.0f}/s; bare at 10: {ceiling:,.0f}/s")
    return [
        Row(
            NAME,
            "one endpoint at defaults, worker alone",
            rate,
            "msg/s",
            ratio,
            TARGET,
            note=f"× the bare client at {CONCURRENCY} in flight ({ceiling:,.0f} req/s, "
            f"same run); {out['delivered']:,} messages, first → last receipt",
        ),
    ]
