"""Scenario 6, noisy neighbour: on `hookline serve` + SQLite, a healthy endpoint (the
receiver) beside a hanging one (a second receiver that never answers; endpoint timeout
5 s, default max_in_flight 10) of another tenant, which has a backlog of its own
throughout. The healthy endpoint's throughput, published and delivered exactly as in
scenario 2, as a fraction of scenario 2's.

While publishing limits scenario 2, that fraction cannot show a worker slowed by the
hanging endpoint; so the same pair is also drained from a backlog by `hookline worker`
alone, as a fraction of scenario 3's drain rate.

On a shared machine the same run moves ±15 % from one minute to the next, more than the
effect looked for. So the noisy run is repeated (`noisy_rounds`, 3), each time between
two plain runs of scenario 2 (or 3) — plain, noisy, plain, noisy, plain, … — and each
noisy run is taken as a fraction of the mean of the plain runs on either side of it,
which cancels the drift between. The figure is the median of those fractions; each
round's figures, and the fractions of the scenarios' own figures (measured minutes
earlier), are in the details."""

from __future__ import annotations

import statistics
from typing import Any

from bench import measure
from bench.processes import Child, Receiver, start_hookline, start_receiver, stop_all
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
    rounds = max(1, cfg.noisy_rounds)
    hang = await start_receiver("receiver-hanging", ctx.fresh_dir(NAME), hang=True)
    try:
        e2e_plain = [await _plain_e2e(ctx, 0)]
        e2e_noisy: list[dict[str, Any]] = []
        for i in range(1, rounds + 1):
            e2e_noisy.append(await _noisy_e2e(ctx, hang, i))
            e2e_plain.append(await _plain_e2e(ctx, i))
        drain_plain = [await _plain_drain(ctx, 0)]
        drain_noisy: list[dict[str, Any]] = []
        for i in range(1, rounds + 1):
            drain_noisy.append(await _noisy_drain(ctx, hang, i))
            drain_plain.append(await _plain_drain(ctx, i))
    finally:
        await hang.close()
    e2e_fractions = _bracketed(e2e_noisy, e2e_plain)
    drain_fractions = _bracketed(drain_noisy, drain_plain)
    fraction = _median(e2e_fractions)
    drain_fraction = _median(drain_fractions)
    rate = _median([r["rate_per_s"] for r in e2e_noisy])
    drain_rate = _median([r["rate_per_s"] for r in drain_noisy])
    ctx.details[NAME] = {
        "rounds": rounds,
        "fraction_of_e2e": fraction,
        "fractions_of_e2e_by_round": e2e_fractions,
        "e2e_plain_per_s": e2e_plain,
        "e2e_noisy": e2e_noisy,
        "healthy_rate_per_s": rate,
        "e2e_rate_per_s": ctx.e2e_rate,
        "fraction_of_e2e_scenario": _fraction(rate, ctx.e2e_rate),
        "drain_fraction_of_drain": drain_fraction,
        "drain_fractions_by_round": drain_fractions,
        "drain_plain_per_s": drain_plain,
        "drain_noisy": drain_noisy,
        "drain_rate_per_s": drain_rate,
        "drain_fraction_of_drain_scenario": _fraction(drain_rate, ctx.drain_rate),
    }
    ctx.log(f"healthy endpoint: fractions of e2e {_listed(e2e_fractions)}")
    ctx.log(f"healthy drain: fractions of drain {_listed(drain_fractions)}")
    last = e2e_noisy[-1]
    note = (
        f"median of {rounds} rounds ({_listed(e2e_fractions)}); each: "
        f"{last['noisy_published']:,} messages to a hanging endpoint (timeout "
        f"{cfg.noisy_timeout}s, max_in_flight 10) first, {last['hanging_requests_received']:,.0f} "
        f"attempts reached it; healthy p99 {last['healthy_latency']['p99_ms'] or 0:.0f} ms "
        f"(last round); plain e2e {_listed(e2e_plain, '{:,.0f}')} msg/s"
    )
    lastd = drain_noisy[-1]
    drain_note = (
        f"median of {rounds} rounds ({_listed(drain_fractions)}); each: {lastd['delivered']:,} "
        f"healthy messages drained beside "
        f"{lastd['publish']['published'] - lastd['healthy_published']:,} for the hanging one "
        f"({lastd['hanging_requests_received']:,.0f} attempts reached it, last round); "
        f"plain drain {_listed(drain_plain, '{:,.0f}')} msg/s"
    )
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


