"""Scenario 6, noisy neighbour: on `hookline serve` + SQLite, a healthy endpoint (the
receiver) beside a hanging one (a second receiver that never answers; endpoint timeout
5 s, default max_in_flight 10) of another tenant, which has a backlog of its own
throughout. The healthy endpoint's throughput, published and delivered exactly as in
scenario 2, as a fraction of scenario 2's.

While publishing limits scenario 2, that fraction cannot show a worker slowed by the
hanging endpoint; so the same pair is also drained from a backlog by `hookline worker`
alone, as a fraction of scenario 3's drain rate.

Scenarios 2 and 3 run again right before and right after their noisy counterpart, and
each fraction is taken of the mean of those two: on a shared machine the same run moves
±15 % over a minute, more than the effect this scenario looks for, and a baseline taken
on both sides of the measurement cancels the drift between. The fractions of the
scenarios' own figures, measured minutes earlier, are in the details."""

from __future__ import annotations

from bench import measure
from bench.processes import Child, start_hookline, start_receiver, stop_all
from bench.publisher import Api, publish_many
from bench.report import Row, Target
from bench.scenarios.common import (
    Context,
    drain,
    end_to_end,
    publish_summary,
    single_endpoint,
    sqlite_url,
    wait_bound,
)

NAME = "noisy"
TARGET = Target(">=", 0.95)


