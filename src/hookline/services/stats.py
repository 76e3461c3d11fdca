"""Endpoint statistics for the last 24 hours: attempts, success rate and latency per hour.

What the stats route and the dashboard's charts show. Percentiles are computed here
from per-hour samples of durations (the store caps each hour's sample); the 24-hour
figures weigh each hour's sample by that hour's real number of attempts, so a busy hour
counts for what it is even though only part of it was sampled.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hookline.domain.clock import utcnow
from hookline.domain.models import Principal
from hookline.services.access import Permission, require, resolve_endpoint, resolve_tenant
from hookline.services.context import Context
from hookline.store import stats as store

WINDOW_HOURS = 24
SAMPLE_PER_HOUR = 2000


@dataclass(frozen=True, slots=True)
class Figures:
    """Attempts in a span of time and how they went; None where there is nothing to say."""

    attempts: int
    succeeded: int
    p50_ms: int | None
    p95_ms: int | None

    @property
    def failed(self) -> int:
        return self.attempts - self.succeeded

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.attempts if self.attempts else None


@dataclass(frozen=True, slots=True)
class HourFigures:
    hour: datetime  # start of the hour, UTC
    figures: Figures


@dataclass(frozen=True, slots=True)
class EndpointStats:
    endpoint_id: str
    since: datetime
    until: datetime
    hours: list[HourFigures]  # every hour of the window, oldest first, empty ones too
    total: Figures


@dataclass(frozen=True, slots=True)
class SuccessRate:
    attempts: int
    succeeded: int

    @property
    def rate(self) -> float | None:
        return self.succeeded / self.attempts if self.attempts else None


def percentile(samples: Sequence[tuple[float, float]], q: float) -> float | None:
    """The weighted nearest-rank percentile of (value, weight) pairs, 0 < q <= 1.

    With every weight 1 this is the textbook nearest rank: the smallest value such that
    at least q of all values are at or below it.
    """
    if not samples:
        return None
    ordered = sorted(samples)
    total = sum(w for _, w in ordered)
    wanted = q * total
    seen = 0.0
    for value, weight in ordered:
        seen += weight
        if seen >= wanted - 1e-9:
            return value
    return ordered[-1][0]


def _rounded(value: float | None) -> int | None:
    return None if value is None else math.ceil(value)


def window_of(now: datetime) -> tuple[datetime, datetime]:
    """24 whole hours ending with the current one: [since, until)."""
    current = now.replace(minute=0, second=0, microsecond=0)
    since = current - timedelta(hours=WINDOW_HOURS - 1)
    return since, current + timedelta(hours=1)


async def endpoint_stats(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    endpoint: str,
    now: datetime | None = None,
) -> EndpointStats:
    require(principal, Permission.READ)
    since, until = window_of(now or utcnow())
    async with ctx.db.read() as conn:
        target = await resolve_endpoint(conn, principal, ctx.cipher, tenant, endpoint)
        counts = await store.attempts_by_hour(conn, endpoint_id=target.id, since=since, until=until)
        samples = await store.duration_samples(
            conn, endpoint_id=target.id, since=since, until=until, per_hour=SAMPLE_PER_HOUR
        )
    by_hour: dict[datetime, list[float]] = defaultdict(list)
    for sample in samples:
        by_hour[sample.hour].append(float(sample.duration_ms))
    count_of = {c.hour: c for c in counts}
    hours: list[HourFigures] = []
    weighted: list[tuple[float, float]] = []
    for i in range(WINDOW_HOURS):
        hour = since + timedelta(hours=i)
        count = count_of.get(hour)
        durations = by_hour.get(hour, [])
        ones = [(d, 1.0) for d in durations]
        hours.append(
            HourFigures(
                hour,
                Figures(
                    attempts=count.attempts if count else 0,
                    succeeded=count.succeeded if count else 0,
                    p50_ms=_rounded(percentile(ones, 0.5)),
                    p95_ms=_rounded(percentile(ones, 0.95)),
                ),
            )
        )
        if count and durations:
            weight = count.attempts / len(durations)
            weighted.extend((d, weight) for d in durations)
    total = Figures(
        attempts=sum(h.figures.attempts for h in hours),
        succeeded=sum(h.figures.succeeded for h in hours),
        p50_ms=_rounded(percentile(weighted, 0.5)),
        p95_ms=_rounded(percentile(weighted, 0.95)),
    )
    return EndpointStats(target.id, since, until, hours, total)


async def success_rates(
    ctx: Context,
    principal: Principal,
    *,
    tenant: str,
    endpoint_ids: Sequence[str],
    now: datetime | None = None,
) -> dict[str, SuccessRate]:
    """Each endpoint's attempts and successes over the last 24 hours (the endpoint list)."""
    require(principal, Permission.READ)
    since = (now or utcnow()) - timedelta(hours=WINDOW_HOURS)
    async with ctx.db.read() as conn:
        owner = await resolve_tenant(conn, principal, tenant)
        counts = await store.success_counts(
            conn, tenant_id=owner.id, endpoint_ids=endpoint_ids, since=since
        )
    return {
        endpoint_id: SuccessRate(*counts.get(endpoint_id, (0, 0))) for endpoint_id in endpoint_ids
    }
