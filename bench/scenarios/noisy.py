"""Scenario 6, noisy neighbour: a healthy endpoint (the receiver) beside a hanging one (a
second receiver that never answers; endpoint timeout 5 s, default max_in_flight 10) of
another tenant, which has a backlog of its own throughout. The healthy endpoint's
throughput, published and delivered exactly as in scenario 2 (`hookline serve` +
SQLite), as a fraction of what the same gets without the neighbour.

While publishing limits scenario 2, that fraction cannot show a worker slowed by the
hanging endpoint; so the same pair is also drained from a backlog by `hookline worker`
alone, as a fraction of scenario 3's drain rate without the neighbour.

Measured side by side, not one after the other. On this shared machine the same run
moves ±15 % from one minute to the next and by as much between two runs seconds apart,
more than the effect looked for; a fraction of two runs taken at different times mostly
measures that. So both run at once, each on a database of its own — one with the
healthy endpoint alone ("plain"), one with the hanging neighbour too ("noisy") — and
take turns:

- e2e: the benchmark publishes a slice of the messages to one `hookline serve`, waits
  until the receiver has them all, then a slice to the other; the idle one does nothing
  meanwhile. A turn's throughput is its slice over first publish → last receipt.
- drain: both workers start on their backlogs and are paused (SIGSTOP); each turn
  resumes one for `TURN_SECONDS` and pauses it again. A worker's throughput is its
  healthy receipts during its turns over their time.

Turns go plain, noisy, noisy, plain, …, so that each noisy turn has a plain one right
next to it. An e2e turn is whole (its slice published and received), and the e2e figure
is the median of the neighbouring pairs' fractions: the machine changes speed within
seconds too, and a pair caught across such a change is an outlier (8 pairs of one run
gave 0.94–1.15 and one 1.67). A drain turn is cut mid-flight: up to a claim batch (100)
of its requests land just after it, so a single turn's count is off by up to ±5 %;
the drain figure therefore sums each side's receipts over all its turns (each counted
once) and divides by their time. The other estimate of each, and the fractions against
scenarios 2 and 3's own figures, measured minutes earlier, are in the details."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import os
import signal
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

from bench import measure
from bench.processes import (
    BenchError,
    Hookline,
    Receiver,
    start_hookline,
    start_receiver,
    stop_all,
)
from bench.publisher import Api, Published, publish_many
from bench.report import Row, Target
from bench.scenarios.common import (
    Context,
    publish_backlog,
    publish_summary,
    single_endpoint,
    sqlite_url,
    wait_bound,
)

NAME = "noisy"
TARGET = Target(">=", 0.95)
SIDES = ("plain", "noisy")
PATTERN = ("plain", "noisy", "noisy", "plain")  # turns repeat this: a steady drift cancels
E2E_CYCLES = 4  # e2e: each side publishes its messages in 4 × 2 slices
TURN_SECONDS = 0.25  # drain: how long one worker runs in its turn
DRAIN_BACKLOG = 4  # drain: backlogs of 4 × the messages: about 14 turns a side, not 8
DRAIN_SHARE = 0.8  # drain: stop taking turns once this share of one backlog is delivered
MAX_DRAIN_TURNS = 200
GAP = 0.05  # drain: seconds between turns


async def run(ctx: Context) -> list[Row]:
    cfg = ctx.config
    hang = await start_receiver("receiver-hanging", ctx.fresh_dir(NAME), hang=True)
    try:
        e2e = await _e2e_side_by_side(ctx, hang)
        await hang.reset()
        drained = await _drain_side_by_side(ctx, hang)
    finally:
        await hang.close()
        stop_all([hang])
    fraction = _median(e2e["turn_fractions"])
    drain_fraction = _fraction(drained["noisy"]["rate_per_s"], drained["plain"]["rate_per_s"])
    rate = e2e["noisy"]["rate_per_s"]
    drain_rate = drained["noisy"]["rate_per_s"]
    e2e["fraction"] = fraction
    e2e["fraction_of_sums"] = _fraction(rate, e2e["plain"]["rate_per_s"])
    e2e["fraction_of_e2e_scenario"] = _fraction(rate, ctx.e2e_rate)
    e2e["plain_fraction_of_e2e_scenario"] = _fraction(e2e["plain"]["rate_per_s"], ctx.e2e_rate)
    drained["fraction"] = drain_fraction
    drained["median_of_turn_fractions"] = _median(drained["turn_fractions"])
    drained["fraction_of_drain_scenario"] = _fraction(drain_rate, ctx.drain_rate)
    ctx.details[NAME] = {"e2e": e2e, "drain": drained}
    ctx.log(f"healthy endpoint: fraction of e2e {fraction or 0:.3f}")
    ctx.log(f"healthy drain: fraction of drain {drain_fraction or 0:.3f}")
    note = (
        f"side by side with plain e2e ({e2e['plain']['rate_per_s'] or 0:,.0f} msg/s), "
        f"{len(e2e['noisy']['turns'])} turns each; {e2e['noisy_published']:,} messages to a "
        f"hanging endpoint (timeout {cfg.noisy_timeout}s, max_in_flight 10) first, "
        f"{e2e['hanging_requests_received']:,.0f} attempts reached it; median of the turn "
        f"fractions {_listed(e2e['turn_fractions'])}"
    )
    drain_note = (
        f"side by side with a plain drain ({drained['plain']['rate_per_s'] or 0:,.0f} msg/s), "
        f"{drained['noisy']['turns']} turns of {TURN_SECONDS}s each; backlog "
        f"{drained['noisy']['healthy_published']:,} healthy + "
        f"{drained['noisy']['publish']['published'] - drained['noisy']['healthy_published']:,} "
        f"for the hanging one ({drained['hanging_requests_received']:,.0f} attempts reached it); "
        f"over all turns (turn by turn {_listed(drained['turn_fractions'])})"
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


def _turns(cycles: int) -> Iterator[str]:
    for _ in range(cycles):
        yield from PATTERN


# -- e2e -----------------------------------------------------------------------------


async def _e2e_side_by_side(ctx: Context, hang: Receiver) -> dict[str, Any]:
    """Two `hookline serve`, plain and noisy, taking turns at publish → delivery."""
    cfg = ctx.config
    rx = ctx.receiver
    slices = E2E_CYCLES * PATTERN.count("noisy")
    per_turn = max(1, cfg.messages // slices)
    noisy_count = max(1, int(cfg.messages * cfg.noisy_share))
    procs: dict[str, Hookline] = {}
    turns: dict[str, list[Published]] = {side: [] for side in SIDES}
    try:
        for side in SIDES:
            data_dir = ctx.fresh_dir(f"{NAME}-e2e-{side}")
            env = ctx.env(sqlite_url(data_dir), data_dir)
            procs[side] = await start_hookline(
                "serve", name=f"serve-{side}", env=env, log_dir=data_dir
            )
        watch = [*procs.values(), hang]
        async with (
            Api(_base(procs["plain"]), connections=cfg.publishers) as plain_api,
            Api(_base(procs["noisy"]), connections=cfg.publishers) as noisy_api,
        ):
            apis = {"plain": plain_api, "noisy": noisy_api}
            tenants = {side: await single_endpoint(ctx, api) for side, api in apis.items()}
            neighbour = await noisy_api.tenant("noisy-neighbour")
            await noisy_api.endpoint(
                neighbour, hang.url("/hang"), uid="hanging", timeout=cfg.noisy_timeout
            )
            # The neighbour's messages go first: the hanging endpoint holds its share of
            # the noisy side's worker, with more of its own due, for the whole run. The
            # plain side gets as many to its healthy endpoint, so that both start the
            # turns equally warmed up.
            ctx.log(
                f"publishing {noisy_count:,} on each side first, on the noisy one to the "
                "hanging endpoint"
            )
            warm = await publish_many(
                plain_api,
                _to(tenants["plain"]),
                noisy_count,
                concurrency=cfg.publishers,
                progress=lambda _m: None,
                timeout=wait_bound(noisy_count),
            )
            bad = await publish_many(
                noisy_api,
                _to(neighbour),
                noisy_count,
                concurrency=cfg.publishers,
                progress=lambda _m: None,
                timeout=wait_bound(noisy_count),
            )
            await rx.wait_for(
                warm.count, timeout=wait_bound(noisy_count), progress=ctx.log, watch=watch
            )
            await hang.wait_for(1, field="requests", timeout=10, progress=ctx.log, watch=watch)
            await rx.reset()
            received = 0
            ctx.log(f"taking turns: {per_turn:,} messages a turn, {2 * slices} turns")
            for side in _turns(E2E_CYCLES):
                got = await publish_many(
                    apis[side],
                    _to(tenants[side]),
                    per_turn,
                    concurrency=cfg.publishers,
                    progress=lambda _m: None,
                    timeout=wait_bound(per_turn),
                )
                received += got.count
                await rx.wait_for(
                    received, timeout=wait_bound(per_turn), progress=ctx.log, watch=watch
                )
                turns[side].append(got)
        receipts = await rx.receipts()
        hung = await hang.stats()
    finally:
        stop_all(list(procs.values()))
    sides = {side: _turn_figures(turns[side], receipts) for side in SIDES}
    plain_rates = sides["plain"]["turn_rates_per_s"]
    noisy_rates = sides["noisy"]["turn_rates_per_s"]
    return {
        **sides,
        "turn_order": list(_turns(E2E_CYCLES)),
        "turn_fractions": _paired(noisy_rates, plain_rates),
        "noisy_published": bad.count,
        "publish_noisy": publish_summary(bad),
        "hanging_requests_received": hung["requests"],
    }


def _to(tenant: str) -> Callable[[int], str]:
    return lambda _seq: tenant


def _base(proc: Hookline) -> str:
    if proc.base is None:
        raise BenchError(f"{proc.name} has no HTTP address")
    return proc.base


def _turn_figures(turns: list[Published], receipts: dict[str, float]) -> dict[str, Any]:
    """A side's throughput over its turns: all its messages over the sum of the turns'
    spans (first publish → last receipt)."""
    delivered = 0
    seconds = 0.0
    rates: list[float | None] = []
    for got in turns:
        last = measure.last_receipt(got.accepted, receipts)
        span = last - got.started if last else None
        arrived = sum(1 for i in got.accepted if i in receipts)
        rates.append(arrived / span if span else None)
        delivered += arrived
        seconds += span or 0.0
    accepted: dict[str, float] = {}
    for got in turns:
        accepted.update(got.accepted)
    return {
        "rate_per_s": delivered / seconds if seconds else None,
        "delivered": delivered,
        "published": sum(got.count for got in turns),
        "seconds": seconds,
        "turn_rates_per_s": rates,
        "turns": [publish_summary(got) for got in turns],
        "latency": measure.latency(accepted, receipts).as_dict(),
    }


# -- drain ---------------------------------------------------------------------------


async def _drain_side_by_side(ctx: Context, hang: Receiver) -> dict[str, Any]:
    """Two `hookline worker`, plain and noisy, on backlogs of their own, taking turns."""
    cfg = ctx.config
    rx = ctx.receiver
    dirs = {side: ctx.fresh_dir(f"{NAME}-drain-{side}") for side in SIDES}
    backlogs = {
        side: await publish_backlog(
            ctx,
            database_url=sqlite_url(d),
            data_dir=d,
            count=DRAIN_BACKLOG * cfg.messages,
            hanging=hang if side == "noisy" else None,
        )
        for side, d in dirs.items()
    }
    await hang.reset()
    workers: dict[str, Hookline] = {}
    windows: dict[str, list[tuple[float, float]]] = {side: [] for side in SIDES}
    try:
        for side, d in dirs.items():
            env = ctx.env(sqlite_url(d), d)
            workers[side] = await start_hookline(
                "worker", name=f"worker-{side}", env=env, log_dir=d
            )
            await _started(workers[side])
            os.kill(workers[side].pid, signal.SIGSTOP)
        await asyncio.sleep(0.2)  # what was sent before the pause lands
        await rx.reset()
        stop_at = DRAIN_SHARE * min(len(b.healthy) for b in backlogs.values())
        ctx.log(f"taking turns of {TURN_SECONDS}s until one side has delivered {stop_at:,.0f}")
        for turn, side in enumerate(_turns(MAX_DRAIN_TURNS // len(PATTERN))):
            if turn % len(PATTERN) == 0 and (await rx.stats())["messages"] >= stop_at:
                break
            pid = workers[side].pid
            os.kill(pid, signal.SIGCONT)
            started = time.time()
            await asyncio.sleep(TURN_SECONDS)
            os.kill(pid, signal.SIGSTOP)
            windows[side].append((started, time.time()))
            await asyncio.sleep(GAP)  # its last requests land before the other's turn
            if not workers[side].alive():
                raise BenchError(f"{workers[side].name} exited early:\n{workers[side].tail()}")
        receipts = await rx.receipts()
        hung = await hang.stats()
    finally:
        for proc in workers.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGCONT)
        stop_all(list(workers.values()))
    out: dict[str, Any] = {}
    for side in SIDES:
        healthy = backlogs[side].healthy
        seconds = sum(end - start for start, end in windows[side])
        delivered = sum(1 for i in healthy if i in receipts)
        times = sorted(receipts[i] for i in healthy if i in receipts)
        out[side] = {
            "rate_per_s": delivered / seconds if seconds else None,
            "delivered": delivered,
            "seconds": seconds,
            "turns": len(windows[side]),
            "turn_rates_per_s": [_in_window(times, w) for w in windows[side]],
            "healthy_published": len(healthy),
            **backlogs[side].summary(),
        }
    out["hanging_requests_received"] = hung["requests"]
    out["turn_fractions"] = _paired(
        out["noisy"]["turn_rates_per_s"], out["plain"]["turn_rates_per_s"]
    )
    return out


def _in_window(times: list[float], window: tuple[float, float]) -> float | None:
    """Receipts per second in one turn: those from its start until the next turn's
    (the requests sent before the pause land in the gap after it)."""
    start, end = window
    arrived = bisect.bisect_left(times, end + GAP) - bisect.bisect_left(times, start)
    return arrived / (end - start) if end > start else None


async def _started(worker: Hookline, timeout: float = 30.0) -> None:
    """Until the worker has logged that it started (it claims right after)."""
    deadline = time.monotonic() + timeout
    while "worker started" not in worker.tail(200):
        if not worker.alive():
            raise BenchError(f"{worker.name} exited early:\n{worker.tail()}")
        if time.monotonic() > deadline:
            raise BenchError(f"{worker.name} did not start within {timeout:.0f}s")
        await asyncio.sleep(0.02)


def _paired(noisy: list[float | None], plain: list[float | None]) -> list[float | None]:
    """Each noisy turn's rate over the plain turn next to it (in plain, noisy, noisy,
    plain, the n-th of each side are neighbours)."""
    return [_fraction(n, p) for n, p in zip(noisy, plain, strict=False)]


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known and len(known) == len(values) else None


def _fraction(rate: float | None, base: float | None) -> float | None:
    return rate / base if rate and base else None


def _listed(values: list[float | None]) -> str:
    return " / ".join("–" if v is None else f"{v:.2f}" for v in values)