async def run(ctx: Context) -> list[Row]:
    cfg = ctx.config
    data_dir = ctx.fresh_dir(NAME)
    env = ctx.env(sqlite_url(data_dir), data_dir)
    rx = ctx.receiver
    count = cfg.messages
    noisy_count = max(1, int(count * cfg.noisy_share))
    children: list[Child] = []
    e2e_before = await _plain_e2e(ctx, count, "before")
    hang = await start_receiver("receiver-hanging", data_dir, hang=True)
    children.append(hang)
    try:
        web = await start_hookline("serve", name="serve", env=env, log_dir=data_dir)
        children.append(web)
        assert web.base is not None
        await rx.reset()
        async with Api(web.base, connections=cfg.publishers) as api:
            healthy = await single_endpoint(ctx, api)
            noisy = await api.tenant("noisy-neighbour")
            await api.endpoint(noisy, hang.url("/hang"), uid="hanging", timeout=cfg.noisy_timeout)
            # The neighbour's messages go first, so that the healthy endpoint is
            # measured under the same publishing load as scenario 2, while the hanging
            # endpoint holds its share of the worker for the whole run.
            ctx.log(f"publishing {noisy_count:,} to the hanging endpoint first")
            bad = await publish_many(
                api,
                lambda _seq: noisy,
                noisy_count,
                concurrency=cfg.publishers,
                progress=lambda _m: None,
                timeout=wait_bound(noisy_count),
            )
            await hang.wait_for(1, field="requests", timeout=10, progress=ctx.log, watch=[web])
            ctx.log(f"publishing {count:,} to the healthy endpoint, as in e2e")
            cpu = measure.CpuMeter({"serve": web.pid, "receiver": rx.pid}).start()
            good = await publish_many(
                api,
                lambda _seq: healthy,
                count,
                concurrency=cfg.publishers,
                progress=ctx.log,
                timeout=wait_bound(count),
            )
            await rx.wait_for(good.count, timeout=wait_bound(count), progress=ctx.log, watch=[web])
            cpu_percent = cpu.stop()
        receipts = await rx.receipts()
        hung = await hang.stats()
        stop_all([web])
        children.remove(web)
        e2e_after = await _plain_e2e(ctx, count, "after")
        drain_before = await _plain_drain(ctx, count, "before")
        await hang.reset()
        ctx.log("the same beside a backlog, drained by `hookline worker` alone")
        drain_dir = ctx.fresh_dir(f"{NAME}-drain")
        drained = await drain(
            ctx,
            database_url=sqlite_url(drain_dir),
            data_dir=drain_dir,
            count=count,
            hanging=hang,
        )
        drained["hanging_requests_received"] = (await hang.stats())["requests"]
    finally:
        await hang.close()
        stop_all(children)
    drain_after = await _plain_drain(ctx, count, "after")
    e2e_base = _mean(e2e_before, e2e_after)
    drain_base = _mean(drain_before, drain_after)
    last = measure.last_receipt(good.accepted, receipts)
    delivered = sum(1 for i in good.accepted if i in receipts)
    span = last - good.started if last else None
    rate = delivered / span if span else None
    fraction = rate / e2e_base if rate and e2e_base else None
    lat = measure.latency(good.accepted, receipts)
    ctx.details[NAME] = {
        "healthy_rate_per_s": rate,
        "fraction_of_e2e": fraction,
        "e2e_before_after_per_s": [e2e_before, e2e_after],
        "e2e_rate_per_s": ctx.e2e_rate,
        "fraction_of_e2e_scenario": _fraction(rate, ctx.e2e_rate),
        "delivered": delivered,
        "seconds": span,
        "publish_healthy": publish_summary(good),
        "publish_noisy": publish_summary(bad),
        "hanging_requests_received": hung["requests"],
        "healthy_latency": lat.as_dict(),
        "cpu_percent_of_one_core": cpu_percent,
    }
    ctx.details[NAME]["drain"] = drained
    drain_rate = drained["rate_per_s"]
    drain_fraction = _fraction(drain_rate, drain_base)
    ctx.details[NAME]["drain_fraction_of_drain"] = drain_fraction
    ctx.details[NAME]["drain_before_after_per_s"] = [drain_before, drain_after]
    ctx.details[NAME]["drain_fraction_of_drain_scenario"] = _fraction(drain_rate, ctx.drain_rate)
    ctx.log(f"healthy endpoint at {rate or 0:,.0f}/s; fraction of e2e {fraction or 0:.3f}")
    ctx.log(f"drained at {drain_rate or 0:,.0f}/s; fraction of drain {drain_fraction or 0:.3f}")
    note = (
        f"{noisy_count:,} messages to a hanging endpoint (timeout {cfg.noisy_timeout}s, "
        f"max_in_flight 10) got {hung['requests']:,.0f} attempts meanwhile; "
        f"healthy p99 {lat.p99 or 0:.0f} ms"
    )
    note += f"; plain e2e before/after {e2e_before or 0:,.0f}/{e2e_after or 0:,.0f} msg/s"
    drain_note = (
        f"{drained['delivered']:,} healthy messages drained beside "
        f"{drained['publish']['published'] - drained['healthy_published']:,} for the hanging one "
        f"({drained['hanging_requests_received']:,.0f} attempts reached it)"
    )
    drain_note += f"; plain drain before/after {drain_before or 0:,.0f}/{drain_after or 0:,.0f}"
    return [
        Row(NAME, "healthy endpoint, fraction of e2e", fraction, "×", None, TARGET, note=note),
        Row(NAME, "healthy endpoint throughput", rate, "msg/s", ctx.ratio(rate)),
        Row(
            NAME,
            "healthy drain, fraction of drain",
            drain_fraction,
            "×",
            None,
            TARGET,
            note=drain_note,
        ),
        Row(NAME, "healthy drain throughput", drain_rate, "msg/s", ctx.ratio(drain_rate)),
    ]


async def _plain_e2e(ctx: Context, count: int, when: str) -> float | None:
    """Scenario 2 once more, as it runs there: the healthy endpoint alone."""
    ctx.log(f"scenario 2 {when}, without the hanging endpoint")
    data_dir = ctx.fresh_dir(f"{NAME}-e2e-{when}")
    out = await end_to_end(
        ctx, database_url=sqlite_url(data_dir), data_dir=data_dir, workers=None, count=count
    )
    rate: float | None = out["rate_per_s"]
    return rate


async def _plain_drain(ctx: Context, count: int, when: str) -> float | None:
    """Scenario 3 once more, as it runs there: the healthy endpoint alone."""
    ctx.log(f"scenario 3 {when}, without the hanging endpoint")
    data_dir = ctx.fresh_dir(f"{NAME}-drain-{when}")
    out = await drain(ctx, database_url=sqlite_url(data_dir), data_dir=data_dir, count=count)
    rate: float | None = out["rate_per_s"]
    return rate


def _mean(before: float | None, after: float | None) -> float | None:
    if not before or not after:
        return None
    return (before + after) / 2


def _fraction(rate: float | None, base: float | None) -> float | None:
    return rate / base if rate and base else None