async def _noisy_e2e(ctx: Context, hang: Receiver, round_no: int) -> dict[str, Any]:
    """Scenario 2 beside the hanging endpoint, whose backlog is published first."""
    cfg = ctx.config
    count = cfg.messages
    noisy_count = max(1, int(count * cfg.noisy_share))
    data_dir = ctx.fresh_dir(f"{NAME}-e2e-noisy-{round_no}")
    env = ctx.env(sqlite_url(data_dir), data_dir)
    rx = ctx.receiver
    await hang.reset()
    children: list[Child] = []
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
            ctx.log(f"round {round_no}: {noisy_count:,} to the hanging endpoint first")
            bad = await publish_many(
                api,
                lambda _seq: noisy,
                noisy_count,
                concurrency=cfg.publishers,
                progress=lambda _m: None,
                timeout=wait_bound(noisy_count),
            )
            await hang.wait_for(1, field="requests", timeout=10, progress=ctx.log, watch=[web])
            ctx.log(f"round {round_no}: {count:,} to the healthy endpoint, as in e2e")
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
    finally:
        stop_all(children)
    last = measure.last_receipt(good.accepted, receipts)
    delivered = sum(1 for i in good.accepted if i in receipts)
    span = last - good.started if last else None
    return {
        "rate_per_s": delivered / span if span else None,
        "delivered": delivered,
        "seconds": span,
        "noisy_published": bad.count,
        "publish_healthy": publish_summary(good),
        "publish_noisy": publish_summary(bad),
        "hanging_requests_received": hung["requests"],
        "healthy_latency": measure.latency(good.accepted, receipts).as_dict(),
        "cpu_percent_of_one_core": cpu_percent,
    }


async def _noisy_drain(ctx: Context, hang: Receiver, round_no: int) -> dict[str, Any]:
    """Scenario 3 with the hanging endpoint's messages in the backlog."""
    ctx.log(f"round {round_no}: the same beside a backlog, drained by `hookline worker` alone")
    await hang.reset()
    data_dir = ctx.fresh_dir(f"{NAME}-drain-noisy-{round_no}")
    out = await drain(
        ctx,
        database_url=sqlite_url(data_dir),
        data_dir=data_dir,
        count=ctx.config.messages,
        hanging=hang,
    )
    out["hanging_requests_received"] = (await hang.stats())["requests"]
    return out


async def _plain_e2e(ctx: Context, after_round: int) -> float | None:
    """Scenario 2 once more, as it runs there: the healthy endpoint alone."""
    ctx.log(f"scenario 2 without the hanging endpoint ({_when(after_round)})")
    data_dir = ctx.fresh_dir(f"{NAME}-e2e-plain-{after_round}")
    out = await end_to_end(
        ctx,
        database_url=sqlite_url(data_dir),
        data_dir=data_dir,
        workers=None,
        count=ctx.config.messages,
    )
    rate: float | None = out["rate_per_s"]
    return rate


async def _plain_drain(ctx: Context, after_round: int) -> float | None:
    """Scenario 3 once more, as it runs there: the healthy endpoint alone."""
    ctx.log(f"scenario 3 without the hanging endpoint ({_when(after_round)})")
    data_dir = ctx.fresh_dir(f"{NAME}-drain-plain-{after_round}")
    out = await drain(
        ctx, database_url=sqlite_url(data_dir), data_dir=data_dir, count=ctx.config.messages
    )
    rate: float | None = out["rate_per_s"]
    return rate


def _when(after_round: int) -> str:
    return "before round 1" if after_round == 0 else f"after round {after_round}"


def _bracketed(noisy: list[dict[str, Any]], plain: list[float | None]) -> list[float | None]:
    """Each noisy run's rate over the mean of the plain runs right before and after it."""
    return [
        _fraction(run["rate_per_s"], _mean(plain[i], plain[i + 1])) for i, run in enumerate(noisy)
    ]


def _median(values: list[float | None]) -> float | None:
    if not values or any(v is None for v in values):
        return None
    return statistics.median(v for v in values if v is not None)


def _mean(before: float | None, after: float | None) -> float | None:
    if not before or not after:
        return None
    return (before + after) / 2


def _fraction(rate: float | None, base: float | None) -> float | None:
    return rate / base if rate and base else None


def _listed(values: list[float | None], spec: str = "{:.3f}") -> str:
    return " / ".join("–" if v is None else spec.format(v) for v in values)
