"""Aggregates over attempts for charts: counts per hour, latency samples, success rates.

Both databases group by the same hour key, `YYYY-MM-DD HH` in UTC: SQLite keeps
timestamps as naive UTC text (see `types.UTCDateTime`), whose first 13 characters are
exactly that; PostgreSQL formats its `timestamptz` in UTC. Percentiles are left to
Python (`percentile_cont` exists on PostgreSQL only), so the store hands out samples of
durations rather than computing them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.models import AttemptStatus
from hookline.store.schema import attempts as t

HOUR_FORMAT = "%Y-%m-%d %H"
SUCCEEDED = AttemptStatus.SUCCEEDED.value


@dataclass(frozen=True, slots=True)
class HourCount:
    hour: datetime  # the start of the hour, UTC
    attempts: int
    succeeded: int


@dataclass(frozen=True, slots=True)
class DurationSample:
    hour: datetime
    duration_ms: int


def _hour_key(conn: AsyncConnection) -> ColumnElement[Any]:
    if conn.dialect.name == "sqlite":
        return func.substr(t.c.started_at, 1, 13)
    return func.to_char(
        func.timezone(literal_column("'UTC'"), t.c.started_at), literal_column("'YYYY-MM-DD HH24'")
    )


def _parse_hour(key: str) -> datetime:
    return datetime.strptime(key, HOUR_FORMAT).replace(tzinfo=UTC)


def _window(endpoint_id: str, since: datetime, until: datetime) -> ColumnElement[bool]:
    # Served by the index on (endpoint_id, started_at).
    return and_(t.c.endpoint_id == endpoint_id, t.c.started_at >= since, t.c.started_at < until)


async def attempts_by_hour(
    conn: AsyncConnection, *, endpoint_id: str, since: datetime, until: datetime
) -> list[HourCount]:
    """Attempts and successes per hour of the window; hours without attempts are absent."""
    hour = _hour_key(conn).label("hour")
    ok = func.sum(case((t.c.status == SUCCEEDED, 1), else_=0))
    stmt = (
        select(hour, func.count().label("n"), ok.label("ok"))
        .where(_window(endpoint_id, since, until))
        .group_by(hour)
        .order_by(hour)
    )
    return [
        HourCount(_parse_hour(r.hour), int(r.n), int(r.ok or 0))
        for r in (await conn.execute(stmt)).all()
    ]


async def duration_samples(
    conn: AsyncConnection,
    *,
    endpoint_id: str,
    since: datetime,
    until: datetime,
    per_hour: int,
) -> list[DurationSample]:
    """The durations of the latest `per_hour` attempts of each hour in the window.

    Capping each hour keeps a busy endpoint's chart cheap to draw (at most 24 × per_hour
    rows leave the database) while every hour keeps a sample of its own.
    """
    hour = _hour_key(conn)
    rank = func.row_number().over(partition_by=hour, order_by=t.c.id.desc())
    inner = (
        select(hour.label("hour"), t.c.duration_ms, rank.label("rank"))
        .where(_window(endpoint_id, since, until))
        .subquery()
    )
    stmt = select(inner.c.hour, inner.c.duration_ms).where(inner.c.rank <= per_hour)
    return [
        DurationSample(_parse_hour(r.hour), int(r.duration_ms))
        for r in (await conn.execute(stmt)).all()
    ]


async def success_counts(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    endpoint_ids: Sequence[str],
    since: datetime,
) -> dict[str, tuple[int, int]]:
    """Per endpoint of this tenant: (attempts, successes) since `since`."""
    if not endpoint_ids:
        return {}
    ok = func.sum(case((t.c.status == SUCCEEDED, 1), else_=0))
    stmt = (
        select(t.c.endpoint_id, func.count().label("n"), ok.label("ok"))
        .where(
            t.c.tenant_id == tenant_id,
            t.c.endpoint_id.in_(list(endpoint_ids)),
            t.c.started_at >= since,
        )
        .group_by(t.c.endpoint_id)
    )
    return {r.endpoint_id: (int(r.n), int(r.ok or 0)) for r in (await conn.execute(stmt)).all()}
