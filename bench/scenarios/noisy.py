"""Scenario 6, noisy neighbour: on `hookline serve` + SQLite, a healthy endpoint (the
receiver) beside a hanging one (a second receiver that never answers; endpoint timeout
5 s, default max_in_flight 10) of another tenant, which has a backlog of its own
throughout. The healthy endpoint's throughput, published and delivered exactly as in
scenario 2, as a fraction of scenario 2's.

While publishing limits scenario 2, that fraction cannot show a worker slowed by the
hanging endpoint; so the same pair is also drained from a backlog by `hookline worker`
alone, as a fraction of scenario 3's drain rate."""

from __future__ import annotations

from bench import measure
from bench.processes import Child, start_hookline, start_receiver, stop_all
from bench.publisher import Api, publish_many
from bench.report import Row, Target
from bench.scenarios.common import (
    Context,
    drain,
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
    last = measure.last_receipt(good.accepted, receipts)
    delivered = sum(1 for i in good.accepted if i in receipts)
    span = last - good.started if last else None
    rate = delivered / span if span else None
    fraction = rate / ctx.e2e_rate if rate and ctx.e2e_rate else None
    lat = measure.latency(good.accepted, receipts)
    ctx.details[NAME] = {
        "healthy_rate_per_s": rate,
        "fraction_of_e2e": fraction,
        "e2e_rate_per_s": ctx.e2e_rate,
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
    drain_fraction = drain_rate / ctx.drain_rate if drain_rate and ctx.drain_rate else None
    ctx.details[NAME]["drain_fraction_of_drain"] = drain_fraction
    ctx.log(f"healthy endpoint at {rate or 0:,.0f}/s; fraction of e2e {fraction or 0:.3f}")
    ctx.log(f"drained at {drain_rate or 0:,.0f}/s; fraction of drain {drain_fraction or 0:.3f}")
    note = (
        f"{noisy_count:,} messages to a hanging endpoint (timeout {cfg.noisy_timeout}s, "
        f"max_in_flight 10) got {hung['requests']:,.0f} attempts meanwhile; "
        f"healthy p99 {lat.p99 or 0:.0f} ms"
    )
    if fraction is None:
        note += "; run e2e in the same run for the fraction"
    drain_note = (
        f"{drained['delivered']:,} healthy messages drained beside "
        f"{drained['publish']['published'] - drained['healthy_published']:,} for the hanging one "
        f"({drained['hanging_requests_received']:,.0f} attempts reached it)"
    )
    if drain_fraction is None:
        drain_note += "; run drain in the same run for the fraction"
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
